//! Prints the emulator noise generator's accuracy table (docs/emulator.md):
//! for k = 1..9, the generator's P(n >= j) computed exactly from its 64-bit
//! thresholds, at the j whose half-point is nearest k sigma, against Q.
//!
//! ```text
//! cargo run --release -p rxdsp-golden --example noise_accuracy [-- SIGMA_UNITS]
//! ```
//! Without an argument: the default configuration's sigma (58.67 units of
//! 2^-4 ADC codes).

use golden::config::Config;
use golden::emu::{EmuPlan, NoiseTable};

fn main() {
    let sigma = match std::env::args().nth(1) {
        Some(s) => match s.parse::<f64>() {
            Ok(v) => v,
            Err(_) => {
                eprintln!("noise_accuracy: {s}: a standard deviation in table units");
                std::process::exit(2);
            }
        },
        None => {
            let plan = Config::default()
                .resolve()
                .expect("the default config resolves");
            EmuPlan::new(&plan)
                .expect("the default config fits")
                .noise
                .sigma()
        }
    };
    let t = match NoiseTable::gaussian(sigma) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("noise_accuracy: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "sigma = {sigma:.4} units, {} thresholds, reach {:.2} sigma\n",
        t.thresholds().len(),
        t.reach_sigmas()
    );
    println!("| k | j | (j - 1/2) / sigma | generator P(n >= j) | Q((j - 1/2) / sigma) | relative error |");
    println!("|---|---|---|---|---|---|");
    for r in t.accuracy(9) {
        println!(
            "| {} | {} | {:.4} | {:.6e} | {:.6e} | {:+.2e} |",
            r.k, r.j, r.x, r.generator, r.gaussian, r.rel_error
        );
    }
}
