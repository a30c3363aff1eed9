//! Generator tests: snapshots of the default design, lint with Verilator
//! `-Wall` and compile with Icarus over a parameter matrix, illegal parameters,
//! and typed errors of the expression builder.

mod common;

use golden::numeric::RxFormat;
use rtl::hdl::{Expr, Module, Ty};
use rtl::RtlError;
use std::path::{Path, PathBuf};
use std::process::Command;

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Set `RXDSP_BLESS=1` to rewrite the expected files.
#[test]
fn default_design_matches_snapshots() {
    let d = rtl::design(&RxFormat::default(), 8).unwrap();
    let mut files = d.files.clone();
    files.push(("rxdsp.f".into(), d.filelist()));
    common::check_snapshots(&snapshot_dir(), &files);
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
        || Command::new(tool).arg("-V").output().is_ok()
}

fn lint_one(fmt: &RxFormat, p: usize) {
    let dir = std::env::temp_dir().join(format!(
        "rxdsp-lint-{}-{p}-{}-{}-{}",
        std::process::id(),
        fmt.ffe_taps,
        fmt.dfe_taps,
        fmt.adc_bits
    ));
    let rep = rtl::generate(fmt, p, &dir).unwrap();
    let files: Vec<String> = rep
        .files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let out = Command::new("verilator")
        .current_dir(&dir)
        .args([
            "--lint-only",
            "-Wall",
            "--top-module",
            "rxdsp_eq",
            "-f",
            "rxdsp.f",
        ])
        .output()
        .expect("verilator runs");
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && msg.trim().is_empty(),
        "verilator lint for {fmt:?} P={p}:\n{msg}"
    );
    if have("iverilog") {
        let out = Command::new("iverilog")
            .current_dir(&dir)
            .args(["-g2005", "-Wall", "-o", "/dev/null", "-s", "rxdsp_eq"])
            .args(&files)
            .output()
            .expect("iverilog runs");
        let msg = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "iverilog for {fmt:?} P={p}:\n{msg}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Every output passes `verilator --lint-only -Wall` with no waiver.
#[test]
fn lint_clean_over_a_parameter_matrix() {
    if !have("verilator") {
        eprintln!("verilator not installed (apt-get install verilator): lint skipped");
        return;
    }
    let base = RxFormat::default();
    let cases: Vec<(RxFormat, usize)> = vec![
        (base.clone(), 8),
        (
            RxFormat {
                ffe_taps: 1,
                ffe_main: 0,
                dfe_taps: 0,
                ..base.clone()
            },
            1,
        ),
        (
            RxFormat {
                ffe_taps: 5,
                ffe_main: 1,
                dfe_taps: 2,
                precode: true,
                ..base.clone()
            },
            1,
        ),
        (
            RxFormat {
                ffe_taps: 7,
                dfe_taps: 4,
                ..base.clone()
            },
            2,
        ),
        (
            RxFormat {
                ffe_taps: 3,
                ffe_main: 1,
                dfe_taps: 3,
                ..base.clone()
            },
            4,
        ),
        (
            RxFormat {
                ffe_taps: 64,
                dfe_taps: 4,
                ..base.clone()
            },
            16,
        ),
        (
            RxFormat {
                ffe_taps: 9,
                dfe_taps: 1,
                precode: true,
                ..base.clone()
            },
            32,
        ),
        // extreme widths: S = 0, wide everything, narrow everything, big shift
        (
            RxFormat {
                adc_bits: 16,
                ffe_taps: 33,
                ffe_main: 3,
                ffe_coef_bits: 18,
                ffe_coef_frac: 0,
                ffe_out_bits: 24,
                ffe_out_frac: 0,
                dfe_taps: 2,
                dfe_coef_bits: 16,
                precode: false,
            },
            4,
        ),
        (
            RxFormat {
                adc_bits: 4,
                ffe_taps: 2,
                ffe_main: 0,
                ffe_coef_bits: 2,
                ffe_coef_frac: 8,
                ffe_out_bits: 4,
                ffe_out_frac: 0,
                dfe_taps: 1,
                dfe_coef_bits: 2,
                precode: true,
            },
            2,
        ),
        (
            RxFormat {
                adc_bits: 4,
                ffe_taps: 1,
                ffe_main: 0,
                ffe_coef_bits: 18,
                ffe_coef_frac: 25,
                ffe_out_bits: 24,
                ffe_out_frac: 3,
                dfe_taps: 3,
                dfe_coef_bits: 16,
                precode: false,
            },
            8,
        ),
    ];
    for (f, p) in &cases {
        lint_one(f, *p);
    }
}

#[test]
fn illegal_parameters_are_refused_with_a_message() {
    let f = RxFormat::default();
    let e = rtl::design(&f, 3).unwrap_err();
    assert_eq!(
        e.to_string(),
        "illegal parameter parallel = 3: samples per clock must be one of 1, 2, 4, 8, 16, 32"
    );
    assert!(rtl::design(&f, 64).is_err());
    let bad = RxFormat {
        dfe_taps: 5,
        ..f.clone()
    };
    assert_eq!(
        rtl::design(&bad, 8).unwrap_err().to_string(),
        "illegal format: dfe.taps = 5 is out of range (0..=4)"
    );
    let bad = RxFormat { ffe_main: 16, ..f };
    assert!(rtl::design(&bad, 8)
        .unwrap_err()
        .to_string()
        .contains("ffe.main"));
}

#[test]
fn type_errors_name_the_expression() {
    let mut m = Module::new("t", vec![]);
    let a = m.input("a", Ty::s(8), "").unwrap();
    let b = m.input("b", Ty::s(9), "").unwrap();
    let u = m.input("u", Ty::u(8), "").unwrap();
    let e = a.add(&b).unwrap_err();
    assert!(matches!(e, RtlError::TypeMismatch { .. }));
    assert_eq!(
        e.to_string(),
        "type mismatch in `+` at `a + b`: signed 8 vs signed 9"
    );
    assert!(a
        .sub(&u)
        .unwrap_err()
        .to_string()
        .contains("signed 8 vs unsigned 8"));
    let sum = a.add(&a).unwrap();
    assert!(matches!(sum.slice(3, 0), Err(RtlError::NotASignal { .. })));
    assert!(matches!(a.slice(8, 0), Err(RtlError::SliceRange { .. })));
    assert!(matches!(b.ext(4), Err(RtlError::Narrowing { .. })));
    assert!(matches!(
        Expr::konst(128, Ty::s(8)),
        Err(RtlError::ConstRange { .. })
    ));
    assert!(matches!(
        m.reg("r", Ty::s(8), None),
        Err(RtlError::NoClock(_))
    ));
    m.clock().unwrap();
    let r = m.reg("r", Ty::s(8), Some(0)).unwrap();
    assert!(matches!(m.emit(), Err(RtlError::Undriven { .. })));
    assert!(matches!(
        m.next(&r, &b, None),
        Err(RtlError::TypeMismatch { .. })
    ));
    m.next(&r, &a.ext(8).unwrap(), None).unwrap();
    assert!(matches!(m.wire("a", &a), Err(RtlError::Duplicate { .. })));
    let v = m.emit().unwrap();
    assert!(v.contains("r <= a;"));
}

#[test]
fn generate_writes_files_and_reports() {
    let dir = std::env::temp_dir().join(format!("rxdsp-gen-{}", std::process::id()));
    let r = rtl::generate(&RxFormat::default(), 8, &dir).unwrap();
    assert_eq!(r.top, "rxdsp_eq");
    assert_eq!(r.latency, 10);
    assert_eq!(r.files.len(), 3);
    assert!(r.filelist.ends_with("rxdsp.f"));
    let top = std::fs::read_to_string(dir.join("rxdsp_eq.v")).unwrap();
    assert!(top.contains(&format!("Generated by rxdsp-rtl {}", rtl::VERSION)));
    assert!(top.contains("P=8 adc_bits=8 ffe_taps=16"));
    let names: Vec<&str> = r.ports.iter().map(|p| p.name.as_str()).collect();
    assert!(names.contains(&"s_axis_tdata") && names.contains(&"m_axis_tready"));
    std::fs::remove_dir_all(&dir).ok();
}
