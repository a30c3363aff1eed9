//! The receiver behind the AMI entry points: `AMI_Init`'s statistical flow on an impulse
//! response and `AMI_GetWave`'s time-domain flow on a waveform, both on the golden model.
//!
//! Units: the input is in volts (the impulse in V/s, as IBIS passes it). The ADC maps
//! volts to codes with `K = 2^(adc_bits-1) / full_scale` codes per volt. An FFE output
//! LSB is `1 / (K 2^ffe_out_frac)` volts, so the FFE is the real filter
//! `c[k] / 2^ffe_coef_frac` on volts, and everything the model outputs (the waveform at the
//! slicer, the thresholds, the equalized impulse) is in those input-referred volts.

use crate::settings::Settings;
use golden::channel::{noise_sigma, Adc, Pulse};
use golden::coeffs::{self, AdaptAlgo, AdaptParams};
use golden::config::EqMethod;
use golden::eq::{Engine, Equalizer};
use golden::link::{adapt_amplitude, none_coeffs};
use golden::numeric::{RxCoeffs, RxFormat};
use thiserror::Error;

/// Why `AMI_Init` or `AMI_GetWave` cannot run.
#[derive(Debug, Error, PartialEq)]
pub enum ModelError {
    /// The simulator's arguments are unusable.
    #[error("{0}")]
    Input(String),
    /// The equalizer design failed on this impulse.
    #[error("equalizer design: {0}")]
    Design(String),
}

/// Pulse-response taps below this fraction of the peak are cut from the ends before the design.
const TRIM: f64 = 1e-4;

/// What `AMI_Init` computes from the impulse.
#[derive(Clone, Debug, PartialEq)]
pub struct InitResult {
    /// samples per UI
    pub spui: usize,
    /// the sampling phase in samples (0..spui)
    pub offset: usize,
    /// the ADC
    pub adc: Adc,
    /// the coefficients the equalizer starts with
    pub coeffs: RxCoeffs,
    /// the pulse response at one sample per UI at `offset` (trimmed), as the design saw it
    pub pulse: Pulse,
    /// UIs trimmed from the front of the pulse
    pub first: usize,
}

impl InitResult {
    /// Volts per FFE-output LSB.
    pub fn volts_per_lsb(&self, f: &RxFormat) -> f64 {
        1.0 / (self.adc.gain() * (1u64 << f.ffe_out_frac) as f64)
    }

    /// The outer PAM4 thresholds `±t` in volts.
    pub fn threshold_volts(&self, f: &RxFormat) -> f64 {
        self.coeffs.threshold as f64 * self.volts_per_lsb(f)
    }
}

/// Samples per UI from the simulator's times; they must be an integer ratio.
pub fn samples_per_ui(sample_interval: f64, bit_time: f64) -> Result<usize, ModelError> {
    if !(sample_interval.is_finite() && sample_interval > 0.0) {
        return Err(ModelError::Input(format!(
            "sample_interval = {sample_interval} is not a positive time"
        )));
    }
    if !(bit_time.is_finite() && bit_time > 0.0) {
        return Err(ModelError::Input(format!(
            "bit_time = {bit_time} is not a positive time"
        )));
    }
    let r = bit_time / sample_interval;
    let n = r.round();
    if n < 1.0 || (r - n).abs() > 1e-6 * n || n > 1e6 {
        return Err(ModelError::Input(format!(
            "bit_time / sample_interval = {r} is not a whole number of samples per UI (1..=1e6)"
        )));
    }
    Ok(n as usize)
}

/// The pulse response on the fine grid: `p[i] = dt * sum_{j<spui} h[i-j]`.
pub fn fine_pulse(h: &[f64], spui: usize, dt: f64) -> Vec<f64> {
    let mut p = vec![0.0; h.len()];
    let mut acc = 0.0;
    for i in 0..h.len() {
        acc += h[i];
        if i >= spui {
            acc -= h[i - spui];
        }
        p[i] = acc * dt;
    }
    p
}

