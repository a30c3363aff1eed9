//! The realistic link (issue 16): defaults untouched, the oversampled
//! channel consistent with the baud-rate one, jitter against its closed
//! form, the CDR against its loop transfer function, shards exact, bad
//! input refused with one line.

use golden::config::{CdrKind, Config};
use golden::link::{run, Batch, RunOptions, SampleStream, CHUNK};
use golden::shard::{merge, run_shard};

fn base() -> Config {
    let mut c = Config::default();
    c.link.symbols = 200_000;
    c
}

/// The default configuration has no realism; asking for S = 1 explicitly changes nothing.
#[test]
fn defaults_are_the_baud_rate_model() {
    let p = Config::default().resolve().unwrap();
    assert!(p.realism.is_none());
    let mut c = base();
    c.channel.samples_per_ui = 1;
    let a = run(&c.resolve().unwrap(), &RunOptions::default()).unwrap();
    let b = run(&base().resolve().unwrap(), &RunOptions::default()).unwrap();
    assert_eq!(a.report.pre_fec.bit_errors, b.report.pre_fec.bit_errors);
    assert!(a.report.realism.is_none() && a.report.cdr.is_none());
}

/// At 32 samples per UI and the nominal instant, without jitter, the link
/// sees the baud-rate preset's pulse: same taps, same errors within noise.
#[test]
fn oversampled_preset_at_nominal_phase_is_the_baud_rate_link() {
    let mut c = base();
    c.channel.samples_per_ui = 32;
    c.channel.snr_db = 24.0;
    let p = c.resolve().unwrap();
    let q = {
        let mut c = base();
        c.channel.snr_db = 24.0;
        c.resolve().unwrap()
    };
    let off = p.pulse.main - q.pulse.main;
    for (j, &t) in q.pulse.taps.iter().enumerate() {
        assert!((p.pulse.taps[off + j] - t).abs() < 1e-12, "tap {j}");
    }
    let a = run(&p, &RunOptions::default()).unwrap().report;
    let b = run(&q, &RunOptions::default()).unwrap().report;
    let (ea, eb) = (a.pre_fec.bit_errors as f64, b.pre_fec.bit_errors as f64);
    assert!(eb > 100.0, "{eb}");
    assert!((ea - eb).abs() < 5.0 * (ea + eb).sqrt(), "{ea} vs {eb}");
}

/// A sampling phase away from the peak lowers the main cursor.
#[test]
fn adc_phase_moves_the_instant() {
    let mut c = base();
    c.channel.samples_per_ui = 32;
    let p0 = c.resolve().unwrap();
    c.adc.phase = 0.25;
    let p1 = c.resolve().unwrap();
    assert!(p1.pulse.taps[p1.pulse.main] < p0.pulse.taps[p0.pulse.main]);
    // the linear interpolation's error bound at 32 samples per UI is small
    let e = p0.realism.as_ref().unwrap().interp_error;
    eprintln!("interpolation error bound at 32/UI: {e:.2e}");
    assert!(e < 1e-3 * p0.pulse.taps[p0.pulse.main], "{e}");
}

fn q(x: f64) -> f64 {
    0.5 * libm::erfc(x / std::f64::consts::SQRT_2)
}

