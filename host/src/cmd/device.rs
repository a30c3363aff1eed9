//! `rxdsp serve` and `rxdsp stream`: the simulated device over TCP and the
//! host driver streaming a sample file through a device.

use super::args::{ConfigArgs, RxAdaptArgs, SampleIoArgs};
use super::{write_file, write_json};
use anyhow::{bail, Context, Result};
use clap::Args;
use rxdsp::device::{self, Device, Options};
use rxdsp::rxinput;
use rxdsp::samples;
use std::io::Write;
use std::time::{Duration, Instant};

/// `rxdsp serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// address to listen on, e.g. 127.0.0.1:7000 (port 0: any free port, printed)
    #[arg(long)]
    listen: String,
    #[command(flatten)]
    cfg: ConfigArgs,
    /// stop after this many connections (default: serve forever)
    #[arg(long)]
    sessions: Option<u64>,
    /// build the device with the BER tester (link emulator and checker) for
    /// `rxdsp bert`; its clock then runs all the time, as a board's does
    #[arg(long)]
    bert: bool,
}

/// `rxdsp stream`.
#[derive(Args)]
pub struct StreamArgs {
    /// device URI: sim:, tcp://HOST:PORT or serial:///dev/ttyUSB0?baud=N
    #[arg(long)]
    device: String,
    #[command(flatten)]
    cfg: ConfigArgs,
    #[command(flatten)]
    io: SampleIoArgs,
    #[command(flatten)]
    adapt: RxAdaptArgs,
    /// response timeout in milliseconds
    #[arg(long, default_value_t = 1500)]
    timeout_ms: u64,
    /// retransmissions before giving up
    #[arg(long, default_value_t = 8)]
    retries: u32,
}

/// Runs `rxdsp serve`.
pub fn serve(a: ServeArgs) -> Result<()> {
    let plan = a.cfg.plan()?;
    let mut build = device::DeviceBuild::of_plan(&plan);
    build.bert = a.bert;
    let l = std::net::TcpListener::bind(&a.listen)
        .with_context(|| format!("listening on {}", a.listen))?;
    let addr = l.local_addr().context("local address")?;
    eprintln!(
        "[rxdsp] building the Verilated device (P = {}; the first build takes ~30 s, then it is cached)",
        plan.parallel
    );
    let t0 = Instant::now();
    // build before announcing, so a client never waits on the compiler
    sim::device::DeviceSim::new_device(
        &plan.format,
        plan.parallel,
        build.adapt.as_ref(),
        build.bert,
        build.fec,
    )
    .context("building the device")?;
    println!(
        "serving   rxdsp_top (P = {}, N = {}, M = {}{}) on tcp://{addr} (ready in {:.1} s)",
        plan.parallel,
        plan.format.ffe_taps,
        plan.format.dfe_taps,
        match (build.adapt.is_some(), build.bert) {
            (true, true) => ", adaptation engine, BER tester",
            (true, false) => ", adaptation engine",
            (false, true) => ", BER tester",
            (false, false) => "",
        },
        t0.elapsed().as_secs_f64()
    );
    std::io::stdout().flush().ok();
    let r = device::serve::serve_build(&l, &build, a.sessions)?;
    println!(
        "served    {} sessions, {} bytes in, {} bytes out, {} cycles",
        r.sessions, r.bytes_in, r.bytes_out, r.cycles
    );
    Ok(())
}

#[derive(serde::Serialize)]
struct StreamReport {
    rxdsp_version: &'static str,
    device: String,
    input: String,
    symbols: u64,
    bits: u64,
    equalizer: golden::link::EqReport,
    seconds: f64,
    symbols_per_second: f64,
    device_stats: device::DeviceStats,
    link: device::LinkCounters,
    /// the device's adaptation engine: its trajectory read from the device
    #[serde(skip_serializing_if = "Option::is_none")]
    adaptation: Option<golden::adapt_link::AdaptReport>,
    /// with `tx.fec`: the device decoder's counts (de-interleaved with `tx.interleave`), checked
    /// against the golden decoder on the same decisions
    #[serde(skip_serializing_if = "Option::is_none")]
    fec: Option<StreamFec>,
}

/// The `fec` object of a `stream` report.
#[derive(serde::Serialize)]
struct StreamFec {
    /// the counts the device's decoder gave (the keys of `rxdsp rx`'s `fec`)
    #[serde(flatten)]
    counts: rxdsp::rxinput::FecCounts,
    /// S, the device decoder's FEC symbols per beat
    symbols_per_beat: usize,
    /// `fec.digest`, equal to the golden decoder's
    digest: String,
}

/// Checks that the device has the decoder `plan` asks for, aligns it and
/// limits it to the whole codewords of `symbols` decisions; gives its S and
/// the symbols to stream after the data to flush it. `None` when the plan
/// counts no FEC (no code, the adaptation engine).
fn align_fec(
    dev: &mut Device,
    plan: &golden::config::LinkPlan,
    eq: &golden::link::EqReport,
    symbols: usize,
) -> Result<Option<(usize, usize)>> {
    let Some((code, sof)) = rxinput::fec_alignment(plan, eq) else {
        return Ok(None);
    };
    if plan.hw_adapt.is_some() {
        println!("fec        not counted on the device with adapt.in_rtl (its flush would move the adaptation)");
        return Ok(None);
    }
    let Some(f) = dev.fec() else {
        bail!(
            "tx.fec = \"{}\" but {} has no RS decoder (built without tx.fec)",
            code.name(),
            dev.describe()
        );
    };
    if device::fec::code_of(&f) != Some(code) {
        bail!(
            "tx.fec = \"{}\" but the decoder of {} is for code {} (id.fec_code 0x{:x})",
            code.name(),
            dev.describe(),
            f.code,
            f.word()
        );
    }
    if f.interleave != plan.interleave {
        bail!(
            "tx.interleave = {} but the decoder of {} {} (id.fec_code 0x{:x})",
            plan.interleave,
            dev.describe(),
            if f.interleave {
                "de-interleaves"
            } else {
                "does not de-interleave"
            },
            f.word()
        );
    }
    // whole frames: one codeword, or two interleaved
    let ways = golden::link::fec_frame_codewords(plan);
    let whole = (symbols as u64).saturating_sub(sof) / (5 * code.n() as u64 * ways);
    if whole == 0 {
        println!("fec        no whole codeword after symbol {sof}: nothing to count");
        return Ok(None);
    }
    dev.fec_align(sof, whole * ways)?;
    Ok(Some((f.symbols as usize, dev.fec_flush_symbols()?)))
}

