//! `rxdsp rx`: the golden receiver on a sample file.

use super::args::{ConfigArgs, SampleIoArgs};
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
}

/// Runs `rxdsp rx`.
pub fn run(a: RxArgs) -> Result<()> {
    let plan = a.cfg.plan_for_received()?;
    let io = &a.io;
    // the same loading and coefficient choice as `rxdsp stream`
    let input = rxdsp::rxinput::load(&plan, &io.input, io.format())?;
    let t0 = std::time::Instant::now();
    let (levels, data) = input.receive(&plan)?;
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
        };
        write_json(p, &rep)?;
        println!("report     {}", p.display());
    }
    Ok(())
}
