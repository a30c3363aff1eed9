//! Helpers shared by the generator tests.
#![allow(dead_code)] // each test file uses its own subset of these helpers

use std::path::Path;

/// Compares generated files with their expect files in `dir`; with
/// `RXDSP_BLESS=1` in the environment, rewrites the expect files instead.
pub fn check_snapshots(dir: &Path, files: &[(String, String)]) {
    let bless = std::env::var_os("RXDSP_BLESS").is_some();
    for (name, text) in files {
        let p = dir.join(name);
        if bless {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(&p, text).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("{}: {e} (run with RXDSP_BLESS=1 to create)", p.display()));
        assert!(
            want == *text,
            "{name} differs from its snapshot {} (run with RXDSP_BLESS=1 to accept)",
            p.display()
        );
    }
}

/// Lints `names` (files in `dir`) with `verilator --lint-only -Wall` (nothing waived) and
/// compiles them with `iverilog -g2005 -Wall`, `top` on top: any message from either
/// fails. A missing tool follows the project's policy (`testkit`): skipped with a line
/// on a developer's machine, a failure under CI.
pub fn lint_dir(dir: &Path, names: &[String], top: &str, tag: &str) {
    use std::process::Command;
    if testkit::have_verilator() {
        let out = Command::new("verilator")
            .current_dir(dir)
            .args(["--lint-only", "-Wall", "--top-module", top])
            .args(names)
            .output()
            .expect("verilator runs");
        let msg = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && msg.trim().is_empty(),
            "verilator -Wall on {tag}:\n{msg}"
        );
    }
    if testkit::have_icarus() {
        let out = Command::new("iverilog")
            .current_dir(dir)
            .args(["-g2005", "-Wall", "-o", "/dev/null", "-s", top])
            .args(names)
            .output()
            .expect("iverilog runs");
        let msg = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !msg.contains("warning"),
            "iverilog on {tag}:\n{msg}"
        );
    }
}

/// [`lint_dir`] on `files` (name, text) written to a fresh temporary folder.
pub fn lint_files(files: &[(String, String)], top: &str, tag: &str) {
    let dir = std::env::temp_dir().join(format!("rxdsp-lint-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut names = Vec::new();
    for (n, t) in files {
        std::fs::write(dir.join(n), t).unwrap();
        names.push(n.clone());
    }
    lint_dir(&dir, &names, top, tag);
    std::fs::remove_dir_all(&dir).ok();
}
