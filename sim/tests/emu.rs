//! The link emulator `rxdsp_emu` under Verilator against
//! `golden::emu::EmuStream`: every ADC sample, every transmitted data
//! symbol and every transmitted level index of at least 50k symbols per
//! configuration, `assert_eq!`, over P = 1, 2, 4, 8, 16, 32, three presets,
//! precode on and off, PRBS31, PRBS13Q and PRBS7, ADC widths 6, 8 and 10,
//! with and without random stalls; and with the error injector on
//! (`link.inject_every` K = P, K not a multiple of P, K large) at P = 1, 4,
//! 8 and 32; and with the seeded random pattern (`link.pattern = "random"`)
//! at P = 1, 2, 4, 8, 16, 32, precode on and off, with and without stalls
//! (and the injector at P = 8).

use golden::config::{Config, FecKind, LinkModel};
use golden::emu::{EmuStream, EMU_TAPS};
use golden::link::Batch;
use golden::prbs::Pattern;
use rtl::emu::EmuParams;
use sim::emu::{build, run, Stalls};

struct Case {
    preset: &'static str,
    snr_db: f64,
    parallel: usize,
    adc_bits: u32,
    pattern: Pattern,
    precode: bool,
    /// channel taps of the design: `None` = the plan's own count
    taps: Option<usize>,
    stalls: Option<Stalls>,
    symbols: usize,
    /// `link.inject_every` (0 = off)
    inject_every: u64,
    /// `tx.fec`: the emulator built with the framer of this code
    fec: FecKind,
    /// `tx.interleave` (with `fec`): the emulator built with the interleave
    interleave: bool,
}

fn check(c: &Case) {
    check_with(c, |w| w);
}

/// [`check`] with the configuration writes rearranged by `order` (the same
/// final state, so the same golden stream).
fn check_with(c: &Case, order: impl Fn(Vec<(usize, u64)>) -> Vec<(usize, u64)>) {
    let mut cfg = Config::default();
    cfg.channel.preset = Some(c.preset.into());
    cfg.channel.snr_db = c.snr_db;
    cfg.link.model = LinkModel::Emulator;
    cfg.link.pattern = c.pattern;
    cfg.link.seed = 0x5EED ^ c.parallel as u64;
    cfg.tx.precode = c.precode;
    cfg.rtl.parallel = c.parallel as i64;
    cfg.adc.bits = c.adc_bits as i64;
    cfg.link.inject_every = c.inject_every as i64;
    cfg.tx.fec = c.fec;
    cfg.tx.interleave = c.interleave;
    let plan = cfg.resolve().unwrap();
    let mut golden = EmuStream::new(&plan).unwrap();
    let emu = golden.plan().clone();
    let p = EmuParams {
        parallel: c.parallel,
        taps: c.taps.unwrap_or(emu.taps.len()),
        adc_bits: c.adc_bits,
        fec: golden::link::fec_code(plan.fec),
        interleave: plan.interleave,
    };
    let writes = order(rtl::emu::config_writes(&p, &emu, c.pattern, c.precode, plan.seed).unwrap());
    let words = c.symbols.div_ceil(c.parallel);
    let mut b = Batch::default();
    golden.next_batch(words * c.parallel, &mut b);
    let (mut model, _info) = build(&p).unwrap();
    let got = run(&mut model, &p, &writes, words, c.stalls).unwrap();
    let tag = format!(
        "{} snr {} P {} T {} adc {} {} precode {} K {} fec {:?} interleave {} stalls {:?}",
        c.preset,
        c.snr_db,
        c.parallel,
        p.taps,
        c.adc_bits,
        c.pattern,
        c.precode,
        c.inject_every,
        c.fec,
        c.interleave,
        c.stalls
    );
    assert_eq!(got.symbols.len(), b.data.len(), "{tag}");
    assert_eq!(got.levels.len(), b.levels.len(), "{tag}");
    assert_eq!(got.samples.len(), b.samples.len(), "{tag}");
    for (k, (g, w)) in got.symbols.iter().zip(&b.data).enumerate() {
        assert_eq!(g, w, "{tag}: data symbol {k}");
    }
    for (k, (g, w)) in got.levels.iter().zip(&b.levels).enumerate() {
        assert_eq!(g, w, "{tag}: level index {k}");
    }
    for (k, (g, w)) in got.samples.iter().zip(&b.samples).enumerate() {
        assert_eq!(g, w, "{tag}: sample {k}");
    }
    if c.stalls.is_none() {
        // the interleave's prefill: one frame made before the first word starts
        let pre = match p.fec {
            Some(code) if p.interleave => rtl::emu::interleave::frame_words(code, c.parallel),
            _ => 0,
        };
        assert_eq!(
            got.first_latency,
            Some((rtl::emu::latency(&p) + rtl::emu::RUN_DELAY + pre) as u64),
            "{tag}"
        );
        // full rate: a word every cycle after the first (the output FIFO's
        // room never throttles a stream that is never stalled)
        assert_eq!(
            got.cycles,
            (rtl::emu::latency(&p) + rtl::emu::RUN_DELAY + pre + words) as u64,
            "{tag}: cycles"
        );
    }
    // the injector is there: the samples are not those of the same run without it
    let flips = (0..b.samples.len() as u64)
        .filter(|&n| golden::emu::injected(n, c.inject_every))
        .count();
    if flips > 0 {
        let mut off = plan.clone();
        off.inject_every = 0;
        let mut b0 = Batch::default();
        EmuStream::new(&off)
            .unwrap()
            .next_batch(b.samples.len(), &mut b0);
        assert_eq!(b0.levels, b.levels, "{tag}");
        assert_ne!(b0.samples, b.samples, "{tag}: {flips} flips");
    }
    // the noise and the channel are there: samples vary beyond the four levels
    let distinct: std::collections::BTreeSet<i16> = got.samples.iter().copied().collect();
    assert!(
        distinct.len() > 8,
        "{tag}: {} distinct samples",
        distinct.len()
    );
}