/// Runs the statistical part of `AMI_Init`: the sampling phase, the ADC, the coefficients
/// (computed from the impulse as `rxdsp rx` computes them from a channel, or given).
pub fn init(s: &Settings, h: &[f64], spui: usize, dt: f64) -> Result<InitResult, ModelError> {
    if let Some(i) = h.iter().position(|v| !v.is_finite()) {
        return Err(ModelError::Input(format!(
            "impulse_matrix[{i}] = {} is not finite",
            h[i]
        )));
    }
    let p = fine_pulse(h, spui, dt);
    let peak = p.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if peak == 0.0 {
        return Err(ModelError::Input("the impulse response is all zero".into()));
    }
    if peak >= 1e6 || p.iter().any(|v| !v.is_finite()) {
        return Err(ModelError::Input(format!(
            "the pulse response peaks at {peak:e} V: not an impulse response in V/s"
        )));
    }
    let offset = if s.phase < 0.0 {
        let ipk = (0..p.len())
            .max_by(|&a, &b| p[a].abs().total_cmp(&p[b].abs()))
            .unwrap_or(0);
        ipk % spui
    } else {
        ((s.phase * spui as f64).round() as usize) % spui
    };
    let ui: Vec<f64> = p.iter().skip(offset).step_by(spui).copied().collect();
    let upk = ui.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let keep = |v: &f64| v.abs() >= TRIM * upk;
    let first = ui.iter().position(keep).unwrap_or(0);
    let last = ui.iter().rposition(keep).unwrap_or(0);
    if upk == 0.0 {
        return Err(ModelError::Input(format!(
            "the pulse response is zero at every sampling instant of phase {offset}/{spui}"
        )));
    }
    let pulse = Pulse::from_taps(ui[first..=last].to_vec(), None);
    let f = &s.format;
    let sigma = noise_sigma(s.snr_db);
    let full_scale = if s.adc_full_scale > 0.0 {
        s.adc_full_scale
    } else {
        pulse.peak() + 3.0 * sigma
    };
    let adc = Adc {
        bits: f.adc_bits,
        full_scale,
    };
    let coeffs = match s.method {
        EqMethod::Manual => s.manual.clone().ok_or_else(|| {
            ModelError::Input("method manual needs ffe_coeffs and threshold".into())
        })?,
        EqMethod::None => {
            let mut c = RxCoeffs::pass_through(f, 1);
            let gain = c.ffe[f.ffe_main] as f64 / (1u64 << f.ffe_shift()) as f64;
            let main = pulse.taps[pulse.main].abs() * adc.gain();
            c.threshold =
                ((2.0 * main * gain / 3.0).round() as i64).clamp(1, f.max_threshold()) as i32;
            c
        }
        EqMethod::Zf | EqMethod::Mmse | EqMethod::Lms | EqMethod::SignSign => {
            // as golden::link::choose_coeffs: noise plus the ADC's quantization noise
            let lsb = adc.full_scale / (1u64 << (f.adc_bits - 1)) as f64;
            let nv = if s.method == EqMethod::Zf {
                0.0
            } else {
                sigma * sigma + lsb * lsb / 12.0
            };
            let d = coeffs::design(&pulse, f.ffe_taps, f.ffe_main, f.dfe_taps, nv)
                .map_err(|e| ModelError::Design(e.to_string()))?;
            coeffs::quantize(&d, f, adc.gain())
                .map_err(|e| ModelError::Design(e.to_string()))?
                .coeffs
        }
    };
    coeffs
        .validate(f)
        .map_err(|e| ModelError::Design(e.to_string()))?;
    Ok(InitResult {
        spui,
        offset,
        adc,
        coeffs,
        pulse,
        first,
    })
}

