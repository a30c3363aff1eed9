//! The RS decoder through Yosys alone (ECP5 mapping up to the flip-flops, no
//! LUT mapping, no place and route: about 30 s of CPU): its codeword delay
//! lines must land in block RAM. The flip-flop version of KR4 at S = 1 had
//! 23,000 flip-flops (21,140 of them in the delay lines); the ring buffers in
//! memory leave about 1,900 and three DP16KD.
//!
//! Needs a Yosys: Debian's `yosys` on `PATH`, or YoWASP's in the synthesis
//! venv (`$RXDSP_SYNTH_VENV`). A missing tool fails the test with the install
//! command, unless `RXDSP_SKIP_SYNTH=1` is set outside CI, which skips.

use golden::fec::Code;
use std::path::PathBuf;
use synth::{stat::Stat, Resources, SynthError, Target};

fn yosys() -> Result<synth::tools::Tool, SynthError> {
    let venv = synth::tools::default_venv_dir();
    let mut quiet = |_: &str| {};
    // Debian's native Yosys (with the iCE40 tools) is much faster than YoWASP's
    synth::tools::resolve(Target::Ice40Hx8k, &venv, false, &mut quiet)
        .or_else(|_| synth::tools::resolve(Target::Ecp5_85k, &venv, false, &mut quiet))
        .map(|t| t.yosys)
}

#[test]
#[ignore = "full tier: runs Yosys (scripts/test.sh runs it)"]
fn rs_decoder_delay_lines_map_to_ecp5_block_ram() {
    let tool = match yosys() {
        Ok(t) => t,
        Err(e) if testkit::may_skip_synth() => {
            eprintln!("skipped (RXDSP_SKIP_SYNTH=1): {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let d = rtl::rs::design_dec(Code::Kr4, 1).unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("synth-rs-kr4-s1");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // relative names: YoWASP's tools see the work folder, not absolute /tmp paths
    let mut script = String::new();
    for (n, text) in &d.files {
        std::fs::write(dir.join(n), text).unwrap();
        script.push_str(&format!("read_verilog {n}\n"));
    }
    let top = rtl::rs::DEC_TOP;
    script.push_str(&format!(
        "synth_ecp5 -top {top} -run :map_luts\ntee -q -o stat.json stat -json\n"
    ));
    std::fs::write(dir.join("rs.ys"), script).unwrap();
    let t0 = std::time::Instant::now();
    let out = tool
        .command()
        .current_dir(&dir)
        .args(["-q", "-l", "yosys.log", "-s", "rs.ys"])
        .output()
        .expect("yosys runs");
    assert!(
        out.status.success(),
        "yosys failed, see {}: {}",
        dir.join("yosys.log").display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("stat.json")).unwrap();
    let stat = Stat::parse(&text, "stat.json").unwrap();
    let r = Resources::from_cells(&stat.total_cells(top));
    eprintln!(
        "KR4 S=1 decoder: {} FF, {} DP16KD ({:.1} s)",
        r.ffs,
        r.bram,
        t0.elapsed().as_secs_f64()
    );
    assert!(r.bram >= 2, "delay lines not in block RAM: {r:?}");
    assert!(r.ffs < 4000, "delay lines in flip-flops? {r:?}");
}
