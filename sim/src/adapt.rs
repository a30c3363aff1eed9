//! Co-simulation of the adaptive equalizer ([`rtl::adapt`]) against the
//! golden engine [`golden::adapt::HwAdapter`]: the same samples, known
//! levels and word modes on both sides; every output word (decisions and
//! data symbols) and the coefficients every K applied updates compared.
//!
//! The RTL's readback (`adapt_ffe`, `adapt_dfe`, `adapt_threshold`) holds the
//! coefficients after `adapt_updates` applied updates; the model applies
//! update number k when word k + D - 1 ends, so both sides are compared at the
//! same update count, whatever the backpressure.

use crate::verilator::{build_library, get_bits, put_bits, Model};
use crate::{Backpressure, SimError};
use golden::adapt::{HwAdaptParams, HwAdapter, Mode, WordCtl};
use golden::numeric::{RxCoeffs, RxFormat};

/// The stimulus of an adaptive run: samples, the known level of each sample
/// (training), and the mode of each word.
pub struct Stimulus<'a> {
    /// ADC samples
    pub samples: &'a [i16],
    /// the known transmitted level of sample i, if any
    pub known: &'a [Option<u8>],
    /// the mode of word w (indexed by word)
    pub modes: &'a [Mode],
    /// the step of word w (`s_axis_tstep`; words past the end: 0)
    pub steps: &'a [u32],
}

impl Stimulus<'_> {
    /// The mode and step of word `w` (past the end: off, step 0).
    pub fn ctl(&self, w: usize) -> WordCtl {
        WordCtl {
            mode: self.modes.get(w).copied().unwrap_or(Mode::Off),
            step: self.steps.get(w).copied().unwrap_or(0),
        }
    }
}

/// The outputs of an adaptive run (RTL or model).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdaptOutput {
    /// slicer decisions (level indices)
    pub levels: Vec<u8>,
    /// data symbols
    pub data: Vec<u8>,
    /// `(updates applied, coefficients)` every `every` updates
    pub taps: Vec<(u64, RxCoeffs)>,
    /// the coefficients at the end (after every word's due update)
    pub last: Option<(u64, RxCoeffs)>,
    /// clock cycles of the streaming (RTL only)
    pub cycles: u64,
}

/// What [`cosim_adaptive`] found.
#[derive(Clone, Debug)]
pub struct AdaptReport {
    /// symbols compared
    pub symbols: usize,
    /// symbols whose decision or data differ
    pub symbol_mismatches: usize,
    /// the first differing symbol
    pub first_symbol_mismatch: Option<usize>,
    /// coefficient snapshots compared
    pub tap_points: usize,
    /// snapshots that differ
    pub tap_mismatches: usize,
    /// the first differing snapshot: (updates, RTL, model)
    pub first_tap_mismatch: Option<(u64, RxCoeffs, RxCoeffs)>,
    /// the final coefficients agree
    pub final_match: bool,
    /// the final coefficients (RTL)
    pub final_coeffs: Option<RxCoeffs>,
    /// RTL clock cycles
    pub cycles: u64,
}

impl AdaptReport {
    /// True when every output word and every snapshot agree.
    pub fn passed(&self) -> bool {
        self.symbol_mismatches == 0 && self.tap_mismatches == 0 && self.final_match
    }
}

fn mode_code(m: Mode) -> u64 {
    match m {
        Mode::Off => 0,
        Mode::Train => 1,
        Mode::DecisionDirected => 2,
    }
}

/// Runs the golden engine over `st`, one word at a time, recording its
/// coefficients whenever the applied-update count reaches a multiple of
/// `every`.
// `u64::is_multiple_of` needs Rust 1.87; the workspace declares rust-version 1.80
#[allow(clippy::manual_is_multiple_of)]
pub fn golden_adaptive(
    fmt: &RxFormat,
    init: &RxCoeffs,
    params: &HwAdaptParams,
    st: &Stimulus,
    every: u64,
) -> Result<AdaptOutput, SimError> {
    let mut a = HwAdapter::new(fmt, init, params).map_err(|e| SimError::Run(e.to_string()))?;
    let p = params.parallel;
    let d = params.delay as u64;
    let n = st.samples.len();
    let mut out = AdaptOutput {
        levels: vec![0; n],
        data: vec![0; n],
        ..AdaptOutput::default()
    };
    let mut start = 0;
    while start < n {
        let end = (start + p).min(n);
        let w = a.words() as usize;
        let ctl = st.ctl(w);
        a.process_ctl(
            &st.samples[start..end],
            &|i| st.known.get(start + i).copied().flatten(),
            &|_| ctl,
            &mut out.levels[start..end],
            &mut out.data[start..end],
        );
        if end - start == p {
            let applied = a.words().saturating_sub(d);
            if applied > 0 && applied % every.max(1) == 0 && a.words() > d {
                out.taps.push((applied, a.coeffs().clone()));
            }
        }
        start = end;
    }
    out.last = Some((a.words().saturating_sub(d), a.coeffs().clone()));
    Ok(out)
}

