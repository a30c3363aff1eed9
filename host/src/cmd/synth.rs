//! `rxdsp synth`: the command line of the synthesis flow (the flow itself
//! is [`super::synth_flow`]).

use super::args::{BoardArg, ConfigArgs, RouterArg, TargetArg};
use super::{synth_flow, write_file, write_json, Mismatch};
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;

/// `rxdsp synth`.
#[derive(Args)]
pub struct SynthArgs {
    /// the FPGA: ecp5-85k (LFE5UM-85F, speed 6, via YoWASP) or ice40-hx8k (Debian's tools)
    #[arg(long, value_enum)]
    target: TargetArg,
    #[command(flatten)]
    cfg: ConfigArgs,
    /// write the JSON report here (with --sweep: the CSV and markdown tables go beside it)
    #[arg(long)]
    report: Option<PathBuf>,
    /// clock target for place and route, MHz (default 150); with --board, the
    /// design's clock: the board's oscillator (default) or, when given, an ECP5 PLL's
    /// output from it, the closest setting not above FREQ
    #[arg(long)]
    freq: Option<f64>,
    /// build the bitstream of the board top (UART + device) for this board (with --target ecp5-85k)
    #[arg(long, value_enum)]
    board: Option<BoardArg>,
    /// UART baud rate of the board top (with --board; default 115200)
    #[arg(long)]
    baud: Option<u32>,
    /// work folder (Verilog, tool logs, netlists)
    #[arg(long, default_value = "synth-out")]
    out: PathBuf,
    /// sweep: key=v1,v2 ... (e.g. parallel=4,8,16 ffe.taps=8,16); one run per combination
    #[arg(long, num_args = 1..)]
    sweep: Vec<String>,
    /// with tx.fec = kp4|kr4: FEC symbols per clock S of the RS decoder
    /// (default: the smallest power of two with 5S > rtl.parallel)
    #[arg(long, value_name = "S")]
    fec_symbols: Option<usize>,
    /// with tx.fec = kp4|kr4: synthesize the RS decoder alone, not the equalizer -> FEC chain
    #[arg(long)]
    fec_only: bool,
    /// place and route with placer seeds 1..=K (Yosys runs once, nextpnr K times, one
    /// per core at a time) and report the min / median / max Fmax; the report is the
    /// median run's
    #[arg(long, value_name = "K", default_value_t = 1)]
    seeds: u64,
    /// nextpnr's router: router1 (its default) completes the BER tester's board build,
    /// where router2 diverges; router2 negotiates congestion over all nets at once
    #[arg(long, value_enum, default_value = "router1")]
    router: RouterArg,
    /// synthesize the device top with the BER tester (bridge, registers, equalizer,
    /// link emulator and checker: what `rxdsp bert` runs on a board)
    #[arg(long, conflicts_with_all = ["fec_only", "fec_symbols", "sweep"])]
    bert: bool,
}

