//! `rxdsp bert` against `rxdsp sim --set link.model='"emulator"'`: the same
//! counts, key for key, from the device's own emulator and checker (in
//! process and over TCP through `rxdsp serve --bert`); the checker counts
//! exactly the injected errors; bad input is refused with exit 2 and no
//! report file.

use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

fn rxdsp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rxdsp"))
        .args(args)
        .output()
        .expect("run rxdsp")
}

/// A fresh folder for test `tag` (see [`testkit::TestDir`]).
fn tmp(tag: &str) -> testkit::TestDir {
    testkit::TestDir::new(&format!("bert-{tag}"))
}

fn json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The keys a BER run and a simulation share, with the values they must agree on.
const SHARED: [&str; 8] = [
    "symbols",
    "seed",
    "pattern",
    "skipped_symbols",
    "pre_fec",
    "bursts",
    "fec",
    "post_fec",
];

/// `rxdsp bert --device DEV` and `rxdsp sim` on the same settings: every
/// shared key equal, and the equalizer and channel objects too.
fn compare(tag: &str, device: &str, sets: &[&str], symbols: u64) -> (Value, Value) {
    let d = tmp(tag);
    let (b, s) = (d.join("bert.json"), d.join("sim.json"));
    let n = symbols.to_string();
    let mut common: Vec<&str> = vec!["--symbols", &n];
    for kv in sets {
        common.push("--set");
        common.push(kv);
    }
    let mut ba = vec!["bert", "--device", device];
    ba.extend(&common);
    ba.extend(["--report", b.to_str().unwrap()]);
    let o = rxdsp(&ba);
    assert!(
        o.status.success(),
        "{tag}: rxdsp bert failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut sa = vec!["sim", "--set", "link.model=\"emulator\""];
    sa.extend(&common);
    sa.extend(["--report", s.to_str().unwrap()]);
    let o = rxdsp(&sa);
    assert!(o.status.success(), "{tag}: rxdsp sim failed");
    let (bv, sv) = (json(&b), json(&s));
    for k in SHARED.iter().chain(&["equalizer", "channel"]) {
        assert_eq!(bv[k], sv[k], "{tag}: key {k} differs");
    }
    assert!(bv["device"]["symbols_per_second"].as_f64().unwrap() > 0.0);
    (bv, sv)
}

#[test]
#[ignore = "full tier: builds Verilator models of the device with the BER tester"]
fn bert_on_the_simulated_device_reports_what_sim_reports() {
    // the default link (lpo-host-16db), with errors to count
    let (b, _) = compare("default", "sim:", &["channel.snr_db=22"], 60_000);
    assert!(b["pre_fec"]["bit_errors"].as_u64().unwrap() > 10, "{b}");
    // precoding and M = 2 DFE taps
    compare(
        "precode-m2",
        "sim:",
        &["tx.precode=true", "dfe.taps=2", "channel.snr_db=21"],
        50_000,
    );
    // the lossiest preset with KP4: the emulator frames the pattern, the
    // device's decoder corrects, and its reference counters count what the
    // golden deframer counts
    let (b, _) = compare(
        "lossy-kp4",
        "sim:",
        &[
            "channel.preset=\"lpo-host-22db\"",
            "channel.snr_db=32",
            "tx.fec=\"kp4\"",
        ],
        60_000,
    );
    let fec = &b["fec"];
    assert!(fec["corrected_symbols"].as_u64().unwrap() > 50, "{fec}");
    assert!(
        fec["uncorrectable_codewords"].as_u64().unwrap() > 0,
        "{fec}"
    );
    assert!(b["post_fec"]["bit_errors"].as_u64().unwrap() > 0, "{b}");
    // KR4 with the 2-way interleave: the emulator interleaves the two
    // codewords of each frame, the device de-interleaves them before its decoder
    let (b, _) = compare(
        "kr4-interleave",
        "sim:",
        &["tx.fec=\"kr4\"", "tx.interleave=true", "channel.snr_db=28"],
        60_000,
    );
    let fec = &b["fec"];
    assert_eq!(fec["interleave"], true, "{fec}");
    assert!(fec["codewords"].as_u64().unwrap() >= 20, "{fec}");
    assert!(fec["corrected_codewords"].as_u64().unwrap() > 5, "{fec}");
    assert!(
        fec["uncorrectable_codewords"].as_u64().unwrap() > 0,
        "{fec}"
    );
    // P = 4, N = 7, a run that is not a whole number of words
    compare(
        "p4-n7",
        "sim:",
        &[
            "rtl.parallel=4",
            "ffe.taps=7",
            "ffe.main=2",
            "channel.snr_db=22",
        ],
        40_001,
    );
}

