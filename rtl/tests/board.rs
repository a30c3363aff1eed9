//! The UART PHY and the board top: snapshots, lint with Verilator `-Wall`
//! (no waivers) and compile with Icarus; illegal UART parameters are refused.

mod common;

use golden::numeric::RxFormat;
use rtl::board::{BoardParams, BOARD_TOP};
use rtl::hdl::Expr;
use rtl::uart::{UartParams, UART_MODULE};
use std::path::Path;

const ULX3S: UartParams = UartParams {
    clk_hz: 25_000_000,
    baud: 115_200,
};

/// Set `RXDSP_BLESS=1` to rewrite the expected files.
#[test]
fn uart_and_board_top_match_snapshots() {
    let bp = BoardParams {
        uart: ULX3S,
        leds_active_low: false,
        pll: None,
    };
    let d = rtl::board::design(&RxFormat::default(), 8, &bp).unwrap();
    // only the two modules of this file: the device's own have their snapshots
    let files: Vec<(String, String)> = d
        .files
        .into_iter()
        .filter(|(n, _)| *n == format!("{UART_MODULE}.v") || *n == format!("{BOARD_TOP}.v"))
        .collect();
    assert_eq!(files.len(), 2);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/board");
    common::check_snapshots(&dir, &files);
}

fn lint(files: &[(String, String)], top: &str, tag: &str) {
    common::lint_files(files, top, tag);
}

#[test]
fn uart_lints_clean_over_divisors() {
    for (clk, baud) in [
        (25_000_000, 115_200),
        (12_000_000, 3_000_000),
        (12_000_000, 1_000_000),
        (100_000_000, 9_600),
    ] {
        let p = UartParams { clk_hz: clk, baud };
        let v = rtl::uart::uart_verilog(&p).unwrap();
        lint(
            &[(format!("{UART_MODULE}.v"), v)],
            UART_MODULE,
            &format!("uart-{clk}-{baud}"),
        );
    }
}

#[test]
fn board_top_lints_clean_and_compiles_in_icarus() {
    for (fmt, p, uart, low, tag) in [
        (RxFormat::default(), 8, ULX3S, false, "ulx3s-p8"),
        (
            RxFormat {
                ffe_taps: 2,
                ffe_main: 0,
                ..RxFormat::default()
            },
            1,
            UartParams {
                clk_hz: 12_000_000,
                baud: 115_200,
            },
            true,
            "evn-p1",
        ),
    ] {
        let bp = BoardParams {
            uart,
            leds_active_low: low,
            pll: None,
        };
        let d = rtl::board::design(&fmt, p, &bp).unwrap();
        lint(&d.files, BOARD_TOP, tag);
        let names: Vec<&str> = d.ports.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["clk", "rst_n", "uart_rx", "uart_tx", "led"]);
        assert_eq!(d.ports[4].ty.width, 4);
    }
}

/// The board top around the device with the BER tester (what `rxdsp synth
/// --board ... --bert` builds): the same pins, the tester's modules inside,
/// lint-clean.
#[test]
fn bert_board_top_lints_clean_and_compiles_in_icarus() {
    let fmt = RxFormat::default();
    let bp = BoardParams {
        uart: ULX3S,
        leds_active_low: false,
        pll: None,
    };
    let b = rtl::bert::BertParams::new(&fmt, 8);
    let blocks = rtl::top::DeviceBlocks {
        bert: Some(&b),
        ..Default::default()
    };
    let d = rtl::board::design_device(&fmt, 8, &bp, blocks).unwrap();
    for n in ["rxdsp_emu.v", "rxdsp_check.v"] {
        assert!(d.files.iter().any(|(f, _)| f == n), "{n} missing");
    }
    lint(&d.files, BOARD_TOP, "ulx3s-bert-p8");
    let names: Vec<&str> = d.ports.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["clk", "rst_n", "uart_rx", "uart_tx", "led"]);
    // with the KP4 decoder chain and the tester framing KP4
    let code = golden::fec::Code::Kp4;
    let b = rtl::bert::BertParams::new(&fmt, 8).with_fec(Some(rtl::rs::FecParams::new(code, 8)));
    let blocks = rtl::top::DeviceBlocks {
        bert: Some(&b),
        fec: Some(rtl::rs::FecParams::new(code, 8)),
        ..Default::default()
    };
    let d = rtl::board::design_device(&fmt, 8, &bp, blocks).unwrap();
    for n in [
        "rxdsp_emu.v",
        "rxdsp_check.v",
        "rxdsp_rs_rx.v",
        "rxdsp_rs_dec.v",
    ] {
        assert!(d.files.iter().any(|(f, _)| f == n), "{n} missing");
    }
    lint(&d.files, BOARD_TOP, "ulx3s-bert-kp4-p8");
}

