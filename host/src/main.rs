//! The `rxdsp` command-line program.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use golden::config::{Config, LinkPlan, DEFAULT_TOML};
use golden::eq::{Engine, Equalizer};
use golden::link::{self, LinkResult, Report, RunOptions};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rxdsp::cfgload;
use rxdsp::samples::{self, SampleFormat};
use std::path::{Path, PathBuf};

mod cmd_device;
mod cmd_synth;
mod plots;

#[derive(Parser)]
#[command(
    name = "rxdsp",
    version,
    about = "Bit-exact PAM4 receive DSP: golden model, RTL and host driver"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the main job on the embedded default config, end to end
    Demo {
        /// folder for the report and artefacts
        #[arg(long, default_value = "rxdsp-out")]
        out: PathBuf,
        /// worker threads (default: all cores)
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Simulate a link: a config file plus overrides
    Sim(SimArgs),
    /// Run the golden receiver on a sample file
    Rx(RxArgs),
    /// Emit the Verilog of the receiver, its file list and register map
    Gen {
        /// configuration file (TOML); the embedded default when absent
        #[arg(long)]
        config: Option<PathBuf>,
        /// override any key: --set section.key=value (repeatable)
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// output folder
        #[arg(long)]
        out: PathBuf,
    },
    /// Co-simulate the RTL (Verilator) against the golden receiver; exit 1 on any mismatch
    Cosim(CosimArgs),
    /// Synthesize the receiver with Yosys and nextpnr: resources, Fmax, throughput
    Synth(SynthArgs),
    /// Reed-Solomon encode or decode a file of u16 little-endian symbols
    Fec(FecArgs),
    /// Serve the simulated device (Verilated RTL) over TCP
    Serve(cmd_device::ServeArgs),
    /// Stream a sample file through a device with the host driver
    Stream(cmd_device::StreamArgs),
    /// Configuration helpers
    Config {
        /// print the embedded default configuration (commented TOML)
        #[arg(long)]
        print_default: bool,
    },
}

#[derive(Args)]
struct SimArgs {
    /// configuration file (TOML); the embedded default when absent
    #[arg(long)]
    config: Option<PathBuf>,
    /// symbols to simulate (overrides link.symbols)
    #[arg(long, allow_negative_numbers = true)]
    symbols: Option<i64>,
    /// seed (overrides link.seed)
    #[arg(long)]
    seed: Option<u64>,
    /// override any key: --set section.key=value (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// write the JSON report here
    #[arg(long)]
    report: Option<PathBuf>,
    /// write the ADC samples here (.npy, or .ri16 / .sigmf-data with SigMF meta)
    #[arg(long)]
    dump_samples: Option<PathBuf>,
    /// draw eye diagrams, bathtub, FEC and burst histograms and taps here (SVG and PNG)
    #[arg(long)]
    plots: Option<PathBuf>,
    /// write a one-page HTML report (numbers and plots) here
    #[arg(long)]
    report_html: Option<PathBuf>,
    /// channel-model worker threads (default: one per core but one; the receiver has its own thread)
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Args)]
struct SynthArgs {
    /// ecp5-85k (LFE5UM-85F, speed 6, via YoWASP) or ice40-hx8k (Debian's tools)
    #[arg(long)]
    target: String,
    /// configuration file (TOML); the embedded default when absent
    #[arg(long)]
    config: Option<PathBuf>,
    /// override any key: --set section.key=value (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// write the JSON report here (with --sweep: the CSV and markdown tables go beside it)
    #[arg(long)]
    report: Option<PathBuf>,
    /// clock target for place and route, MHz (default 150; with --board, the board's clock)
    #[arg(long)]
    freq: Option<f64>,
    /// build the bitstream of the board top (UART + device) for this board:
    /// ulx3s-85f or ecp5-evn (with --target ecp5-85k)
    #[arg(long)]
    board: Option<String>,
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
}

#[derive(Args)]
struct FecArgs {
    /// encode (k message symbols per codeword in) or decode (n received symbols per codeword in)
    #[arg(value_parser = ["encode", "decode"])]
    op: String,
    /// kp4 = RS(544,514), t = 15; kr4 = RS(528,514), t = 7
    #[arg(long)]
    code: String,
    /// input: u16 little-endian symbols, codewords back to back
    #[arg(long = "in")]
    input: PathBuf,
    /// output: u16 little-endian symbols
    #[arg(long)]
    out: PathBuf,
    /// decode only: write the decoder statistics (the report's `fec` object) here
    #[arg(long)]
    stats: Option<PathBuf>,
}

