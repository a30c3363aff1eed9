//! Co-simulation of the generated `rxdsp_eq` RTL against the golden model.
//!
//! [`cosim`] generates the Verilog with [`rtl::design`], builds it with
//! Verilator into a shared library (cached by a hash of the Verilog, the shim
//! and the Verilator version, see [`verilator::cache_root`]), programs the
//! coefficients through the register port, streams the samples under a
//! [`Backpressure`] pattern and compares every output symbol (data, level and
//! FFE output) with [`golden::eq::Equalizer`]. [`icarus::cosim_icarus`] runs
//! the same protocol in Icarus Verilog from a generated testbench.

#![warn(missing_docs)]

pub mod board;
pub mod device;
pub mod icarus;
pub mod rs;
pub mod verilator;

use golden::eq::{Engine, EqError, EqOutput, Equalizer};
use golden::numeric::{RxCoeffs, RxFormat};
use golden::rng::Xoshiro256pp;
use rtl::RtlError;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use thiserror::Error;
use verilator::{build_library, get_bits, put_bits, Model};

/// Errors of the co-simulation.
#[derive(Debug, Error)]
pub enum SimError {
    /// A simulator or compiler is missing or too old.
    #[error("{tool} is not usable: {detail}; install it with `{install}`")]
    ToolMissing {
        /// the tool
        tool: &'static str,
        /// what went wrong
        detail: String,
        /// the install command
        install: &'static str,
    },
    /// The Verilog could not be generated.
    #[error(transparent)]
    Rtl(#[from] RtlError),
    /// The golden model refused the format, coefficients or samples.
    #[error(transparent)]
    Golden(#[from] EqError),
    /// Building the model failed.
    #[error("model build failed in {dir}:\n{log}")]
    Build {
        /// the build folder (kept for inspection)
        dir: PathBuf,
        /// the end of the compiler output
        log: String,
    },
    /// Loading the shared library failed.
    #[error("cannot load {path}: {detail}")]
    Load {
        /// the library
        path: PathBuf,
        /// the loader's message
        detail: String,
    },
    /// A port the driver needs is missing.
    #[error("the model has no port {0}")]
    NoPort(String),
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// the path
        path: PathBuf,
        /// the cause
        source: std::io::Error,
    },
    /// The design stopped producing output.
    #[error("simulation stalled: {got} of {want} words after {cycles} cycles")]
    Stalled {
        /// words received
        got: usize,
        /// words expected
        want: usize,
        /// cycles run
        cycles: u64,
    },
    /// The simulator run failed.
    #[error("simulation failed: {0}")]
    Run(String),
}

/// Valid/ready patterns applied to `s_axis_tvalid` and `m_axis_tready`.
///
/// A pattern is a repeating per-cycle sequence. The source follows AXI rules:
/// once it raises `s_axis_tvalid` it holds it (and the data) until accepted.
#[derive(Clone, Debug, PartialEq)]
pub enum Backpressure {
    /// Always valid, always ready.
    None,
    /// Fixed repeating patterns (e.g. `[1,1,1,0]`) for valid and ready.
    Cycle {
        /// per-cycle "source offers a word" pattern
        valid: Vec<bool>,
        /// per-cycle `m_axis_tready` pattern
        ready: Vec<bool>,
    },
    /// Seeded random patterns: valid with probability `p_valid`, ready with `p_ready`.
    Random {
        /// seed of the xoshiro256++ generator
        seed: u64,
        /// probability of offering a word in a cycle
        p_valid: f64,
        /// probability of `m_axis_tready` in a cycle
        p_ready: f64,
    },
}

/// Length of the generated random patterns (a prime, so it does not line up with P).
const RANDOM_PATTERN_LEN: usize = 65_521;

impl Backpressure {
    /// The `[1,1,1,0]` pattern on both sides, ready shifted by one cycle.
    pub fn cycle_1110() -> Self {
        Backpressure::Cycle {
            valid: vec![true, true, true, false],
            ready: vec![true, true, false, true],
        }
    }

