//! Generator tests of the BER checker `rxdsp_check`: `verilator --lint-only
//! -Wall` (no waiver) and `iverilog -g2005 -Wall` over a parameter matrix, the
//! header's counter map and latency, the ports, illegal parameters refused.

mod common;

use rtl::check::{CheckParams, TOP};

fn params(parallel: usize, max_delay: usize, fifo_words: usize) -> CheckParams {
    CheckParams {
        parallel,
        max_delay,
        fifo_words,
        reference: false,
    }
}

#[test]
fn lint_clean_over_a_parameter_matrix() {
    for (p, d, f) in [
        (1, 1, 2),
        (1, 127, 128),
        (2, 3, 4),
        (4, 64, 16),
        (8, 127, 128),
        (16, 200, 64),
        (32, 127, 128),
    ] {
        let des = rtl::check::design(&params(p, d, f)).unwrap();
        common::lint_files(&des.files, TOP, &format!("check-{p}-{d}-{f}"));
    }
}

#[test]
fn header_documents_the_map_and_the_ports() {
    let p = CheckParams::default();
    let d = rtl::check::design(&p).unwrap();
    let text = &d.files[0].1;
    for line in rtl::check::counter_map() {
        assert!(text.contains(&format!("//   {line}\n")), "{line}");
    }
    assert!(text.contains(&format!("// Latency: {} clock cycles\n", d.latency)));
    assert_eq!(rtl::check::counter_map().len(), golden::check::NUM_COUNTERS);
    let w = |n: &str| d.ports.iter().find(|x| x.name == n).unwrap().ty.width;
    assert_eq!((w("s_tx_tdata"), w("s_rx_tlevel")), (16, 16));
    assert_eq!((w("cfg_delay"), w("cfg_skip"), w("cfg_limit")), (7, 48, 64));
    assert_eq!((w("rd_addr"), w("rd_data")), (6, 64));
    for n in [
        "clear",
        "snap",
        "done",
        "overflow",
        "underflow",
        "s_tx_tvalid",
        "s_rx_tvalid",
    ] {
        assert_eq!(w(n), 1, "{n}");
    }
}

#[test]
fn illegal_parameters_are_refused_with_a_clear_message() {
    for (p, says) in [
        (
            params(3, 8, 8),
            "parallel = 3: symbols per word must be one of",
        ),
        (params(64, 8, 8), "parallel = 64"),
        (
            params(8, 0, 8),
            "max_delay = 0: the largest delay must be 1..=4096",
        ),
        (params(8, 5000, 8), "max_delay = 5000"),
        (
            params(8, 8, 96),
            "fifo_words = 96: the FIFO depth must be a power of two",
        ),
        (params(8, 8, 1), "fifo_words = 1"),
    ] {
        let e = rtl::check::design(&p).unwrap_err().to_string();
        assert!(e.contains(says), "{e}");
    }
}

/// Writes the P = 8 design and its synthesis harness for a look by hand or a
/// synthesis run (`RXDSP_CHECK_DUMP=dir`).
#[test]
fn dump_when_asked() {
    if let Ok(dir) = std::env::var("RXDSP_CHECK_DUMP") {
        let d = rtl::check::design(&CheckParams::default()).unwrap();
        let dir = std::path::Path::new(&dir);
        std::fs::write(dir.join("rxdsp_check.v"), &d.files[0].1).unwrap();
        let h = rtl::harness::build(TOP, &d.ports, &[], rtl::harness::header(TOP)).unwrap();
        std::fs::write(dir.join("rxdsp_synth_top.v"), h.emit().unwrap()).unwrap();
    }
}

/// docs/checker.md's counter table is the one map's.
#[test]
fn the_doc_lists_the_map() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/checker.md"))
        .unwrap();
    for i in 0..golden::check::NUM_COUNTERS {
        let row = format!("| {i} | `{}` |\n", golden::check::counter_name(i));
        assert!(doc.contains(&row), "docs/checker.md lacks {row}");
    }
    assert!(!doc.contains(&format!("| {} | `", golden::check::NUM_COUNTERS)));
}
