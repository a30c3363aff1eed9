//! The emulator's arithmetic (`link.model = "emulator"`, `golden::emu`):
//! a naive re-computation of its samples from the definition, the noise
//! table's tails against Q(k), and its statistics against the reference
//! model's at three SNRs on two presets; the error injector
//! (`link.inject_every`) by its definition and by the errors a whole run counts.

use golden::config::{Config, LinkModel};
use golden::emu::{injected, lane_seed, EmuPlan, EmuStream, NoiseTable, NOISE_TABLE_LEN};
use golden::link::{run, Batch, RunOptions};
use golden::pam4::Mapper;
use golden::prbs::SymbolSource;
use golden::rng::Xoshiro256pp;

fn config(preset: &str, snr_db: f64, symbols: i64, model: LinkModel) -> Config {
    let mut c = Config::default();
    c.channel.preset = Some(preset.into());
    c.channel.snr_db = snr_db;
    c.link.symbols = symbols;
    c.link.model = model;
    c
}

/// The samples from the definition in the module docs, one at a time with
/// the whole history: `y = sum_j H[j] a[k-j]` (idle level index 0 before
/// the start), the noise by a plain scan of the thresholds from lane
/// `k mod P`'s generator, shifted, then `floor((v + 2^F/2) / 2^F)` clamped;
/// symbol `k` with `k mod K == K - 1` sent at level index XOR 1.
fn naive_samples(c: &Config, n: usize) -> Vec<i16> {
    let plan = c.resolve().unwrap();
    let e = EmuPlan::new(&plan).unwrap();
    let mut data = vec![0u8; n];
    SymbolSource::new(plan.pattern, plan.seed).fill(&mut data);
    Mapper::new(plan.format.precode).map(&mut data);
    let k_inj = c.link.inject_every as u64;
    let a: Vec<i64> = data
        .iter()
        .enumerate()
        .map(|(k, &l)| {
            let l = if k_inj > 0 && k as u64 % k_inj == k_inj - 1 {
                l ^ 1
            } else {
                l
            };
            2 * l as i64 - 3
        })
        .collect();
    let mut lanes: Vec<Xoshiro256pp> = (0..plan.parallel)
        .map(|l| Xoshiro256pp::new(lane_seed(plan.seed, l)))
        .collect();
    let (lo, hi) = (-(1i64 << (e.adc_bits - 1)), (1i64 << (e.adc_bits - 1)) - 1);
    (0..n)
        .map(|k| {
            let y: i64 = (0..e.taps.len())
                .map(|j| e.taps[j] as i64 * if k >= j { a[k - j] } else { -3 })
                .sum();
            let r = lanes[k % plan.parallel].next_u64();
            let noise = e.noise.sample_naive(r) as i64 * (1i64 << e.noise_shift);
            let q = (y + noise + (1i64 << e.frac) / 2).div_euclid(1i64 << e.frac);
            q.clamp(lo, hi) as i16
        })
        .collect()
}

#[test]
fn stream_matches_the_definition_across_batches() {
    for (preset, snr, p, bits, inject, precode) in [
        ("lpo-host-16db", 22.0, 8, 8, 0, false),
        ("lpo-host-8db", 30.0, 4, 6, 0, false),
        ("ideal", 14.0, 1, 10, 0, false),
        ("lpo-host-16db", 22.0, 8, 8, 8, true),
        ("lpo-host-8db", 30.0, 4, 6, 4093, false),
        ("ideal", 14.0, 1, 10, 3, true),
    ] {
        let mut c = config(preset, snr, 1, LinkModel::Emulator);
        c.rtl.parallel = p;
        c.adc.bits = bits;
        c.link.inject_every = inject;
        c.tx.precode = precode;
        let n = 40_000;
        let want = naive_samples(&c, n);
        let mut s = EmuStream::new(&c.resolve().unwrap()).unwrap();
        let mut got = Vec::new();
        let mut b = Batch::default();
        // odd batch sizes: the history and the lane index carry over
        for len in [1, 7, 4093, 12_000, n - 1 - 7 - 4093 - 12_000] {
            s.next_batch(len, &mut b);
            got.extend_from_slice(&b.samples);
        }
        assert_eq!(got, want, "{preset} snr {snr} P {p} adc {bits} K {inject}");
        // the batches' levels are what was sent, not what the injector made of them
        let plan = c.resolve().unwrap();
        let mut sent = vec![0u8; n];
        SymbolSource::new(plan.pattern, plan.seed).fill(&mut sent);
        Mapper::new(plan.format.precode).map(&mut sent);
        assert_eq!(&b.levels[..], &sent[n - b.levels.len()..]);
        // the noise is there and both rails are reached at low SNR on 6 bits
        assert!(got.windows(2).any(|w| w[0] != w[1]));
    }
}