fn stalls(seed: u64) -> Option<Stalls> {
    Some(Stalls {
        ready_low: 80,
        run_low: 40,
        seed,
    })
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn emulator_matches_golden_p1_lpo16_prbs31() {
    check(&Case {
        preset: "lpo-host-16db",
        snr_db: 22.0,
        parallel: 1,
        adc_bits: 8,
        pattern: Pattern::Prbs31,
        precode: false,
        taps: Some(EMU_TAPS),
        stalls: None,
        symbols: 50_000,
        inject_every: 0,
        fec: FecKind::None,
        interleave: false,
    });
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn emulator_matches_golden_p4_lpo8_prbs13q_precoded_stalled() {
    check(&Case {
        preset: "lpo-host-8db",
        snr_db: 20.0,
        parallel: 4,
        adc_bits: 6,
        pattern: Pattern::Prbs13q,
        precode: true,
        taps: None,
        stalls: stalls(1),
        symbols: 60_000,
        inject_every: 0,
        fec: FecKind::None,
        interleave: false,
    });
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn emulator_matches_golden_p8_ideal_prbs31_precoded_stalled() {
    check(&Case {
        preset: "ideal",
        snr_db: 14.0,
        parallel: 8,
        adc_bits: 10,
        pattern: Pattern::Prbs31,
        precode: true,
        taps: Some(3),
        stalls: stalls(2),
        symbols: 80_000,
        inject_every: 0,
        fec: FecKind::None,
        interleave: false,
    });
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn emulator_matches_golden_p16_lpo16_prbs13q() {
    check(&Case {
        preset: "lpo-host-16db",
        snr_db: 26.0,
        parallel: 16,
        adc_bits: 8,
        pattern: Pattern::Prbs13q,
        precode: false,
        taps: None,
        stalls: stalls(3),
        symbols: 96_000,
        inject_every: 0,
        fec: FecKind::None,
        interleave: false,
    });
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn emulator_matches_golden_p2_lpo8_prbs7() {
    check(&Case {
        preset: "lpo-host-8db",
        snr_db: 24.0,
        parallel: 2,
        adc_bits: 8,
        pattern: Pattern::Prbs7,
        precode: true,
        taps: None,
        stalls: None,
        symbols: 50_000,
        inject_every: 0,
        fec: FecKind::None,
        interleave: false,
    });
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn emulator_matches_golden_p32_lpo16_prbs31_precoded_stalled() {
    check(&Case {
        preset: "lpo-host-16db",
        snr_db: 24.0,
        parallel: 32,
        adc_bits: 8,
        pattern: Pattern::Prbs31,
        precode: true,
        taps: None,
        stalls: stalls(4),
        symbols: 64_000,
        inject_every: 0,
        fec: FecKind::None,
        interleave: false,
    });
}

/// The injector cases of one design (the model is built once): `(K, precode,
/// stalls seed)`; the base case gives everything else.
fn check_injected(base: Case, cases: &[(u64, bool, Option<u64>)]) {
    for &(k, precode, seed) in cases {
        check(&Case {
            inject_every: k,
            precode,
            stalls: seed.and_then(stalls),
            ..base
        });
    }
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn injector_matches_golden_p1() {
    let base = Case {
        preset: "lpo-host-16db",
        snr_db: 26.0,
        parallel: 1,
        adc_bits: 8,
        pattern: Pattern::Prbs31,
        precode: false,
        taps: Some(EMU_TAPS),
        stalls: None,
        symbols: 30_000,
        inject_every: 0,
        fec: FecKind::None,
        interleave: false,
    };
    // K = P: every symbol; K = 7; K large (two flips in the run); the register's largest
    check_injected(
        base,
        &[
            (1, false, None),
            (7, true, Some(11)),
            (12_345, false, Some(12)),
            (golden::emu::MAX_INJECT_EVERY, true, None),
        ],
    );
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn injector_matches_golden_p4() {
    let base = Case {
        preset: "lpo-host-8db",
        snr_db: 20.0,
        parallel: 4,
        adc_bits: 6,
        pattern: Pattern::Prbs13q,
        precode: true,
        taps: None,
        stalls: None,
        symbols: 40_000,
        inject_every: 0,
        fec: FecKind::None,
        interleave: false,
    };
    check_injected(
        base,
        &[
            (4, true, None),
            (5, false, Some(21)),
            (1001, true, Some(22)),
            (16_387, false, Some(23)),
        ],
    );
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn injector_matches_golden_p8() {
    let base = Case {
        preset: "ideal",
        snr_db: 14.0,
        parallel: 8,
        adc_bits: 10,
        pattern: Pattern::Prbs31,
        precode: true,
        taps: Some(3),
        stalls: None,
        symbols: 40_000,
        inject_every: 0,
        fec: FecKind::None,
        interleave: false,
    };
    check_injected(
        base,
        &[
            (8, false, Some(31)),
            (13, true, Some(32)),
            (1000, false, None),
            (19_997, true, Some(33)),
        ],
    );
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn injector_matches_golden_p32() {
    let base = Case {
        preset: "lpo-host-16db",
        snr_db: 24.0,
        parallel: 32,
        adc_bits: 8,
        pattern: Pattern::Prbs31,
        precode: true,
        taps: None,
        stalls: None,
        symbols: 32_000,
        inject_every: 0,
        fec: FecKind::None,
        interleave: false,
    };
    check_injected(
        base,
        &[
            (32, true, Some(41)),
            (45, false, Some(42)),
            (10_007, true, None),
        ],
    );
}

/// The random-pattern cases of one design: `(precode, stalls seed, K)`.
fn check_random(base: Case, cases: &[(bool, Option<u64>, u64)]) {
    for &(precode, seed, k) in cases {
        check(&Case {
            pattern: Pattern::Random,
            precode,
            stalls: seed.and_then(stalls),
            inject_every: k,
            ..base
        });
    }
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn random_pattern_matches_golden_p1() {
    let base = Case {
        preset: "lpo-host-16db",
        snr_db: 24.0,
        parallel: 1,
        adc_bits: 8,
        pattern: Pattern::Random,
        precode: false,
        taps: Some(EMU_TAPS),
        stalls: None,
        symbols: 30_000,
        inject_every: 0,
        fec: FecKind::None,
        interleave: false,
    };
    check_random(base, &[(false, None, 0), (true, Some(51), 0)]);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn random_pattern_matches_golden_p2_p4_p16() {
    for (parallel, seed) in [(2, 61), (4, 62), (16, 63)] {
        let base = Case {
            preset: "lpo-host-8db",
            snr_db: 20.0,
            parallel,
            adc_bits: 6,
            pattern: Pattern::Random,
            precode: false,
            taps: None,
            stalls: None,
            symbols: 40_000,
            inject_every: 0,
            fec: FecKind::None,
            interleave: false,
        };
        check_random(
            base,
            &[
                (true, None, 0),
                (false, Some(seed), 0),
                (true, Some(seed + 10), 0),
            ],
        );
    }
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn random_pattern_matches_golden_p8() {
    let base = Case {
        preset: "ideal",
        snr_db: 14.0,
        parallel: 8,
        adc_bits: 10,
        pattern: Pattern::Random,
        precode: true,
        taps: Some(3),
        stalls: None,
        symbols: 40_000,
        inject_every: 0,
        fec: FecKind::None,
        interleave: false,
    };
    check_random(
        base,
        &[(true, Some(71), 0), (false, None, 0), (false, Some(72), 13)],
    );
}

/// The random source's state words loaded out of order (`s3` first, then
/// `s0`, `s1`, `s2`): its registered `s0 + s3` must follow a load of either
/// word alone (the host writes them in order, which never loads `s0` alone
/// last), and the stream is golden's for the final state.
#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn random_seed_words_load_in_any_order() {
    let c = Case {
        preset: "ideal",
        snr_db: 14.0,
        parallel: 8,
        adc_bits: 10,
        pattern: Pattern::Random,
        precode: false,
        taps: Some(3),
        stalls: None,
        symbols: 4_000,
        inject_every: 0,
        fec: FecKind::None,
        interleave: false,
    };
    check_with(&c, |mut w| {
        let at = |w: &[(usize, u64)], a: usize| w.iter().position(|x| x.0 == a).expect("written");
        let s3 = w.remove(at(&w, rtl::emu::addr::random(3)));
        let s0 = at(&w, rtl::emu::addr::random(0));
        w.insert(s0, s3);
        w
    });
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn random_pattern_matches_golden_p32() {
    let base = Case {
        preset: "lpo-host-16db",
        snr_db: 24.0,
        parallel: 32,
        adc_bits: 8,
        pattern: Pattern::Random,
        precode: false,
        taps: None,
        stalls: None,
        symbols: 32_000,
        inject_every: 0,
        fec: FecKind::None,
        interleave: false,
    };
    check_random(
        base,
        &[(false, Some(81), 0), (true, Some(82), 0), (true, None, 0)],
    );
}

/// The FEC cases of one design: `(code, pattern, precode, stalls seed, K)`.
fn check_fec(base: Case, cases: &[(FecKind, Pattern, bool, Option<u64>, u64)]) {
    for &(fec, pattern, precode, seed, k) in cases {
        check(&Case {
            fec,
            pattern,
            precode,
            stalls: seed.and_then(stalls),
            inject_every: k,
            ..base
        });
    }
}

/// The framer: every data symbol is the golden `Framer`'s (message, then
/// parity), over several codewords, at every P with its own transition word
/// (`m_t` = 5k mod P: 0 at P = 1 and 2, 2 at P = 4 and 8, 10 at P = 16 and 32).
#[test]
#[ignore = "full tier: builds Verilator models (scripts/test.sh runs it)"]
fn fec_framer_matches_golden_p8() {
    let base = Case {
        preset: "lpo-host-16db",
        snr_db: 22.0,
        parallel: 8,
        adc_bits: 8,
        pattern: Pattern::Prbs31,
        precode: false,
        taps: Some(EMU_TAPS),
        stalls: None,
        symbols: 3 * 2720 + 1000,
        inject_every: 0,
        fec: FecKind::Kp4,
        interleave: false,
    };
    check_fec(
        base,
        &[
            (FecKind::Kp4, Pattern::Prbs31, false, None, 0),
            (FecKind::Kp4, Pattern::Random, true, Some(61), 0),
            (FecKind::Kr4, Pattern::Prbs13q, false, Some(62), 1001),
        ],
    );
}

#[test]
#[ignore = "full tier: builds Verilator models (scripts/test.sh runs it)"]
fn fec_framer_matches_golden_p1_p2_p4_p16_p32() {
    for (parallel, fec, pattern, seed) in [
        (1, FecKind::Kr4, Pattern::Prbs13q, None),
        (2, FecKind::Kp4, Pattern::Random, Some(71)),
        (4, FecKind::Kp4, Pattern::Prbs31, Some(72)),
        (16, FecKind::Kr4, Pattern::Random, None),
        (32, FecKind::Kp4, Pattern::Prbs31, Some(73)),
    ] {
        let base = Case {
            preset: "lpo-host-8db",
            snr_db: 24.0,
            parallel,
            adc_bits: 8,
            pattern,
            precode: false,
            taps: None,
            stalls: None,
            symbols: 3 * 2720 + 333,
            inject_every: 0,
            fec,
            interleave: false,
        };
        check_fec(base, &[(fec, pattern, parallel == 4, seed, 0)]);
    }
}

/// The 2-way interleave (`tx.interleave`): every data symbol is the golden
/// framer's, codeword A's and B's 10-bit symbols alternating, over several
/// frames, after the one-frame prefill; at every P (the lane pattern's
/// period is 10 words at P = 1, 5 or 10 elsewhere), with stalls and the
/// injector, PRBS and the random pattern.
#[test]
#[ignore = "full tier: builds Verilator models (scripts/test.sh runs it)"]
fn interleave_matches_golden_every_p() {
    for (parallel, fec, pattern, seed, k) in [
        (8, FecKind::Kp4, Pattern::Prbs31, None, 0),
        (8, FecKind::Kr4, Pattern::Random, Some(81), 1001),
        (1, FecKind::Kp4, Pattern::Prbs13q, Some(82), 0),
        (2, FecKind::Kr4, Pattern::Prbs31, None, 0),
        (4, FecKind::Kp4, Pattern::Random, Some(83), 0),
        (16, FecKind::Kr4, Pattern::Prbs13q, Some(84), 0),
        (32, FecKind::Kp4, Pattern::Prbs31, None, 77),
    ] {
        check(&Case {
            preset: "lpo-host-8db",
            snr_db: 24.0,
            parallel,
            adc_bits: 8,
            pattern,
            precode: parallel == 4,
            taps: None,
            stalls: seed.and_then(stalls),
            symbols: 2 * 2 * 2720 + 777,
            inject_every: k,
            fec,
            interleave: true,
        });
    }
}