#[derive(Args)]
struct CosimArgs {
    /// configuration file (TOML); the embedded default when absent
    #[arg(long)]
    config: Option<PathBuf>,
    /// symbols to simulate (overrides link.symbols)
    #[arg(long, allow_negative_numbers = true)]
    symbols: Option<i64>,
    /// seed (overrides link.seed)
    #[arg(long)]
    seed: Option<u64>,
    /// override any key: --set section.key=value (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// flow control on the RTL's streams: none, 1110 (valid and ready 3 cycles of 4), random
    #[arg(long, default_value = "none")]
    backpressure: String,
}

#[derive(Args)]
struct RxArgs {
    /// configuration file (TOML); the embedded default when absent
    #[arg(long)]
    config: Option<PathBuf>,
    /// override any key: --set section.key=value (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// input samples (.npy, .ri8, .ri16, .rf32, .sigmf-data)
    #[arg(long = "in")]
    input: PathBuf,
    /// sample format, overriding the extension: npy, ri8, ri16_le, rf32_le
    #[arg(long)]
    format: Option<String>,
    /// output: decoded bits, packed MSB first, two per input sample
    #[arg(long)]
    out: PathBuf,
    /// write a JSON report here
    #[arg(long)]
    report: Option<PathBuf>,
}

fn main() {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Demo { out, threads } => demo(&out, threads),
        Cmd::Sim(a) => sim(a),
        Cmd::Rx(a) => rx(a),
        Cmd::Fec(a) => fec_cmd(a),
        Cmd::Synth(a) => synth_cmd(a),
        Cmd::Gen { config, set, out } => gen(config.as_deref(), &set, &out),
        Cmd::Cosim(a) => match cosim_cmd(a) {
            Ok(true) => Ok(()),
            Ok(false) => std::process::exit(1),
            Err(e) => Err(e),
        },
        Cmd::Serve(a) => cmd_device::serve(a),
        Cmd::Stream(a) => cmd_device::stream(a),
        Cmd::Config { print_default } => {
            if print_default {
                print!("{DEFAULT_TOML}");
                Ok(())
            } else {
                Err(anyhow::anyhow!(
                    "nothing to do: try `rxdsp config --print-default`"
                ))
            }
        }
    };
    if let Err(e) = r {
        // one line: the chain of causes joined
        let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
        eprintln!("rxdsp: error: {}", msg.join(": "));
        std::process::exit(2);
    }
}

/// Channel-model worker threads: by default one per core but one, since the
/// receiver runs in a thread of its own.
fn threads(t: Option<usize>) -> usize {
    t.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get().saturating_sub(1))
            .unwrap_or(1)
    })
    .max(1)
}

fn progress_bar(total: u64) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} symbols ({per_sec}, eta {eta})",
        )
        .expect("static template"),
    );
    pb
}

fn plan_of(cfg: &Config, config_path: Option<&Path>) -> Result<LinkPlan> {
    Ok(cfgload::plan(cfg, config_path)?)
}

fn run_sim(plan: &LinkPlan, threads: usize, keep: bool) -> Result<LinkResult> {
    let pb = progress_bar(plan.symbols);
    let cb = |n: u64| pb.set_position(n);
    let opts = RunOptions {
        threads,
        keep_samples: keep,
        progress: Some(&cb),
    };
    let r = link::run(plan, &opts).context("simulation failed")?;
    pb.finish_and_clear();
    Ok(r)
}

fn write_json(path: &Path, v: &impl serde::Serialize) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(v).context("serializing the report")?;
    samples::write_atomic(path, text.as_bytes()).context("writing the report")?;
    Ok(())
}

