//! The oversampled link: the pulse response at `S` samples per UI at the ADC
//! input (channel, transmit FFE, transmit bandwidth pole, CTLE), the ADC's
//! sampling instant within the UI, jitter on that instant, and the noise as
//! the CTLE shapes it. docs/link-model.md gives every equation.
//!
//! With `channel.samples_per_ui = 1` and none of the realism keys, none of
//! this runs: the link is the baud-rate model of [`crate::channel`].
//!
//! ## Sampling at an arbitrary instant
//! The waveform at the ADC input is `y(t) = sum_k a_k h(t - k T)`. On the
//! grid of `S` samples per UI it is, at sample `v = q S + r` (`0 <= r < S`),
//! a baud-rate FIR of the levels through the polyphase table `h[j S + r]`.
//! Between grid points it is interpolated linearly:
//! `y(v + f) = (1 - f) y(v) + f y(v + 1)`, whose error is at most
//! `max|h''| / (8 S^2)` per unit level ([`Wave::interp_error_bound`]).

use crate::channel::{self, Preset, Pulse};
use crate::touchstone::{fft, Complex};
use std::f64::consts::PI;

/// Largest `channel.samples_per_ui`.
pub const MAX_SAMPLES_PER_UI: usize = 64;

/// Samples of the pulse below this fraction of the peak are trimmed from both ends.
pub const WAVE_TRIM: f64 = 0.002;

/// A pulse response at `s` samples per UI.
#[derive(Clone, Debug, PartialEq)]
pub struct Wave {
    /// samples per UI
    pub s: usize,
    /// the response, `h[i]` at `t = i / s` UI from its first sample
    pub h: Vec<f64>,
    /// the nominal sampling instant: the sample index of the main cursor
    pub peak: usize,
}

impl Wave {
    /// The pulse of a preset at `s` samples per UI: the ideal channel is the
    /// transmitted 1-UI rectangle (sampled at the middle of the UI); lossy
    /// presets are [`channel::lossy_samples`] on a grid of `s` per UI, with
    /// the largest sample as the nominal instant (at `s = 32` the grid and
    /// instant of the baud-rate presets).
    pub fn from_preset(p: &Preset, s: usize) -> Wave {
        if p.loss_db == 0.0 {
            return Wave {
                s,
                h: vec![1.0; s],
                peak: s / 2,
            };
        }
        let x = channel::lossy_samples(p.loss_db, s);
        let peak = argmax(&x);
        let mut w = Wave { s, h: x, peak };
        w.trim(WAVE_TRIM);
        w
    }

    /// A pulse given at `s` samples per UI (`channel.taps`); the nominal
    /// instant is `main` or the largest sample.
    pub fn from_taps(taps: &[f64], main: Option<usize>, s: usize) -> Wave {
        let peak = main.unwrap_or_else(|| {
            let mut best = 0;
            for (i, t) in taps.iter().enumerate() {
                if t.abs() > taps[best].abs() {
                    best = i;
                }
            }
            best
        });
        Wave {
            s,
            h: taps.to_vec(),
            peak,
        }
    }

    /// Drops leading and trailing samples smaller than `rel` times the
    /// nominal sample.
    pub fn trim(&mut self, rel: f64) {
        let thr = rel * self.h[self.peak].abs();
        let first = (0..=self.peak)
            .find(|&i| self.h[i].abs() >= thr)
            .unwrap_or(self.peak);
        let last = (self.peak..self.h.len())
            .rev()
            .find(|&i| self.h[i].abs() >= thr)
            .unwrap_or(self.peak);
        self.h = self.h[first..=last].to_vec();
        self.peak -= first;
    }

    /// The transmit FFE `c = [c(-1), c(0), c(1)]` at UI spacing:
    /// `h'(t) = c(-1) h(t + T) + c(0) h(t) + c(1) h(t - T)`; the nominal
    /// instant stays on the same symbol.
    pub fn with_tx_ffe(&self, c: &[f64; 3]) -> Wave {
        let s = self.s;
        let mut h = vec![0.0; self.h.len() + 2 * s];
        for (i, &v) in self.h.iter().enumerate() {
            h[i] += c[0] * v;
            h[i + s] += c[1] * v;
            h[i + 2 * s] += c[2] * v;
        }
        Wave {
            s,
            h,
            peak: self.peak + s,
        }
    }

