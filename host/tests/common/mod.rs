//! Helpers shared by the tests that drive the `rxdsp` binary against a
//! simulated device (`stream_adapt`, `stream_fec`).

use std::path::Path;
use std::process::{Child, Command, Output};

/// Runs `rxdsp` with `args`.
pub fn rxdsp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rxdsp"))
        .args(args)
        .output()
        .expect("run rxdsp")
}

/// Runs `rxdsp` with `args`, which must succeed; gives its standard output.
pub fn ok(args: &[&str]) -> String {
    let o = rxdsp(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh folder for test `name` of the test file `file`, removed when
/// the test passes.
pub fn tmpdir(file: &str, name: &str) -> testkit::TestDir {
    testkit::TestDir::new(&format!("{file}-{name}"))
}

/// A JSON file.
pub fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// `rxdsp serve` for one session with the config overrides `set`: the
/// child and its `tcp://` address (read from its first line, once it is
/// listening).
pub fn serve(set: &[&str]) -> (Child, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rxdsp"));
    c.args(["serve", "--listen", "127.0.0.1:0", "--sessions", "1"])
        .args(set)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    use std::io::BufRead;
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("tcp://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (child, url)
}

/// `rxdsp stream` of `input` to `url` with `extra` arguments must be refused
/// as bad input: exit 2, one line naming `why`, no output file at `out`.
pub fn stream_refused(url: &str, input: &str, out: &Path, extra: &[&str], why: &str) {
    let mut a = vec![
        "stream",
        "--device",
        url,
        "--in",
        input,
        "--out",
        out.to_str().unwrap(),
    ];
    a.extend(extra);
    let o = rxdsp(&a);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(why), "{err}");
    assert!(!out.exists());
}