/// RJ only on an ideal (triangular) pulse, no noise: the symbol error ratio
/// of a fixed slicer on the ADC codes equals the closed form for Gaussian
/// sampling jitter on the known slope, within 5 sigma of the count.
#[test]
fn random_jitter_matches_closed_form() {
    let s = 8usize;
    // h(t) = 1 - |t| for |t| < 1 UI at 8 samples per UI: exact under linear interpolation
    let taps: Vec<f64> = (0..2 * s)
        .map(|i| 1.0 - (i as f64 - s as f64).abs() / s as f64)
        .collect();
    let sigma = 0.09;
    let mut c = base();
    c.channel.preset = None;
    c.channel.taps = Some(taps);
    c.channel.main = Some(s as i64);
    c.channel.samples_per_ui = s as i64;
    c.channel.snr_db = 200.0;
    c.adc.full_scale = Some(1.0);
    c.jitter.rj_ui = sigma;
    let p = c.resolve().unwrap();
    let n = 8 * CHUNK;
    let mut b = Batch::default();
    SampleStream::new(&p, 2).next_batch(n, &mut b);
    // the slicer on codes: thresholds at codes 85, 0, -85 (analog 84.5/128, -0.5/128, -85.5/128)
    let decide = |x: i16| -> u8 {
        if x >= 85 {
            3
        } else if x >= 0 {
            2
        } else if x >= -85 {
            1
        } else {
            0
        }
    };
    let m = p.pulse.main;
    let mut errors = 0u64;
    let mut count = 0u64;
    for i in m + 10..n {
        count += 1;
        if decide(b.samples[i]) != b.levels[i - m] {
            errors += 1;
        }
    }
    // closed form: v(e) = a_n + |e| (a_side - a_n), side = next symbol for e > 0
    let lv = [-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0];
    let bounds = [
        (f64::NEG_INFINITY, -85.5 / 128.0),
        (-85.5 / 128.0, -0.5 / 128.0),
        (-0.5 / 128.0, 84.5 / 128.0),
        (84.5 / 128.0, f64::INFINITY),
    ];
    let mut ser = 0.0;
    for a in 0..4 {
        for side in 0..4 {
            let d = lv[side] - lv[a];
            let (lo, hi) = bounds[a];
            // one side of e (probability mass on e > 0 or e < 0 by symmetry)
            let p_side = if d > 0.0 {
                q((hi - lv[a]) / d / sigma)
            } else if d < 0.0 {
                q((lv[a] - lo) / -d / sigma)
            } else {
                0.0
            };
            // both the next and the previous symbol are uniform and independent
            ser += 2.0 * p_side / 16.0;
        }
    }
    let expect = ser * count as f64;
    let e = errors as f64;
    assert!(expect > 1000.0, "{expect}");
    assert!(
        (e - expect).abs() < 5.0 * expect.sqrt(),
        "measured {errors} errors in {count}, closed form {expect:.0}"
    );
}

fn cdr_config(sj_ui: f64, sj_freq: f64) -> Config {
    let mut c = base();
    c.link.symbols = 400_000;
    c.channel.preset = Some("lpo-host-8db".into());
    c.channel.samples_per_ui = 32;
    c.channel.snr_db = 21.0;
    c.cdr.kind = CdrKind::Mm;
    c.cdr.kp_shift = 0;
    c.cdr.ki_shift = 8;
    c.jitter.sj_ui = sj_ui;
    c.jitter.sj_freq = sj_freq;
    c
}

