//! The BER checker `rxdsp_check` under Verilator against
//! `golden::check::Checker` (that is, `ErrorCounter`): every counter of every
//! shadow read back, `assert_eq!`, at random `snap` boundaries while the words
//! flow, over P = 1, 2, 4, 8, 16, 32. Per P three runs in one model: random
//! delay/skip/limit (limit not a multiple of P, an all-wrong stretch inside
//! it), a run cut short with words in flight then `clear`, and a run with the
//! delay at 0 or `max_delay` and no limit or a limit inside the skip region.
//! At P = 8 the checker is built with its reference outputs (the FEC's
//! reference path): every received word's aligned transmitted data, on time.
//! Errors: isolated, bursts of 1..=40 crossing words, data errors with the
//! level right and level errors with the data right; random gaps on both
//! inputs, the received words lagging by up to `max_lag` words.

use golden::check::{addr, counter_name, CheckRegs, NUM_COUNTERS};
use golden::rng::Xoshiro256pp;
use rtl::check::CheckParams;
use sim::check::{build, CheckRun, Driver, Pacing, Streams};

/// Random transmitted symbols; the received ones the transmitted delayed by
/// `d` (zeros before index 0) with errors at about `rate` per 10 000 symbols
/// plus one all-wrong stretch at a third of the stream and a burst over its end.
fn streams(r: &mut Xoshiro256pp, n: usize, d: usize, rate: u64) -> Streams {
    let mut s = Streams {
        tx_levels: (0..n).map(|_| (r.next_u64() & 3) as u8).collect(),
        tx_data: (0..n).map(|_| (r.next_u64() & 3) as u8).collect(),
        ..Default::default()
    };
    let at = |v: &Vec<u8>, k: usize| if k >= d { v[k - d] } else { 0 };
    s.rx_levels = (0..n).map(|k| at(&s.tx_levels, k)).collect();
    s.rx_data = (0..n).map(|k| at(&s.tx_data, k)).collect();
    // errors are made from the right values, so a second error never undoes one
    let (ok_l, ok_d) = (s.rx_levels.clone(), s.rx_data.clone());
    let wrong = |r: &mut Xoshiro256pp, x: u8| (x + 1 + (r.next_u64() % 3) as u8) & 3;
    let mut k = 0;
    while k < n {
        if r.next_u64() % 10_000 < rate {
            match r.next_u64() % 4 {
                // a burst of wrong levels, the data wrong or not
                0 | 1 => {
                    let len = 1 + (r.next_u64() % 40) as usize;
                    for j in k..(k + len).min(n) {
                        s.rx_levels[j] = wrong(r, ok_l[j]);
                        if r.next_u64() & 1 == 0 {
                            s.rx_data[j] = wrong(r, ok_d[j]);
                        }
                    }
                    k += len;
                }
                // a data error with the level right
                2 => s.rx_data[k] = wrong(r, ok_d[k]),
                // a level error with the data right
                _ => s.rx_levels[k] = wrong(r, ok_l[k]),
            }
        }
        k += 1;
    }
    let st = n / 3;
    let stretch = st..(st + 150 + (r.next_u64() % 200) as usize).min(n);
    let end = n.saturating_sub(1 + (r.next_u64() % 60) as usize)..n;
    for j in stretch.chain(end) {
        s.rx_levels[j] = wrong(r, ok_l[j]);
    }
    s
}

fn pacing(r: &mut Xoshiro256pp, full_rate: bool) -> Pacing {
    Pacing {
        tx: if full_rate {
            255
        } else {
            60 + (r.next_u64() % 196) as u8
        },
        rx: if full_rate {
            255
        } else {
            40 + (r.next_u64() % 216) as u8
        },
        max_lag: if full_rate {
            64
        } else {
            1 + (r.next_u64() % 64) as usize
        },
        snap: 2 + (r.next_u64() % 8) as u8,
        seed: r.next_u64(),
    }
}

fn compare(tag: &str, run: &CheckRun, want_done: Option<bool>) {
    assert!(!run.overflow && !run.underflow, "{tag}: FIFO flags");
    assert!(
        run.snapshots.len() >= 2,
        "{tag}: {} snapshots",
        run.snapshots.len()
    );
    for (n, s) in run.snapshots.iter().enumerate() {
        assert_eq!(s.got.len(), NUM_COUNTERS);
        for i in 0..NUM_COUNTERS {
            assert_eq!(
                s.got[i],
                s.want[i],
                "{tag}: snapshot {n} after {} received words: {}",
                s.rx_words,
                counter_name(i)
            );
        }
    }
    let last = run.snapshots.last().expect("snapshots");
    eprintln!(
        "{tag}: {} snapshots in {} cycles, last after {} words: {:?}",
        run.snapshots.len(),
        run.cycles,
        last.rx_words,
        &last.want[..addr::BURSTS + 3]
    );
    if let Some(d) = want_done {
        assert_eq!(run.done.0, run.done.1, "{tag}: done");
        assert_eq!(run.done.1, d, "{tag}: golden done");
    }
}