/// Builds (or reuses) the Verilated adaptive equalizer.
pub fn build_adaptive_model(fmt: &RxFormat, params: &HwAdaptParams) -> Result<Model, SimError> {
    let d = rtl::adapt::design(fmt, params.parallel, params)?;
    let info = build_library(&d.files, rtl::TOP, &d.ports)?;
    Model::load(&info.library, &d.ports)
}

/// Ports of the adaptive model.
struct Ports {
    tdata: usize,
    known: usize,
    known_valid: usize,
    mode: usize,
    step: Option<usize>,
    tvalid: usize,
    tready: usize,
    sready: usize,
    mvalid: usize,
    data: usize,
    level: usize,
    rb_ffe: usize,
    rb_dfe: Option<usize>,
    rb_thr: usize,
    rb_updates: usize,
}

fn ports(model: &Model) -> Result<Ports, SimError> {
    Ok(Ports {
        tdata: model.input("s_axis_tdata")?,
        known: model.input("s_axis_tknown")?,
        known_valid: model.input("s_axis_tknown_valid")?,
        mode: model.input("s_axis_tmode")?,
        step: model.input("s_axis_tstep").ok(),
        tvalid: model.input("s_axis_tvalid")?,
        tready: model.input("m_axis_tready")?,
        sready: model.output("s_axis_tready")?,
        mvalid: model.output("m_axis_tvalid")?,
        data: model.output("m_axis_tdata")?,
        level: model.output("m_slicer_level")?,
        rb_ffe: model.output("adapt_ffe")?,
        rb_dfe: model.output("adapt_dfe").ok(),
        rb_thr: model.output("adapt_threshold")?,
        rb_updates: model.output("adapt_updates")?,
    })
}

fn sext(v: u64, bits: u32) -> i32 {
    (((v << (64 - bits)) as i64) >> (64 - bits)) as i32
}

/// The readback coefficients of the model.
fn readback(model: &Model, fmt: &RxFormat, pt: &Ports) -> RxCoeffs {
    let cb = fmt.ffe_coef_bits;
    let f = model.output_words(pt.rb_ffe);
    let ffe = (0..fmt.ffe_taps as u32)
        .map(|k| sext(get_bits(f, k * cb, cb), cb))
        .collect();
    let db = fmt.dfe_coef_bits;
    let dfe = match pt.rb_dfe {
        Some(i) => {
            let d = model.output_words(i);
            (0..fmt.dfe_taps as u32)
                .map(|j| sext(get_bits(d, j * db, db), db))
                .collect()
        }
        None => Vec::new(),
    };
    RxCoeffs {
        ffe,
        dfe,
        threshold: model.get(pt.rb_thr) as i32,
    }
}

/// Drives the adaptive model: reset, coefficient writes, then streaming
/// under `bp` (one clock per call), recording the readback whenever the
/// applied-update count reaches a multiple of `every`. Samples are padded
/// with zeros (mode off) to whole words; outputs are cut to the samples.
// `u64::is_multiple_of` needs Rust 1.87; the workspace declares rust-version 1.80
#[allow(clippy::manual_is_multiple_of)]
pub fn run_adaptive(
    model: &mut Model,
    fmt: &RxFormat,
    init: &RxCoeffs,
    params: &HwAdaptParams,
    st: &Stimulus,
    bp: &Backpressure,
    every: u64,
) -> Result<AdaptOutput, SimError> {
    let p = params.parallel;
    let a = fmt.adc_bits;
    let pt = ports(model)?;
    crate::reset_and_program(model, (pt.tvalid, pt.tready), fmt, init)?;

    let nwords = st.samples.len().div_ceil(p);
    let mut out = AdaptOutput::default();
    let (vpat, rpat) = bp.patterns();
    let amask = (1u64 << a) - 1;
    let (mut inw, mut outw) = (0usize, 0usize);
    let mut hold = false;
    let mut loaded = usize::MAX;
    let mut cyc: u64 = 0;
    let (mut vi, mut ri) = (0usize, 0usize);
    let mut last_updates = 0u64;
    let limit = 10_000 + 200 * nwords as u64 * (vpat.len() + rpat.len()) as u64;
    let mut drain = 0;
    // after the last output word, a few cycles for the last due updates
    while outw < nwords || drain < 8 {
        if outw >= nwords {
            drain += 1;
        }
        if cyc > limit {
            return Err(SimError::Stalled {
                got: outw,
                want: nwords,
                cycles: cyc,
            });
        }
        let valid = inw < nwords && (hold || vpat[vi]);
        let ready = rpat[ri];
        if valid && loaded != inw {
            let words = model.input_words(pt.tdata);
            for (i, s) in (inw * p..inw * p + p).enumerate() {
                let v = st.samples.get(s).copied().unwrap_or(0) as i64 as u64 & amask;
                put_bits(words, i as u32 * a, a, v);
            }
            let words = model.input_words(pt.known);
            for (i, s) in (inw * p..inw * p + p).enumerate() {
                let k = st.known.get(s).copied().flatten().unwrap_or(0);
                put_bits(words, 2 * i as u32, 2, k as u64);
            }
            let words = model.input_words(pt.known_valid);
            for (i, s) in (inw * p..inw * p + p).enumerate() {
                let k = st.known.get(s).copied().flatten().is_some();
                put_bits(words, i as u32, 1, k as u64);
            }
            let c = st.ctl(inw);
            model.set(pt.mode, mode_code(c.mode));
            if let Some(sp) = pt.step {
                model.set(sp, c.step as u64);
            } else if c.step != 0 {
                return Err(SimError::Run(format!(
                    "word {inw} asks for step {} but the engine has no step input (mu_shift = 0)",
                    c.step
                )));
            }
            loaded = inw;
        }
        model.set(pt.tvalid, valid as u64);
        model.set(pt.tready, ready as u64);
        model.cycle();
        let updates = model.get(pt.rb_updates);
        if updates != last_updates {
            if updates % every.max(1) == 0 {
                out.taps.push((updates, readback(model, fmt, &pt)));
            }
            last_updates = updates;
        }
        if valid && model.get(pt.sready) != 0 {
            inw += 1;
            hold = false;
        } else {
            hold = valid;
        }
        if ready && model.get(pt.mvalid) != 0 {
            let d = model.output_words(pt.data);
            for i in 0..p as u32 {
                out.data.push(get_bits(d, 2 * i, 2) as u8);
            }
            let l = model.output_words(pt.level);
            for i in 0..p as u32 {
                out.levels.push(get_bits(l, 2 * i, 2) as u8);
            }
            outw += 1;
        }
        cyc += 1;
        vi = (vi + 1) % vpat.len();
        ri = (ri + 1) % rpat.len();
    }
    // one more cycle samples the state after the last edge
    model.set(pt.tvalid, 0);
    model.cycle();
    out.last = Some((model.get(pt.rb_updates), readback(model, fmt, &pt)));
    out.cycles = cyc;
    out.levels.truncate(st.samples.len());
    out.data.truncate(st.samples.len());
    Ok(out)
}

