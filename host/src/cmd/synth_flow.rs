//! `rxdsp synth`: the receiver through Yosys and nextpnr, one configuration
//! or a sweep of them.
//!
//! The core's ports (P samples in, symbols and debug outputs out) are wider
//! than a package has pins, so the design is placed inside a small synthesis
//! harness, `rxdsp_synth_top`: the sample word fills from a serial pin through
//! a shift register, and every output bit is XOR-reduced into one registered
//! pin, so no logic of the core can be optimised away. The harness costs one
//! flip-flop per input and output bit plus the XOR tree; the `rxdsp_eq` row
//! of the per-block table is the core alone.

use anyhow::{bail, Context, Result};
use golden::config::{FecKind, LinkPlan};
use golden::fec::Code;
use rtl::hdl::Port;
use std::path::{Path, PathBuf};
use synth::sweep::{Sweep, SweepRow};
use synth::{Router, SynthReport, SynthRequest, Target};

/// The harness top's name.
pub use rtl::harness::HARNESS_TOP;

/// Where and how a flow places and routes: the FPGA, the clock target, the
/// placer seeds `1..=seeds` and nextpnr's router.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pnr {
    /// The FPGA.
    pub target: Target,
    /// The clock target, MHz.
    pub freq: f64,
    /// Placer seeds `1..=seeds`.
    pub seeds: u64,
    /// nextpnr's router.
    pub router: Router,
}

/// Verilog of the synthesis harness around `rxdsp_eq` for `plan` (built by
/// [`rtl::harness::eq_harness`], or with `adapt.in_rtl` around the adaptive
/// equalizer by [`rtl::harness::adapt_eq_harness`]).
pub fn harness(plan: &LinkPlan) -> Result<String> {
    match &plan.hw_adapt {
        Some(h) => rtl::harness::adapt_eq_harness(&plan.format, plan.parallel, &h.params),
        None => rtl::harness::eq_harness(&plan.format, plan.parallel),
    }
    .and_then(|m| m.emit())
    .context("generating the synthesis harness")
}

/// Generates the core and the harness into `dir`, returning the files. For
/// ECP5 the FFE multiplier is the `MULT18X18D` variant with its registers
/// (`rtl::eq::ecp5_mul_verilog`); other targets keep the generic one.
pub fn emit(plan: &LinkPlan, target: Target, dir: &Path) -> Result<Vec<PathBuf>> {
    let design = match &plan.hw_adapt {
        Some(h) => rtl::adapt::design(&plan.format, plan.parallel, &h.params),
        None => rtl::design(&plan.format, plan.parallel),
    }
    .context("generating Verilog")?;
    write_design(plan, target, design, dir, &harness(plan)?)
}

/// Writes `design`'s files into `dir` (the ECP5 multiplier swapped in for
/// ECP5), then the harness `harness_text`; returns the files, harness last.
fn write_design(
    plan: &LinkPlan,
    target: Target,
    mut design: rtl::Design,
    dir: &Path,
    harness_text: &str,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    if target == Target::Ecp5_85k {
        rtl::eq::use_ecp5_dsp(&mut design.files, &plan.format, plan.parallel)
            .context("generating the ECP5 multiplier")?;
    }
    let mut files = Vec::new();
    for (n, text) in &design.files {
        let p = dir.join(n);
        rxdsp::samples::write_atomic(&p, text.as_bytes())
            .with_context(|| format!("writing {}", p.display()))?;
        files.push(p);
    }
    let h = dir.join(format!("{HARNESS_TOP}.v"));
    rxdsp::samples::write_atomic(&h, harness_text.as_bytes()).context("writing the harness")?;
    files.push(h);
    Ok(files)
}

/// The Reed-Solomon part of a synthesis run (configs with `tx.fec` = kp4 or kr4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FecChoice {
    /// The code.
    pub code: Code,
    /// FEC symbols per clock (`S`).
    pub symbols: usize,
    /// Synthesize the decoder `rxdsp_rs_dec` alone instead of the chain.
    pub decoder_only: bool,
}