    /// The pulse through the linear filter `hf(f)` (f in Hz) at `baud`: the
    /// FFT of the pulse, padded with `tail_ui` UI of zeros after it and
    /// 8 UI before, times `hf`, transformed back. The nominal instant becomes
    /// the largest sample of the result.
    pub fn filtered(&self, baud: f64, tail_ui: usize, hf: &dyn Fn(f64) -> Complex) -> Wave {
        let s = self.s;
        let pre = 8 * s;
        let n = (self.h.len() + pre + tail_ui * s).next_power_of_two();
        let mut x = vec![Complex::new(0.0, 0.0); n];
        for (i, &v) in self.h.iter().enumerate() {
            x[pre + i] = Complex::new(v, 0.0);
        }
        fft(&mut x, false);
        let fs = baud * s as f64;
        for (k, xk) in x.iter_mut().enumerate() {
            // bins above n/2 are negative frequencies: H(-f) = conj H(f)
            let (kk, neg) = if k <= n / 2 {
                (k, false)
            } else {
                (n - k, true)
            };
            let hv = hf(kk as f64 * fs / n as f64);
            *xk *= if neg { hv.conj() } else { hv };
        }
        // the Nyquist bin is its own partner: keep the result real
        fft(&mut x, true);
        let h: Vec<f64> = x.iter().map(|z| z.re / n as f64).collect();
        let peak = argmax(&h);
        let mut w = Wave { s, h, peak };
        w.trim(WAVE_TRIM);
        w
    }

    /// The waveform at fractional sample position `x`, linearly interpolated,
    /// zero outside the pulse.
    pub fn interp(&self, x: f64) -> f64 {
        let at = |i: i64| {
            if i >= 0 && (i as usize) < self.h.len() {
                self.h[i as usize]
            } else {
                0.0
            }
        };
        let v = x.floor();
        let f = x - v;
        let v = v as i64;
        (1.0 - f) * at(v) + f * at(v + 1)
    }

    /// The baud-rate pulse sampled at fractional sample position `pos`
    /// (the main cursor's instant) and every `s` samples around it.
    pub fn baud_pulse(&self, pos: f64) -> Pulse {
        let s = self.s as f64;
        let main = (pos / s).floor().max(0.0) as usize;
        let r = pos - main as f64 * s;
        let k = ((self.h.len() as f64 - r) / s).ceil().max(1.0) as usize;
        let taps: Vec<f64> = (0..k.max(main + 1))
            .map(|j| self.interp(r + j as f64 * s))
            .collect();
        Pulse { taps, main }
    }

    /// A bound on the linear interpolation error per unit level:
    /// `max|h[i+1] - 2 h[i] + h[i-1]| / 8` (the second difference estimates
    /// `h'' / S^2`).
    pub fn interp_error_bound(&self) -> f64 {
        self.h
            .windows(3)
            .map(|w| (w[2] - 2.0 * w[1] + w[0]).abs())
            .fold(0.0, f64::max)
            / 8.0
    }

    /// The same pulse with `ui` UI of zeros in front (the nominal instant moves with it).
    pub fn padded_front(&self, ui: usize) -> Wave {
        let mut h = vec![0.0; ui * self.s];
        h.extend_from_slice(&self.h);
        Wave {
            s: self.s,
            h,
            peak: self.peak + ui * self.s,
        }
    }
}

fn argmax(x: &[f64]) -> usize {
    (0..x.len())
        .max_by(|&a, &b| x[a].total_cmp(&x[b]))
        .expect("a non-empty pulse")
}

/// A first-order transmit bandwidth pole at `f3db` Hz: `1 / (1 + j f / f3db)`.
pub fn tx_pole(f3db: f64) -> impl Fn(f64) -> Complex {
    move |f| Complex::new(1.0, f / f3db).inv()
}

/// The continuous-time linear equalizer of IEEE 802.3 COM (Annex 93A,
/// eq. 93A-22, with the low-frequency stage 802.3ck adds in Annex 162A/163A
/// and 178A):
///
/// `H(f) = (g1 + j f/f_z) / ((1 + j f/f_p1)(1 + j f/f_p2))
///        * (g2 + j f/f_LF) / (1 + j f/f_LF)`,
/// `g1 = 10^(g_dc/20)`, `g2 = 10^(g_dc2/20)`; without `f_LF` the second factor is 1.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Ctle {
    /// `g_DC`, dB (<= 0)
    pub g_dc: f64,
    /// `g_DC2`, dB (<= 0), with `f_lf`
    pub g_dc2: f64,
    /// zero, Hz
    pub f_z: f64,
    /// first pole, Hz
    pub f_p1: f64,
    /// second pole, Hz
    pub f_p2: f64,
    /// low-frequency pole-zero pair, Hz (absent: no low-frequency stage)
    pub f_lf: Option<f64>,
}