/// The equalized impulse response `AMI_Init` returns, in place of `h` (V/s).
///
/// The FFE as the linear filter `c[k] / 2^coef_frac` at UI spacing on the oversampled
/// impulse. The DFE as its LTI approximation (correct past decisions): tap `j` subtracts
/// `3 b[j]` LSBs per unit symbol over the UI around the sampling instant of cursor `D + j`,
/// which on the impulse is one sample of `-3 b[j] / (K 2^out_frac) / dt` half a UI before it.
/// Aggressor columns get the FFE only.
pub fn equalize_impulse(
    r: &InitResult,
    f: &RxFormat,
    h: &[f64],
    dt: f64,
    victim: bool,
) -> Vec<f64> {
    let n = h.len();
    let scale = 1.0 / (1u64 << f.ffe_coef_frac) as f64;
    let mut out = vec![0.0; n];
    for (k, &c) in r.coeffs.ffe.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let c = c as f64 * scale;
        let d = k * r.spui;
        for i in d..n {
            out[i] += c * h[i - d];
        }
    }
    if victim {
        let v = r.volts_per_lsb(f);
        let d = r.first + r.pulse.main + f.ffe_main;
        for (j, &b) in r.coeffs.dfe.iter().enumerate() {
            let at = r.offset + (d + j + 1) * r.spui;
            if let Some(s) = at.checked_sub(r.spui / 2).filter(|&s| s < n) {
                out[s] -= 3.0 * b as f64 * v / dt;
            }
        }
    }
    out
}

/// The time-domain state of one model instance: everything `AMI_GetWave` carries from
/// one call to the next.
pub struct Stream {
    fmt: RxFormat,
    method: EqMethod,
    mu_shift: u32,
    init: InitResult,
    eq: Equalizer,
    coeffs: RxCoeffs,
    /// the last decisions (level indices), most recent first, as the DFE sees them
    hist: [u8; 4],
    /// samples received so far
    n_in: u64,
    /// UIs sampled so far
    k: u64,
    /// UIs the adaptation learns from (0 = none)
    window: u64,
    /// the ADC codes of the window, until it is full
    learn: Vec<i16>,
    adapted: bool,
    /// the output value being held (volts)
    held: f64,
    dt: f64,
    /// scratch: this call's sampled codes and their positions
    xs: Vec<i16>,
    pos: Vec<usize>,
    zs: Vec<f64>,
}

impl Stream {
    /// A stream starting from the coefficients of `init`.
    pub fn new(s: &Settings, init: InitResult, dt: f64) -> Result<Stream, ModelError> {
        let eq = Equalizer::new(&s.format, &init.coeffs, Engine::Fast)
            .map_err(|e| ModelError::Design(e.to_string()))?;
        let learns = matches!(
            s.method,
            EqMethod::None | EqMethod::Lms | EqMethod::SignSign
        );
        let window = if learns { s.adapt_bits } else { 0 };
        Ok(Stream {
            fmt: s.format.clone(),
            method: s.method,
            mu_shift: s.mu_shift,
            coeffs: init.coeffs.clone(),
            init,
            eq,
            hist: [0; 4],
            n_in: 0,
            k: 0,
            window,
            learn: Vec::new(),
            adapted: false,
            held: 0.0,
            dt,
            xs: Vec::new(),
            pos: Vec::new(),
            zs: Vec::new(),
        })
    }

    /// The coefficients in use.
    pub fn coeffs(&self) -> &RxCoeffs {
        &self.coeffs
    }

    /// Whether the adaptation window has completed.
    pub fn adapted(&self) -> bool {
        self.adapted
    }

    /// The ADC.
    pub fn adc(&self) -> &Adc {
        &self.init.adc
    }

