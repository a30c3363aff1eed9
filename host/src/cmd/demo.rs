//! `rxdsp demo`: the main job on the embedded default configuration, end to
//! end (simulation, report, plots, co-simulation, the simulated device).

use super::args::ConfigArgs;
use super::{cosim, plots, report, run_sim, threads, write_json, Mismatch};
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;

/// `rxdsp demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// folder for the report and artefacts
    #[arg(long, default_value = "rxdsp-out")]
    out: PathBuf,
    /// worker threads (default: all cores)
    #[arg(long)]
    threads: Option<usize>,
}

/// Runs `rxdsp demo`.
pub fn run(a: DemoArgs) -> Result<()> {
    let out = &a.out;
    let plan = ConfigArgs::default().plan()?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    println!("rxdsp demo: the embedded default configuration (`rxdsp config --print-default`)");
    let r = run_sim(&plan, threads(a.threads), true)?;
    print!("{}", report::summary(&plan, &r.report));
    let rp = out.join("report.json");
    write_json(&rp, &r.report)?;
    println!("report     {}", rp.display());
    let pd = out.join("plots");
    let files = plots::draw(&plan, &r.coeffs, &r.report, &pd)?;
    let hp = out.join("report.html");
    report::write_html(&hp, &plan, &r.report, &pd)?;
    println!(
        "plots      {} files in {}, one page: {}",
        files.len(),
        pd.display(),
        hp.display()
    );
    let x = r.samples.as_deref().expect("samples kept");
    match cosim::run_cosim(&plan, &r.coeffs, x, sim::Backpressure::None, None) {
        Ok(c) => {
            cosim::print_cosim(&plan, &c);
            cosim::check(&plan, &c)?;
        }
        Err(e) => match e.downcast_ref::<sim::SimError>() {
            Some(sim::SimError::ToolMissing { .. }) => {
                println!("rtl        co-simulation skipped: {e:#}");
            }
            _ => return Err(e),
        },
    }
    match rxdsp::device::demo_stream(&plan, &r.coeffs, x) {
        Ok(s) => {
            let verdict = match s.mismatches {
                Some(0) => "identical to the golden RX".to_string(),
                Some(m) => format!("{m} SYMBOLS DIFFER from the golden RX"),
                None => "not compared".to_string(),
            };
            println!(
                "device     {} samples streamed through the simulated device ({}, host driver, framed protocol): {}, {:.2} M samples/s",
                s.samples,
                s.device,
                verdict,
                s.samples_per_second / 1e6
            );
            match s.mismatches {
                Some(0) => {}
                Some(m) => {
                    return Err(Mismatch(format!(
                        "the device output differs from the golden model in {m} symbols"
                    ))
                    .into())
                }
                None => anyhow::bail!("the device output was not compared with the golden model"),
            }
        }
        Err(rxdsp::device::DeviceError::Sim(sim::SimError::ToolMissing { .. })) => {
            println!(
                "device     streaming skipped: Verilator is missing (apt-get install verilator)"
            );
        }
        Err(e) => return Err(e).context("streaming through the simulated device"),
    }
    Ok(())
}