impl FecChoice {
    /// PAM4 symbols per clock the synthesized top takes in: the equalizer's
    /// `P` for the chain, `5S` for the decoder alone.
    pub fn pam4_per_clock(&self, plan: &LinkPlan) -> usize {
        if self.decoder_only {
            5 * self.symbols
        } else {
            plan.parallel
        }
    }
}

/// What `rxdsp synth` builds for `plan`: `None` (the equalizer alone) when the
/// config has no FEC; else the code with `symbols` (default
/// [`proto::regmap::default_fec_symbols`]) and `decoder_only`, checked.
pub fn fec_choice(
    plan: &LinkPlan,
    symbols: Option<usize>,
    decoder_only: bool,
) -> Result<Option<FecChoice>> {
    let code = match plan.fec {
        FecKind::None => {
            if decoder_only || symbols.is_some() {
                bail!(
                    "--fec-only and --fec-symbols need tx.fec = \"kp4\" or \"kr4\" in the config"
                );
            }
            return Ok(None);
        }
        FecKind::Kp4 => Code::Kp4,
        FecKind::Kr4 => Code::Kr4,
    };
    let s = symbols.unwrap_or_else(|| proto::regmap::default_fec_symbols(plan.parallel));
    if decoder_only {
        rtl::rs::check(code, s)
    } else {
        rtl::rs::gearbox::check_gearbox(code, s, plan.parallel)
    }
    .map_err(|e| anyhow::anyhow!("--fec-symbols: {e}"))?;
    Ok(Some(FecChoice {
        code,
        symbols: s,
        decoder_only,
    }))
}

/// Verilog of the pin-light synthesis harness `rxdsp_synth_top` around any
/// top (see [`rtl::harness`]): every wide input fills from the serial pin;
/// `params` go into its header.
pub fn harness_for(top: &str, ports: &[Port], params: &[(&str, String)]) -> Result<String> {
    let mut header = rtl::harness::header(top);
    for (n, v) in params {
        header = header.param(n, v);
    }
    rtl::harness::build(top, ports, &[], header)
        .and_then(|m| m.emit())
        .context("generating the synthesis harness")
}

/// Generates the FEC design of `fec` for `plan` (the equalizer -> gearbox ->
/// decoder chain `rxdsp_eq_fec`, or `rxdsp_rs_dec` alone) and its harness
/// into `dir`; returns the files and the blocks to report. For ECP5 the
/// decoder's block RAMs are `DP16KD` instances with their output register
/// (`rtl::rs::use_ecp5_bram`); other targets keep the behavioural form.
pub fn emit_fec(
    plan: &LinkPlan,
    fec: &FecChoice,
    target: Target,
    dir: &Path,
) -> Result<(Vec<PathBuf>, Vec<String>)> {
    let (code, s) = (fec.code, fec.symbols);
    let (design, top, blocks, what) = if fec.decoder_only {
        (
            rtl::rs::design_dec(code, s),
            rtl::rs::DEC_TOP,
            vec![rtl::rs::DEC_TOP],
            vec![
                ("tx.fec (code)", code.name().to_string()),
                ("S (symbols per beat)", s.to_string()),
            ],
        )
    } else {
        let f = &plan.format;
        // with tx.interleave the chain de-interleaves before the decoder, as
        // the device does (and its block RAMs are in the figures)
        let mut blocks = vec![
            "rxdsp_eq",
            "rxdsp_eq_ffe",
            "rxdsp_eq_dfe",
            rtl::eq::MUL,
            rtl::rs::gearbox::GEARBOX,
            rtl::rs::DEC_TOP,
        ];
        if plan.interleave {
            blocks.push(rtl::rs::deinterleave::DEINTERLEAVE);
        }
        (
            rtl::rs::design_eq_fec(f, plan.parallel, code, s, plan.interleave),
            rtl::rs::chain::EQ_FEC_TOP,
            blocks,
            vec![
                ("rtl.parallel (P)", plan.parallel.to_string()),
                ("adc.bits", f.adc_bits.to_string()),
                ("ffe.taps (N)", f.ffe_taps.to_string()),
                ("dfe.taps (M)", f.dfe_taps.to_string()),
                ("tx.fec (code)", code.name().to_string()),
                ("tx.interleave", plan.interleave.to_string()),
                ("S (symbols per beat)", s.to_string()),
            ],
        )
    };
    let mut design = design.context("generating Verilog")?;
    decoder_rams(&mut design, target, Some((code, s)))?;
    let h = harness_for(top, &design.ports, &what)?;
    let files = write_design(plan, target, design, dir, &h)?;
    Ok((files, blocks.into_iter().map(String::from).collect()))
}

