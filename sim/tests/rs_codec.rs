//! The RTL Reed-Solomon decoder and encoder against `golden::fec::Codec`,
//! under Verilator, for both codes at S = 1, 4, 8, plus KR4 at S = 2 and 5 and
//! KP4 at S = 3 and 16: every output symbol, the per-codeword count and flag,
//! and the statistics counters compared with `assert_eq!`; throughput and
//! latency measured in cycles.

use golden::fec::{Code, Codec, DecodeOutcome, FecStats};
use golden::rng::Xoshiro256pp;
use rtl::rs::gf::Gf;
use std::collections::BTreeMap;

struct Rng(Xoshiro256pp);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n as u64) as usize
    }
    fn symbol(&mut self) -> u16 {
        self.below(1024) as u16
    }
    fn nonzero(&mut self) -> u16 {
        1 + self.below(1023) as u16
    }
    fn message(&mut self, code: Code) -> Vec<u16> {
        (0..code.k()).map(|_| self.symbol()).collect()
    }
    fn positions(&mut self, n: usize, count: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        for i in 0..count.min(n) {
            let j = i + self.below(n - i);
            v.swap(i, j);
        }
        v.truncate(count.min(n));
        v
    }
}

fn encode(codec: &Codec, msg: &[u16]) -> Vec<u16> {
    let mut cw = vec![0u16; codec.code().n()];
    codec.encode(msg, &mut cw);
    cw
}

/// Adds `c x^m prod_(j in roots) (x - alpha^j)` to the word: errors that make
/// most syndromes vanish (riBM gives a constant locator: the residual-syndrome path).
fn add_poly(word: &mut [u16], roots: &[usize], c: u16, m: usize) {
    let f = Gf::new();
    let mut poly = vec![c];
    for &j in roots {
        let a = f.pow(j as i64);
        let mut next = vec![0u16; poly.len() + 1];
        for (i, &x) in poly.iter().enumerate() {
            next[i + 1] ^= x;
            next[i] ^= f.mul(x, a);
        }
        poly = next;
    }
    let n = word.len();
    for (d, &x) in poly.iter().enumerate() {
        word[n - 1 - (m + d)] ^= x;
    }
}

/// Received words: clean codewords, 0..=t+8 random symbol errors, bursts,
/// random words, sparse words and residual-syndrome constructions.
fn cases(code: Code, seed: u64, count: usize) -> Vec<Vec<u16>> {
    let codec = Codec::new(code);
    let mut r = Rng(Xoshiro256pp::new(seed));
    let (n, t) = (code.n(), code.t());
    let mut out = Vec::new();
    for i in 0..count {
        let w = match i % 8 {
            0 => encode(&codec, &r.message(code)),
            1..=3 => {
                let mut w = encode(&codec, &r.message(code));
                let e = r.below(t + 9);
                for p in r.positions(n, e) {
                    w[p] ^= r.nonzero();
                }
                w
            }
            4 => {
                // a burst of 1..2t+4 consecutive symbols, possibly at either end
                let mut w = encode(&codec, &r.message(code));
                let len = 1 + r.below(2 * t + 4);
                let start = match r.below(4) {
                    0 => 0,
                    1 => n - len,
                    _ => r.below(n - len + 1),
                };
                for x in &mut w[start..start + len] {
                    *x ^= r.nonzero();
                }
                w
            }
            5 => (0..n).map(|_| r.symbol()).collect(),
            6 => {
                let mut w = vec![0u16; n];
                let e = 1 + r.below(2 * t + 2);
                for p in r.positions(n, e) {
                    w[p] = r.nonzero();
                }
                w
            }
            _ => {
                let mut w = encode(&codec, &r.message(code));
                let p = 2 * t;
                let cnt = p - 1 - r.below(3);
                let roots = r.positions(p, cnt);
                let (c, m) = (r.nonzero(), r.below(n - p));
                add_poly(&mut w, &roots, c, m);
                w
            }
        };
        out.push(w);
    }
    out
}

