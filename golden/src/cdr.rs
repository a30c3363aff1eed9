//! A baud-rate clock recovery loop as hardware builds it: a Mueller-Muller
//! phase detector on the ADC codes and the receiver's decisions, and a
//! second-order loop filter in integers (docs/link-model.md, "CDR").
//!
//! Per symbol, with `x_n` the ADC code and `d_n` in {-3, -1, 1, 3} the
//! decision for the symbol `x_n` carries:
//! `e_n = x_n d_{n-1} - x_{n-1} d_n` (Mueller and Muller 1976, type A).
//! Its mean is `(5/3) g (h(1) - h(-1))` (`g` ADC codes per unit, `h(k)` the
//! pulse `k` UI from the sampling instant): zero where the first pre- and
//! post-cursors are equal, falling as the instant moves late. Every
//! `cdr.update` UI the sum `E` of the new `e_n` updates
//! `I += E`, `phi += (E >> kp_shift) + (I >> ki_shift)` (arithmetic shifts),
//! `phi` an integer phase in `2^-phase_bits` UI, saturating at
//! `+-limit` UI; the sampling instant of the next symbols is `phi` later.

use serde::Serialize;

/// `cdr.kp_shift` default.
pub const DEFAULT_KP_SHIFT: i64 = 4;
/// `cdr.ki_shift` default.
pub const DEFAULT_KI_SHIFT: i64 = 14;
/// `cdr.phase_bits` default.
pub const DEFAULT_PHASE_BITS: i64 = 16;
/// `cdr.update` default.
pub const DEFAULT_UPDATE: i64 = 8;

/// The loop is locked once `|phase + SJ|` (the instant's offset from the
/// lock point, random jitter aside) stays within this many UI for
/// [`LOCK_UPDATES`] updates in a row.
pub const LOCK_TOL_UI: f64 = 0.05;
/// Consecutive updates within [`LOCK_TOL_UI`] that declare lock.
pub const LOCK_UPDATES: u64 = 256;
/// Points of the reported phase trajectory, at most.
pub const TRAJECTORY_POINTS: usize = 2000;
/// Bin width of the reported phase histogram, UI.
pub const HIST_BIN_UI: f64 = 1.0 / 64.0;

/// The resolved loop.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CdrPlan {
    /// proportional shift
    pub kp_shift: u32,
    /// integral shift
    pub ki_shift: u32,
    /// phase resolution bits
    pub phase_bits: u32,
    /// UI between updates
    pub update: usize,
    /// subtracted from every detector output (moves the lock point)
    pub bias: i64,
    /// `cdr.bias` as given (absent: computed to lock at the pulse's peak)
    pub bias_given: Option<i64>,
    /// the phase register saturates at +-limit UI
    pub limit_ui: f64,
    /// the phase detector's slope at lock, ADC code^2 per UI per symbol (negative)
    pub pd_gain: f64,
    /// latency of the loop, in updates, after the one it waits for anyway
    pub delay_updates: usize,
    /// the -3 dB frequency of the linearized loop's jitter tracking `|H(f)|`, Hz
    pub bandwidth_hz: f64,
}

/// Errors of a loop that cannot work.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CdrError {
    /// The linearized loop does not settle.
    #[error("cdr: kp_shift = {kp}, ki_shift = {ki} cannot lock: the linearized loop (proportional gain {gp:.3e}, integral gain {gi:.3e} per update) does not settle; use larger shifts")]
    Unstable {
        /// kp_shift
        kp: u32,
        /// ki_shift
        ki: u32,
        /// proportional gain per update
        gp: f64,
        /// integral gain per update
        gi: f64,
    },
    /// So small a gain that the loop cannot follow anything.
    #[error("cdr: kp_shift = {kp}, ki_shift = {ki} cannot lock: the loop gain ({gp:.3e} per update) is so small that the phase register never moves (its resolution is 2^-{bits} UI); use smaller shifts or more phase_bits")]
    Stuck {
        /// kp_shift
        kp: u32,
        /// ki_shift
        ki: u32,
        /// proportional gain per update
        gp: f64,
        /// phase bits
        bits: u32,
    },
}

