//! The adaptive equalizer's generator: lint-clean (Verilator `-Wall`, Icarus)
//! over a parameter matrix, illegal parameters refused, and the fixed
//! equalizer unchanged by the adaptive variant's hooks (its snapshots are in
//! `generator.rs`).

mod common;

use golden::adapt::{BlockRule, HwAdaptParams};
use golden::numeric::RxFormat;

fn params(p: usize, delay: usize, leak: u32, block: BlockRule) -> HwAdaptParams {
    HwAdaptParams {
        parallel: p,
        mu_shift: 6,
        delay,
        leak_shift: leak,
        block,
    }
}

fn fmt(n: usize, main: usize, m: usize, precode: bool) -> RxFormat {
    RxFormat {
        ffe_taps: n,
        ffe_main: main,
        dfe_taps: m,
        precode,
        ..RxFormat::default()
    }
}

/// Every variant passes `verilator --lint-only -Wall` and `iverilog -Wall`.
#[test]
fn adaptive_variants_are_lint_clean() {
    let cases = [
        (fmt(16, 3, 1, false), params(8, 2, 0, BlockRule::Sum)),
        (fmt(8, 2, 0, true), params(4, 0, 12, BlockRule::RoundRobin)),
        (fmt(12, 3, 2, false), params(16, 20, 10, BlockRule::Sum)),
        (fmt(5, 1, 3, true), params(1, 1, 0, BlockRule::RoundRobin)),
    ];
    // the step field: clamped (mu 6 in 3 bits), exact (mu 7), absent (mu 0)
    let mu = |mu_shift, pr: HwAdaptParams| HwAdaptParams { mu_shift, ..pr };
    let cases = [
        cases[0].clone(),
        cases[1].clone(),
        cases[2].clone(),
        cases[3].clone(),
        (fmt(8, 2, 1, false), mu(7, params(8, 16, 0, BlockRule::Sum))),
        (fmt(8, 2, 1, false), mu(0, params(4, 3, 5, BlockRule::Sum))),
    ];
    for (i, (f, pr)) in cases.iter().enumerate() {
        let d = rtl::adapt::design(f, pr.parallel, pr).unwrap();
        assert!(d.files.iter().any(|(n, _)| n == "rxdsp_eq_adapt.v"));
        common::lint_files(&d.files, "rxdsp_eq", &format!("adapt{i}"));
    }
}

/// Illegal engine parameters are refused with a typed error.
#[test]
fn illegal_parameters_are_refused() {
    let f = RxFormat::default();
    let mut pr = params(8, 2, 0, BlockRule::Sum);
    pr.parallel = 4;
    assert!(rtl::adapt::design(&f, 8, &pr).is_err());
    let mut pr = params(8, golden::adapt::MAX_DELAY + 1, 0, BlockRule::Sum);
    assert!(rtl::adapt::design(&f, 8, &pr).is_err());
    pr.delay = 2;
    let one = fmt(1, 0, 1, false);
    assert!(rtl::adapt::design(&one, 8, &pr).is_err());
}

/// The adaptive top has the engine's ports; the fixed one does not.
#[test]
fn ports_of_the_adaptive_top() {
    let f = RxFormat::default();
    let pr = params(8, 2, 0, BlockRule::Sum);
    let d = rtl::adapt::design(&f, 8, &pr).unwrap();
    let names: Vec<&str> = d.ports.iter().map(|p| p.name.as_str()).collect();
    for want in [
        "s_axis_tknown",
        "s_axis_tknown_valid",
        "s_axis_tmode",
        "adapt_ffe",
        "adapt_dfe",
        "adapt_threshold",
        "adapt_updates",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    let step = d.ports.iter().find(|p| p.name == "s_axis_tstep").unwrap();
    assert_eq!(step.ty.width, 3, "steps 0..=6 in 3 bits");
    let no_step = HwAdaptParams { mu_shift: 0, ..pr };
    let d0 = rtl::adapt::design(&f, 8, &no_step).unwrap();
    assert!(!d0.ports.iter().any(|p| p.name == "s_axis_tstep"));
    let fixed = rtl::design(&f, 8).unwrap();
    assert!(!fixed.ports.iter().any(|p| p.name.starts_with("adapt")));
    assert_eq!(d.latency, fixed.latency);
}
