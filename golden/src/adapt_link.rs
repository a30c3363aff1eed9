//! The hardware adaptation engine ([`crate::adapt`]) inside a link run
//! (`adapt.in_rtl = true`): its starting point, its word modes and the
//! reported tap trajectory with the bit error ratio over time.

use crate::adapt::{HwAdapter, Mode, WordCtl};
use crate::config::{AdaptInit, EqMethod, HwAdaptPlan, LinkPlan};
use crate::link::{choose_coeffs, EqReport, LinkError};
use crate::numeric::RxCoeffs;
use serde::Serialize;

/// One point of the trajectory: the coefficients in effect after `symbol`
/// received symbols, and the errors over the interval that ends there.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TrajectoryPoint {
    /// received symbols so far
    pub symbol: u64,
    /// FFE coefficients in effect
    pub ffe: Vec<i32>,
    /// DFE coefficients in effect
    pub dfe: Vec<i32>,
    /// slicer threshold in effect
    pub threshold: i32,
    /// bits compared in the interval (the receiver's start-up excluded)
    pub bits: u64,
    /// bit errors in the interval
    pub bit_errors: u64,
    /// bit_errors / bits (null when no bits were compared)
    pub ber: Option<f64>,
}

/// The `adaptation` object of a report.
#[derive(Clone, Debug, Serialize)]
pub struct AdaptReport {
    /// always true: the hardware engine ran
    pub in_rtl: bool,
    /// "sum" | "round-robin"
    pub block: &'static str,
    /// samples per word
    pub parallel: usize,
    /// accumulator fraction bits
    pub mu_shift: u32,
    /// update delay, words
    pub delay_words: usize,
    /// leakage shift (0 = none)
    pub leak_shift: u32,
    /// the coarse acquisition step (`adapt.gear_shift`)
    pub gear_shift: u32,
    /// symbols adapted at the coarse step (`adapt.gear_symbols`)
    pub gear_symbols: u64,
    /// "zero" | "mmse"
    pub init: &'static str,
    /// symbols trained on known levels at the start
    pub training_symbols: u64,
    /// symbols after which the engine stops (frozen)
    pub adapt_symbols: u64,
    /// symbols between trajectory points
    pub report_every: u64,
    /// the coefficients at the end of the run
    pub final_ffe: Vec<i32>,
    /// the DFE coefficients at the end of the run
    pub final_dfe: Vec<i32>,
    /// the threshold at the end of the run
    pub final_threshold: i32,
    /// the trajectory
    pub trajectory: Vec<TrajectoryPoint>,
}

/// The starting coefficients of the engine (`adapt.init`).
pub fn initial_coeffs(
    plan: &LinkPlan,
    hw: &HwAdaptPlan,
    threads: usize,
) -> Result<EqReport, LinkError> {
    let mut p = plan.clone();
    p.hw_adapt = None;
    p.method = match hw.init {
        AdaptInit::Zero => EqMethod::None,
        AdaptInit::Mmse => EqMethod::Mmse,
    };
    let mut r = choose_coeffs(&p, threads, None)?;
    if hw.init == AdaptInit::Zero {
        scale_main_tap(&plan.format, &mut r);
    }
    r.method = plan.method.name();
    Ok(r)
}

/// Sets the fixed main tap so the outer level lands at the adaptive target
/// (a quarter of the FFE output range, [`crate::link::adapt_amplitude`]):
/// the taps then have the resolution of the full coefficient range rather
/// than of a unity main tap. `r` holds the pass-through start, whose
/// threshold is the mean |y| = 2/3 of the outer level.
fn scale_main_tap(fmt: &crate::numeric::RxFormat, r: &mut EqReport) {
    let unity = r.ffe[fmt.ffe_main] as f64;
    let outer = 1.5 * r.threshold as f64;
    let target = crate::link::adapt_amplitude(fmt);
    let cmax = crate::numeric::smax(fmt.ffe_coef_bits) as f64;
    let main = (unity * target / outer.max(1.0)).round().clamp(1.0, cmax);
    r.ffe[fmt.ffe_main] = main as i32;
    let t = (r.threshold as f64 * main / unity).round();
    r.threshold = t.clamp(1.0, fmt.max_threshold() as f64) as i32;
    r.amplitude = 1.5 * t;
}

/// The engine with its schedule and trajectory recorder.
pub(crate) struct HwRx {
    adapter: HwAdapter,
    plan: HwAdaptPlan,
    training: u64,
    adapt_symbols: u64,
    trajectory: Vec<TrajectoryPoint>,
    bits: u64,
    bit_errors: u64,
}

