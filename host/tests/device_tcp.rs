//! The host driver against the simulated device: in process (`sim:`) and
//! over TCP loopback through `rxdsp serve`'s library function, 1 M samples,
//! output identical to the golden receiver (and `rxdsp rx`'s file); the
//! throughput of both is printed (`--nocapture`).

use golden::link::{self, RunOptions};
use rxdsp::device::{self, Device, Options};
use std::net::TcpListener;
use std::process::Command;
use std::time::Instant;

fn plan(symbols: i64) -> golden::config::LinkPlan {
    let mut cfg = rxdsp::cfgload::load(None, &[]).unwrap();
    cfg.link.symbols = symbols;
    cfg.resolve().unwrap()
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn one_million_samples_over_tcp_match_rx_and_sim() {
    let plan = plan(1_000_000);
    let r = link::run(
        &plan,
        &RunOptions {
            threads: 2,
            keep_samples: true,
            progress: None,
        },
    )
    .unwrap();
    let x = r.samples.unwrap();

    // in process
    let t0 = Instant::now();
    let s = device::demo_stream(&plan, &r.coeffs, &x).unwrap();
    let sim_rate = x.len() as f64 / t0.elapsed().as_secs_f64();
    assert_eq!(s.mismatches, Some(0));

    // over TCP
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let (fmt, p) = (plan.format.clone(), plan.parallel);
    let server = std::thread::spawn(move || device::serve::serve(&l, &fmt, p, Some(1)));
    let mut dev = Device::open(
        &format!("tcp://{addr}"),
        &plan.format,
        plan.parallel,
        Options::default(),
    )
    .unwrap();
    assert_eq!(dev.info().format, plan.format);
    let t0 = Instant::now();
    let (out, st) = dev.run_stream(&r.coeffs, &x, 1).unwrap();
    let tcp_rate = x.len() as f64 / t0.elapsed().as_secs_f64();
    drop(dev);
    let rep = server.join().unwrap().unwrap();
    let mut eq =
        golden::eq::Equalizer::new(&plan.format, &r.coeffs, golden::eq::Engine::Fast).unwrap();
    let gold = eq.process_all(&x);
    assert_eq!(out.data, gold.data);
    assert_eq!(st.samples_in, x.len() as u64); // 1 M is a multiple of P
    println!(
        "sim: {:.3} M samples/s, tcp: {:.3} M samples/s ({:.0} %), {} cycles served",
        sim_rate / 1e6,
        tcp_rate / 1e6,
        100.0 * tcp_rate / sim_rate,
        rep.cycles
    );
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn stream_command_writes_what_rx_writes() {
    let dir = std::env::temp_dir().join(format!("rxdsp-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = env!("CARGO_BIN_EXE_rxdsp");
    let s = dir.join("s.npy");
    let run = |args: &[&str]| {
        let o = Command::new(bin).args(args).output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let set = [
        "--set",
        "channel.taps=[0.1,0.6,0.3,0.1]",
        "--set",
        "ffe.taps=8",
    ];
    let mut a = vec![
        "sim",
        "--symbols",
        "30001",
        "--dump-samples",
        s.to_str().unwrap(),
    ];
    a.extend(set);
    run(&a);
    let gold = dir.join("gold.bin");
    let mut a = vec![
        "rx",
        "--in",
        s.to_str().unwrap(),
        "--out",
        gold.to_str().unwrap(),
    ];
    a.extend(set);
    run(&a);
    let dev = dir.join("dev.bin");
    let rep = dir.join("r.json");
    let mut a = vec![
        "stream",
        "--device",
        "sim:",
        "--in",
        s.to_str().unwrap(),
        "--out",
        dev.to_str().unwrap(),
        "--report",
        rep.to_str().unwrap(),
    ];
    a.extend(set);
    run(&a);
    assert_eq!(std::fs::read(&gold).unwrap(), std::fs::read(&dev).unwrap());
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    assert_eq!(j["symbols"], 30001);
    // a device URI nobody serves: one clear line, no output file
    let bad = dir.join("none.bin");
    let o = Command::new(bin)
        .args(["stream", "--device", "tcp://127.0.0.1:1", "--in"])
        .arg(&s)
        .arg("--out")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("tcp://127.0.0.1:1"), "{err}");
    assert!(!bad.exists());
    std::fs::remove_dir_all(&dir).ok();
}