/// Ideal channel, no noise, one flipped symbol every K: the checker counts
/// exactly the injected errors (one symbol, one bit each without precoding).
#[test]
#[ignore = "full tier: builds a Verilator model of the device with the BER tester"]
fn the_device_checker_counts_exactly_the_injected_errors() {
    let sets = [
        "channel.preset=\"ideal\"",
        "channel.snr_db=60",
        "link.inject_every=1000",
    ];
    let (b, _) = compare("inject", "sim:", &sets, 200_000);
    let skip = b["skipped_symbols"].as_u64().unwrap();
    let d = b["equalizer"]["delay"].as_u64().unwrap();
    // transmitted symbols n = K - 1 mod K compared: received k = n + d in [skip, 200000)
    let want = (skip..200_000)
        .filter(|k| k >= &d && (k - d) % 1000 == 999)
        .count() as u64;
    assert_eq!(b["pre_fec"]["symbol_errors"].as_u64().unwrap(), want);
    assert_eq!(b["pre_fec"]["bit_errors"].as_u64().unwrap(), want);

    // with KR4 at P = 4: one flipped PAM4 symbol is one 10-bit symbol in
    // error, every one corrected, nothing left after the decoder
    let mut kr4 = sets.to_vec();
    kr4.extend(["tx.fec=\"kr4\"", "rtl.parallel=4", "ffe.taps=8"]);
    let (b, _) = compare("inject-kr4", "sim:", &kr4, 100_000);
    let fec = &b["fec"];
    let d = b["equalizer"]["delay"].as_u64().unwrap();
    let cw = fec["codewords"].as_u64().unwrap();
    let skipped = fec["skipped_codewords"].as_u64().unwrap();
    assert!(cw > 30, "{fec}");
    // transmitted symbols of the counted codewords
    let (lo, hi) = (skipped * 2640, (skipped + cw) * 2640);
    let want = (lo..hi).filter(|n| n % 1000 == 999).count() as u64;
    assert_eq!(fec["symbol_errors"].as_u64().unwrap(), want, "{fec}");
    assert_eq!(fec["corrected_symbols"].as_u64().unwrap(), want, "{fec}");
    assert_eq!(fec["uncorrectable_codewords"].as_u64().unwrap(), 0);
    assert_eq!(b["post_fec"]["bit_errors"].as_u64().unwrap(), 0);
    assert!(d > 0);
}

/// An open-ended run (`extra` sets the goal) lands on a symbol count; `rxdsp
/// sim --symbols <that count>` reports the same, key for key.
fn compare_landed(tag: &str, sets: &[&str], extra: &[&str]) -> Value {
    let d = tmp(tag);
    let b = d.join("bert.json");
    let mut ba = vec!["bert", "--device", "sim:", "--report", b.to_str().unwrap()];
    for kv in sets {
        ba.extend(["--set", kv]);
    }
    ba.extend(extra);
    let o = rxdsp(&ba);
    let bv = json(&b);
    let n = bv["symbols"].as_u64().unwrap().to_string();
    let s = d.join("sim.json");
    let mut sa = vec!["sim", "--set", "link.model=\"emulator\"", "--symbols", &n];
    for kv in sets {
        sa.extend(["--set", kv]);
    }
    sa.extend(["--report", s.to_str().unwrap()]);
    assert!(rxdsp(&sa).status.success(), "{tag}: rxdsp sim failed");
    let sv = json(&s);
    for k in SHARED.iter().chain(&["equalizer", "channel"]) {
        assert_eq!(bv[k], sv[k], "{tag}: key {k} differs");
    }
    let mut out = bv.clone();
    out["exit"] = o.status.code().into();
    out["stdout"] = String::from_utf8_lossy(&o.stdout).into_owned().into();
    out
}

