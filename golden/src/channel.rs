//! The channel: a pulse response at one sample per UI, additive white
//! Gaussian noise, and the ADC quantizer.
//!
//! ## Noise
//! `channel.snr_db` is the mean PAM4 symbol power (levels ±1, ±1/3, so 5/9)
//! over the noise variance, with the noise added at the channel output, before
//! the ADC: `sigma^2 = (5/9) / 10^(snr_db/10)`.
//!
//! ## ADC
//! A signed `bits`-bit quantizer with full scale `fs`:
//! `code = clamp(floor(v * 2^(bits-1) / fs + 1/2), -2^(bits-1), 2^(bits-1) - 1)`.
//!
//! ## Presets
//! Lossy presets are computed from a physical model of a host PCB channel at
//! 53.125 GBd (a 100G-per-lane PAM4 LPO host lane), see [`lossy_pulse`].

use crate::pam4::MEAN_SYMBOL_POWER;
use std::f64::consts::PI;
use std::sync::OnceLock;

/// The baud rate the presets model: 53.125 GBd (100GBASE-*R1 PAM4 lanes).
pub const PRESET_BAUD: f64 = 53.125e9;

/// A named channel preset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Preset {
    /// config name
    pub name: &'static str,
    /// what it models
    pub description: &'static str,
    /// insertion loss at Nyquist (dB), 0 for the ideal channel
    pub loss_db: f64,
}

/// Every preset `channel.preset` accepts.
pub const PRESETS: [Preset; 4] = [
    Preset { name: "ideal", description: "no ISI: a single unit cursor", loss_db: 0.0 },
    Preset {
        name: "lpo-host-8db",
        description: "short host trace of a 53.125 GBd 100G-LPO lane, 8 dB loss at 26.56 GHz",
        loss_db: 8.0,
    },
    Preset {
        name: "lpo-host-16db",
        description: "long host channel of a 53.125 GBd 100G-LPO lane (trace, via, connector), 16 dB loss at 26.56 GHz: needs FFE and DFE",
        loss_db: 16.0,
    },
    Preset {
        name: "lpo-host-22db",
        description: "worst-case host channel of a 53.125 GBd 100G-LPO lane, 22 dB loss at 26.56 GHz",
        loss_db: 22.0,
    },
];

/// Looks a preset up by name.
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// A sampled pulse response: `taps[main]` is the main cursor.
#[derive(Clone, Debug, PartialEq)]
pub struct Pulse {
    /// pulse response at one sample per UI
    pub taps: Vec<f64>,
    /// index of the main cursor
    pub main: usize,
}

impl Pulse {
    /// The pulse of a preset.
    pub fn from_preset(p: &Preset) -> Pulse {
        if p.loss_db == 0.0 {
            return Pulse {
                taps: vec![1.0],
                main: 0,
            };
        }
        static CACHE: OnceLock<Vec<Pulse>> = OnceLock::new();
        let all = CACHE.get_or_init(|| {
            PRESETS
                .iter()
                .map(|p| {
                    if p.loss_db == 0.0 {
                        Pulse {
                            taps: vec![1.0],
                            main: 0,
                        }
                    } else {
                        lossy_pulse(p.loss_db)
                    }
                })
                .collect()
        });
        let i = PRESETS
            .iter()
            .position(|q| q.name == p.name)
            .expect("preset from the table");
        all[i].clone()
    }

    /// A pulse from explicit taps; the main cursor is `main`, or the largest
    /// tap when `None`.
    pub fn from_taps(taps: Vec<f64>, main: Option<usize>) -> Pulse {
        let main = main.unwrap_or_else(|| {
            let mut best = 0;
            for (i, t) in taps.iter().enumerate() {
                if t.abs() > taps[best].abs() {
                    best = i;
                }
            }
            best
        });
        Pulse { taps, main }
    }

    /// Sum of |taps|: the peak of the noiseless output for levels in [-1, 1].
    pub fn peak(&self) -> f64 {
        self.taps.iter().map(|t| t.abs()).sum()
    }
}

