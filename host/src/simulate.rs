//! A link simulation as `rxdsp sim` runs it, shared by the program and the
//! Python package (`rxdsp.simulate`): the refusal of a run too short to count
//! anything, its warnings, and the JSON report's bytes.
//!
//! A run too short to count anything is refused: the first
//! [`transient_symbols`] decisions are the equalizer's start-up transient and
//! are left out of the statistics, so a run of no more symbols than that
//! counts no bit. A run that counts fewer than [`FEW_BITS`] bits is done,
//! with a warning.

use golden::config::LinkPlan;
use golden::link::{self, LinkError, Report, RunOptions};
use thiserror::Error;

/// Fewer counted bits than this get a warning: a bit error ratio below
/// 1e-4 cannot be told from 0.
pub const FEW_BITS: u64 = 10_000;

/// Errors of a simulation (bad input: exit 2 in the program).
#[derive(Debug, Error)]
pub enum SimError {
    /// the link model refused or failed
    #[error("simulation failed: {0}")]
    Link(#[from] LinkError),
    /// the run counted no bit
    #[error("a run of {symbols} symbols counts no bit: the first {skip} decisions are the equalizer's start-up transient; simulate at least {} symbols (--symbols or link.symbols)", skip + 1)]
    TooShort {
        /// symbols simulated
        symbols: u64,
        /// start-up decisions left out
        skip: u64,
    },
    /// the report could not be serialized
    #[error("serializing the report: {0}")]
    Json(#[from] serde_json::Error),
}

/// The decisions left out of the statistics at the start of a run of
/// `plan` (the link's alignment rule: `D + ffe.taps + channel taps` with
/// `D = channel main cursor + ffe.main`).
pub fn transient_symbols(plan: &LinkPlan) -> u64 {
    (plan.pulse.main + plan.format.ffe_main + plan.format.ffe_taps + plan.pulse.taps.len()) as u64
}

/// Refuses a run that counted nothing; returns the warnings (one line
/// each) for one that counted fewer than [`FEW_BITS`] bits or no FEC frame.
pub fn check_counted(plan: &LinkPlan, r: &Report) -> Result<Vec<String>, SimError> {
    let skip = transient_symbols(plan);
    if r.pre_fec.bits == 0 {
        return Err(SimError::TooShort {
            symbols: plan.symbols,
            skip,
        });
    }
    let mut w = Vec::new();
    if r.pre_fec.bits < FEW_BITS {
        w.push(format!(
            "only {} bits counted (fewer than {FEW_BITS}): a BER below 1e-4 cannot be told from 0; simulate at least {} symbols",
            r.pre_fec.bits,
            skip + FEW_BITS / 2
        ));
    }
    if r.fec.is_some() && r.post_fec.bits == 0 {
        w.push("no whole FEC frame was received: the post-FEC figures count nothing".to_string());
    }
    Ok(w)
}

/// The JSON report `rxdsp sim --report` writes, byte for byte.
pub fn report_json(r: &Report) -> Result<String, SimError> {
    Ok(serde_json::to_string_pretty(r)?)
}

/// Runs `plan` without a progress display and checks it counted something:
/// the report and the warnings.
pub fn simulate(plan: &LinkPlan, threads: usize) -> Result<(Report, Vec<String>), SimError> {
    let opts = RunOptions {
        threads,
        keep_samples: false,
        progress: None,
    };
    let r = link::run(plan, &opts)?.report;
    let w = check_counted(plan, &r)?;
    Ok((r, w))
}