/// SJ well below the loop bandwidth is tracked (the BER stays), well above
/// it is not (the BER rises), and the loop phase's spread is what the
/// linearized tracking |H(f)| predicts.
#[test]
fn cdr_tracks_slow_jitter_not_fast() {
    let p0 = cdr_config(0.0, 0.0).resolve().unwrap();
    let c = p0.realism.as_ref().unwrap().cdr.clone().unwrap();
    let bw = c.bandwidth_hz;
    assert!(bw > 5e6 && bw < 1e9, "bandwidth {bw}");
    let baud = 53.125e9;
    let (f_lo, f_hi) = (bw / 30.0, bw * 30.0);
    assert!(c.tracking(f_lo / baud) > 0.97 && c.tracking(f_hi / baud) < 0.1);
    let amp = 0.2;
    let r0 = run(&p0, &RunOptions::default()).unwrap().report;
    let lo = run(
        &cdr_config(amp, f_lo).resolve().unwrap(),
        &RunOptions::default(),
    )
    .unwrap()
    .report;
    let hi = run(
        &cdr_config(amp, f_hi).resolve().unwrap(),
        &RunOptions::default(),
    )
    .unwrap()
    .report;
    let e0 = r0.pre_fec.bit_errors as f64;
    let elo = lo.pre_fec.bit_errors as f64;
    let ehi = hi.pre_fec.bit_errors as f64;
    assert!(e0 > 50.0, "baseline {e0}");
    assert!(r0.cdr.as_ref().unwrap().locked);
    assert!(elo < 1.5 * e0 + 5.0 * e0.sqrt(), "slow SJ: {elo} vs {e0}");
    assert!(ehi > 3.0 * e0, "fast SJ: {ehi} vs {e0}");
    // the loop follows the slow SJ: phase std = amp / sqrt 2 |H|
    let want = amp / 2f64.sqrt() * c.tracking(f_lo / baud);
    let got = lo.cdr.as_ref().unwrap().phase_std_ui.unwrap();
    assert!(
        (got - want).abs() < 0.15 * want,
        "slow: std {got} vs {want}"
    );
    // the amplitude of the loop phase's component at the SJ frequency is the
    // SJ amplitude times |H(f)|: about all of it for the slow SJ, little of the fast
    let comp = |r: &golden::cdr::CdrReport, f: f64| {
        let t = &r.trajectory;
        let k0 = t.phase_ui.len() / 10;
        let (mut a, mut b, mut n) = (0.0, 0.0, 0.0);
        for (k, &v) in t.phase_ui.iter().enumerate().skip(k0) {
            let w = 2.0 * std::f64::consts::PI * f / baud * (k as f64 * t.every_symbols as f64);
            a += v * w.sin();
            b += v * w.cos();
            n += 1.0;
        }
        2.0 * (a * a + b * b).sqrt() / n
    };
    let slow = comp(lo.cdr.as_ref().unwrap(), f_lo);
    let fast = comp(hi.cdr.as_ref().unwrap(), f_hi);
    assert!(
        (slow - amp * c.tracking(f_lo / baud)).abs() < 0.15 * amp,
        "slow: {slow}"
    );
    assert!(fast < 0.25 * amp, "fast: {fast}");
    assert!(!hi.cdr.as_ref().unwrap().locked);
}

/// Jitter and CTLE-shaped noise shard exactly; the loop is refused.
#[test]
fn realism_shards_exactly_and_cdr_refuses() {
    let mut c = base();
    c.channel.samples_per_ui = 16;
    c.channel.snr_db = 22.0;
    c.ctle.preset = Some("802.3ck".into());
    c.ctle.g_dc = Some(-4.0);
    c.jitter.rj_ui = 0.02;
    c.jitter.dj_ui = 0.05;
    c.jitter.sj_ui = 0.1;
    c.jitter.sj_freq = 1e8;
    let len = 2 * CHUNK as u64;
    c.link.symbols = (3 * len) as i64;
    let plan = c.resolve().unwrap();
    let whole = run(&plan, &RunOptions::default()).unwrap().report;
    let parts: Vec<_> = (0..3)
        .map(|j| run_shard(&plan, len, j, 2).unwrap())
        .collect();
    let m = merge(&parts).unwrap();
    assert!(whole.pre_fec.bit_errors > 10);
    assert_eq!(m.bit_errors, whole.pre_fec.bit_errors);
    assert_eq!(m.bits, whole.pre_fec.bits);
    let mut c = cdr_config(0.0, 0.0);
    c.link.symbols = len as i64;
    let plan = c.resolve().unwrap();
    let e = run_shard(&plan, len, 0, 1).unwrap_err().to_string();
    assert!(e.contains("cdr.kind"), "{e}");
}

/// The CTLE gain search picks a gain the figure prefers over no peaking.
#[test]
fn ctle_search_chooses_a_gain() {
    let mut c = base();
    c.channel.preset = Some("lpo-host-22db".into());
    c.channel.samples_per_ui = 16;
    c.ffe.taps = 4;
    c.ffe.main = Some(1);
    c.ctle.preset = Some("802.3ck".into());
    c.ctle.search = true;
    let p = c.resolve().unwrap();
    let r = p.realism.unwrap();
    let s = r.ctle_search.unwrap();
    assert_eq!(s.tried, 21 * 7);
    assert!(
        s.g_dc < 0.0,
        "a short FFE on 22 dB wants CTLE peaking: {s:?}"
    );
}