impl CdrPlan {
    /// Proportional and integral gains of the linearized loop per update (UI per UI).
    pub fn gains(&self) -> (f64, f64) {
        let g = -self.pd_gain * self.update as f64 / (1u64 << self.phase_bits) as f64;
        (
            g / 2f64.powi(self.kp_shift as i32),
            g / 2f64.powi(self.ki_shift as i32),
        )
    }

    /// The linearized loop's jitter tracking `H(f) = L / (1 + L)` at `f / f_b`
    /// (how much of a sinusoidal jitter the phase follows), with
    /// `L(z) = (Gp + Gi / (1 - z^-1)) z^-(1 + D) / (1 - z^-1)` per update.
    pub fn tracking(&self, f_over_baud: f64) -> f64 {
        let (gp, gi) = self.gains();
        let w = 2.0 * std::f64::consts::PI * f_over_baud * self.update as f64;
        let z1 = num_complex::Complex64::from_polar(1.0, -w); // z^-1
        let one = num_complex::Complex64::new(1.0, 0.0);
        let acc = one / (one - z1);
        let l = (gp + gi * acc) * z1.powu(1 + self.delay_updates as u32) * acc;
        (l / (one + l)).norm()
    }

    /// Checks that the linearized loop settles and moves; fills `bandwidth_hz`.
    pub fn analyse(&mut self, baud: f64) -> Result<(), CdrError> {
        let (gp, gi) = self.gains();
        let err_unstable = CdrError::Unstable {
            kp: self.kp_shift,
            ki: self.ki_shift,
            gp,
            gi,
        };
        if !(gp.is_finite() && gp > 0.0) {
            return Err(err_unstable);
        }
        if gp * (1u64 << self.phase_bits) as f64 * 0.05 < 1.0 && gi * 1e6 < 1.0 {
            // a 0.05 UI error moves the register by less than one step per update
            return Err(CdrError::Stuck {
                kp: self.kp_shift,
                ki: self.ki_shift,
                gp,
                bits: self.phase_bits,
            });
        }
        // the linear recurrence from a unit phase error
        let d = self.delay_updates + 1;
        let steps = 400_000usize;
        let mut tau = vec![0.0f64; steps];
        tau[0] = 1.0;
        let mut integ = 0.0;
        for k in 1..steps {
            let e = if k >= d { tau[k - d] } else { 0.0 };
            integ += gi * e;
            tau[k] = tau[k - 1] - gp * e - integ;
            if !tau[k].is_finite() || tau[k].abs() > 1e6 {
                return Err(err_unstable);
            }
        }
        let tail = tau[steps - 1000..]
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()));
        if tail > 1e-3 {
            return Err(err_unstable);
        }
        // -3 dB of the tracking, on a log grid
        let mut f = 1e-9;
        let top = 0.5 / self.update as f64;
        let mut bw = top;
        while f < top {
            if self.tracking(f) < std::f64::consts::FRAC_1_SQRT_2 {
                bw = f;
                break;
            }
            f *= 1.02;
        }
        self.bandwidth_hz = bw * baud;
        Ok(())
    }
}

/// The loop's state while running.
#[derive(Clone, Debug)]
pub struct CdrState {
    /// phase register, `2^-phase_bits` UI
    pub phase: i64,
    /// integrator
    pub integ: i64,
    limit: i64,
    kp: u32,
    ki: u32,
    scale: f64,
    /// statistics
    stats: CdrStats,
}

#[derive(Clone, Debug, Default)]
struct CdrStats {
    updates: u64,
    run_in_tol: u64,
    lock_update: Option<u64>,
    n: u64,
    sum: f64,
    sumsq: f64,
    hist: Vec<u64>,
    hist_lo: f64,
    stride: u64,
    trajectory: Vec<f64>,
}

