//! Test-only helpers shared by the rxdsp crates (a dev-dependency, never a dependency).
//!
//! # The policy for tests that need an external tool
//!
//! Verilator, Icarus Verilog, Yosys and nextpnr are programs, not crates: a test that
//! needs one asks [`have_tool`] (or [`may_skip_synth`] for the synthesis flow) first.
//!
//! - The tool is on `PATH`: the test runs.
//! - The tool is missing and the run is under CI (`CI` set to anything but `""`, `0` or
//!   `false`, as every CI service sets it, and as `.ci/run` runs): the test **fails**,
//!   naming the tool and its install command. A CI run never passes a test it did not run.
//! - The tool is missing on a developer's machine: the test prints one line saying it was
//!   skipped and how to install the tool, and returns.
//!
//! # Test tiers
//!
//! Tests that build a Verilator model or run Yosys/nextpnr are the *full tier*: they
//! carry `#[ignore = "full tier: ..."]` (attributes take literals, so the string is
//! written out; `grep -rn 'full tier'` lists them), so a plain `cargo test --workspace`
//! (the *fast tier*) leaves them out and lists them as ignored, and `cargo test
//! --workspace -- --include-ignored` (what `scripts/test.sh` and CI run) runs everything.

use std::path::{Path, PathBuf};

/// A fresh scratch folder for one test: `temp_dir()/rxdsp-{tag}-{pid}`,
/// emptied when made, removed when dropped, so a run of the test tiers
/// leaves nothing behind in the temp folder. Dropped while its thread
/// panics (a failing test) it is kept and its path printed, so what the
/// test wrote can be read. Derefs to its [`Path`].
#[derive(Debug)]
pub struct TestDir {
    path: PathBuf,
}

impl TestDir {
    /// Makes (or empties) the folder for `tag` (unique within the test binary).
    pub fn new(tag: &str) -> TestDir {
        let path = std::env::temp_dir().join(format!("rxdsp-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        TestDir { path }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl std::ops::Deref for TestDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for TestDir {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("test folder kept: {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// True when the tests run under CI (`CI` set, and not `""`, `"0"` or `"false"`).
pub fn in_ci() -> bool {
    ci_value(std::env::var("CI").ok().as_deref())
}

fn ci_value(v: Option<&str>) -> bool {
    match v {
        None => false,
        Some(v) => !matches!(v.trim().to_ascii_lowercase().as_str(), "" | "0" | "false"),
    }
}

/// Whether `tool` is an executable on `PATH`.
pub fn on_path(tool: &str) -> bool {
    find_on_path(tool, std::env::var_os("PATH").as_deref()).is_some()
}

fn find_on_path(tool: &str, path: Option<&std::ffi::OsStr>) -> Option<std::path::PathBuf> {
    let path = path?;
    std::env::split_paths(path)
        .map(|d| d.join(tool))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// What to do about a missing tool, as the policy says.
#[derive(Debug, PartialEq, Eq)]
pub enum Missing {
    /// The tool is there: run the test.
    Run,
    /// Not under CI: skip with this line.
    Skip(String),
    /// Under CI: fail with this message.
    Fail(String),
}

/// The policy as a pure function of (tool found, under CI).
pub fn decide(tool: &str, install: &str, found: bool, ci: bool) -> Missing {
    if found {
        Missing::Run
    } else if ci {
        Missing::Fail(format!(
            "{tool} is missing and CI is set: a test that needs it must run in CI, not skip \
             (install it: {install})"
        ))
    } else {
        Missing::Skip(format!(
            "{tool} missing: test skipped (install it: {install}; under CI=true this fails)"
        ))
    }
}

/// Gate a test on an external tool. Returns true when the test should run; returns false
/// (after printing why) when the tool is missing outside CI; panics when it is missing
/// under CI.
pub fn have_tool(tool: &str, install: &str) -> bool {
    match decide(tool, install, on_path(tool), in_ci()) {
        Missing::Run => true,
        Missing::Skip(line) => {
            eprintln!("{line}");
            false
        }
        Missing::Fail(msg) => panic!("{msg}"),
    }
}

/// Verilator (`apt-get install verilator`).
pub fn have_verilator() -> bool {
    have_tool("verilator", "apt-get install verilator")
}

/// Icarus Verilog (`apt-get install iverilog`).
pub fn have_icarus() -> bool {
    have_tool("iverilog", "apt-get install iverilog")
}

/// Debian's Yosys (`apt-get install yosys`).
pub fn have_yosys() -> bool {
    have_tool("yosys", "apt-get install yosys")
}

/// Whether a synthesis test may skip on a missing tool: only when `RXDSP_SKIP_SYNTH=1`
/// and not under CI (under CI the variable is ignored and a missing tool fails).
pub fn may_skip_synth() -> bool {
    let asked = std::env::var("RXDSP_SKIP_SYNTH").is_ok_and(|v| v == "1");
    if asked && in_ci() {
        eprintln!("RXDSP_SKIP_SYNTH=1 ignored: CI is set, synthesis tests must run");
    }
    asked && !in_ci()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_values() {
        assert!(!ci_value(None));
        assert!(!ci_value(Some("")));
        assert!(!ci_value(Some("0")));
        assert!(!ci_value(Some("false")));
        assert!(!ci_value(Some("FALSE")));
        assert!(ci_value(Some("true")));
        assert!(ci_value(Some("1")));
        assert!(ci_value(Some("yes")));
    }

    #[test]
    fn policy() {
        assert_eq!(decide("v", "apt", true, true), Missing::Run);
        assert_eq!(decide("v", "apt", true, false), Missing::Run);
        assert!(matches!(decide("v", "apt", false, true), Missing::Fail(m) if m.contains("apt")));
        assert!(
            matches!(decide("v", "apt", false, false), Missing::Skip(m) if m.contains("skipped"))
        );
    }

    #[test]
    fn test_dir_is_fresh_and_removed_unless_the_test_fails() {
        let kept = {
            let d = TestDir::new("testkit-a");
            std::fs::write(d.join("f"), "x").unwrap();
            let again = TestDir::new("testkit-a");
            assert!(!again.join("f").exists(), "made empty");
            std::mem::forget(again);
            d.path().to_path_buf()
        };
        assert!(!kept.exists(), "removed on drop");
        let d = TestDir::new("testkit-b");
        let p = d.path().to_path_buf();
        // a failing test: its thread panics holding the folder
        let r = std::thread::spawn(move || {
            let _d = d;
            panic!("a failing test (expected by this test)");
        })
        .join();
        assert!(r.is_err());
        assert!(p.is_dir(), "kept after a panic");
        std::fs::remove_dir_all(&p).unwrap();
    }

    #[test]
    fn path_lookup() {
        let dir = TestDir::new("testkit-path");
        let exe = dir.join("rxdsp-fake-tool");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        let path = std::env::join_paths([dir.path()]).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert!(
                find_on_path("rxdsp-fake-tool", Some(&path)).is_none(),
                "not executable yet"
            );
            std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        assert_eq!(find_on_path("rxdsp-fake-tool", Some(&path)), Some(exe));
        assert!(find_on_path("rxdsp-no-such-tool", Some(&path)).is_none());
        assert!(find_on_path("x", None).is_none());
    }
}