/// `--errors`, `--target-ber` alone (PASS and FAIL) and a learning equalizer
/// method land on exact counts that `rxdsp sim` reproduces.
#[test]
#[ignore = "full tier: builds a Verilator model of the device with the BER tester"]
fn open_ended_runs_land_on_what_sim_counts() {
    let sets = ["channel.snr_db=27"];
    let v = compare_landed("errors", &sets, &["--errors", "200"]);
    assert_eq!(v["exit"], 0);
    assert!(v["pre_fec"]["bit_errors"].as_u64().unwrap() >= 200, "{v}");
    // BER ~4.6e-3: proven below 1e-2 and above 1e-3, each well before 10^7 symbols
    let v = compare_landed("pass", &sets, &["--target-ber", "1e-2"]);
    assert_eq!(v["exit"], 0, "{}", v["stdout"]);
    assert!(v["stdout"].as_str().unwrap().contains("PASS"));
    assert_eq!(v["device"]["verdict"]["result"], "pass");
    let v = compare_landed("fail", &sets, &["--target-ber", "1e-3"]);
    assert_eq!(v["exit"], 1, "{}", v["stdout"]);
    assert_eq!(v["device"]["verdict"]["result"], "fail");
    // sign-sign learns from adapt.symbols samples: the landing waits for them
    let sets = [
        "channel.snr_db=27",
        "eq.method=\"sign-sign\"",
        "adapt.symbols=300000",
    ];
    let v = compare_landed("learn", &sets, &["--errors", "10"]);
    assert!(v["symbols"].as_u64().unwrap() >= 300_000, "{v}");
}

/// The default configuration's plan and its simulated device with the tester.
fn default_bert_device() -> (golden::config::LinkPlan, rxdsp::device::Device) {
    use rxdsp::device::{Device, DeviceBuild, Options};
    let plan = rxdsp::cfgload::load(None, &[]).unwrap().resolve().unwrap();
    let dev = Device::open_build(
        "sim:",
        &DeviceBuild::bert_of_plan(&plan),
        Options::default(),
    )
    .unwrap();
    (plan, dev)
}

/// A 64-bit register changes at once: its low word waits for the high word
/// (so a running checker never sees half of a new limit).
#[test]
#[ignore = "full tier: builds a Verilator model of the device with the BER tester"]
fn wide_registers_change_when_their_high_word_is_written() {
    let (_, mut dev) = default_bert_device();
    for (name, old, new) in [
        ("check.limit", 7u64 << 32 | 9, 5u64 << 32 | 0x1234),
        ("check.skip", 3u64 << 32 | 1, 2u64 << 32 | 0xabcd),
    ] {
        dev.write_u64(name, old).unwrap();
        assert_eq!(dev.read(name).unwrap() as u64, old);
        let a = dev.map().reg(name).unwrap().addr;
        dev.write_words(a, &[new as u32]).unwrap();
        assert_eq!(
            dev.read(name).unwrap() as u64,
            old,
            "{name}: low word alone"
        );
        dev.write_words(a + 1, &[(new >> 32) as u32]).unwrap();
        assert_eq!(dev.read(name).unwrap() as u64, new, "{name}: both words");
    }
}

