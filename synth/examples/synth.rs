//! Run the flow from the command line, as `rxdsp synth` will:
//!
//! ```sh
//! cargo run -p rxdsp-synth --example synth -- ecp5-85k fir8x8 synth/tests/data/fir8x8.v \
//!     [--freq MHZ] [--clock PORT] [--block NAME]... [--work DIR] [--json F] [--board ulx3s-85f|ecp5-evn] \
//!     [--router router1|router2]
//! ```
//! Progress goes to stderr, the table to stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use synth::bitstream::{build_bitstream, Board};
use synth::{run, SynthRequest, Target};

fn main() -> ExitCode {
    match main_inner() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synth: {e}");
            ExitCode::from(2)
        }
    }
}

fn main_inner() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: synth TARGET TOP FILE... [--freq MHZ] [--clock PORT] [--block NAME]... [--work DIR] [--json F] [--board B] [--router R]";
    let target: Target = args.next().ok_or(usage)?.parse()?;
    let top = args.next().ok_or(usage)?;
    let mut req = SynthRequest::new(target, Vec::new(), &top);
    let (mut json, mut board) = (None, None);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(usage);
        match a.as_str() {
            "--freq" => req.freq_mhz = val()?.parse()?,
            "--clock" => req.clock_port = val()?,
            "--block" => req.blocks.push(val()?),
            "--work" => req.work_dir = PathBuf::from(val()?),
            "--json" => json = Some(PathBuf::from(val()?)),
            "--board" => board = Some(val()?.parse::<Board>()?),
            "--router" => req.router = val()?.parse()?,
            f if !f.starts_with("--") => req.files.push(PathBuf::from(f)),
            _ => return Err(usage.into()),
        }
    }
    let mut log = |l: &str| eprintln!("synth: {l}");
    let report = match board {
        Some(b) => {
            let out = build_bitstream(&req, b, None, &mut log)?;
            eprintln!("synth: bitstream {}", out.bitstream.display());
            out.synth
        }
        None => run(&req, &mut log)?,
    };
    print!("{}", report.table());
    if let Some(p) = json {
        std::fs::write(&p, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
}
