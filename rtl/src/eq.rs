//! The equalizer datapath `rxdsp_eq`: FFE, DFE with PAM4 slicer, precoder
//! and Gray decode, `P` samples per clock, AXI4-Stream style handshakes.
//!
//! Structure (see `docs/rtl-architecture.md`):
//! * `rxdsp_eq_ffe`: sample history registers, one registered product per
//!   (sample, tap), a binary adder tree with a register after every level,
//!   then a registered round-half-up and saturation stage.
//! * `rxdsp_eq_dfe`: stage D1 computes, for every sample, the four
//!   candidates of the first DFE tap (one per possible previous decision);
//!   stage D2 resolves them (M = 1: parallel-prefix composition of the
//!   4-to-4 selection maps; M >= 2: taps 2..M subtracted sample by sample,
//!   tap 1 still unrolled), with a register stage D2a in front (for M = 1
//!   in the middle of the prefix network); stage D3 decodes precoding and Gray.
//! * `rxdsp_eq`: run-time coefficient registers and the output FIFO.
//!
//! There is no global stall: every pipeline register advances every clock
//! and every stage carries a valid bit; the state that must only see real
//! samples (sample history, decision history, precoder memory) advances on
//! its stage's valid bit. Stage D3 writes into an output FIFO (distributed
//! RAM) that can hold every word in flight; its registered almost-full
//! drives `s_axis_tready`, so `m_axis_tready` reaches only the FIFO's read
//! side and nothing else.

use crate::hdl::{Dir, Expr, Header, Module, Param, Port, Ty};
use crate::{regen, RtlError};
use golden::adapt::HwAdaptParams;
use golden::numeric::{clog2, RxFormat};

/// Name of the top module.
pub const TOP: &str = "rxdsp_eq";

/// Legal numbers of samples per clock: the config's one list,
/// `golden::config::PARALLEL_VALUES`, as `usize`.
pub const PARALLEL: [usize; golden::config::PARALLEL_VALUES.len()] = {
    let v = golden::config::PARALLEL_VALUES;
    let mut out = [0usize; golden::config::PARALLEL_VALUES.len()];
    let mut i = 0;
    while i < v.len() {
        out[i] = v[i] as usize;
        i += 1;
    }
    out
};

/// Name of the FFE multiplier module (one instance per sample and tap).
pub const MUL: &str = "rxdsp_eq_mul";

/// Latency in clock cycles: a word whose input handshake happens in cycle `c`
/// is presented on `m_axis` (with `m_axis_tvalid`) in cycle `c + latency`, if
/// nothing stalls. `11 + ceil(log2 N)`: input register, multiplier operand
/// register, product register, fabric product register, `ceil(log2 N)`
/// adder tree levels, round, saturate, DFE D1, D1b, D2a, D2, D3 (the output
/// FIFO's write). The designs report the count of the
/// stages the builders emitted ([`pipeline_stages`]); a test ties this
/// closed form to that count.
pub fn latency(fmt: &RxFormat, _parallel: usize) -> usize {
    11 + clog2(fmt.ffe_taps) as usize
}

/// Checks the format and the parallelism.
pub fn check(fmt: &RxFormat, parallel: usize) -> Result<(), RtlError> {
    fmt.validate()?;
    if !PARALLEL.contains(&parallel) {
        return Err(RtlError::Param {
            name: "parallel",
            value: parallel as i64,
            why: "samples per clock must be one of 1, 2, 4, 8, 16, 32".into(),
        });
    }
    Ok(())
}

/// Width of the configuration write-data port.
pub fn cfg_data_bits(fmt: &RxFormat) -> u32 {
    let mut w = fmt.ffe_coef_bits.max(fmt.ffe_out_bits);
    if fmt.dfe_taps > 0 {
        w = w.max(fmt.dfe_coef_bits);
    }
    w
}

/// A coefficient or threshold register takes a write's value at this clock
/// edge after the write's cycle: each register's strobe (its address
/// decode) is registered first, with the data beside it. The CSR block
/// drives the port from across the die, and the decode's LUTs sat on that
/// crossing in front of 147 enables (session 25's placement). The
/// adaptation engine's own registers take the port's writes at the first
/// edge, as before.
pub const WRITE_EDGES: usize = 2;

/// Width of the configuration address port.
pub fn cfg_addr_bits(fmt: &RxFormat) -> u32 {
    clog2(fmt.ffe_taps + fmt.dfe_taps + 1).max(1)
}

/// Register map: address of FFE tap `k`.
pub fn addr_ffe(_fmt: &RxFormat, k: usize) -> usize {
    proto::regmap::eq_port::ffe(k)
}

/// Register map: address of DFE tap `j` (0 = first post-cursor).
pub fn addr_dfe(fmt: &RxFormat, j: usize) -> usize {
    proto::regmap::eq_port::dfe(fmt.ffe_taps, j)
}

/// Register map: address of the slicer threshold.
pub fn addr_threshold(fmt: &RxFormat) -> usize {
    proto::regmap::eq_port::threshold(fmt.ffe_taps, fmt.dfe_taps)
}

/// The file header of the equalizer's modules: the generation parameters
/// under their configuration keys; the latency is set by the builders.
fn header(fmt: &RxFormat, p: usize, what: &str, regenerate: &str) -> Header {
    Header::new(what, regenerate)
        .param("rtl.parallel (P)", p)
        .param("adc.bits", fmt.adc_bits)
        .param("ffe.taps (N)", fmt.ffe_taps)
        .param("ffe.main", fmt.ffe_main)
        .param("ffe.coef_bits", fmt.ffe_coef_bits)
        .param("ffe.coef_frac", fmt.ffe_coef_frac)
        .param("ffe.out_bits", fmt.ffe_out_bits)
        .param("ffe.out_frac", fmt.ffe_out_frac)
        .param("dfe.taps (M)", fmt.dfe_taps)
        .param("dfe.coef_bits", fmt.dfe_coef_bits)
        .param("tx.precode", fmt.precode)
}

fn k(v: i128, ty: Ty) -> Result<Expr, RtlError> {
    Expr::konst(v, ty)
}

/// Signed field `i` of width `w` of a packed bus, as a named wire.
fn field(m: &mut Module, bus: &Expr, i: usize, w: u32, name: &str) -> Result<Expr, RtlError> {
    let lo = i as u32 * w;
    let s = bus.slice(lo + w - 1, lo)?.as_signed();
    m.wire(name, &s)
}

/// Builds the three modules, submodules first, top last.
pub fn build(fmt: &RxFormat, p: usize) -> Result<Vec<Module>, RtlError> {
    Ok(build_with_stages(fmt, p)?.0)
}

/// The pipeline stages a builder emits, in order: one per valid-bit
/// register. The equalizer's latency is their count (see [`pipeline_stages`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stages(Vec<String>);

impl Stages {
    /// Registers `valid` (every clock, reset 0) as the valid bit `name`
    /// of the next pipeline stage, and records the stage.
    fn valid(&mut self, m: &mut Module, name: &str, valid: &Expr) -> Result<Expr, RtlError> {
        self.record(m, name);
        m.reg_d(name, valid, None, Some(0))
    }

    /// Records a stage whose valid register `name` of `m` is built elsewhere.
    fn record(&mut self, m: &Module, name: &str) {
        self.0.push(format!("{}.{name}", m.name()));
    }

    /// The stages as `module.valid_register`, input first.
    pub fn names(&self) -> &[String] {
        &self.0
    }

