//! Writes the RS decoder and encoder: `cargo run -p rxdsp-rtl --example gen_rs -- OUT_DIR kp4|kr4 S`.
use golden::fec::Code;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(args.get(1).map(String::as_str).unwrap_or("rs-out"));
    let code: Code = match args.get(2).map(String::as_str).unwrap_or("kp4").parse() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let s: usize = match args.get(3).map(|s| s.parse()) {
        None => 8,
        Some(Ok(s)) => s,
        Some(Err(_)) => {
            eprintln!("error: S must be a number in 1..=16");
            std::process::exit(2);
        }
    };
    let t = std::time::Instant::now();
    let r = rtl::rs::generate_rs(code, s, &out);
    match r {
        Ok(files) => println!(
            "wrote {} files in {:.1} ms",
            files.len(),
            t.elapsed().as_secs_f64() * 1e3
        ),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