/// Compares an RTL run with the model's.
pub fn compare_adaptive(rtl: &AdaptOutput, gold: &AdaptOutput) -> AdaptReport {
    let n = gold.levels.len();
    let mut symbol_mismatches = 0;
    let mut first_symbol_mismatch = None;
    for i in 0..n {
        let same = rtl.levels.get(i) == gold.levels.get(i) && rtl.data.get(i) == gold.data.get(i);
        if !same {
            symbol_mismatches += 1;
            first_symbol_mismatch.get_or_insert(i);
        }
    }
    if rtl.levels.len() != n {
        symbol_mismatches += 1;
        first_symbol_mismatch.get_or_insert(rtl.levels.len().min(n));
    }
    let mut tap_mismatches = 0;
    let mut first_tap_mismatch = None;
    let points = rtl.taps.len().max(gold.taps.len());
    for i in 0..points {
        match (rtl.taps.get(i), gold.taps.get(i)) {
            (Some(r), Some(g)) if r == g => {}
            (r, g) => {
                tap_mismatches += 1;
                if first_tap_mismatch.is_none() {
                    let at = r.or(g).map(|x| x.0).unwrap_or(0);
                    let none = RxCoeffs {
                        ffe: vec![],
                        dfe: vec![],
                        threshold: 0,
                    };
                    first_tap_mismatch = Some((
                        at,
                        r.map(|x| x.1.clone()).unwrap_or_else(|| none.clone()),
                        g.map(|x| x.1.clone()).unwrap_or(none),
                    ));
                }
            }
        }
    }
    AdaptReport {
        symbols: n,
        symbol_mismatches,
        first_symbol_mismatch,
        tap_points: points,
        tap_mismatches,
        first_tap_mismatch,
        final_match: rtl.last == gold.last,
        final_coeffs: rtl.last.as_ref().map(|x| x.1.clone()),
        cycles: rtl.cycles,
    }
}

/// Co-simulates the adaptive equalizer against the golden engine: builds
/// the model, runs both on `st`, compares every output word and the
/// coefficients every `every` updates.
pub fn cosim_adaptive(
    fmt: &RxFormat,
    init: &RxCoeffs,
    params: &HwAdaptParams,
    st: &Stimulus,
    bp: &Backpressure,
    every: u64,
) -> Result<AdaptReport, SimError> {
    cosim_adaptive_against(fmt, init, (params, params), st, bp, every)
}

/// [`cosim_adaptive`] with the RTL generated for `params.1` and the model
/// run with `params.0` (they differ only to prove that a mismatch is caught).
pub fn cosim_adaptive_against(
    fmt: &RxFormat,
    init: &RxCoeffs,
    params: (&HwAdaptParams, &HwAdaptParams),
    st: &Stimulus,
    bp: &Backpressure,
    every: u64,
) -> Result<AdaptReport, SimError> {
    // the model first: it refuses illegal parameters before a build
    let gold = golden_adaptive(fmt, init, params.0, st, every)?;
    let mut model = build_adaptive_model(fmt, params.1)?;
    let rtl = run_adaptive(&mut model, fmt, init, params.1, st, bp, every)?;
    Ok(compare_adaptive(&rtl, &gold))
}
