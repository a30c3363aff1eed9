//! `rxdsp cosim`: the Verilated RTL against the golden receiver, every
//! output symbol compared; exits 1 naming the first mismatching word.

use super::args::{BackpressureArg, ConfigArgs, RunArgs};
use super::{run_sim, threads, Mismatch};
use anyhow::Result;
use clap::{Args, ValueEnum};
use golden::config::LinkPlan;
use golden::numeric::{RxCoeffs, RxFormat};

/// `rxdsp cosim`.
#[derive(Args)]
pub struct CosimArgs {
    #[command(flatten)]
    cfg: ConfigArgs,
    #[command(flatten)]
    run: RunArgs,
    /// flow control on the RTL's streams
    #[arg(long, value_enum, default_value = "none")]
    backpressure: BackpressureArg,
    /// TEST ONLY: co-simulate against a deliberately wrong RTL, to prove
    /// that a mismatch is caught (see [`Mutation`])
    #[arg(long, value_enum, hide = true)]
    mutate: Option<Mutation>,
    /// with adapt.in_rtl: compare the coefficients every this many applied updates (words)
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..))]
    taps_every: u64,
}

/// TEST ONLY (`rxdsp cosim --mutate`, hidden from `--help`): a controlled
/// defect in the co-simulated RTL, so that a test can check that the
/// comparison catches it and the program exits 1. The RTL is still built by
/// the generator, for a format that differs from the golden model's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mutation {
    /// the RTL is generated with `tx.precode` flipped: its decoded data
    /// differ from the golden model's while its levels and FFE outputs agree
    Precode,
    /// with `adapt.in_rtl`: the adaptation engine is generated with
    /// `adapt.delay` one word longer, so its taps (then decisions) differ
    AdaptDelay,
}

impl Mutation {
    fn apply(self, f: &RxFormat) -> RxFormat {
        match self {
            Mutation::Precode => RxFormat {
                precode: !f.precode,
                ..f.clone()
            },
            Mutation::AdaptDelay => f.clone(),
        }
    }
}

/// Runs `rxdsp cosim`.
pub fn run(a: CosimArgs) -> Result<()> {
    let plan = a.run.plan(&a.cfg)?;
    let bp = a.backpressure.pattern(plan.seed);
    match (&plan.hw_adapt, a.mutate) {
        (Some(hw), None | Some(Mutation::AdaptDelay)) => {
            let delayed = a.mutate.is_some();
            return run_adaptive(&plan, hw, bp, a.taps_every, delayed);
        }
        (Some(_), Some(m)) => anyhow::bail!("--mutate {m:?} needs adapt.in_rtl = false"),
        (None, Some(Mutation::AdaptDelay)) => {
            anyhow::bail!("--mutate adapt-delay needs adapt.in_rtl = true")
        }
        (None, _) => {}
    }
    let r = run_sim(&plan, threads(None), true)?;
    let x = r.samples.as_deref().expect("samples kept");
    let c = run_cosim(&plan, &r.coeffs, x, bp, a.mutate)?;
    print_cosim(&plan, &c);
    check(&plan, &c)
}

/// Co-simulates the samples `x` through the RTL of `plan` with `coeffs`
/// under `bp`; `mutate` (tests only) builds a deliberately wrong RTL.
pub fn run_cosim(
    plan: &LinkPlan,
    coeffs: &RxCoeffs,
    x: &[i16],
    bp: sim::Backpressure,
    mutate: Option<Mutation>,
) -> Result<sim::CosimReport> {
    eprintln!(
        "[rxdsp] co-simulating {} symbols through the Verilated RTL (P = {}; the first build of a design takes ~10 s, then it is cached)",
        x.len(),
        plan.parallel
    );
    match mutate {
        None => Ok(sim::cosim(&plan.format, coeffs, plan.parallel, x, bp)?),
        Some(m) => cosim_mutated(plan, coeffs, x, &bp, m),
    }
}

/// [`sim::cosim`] with the RTL built for the format `m` makes of the plan's,
/// compared with the golden model of the plan's own format.
fn cosim_mutated(
    plan: &LinkPlan,
    coeffs: &RxCoeffs,
    x: &[i16],
    bp: &sim::Backpressure,
    m: Mutation,
) -> Result<sim::CosimReport> {
    let rtl_fmt = m.apply(&plan.format);
    Ok(sim::cosim_against(
        &rtl_fmt,
        &plan.format,
        coeffs,
        plan.parallel,
        x,
        bp.clone(),
    )?)
}

/// Where the first mismatch of `c` is: "word W (symbol S, lane L): FIELD rtl R golden G".
fn first_mismatch(plan: &LinkPlan, c: &sim::CosimReport) -> Option<String> {
    c.first_mismatch.as_ref().map(|m| {
        format!(
            "word {} (symbol {}, lane {}): {} rtl {} golden {}",
            m.index / plan.parallel,
            m.index,
            m.index % plan.parallel,
            m.field,
            m.rtl,
            m.golden
        )
    })
}

