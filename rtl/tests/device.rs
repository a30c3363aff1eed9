//! The device top (bridge + CSR + equalizer): lint with Verilator `-Wall`
//! (no waivers) and compile with Icarus over a few configurations; the
//! register map page in docs/ is up to date.

mod common;

use golden::numeric::RxFormat;
use std::path::{Path, PathBuf};

fn write(fmt: &RxFormat, p: usize, tag: &str) -> (PathBuf, Vec<String>) {
    let dir = std::env::temp_dir().join(format!("rxdsp-dev-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = rtl::top::design(fmt, p).unwrap();
    let mut names = Vec::new();
    for (n, t) in &d.files {
        std::fs::write(dir.join(n), t).unwrap();
        names.push(n.clone());
    }
    (dir, names)
}

fn check(fmt: &RxFormat, p: usize, tag: &str) {
    let (dir, _) = write(fmt, p, tag);
    // through the public writer, as `rxdsp gen` would
    let files = rtl::top::generate(fmt, p, &dir).unwrap();
    assert!(files.iter().any(|f| f.ends_with("registers.md")));
    let names: Vec<String> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "v"))
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    common::lint_dir(&dir, &names, rtl::top::DEVICE_TOP, tag);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn device_lints_clean_and_compiles_in_icarus() {
    check(&RxFormat::default(), 8, "default");
    let f = RxFormat {
        adc_bits: 12,
        ffe_taps: 5,
        ffe_main: 1,
        dfe_taps: 0,
        ..RxFormat::default()
    };
    check(&f, 1, "p1-adc12-m0");
    let f = RxFormat {
        dfe_taps: 2,
        ..RxFormat::default()
    };
    check(&f, 4, "p4-m2");
}

#[test]
fn registers_md_is_up_to_date() {
    let f = RxFormat::default();
    let want = rtl::csr::regmap(&f, 8).markdown(&rtl::top::registers_title(&f, 8));
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/registers.md");
    if std::env::var_os("RXDSP_BLESS").is_some() {
        std::fs::write(&p, &want).unwrap();
    }
    let have = std::fs::read_to_string(&p).unwrap_or_default();
    assert!(
        have == want,
        "docs/registers.md is stale: run `RXDSP_BLESS=1 cargo test -p rxdsp-rtl --test device`"
    );
}