    /// The (valid, ready) patterns, each repeating.
    pub fn patterns(&self) -> (Vec<bool>, Vec<bool>) {
        match self {
            Backpressure::None => (vec![true], vec![true]),
            Backpressure::Cycle { valid, ready } => {
                let v = if valid.is_empty() {
                    vec![true]
                } else {
                    valid.clone()
                };
                let r = if ready.is_empty() {
                    vec![true]
                } else {
                    ready.clone()
                };
                (v, r)
            }
            Backpressure::Random {
                seed,
                p_valid,
                p_ready,
            } => {
                let mut g = Xoshiro256pp::new(*seed);
                let mut v = Vec::with_capacity(RANDOM_PATTERN_LEN);
                let mut r = Vec::with_capacity(RANDOM_PATTERN_LEN);
                for _ in 0..RANDOM_PATTERN_LEN {
                    v.push(g.next_f64() < *p_valid);
                    r.push(g.next_f64() < *p_ready);
                }
                // never all-false
                v[0] = true;
                r[0] = true;
                (v, r)
            }
        }
    }
}

/// One differing output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// symbol index in the stream
    pub index: usize,
    /// "data", "level" or "y"
    pub field: &'static str,
    /// the RTL value
    pub rtl: i64,
    /// the golden value
    pub golden: i64,
}

/// The outcome of a co-simulation run.
#[derive(Clone, Debug)]
pub struct CosimReport {
    /// which simulator ran ("verilator" or "icarus")
    pub simulator: &'static str,
    /// symbols compared (each: data, level and y)
    pub symbols: usize,
    /// output words received
    pub words: usize,
    /// symbols where any field differs
    pub mismatches: usize,
    /// the first difference
    pub first_mismatch: Option<Mismatch>,
    /// clock cycles of the streaming phase
    pub cycles: u64,
    /// cycles from the first input handshake to the first output word
    pub first_latency: Option<u64>,
    /// model build time (or cache lookup time when `cached`)
    pub build_time: Duration,
    /// the model came from the cache
    pub cached: bool,
    /// wall time of the RTL simulation alone (reset, configuration, streaming)
    pub rtl_time: Duration,
    /// wall time of simulation plus golden model plus comparison
    pub sim_time: Duration,
    /// symbols per second over `sim_time`
    pub symbols_per_sec: f64,
}

/// Raw RTL outputs in stream order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RtlOutput {
    /// FFE outputs
    pub y: Vec<i32>,
    /// level indices
    pub levels: Vec<u8>,
    /// data symbols
    pub data: Vec<u8>,
    /// cycles of the streaming phase
    pub cycles: u64,
    /// cycles from the first input handshake to the first output word
    pub first_latency: Option<u64>,
}

/// The register writes `(address, data)` that program `coeffs`; data is two's
/// complement masked to the `cfg_wdata` width.
pub fn config_writes(fmt: &RxFormat, coeffs: &RxCoeffs) -> Vec<(u64, u64)> {
    let dw = rtl::eq::cfg_data_bits(fmt);
    let mask = (1u64 << dw) - 1;
    let mut v = Vec::new();
    for (k, &c) in coeffs.ffe.iter().enumerate() {
        v.push((rtl::eq::addr_ffe(fmt, k) as u64, c as i64 as u64 & mask));
    }
    for (j, &b) in coeffs.dfe.iter().enumerate() {
        v.push((rtl::eq::addr_dfe(fmt, j) as u64, b as i64 as u64 & mask));
    }
    v.push((
        rtl::eq::addr_threshold(fmt) as u64,
        coeffs.threshold as u64 & mask,
    ));
    v
}

fn sext(v: u64, bits: u32) -> i64 {
    ((v << (64 - bits)) as i64) >> (64 - bits)
}

