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
}

impl Mutation {
    fn apply(self, f: &RxFormat) -> RxFormat {
        match self {
            Mutation::Precode => RxFormat {
                precode: !f.precode,
                ..f.clone()
            },
        }
    }
}

/// Runs `rxdsp cosim`.
pub fn run(a: CosimArgs) -> Result<()> {
    let plan = a.run.plan(&a.cfg)?;
    super::args::sim_only_adaptation(&plan, "cosim and demo")?;
    let bp = a.backpressure.pattern(plan.seed);
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
