//! Fault injection between the host driver and the simulated device: a TCP
//! proxy drops, corrupts, duplicates and delays bytes, or cuts the
//! connection. Every fault is detected: the stream either completes with the
//! golden receiver's output exactly (retransmissions counted on both sides)
//! or fails with a clear error. Loops are bounded in count and time.

use golden::link::{self, RunOptions};
use rxdsp::device::{self, Device, DeviceError, Options};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Clone, Default)]
struct Faults {
    seed: u64,
    /// probabilities per byte
    drop: f64,
    corrupt: f64,
    dup: f64,
    /// probability per chunk of a 1-5 ms delay
    delay: f64,
    /// corrupt exactly these byte positions (0-based, this direction)
    at: Vec<u64>,
    /// leave the first bytes alone (discovery and configuration)
    after: u64,
}

struct Rng(u64);
impl Rng {
    fn f(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Proxy {
    addr: SocketAddr,
    injected: Arc<AtomicU64>,
    handle: JoinHandle<()>,
}

fn pump(
    mut src: TcpStream,
    mut dst: TcpStream,
    f: Faults,
    injected: Arc<AtomicU64>,
    total: Arc<AtomicU64>,
    cut_after: Option<u64>,
    stop: Arc<AtomicBool>,
) {
    let mut rng = Rng(f.seed | 1);
    let mut buf = [0u8; 8192];
    let mut pos = 0u64;
    src.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let t0 = Instant::now();
    while !stop.load(Ordering::Relaxed) && t0.elapsed() < Duration::from_secs(120) {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => break,
        };
        let mut out = Vec::with_capacity(n + 8);
        for &b in &buf[..n] {
            let faulty = pos >= f.after;
            if f.at.contains(&pos) {
                out.push(b ^ 0x5a);
                injected.fetch_add(1, Ordering::Relaxed);
            } else if faulty && rng.f() < f.drop {
                injected.fetch_add(1, Ordering::Relaxed);
            } else if faulty && rng.f() < f.corrupt {
                out.push(b ^ (1 << (rng.f() * 8.0) as u32));
                injected.fetch_add(1, Ordering::Relaxed);
            } else if faulty && rng.f() < f.dup {
                out.push(b);
                out.push(b);
                injected.fetch_add(1, Ordering::Relaxed);
            } else {
                out.push(b);
            }
            pos += 1;
        }
        if f.delay > 0.0 && rng.f() < f.delay {
            std::thread::sleep(Duration::from_millis(1 + (rng.f() * 4.0) as u64));
        }
        let t = total.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if cut_after.is_some_and(|c| t >= c) {
            break;
        }
        if dst.write_all(&out).is_err() {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    src.shutdown(Shutdown::Both).ok();
    dst.shutdown(Shutdown::Both).ok();
}

/// A proxy for one connection to `up`.
fn proxy(up: SocketAddr, h2d: Faults, d2h: Faults, cut_after: Option<u64>) -> Proxy {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let injected = Arc::new(AtomicU64::new(0));
    let inj = injected.clone();
    let handle = std::thread::spawn(move || {
        let (host, _) = l.accept().unwrap();
        let dev = TcpStream::connect(up).unwrap();
        host.set_nodelay(true).ok();
        dev.set_nodelay(true).ok();
        let stop = Arc::new(AtomicBool::new(false));
        let total = Arc::new(AtomicU64::new(0));
        let (h2, d2) = (host.try_clone().unwrap(), dev.try_clone().unwrap());
        let (i1, t1, s1) = (inj.clone(), total.clone(), stop.clone());
        let a = std::thread::spawn(move || pump(host, dev, h2d, i1, t1, cut_after, s1));
        pump(d2, h2, d2h, inj, total, cut_after, stop);
        a.join().ok();
    });
    Proxy {
        addr,
        injected,
        handle,
    }
}

struct Setup {
    plan: golden::config::LinkPlan,
    coeffs: golden::numeric::RxCoeffs,
    x: Vec<i16>,
    gold: Vec<u8>,
}

fn setup(symbols: i64) -> Setup {
    let mut cfg = rxdsp::cfgload::load(None, &[]).unwrap();
    cfg.link.symbols = symbols;
    let plan = cfg.resolve().unwrap();
    let r = link::run(
        &plan,
        &RunOptions {
            threads: 1,
            keep_samples: true,
            progress: None,
        },
    )
    .unwrap();
    let x = r.samples.unwrap();
    let mut eq =
        golden::eq::Equalizer::new(&plan.format, &r.coeffs, golden::eq::Engine::Fast).unwrap();
    let gold = eq.process_all(&x).data;
    Setup {
        plan,
        coeffs: r.coeffs,
        x,
        gold,
    }
}

type Outcome = (
    Result<(device::StreamOutput, device::DeviceStats), DeviceError>,
    device::LinkCounters,
    u64,
);

/// One stream through a faulty proxy to a fresh `serve`.
fn run(s: &Setup, h2d: Faults, d2h: Faults, cut_after: Option<u64>, attempts: u32) -> Outcome {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let up = l.local_addr().unwrap();
    let (fmt, p) = (s.plan.format.clone(), s.plan.parallel);
    let server = std::thread::spawn(move || device::serve::serve(&l, &fmt, p, Some(1)));
    let px = proxy(up, h2d, d2h, cut_after);
    let opts = Options {
        timeout: Duration::from_millis(300),
        retries: 6,
    };
    let t0 = Instant::now();
    let r = Device::open(
        &format!("tcp://{}", px.addr),
        &s.plan.format,
        s.plan.parallel,
        opts,
    )
    .map(|mut d| {
        let r = d.run_stream(&s.coeffs, &s.x, attempts);
        (r, d.counters.clone())
    });
    assert!(t0.elapsed() < Duration::from_secs(90), "bounded in time");
    let out = match r {
        Ok((r, c)) => (r, c),
        Err(e) => (Err(e), device::LinkCounters::default()),
    };
    px.handle.join().unwrap();
    server.join().unwrap().unwrap();
    (out.0, out.1, px.injected.load(Ordering::Relaxed))
}

fn bridge(st: &device::DeviceStats, name: &str) -> u64 {
    st.bridge.iter().find(|x| x.0 == name).map(|x| x.1).unwrap()
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn host_to_device_drops_corruption_and_duplicates_are_retried() {
    let s = setup(60_000);
    let f = Faults {
        seed: 11,
        drop: 2e-5,
        corrupt: 2e-5,
        dup: 2e-5,
        after: 2000,
        ..Faults::default()
    };
    let (r, c, injected) = run(&s, f, Faults::default(), None, 1);
    let (out, st) = r.expect("host-to-device faults are all recoverable");
    assert!(injected > 0);
    assert_eq!(out.data, s.gold, "no sample lost, duplicated or reordered");
    let refused = bridge(&st, "rx_corrupt")
        + bridge(&st, "rx_length")
        + bridge(&st, "rx_seq")
        + bridge(&st, "rx_type");
    assert!(refused > 0, "the device saw the faults: {st:?}");
    assert!(c.retransmits > 0, "the host resent: {c:?}");
    assert_eq!(st.samples_in, s.x.len().div_ceil(8) as u64 * 8);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn device_to_host_corruption_is_detected_and_the_stream_repeated() {
    let s = setup(30_000);
    // one corrupted byte well inside the output stream
    let d2h = Faults {
        at: vec![3000],
        ..Faults::default()
    };
    let (r, c, injected) = run(&s, Faults::default(), d2h, None, 2);
    assert_eq!(injected, 1);
    let (out, _) = r.expect("the second attempt succeeds");
    assert_eq!(out.data, s.gold);
    assert!(
        c.bad_frames >= 1,
        "the host refused the corrupted frame: {c:?}"
    );
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn random_faults_both_ways_never_give_wrong_output() {
    let s = setup(20_000);
    let mut ok = 0;
    // RXDSP_FAULT_SEEDS=N runs more seeds (a soak test)
    let seeds: u64 = std::env::var("RXDSP_FAULT_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    for seed in 1..=seeds {
        let f = |k: u64| Faults {
            seed: seed * 7 + k,
            drop: 3e-5 * (1 + 2 * k) as f64,
            corrupt: 3e-5 * (1 + 2 * k) as f64,
            dup: 3e-5 * (1 + 2 * k) as f64,
            delay: 0.02,
            after: 1500,
            ..Faults::default()
        };
        let (r, c, injected) = run(&s, f(0), f(1), None, 2);
        println!(
            "seed {seed}: {injected} faults injected, host {c:?}, result {:?}",
            r.as_ref()
                .map(|x| x.1.bridge.clone())
                .map_err(|e| e.to_string())
        );
        match r {
            Ok((out, _)) => {
                assert_eq!(out.data, s.gold, "seed {seed}");
                ok += 1;
            }
            Err(
                e @ (DeviceError::OutputLost { .. }
                | DeviceError::Incomplete { .. }
                | DeviceError::RetriesExhausted { .. }),
            ) => {
                assert!(!e.to_string().is_empty());
            }
            Err(e) => panic!("seed {seed}: unexpected error {e}"),
        }
    }
    assert!(ok >= 1, "light faults: at least one run completes");
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn a_cut_connection_is_a_clear_error() {
    let s = setup(20_000);
    let (r, _, _) = run(&s, Faults::default(), Faults::default(), Some(15_000), 1);
    let e = r.expect_err("the connection was cut");
    let msg = e.to_string();
    assert!(
        matches!(e, DeviceError::Closed(_) | DeviceError::Io { .. }),
        "{msg}"
    );
    assert!(msg.contains("tcp://127.0.0.1:"), "{msg}");
}