impl Ctle {
    /// `H(f)`.
    pub fn response(&self, f: f64) -> Complex {
        let g1 = 10f64.powf(self.g_dc / 20.0);
        let mut h = Complex::new(g1, f / self.f_z)
            / (Complex::new(1.0, f / self.f_p1) * Complex::new(1.0, f / self.f_p2));
        if let Some(lf) = self.f_lf {
            let g2 = 10f64.powf(self.g_dc2 / 20.0);
            h *= Complex::new(g2, f / lf) / Complex::new(1.0, f / lf);
        }
        h
    }

    /// `|H(f)|` in closed form (the product of the factors' magnitudes).
    pub fn magnitude(&self, f: f64) -> f64 {
        let g1 = 10f64.powf(self.g_dc / 20.0);
        let mut m = (g1 * g1 + (f / self.f_z).powi(2)).sqrt()
            / ((1.0 + (f / self.f_p1).powi(2)).sqrt() * (1.0 + (f / self.f_p2).powi(2)).sqrt());
        if let Some(lf) = self.f_lf {
            let g2 = 10f64.powf(self.g_dc2 / 20.0);
            m *= (g2 * g2 + (f / lf).powi(2)).sqrt() / (1.0 + (f / lf).powi(2)).sqrt();
        }
        m
    }

    /// UIs of tail to keep when filtering: 12 time constants of the lowest pole or zero.
    pub fn tail_ui(&self, baud: f64) -> usize {
        let fmin = [Some(self.f_z), Some(self.f_p1), Some(self.f_p2), self.f_lf]
            .into_iter()
            .flatten()
            .fold(f64::INFINITY, f64::min);
        (12.0 * baud / (2.0 * PI * fmin)).ceil() as usize + 64
    }
}

/// A standard CTLE family (`ctle.preset`): pole and zero frequencies as
/// fractions of the baud rate and the `g_DC`/`g_DC2` ranges searched.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CtlePreset {
    /// config name
    pub name: &'static str,
    /// where the values come from
    pub source: &'static str,
    /// `f_z / f_b`
    pub f_z: f64,
    /// `f_p1 / f_b`
    pub f_p1: f64,
    /// `f_p2 / f_b`
    pub f_p2: f64,
    /// `f_LF / f_b` (absent: no low-frequency stage)
    pub f_lf: Option<f64>,
    /// `g_DC` range searched, dB, 1 dB steps
    pub g_dc: (f64, f64),
    /// `g_DC2` range searched, dB, 1 dB steps
    pub g_dc2: (f64, f64),
}

/// Every `ctle.preset`.
pub const CTLE_PRESETS: [CtlePreset; 2] = [
    CtlePreset {
        name: "802.3ck",
        source: "IEEE 802.3ck COM (Annex 163A table): f_z = f_p1 = f_b/2.5, f_p2 = f_b, f_LF = f_b/80, g_DC -20..0, g_DC2 -6..0",
        f_z: 1.0 / 2.5,
        f_p1: 1.0 / 2.5,
        f_p2: 1.0,
        f_lf: Some(1.0 / 80.0),
        g_dc: (-20.0, 0.0),
        g_dc2: (-6.0, 0.0),
    },
    CtlePreset {
        name: "802.3bj",
        source: "IEEE 802.3bj COM (Annex 93A table): f_z = f_p1 = f_b/4, f_p2 = f_b, g_DC -12..0",
        f_z: 0.25,
        f_p1: 0.25,
        f_p2: 1.0,
        f_lf: None,
        g_dc: (-12.0, 0.0),
        g_dc2: (0.0, 0.0),
    },
];

/// Looks a CTLE preset up.
pub fn ctle_preset(name: &str) -> Option<&'static CtlePreset> {
    CTLE_PRESETS.iter().find(|p| p.name == name)
}

/// Half-length of the noise-shaping FIR ([`noise_fir`]).
pub const NOISE_FIR_HALF: usize = 16;