/// The pulse seen through a transmit FFE `c = [c(-1), c(0), c(1)]` at UI
/// spacing: `q[n] = c(-1) p[n+1] + c(0) p[n] + c(1) p[n-1]`, one tap longer at
/// each end, the main cursor still at the same symbol (`q.main = p.main + 1`).
/// The FFE acts before the channel, so the noise (added at the channel
/// output) is not shaped by it: de-emphasis trades launch amplitude for ISI.
pub fn with_tx_ffe(p: &Pulse, c: &[f64; 3]) -> Pulse {
    let n = p.taps.len();
    let mut taps = vec![0.0; n + 2];
    for (i, &h) in p.taps.iter().enumerate() {
        // tap i of p lands on i + 1 (c(0)), i (c(-1): one UI earlier) and i + 2 (c(1))
        taps[i] += c[0] * h;
        taps[i + 1] += c[1] * h;
        taps[i + 2] += c[2] * h;
    }
    Pulse {
        taps,
        main: p.main + 1,
    }
}

/// Noise standard deviation for `snr_db` as the module docs define it.
pub fn noise_sigma(snr_db: f64) -> f64 {
    (MEAN_SYMBOL_POWER / 10f64.powf(snr_db / 10.0)).sqrt()
}

/// The continuous pulse response of [`lossy_pulse`]'s channel model on a
/// grid of `phases` samples per UI: 48 UI from 8 UI before the pulse's
/// start (`samples[i]` at `t = i / phases - 8` UI). The arithmetic is the
/// one [`lossy_pulse`] uses at 32 phases.
pub fn lossy_samples(loss_db: f64, phases: usize) -> Vec<f64> {
    let a_total = loss_db / (20.0 / std::f64::consts::LN_10); // nepers at Nyquist
    let a_s = 0.35 * a_total;
    let a_d = 0.65 * a_total;
    let fp = 0.75;
    let df = 1.0 / 512.0;
    let nf = (4.0 / df) as usize;
    // H(f) * sinc(f) at f = (i + 1/2) df (midpoint rule)
    let spectrum: Vec<(f64, f64, f64)> = (0..nf)
        .map(|i| {
            let f = (i as f64 + 0.5) * df;
            let u = f / 0.5;
            // skin: exp(-a_s (1+j) sqrt(u))
            let su = u.sqrt();
            let (mut re_ln, mut im_ln) = (-a_s * su, -a_s * su);
            // dielectric: (2 a_d / pi) * (j u) * (ln u + j pi/2) = (2 a_d/pi) * (-u pi/2 + j u ln u)
            re_ln += -a_d * u;
            im_ln += (2.0 * a_d / PI) * u * u.ln();
            // two poles at fp: 1/(1 + j f/fp)^2 -> magnitude and phase
            let x = f / fp;
            re_ln += -(1.0 + x * x).ln();
            im_ln += -2.0 * x.atan();
            let mag = re_ln.exp();
            let sinc = (PI * f).sin() / (PI * f);
            (f, mag * sinc, im_ln)
        })
        .collect();
    // p(t) = 2 * sum Re{ H(f) e^{j 2 pi f t} } df, t in UI, evaluated on a
    // grid of 1/phases UI by rotating one phasor per frequency
    let span = 48usize; // UIs evaluated
    let pre = 8.0; // UIs before t = 0 evaluated
    let npts = span * phases;
    let dt = 1.0 / phases as f64;
    let mut samples = vec![0.0f64; npts];
    for &(f, m, ph) in &spectrum {
        let a0 = ph - 2.0 * PI * f * pre;
        let (mut re, mut im) = (m * a0.cos(), m * a0.sin());
        let (sr, si) = ((2.0 * PI * f * dt).cos(), (2.0 * PI * f * dt).sin());
        for s in samples.iter_mut() {
            *s += re;
            let nr = re * sr - im * si;
            im = re * si + im * sr;
            re = nr;
        }
    }
    for s in samples.iter_mut() {
        *s *= 2.0 * df;
    }
    samples
}

