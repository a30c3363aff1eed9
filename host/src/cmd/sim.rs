//! `rxdsp sim`: a link simulation from a configuration file plus overrides.
//!
//! A run too short to count anything is refused: the first
//! [`rxdsp::simulate::transient_symbols`] decisions are the equalizer's start-up transient and
//! are left out of the statistics, so a run of no more symbols than that
//! counts no bit; it exits 2 with one line naming the minimum. A run that
//! counts fewer than [`rxdsp::simulate::FEW_BITS`] bits is done, with a warning on stderr.

use super::args::{ConfigArgs, RunArgs};
use super::{plots, report, run_sim, threads, write_file};
use anyhow::{Context, Result};
use clap::Args;
use golden::config::LinkPlan;
use golden::link::Report;
use rxdsp::samples;
use std::path::PathBuf;

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

/// Refuses a run that counted nothing; warns (on stderr) about one that
/// counted fewer than [`rxdsp::simulate::FEW_BITS`] bits
/// ([`rxdsp::simulate::check_counted`]).
pub fn check_counted(plan: &LinkPlan, r: &Report) -> Result<()> {
    for w in rxdsp::simulate::check_counted(plan, r)? {
        eprintln!("rxdsp: warning: {w}");
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
        let json = rxdsp::simulate::report_json(&r.report)?;
        write_file(p, json.as_bytes()).context("writing the report")?;
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