/// For ECP5, the block RAMs of a design holding the decoder for `fec` (the
/// code and S) become `DP16KD` instances with their output register
/// (`rtl::rs::use_ecp5_bram`); other targets, or no decoder, keep the
/// behavioural form.
fn decoder_rams(
    design: &mut rtl::Design,
    target: Target,
    fec: Option<(golden::fec::Code, usize)>,
) -> Result<()> {
    if let (Some((code, s)), Target::Ecp5_85k) = (fec, target) {
        rtl::rs::use_ecp5_bram(&mut design.files, code, s)
            .context("generating the ECP5 block RAMs")?;
    }
    Ok(())
}

/// For ECP5, the link emulator's block RAMs (channel tables, noise
/// thresholds) become `DP16KD` instances with their output register
/// (`rtl::emu::use_ecp5_bram`); other targets, or no tester, keep the
/// behavioural form.
fn emulator_rams(
    design: &mut rtl::Design,
    target: Target,
    bert: Option<&rtl::bert::BertParams>,
) -> Result<()> {
    if let (Some(b), Target::Ecp5_85k) = (bert, target) {
        rtl::emu::use_ecp5_bram(&mut design.files, &b.emu)
            .context("generating the emulator's ECP5 block RAMs")?;
    }
    Ok(())
}

/// Runs the flow for one plan: the equalizer alone, or with `tx.fec` set the
/// equalizer -> FEC chain at the default `S` (see [`synth_with`]).
pub fn synth_one(plan: &LinkPlan, pnr: &Pnr, dir: &Path) -> Result<SynthReport> {
    let fec = fec_choice(plan, None, false)?;
    synth_with(plan, fec.as_ref(), pnr, dir)
}

/// Runs the flow for one plan with an explicit FEC choice (`None`: the equalizer
/// alone), placing and routing as `pnr` says.
pub fn synth_with(
    plan: &LinkPlan,
    fec: Option<&FecChoice>,
    pnr: &Pnr,
    dir: &Path,
) -> Result<SynthReport> {
    let target = pnr.target;
    if let Some(fec) = fec {
        let (files, blocks) = emit_fec(plan, fec, target, &dir.join("rtl"))?;
        let placer = placer_args(target, !fec.decoder_only);
        return run_harness(pnr, files, dir, blocks, placer);
    }
    let files = emit(plan, target, &dir.join("rtl"))?;
    let mut blocks: Vec<String> = vec![
        "rxdsp_eq".into(),
        "rxdsp_eq_ffe".into(),
        rtl::eq::MUL.into(),
        "rxdsp_eq_dfe".into(),
    ];
    if plan.hw_adapt.is_some() {
        blocks.push(rtl::adapt::ENGINE.into());
    }
    run_harness(pnr, files, dir, blocks, placer_args(target, true))
}

