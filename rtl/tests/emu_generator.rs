//! Generator tests of the link emulator `rxdsp_emu`: `verilator --lint-only
//! -Wall` (no waiver) and `iverilog -g2005 -Wall` over a parameter matrix, the
//! header's address map and latency, illegal parameters refused, and the
//! injector's register written or refused by `config_writes`, every pattern's
//! code and the random source's seed state written.

mod common;

use rtl::emu::{EmuParams, TOP};

fn params(parallel: usize, taps: usize, adc_bits: u32) -> EmuParams {
    EmuParams {
        parallel,
        taps,
        adc_bits,
        fec: None,
        interleave: false,
    }
}

#[test]
fn lint_clean_over_a_parameter_matrix() {
    for (p, t, b) in [
        (1, 1, 4),
        (2, 2, 6),
        (4, 41, 8),
        (8, 48, 10),
        (16, 7, 8),
        (32, 5, 16),
    ] {
        let d = rtl::emu::design(&params(p, t, b)).unwrap();
        common::lint_files(&d.files, TOP, &format!("emu-{p}-{t}-{b}"));
    }
}

/// The framer, alone and with the 2-way interleave (its buffer, prefill
/// and lane selection), lints clean at every P, both codes.
#[test]
fn framer_and_interleave_lint_clean_at_every_p() {
    use golden::fec::Code;
    for interleave in [false, true] {
        for (p, code) in [
            (1, Code::Kr4),
            (2, Code::Kp4),
            (4, Code::Kr4),
            (8, Code::Kp4),
            (16, Code::Kr4),
            (32, Code::Kp4),
        ] {
            let ep = EmuParams {
                fec: Some(code),
                interleave,
                ..params(p, 8, 8)
            };
            let d = rtl::emu::design(&ep).unwrap();
            let tag = format!("emu-fec-{interleave}-{p}-{}", code.name());
            common::lint_files(&d.files, TOP, &tag);
        }
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
    // 48 taps: 12 table reads (two stages), then 4 adder levels; the noise
    // search: 4 + 2 per memory level + 1 per block-RAM level (512..64 words)
    assert_eq!((st.tree, st.ch_in, st.mag, st.out), (4, 20, 26, 30));
    // a shorter channel enters later, the output stage stays
    assert_eq!(rtl::emu::stages(&params(8, 2, 8)).ch_in, 23);
    // ports: the equalizer's packing, P samples of adc.bits, P 2-bit symbols
    let w = |n: &str| d.ports.iter().find(|x| x.name == n).unwrap().ty.width;
    assert_eq!(
        (w("m_axis_tdata"), w("m_axis_tuser"), w("m_axis_tlevel")),
        (64, 16, 16)
    );
    assert_eq!((w("cfg_addr"), w("cfg_wdata")), (13, 64));
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

#[test]
fn injector_register_is_written_or_refused() {
    use golden::channel::Adc;
    use golden::prbs::Pattern;
    use rtl::emu::addr::INJECT_EVERY;
    let adc = Adc {
        bits: 8,
        full_scale: 1.0,
    };
    let mut emu = golden::emu::EmuPlan::for_parts(&[1.0], 0.0, &adc, 8).unwrap();
    let p = params(8, 3, 8);
    let writes =
        |e: &golden::emu::EmuPlan| rtl::emu::config_writes(&p, e, Pattern::Prbs31, false, 1);
    for k in [0, 8, 9, 1000, golden::emu::MAX_INJECT_EVERY] {
        emu.inject_every = k;
        let w = writes(&emu).unwrap();
        assert_eq!(
            w.iter().filter(|x| x.0 == INJECT_EVERY).collect::<Vec<_>>(),
            [&(INJECT_EVERY, k)]
        );
    }
    for k in [1, 7, golden::emu::MAX_INJECT_EVERY + 1] {
        emu.inject_every = k;
        let e = writes(&emu).unwrap_err().to_string();
        assert!(
            e.contains("inject_every") && e.contains("one flip per word"),
            "{e}"
        );
    }
}

#[test]
fn every_pattern_is_written_with_its_code_and_the_random_state() {
    use golden::channel::Adc;
    use golden::prbs::{random_seed, Pattern};
    use golden::rng::Xoshiro256pp;
    use rtl::emu::addr;
    let adc = Adc {
        bits: 8,
        full_scale: 1.0,
    };
    let emu = golden::emu::EmuPlan::for_parts(&[1.0], 0.0, &adc, 4).unwrap();
    let p = params(4, 3, 8);
    let mut codes = Vec::new();
    for pattern in Pattern::ALL {
        let w = rtl::emu::config_writes(&p, &emu, pattern, true, 77).unwrap();
        let at = |a: usize| {
            w.iter()
                .filter(|x| x.0 == a)
                .map(|x| x.1)
                .collect::<Vec<_>>()
        };
        let code = rtl::emu::pattern_code(pattern);
        assert_eq!(at(addr::PATTERN), [code], "{pattern}");
        let s = Xoshiro256pp::new(random_seed(77)).state();
        for (i, v) in s.iter().enumerate() {
            assert_eq!(at(addr::random(i)), [*v], "{pattern} word {i}");
        }
        codes.push(code);
    }
    assert_eq!(codes, [0, 1, 2, 3, 4, 5, 2, 5, rtl::emu::RANDOM_CODE]);
    assert_eq!(rtl::emu::RANDOM_CODE, 6);
}

/// The configuration memories (thresholds, channel tables) are written before
/// `run`, so they carry `no_rw_check`: without it Yosys builds a
/// read-old-data bypass (an address compare and a mux per bit) on every read
/// port, some 4,800 LUT4 of the P = 8 tester.
#[test]
fn configuration_memories_carry_no_rw_check() {
    let d = rtl::emu::design(&params(8, 48, 8)).unwrap();
    let text = &d.files[0].1;
    for lane in [0, 7] {
        for k in 0..9 {
            let words = 1 << (9 - k);
            let decl = format!(
                "(* no_rw_check *) reg [63:0] thr{lane}_l{k} [0:{}];",
                words - 1
            );
            assert!(text.contains(&decl), "{decl}");
        }
    }
    for lane in [0, 7] {
        for g in [0, 11] {
            let name = format!("tab{lane}_{g} [0:255];");
            let line = text.lines().find(|l| l.contains(&name)).unwrap();
            assert!(
                line.trim_start().starts_with("(* no_rw_check *) reg"),
                "{line}"
            );
        }
    }
}
