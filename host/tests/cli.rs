//! The `rxdsp` program as a user runs it: bad input gets one clear line and
//! a non-zero exit; `rx` on samples from `sim` reproduces the sim's errors.

use std::path::Path;
use std::process::{Command, Output};

fn rxdsp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rxdsp"))
        .args(args)
        .output()
        .expect("run rxdsp")
}

fn tmpdir(name: &str) -> testkit::TestDir {
    testkit::TestDir::new(&format!("cli-{name}"))
}

/// Fails with exit status 2 (bad input) and exactly one line on stderr, naming `needle`.
fn fails_with(out: &Output, needle: &str) {
    fails_with_code(out, 2, needle);
}

/// Fails with exit status `code` and exactly one line on stderr, naming `needle`.
fn fails_with_code(out: &Output, code: i32, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {err}");
    assert_ne!(out.status.code(), Some(101), "panicked: {err}");
    assert_eq!(out.status.code(), Some(code), "exit status: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected: {err}"
    );
    assert!(err.contains(needle), "'{needle}' not in: {err}");
}

fn write(p: &Path, bytes: &[u8]) -> String {
    std::fs::write(p, bytes).unwrap();
    p.display().to_string()
}

#[test]
fn impossible_config_values_are_refused() {
    fails_with(
        &rxdsp(&["sim", "--set", "ffe.taps=0"]),
        "ffe.taps = 0 is out of range",
    );
    fails_with(
        &rxdsp(&["sim", "--set", "adc.bits=40"]),
        "adc.bits = 40 is out of range",
    );
    fails_with(
        &rxdsp(&["sim", "--symbols", "-5"]),
        "link.symbols = -5 is out of range",
    );
    fails_with(&rxdsp(&["sim", "--set", "dfe.taps=9"]), "dfe.taps = 9");
    fails_with(&rxdsp(&["sim", "--set", "channel.preset=nope"]), "unknown");
    let d = tmpdir("cfg");
    let f = write(&d.join("bad.toml"), b"[ffe]\ntaps = 8\nwidth = 3\n");
    fails_with(&rxdsp(&["sim", "--config", &f]), "unknown field `width`");
    let f = write(&d.join("neg.toml"), b"[link]\nsymbols = -1\n");
    fails_with(&rxdsp(&["sim", "--config", &f]), "link.symbols = -1");
    fails_with(
        &rxdsp(&["sim", "--config", "/nonexistent/x.toml"]),
        "/nonexistent/x.toml",
    );
}

#[test]
fn bad_sample_files_are_refused_without_output() {
    let d = tmpdir("bad");
    let out = d.join("bits.bin");
    let o = out.display().to_string();
    // truncated raw int16
    let f = write(&d.join("t.ri16"), &[1, 0, 2]);
    fails_with(&rxdsp(&["rx", "--in", &f, "--out", &o]), "truncated");
    // truncated npy
    let mut npy = rxdsp::samples::npy_i16_bytes(&[1, 2, 3, 4]);
    npy.truncate(npy.len() - 3);
    let f = write(&d.join("t.npy"), &npy);
    fails_with(&rxdsp(&["rx", "--in", &f, "--out", &o]), "truncated");
    // unknown format
    let f = write(&d.join("x.wav"), &[0; 16]);
    fails_with(
        &rxdsp(&["rx", "--in", &f, "--out", &o]),
        "cannot tell the sample format",
    );
    fails_with(
        &rxdsp(&["rx", "--in", &f, "--out", &o, "--format", "wav"]),
        "invalid value 'wav' for '--format",
    );
    // NaN among float samples
    let bytes: Vec<u8> = [0.1f32, 0.2, f32::NAN, 0.3]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let f = write(&d.join("n.rf32"), &bytes);
    fails_with(&rxdsp(&["rx", "--in", &f, "--out", &o]), "sample 2 is NaN");
    // codes wider than the ADC
    let f = write(&d.join("w.npy"), &rxdsp::samples::npy_i16_bytes(&[0, 300]));
    fails_with(
        &rxdsp(&["rx", "--in", &f, "--out", &o]),
        "sample 1 = 300 does not fit in adc.bits = 8",
    );
    assert!(!out.exists(), "no output file after a failure");
}

