//! The synthesis harness `rxdsp_synth_top`: every core port connected, lint
//! clean under Verilator `-Wall` and compiling in Icarus, around the
//! equalizer and around the equalizer -> FEC chain.

mod common;

use golden::fec::Code;
use golden::numeric::RxFormat;
use rtl::harness::{build, eq_harness, HARNESS_TOP};

/// Lints and compiles `files` (the harness among them) with `HARNESS_TOP` on top.
fn check(files: &[(String, String)], tag: &str) {
    common::lint_files(files, HARNESS_TOP, tag);
}

#[test]
fn equalizer_harness_connects_every_port_and_lints() {
    for (fmt, p) in [
        (RxFormat::default(), 8),
        (
            RxFormat {
                ffe_taps: 2,
                ffe_main: 0,
                dfe_taps: 0,
                ..RxFormat::default()
            },
            1,
        ),
    ] {
        let d = rtl::design(&fmt, p).unwrap();
        let h = eq_harness(&fmt, p).unwrap();
        let text = h.emit().unwrap();
        for port in &d.ports {
            assert!(text.contains(&format!(".{}(", port.name)), "{}", port.name);
        }
        // the configuration port stays pins, the samples come in serially
        let pins: Vec<&str> = h.ports().iter().map(|p| p.name.as_str()).collect();
        for pin in ["cfg_addr", "cfg_wdata", "cfg_we", "s_in", "m_out"] {
            assert!(pins.contains(&pin), "{pin} in {pins:?}");
        }
        assert!(!pins.contains(&"s_axis_tdata"), "{pins:?}");
        let mut files = d.files.clone();
        files.push((format!("{HARNESS_TOP}.v"), text));
        check(&files, &format!("eq-p{p}"));
    }
}

#[test]
fn fec_chain_harness_lints() {
    let d = rtl::rs::design_eq_fec(&RxFormat::default(), 8, Code::Kr4, 2, false).unwrap();
    let top = rtl::rs::chain::EQ_FEC_TOP;
    let h = build(top, &d.ports, &[], rtl::harness::header(top)).unwrap();
    let mut files = d.files.clone();
    files.push((format!("{HARNESS_TOP}.v"), h.emit().unwrap()));
    check(&files, "eq-fec");
}

#[test]
fn a_wide_pin_must_be_an_input_of_the_core() {
    let d = rtl::design(&RxFormat::default(), 4).unwrap();
    let hd = rtl::harness::header(rtl::TOP);
    let e = build(rtl::TOP, &d.ports, &["m_axis_tdata"], hd).unwrap_err();
    assert!(e.to_string().contains("m_axis_tdata"), "{e}");
}