/// Runs `rxdsp synth`.
pub fn run(a: SynthArgs) -> Result<()> {
    let target: synth::Target = a.target.into();
    if let Some(f) = a.freq {
        if !(f.is_finite() && f > 0.0) {
            bail!("--freq {f} must be a positive frequency in MHz");
        }
    }
    if let Some(b) = a.board {
        if a.fec_only || a.fec_symbols.is_some() {
            bail!("--fec-only and --fec-symbols do not combine with --board");
        }
        if a.seeds != 1 {
            bail!("--seeds does not combine with --board (one placement makes the bitstream)");
        }
        return board_cmd(&a, target, b.into());
    }
    if a.baud.is_some() {
        bail!("--baud goes with --board (the UART is only in the board top)");
    }
    if !(1..=synth::MAX_SEEDS as u64).contains(&a.seeds) {
        bail!(
            "--seeds {} must be in 1..={} (placer seeds 1..=K)",
            a.seeds,
            synth::MAX_SEEDS
        );
    }
    let pnr = synth_flow::Pnr {
        target,
        freq: a.freq.unwrap_or(150.0),
        seeds: a.seeds,
        router: a.router.into(),
    };
    if !a.sweep.is_empty() && (a.fec_only || a.fec_symbols.is_some()) {
        bail!("--fec-only and --fec-symbols do not combine with --sweep");
    }
    if !a.sweep.is_empty() {
        let c = &a.cfg;
        let rows = synth_flow::sweep(&c.set, c.config.as_deref(), &a.sweep, &pnr, &a.out)?;
        let md = synth::sweep::to_markdown(&rows);
        let csv = synth::sweep::to_csv(&rows);
        print!("{md}");
        let base = a.report.clone().unwrap_or_else(|| a.out.join("sweep.json"));
        std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
        let csv_path = base.with_extension("csv");
        let md_path = base.with_extension("md");
        write_file(&csv_path, csv.as_bytes())?;
        write_file(&md_path, md.as_bytes())?;
        let json: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "assignment": r.assignment.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<std::collections::BTreeMap<_, _>>(),
                    "report": r.outcome.as_ref().ok(),
                    "error": r.outcome.as_ref().err(),
                })
            })
            .collect();
        write_json(&base, &json)?;
        println!("tables     {} {}", csv_path.display(), md_path.display());
        println!("report     {}", base.display());
        if rows.iter().any(|r| r.outcome.is_err()) {
            bail!("some sweep points failed (see the table)");
        }
        return Ok(());
    }
    let plan = a.cfg.plan()?;
    if a.bert {
        return bert_cmd(&a, &plan, &pnr);
    }
    let fec = synth_flow::fec_choice(&plan, a.fec_symbols, a.fec_only)?;
    let r = synth_flow::synth_with(&plan, fec.as_ref(), &pnr, &a.out)?;
    let per_clock = fec.map_or(plan.parallel, |f| f.pam4_per_clock(&plan));
    print!("{}", r.table());
    println!("{}", synth_flow::throughput_line(&r, per_clock));
    if let Some(p) = &a.report {
        let t = r.fmax_mhz.map(|f| synth::throughput(per_clock as u32, f));
        let v = serde_json::json!({
            "synth": r,
            "parallel": per_clock,
            "fec": fec.map(|f| serde_json::json!({
                "code": f.code.name(),
                "symbols_per_beat": f.symbols,
                "decoder_only": f.decoder_only,
            })),
            "throughput": t.map(|t| serde_json::json!({"symbols_per_second": t.symbols_per_s, "gbps": t.gbps})),
            "config": {
                "ffe_taps": plan.format.ffe_taps,
                "dfe_taps": plan.format.dfe_taps,
                "adc_bits": plan.format.adc_bits,
                "ffe_coef_bits": plan.format.ffe_coef_bits,
            },
        });
        write_json(p, &v)?;
        println!("report     {}", p.display());
    }
    Ok(())
}

/// `rxdsp synth --bert`: the device top with the BER tester.
fn bert_cmd(a: &SynthArgs, plan: &golden::config::LinkPlan, pnr: &synth_flow::Pnr) -> Result<()> {
    let r = synth_flow::synth_bert(plan, pnr, &a.out)?;
    print!("{}", r.table());
    println!("{}", synth_flow::throughput_line(&r, plan.parallel));
    if let Some(p) = &a.report {
        let t = r
            .fmax_mhz
            .map(|f| synth::throughput(plan.parallel as u32, f));
        let v = serde_json::json!({
            "synth": r,
            "parallel": plan.parallel,
            "bert": true,
            "throughput": t.map(|t| serde_json::json!({"symbols_per_second": t.symbols_per_s, "gbps": t.gbps})),
            "config": {
                "ffe_taps": plan.format.ffe_taps,
                "dfe_taps": plan.format.dfe_taps,
                "adc_bits": plan.format.adc_bits,
                "emu_taps": golden::emu::EMU_TAPS,
                "fec": golden::link::fec_code(plan.fec).map(|c| c.name()),
            },
        });
        write_json(p, &v)?;
        println!("report     {}", p.display());
    }
    Ok(())
}

