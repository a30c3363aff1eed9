//! Helpers shared by the generator tests.

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
