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
            let (out, st) = dev
                .run_stream(&inp.coeffs, &inp.samples, 2)
                .with_context(|| format!("streaming through {}", dev.describe()))?;
            (out, st, None)
        }
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
        };
        write_json(p, &rep)?;
        println!("report     {}", p.display());
    }
    Ok(())
}