fn summary(plan: &LinkPlan, r: &Report) -> String {
    let f = &plan.format;
    let e = &r.equalizer;
    let mut s = String::new();
    s += &format!(
        "link       {} symbols of {}, channel {} ({} taps), SNR {:.1} dB, {}-bit ADC{}\n",
        r.symbols,
        r.pattern,
        r.channel.name,
        r.channel.taps.len(),
        r.channel.snr_db,
        f.adc_bits,
        if f.precode { ", precoded" } else { "" }
    );
    s += &format!(
        "equalizer  FFE {} taps (main {}) + DFE {} taps, coefficients by {}\n",
        f.ffe_taps, f.ffe_main, f.dfe_taps, e.method
    );
    s += &format!(
        "           ffe {:?}\n           dfe {:?}  threshold {}\n",
        e.ffe, e.dfe, e.threshold
    );
    s += &format!(
        "pre-FEC    BER {:.3e} ({} of {} bits)  SER {:.3e} ({} of {} symbols)\n",
        r.pre_fec.ber,
        r.pre_fec.bit_errors,
        r.pre_fec.bits,
        r.pre_fec.ser.unwrap_or(0.0),
        r.pre_fec.symbol_errors.unwrap_or(0),
        r.pre_fec.symbols.unwrap_or(0)
    );
    s += &format!(
        "bursts     {} error bursts, longest {} symbols\n",
        r.bursts.count, r.bursts.longest
    );
    if let Some(f) = &r.fec {
        s += &format!(
            "FEC        {}{}: {} codewords, {} corrected ({} symbols), {} uncorrectable; FEC SER {:.3e}\n",
            f.code.to_uppercase(),
            if f.interleave { " 2-way interleaved" } else { "" },
            f.codewords,
            f.corrected_codewords,
            f.corrected_symbols,
            f.uncorrectable_codewords,
            f.ser
        );
        s += &format!(
            "           frame loss {:.3e} measured, {:.3e} predicted for random errors at that SER\n",
            f.frame_loss_ratio, f.predicted_frame_loss_ratio
        );
        let worst = f.histogram.iter().rposition(|&c| c > 0).unwrap_or(0).max(1);
        let pred: Vec<f64> = f.predicted_histogram[..=worst]
            .iter()
            .map(|v| (v * 10.0).round() / 10.0)
            .collect();
        s += &format!(
            "           codewords by symbol errors {:?} (last bin of the full list: more than t = {})\n           random-error prediction   {:?}\n",
            &f.histogram[..=worst],
            f.t,
            pred
        );
        s += &format!(
            "post-FEC   BER {:.3e} ({} of {} bits)\n",
            r.post_fec.ber, r.post_fec.bit_errors, r.post_fec.bits
        );
    }
    s += &format!(
        "speed      {:.1} M symbols/s, {} channel thread(s) + 1 receiver thread ({:.2} s)\n",
        r.timing.symbols_per_second / 1e6,
        r.timing.threads,
        r.timing.seconds
    );
    s
}

fn demo(out: &Path, t: Option<usize>) -> Result<()> {
    let cfg = cfgload::load(None, &[])?;
    let plan = plan_of(&cfg, None)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    println!("rxdsp demo: the embedded default configuration (`rxdsp config --print-default`)");
    let r = run_sim(&plan, threads(t), true)?;
    print!("{}", summary(&plan, &r.report));
    let rp = out.join("report.json");
    write_json(&rp, &r.report)?;
    println!("report     {}", rp.display());
    let pd = out.join("plots");
    let files = plots::draw(&plan, &r.coeffs, &r.report, &pd)?;
    let hp = out.join("report.html");
    write_html(&hp, &plan, &r.report, &pd)?;
    println!(
        "plots      {} files in {}, one page: {}",
        files.len(),
        pd.display(),
        hp.display()
    );
    let x = r.samples.as_deref().expect("samples kept");
    match run_cosim(&plan, &r.coeffs, x, sim::Backpressure::None) {
        Ok(c) => {
            print_cosim(&plan, &c);
            if c.mismatches > 0 {
                bail!("the RTL differs from the golden model (see above)");
            }
        }
        Err(e) => match e.downcast_ref::<sim::SimError>() {
            Some(sim::SimError::ToolMissing { .. }) => {
                println!("rtl        co-simulation skipped: {e:#}");
            }
            _ => return Err(e),
        },
    }
    match rxdsp::device::demo_stream(&plan, &r.coeffs, x) {
        Ok(s) => {
            let verdict = match s.mismatches {
                Some(0) => "identical to the golden RX".to_string(),
                Some(m) => format!("{m} SYMBOLS DIFFER from the golden RX"),
                None => "not compared".to_string(),
            };
            println!(
                "device     {} samples streamed through the simulated device ({}, host driver, framed protocol): {}, {:.2} M samples/s",
                s.samples,
                s.device,
                verdict,
                s.samples_per_second / 1e6
            );
            if s.mismatches != Some(0) {
                bail!("the device output differs from the golden model");
            }
        }
        Err(rxdsp::device::DeviceError::Sim(sim::SimError::ToolMissing { .. })) => {
            println!(
                "device     streaming skipped: Verilator is missing (apt-get install verilator)"
            );
        }
        Err(e) => return Err(e).context("streaming through the simulated device"),
    }
    Ok(())
}