impl CdrState {
    /// A loop at `start_ui` for a run of `symbols` symbols.
    pub fn new(p: &CdrPlan, start_ui: f64, symbols: u64) -> CdrState {
        let scale = (1u64 << p.phase_bits) as f64;
        let limit = (p.limit_ui * scale) as i64;
        let updates = symbols / p.update as u64 + 1;
        let bins = ((2.0 * p.limit_ui / HIST_BIN_UI).ceil() as usize).clamp(1, 4096);
        CdrState {
            phase: ((start_ui * scale).round() as i64).clamp(-limit, limit),
            integ: 0,
            limit,
            kp: p.kp_shift,
            ki: p.ki_shift,
            scale,
            stats: CdrStats {
                hist: vec![0; bins],
                hist_lo: -p.limit_ui,
                stride: (updates / TRAJECTORY_POINTS as u64).max(1),
                ..CdrStats::default()
            },
        }
    }

    /// The phase, UI.
    #[inline]
    pub fn phase_ui(&self) -> f64 {
        self.phase as f64 / self.scale
    }

    /// One loop update with the phase detector sum `e`; `offset_ui` is the
    /// deterministic part of the instant besides the loop (the SJ now), for
    /// the lock detector.
    pub fn update(&mut self, e: i64, offset_ui: f64) {
        self.integ = self.integ.saturating_add(e);
        let step = (e >> self.kp.min(63)) + (self.integ >> self.ki.min(63));
        self.phase = (self.phase + step).clamp(-self.limit, self.limit);
        let st = &mut self.stats;
        let ph = self.phase as f64 / self.scale;
        if st.updates.is_multiple_of(st.stride) && st.trajectory.len() < TRAJECTORY_POINTS + 1 {
            st.trajectory.push(ph);
        }
        st.updates += 1;
        if st.lock_update.is_none() {
            if (ph + offset_ui).abs() < LOCK_TOL_UI {
                st.run_in_tol += 1;
                if st.run_in_tol >= LOCK_UPDATES {
                    st.lock_update = Some(st.updates - LOCK_UPDATES);
                }
            } else {
                st.run_in_tol = 0;
            }
        } else {
            st.n += 1;
            st.sum += ph;
            st.sumsq += ph * ph;
            let b = ((ph - st.hist_lo) / HIST_BIN_UI).floor();
            let b = (b.max(0.0) as usize).min(st.hist.len() - 1);
            st.hist[b] += 1;
        }
    }

    /// The report of the run.
    pub fn report(&self, p: &CdrPlan) -> CdrReport {
        let st = &self.stats;
        let n = st.n.max(1) as f64;
        let mean = st.sum / n;
        let var = (st.sumsq / n - mean * mean).max(0.0);
        CdrReport {
            kind: "mm",
            kp_shift: p.kp_shift,
            ki_shift: p.ki_shift,
            phase_bits: p.phase_bits,
            update: p.update,
            bias: p.bias,
            bandwidth_hz: p.bandwidth_hz,
            pd_gain: p.pd_gain,
            locked: st.lock_update.is_some(),
            lock_symbols: st.lock_update.map(|u| u * p.update as u64),
            phase_mean_ui: if st.n > 0 { Some(mean) } else { None },
            phase_std_ui: if st.n > 0 { Some(var.sqrt()) } else { None },
            final_phase_ui: self.phase_ui(),
            histogram: PhaseHistogram {
                first_ui: st.hist_lo,
                bin_ui: HIST_BIN_UI,
                counts: st.hist.clone(),
            },
            trajectory: Trajectory {
                every_symbols: st.stride * p.update as u64,
                phase_ui: st.trajectory.clone(),
            },
        }
    }
}

/// The phase histogram after lock.
#[derive(Clone, Debug, Serialize)]
pub struct PhaseHistogram {
    /// left edge of the first bin, UI
    pub first_ui: f64,
    /// bin width, UI
    pub bin_ui: f64,
    /// updates per bin (after lock)
    pub counts: Vec<u64>,
}

/// The phase over the run.
#[derive(Clone, Debug, Serialize)]
pub struct Trajectory {
    /// symbols between points
    pub every_symbols: u64,
    /// the phase register, UI
    pub phase_ui: Vec<f64>,
}

