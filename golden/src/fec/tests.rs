//! Unit tests of the codec. Random draws come from a fixed-seed splitmix64.

use super::*;
use proptest::prelude::*;

const CODES: [Code; 2] = [Code::Kp4, Code::Kr4];
const ENGINES: [Engine; 4] = [
    Engine::Naive,
    Engine::Fast,
    Engine::FastAvx2,
    Engine::FastScalar,
];

/// splitmix64: small, seedable, good enough for test vectors.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn symbol(&mut self) -> u16 {
        (self.next() & 1023) as u16
    }
    fn nonzero_symbol(&mut self) -> u16 {
        1 + self.below(1023) as u16
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn message(&mut self, code: Code) -> Vec<u16> {
        (0..code.k()).map(|_| self.symbol()).collect()
    }
    /// `count` distinct positions in 0..n.
    fn positions(&mut self, n: usize, count: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        for i in 0..count {
            let j = i + self.below(n - i);
            all.swap(i, j);
        }
        all.truncate(count);
        all
    }
}

fn encode(codec: &Codec, msg: &[u16]) -> Vec<u16> {
    let mut cw = vec![0u16; codec.code().n()];
    codec.encode(msg, &mut cw);
    cw
}

fn distance(a: &[u16], b: &[u16]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x != y).count()
}

/// Adds `count` errors (non-zero values) at distinct random positions; returns the positions.
fn corrupt(rng: &mut Rng, word: &mut [u16], count: usize) -> Vec<usize> {
    let pos = rng.positions(word.len(), count);
    for &p in &pos {
        word[p] ^= rng.nonzero_symbol();
    }
    pos
}

#[test]
fn generator_coefficients_are_pinned() {
    let g = Code::Kp4.generator();
    assert_eq!(g.len(), 31);
    assert_eq!(&g[..6], &[523, 834, 128, 158, 185, 127]);
    assert_eq!(g[29], 575);
    assert_eq!(g[30], 1);
    let g = Code::Kr4.generator();
    assert_eq!(g.len(), 15);
    assert_eq!(&g[..6], &[432, 290, 945, 265, 592, 391]);
    assert_eq!(g[14], 1);
    assert_eq!(
        Codec::new(Code::Kp4).generator(),
        &Code::Kp4.generator()[..]
    );
}

#[test]
fn code_parameters_and_names() {
    assert_eq!(
        (Code::Kp4.n(), Code::Kp4.k(), Code::Kp4.t()),
        (544, 514, 15)
    );
    assert_eq!((Code::Kr4.n(), Code::Kr4.k(), Code::Kr4.t()), (528, 514, 7));
    for code in CODES {
        assert_eq!(code.name().parse::<Code>(), Ok(code));
        assert_eq!(code.to_string().to_uppercase().parse::<Code>(), Ok(code));
    }
    assert!("kp5".parse::<Code>().is_err());
}

#[test]
fn codewords_have_zero_syndromes_and_engines_encode_alike() {
    let mut rng = Rng(1);
    for code in CODES {
        let codecs: Vec<Codec> = ENGINES
            .iter()
            .map(|&e| Codec::with_engine(code, e))
            .collect();
        for _ in 0..50 {
            let msg = rng.message(code);
            let cw = encode(&codecs[0], &msg);
            assert_eq!(&cw[..code.k()], &msg[..]);
            for c in &codecs {
                assert_eq!(encode(c, &msg), cw, "{:?}", c.engine());
                assert!(c.syndromes(&cw).iter().all(|&s| s == 0));
            }
            // A single changed symbol gives non-zero syndromes from every kernel, and all
            // kernels agree on them.
            let mut r = cw.clone();
            r[rng.below(code.n())] ^= rng.nonzero_symbol();
            let s0 = codecs[0].syndromes(&r);
            assert!(s0.iter().any(|&s| s != 0));
            for c in &codecs[1..] {
                assert_eq!(c.syndromes(&r), s0, "{:?}", c.engine());
            }
        }
    }
}