/// The pulse response of a lossy host channel with `loss_db` of insertion
/// loss at Nyquist (half the baud rate), sampled once per UI.
///
/// Model, in frequency normalised to the baud rate (Nyquist at 0.5):
/// * skin effect, 35 % of the loss at Nyquist: `exp(-a_s (1 + j) sqrt(f/0.5))`
///   (causal: it is `exp(-a_s sqrt(2 j f / 0.5))`);
/// * dielectric loss, 65 %: `exp((2 a_d / pi) (j f/0.5) ln(j f/0.5))`, whose
///   magnitude is `exp(-a_d f / 0.5)` with the causal phase that goes with it;
/// * the transmitter and receiver analog bandwidth: two poles at 0.75 baud;
/// * the transmitted 1-UI rectangular pulse: `sinc(f)`.
///
/// The response is integrated numerically to 4 baud, sampled at 32 phases per
/// UI, and the phase with the largest main cursor is kept. Taps smaller than
/// 0.2 % of the main cursor are trimmed from both ends. The DC gain is one, so
/// the taps sum to about one.
pub fn lossy_pulse(loss_db: f64) -> Pulse {
    let phases = 32usize;
    let samples = lossy_samples(loss_db, phases);
    let span = samples.len() / phases;
    let peak_i = (0..samples.len())
        .max_by(|&a, &b| samples[a].partial_cmp(&samples[b]).unwrap())
        .unwrap();
    let phase = peak_i % phases;
    let taps: Vec<f64> = (0..span).map(|k| samples[k * phases + phase]).collect();
    let main = peak_i / phases;
    let thr = 0.002 * taps[main];
    let first = (0..=main).find(|&i| taps[i].abs() >= thr).unwrap_or(main);
    let last = (main..span)
        .rev()
        .find(|&i| taps[i].abs() >= thr)
        .unwrap_or(main);
    Pulse {
        taps: taps[first..=last].to_vec(),
        main: main - first,
    }
}

/// The ADC: signed `bits`-bit codes for full scale `full_scale`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adc {
    /// width in bits
    pub bits: u32,
    /// the input amplitude that maps to code 2^(bits-1)
    pub full_scale: f64,
}

impl Adc {
    /// Quantizes one value.
    #[inline]
    pub fn quantize(&self, v: f64) -> i16 {
        let scale = (1i64 << (self.bits - 1)) as f64 / self.full_scale;
        let lo = -(1i64 << (self.bits - 1)) as f64;
        let hi = ((1i64 << (self.bits - 1)) - 1) as f64;
        (v * scale + 0.5).floor().clamp(lo, hi) as i16
    }

    /// Codes per unit of input amplitude.
    pub fn gain(&self) -> f64 {
        (1i64 << (self.bits - 1)) as f64 / self.full_scale
    }
}