fn check_decoder(code: Code, s: usize, count: usize, valid: &[bool], seed: u64) {
    let t0 = std::time::Instant::now();
    let (mut model, info) = sim::rs::build_dec(code, s).expect("decoder builds");
    let tb = t0.elapsed();
    let words = cases(code, seed, count);
    let run = sim::rs::run_dec(&mut model, code, s, &words, valid).expect("runs");
    let codec = Codec::new(code);
    let mut stats = FecStats::new(code);
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    assert_eq!(run.words.len(), words.len());
    for (i, w) in words.iter().enumerate() {
        let mut msg = vec![0u16; code.k()];
        let outcome = codec.decode(w, &mut msg);
        stats.record(outcome);
        let mut want = w.clone();
        match codec.locate(w) {
            Ok(pat) => {
                for (p, e) in pat.iter() {
                    want[p] ^= e;
                }
                *kinds
                    .entry(format!("corrected {}", pat.len().min(1)))
                    .or_default() += 1;
            }
            Err(f) => {
                let k = format!("{f:?}")
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .to_string();
                *kinds.entry(k).or_default() += 1;
            }
        }
        let ctx = format!("{code} S={s} codeword {i} ({outcome:?})");
        assert_eq!(run.words[i], want, "{ctx}: corrected word");
        assert_eq!(run.words[i][..code.k()], msg[..], "{ctx}: message");
        match outcome {
            DecodeOutcome::Corrected { symbols } => {
                assert!(!run.uncorrectable[i], "{ctx}: flag");
                assert_eq!(run.corrected[i], symbols, "{ctx}: count");
            }
            DecodeOutcome::Uncorrectable => {
                assert!(run.uncorrectable[i], "{ctx}: flag");
                assert_eq!(run.corrected[i], 0, "{ctx}: count");
            }
        }
    }
    assert_eq!(run.stats, stats, "{code} S={s}: statistics counters");
    assert!(!run.err_align, "{code} S={s}: tlast alignment");
    let b = rtl::rs::beats(code, s) as u64;
    if valid.iter().all(|&v| v) {
        // no bubbles: one output beat per cycle, S symbols each, after the documented latency
        assert_eq!(run.output_beats, count as u64 * b);
        assert_eq!(
            run.output_cycles, run.output_beats,
            "{code} S={s}: bubbles in the output"
        );
        assert_eq!(
            run.first_latency,
            Some(rtl::rs::dec_latency(code, s) as u64),
            "{code} S={s}: latency"
        );
    }
    eprintln!(
        "{code} S={s}: {count} codewords ok, build {:.1} s (cached {}), kinds {kinds:?}",
        tb.as_secs_f64(),
        info.cached
    );
    let mut need = vec![
        "RootCount",
        "ResidualSyndrome",
        "corrected 1",
        "corrected 0",
    ];
    if (code, s, seed) == (Code::Kp4, 3, 25) {
        // this seed's random words include a Forney zero-value failure
        need.push("ErrorValue");
    }
    for k in need {
        assert!(
            kinds.get(k).copied().unwrap_or(0) > 0,
            "{code} S={s}: no {k} case: {kinds:?}"
        );
    }
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn decoder_kr4_s1() {
    check_decoder(Code::Kr4, 1, 64, &[true], 11);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn decoder_kr4_s4() {
    check_decoder(Code::Kr4, 4, 160, &[true], 12);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn decoder_kr4_s8() {
    check_decoder(Code::Kr4, 8, 240, &[true], 13);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn decoder_kp4_s1() {
    check_decoder(Code::Kp4, 1, 64, &[true], 21);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn decoder_kp4_s4() {
    check_decoder(Code::Kp4, 4, 160, &[true], 22);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn decoder_kp4_s8() {
    check_decoder(Code::Kp4, 8, 240, &[true], 23);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn decoder_kr4_s2() {
    check_decoder(Code::Kr4, 2, 48, &[true], 14);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn decoder_kp4_s16() {
    // 34 beats per codeword: the riBM's 30 iterations fill all 30 usable beats (B - 4)
    check_decoder(Code::Kp4, 16, 96, &[true], 26);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn decoder_kp4_s9_few_unused_beat_values_with_gaps() {
    // B = 61: the 6-bit beat counter has 3 unused values, so the 17 blocks
    // (five stages and twelve riBM groups of four elements) share 6 copies
    // of the input beat, half of them the `valid | bc == K`
    // form; 544 = 60 * 9 + 4, a partial last beat; one-beat riBM
    check_decoder(Code::Kp4, 9, 64, &[true, true, false, true, false], 27);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn decoder_kp4_s3_partial_last_beat() {
    // 544 = 181 * 3 + 1: the last beat has one symbol and two ignored lanes
    check_decoder(Code::Kp4, 3, 64, &[true], 25);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn decoder_kr4_s5_partial_last_beat() {
    // 528 = 105 * 5 + 3
    check_decoder(Code::Kr4, 5, 64, &[true], 15);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn decoder_kp4_s8_with_input_gaps() {
    // same model as decoder_kp4_s8 (cached); the pipeline advances on input beats only
    check_decoder(
        Code::Kp4,
        8,
        80,
        &[true, true, false, true, false, false, true],
        24,
    );
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn decoder_kp4_s2_folded_ribm_with_input_gaps() {
    // the device's decoder at P = 8: the riBM folded, 12 elements in 4
    // groups (rs::ribm_fold); gaps between the beats of a group and of an
    // iteration
    assert_eq!(rtl::rs::ribm_fold(Code::Kp4, 2), (4, 12));
    check_decoder(
        Code::Kp4,
        2,
        48,
        &[true, false, true, true, false, false, true, true, true],
        28,
    );
}

fn check_encoder(code: Code, s: usize, count: usize) {
    let (mut model, _) = sim::rs::build_enc(code, s).expect("encoder builds");
    let codec = Codec::new(code);
    let mut r = Rng(Xoshiro256pp::new(5 + s as u64));
    let msgs: Vec<Vec<u16>> = (0..count).map(|_| r.message(code)).collect();
    let (cws, cycles) = sim::rs::run_enc(&mut model, code, s, &msgs, 0x2a5).expect("runs");
    for (i, m) in msgs.iter().enumerate() {
        assert_eq!(cws[i], encode(&codec, m), "{code} S={s} codeword {i}");
    }
    // back to back: one beat per cycle, plus the output register and the reset
    let b = rtl::rs::beats(code, s) as u64;
    assert!(
        cycles <= count as u64 * b + 2,
        "{code} S={s}: {cycles} cycles"
    );
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn encoder_matches_golden() {
    // both codes, full and partial last beats (encoder builds cost ~30-50 s each)
    for (code, s) in [
        (Code::Kp4, 1),
        (Code::Kp4, 3),
        (Code::Kp4, 4),
        (Code::Kr4, 5),
        (Code::Kr4, 8),
    ] {
        check_encoder(code, s, 24);
    }
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn encoder_into_decoder_loopback() {
    let code = Code::Kp4;
    let s = 4;
    let (mut enc, _) = sim::rs::build_enc(code, s).expect("encoder builds");
    let mut r = Rng(Xoshiro256pp::new(77));
    let msgs: Vec<Vec<u16>> = (0..16).map(|_| r.message(code)).collect();
    let (mut cws, _) = sim::rs::run_enc(&mut enc, code, s, &msgs, 0).expect("runs");
    for (i, w) in cws.iter_mut().enumerate() {
        for p in r.positions(code.n(), i % (code.t() + 1)) {
            w[p] ^= r.nonzero();
        }
    }
    let (mut dec, _) = sim::rs::build_dec(code, s).expect("decoder builds");
    let run = sim::rs::run_dec(&mut dec, code, s, &cws, &[true]).expect("runs");
    for (i, m) in msgs.iter().enumerate() {
        assert_eq!(&run.words[i][..code.k()], &m[..], "codeword {i}");
        assert_eq!(run.corrected[i], i % (code.t() + 1));
    }
}