/// Prints the co-simulation's verdict and speed.
pub fn print_cosim(plan: &LinkPlan, c: &sim::CosimReport) {
    let verdict = match first_mismatch(plan, c) {
        None => "bit-exact".to_string(),
        Some(m) => format!("{} MISMATCHES, first in {m}", c.mismatches),
    };
    println!(
        "rtl        {} symbols through rxdsp_eq (P = {}, latency {} cycles) vs golden: {} (data, level and FFE output of every symbol)",
        c.symbols,
        plan.parallel,
        rtl::latency(&plan.format, plan.parallel),
        verdict
    );
    println!(
        "           {:.1} M symbols/s, {} cycles, model {} in {:.1} s",
        c.symbols_per_sec / 1e6,
        c.cycles,
        if c.cached { "from the cache" } else { "built" },
        c.build_time.as_secs_f64()
    );
}

/// A [`Mismatch`] (exit 1) naming the first mismatching word when the RTL
/// differs from the golden model.
pub fn check(plan: &LinkPlan, c: &sim::CosimReport) -> Result<()> {
    if c.mismatches == 0 {
        return Ok(());
    }
    let first = first_mismatch(plan, c).unwrap_or_else(|| "unknown position".into());
    Err(Mismatch(format!(
        "the RTL differs from the golden model in {} of {} symbols; first mismatching {first}",
        c.mismatches, c.symbols
    ))
    .into())
}

/// `rxdsp cosim` with `adapt.in_rtl = true`: the adaptive RTL (the
/// equalizer with [`rtl::adapt`]'s engine) against the golden engine
/// ([`golden::adapt::HwAdapter`]) on the plan's stream (whole words), with
/// the known levels and the word modes of `rxdsp sim` (trained while
/// w P < adapt.training, decision-directed while w P < adapt.symbols, then
/// off); every output word and the coefficients every `every` updates
/// compared. Exits 1 on a mismatch.
fn run_adaptive(
    plan: &LinkPlan,
    hw: &golden::config::HwAdaptPlan,
    bp: sim::Backpressure,
    every: u64,
    mutate: bool,
) -> Result<()> {
    use golden::adapt::Mode;
    if plan.model != golden::config::LinkModel::Reference {
        anyhow::bail!(
            "adapt.in_rtl = true in rxdsp cosim runs the reference link model only (link.model = \"reference\")"
        );
    }
    let th = threads(None);
    let eqr = golden::adapt_link::initial_coeffs(plan, hw, th)?;
    let init = eqr.coeffs();
    let p = plan.parallel;
    let n = (plan.symbols as usize / p) * p;
    if n == 0 {
        anyhow::bail!(
            "link.symbols = {} is less than one word (P = {p})",
            plan.symbols
        );
    }
    let mut b = golden::link::Batch::default();
    golden::link::SampleStream::new(plan, th).next_batch(n, &mut b);
    let delay = eqr.delay;
    let known: Vec<Option<u8>> = (0..n)
        .map(|i| (i >= delay).then(|| b.levels[i - delay]))
        .collect();
    let modes: Vec<Mode> = (0..n / p)
        .map(|w| {
            let s = (w * p) as u64;
            if s < plan.training {
                Mode::Train
            } else if s < plan.adapt_symbols {
                Mode::DecisionDirected
            } else {
                Mode::Off
            }
        })
        .collect();
    let steps: Vec<u32> = (0..n / p).map(|w| hw.step_of(w as u64)).collect();
    let st = sim::adapt::Stimulus {
        samples: &b.samples,
        known: &known,
        modes: &modes,
        steps: &steps,
    };
    eprintln!(
        "[rxdsp] co-simulating {n} symbols through the adaptive RTL (P = {p}, D = {}; the first build of a design takes ~10 s, then it is cached)",
        hw.params.delay
    );
    let t = std::time::Instant::now();
    // TEST ONLY (--mutate adapt-delay): the RTL one word slower than the model
    let rtl_params = golden::adapt::HwAdaptParams {
        delay: hw.params.delay + mutate as usize,
        ..hw.params.clone()
    };
    let r = sim::adapt::cosim_adaptive_against(
        &plan.format,
        &init,
        (&hw.params, &rtl_params),
        &st,
        &bp,
        every,
    )?;
    let verdict = if r.passed() {
        "bit-exact".to_string()
    } else {
        format!(
            "MISMATCH: {} symbols (first {:?}), {} of {} coefficient snapshots (first at update {:?}), final {}",
            r.symbol_mismatches,
            r.first_symbol_mismatch,
            r.tap_mismatches,
            r.tap_points,
            r.first_tap_mismatch.as_ref().map(|m| m.0),
            if r.final_match { "equal" } else { "differ" }
        )
    };
    println!(
        "rtl        {} symbols through rxdsp_eq + {} (P = {p}, D = {}, mu_shift {}, leak_shift {}, {}) vs the golden engine: {verdict} (decisions and data of every word, the taps at {} points every {every} updates, and at the end)",
        r.symbols,
        rtl::adapt::ENGINE,
        hw.params.delay,
        hw.params.mu_shift,
        hw.params.leak_shift,
        hw.params.block,
        r.tap_points
    );
    if let Some(c) = &r.final_coeffs {
        println!(
            "           final taps ffe {:?} dfe {:?} threshold {}; {} cycles, {:.1} s",
            c.ffe,
            c.dfe,
            c.threshold,
            r.cycles,
            t.elapsed().as_secs_f64()
        );
    }
    if r.passed() {
        Ok(())
    } else {
        Err(Mismatch(format!(
            "the adaptive RTL differs from the golden engine: {verdict}"
        ))
        .into())
    }
}