/// The baud-rate FIR that shapes the receiver noise when a CTLE is present.
///
/// The noise is white at the CTLE input, band-limited to the Nyquist
/// frequency `f_b/2`, with variance `sigma^2` there (so that without a CTLE
/// it is today's white noise of `channel.snr_db`). Sampled once per UI after
/// the CTLE, it is a stationary sequence with power spectrum
/// `sigma^2 |H(f)|^2` on `|f| < f_b/2`: white noise through the zero-phase
/// FIR `c[m] = (2/f_b) int_0^{f_b/2} |H(f)| cos(2 pi f m / f_b) df`,
/// `|m| <= 16` (midpoint rule, 4096 points).
pub fn noise_fir(ctle: &Ctle, baud: f64) -> Vec<f64> {
    let npts = 4096;
    let m = NOISE_FIR_HALF as i64;
    let mags: Vec<(f64, f64)> = (0..npts)
        .map(|i| {
            let u = (i as f64 + 0.5) / npts as f64 * 0.5; // f / f_b in (0, 1/2)
            (u, ctle.magnitude(u * baud))
        })
        .collect();
    (-m..=m)
        .map(|k| {
            mags.iter()
                .map(|&(u, a)| a * (2.0 * PI * u * k as f64).cos())
                .sum::<f64>()
                / npts as f64
        })
        .collect()
}

/// Jitter on the sampling instants, in UI.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Jitter {
    /// random jitter, RMS (Gaussian, clipped at [`RJ_CLIP`] sigma)
    pub rj_ui: f64,
    /// dual-Dirac deterministic jitter, peak to peak: +-dj/2 with equal probability per UI
    pub dj_ui: f64,
    /// sinusoidal jitter amplitude (peak)
    pub sj_ui: f64,
    /// sinusoidal jitter frequency, Hz
    pub sj_freq: f64,
}

/// Random jitter deviates are clipped at this many sigma (probability below 1e-15).
pub const RJ_CLIP: f64 = 8.0;

impl Jitter {
    /// Whether any jitter is set.
    pub fn any(&self) -> bool {
        self.rj_ui > 0.0 || self.dj_ui > 0.0 || self.sj_ui > 0.0
    }

    /// The largest displacement, UI.
    pub fn bound(&self) -> f64 {
        RJ_CLIP * self.rj_ui + 0.5 * self.dj_ui + self.sj_ui
    }
}

/// The oversampled pulse as polyphase tables for sampling at any instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampler {
    s: usize,
    /// taps per phase
    k: usize,
    /// `rt[r * k + i] = h[(k - 1 - i) s + r]`: each phase's table reversed
    rt: Vec<f32>,
    /// sample position of the main cursor within its UI (`0 <= r0 < s`), plus a whole
    /// number of UI the caller accounts for
    r0: f64,
    /// extra history the largest early displacement needs, in UI
    qh: usize,
}

impl Sampler {
    /// Tables of `w` (already padded in front by at least `bound + 1` UI of
    /// zeros) for instants `pos + d s` with `|d| <= bound`; the main cursor
    /// is at `pos`, and the baud pulse the link uses is [`Wave::baud_pulse`]`(pos)`.
    pub fn new(w: &Wave, pos: f64, bound: f64) -> Sampler {
        let s = w.s;
        let main = (pos / s as f64).floor().max(0.0) as usize;
        let r0 = pos - (main * s) as f64;
        let k = w.h.len().div_ceil(s) + 1;
        let mut rt = vec![0.0f32; s * k];
        for r in 0..s {
            for i in 0..k {
                let idx = (k - 1 - i) * s + r;
                rt[r * k + i] = w.h.get(idx).copied().unwrap_or(0.0) as f32;
            }
        }
        Sampler {
            s,
            k,
            rt,
            r0,
            qh: bound.ceil() as usize + 2,
        }
    }

    /// Levels of history before the first output the sampler reads.
    pub fn history(&self) -> usize {
        self.k - 1 + self.qh
    }

    /// `y` at integer sample `v` (relative to the main cursor's UI grid) for
    /// the output whose newest level is `amp[p]`.
    #[inline(always)]
    fn at(&self, amp: &[f32], p: usize, v: i64) -> f32 {
        let s = self.s as i64;
        let q = v.div_euclid(s);
        let r = v.rem_euclid(s) as usize;
        let len = self.k - q.max(0) as usize;
        let start = (p as i64 + q - self.k as i64 + 1) as usize;
        let t = &self.rt[r * self.k..r * self.k + len];
        dot(t, &amp[start..start + len])
    }

