//! The device's adaptation engine driven by `rxdsp stream --adapt`: the
//! symbols and the coefficient trajectory read back from the Verilated
//! device equal `rxdsp rx --adapt` (the golden engine) byte for byte, in
//! process (`sim:`) and over TCP (`rxdsp serve`); a device without the
//! engine, or with another one, is refused in one line with no output.

use std::path::Path;

mod common;

use common::{json, ok, rxdsp, serve, stream_refused};

fn tmpdir(name: &str) -> testkit::TestDir {
    common::tmpdir("adapt", name)
}

/// Samples of a lossy channel from `rxdsp sim`.
fn samples(dir: &Path, symbols: &str, set: &[&str]) -> String {
    let s = dir.join("s.npy").display().to_string();
    let mut a = vec!["sim", "--symbols", symbols, "--dump-samples", &s];
    a.extend(set);
    ok(&a);
    s
}

/// `rx` and `stream` with the same arguments `extra`: identical symbols and
/// `adaptation` objects. Returns the stream's report.
fn rx_equals_stream(dir: &Path, s: &str, device: &str, extra: &[&str]) -> serde_json::Value {
    let (gold, dev) = (dir.join("gold.bin"), dir.join("dev.bin"));
    let (rg, rd) = (dir.join("rx.json"), dir.join("stream.json"));
    let mut a = vec![
        "rx",
        "--in",
        s,
        "--out",
        gold.to_str().unwrap(),
        "--report",
        rg.to_str().unwrap(),
    ];
    a.extend(extra);
    ok(&a);
    let plots = dir.join("plots");
    let mut a = vec![
        "stream",
        "--device",
        device,
        "--in",
        s,
        "--out",
        dev.to_str().unwrap(),
        "--report",
        rd.to_str().unwrap(),
        "--plots",
        plots.to_str().unwrap(),
    ];
    a.extend(extra);
    let out = ok(&a);
    assert!(out.contains("points read back"), "{out}");
    assert!(plots.join("adaptation_taps.svg").exists());
    assert_eq!(std::fs::read(&gold).unwrap(), std::fs::read(&dev).unwrap());
    let (g, d) = (json(&rg), json(&rd));
    assert_eq!(g["adaptation"], d["adaptation"]);
    assert_eq!(g["equalizer"], d["equalizer"]);
    d
}

#[test]
#[ignore = "full tier: builds Verilator models (scripts/test.sh runs it)"]
fn stream_adapt_equals_rx_adapt_in_process() {
    // P = 8, N = 16, M = 1 (the default receiver) on the 8 dB preset, from zero taps
    let d = tmpdir("p8");
    let set = [
        "--set",
        "channel.preset=lpo-host-8db",
        "--set",
        "channel.snr_db=24",
    ];
    let s = samples(&d, "24001", &set);
    let extra = [
        &set[..],
        &[
            "--adapt",
            "zero",
            "--set",
            "adapt.symbols=16000",
            "--set",
            "adapt.report_every=3000",
            // a coarse step for the first 4000 symbols: the device's adapt.step
            // register, written at word 500 exactly
            "--set",
            "adapt.gear_shift=2",
            "--set",
            "adapt.gear_symbols=4000",
        ],
    ]
    .concat();
    let r = rx_equals_stream(&d, &s, "sim:", &extra);
    let a = &r["adaptation"];
    let t = a["trajectory"].as_array().unwrap();
    // 3000 rounds up to 3000 (a multiple of 8); points at 0, 3000..21000 and the padded end 24008
    assert_eq!(a["report_every"], 3000);
    assert_eq!(
        (a["gear_shift"].as_u64(), a["gear_symbols"].as_u64()),
        (Some(2), Some(4000))
    );
    assert_eq!(t.len(), 10);
    assert_eq!(t[0]["symbol"], 0);
    assert_eq!(t[0]["ffe"], r["equalizer"]["ffe"]);
    assert_eq!(t.last().unwrap()["symbol"], 24008);
    // the engine moved: the first post-cursor DFE tap grew from zero
    assert_ne!(a["final_dfe"][0], 0, "{a}");
    // frozen after adapt.symbols: the last two points hold the same taps
    assert_eq!(t[t.len() - 1]["ffe"], t[t.len() - 2]["ffe"]);
    assert_ne!(t[0]["ffe"], t[t.len() - 1]["ffe"]);

    // P = 4, M = 2, precoding, round-robin lanes, leakage, a delay below the
    // full-rate minimum, from the MMSE taps
    let d = tmpdir("p4");
    let set = [
        "--set",
        "rtl.parallel=4",
        "--set",
        "dfe.taps=2",
        "--set",
        "tx.precode=true",
        "--set",
        "channel.snr_db=26",
    ];
    let s = samples(&d, "10003", &set);
    let extra = [
        &set[..],
        &[
            "--adapt",
            "mmse",
            "--set",
            "adapt.block=round-robin",
            "--set",
            "adapt.leak_shift=6",
            "--set",
            "adapt.delay=3",
            "--set",
            "adapt.symbols=6001",
            "--set",
            "adapt.report_every=1001",
        ],
    ]
    .concat();
    let r = rx_equals_stream(&d, &s, "sim:", &extra);
    // 1001 rounds up to 1004 (a multiple of lcm(4, 4))
    assert_eq!(r["adaptation"]["report_every"], 1004);
}

#[test]
#[ignore = "full tier: builds Verilator models (scripts/test.sh runs it)"]
fn stream_adapt_over_tcp_and_refusals() {
    let d = tmpdir("tcp");
    let s = samples(&d, "8000", &[]);
    let adapt = ["--set", "adapt.in_rtl=true", "--set", "eq.method=sign-sign"];
    let (mut child, url) = serve(&adapt);
    let extra = ["--adapt", "zero", "--set", "adapt.report_every=2000"];
    rx_equals_stream(&d, &s, &url, &extra);
    child.wait().unwrap();

    // a device without the engine: one line, exit 2, no output file
    let (mut child, url) = serve(&[]);
    let o = d.join("none.bin");
    let s = s.as_str();
    stream_refused(&url, s, &o, &["--adapt", "zero"], "no adaptation engine");
    child.wait().unwrap();

    // another engine than the configuration's
    let (mut child, url) = serve(&adapt);
    stream_refused(
        &url,
        s,
        &o,
        &["--adapt", "zero", "--set", "adapt.delay=5"],
        "the configuration asks for",
    );
    child.wait().unwrap();
}

/// Bad input without a device: training needs known symbols; --plots needs
/// an adaptation.
#[test]
fn adapt_bad_input_is_refused() {
    let d = tmpdir("bad");
    let s = d.join("s.npy");
    std::fs::write(&s, rxdsp::samples::npy_i16_bytes(&[1, -2, 3, 4])).unwrap();
    let o = d.join("o.bin");
    for (extra, needle) in [
        (
            &["--adapt", "zero", "--set", "adapt.training=100"][..],
            "adapt.training needs the transmitted symbols",
        ),
        (&["--plots", "p"][..], "--plots draws the adaptation"),
    ] {
        let mut a = vec![
            "rx",
            "--in",
            s.to_str().unwrap(),
            "--out",
            o.to_str().unwrap(),
        ];
        a.extend(extra);
        let out = rxdsp(&a);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
        assert!(!o.exists());
    }
}
