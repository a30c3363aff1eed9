//! Writes the default design: `cargo run -p rxdsp-rtl --example gen -- OUT_DIR [P] [N] [M]`.
use golden::numeric::RxFormat;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = args.get(1).map(String::as_str).unwrap_or("rtl-out");
    let p: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(8);
    let mut fmt = RxFormat::default();
    if let Some(n) = args.get(3).and_then(|s| s.parse().ok()) {
        fmt.ffe_taps = n;
        fmt.ffe_main = n / 4;
    }
    if let Some(m) = args.get(4).and_then(|s| s.parse().ok()) {
        fmt.dfe_taps = m;
    }
    let t = std::time::Instant::now();
    match rtl::generate(&fmt, p, std::path::Path::new(out)) {
        Ok(r) => println!(
            "wrote {} files, top {}, latency {} cycles, in {:.2} ms",
            r.files.len(),
            r.top,
            r.latency,
            t.elapsed().as_secs_f64() * 1e3
        ),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