    /// [`Sampler::sample`] for the outputs `p0 + i`, displaced by
    /// `d[i] + offset` UI, into `out[i]` (AVX2 and FMA when the CPU has them).
    pub fn sample_block(&self, amp: &[f32], p0: usize, d: &[f64], offset: f64, out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: AVX2 and FMA are present (checked just above).
                unsafe { self.sample_block_avx2(amp, p0, d, offset, out) };
                return;
            }
        }
        self.sample_block_portable(amp, p0, d, offset, out)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn sample_block_avx2(
        &self,
        amp: &[f32],
        p0: usize,
        d: &[f64],
        offset: f64,
        out: &mut [f32],
    ) {
        self.sample_block_portable(amp, p0, d, offset, out)
    }

    #[inline(always)]
    fn sample_block_portable(
        &self,
        amp: &[f32],
        p0: usize,
        d: &[f64],
        offset: f64,
        out: &mut [f32],
    ) {
        for (i, (o, &di)) in out.iter_mut().zip(d).enumerate() {
            *o = self.sample(amp, p0 + i, di + offset);
        }
    }

    /// The waveform for output `p` displaced by `d` UI (later for `d > 0`).
    #[inline(always)]
    pub fn sample(&self, amp: &[f32], p: usize, d: f64) -> f32 {
        let u = self.r0 + d * self.s as f64;
        let v = u.floor();
        let f = (u - v) as f32;
        let v = v as i64;
        let a = self.at(amp, p, v);
        if f == 0.0 {
            return a;
        }
        let b = self.at(amp, p, v + 1);
        a + f * (b - a)
    }
}

/// A dot product in eight lanes (vectorizes).
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let n8 = a.len() / 8 * 8;
    for (ca, cb) in a[..n8].chunks_exact(8).zip(b[..n8].chunks_exact(8)) {
        for l in 0..8 {
            acc[l] += ca[l] * cb[l];
        }
    }
    let mut s = acc.iter().sum::<f32>();
    for (x, y) in a[n8..].iter().zip(&b[n8..]) {
        s += x * y;
    }
    s
}

