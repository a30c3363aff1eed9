//! The realistic link's plan: `channel.samples_per_ui`, `tx.bw_ghz`,
//! `[ctle]`, `[jitter]`, `adc.phase` and `[cdr]` checked and turned into an
//! oversampled pulse ([`crate::wave`]), the baud-rate pulse at the sampling
//! instant (what the equalizer design sees), the noise shaping and the loop.
//!
//! The realistic link runs when any of those keys leaves its default; with
//! all of them at their defaults the plan has no [`Realism`] and the link is
//! the baud-rate model, unchanged.

use crate::cdr::CdrPlan;
use crate::channel::{self, Pulse};
use crate::coeffs;
use crate::config::{CdrKind, Config, ConfigError, CtleCfg, JitterCfg};
use crate::pam4::MEAN_SYMBOL_POWER;
use crate::wave::{self, Ctle, Jitter, Sampler, Wave};
use serde::Serialize;

/// `(g_dc, g_dc2)` pairs the CTLE search tries.
type GainGrid = Vec<(f64, f64)>;

/// The smallest `channel.samples_per_ui` the CTLE, jitter, `adc.phase`,
/// `tx.bw_ghz` and the CDR accept.
pub const MIN_SPS_REALISM: i64 = 8;

/// The oversampled link of a plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Realism {
    /// samples per UI
    pub samples_per_ui: usize,
    /// baud rate, Hz (the time scale of the CTLE and SJ frequencies)
    pub baud: f64,
    /// the pulse at the ADC input (front-padded for the jitter's reach)
    pub wave: Wave,
    /// the sampling instant (sample position in `wave`) the baud pulse and the equalizer design use
    pub pos: f64,
    /// the nominal instant (the pulse's peak) in `wave`
    pub nominal: usize,
    /// `adc.phase`, UI
    pub adc_phase: f64,
    /// `tx.bw_ghz`
    pub tx_bw_ghz: Option<f64>,
    /// the CTLE
    pub ctle: Option<Ctle>,
    /// how the CTLE's gains were chosen, with `ctle.search`
    pub ctle_search: Option<CtleSearch>,
    /// baud-rate noise-shaping FIR (centred, odd length); empty = white noise
    pub noise_fir: Vec<f64>,
    /// `sqrt(sum noise_fir^2)`: the noise's gain to the ADC (1 without a CTLE)
    pub noise_gain: f64,
    /// jitter
    pub jitter: Jitter,
    /// the loop, with `cdr.kind = "mm"`
    pub cdr: Option<CdrPlan>,
    /// polyphase tables, when the instant moves (jitter or CDR)
    pub sampler: Option<Sampler>,
    /// the linear interpolation's error bound per unit level
    pub interp_error: f64,
}

impl Realism {
    /// Levels of channel memory before the first output.
    pub fn history(&self, pulse: &Pulse) -> usize {
        match &self.sampler {
            Some(s) => s.history(),
            None => pulse.taps.len() - 1,
        }
    }

    /// The report's `realism` object.
    pub fn report(&self) -> RealismReport {
        RealismReport {
            samples_per_ui: self.samples_per_ui,
            baud: self.baud,
            adc_phase_ui: self.adc_phase,
            sampling_offset_ui: (self.pos - self.nominal as f64) / self.samples_per_ui as f64,
            tx_bw_ghz: self.tx_bw_ghz,
            ctle: self.ctle.clone(),
            ctle_search: self.ctle_search.clone(),
            noise_gain: self.noise_gain,
            jitter: self.jitter,
            interp_error_bound: self.interp_error,
        }
    }
}

/// The realism settings in a report (`realism`).
#[derive(Clone, Debug, Serialize)]
pub struct RealismReport {
    /// samples per UI
    pub samples_per_ui: usize,
    /// baud rate
    pub baud: f64,
    /// `adc.phase`, UI
    pub adc_phase_ui: f64,
    /// the instant the equalizer was designed for, UI from the pulse's peak
    pub sampling_offset_ui: f64,
    /// transmit bandwidth pole, GHz
    pub tx_bw_ghz: Option<f64>,
    /// the CTLE
    pub ctle: Option<Ctle>,
    /// the CTLE gain search
    pub ctle_search: Option<CtleSearch>,
    /// noise gain of the CTLE to the ADC (RMS, band-limited white input)
    pub noise_gain: f64,
    /// jitter
    pub jitter: Jitter,
    /// linear interpolation error bound per unit level
    pub interp_error_bound: f64,
}