    /// How many stages: the latency in clock cycles.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no stage was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Builds the modules (as [`build`]) and returns the pipeline stages the
/// FFE and DFE builders emitted.
pub fn build_with_stages(fmt: &RxFormat, p: usize) -> Result<(Vec<Module>, Stages), RtlError> {
    build_variant(fmt, p, None)
}

/// Builds the modules of the equalizer, with the adaptation engine
/// ([`crate::adapt`]) beside the FFE and DFE when `adapt` is given (the
/// engine module comes before the top); without it, the fixed equalizer of
/// [`build`].
pub(crate) fn build_variant(
    fmt: &RxFormat,
    p: usize,
    adapt: Option<&HwAdaptParams>,
) -> Result<(Vec<Module>, Stages), RtlError> {
    check(fmt, p)?;
    let mut stages = Stages::default();
    let mul = build_mul(fmt, p)?;
    let mut ffe = build_ffe(fmt, p, &mul, &mut stages)?;
    let n_ffe = stages.len();
    ffe.header_mut().latency = Some(n_ffe);
    let mut dfe = build_dfe(fmt, p, &mut stages, adapt.is_some())?;
    dfe.header_mut().latency = Some(stages.len() - n_ffe);
    let engine = match adapt {
        Some(g) => Some(crate::adapt::build_engine(
            fmt,
            p,
            g,
            n_ffe,
            latency(fmt, p),
        )?),
        None => None,
    };
    let mut top = build_top(fmt, p, &ffe, &dfe, &mut stages, engine.as_ref())?;
    top.header_mut().latency = Some(stages.len());
    let mut mods = vec![mul, ffe, dfe];
    mods.extend(engine);
    mods.push(top);
    Ok((mods, stages))
}

/// The pipeline stages of the equalizer for `fmt` at `p` samples per clock,
/// as its builders emit them; their count is the latency of [`latency`]
/// (a test ties the two).
pub fn pipeline_stages(fmt: &RxFormat, p: usize) -> Result<Stages, RtlError> {
    Ok(build_with_stages(fmt, p)?.1)
}

/// Latency of the multiplier in clocks: operand and product registers.
const MUL_LATENCY: usize = 2;

/// Port documentation of the multiplier, shared by both of its variants.
const MUL_PORTS: [(&str, &str); 4] = [
    ("clk", "clock, all registers on the rising edge"),
    ("a", "sample operand (signed)"),
    ("b", "coefficient operand (signed)"),
    ("p", "a * b, exact, two clocks after a and b"),
];

/// The FFE multiplier `rxdsp_eq_mul`: operand registers, then the product
/// register; no reset, no enable (pure datapath, advancing every clock).
/// Two clocks of latency. This generic variant is what simulation runs;
/// [`ecp5_mul_verilog`] gives the same module as one ECP5 `MULT18X18D` with
/// its input and output registers.
fn build_mul(fmt: &RxFormat, p: usize) -> Result<Module, RtlError> {
    let a = fmt.adc_bits;
    let cb = fmt.ffe_coef_bits;
    let pw = a + cb;
    let mut m = Module::new(
        MUL,
        header(
            fmt,
            p,
            "FFE multiplier, registered operands and product (generic variant)",
            regen::EQ,
        )
        .latency(MUL_LATENCY),
    );
    m.clock_only()?;
    let xa = m.input("a", Ty::s(a), MUL_PORTS[1].1)?;
    let xb = m.input("b", Ty::s(cb), MUL_PORTS[2].1)?;
    let ar = m.reg_d("a_r", &xa, None, None)?;
    let br = m.reg_d("b_r", &xb, None, None)?;
    let prod = ar.ext(pw)?.mul(&br.ext(pw)?)?;
    let pr = m.reg_d("p_r", &prod, None, None)?;
    m.output("p", &pr, MUL_PORTS[3].1)?;
    Ok(m)
}

/// The ECP5 variant of `rxdsp_eq_mul`: the same ports and the same two-clock
/// latency, built on one `MULT18X18D` with its A, B input registers and its
/// output register enabled (clock enable CE0 tied high) (Yosys maps a behavioural multiply to an
/// unregistered `MULT18X18D` and leaves the registers in the fabric, which
/// limits the clock to about 85 MHz on a -6 part). Synthesis for ECP5 swaps it
/// in with [`use_ecp5_dsp`]; simulation keeps the generic variant, and a test
/// checks the two against a model of the primitive.
pub fn ecp5_mul_verilog(fmt: &RxFormat, p: usize) -> Result<String, RtlError> {
    build_ecp5_mul(fmt, p)?.emit()
}

/// The ECP5 `MULT18X18D` as a black box: the ports the multiplier connects.
/// CLK1-3, CE1-3, RST0-3 and the shift inputs SRIA/SRIB stay unconnected
/// (inactive), as Yosys leaves them: tying them to 0 gives nextpnr
/// thousands of constant arcs into the DSP rows, and its router fails on them.
fn mult18x18d() -> Result<Module, RtlError> {
    let port = |name: String, dir: Dir| Port {
        name,
        dir,
        ty: Ty::BIT,
        doc: String::new(),
    };
    let mut ports = Vec::new();
    for bus in ["A", "B", "C"] {
        for i in 0..18 {
            ports.push(port(format!("{bus}{i}"), Dir::In));
        }
    }
    for n in ["SIGNEDA", "SIGNEDB", "SOURCEA", "SOURCEB", "CLK0", "CE0"] {
        ports.push(port(n.into(), Dir::In));
    }
    for i in 0..36 {
        ports.push(port(format!("P{i}"), Dir::Out));
    }
    Module::black_box("MULT18X18D", ports)
}

/// The ECP5 variant of `rxdsp_eq_mul` as a module (see [`ecp5_mul_verilog`]).
pub fn build_ecp5_mul(fmt: &RxFormat, p: usize) -> Result<Module, RtlError> {
    check(fmt, p)?;
    let a = fmt.adc_bits;
    let cb = fmt.ffe_coef_bits;
    let pw = a + cb;
    if a > 18 || cb > 18 {
        return Err(RtlError::Param {
            name: "adc_bits/ffe_coef_bits",
            value: a.max(cb) as i64,
            why: "the ECP5 MULT18X18D takes operands of at most 18 bits".into(),
        });
    }
    let mut m = Module::new(
        MUL,
        header(
            fmt,
            p,
            "FFE multiplier, ECP5 variant: one MULT18X18D, input and output registers on CLK0 (CE0 high)",
            regen::ECP5_MUL,
        )
        .latency(MUL_LATENCY),
    );
    let clk = m.clock_only()?;
    let xa = m.input("a", Ty::s(a), MUL_PORTS[1].1)?;
    let xb = m.input("b", Ty::s(cb), MUL_PORTS[2].1)?;
    m.comment("operands sign-extended to the primitive's 18 bits");
    let a18 = m.wire("a18", &xa.ext(18)?)?;
    let b18 = m.wire("b18", &xb.ext(18)?)?;
    let p36 = m.wire_decl("p36", Ty::s(36))?;
    let params: Vec<(&str, Param)> = [
        ("REG_INPUTA_CLK", "CLK0"),
        ("REG_INPUTA_CE", "CE0"),
        ("REG_INPUTA_RST", "RST0"),
        ("REG_INPUTB_CLK", "CLK0"),
        ("REG_INPUTB_CE", "CE0"),
        ("REG_INPUTB_RST", "RST0"),
        ("REG_INPUTC_CLK", "NONE"),
        ("REG_PIPELINE_CLK", "NONE"),
        ("REG_OUTPUT_CLK", "CLK0"),
        ("REG_OUTPUT_CE", "CE0"),
        ("REG_OUTPUT_RST", "RST0"),
        ("GSR", "DISABLED"),
        ("RESETMODE", "SYNC"),
        ("MULT_BYPASS", "DISABLED"),
        ("SOURCEB_MODE", "B_SHIFT"),
        ("CAS_MATCH_REG", "FALSE"),
    ]
    .iter()
    .map(|(k, v)| (*k, Param::str(v)))
    .collect();
    let (zero, one) = (k(0, Ty::BIT)?, k(1, Ty::BIT)?);
    let mut conns: Vec<(String, Expr)> = Vec::new();
    for (bus, x) in [("A", &a18), ("B", &b18)] {
        for i in 0..18 {
            conns.push((format!("{bus}{i}"), x.bit(i)?));
        }
    }
    for i in 0..18 {
        conns.push((format!("C{i}"), zero.clone()));
    }
    for (n, v) in [
        ("SIGNEDA", &one),
        ("SIGNEDB", &one),
        ("SOURCEA", &zero),
        ("SOURCEB", &zero),
        ("CLK0", &clk),
        ("CE0", &one),
    ] {
        conns.push((n.into(), v.clone()));
    }
    for i in 0..36 {
        conns.push((format!("P{i}"), p36.bit(i)?));
    }
    let c: Vec<(&str, &Expr)> = conns.iter().map(|(n, e)| (n.as_str(), e)).collect();
    m.instance_with_params(&mult18x18d()?, "u_mult", &params, &c)?;
    m.output("p", &p36.slice(pw - 1, 0)?.as_signed(), MUL_PORTS[3].1)?;
    Ok(m)
}

/// Swaps the ECP5 variant of the multiplier into the files of a generated
/// design (`(file name, text)` pairs from [`crate::design`],
/// [`crate::top::design`] or the RS chain): returns whether the design had a
/// multiplier to swap.
pub fn use_ecp5_dsp(
    files: &mut [(String, String)],
    fmt: &RxFormat,
    p: usize,
) -> Result<bool, RtlError> {
    let name = format!("{MUL}.v");
    match files.iter_mut().find(|(n, _)| *n == name) {
        Some(f) => {
            f.1 = ecp5_mul_verilog(fmt, p)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// The FFE's shape for [`lane_histories`]: P, N and the sample width.
#[derive(Clone, Copy)]
struct FfeDims {
    p: usize,
    n: usize,
    a: u32,
}

/// Stage 0, a copy per lane: lane `i`'s samples at the offsets its
/// multipliers read (`i - k` for tap `k`; offset `q >= 0` is the current
/// word's sample `q`, `x_c{q}_l{i}`, loaded every clock; `q < 0` the sample
/// `-q` words back in the history, `x_h{-q}_l{i}`, which advances on `v0`),
/// and the current-word samples its history loads from. One history shared
/// by the lanes fed each sample to P multipliers, which sit wherever the
/// die's DSP sites are: `x_h6 -> u_mul_4_10` crossed the die (24.1 ns placed
/// on aaa7662). With P > 1 each register is kept (`Module::kept_reg`): the
/// lanes' copies have the same next state, and Yosys would merge them back.
fn lane_histories(
    m: &mut Module,
    in_data: &Expr,
    v0: &Expr,
    d: FfeDims,
) -> Result<Vec<std::collections::BTreeMap<isize, Expr>>, RtlError> {
    let FfeDims { p, n, a } = d;
    // one lane has nothing to be merged with: plain registers
    let lane_reg = |m: &mut Module, name: &str, ty: Ty, reset: Option<i128>| match p {
        1 => m.reg(name, ty, reset),
        _ => m.kept_reg(name, ty, reset),
    };
    let mut out = Vec::new();
    for i in 0..p {
        // the history this lane reads: offsets -1 ..= -(n - 1 - i)
        let deep = (n - 1).saturating_sub(i);
        let mut need_c: std::collections::BTreeSet<usize> = (i.saturating_sub(n - 1)..=i).collect();
        for mm in 1..=deep {
            if mm <= p {
                need_c.insert(p - mm);
            }
        }
        let mut x = std::collections::BTreeMap::new();
        for &q in &need_c {
            let v = in_data
                .slice((q as u32 + 1) * a - 1, q as u32 * a)?
                .as_signed();
            let r = lane_reg(m, &format!("x_c{q}_l{i}"), Ty::s(a), None)?;
            m.next(&r, &v, None)?;
            x.insert(q as isize, r);
        }
        for mm in 1..=deep {
            let r = lane_reg(m, &format!("x_h{mm}_l{i}"), Ty::s(a), Some(0))?;
            x.insert(-(mm as isize), r);
        }
        for mm in 1..=deep as isize {
            // next value of offset -mm is the sample now at offset p - mm
            m.next(&x[&-mm], &x[&(p as isize - mm)], Some(v0))?;
        }
        out.push(x);
    }
    Ok(out)
}

fn build_ffe(
    fmt: &RxFormat,
    p: usize,
    mul: &Module,
    stages: &mut Stages,
) -> Result<Module, RtlError> {
    let n = fmt.ffe_taps;
    let a = fmt.adc_bits;
    let cb = fmt.ffe_coef_bits;
    let pw = a + cb;
    let ob = fmt.ffe_out_bits;
    let s = fmt.ffe_shift();
    let mut m = Module::new(
        "rxdsp_eq_ffe",
        header(fmt, p, "pipelined FFE, P samples per clock", regen::EQ),
    );
    let (clk, _) = m.clock()?;
    let in_valid = m.input(
        "in_valid",
        Ty::BIT,
        "input word valid (a handshake: the sample history advances on it)",
    )?;
    let in_data = m.input(
        "in_data",
        Ty::u(p as u32 * a),
        "P samples, sample 0 in the LSBs",
    )?;
    let coef = m.input(
        "coef",
        Ty::u(n as u32 * cb),
        "N coefficients, tap 0 in the LSBs",
    )?;
    m.comment("coefficients");
    let mut c = Vec::new();
    for kk in 0..n {
        c.push(field(&mut m, &coef, kk, cb, &format!("c{kk}"))?);
    }

    m.comment(
        "stage 0, per lane i: the current word x_c*_l{i} (loaded every clock) and the previous samples \
         x_h*_l{i} (x_h1 is the latest; they advance past x_c* when it holds a word, v0)",
    );
    let v0 = stages.valid(&mut m, "v0", &in_valid)?;
    let lanes = lane_histories(&mut m, &in_data, &v0, FfeDims { p, n, a })?;
    let x_at = |i: usize, q: isize| -> Expr { lanes[i][&q].clone() };

    m.comment(&format!(
        "stages 1-3: products, exact in {pw} bits, from {MUL} (registered operands, registered product), then a fabric register after each (a stepping stone from the DSP block to the adder tree)"
    ));
    let mut level: Vec<Vec<Expr>> = Vec::new();
    for i in 0..p {
        let mut row = Vec::new();
        for (kk, ck) in c.iter().enumerate() {
            let x = x_at(i, i as isize - kk as isize);
            let prod = m.wire_decl(&format!("p{i}_{kk}"), Ty::s(pw))?;
            m.instance(
                mul,
                &format!("u_mul_{i}_{kk}"),
                &[("clk", &clk), ("a", &x), ("b", ck), ("p", &prod)],
            )?;
            row.push(m.reg_d(&format!("pq{i}_{kk}"), &prod, None, None)?);
        }
        level.push(row);
    }
    let v1 = stages.valid(&mut m, "v1", &v0)?;
    let v1b = stages.valid(&mut m, "v1b", &v1)?;
    let mut valid = stages.valid(&mut m, "v1c", &v1b)?;

    let depth = clog2(n);
    let mut w = pw;
    for l in 0..depth {
        m.comment(&format!("adder tree level {}: {} bits", l + 1, w + 1));
        let mut next = Vec::new();
        for (i, row) in level.iter().enumerate() {
            let mut nrow = Vec::new();
            for (j, pair) in row.chunks(2).enumerate() {
                let sum = if pair.len() == 2 {
                    pair[0].ext(w + 1)?.add(&pair[1].ext(w + 1)?)?
                } else {
                    pair[0].ext(w + 1)?
                };
                nrow.push(m.reg_d(&format!("t{}_{i}_{j}", l + 1), &sum, None, None)?);
            }
            next.push(nrow);
        }
        level = next;
        w += 1;
        valid = stages.valid(&mut m, &format!("v{}", l + 2), &valid)?;
    }
    debug_assert_eq!(w, fmt.ffe_acc_bits());

    m.comment(&format!(
        "round half up (shift {s}), registered; then saturate to {ob} bits (an all-equal test of the top bits), registered"
    ));
    let mut ys = Vec::new();
    let mut shs = Vec::new();
    for (i, row) in level.iter().enumerate() {
        let acc = &row[0];
        let sh = if s == 0 {
            acc.clone()
        } else {
            let we = w.max(s) + 1;
            let r = acc.ext(we)?.add(&k(1i128 << (s - 1), Ty::s(we))?)?;
            let r = m.wire(&format!("r{i}"), &r)?;
            // (acc + 2^(s-1)) >>> s (the sign copies it shifts in are merged
            // by synthesis; slicing instead would leave bits of r unused)
            r.shr(s)
        };
        shs.push(m.reg_d(&format!("sh{i}"), &sh, None, None)?);
    }
    let valid = stages.valid(&mut m, "vr", &valid)?;
    for (i, sh) in shs.iter().enumerate() {
        let wsh = sh.width();
        let y = if wsh > ob {
            // saturation without comparators (carry chains): the value fits
            // in `ob` bits iff bits wsh-1 .. ob-1 are all equal (the sign
            // copies that `>>> s` shifted in are one flip-flop after merging,
            // so the test has `wsh - s - ob + 1` distinct inputs)
            let top = sh.slice(wsh - 1, ob - 1)?;
            let tw = wsh - ob + 1;
            let ones = k((1i128 << tw) - 1, Ty::u(tw))?;
            let fits = top.eq(&k(0, Ty::u(tw))?)?.or(&top.eq(&ones)?)?;
            let fits = m.wire(&format!("fits{i}"), &fits)?;
            Expr::mux(
                &fits,
                &sh.slice(ob - 1, 0)?.as_signed(),
                &Expr::mux(
                    &sh.bit(wsh - 1)?,
                    &k(-(1i128 << (ob - 1)), Ty::s(ob))?,
                    &k((1i128 << (ob - 1)) - 1, Ty::s(ob))?,
                )?,
            )?
        } else {
            sh.ext(ob)?
        };
        ys.push(m.reg_d(&format!("y{i}"), &y, None, None)?);
    }
    let vy = stages.valid(&mut m, &format!("v{}", depth + 2), &valid)?;
    m.output("out_valid", &vy, "output word valid")?;
    m.output(
        "out_y",
        &Expr::pack_lsb_first(&ys)?,
        "P FFE outputs, sample 0 in the LSBs",
    )?;
    Ok(m)
}

struct Slicer {
    t: Expr,
    nt: Expr,
    zero: Expr,
}

impl Slicer {
    /// PAM4 slicer of a named `z`: level index `[z>=-t] + [z>=0] + [z>=t]` as
    /// a 2-bit wire (thermometer to binary).
    fn slice(&self, m: &mut Module, z: &Expr, name: &str) -> Result<Expr, RtlError> {
        let t = self.therm(m, z, &format!("{name}_c"))?;
        decode_therm(m, &t, name)
    }

    /// The slicer's three comparisons of `z`, as a thermometer wire.
    fn therm(&self, m: &mut Module, z: &Expr, name: &str) -> Result<Expr, RtlError> {
        therm_at(m, z, [&self.nt, &self.zero, &self.t], name)
    }
}

/// Registers every element of `v` (every clock) as `<prefix><i>`.
fn reg_each(m: &mut Module, v: &[Expr], prefix: &str) -> Result<Vec<Expr>, RtlError> {
    v.iter()
        .enumerate()
        .map(|(i, e)| m.reg_d(&format!("{prefix}{i}"), e, None, None))
        .collect()
}

/// Registers every selection map (every clock) as `<prefix><i>_<d>`.
fn reg_maps(m: &mut Module, maps: &[[Expr; 4]], prefix: &str) -> Result<Vec<[Expr; 4]>, RtlError> {
    let mut out = Vec::new();
    for (i, f) in maps.iter().enumerate() {
        let r = reg_each(m, f, &format!("{prefix}{i}_"))?;
        out.push([r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone()]);
    }
    Ok(out)
}

/// The slicer's comparisons of `z` against `lo < mid < hi` as a 3-bit
/// thermometer wire `{z>=hi, z>=mid, z>=lo}`.
fn therm_at(m: &mut Module, z: &Expr, thr: [&Expr; 3], name: &str) -> Result<Expr, RtlError> {
    let c0 = z.ge(thr[0])?;
    let c1 = z.ge(thr[1])?;
    let c2 = z.ge(thr[2])?;
    m.wire(name, &Expr::concat(&[c2, c1, c0])?)
}

/// A 3-bit thermometer code `{c2, c1, c0}` to the 2-bit level `c0 + c1 + c2`.
fn decode_therm(m: &mut Module, t: &Expr, name: &str) -> Result<Expr, RtlError> {
    let (c0, c1, c2) = (t.bit(0)?, t.bit(1)?, t.bit(2)?);
    let lsb = c0.xor(&c1)?.xor(&c2)?;
    m.wire(name, &Expr::concat(&[c1, lsb])?)
}

/// Widths and shared signals of the DFE sub-block builders.
struct Dfe {
    /// samples per clock
    p: usize,
    /// DFE taps `M`
    mt: usize,
    /// DFE sum bits
    ds: u32,
    /// the constant 0 of `ds` bits
    zero: Expr,
}

/// The DFE's coefficient-side values (quasi-static, off the data path).
struct Feedback {
    /// `M >= 2`: `fb[j][a] = b_(j+1) * L(a)`
    fb: Vec<[Expr; 4]>,
    /// `M = 1`: per previous decision `d`, the slicer thresholds `[-t, 0, t] + b_1 L(d)`
    thr1: Vec<[Expr; 3]>,
}

/// `aligned` (the adaptive variant): the coefficient inputs hold the values
/// of the word three stages before the DFE input, and every path from them
/// to its use is padded to that word ([`ALIGN_STAGES`]).
fn build_dfe(
    fmt: &RxFormat,
    p: usize,
    stages: &mut Stages,
    aligned: bool,
) -> Result<Module, RtlError> {
    let mt = fmt.dfe_taps;
    let ob = fmt.ffe_out_bits;
    let mut m = Module::new(
        "rxdsp_eq_dfe",
        header(
            fmt,
            p,
            "DFE with unrolled first tap, PAM4 slicer, precoder and Gray decode",
            regen::EQ,
        ),
    );
    m.clock()?;
    let in_valid = m.input("in_valid", Ty::BIT, "input word valid")?;
    let in_y = m.input(
        "in_y",
        Ty::u(p as u32 * ob),
        "P FFE outputs, sample 0 in the LSBs",
    )?;
    let coef = if mt > 0 {
        Some(m.input(
            "dfe_coef",
            Ty::u(mt as u32 * fmt.dfe_coef_bits),
            "M DFE taps, first post-cursor in the LSBs",
        )?)
    } else {
        None
    };
    let thr = m.input("threshold", Ty::u(ob), "slicer threshold t > 0")?;
    let ds = fmt.dfe_sum_bits();
    let c = Dfe {
        p,
        mt,
        ds,
        zero: k(0, Ty::s(ds))?,
    };
    let (t_e, sl) = dfe_thresholds(&mut m, &c, &thr, aligned)?;
    let fbk = dfe_feedback(&mut m, &c, fmt.dfe_coef_bits, coef.as_ref(), &t_e, aligned)?;
    let mut y = Vec::new();
    for i in 0..p {
        y.push(field(&mut m, &in_y, i, ob, &format!("y{i}"))?);
    }
    let (d1_y, d1, v1) = stage_d1(&mut m, &c, &y, &in_valid, sl.as_ref(), &fbk, stages)?;
    let (d1_y, d1, v1) = stage_d1b(&mut m, &c, &d1_y, d1, &v1, stages)?;
    let (d1_y, d1, v1) = stage_d2a(&mut m, &c, &d1_y, d1, &v1, stages)?;
    let (d2_a, d2_y, v2) = stage_d2(&mut m, &c, &d1_y, &d1, &v1, sl.as_ref(), &fbk, stages)?;
    stage_d3(&mut m, &c, fmt.precode, &d2_a, &d2_y, &v2)?;
    // the output FIFO's writes: `v2` (`out_valid`) writes the first column
    // group of the FIFO's memory, and kept copies of it the others. From
    // `v2` alone the write reached the enables of all of the memory's cells
    // across the die (`v2 -> ofifo.WRE`, 224 end points above 11.5 ns, up to
    // 19.8 ns placed on 59fb970)
    let copies = ofifo_groups(fmt, p) - 1;
    if copies > 0 {
        // `v2` kept as well: Yosys merges a plain register into a kept one
        // of the same next state, and one copy would again drive two groups
        // and all of `v2`'s loads
        m.keep(&v2)?;
        let pushes = m.reg_copies("v2_push", &v1, None, Some(0), copies)?;
        m.output(
            "out_push",
            &Expr::pack_lsb_first(&pushes)?,
            "out_valid again, one copy per column group of the output FIFO after the first",
        )?;
    }
    Ok(m)
}

/// Column groups of the output FIFO's memory (the first written by the
/// DFE's `out_valid`, each other by its own copy of it in `out_push`): its
/// word is the FFE outputs, the levels and the data symbols.
fn ofifo_groups(fmt: &RxFormat, p: usize) -> usize {
    (p * (fmt.ffe_out_bits as usize + 4)).div_ceil(crate::fifo::GROUP_BITS)
}

/// The slicer thresholds: `t` sign-extended to the DFE sum width, and the
/// slicer of `M != 1` (for `M = 1` the thresholds move to the feedback side).
fn dfe_thresholds(
    m: &mut Module,
    c: &Dfe,
    thr: &Expr,
    aligned: bool,
) -> Result<(Expr, Option<Slicer>), RtlError> {
    let ds = c.ds;
    m.comment(&format!("slicer thresholds, {ds} bits"));
    // aligned: registers in front, so that t and -t both reach their use
    // (D1 for M <= 1, D2 for M >= 2) ALIGN_STAGES stages after the input
    let (t_in, nt_in) = if aligned {
        let d = match c.mt {
            0 => ALIGN_STAGES,
            1 => ALIGN_STAGES - 1,
            _ => ALIGN_STAGES + 3,
        };
        let taps = delay_chain(m, "thr_al", thr, d)?;
        (taps[d - 1].clone(), Some(taps[d - 2].clone()))
    } else {
        (thr.clone(), None)
    };
    let t = m.wire("t", &t_in.as_signed())?;
    let t_e = m.wire("t_e", &t.ext(ds)?)?;
    // M = 1 slices against per-decision thresholds (thr1 below) instead
    let sl = if c.mt != 1 {
        let nt_src = match nt_in {
            Some(v) => {
                let v = m.wire("t_nt", &v.as_signed())?;
                m.wire("t_nt_e", &v.ext(ds)?)?
            }
            None => t_e.clone(),
        };
        let nt = m.wire("nt", &c.zero.sub(&nt_src)?)?;
        let nt = m.reg_d("nt_q", &nt, None, None)?;
        Some(Slicer {
            t: t_e.clone(),
            nt,
            zero: c.zero.clone(),
        })
    } else {
        None
    };
    Ok((t_e, sl))
}

/// The feedback values `b_j * L(a)`, `L(a) = 2a - 3`, registered; for
/// `M = 1` folded into per-decision slicer thresholds.
fn dfe_feedback(
    m: &mut Module,
    c: &Dfe,
    db: u32,
    coef: Option<&Expr>,
    t_e: &Expr,
    aligned: bool,
) -> Result<Feedback, RtlError> {
    let (mt, ds) = (c.mt, c.ds);
    let zero = &c.zero;
    // fb[j][a] = b_j * L(a), L(a) = 2a - 3
    let mut fb: Vec<[Expr; 4]> = Vec::new();
    // M = 1: the slicer thresholds moved to the feedback side, per previous
    // decision d: thr1[d] = [-t, 0, t] + b_1 L(d), one bit wider (exact)
    let mut thr1: Vec<[Expr; 3]> = Vec::new();
    let te1 = if mt == 1 {
        Some(m.wire("t_e1", &t_e.ext(ds + 1)?)?)
    } else {
        None
    };
    if let Some(coef) = coef {
        m.comment("feedback values b_j * L(a) for the four levels, registered as fb<j>_<a>");
        for j in 0..mt {
            let mut b = field(m, coef, j, db, &format!("b{}", j + 1))?;
            // aligned: tap 1 (used at D1) and taps 2..M (used at D2) padded
            // to ALIGN_STAGES registers before their use
            let pad = match (aligned, mt, j) {
                (false, _, _) | (true, 1, _) => 0,
                (true, _, 0) => ALIGN_STAGES - 2,
                (true, _, _) => ALIGN_STAGES + 1,
            };
            if pad > 0 {
                let taps = delay_chain(m, &format!("b{}_al", j + 1), &b, pad)?;
                b = taps[pad - 1].clone();
            }
            let be = m.wire(&format!("b{}_e", j + 1), &b.ext(ds)?)?;
            // the coefficients are quasi-static: the adders are kept off the
            // data path and registered after every carry chain, so a
            // coefficient write reaches the fb registers two clocks later
            // (the M = 1 thresholds three)
            let b3 = m.reg_d(&format!("b{}_x3", j + 1), &be.shl(1).add(&be)?, None, None)?;
            let nb = m.reg_d(&format!("b{}_n", j + 1), &zero.sub(&be)?, None, None)?;
            let bq = m.reg_d(&format!("b{}_q", j + 1), &be, None, None)?;
            let nb3 = m.wire(&format!("b{}_nx3", j + 1), &zero.sub(&b3)?)?;
            let mut q = Vec::new();
            for (lv, v) in [nb3, nb, bq, b3].iter().enumerate() {
                let fbq = m.reg_d(&format!("fb{}_{lv}", j + 1), v, None, None)?;
                if mt > 1 {
                    q.push(fbq);
                } else if let Some(te1) = &te1 {
                    // y - b1 L(d) >= c  <=>  y >= c + b1 L(d): the comparison
                    // of y alone is the data path, the sums are quasi-static
                    let ve = m.wire(&format!("fb1_{lv}_w"), &fbq.ext(ds + 1)?)?;
                    let lo = m.wire(&format!("thr1_{lv}_lo_w"), &ve.sub(te1)?)?;
                    let hi = m.wire(&format!("thr1_{lv}_hi_w"), &ve.add(te1)?)?;
                    thr1.push([
                        m.reg_d(&format!("thr1_{lv}_lo"), &lo, None, None)?,
                        m.reg_d(&format!("thr1_{lv}_mid"), &ve, None, None)?,
                        m.reg_d(&format!("thr1_{lv}_hi"), &hi, None, None)?,
                    ]);
                }
            }
            if mt > 1 {
                fb.push([q[0].clone(), q[1].clone(), q[2].clone(), q[3].clone()]);
            }
        }
    }
    Ok(Feedback { fb, thr1 })
}

/// Registers between the DFE's coefficient inputs and their use in the
/// adaptive variant: the inputs hold the coefficients of the word this many
/// stages before the DFE input (see [`build_dfe`]).
pub const ALIGN_STAGES: usize = 3;

/// A chain of `n` registers (every clock, no reset) `<name>1..<name>n`
/// from `x`; returns their outputs, the first first.
pub(crate) fn delay_chain(
    m: &mut Module,
    name: &str,
    x: &Expr,
    n: usize,
) -> Result<Vec<Expr>, RtlError> {
    let mut out: Vec<Expr> = Vec::with_capacity(n);
    for i in 0..n {
        let src = if i == 0 {
            x.clone()
        } else {
            out[i - 1].clone()
        };
        out.push(m.reg_d(&format!("{name}{}", i + 1), &src, None, None)?);
    }
    Ok(out)
}

/// The slicer, or an error naming it if the configuration has none.
fn need_slicer(sl: Option<&Slicer>) -> Result<&Slicer, RtlError> {
    sl.ok_or(RtlError::Empty("slicer"))
}

/// A stage's FFE outputs, its per-sample results (one per previous decision
/// for `M >= 1`) and its valid bit.
type StageOut = (Vec<Expr>, Vec<Vec<Expr>>, Expr);

/// Stage D1: the slicer comparisons (`M = 0`), or the first tap unrolled,
/// one candidate per previous decision `d` (`M = 1`: thermometer codes
/// against per-decision thresholds; `M >= 2`: `z` with tap 1 removed).
#[allow(clippy::too_many_arguments)]
fn stage_d1(
    m: &mut Module,
    c: &Dfe,
    y: &[Expr],
    in_valid: &Expr,
    sl: Option<&Slicer>,
    fbk: &Feedback,
    stages: &mut Stages,
) -> Result<StageOut, RtlError> {
    let ds = c.ds;
    let mut d1_y = Vec::new();
    for (i, yi) in y.iter().enumerate() {
        d1_y.push(m.reg_d(&format!("d1_y{i}"), yi, None, None)?);
    }
    // d1[i][d]: M = 0: d1[i][0] = level; M = 1: candidate level for previous
    // decision d; M >= 2: candidate z (tap 1 removed) for previous decision d
    let mut d1: Vec<Vec<Expr>> = Vec::new();
    if c.mt == 0 {
        m.comment("stage D1: slicer comparisons (no DFE), thermometer code");
        for (i, yi) in y.iter().enumerate() {
            let ye = m.wire(&format!("y{i}_e"), &yi.ext(ds)?)?;
            let t = need_slicer(sl)?.therm(m, &ye, &format!("c{i}"))?;
            d1.push(vec![m.reg_d(&format!("d1_c{i}"), &t, None, None)?]);
        }
    } else {
        m.comment("stage D1: first tap unrolled, one candidate per previous decision d");
        for (i, yi) in y.iter().enumerate() {
            let mut row = Vec::new();
            if c.mt == 1 {
                let ye1 = m.wire(&format!("y{i}_e1"), &yi.ext(ds + 1)?)?;
                for (d, [lo, mid, hi]) in fbk.thr1.iter().enumerate() {
                    let t = therm_at(m, &ye1, [lo, mid, hi], &format!("c{i}_{d}"))?;
                    row.push(m.reg_d(&format!("d1_c{i}_{d}"), &t, None, None)?);
                }
            } else {
                let ye = m.wire(&format!("y{i}_e"), &yi.ext(ds)?)?;
                for (d, fbd) in fbk.fb[0].iter().enumerate() {
                    let z = m.wire(&format!("z{i}_{d}"), &ye.sub(fbd)?)?;
                    row.push(m.reg_d(&format!("d1_z{i}_{d}"), &z, None, None)?);
                }
            }
            d1.push(row);
        }
    }
    let v1 = stages.valid(m, "v1", in_valid)?;
    Ok((d1_y, d1, v1))
}

/// Stage D1b: thermometer codes decoded (`M <= 1`; for `M = 1` followed by
/// the first prefix level in [`stage_d2`]), otherwise a delay.
fn stage_d1b(
    m: &mut Module,
    c: &Dfe,
    d1_y: &[Expr],
    mut d1: Vec<Vec<Expr>>,
    v1: &Expr,
    stages: &mut Stages,
) -> Result<StageOut, RtlError> {
    m.comment("stage D1b: slicer thermometer codes decoded to levels; FFE outputs delayed");
    let d1_y = reg_each(m, d1_y, "d1b_y")?;
    for (i, row) in d1.iter_mut().enumerate() {
        for (d, e) in row.iter_mut().enumerate() {
            *e = match c.mt {
                0 => {
                    let a = decode_therm(m, e, &format!("a{i}"))?;
                    m.reg_d(&format!("d1b_a{i}"), &a, None, None)?
                }
                // registered inside the prefix network
                1 => decode_therm(m, e, &format!("f{i}_{d}"))?,
                _ => m.reg_d(&format!("d1b_z{i}_{d}"), e, None, None)?,
            };
        }
    }
    let v1 = stages.valid(m, "v1b", v1)?;
    Ok((d1_y, d1, v1))
}

/// Stage D2a: a timing stage (`M = 1`: inside the prefix network of [`stage_d2`]).
fn stage_d2a(
    m: &mut Module,
    c: &Dfe,
    d1_y: &[Expr],
    mut d1: Vec<Vec<Expr>>,
    v1: &Expr,
    stages: &mut Stages,
) -> Result<StageOut, RtlError> {
    m.comment("stage D2a: FFE outputs (and for M != 1 the D1 results) delayed one stage");
    let d1_y = reg_each(m, d1_y, "d2a_y")?;
    if c.mt != 1 {
        for (i, row) in d1.iter_mut().enumerate() {
            for (d, e) in row.iter_mut().enumerate() {
                *e = m.reg_d(&format!("d2a_d{i}_{d}"), e, None, None)?;
            }
        }
    }
    let v1 = stages.valid(m, "v2a", v1)?;
    Ok((d1_y, d1, v1))
}

/// Stage D2: the decisions, from the decision history `h` of the previous
/// word; returns the registered decisions, FFE outputs and valid bit.
#[allow(clippy::too_many_arguments)]
fn stage_d2(
    m: &mut Module,
    c: &Dfe,
    d1_y: &[Expr],
    d1: &[Vec<Expr>],
    v1: &Expr,
    sl: Option<&Slicer>,
    fbk: &Feedback,
    stages: &mut Stages,
) -> Result<(Vec<Expr>, Vec<Expr>, Expr), RtlError> {
    let (p, mt) = (c.p, c.mt);
    let mut levels: Vec<Expr> = Vec::new();
    if mt == 0 {
        levels = d1.iter().map(|r| r[0].clone()).collect();
    } else {
        // decision history of the previous word, h[0] = most recent
        let mut h = Vec::new();
        for j in 0..mt {
            h.push(m.reg(&format!("h{}", j + 1), Ty::u(2), Some(0))?);
        }
        if mt == 1 {
            d2_prefix(m, c, d1, &h, &mut levels)?;
        } else {
            d2_serial(m, c, d1, &h, need_slicer(sl)?, &fbk.fb, &mut levels)?;
        }
        let upd1 = v1.clone();
        for j in 0..mt {
            // new h[j] = decision at offset p - 1 - j of this word
            let q = p as isize - 1 - j as isize;
            let src = if q >= 0 {
                levels[q as usize].clone()
            } else {
                h[(-q) as usize - 1].clone()
            };
            m.next(&h[j], &src, Some(&upd1))?;
        }
    }
    let mut d2_a = Vec::new();
    let mut d2_y = Vec::new();
    for i in 0..p {
        d2_a.push(m.reg_d(&format!("d2_a{i}"), &levels[i], None, None)?);
        d2_y.push(m.reg_d(&format!("d2_y{i}"), &d1_y[i], None, None)?);
    }
    let v2 = stages.valid(m, "v2", v1)?;
    Ok((d2_a, d2_y, v2))
}

/// Stage D2 for `M = 1`: the parallel-prefix composition of the selection
/// maps `F_i = f_i o ... o f_0`, cut by the D1b and D2a registers, then
/// `a_i = F_i[h1]`; pushes the decisions onto `levels`.
fn d2_prefix(
    m: &mut Module,
    c: &Dfe,
    d1: &[Vec<Expr>],
    h: &[Expr],
    levels: &mut Vec<Expr>,
) -> Result<(), RtlError> {
    let p = c.p;
    m.comment("stage D2: parallel-prefix composition of the selection maps F_i = f_i o ... o f_0");
    let mut maps: Vec<[Expr; 4]> = d1
        .iter()
        .map(|r| [r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone()])
        .collect();
    // the data-only prefix network is cut by the D1b register after
    // the decode and `cut1` levels, and by the D2a register after
    // `cut2` levels, leaving at most one level plus the h1 select for
    // D2 (P = 8: decode + 1 | 1 | 1 + select)
    let nl = clog2(p);
    let cut1 = nl.min(1);
    let cut2 = cut1.max(nl.saturating_sub(1));
    let mut dist = 1;
    let mut lvl = 0;
    loop {
        if lvl == cut1 {
            m.comment(&format!(
                "stage D1b: decoded maps after {cut1} of {nl} prefix levels, registered"
            ));
            maps = reg_maps(m, &maps, "d1b_f")?;
        }
        if lvl == cut2 {
            m.comment(&format!(
                "stage D2a: prefix maps after {cut2} of {nl} levels, registered"
            ));
            maps = reg_maps(m, &maps, "d2a_f")?;
            m.comment("stage D2: remaining prefix levels, then a_i = F_i[h1]");
        }
        if dist >= p {
            break;
        }
        lvl += 1;
        let mut next = maps.clone();
        for i in dist..p {
            // (g o f)(d) = g[f[d]], g = maps[i] (later), f = maps[i - dist]
            let mut comp = Vec::new();
            for d in 0..4 {
                let e = Expr::select4(&maps[i - dist][d], &maps[i])?;
                comp.push(m.wire(&format!("pf{lvl}_{i}_{d}"), &e)?);
            }
            next[i] = [
                comp[0].clone(),
                comp[1].clone(),
                comp[2].clone(),
                comp[3].clone(),
            ];
        }
        maps = next;
        dist *= 2;
    }
    for (i, f) in maps.iter().enumerate() {
        levels.push(m.wire(&format!("a{i}"), &Expr::select4(&h[0], f)?)?);
    }
    Ok(())
}

/// Stage D2 for `M >= 2`: taps 2..M subtracted sample by sample, tap 1
/// selected from the unrolled candidates; pushes the decisions onto `levels`.
fn d2_serial(
    m: &mut Module,
    c: &Dfe,
    d1: &[Vec<Expr>],
    h: &[Expr],
    slicer: &Slicer,
    fb: &[[Expr; 4]],
    levels: &mut Vec<Expr>,
) -> Result<(), RtlError> {
    m.comment("stage D2: taps 2..M subtracted sample by sample, tap 1 selected from the unrolled candidates");
    for i in 0..c.p {
        // decision of sample i - j (j >= 1)
        let past = |levels: &Vec<Expr>, j: usize| -> Expr {
            if i >= j {
                levels[i - j].clone()
            } else {
                h[j - i - 1].clone()
            }
        };
        let mut acc: Option<Expr> = None;
        for (j, fbj) in fb.iter().enumerate().skip(1) {
            let sel = past(levels, j + 1);
            let v = Expr::select4(&sel, fbj)?;
            acc = Some(match acc {
                None => v,
                Some(a) => a.add(&v)?,
            });
        }
        let fbs = m.wire(&format!("fb{i}"), &acc.expect("M >= 2"))?;
        let mut cand = Vec::new();
        for (d, zd) in d1[i].iter().enumerate() {
            let z = m.wire(&format!("zz{i}_{d}"), &zd.sub(&fbs)?)?;
            cand.push(slicer.slice(m, &z, &format!("f{i}_{d}"))?);
        }
        let prev = past(levels, 1);
        let cand = [
            cand[0].clone(),
            cand[1].clone(),
            cand[2].clone(),
            cand[3].clone(),
        ];
        levels.push(m.wire(&format!("a{i}"), &Expr::select4(&prev, &cand)?)?);
    }
    Ok(())
}

/// Stage D3: precoder decode (when `precode`) and inverse Gray, without a
/// register of its own: the outputs feed the output FIFO of `rxdsp_eq`,
/// whose write is the stage's register.
fn stage_d3(
    m: &mut Module,
    c: &Dfe,
    precode: bool,
    d2_a: &[Expr],
    d2_y: &[Expr],
    v2: &Expr,
) -> Result<(), RtlError> {
    let p = c.p;
    m.comment(if precode {
        "stage D3: precoder decode g = a + a_prev mod 4, then inverse Gray (registered by the output FIFO)"
    } else {
        "stage D3: inverse Gray (registered by the output FIFO)"
    });
    let mut data = Vec::new();
    let prev = if precode {
        Some(m.reg("pprev", Ty::u(2), Some(0))?)
    } else {
        None
    };
    for i in 0..p {
        let g = match &prev {
            Some(pp) => {
                let before = if i == 0 {
                    pp.clone()
                } else {
                    d2_a[i - 1].clone()
                };
                m.wire(&format!("g{i}"), &d2_a[i].add(&before)?)?
            }
            None => d2_a[i].clone(),
        };
        let g1 = g.bit(1)?;
        let g0 = g.bit(0)?;
        let dsym = Expr::concat(&[g1.clone(), g1.xor(&g0)?])?;
        data.push(m.wire(&format!("o_d{i}"), &dsym)?);
    }
    if let Some(pp) = &prev {
        // the precoder memory sees real words only
        m.next(pp, &d2_a[p - 1], Some(v2))?;
    }
    m.output("out_valid", v2, "output word valid")?;
    m.output(
        "out_data",
        &Expr::pack_lsb_first(&data)?,
        "P data symbols, sample 0 in the LSBs",
    )?;
    m.output(
        "out_level",
        &Expr::pack_lsb_first(d2_a)?,
        "P slicer decisions (level index)",
    )?;
    m.output("out_y", &Expr::pack_lsb_first(d2_y)?, "P FFE outputs")?;
    Ok(())
}

fn build_top(
    fmt: &RxFormat,
    p: usize,
    ffe: &Module,
    dfe: &Module,
    stages: &mut Stages,
    engine: Option<&Module>,
) -> Result<Module, RtlError> {
    let depth = fifo_depth(fmt, p);
    let n = fmt.ffe_taps;
    let mt = fmt.dfe_taps;
    let a = fmt.adc_bits;
    let ob = fmt.ffe_out_bits;
    let aw = cfg_addr_bits(fmt);
    let dw = cfg_data_bits(fmt);
    let pu = p as u32;
    let mut m = Module::new(
        TOP,
        header(
            fmt,
            p,
            "PAM4 receive equalizer (FFE + DFE + slicer + decode)",
            regen::EQ,
        ),
    );
    let (clk, rst) = m.clock()?;
    let we = m.input("cfg_we", Ty::BIT, "configuration write strobe")?;
    let map = if mt == 0 {
        format!("0..={}: FFE taps c[k], {}: threshold", n - 1, n)
    } else {
        format!(
            "0..={}: FFE taps c[k], {}..={}: DFE taps b[j], {}: threshold",
            n - 1,
            n,
            n + mt - 1,
            n + mt
        )
    };
    let addr = m.input("cfg_addr", Ty::u(aw), &map)?;
    let wdata = m.input(
        "cfg_wdata",
        Ty::u(dw),
        "configuration write data (two's complement)",
    )?;
    let s_data = m.input(
        "s_axis_tdata",
        Ty::u(pu * a),
        "P ADC samples, sample 0 (earliest) in the LSBs",
    )?;
    let s_valid = m.input("s_axis_tvalid", Ty::BIT, "input valid")?;
    let m_ready = m.input("m_axis_tready", Ty::BIT, "output ready")?;
    let side = match engine {
        Some(eng) => Some(crate::adapt::side_inputs(&mut m, p, eng)?),
        None => None,
    };

    m.comment(if engine.is_some() {
        "run-time coefficient registers: the main FFE tap (the others, the DFE taps and the threshold are the adaptation engine's accumulators)"
    } else {
        "run-time coefficient registers"
    });
    // registered strobes and data: see [`WRITE_EDGES`]
    let wr = |m: &mut Module, addr_v: usize| -> Result<Expr, RtlError> {
        let hit = addr.eq(&k(addr_v as i128, Ty::u(aw))?)?;
        m.reg_d(&format!("we_{addr_v}"), &we.and(&hit)?, None, Some(0))
    };
    // (with the engine only the main tap's bits are written here)
    let wq_bits = match engine {
        Some(_) => fmt.ffe_coef_bits,
        None => dw,
    };
    let wdata_q = m.reg_d("cfg_wdata_q", &wdata.slice(wq_bits - 1, 0)?, None, None)?;
    let mut cregs = Vec::new();
    for kk in 0..n {
        if engine.is_some() && kk != fmt.ffe_main {
            continue;
        }
        let e = wr(&mut m, addr_ffe(fmt, kk))?;
        let d = wdata_q.slice(fmt.ffe_coef_bits - 1, 0)?;
        cregs.push(m.reg_d(&format!("ffe_c{kk}"), &d, Some(&e), Some(0))?);
    }
    let mut bregs = Vec::new();
    let thr = if let Some(eng) = engine {
        crate::adapt::EngineWires::declare(&mut m, eng)?
    } else {
        for j in 0..mt {
            let e = wr(&mut m, addr_dfe(fmt, j))?;
            let d = wdata_q.slice(fmt.dfe_coef_bits - 1, 0)?;
            bregs.push(m.reg_d(&format!("dfe_b{}", j + 1), &d, Some(&e), Some(0))?);
        }
        let e = wr(&mut m, addr_threshold(fmt))?;
        crate::adapt::EngineWires::fixed(m.reg_d(
            "thr",
            &wdata_q.slice(ob - 1, 0)?,
            Some(&e),
            Some(0),
        )?)?
    };

    m.comment(if engine.is_some() {
        "input handshake: s_axis_tready is the registered almost-full of the output FIFO and the adaptation engine's registered ready (an update that must land before the next word is not yet computed)"
    } else {
        "input handshake: the registered almost-full of the output FIFO is s_axis_tready"
    });
    let s_ready = m.wire_decl("s_ready", Ty::BIT)?;
    let take = m.wire("take", &s_valid.and(&s_ready)?)?;
    let fifo_ready = if engine.is_some() {
        let r = m.wire_decl("ofifo_room", Ty::BIT)?;
        m.assign(&s_ready, &r.and(&thr.ready)?)?;
        r
    } else {
        s_ready.clone()
    };

    let ffe_valid = m.wire_decl("ffe_valid", Ty::BIT)?;
    let ffe_y = m.wire_decl("ffe_y", Ty::u(pu * ob))?;
    let coef_bus = coef_bus(&mut m, thr.ffe.as_ref(), &cregs)?;
    m.instance(
        ffe,
        "u_ffe",
        &[
            ("clk", &clk),
            ("rst", &rst),
            ("in_valid", &take),
            ("in_data", &s_data),
            ("coef", &coef_bus),
            ("out_valid", &ffe_valid),
            ("out_y", &ffe_y),
        ],
    )?;
    let dfe_in = DfeIn {
        clock: [&clk, &rst],
        ffe: [&ffe_valid, &ffe_y],
        thr: &thr,
        bregs: &bregs,
    };
    let (d3, pushes) = dfe_instance(&mut m, fmt, p, dfe, dfe_in)?;
    if let (Some(eng), Some(side)) = (engine, &side) {
        let io = crate::adapt::TopIo {
            clock: [&clk, &rst],
            cfg: [&we, &addr, &wdata],
            take: &take,
            s_data: &s_data,
            main: &cregs[0],
            d3: [&d3.valid, &d3.level, &d3.y],
        };
        crate::adapt::instantiate(&mut m, eng, fmt, p, &io, side, &thr)?;
    }
    let fifo_io = (&take, &m_ready, &fifo_ready);
    let out = output_fifo(&mut m, (&d3, &pushes), fifo_io, depth, stages)?;

    m.output(
        "s_axis_tready",
        &s_ready,
        "input ready: the output FIFO has room for every word in flight",
    )?;
    m.output(
        "m_axis_tdata",
        &out.data,
        "P 2-bit data symbols, sample 0 in the LSBs",
    )?;
    m.output("m_axis_tvalid", &out.valid, "output valid")?;
    m.output(
        "m_ffe_out",
        &out.y,
        "P FFE outputs (signed, sample 0 in the LSBs) of the m_axis_tdata word, before DFE feedback",
    )?;
    m.output(
        "m_slicer_level",
        &out.level,
        "P slicer decisions as level indices 0..3 of the m_axis_tdata word, before precoder decode and inverse Gray",
    )?;
    if engine.is_some() {
        crate::adapt::readback_outputs(&mut m, fmt, &thr)?;
    }
    Ok(m)
}

/// What the DFE's instance connects to in `rxdsp_eq`.
struct DfeIn<'a> {
    clock: [&'a Expr; 2],
    /// the FFE's output valid and word
    ffe: [&'a Expr; 2],
    /// the threshold and DFE taps (the adaptation engine's or fixed)
    thr: &'a crate::adapt::EngineWires,
    /// the DFE tap registers without the engine
    bregs: &'a [Expr],
}

/// The DFE's instance `u_dfe`: its output word (stage D3) and the output
/// FIFO's write strobes, `d3_valid` and its copies (one per column group).
fn dfe_instance(
    m: &mut Module,
    fmt: &RxFormat,
    p: usize,
    dfe: &Module,
    io: DfeIn<'_>,
) -> Result<(Word, Vec<Expr>), RtlError> {
    let DfeIn {
        clock: [clk, rst],
        ffe: [ffe_valid, ffe_y],
        thr,
        bregs,
    } = io;
    let (pu, ob, mt) = (p as u32, fmt.ffe_out_bits, fmt.dfe_taps);
    let push_copies = ofifo_groups(fmt, p) as u32 - 1;
    let d3_push = match push_copies {
        0 => None,
        n => Some(m.wire_decl("d3_push", Ty::u(n))?),
    };
    let d3 = Word {
        valid: m.wire_decl("d3_valid", Ty::BIT)?,
        data: m.wire_decl("d3_data", Ty::u(2 * pu))?,
        level: m.wire_decl("d3_level", Ty::u(2 * pu))?,
        y: m.wire_decl("d3_y", Ty::u(pu * ob))?,
    };
    let mut conns: Vec<(&str, &Expr)> = vec![
        ("clk", clk),
        ("rst", rst),
        ("in_valid", ffe_valid),
        ("in_y", ffe_y),
        ("threshold", &thr.threshold),
        ("out_valid", &d3.valid),
        ("out_data", &d3.data),
        ("out_level", &d3.level),
        ("out_y", &d3.y),
    ];
    if let Some(bus) = &d3_push {
        conns.push(("out_push", bus));
    }
    let dfe_bus = if mt == 0 {
        None
    } else if let Some(b) = &thr.dfe {
        Some(b.clone())
    } else {
        Some(Expr::pack_lsb_first(bregs)?)
    };
    if let Some(b) = &dfe_bus {
        conns.push(("dfe_coef", b));
    }
    m.instance(dfe, "u_dfe", &conns)?;
    let mut pushes = vec![d3.valid.clone()];
    for i in 0..push_copies {
        let bus = d3_push
            .as_ref()
            .ok_or(RtlError::Empty("output FIFO write copies"))?;
        pushes.push(m.wire(&format!("d3_push{}", i + 1), &bus.bit(i)?)?);
    }
    Ok((d3, pushes))
}

/// The coefficient bus of the FFE: the adaptation engine's when it has one,
/// else the configuration registers through a second register each
/// (`ffe_cq{k}`, every clock). A register written from the configuration
/// port sits near the port, and its route to the farthest of its P
/// multipliers crossed the die (6.2 ns, every seed's worst path at P = 16);
/// the copy sits among the multipliers. A write reaches them a clock later,
/// which co-simulation checks (`sim::config_writes` writes tap 0 last, and the
/// stream starts in the next cycle).
fn coef_bus(m: &mut Module, engine: Option<&Expr>, cregs: &[Expr]) -> Result<Expr, RtlError> {
    match engine {
        Some(bus) => Ok(bus.clone()),
        None => {
            m.comment("the coefficients again, beside the multipliers");
            Expr::pack_lsb_first(&reg_each(m, cregs, "ffe_cq")?)
        }
    }
}

/// One output word of the equalizer: valid, data symbols, slicer levels,
/// FFE outputs.
struct Word {
    valid: Expr,
    data: Expr,
    level: Expr,
    y: Expr,
}

/// Depth of the output FIFO for `fmt`: room for every word in flight
/// ([`crate::fifo::depth_for`] of the latency).
pub fn fifo_depth(fmt: &RxFormat, parallel: usize) -> usize {
    crate::fifo::depth_for(latency(fmt, parallel))
}

/// The output FIFO ([`crate::fifo::credit_fifo`], `ofifo`): stage D3 writes
/// every valid word (the write is the stage's register, as kept copies
/// `pushes`, one per column group of the memory); `m_axis` reads the
/// head asynchronously (distributed RAM); `s_ready` is driven by a register,
/// the almost-full compare of the words accepted and not yet read. The
/// pipeline in front never stalls: the state that must only see real
/// samples advances on its stage's valid bit.
fn output_fifo(
    m: &mut Module,
    (d3, pushes): (&Word, &[Expr]),
    (take, m_ready, s_ready): (&Expr, &Expr, &Expr),
    depth: usize,
    stages: &mut Stages,
) -> Result<Word, RtlError> {
    let (wd, wl) = (d3.data.width(), d3.level.width());
    let wy = d3.y.width();
    m.comment(&format!(
        "output FIFO, {depth} words: written by stage D3, read by m_axis; \
         s_axis_tready = (words accepted and not read) <= {}, registered",
        depth - 2
    ));
    let word = Expr::concat(&[d3.y.clone(), d3.level.clone(), d3.data.clone()])?;
    let f = crate::fifo::credit_fifo(
        m,
        "ofifo",
        crate::fifo::FifoIn {
            word: &word,
            push: pushes,
            take,
            m_ready,
        },
        std::slice::from_ref(s_ready),
        depth,
    )?;
    stages.record(m, "ofifo_nonempty");
    let head = f.head;
    Ok(Word {
        valid: f.valid,
        data: head.slice(wd - 1, 0)?,
        level: head.slice(wd + wl - 1, wd)?,
        y: head.slice(wd + wl + wy - 1, wd + wl)?,
    })
}
