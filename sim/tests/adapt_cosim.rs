//! The adaptive equalizer (`rtl::adapt`) against the golden engine
//! (`golden::adapt::HwAdapter`): every output word and the coefficients
//! every K updates, over P = 4, 8, 16, M = 0, 1, 2, precoding on and off,
//! several delays (below and above the full-rate minimum), both lane rules,
//! leakage on and off, modes changing over time, random backpressure.

use golden::adapt::{BlockRule, HwAdaptParams, Mode};
use golden::numeric::{smax, smin, RxCoeffs, RxFormat};
use golden::rng::Xoshiro256pp;
use sim::adapt::{cosim_adaptive, Stimulus};
use sim::Backpressure;

/// A PAM4 stream through a short ISI channel with noise, scaled into the
/// ADC range; the known level of sample n is the symbol sent at n - main
/// (the one its decision estimates), missing for a few samples.
fn stimulus(seed: u64, fmt: &RxFormat, len: usize) -> (Vec<i16>, Vec<Option<u8>>) {
    let mut r = Xoshiro256pp::new(seed);
    let a: Vec<u8> = (0..len).map(|_| (r.next_u64() % 4) as u8).collect();
    let h = [0.15, 1.0, 0.35, -0.1];
    let full = smax(fmt.adc_bits) as f64;
    let scale = full / 3.0 / 1.7;
    let x = (0..len)
        .map(|n| {
            let mut v = 0.0;
            for (k, hk) in h.iter().enumerate() {
                if n + 1 >= k {
                    let i = n + 1 - k;
                    if i < len {
                        v += hk * (2.0 * a[i] as f64 - 3.0);
                    }
                }
            }
            let noise = (r.next_f64() - 0.5) * 0.4;
            ((v + noise) * scale)
                .round()
                .clamp(smin(fmt.adc_bits) as f64, full) as i16
        })
        .collect();
    let known = (0..len)
        .map(|n| {
            if n < fmt.ffe_main + 3 || r.next_u64() % 50 < 1 {
                None
            } else {
                Some(a[n - fmt.ffe_main])
            }
        })
        .collect();
    (x, known)
}

/// Training first, then runs of decision-directed, off and train words.
fn modes(seed: u64, words: usize) -> Vec<Mode> {
    let mut r = Xoshiro256pp::new(seed);
    let mut v = Vec::with_capacity(words);
    let mut m = Mode::Train;
    while v.len() < words {
        let run = 1 + (r.next_u64() % 60) as usize;
        for _ in 0..run {
            v.push(m);
        }
        m = match r.next_u64() % 10 {
            0..=5 => Mode::DecisionDirected,
            6..=7 => Mode::Off,
            _ => Mode::Train,
        };
    }
    v.truncate(words);
    v
}

/// Runs of word steps: mostly the finest (0), stretches of coarser ones
/// (every value the `s_axis_tstep` field holds, above `mu` too: those act
/// as `mu`), changing at random word boundaries; all 0 with `mu = 0`.
fn steps(seed: u64, words: usize, mu: u32) -> Vec<u32> {
    if mu == 0 {
        return vec![0; words];
    }
    let top = 1u64 << proto::regmap::step_bits(mu);
    let mut r = Xoshiro256pp::new(seed);
    let mut v = Vec::with_capacity(words);
    while v.len() < words {
        let run = 1 + (r.next_u64() % 40) as usize;
        let s = if r.next_u64() & 1 == 0 {
            0
        } else {
            (r.next_u64() % top) as u32
        };
        v.resize(v.len() + run, s);
    }
    v.truncate(words);
    v
}

/// A start from a scaled main tap, the others small, a threshold near the level.
fn init(fmt: &RxFormat) -> RxCoeffs {
    let mut c = RxCoeffs::pass_through(fmt, 0);
    let unity = c.ffe[fmt.ffe_main];
    c.ffe[fmt.ffe_main] = (unity * 2).min(smax(fmt.ffe_coef_bits) as i32);
    for (k, v) in c.ffe.iter_mut().enumerate() {
        if k != fmt.ffe_main {
            *v = (k as i32 % 3) - 1;
        }
    }
    c.threshold = (smax(fmt.ffe_out_bits) / 3) as i32;
    c
}

struct Case {
    p: usize,
    n: usize,
    main: usize,
    m: usize,
    precode: bool,
    delay: usize,
    block: BlockRule,
    leak: u32,
    mu: u32,
}

fn cases() -> Vec<Case> {
    let c = |p, n, main, m, precode, delay, block, leak, mu| Case {
        p,
        n,
        main,
        m,
        precode,
        delay,
        block,
        leak,
        mu,
    };
    use BlockRule::{RoundRobin as Rr, Sum};
    vec![
        c(4, 8, 2, 0, false, 0, Sum, 0, 3),
        c(8, 16, 3, 1, true, 2, Sum, 10, 4),
        c(16, 12, 3, 2, false, 24, Rr, 0, 2),
        c(8, 8, 2, 2, true, 5, Rr, 6, 3),
        c(4, 6, 1, 1, false, 40, Sum, 0, 5),
        c(16, 16, 3, 1, true, 1, Sum, 8, 6),
    ]
}