#[test]
fn print_default_is_the_embedded_config() {
    let o = rxdsp(&["config", "--print-default"]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert_eq!(text, golden::config::DEFAULT_TOML);
    let d = tmpdir("def");
    let f = write(&d.join("d.toml"), text.as_bytes());
    let o = rxdsp(&["sim", "--config", &f, "--symbols", "20000"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `rx` on the samples `sim` dumped gives back the transmitted PRBS31 with
/// exactly the errors the sim counted.
#[test]
fn rx_on_dumped_samples_reproduces_the_sim() {
    let d = tmpdir("rx");
    let samples = d.join("s.npy").display().to_string();
    let report = d.join("r.json").display().to_string();
    let bits = d.join("b.bin").display().to_string();
    let args = ["--set", "channel.snr_db=26"];
    let o = rxdsp(
        &[
            &[
                "sim",
                "--symbols",
                "300000",
                "--dump-samples",
                &samples,
                "--report",
                &report,
            ][..],
            &args,
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = rxdsp(&[&["rx", "--in", &samples, "--out", &bits][..], &args].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let delay = r["equalizer"]["delay"].as_u64().unwrap() as usize;
    let skip = r["skipped_symbols"].as_u64().unwrap() as usize;
    let want_errors = r["pre_fec"]["bit_errors"].as_u64().unwrap();
    assert!(
        want_errors > 10,
        "want a noisy run, got {want_errors} errors"
    );
    let packed = std::fs::read(&bits).unwrap();
    assert_eq!(packed.len(), 300_000 / 4);
    let rx: Vec<u8> = packed
        .iter()
        .flat_map(|b| (0..4).map(move |i| (b >> (6 - 2 * i)) & 3))
        .collect();
    let mut tx = vec![0u8; 300_000];
    golden::prbs::SymbolSource::new(golden::prbs::Pattern::Prbs31, 1).fill(&mut tx);
    let errors: u64 = (skip..rx.len())
        .map(|n| ((rx[n] ^ tx[n - delay]) & 3).count_ones() as u64)
        .sum();
    assert_eq!(errors, want_errors);
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn demo_runs_and_writes_its_report() {
    let d = tmpdir("demo");
    let o = rxdsp(&["demo", "--out", &d.display().to_string()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("pre-FEC    BER"), "{stdout}");
    if testkit::have_verilator() {
        assert!(stdout.contains("bit-exact"), "{stdout}");
    } else {
        assert!(stdout.contains("co-simulation skipped"), "{stdout}");
    }
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("report.json")).unwrap()).unwrap();
    for f in [
        "eye_adc",
        "eye_ffe",
        "eye_slicer",
        "bathtub",
        "bursts",
        "taps",
    ] {
        for ext in ["svg", "png"] {
            let p = d.join("plots").join(format!("{f}.{ext}"));
            assert!(
                std::fs::metadata(&p)
                    .map(|m| m.len() > 1000)
                    .unwrap_or(false),
                "{}",
                p.display()
            );
        }
    }
    let html = std::fs::read_to_string(d.join("report.html")).unwrap();
    assert!(
        html.contains("plots/eye_ffe.svg") && html.contains("pre-FEC"),
        "{}",
        &html[..300]
    );
    for key in ["symbols", "pre_fec", "post_fec", "fec"] {
        assert!(r.get(key).is_some(), "{key}");
    }
    for key in ["bits", "bit_errors", "ber", "symbol_errors", "ser"] {
        assert!(r["pre_fec"].get(key).is_some(), "pre_fec.{key}");
    }
    // the symbol errors by transmitted level: four, summing to symbol_errors; pre-FEC only
    let lv: Vec<u64> = r["pre_fec"]["level_errors"]
        .as_array()
        .expect("pre_fec.level_errors")
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert_eq!(lv.len(), 4);
    assert_eq!(
        lv.iter().sum::<u64>(),
        r["pre_fec"]["symbol_errors"].as_u64().unwrap()
    );
    assert!(r["post_fec"].get("level_errors").is_none());
}

#[test]
fn gen_writes_verilog_filelist_and_register_map() {
    let d = tmpdir("gen");
    let o = rxdsp(&[
        "gen",
        "--out",
        &d.display().to_string(),
        "--set",
        "ffe.taps=5",
        "--set",
        "rtl.parallel=2",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let top = std::fs::read_to_string(d.join("rxdsp_eq.v")).unwrap();
    assert!(
        top.contains("//   rtl.parallel (P) = 2\n") && top.contains("//   ffe.taps (N)     = 5\n"),
        "header: {}",
        &top[..400]
    );
    let list = std::fs::read_to_string(d.join("rxdsp.f")).unwrap();
    assert_eq!(list.lines().count(), 4, "{list}"); // mul, ffe, dfe, top
    assert!(list.starts_with("rxdsp_eq_mul.v"), "{list}");
    let regs = std::fs::read_to_string(d.join("eq_cfg_port.md")).unwrap();
    assert!(regs.contains("| 5 | DFE coefficient b[1] | 8 |"), "{regs}");
    let dev = std::fs::read_to_string(d.join("registers.md")).unwrap();
    assert!(dev.contains("rxdsp device registers"), "{dev}");
    assert!(d.join("rxdsp_device.f").exists());
    let check = std::fs::read_to_string(d.join("rxdsp_check.v")).unwrap();
    assert!(
        check.contains("//   rtl.parallel (P)    = 2\n"),
        "{}",
        &check[..400]
    );
    let map = std::fs::read_to_string(d.join("check_map.md")).unwrap();
    assert!(
        map.contains("| 41 | `bursts[33] (longer than 32)` |"),
        "{map}"
    );
    assert!(d.join("rxdsp_check.f").exists());
    // the device with the BER tester: its file list holds the emulator and
    // the checker, its register page the emu and check blocks
    let b = tmpdir("gen-bert");
    let o = rxdsp(&["gen", "--bert", "--out", &b.display().to_string()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let list = std::fs::read_to_string(b.join("rxdsp_device.f")).unwrap();
    assert!(
        list.contains("rxdsp_emu.v") && list.contains("rxdsp_check.v"),
        "{list}"
    );
    let regs = std::fs::read_to_string(b.join("registers.md")).unwrap();
    assert!(regs.contains("`emu.cfg_addr`") && regs.contains("`check.value`"));
    // with the decoder chain the device's checker puts out the reference
    // its counters read; every file is written once, and the standalone
    // checker is the device's (it had overwritten it without the port)
    let f = tmpdir("gen-bert-fec");
    let o = rxdsp(&[
        "gen",
        "--bert",
        "--set",
        "tx.fec=\"kp4\"",
        "--out",
        &f.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let wrote: Vec<&str> = std::str::from_utf8(&o.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("wrote"))
        .collect();
    let distinct: std::collections::HashSet<&&str> = wrote.iter().collect();
    assert_eq!(distinct.len(), wrote.len(), "{wrote:?}");
    let check = std::fs::read_to_string(f.join("rxdsp_check.v")).unwrap();
    assert!(check.contains("m_ref_tdata"), "{}", &check[..600]);
    fails_with(
        &rxdsp(&[
            "gen",
            "--out",
            &d.display().to_string(),
            "--set",
            "rtl.parallel=3",
        ]),
        "rtl.parallel = 3",
    );
}

#[test]
#[ignore = "full tier: lints with Verilator (scripts/test.sh runs it)"]
fn gen_with_the_tester_writes_one_design_that_lints() {
    if !testkit::have_verilator() {
        return;
    }
    for (name, sets) in [
        ("kp4", vec!["tx.fec=\"kp4\""]),
        (
            "kr4-il-p4",
            vec!["tx.fec=\"kr4\"", "tx.interleave=true", "rtl.parallel=4"],
        ),
    ] {
        let d = tmpdir(&format!("gen-lint-{name}"));
        let dir = d.display().to_string();
        let mut args = vec!["gen", "--bert", "--out", &dir];
        for s in &sets {
            args.extend(["--set", s]);
        }
        let o = rxdsp(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let lint = std::process::Command::new("verilator")
            .args([
                "--lint-only",
                "-Wall",
                "-f",
                "rxdsp_device.f",
                "--top-module",
                "rxdsp_top",
            ])
            .current_dir(&d)
            .output()
            .unwrap();
        assert!(
            lint.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&lint.stderr)
        );
    }
}

#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn cosim_is_bit_exact_under_backpressure() {
    let o = rxdsp(&[
        "cosim",
        "--symbols",
        "30000",
        "--backpressure",
        "random",
        "--set",
        "rtl.parallel=4",
        "--set",
        "tx.precode=true",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("vs golden: bit-exact"), "{out}");
    fails_with(
        &rxdsp(&["cosim", "--symbols", "100", "--backpressure", "sometimes"]),
        "invalid value 'sometimes' for '--backpressure",
    );
}

#[test]
fn fec_encode_decode_round_trip_and_refusals() {
    let d = tmpdir("fec");
    let msg: Vec<u8> = (0..514u32 * 2)
        .map(|i| ((i * 7 + 3) % 1024) as u16)
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let m = write(&d.join("m.u16"), &msg);
    let c = d.join("c.u16").display().to_string();
    let o = rxdsp(&["fec", "encode", "--code", "kr4", "--in", &m, "--out", &c]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut cw = std::fs::read(&c).unwrap();
    assert_eq!(cw.len(), 2 * 528 * 2);
    // 7 symbol errors in the first codeword (t = 7), 9 in the second
    for i in 0..7 {
        cw[2 * (i * 50)] ^= 0x21;
    }
    for i in 0..9 {
        cw[2 * (528 + i * 50)] ^= 0x13;
    }
    let cx = write(&d.join("cx.u16"), &cw);
    let out = d.join("m2.u16").display().to_string();
    let st = d.join("st.json").display().to_string();
    let o = rxdsp(&[
        "fec", "decode", "--code", "kr4", "--in", &cx, "--out", &out, "--stats", &st,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dec = std::fs::read(&out).unwrap();
    assert_eq!(&dec[..1028], &msg[..1028], "first codeword corrected");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&st).unwrap()).unwrap();
    assert_eq!(s["codewords"], 2);
    assert_eq!(s["corrected_symbols"], 7);
    assert_eq!(s["uncorrectable_codewords"], 1);
    assert_eq!(s["histogram"][7], 1);
    assert_eq!(s["histogram"][8], 1);
    // refusals: partial codeword, symbol >= 1024, unknown code
    let t = write(&d.join("t.u16"), &cw[..cw.len() - 2]);
    fails_with(
        &rxdsp(&["fec", "decode", "--code", "kr4", "--in", &t, "--out", &out]),
        "not a whole number of 528-symbol blocks",
    );
    let mut big = msg.clone();
    big[20] = 0xff;
    big[21] = 0x07;
    let b = write(&d.join("b.u16"), &big);
    fails_with(
        &rxdsp(&["fec", "encode", "--code", "kr4", "--in", &b, "--out", &out]),
        "byte offset 20",
    );
    fails_with(
        &rxdsp(&["fec", "encode", "--code", "rs9", "--in", &b, "--out", &out]),
        "invalid value 'rs9' for '--code",
    );
}

/// A v1 Touchstone 2-port of a first-order RC low-pass (tau = 1 UI): the
/// channel the sim uses is its pulse response, and the S12 column (a
/// different, much weaker path) must not be taken for S21.
#[test]
fn touchstone_channel_drives_the_sim() {
    let d = tmpdir("ts");
    let baud = 53.125e9f64;
    let tau = 1.0 / baud;
    let mut text = String::from("! RC low-pass, tau = 1 UI\n# HZ S RI R 50\n");
    let mut f = 10e6;
    while f <= 120e9 {
        let w = 2.0 * std::f64::consts::PI * f * tau;
        let (re, im) = (1.0 / (1.0 + w * w), -w / (1.0 + w * w));
        // S11 S21 S12 S22 (the v1 2-port order); S12 is 0.01 of S21
        text += &format!("{f} 0 0 {re} {im} {} {} 0 0\n", re * 0.01, im * 0.01);
        f += 10e6;
    }
    let ts = d.join("rc.s2p");
    std::fs::write(&ts, text).unwrap();
    let rep = d.join("r.json").display().to_string();
    let o = rxdsp(&[
        "sim",
        "--symbols",
        "20000",
        "--set",
        &format!("channel.touchstone=\"{}\"", ts.display()),
        "--set",
        "channel.snr_db=60",
        "--report",
        &rep,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
    let taps: Vec<f64> = r["channel"]["taps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let main = r["channel"]["main"].as_u64().unwrap() as usize;
    // RC pulse of a 1-UI rectangle: (1 - e^-1) at the first sample after the edge, then decaying by e^-1
    let (a, b) = (taps[main], taps[main + 1]);
    assert!(a > 0.45 && a < 0.75, "main {a} in {taps:?}");
    assert!(
        (b / a - (-1.0f64).exp()).abs() < 0.12,
        "decay {b}/{a} in {taps:?}"
    );
    assert!(r["channel"]["name"]
        .as_str()
        .unwrap()
        .starts_with("touchstone"));
    assert_eq!(r["pre_fec"]["bit_errors"], 0);
    let missing = d.join("none.s4p").display().to_string();
    fails_with(
        &rxdsp(&["sim", "--set", &format!("channel.touchstone=\"{missing}\"")]),
        "none.s4p",
    );
}

/// The tiny receiver through both FPGA flows: resources, Fmax and
/// throughput come back; a sweep writes its tables.
#[test]
#[ignore = "full tier: runs Yosys and nextpnr (scripts/test.sh runs it)"]
fn synth_small_config_on_both_targets() {
    if testkit::may_skip_synth() {
        eprintln!("RXDSP_SKIP_SYNTH=1: skipped");
        return;
    }
    let small = [
        "--set",
        "rtl.parallel=1",
        "--set",
        "ffe.taps=3",
        "--set",
        "ffe.main=1",
        "--set",
        "dfe.taps=1",
        "--set",
        "adc.bits=6",
    ];
    for target in ["ice40-hx8k", "ecp5-85k"] {
        let d = tmpdir(&format!("synth-{target}"));
        let rep = d.join("s.json").display().to_string();
        let out = d.join("work").display().to_string();
        let args = [
            &[
                "synth", "--target", target, "--out", &out, "--report", &rep, "--freq", "50",
            ][..],
            &small,
        ]
        .concat();
        let o = rxdsp(&args);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{target}: {stdout}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(stdout.contains("throughput"), "{stdout}");
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
        let s = &r["synth"];
        assert!(s["luts"].as_u64().unwrap() > 10, "{target}: {s}");
        assert!(s["ffs"].as_u64().unwrap() > 10, "{target}: {s}");
        assert!(s["fmax_mhz"].as_f64().unwrap() > 20.0, "{target}: {s}");
        let blocks = s["per_block"].as_array().unwrap();
        assert!(
            blocks
                .iter()
                .any(|b| b["name"] == "rxdsp_eq_ffe" && b["instances"] == 1),
            "{target}: {blocks:?}"
        );
        assert!(r["throughput"]["gbps"].as_f64().unwrap() > 0.0);
    }
    let d = tmpdir("sweep");
    let out = d.join("w").display().to_string();
    let rep = d.join("sweep.json");
    let rep_s = rep.display().to_string();
    let args = [
        &[
            "synth",
            "--target",
            "ice40-hx8k",
            "--out",
            &out,
            "--report",
            &rep_s,
            "--freq",
            "50",
            "--sweep",
            "ffe.taps=2,3",
        ][..],
        &small,
    ]
    .concat();
    let o = rxdsp(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(rep.with_extension("csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    fails_with(&rxdsp(&["synth", "--target", "xc7a35t"]), "--target");
}

/// The board flow refuses a wrong target, board or baud rate before any tool runs
/// (the bitstream itself: `tests/bitstream.rs`, opt-in).
#[test]
fn synth_board_refuses_bad_requests_before_any_tool() {
    let d = tmpdir("synth-board");
    let out = d.join("work").display().to_string();
    // refused before any tool runs
    fails_with(
        &rxdsp(&["synth", "--target", "ice40-hx8k", "--board", "ulx3s-85f"]),
        "ecp5-85k",
    );
    fails_with(
        &rxdsp(&["synth", "--target", "ecp5-85k", "--board", "arty"]),
        "invalid value 'arty' for '--board",
    );
    fails_with(
        &rxdsp(&["synth", "--target", "ecp5-85k", "--baud", "9600"]),
        "--baud goes with --board",
    );
    fails_with(
        &rxdsp(&[
            "synth",
            "--target",
            "ecp5-85k",
            "--board",
            "ulx3s-85f",
            "--baud",
            "3000000",
            "--out",
            &out,
        ]),
        "+4.17 %",
    );
    fails_with(
        &rxdsp(&["synth", "--target", "ecp5-85k", "--seeds", "0"]),
        "--seeds 0 must be in 1..=32",
    );
    fails_with(
        &rxdsp(&[
            "synth",
            "--target",
            "ecp5-85k",
            "--seeds",
            "40",
            "--sweep",
            "parallel=4,8",
        ]),
        "--seeds 40 must be in 1..=32",
    );
    fails_with(
        &rxdsp(&[
            "synth",
            "--target",
            "ecp5-85k",
            "--board",
            "ulx3s-85f",
            "--seeds",
            "3",
        ]),
        "--seeds does not combine with --board",
    );
    // --freq with --board is the PLL's output: beyond the ECP5 PLL, one line
    for (f, why) in [
        ("500", "the ECP5 PLL's output runs at 3.125..400 MHz"),
        ("3.2", "no ECP5 PLL setting from 12 MHz reaches it"),
    ] {
        let board = if f == "3.2" { "ecp5-evn" } else { "ulx3s-85f" };
        fails_with(
            &rxdsp(&[
                "synth", "--target", "ecp5-85k", "--board", board, "--freq", f, "--out", &out,
            ]),
            why,
        );
    }
}

/// `link.model = "emulator"` beyond the emulator's integers (here: noise of
/// 1558 ADC codes, the table reaches 9 sigma of 107.8 at most): one line,
/// exit 2, no report.
#[test]
fn emulator_model_refuses_what_it_cannot_emulate() {
    let d = tmpdir("emu-refused");
    let rep = d.join("r.json");
    fails_with(
        &rxdsp(&[
            "sim",
            "--symbols",
            "1000",
            "--set",
            "link.model=emulator",
            "--set",
            "channel.snr_db=5",
            "--set",
            "adc.bits=14",
            "--report",
            rep.to_str().unwrap(),
        ]),
        "beyond the emulator's noise table",
    );
    assert!(!rep.exists());
}

/// A key whose default depends on another follows it: `ffe.main` (min(3,
/// taps - 1)) and `adapt.training` (min(20000, adapt.symbols)) are never
/// refused when the user did not set them.
#[test]
fn dependent_defaults_follow_their_key() {
    let d = tmpdir("deps");
    let rep = d.join("r.json");
    let o = rxdsp(&[
        "sim",
        "--set",
        "ffe.taps=1",
        "--set",
        "dfe.taps=0",
        "--symbols",
        "20000",
        "--report",
        &rep.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
    assert_eq!(r["equalizer"]["ffe"].as_array().unwrap().len(), 1);
    let o = rxdsp(&[
        "sim",
        "--set",
        "ffe.taps=2",
        "--set",
        "eq.method=lms",
        "--set",
        "adapt.symbols=5000",
        "--symbols",
        "20000",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // rx knows no transmitted symbols: adapt.training defaults to 0 there,
    // and only a training the user asked for is refused
    let x = d.join("x.npy").display().to_string();
    let o = rxdsp(&["sim", "--symbols", "20000", "--dump-samples", &x]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bits = d.join("bits.bin").display().to_string();
    let lms = ["--set", "eq.method=lms", "--set", "adapt.symbols=5000"];
    let o = rxdsp(&[&["rx", "--in", &x, "--out", &bits][..], &lms[..]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    fails_with(
        &rxdsp(
            &[
                &[
                    "rx",
                    "--in",
                    &x,
                    "--out",
                    &bits,
                    "--set",
                    "adapt.training=100",
                ][..],
                &lms[..],
            ]
            .concat(),
        ),
        "adapt.training needs the transmitted symbols",
    );
    // a value the user gave is checked, not replaced
    fails_with(
        &rxdsp(&["sim", "--set", "ffe.taps=2", "--set", "ffe.main=3"]),
        "ffe.main = 3 is out of range (0..=1)",
    );
    // the default config documents the rule
    let o = rxdsp(&["config", "--print-default"]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("default min(3, taps - 1)"), "{text}");
    assert!(text.contains("default min(20000, adapt.symbols)"), "{text}");
}

/// A run that counts nothing exits 2 naming the minimum; the minimum runs
/// (with a warning: few bits); one symbol fewer is refused again.
#[test]
fn runs_too_short_to_count_are_refused_then_warned() {
    let o = rxdsp(&["sim", "--symbols", "10"]);
    fails_with(&o, "simulate at least ");
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    let min: u64 = err
        .split("simulate at least ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no minimum in: {err}"));
    assert!(min > 10, "{err}");
    let d = tmpdir("short");
    let rep = d.join("r.json");
    let o = rxdsp(&[
        "sim",
        "--symbols",
        &min.to_string(),
        "--report",
        &rep.display().to_string(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("warning: only 2 bits counted"), "{stderr}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
    assert_eq!(r["pre_fec"]["bits"], 2);
    assert_eq!(r["skipped_symbols"], min - 1);
    let rep2 = d.join("r2.json");
    fails_with(
        &rxdsp(&[
            "sim",
            "--symbols",
            &(min - 1).to_string(),
            "--report",
            &rep2.display().to_string(),
        ]),
        "counts no bit",
    );
    assert!(!rep2.exists(), "no report after a refused run");
    // enough bits: no warning
    let o = rxdsp(&["sim", "--symbols", "20000"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && !stderr.contains("warning"),
        "{stderr}"
    );
}

/// A deliberately wrong RTL (the test-only `--mutate precode`: the RTL is
/// generated with the precoder flipped) is caught: exit 1, the first
/// mismatching word named on one line.
#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn cosim_mismatch_exits_1_naming_the_first_word() {
    let o = rxdsp(&[
        "cosim",
        "--symbols",
        "2000",
        "--mutate",
        "precode",
        "--set",
        "rtl.parallel=4",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "{stdout}{stderr}");
    // the progress note, then one error line
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("rxdsp:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    let err = errors[0];
    assert!(
        err.starts_with("rxdsp: error: the RTL differs from the golden model in "),
        "{err}"
    );
    // "... first mismatching word W (symbol S, lane L): data rtl R golden G"
    let at = err
        .split("first mismatching word ")
        .nth(1)
        .unwrap_or_else(|| panic!("no word in: {err}"));
    let nums: Vec<usize> = at
        .split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty())
        .take(3)
        .map(|t| t.parse().unwrap())
        .collect();
    let (word, symbol, lane) = (nums[0], nums[1], nums[2]);
    assert_eq!((symbol / 4, symbol % 4), (word, lane), "{err}");
    assert!(at.contains("): data rtl "), "{err}");
    assert!(stdout.contains("MISMATCHES, first in word"), "{stdout}");
    // hidden from --help: it is for tests only
    let help = rxdsp(&["cosim", "--help"]);
    assert!(!String::from_utf8_lossy(&help.stdout).contains("mutate"));
}

/// Bad input exits 2 with one line in every command.
#[test]
fn bad_input_exits_2_in_every_command() {
    let d = tmpdir("exit2");
    let o = d.join("o.bin").display().to_string();
    let s = write(&d.join("s.npy"), &rxdsp::samples::npy_i16_bytes(&[1, 2, 3]));
    let bad = ["--set", "ffe.taps=0"];
    let cases: Vec<Vec<&str>> = vec![
        vec!["sim"],
        vec!["cosim"],
        vec!["gen", "--out", &o],
        vec!["rx", "--in", &s, "--out", &o],
        vec!["stream", "--device", "sim:", "--in", &s, "--out", &o],
        vec!["serve", "--listen", "127.0.0.1:0"],
        vec!["synth", "--target", "ice40-hx8k", "--out", &o],
    ];
    for c in cases {
        let args = [&c[..], &bad[..]].concat();
        fails_with(&rxdsp(&args), "ffe.taps = 0 is out of range");
    }
    fails_with(&rxdsp(&["config"]), "--print-default");
    fails_with(&rxdsp(&["demo", "--threads", "many"]), "--threads");
    fails_with(
        &rxdsp(&[
            "fec",
            "decode",
            "--code",
            "kp4",
            "--in",
            "/nonexistent/f",
            "--out",
            &o,
        ]),
        "/nonexistent/f",
    );
    fails_with(&rxdsp(&["sim", "--frobnicate"]), "--frobnicate");
    fails_with(&rxdsp(&["gen"]), "--out");
    assert!(!Path::new(&o).exists());
}

/// Every closed set is refused by clap in one line listing the legal values.
#[test]
fn closed_sets_list_their_values() {
    for (args, values) in [
        (
            &["synth", "--target", "xc7a35t"][..],
            "ecp5-85k, ice40-hx8k",
        ),
        (
            &["synth", "--target", "ecp5-85k", "--board", "arty"][..],
            "ulx3s-85f, ecp5-evn",
        ),
        (
            &["synth", "--target", "ecp5-85k", "--router", "router3"][..],
            "router1, router2",
        ),
        (
            &["fec", "encode", "--code", "rs9", "--in", "a", "--out", "b"][..],
            "kp4, kr4",
        ),
        (
            &[
                "fec",
                "transcode",
                "--code",
                "kp4",
                "--in",
                "a",
                "--out",
                "b",
            ][..],
            "encode, decode",
        ),
        (
            &["cosim", "--backpressure", "sometimes"][..],
            "none, 1110, random",
        ),
        (
            &["rx", "--in", "a", "--out", "b", "--format", "wav"][..],
            "npy, ri8, ri16_le, rf32_le",
        ),
    ] {
        fails_with(&rxdsp(args), values);
    }
    // the aliases of the sample formats still work
    let d = tmpdir("alias");
    let f = write(&d.join("s.bin"), &[0u8; 64]);
    let o = d.join("o.bin").display().to_string();
    let r = rxdsp(&[
        "rx",
        "--in",
        &f,
        "--out",
        &o,
        "--format",
        "ri16",
        "--set",
        "eq.method=none",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
}

/// Outputs are written atomically: after a failure, no partial file is left
/// beside the output and no output looks complete.
#[test]
fn failed_writes_leave_no_partial_file() {
    let d = tmpdir("atomic");
    // gen: one of its file names is taken by a folder, so that write fails
    let out = d.join("gen");
    std::fs::create_dir_all(out.join("rxdsp_eq.v")).unwrap();
    let o = rxdsp(&["gen", "--out", &out.display().to_string()]);
    fails_with(&o, "rxdsp_eq.v");
    let left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // rx: the output path is a folder
    let s = write(&d.join("s.npy"), &rxdsp::samples::npy_i16_bytes(&[1, 2, 3]));
    let dir_out = d.join("bits");
    std::fs::create_dir_all(&dir_out).unwrap();
    let o = rxdsp(&[
        "rx",
        "--in",
        &s,
        "--out",
        &dir_out.display().to_string(),
        "--set",
        "eq.method=none",
    ]);
    fails_with(&o, "bits");
    assert!(!d.join("bits.partial").exists());
    // sim: the report path is a folder
    let rep = d.join("rep.json");
    std::fs::create_dir_all(&rep).unwrap();
    let o = rxdsp(&[
        "sim",
        "--symbols",
        "20000",
        "--report",
        &rep.display().to_string(),
    ]);
    fails_with(&o, "rep.json");
    assert!(!d.join("rep.json.partial").exists());
}

/// `adapt.in_rtl`: `rxdsp sim` runs the hardware adaptation engine, reports its
/// trajectory and plots it; the IBIS-AMI export (which adapts in software)
/// refuses it.
#[test]
fn sim_with_hardware_adaptation() {
    let d = tmpdir("adapt");
    let report = d.join("r.json");
    let plots = d.join("plots");
    let hw = [
        "--set",
        "eq.method=\"sign-sign\"",
        "--set",
        "adapt.in_rtl=true",
    ];
    let mut args = vec!["sim", "--symbols", "60000", "--report"];
    let (rs, ps) = (report.display().to_string(), plots.display().to_string());
    args.extend([rs.as_str(), "--plots", ps.as_str()]);
    args.extend(hw);
    let o = rxdsp(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let a = &r["adaptation"];
    assert_eq!(a["in_rtl"], true);
    assert_eq!(a["trajectory"].as_array().unwrap().len(), 100);
    assert_eq!(a["trajectory"][99]["symbol"], 60000);
    for f in ["adaptation_ber", "adaptation_taps", "taps"] {
        assert!(plots.join(format!("{f}.svg")).exists(), "{f}");
    }
    let never = d.join("ami");
    let mut args = vec!["ami", "--out", never.to_str().unwrap()];
    args.extend(hw);
    fails_with(
        &rxdsp(&args),
        "adapt.in_rtl = true is not modelled by the IBIS-AMI model",
    );
    assert!(!never.exists());
    let o = rxdsp(&["sim", "--symbols", "1000", "--set", "adapt.in_rtl=true"]);
    fails_with(&o, "adapt.in_rtl = true needs eq.method = \"sign-sign\"");
}
/// `rxdsp cosim` with `adapt.in_rtl = true`: the adaptive RTL against the
/// golden engine, every word and the taps compared; `rxdsp gen` writes the
/// engine; `rx` still refuses the hardware engine (the device has none).
#[test]
#[ignore = "full tier: builds a Verilator model (scripts/test.sh runs it)"]
fn cosim_and_gen_of_the_adaptive_rtl() {
    let adapt = [
        "--set",
        "eq.method=\"sign-sign\"",
        "--set",
        "adapt.in_rtl=true",
        "--set",
        "adapt.symbols=20000",
        "--set",
        "adapt.training=4000",
        "--set",
        "rtl.parallel=4",
        "--set",
        "adapt.delay=20",
    ];
    let mut args = vec!["cosim", "--symbols", "30000", "--backpressure", "random"];
    args.extend(adapt);
    let o = rxdsp(&args);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("vs the golden engine: bit-exact"), "{out}");
    // an engine one word slower than the model is caught: exit 1, one error line
    let mut args = vec!["cosim", "--symbols", "8000", "--mutate", "adapt-delay"];
    args.extend(adapt);
    let o = rxdsp(&args);
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("rxdsp:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("the adaptive RTL differs from the golden engine: MISMATCH"),
        "{stderr}"
    );
    let d = tmpdir("gen-adapt");
    let dir = d.display().to_string();
    let mut args = vec!["gen", "--out", &dir];
    args.extend(adapt);
    let o = rxdsp(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(d.join("rxdsp_eq_adapt.v").exists());
    let f = std::fs::read_to_string(d.join("rxdsp.f")).unwrap();
    assert!(f.contains("rxdsp_eq_adapt.v"), "{f}");
    // the device with the engine and its `adapt` register block
    assert!(d.join("rxdsp_top.v").exists());
    let regs = std::fs::read_to_string(d.join("registers.md")).unwrap();
    assert!(regs.contains("`adapt.mode`"), "{regs}");
}
