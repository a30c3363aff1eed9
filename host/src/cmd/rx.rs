//! `rxdsp rx`: the golden receiver on a sample file.

use super::args::{ConfigArgs, RxAdaptArgs, SampleIoArgs};
use super::{write_file, write_json};
use anyhow::{Context, Result};
use clap::Args;
use golden::link;
use rxdsp::samples;

/// `rxdsp rx`.
#[derive(Args)]
pub struct RxArgs {
    #[command(flatten)]
    cfg: ConfigArgs,
    #[command(flatten)]
    io: SampleIoArgs,
    #[command(flatten)]
    adapt: RxAdaptArgs,
}

/// The report of `rxdsp rx`.
#[derive(serde::Serialize)]
struct RxReport {
    rxdsp_version: &'static str,
    input: String,
    symbols: u64,
    bits: u64,
    equalizer: link::EqReport,
    /// decisions per level index 0..4
    level_counts: [u64; 4],
    seconds: f64,
    symbols_per_second: f64,
    /// the hardware adaptation engine's trajectory (`adapt.in_rtl`)
    #[serde(skip_serializing_if = "Option::is_none")]
    adaptation: Option<golden::adapt_link::AdaptReport>,
    /// with `tx.fec`: the decoder's counts on the decisions (de-interleaved with `tx.interleave`)
    #[serde(skip_serializing_if = "Option::is_none")]
    fec: Option<rxdsp::rxinput::FecCounts>,
}

/// Runs `rxdsp rx`.
pub fn run(a: RxArgs) -> Result<()> {
    let plan = a.cfg.plan_for_received(a.adapt.adapt)?;
    check_plots(&a.adapt, &plan)?;
    let io = &a.io;
    // the same loading and coefficient choice as `rxdsp stream`
    let input = rxdsp::rxinput::load(&plan, &io.input, io.format())?;
    let t0 = std::time::Instant::now();
    let out = input.receive(&plan)?;
    let (levels, data, adaptation) = (out.levels, out.data, out.adaptation);
    let fec = rxdsp::rxinput::fec_counts(&plan, &input.eq, &data, 1).map(|f| f.0);
    let secs = t0.elapsed().as_secs_f64();
    let (x, eqr) = (input.samples, input.eq);
    write_file(&io.out, &samples::pack_symbols(&data)).context("writing the output")?;
    let mut level_counts = [0u64; 4];
    for &l in &levels {
        level_counts[l as usize] += 1;
    }
    println!(
        "rx         {} samples -> {} bits in {} ({} coefficients, ffe {:?}, dfe {:?}, threshold {})",
        x.len(),
        2 * x.len(),
        io.out.display(),
        eqr.method,
        eqr.ffe,
        eqr.dfe,
        eqr.threshold
    );
    if let Some(ad) = &adaptation {
        println!(
            "adapt      engine from {} taps: final ffe {:?}, dfe {:?}, threshold {} ({} points)",
            ad.init,
            ad.final_ffe,
            ad.final_dfe,
            ad.final_threshold,
            ad.trajectory.len()
        );
    }
    if let Some(f) = &fec {
        print_fec(f);
    }
    adaptation_outputs(&a.adapt, &plan, adaptation.as_ref())?;
    if let Some(p) = &io.report {
        let rep = RxReport {
            rxdsp_version: env!("CARGO_PKG_VERSION"),
            input: io.input.display().to_string(),
            symbols: x.len() as u64,
            bits: 2 * x.len() as u64,
            equalizer: eqr,
            level_counts,
            seconds: secs,
            symbols_per_second: x.len() as f64 / secs.max(1e-9),
            adaptation,
            fec,
        };
        write_json(p, &rep)?;
        println!("report     {}", p.display());
    }
    Ok(())
}

/// The FEC line of `rx` and `stream`.
pub(crate) fn print_fec(f: &rxdsp::rxinput::FecCounts) {
    let s = &f.stats;
    println!(
        "fec        {} from symbol {}: {} codewords, {} corrected ({} symbols), {} uncorrectable",
        f.code,
        f.sof_index,
        s.codewords,
        s.corrected_codewords,
        s.corrected_symbols,
        s.uncorrectable_codewords
    );
}

/// Refuses `--plots` of `rx` or `stream` without an adaptation to draw.
pub(crate) fn check_plots(a: &RxAdaptArgs, plan: &golden::config::LinkPlan) -> Result<()> {
    if a.plots.is_some() && plan.hw_adapt.is_none() {
        anyhow::bail!("--plots draws the adaptation engine's trajectory: it needs --adapt (or adapt.in_rtl = true)");
    }
    Ok(())
}

/// Writes the adaptation plot of `rx` or `stream` when `--plots` is given.
pub(crate) fn adaptation_outputs(
    a: &RxAdaptArgs,
    plan: &golden::config::LinkPlan,
    report: Option<&golden::adapt_link::AdaptReport>,
) -> Result<()> {
    let (Some(dir), Some(r)) = (&a.plots, report) else {
        return Ok(());
    };
    let files = super::plots::received_adaptation(r, plan.format.ffe_main, dir)?;
    println!("plots      {} files in {}", files.len(), dir.display());
    Ok(())
}
