//! The RS decoder in the device: `rxdsp stream` with `tx.fec` reads the
//! device decoder's counters and its digest of the decoded data, checks them
//! against the golden decoder on the same decisions, and reports the same
//! `fec` counts as `rxdsp rx` on the file and `rxdsp sim` that wrote it, in
//! process (`sim:`) and over TCP (`rxdsp serve`). A device without the
//! decoder, or with the other code, is refused in one line with no output.

use std::path::{Path, PathBuf};

mod common;

use common::{json, ok, serve, stream_refused};

fn tmpdir(name: &str) -> testkit::TestDir {
    common::tmpdir("sfec", name)
}

const KEYS: [&str; 5] = [
    "codewords",
    "corrected_codewords",
    "corrected_symbols",
    "uncorrectable_codewords",
    "histogram",
];

/// `sim` writes samples and its report; `rx` and `stream` (on `device`)
/// receive them: identical bits, and the three `fec` objects agree key for
/// key. Returns the stream's `fec` object.
fn sim_rx_stream(dir: &Path, symbols: &str, set: &[&str], device: &str) -> serde_json::Value {
    let s = dir.join("s.npy");
    let (rs, rr, rd) = (
        dir.join("sim.json"),
        dir.join("rx.json"),
        dir.join("dev.json"),
    );
    let (gold, dev) = (dir.join("gold.bin"), dir.join("dev.bin"));
    let p = |x: &PathBuf| x.to_str().unwrap().to_string();
    let mut a = vec!["sim".to_string(), "--symbols".into(), symbols.into()];
    a.extend(["--dump-samples".into(), p(&s), "--report".into(), p(&rs)]);
    a.extend(set.iter().map(|x| x.to_string()));
    ok(&a.iter().map(|x| x.as_str()).collect::<Vec<_>>());
    for (cmd, out, rep) in [("rx", &gold, &rr), ("stream", &dev, &rd)] {
        let mut a = vec![cmd.to_string()];
        if cmd == "stream" {
            a.extend(["--device".into(), device.into()]);
        }
        a.extend(["--in".into(), p(&s), "--out".into(), p(out)]);
        a.extend(["--report".into(), p(rep)]);
        a.extend(set.iter().map(|x| x.to_string()));
        let o = ok(&a.iter().map(|x| x.as_str()).collect::<Vec<_>>());
        assert!(o.contains("fec        "), "{o}");
    }
    assert_eq!(std::fs::read(&gold).unwrap(), std::fs::read(&dev).unwrap());
    let (sim, rx, d) = (json(&rs), json(&rr), json(&rd));
    for k in KEYS {
        assert_eq!(sim["fec"][k], rx["fec"][k], "sim vs rx: {k}");
        assert_eq!(rx["fec"][k], d["fec"][k], "rx vs stream: {k}");
    }
    assert_eq!(rx["fec"]["sof_index"], d["fec"]["sof_index"]);
    d["fec"].clone()
}

#[test]
#[ignore = "full tier: builds Verilator models (scripts/test.sh runs it)"]
fn device_decoder_counts_equal_golden_in_process() {
    // KP4 behind P = 8 (S = 2) at an SNR where codewords are corrected and lost
    let d = tmpdir("kp4");
    let set = ["--set", "tx.fec=\"kp4\"", "--set", "channel.snr_db=26.5"];
    let f = sim_rx_stream(&d, "60000", &set, "sim:");
    assert_eq!(f["symbols_per_beat"], 2);
    assert_eq!(f["codewords"], 21);
    let corrected = f["corrected_codewords"].as_u64().unwrap();
    let lost = f["uncorrectable_codewords"].as_u64().unwrap();
    assert!(corrected > 0 && lost > 0, "{f}");
    // KR4 behind P = 4 (S = 1), two DFE taps, precoding
    let d = tmpdir("kr4");
    let set = [
        "--set",
        "tx.fec=\"kr4\"",
        "--set",
        "rtl.parallel=4",
        "--set",
        "dfe.taps=2",
        "--set",
        "tx.precode=true",
        "--set",
        "channel.snr_db=27.5",
    ];
    let f = sim_rx_stream(&d, "40000", &set, "sim:");
    assert_eq!(f["symbols_per_beat"], 1);
    assert!(f["codewords"].as_u64().unwrap() >= 14, "{f}");
    assert!(f["corrected_symbols"].as_u64().unwrap() > 0, "{f}");
    // KP4 2-way interleaved behind P = 8: the device de-interleaves before
    // its decoder, the golden decoder de-interleaves the decisions
    let d = tmpdir("kp4-il");
    let set = [
        "--set",
        "tx.fec=\"kp4\"",
        "--set",
        "tx.interleave=true",
        "--set",
        "channel.snr_db=26.5",
    ];
    let f = sim_rx_stream(&d, "60000", &set, "sim:");
    assert_eq!(f["codewords"], 20, "{f}");
    let corrected = f["corrected_codewords"].as_u64().unwrap();
    assert!(corrected > 0, "{f}");
}

#[test]
#[ignore = "full tier: builds Verilator models (scripts/test.sh runs it)"]
fn device_decoder_over_tcp_and_refusals() {
    let d = tmpdir("tcp");
    let kp4 = ["--set", "tx.fec=\"kp4\"", "--set", "channel.snr_db=27"];
    let (mut child, url) = serve(&kp4);
    sim_rx_stream(&d, "30000", &kp4, &url);
    child.wait().unwrap();

    // a device without a decoder, one with the other code, one that
    // de-interleaves a link that does not interleave: exit 2, no output
    let s = d.join("s.npy").display().to_string();
    for (dev_set, why) in [
        (&[][..], "has no RS decoder"),
        (&["--set", "tx.fec=\"kr4\""][..], "is for code"),
        (
            &["--set", "tx.fec=\"kp4\"", "--set", "tx.interleave=true"][..],
            "de-interleaves",
        ),
    ] {
        let (mut child, url) = serve(dev_set);
        stream_refused(&url, &s, &d.join("refused.bin"), &kp4, why);
        let _ = child.kill();
        child.wait().ok();
    }
}
