//! `rxdsp fec encode|decode`: Reed-Solomon over a file of u16
//! little-endian symbols.

use super::args::{CodeArg, FecOp};
use super::write_json;
use anyhow::{bail, Context, Result};
use clap::Args;
use rxdsp::samples;
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

/// Runs `rxdsp fec`.
pub fn fec_cmd(a: FecArgs) -> Result<()> {
    let code: golden::fec::Code = a.code.into();
    let input =
        std::fs::read(&a.input).with_context(|| format!("reading {}", a.input.display()))?;
    let t0 = std::time::Instant::now();
    if a.op == FecOp::Encode {
        if a.stats.is_some() {
            bail!("--stats goes with `fec decode`");
        }
        let out = golden::fec::encode_bytes(code, &input)
            .with_context(|| format!("{}", a.input.display()))?;
        samples::write_atomic(&a.out, &out).context("writing the output")?;
        let cw = out.len() / 2 / code.n();
        println!(
            "fec encode {}: {} codewords in {:.3} s -> {}",
            code.name(),
            cw,
            t0.elapsed().as_secs_f64(),
            a.out.display()
        );
    } else {
        let (out, stats) = golden::fec::decode_bytes(code, &input)
            .with_context(|| format!("{}", a.input.display()))?;
        samples::write_atomic(&a.out, &out).context("writing the output")?;
        println!(
            "fec decode {}: {} codewords, {} corrected ({} symbols), {} uncorrectable in {:.3} s -> {}",
            code.name(),
            stats.codewords,
            stats.corrected_codewords,
            stats.corrected_symbols,
            stats.uncorrectable_codewords,
            t0.elapsed().as_secs_f64(),
            a.out.display()
        );
        if let Some(p) = &a.stats {
            write_json(p, &stats)?;
        }
    }
    Ok(())
}