/// The naive reference of [`Sampler::sample`]: `sum_j a[p - j] h(pos + d S + j S)`
/// evaluated term by term with [`Wave::interp`] (for tests and benchmarks).
pub fn sample_naive(w: &Wave, pos: f64, amp: &[f32], p: usize, d: f64) -> f64 {
    let s = w.s as f64;
    let main = (pos / s).floor();
    let r0 = pos - main * s;
    let u = r0 + d * s;
    let mut y = 0.0;
    for j in 0..=p {
        let x = u + j as f64 * s;
        if x > w.h.len() as f64 {
            break;
        }
        y += amp[p - j] as f64 * w.interp(x);
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CTLE's complex response has the closed-form magnitude, the
    /// DC gain g1 g2, and the peaking the preset's range promises.
    #[test]
    fn ctle_matches_closed_form() {
        let fb = 53.125e9;
        for (g_dc, g_dc2, lf) in [(-9.0, -3.0, Some(fb / 80.0)), (-4.0, 0.0, None)] {
            let c = Ctle {
                g_dc,
                g_dc2,
                f_z: fb / 2.5,
                f_p1: fb / 2.5,
                f_p2: fb,
                f_lf: lf,
            };
            for f in [0.0, 1e6, 1e8, 1e9, 5e9, 13e9, 26.5625e9, 40e9, 1e11] {
                let m = c.response(f).norm();
                assert!((m - c.magnitude(f)).abs() < 1e-12 * m.max(1.0), "{f}");
            }
            let dc = 10f64.powf((g_dc + if lf.is_some() { g_dc2 } else { 0.0 }) / 20.0);
            assert!((c.magnitude(0.0) - dc).abs() < 1e-12);
            // f_z = f_p1: the first stage rises from g1 towards 1, so the peaking at
            // f_b/2 is below -g_dc - g_dc2 (the stage is not flat yet, the second pole
            // takes 1 dB) and above -g_dc - 2.5 dB
            let peak_db = 20.0 * (c.magnitude(fb / 2.0) / c.magnitude(0.0)).log10();
            assert!(
                peak_db > -g_dc - 2.5 && peak_db < -g_dc - g_dc2,
                "{peak_db}"
            );
            // high above every pole and zero the response falls as f_p1 f_p2 / (f_z f)
            let f = 1e14;
            let hf = c.f_p1 * c.f_p2 / (c.f_z * f);
            assert!((c.magnitude(f) / hf - 1.0).abs() < 1e-3);
        }
    }

    /// Filtering by the identity changes nothing; a one-pole filter has the
    /// DC gain 1 (the pulse's sum is kept).
    #[test]
    fn filtering_keeps_dc_gain() {
        let w = Wave::from_preset(channel::preset("lpo-host-8db").unwrap(), 16);
        let id = w.filtered(53.125e9, 64, &|_| Complex::new(1.0, 0.0));
        assert_eq!(id.h.len(), w.h.len());
        for (a, b) in id.h.iter().zip(&w.h) {
            assert!((a - b).abs() < 1e-12);
        }
        let lp = w.filtered(53.125e9, 64, &tx_pole(20e9));
        let s0: f64 = w.h.iter().sum();
        let s1: f64 = lp.h.iter().sum();
        assert!((s0 - s1).abs() < 0.01 * s0, "{s0} {s1}");
        assert!(lp.h[lp.peak] < w.h[w.peak]);
    }

    /// At 32 samples per UI, the nominal instant gives the baud-rate preset's taps.
    #[test]
    fn oversampled_preset_decimates_to_the_baud_rate_preset() {
        for name in ["lpo-host-8db", "lpo-host-16db", "lpo-host-22db"] {
            let p = channel::preset(name).unwrap();
            let w = Wave::from_preset(p, 32);
            let b = w.baud_pulse(w.peak as f64);
            let base = Pulse::from_preset(p);
            let off = b.main - base.main;
            for (j, &t) in base.taps.iter().enumerate() {
                assert!((b.taps[off + j] - t).abs() < 1e-12, "{name} tap {j}");
            }
        }
    }

    /// The polyphase sampler equals the term-by-term interpolation.
    #[test]
    fn sampler_equals_naive() {
        let w = Wave::from_preset(channel::preset("lpo-host-16db").unwrap(), 8).padded_front(3);
        let pos = w.peak as f64 + 0.3;
        let sm = Sampler::new(&w, pos, 1.5);
        let mut r = crate::rng::Xoshiro256pp::new(3);
        let amp: Vec<f32> = (0..400)
            .map(|_| [-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0][(r.next_u64() & 3) as usize])
            .collect();
        for p in [sm.history(), 200, 399] {
            for d in [-1.5, -0.77, -0.1, 0.0, 0.01, 0.5, 1.2, 1.5] {
                let a = sm.sample(&amp, p, d) as f64;
                let b = sample_naive(&w, pos, &amp, p, d);
                assert!((a - b).abs() < 1e-5, "p {p} d {d}: {a} vs {b}");
            }
        }
    }

    /// The noise FIR of a flat CTLE is a unit impulse; its energy is the mean
    /// of |H|^2 over the band (Parseval).
    #[test]
    fn noise_fir_energy_is_the_band_average() {
        let fb = 53.125e9;
        let flat = Ctle {
            g_dc: 0.0,
            g_dc2: 0.0,
            f_z: 1e30,
            f_p1: 1e30,
            f_p2: 1e30,
            f_lf: None,
        };
        let c = noise_fir(&flat, fb);
        assert!((c[NOISE_FIR_HALF] - 1.0).abs() < 1e-9);
        assert!(c
            .iter()
            .enumerate()
            .all(|(i, v)| i == NOISE_FIR_HALF || v.abs() < 1e-9));
        let ck = Ctle {
            g_dc: -10.0,
            g_dc2: 0.0,
            f_z: fb / 2.5,
            f_p1: fb / 2.5,
            f_p2: fb,
            f_lf: None,
        };
        let c = noise_fir(&ck, fb);
        let e: f64 = c.iter().map(|v| v * v).sum();
        let n = 20000;
        let band: f64 = (0..n)
            .map(|i| ck.magnitude((i as f64 + 0.5) / n as f64 * 0.5 * fb).powi(2))
            .sum::<f64>()
            / n as f64;
        assert!((e - band).abs() < 0.01 * band, "{e} vs {band}");
    }
}
