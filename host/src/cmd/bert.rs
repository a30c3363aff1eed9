//! `rxdsp bert`: a BER run on the device's own link emulator and checker.
//!
//! The host configures the device from the plan (the emulator's integers as
//! `link.model = "emulator"` defines them, the equalizer's coefficients as
//! `rxdsp sim` chooses them, the checker's alignment as `rxdsp sim` counts),
//! starts it, polls the checker's counters, and writes the report of
//! `rxdsp sim --set link.model='"emulator"'` for the same symbols, plus a
//! `device` object. Only counters cross the link.
//!
//! Run length: `--symbols N` (or `link.symbols`) counts exactly the symbols
//! `rxdsp sim` counts. `--errors E` and `--seconds S` run open-ended and then
//! land on a limit a little ahead of the running count, so the report is again
//! that of `rxdsp sim --symbols <reported symbols>`. `--target-ber B` stops as
//! soon as the one-sided Clopper-Pearson bound at `--confidence C` proves the
//! BER below B (PASS, exit 0) or above it (FAIL, exit 1); a run that ends
//! undecided is a FAIL (not proven).

use super::args::{ConfigArgs, RunArgs};
use super::{write_file, Mismatch};
use anyhow::{bail, Context, Result};
use clap::Args;
use golden::check::{regs_for, CheckCounts, CheckRegs};
use golden::config::{EqMethod, LinkPlan};
use golden::link::{self, EqReport, ReportExtras, TimingReport};
use rxdsp::confidence::{BerTarget, Verdict};
use rxdsp::device::bert::BertPoll;
use rxdsp::device::{Device, DeviceBuild, Options};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// `rxdsp bert`.
#[derive(Args)]
pub struct BertArgs {
    /// device URI: sim:, tcp://HOST:PORT or serial:///dev/ttyUSB0?baud=N
    #[arg(long)]
    device: String,
    #[command(flatten)]
    cfg: ConfigArgs,
    #[command(flatten)]
    run: RunArgs,
    /// run until this many bit errors are counted (then land on a limit)
    #[arg(long, conflicts_with_all = ["symbols", "seconds"])]
    errors: Option<u64>,
    /// run for this many seconds (then land on a limit)
    #[arg(long, allow_negative_numbers = true, conflicts_with_all = ["symbols", "errors"])]
    seconds: Option<f64>,
    /// stop as soon as the BER is proven below (PASS, exit 0) or above (FAIL, exit 1) this
    #[arg(long)]
    target_ber: Option<f64>,
    /// confidence of the --target-ber verdict (one-sided Clopper-Pearson)
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// write the JSON report here
    #[arg(long)]
    report: Option<PathBuf>,
    /// milliseconds between two polls of the counters (a board; a simulated
    /// device runs a fixed number of cycles between polls)
    #[arg(long, default_value_t = 250)]
    poll_ms: u64,
    /// response timeout in milliseconds
    #[arg(long, default_value_t = 1500)]
    timeout_ms: u64,
    /// retransmissions before giving up
    #[arg(long, default_value_t = 8)]
    retries: u32,
}

/// What ends a run.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Goal {
    /// exactly this many symbols (the checker's limit from the start)
    Symbols(u64),
    /// `--target-ber` alone: until the verdict
    Verdict,
    /// this many bit errors
    Errors(u64),
    /// this much wall time
    Seconds(f64),
}

/// The largest run: the bit counter (two bits a symbol) must not wrap.
const MAX_SYMBOLS: u64 = u64::MAX / 2;
/// The fastest clock a device is assumed to run at (for the `--seconds` range).
const MAX_CLOCK_HZ: f64 = 1e9;
/// Polls without progress after which a landing run has failed.
const LANDING_POLLS: u32 = 20;
/// Clock cycles a simulated device runs between two polls at most.
const SIM_POLL_CYCLES: u64 = 1 << 18;