    /// Equalizes `x` (consecutive UIs), appending the DFE inputs `z` (LSBs) to `out`.
    fn equalize(&mut self, x: &[i16], out: &mut Vec<f64>) {
        if x.is_empty() {
            return;
        }
        let o = self.eq.process_all(x);
        let v = self.init.volts_per_lsb(&self.fmt);
        for (&y, &a) in o.y.iter().zip(&o.levels) {
            let mut z = y as i64;
            for (j, &b) in self.coeffs.dfe.iter().enumerate() {
                z -= b as i64 * (2 * self.hist[j] as i64 - 3);
            }
            self.hist = [a, self.hist[0], self.hist[1], self.hist[2]];
            out.push(z as f64 * v);
        }
        if self.window > 0 && !self.adapted {
            self.learn.extend_from_slice(x);
            if self.learn.len() as u64 >= self.window {
                self.adapt();
            }
        }
    }

    /// The window is full: learn the coefficients from it as `rxdsp rx` does from the first
    /// `adapt.symbols` samples of a file (decision-directed, no training), then replay the
    /// window through the new equalizer so its state is the one `rxdsp rx` has there.
    fn adapt(&mut self) {
        let f = &self.fmt;
        let x = std::mem::take(&mut self.learn);
        let c = match self.method {
            EqMethod::None => none_coeffs(f, &x),
            m => {
                let algo = if m == EqMethod::SignSign {
                    AdaptAlgo::SignSign
                } else {
                    AdaptAlgo::Lms
                };
                let p = AdaptParams {
                    algo,
                    mu_shift: self.mu_shift,
                    training: 0,
                    amplitude: adapt_amplitude(f),
                };
                coeffs::adapt(f, &x, &|_| None, &p)
            }
        };
        self.adapted = true;
        // adapt() and none_coeffs() return coefficients legal for the format (golden tests)
        if let Ok(mut eq) = Equalizer::new(f, &c, Engine::Fast) {
            let o = eq.process_all(&x);
            let mut h = [0u8; 4];
            for &a in &o.levels {
                h = [a, h[0], h[1], h[2]];
            }
            self.eq = eq;
            self.hist = h;
            self.coeffs = c;
        }
    }

    /// One `AMI_GetWave` call: `wave` is replaced by the waveform at the slicer; the
    /// sampling instants of this call are appended to `clocks`.
    pub fn get_wave(&mut self, wave: &mut [f64], clocks: &mut Vec<f64>) -> Result<(), ModelError> {
        if let Some(i) = wave.iter().position(|v| !v.is_finite()) {
            return Err(ModelError::Input(format!(
                "wave[{i}] = {} (sample {} of the stream) is not finite",
                wave[i],
                self.n_in + i as u64
            )));
        }
        let spui = self.init.spui as u64;
        let off = self.init.offset as u64;
        self.xs.clear();
        self.pos.clear();
        let mut g = self.k * spui + off; // the next sampling instant
        let end = self.n_in + wave.len() as u64;
        while g < end {
            let i = (g - self.n_in) as usize;
            self.xs.push(self.init.adc.quantize(wave[i]));
            self.pos.push(i);
            clocks.push(g as f64 * self.dt);
            g += spui;
        }
        // split at the end of the adaptation window so the new coefficients start there
        let xs = std::mem::take(&mut self.xs);
        let mut zs = std::mem::take(&mut self.zs);
        zs.clear();
        let mut rest: &[i16] = &xs;
        if self.window > 0 && !self.adapted {
            let room = (self.window - self.learn.len() as u64).min(rest.len() as u64) as usize;
            let (a, b) = rest.split_at(room);
            self.equalize(a, &mut zs);
            rest = b;
        }
        self.equalize(rest, &mut zs);
        let mut next = 0;
        for (i, w) in wave.iter_mut().enumerate() {
            if next < self.pos.len() && self.pos[next] == i {
                self.held = zs[next];
                next += 1;
            }
            *w = self.held;
        }
        self.k += xs.len() as u64;
        self.n_in = end;
        self.xs = xs;
        self.zs = zs;
        Ok(())
    }
}
