//! `rxdsp sim`: a link simulation from a configuration file plus overrides.
//!
//! A run too short to count anything is refused: the first
//! [`transient_symbols`] decisions are the equalizer's start-up transient and
//! are left out of the statistics, so a run of no more symbols than that
//! counts no bit; it exits 2 with one line naming the minimum. A run that
//! counts fewer than [`FEW_BITS`] bits is done, with a warning on stderr.

use super::args::{ConfigArgs, RunArgs};
use super::{plots, report, run_sim, threads, write_json};
use anyhow::{bail, Context, Result};
use clap::Args;
use golden::config::LinkPlan;
use golden::link::Report;
use rxdsp::samples;
use std::path::PathBuf;

/// Fewer counted bits than this get a warning: a bit error ratio below
/// 1e-4 cannot be told from 0.
pub const FEW_BITS: u64 = 10_000;

/// `rxdsp sim`.
#[derive(Args)]
pub struct SimArgs {
    #[command(flatten)]
    cfg: ConfigArgs,
    #[command(flatten)]
    run: RunArgs,
    /// write the JSON report here
    #[arg(long)]
    report: Option<PathBuf>,
    /// write the ADC samples here (.npy, or .ri16 / .sigmf-data with SigMF meta)
    #[arg(long)]
    dump_samples: Option<PathBuf>,
    /// draw eye diagrams, bathtub, FEC and burst histograms and taps here (SVG and PNG)
    #[arg(long)]
    plots: Option<PathBuf>,
    /// write a one-page HTML report (numbers and plots) here
    #[arg(long)]
    report_html: Option<PathBuf>,
    /// channel-model worker threads (default: one per core but one; the receiver has its own thread)
    #[arg(long)]
    threads: Option<usize>,
}

/// The decisions left out of the statistics at the start of a run of
/// `plan` (the link's alignment rule: `D + ffe.taps + channel taps` with
/// `D = channel main cursor + ffe.main`).
pub fn transient_symbols(plan: &LinkPlan) -> u64 {
    (plan.pulse.main + plan.format.ffe_main + plan.format.ffe_taps + plan.pulse.taps.len()) as u64
}

/// Refuses a run that counted nothing; warns (on stderr) about one that
/// counted fewer than [`FEW_BITS`] bits.
pub fn check_counted(plan: &LinkPlan, r: &Report) -> Result<()> {
    let skip = transient_symbols(plan);
    if r.pre_fec.bits == 0 {
        bail!(
            "a run of {} symbols counts no bit: the first {skip} decisions are the equalizer's start-up transient; simulate at least {} symbols (--symbols or link.symbols)",
            plan.symbols,
            skip + 1
        );
    }
    if r.pre_fec.bits < FEW_BITS {
        eprintln!(
            "rxdsp: warning: only {} bits counted (fewer than {FEW_BITS}): a BER below 1e-4 cannot be told from 0; simulate at least {} symbols",
            r.pre_fec.bits,
            skip + FEW_BITS / 2
        );
    }
    if r.fec.is_some() && r.post_fec.bits == 0 {
        eprintln!(
            "rxdsp: warning: no whole FEC frame was received: the post-FEC figures count nothing"
        );
    }
    Ok(())
}

/// Runs `rxdsp sim`.
pub fn run(a: SimArgs) -> Result<()> {
    let plan = a.run.plan(&a.cfg)?;
    let r = run_sim(&plan, threads(a.threads), a.dump_samples.is_some())?;
    check_counted(&plan, &r.report)?;
    print!("{}", report::summary(&plan, &r.report));
    if let Some(p) = &a.dump_samples {
        let x = r.samples.as_deref().expect("samples kept");
        samples::write_samples(p, x, plan.adc.bits).context("writing samples")?;
        println!("samples    {}", p.display());
    }
    if let Some(p) = &a.report {
        write_json(p, &r.report)?;
        println!("report     {}", p.display());
    }
    let plot_dir = match (&a.plots, &a.report_html) {
        (Some(d), _) => Some(d.clone()),
        (None, Some(h)) => Some(h.with_extension("plots")),
        _ => None,
    };
    if let Some(dir) = plot_dir {
        let files = plots::draw(&plan, &r.coeffs, &r.report, &dir)?;
        println!("plots      {} files in {}", files.len(), dir.display());
        if let Some(h) = &a.report_html {
            report::write_html(h, &plan, &r.report, &dir)?;
            println!("html       {}", h.display());
        }
    }
    Ok(())
}