/// The result of `ctle.search`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CtleSearch {
    /// candidates tried
    pub tried: usize,
    /// the chosen g_dc
    pub g_dc: f64,
    /// the chosen g_dc2
    pub g_dc2: f64,
    /// its MMSE figure: signal over residual ISI plus noise at the slicer, dB
    pub mmse_db: f64,
}

fn range_f(key: &'static str, v: f64, lo: f64, hi: f64) -> Result<f64, ConfigError> {
    if !(v.is_finite() && v >= lo && v <= hi) {
        return Err(ConfigError::Range {
            key,
            value: v.to_string(),
            range: format!("{lo}..={hi}"),
        });
    }
    Ok(v)
}

/// The MMSE figure of `eq` on `pulse`: the main cursor over the residual
/// ISI (outside the DFE's reach) plus the noise through the FFE, where the
/// noise at the ADC is white `sigma^2` through `noise_fir` (empty = white), dB.
pub fn mmse_figure(
    pulse: &Pulse,
    eq: &coeffs::FloatEq,
    dfe_taps: usize,
    sigma: f64,
    noise_fir: &[f64],
) -> f64 {
    let g = &eq.response;
    let d = eq.delay;
    let ss = MEAN_SYMBOL_POWER;
    let isi: f64 = g
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != d && !(i > d && i <= d + dfe_taps))
        .map(|(_, v)| v * v)
        .sum::<f64>()
        * ss;
    let r = |m: usize| -> f64 {
        if noise_fir.is_empty() {
            return if m == 0 { 1.0 } else { 0.0 };
        }
        noise_fir
            .iter()
            .zip(noise_fir.iter().skip(m))
            .map(|(a, b)| a * b)
            .sum()
    };
    let c = &eq.ffe;
    let mut noise = 0.0;
    for (k, ck) in c.iter().enumerate() {
        for (l, cl) in c.iter().enumerate() {
            noise += ck * cl * r(k.abs_diff(l));
        }
    }
    noise *= sigma * sigma;
    let _ = pulse;
    10.0 * (ss * g[d] * g[d] / (isi + noise).max(1e-300)).log10()
}

impl Config {
    /// Whether any realism key leaves its default.
    pub(crate) fn realism_asked(&self) -> bool {
        self.channel.samples_per_ui != 1
            || self.tx.bw_ghz.is_some()
            || self.ctle != CtleCfg::default()
            || self.jitter != JitterCfg::default()
            || self.cdr.kind != CdrKind::None
            || self.adc.phase != 0.0
    }

