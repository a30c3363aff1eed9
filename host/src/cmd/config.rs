//! `rxdsp config`: configuration helpers.

use anyhow::{bail, Result};
use clap::Args;
use golden::config::DEFAULT_TOML;

/// `rxdsp config`.
#[derive(Args)]
pub struct ConfigCmdArgs {
    /// print the embedded default configuration (commented TOML)
    #[arg(long)]
    print_default: bool,
}

/// Runs `rxdsp config`.
pub fn run(a: ConfigCmdArgs) -> Result<()> {
    if !a.print_default {
        bail!("nothing to do: try `rxdsp config --print-default`");
    }
    print!("{DEFAULT_TOML}");
    Ok(())
}
