//! The wiring behind the equalizer: PAM4 data symbols (framed by
//! `golden::framing::Framer`, bit order of golden/src/framing.rs) with a
//! start-of-codeword marker, through `rxdsp_rs_rx` (gearbox + decoder), against
//! the golden decoder on the same received words.

use golden::fec::{Code, Codec, DecodeOutcome, FecStats};
use golden::framing::Framer;
use golden::prbs::Pattern;
use golden::rng::Xoshiro256pp;

fn pack10(s: &[u8]) -> u16 {
    s.iter().fold(0u16, |a, &x| (a << 2) | (x & 3) as u16)
}

fn check_rx(code: Code, s: usize, p: usize, frames: usize, valid: &[bool], seed: u64) {
    let mut framer = Framer::new(code, Pattern::Prbs31, seed, false);
    let mut rng = Xoshiro256pp::new(seed);
    // junk before the first codeword: the gearbox drops it
    let junk = 3 + (rng.next_u64() % 17) as usize;
    let mut wire: Vec<u8> = (0..junk).map(|_| (rng.next_u64() & 3) as u8).collect();
    for _ in 0..frames {
        framer.next_frame(&mut wire);
    }
    // PAM4 symbol errors: a few isolated ones, plus bursts in some frames
    let fsym = code.n() * 5;
    for f in 0..frames {
        let base = junk + f * fsym;
        let count = match f % 4 {
            0 => 0,
            1 => 1 + (rng.next_u64() % code.t() as u64) as usize,
            2 => 5 * code.t() + 3,
            _ => 5 * (code.t() + 2),
        };
        let burst = f % 4 == 3;
        let start = (rng.next_u64() % (fsym - count) as u64) as usize;
        for i in 0..count {
            let pos = if burst {
                base + start + i
            } else {
                base + (rng.next_u64() % fsym as u64) as usize
            };
            wire[pos] ^= 1 + (rng.next_u64() % 3) as u8;
        }
    }
    let received: Vec<Vec<u16>> = (0..frames)
        .map(|f| {
            let w = &wire[junk + f * fsym..junk + (f + 1) * fsym];
            w.chunks_exact(5).map(pack10).collect()
        })
        .collect();
    let (mut model, _) = sim::rs::build_rx(code, s, p).expect("builds");
    let run = sim::rs::run_rx(&mut model, code, s, p, &wire, junk, frames, valid).expect("runs");
    let codec = Codec::new(code);
    let mut stats = FecStats::new(code);
    for (i, r) in received.iter().enumerate() {
        let mut msg = vec![0u16; code.k()];
        let outcome = codec.decode(r, &mut msg);
        stats.record(outcome);
        assert_eq!(
            run.words[i][..code.k()],
            msg[..],
            "{code} S={s} P={p} frame {i}"
        );
        assert_eq!(
            run.uncorrectable[i],
            outcome == DecodeOutcome::Uncorrectable,
            "frame {i}"
        );
        if outcome != DecodeOutcome::Uncorrectable {
            assert_eq!(run.words[i], framer_cw_ok(&codec, r), "frame {i}");
        }
    }
    assert_eq!(run.stats, stats);
    assert!(!run.err_align);
    assert!(
        stats.uncorrectable_codewords > 0 && stats.corrected_codewords > 0,
        "{stats:?}"
    );
}

fn framer_cw_ok(codec: &Codec, r: &[u16]) -> Vec<u16> {
    let mut w = r.to_vec();
    for (p, e) in codec.locate(r).expect("correctable").iter() {
        w[p] ^= e;
    }
    w
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn gearbox_and_decoder_kr4_s4_p8() {
    check_rx(Code::Kr4, 4, 8, 12, &[true], 3);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn gearbox_and_decoder_kr4_s4_p8_with_gaps() {
    // same model (cached); input gaps and gearbox backpressure
    check_rx(Code::Kr4, 4, 8, 8, &[true, false, true, true, false], 4);
}