/// nextpnr's placer arguments for a design on `target`; `with_eq`: the
/// design holds the equalizer (the equalizer alone, the chain, the BER
/// tester), as against the RS decoder alone.
///
/// ECP5 designs with the equalizer place with HeAP's timing weight at 30
/// (nextpnr 0.11's default is 10): their worst paths are long routes (a
/// coefficient or sample register to a multiplier across the die, the chain's
/// control routes), which the weight pulls shorter. Measured in session 15
/// (docs/rtl-fec.md "Session 15"; seeds 1 / 2 / 3, MHz): the chain 151.26 /
/// 144.01 / 156.23 against 145.16 / 147.56 / 152.37 at the default weight,
/// the equalizer 159.31 / 169.98 / 170.44 against 153.9 / 162.9 / 164.6.
/// The decoder alone keeps the default: at 30 it measured 140.43 / 161.21 /
/// 148.10 against 149.05 / 150.17 / 157.33.
pub fn placer_args(target: Target, with_eq: bool) -> Vec<String> {
    match (target, with_eq) {
        (Target::Ecp5_85k, true) => vec!["--placer-heap-timingweight".into(), "30".into()],
        _ => Vec::new(),
    }
}

/// Synthesizes, places and routes the harness top `files` (the harness
/// last) with its clock `clk` as `pnr` says and the extra nextpnr arguments
/// `pnr_args`, in `<dir>/<target>`, reporting `blocks` one by one.
fn run_harness(
    pnr: &Pnr,
    files: Vec<PathBuf>,
    dir: &Path,
    blocks: Vec<String>,
    pnr_args: Vec<String>,
) -> Result<SynthReport> {
    let mut req = SynthRequest::new(pnr.target, files, HARNESS_TOP);
    req.pnr_args = pnr_args;
    req.router = pnr.router;
    req.clock_port = "clk".into();
    req.freq_mhz = pnr.freq;
    req.seeds = (1..=pnr.seeds).collect();
    req.work_dir = dir.join(pnr.target.name());
    req.blocks = blocks;
    let mut log = |line: &str| eprintln!("[synth] {line}");
    Ok(synth::run(&req, &mut log)?)
}

/// Runs the flow for the device top with the BER tester (`rxdsp synth
/// --bert`): the byte bridge, the CSR block, the equalizer (with the
/// adaptation engine when `adapt.in_rtl`), the link emulator and the checker
/// ([`rtl::top::build_device`]); each block's resources are reported.
pub fn synth_bert(plan: &LinkPlan, pnr: &Pnr, dir: &Path) -> Result<SynthReport> {
    let target = pnr.target;
    let f = &plan.format;
    let code = golden::link::fec_code(plan.fec);
    let chain = rtl::rs::FecParams::of_plan(plan);
    let bert = rtl::bert::BertParams::new(f, plan.parallel).with_fec(chain);
    let adapt = plan.hw_adapt.as_ref().map(|h| &h.params);
    let blocks = rtl::top::DeviceBlocks {
        adapt,
        bert: Some(&bert),
        fec: chain,
    };
    let mut design =
        rtl::top::design_device(f, plan.parallel, blocks).context("generating Verilog")?;
    decoder_rams(&mut design, target, blocks.fec.map(|f| (f.code, f.symbols)))?;
    emulator_rams(&mut design, target, Some(&bert))?;
    let what = [
        ("rtl.parallel (P)", plan.parallel.to_string()),
        ("adc.bits", f.adc_bits.to_string()),
        ("ffe.taps (N)", f.ffe_taps.to_string()),
        ("dfe.taps (M)", f.dfe_taps.to_string()),
        ("tx.fec", code.map_or("none", |c| c.name()).to_string()),
        ("emulator taps (T)", bert.emu.taps.to_string()),
        ("checker max delay", bert.check.max_delay.to_string()),
    ];
    let h = harness_for(rtl::top::DEVICE_TOP, &design.ports, &what)?;
    let files = write_design(plan, target, design, &dir.join("rtl"), &h)?;
    let mut blocks: Vec<String> = vec![
        "rxdsp_eq".into(),
        rtl::emu::TOP.into(),
        rtl::check::TOP.into(),
        rtl::csr::CSR_MODULE.into(),
        rtl::bridge::BRIDGE_MODULE.into(),
    ];
    if plan.hw_adapt.is_some() {
        blocks.push(rtl::adapt::ENGINE.into());
    }
    if code.is_some() {
        blocks.push(rtl::rs::gearbox::GEARBOX.into());
        blocks.push(rtl::rs::DEC_TOP.into());
    }
    let placer = placer_args(target, true);
    run_harness(pnr, files, dir, blocks, placer)
}

