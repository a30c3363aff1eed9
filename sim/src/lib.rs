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

pub mod adapt;
pub mod board;
pub mod check;
pub mod device;
pub mod emu;
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
use verilator::{build_library, get_bits, put_bits, Model, StreamState};

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
/// complement masked to the `cfg_wdata` width. The threshold and the DFE taps
/// come first and the FFE taps last, tap 0 last of all: the models stream in
/// the clock after the last write, so the first word's products (tap 0
/// multiplies the word's own samples) show whether a coefficient write reaches
/// the multipliers in time (with one more register between a coefficient and
/// the multipliers' `B` registers it still does, with two the co-simulation
/// fails: tried, docs/rtl-fec.md, "The chain measured").
pub fn config_writes(fmt: &RxFormat, coeffs: &RxCoeffs) -> Vec<(u64, u64)> {
    let dw = rtl::eq::cfg_data_bits(fmt);
    let mask = (1u64 << dw) - 1;
    let mut v = vec![(
        rtl::eq::addr_threshold(fmt) as u64,
        coeffs.threshold as u64 & mask,
    )];
    for (j, &b) in coeffs.dfe.iter().enumerate() {
        v.push((rtl::eq::addr_dfe(fmt, j) as u64, b as i64 as u64 & mask));
    }
    for (k, &c) in coeffs.ffe.iter().enumerate().rev() {
        v.push((rtl::eq::addr_ffe(fmt, k) as u64, c as i64 as u64 & mask));
    }
    v
}

fn sext(v: u64, bits: u32) -> i64 {
    ((v << (64 - bits)) as i64) >> (64 - bits)
}

/// Compares RTL outputs with the golden ones; returns (mismatching symbols, first).
pub fn compare(rtl: &RtlOutput, gold: &EqOutput) -> (usize, Option<Mismatch>) {
    compare_range(rtl, 0, gold, 0..gold.data.len())
}

