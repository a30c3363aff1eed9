//! The board bitstream of a tiny receiver through the whole ECP5 flow (Yosys, nextpnr,
//! ecppack): a non-empty bitstream of the board top, the load and stream commands
//! printed, the report written.
//!
//! Opt-in, outside both test tiers: the place and route takes 10-13 minutes here (the
//! bridge's frame memory lands in LUT RAM whatever the config), too long for every CI
//! run. The test target exists only with the `bitstream-test` feature:
//!
//! ```sh
//! cargo test -p rxdsp --features bitstream-test --test bitstream
//! ```

use std::process::{Command, Output};

fn rxdsp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rxdsp"))
        .args(args)
        .output()
        .expect("run rxdsp")
}

#[test]
fn synth_board_bitstream_of_a_tiny_config() {
    // the ECP5 work folder (netlists, logs, bitstream), removed when the test passes
    let d = testkit::TestDir::new("bitstream");
    let out = d.join("work").display().to_string();
    let rep = d.join("board.json").display().to_string();
    let o = rxdsp(&[
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
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
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
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
    assert_eq!(r["board"], "ulx3s-85f");
    assert_eq!(r["meets_timing"], true, "{r}");
    let bit = std::path::PathBuf::from(r["bitstream"].as_str().unwrap());
    assert!(bit.ends_with("rxdsp_board_top.bit"), "{}", bit.display());
    let len = std::fs::metadata(&bit).unwrap().len();
    assert!(len > 10_000, "bitstream of {len} bytes");
    // the board flow routes with router1 unless --router says otherwise
    assert_eq!(r["synth"]["router"], "router1", "{r}");
    // exactly the .lpf's eight pins
    assert_eq!(r["synth"]["utilization"]["TRELLIS_IO"]["used"], 8, "{r}");
    assert!(std::path::Path::new(&out).join("rtl/rxdsp_uart.v").exists());
}