impl HwRx {
    pub(crate) fn new(
        plan: &LinkPlan,
        hw: &HwAdaptPlan,
        init: &RxCoeffs,
    ) -> Result<HwRx, LinkError> {
        let adapter = HwAdapter::new(&plan.format, init, &hw.params).map_err(|e| match e {
            crate::adapt::AdaptError::Eq(e) => LinkError::Eq(e),
            other => LinkError::Unsupported(other.to_string()),
        })?;
        Ok(HwRx {
            adapter,
            plan: hw.clone(),
            training: plan.training,
            adapt_symbols: plan.adapt_symbols,
            trajectory: Vec::new(),
            bits: 0,
            bit_errors: 0,
        })
    }

    /// Equalizes one batch. `tx_lv`/`tx_data` are the transmitted levels and
    /// data aligned with the received samples (`tx_lv[i]` belongs to received
    /// symbol `done + i`, transmitted symbol `done + i - delay`); received
    /// symbols before `warmup` are not counted.
    // `u64::is_multiple_of` needs Rust 1.87; the workspace declares rust-version 1.80
    #[allow(clippy::manual_is_multiple_of)]
    pub(crate) fn process(
        &mut self,
        x: &[i16],
        tx_lv: &[u8],
        tx_data: &[u8],
        done: u64,
        (delay, warmup): (u64, u64),
        (rx_lv, rx_data): (&mut [u8], &mut [u8]),
    ) {
        let p = self.plan.params.parallel as u64;
        let (training, adapt_symbols) = (self.training, self.adapt_symbols);
        let hw = self.plan.clone();
        let ctl = move |w: u64| WordCtl {
            mode: if w * p < training {
                Mode::Train
            } else if w * p < adapt_symbols {
                Mode::DecisionDirected
            } else {
                Mode::Off
            },
            step: hw.step_of(w),
        };
        let every = self.plan.report_every;
        let mut i = 0usize;
        while i < x.len() {
            let at = done + i as u64;
            let e = ((at / every + 1) * every - done).min(x.len() as u64) as usize;
            let known = |j: usize| {
                let g = done + (i + j) as u64;
                (g >= delay).then(|| tx_lv[i + j])
            };
            self.adapter
                .process_ctl(&x[i..e], &known, &ctl, &mut rx_lv[i..e], &mut rx_data[i..e]);
            let skip = (warmup.saturating_sub(at) as usize).min(e - i);
            self.bits += 2 * (e - i - skip) as u64;
            self.bit_errors += tx_data[i + skip..e]
                .iter()
                .zip(&rx_data[i + skip..e])
                .map(|(a, b)| ((a ^ b) & 3).count_ones() as u64)
                .sum::<u64>();
            let end = done + e as u64;
            if end % every == 0 {
                self.point(end);
            }
            i = e;
        }
    }

    fn point(&mut self, symbol: u64) {
        let c = self.adapter.coeffs();
        self.trajectory.push(TrajectoryPoint {
            symbol,
            ffe: c.ffe.clone(),
            dfe: c.dfe.clone(),
            threshold: c.threshold,
            bits: self.bits,
            bit_errors: self.bit_errors,
            ber: (self.bits > 0).then(|| self.bit_errors as f64 / self.bits as f64),
        });
        self.bits = 0;
        self.bit_errors = 0;
    }

    /// The report object (a last point closes a partial interval).
    pub(crate) fn report(mut self) -> AdaptReport {
        let n = self.adapter.samples();
        if self.trajectory.last().map(|p| p.symbol) != Some(n) && n > 0 {
            self.point(n);
        }
        let counts = [self.training, self.adapt_symbols, self.plan.report_every];
        assemble(&self.plan, counts, self.trajectory)
    }
}

/// The `adaptation` object of the engine `hw` with `[training symbols,
/// adapted symbols, report_every]`; the final coefficients are the last
/// point's (every trajectory ends with a point at its last symbol).
fn assemble(hw: &HwAdaptPlan, counts: [u64; 3], trajectory: Vec<TrajectoryPoint>) -> AdaptReport {
    let last = trajectory.last().cloned();
    AdaptReport {
        in_rtl: true,
        block: hw.params.block.name(),
        parallel: hw.params.parallel,
        mu_shift: hw.params.mu_shift,
        delay_words: hw.params.delay,
        leak_shift: hw.params.leak_shift,
        gear_shift: hw.gear.0,
        gear_symbols: hw.gear.1,
        init: hw.init.name(),
        training_symbols: counts[0],
        adapt_symbols: counts[1],
        report_every: counts[2],
        final_ffe: last.as_ref().map(|p| p.ffe.clone()).unwrap_or_default(),
        final_dfe: last.as_ref().map(|p| p.dfe.clone()).unwrap_or_default(),
        final_threshold: last.as_ref().map_or(0, |p| p.threshold),
        trajectory,
    }
}