/// One line on throughput for a report.
pub fn throughput_line(r: &SynthReport, parallel: usize) -> String {
    match r.fmax_mhz {
        Some(f) => {
            let t = synth::throughput(parallel as u32, f);
            let median = match &r.fmax_spread {
                Some(sp) => format!(
                    " MHz, median of {} seeds; {:.3}-{:.3} G symbols/s over min-max",
                    sp.seeds,
                    parallel as f64 * sp.min_mhz / 1e3,
                    parallel as f64 * sp.max_mhz / 1e3
                ),
                None => " MHz".into(),
            };
            format!(
                "throughput {:.3} G symbols/s = {:.1} Gb/s (P = {parallel} x {f:.1}{median}){}",
                t.symbols_per_s / 1e9,
                t.gbps,
                if r.fmax_trustworthy {
                    ""
                } else {
                    " (Fmax not trustworthy: see notes)"
                }
            )
        }
        None => "throughput unknown: no clocked path".into(),
    }
}

/// `--sweep`: every point of the cartesian product of the given values.
pub fn sweep(
    base: &[String],
    config: Option<&Path>,
    spec: &[String],
    pnr: &Pnr,
    out: &Path,
) -> Result<Vec<SweepRow>> {
    let sw = Sweep::from_args(spec.iter().map(String::as_str))?;
    let mut rows = Vec::new();
    for point in sw.points() {
        let mut sets = base.to_vec();
        for (k, v) in &point {
            let key = if k == "parallel" {
                "rtl.parallel"
            } else {
                k.as_str()
            };
            if !key.contains('.') {
                bail!("--sweep key '{k}': use section.key (e.g. ffe.taps) or parallel");
            }
            sets.push(format!("{key}={v}"));
        }
        let cfg = rxdsp::cfgload::load(config, &sets)?;
        let plan = cfg
            .resolve()
            .with_context(|| format!("sweep point {point:?}"))?;
        let dir = out.join(synth::sweep::slug(&point));
        eprintln!("[synth] sweep point {}", synth::sweep::slug(&point));
        let outcome = synth_one(&plan, pnr, &dir).map_err(|e| format!("{e:#}"));
        rows.push(SweepRow {
            assignment: point,
            outcome,
            parallel: Some(plan.parallel as u32),
            ffe_taps: Some(plan.format.ffe_taps as u32),
        });
    }
    Ok(rows)
}

/// Default UART baud rate of the board top (the serial transport's default too).
pub const DEFAULT_BAUD: u32 = 115_200;

/// What a board build makes: the board, the UART's baud rate, the device
/// with the BER tester or not, the router, and an optional PLL between the
/// oscillator and the design.
#[derive(Clone, Copy, Debug)]
pub struct BoardBuild {
    /// the board (pins, oscillator)
    pub board: synth::bitstream::Board,
    /// the UART's baud rate
    pub baud: u32,
    /// the device with the BER tester
    pub bert: bool,
    /// nextpnr's router
    pub router: Router,
    /// the design's clock from the oscillator through the ECP5 PLL
    pub pll: Option<rtl::pll::Pll>,
}

impl BoardBuild {
    /// The design's clock, Hz: the PLL's output (rounded to a whole Hz), or
    /// the board's oscillator.
    pub fn clock_hz(&self) -> u64 {
        self.pll.map_or(self.board.clock_hz(), |p| p.out_hz_round())
    }
}