/// The plan of a BER run: the configuration with `link.model = "emulator"`;
/// what the device cannot run is refused here, before anything is opened.
fn bert_plan(a: &BertArgs) -> Result<(LinkPlan, Goal, Option<BerTarget>)> {
    let mut cfg = a.cfg.load()?;
    if let Some(n) = a.run.symbols {
        cfg.link.symbols = n;
    }
    if let Some(s) = a.run.seed {
        cfg.link.seed = s;
    }
    cfg.link.model = golden::config::LinkModel::Emulator;
    let plan = a.cfg.plan_of(&cfg)?;
    if plan.hw_adapt.is_some() {
        bail!("adapt.in_rtl = true: rxdsp bert runs fixed coefficients (the adaptive run is not built yet)");
    }
    if !(a.confidence > 0.0 && a.confidence < 1.0) {
        bail!("--confidence {}: must be in (0, 1)", a.confidence);
    }
    if let Some(b) = a.target_ber {
        BerTarget::new(b, a.confidence).map_err(|e| anyhow::anyhow!("--target-ber {b}: {e}"))?;
    }
    let goal = match (a.errors, a.seconds) {
        (Some(0), _) => bail!("--errors 0: nothing to count"),
        (Some(e), _) => Goal::Errors(e),
        (_, Some(s)) if !(s > 0.0 && s.is_finite()) => bail!("--seconds {s}: must be > 0"),
        (_, Some(s)) => Goal::Seconds(s),
        // a verdict alone runs until it is reached
        _ if a.target_ber.is_some() && a.run.symbols.is_none() => Goal::Verdict,
        _ => Goal::Symbols(plan.symbols),
    };
    if plan.symbols > MAX_SYMBOLS {
        bail!(
            "{} symbols: beyond the checker's 64-bit bit counter (at most {MAX_SYMBOLS})",
            plan.symbols
        );
    }
    // at P symbols a clock and at most MAX_CLOCK_HZ, the counters must not wrap
    let max_seconds = MAX_SYMBOLS as f64 / (plan.parallel as f64 * MAX_CLOCK_HZ);
    if let Goal::Seconds(s) = goal {
        if s > max_seconds {
            bail!(
                "--seconds {s}: beyond the checker's 64-bit counters (at most {max_seconds:.3e} s at P = {} and {:.0} MHz)",
                plan.parallel,
                MAX_CLOCK_HZ / 1e6
            );
        }
    }
    let target = match a.target_ber {
        Some(b) => Some(BerTarget::new(b, a.confidence)?),
        None => None,
    };
    Ok((plan, goal, target))
}

/// Opens the device and checks it can run `plan`: its format, its P, its
/// BER tester and the emulator's channel length.
fn open(a: &BertArgs, plan: &LinkPlan) -> Result<Device> {
    let opts = Options {
        timeout: Duration::from_millis(a.timeout_ms.max(1)),
        retries: a.retries,
    };
    if a.device.starts_with("sim:") {
        eprintln!(
            "[rxdsp] building the Verilated device with the BER tester (P = {}; the first build takes a few minutes, then it is cached)",
            plan.parallel
        );
    }
    let dev = Device::open_build(&a.device, &DeviceBuild::bert_of_plan(plan), opts)
        .with_context(|| format!("opening {}", a.device))?;
    let info = dev.info();
    if info.format != plan.format || info.parallel != plan.parallel {
        bail!(
            "{} was built for P = {} and {:?}; the configuration asks for P = {} and {:?}",
            a.device,
            info.parallel,
            info.format,
            plan.parallel,
            plan.format
        );
    }
    if dev.bert().is_none() {
        bail!(
            "{} has no BER tester (no emu/check blocks: a bitstream or server built without --bert)",
            a.device
        );
    }
    if let Some(code) = link::fec_code(plan.fec) {
        let has = dev.fec().and_then(|f| rxdsp::device::fec::code_of(&f));
        if has != Some(code) || !dev.has_register("fec.symbol_errors") {
            bail!(
                "{} cannot check tx.fec = \"{}\": its BER tester has no {} decoder with reference counters (its decoder: {})",
                a.device,
                code.name(),
                code.name(),
                has.map_or("none", |c| c.name())
            );
        }
        let il = dev.fec().is_some_and(|f| f.interleave);
        if il != plan.interleave {
            bail!(
                "{} cannot check tx.interleave = {}: its BER tester {} codewords (build it with tx.interleave = {})",
                a.device,
                plan.interleave,
                if il { "interleaves" } else { "does not interleave" },
                plan.interleave
            );
        }
    }
    Ok(dev)
}

