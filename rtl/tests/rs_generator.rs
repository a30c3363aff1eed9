//! Generator tests of the Reed-Solomon RTL: a snapshot of one small
//! configuration, `verilator --lint-only -Wall` (no waiver) and `iverilog
//! -g2005` over a parameter matrix, and illegal parameters refused.

mod common;

use golden::fec::Code;
use rtl::Design;
use std::path::{Path, PathBuf};

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/rs")
}

/// KR4 at S = 2: decoder, encoder and gearbox (P = 8); `RXDSP_BLESS=1` rewrites.
#[test]
fn kr4_s2_matches_snapshots() {
    let mut files = rtl::rs::design_dec(Code::Kr4, 2).unwrap().files;
    files.extend(rtl::rs::design_enc(Code::Kr4, 2).unwrap().files);
    files.extend(rtl::rs::design_gearbox(Code::Kr4, 2, 8).unwrap().files);
    common::check_snapshots(&snapshot_dir(), &files);
}

fn lint(d: &Design, top: &str, tag: &str) {
    common::lint_files(&d.files, top, tag);
}

#[test]
fn lint_clean_over_a_parameter_matrix() {
    for code in [Code::Kp4, Code::Kr4] {
        // 3 and 5 leave a partial last beat
        for s in [1, 3, 5, 16] {
            let tag = format!("{code}-{s}");
            lint(
                &rtl::rs::design_dec(code, s).unwrap(),
                rtl::rs::DEC_TOP,
                &format!("dec-{tag}"),
            );
            lint(
                &rtl::rs::design_enc(code, s).unwrap(),
                rtl::rs::ENC_TOP,
                &format!("enc-{tag}"),
            );
        }
    }
    // P = 1: one-bit marker and lane signals (declared without a range)
    for (s, p) in [(1, 1), (1, 4), (4, 8), (5, 16), (16, 32)] {
        lint(
            &rtl::rs::design_gearbox(Code::Kp4, s, p).unwrap(),
            rtl::rs::gearbox::GEARBOX,
            &format!("gb-{s}-{p}"),
        );
    }
    lint(
        &rtl::rs::design_rx(Code::Kr4, 4, 8).unwrap(),
        rtl::rs::gearbox::RX_TOP,
        "rx-kr4-4-8",
    );
}

/// The de-interleaver alone, with and without the reference beats, at
/// S = 1, 2 and 8, both codes: lint clean; an S it cannot take refused.
#[test]
fn deinterleave_lint_clean() {
    use rtl::rs::deinterleave::{build, DEINTERLEAVE};
    for (code, s, reference) in [
        (Code::Kp4, 1, false),
        (Code::Kr4, 2, true),
        (Code::Kp4, 8, true),
        (Code::Kr4, 8, false),
    ] {
        let m = build(code, s, reference).unwrap();
        let files = vec![(format!("{DEINTERLEAVE}.v"), m.emit().unwrap())];
        common::lint_files(
            &files,
            DEINTERLEAVE,
            &format!("deil-{}-{s}-{reference}", code.name()),
        );
    }
    let e = build(Code::Kr4, 3, false).unwrap_err().to_string();
    assert!(e.contains("de-interleave"), "{e}");
}

#[test]
fn illegal_parameters_are_refused_with_a_clear_message() {
    for s in [0, 17, 32] {
        let e = rtl::rs::design_dec(Code::Kp4, s).unwrap_err().to_string();
        assert!(
            e.contains("symbols_per_beat") && e.contains("1..=16"),
            "{e}"
        );
        assert!(rtl::rs::design_enc(Code::Kr4, s).is_err());
    }
    let e = rtl::rs::design_rx(Code::Kp4, 1, 8).unwrap_err().to_string();
    assert!(e.contains("cannot keep up") && e.contains("5S > P"), "{e}");
    let e = rtl::rs::design_gearbox(Code::Kp4, 4, 3)
        .unwrap_err()
        .to_string();
    assert!(e.contains("parallel"), "{e}");
    let e = rtl::rs::check_fit(Code::Kp4, 32).unwrap_err().to_string();
    assert!(e.contains("riBM") && e.contains("17 beats"), "{e}");
    // KR4 at S = 32: 17 beats, 2t + 4 = 18 (the Chien loads are registered
    // from the state two beats before the slot's last)
    let e = rtl::rs::check_fit(Code::Kr4, 32).unwrap_err().to_string();
    assert!(e.contains("17 beats (13 usable)"), "{e}");
    rtl::rs::check_fit(Code::Kr4, 28).unwrap();
    // every accepted (code, S) fits the riBM in a codeword slot
    for code in [Code::Kp4, Code::Kr4] {
        for s in 1..=16 {
            rtl::rs::check(code, s).unwrap();
            // B counted here from n, not from the generator's `beats`
            let b = code.n().div_ceil(s);
            assert_eq!(rtl::rs::beats(code, s), b);
            assert!(2 * code.t() + 4 <= b, "{code:?} S={s}: B = {b}");
        }
    }
    // two beats per riBM iteration where 4t + 4 <= B: KP4 up to S = 8, KR4 up to S = 16
    assert!(rtl::rs::ribm_two_beat(Code::Kp4, 8) && !rtl::rs::ribm_two_beat(Code::Kp4, 9));
    assert!(!rtl::rs::ribm_two_beat(Code::Kp4, 16));
    assert!((1..=16).all(|s| rtl::rs::ribm_two_beat(Code::Kr4, s)));
}

#[test]
fn latency_and_beats() {
    assert_eq!(rtl::rs::beats(Code::Kp4, 16), 34);
    assert_eq!(rtl::rs::beats(Code::Kp4, 3), 182);
    assert_eq!(rtl::rs::dec_latency(Code::Kp4, 8), 3 * 68 + 12);
    assert_eq!(
        rtl::rs::design_dec(Code::Kr4, 8).unwrap().latency,
        3 * 66 + 12
    );
}