/// Bad input: one line naming the key.
#[test]
fn bad_input_names_the_key() {
    type Edit = Box<dyn Fn(&mut Config)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "channel.samples_per_ui = 3",
            Box::new(|c| c.channel.samples_per_ui = 3),
        ),
        (
            "channel.samples_per_ui = 128",
            Box::new(|c| c.channel.samples_per_ui = 128),
        ),
        (
            "jitter.rj_ui = -0.1",
            Box::new(|c| {
                c.channel.samples_per_ui = 32;
                c.jitter.rj_ui = -0.1
            }),
        ),
        (
            "ctle.f_p1 = 0",
            Box::new(|c| {
                c.channel.samples_per_ui = 32;
                c.ctle.preset = Some("802.3ck".into());
                c.ctle.f_p1 = Some(0.0)
            }),
        ),
        (
            "needs channel.samples_per_ui >= 8",
            Box::new(|c| c.jitter.rj_ui = 0.01),
        ),
        (
            "cannot lock",
            Box::new(|c| {
                c.channel.samples_per_ui = 32;
                c.cdr.kind = CdrKind::Mm;
                c.cdr.kp_shift = 0;
                c.cdr.ki_shift = 0;
            }),
        ),
        (
            "cannot lock",
            Box::new(|c| {
                c.channel.samples_per_ui = 32;
                c.cdr.kind = CdrKind::Mm;
                c.cdr.kp_shift = 40;
                c.cdr.ki_shift = 60;
            }),
        ),
    ];
    for (want, f) in cases {
        let mut c = base();
        f(&mut c);
        let e = c.resolve().unwrap_err().to_string();
        assert!(e.contains(want), "{want}: {e}");
        assert!(!e.contains('\n'), "{e}");
    }
}

/// A Touchstone channel at 16 samples per UI against the closed form: a
/// double real pole `1/(1 + j f/f_c)^2` driven by a 1-UI rectangle has the
/// pulse `s(t) - s(t - T)`, `s(t) = 1 - e^{-t/tau} (1 + t/tau)`: within 1 %
/// of the main cursor everywhere.
#[test]
fn touchstone_pulse_at_s_matches_closed_form() {
    let baud = 53.125e9;
    let fc = baud / 3.0;
    let mut text = String::from("! two poles\n# Hz S RI R 50\n");
    let mut f = 5e7;
    while f <= 6.0 * baud {
        let h = num_complex::Complex64::new(1.0, f / fc).powi(-2);
        text += &format!(
            "{f:.6e} 0 0 {:.15e} {:.15e} {:.15e} {:.15e} 0 0\n",
            h.re, h.im, h.re, h.im
        );
        f += 5e7;
    }
    let s = 16usize;
    let mut c = base();
    c.channel.preset = None;
    c.channel.touchstone = Some("two-poles.s2p".into());
    c.channel.samples_per_ui = s as i64;
    let p = c.resolve_with(Some(&text)).unwrap();
    let w = &p.realism.unwrap().wave;
    let tau = 1.0 / (2.0 * std::f64::consts::PI * fc) * baud; // in UI
    let step = |t: f64| {
        if t <= 0.0 {
            0.0
        } else {
            1.0 - (-t / tau).exp() * (1.0 + t / tau)
        }
    };
    let pulse = |t: f64| step(t) - step(t - 1.0);
    // the waveform's time origin is a whole number of samples: find it
    // (sample i at t = (i - peak + m) / S + 1 UI, the closed form peaking near 1 UI)
    let peak = w.h[w.peak];
    let best = (-(4 * s as i64)..(4 * s as i64))
        .map(|m| {
            w.h.iter()
                .enumerate()
                .map(|(i, &v)| {
                    let t = (i as f64 - w.peak as f64 + m as f64) / s as f64 + 1.0;
                    (v - pulse(t)).abs()
                })
                .fold(0.0f64, f64::max)
        })
        .fold(f64::INFINITY, f64::min);
    eprintln!("touchstone at {s}/UI: max error {best:.2e} of main cursor {peak:.4}");
    // the waveform is not cut: it starts at the causal pulse's onset (its
    // first sample no larger than the closed form one sample after t = 0)
    // and ends below the trim level (a span trimmed on the taps of the
    // peak's phase cut the leading edge: 4.4 % of the peak; found against PyBERT)
    let (first, last) = (w.h[0].abs(), w.h[w.h.len() - 1].abs());
    assert!(
        first <= 1.5 * pulse(1.0 / s as f64) && last < 0.003 * peak,
        "ends {first} {last} of {peak}"
    );
    assert!(
        best < 0.01 * peak,
        "max error {best} against main cursor {peak}"
    );
}

