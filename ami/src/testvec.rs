//! Test vectors from a channel: an oversampled impulse and waveform built from a golden
//! pulse response, and the waveform the model must write for them computed by the golden
//! equalizer in one batch (not through [`crate::model::Stream`]). `rxdsp ami` writes the
//! `.ibs` test configurations from these; the tests compare the library against them.

use crate::model::{fine_pulse, InitResult};
use golden::channel::Pulse;
use golden::eq::{Engine, Equalizer};
use golden::numeric::{RxCoeffs, RxFormat};
use golden::rng::Xoshiro256pp;

/// A channel on a fine time grid.
#[derive(Clone, Debug)]
pub struct Channel {
    /// samples per UI
    pub spui: usize,
    /// sample interval, s
    pub dt: f64,
    /// the pulse response on the fine grid (V for a unit symbol held one UI)
    pub pulse: Vec<f64>,
}

impl Channel {
    /// The pulse `p` (one sample per UI) linearly interpolated onto `spui` samples per UI,
    /// its UI samples at the middle of each UI (sample `n spui + spui/2` is `p[n]`), one UI
    /// of zeros before and `tail` UIs of zeros after.
    pub fn from_pulse(p: &Pulse, spui: usize, dt: f64, tail: usize) -> Channel {
        let mut ui = vec![0.0];
        ui.extend_from_slice(&p.taps);
        ui.resize(ui.len() + tail.max(1), 0.0);
        let n = ui.len() * spui;
        let half = spui / 2;
        let pulse = (0..n)
            .map(|i| {
                if i < half {
                    return 0.0;
                }
                let t = (i - half) as f64 / spui as f64;
                let k = t.floor() as usize;
                let fr = t - k as f64;
                let a = ui.get(k).copied().unwrap_or(0.0);
                let b = ui.get(k + 1).copied().unwrap_or(0.0);
                a + (b - a) * fr
            })
            .collect();
        Channel { spui, dt, pulse }
    }

    /// The impulse response (V/s) whose pulse response is `self.pulse`:
    /// `h[i] = (s[i] - s[i-1]) / dt` with the step response `s[i] = sum_m p[i - m spui]`.
    pub fn impulse(&self) -> Vec<f64> {
        let n = self.pulse.len();
        let mut step = vec![0.0; n];
        for i in 0..n {
            step[i] = self.pulse[i]
                + if i >= self.spui {
                    step[i - self.spui]
                } else {
                    0.0
                };
        }
        let h: Vec<f64> = (0..n)
            .map(|i| (step[i] - if i > 0 { step[i - 1] } else { 0.0 }) / self.dt)
            .collect();
        debug_assert!(fine_pulse(&h, self.spui, self.dt)
            .iter()
            .zip(&self.pulse)
            .all(|(a, b)| (a - b).abs() < 1e-9));
        h
    }

    /// The received waveform for PAM4 level indices `levels` (levels ±1, ±1/3), plus white
    /// Gaussian noise of deviation `sigma` (seeded), `levels.len() * spui` samples.
    pub fn wave(&self, levels: &[u8], sigma: f64, seed: u64) -> Vec<f64> {
        const LV: [f64; 4] = [-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0];
        let n = levels.len() * self.spui;
        let mut w = vec![0.0; n];
        for (k, &a) in levels.iter().enumerate() {
            let v = LV[a as usize & 3];
            let s = k * self.spui;
            for (j, &p) in self.pulse.iter().enumerate() {
                if s + j >= n {
                    break;
                }
                w[s + j] += v * p;
            }
        }
        if sigma > 0.0 {
            let mut g = Xoshiro256pp::new(seed).normals();
            for x in w.iter_mut() {
                *x += sigma * g.draw();
            }
        }
        w
    }
}

/// `n` random PAM4 level indices (seeded).
pub fn random_levels(n: usize, seed: u64) -> Vec<u8> {
    let mut r = Xoshiro256pp::new(seed);
    (0..n).map(|_| (r.next_u64() >> 62) as u8).collect()
}

/// The DFE input `z` (LSBs) for every sample, by the golden equalizer in one batch, with
/// `coeffs` from sample 0 (`z = y - sum_j b[j] L(a[n-j])`, the numeric contract).
pub fn golden_z(fmt: &RxFormat, coeffs: &RxCoeffs, x: &[i16]) -> Vec<i64> {
    let mut eq = Equalizer::new(fmt, coeffs, Engine::Naive).expect("legal coefficients");
    let o = eq.process_all(x);
    (0..x.len())
        .map(|n| {
            let mut z = o.y[n] as i64;
            for (j, &b) in coeffs.dfe.iter().enumerate() {
                let a = if n > j { o.levels[n - 1 - j] } else { 0 };
                z -= b as i64 * (2 * a as i64 - 3);
            }
            z
        })
        .collect()
}

/// The ADC codes at the sampling instants of `wave`.
pub fn sample(init: &InitResult, wave: &[f64]) -> Vec<i16> {
    wave.iter()
        .skip(init.offset)
        .step_by(init.spui)
        .map(|&v| init.adc.quantize(v))
        .collect()
}

/// The waveform the model writes for DFE inputs `z` (LSBs): `z[k]` in volts held from the
/// sampling instant of UI `k` to the next, 0 before the first; `len` samples.
pub fn held_wave(init: &InitResult, fmt: &RxFormat, z: &[i64], len: usize) -> Vec<f64> {
    let v = init.volts_per_lsb(fmt);
    (0..len)
        .map(|i| {
            if i < init.offset {
                0.0
            } else {
                z[(i - init.offset) / init.spui] as f64 * v
            }
        })
        .collect()
}