/// [`compare`] over the symbols `range` only, whose RTL outputs start at
/// symbol `base` in `rtl`.
fn compare_range(
    rtl: &RtlOutput,
    base: usize,
    gold: &EqOutput,
    range: std::ops::Range<usize>,
) -> (usize, Option<Mismatch>) {
    let mut count = 0;
    let mut first = None;
    for i in range {
        let r = i - base;
        let checks: [(&'static str, i64, i64); 3] = [
            ("data", rtl.data[r] as i64, gold.data[i] as i64),
            ("level", rtl.levels[r] as i64, gold.levels[i] as i64),
            ("y", rtl.y[r] as i64, gold.y[i] as i64),
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

/// The model's ports that [`run_model`] drives and reads (indices).
struct EqPorts {
    tdata: usize,
    tvalid: usize,
    tready: usize,
    sready: usize,
    mvalid: usize,
    data: usize,
    y: usize,
    level: usize,
}

/// Resets an equalizer model (two cycles with the input valid and the
/// output ready low) and writes `coeffs` through its cfg port.
pub(crate) fn reset_and_program(
    model: &mut Model,
    (tvalid, tready): (usize, usize),
    fmt: &RxFormat,
    coeffs: &RxCoeffs,
) -> Result<(), SimError> {
    let (i_rst, i_we) = (model.input("rst")?, model.input("cfg_we")?);
    let (i_addr, i_wdata) = (model.input("cfg_addr")?, model.input("cfg_wdata")?);
    model.reset(i_rst, &[tvalid, tready], 0);
    for (addr, data) in config_writes(fmt, coeffs) {
        model.set(i_we, 1);
        model.set(i_addr, addr);
        model.set(i_wdata, data);
        model.cycle();
    }
    model.set(i_we, 0);
    model.set(i_addr, 0);
    model.set(i_wdata, 0);
    // the last write lands at the WRITE_EDGES-th edge after its cycle
    for _ in 1..rtl::eq::WRITE_EDGES {
        model.cycle();
    }
    Ok(())
}

/// Resets the model and programs the coefficients (the start of
/// [`run_model`]); returns the streaming ports.
fn configure(model: &mut Model, fmt: &RxFormat, coeffs: &RxCoeffs) -> Result<EqPorts, SimError> {
    let ports = EqPorts {
        tdata: model.input("s_axis_tdata")?,
        tvalid: model.input("s_axis_tvalid")?,
        tready: model.input("m_axis_tready")?,
        sready: model.output("s_axis_tready")?,
        mvalid: model.output("m_axis_tvalid")?,
        data: model.output("m_axis_tdata")?,
        y: model.output("m_ffe_out")?,
        level: model.output("m_slicer_level")?,
    };
    reset_and_program(model, (ports.tvalid, ports.tready), fmt, coeffs)?;
    Ok(ports)
}

/// The stall limit of the streaming phase, in cycles.
fn stall_limit(nwords: usize, vpat: &[bool], rpat: &[bool]) -> u64 {
    1000 + 200 * nwords as u64 * (vpat.len() as u64 + rpat.len() as u64)
}

/// Output words taken per [`Model::stream`] call: large enough to make the
/// call's cost vanish, small enough for the words to stay in the cache.
const STREAM_CHUNK: usize = 2048;

/// Drives `samples` through a loaded model: reset, coefficient writes, then
/// streaming under `bp`. Samples are padded with zeros to whole words; the
/// returned outputs are cut to `samples.len()`.
///
/// The streaming runs in the shim, [`STREAM_CHUNK`] output words per call
/// ([`Model::stream`]); [`run_model_stepwise`] is the same protocol one
/// cycle per call, the reference it is tested against (and the path for a
/// library without the streaming entry).
pub fn run_model(
    model: &mut Model,
    fmt: &RxFormat,
    coeffs: &RxCoeffs,
    parallel: usize,
    samples: &[i16],
    bp: &Backpressure,
) -> Result<RtlOutput, SimError> {
    if !model.can_stream() {
        return run_model_stepwise(model, fmt, coeffs, parallel, samples, bp);
    }
    let un = Unpacker::new(model, parallel, fmt.ffe_out_bits)?;
    let mut out = un.output(samples.len());
    let (cycles, first_latency) = stream_words(model, fmt, coeffs, parallel, samples, bp, |w| {
        un.push(w, &mut out)
    })?;
    Ok(un.finish(out, cycles, first_latency, samples.len()))
}

/// Turns the taken output words of [`Model::stream`] (all outputs of each)
/// into an [`RtlOutput`].
struct Unpacker {
    nout: usize,
    data: std::ops::Range<usize>,
    level: std::ops::Range<usize>,
    y: std::ops::Range<usize>,
    p: usize,
    ob: u32,
}

impl Unpacker {
    fn new(model: &Model, p: usize, ob: u32) -> Result<Self, SimError> {
        Ok(Unpacker {
            nout: model.output_len(),
            data: model.output_range(model.output("m_axis_tdata")?),
            level: model.output_range(model.output("m_slicer_level")?),
            y: model.output_range(model.output("m_ffe_out")?),
            p,
            ob,
        })
    }

    /// An empty output with room for `n` symbols (whole words).
    fn output(&self, n: usize) -> RtlOutput {
        let nsym = n.div_ceil(self.p) * self.p;
        RtlOutput {
            y: Vec::with_capacity(nsym),
            levels: Vec::with_capacity(nsym),
            data: Vec::with_capacity(nsym),
            cycles: 0,
            first_latency: None,
        }
    }

    /// Appends the symbols of the taken words `words`.
    fn push(&self, words: &[u32], out: &mut RtlOutput) {
        let (p, ob) = (self.p, self.ob);
        for w in words.chunks_exact(self.nout) {
            lanes(&w[self.data.clone()], 2, p, |v| out.data.push(v as u8));
            lanes(&w[self.level.clone()], 2, p, |v| out.levels.push(v as u8));
            lanes(&w[self.y.clone()], ob, p, |v| {
                out.y.push(sext(v, ob) as i32)
            });
        }
    }

    /// The output cut to `n` symbols, with the streaming phase's figures.
    fn finish(
        &self,
        mut out: RtlOutput,
        cycles: u64,
        first_latency: Option<u64>,
        n: usize,
    ) -> RtlOutput {
        out.cycles = cycles;
        out.first_latency = first_latency;
        out.y.truncate(n);
        out.levels.truncate(n);
        out.data.truncate(n);
        out
    }
}

/// The protocol of [`run_model`] in the shim's streaming loop, handing the
/// taken output words to `sink` one chunk at a time (in order); returns the
/// streaming cycles and the first latency.
fn stream_words(
    model: &mut Model,
    fmt: &RxFormat,
    coeffs: &RxCoeffs,
    parallel: usize,
    samples: &[i16],
    bp: &Backpressure,
    mut sink: impl FnMut(&[u32]),
) -> Result<(u64, Option<u64>), SimError> {
    let ports = configure(model, fmt, coeffs)?;
    let p = parallel;
    let nwords = samples.len().div_ceil(p);
    let tw = model.input_words(ports.tdata).len();
    let tdata = pack_samples(samples, p, fmt.adc_bits, tw);
    let (vpat, rpat) = bp.patterns();
    let limit = stall_limit(nwords, &vpat, &rpat);
    let (vpat, rpat): (Vec<u8>, Vec<u8>) = (
        vpat.iter().map(|&b| b as u8).collect(),
        rpat.iter().map(|&b| b as u8).collect(),
    );
    let nout = model.output_len();
    let mut words = vec![0u32; STREAM_CHUNK * nout];
    let mut st = StreamState::new(nwords as u64, limit);
    while (st.outw as usize) < nwords {
        if st.cyc > limit {
            return Err(SimError::Stalled {
                got: st.outw as usize,
                want: nwords,
                cycles: st.cyc,
            });
        }
        let before = st.outw as usize;
        st.out_stop = (before + STREAM_CHUNK).min(nwords) as u64;
        model.stream(&mut st, &tdata, &vpat, &rpat, &mut words)?;
        sink(&words[..(st.outw as usize - before) * nout]);
    }
    Ok((st.cyc, (st.first_lat != u64::MAX).then_some(st.first_lat)))
}

/// The `s_axis_tdata` words of every input word: `p` samples of `a` bits
/// (`<= 16`) each, sample 0 in the low bits, zero padding after the last
/// sample, `tw` 32-bit words per input word.
fn pack_samples(samples: &[i16], p: usize, a: u32, tw: usize) -> Vec<u32> {
    let nwords = samples.len().div_ceil(p);
    if a > 16 {
        // not a valid format (the generator refuses it); the general path
        let mut v = vec![0u32; nwords * tw];
        for (i, &x) in samples.iter().enumerate() {
            let (w, lane) = (i / p, (i % p) as u32);
            put_bits(&mut v[w * tw..w * tw + tw], lane * a, a, x as i64 as u64);
        }
        return v;
    }
    let mask = (1u64 << a) - 1;
    let mut v = Vec::with_capacity(nwords * tw);
    let pad = [0i16].iter().cycle();
    let mut it = samples.iter().chain(pad);
    for _ in 0..nwords {
        // fewer than 32 bits wait in `acc`, so `a <= 16` more always fit
        let (mut acc, mut have, start) = (0u64, 0u32, v.len());
        for _ in 0..p {
            let x = *it.next().unwrap_or(&0);
            acc |= (x as i64 as u64 & mask) << have;
            have += a;
            if have >= 32 {
                v.push(acc as u32);
                acc >>= 32;
                have -= 32;
            }
        }
        while v.len() < start + tw {
            v.push(acc as u32);
            acc >>= 32;
        }
    }
    v
}

/// Calls `f` with each of the `n` fields of `width` bits (`<= 64`) packed
/// from bit 0 of the little-endian `words` (missing words read as zero).
#[inline]
fn lanes(words: &[u32], width: u32, n: usize, mut f: impl FnMut(u64)) {
    if width > 32 {
        for i in 0..n as u32 {
            f(get_bits(words, i * width, width));
        }
        return;
    }
    let mask = (1u64 << width) - 1;
    let (mut acc, mut have) = (0u64, 0u32);
    let mut it = words.iter();
    for _ in 0..n {
        // fewer than `width <= 32` bits wait in `acc`: one word refills it
        if have < width {
            acc |= (it.next().copied().unwrap_or(0) as u64) << have;
            have += 32;
        }
        f(acc & mask);
        acc >>= width;
        have -= width;
    }
}

/// [`run_model`] one clock cycle per call into the shim, the Rust loop the
/// streaming shim replicates: the reference that the fast path is tested
/// against, cycle for cycle.
pub fn run_model_stepwise(
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
    let ports = configure(model, fmt, coeffs)?;
    let (i_tdata, i_tvalid, i_tready) = (ports.tdata, ports.tvalid, ports.tready);
    let (o_sready, o_mvalid) = (ports.sready, ports.mvalid);
    let (o_data, o_y, o_lvl) = (ports.data, ports.y, ports.level);

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
    let limit = stall_limit(nwords, &vpat, &rpat);
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
    cosim_against(fmt, fmt, coeffs, parallel, samples, backpressure)
}

/// [`cosim`] with the RTL generated for `rtl_fmt` and the golden model run
/// for `fmt` (they differ only to prove that a mismatch is caught). The
/// golden model runs in a second thread while the RTL simulates.
pub fn cosim_against(
    rtl_fmt: &RxFormat,
    fmt: &RxFormat,
    coeffs: &RxCoeffs,
    parallel: usize,
    samples: &[i16],
    backpressure: Backpressure,
) -> Result<CosimReport, SimError> {
    // refuse bad inputs before spending a build on them
    check_inputs(fmt, coeffs, samples)?;
    let (mut model, info) = build_model(rtl_fmt, parallel)?;
    let t = Instant::now();
    let (out, rtl_time, gold) = if model.can_stream() {
        rtl_beside_golden(
            &mut model,
            (rtl_fmt, fmt),
            coeffs,
            parallel,
            samples,
            &backpressure,
        )
    } else {
        let out = run_model(
            &mut model,
            rtl_fmt,
            coeffs,
            parallel,
            samples,
            &backpressure,
        );
        let rtl_time = t.elapsed();
        let gold = golden_run(fmt, coeffs, samples);
        let cmp = match (&out, &gold) {
            (Ok(o), Ok(g)) => compare(o, g),
            _ => (0, None),
        };
        let out = out.map(|o| (o.cycles, o.first_latency));
        (out, rtl_time, gold.map(|g| (g, cmp)))
    };
    let ((cycles, first_latency), (_, cmp)) = (out?, gold?);
    Ok(report(
        "verilator",
        (parallel, samples),
        (cycles, cmp),
        first_latency,
        (info.time, info.cached),
        (t, rtl_time),
    ))
}

/// The streaming cycles and the first latency of an RTL run.
type Streamed = Result<(u64, Option<u64>), SimError>;

/// The golden output and [`compare`]'s result against the RTL's.
type Checked = Result<(EqOutput, (usize, Option<Mismatch>)), SimError>;

/// The RTL simulation on this thread and, on a second one, the golden model
/// (`fmt`), then the unpacking and comparison of the RTL's output words as
/// they come (chunks through a bounded channel, unpacked into one reused
/// buffer): two cores busy. Returns the streaming cycles and first latency,
/// the RTL's wall time, and the golden output with the comparison
/// ([`compare`]'s result).
fn rtl_beside_golden(
    model: &mut Model,
    (rtl_fmt, fmt): (&RxFormat, &RxFormat),
    coeffs: &RxCoeffs,
    parallel: usize,
    samples: &[i16],
    bp: &Backpressure,
) -> (Streamed, Duration, Checked) {
    let t = Instant::now();
    let un = match Unpacker::new(model, parallel, rtl_fmt.ffe_out_bits) {
        Ok(u) => u,
        Err(e) => return (Err(e), t.elapsed(), Err(SimError::Run("not run".into()))),
    };
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u32>>(64);
        let un = &un;
        let checker = s.spawn(move || {
            let gold = golden_run(fmt, coeffs, samples);
            let mut buf = un.output(STREAM_CHUNK * parallel);
            let (mut from, mut count, mut first) = (0, 0, None);
            for chunk in rx {
                buf.data.clear();
                buf.levels.clear();
                buf.y.clear();
                un.push(&chunk, &mut buf);
                if let Ok(g) = &gold {
                    // the padding after the last sample is not compared
                    let to = (from + buf.data.len()).min(g.data.len());
                    let (c, f) = compare_range(&buf, from, g, from.min(to)..to);
                    count += c;
                    first = first.or(f);
                }
                from += buf.data.len();
            }
            (gold, (count, first))
        });
        let streamed = stream_words(model, rtl_fmt, coeffs, parallel, samples, bp, |w| {
            // a closed channel means the checker stopped; its error is reported below
            let _ = tx.send(w.to_vec());
        });
        let rtl_time = t.elapsed();
        drop(tx);
        let (gold, cmp) = checker.join().unwrap_or_else(|_| {
            (
                Err(SimError::Run("the golden model panicked".into())),
                (0, None),
            )
        });
        (streamed, rtl_time, gold.map(|g| (g, cmp)))
    })
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
    build: (Duration, bool),
    t: Instant,
) -> Result<CosimReport, SimError> {
    let rtl_time = t.elapsed();
    let gold = golden_run(fmt, coeffs, samples)?;
    Ok(report(
        simulator,
        (parallel, samples),
        (out.cycles, compare(&out, &gold)),
        first_latency,
        build,
        (t, rtl_time),
    ))
}

/// The report of a co-simulation whose RTL ran `cycles` streaming cycles
/// and compared with the golden model as `(mismatches, first_mismatch)`
/// ([`compare`]); the
/// simulation started at `t` and its RTL part took `rtl_time`.
fn report(
    simulator: &'static str,
    (parallel, samples): (usize, &[i16]),
    (cycles, (mismatches, first_mismatch)): (u64, (usize, Option<Mismatch>)),
    first_latency: Option<u64>,
    (build_time, cached): (Duration, bool),
    (t, rtl_time): (Instant, Duration),
) -> CosimReport {
    let sim_time = t.elapsed();
    CosimReport {
        simulator,
        symbols: samples.len(),
        words: samples.len().div_ceil(parallel),
        mismatches,
        first_mismatch,
        cycles,
        first_latency,
        build_time,
        cached,
        rtl_time,
        sim_time,
        symbols_per_sec: samples.len() as f64 / sim_time.as_secs_f64().max(1e-9),
    }
}