#[test]
fn up_to_t_errors_are_corrected_with_exact_count() {
    let mut rng = Rng(2);
    for code in CODES {
        for engine in ENGINES {
            let codec = Codec::with_engine(code, engine);
            let trials = if engine == Engine::Naive { 3 } else { 12 };
            for errors in 0..=code.t() {
                for _ in 0..trials {
                    let msg = rng.message(code);
                    let cw = encode(&codec, &msg);
                    let mut r = cw.clone();
                    let mut pos = corrupt(&mut rng, &mut r, errors);
                    let mut out = vec![0u16; code.k()];
                    let outcome = codec.decode(&r, &mut out);
                    assert_eq!(
                        outcome,
                        DecodeOutcome::Corrected { symbols: errors },
                        "{code} {engine:?}"
                    );
                    assert_eq!(out, msg);
                    let pattern = codec.locate(&r).unwrap();
                    pos.sort_unstable();
                    let found: Vec<usize> = pattern.iter().map(|(p, _)| p).collect();
                    assert_eq!(found, pos);
                    for (p, e) in pattern.iter() {
                        assert_eq!(r[p] ^ e, cw[p]);
                    }
                }
            }
        }
    }
}

#[test]
fn errors_at_the_edges_are_corrected() {
    // First and last positions (highest and lowest degree) and bursts at both ends.
    for code in CODES {
        for engine in ENGINES {
            let codec = Codec::with_engine(code, engine);
            let msg: Vec<u16> = (0..code.k() as u16).map(|i| (i * 37 + 5) & 1023).collect();
            let cw = encode(&codec, &msg);
            let n = code.n();
            let t = code.t();
            let patterns: Vec<Vec<usize>> = vec![
                vec![0],
                vec![n - 1],
                (0..t).collect(),
                (n - t..n).collect(),
                (0..t / 2).chain(n - (t - t / 2)..n).collect(),
            ];
            for pat in patterns {
                let mut r = cw.clone();
                for &p in &pat {
                    r[p] ^= 1023;
                }
                let mut out = vec![0u16; code.k()];
                assert_eq!(
                    codec.decode(&r, &mut out),
                    DecodeOutcome::Corrected { symbols: pat.len() },
                    "{code} {engine:?} {pat:?}"
                );
                assert_eq!(out, msg);
            }
        }
    }
}

#[test]
fn beyond_t_errors_never_yield_a_far_codeword() {
    let mut rng = Rng(3);
    for code in CODES {
        let codec = Codec::new(code);
        let mut flagged = 0;
        let mut total = 0;
        for extra in 1..=10 {
            for _ in 0..150 {
                let msg = rng.message(code);
                let mut r = encode(&codec, &msg);
                corrupt(&mut rng, &mut r, code.t() + extra);
                let mut out = vec![0u16; code.k()];
                total += 1;
                match codec.decode(&r, &mut out) {
                    DecodeOutcome::Uncorrectable => {
                        flagged += 1;
                        assert_eq!(&out[..], &r[..code.k()], "pass-through");
                    }
                    DecodeOutcome::Corrected { symbols } => {
                        // A miscorrection: allowed only onto a codeword within distance t.
                        let c2 = encode(&codec, &out);
                        assert_eq!(distance(&c2, &r), symbols);
                        assert!(symbols <= code.t());
                    }
                }
            }
        }
        // A word far from every codeword lands within distance t of one with probability
        // about (n/1024)^t / t! (KR4 ~2e-6, KP4 ~6e-17): nearly all must be flagged.
        assert!(
            flagged * 100 >= total * 99,
            "{code}: {flagged}/{total} flagged"
        );
    }
}