/// Moving the fixed instant (the horizontal bathtub's runs): no move is the
/// plan itself; half a UI away the fixed equalizer makes many more errors.
#[test]
fn moved_instant_for_the_horizontal_bathtub() {
    use golden::eq::{Engine, Equalizer};
    use golden::realism::at_offset;
    let mut c = base();
    c.channel.samples_per_ui = 16;
    c.channel.snr_db = 30.0;
    c.jitter.rj_ui = 0.01;
    let p = c.resolve().unwrap();
    let same = at_offset(&p, 0.0).unwrap();
    assert_eq!(same.pulse, p.pulse);
    assert!(at_offset(&p, 0.7).is_none());
    let coeffs = run(&p, &RunOptions::default()).unwrap().coeffs;
    let ser = |off: f64| {
        let q = at_offset(&p, off).unwrap();
        let n = 4 * CHUNK;
        let mut b = Batch::default();
        SampleStream::new(&q, 1).next_batch(n, &mut b);
        let mut eq = Equalizer::new(&q.format, &coeffs, Engine::Fast).unwrap();
        let (mut lv, mut data) = (vec![0u8; n], vec![0u8; n]);
        eq.process(&b.samples, &mut lv, &mut data);
        let d = q.pulse.main + q.format.ffe_main;
        (d + 100..n).filter(|&i| lv[i] != b.levels[i - d]).count() as f64 / n as f64
    };
    let (s0, s4) = (ser(0.0), ser(0.4));
    assert!(s4 > 10.0 * s0.max(1e-5), "{s0} {s4}");
    assert!(s0 < 1e-2, "{s0}");
}

/// The real eye's waveform: on the ideal channel (a 1-UI rectangle) at 8
/// samples per UI, without noise, every sample is the level of the symbol
/// whose UI it lies in, and the window starts half a UI before an instant.
#[test]
fn eye_waveform_of_the_ideal_channel_is_the_symbol_levels() {
    let mut c = base();
    c.channel.preset = Some("ideal".into());
    c.channel.taps = None;
    c.channel.samples_per_ui = 8;
    let p = c.resolve().unwrap();
    let r = p.realism.as_ref().expect("oversampled link");
    let e = golden::realism::eye_waveform(r, 0.0, 50, 7);
    assert_eq!(e.samples.len(), 400);
    assert_eq!(e.thresholds, [-2.0 / 3.0, 0.0, 2.0 / 3.0]);
    let lv = [-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0];
    for (n, &y) in e.samples.iter().enumerate() {
        assert!(lv.iter().any(|l| (l - y).abs() < 1e-12), "sample {n}: {y}");
    }
    // the window starts half a UI before an instant, which is the UI's edge
    // here: the level changes only between samples 8k - 1 and 8k
    for n in 1..e.samples.len() {
        if e.samples[n] != e.samples[n - 1] {
            assert_eq!(n % 8, 0, "a level change inside a UI at sample {n}");
        }
    }
    // with noise: the spread at the instants is the noise
    let e = golden::realism::eye_waveform(r, 0.05, 4000, 7);
    let dev: Vec<f64> = e
        .samples
        .iter()
        .skip(4)
        .step_by(8)
        .map(|&y| {
            let l = lv
                .iter()
                .min_by(|a, b| (*a - y).abs().total_cmp(&(*b - y).abs()))
                .unwrap();
            y - l
        })
        .collect();
    let sd = (dev.iter().map(|d| d * d).sum::<f64>() / dev.len() as f64).sqrt();
    assert!((sd - 0.05).abs() < 0.005, "{sd}");
}
