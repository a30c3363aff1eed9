//! `rxdsp sim` on the realistic link (issue 16): bad realism input exits 2
//! with one line and writes no report; a run with CTLE, jitter and the CDR
//! reports its settings and the loop.

use std::process::{Command, Output};

fn rxdsp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rxdsp"))
        .args(args)
        .output()
        .expect("run rxdsp")
}

fn tmpdir(name: &str) -> testkit::TestDir {
    testkit::TestDir::new(&format!("real-{name}"))
}

/// Bad input: negative jitter, a CTLE pole at zero, S not a power of two, a
/// loop gain that cannot lock: exit 2, one line naming it, no report.
#[test]
fn bad_realism_input_exits_2() {
    let d = tmpdir("bad");
    let rep = d.join("r.json");
    let rep_s = rep.display().to_string();
    for (sets, needle) in [
        (
            vec!["channel.samples_per_ui=32", "jitter.rj_ui=-0.01"],
            "jitter.rj_ui",
        ),
        (
            vec!["channel.samples_per_ui=32", "jitter.sj_ui=0.1"],
            "jitter.sj_freq",
        ),
        (
            vec![
                "channel.samples_per_ui=32",
                "ctle.preset=\"802.3ck\"",
                "ctle.f_p1=0",
            ],
            "ctle.f_p1",
        ),
        (vec!["channel.samples_per_ui=24"], "channel.samples_per_ui"),
        (
            vec!["ctle.preset=\"802.3ck\""],
            "channel.samples_per_ui >= 8",
        ),
        (
            vec!["channel.samples_per_ui=32", "ctle.preset=\"nope\""],
            "ctle.preset",
        ),
        (
            vec![
                "channel.samples_per_ui=32",
                "cdr.kind=\"mm\"",
                "cdr.kp_shift=0",
                "cdr.ki_shift=0",
            ],
            "cannot lock",
        ),
        (
            vec!["channel.samples_per_ui=32", "adc.phase=0.7"],
            "adc.phase",
        ),
    ] {
        let mut args = vec!["sim", "--symbols", "20000", "--report", rep_s.as_str()];
        for s in &sets {
            args.push("--set");
            args.push(s);
        }
        let out = rxdsp(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{sets:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{sets:?}: {err}");
        assert!(err.contains(needle), "{sets:?}: '{needle}' not in {err}");
        assert!(!rep.exists(), "{sets:?}: a report was written");
    }
}

/// The full realistic link runs and its report records every setting.
#[test]
fn realistic_run_reports_its_settings() {
    let d = tmpdir("run");
    let rep = d.join("r.json");
    let plots = d.join("plots");
    let out = rxdsp(&[
        "sim",
        "--symbols",
        "100000",
        "--report",
        rep.to_str().unwrap(),
        "--plots",
        plots.to_str().unwrap(),
        "--set",
        "channel.samples_per_ui=32",
        "--set",
        "ctle.preset=\"802.3ck\"",
        "--set",
        "ctle.g_dc=-3",
        "--set",
        "jitter.rj_ui=0.01",
        "--set",
        "jitter.sj_ui=0.1",
        "--set",
        "jitter.sj_freq=1e6",
        "--set",
        "cdr.kind=\"mm\"",
        "--set",
        "tx.bw_ghz=40",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("CDR        Mueller-Muller"), "{text}");
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    assert_eq!(j["realism"]["samples_per_ui"], 32);
    assert_eq!(j["realism"]["ctle"]["g_dc"], -3.0);
    assert_eq!(j["realism"]["jitter"]["sj_ui"], 0.1);
    assert_eq!(j["realism"]["tx_bw_ghz"], 40.0);
    assert_eq!(j["cdr"]["kind"], "mm");
    assert!(j["cdr"]["bandwidth_hz"].as_f64().unwrap() > 0.0);
    assert!(j["cdr"]["histogram"]["counts"].is_array());
    for f in ["pulse_oversampled", "frequency_response", "cdr_phase"] {
        assert!(plots.join(format!("{f}.svg")).exists(), "{f}");
    }
}

/// `rxdsp jtol`: the loop tracks slow SJ, so the tolerance is larger at a low
/// frequency than at a high one; the report and plot are written; a bad BER
/// target exits 2.
#[test]
fn jtol_tolerates_more_slow_jitter() {
    let d = tmpdir("jtol");
    let rep = d.join("j.json");
    let plots = d.join("plots");
    let common = [
        "--set",
        "channel.preset=\"lpo-host-8db\"",
        "--set",
        "channel.samples_per_ui=16",
        "--set",
        "channel.snr_db=26",
        "--set",
        "cdr.kind=\"mm\"",
        "--set",
        "cdr.kp_shift=0",
        "--set",
        "cdr.ki_shift=8",
    ];
    let mut args = vec![
        "jtol",
        "--symbols",
        "60000",
        "--ber",
        "1e-3",
        "--freqs",
        "1e6,2e9",
        "--steps",
        "4",
        "--report",
        rep.to_str().unwrap(),
        "--plots",
        plots.to_str().unwrap(),
    ];
    args.extend_from_slice(&common);
    let out = rxdsp(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    let p = j["points"].as_array().unwrap();
    let slow = p[0]["tolerance_ui"].as_f64().unwrap();
    let fast = p[1]["tolerance_ui"].as_f64().unwrap();
    assert!(slow > 2.0 * fast, "slow {slow} fast {fast}");
    assert!(plots.join("jtol.svg").exists());
    let mut bad = vec!["jtol", "--symbols", "60000", "--ber", "0.7"];
    bad.extend_from_slice(&common);
    let out = rxdsp(&bad);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--ber"), "{err}");
}