fn check(parallel: usize, seed: u64) {
    let p = CheckParams {
        parallel,
        max_delay: 127,
        fifo_words: 128,
        reference: parallel == 8,
    };
    let (model, _info) = build(&p).unwrap();
    let mut drv = Driver::new(model, &p).unwrap();
    let mut r = Xoshiro256pp::new(seed);
    let words = (24_000 / parallel).max(3000);
    let n = words * parallel;

    // 1: random delay, skip, a limit that is not a multiple of P, the stretch inside
    let d = 1 + (r.next_u64() % 126);
    let skip = r.next_u64() % 600;
    let mut limit = n as u64 / 2 + r.next_u64() % (n as u64 / 2);
    if parallel > 1 {
        // inside a word: lanes 1..P-1 of the last word counted
        let pw = parallel as u64;
        limit = limit / pw * pw + 1 + r.next_u64() % (pw - 1);
    }
    let regs = CheckRegs {
        delay: d,
        skip,
        limit,
    };
    let mut s = streams(&mut r, n, d as usize, 30);
    // a burst open when the index reaches the limit
    for j in limit as usize - 20..limit as usize + 20 {
        s.rx_levels[j] = (s.tx_levels[j - d as usize] + 2) & 3;
    }
    let run = drv.run(regs, &s, pacing(&mut r, false), None).unwrap();
    let tag = format!("P {parallel} run 1 {regs:?}");
    compare(&tag, &run, Some(true));
    if p.reference {
        // the aligned transmitted data, every received word, on time
        assert_eq!(run.ref_words, words as u64, "{tag}: reference words");
        assert_eq!(run.ref_mismatches, 0, "{tag}: reference");
    }
    let last = run.snapshots.last().unwrap();
    assert!(
        last.want[addr::LONGEST_BURST] >= 150,
        "{tag}: the stretch is counted"
    );
    assert!(last.want[addr::BURSTS] > 0, "{tag}: single errors");
    assert!(last.want[addr::BIT_ERRORS] > 0, "{tag}");

    // 2: cleared after run 1; words left in flight, then clear
    drv.clear();
    let regs2 = CheckRegs {
        delay: r.next_u64() % 128,
        skip: 0,
        limit: 0,
    };
    let s2 = streams(&mut r, n, regs2.delay as usize, 300);
    let cut = words / 3;
    let run2 = drv
        .run(regs2, &s2, pacing(&mut r, false), Some(cut))
        .unwrap();
    compare(&format!("P {parallel} run 2 (cut) {regs2:?}"), &run2, None);
    drv.clear();

    // 3: delay 0 or max_delay at full rate; no limit, or the limit inside the skip region
    let regs3 = CheckRegs {
        delay: if seed & 1 == 0 { 0 } else { 127 },
        skip: 1 + r.next_u64() % 900,
        limit: 0,
    };
    let s3 = streams(&mut r, n, regs3.delay as usize, 100);
    let run3 = drv.run(regs3, &s3, pacing(&mut r, true), None).unwrap();
    let tag3 = format!("P {parallel} run 3 {regs3:?}");
    compare(&tag3, &run3, Some(false));
    // at full rate the stream takes about one cycle a word
    assert!(
        run3.cycles < words as u64 + 400,
        "{tag3}: {} cycles",
        run3.cycles
    );
    drv.clear();
    let regs4 = CheckRegs {
        delay: 127 - regs3.delay,
        skip: 200 + r.next_u64() % 300,
        limit: 1 + r.next_u64() % 199,
    };
    let s4 = streams(&mut r, n / 4, regs4.delay as usize, 100);
    let run4 = drv.run(regs4, &s4, pacing(&mut r, false), None).unwrap();
    let tag4 = format!("P {parallel} run 4 {regs4:?}");
    compare(&tag4, &run4, Some(true));
    assert_eq!(
        run4.snapshots.last().unwrap().want[addr::SYMBOLS],
        0,
        "{tag4}"
    );
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn checker_matches_golden_p1() {
    check(1, 11);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn checker_matches_golden_p2() {
    check(2, 12);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn checker_matches_golden_p4() {
    check(4, 13);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn checker_matches_golden_p8() {
    check(8, 14);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn checker_matches_golden_p16() {
    check(16, 15);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn checker_matches_golden_p32() {
    check(32, 16);
}
