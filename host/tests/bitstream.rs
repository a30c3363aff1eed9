//! The board bitstream of a tiny receiver through the whole ECP5 flow (Yosys, nextpnr,
//! ecppack): a non-empty bitstream of the board top, the load and stream commands
//! printed, the report written; at the board's oscillator and through the PLL.
//!
//! Full tier: each build takes under a minute here (Yosys 8 s, nextpnr with router1
//! 32-38 s; they took 10-13 minutes when the board flow routed with router2).

use std::process::{Command, Output};

fn rxdsp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rxdsp"))
        .args(args)
        .output()
        .expect("run rxdsp")
}

/// `rxdsp synth --board ulx3s-85f` on P = 1, N = 2 with `extra` arguments, in the
/// folder `d`; returns stdout (the run must succeed) and the report.
/// A missing ECP5 tool fails the test with the install command, unless
/// `RXDSP_SKIP_SYNTH=1` outside CI, which skips it (then the report is null).
fn board_build(d: &testkit::TestDir, extra: &[&str]) -> (String, serde_json::Value) {
    let venv = synth::tools::default_venv_dir();
    let mut quiet = |_: &str| {};
    match synth::tools::resolve(synth::Target::Ecp5_85k, &venv, false, &mut quiet) {
        Ok(_) => {}
        Err(e) if testkit::may_skip_synth() => {
            eprintln!("skipped (RXDSP_SKIP_SYNTH=1): {e}");
            return (String::new(), serde_json::Value::Null);
        }
        Err(e) => panic!("{e}"),
    }
    let out = d.join("work").display().to_string();
    let rep = d.join("board.json").display().to_string();
    let mut args = vec![
        "synth",
        "--target",
        "ecp5-85k",
        "--board",
        "ulx3s-85f",
        "--baud",
        "1000000",
        "--out",
        &out,
        "--report",
        &rep,
        "--set",
        "rtl.parallel=1",
        "--set",
        "ffe.taps=2",
        "--set",
        "ffe.main=0",
    ];
    args.extend_from_slice(extra);
    let o = rxdsp(&args);
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
    (stdout, r)
}

#[test]
#[ignore = "full tier: runs Yosys and nextpnr-ecp5 (scripts/test.sh runs it)"]
fn synth_board_bitstream_of_a_tiny_config() {
    // the ECP5 work folder (netlists, logs, bitstream), removed when the test passes
    let d = testkit::TestDir::new("bitstream");
    let (stdout, r) = board_build(&d, &[]);
    if r.is_null() {
        return;
    }
    let out = d.join("work");
    assert!(
        stdout.contains("load       openFPGALoader -b ulx3s "),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "rxdsp stream --device 'serial:///dev/ttyUSB0?baud=1000000' --set rtl.parallel=1"
        ),
        "{stdout}"
    );
    assert_eq!(r["board"], "ulx3s-85f");
    assert_eq!(r["clock_mhz"], 25.0, "{r}");
    assert!(r["pll"].is_null(), "{r}");
    assert_eq!(r["meets_timing"], true, "{r}");
    let bit = std::path::PathBuf::from(r["bitstream"].as_str().unwrap());
    assert!(bit.ends_with("rxdsp_board_top.bit"), "{}", bit.display());
    let len = std::fs::metadata(&bit).unwrap().len();
    assert!(len > 10_000, "bitstream of {len} bytes");
    // the board flow routes with router1 unless --router says otherwise
    assert_eq!(r["synth"]["router"], "router1", "{r}");
    // exactly the .lpf's eight pins
    assert_eq!(r["synth"]["utilization"]["TRELLIS_IO"]["used"], 8, "{r}");
    assert!(out.join("rtl/rxdsp_uart.v").exists());
}

/// `--freq 75` with `--board`: the ECP5 PLL makes 75 MHz from the 25 MHz
/// oscillator (x 3, VCO 600 MHz), nextpnr derives the core clock's constraint
/// through it, and the design meets it.
#[test]
#[ignore = "full tier: runs Yosys and nextpnr-ecp5 (scripts/test.sh runs it)"]
fn synth_board_through_the_pll() {
    let d = testkit::TestDir::new("bitstream-pll");
    let (stdout, r) = board_build(&d, &["--freq", "75"]);
    if r.is_null() {
        return;
    }
    assert!(
        stdout.contains("clock      75.000 MHz from the PLL (25 MHz x 3 / 1 = 75.000 MHz"),
        "{stdout}"
    );
    assert_eq!(r["board_clock_mhz"], 25.0, "{r}");
    assert_eq!(r["clock_mhz"], 75.0, "{r}");
    assert_eq!(r["pll"]["clkfb_div"], 3, "{r}");
    assert_eq!(r["pll"]["vco_mhz"], 600.0, "{r}");
    assert_eq!(r["meets_timing"], true, "{r}");
    assert_eq!(r["synth"]["utilization"]["EHXPLLL"]["used"], 1, "{r}");
    let log = std::fs::read_to_string(d.join("work/ulx3s-85f/nextpnr.log")).unwrap();
    assert!(
        log.contains("Derived frequency constraint of 75.0 MHz for net clk_core"),
        "nextpnr did not derive the PLL's output clock"
    );
    // the UART divides the PLL's clock: 75 cycles a bit at 1 Mbaud, its bit
    // counters reloaded with 74
    let uart = std::fs::read_to_string(d.join("work/rtl/rxdsp_uart.v")).unwrap();
    assert!(
        uart.contains("divisor (clocks per bit) = 75 (1000000.0 baud") && uart.contains("7'h4a"),
        "the UART does not divide 75 MHz"
    );
}