/// The emulator's configuration writes for `plan` on `dev`.
fn emu_writes(dev: &Device, plan: &LinkPlan) -> Result<Vec<(usize, u64)>> {
    let b = dev.bert().expect("checked at open");
    Ok(rtl::emu::plan_writes(plan, b.emu_taps as usize)?)
}

/// Runs `rxdsp bert`.
pub fn run(a: BertArgs) -> Result<()> {
    let (plan, goal, target) = bert_plan(&a)?;
    // Methods that learn from samples use min(adapt.symbols, symbols) of
    // them: an open-ended run learns from adapt.symbols and lands at or past
    // it, so `rxdsp sim --symbols <landed>` learns the same coefficients.
    let learns = matches!(
        plan.method,
        EqMethod::None | EqMethod::Lms | EqMethod::SignSign
    );
    let mut learn_plan = plan.clone();
    let floor = match goal {
        Goal::Symbols(n) => n.min(plan.adapt_symbols),
        _ => {
            learn_plan.symbols = plan.symbols.max(plan.adapt_symbols);
            plan.adapt_symbols
        }
    };
    let eqr = link::choose_coeffs(&learn_plan, super::threads(None), None)
        .context("choosing the equalizer's coefficients")?;
    let mut regs = regs_for(&plan, eqr.delay);
    if goal == Goal::Symbols(plan.symbols) && plan.symbols <= regs.skip {
        bail!(
            "{} symbols count nothing: the first {} are the receiver's start-up (use more)",
            plan.symbols,
            regs.skip
        );
    }
    if goal != Goal::Symbols(plan.symbols) {
        regs.limit = 0;
    }
    let mut dev = open(&a, &plan)?;
    let writes = emu_writes(&dev, &plan)?;
    let coeffs = eqr.coeffs();
    let run = Run {
        goal,
        target,
        wall: Duration::from_millis(a.poll_ms.max(1)),
        regs,
        floor: if learns { floor } else { 0 },
        fec: link::fec_sof_index(&plan, eqr.delay).map(|sof| FecRun {
            sof,
            delay: eqr.delay,
        }),
    };
    // the decoder's alignment and its codeword limit go in before the run
    set_fec_limit(&mut dev, &plan, &run, regs.limit)?;
    dev.bert_start(&coeffs, &writes, &regs)
        .context("starting the BER tester")?;
    let t0 = Instant::now();
    let out = drive(&mut dev, &plan, &run);
    let secs = t0.elapsed().as_secs_f64();
    // the decoder finishes its last codewords while the emulator runs on
    let done = match &out {
        Ok(o) => finish(&a, &mut dev, plan, eqr, &run, o, secs),
        Err(_) => Ok(()),
    };
    // the device goes back to the host's samples whatever happened
    let stopped = dev.bert_stop().context("stopping the BER tester");
    out?;
    done?;
    stopped
}

/// How a run ended.
struct Outcome {
    /// the final counters
    poll: BertPoll,
    /// symbols of the run (the checker's limit)
    symbols: u64,
    /// polls made
    polls: u64,
    /// the verdict, with `--target-ber`
    verdict: Option<Verdict>,
}

/// What a run is asked to do.
struct Run {
    goal: Goal,
    target: Option<BerTarget>,
    /// time between polls on a board
    wall: Duration,
    /// the checker's registers at the start
    regs: CheckRegs,
    /// the smallest limit a landing may take (the symbols a learning
    /// equalizer method must have seen)
    floor: u64,
    /// the RS decoder's alignment (`tx.fec`)
    fec: Option<FecRun>,
}

