//! Measures cosim speed: `cargo run --release -p rxdsp-sim --example cosim -- [SYMBOLS] [P] [none|cycle|random]`.
use golden::numeric::{RxCoeffs, RxFormat};
use golden::rng::Xoshiro256pp;
use sim::Backpressure;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let p: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(8);
    let bp = match args.get(3).map(String::as_str) {
        Some("cycle") => Backpressure::cycle_1110(),
        Some("random") => Backpressure::Random {
            seed: 7,
            p_valid: 0.8,
            p_ready: 0.8,
        },
        _ => Backpressure::None,
    };
    let fmt = RxFormat::default();
    let mut r = Xoshiro256pp::new(1);
    let mut coeffs = RxCoeffs::pass_through(&fmt, 40);
    for c in coeffs.ffe.iter_mut() {
        *c = (r.next_u64() % 1024) as i32 - 512;
    }
    coeffs.dfe = vec![(r.next_u64() % 256) as i32 - 128];
    let x: Vec<i16> = (0..n)
        .map(|_| ((r.next_u64() % 256) as i32 - 128) as i16)
        .collect();
    let t = std::time::Instant::now();
    let d = rtl::design(&fmt, p).unwrap();
    println!("generator: {:.2} ms", t.elapsed().as_secs_f64() * 1e3);
    match sim::cosim(&fmt, &coeffs, p, &x, bp) {
        Ok(rep) => {
            println!("{rep:#?}");
            println!(
                "latency (generator) {} cycles, observed {:?}; {:.2} M symbols/s",
                d.latency,
                rep.first_latency,
                rep.symbols_per_sec / 1e6
            );
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