/// Adds `c * x^m * prod_(j in roots) (x - alpha^j)` to the word (array index = n-1-degree).
fn add_poly(word: &mut [u16], roots: &[usize], c: u16, m: usize) {
    let f = super::gf::gf();
    let mut poly = vec![c]; // by degree
    for &j in roots {
        let a = f.pow(j);
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

#[test]
fn engines_agree_decision_for_decision() {
    let mut rng = Rng(4);
    for code in CODES {
        let codecs: Vec<Codec> = ENGINES
            .iter()
            .map(|&e| Codec::with_engine(code, e))
            .collect();
        let mut failures = std::collections::BTreeMap::new();
        for trial in 0..500 {
            let r: Vec<u16> = match trial % 5 {
                // Entirely random words.
                0 => (0..code.n()).map(|_| rng.symbol()).collect(),
                // A codeword with 0..=t+10 errors.
                1 | 2 => {
                    let mut r = encode(&codecs[1], &rng.message(code));
                    let e = rng.below(code.t() + 11);
                    corrupt(&mut rng, &mut r, e);
                    r
                }
                // Sparse words: few non-zero symbols (small-degree locators, edge cases).
                3 => {
                    let mut r = vec![0u16; code.n()];
                    let e = 1 + rng.below(2 * code.t() + 2);
                    corrupt(&mut rng, &mut r, e);
                    r
                }
                // Errors forming c * x^m * prod_(j in J) (x - alpha^j) with J a large subset
                // of the generator's roots: most syndromes vanish and riBM returns a
                // constant locator (the ResidualSyndrome path).
                _ => {
                    let mut r = encode(&codecs[1], &rng.message(code));
                    let p = 2 * code.t();
                    let count = p - 1 - rng.below(3);
                    let roots = rng.positions(p, count);
                    let (c, m) = (rng.nonzero_symbol(), rng.below(code.n() - p));
                    add_poly(&mut r, &roots, c, m);
                    r
                }
            };
            let want = codecs[0].locate(&r);
            if let Err(f) = want {
                let key = format!("{f:?}")
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .to_string();
                *failures.entry(key).or_insert(0) += 1;
            }
            for c in &codecs[1..] {
                assert_eq!(c.locate(&r), want, "{code} {:?} trial {trial}", c.engine());
                let mut a = vec![0u16; code.k()];
                let mut b = vec![0u16; code.k()];
                assert_eq!(c.decode(&r, &mut a), codecs[0].decode(&r, &mut b));
                assert_eq!(a, b);
            }
        }
        eprintln!("{code}: failure kinds {failures:?}");
        // Both refusal paths seen in random words must have been exercised.
        assert!(
            failures.get("RootCount").copied().unwrap_or(0) > 50,
            "{failures:?}"
        );
        assert!(
            failures.get("ResidualSyndrome").copied().unwrap_or(0) > 10,
            "{failures:?}"
        );
    }
}

#[test]
fn ribm_implementations_agree_on_any_syndromes() {
    // Random syndromes are what words with many errors look like to the solver.
    let mut rng = Rng(7);
    for code in CODES {
        let naive = Codec::with_engine(code, Engine::Naive);
        let fast = Codec::new(code);
        let fast_scalar = Codec::with_engine(code, Engine::FastScalar);
        for trial in 0..300 {
            let mut s: Vec<u16> = (0..2 * code.t()).map(|_| rng.symbol()).collect();
            // Some zero runs, to reach the "no update" branch with d0 = 0.
            if trial % 3 == 0 {
                let a = rng.below(s.len());
                let b = a + rng.below(s.len() - a);
                s[a..b].fill(0);
            }
            let want = naive.key_equation(&s);
            assert_eq!(want.lambda.len(), code.t() + 1);
            assert_eq!(want.omega.len(), code.t());
            // Fast runs the AVX-512 solver where the CPU has it, the others the scalar one.
            for c in [&fast, &fast_scalar] {
                assert_eq!(c.key_equation(&s), want, "{code} {:?} {s:?}", c.engine());
            }
        }
        // A single error of value e at degree d: lambda has the single root alpha^-d.
        let f = super::gf::gf();
        let (d, e) = (100, 0x155);
        let s: Vec<u16> = (0..2 * code.t()).map(|j| f.mul(e, f.pow(j * d))).collect();
        let ke = naive.key_equation(&s);
        assert!(ke.lambda[2..].iter().all(|&c| c == 0) && ke.lambda[1] != 0);
        assert_eq!(f.mul(ke.lambda[1], f.pow_neg(d)), ke.lambda[0]);
    }
}

#[test]
fn histogram_matches_binomial_prediction() {
    // Random i.i.d. symbol errors at a rate where every bin is populated; the measured
    // histogram must match the binomial within 5 sigma per bin and by a chi-square test.
    let mut rng = Rng(5);
    for (code, mean_errors, words) in [(Code::Kp4, 13.0, 6000u64), (Code::Kr4, 5.5, 6000)] {
        let codec = Codec::new(code);
        let ser = mean_errors / code.n() as f64;
        let mut stats = FecStats::new(code);
        let msg = rng.message(code);
        let cw = encode(&codec, &msg);
        let mut out = vec![0u16; code.k()];
        for _ in 0..words {
            let mut r = cw.clone();
            let mut actual = 0;
            for s in r.iter_mut() {
                if rng.unit() < ser {
                    *s ^= rng.nonzero_symbol();
                    actual += 1;
                }
            }
            let outcome = codec.decode(&r, &mut out);
            if actual <= code.t() {
                assert_eq!(outcome, DecodeOutcome::Corrected { symbols: actual });
                assert_eq!(out, msg);
            }
            stats.record(outcome);
        }
        let pred = predict_iid(code, ser);
        let expected = pred.expected_counts(words);
        let mut chi2 = 0.0;
        let mut dof = 0;
        for (i, (&o, &e)) in stats.histogram.iter().zip(&expected).enumerate() {
            let sigma = (e * (1.0 - pred.histogram[i])).sqrt();
            assert!(
                (o as f64 - e).abs() <= 5.0 * sigma + 2.0,
                "{code} bin {i}: measured {o}, expected {e:.1}"
            );
            if e >= 5.0 {
                chi2 += (o as f64 - e).powi(2) / e;
                dof += 1;
            }
        }
        // 99.99th percentile of chi-square is below dof + 5 sqrt(2 dof) + 5 for these dof.
        let bound = dof as f64 + 5.0 * (2.0 * dof as f64).sqrt() + 5.0;
        assert!(chi2 < bound, "{code}: chi2 {chi2:.1} over {dof} bins");
        assert_eq!(stats.codewords, words);
        assert_eq!(stats.histogram.iter().sum::<u64>(), words);
        let flr = stats.frame_loss_ratio();
        assert!(
            (flr - pred.frame_loss_ratio).abs() < 0.03,
            "{code}: {flr} vs {}",
            pred.frame_loss_ratio
        );
    }
}

#[test]
fn many_and_bytes_round_trip_and_refuse_bad_input() {
    let mut rng = Rng(6);
    for code in CODES {
        let (n, k) = (code.n(), code.k());
        let msgs: Vec<u16> = (0..3 * k).map(|_| rng.symbol()).collect();
        let bytes: Vec<u8> = msgs.iter().flat_map(|s| s.to_le_bytes()).collect();
        let enc = encode_bytes(code, &bytes).unwrap();
        assert_eq!(enc.len(), 3 * n * 2);
        let mut cws: Vec<u16> = enc
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        // Errors: word 0 clean, word 1 has t errors, word 2 has 2t + 1 (uncorrectable).
        corrupt(&mut rng, &mut cws[n..2 * n], code.t());
        corrupt(&mut rng, &mut cws[2 * n..], 2 * code.t() + 1);
        let rx: Vec<u8> = cws.iter().flat_map(|s| s.to_le_bytes()).collect();
        let (dec, stats) = decode_bytes(code, &rx).unwrap();
        assert_eq!(dec.len(), 3 * k * 2);
        assert_eq!(&dec[..2 * k * 2], &bytes[..2 * k * 2]);
        assert_eq!(stats.codewords, 3);
        assert_eq!(stats.corrected_codewords, 1);
        assert_eq!(stats.corrected_symbols, code.t() as u64);
        assert_eq!(stats.uncorrectable_codewords, 1);
        assert_eq!(stats.histogram[0], 1);
        assert_eq!(stats.histogram[code.t()], 1);
        assert_eq!(stats.histogram[code.t() + 1], 1);

        // Refusals name the byte offset.
        assert_eq!(
            decode_bytes(code, &rx[..rx.len() - 1]).unwrap_err(),
            FecError::OddByteLength { len: rx.len() - 1 }
        );
        let short = &rx[..rx.len() - 2];
        let err = decode_bytes(code, short).unwrap_err();
        assert_eq!(
            err,
            FecError::PartialBlock {
                symbols: 3 * n - 1,
                block: n
            }
        );
        assert!(
            err.to_string()
                .contains(&format!("byte offset {}", 2 * 2 * n)),
            "{err}"
        );
        let mut bad = rx.clone();
        bad[2 * 700 + 1] = 0x04; // symbol 700 = 0x04xx >= 1024
        let err = decode_bytes(code, &bad).unwrap_err();
        assert!(
            matches!(
                err,
                FecError::SymbolOutOfRange {
                    index: 700,
                    byte_offset: 1400,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("byte offset 1400"));
        let mut bad = bytes.clone();
        bad[2 * 3] = 0x00;
        bad[2 * 3 + 1] = 0x80;
        assert!(matches!(
            encode_bytes(code, &bad),
            Err(FecError::SymbolOutOfRange {
                index: 3,
                byte_offset: 6,
                value: 0x8000
            })
        ));
        assert!(matches!(
            encode_bytes(code, &bytes[..2 * k - 2]),
            Err(FecError::PartialBlock { .. })
        ));
        let codec = Codec::new(code);
        let mut small = vec![0u16; k];
        assert_eq!(
            codec.decode_many(&cws, &mut small),
            Err(FecError::OutputLength {
                expected: 3 * k,
                got: k
            })
        );
        assert_eq!(decode_bytes(code, &[]).unwrap().1.codewords, 0);
    }
}

#[test]
fn bits_and_interleave_helpers() {
    let syms = [0b10_0000_0001u16, 0, 1023, 0b01_0101_0101];
    let bits = symbols_to_bits(&syms);
    assert_eq!(bits.len(), 40);
    assert_eq!(&bits[..10], &[1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(bits_to_symbols(&bits).unwrap(), syms);
    assert_eq!(
        bits_to_symbols(&bits[..9]),
        Err(FecError::PartialSymbol { bits: 9 })
    );

    let a: Vec<u16> = (0..544).collect();
    let b: Vec<u16> = (1000..1544).map(|x| x & 1023).collect();
    let mut il = vec![0u16; 1088];
    interleave2(&a, &b, &mut il);
    assert_eq!(&il[..4], &[0, 1000, 1, 1001]);
    let (mut a2, mut b2) = (vec![0u16; 544], vec![0u16; 544]);
    deinterleave2(&il, &mut a2, &mut b2);
    assert_eq!((a2, b2), (a, b));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_round_trip(
        kp4 in any::<bool>(),
        msg in proptest::collection::vec(0u16..1024, 514),
        errs in proptest::collection::vec((0usize..544, 1u16..1024), 0..16),
    ) {
        let code = if kp4 { Code::Kp4 } else { Code::Kr4 };
        let codec = Codec::new(code);
        let cw = encode(&codec, &msg);
        let mut r = cw.clone();
        for &(p, e) in errs.iter().take(code.t()) {
            r[p % code.n()] ^= e;
        }
        let errors = distance(&r, &cw);
        let mut out = vec![0u16; code.k()];
        prop_assert_eq!(codec.decode(&r, &mut out), DecodeOutcome::Corrected { symbols: errors });
        prop_assert_eq!(out, msg);
    }
}

#[test]
fn kernels_follow_the_engine_and_the_cpu() {
    for code in CODES {
        let fast = if super::gfni::available() {
            "gfni"
        } else if super::simd::available() {
            "avx2"
        } else {
            "scalar"
        };
        let avx2 = if super::simd::available() {
            "avx2"
        } else {
            "scalar"
        };
        assert_eq!(Codec::new(code).kernels(), fast);
        assert_eq!(Codec::with_engine(code, Engine::FastAvx2).kernels(), avx2);
        assert_eq!(
            Codec::with_engine(code, Engine::FastScalar).kernels(),
            "scalar"
        );
        assert_eq!(Codec::with_engine(code, Engine::Naive).kernels(), "scalar");
        eprintln!("{code}: Fast runs the {fast} kernels");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every engine (and so every kernel this CPU has) gives the naive engine's verdict,
    /// failure reason, error pattern and output message, on codewords with 0..=t errors and
    /// with up to t + 8 errors (decoder failures and miscorrections included).
    #[test]
    fn prop_engines_agree_with_naive(
        kp4 in any::<bool>(),
        msg in proptest::collection::vec(0u16..1024, 514),
        errs in proptest::collection::vec((0usize..544, 1u16..1024), 0..24),
        beyond in any::<bool>(),
    ) {
        let code = if kp4 { Code::Kp4 } else { Code::Kr4 };
        let naive = Codec::with_engine(code, Engine::Naive);
        let cw = encode(&naive, &msg);
        let mut r = cw.clone();
        let count = if beyond { errs.len().min(code.t() + 8) } else { errs.len().min(code.t()) };
        for &(p, e) in &errs[..count] {
            r[p % code.n()] ^= e;
        }
        let want = naive.locate(&r);
        let mut want_msg = vec![0u16; code.k()];
        let want_outcome = naive.decode(&r, &mut want_msg);
        if distance(&r, &cw) <= code.t() {
            prop_assert_eq!(want_outcome, DecodeOutcome::Corrected { symbols: distance(&r, &cw) });
        }
        for engine in &ENGINES[1..] {
            let c = Codec::with_engine(code, *engine);
            let mut out = vec![0u16; code.k()];
            prop_assert_eq!(c.locate(&r), want, "{:?}", engine);
            prop_assert_eq!(c.decode(&r, &mut out), want_outcome, "{:?}", engine);
            prop_assert_eq!(&out, &want_msg, "{:?}", engine);
            prop_assert_eq!(encode(&c, &msg), cw.clone(), "{:?}", engine);
        }
    }
}