/// Where the device's RS decoder counts from.
#[derive(Clone, Copy, Debug)]
struct FecRun {
    /// the decided symbol that starts the first counted codeword
    sof: u64,
    /// the equalizer's decision delay
    delay: usize,
}

/// Sets the decoder's alignment and the codewords it counts for a run of
/// `limit` received symbols (0: open-ended), the whole codewords `rxdsp
/// sim` decodes in it (`golden::link::fec_frames`). No codeword at all is
/// not a limit the register can say (0 counts all): the report then has
/// none, whatever the device counts.
fn set_fec_limit(dev: &mut Device, plan: &LinkPlan, run: &Run, limit: u64) -> Result<()> {
    let Some(f) = run.fec else {
        return Ok(());
    };
    let codewords = match limit {
        0 => 0,
        n => link::fec_frames(plan, f.delay, n)
            .map_or(0, |(_, c)| c * link::fec_frame_codewords(plan)),
    };
    dev.fec_align(f.sof, codewords)
        .context("aligning the RS decoder")?;
    Ok(())
}

/// Polls the device until the goal or a verdict, then lands the run on an
/// exact limit.
fn drive(dev: &mut Device, plan: &LinkPlan, run: &Run) -> Result<Outcome> {
    let (goal, regs, wall) = (run.goal, &run.regs, run.wall);
    let pb =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    pb.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}").expect("static template"),
    );
    let t0 = Instant::now();
    // a simulated device: short first intervals (an early verdict or error
    // count is seen early), doubling up to a cap
    let mut cycles = 1u64 << 10;
    let cap = match goal {
        Goal::Symbols(n) => (n / plan.parallel as u64 / 8).clamp(1 << 10, SIM_POLL_CYCLES),
        _ => SIM_POLL_CYCLES,
    };
    let mut polls = 0u64;
    let mut last = 0u64;
    let mut step = 0u64;
    let (poll, verdict) = loop {
        dev.idle(cycles, wall)?;
        cycles = (2 * cycles).min(cap);
        let p = dev.bert_poll()?;
        polls += 1;
        health(&p)?;
        step = step.max(p.counts.symbols.saturating_sub(last));
        last = p.counts.symbols;
        let verdict = run
            .target
            .map(|t| t.verdict(p.counts.bit_errors, p.counts.bits));
        pb.set_message(progress_line(&p.counts, run, t0.elapsed().as_secs_f64()));
        let decided = matches!(verdict, Some(Verdict::Pass { .. } | Verdict::Fail { .. }));
        let reached = match goal {
            Goal::Symbols(_) => p.done,
            Goal::Verdict => false,
            Goal::Errors(e) => p.counts.bit_errors >= e,
            Goal::Seconds(s) => t0.elapsed().as_secs_f64() >= s,
        };
        // a verdict or a goal lands after two polls at least: `step` then
        // spans a whole poll (its reads, the snapshot's and the limit's
        // writes take thousands of clocks on a simulated device), which the
        // landing's margin below must cover; from the first poll alone it
        // was the clocks before the first snapshot
        if p.done || ((decided || reached) && polls >= 2) {
            break (p, verdict);
        }
    };
    pb.finish_and_clear();
    if poll.done {
        return Ok(Outcome {
            symbols: regs.limit,
            poll,
            polls,
            verdict,
        });
    }
    // land on a limit ahead of the running count (never past the one asked
    // for), then wait for it
    let margin = 2 * step + plan.parallel as u64 * 4096;
    let mut limit = (regs.skip + poll.counts.symbols + margin).max(run.floor);
    if regs.limit != 0 {
        limit = limit.min(regs.limit);
    }
    set_fec_limit(dev, plan, run, limit)?;
    dev.bert_set_limit(limit)?;
    let too_late = |n: u64| -> anyhow::Error {
        Mismatch(format!(
            "the checker counted {n} symbols for a limit of {limit} (skip {}): the limit came too late",
            regs.skip
        ))
        .into()
    };
    let mut still = 0;
    loop {
        dev.idle(cycles, wall)?;
        let p = dev.bert_poll()?;
        polls += 1;
        health(&p)?;
        // past the limit already, or no longer counting without reaching it
        still = if p.counts.symbols == last {
            still + 1
        } else {
            0
        };
        last = p.counts.symbols;
        if p.counts.symbols > limit - regs.skip || (!p.done && still >= LANDING_POLLS) {
            return Err(too_late(p.counts.symbols));
        }
        if p.done {
            if p.counts.symbols != limit - regs.skip {
                return Err(too_late(p.counts.symbols));
            }
            let verdict = run
                .target
                .map(|t| t.verdict(p.counts.bit_errors, p.counts.bits));
            return Ok(Outcome {
                poll: p,
                symbols: limit,
                polls,
                verdict,
            });
        }
    }
}

