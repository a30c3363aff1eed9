//! Jitter tolerance: for each sinusoidal-jitter frequency, the largest SJ
//! amplitude at which the link still meets a pre-FEC BER target, found by
//! bisection of the amplitude on a log scale (each trial a whole run with
//! `jitter.sj_ui` and `jitter.sj_freq` set), beside a mask.
//!
//! The mask is the usual 802.3 shape for these lanes (my reading of the
//! 100G-per-lane PAM4 jitter tolerance tables; check against the edition you
//! test to): SJ peak to peak 5 UI up to 40 kHz, `2e5 / f` UI from 40 kHz to
//! 4 MHz, 0.05 UI above. `jitter.sj_ui` is an amplitude (peak), half of that.

use crate::config::{Config, ConfigError};
use crate::link::{run, LinkError, RunOptions};
use serde::Serialize;

/// The mask's SJ, peak to peak, UI, at `f` Hz.
pub fn mask_pkpk_ui(f: f64) -> f64 {
    if f <= 4e4 {
        5.0
    } else if f <= 4e6 {
        2e5 / f
    } else {
        0.05
    }
}

/// Errors of a tolerance sweep.
#[derive(Debug, thiserror::Error)]
pub enum JtolError {
    /// A bad request or configuration.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// A run failed.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// A bad sweep parameter.
    #[error("{0}")]
    Bad(String),
}

/// One frequency of the sweep.
#[derive(Clone, Debug, Serialize)]
pub struct JtolPoint {
    /// SJ frequency, Hz
    pub freq_hz: f64,
    /// the largest SJ amplitude (peak, UI) found to meet the target (0 if even the smallest fails)
    pub tolerance_ui: f64,
    /// the same, peak to peak
    pub tolerance_pkpk_ui: f64,
    /// the BER at `tolerance_ui`
    pub ber: f64,
    /// the mask's SJ, peak to peak, UI
    pub mask_pkpk_ui: f64,
    /// the tolerance is at or above the mask
    pub passes_mask: bool,
    /// (amplitude, BER) of every trial, in order
    pub trials: Vec<(f64, f64)>,
}

/// The sweep's report.
#[derive(Clone, Debug, Serialize)]
pub struct JtolReport {
    /// pre-FEC BER target
    pub ber_target: f64,
    /// symbols per trial
    pub symbols: u64,
    /// the run's seed
    pub seed: u64,
    /// every frequency
    pub points: Vec<JtolPoint>,
    /// every frequency passes the mask
    pub passes_mask: bool,
}

/// Smallest and largest SJ amplitude tried, UI (peak).
pub const AMPLITUDE_RANGE: (f64, f64) = (0.005, 8.0);

/// Sweeps `freqs` (Hz) on `cfg` (its `[jitter]` SJ keys are replaced), with
/// `steps` bisection steps per frequency; `text` is the Touchstone file's
/// text when the configuration names one; `progress` is told each trial.
pub fn sweep(
    cfg: &Config,
    text: Option<&str>,
    freqs: &[f64],
    ber_target: f64,
    steps: usize,
    threads: usize,
    progress: &dyn Fn(f64, f64, f64),
) -> Result<JtolReport, JtolError> {
    if !(ber_target > 0.0 && ber_target < 0.5) {
        return Err(JtolError::Bad(format!(
            "--ber {ber_target}: a BER target between 0 and 0.5"
        )));
    }
    if freqs.is_empty() {
        return Err(JtolError::Bad("no SJ frequency to sweep".into()));
    }
    let opts = RunOptions {
        threads,
        ..Default::default()
    };
    let trial = |f: f64, a: f64| -> Result<f64, JtolError> {
        let mut c = cfg.clone();
        c.jitter.sj_ui = a;
        c.jitter.sj_freq = f;
        let plan = c.resolve_with(text)?;
        let r = run(&plan, &opts)?.report;
        progress(f, a, r.pre_fec.ber);
        Ok(r.pre_fec.ber)
    };
    // every frequency is checked before the first run
    for &f in freqs {
        let mut c = cfg.clone();
        c.jitter.sj_ui = AMPLITUDE_RANGE.0;
        c.jitter.sj_freq = f;
        c.resolve_with(text)?;
    }
    let plan0 = cfg.resolve_with(text)?;
    let mut points = Vec::new();
    for &f in freqs {
        let (mut lo, mut hi) = (AMPLITUDE_RANGE.0.ln(), AMPLITUDE_RANGE.1.ln());
        let mut trials = Vec::new();
        let b_lo = trial(f, lo.exp())?;
        trials.push((lo.exp(), b_lo));
        let (tol, ber) = if b_lo > ber_target {
            (0.0, b_lo)
        } else {
            let b_hi = trial(f, hi.exp())?;
            trials.push((hi.exp(), b_hi));
            if b_hi <= ber_target {
                (hi.exp(), b_hi)
            } else {
                let mut best = (lo.exp(), b_lo);
                for _ in 0..steps {
                    let m = 0.5 * (lo + hi);
                    let b = trial(f, m.exp())?;
                    trials.push((m.exp(), b));
                    if b <= ber_target {
                        lo = m;
                        best = (m.exp(), b);
                    } else {
                        hi = m;
                    }
                }
                best
            }
        };
        let mask = mask_pkpk_ui(f);
        points.push(JtolPoint {
            freq_hz: f,
            tolerance_ui: tol,
            tolerance_pkpk_ui: 2.0 * tol,
            ber,
            mask_pkpk_ui: mask,
            passes_mask: 2.0 * tol >= mask,
            trials,
        });
    }
    Ok(JtolReport {
        ber_target,
        symbols: plan0.symbols,
        seed: plan0.seed,
        passes_mask: points.iter().all(|p| p.passes_mask),
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_shape() {
        assert_eq!(mask_pkpk_ui(1e3), 5.0);
        assert!((mask_pkpk_ui(4e5) - 0.5).abs() < 1e-12);
        assert_eq!(mask_pkpk_ui(1e8), 0.05);
        // continuous at the corners
        assert!((mask_pkpk_ui(4e4 * 1.0000001) - 5.0).abs() < 1e-5);
        assert!((mask_pkpk_ui(4e6) - 0.05).abs() < 1e-12);
    }
}