/// `rxdsp synth --board B`: the bitstream of the board top.
fn board_cmd(a: &SynthArgs, target: synth::Target, board: synth::bitstream::Board) -> Result<()> {
    if target != synth::Target::Ecp5_85k {
        bail!("--board {board} is an ECP5 board: use --target ecp5-85k");
    }
    if !a.sweep.is_empty() {
        bail!("--sweep and --board do not go together (one bitstream per run)");
    }
    // --freq with --board: the PLL's output (refused here, exit 2, when the
    // PLL cannot make it from the board's oscillator)
    let pll = a
        .freq
        .map(|f| rtl::pll::Pll::for_clock(board.clock_hz(), f * 1e6))
        .transpose()
        .with_context(|| format!("--freq with --board {board}"))?;
    let baud = a.baud.unwrap_or(synth_flow::DEFAULT_BAUD);
    let plan = a.cfg.plan()?;
    let t0 = std::time::Instant::now();
    let build = synth_flow::BoardBuild {
        board,
        baud,
        bert: a.bert,
        router: a.router.into(),
        pll,
    };
    let b = synth_flow::synth_board(&plan, &build, &a.out)?;
    let wall = t0.elapsed().as_secs_f64();
    print!("{}", b.synth.table());
    let osc = board.clock_hz() as f64 / 1e6;
    let clk = build.clock_hz() as f64 / 1e6;
    let source = match &pll {
        Some(p) => format!("{clk:.3} MHz from the PLL ({p})"),
        None => format!("{clk} MHz board clock"),
    };
    match b.synth.fmax_mhz {
        Some(f) => println!(
            "clock      {source}, Fmax {f:.1} MHz ({})",
            if f >= clk {
                "meets timing"
            } else {
                "FAILS timing"
            }
        ),
        None => println!("clock      {source}, Fmax unknown"),
    }
    // the tester's link runs P symbols a clock on the board; a plain
    // device streams at the UART's rate whatever its clock
    if a.bert {
        println!(
            "rate       {:.1} M symbols/s through the board's link emulator and checker (P = {} at {clk:.3} MHz)",
            plan.parallel as f64 * clk,
            plan.parallel
        );
        if let Some(f) = b.synth.fmax_mhz.filter(|f| *f >= 1.25 * clk) {
            if let Ok(p) = rtl::pll::Pll::for_clock(board.clock_hz(), f * 1e6) {
                let mhz = p.request_mhz();
                println!(
                    "faster     it routed at {f:.1} MHz: `--freq {mhz}` builds it at {:.3} MHz through the PLL (the new placement may close lower)",
                    p.out_hz() / 1e6
                );
            }
        }
    }
    println!("bitstream  {}", b.bitstream.display());
    println!(
        "time       {wall:.0} s wall (ecppack {:.1} s)",
        b.ecppack_seconds
    );
    println!("load       {}", board.load_command(&b.bitstream));
    let mut cfg_args = String::new();
    if let Some(c) = &a.cfg.config {
        cfg_args += &format!(" --config {}", c.display());
    }
    for s in &a.cfg.set {
        cfg_args += &format!(" --set {s}");
    }
    println!(
        "stream     rxdsp stream --device 'serial:///dev/ttyUSB0?baud={baud}'{cfg_args} --in SAMPLES --out BITS"
    );
    if a.bert {
        println!(
            "bert       rxdsp bert --device 'serial:///dev/ttyUSB0?baud={baud}'{cfg_args} --target-ber 1e-12 --report bert.json"
        );
    }
    if let Some(p) = &a.report {
        let v = serde_json::json!({
            "board": board,
            "bitstream": b.bitstream,
            "lpf": b.lpf,
            "baud": baud,
            "board_clock_mhz": osc,
            "clock_mhz": clk,
            "pll": pll.map(|p| serde_json::json!({
                "in_mhz": p.in_hz as f64 / 1e6,
                "out_mhz": p.out_hz() / 1e6,
                "vco_mhz": p.vco_hz() / 1e6,
                "clki_div": p.clki_div,
                "clkfb_div": p.clkfb_div,
                "clkop_div": p.clkop_div,
            })),
            "meets_timing": b.synth.fmax_mhz.map(|f| f >= clk),
            "wall_seconds": wall,
            "ecppack_seconds": b.ecppack_seconds,
            "synth": b.synth,
            "parallel": plan.parallel,
            "config": {
                "ffe_taps": plan.format.ffe_taps,
                "dfe_taps": plan.format.dfe_taps,
                "adc_bits": plan.format.adc_bits,
                "ffe_coef_bits": plan.format.ffe_coef_bits,
            },
        });
        write_json(p, &v)?;
        println!("report     {}", p.display());
    }
    if b.synth.fmax_mhz.is_some_and(|f| f < clk) {
        return Err(Mismatch(format!(
            "the design does not meet its {clk} MHz clock: the bitstream would not work reliably"
        ))
        .into());
    }
    Ok(())
}