fn sim(a: SimArgs) -> Result<()> {
    let mut cfg = cfgload::load(a.config.as_deref(), &a.set)?;
    if let Some(n) = a.symbols {
        cfg.link.symbols = n;
    }
    if let Some(s) = a.seed {
        cfg.link.seed = s;
    }
    let plan = plan_of(&cfg, a.config.as_deref())?;
    let r = run_sim(&plan, threads(a.threads), a.dump_samples.is_some())?;
    print!("{}", summary(&plan, &r.report));
    if let Some(p) = &a.dump_samples {
        let x = r.samples.as_deref().expect("samples kept");
        samples::write_samples(p, x, plan.adc.bits).context("writing samples")?;
        println!("samples    {}", p.display());
    }
    if let Some(p) = &a.report {
        write_json(p, &r.report)?;
        println!("report     {}", p.display());
    }
    let plot_dir = match (&a.plots, &a.report_html) {
        (Some(d), _) => Some(d.clone()),
        (None, Some(h)) => Some(h.with_extension("plots")),
        _ => None,
    };
    if let Some(dir) = plot_dir {
        let files = plots::draw(&plan, &r.coeffs, &r.report, &dir)?;
        println!("plots      {} files in {}", files.len(), dir.display());
        if let Some(h) = &a.report_html {
            write_html(h, &plan, &r.report, &dir)?;
            println!("html       {}", h.display());
        }
    }
    Ok(())
}

fn write_html(path: &Path, plan: &LinkPlan, r: &Report, plot_dir: &Path) -> Result<()> {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    // plots are linked relative to the page when they sit below its folder
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let rel = |name: &str| -> String {
        let p = plot_dir.join(name);
        p.strip_prefix(&base)
            .map(|x| x.display().to_string())
            .unwrap_or_else(|_| std::fs::canonicalize(&p).unwrap_or(p).display().to_string())
    };
    let mut h = String::from("<!doctype html><html><head><meta charset=\"utf-8\"><title>rxdsp report</title><style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}pre{background:#f4f4f4;padding:1em;overflow-x:auto}img{max-width:100%}</style></head><body>");
    h += "<h1>rxdsp link report</h1><pre>";
    h += &esc(&summary(plan, r));
    h += "</pre>";
    let mut names = vec!["eye_adc", "eye_ffe", "eye_slicer", "bathtub"];
    if r.fec.is_some() {
        names.push("fec_histogram");
    }
    names.extend(["bursts", "taps"]);
    for n in names {
        h += &format!(
            "<h2>{n}</h2><img src=\"{}\" alt=\"{n}\">",
            esc(&rel(&format!("{n}.svg")))
        );
    }
    h += "<h2>report.json</h2><pre>";
    h += &esc(&serde_json::to_string_pretty(r).context("serializing")?);
    h += "</pre></body></html>\n";
    samples::write_atomic(path, h.as_bytes()).context("writing the HTML report")?;
    Ok(())
}

fn run_cosim(
    plan: &LinkPlan,
    coeffs: &golden::numeric::RxCoeffs,
    x: &[i16],
    bp: sim::Backpressure,
) -> Result<sim::CosimReport> {
    eprintln!(
        "[rxdsp] co-simulating {} symbols through the Verilated RTL (P = {}; the first build of a design takes ~10 s, then it is cached)",
        x.len(),
        plan.parallel
    );
    Ok(sim::cosim(&plan.format, coeffs, plan.parallel, x, bp)?)
}