/// A checker that lost words has counted wrong: a verification failure.
fn health(p: &BertPoll) -> Result<()> {
    if p.overflow || p.underflow {
        return Err(Mismatch(format!(
            "the checker lost words (overflow {}, underflow {}): its counts are not the link's",
            p.overflow, p.underflow
        ))
        .into());
    }
    Ok(())
}

/// The progress line ([`rxdsp::bert_progress`]): counts so far, the error
/// ratio, the rate, and the time to the goal, or to a verdict with
/// `--target-ber`.
fn progress_line(c: &CheckCounts, run: &Run, secs: f64) -> String {
    use rxdsp::bert_progress as bp;
    let goal = match (run.target, run.goal) {
        (Some(t), _) => bp::Goal::Target(t),
        // the checker counts the symbols after the warm-up
        (None, Goal::Symbols(n)) => bp::Goal::Symbols(n.saturating_sub(run.regs.skip)),
        (None, Goal::Errors(e)) => bp::Goal::Errors(e),
        (None, Goal::Seconds(s)) => bp::Goal::Seconds(s),
        // (a verdict goal always has a target)
        (None, Goal::Verdict) => bp::Goal::Seconds(f64::INFINITY),
    };
    let p = bp::Progress {
        symbols: c.symbols,
        bits: c.bits,
        bit_errors: c.bit_errors,
        seconds: secs,
    };
    bp::progress_line(&p, &goal)
}

/// The device's FEC counts for a run of `symbols` received symbols, as the
/// deframer of `rxdsp sim` holds them: waits for the decoder to finish the
/// run's last codeword (the emulator keeps it fed), then reads the `fec`
/// block.
fn fec_report(
    dev: &mut Device,
    plan: &LinkPlan,
    f: FecRun,
    symbols: u64,
    wall: Duration,
) -> Result<golden::framing::Deframer> {
    let code = link::fec_code(plan.fec).context("tx.fec names no code")?;
    // frames of one codeword, or two with the interleave
    let (skipped, counted) = link::fec_frames(plan, f.delay, symbols)
        .map(|(s, c)| {
            let ways = link::fec_frame_codewords(plan);
            (s * ways, c * ways)
        })
        .context("tx.fec names no code")?;
    let first_valid = link::warmup_symbols(plan, f.delay) - f.delay as u64;
    let mut d =
        golden::framing::Deframer::new(code, plan.pattern, plan.seed, plan.interleave, first_valid);
    d.skipped_codewords = skipped;
    if counted == 0 {
        return Ok(d);
    }
    // the decoder's pipeline is about three codewords of input beats (and
    // the de-interleave holds a frame of two)
    let cycles = (4 + 2 * (link::fec_frame_codewords(plan) - 1))
        * (5 * code.n() / plan.parallel) as u64
        + 256;
    dev.fec_wait_done(cycles, wall, 64)
        .context("waiting for the RS decoder")?;
    let c = dev
        .fec_counts()
        .context("reading the RS decoder's counters")?;
    if c.stats.codewords != counted {
        return Err(Mismatch(format!(
            "the RS decoder counted {} codewords, the run has {counted}",
            c.stats.codewords
        ))
        .into());
    }
    let r = c
        .reference
        .context("the device's decoder has no reference counters")?;
    d.stats = c.stats;
    d.symbols = counted * code.n() as u64;
    d.symbol_errors = r.symbol_errors;
    d.bits = counted * 10 * code.k() as u64;
    d.bit_errors = r.post_bit_errors;
    d.miscorrected = r.miscorrected;
    Ok(d)
}

