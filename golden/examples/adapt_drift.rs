//! The adaptation drift soak (issue 15, not in CI): the hardware adaptation
//! engine (`adapt.in_rtl`) adapting decision-directed through a long run on a
//! steady channel must keep the BER within 2x of the MMSE coefficients' BER
//! over the same symbols, in every block of the run after the first.
//!
//! ```text
//! cargo run --release -p rxdsp-golden --example adapt_drift [-- SYMBOLS [BLOCKS]]
//! ```
//! Defaults: 10^8 symbols on lpo-host-16db at 30 dB SNR, 10 blocks. Prints a
//! row per block (symbols, errors, BER, ratio to the MMSE BER, the taps at its
//! end) and exits 1 when a block after the first exceeds 2x.

use golden::config::{Config, EqMethod};
use golden::link::{run, RunOptions};
use std::process::ExitCode;

fn config(symbols: u64) -> Config {
    let mut c = Config::default();
    c.channel.preset = Some("lpo-host-16db".into());
    c.channel.snr_db = 30.0;
    c.link.symbols = symbols as i64;
    c
}

fn main() -> ExitCode {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse::<f64>().map(|v| v as u64))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|_| {
            eprintln!("usage: adapt_drift [SYMBOLS [BLOCKS]]");
            std::process::exit(2)
        });
    let symbols = args.first().copied().unwrap_or(100_000_000);
    let blocks = args.get(1).copied().unwrap_or(10).max(1);
    if symbols < blocks * 1000 {
        eprintln!("adapt_drift: SYMBOLS must be at least 1000 x BLOCKS");
        return ExitCode::from(2);
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let opts = RunOptions {
        threads,
        ..Default::default()
    };
    let mmse = run(&config(symbols).resolve().expect("valid"), &opts).expect("mmse run");
    let mut c = config(symbols);
    c.eq.method = EqMethod::SignSign;
    c.adapt.in_rtl = true;
    c.adapt.symbols = symbols as i64;
    c.adapt.report_every = (symbols / blocks) as i64;
    let r = run(&c.resolve().expect("valid"), &opts).expect("adaptive run");
    let want = mmse.report.pre_fec.ber;
    let a = r.report.adaptation.expect("adaptation report");
    println!(
        "MMSE: {} bit errors in {} bits, BER {want:.3e}",
        mmse.report.pre_fec.bit_errors, mmse.report.pre_fec.bits
    );
    println!("| block ends at symbol | bit errors | BER | x MMSE | FFE | DFE | threshold |");
    println!("|---|---|---|---|---|---|---|");
    let mut worst = 0.0f64;
    for (i, p) in a.trajectory.iter().enumerate() {
        let ber = p.ber.unwrap_or(0.0);
        let ratio = ber / want;
        if i > 0 {
            worst = worst.max(ratio);
        }
        println!(
            "| {} | {} | {ber:.3e} | {ratio:.2} | {:?} | {:?} | {} |",
            p.symbol, p.bit_errors, p.ffe, p.dfe, p.threshold
        );
    }
    println!("worst block after the first: {worst:.2} x the MMSE BER");
    if worst > 2.0 {
        eprintln!("adapt_drift: the adapted BER drifted beyond 2x the MMSE BER");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