/// The generator's tail at 7 sigma, from its thresholds, is Q(7) within 10 %
/// (it is within 1e-6 by construction; a rounding of the table to 32 bits or
/// a table that stops at 6 sigma fails), and the table reaches 9 sigma.
#[test]
fn noise_tails_follow_q_to_nine_sigma() {
    for sigma in [5.0, 20.0, 58.7, 107.0] {
        let t = NoiseTable::gaussian(sigma).unwrap();
        assert!(t.thresholds().len() <= NOISE_TABLE_LEN);
        assert!(
            t.reach_sigmas() >= 9.0,
            "sigma {sigma}: {}",
            t.reach_sigmas()
        );
        let rows = t.accuracy(9);
        let r7 = rows[6];
        assert_eq!(r7.k, 7);
        assert!(
            r7.rel_error.abs() < 0.10,
            "sigma {sigma}: P(n >= 7 sigma) {} vs Q {} ({:+.2e})",
            r7.generator,
            r7.gaussian,
            r7.rel_error
        );
        for r in &rows[..7] {
            assert!(
                r.rel_error.abs() < 1e-6,
                "sigma {sigma} k {}: {:+e}",
                r.k,
                r.rel_error
            );
        }
        // 9 sigma is within a few units of 2^-64 (Q(9) = 1.1e-19 = 2.1 / 2^64)
        assert!(rows[8].generator > 0.0);
    }
}

/// Draws agree with the table: 10^6 draws at sigma 20 give P(|n| >= 2 sigma)
/// within 5 binomial sigmas, and the mean and variance of N(0, sigma^2 + 1/12).
#[test]
fn noise_draws_are_gaussian() {
    let sigma = 20.0;
    let t = NoiseTable::gaussian(sigma).unwrap();
    let mut r = Xoshiro256pp::new(77);
    let n = 1_000_000;
    let (mut s1, mut s2, mut beyond) = (0f64, 0f64, 0u64);
    for _ in 0..n {
        let v = t.sample(r.next_u64()) as f64;
        s1 += v;
        s2 += v * v;
        beyond += (v.abs() >= 2.0 * sigma) as u64;
    }
    let mean = s1 / n as f64;
    let var = s2 / n as f64 - mean * mean;
    assert!(mean.abs() < 5.0 * sigma / (n as f64).sqrt(), "mean {mean}");
    let want_var = sigma * sigma + 1.0 / 12.0;
    assert!(
        (var / want_var - 1.0).abs() < 0.01,
        "var {var} vs {want_var}"
    );
    let p = 2.0 * t.upper_tail(40);
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    assert!(
        (beyond as f64 - n as f64 * p).abs() < 5.0 * sd,
        "{beyond} vs {}",
        n as f64 * p
    );
}

/// Symbol errors and their variance from the burst histogram (bursts are the
/// independent events: a DFE error propagates).
fn errors_and_var(c: &Config) -> (f64, f64) {
    let r = run(&c.resolve().unwrap(), &RunOptions::default()).unwrap();
    let e = r.report.pre_fec.symbol_errors.unwrap() as f64;
    let var: f64 = r
        .report
        .bursts
        .histogram
        .iter()
        .enumerate()
        .map(|(len, &count)| count as f64 * (len * len) as f64)
        .sum();
    (e, var.max(e))
}

/// The emulator's integers (18-bit taps, table noise, integer ADC) give the
/// reference model's error rate within 5 standard deviations plus 2 %, at
/// three SNRs on two presets (pre-FEC SER from ~1e-2 to ~1e-4).
#[test]
fn emulator_statistics_agree_with_the_reference() {
    for (preset, snrs) in [
        ("lpo-host-8db", [20.0, 22.0, 24.0]),
        ("lpo-host-16db", [24.0, 26.5, 29.0]),
    ] {
        for snr in snrs {
            let symbols = 3_000_000;
            let (a, va) = errors_and_var(&config(preset, snr, symbols, LinkModel::Reference));
            let (b, vb) = errors_and_var(&config(preset, snr, symbols, LinkModel::Emulator));
            let tol = 5.0 * (va + vb).sqrt() + 0.02 * a;
            eprintln!("{preset} snr {snr}: reference {a} emulator {b} (tolerance {tol:.0})");
            assert!(
                a > 100.0,
                "{preset} snr {snr}: too few errors ({a}) to compare"
            );
            assert!(
                (a - b).abs() <= tol,
                "{preset} snr {snr}: reference {a} emulator {b}, tolerance {tol:.0}"
            );
        }
    }
}