/// The board flow: generates the board top (`rxdsp_board_top`: UART +
/// `rxdsp_top`, with `b.pll` the PLL wrapper around them) for `plan` with
/// the UART divisor from the design's clock and `b.baud` into `<dir>/rtl/`
/// (one `.v` file per module and `rxdsp_board.f`), then synthesizes, places
/// and routes it at that clock with the board's pins and packs
/// `<dir>/<board>/rxdsp_board_top.bit`, routing with `b.router`.
pub fn synth_board(
    plan: &LinkPlan,
    b: &BoardBuild,
    dir: &Path,
) -> Result<synth::bitstream::BitstreamReport> {
    let (board, bert) = (b.board, b.bert);
    let bp = rtl::board::BoardParams {
        uart: rtl::uart::UartParams {
            clk_hz: b.clock_hz(),
            baud: b.baud,
        },
        leds_active_low: board.leds_active_low(),
        pll: b.pll,
    };
    let rtl_dir = dir.join("rtl");
    // the device `rxdsp stream` / `rxdsp bert` needs for this plan: the
    // decoder chain with tx.fec, the tester (framing that code) with --bert
    let chain = rtl::rs::FecParams::of_plan(plan);
    let tester =
        bert.then(|| rtl::bert::BertParams::new(&plan.format, plan.parallel).with_fec(chain));
    let blocks = rtl::top::DeviceBlocks {
        bert: tester.as_ref(),
        fec: chain,
        ..Default::default()
    };
    let mut design = rtl::board::design_device(&plan.format, plan.parallel, &bp, blocks)
        .with_context(|| format!("generating the board top for {board}"))?;
    // a board is an ECP5
    decoder_rams(
        &mut design,
        Target::Ecp5_85k,
        blocks.fec.map(|f| (f.code, f.symbols)),
    )?;
    emulator_rams(&mut design, Target::Ecp5_85k, tester.as_ref())?;
    std::fs::create_dir_all(&rtl_dir).with_context(|| format!("creating {}", rtl_dir.display()))?;
    let mut files = Vec::new();
    for (n, text) in &design.files {
        let p = rtl_dir.join(n);
        rxdsp::samples::write_atomic(&p, text.as_bytes())
            .with_context(|| format!("writing {}", p.display()))?;
        files.push(p);
    }
    let fl = rtl_dir.join(rtl::board::BOARD_FILELIST);
    rxdsp::samples::write_atomic(&fl, design.filelist().as_bytes())
        .with_context(|| format!("writing {}", fl.display()))?;
    let mut req = SynthRequest::new(Target::Ecp5_85k, files, rtl::board::BOARD_TOP);
    // the registers' clock: the oscillator's pin, or the PLL's output net
    // (nextpnr derives its constraint from the pin's through the PLL;
    // --freq covers it too)
    req.clock_port = if b.pll.is_some() {
        rtl::pll::CORE_CLOCK.into()
    } else {
        "clk".into()
    };
    req.freq_mhz = b.clock_hz() as f64 / 1e6;
    req.work_dir = dir.join(board.name());
    req.blocks = vec![
        "rxdsp_eq".into(),
        rtl::bridge::BRIDGE_MODULE.into(),
        rtl::uart::UART_MODULE.into(),
    ];
    if bert {
        req.blocks.push(rtl::emu::TOP.into());
        req.blocks.push(rtl::check::TOP.into());
    }
    if chain.is_some() {
        req.blocks.push(rtl::rs::gearbox::GEARBOX.into());
        req.blocks.push(rtl::rs::DEC_TOP.into());
    }
    req.router = b.router;
    let mut log = |line: &str| eprintln!("[synth] {line}");
    Ok(synth::bitstream::build_bitstream(
        &req, board, None, &mut log,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(sets: &[&str]) -> LinkPlan {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        rxdsp::cfgload::load(None, &sets)
            .unwrap()
            .resolve()
            .unwrap()
    }

    /// The tester's ECP5 build takes the emulator with `DP16KD` block RAMs
    /// (their output register on), beside the decoder's; other targets
    /// keep the behavioural memories.
    #[test]
    fn ecp5_bert_build_swaps_in_the_emulators_block_rams() {
        let p = plan(&["tx.fec=\"kp4\""]);
        let chain = rtl::rs::FecParams::of_plan(&p);
        let bert = rtl::bert::BertParams::new(&p.format, p.parallel).with_fec(chain);
        let blocks = rtl::top::DeviceBlocks {
            bert: Some(&bert),
            fec: chain,
            ..Default::default()
        };
        let emu_file = format!("{}.v", rtl::emu::TOP);
        for (target, swapped) in [(Target::Ecp5_85k, true), (Target::Ice40Hx8k, false)] {
            let mut d = rtl::top::design_device(&p.format, p.parallel, blocks).unwrap();
            emulator_rams(&mut d, target, Some(&bert)).unwrap();
            let (_, text) = d.files.iter().find(|(n, _)| *n == emu_file).unwrap();
            assert_eq!(text.contains("DP16KD #"), swapped, "{target:?}");
            assert_eq!(text.contains("\"OUTREG\""), swapped, "{target:?}");
        }
    }

    /// Designs with the equalizer on ECP5 place with the timing weight; the
    /// decoder alone and iCE40 designs with nextpnr's defaults.
    #[test]
    fn placer_weight_goes_with_the_equalizer_on_ecp5() {
        assert_eq!(
            placer_args(Target::Ecp5_85k, true),
            ["--placer-heap-timingweight", "30"]
        );
        assert!(placer_args(Target::Ecp5_85k, false).is_empty());
        assert!(placer_args(Target::Ice40Hx8k, true).is_empty());
    }

    #[test]
    fn fec_choice_follows_the_config() {
        assert_eq!(proto::regmap::default_fec_symbols(1), 1);
        assert_eq!(proto::regmap::default_fec_symbols(8), 2);
        assert_eq!(proto::regmap::default_fec_symbols(32), 8);
        assert_eq!(fec_choice(&plan(&[]), None, false).unwrap(), None);
        let e = fec_choice(&plan(&[]), None, true).unwrap_err();
        assert!(e.to_string().contains("tx.fec"), "{e}");
        let p = plan(&["tx.fec=kp4"]);
        let f = fec_choice(&p, None, false).unwrap().unwrap();
        assert_eq!((f.code, f.symbols, f.pam4_per_clock(&p)), (Code::Kp4, 2, 8));
        let f = fec_choice(&p, Some(8), true).unwrap().unwrap();
        assert_eq!(f.pam4_per_clock(&p), 40);
        // the gearbox needs 5S > P; the decoder alone does not
        assert!(fec_choice(&p, Some(1), false).is_err());
        assert!(fec_choice(&p, Some(1), true).is_ok());
        assert!(fec_choice(&p, Some(17), true).is_err());
    }

    #[test]
    fn harness_connects_every_port_and_lints() {
        for (sets, il) in [
            (vec!["tx.fec=kr4"], false),
            (vec!["tx.fec=kr4", "tx.interleave=true"], true),
        ] {
            let p = plan(&sets);
            let f = fec_choice(&p, None, false).unwrap().unwrap();
            let dir =
                std::env::temp_dir().join(format!("rxdsp-fec-harness-{}-{il}", std::process::id()));
            // the generic multiplier: Verilator has no MULT18X18D
            let (files, blocks) = emit_fec(&p, &f, Target::Ice40Hx8k, &dir).unwrap();
            assert!(blocks.contains(&rtl::rs::DEC_TOP.to_string()));
            let di = rtl::rs::deinterleave::DEINTERLEAVE.to_string();
            assert_eq!(blocks.contains(&di), il, "{blocks:?}");
            let h = std::fs::read_to_string(dir.join(format!("{HARNESS_TOP}.v"))).unwrap();
            let d = rtl::rs::design_eq_fec(&p.format, p.parallel, f.code, f.symbols, il).unwrap();
            for port in &d.ports {
                assert!(h.contains(&format!(".{}(", port.name)), "{}", port.name);
            }
            // (Verilator: a failure when CI lacks it, a skip elsewhere)
            if testkit::have_verilator() {
                let o = std::process::Command::new("verilator")
                    .args(["--lint-only", "-Wall", "--top-module", HARNESS_TOP])
                    .args(&files)
                    .output()
                    .unwrap();
                let msg = String::from_utf8_lossy(&o.stderr);
                assert!(o.status.success() && msg.trim().is_empty(), "{msg}");
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}