/// The ECP5 PLL's model, named after its module as Verilator's `-Wall` wants.
fn pll_model() -> (String, String) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ehxplll_model.v");
    ("EHXPLLL.v".into(), std::fs::read_to_string(p).unwrap())
}

/// The board top behind the ECP5 PLL (`rxdsp synth --board ... --freq F`):
/// the wrapper and the core, snapshots of both; the same pins; lint-clean
/// and compiled by Icarus with the primitive's model; a UART clock other
/// than the PLL's output is refused.
#[test]
fn pll_board_top_matches_snapshots_and_lints_clean() {
    let pll = rtl::pll::Pll::for_clock(25_000_000, 75e6).unwrap();
    let bp = BoardParams {
        uart: UartParams {
            clk_hz: 75_000_000,
            baud: 115_200,
        },
        leds_active_low: false,
        pll: Some(pll),
    };
    let d = rtl::board::design(&RxFormat::default(), 8, &bp).unwrap();
    let names: Vec<&str> = d.ports.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["clk", "rst_n", "uart_rx", "uart_tx", "led"]);
    let ours: Vec<(String, String)> = d
        .files
        .iter()
        .filter(|(n, _)| {
            *n == format!("{BOARD_TOP}.v") || *n == format!("{}.v", rtl::board::BOARD_CORE)
        })
        .cloned()
        .collect();
    assert_eq!(ours.len(), 2);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/board-pll");
    common::check_snapshots(&dir, &ours);
    let mut files = d.files.clone();
    files.push(pll_model());
    lint(&files, BOARD_TOP, "ulx3s-pll-p8");
    let off = BoardParams {
        uart: UartParams {
            clk_hz: 25_000_000,
            baud: 115_200,
        },
        ..bp
    };
    let e = rtl::board::design(&RxFormat::default(), 8, &off)
        .unwrap_err()
        .to_string();
    assert!(e.contains("the PLL's output"), "{e}");
}