    /// The first realism feature that needs the waveform between baud samples.
    fn realism_feature(&self) -> Option<&'static str> {
        if self.ctle != CtleCfg::default() {
            Some("ctle")
        } else if self.jitter != JitterCfg::default() {
            Some("jitter")
        } else if self.cdr.kind != CdrKind::None {
            Some("cdr.kind")
        } else if self.adc.phase != 0.0 {
            Some("adc.phase")
        } else if self.tx.bw_ghz.is_some() {
            Some("tx.bw_ghz")
        } else {
            None
        }
    }

    /// `channel.samples_per_ui` and the baud rate, checked.
    fn sps_and_baud(&self) -> Result<(usize, f64), ConfigError> {
        let s = self.channel.samples_per_ui;
        if !(1..=wave::MAX_SAMPLES_PER_UI as i64).contains(&s) || !(s as u64).is_power_of_two() {
            return Err(ConfigError::Range {
                key: "channel.samples_per_ui",
                value: s.to_string(),
                range: format!("a power of two, 1..={}", wave::MAX_SAMPLES_PER_UI),
            });
        }
        if let Some(f) = self.realism_feature() {
            if s < MIN_SPS_REALISM {
                return Err(ConfigError::Conflict(format!(
                    "{f} needs channel.samples_per_ui >= {MIN_SPS_REALISM} (it acts on the waveform between baud-rate samples; 32 is usual), not {s}"
                )));
            }
        }
        let baud = range_f("channel.baud", self.channel.baud, 1e6, 1e12)?;
        Ok((s as usize, baud))
    }

    /// The channel's pulse at `s` samples per UI, and its name.
    fn base_wave(&self, text: Option<&str>, s: usize) -> Result<(String, Wave), ConfigError> {
        if let Some(path) = &self.channel.touchstone {
            let (name, d) = self.touchstone_detail(path, text, s)?;
            let mut w = Wave {
                s,
                peak: d.oversampled_main,
                h: d.oversampled,
            };
            w.trim(wave::WAVE_TRIM);
            return Ok((name, w));
        }
        if let Some(taps) = &self.channel.taps {
            if taps.is_empty() || taps.len() > 256 * s {
                return Err(ConfigError::Range {
                    key: "channel.taps",
                    value: format!("a list of {} taps", taps.len()),
                    range: format!("1..={} taps ({s} per UI)", 256 * s),
                });
            }
            if let Some(bad) = taps.iter().find(|t| !t.is_finite()) {
                return Err(ConfigError::Range {
                    key: "channel.taps",
                    value: bad.to_string(),
                    range: "finite numbers".into(),
                });
            }
            if taps.iter().all(|&t| t == 0.0) {
                return Err(ConfigError::Conflict("channel.taps are all zero".into()));
            }
            let main = match self.channel.main {
                Some(m) => {
                    if !(0..taps.len() as i64).contains(&m) {
                        return Err(ConfigError::Range {
                            key: "channel.main",
                            value: m.to_string(),
                            range: format!("0..={}", taps.len() - 1),
                        });
                    }
                    Some(m as usize)
                }
                None => None,
            };
            return Ok((format!("taps ({s}/UI)"), Wave::from_taps(taps, main, s)));
        }
        let name = self
            .channel
            .preset
            .as_deref()
            .unwrap_or(crate::config::DEFAULT_PRESET);
        let pr = channel::preset(name).ok_or_else(|| {
            let names: Vec<_> = channel::PRESETS.iter().map(|p| p.name).collect();
            ConfigError::Conflict(format!(
                "channel.preset = \"{name}\" is unknown (presets: {})",
                names.join(", ")
            ))
        })?;
        if self.channel.main.is_some() {
            return Err(ConfigError::Conflict(
                "channel.main goes with channel.taps, not with a preset".into(),
            ));
        }
        Ok((name.to_string(), Wave::from_preset(pr, s)))
    }

    /// `[ctle]` checked: the CTLE with its gains (the search's grid, when asked, aside).
    fn resolve_ctle(&self, baud: f64) -> Result<Option<(Ctle, GainGrid)>, ConfigError> {
        let c = &self.ctle;
        if *c == CtleCfg::default() {
            return Ok(None);
        }
        let preset = match &c.preset {
            Some(n) => Some(wave::ctle_preset(n).ok_or_else(|| {
                let names: Vec<_> = wave::CTLE_PRESETS.iter().map(|p| p.name).collect();
                ConfigError::Conflict(format!(
                    "ctle.preset = \"{n}\" is unknown (presets: {})",
                    names.join(", ")
                ))
            })?),
            None => None,
        };
        let freq = |key: &'static str, v: Option<f64>, from: Option<f64>| match v
            .or(from.map(|r| r * baud))
        {
            Some(f) => {
                if !(f.is_finite() && f > 0.0 && f <= 1e13) {
                    return Err(ConfigError::Range {
                        key,
                        value: f.to_string(),
                        range: "a frequency above 0 Hz (a pole or zero at 0 Hz is not a CTLE)"
                            .into(),
                    });
                }
                Ok(Some(f))
            }
            None => Ok(None),
        };
        let need = |key: &'static str, v: Option<f64>| {
            v.ok_or_else(|| {
                ConfigError::Conflict(format!(
                    "{key} is needed (or ctle.preset = \"802.3ck\" | \"802.3bj\")"
                ))
            })
        };
        let f_z = need("ctle.f_z", freq("ctle.f_z", c.f_z, preset.map(|p| p.f_z))?)?;
        let f_p1 = need(
            "ctle.f_p1",
            freq("ctle.f_p1", c.f_p1, preset.map(|p| p.f_p1))?,
        )?;
        let f_p2 = need(
            "ctle.f_p2",
            freq("ctle.f_p2", c.f_p2, preset.map(|p| p.f_p2))?,
        )?;
        let f_lf = freq("ctle.f_lf", c.f_lf, preset.and_then(|p| p.f_lf))?;
        let g_dc = range_f("ctle.g_dc", c.g_dc.unwrap_or(0.0), -30.0, 0.0)?;
        let g_dc2 = range_f("ctle.g_dc2", c.g_dc2.unwrap_or(0.0), -30.0, 0.0)?;
        if f_lf.is_none() && g_dc2 != 0.0 {
            return Err(ConfigError::Conflict(
                "ctle.g_dc2 needs ctle.f_lf (the low-frequency stage)".into(),
            ));
        }
        let mut grid = Vec::new();
        if c.search {
            if c.g_dc.is_some() || c.g_dc2.is_some() {
                return Err(ConfigError::Conflict(
                    "ctle.search chooses ctle.g_dc and ctle.g_dc2: give either the search or the gains".into(),
                ));
            }
            let (g1, g2) = match preset {
                Some(p) => (p.g_dc, p.g_dc2),
                None => (
                    (-20.0, 0.0),
                    if f_lf.is_some() {
                        (-6.0, 0.0)
                    } else {
                        (0.0, 0.0)
                    },
                ),
            };
            let mut a = g1.0;
            while a <= g1.1 + 1e-9 {
                let mut b = g2.0;
                while b <= g2.1 + 1e-9 {
                    grid.push((a, b));
                    b += 1.0;
                }
                a += 1.0;
            }
        }
        Ok(Some((
            Ctle {
                g_dc,
                g_dc2,
                f_z,
                f_p1,
                f_p2,
                f_lf,
            },
            grid,
        )))
    }

    /// `[jitter]` checked.
    fn resolve_jitter(&self, baud: f64) -> Result<Jitter, ConfigError> {
        let j = &self.jitter;
        let rj_ui = range_f("jitter.rj_ui", j.rj_ui, 0.0, 0.2)?;
        let dj_ui = range_f("jitter.dj_ui", j.dj_ui, 0.0, 1.0)?;
        let sj_ui = range_f("jitter.sj_ui", j.sj_ui, 0.0, 100.0)?;
        let sj_freq = range_f("jitter.sj_freq", j.sj_freq, 0.0, baud / 2.0)?;
        if sj_ui > 0.0 && sj_freq == 0.0 {
            return Err(ConfigError::Conflict(
                "jitter.sj_ui needs jitter.sj_freq (Hz, above 0)".into(),
            ));
        }
        Ok(Jitter {
            rj_ui,
            dj_ui,
            sj_ui,
            sj_freq,
        })
    }

    /// `[cdr]` checked (the loop gains are checked against the pulse later, in
    /// [`crate::realism::finish_cdr`]).
    fn resolve_cdr(&self, jitter: &Jitter) -> Result<Option<CdrPlan>, ConfigError> {
        let c = &self.cdr;
        if c.kind == CdrKind::None {
            return Ok(None);
        }
        let r = |key, v: i64, lo: i64, hi: i64| -> Result<i64, ConfigError> {
            if v < lo || v > hi {
                return Err(ConfigError::Range {
                    key,
                    value: v.to_string(),
                    range: format!("{lo}..={hi}"),
                });
            }
            Ok(v)
        };
        let phase_bits = r("cdr.phase_bits", c.phase_bits, 4, 24)? as u32;
        let update = r("cdr.update", c.update, 1, 1024)? as usize;
        let kp_shift = r("cdr.kp_shift", c.kp_shift, 0, 40)? as u32;
        let ki_shift = r("cdr.ki_shift", c.ki_shift, 0, 60)? as u32;
        if self.adapt.in_rtl {
            return Err(ConfigError::Conflict(
                "cdr.kind = \"mm\" takes its decisions from the fixed equalizer: not with adapt.in_rtl = true".into(),
            ));
        }
        Ok(Some(CdrPlan {
            kp_shift,
            ki_shift,
            phase_bits,
            update,
            bias: 0,
            bias_given: match c.bias {
                Some(b) => Some(r("cdr.bias", b, -(1 << 20), 1 << 20)?),
                None => None,
            },
            limit_ui: jitter.sj_ui + 1.0,
            pd_gain: 0.0,
            delay_updates: 0,
            bandwidth_hz: 0.0,
        }))
    }

    /// The realistic channel: name, baud pulse at the sampling instant, and the plan.
    pub(crate) fn resolve_realism(
        &self,
        text: Option<&str>,
        sigma: f64,
    ) -> Result<(String, Pulse, Realism), ConfigError> {
        let (s, baud) = self.sps_and_baud()?;
        if self.link.model != crate::config::LinkModel::Reference {
            return Err(ConfigError::Conflict(
                "link.model = \"emulator\" is the baud-rate channel: it takes channel.samples_per_ui = 1 and no ctle, jitter, adc.phase or cdr".into(),
            ));
        }
        let (mut name, mut w) = self.base_wave(text, s)?;
        if s > 1 {
            name = format!("{name} @ {s}/UI");
        }
        let tx_bw_ghz = match self.tx.bw_ghz {
            Some(g) => {
                let g = range_f("tx.bw_ghz", g, 0.1, 1000.0)?;
                let tail =
                    (12.0 * baud / (2.0 * std::f64::consts::PI * g * 1e9)).ceil() as usize + 64;
                w = w.filtered(baud, tail, &wave::tx_pole(g * 1e9));
                name = format!("{name} + tx.bw");
                Some(g)
            }
            None => None,
        };
        let adc_phase = range_f("adc.phase", self.adc.phase, -0.5, 0.5)?;
        let tx_ffe = self.tx_ffe()?;
        let jitter = self.resolve_jitter(baud)?;
        let mut cdr = self.resolve_cdr(&jitter)?;
        let ctle_grid = self.resolve_ctle(baud)?;
        let (ctle, ctle_search) = match ctle_grid {
            None => (None, None),
            Some((c, grid)) if grid.is_empty() => (Some(c), None),
            Some((c, grid)) => {
                let (best, search) = self.search_ctle(&w, c, &grid, baud, adc_phase, sigma)?;
                (Some(best), Some(search))
            }
        };
        if let Some(c) = &ctle {
            w = w.filtered(baud, c.tail_ui(baud), &|f| c.response(f));
            name = format!("{name} + ctle");
        }
        if let Some(c) = &tx_ffe {
            w = w.with_tx_ffe(c);
            name = format!("{name} + tx.ffe");
        }
        let moving = jitter.any() || cdr.is_some();
        let bound = jitter.bound() + cdr.as_ref().map_or(0.0, |c| c.limit_ui);
        if moving {
            w = w.padded_front(bound.ceil() as usize + 1);
        }
        let nominal = w.peak;
        // with a loop, the instant is its lock point: the peak unless `cdr.bias`
        // moves it ([`finish_cdr`] places it once the ADC's gain is known)
        let pos = match &cdr {
            None => nominal as f64 + adc_phase * s as f64,
            Some(_) => nominal as f64,
        };
        let mut pulse = w.baud_pulse(pos);
        trim_tail(&mut pulse, wave::WAVE_TRIM);
        let (noise_fir, noise_gain) = match &ctle {
            Some(c) => {
                let f = wave::noise_fir(c, baud);
                let g = f.iter().map(|v| v * v).sum::<f64>().sqrt();
                (f, g)
            }
            None => (Vec::new(), 1.0),
        };
        if let Some(c) = cdr.as_mut() {
            c.delay_updates = 0;
        }
        let sampler = moving.then(|| Sampler::new(&w, pos, bound));
        let interp_error = w.interp_error_bound();
        Ok((
            name,
            pulse,
            Realism {
                samples_per_ui: s,
                baud,
                wave: w,
                pos,
                nominal,
                adc_phase,
                tx_bw_ghz,
                ctle,
                ctle_search,
                noise_fir,
                noise_gain,
                jitter,
                cdr,
                sampler,
                interp_error,
            },
        ))
    }

    /// Chooses the CTLE gains on `grid` for the best [`mmse_figure`] of the
    /// configured FFE/DFE at the configured instant.
    fn search_ctle(
        &self,
        base: &Wave,
        c: Ctle,
        grid: &[(f64, f64)],
        baud: f64,
        adc_phase: f64,
        sigma: f64,
    ) -> Result<(Ctle, CtleSearch), ConfigError> {
        let fmt = self.resolve_format()?;
        let tx_ffe = self.tx_ffe()?;
        let mut best: Option<(f64, Ctle)> = None;
        for &(g1, g2) in grid {
            let cand = Ctle {
                g_dc: g1,
                g_dc2: g2,
                ..c.clone()
            };
            let mut w = base.filtered(baud, cand.tail_ui(baud), &|f| cand.response(f));
            if let Some(t) = &tx_ffe {
                w = w.with_tx_ffe(t);
            }
            let mut pulse = w.baud_pulse(w.peak as f64 + adc_phase * w.s as f64);
            trim_tail(&mut pulse, wave::WAVE_TRIM);
            let nf = wave::noise_fir(&cand, baud);
            let gain2: f64 = nf.iter().map(|v| v * v).sum();
            let Ok(eq) = coeffs::design(
                &pulse,
                fmt.ffe_taps,
                fmt.ffe_main,
                fmt.dfe_taps,
                sigma * sigma * gain2,
            ) else {
                continue;
            };
            let fig = mmse_figure(&pulse, &eq, fmt.dfe_taps, sigma, &nf);
            if best.as_ref().is_none_or(|(b, _)| fig > *b) {
                best = Some((fig, cand));
            }
        }
        let (fig, ctle) = best.ok_or_else(|| {
            ConfigError::Conflict("ctle.search: no CTLE setting gives a usable equalizer".into())
        })?;
        Ok((
            ctle.clone(),
            CtleSearch {
                tried: grid.len(),
                g_dc: ctle.g_dc,
                g_dc2: ctle.g_dc2,
                mmse_db: fig,
            },
        ))
    }
}

