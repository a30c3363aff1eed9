//! Generator tests of the link emulator `rxdsp_emu`: `verilator --lint-only
//! -Wall` (no waiver) and `iverilog -g2005 -Wall` over a parameter matrix, the
//! header's address map and latency, and illegal parameters refused.

mod common;

use rtl::emu::{EmuParams, TOP};

fn params(parallel: usize, taps: usize, adc_bits: u32) -> EmuParams {
    EmuParams {
        parallel,
        taps,
        adc_bits,
    }
}

#[test]
fn lint_clean_over_a_parameter_matrix() {
    for (p, t, b) in [(1, 1, 4), (2, 2, 6), (4, 41, 8), (8, 48, 10), (32, 5, 16)] {
        let d = rtl::emu::design(&params(p, t, b)).unwrap();
        common::lint_files(&d.files, TOP, &format!("emu-{p}-{t}-{b}"));
    }
}

#[test]
fn header_documents_the_map_and_the_latency() {
    let p = params(8, 48, 8);
    let d = rtl::emu::design(&p).unwrap();
    let text = &d.files[0].1;
    for line in rtl::emu::address_map(&p) {
        assert!(text.contains(&format!("//   {line}\n")), "{line}");
    }
    assert!(text.contains(&format!("// Latency: {} clock cycles\n", d.latency)));
    assert_eq!(d.latency, rtl::emu::latency(&p));
    let st = rtl::emu::stages(&p);
    assert_eq!((st.tree, st.mag, st.out), (6, 22, 26));
    // a shorter channel enters later, the output stage stays
    assert_eq!(rtl::emu::stages(&params(8, 2, 8)).ch_in, 21);
    // ports: the equalizer's packing, P samples of adc.bits, P 2-bit symbols
    let w = |n: &str| d.ports.iter().find(|x| x.name == n).unwrap().ty.width;
    assert_eq!((w("m_axis_tdata"), w("m_axis_tuser")), (64, 16));
    assert_eq!((w("cfg_addr"), w("cfg_wdata")), (11, 64));
}

#[test]
fn illegal_parameters_are_refused_with_a_clear_message() {
    for (p, says) in [
        (
            params(3, 8, 8),
            "parallel = 3: samples per clock must be one of",
        ),
        (params(64, 8, 8), "parallel = 64"),
        (
            params(8, 0, 8),
            "channel taps = 0: the emulator's channel FIR has 1..=48 taps",
        ),
        (params(8, 49, 8), "channel taps = 49"),
        (
            params(8, 8, 2),
            "adc.bits = 2: the ADC width must be in 4..=16",
        ),
        (params(8, 8, 17), "adc.bits = 17"),
    ] {
        let e = rtl::emu::design(&p).unwrap_err().to_string();
        assert!(e.contains(says), "{e}");
    }
}