fn run(cases: &[Case], words: usize, every: u64) {
    if !testkit::have_verilator() {
        return;
    }
    for (i, c) in cases.iter().enumerate() {
        let fmt = RxFormat {
            ffe_taps: c.n,
            ffe_main: c.main,
            dfe_taps: c.m,
            precode: c.precode,
            ..RxFormat::default()
        };
        let params = HwAdaptParams {
            parallel: c.p,
            mu_shift: c.mu,
            delay: c.delay,
            leak_shift: c.leak,
            block: c.block,
        };
        let len = words * c.p;
        let (x, known) = stimulus(100 + i as u64, &fmt, len);
        let md = modes(200 + i as u64, words);
        let sp = steps(250 + i as u64, words, c.mu);
        let st = Stimulus {
            samples: &x,
            known: &known,
            modes: &md,
            steps: &sp,
        };
        let bp = if i % 3 == 2 {
            Backpressure::None
        } else {
            Backpressure::Random {
                seed: 300 + i as u64,
                p_valid: 0.8,
                p_ready: 0.7,
            }
        };
        let rep = cosim_adaptive(&fmt, &init(&fmt), &params, &st, &bp, every).unwrap();
        let tag = format!(
            "case {i}: P={} N={} M={} precode={} D={} {} leak={}",
            c.p, c.n, c.m, c.precode, c.delay, c.block, c.leak
        );
        assert!(rep.tap_points > 10, "{tag}: {} tap points", rep.tap_points);
        assert!(
            rep.passed(),
            "{tag}: symbols {} bad (first {:?}), taps {} of {} bad (first {:?}), final {}",
            rep.symbol_mismatches,
            rep.first_symbol_mismatch,
            rep.tap_mismatches,
            rep.tap_points,
            rep.first_tap_mismatch,
            rep.final_match
        );
        // full rate: with D at least the engine's minimum, the ready never drops
        if bp == Backpressure::None && c.delay >= rtl::adapt::min_full_rate_delay(&fmt, c.p) {
            let bound = (words + rtl::latency(&fmt, c.p) + 16) as u64;
            assert!(
                rep.cycles <= bound,
                "{tag}: {} cycles > {bound}",
                rep.cycles
            );
        }
        // the engine moved the taps
        let fin = rep.final_coeffs.unwrap();
        assert_ne!(fin, init(&fmt), "{tag}: taps never moved");
    }
}

/// The matrix at a few 10^4 symbols per configuration, taps every 16 updates.
#[test]
fn adaptive_matrix_is_bit_exact() {
    run(&cases(), 3000, 16);
}

/// The matrix at 10^6 symbols per configuration, taps every 64 updates.
#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn adaptive_matrix_one_million_symbols() {
    for c in cases() {
        let words = 1_000_000 / c.p;
        run(&[c], words, 64);
    }
}

/// The comparison catches an engine that differs from the model: the RTL
/// generated with D + 1 (or a coarser step) against the model with D.
#[test]
fn a_different_engine_is_caught() {
    if !testkit::have_verilator() {
        return;
    }
    let fmt = RxFormat {
        ffe_taps: 6,
        ffe_main: 1,
        dfe_taps: 1,
        ..RxFormat::default()
    };
    let gold_params = HwAdaptParams {
        parallel: 4,
        mu_shift: 3,
        delay: 3,
        leak_shift: 0,
        block: BlockRule::Sum,
    };
    let (x, known) = stimulus(9, &fmt, 4 * 2000);
    let md = modes(10, 2000);
    let st = Stimulus {
        samples: &x,
        known: &known,
        modes: &md,
        steps: &steps(13, 2000, 3),
    };
    let c = init(&fmt);
    let gold = sim::adapt::golden_adaptive(&fmt, &c, &gold_params, &st, 8).unwrap();
    for rtl_params in [
        HwAdaptParams {
            delay: 4,
            ..gold_params.clone()
        },
        HwAdaptParams {
            mu_shift: 4,
            ..gold_params.clone()
        },
    ] {
        let mut model = sim::adapt::build_adaptive_model(&fmt, &rtl_params).unwrap();
        let bp = Backpressure::cycle_1110();
        let rtl = sim::adapt::run_adaptive(&mut model, &fmt, &c, &rtl_params, &st, &bp, 8).unwrap();
        let rep = sim::adapt::compare_adaptive(&rtl, &gold);
        assert!(
            rep.tap_mismatches > 0 && !rep.passed(),
            "{rtl_params:?} not caught"
        );
    }
}

/// The full-rate minimum of the delay is exact: with D = min a stream that
/// never stalls takes one word per clock; with D = min - 1 the engine's
/// ready drops (and the result stays bit-exact).
#[test]
fn full_rate_from_the_minimum_delay() {
    if !testkit::have_verilator() {
        return;
    }
    let fmt = RxFormat {
        ffe_taps: 8,
        ffe_main: 2,
        dfe_taps: 1,
        ..RxFormat::default()
    };
    let p = 4;
    let min = rtl::adapt::min_full_rate_delay(&fmt, p);
    let words = 3000;
    let (x, known) = stimulus(11, &fmt, words * p);
    let md = modes(12, words);
    let st = Stimulus {
        samples: &x,
        known: &known,
        modes: &md,
        steps: &steps(14, words, 4),
    };
    let bound = (words + rtl::latency(&fmt, p) + 16) as u64;
    for (delay, full) in [(min, true), (min - 1, false)] {
        let params = HwAdaptParams {
            parallel: p,
            mu_shift: 4,
            delay,
            leak_shift: 0,
            block: BlockRule::Sum,
        };
        let rep = cosim_adaptive(&fmt, &init(&fmt), &params, &st, &Backpressure::None, 16).unwrap();
        assert!(rep.passed(), "D = {delay}: {rep:?}");
        assert_eq!(
            rep.cycles <= bound,
            full,
            "D = {delay}: {} cycles",
            rep.cycles
        );
    }
}