/// Compares RTL outputs with the golden ones; returns (mismatching symbols, first).
pub fn compare(rtl: &RtlOutput, gold: &EqOutput) -> (usize, Option<Mismatch>) {
    let n = gold.data.len();
    let mut count = 0;
    let mut first = None;
    for i in 0..n {
        let checks: [(&'static str, i64, i64); 3] = [
            ("data", rtl.data[i] as i64, gold.data[i] as i64),
            ("level", rtl.levels[i] as i64, gold.levels[i] as i64),
            ("y", rtl.y[i] as i64, gold.y[i] as i64),
        ];
        let mut bad = false;
        for (field, r, g) in checks {
            if r != g {
                bad = true;
                if first.is_none() {
                    first = Some(Mismatch {
                        index: i,
                        field,
                        rtl: r,
                        golden: g,
                    });
                }
            }
        }
        count += bad as usize;
    }
    (count, first)
}

fn golden_run(fmt: &RxFormat, coeffs: &RxCoeffs, samples: &[i16]) -> Result<EqOutput, SimError> {
    golden::eq::check_samples(samples, fmt.adc_bits, 0)?;
    let mut eq = Equalizer::new(fmt, coeffs, Engine::Fast)?;
    Ok(eq.process_all(samples))
}

/// Builds (or reuses) the Verilated model of `rxdsp_eq` for `fmt` at `parallel`.
pub fn build_model(
    fmt: &RxFormat,
    parallel: usize,
) -> Result<(Model, verilator::BuildInfo), SimError> {
    let d = rtl::design(fmt, parallel)?;
    let info = build_library(&d.files, rtl::TOP, &d.ports)?;
    let model = Model::load(&info.library, &d.ports)?;
    Ok((model, info))
}

/// Drives `samples` through a loaded model: reset, coefficient writes, then
/// streaming under `bp`. Samples are padded with zeros to whole words; the
/// returned outputs are cut to `samples.len()`.
pub fn run_model(
    model: &mut Model,
    fmt: &RxFormat,
    coeffs: &RxCoeffs,
    parallel: usize,
    samples: &[i16],
    bp: &Backpressure,
) -> Result<RtlOutput, SimError> {
    let p = parallel;
    let a = fmt.adc_bits;
    let ob = fmt.ffe_out_bits;
    let i_rst = model.input("rst")?;
    let i_we = model.input("cfg_we")?;
    let i_addr = model.input("cfg_addr")?;
    let i_wdata = model.input("cfg_wdata")?;
    let i_tdata = model.input("s_axis_tdata")?;
    let i_tvalid = model.input("s_axis_tvalid")?;
    let i_tready = model.input("m_axis_tready")?;
    let o_sready = model.output("s_axis_tready")?;
    let o_mvalid = model.output("m_axis_tvalid")?;
    let o_data = model.output("m_axis_tdata")?;
    let o_y = model.output("m_ffe_out")?;
    let o_lvl = model.output("m_slicer_level")?;

    // reset, then program the coefficients
    model.set(i_rst, 1);
    model.set(i_tvalid, 0);
    model.set(i_tready, 0);
    model.cycle();
    model.cycle();
    model.set(i_rst, 0);
    for (addr, data) in config_writes(fmt, coeffs) {
        model.set(i_we, 1);
        model.set(i_addr, addr);
        model.set(i_wdata, data);
        model.cycle();
    }
    model.set(i_we, 0);
    model.set(i_addr, 0);
    model.set(i_wdata, 0);

    let nwords = samples.len().div_ceil(p);
    let nsym = nwords * p;
    let mut out = RtlOutput {
        y: Vec::with_capacity(nsym),
        levels: Vec::with_capacity(nsym),
        data: Vec::with_capacity(nsym),
        cycles: 0,
        first_latency: None,
    };
    let (vpat, rpat) = bp.patterns();
    let amask = (1u64 << a) - 1;
    let mut inw = 0usize;
    let mut outw = 0usize;
    let mut hold = false;
    let mut loaded = usize::MAX;
    let mut cyc: u64 = 0;
    let (mut vi, mut ri) = (0usize, 0usize);
    let mut first_in: Option<u64> = None;
    let limit = 1000 + 200 * nwords as u64 * (vpat.len() as u64 + rpat.len() as u64);
    while outw < nwords {
        if cyc > limit {
            return Err(SimError::Stalled {
                got: outw,
                want: nwords,
                cycles: cyc,
            });
        }
        let valid = inw < nwords && (hold || vpat[vi]);
        let ready = rpat[ri];
        if valid && loaded != inw {
            let words = model.input_words(i_tdata);
            for (i, s) in (inw * p..inw * p + p).enumerate() {
                let v = samples.get(s).copied().unwrap_or(0) as i64 as u64 & amask;
                put_bits(words, i as u32 * a, a, v);
            }
            loaded = inw;
        }
        model.set(i_tvalid, valid as u64);
        model.set(i_tready, ready as u64);
        model.cycle();
        let sready = model.get(o_sready) != 0;
        if valid && sready {
            if first_in.is_none() {
                first_in = Some(cyc);
            }
            inw += 1;
            hold = false;
        } else {
            hold = valid;
        }
        if ready && model.get(o_mvalid) != 0 {
            if out.first_latency.is_none() {
                out.first_latency = first_in.map(|f| cyc - f);
            }
            let d = model.output_words(o_data);
            for i in 0..p as u32 {
                out.data.push(get_bits(d, 2 * i, 2) as u8);
            }
            let l = model.output_words(o_lvl);
            for i in 0..p as u32 {
                out.levels.push(get_bits(l, 2 * i, 2) as u8);
            }
            let y = model.output_words(o_y);
            for i in 0..p as u32 {
                out.y.push(sext(get_bits(y, i * ob, ob), ob) as i32);
            }
            outw += 1;
        }
        cyc += 1;
        vi += 1;
        if vi == vpat.len() {
            vi = 0;
        }
        ri += 1;
        if ri == rpat.len() {
            ri = 0;
        }
    }
    out.cycles = cyc;
    out.y.truncate(samples.len());
    out.levels.truncate(samples.len());
    out.data.truncate(samples.len());
    Ok(out)
}

/// Co-simulates `rxdsp_eq` (Verilator) against the golden equalizer on
/// `samples`, comparing every output symbol's data, level and FFE output.
pub fn cosim(
    fmt: &RxFormat,
    coeffs: &RxCoeffs,
    parallel: usize,
    samples: &[i16],
    backpressure: Backpressure,
) -> Result<CosimReport, SimError> {
    // refuse bad inputs before spending a build on them
    check_inputs(fmt, coeffs, samples)?;
    let (mut model, info) = build_model(fmt, parallel)?;
    let t = Instant::now();
    let out = run_model(&mut model, fmt, coeffs, parallel, samples, &backpressure)?;
    let first_latency = out.first_latency;
    finish(
        "verilator",
        (fmt, coeffs, parallel, samples),
        out,
        first_latency,
        (info.time, info.cached),
        t,
    )
}

/// Refuses a format, coefficients or samples the golden model would refuse.
pub(crate) fn check_inputs(
    fmt: &RxFormat,
    coeffs: &RxCoeffs,
    samples: &[i16],
) -> Result<(), SimError> {
    Equalizer::new(fmt, coeffs, Engine::Fast)?;
    golden::eq::check_samples(samples, fmt.adc_bits, 0)?;
    Ok(())
}

/// The end of a co-simulation, the same for every simulator: runs the golden
/// equalizer on `samples`, compares every output word with the RTL's `out`
/// (simulated since `t`), and builds the report.
pub(crate) fn finish(
    simulator: &'static str,
    (fmt, coeffs, parallel, samples): (&RxFormat, &RxCoeffs, usize, &[i16]),
    out: RtlOutput,
    first_latency: Option<u64>,
    (build_time, cached): (Duration, bool),
    t: Instant,
) -> Result<CosimReport, SimError> {
    let rtl_time = t.elapsed();
    let gold = golden_run(fmt, coeffs, samples)?;
    let (mismatches, first_mismatch) = compare(&out, &gold);
    let sim_time = t.elapsed();
    Ok(CosimReport {
        simulator,
        symbols: samples.len(),
        words: samples.len().div_ceil(parallel),
        mismatches,
        first_mismatch,
        cycles: out.cycles,
        first_latency,
        build_time,
        cached,
        rtl_time,
        sim_time,
        symbols_per_sec: samples.len() as f64 / sim_time.as_secs_f64().max(1e-9),
    })
}