/// In a BER run the equalizer takes its samples from the emulator, and
/// `stats.samples_in` counts them (it counted the bridge's handshake alone
/// and stayed 0); what it took and has not put out is its pipeline's.
#[test]
#[ignore = "full tier: builds a Verilator model of the device with the BER tester"]
fn a_ber_run_counts_the_samples_the_equalizer_takes() {
    use golden::check::CheckRegs;
    use golden::numeric::RxCoeffs;
    let (plan, mut dev) = default_bert_device();
    let p = dev.info().parallel as u64;
    let coeffs = RxCoeffs::pass_through(&plan.format, 40);
    dev.bert_start(&coeffs, &[], &CheckRegs::default()).unwrap();
    dev.idle(20_000, std::time::Duration::from_millis(50))
        .unwrap();
    dev.bert_stop().unwrap();
    let st = dev.stats().unwrap();
    assert!(st.symbols_out > 10_000, "{st:?}");
    assert!(st.samples_in >= st.symbols_out, "{st:?}");
    assert_eq!(st.samples_in % p, 0, "{st:?}");
    // at most the equalizer's pipeline and output FIFO in flight
    assert!(st.samples_in - st.symbols_out <= 256 * p, "{st:?}");
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `rxdsp serve --bert` on a free port: its `tcp://` address.
fn serve(sets: &[&str], bert: bool) -> (Server, String) {
    use std::io::{BufRead, BufReader};
    let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--sessions", "2"];
    if bert {
        args.push("--bert");
    }
    for kv in sets {
        args.push("--set");
        args.push(kv);
    }
    let mut c = Command::new(env!("CARGO_BIN_EXE_rxdsp"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = c.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).unwrap();
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("tcp://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (Server(c), addr)
}

#[test]
#[ignore = "full tier: builds a Verilator model of the device with the BER tester"]
fn bert_over_tcp_reports_what_sim_reports() {
    let sets = ["channel.snr_db=22"];
    let (_server, addr) = serve(&sets, true);
    compare("tcp", &addr, &sets, 30_000);
    // the server keeps its state across connections, like a board: a second run
    compare("tcp-again", &addr, &sets, 20_000);
    // and the decoder's counters cross the link too
    let kp4 = ["channel.snr_db=27", "tx.fec=\"kp4\""];
    let (_server, addr) = serve(&kp4, true);
    let (b, _) = compare("tcp-kp4", &addr, &kp4, 40_000);
    assert!(b["fec"]["corrected_codewords"].as_u64().unwrap() > 0, "{b}");
    // and the interleaved KR4 frames, de-interleaved by the served device
    let kr4 = ["channel.snr_db=28", "tx.fec=\"kr4\"", "tx.interleave=true"];
    let (_server, addr) = serve(&kr4, true);
    let (b, _) = compare("tcp-kr4-il", &addr, &kr4, 40_000);
    assert!(b["fec"]["corrected_codewords"].as_u64().unwrap() > 0, "{b}");
}

/// A device built without the BER tester (an older bitstream), with a
/// tester but no decoder for the link's `tx.fec`, or with one that does not
/// interleave as the link does: one line, exit 2, no report.
#[test]
#[ignore = "full tier: builds a Verilator model of the device"]
fn a_device_without_the_tester_is_refused() {
    let d = tmp("none");
    let r = d.join("none.json");
    let refused = |addr: &str, sets: &[&str], want: &str| {
        let mut a = vec!["bert", "--device", addr, "--symbols", "10000"];
        a.extend(sets);
        a.extend(["--report", r.to_str().unwrap()]);
        let o = rxdsp(&a);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!r.exists());
    };
    let (_server, addr) = serve(&[], false);
    refused(&addr, &[], "no BER tester");
    // a tester without the decoder cannot check a link with FEC
    let (_server, addr) = serve(&[], true);
    refused(&addr, &["--set", "tx.fec=\"kp4\""], "no kp4 decoder");
    // a tester that frames KR4 without the interleave cannot check an interleaved link
    let kr4 = ["tx.fec=\"kr4\""];
    let (_server, addr) = serve(&kr4, true);
    refused(
        &addr,
        &["--set", kr4[0], "--set", "tx.interleave=true"],
        "cannot check tx.interleave = true",
    );
}

/// Bad input: one line, exit 2, no report file.
#[test]
fn bad_input_is_refused_without_a_report() {
    let d = tmp("bad");
    let r = d.join("bad.json");
    let rs = r.to_str().unwrap();
    for (args, want) in [
        (
            vec!["--set", "tx.interleave=true"],
            "tx.interleave needs tx.fec",
        ),
        (vec!["--seconds", "1e10"], "64-bit"),
        (vec!["--symbols", "-5"], "symbols"),
        (vec!["--target-ber", "2"], "--target-ber"),
        (vec!["--confidence", "1.5"], "--confidence"),
        (vec!["--errors", "0"], "--errors 0"),
        (vec!["--symbols", "30"], "count nothing"),
        (vec!["--seconds", "-1"], "--seconds"),
        (
            vec![
                "--set",
                "adapt.in_rtl=true",
                "--set",
                "eq.method=\"sign-sign\"",
            ],
            "adapt.in_rtl",
        ),
    ] {
        let mut a = vec!["bert", "--device", "sim:", "--report", rs];
        a.extend(&args);
        let o = rxdsp(&a);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!r.exists(), "{args:?}: a report was written");
    }
}