/// Drops trailing taps below `rel` times the main cursor.
fn trim_tail(p: &mut Pulse, rel: f64) {
    let thr = rel * p.taps[p.main].abs();
    while p.taps.len() > p.main + 1 && p.taps[p.taps.len() - 1].abs() < thr {
        p.taps.pop();
    }
}

/// The Mueller-Muller lock point near the pulse's peak: the instant where
/// `h(t + T) - h(t - T) = level`, within half a UI of the peak, by a scan at
/// a quarter sample and bisection.
pub fn mm_lock_point(w: &Wave, level: f64) -> Result<f64, ConfigError> {
    let s = w.s as f64;
    let g = |x: f64| w.interp(x + s) - w.interp(x - s) - level;
    let p = w.peak as f64;
    let step = 0.25;
    let n = (0.5 * s / step) as i64;
    // the crossing from above zero to at or below it nearest the peak
    let mut best: Option<(f64, f64)> = None;
    for k in -n..n {
        let (a, b) = (p + k as f64 * step, p + (k + 1) as f64 * step);
        if g(a) > 0.0 && g(b) <= 0.0 {
            let dist = (a - p).abs().min((b - p).abs());
            if best.is_none_or(|(bd, _)| dist < bd) {
                best = Some((dist, a));
            }
        }
    }
    let Some((_, mut lo)) = best else {
        return Err(ConfigError::Conflict(
            "cdr.kind = \"mm\": the pulse has no Mueller-Muller lock point (h(T) - h(-T) = cdr.bias / (5/3 ADC gain)) within 0.5 UI of its peak".into(),
        ));
    };
    let mut hi = lo + step;
    for _ in 0..50 {
        let m = 0.5 * (lo + hi);
        if g(m) > 0.0 {
            lo = m;
        } else {
            hi = m;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// Fills the loop's phase-detector gain (from the pulse and the ADC gain)
/// and checks that it locks: called once the ADC is resolved.
pub fn finish_cdr(plan: &mut crate::config::LinkPlan) -> Result<(), ConfigError> {
    let ffe_main = plan.format.ffe_main;
    let gain = plan.adc.gain();
    let Some(r) = plan.realism.as_mut() else {
        return Ok(());
    };
    let baud = r.baud;
    let s = r.samples_per_ui as f64;
    let w = &r.wave;
    let pos = r.pos;
    let Some(c) = r.cdr.as_mut() else {
        return Ok(());
    };
    // d/dtau of h(1) - h(-1) at the lock point, per UI, by a central difference of 1/S UI
    let g = |x: f64| w.interp(x + s) - w.interp(x - s);
    let k = 5.0 / 3.0 * gain;
    let pos = match c.bias_given {
        // locks at the peak: the detector's mean there, as a calibration would find it
        None => {
            c.bias = (k * g(pos)).round() as i64;
            pos
        }
        Some(b) => {
            c.bias = b;
            mm_lock_point(w, b as f64 / k)?
        }
    };
    let slope = (g(pos + 1.0) - g(pos - 1.0)) / 2.0 * s;
    c.pd_gain = k * slope;
    c.delay_updates = ffe_main.div_ceil(c.update);
    if c.pd_gain.is_nan() || c.pd_gain >= 0.0 {
        return Err(ConfigError::Conflict(
            "cdr.kind = \"mm\": the phase detector has no restoring slope at the lock point".into(),
        ));
    }
    c.analyse(baud)
        .map_err(|e| ConfigError::Conflict(e.to_string()))?;
    if pos != r.pos {
        // an explicit bias moved the lock point: the equalizer is designed there
        let bound = r.jitter.bound() + c.limit_ui;
        r.pos = pos;
        r.sampler = Some(Sampler::new(&r.wave, pos, bound));
        let mut pulse = r.wave.baud_pulse(pos);
        trim_tail(&mut pulse, wave::WAVE_TRIM);
        plan.pulse = pulse;
    }
    Ok(())
}

/// The plan with the fixed sampling instant moved by `offset_ui` (the
/// equalizer design and the noise unchanged): for horizontal bathtubs.
/// `None` for a plan without the realistic link, with a CDR (its instant
/// is the loop's), or an offset beyond half a UI.
pub fn at_offset(
    plan: &crate::config::LinkPlan,
    offset_ui: f64,
) -> Option<crate::config::LinkPlan> {
    let r = plan.realism.as_ref()?;
    if r.cdr.is_some() || offset_ui.is_nan() || offset_ui.abs() > 0.5 {
        return None;
    }
    let mut p = plan.clone();
    let q = p.realism.as_mut()?;
    q.pos = r.pos + offset_ui * r.samples_per_ui as f64;
    // the sampler's padding covers any instant within its UI grid: same bound
    if q.sampler.is_some() {
        q.sampler = Some(Sampler::new(&q.wave, q.pos, q.jitter.bound()));
    }
    let mut pulse = q.wave.baud_pulse(q.pos);
    trim_tail(&mut pulse, wave::WAVE_TRIM);
    p.pulse = pulse;
    Some(p)
}

/// A stretch of the waveform at the ADC input at S samples per UI, for the
/// real eye diagram (`rxdsp sim --plots`, `eye_oversampled`).
#[derive(Clone, Debug, PartialEq)]
pub struct EyeWave {
    /// the waveform, starting half a UI before a sampling instant
    pub samples: Vec<f64>,
    /// samples per UI
    pub samples_per_ui: usize,
    /// the slicer thresholds of the unequalized main cursor, -2/3, 0, 2/3
    /// of the pulse at the instant
    pub thresholds: [f64; 3],
}

/// `symbols` UIs of the waveform at the ADC input of `r` at its S samples
/// per UI: random PAM4 levels (±1, ±1/3, from `seed`) through the pulse
/// `r.wave` (channel, TX filters and CTLE), sum of shifted pulses computed
/// directly, plus Gaussian noise band-limited to the symbol rate: one
/// independent draw of `sigma` (the sampler's noise level) per sampling
/// instant, interpolated linearly between instants (so the spread is
/// right at the instants, where the receiver samples, and smaller between
/// them). Jitter moves the sampling instant, not the waveform, and is not
/// drawn. The first sample is half a UI before a sampling instant (rounded
/// to a sample), after the channel's memory.
pub fn eye_waveform(r: &Realism, sigma: f64, symbols: usize, seed: u64) -> EyeWave {
    let s = r.samples_per_ui;
    let h = &r.wave.h;
    let mem = h.len().div_ceil(s) + 1;
    let mut rng = crate::rng::Xoshiro256pp::new(seed);
    const LV: [f64; 4] = [-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0];
    let a: Vec<f64> = (0..mem + symbols + 1)
        .map(|_| LV[(rng.next_u64() >> 62) as usize])
        .collect();
    let start = mem * s + (r.pos.round() as usize).saturating_sub(s / 2);
    // noise at the instants i = s/2, s/2 + s, ... of the window (and one before)
    let g: Vec<f64> = (0..symbols + 2).map(|_| sigma * rng.normal()).collect();
    let samples = (start..start + symbols * s)
        .map(|n| {
            // symbols k with 0 <= n - k s < len(h)
            let k_hi = n / s;
            let k_lo = (n + 1).saturating_sub(h.len()).div_ceil(s);
            let isi: f64 = (k_lo..=k_hi.min(a.len() - 1))
                .map(|k| a[k] * h[n - k * s])
                .sum();
            let u = ((n - start) as f64 - (s / 2) as f64) / s as f64 + 1.0;
            let (i, f) = (u.floor() as usize, u - u.floor());
            isi + (1.0 - f) * g[i] + f * g[i + 1]
        })
        .collect();
    let main = r.wave.interp(r.pos);
    EyeWave {
        samples,
        samples_per_ui: s,
        thresholds: [-2.0 / 3.0 * main, 0.0, 2.0 / 3.0 * main],
    }
}
