//! `rxdsp ami` as a user runs it: the model folder, and one clear line with exit 2 on
//! bad input or without the library.

use std::path::PathBuf;
use std::process::{Command, Output};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rxdsp-ami-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(exe: &std::path::Path, args: &[&str]) -> Output {
    Command::new(exe).args(args).output().expect("run rxdsp")
}

fn fails_with(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "exit status: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected: {err}"
    );
    assert!(err.contains(needle), "'{needle}' not in: {err}");
}

#[test]
fn writes_the_model_and_checks_it() {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_rxdsp"));
    let d = tmpdir("ok");
    let dir = d.to_str().unwrap();
    let out = run(
        &exe,
        &["ami", "--out", dir, "--set", "dfe.taps=2", "--uis", "500"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("2 test configurations pass at zero tolerance"),
        "{text}"
    );
    for f in ["rxdsp_rx.so", "rxdsp_rx.ami", "rxdsp_rx.ibs"] {
        assert!(d.join(f).is_file(), "{f}");
    }
    let ibs = std::fs::read_to_string(d.join("rxdsp_rx.ibs")).unwrap();
    assert!(ibs.contains("Executable Linux_gcc_64 rxdsp_rx.so rxdsp_rx.ami"));
    assert!(ibs.contains("Model_type      Input"));
    let ami = std::fs::read_to_string(d.join("rxdsp_rx.ami")).unwrap();
    assert!(ami.contains("(dfe_taps (Usage In) (Type Integer) (Range 2 2 2)"));
    assert!(ami.contains("(Init_Returns_Impulse (Usage Info) (Type Boolean) (Value True)"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_rxdsp"));
    let d = tmpdir("bad");
    let dir = d.to_str().unwrap();
    fails_with(
        &run(&exe, &["ami", "--out", dir, "--set", "adapt.training=10"]),
        "adapt.training",
    );
    fails_with(
        &run(&exe, &["ami", "--out", dir, "--set", "ffe.taps=0"]),
        "ffe.taps",
    );
    assert!(!d.join("rxdsp_rx.ibs").exists());
    // the program without its library beside it
    let lone = tmpdir("lone");
    let copy = lone.join("rxdsp");
    std::fs::copy(&exe, &copy).unwrap();
    let out = run(&copy, &["ami", "--out", lone.join("m").to_str().unwrap()]);
    fails_with(&out, "cargo build");
    assert!(
        !lone.join("m").exists(),
        "nothing written without the library"
    );
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::remove_dir_all(&lone);
}