/// The `cdr` object of a report.
#[derive(Clone, Debug, Serialize)]
pub struct CdrReport {
    /// "mm"
    pub kind: &'static str,
    /// proportional shift
    pub kp_shift: u32,
    /// integral shift
    pub ki_shift: u32,
    /// phase resolution bits
    pub phase_bits: u32,
    /// UI between updates
    pub update: usize,
    /// detector bias per symbol
    pub bias: i64,
    /// -3 dB jitter tracking bandwidth of the linearized loop, Hz
    pub bandwidth_hz: f64,
    /// phase detector slope at lock, ADC code^2 per UI per symbol
    pub pd_gain: f64,
    /// whether the lock detector fired
    pub locked: bool,
    /// symbols from the start to lock
    pub lock_symbols: Option<u64>,
    /// mean phase after lock, UI
    pub phase_mean_ui: Option<f64>,
    /// phase standard deviation after lock, UI
    pub phase_std_ui: Option<f64>,
    /// the phase at the end, UI
    pub final_phase_ui: f64,
    /// phase histogram after lock
    pub histogram: PhaseHistogram,
    /// phase trajectory
    pub trajectory: Trajectory,
}

/// The Mueller-Muller detector over consecutive pairs: `x[i]` and `d[i]`
/// (decision values in {-3, -1, 1, 3}) for the same symbols, less `bias`
/// each; `prev` is the pair before `x[0]`. Returns the sum and the new `prev`.
#[inline]
pub fn mm_sum(x: &[i16], d: &[i8], prev: (i16, i8), bias: i64) -> (i64, (i16, i8)) {
    let mut e = 0i64;
    let (mut px, mut pd) = prev;
    for (&xi, &di) in x.iter().zip(d) {
        e += xi as i64 * pd as i64 - px as i64 * di as i64 - bias;
        px = xi;
        pd = di;
    }
    (e, (px, pd))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(kp: u32, ki: u32) -> CdrPlan {
        CdrPlan {
            kp_shift: kp,
            ki_shift: ki,
            phase_bits: 16,
            update: 8,
            bias: 0,
            bias_given: None,
            limit_ui: 1.0,
            pd_gain: -250.0,
            delay_updates: 1,
            bandwidth_hz: 0.0,
        }
    }

    #[test]
    fn defaults_settle_and_large_gains_do_not() {
        let mut p = plan(4, 14);
        p.analyse(53.125e9).unwrap();
        assert!(
            p.bandwidth_hz > 1e5 && p.bandwidth_hz < 1e8,
            "{}",
            p.bandwidth_hz
        );
        // tracks slow jitter, not fast
        assert!(p.tracking(1e-7) > 0.95);
        assert!(p.tracking(0.01) < 0.2);
        let e = plan(0, 0).analyse(53.125e9).unwrap_err();
        assert!(matches!(e, CdrError::Unstable { .. }), "{e}");
        let e = plan(30, 60).analyse(53.125e9).unwrap_err();
        assert!(matches!(e, CdrError::Stuck { .. }), "{e}");
    }

    #[test]
    fn mm_detector_sign() {
        // x late: post-cursor smaller than pre-cursor -> sum negative
        // pulse samples h(-1) = 0.4, h(0) = 1, h(1) = 0.1, symbols random
        let mut r = crate::rng::Xoshiro256pp::new(5);
        let a: Vec<i8> = (0..5000)
            .map(|_| [-3i8, -1, 1, 3][(r.next_u64() & 3) as usize])
            .collect();
        let x: Vec<i16> = (0..a.len())
            .map(|n| {
                let at = |k: usize| a.get(k).copied().unwrap_or(0) as f64;
                let v = at(n) + 0.4 * at(n + 1) + 0.1 * if n > 0 { at(n - 1) } else { 0.0 };
                (v * 10.0) as i16
            })
            .collect();
        let (e, _) = mm_sum(&x, &a, (0, 0), 0);
        assert!(e < 0, "{e}");
    }
}
