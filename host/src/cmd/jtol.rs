//! `rxdsp jtol`: jitter tolerance. For each SJ frequency, the largest SJ
//! amplitude at which the link meets a pre-FEC BER target (bisection of
//! whole `sim` runs, `golden::jtol`), printed beside the mask, written as
//! JSON and plotted. Use it with `cdr.kind = "mm"`: the loop tracks the slow
//! SJ, so the tolerance rises towards low frequencies.

use super::args::{ConfigArgs, RunArgs};
use super::{threads, write_json};
use anyhow::{Context, Result};
use clap::Args;
use golden::jtol::{self, JtolReport};
use plot::Labels;
use std::path::{Path, PathBuf};

/// `rxdsp jtol`.
#[derive(Args)]
pub struct JtolArgs {
    #[command(flatten)]
    cfg: ConfigArgs,
    #[command(flatten)]
    run: RunArgs,
    /// pre-FEC BER target
    #[arg(long, default_value_t = 1e-4)]
    ber: f64,
    /// SJ frequencies, Hz, comma separated
    #[arg(long, value_delimiter = ',', default_values_t = [1e5, 3e5, 1e6, 3e6, 1e7, 3e7, 1e8])]
    freqs: Vec<f64>,
    /// bisection steps per frequency
    #[arg(long, default_value_t = 7)]
    steps: usize,
    /// write the JSON report here
    #[arg(long)]
    report: Option<PathBuf>,
    /// draw the tolerance curve against the mask here (jtol.svg, jtol.png)
    #[arg(long)]
    plots: Option<PathBuf>,
    /// channel-model worker threads
    #[arg(long)]
    threads: Option<usize>,
}

/// Runs `rxdsp jtol`.
pub fn run(a: JtolArgs) -> Result<()> {
    let mut cfg = a.cfg.load()?;
    if let Some(n) = a.run.symbols {
        cfg.link.symbols = n;
    }
    if let Some(s) = a.run.seed {
        cfg.link.seed = s;
    }
    let text = rxdsp::cfgload::touchstone_text(&cfg, a.cfg.config.as_deref())?;
    if !(1..=30).contains(&a.steps) {
        anyhow::bail!("--steps {}: 1..=30", a.steps);
    }
    let quiet = |_f: f64, _a: f64, _b: f64| {};
    let r = jtol::sweep(
        &cfg,
        text.as_deref(),
        &a.freqs,
        a.ber,
        a.steps,
        threads(a.threads),
        &quiet,
    )?;
    print!("{}", summary(&r));
    if let Some(p) = &a.report {
        write_json(p, &r)?;
        println!("report     {}", p.display());
    }
    if let Some(d) = &a.plots {
        draw(&r, d)?;
        println!("plots      {}", d.display());
    }
    Ok(())
}

/// The table `rxdsp jtol` prints.
pub fn summary(r: &JtolReport) -> String {
    let mut s = format!(
        "jitter tolerance at pre-FEC BER {:.1e}, {} symbols per trial\n{:>12}  {:>14}  {:>14}  {}\n",
        r.ber_target, r.symbols, "SJ freq (Hz)", "tolerance pkpk", "mask pkpk (UI)", "verdict"
    );
    for p in &r.points {
        s += &format!(
            "{:>12.3e}  {:>14.4}  {:>14.4}  {}\n",
            p.freq_hz,
            p.tolerance_pkpk_ui,
            p.mask_pkpk_ui,
            if p.passes_mask { "pass" } else { "FAIL" }
        );
    }
    s += &format!(
        "mask       {}\n",
        if r.passes_mask { "passed" } else { "failed" }
    );
    s
}

fn draw(r: &JtolReport, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let x: Vec<f64> = r.points.iter().map(|p| p.freq_hz.log10()).collect();
    let tol: Vec<f64> = r.points.iter().map(|p| p.tolerance_pkpk_ui).collect();
    let mask: Vec<f64> = r.points.iter().map(|p| p.mask_pkpk_ui).collect();
    let fig = plot::lines(
        &[
            plot::Series {
                name: "tolerance",
                x: &x,
                y: &tol,
            },
            plot::Series {
                name: "mask",
                x: &x,
                y: &mask,
            },
        ],
        plot::LineOpts {
            log_y: true,
            markers: true,
        },
        &Labels::new(
            "Jitter tolerance: largest SJ meeting the BER target",
            "SJ frequency (log10 Hz)",
            "SJ peak to peak (UI)",
        ),
    )?;
    let svg = dir.join("jtol.svg");
    rxdsp::samples::write_atomic(&svg, fig.to_svg().as_bytes())
        .with_context(|| format!("writing {}", svg.display()))?;
    let png = dir.join("jtol.png");
    let bytes = fig.to_png().context("drawing jtol.png")?;
    rxdsp::samples::write_atomic(&png, &bytes)
        .with_context(|| format!("writing {}", png.display()))?;
    Ok(())
}