/// Writes the report and prints the summary and the verdict.
fn finish(
    a: &BertArgs,
    dev: &mut Device,
    mut plan: LinkPlan,
    eqr: EqReport,
    run: &Run,
    out: &Outcome,
    secs: f64,
) -> Result<()> {
    let (fec, wall) = (run.fec, run.wall);
    plan.symbols = out.symbols;
    let counter = out.poll.counts.counter();
    let deframer = match fec {
        Some(f) => Some(fec_report(dev, &plan, f, out.symbols, wall)?),
        None => None,
    };
    let report = link::assemble_report(
        &plan,
        eqr,
        &counter,
        deframer.as_ref(),
        ReportExtras {
            timing: TimingReport {
                seconds: secs,
                symbols_per_second: out.symbols as f64 / secs.max(1e-9),
                threads: 1,
            },
            adaptation: None,
            cdr: None,
            emulator: link::emu_report(&plan)?,
        },
    );
    print!("{}", super::report::summary(&plan, &report));
    let info = dev.info();
    let device = serde_json::json!({
        "uri": a.device,
        "transport": dev.describe(),
        "parallel": info.parallel,
        "symbols_per_second": out.symbols as f64 / secs.max(1e-9),
        "seconds": secs,
        "polls": out.polls,
        "verdict": out.verdict.as_ref().map(|v| verdict_json(v, run_target(a))),
    });
    println!(
        "device     {} symbols in {:.2} s ({:.3e} symbols/s), {} polls",
        out.symbols,
        secs,
        out.symbols as f64 / secs.max(1e-9),
        out.polls
    );
    if let Some(p) = &a.report {
        let mut v = serde_json::to_value(&report).context("serializing the report")?;
        v["device"] = device;
        let text = serde_json::to_string_pretty(&v).context("serializing the report")?;
        write_file(p, text.as_bytes())?;
        println!("report     {}", p.display());
    }
    let Some(v) = &out.verdict else {
        return Ok(());
    };
    let (b, c) = run_target(a);
    let bits = out.poll.counts.bits;
    let errs = out.poll.counts.bit_errors;
    match v {
        Verdict::Pass { upper } => {
            println!(
                "PASS       BER < {upper:.3e} at {:.0} % confidence ({errs} errors in {bits} bits), below the target {b:.3e}",
                100.0 * c
            );
            Ok(())
        }
        Verdict::Fail { lower } => {
            println!(
                "FAIL       BER > {lower:.3e} at {:.0} % confidence ({errs} errors in {bits} bits), above the target {b:.3e}",
                100.0 * c
            );
            Err(Mismatch(format!("BER proven above the target {b:.3e}")).into())
        }
        Verdict::Undecided { lower, upper } => {
            println!(
                "FAIL       not proven: BER in [{lower:.3e}, {upper:.3e}] at {:.0} % confidence ({errs} errors in {bits} bits), the target {b:.3e} inside; run longer",
                100.0 * c
            );
            Err(Mismatch(format!(
                "BER not proven below the target {b:.3e} in this run"
            ))
            .into())
        }
    }
}

/// `--target-ber` and `--confidence` (the target is set when a verdict is).
fn run_target(a: &BertArgs) -> (f64, f64) {
    (a.target_ber.unwrap_or(0.0), a.confidence)
}

/// The verdict as the report's `device.verdict` object.
fn verdict_json(v: &Verdict, (ber, confidence): (f64, f64)) -> serde_json::Value {
    let (result, lower, upper) = match *v {
        Verdict::Pass { upper } => ("pass", None, Some(upper)),
        Verdict::Fail { lower } => ("fail", Some(lower), None),
        Verdict::Undecided { lower, upper } => ("undecided", Some(lower), Some(upper)),
    };
    serde_json::json!({
        "target_ber": ber,
        "confidence": confidence,
        "result": result,
        "lower": lower,
        "upper": upper,
    })
}