fn print_cosim(plan: &LinkPlan, c: &sim::CosimReport) {
    let verdict = match &c.first_mismatch {
        None => "bit-exact".to_string(),
        Some(m) => format!(
            "{} MISMATCHES, first at symbol {}: {} rtl {} golden {}",
            c.mismatches, m.index, m.field, m.rtl, m.golden
        ),
    };
    println!(
        "rtl        {} symbols through rxdsp_eq (P = {}, latency {} cycles) vs golden: {} (data, level and FFE output of every symbol)",
        c.symbols,
        plan.parallel,
        rtl::latency(&plan.format, plan.parallel),
        verdict
    );
    println!(
        "           {:.1} M symbols/s, {} cycles, model {} in {:.1} s",
        c.symbols_per_sec / 1e6,
        c.cycles,
        if c.cached { "from the cache" } else { "built" },
        c.build_time.as_secs_f64()
    );
}

fn gen(config: Option<&Path>, set: &[String], out: &Path) -> Result<()> {
    let cfg = cfgload::load(config, set)?;
    let plan = plan_of(&cfg, config)?;
    let t0 = std::time::Instant::now();
    let g = rtl::generate(&plan.format, plan.parallel, out).context("generating Verilog")?;
    let f = &plan.format;
    let mut md = String::from("# rxdsp_eq configuration port\n\n");
    md += &format!(
        "Generated by rxdsp {} for N = {}, M = {}, P = {}. Writes through `cfg_we`/`cfg_addr`/`cfg_wdata` ({} address bits, {} data bits).\n\n",
        rtl::VERSION,
        f.ffe_taps,
        f.dfe_taps,
        plan.parallel,
        rtl::eq::cfg_addr_bits(f),
        rtl::eq::cfg_data_bits(f)
    );
    md += "| address | register | width (signed) |\n|---|---|---|\n";
    for k in 0..f.ffe_taps {
        md += &format!(
            "| {} | FFE coefficient c[{k}] | {} |\n",
            rtl::eq::addr_ffe(f, k),
            f.ffe_coef_bits
        );
    }
    for j in 0..f.dfe_taps {
        md += &format!(
            "| {} | DFE coefficient b[{}] | {} |\n",
            rtl::eq::addr_dfe(f, j),
            j + 1,
            f.dfe_coef_bits
        );
    }
    md += &format!(
        "| {} | slicer threshold t | {} |\n",
        rtl::eq::addr_threshold(f),
        f.ffe_out_bits
    );
    let regs = out.join("eq_cfg_port.md");
    samples::write_atomic(&regs, md.as_bytes()).context("writing the register map")?;
    for file in &g.files {
        println!("wrote      {}", file.display());
    }
    println!("wrote      {}", g.filelist.display());
    println!("wrote      {}", regs.display());
    let dev =
        rtl::top::generate(&plan.format, plan.parallel, out).context("generating the device")?;
    for file in &dev {
        println!("wrote      {}", file.display());
    }
    println!(
        "top        {} (P = {}, latency {} cycles), generated in {:.1} ms",
        g.top,
        g.parallel,
        g.latency,
        t0.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

fn synth_cmd(a: SynthArgs) -> Result<()> {
    let target: synth::Target = a
        .target
        .parse()
        .map_err(|e| anyhow::anyhow!("--target: {e}"))?;
    if let Some(f) = a.freq {
        if !(f.is_finite() && f > 0.0) {
            bail!("--freq {f} must be a positive frequency in MHz");
        }
    }
    if let Some(b) = &a.board {
        if a.fec_only || a.fec_symbols.is_some() {
            bail!("--fec-only and --fec-symbols do not combine with --board");
        }
        return board_cmd(&a, target, b);
    }
    if a.baud.is_some() {
        bail!("--baud goes with --board (the UART is only in the board top)");
    }
    let freq = a.freq.unwrap_or(150.0);
    if !a.sweep.is_empty() && (a.fec_only || a.fec_symbols.is_some()) {
        bail!("--fec-only and --fec-symbols do not combine with --sweep");
    }
    if !a.sweep.is_empty() {
        let rows = cmd_synth::sweep(&a.set, a.config.as_deref(), &a.sweep, target, freq, &a.out)?;
        let md = synth::sweep::to_markdown(&rows);
        let csv = synth::sweep::to_csv(&rows);
        print!("{md}");
        let base = a.report.clone().unwrap_or_else(|| a.out.join("sweep.json"));
        std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
        let csv_path = base.with_extension("csv");
        let md_path = base.with_extension("md");
        samples::write_atomic(&csv_path, csv.as_bytes())?;
        samples::write_atomic(&md_path, md.as_bytes())?;
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
    let cfg = cfgload::load(a.config.as_deref(), &a.set)?;
    let plan = plan_of(&cfg, a.config.as_deref())?;
    let fec = cmd_synth::fec_choice(&plan, a.fec_symbols, a.fec_only)?;
    let r = cmd_synth::synth_with(&plan, fec.as_ref(), target, freq, &a.out)?;
    let per_clock = fec.map_or(plan.parallel, |f| f.pam4_per_clock(&plan));
    print!("{}", r.table());
    println!("{}", cmd_synth::throughput_line(&r, per_clock));
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

/// `rxdsp synth --board B`: the bitstream of the board top.
fn board_cmd(a: &SynthArgs, target: synth::Target, board: &str) -> Result<()> {
    let board: synth::bitstream::Board =
        board.parse().map_err(|e| anyhow::anyhow!("--board: {e}"))?;
    if target != synth::Target::Ecp5_85k {
        bail!("--board {board} is an ECP5 board: use --target ecp5-85k");
    }
    if !a.sweep.is_empty() {
        bail!("--sweep and --board do not go together (one bitstream per run)");
    }
    if a.freq.is_some() {
        bail!(
            "--freq does not go with --board: the place-and-route target is the board clock ({} MHz)",
            board.clock_hz() as f64 / 1e6
        );
    }
    let baud = a.baud.unwrap_or(cmd_synth::DEFAULT_BAUD);
    let cfg = cfgload::load(a.config.as_deref(), &a.set)?;
    let plan = plan_of(&cfg, a.config.as_deref())?;
    let t0 = std::time::Instant::now();
    let b = cmd_synth::synth_board(&plan, board, baud, &a.out)?;
    let wall = t0.elapsed().as_secs_f64();
    print!("{}", b.synth.table());
    let clk = board.clock_hz() as f64 / 1e6;
    match b.synth.fmax_mhz {
        Some(f) => println!(
            "clock      {clk} MHz board clock, Fmax {f:.1} MHz ({})",
            if f >= clk {
                "meets timing"
            } else {
                "FAILS timing"
            }
        ),
        None => println!("clock      {clk} MHz board clock, Fmax unknown"),
    }
    println!("bitstream  {}", b.bitstream.display());
    println!(
        "time       {wall:.0} s wall (ecppack {:.1} s)",
        b.ecppack_seconds
    );
    println!("load       {}", board.load_command(&b.bitstream));
    let mut cfg_args = String::new();
    if let Some(c) = &a.config {
        cfg_args += &format!(" --config {}", c.display());
    }
    for s in &a.set {
        cfg_args += &format!(" --set {s}");
    }
    println!(
        "stream     rxdsp stream --device 'serial:///dev/ttyUSB0?baud={baud}'{cfg_args} --in SAMPLES --out BITS"
    );
    if let Some(p) = &a.report {
        let v = serde_json::json!({
            "board": board,
            "bitstream": b.bitstream,
            "lpf": b.lpf,
            "baud": baud,
            "board_clock_mhz": clk,
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
        bail!("the design does not meet the {clk} MHz board clock: the bitstream would not work reliably");
    }
    Ok(())
}

fn fec_cmd(a: FecArgs) -> Result<()> {
    use rxdsp::fecfile::{self, FecOp, StreamOptions};
    let code: golden::fec::Code = a
        .code
        .parse()
        .map_err(|e: golden::fec::UnknownCode| anyhow::anyhow!("--code: {e}"))?;
    let op = if a.op == "encode" {
        FecOp::Encode
    } else {
        FecOp::Decode
    };
    if op == FecOp::Encode && a.stats.is_some() {
        bail!("--stats goes with `fec decode`");
    }
    let t0 = std::time::Instant::now();
    // streamed in chunks over every core, constant memory (see rxdsp::fecfile)
    let s = fecfile::code_file(op, code, &a.input, &a.out, StreamOptions::default())?;
    let secs = t0.elapsed().as_secs_f64();
    match &s.stats {
        None => println!(
            "fec encode {}: {} codewords in {:.3} s -> {}",
            code.name(),
            s.codewords,
            secs,
            a.out.display()
        ),
        Some(stats) => {
            println!(
                "fec decode {}: {} codewords, {} corrected ({} symbols), {} uncorrectable in {:.3} s -> {}",
                code.name(),
                stats.codewords,
                stats.corrected_codewords,
                stats.corrected_symbols,
                stats.uncorrectable_codewords,
                secs,
                a.out.display()
            );
            if let Some(p) = &a.stats {
                write_json(p, stats)?;
            }
        }
    }
    Ok(())
}

fn cosim_cmd(a: CosimArgs) -> Result<bool> {
    let mut cfg = cfgload::load(a.config.as_deref(), &a.set)?;
    if let Some(n) = a.symbols {
        cfg.link.symbols = n;
    }
    if let Some(s) = a.seed {
        cfg.link.seed = s;
    }
    let plan = plan_of(&cfg, a.config.as_deref())?;
    let bp = match a.backpressure.as_str() {
        "none" => sim::Backpressure::None,
        "1110" => sim::Backpressure::cycle_1110(),
        "random" => sim::Backpressure::Random {
            seed: plan.seed,
            p_valid: 0.7,
            p_ready: 0.7,
        },
        other => bail!("unknown --backpressure '{other}' (expected none, 1110 or random)"),
    };
    let r = run_sim(&plan, threads(None), true)?;
    let x = r.samples.as_deref().expect("samples kept");
    let c = run_cosim(&plan, &r.coeffs, x, bp)?;
    print_cosim(&plan, &c);
    Ok(c.mismatches == 0)
}

/// The report of `rxdsp rx`.
#[derive(serde::Serialize)]
struct RxReport {
    rxdsp_version: &'static str,
    input: String,
    symbols: u64,
    bits: u64,
    equalizer: link::EqReport,
    /// decisions per level index 0..4
    level_counts: [u64; 4],
    seconds: f64,
    symbols_per_second: f64,
}

fn rx(a: RxArgs) -> Result<()> {
    let cfg = cfgload::load(a.config.as_deref(), &a.set)?;
    let plan = plan_of(&cfg, a.config.as_deref())?;
    let format = match &a.format {
        Some(f) => Some(f.parse::<SampleFormat>()?),
        None => None,
    };
    // the same loading and coefficient choice as `rxdsp stream`
    let input = rxdsp::rxinput::load(&plan, &a.input, format)?;
    let (x, coeffs, eqr) = (input.samples, input.coeffs, input.eq);
    let t0 = std::time::Instant::now();
    let mut eq = Equalizer::new(&plan.format, &coeffs, Engine::Fast)?;
    let mut levels = vec![0u8; x.len()];
    let mut data = vec![0u8; x.len()];
    eq.process(&x, &mut levels, &mut data);
    let secs = t0.elapsed().as_secs_f64();
    samples::write_atomic(&a.out, &samples::pack_symbols(&data)).context("writing the output")?;
    let mut level_counts = [0u64; 4];
    for &l in &levels {
        level_counts[l as usize] += 1;
    }
    println!(
        "rx         {} samples -> {} bits in {} ({} coefficients, ffe {:?}, dfe {:?}, threshold {})",
        x.len(),
        2 * x.len(),
        a.out.display(),
        eqr.method,
        eqr.ffe,
        eqr.dfe,
        eqr.threshold
    );
    if let Some(p) = &a.report {
        let rep = RxReport {
            rxdsp_version: env!("CARGO_PKG_VERSION"),
            input: a.input.display().to_string(),
            symbols: x.len() as u64,
            bits: 2 * x.len() as u64,
            equalizer: eqr,
            level_counts,
            seconds: secs,
            symbols_per_second: x.len() as f64 / secs.max(1e-9),
        };
        write_json(p, &rep)?;
        println!("report     {}", p.display());
    }
    Ok(())
}