#[test]
fn configurations_beyond_the_emulator_are_refused() {
    // the noise table cannot cover 9 sigma of ~ 180 codes
    let mut c = config("lpo-host-16db", 10.0, 1000, LinkModel::Emulator);
    c.adc.bits = 14;
    let e = run(&c.resolve().unwrap(), &RunOptions::default())
        .err()
        .unwrap();
    let m = e.to_string();
    assert!(
        m.starts_with("link.model = \"emulator\": noise sigma = "),
        "{m}"
    );
    // more than 48 taps
    let mut c = config("ideal", 30.0, 1000, LinkModel::Emulator);
    c.channel.preset = None;
    c.channel.taps = Some((0..60).map(|i| if i == 1 { 1.0 } else { 0.01 }).collect());
    c.channel.main = Some(1);
    let m = run(&c.resolve().unwrap(), &RunOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(m.contains("60 taps") && m.contains("has 48"), "{m}");
}

/// The errors of a whole `rxdsp sim` run on a clean channel (ideal preset,
/// SNR 200 dB: the noise table is empty) with the injector at K = 1000 are
/// exactly the injected symbols the statistics see: `n` with
/// `warmup <= n + d < symbols` (`d` = `equalizer.delay`, warmup =
/// `skipped_symbols`). Without the precoder each is one symbol error, one bit
/// error and a burst of one. With it, the flipped level `p_n` is still one
/// level error, but the decoder's `g_i = (p_i + p_(i-1)) mod 4` takes it
/// into data symbols `n` and `n + 1`, each one Gray step (one bit) off: two
/// bit errors, counted where `n + 1 + d` is inside the window.
#[test]
fn injected_errors_are_exactly_counted() {
    for precode in [false, true] {
        let mut c = config("ideal", 200.0, 200_000, LinkModel::Emulator);
        c.tx.precode = precode;
        let clean = run(&c.resolve().unwrap(), &RunOptions::default()).unwrap();
        assert_eq!(
            clean.report.pre_fec.symbol_errors,
            Some(0),
            "precode {precode}"
        );
        assert_eq!(clean.report.pre_fec.bit_errors, 0);
        let k = 1000;
        c.link.inject_every = k as i64;
        let plan = c.resolve().unwrap();
        let r = run(&plan, &RunOptions::default()).unwrap().report;
        assert_eq!(r.channel.emulator.as_ref().unwrap().inject_every, k);
        assert_eq!(r.channel.emulator.as_ref().unwrap().noise_table_entries, 0);
        let d = r.equalizer.delay as u64;
        let warmup = r.skipped_symbols;
        let seen = |shift: u64| {
            (0..plan.symbols)
                .filter(|&n| injected(n, k))
                .filter(|&n| warmup <= n + shift + d && n + shift + d < plan.symbols)
                .count() as u64
        };
        let symbol_errors = seen(0);
        // n = 999, 1999, ..., 199999: the last is decided after the run's end
        assert_eq!(symbol_errors, 199, "K = 1000 over 200k symbols");
        assert_eq!(
            r.pre_fec.symbol_errors,
            Some(symbol_errors),
            "precode {precode}"
        );
        let bit_errors = if precode {
            seen(0) + seen(1)
        } else {
            symbol_errors
        };
        assert_eq!(r.pre_fec.bit_errors, bit_errors, "precode {precode}");
        assert_eq!(r.bursts.count, symbol_errors);
        assert_eq!(r.bursts.longest, 1);
    }
}

/// The injector needs the emulator model, at least `rtl.parallel`, and a
/// period that fits the register; shards refuse it with the emulator.
#[test]
fn injector_configurations_are_refused() {
    let err = |c: &Config| c.resolve().unwrap_err().to_string();
    let mut c = config("ideal", 30.0, 1000, LinkModel::Reference);
    c.link.inject_every = 1000;
    assert_eq!(
        err(&c),
        "link.inject_every = 1000 needs link.model = \"emulator\" (the reference model has no error injector)"
    );
    let mut c = config("ideal", 30.0, 1000, LinkModel::Emulator);
    c.link.inject_every = 7;
    assert_eq!(
        err(&c),
        "link.inject_every = 7 is below rtl.parallel = 8: the injector flips at most one symbol per clock word (0 = off, or at least 8)"
    );
    c.rtl.parallel = 4;
    assert_eq!(c.resolve().unwrap().inject_every, 7);
    c.link.inject_every = 1 << 48;
    assert_eq!(
        err(&c),
        "link.inject_every = 281474976710656 is out of range (0..=2^48 - 1, the emulator's register)"
    );
    c.link.inject_every = (1 << 48) - 1;
    assert_eq!(c.resolve().unwrap().inject_every, (1 << 48) - 1);
    c.link.inject_every = -1;
    assert!(err(&c).starts_with("link.inject_every = -1 is out of range"));
    c.link.inject_every = 0;
    c.link.model = LinkModel::Reference;
    assert_eq!(c.resolve().unwrap().inject_every, 0);
    // shards: the emulator model (and so the injector) runs whole
    c.link.model = LinkModel::Emulator;
    c.link.inject_every = 1000;
    let e = golden::shard::check_shardable(&c.resolve().unwrap(), golden::link::CHUNK as u64)
        .unwrap_err()
        .to_string();
    assert!(e.contains("emulator") && e.contains("run it whole"), "{e}");
}
