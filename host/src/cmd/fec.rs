//! `rxdsp fec encode|decode`: Reed-Solomon over a file of u16
//! little-endian symbols.

use super::args::{CodeArg, FecOp};
use super::write_json;
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;

/// `rxdsp fec`.
#[derive(Args)]
pub struct FecArgs {
    /// encode (k message symbols per codeword in) or decode (n received symbols per codeword in)
    #[arg(value_enum)]
    op: FecOp,
    /// kp4 = RS(544,514), t = 15; kr4 = RS(528,514), t = 7
    #[arg(long, value_enum)]
    code: CodeArg,
    /// input: u16 little-endian symbols, codewords back to back
    #[arg(long = "in")]
    input: PathBuf,
    /// output: u16 little-endian symbols
    #[arg(long)]
    out: PathBuf,
    /// decode only: write the decoder statistics (the report's `fec` object) here
    #[arg(long)]
    stats: Option<PathBuf>,
}

/// Runs `rxdsp fec`: the file is streamed in chunks over every core in constant
/// memory (`rxdsp::fecfile`), the output written under a temporary name and renamed.
pub fn fec_cmd(a: FecArgs) -> Result<()> {
    use rxdsp::fecfile::{self, FecOp as Op, StreamOptions};
    let code: golden::fec::Code = a.code.into();
    let op = match a.op {
        FecOp::Encode => Op::Encode,
        FecOp::Decode => Op::Decode,
    };
    if op == Op::Encode && a.stats.is_some() {
        bail!("--stats goes with `fec decode`");
    }
    let t0 = std::time::Instant::now();
    let s = fecfile::code_file(op, code, &a.input, &a.out, StreamOptions::default())?;
    let secs = t0.elapsed().as_secs_f64();
    match &s.stats {
        None => println!(
            "fec encode {}: {} codewords in {:.3} s -> {}",
            code.name(),
            s.codewords,
            secs,
            a.out.display()
        ),
        Some(stats) => {
            println!(
                "fec decode {}: {} codewords, {} corrected ({} symbols), {} uncorrectable in {:.3} s -> {}",
                code.name(),
                stats.codewords,
                stats.corrected_codewords,
                stats.corrected_symbols,
                stats.uncorrectable_codewords,
                secs,
                a.out.display()
            );
            if let Some(p) = &a.stats {
                write_json(p, stats)?;
            }
        }
    }
    Ok(())
}