/// Reads the device decoder's counts and checks them, and its digest, against
/// the golden decoder on the decisions `data`.
fn check_fec(
    dev: &mut Device,
    plan: &golden::config::LinkPlan,
    eq: &golden::link::EqReport,
    data: &[u8],
    s: usize,
) -> Result<StreamFec> {
    let got = dev
        .fec_counts()
        .with_context(|| format!("reading the decoder counters of {}", dev.describe()))?;
    let (want, digest) = rxinput::fec_counts(plan, eq, data, s).expect("aligned above");
    if got.stats != want.stats || got.digest != digest {
        return Err(anyhow::Error::new(super::Mismatch(format!(
            "the device's decoder disagrees with the golden decoder on the same decisions: device {:?} digest 0x{:08x}, golden {:?} digest 0x{digest:08x}",
            got.stats, got.digest, want.stats
        ))));
    }
    Ok(StreamFec {
        counts: rxinput::FecCounts {
            stats: got.stats,
            ..want
        },
        symbols_per_beat: got.symbols,
        digest: format!("0x{:08x}", got.digest),
    })
}

/// Runs `rxdsp stream`.
pub fn stream(a: StreamArgs) -> Result<()> {
    let plan = a.cfg.plan_for_received(a.adapt.adapt)?;
    super::rx::check_plots(&a.adapt, &plan)?;
    let io = &a.io;
    let inp = rxinput::load(&plan, &io.input, io.format())?;
    let opts = Options {
        timeout: Duration::from_millis(a.timeout_ms.max(1)),
        retries: a.retries,
    };
    let mut dev = Device::open_build(&a.device, &device::DeviceBuild::of_plan(&plan), opts)
        .with_context(|| format!("opening {}", a.device))?;
    if dev.info().format != plan.format {
        bail!(
            "{} was built for {:?}, the configuration asks for {:?}",
            a.device,
            dev.info().format,
            plan.format
        );
    }
    if let Some(hw) = &plan.hw_adapt {
        // before any output file: a device without the engine is bad input
        dev.check_adapt(hw)?;
    }
    let n_in = inp.samples.len();
    let fec_s = align_fec(&mut dev, &plan, &inp.eq, n_in)?;
    // with the decoder: zero samples after the data flush its last codewords
    // out (its counts stop at the data's last whole codeword, `fec.limit`)
    let flushed;
    let samples_in: &[i16] = match fec_s {
        Some((_, flush)) => {
            flushed = [inp.samples.as_slice(), &vec![0i16; flush]].concat();
            &flushed
        }
        None => &inp.samples,
    };
    let t0 = Instant::now();
    let (out, st, adaptation) = match &plan.hw_adapt {
        Some(hw) => {
            let r = dev
                .run_adaptive(&plan, hw, &inp.coeffs, &inp.samples)
                .with_context(|| format!("adapting through {}", dev.describe()))?;
            let rep = golden::adapt_link::received_report(&plan, hw, r.trajectory());
            (r.out, r.stats, Some(rep))
        }
        None => {
            let (mut out, st) = dev
                .run_stream(&inp.coeffs, samples_in, 2)
                .with_context(|| format!("streaming through {}", dev.describe()))?;
            out.data.truncate(n_in);
            (out, st, None)
        }
    };
    let fec = match fec_s {
        Some((s, _)) => Some(check_fec(&mut dev, &plan, &inp.eq, &out.data, s)?),
        None => None,
    };
    let secs = t0.elapsed().as_secs_f64();
    write_file(&io.out, &samples::pack_symbols(&out.data)).context("writing the output")?;
    let n = inp.samples.len() as u64;
    println!(
        "stream     {} samples -> {} bits in {} through {} ({:.2} M samples/s, {} retransmits)",
        n,
        2 * n,
        io.out.display(),
        dev.describe(),
        n as f64 / secs.max(1e-9) / 1e6,
        dev.counters.retransmits
    );
    if let Some(ad) = &adaptation {
        println!(
            "adapt      device engine from {} taps: final ffe {:?}, dfe {:?}, threshold {} ({} points read back)",
            ad.init,
            ad.final_ffe,
            ad.final_dfe,
            ad.final_threshold,
            ad.trajectory.len()
        );
    }
    if let Some(f) = &fec {
        super::rx::print_fec(&f.counts);
    }
    super::rx::adaptation_outputs(&a.adapt, &plan, adaptation.as_ref())?;
    if let Some(p) = &io.report {
        let rep = StreamReport {
            rxdsp_version: env!("CARGO_PKG_VERSION"),
            device: dev.describe(),
            input: io.input.display().to_string(),
            symbols: n,
            bits: 2 * n,
            equalizer: inp.eq,
            seconds: secs,
            symbols_per_second: n as f64 / secs.max(1e-9),
            device_stats: st,
            link: dev.counters.clone(),
            adaptation,
            fec,
        };
        write_json(p, &rep)?;
        println!("report     {}", p.display());
    }
    Ok(())
}
