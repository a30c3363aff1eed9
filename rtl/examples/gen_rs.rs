//! Writes the RS decoder and encoder: `cargo run -p rxdsp-rtl --example gen_rs -- OUT_DIR kp4|kr4 S`.
use golden::fec::Code;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(args.get(1).map(String::as_str).unwrap_or("rs-out"));
    let code: Code = args
        .get(2)
        .map(String::as_str)
        .unwrap_or("kp4")
        .parse()
        .unwrap_or(Code::Kp4);
    let s: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(8);
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
