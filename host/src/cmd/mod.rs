//! The commands of the `rxdsp` program, one module each, and what they
//! share: argument groups, the closed sets of values, the exit-code policy
//! and the helpers that run a link simulation or write a report.
//!
//! Exit codes (the same in every command, documented in the README):
//! `0` success; `1` a verification ran and failed ([`Mismatch`]: the RTL or
//! the device differs from the golden model, a board design misses its
//! clock); `2` anything else: bad input (arguments, configuration, files),
//! a run too short to count anything, a missing tool or an I/O failure.

pub mod ami;
pub mod args;
pub mod bert;
pub mod config;
pub mod cosim;
pub mod demo;
pub mod device;
pub mod fec;
pub mod gen;
pub mod jtol;
pub mod plots;
pub mod report;
pub mod rx;
pub mod sim;
pub mod sweep;
pub mod sweep_plots;
pub mod synth;
pub mod synth_flow;

use anyhow::{Context, Result};
use golden::config::LinkPlan;
use golden::link::{self, LinkResult, RunOptions};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rxdsp::samples;
use std::path::Path;

/// Exit code of a verification that ran and found a difference.
pub const EXIT_MISMATCH: i32 = 1;
/// Exit code of bad input and every other failure.
pub const EXIT_ERROR: i32 = 2;

/// A verification ran and failed (the program exits with [`EXIT_MISMATCH`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Mismatch(pub String);

/// The exit code for an error: [`EXIT_MISMATCH`] when a [`Mismatch`] is
/// in its chain, else [`EXIT_ERROR`].
pub fn exit_code(e: &anyhow::Error) -> i32 {
    if e.chain().any(|c| c.is::<Mismatch>()) {
        EXIT_MISMATCH
    } else {
        EXIT_ERROR
    }
}

/// Channel-model worker threads: by default one per core but one, since the receiver runs
/// in a thread of its own. Measured on 2 cores (issue 19, runs alternated on a quiet
/// machine): 1 worker 115-146 M symbols/s (median 133), 2 workers 98-128 (median 109); two
/// workers win only when other programs load the machine.
pub fn threads(t: Option<usize>) -> usize {
    t.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get().saturating_sub(1))
            .unwrap_or(1)
    })
    .max(1)
}

pub(crate) fn progress_bar(total: u64) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} symbols ({per_sec}, eta {eta})",
        )
        .expect("static template"),
    );
    pb
}

/// Runs the link simulation of `plan` with a progress bar on stderr;
/// `keep` keeps the ADC samples.
pub fn run_sim(plan: &LinkPlan, threads: usize, keep: bool) -> Result<LinkResult> {
    let pb = progress_bar(plan.symbols);
    let cb = |n: u64| pb.set_position(n);
    let opts = RunOptions {
        threads,
        keep_samples: keep,
        progress: Some(&cb),
    };
    let r = link::run(plan, &opts).context("simulation failed")?;
    pb.finish_and_clear();
    Ok(r)
}

/// Writes `v` as pretty JSON to `path` atomically (its folder created).
pub fn write_json(path: &Path, v: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(v).context("serializing the report")?;
    write_file(path, text.as_bytes()).context("writing the report")
}

/// Writes `bytes` to `path` atomically ([`samples::write_atomic`]: `path.partial`,
/// then a rename), creating its folder first.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    samples::write_atomic(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