/// Samples between two points of a received stream's trajectory: the
/// plan's `adapt.report_every` rounded up to a multiple of lcm(P, 4), so
/// every point falls on a word boundary and on a whole byte of the device's
/// output (four symbols), where the device can stop and read its
/// coefficients (`rxdsp stream`).
pub fn received_every(hw: &HwAdaptPlan) -> u64 {
    let p = hw.params.parallel as u64;
    let (mut a, mut b) = (p, 4u64);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    let l = p / a * 4;
    hw.report_every.div_ceil(l) * l
}

/// The word after which a received stream's engine stops (mode off from
/// there on): the first word whose first sample is at or beyond
/// `adapt.symbols`, as in [`HwRx`].
pub fn received_freeze_word(plan: &LinkPlan, hw: &HwAdaptPlan) -> u64 {
    plan.adapt_symbols.div_ceil(hw.params.parallel as u64)
}

/// The mode of word `w` of a received stream: decision-directed (train
/// words have no known level there, which the engine treats alike) until
/// [`received_freeze_word`], then off.
pub fn received_mode(plan: &LinkPlan, hw: &HwAdaptPlan) -> impl Fn(u64) -> Mode {
    let freeze = received_freeze_word(plan, hw);
    move |w| {
        if w < freeze {
            Mode::DecisionDirected
        } else {
            Mode::Off
        }
    }
}

/// The first word of a received stream at the finest step: the first whose
/// first sample is at or beyond `adapt.gear_symbols` ([`HwAdaptPlan::step_of`]).
pub fn received_gear_word(hw: &HwAdaptPlan) -> u64 {
    hw.gear.1.div_ceil(hw.params.parallel as u64)
}

/// The mode and step of word `w` of a received stream ([`received_mode`],
/// [`HwAdaptPlan::step_of`]).
pub fn received_ctl<'a>(plan: &LinkPlan, hw: &'a HwAdaptPlan) -> impl Fn(u64) -> WordCtl + 'a {
    let mode = received_mode(plan, hw);
    move |w| WordCtl {
        mode: mode(w),
        step: hw.step_of(w),
    }
}

/// What [`receive`] gives: the decisions, the data symbols and the
/// `adaptation` report (its points carry no bit counts: nothing is known of
/// what was sent).
#[derive(Clone, Debug)]
pub struct Received {
    /// level index (0..3) of every sample
    pub levels: Vec<u8>,
    /// data symbol of every sample
    pub data: Vec<u8>,
    /// the engine's report
    pub report: AdaptReport,
}

/// The hardware engine on a received sample stream (`rxdsp rx` with
/// `adapt.in_rtl`; `rxdsp stream` gives the same through the device):
/// starts from `init`, adapts decision-directed until
/// [`received_freeze_word`], and records the coefficients at the start,
/// every [`received_every`] samples and at the end. The stream is taken as the
/// device takes it, zero-padded to a whole word (the padding's decisions
/// are dropped; the last point is at the padded length).
pub fn receive(
    plan: &LinkPlan,
    hw: &HwAdaptPlan,
    init: &RxCoeffs,
    x: &[i16],
) -> Result<Received, LinkError> {
    let mut rx = HwRx::new(plan, hw, init)?;
    let p = hw.params.parallel;
    let mut padded = x.to_vec();
    padded.resize(x.len().div_ceil(p) * p, 0);
    let ctl = received_ctl(plan, hw);
    let every = received_every(hw) as usize;
    let mut levels = vec![0u8; padded.len()];
    let mut data = vec![0u8; padded.len()];
    // the starting coefficients
    rx.point(0);
    let mut at = 0usize;
    while at < padded.len() {
        let end = ((at / every + 1) * every).min(padded.len());
        rx.adapter.process_ctl(
            &padded[at..end],
            &|_| None,
            &ctl,
            &mut levels[at..end],
            &mut data[at..end],
        );
        rx.point(end as u64);
        at = end;
    }
    levels.truncate(x.len());
    data.truncate(x.len());
    Ok(Received {
        levels,
        data,
        report: received_report(plan, hw, rx.trajectory),
    })
}

/// The `adaptation` object of a received stream from its trajectory (the
/// last point holds the final coefficients): the same for `rxdsp rx` and
/// `rxdsp stream`.
pub fn received_report(
    plan: &LinkPlan,
    hw: &HwAdaptPlan,
    trajectory: Vec<TrajectoryPoint>,
) -> AdaptReport {
    assemble(hw, [0, plan.adapt_symbols, received_every(hw)], trajectory)
}