/// Applies the channel, noise and ADC to level indices.
///
/// `levels` holds `hist` symbols of history (the previous symbols, used for
/// ISI only) followed by the symbols to process; `out` receives one code per
/// processed symbol: `x[n] = sum_j taps[j] * level(s[n - j])` where `x[n]`'s
/// main cursor is `s[n - main]`.
pub fn channel_adc(
    pulse_taps: &[f32],
    levels_with_hist: &[u8],
    sigma: f64,
    adc: &Adc,
    rng: &mut crate::rng::Xoshiro256pp,
    out: &mut [i16],
) {
    let l = pulse_taps.len();
    let hist = levels_with_hist.len() - out.len();
    assert!(hist + 1 >= l, "need {} symbols of history", l - 1);
    const LV: [f32; 4] = [-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0];
    let scale = adc.gain();
    let lo = -(1i64 << (adc.bits - 1)) as f64;
    let hi = ((1i64 << (adc.bits - 1)) - 1) as f64;
    for (i, o) in out.iter_mut().enumerate() {
        let n = hist + i;
        let mut v = 0.0f32;
        for (j, &h) in pulse_taps.iter().enumerate() {
            v += h * LV[levels_with_hist[n - j] as usize];
        }
        let noisy = v as f64
            + if sigma > 0.0 {
                sigma * rng.normal()
            } else {
                0.0
            };
        *o = (noisy * scale + 0.5).floor().clamp(lo, hi) as i16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snr_definition() {
        assert!((noise_sigma(0.0).powi(2) - 5.0 / 9.0).abs() < 1e-12);
        assert!((noise_sigma(10.0).powi(2) - 5.0 / 90.0).abs() < 1e-12);
    }

    #[test]
    fn adc_rounds_and_saturates() {
        let a = Adc {
            bits: 8,
            full_scale: 1.0,
        };
        assert_eq!(a.quantize(0.0), 0);
        assert_eq!(a.quantize(1.0), 127);
        assert_eq!(a.quantize(-1.0), -128);
        assert_eq!(a.quantize(-5.0), -128);
        assert_eq!(a.quantize(0.5 / 128.0), 1); // half up
        assert_eq!(a.quantize(-0.5 / 128.0), 0);
    }

    #[test]
    fn lossy_presets_are_causal_lowpass_and_order_by_loss() {
        let mut prev_main = 1.0;
        for p in PRESETS.iter().skip(1) {
            let pulse = Pulse::from_preset(p);
            let sum: f64 = pulse.taps.iter().sum();
            // DC gain one (up to truncation of the tails)
            assert!(sum > 0.9 && sum < 1.02, "{}: sum {sum}", p.name);
            let m = pulse.taps[pulse.main];
            assert!(m < prev_main, "{}: main {m}", p.name);
            prev_main = m;
            // few precursors, a long post-cursor tail
            assert!(pulse.main <= 3, "{}: {:?}", p.name, pulse);
            assert!(pulse.taps.len() - pulse.main > 3);
            // ISI: the first post-cursor is large
            assert!(
                pulse.taps[pulse.main + 1] > 0.2 * m,
                "{}: {:?}",
                p.name,
                pulse.taps
            );
        }
    }

    /// The transmit FFE folds in as the convolution the docs give, and the
    /// noiseless channel output equals the FFE'd levels through the pulse.
    #[test]
    fn tx_ffe_folds_into_the_pulse() {
        let p = Pulse {
            taps: vec![0.1, 1.0, 0.5, 0.25],
            main: 1,
        };
        let c = [-0.1, 0.75, -0.15];
        let q = with_tx_ffe(&p, &c);
        assert_eq!(q.main, 2);
        assert_eq!(q.taps.len(), 6);
        // direct: x[m] = sum_j p[j] u[m - j], u[n] = c(-1) a[n+1] + c(0) a[n] + c(1) a[n-1]
        let a: Vec<f64> = (0..40)
            .map(|i| [-1.0, 1.0 / 3.0, 1.0, -1.0 / 3.0][i * 7 % 4])
            .collect();
        let u = |n: i64| {
            let at = |k: i64| {
                if (0..40).contains(&k) {
                    a[k as usize]
                } else {
                    0.0
                }
            };
            c[0] * at(n + 1) + c[1] * at(n) + c[2] * at(n - 1)
        };
        for m in 5..35i64 {
            let direct: f64 = (0..4)
                .map(|j| p.taps[j] * u(m - j as i64 + p.main as i64))
                .sum();
            // the folded pulse, main cursor aligned the same way
            let folded: f64 = (0..6)
                .map(|j| {
                    let k = m - j as i64 + q.main as i64;
                    q.taps[j]
                        * if (0..40).contains(&k) {
                            a[k as usize]
                        } else {
                            0.0
                        }
                })
                .sum();
            assert!((direct - folded).abs() < 1e-12, "{m}: {direct} vs {folded}");
        }
        // [0, 1, 0] changes nothing but the padding
        let id = with_tx_ffe(&p, &[0.0, 1.0, 0.0]);
        assert_eq!(id.taps, [0.0, 0.1, 1.0, 0.5, 0.25, 0.0]);
    }

    #[test]
    fn ideal_channel_no_noise_is_exact_levels() {
        let mut rng = crate::rng::Xoshiro256pp::new(1);
        let adc = Adc {
            bits: 8,
            full_scale: 1.0,
        };
        let lv = [0u8, 1, 2, 3];
        let mut out = [0i16; 4];
        channel_adc(&[1.0], &lv, 0.0, &adc, &mut rng, &mut out);
        assert_eq!(out, [-128, -43, 43, 127]);
    }
}

#[cfg(test)]
mod print {
    #[test]
    #[ignore]
    fn print_presets() {
        for p in super::PRESETS {
            let pulse = super::Pulse::from_preset(&p);
            println!(
                "{} main={} {:?}",
                p.name,
                pulse.main,
                pulse
                    .taps
                    .iter()
                    .map(|t| (t * 1000.0).round() / 1000.0)
                    .collect::<Vec<_>>()
            );
        }
    }
}