/// The PLL model refuses a setting the wrapper never makes (so a test
/// cannot pass on one it ignores), and with the wrapper's setting its
/// `LOCK` rises after 16 input clocks and `CLKOP` follows `CLKI`: an Icarus
/// testbench instantiating it directly.
#[test]
fn pll_model_locks_and_refuses_other_settings() {
    use rtl::hdl::{Header, Module, Param, Ty};
    if !testkit::have_icarus() {
        return;
    }
    let pll = rtl::pll::Pll::for_clock(25_000_000, 75e6).unwrap();
    let bb = rtl::pll::ehxplll_box().unwrap();
    let dir = testkit::TestDir::new("pll-model");
    let (name, model) = pll_model();
    std::fs::write(dir.join(&name), model).unwrap();
    for (cphase, good) in [(pll.clkop_div - 1, true), (0, false)] {
        let mut m = Module::testbench("pll_tb", Header::new("PLL model testbench", "tests"));
        let (clk, _rst) = m.sim_clock(5).unwrap();
        let log = m.log_file("f_log", "log.txt").unwrap();
        let zero = Expr::konst(0, Ty::BIT).unwrap();
        let op = m.wire_decl("op", Ty::BIT).unwrap();
        let lock = m.wire_decl("lock", Ty::BIT).unwrap();
        let mut params: Vec<(&str, Param)> = pll.params();
        for p in params.iter_mut() {
            if p.0 == "CLKOP_CPHASE" {
                p.1 = Param::Int(cphase as i64);
            }
        }
        let mut conns: Vec<(&str, &Expr)> = vec![("CLKI", &clk), ("CLKFB", &zero)];
        conns.extend(rtl::pll::TIED_LOW.iter().map(|n| (*n, &zero)));
        conns.push(("CLKOP", &op));
        conns.push(("LOCK", &lock));
        m.instance_with_params(&bb, "u_pll", &params, &conns)
            .unwrap();
        let cyc = m.reg("cyc", Ty::u(8), Some(0)).unwrap();
        m.next(
            &cyc,
            &cyc.add(&Expr::konst(1, Ty::u(8)).unwrap()).unwrap(),
            None,
        )
        .unwrap();
        let on = Expr::konst(1, Ty::BIT).unwrap();
        m.log(&log, &on, "%0d %0d\n", &[cyc.clone(), lock.clone()])
            .unwrap();
        m.finish(&cyc.eq(&Expr::konst(40, Ty::u(8)).unwrap()).unwrap(), None)
            .unwrap();
        std::fs::write(dir.join("tb.v"), m.emit().unwrap()).unwrap();
        let _ = std::fs::remove_file(dir.join("log.txt"));
        let c = std::process::Command::new("iverilog")
            .current_dir(&dir)
            .args(["-g2005", "-o", "tb.vvp", "-s", "pll_tb", "tb.v", &name])
            .output()
            .unwrap();
        assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
        let r = std::process::Command::new("vvp")
            .current_dir(&dir)
            .arg("tb.vvp")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&r.stdout).to_string();
        if !good {
            assert!(out.contains("MODEL:") && !r.status.success(), "{out}");
            continue;
        }
        assert!(r.status.success() && !out.contains("MODEL:"), "{out}");
        let lines: Vec<(u32, u32)> = std::fs::read_to_string(dir.join("log.txt"))
            .unwrap()
            .lines()
            .filter_map(|l| {
                // the first clock logs the counter before its reset: x
                let v: Vec<u32> = l
                    .split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect();
                (v.len() == 2).then(|| (v[0], v[1]))
            })
            .collect();
        let first = lines.iter().find(|(_, l)| *l == 1).expect("LOCK rises").0;
        assert!((15..=17).contains(&first), "LOCK at cycle {first}");
        assert!(lines.iter().all(|(c, l)| (*l == 1) == (*c >= first)));
    }
}

#[test]
fn board_files_are_written_with_a_file_list() {
    let dir = std::env::temp_dir().join(format!("rxdsp-board-gen-{}", std::process::id()));
    let bp = BoardParams {
        uart: ULX3S,
        leds_active_low: false,
        pll: None,
    };
    let files = rtl::board::generate(&RxFormat::default(), 8, &bp, &dir).unwrap();
    assert!(files.last().unwrap().ends_with(format!("{BOARD_TOP}.v")));
    let fl = std::fs::read_to_string(dir.join(rtl::board::BOARD_FILELIST)).unwrap();
    assert_eq!(fl.lines().count(), files.len());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn illegal_uart_parameters_are_refused() {
    let bp = |clk_hz, baud| BoardParams {
        uart: UartParams { clk_hz, baud },
        leds_active_low: false,
        pll: None,
    };
    let e = rtl::board::design(&RxFormat::default(), 8, &bp(25_000_000, 3_000_000))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("illegal parameter uart baud = 3000000"),
        "{e}"
    );
    let e = rtl::board::design(&RxFormat::default(), 8, &bp(12_000_000, 6_000_000))
        .unwrap_err()
        .to_string();
    assert!(e.contains("cycles per bit"), "{e}");
}

#[test]
fn reset_values_need_a_reset_wire_in_a_clock_only_module() {
    use rtl::hdl::{Module, Ty};
    let mut m = Module::new("t", rtl::hdl::Header::default());
    m.clock_only().unwrap();
    assert!(m.reg("a", Ty::BIT, Some(0)).is_err());
    let x = m.input("x", Ty::BIT, "button").unwrap();
    assert!(m
        .reset_wire(&Expr::concat(&[x.clone(), x.clone()]).unwrap())
        .is_err());
    let r = m.reset_wire(&x).unwrap();
    assert_eq!(r.verilog(), "rst");
    let b = m.reg("b", Ty::BIT, Some(1)).unwrap();
    m.next(&b, &x, None).unwrap();
    assert!(m.emit().unwrap().contains("if (rst) begin"));
}
