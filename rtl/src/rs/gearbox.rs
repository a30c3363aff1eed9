//! `rxdsp_rs_gearbox`: from the equalizer's `P` 2-bit data symbols per clock
//! to the decoder's `S` 10-bit FEC symbols per beat.
//!
//! Bit order (golden/src/framing.rs): a 10-bit FEC symbol is five consecutive
//! 2-bit PAM4 data symbols, the first in the MSBs (bits 9:8). Codeword
//! alignment comes from a start-of-codeword marker: `s_axis_tuser` bit `i`
//! marks PAM4 symbol `i` of the beat as the first of a codeword. Symbols before
//! the first marker after reset are dropped; later markers are ignored (the
//! decoder's beat counter is free-running; realigning needs a reset).
//!
//! A buffer of `CAP = 5S + 2P` PAM4 symbols: every cycle, when aligned and
//! holding enough symbols, one output beat (`5S` symbols, `5(S-pad)` in the
//! last beat of a codeword, its unused lanes zero) is registered out and
//! removed; an accepted input beat is appended behind what remains.
//! `s_axis_tready` is high while the buffer, after this cycle's removal, has
//! room for `P` more symbols; `5S > P` is required so the output keeps up (a
//! never-stalled input never sees `s_axis_tready` low once aligned).
//!
//! Timing (150 MHz on ECP5-85k speed 6): the behaviour is that of a fill
//! count `count` with `emit = aligned && count >= need`, `rem = emit ? count -
//! need : count` and `ready = rem < CAP - P + 1`, but none of it is computed
//! from a count in the cycle it is used. The registers hold this cycle's
//! decisions, computed a cycle ahead: `rem_q` (`rem`, binary), `rem_hot` (the
//! same, one-hot), `emit_q`, `ready_q` (`s_axis_tready` is this register),
//! `olast_q` (last beat of a codeword), `aligned_ready_q` and the flags
//! `rem_ge{c}` (`rem >= c` for `c` = `5S`, `5S - P`, `5(S-pad)`,
//! `5(S-pad) - P`, those above 0). The next count is `rem + P` (a beat taken)
//! or `rem`, and the next beat removes `5S` or `5(S-pad)`: for those four
//! cases whether it emits is one of the flags, and the next values are
//! constant shifts of `rem_hot`, `rem_q` plus constants and compares of
//! `rem_q` against constants, selected by that flag, then by the input valid
//! and the next last-beat flag (the first marker's beat overrides them).
//! The insert is an and-or selection by `rem_hot` (no shifter by a binary
//! amount), the first marker's beat an and-or by the one-hot first marked
//! lane; the buffer resets to zero so that beat is ORed in like an append,
//! and `s_axis_tvalid` gates the appended symbols last. The interface is
//! cycle-exact with the count form (latency unchanged). The gearbox alone
//! (`KP4`, `S = P = 8`, in the pin-light harness, `--freq 150`) places and
//! routes at 182 MHz (seed 1) and 179 MHz (seed 2), about 5.5 ns worst path,
//! the first marker's `start` into the one-hot's sync reset; the count form
//! gave 102 MHz (9.8 ns).

use super::hdl_util::*;
use super::{beats, check};
use crate::hdl::{Expr, Header, Module, Ty};
use crate::{regen, RtlError};
use golden::fec::Code;

/// Name of the gearbox module.
pub const GEARBOX: &str = "rxdsp_rs_gearbox";

/// Buffer capacity in PAM4 symbols.
pub fn capacity(s: usize, p: usize) -> usize {
    5 * s + 2 * p
}

/// Checks the gearbox parameters.
pub fn check_gearbox(code: Code, s: usize, p: usize) -> Result<(), RtlError> {
    check(code, s)?;
    if !crate::eq::PARALLEL.contains(&p) {
        return Err(RtlError::Param {
            name: "parallel",
            value: p as i64,
            why: "PAM4 symbols per clock must be one of 1, 2, 4, 8, 16, 32".into(),
        });
    }
    if 5 * s <= p {
        return Err(RtlError::Param {
            name: "symbols_per_beat",
            value: s as i64,
            why: format!(
                "the gearbox cannot keep up: S = {s} FEC symbols carry {} PAM4 symbols per beat, the equalizer delivers P = {p} (need 5S > P)",
                5 * s
            ),
        });
    }
    Ok(())
}

/// Sizes of one gearbox instance.
struct Geo {
    s: usize,
    p: usize,
    /// beats per codeword
    b: usize,
    /// unused lanes in the last beat
    pad: usize,
    /// buffer capacity in PAM4 symbols
    cap: usize,
    /// symbols removed by a full beat and by the last beat of a codeword
    full: usize,
    last: usize,
    /// width of the fill count
    cw: u32,
}

/// The control registers (all decisions registered, see the module doc).
struct Ctl {
    /// this cycle: an output beat is taken from the buffer
    emit: Expr,
    /// this cycle: the beat is a codeword's last
    olast: Expr,
    /// one-hot fill count after this cycle's removal (`rem`)
    hot: Expr,
    /// `s_axis_tvalid`
    vin: Expr,
    /// aligned and ready (a register): a valid input beat is appended at `rem`
    al_rdy: Expr,
    /// bit i: symbol i is the first marked symbol of the beat
    first: Vec<Expr>,
    /// `s_axis_tready`
    ready: Expr,
    aligned: Expr,
}

/// `x >= c` for a constant `c` that may be out of `x`'s range.
fn ge_const(x: &Expr, c: i128) -> Result<Expr, RtlError> {
    let top = (1i128 << x.width()) - 1;
    if c <= 0 {
        ku(1, 1)
    } else if c > top {
        ku(0, 1)
    } else {
        x.ge(&ku(c, x.width())?)
    }
}

/// `x < c` for a constant `c` that may be out of `x`'s range.
fn lt_const(x: &Expr, c: i128) -> Result<Expr, RtlError> {
    Ok(ge_const(x, c)?.not())
}

/// `x + c` modulo `2^width` for a signed constant `c`.
fn add_const(x: &Expr, c: i128) -> Result<Expr, RtlError> {
    let m = 1i128 << x.width();
    x.add(&ku(c.rem_euclid(m), x.width())?)
}

/// The registered flags `rem >= c` for the constants `c` in use (`c > 0`);
/// `rem >= c` for `c <= 0` is a constant 1.
struct Flags {
    regs: Vec<(i128, Expr)>,
}

impl Flags {
    fn get(&self, c: i128) -> Result<Expr, RtlError> {
        if c <= 0 {
            return ku(1, 1);
        }
        Ok(self
            .regs
            .iter()
            .find(|(k, _)| *k == c)
            .expect("flag declared")
            .1
            .clone())
    }
}

/// Next-cycle values of (`emit`, `rem`, `hot`, `ready`, then each flag of
/// `f`) when the fill count becomes `rem + x` and the next beat removes
/// `need`: selections by registered flags of constant compares and constant
/// shifts of registers.
#[allow(clippy::too_many_arguments)]
fn candidate(
    m: &mut Module,
    tag: &str,
    g: &Geo,
    rem: &Expr,
    hot: &Expr,
    f: &Flags,
    x: usize,
    need: usize,
) -> Result<Vec<Expr>, RtlError> {
    let (x, need_i, k) = (x as i128, need as i128, (g.cap - g.p + 1) as i128);
    let ge = f.get(need_i - x)?;
    let r = Expr::mux(&ge, &add_const(rem, x - need_i)?, &add_const(rem, x)?)?;
    let r = m.wire(&format!("c{tag}_rem"), &r)?;
    let hx = hot.shl(x as u32);
    let h = Expr::mux(&ge, &hx.shr(need as u32), &hx)?;
    let h = m.wire(&format!("c{tag}_hot"), &h)?;
    let rdy = Expr::mux(&ge, &lt_const(rem, k + need_i - x)?, &lt_const(rem, k - x)?)?;
    let rdy = m.wire(&format!("c{tag}_ready"), &rdy)?;
    let mut v = vec![ge.clone(), r, h, rdy];
    for (c, _) in &f.regs {
        let d = Expr::mux(&ge, &ge_const(rem, c + need_i - x)?, &ge_const(rem, c - x)?)?;
        v.push(m.wire(&format!("c{tag}_ge{c}"), &d)?);
    }
    Ok(v)
}

/// The fill-count control: `rem` (the fill count after this cycle's
/// removal), its one-hot copy, `emit`, `ready` and the beat counter, all
/// registers computed a cycle ahead.
fn control(m: &mut Module, g: &Geo, vin: &Expr, sof: &Expr) -> Result<Ctl, RtlError> {
    let (cw, hw, p) = (g.cw, g.cap as u32 + 1, g.p);
    let aligned = m.reg("aligned_q", Ty::BIT, Some(0))?;
    let rem = m.reg("rem_q", Ty::u(cw), Some(0))?;
    let hot = m.reg("rem_hot", Ty::u(hw), Some(1))?;
    let emit = m.reg("emit_q", Ty::BIT, Some(0))?;
    let ready = m.reg("ready_q", Ty::BIT, Some(1))?;
    let olast = m.reg("olast_q", Ty::BIT, Some(0))?;
    let obw = bits_for(g.b - 1);
    let ob = m.reg("ob", Ty::u(obw), Some(0))?;
    let al_rdy = m.reg("aligned_ready_q", Ty::BIT, Some(0))?;

    m.comment("the first marker after reset: its lane, one-hot and binary");
    let mut first = Vec::new();
    let mut below = ku(0, 1)?;
    for i in 0..p {
        let si = sof.bit(i as u32)?;
        first.push(m.wire(&format!("sof_first{i}"), &si.and(&below.not())?)?);
        below = m.wire(&format!("sof_below{i}"), &below.or(&si)?)?;
    }
    let lw = bits_for(p - 1);
    let mut lanei = ku(0, lw)?;
    for i in (0..p).rev() {
        lanei = Expr::mux(&sof.bit(i as u32)?, &ku(i as i128, lw)?, &lanei)?;
    }
    let lanei = m.wire("sof_lane", &lanei)?;
    let lanei = m.wire("sof_lane_e", &lanei.ext(cw)?)?;
    // not aligned: the fill count is 0, so `s_axis_tready` is high
    let start = m.wire("start", &vin.and(&below)?.and(&aligned.not())?)?;
    let acc_al = m.wire("acc_aligned", &vin.and(&al_rdy)?)?;

    m.comment("next cycle's last-beat flag (b >= 2: a codeword's first beat is never its last)");
    let ob_pre = m.wire("ob_prelast", &ob.eq(&ku(g.b as i128 - 2, obw)?)?)?;
    let olast_n = Expr::mux(&emit, &ob_pre.and(&olast.not())?, &olast)?;
    let olast_n = m.wire("olast_n", &olast_n)?;
    m.next(&olast, &olast_n, None)?;
    let ob_inc = ob.add(&ku(1, obw)?)?;
    m.next(&ob, &Expr::mux(&olast, &ku(0, obw)?, &ob_inc)?, Some(&emit))?;

    m.comment("next cycle's decisions for each (input taken, last beat) case");
    let mut cs: Vec<i128> = Vec::new();
    for need in [g.full, g.last] {
        for x in [0, p] {
            let c = need as i128 - x as i128;
            if c > 0 && !cs.contains(&c) {
                cs.push(c);
            }
        }
    }
    let mut regs = Vec::new();
    for c in cs {
        regs.push((c, m.reg(&format!("rem_ge{c}"), Ty::BIT, Some(0))?));
    }
    let f = Flags { regs };
    let mut sel = Vec::new();
    for (xi, x) in [0, p].into_iter().enumerate() {
        let cf = candidate(m, &format!("{xi}f"), g, &rem, &hot, &f, x, g.full)?;
        if g.last == g.full {
            sel.push(cf);
            continue;
        }
        let cl = candidate(m, &format!("{xi}l"), g, &rem, &hot, &f, x, g.last)?;
        let mut v = Vec::new();
        for (a, b) in cl.iter().zip(cf.iter()) {
            v.push(Expr::mux(&olast_n, a, b)?);
        }
        sel.push(v);
    }
    let mut hs = vec![ku(0, 1)?];
    for j in 1..hw as usize {
        hs.push(if j <= p {
            first[p - j].clone()
        } else {
            ku(0, 1)?
        });
    }
    let hot_start = Expr::pack_lsb_first(&hs)?;
    let rem_start = ku(p as i128, cw)?.sub(&lanei)?;
    let mut starts = vec![ku(0, 1)?, rem_start, hot_start, ku(1, 1)?];
    let mut regs = vec![emit.clone(), rem.clone(), hot.clone(), ready.clone()];
    let mut names: Vec<String> = ["emit", "rem", "hot", "ready"].map(String::from).to_vec();
    for (c, r) in &f.regs {
        // the marker's beat leaves `P - lane` symbols
        let mut st = ku(0, 1)?;
        for (i, fi) in first.iter().enumerate() {
            if (p - i) as i128 >= *c {
                st = st.or(fi)?;
            }
        }
        starts.push(st);
        regs.push(r.clone());
        names.push(format!("ge{c}"));
    }
    let mut ds = Vec::new();
    for (i, r) in regs.iter().enumerate() {
        let d = m.wire(
            &format!("{}_d", names[i]),
            &Expr::mux(&acc_al, &sel[1][i], &sel[0][i])?,
        )?;
        m.next(r, &Expr::mux(&start, &starts[i], &d)?, None)?;
        ds.push(d);
    }
    let ready_d = ds[3].clone();
    m.next(&al_rdy, &start.or(&aligned.and(&ready_d)?)?, None)?;
    m.next(&aligned, &aligned.or(&start)?, None)?;
    Ok(Ctl {
        emit,
        olast,
        hot,
        vin: vin.clone(),
        al_rdy,
        first,
        ready,
        aligned,
    })
}

/// Symbol `j` of a packed 2-bit bus, or zero past its end.
fn sym(bus: &Expr, j: usize) -> Result<Expr, RtlError> {
    let lo = 2 * j as u32;
    if lo + 1 < bus.width() {
        bus.slice(lo + 1, lo)
    } else {
        ku(0, 2)
    }
}

/// OR of `sel_k ? v_k : 0` (an and-or selection by one-hot bits).
fn and_or(terms: &[(Expr, Expr)]) -> Result<Expr, RtlError> {
    let z = ku(0, 2)?;
    let mut acc = z.clone();
    for (i, (sel, v)) in terms.iter().enumerate() {
        let t = Expr::mux(sel, v, &z)?;
        acc = if i == 0 { t } else { acc.or(&t)? };
    }
    Ok(acc)
}

/// The buffer's next value: the emitted symbols removed, the accepted beat
/// appended at the one-hot `rem`; at the first marker, the beat from it on.
fn next_fifo(m: &mut Module, g: &Geo, buf: &Expr, din: &Expr, c: &Ctl) -> Result<Expr, RtlError> {
    m.comment("remove the emitted symbols");
    let sh_full = buf.shr(2 * g.full as u32);
    let kept = if g.last == g.full {
        Expr::mux(&c.emit, &sh_full, buf)?
    } else {
        let sh_last = buf.shr(2 * g.last as u32);
        Expr::mux(&c.emit, &Expr::mux(&c.olast, &sh_last, &sh_full)?, buf)?
    };
    let kept = m.wire("kept", &kept)?;
    m.comment("append at the one-hot fill count; at the first marker keep the symbols from it on");
    let (mut ins, mut drop) = (Vec::new(), Vec::new());
    for j in 0..g.cap {
        let lo = (j + 1).saturating_sub(g.p);
        let terms = (lo..=j.min(g.cap - g.p))
            .map(|k| Ok((c.hot.bit(k as u32)?, sym(din, j - k)?)))
            .collect::<Result<Vec<_>, RtlError>>()?;
        ins.push(m.wire(&format!("ins{j}"), &and_or(&terms)?)?);
        let terms = (0..g.p.saturating_sub(j))
            .map(|i| Ok((c.first[i].clone(), sym(din, j + i)?)))
            .collect::<Result<Vec<_>, RtlError>>()?;
        drop.push(if terms.is_empty() {
            ku(0, 2)?
        } else {
            m.wire(&format!("drop{j}"), &and_or(&terms)?)?
        });
    }
    let ins = m.wire("ins", &Expr::pack_lsb_first(&ins)?)?;
    let drop = m.wire("drop", &Expr::pack_lsb_first(&drop)?)?;
    // the buffer is zero until the first marker (reset, nothing appended),
    // so the marker's beat is ORed in like an append at 0; `s_axis_tvalid`
    // comes last
    let zero = Expr::zeros(2 * g.cap as u32)?;
    let gated = Expr::mux(&c.al_rdy, &ins, &Expr::mux(&c.aligned, &zero, &drop)?)?;
    let gated = m.wire("appended", &gated)?;
    kept.or(&Expr::mux(&c.vin, &gated, &zero)?)
}

/// Builds `rxdsp_rs_gearbox` for `code`, `s` FEC symbols per beat, `p` PAM4 symbols per clock.
pub fn build(code: Code, s: usize, p: usize) -> Result<Module, RtlError> {
    check_gearbox(code, s, p)?;
    let n = code.n();
    let b = beats(code, s);
    let pad = b * s - n;
    let cap = capacity(s, p);
    let g = Geo {
        s,
        p,
        b,
        pad,
        cap,
        full: 5 * s,
        last: 5 * (s - pad),
        cw: bits_for(cap),
    };
    let mut m = Module::new(
        GEARBOX,
        Header::new(
            format!("P = {p} PAM4 data symbols per clock to S = {s} FEC symbols per beat"),
            regen::RS_CHAIN,
        )
        .param("tx.fec (code)", code.name())
        .param("n", n)
        .param("S (FEC symbols per beat)", s)
        .param("rtl.parallel (P)", p)
        .param("buffer (PAM4 symbols)", cap)
        .latency(1)
        .note("(the latency counts from the cycle the buffer holds a full beat)"),
    );
    m.clock()?;
    let din = m.input(
        "s_axis_tdata",
        Ty::u(2 * p as u32),
        "P data symbols, earliest in the LSBs",
    )?;
    let sof = m.input(
        "s_axis_tuser",
        Ty::u(p as u32),
        "bit i: symbol i starts a codeword",
    )?;
    let vin = m.input("s_axis_tvalid", Ty::BIT, "input valid")?;
    let buf = m.reg("fifo", Ty::u(2 * cap as u32), Some(0))?;
    let c = control(&mut m, &g, &vin, &sof)?;

    m.comment("output beat from the oldest symbols (LSBs); 10-bit symbol = five PAM4 symbols, first in the MSBs");
    let mut lanes = Vec::new();
    for l in 0..g.s {
        let parts = (0..5)
            .map(|u| sym(&buf, 5 * l + u))
            .collect::<Result<Vec<_>, RtlError>>()?;
        let v = m.wire(&format!("lane{l}"), &Expr::concat(&parts)?)?;
        lanes.push(if l >= g.s - g.pad {
            m.wire(&format!("lanem{l}"), &Expr::mux(&c.olast, &ku(0, 10)?, &v)?)?
        } else {
            v
        });
    }
    let od = m.reg_d("o_data", &pack(&lanes)?, Some(&c.emit), None)?;
    let ol = m.reg_d("o_last", &c.olast, Some(&c.emit), None)?;
    let ov = m.reg_d("o_valid", &c.emit, None, Some(0))?;
    let nbuf = next_fifo(&mut m, &g, &buf, &din, &c)?;
    m.next(&buf, &nbuf, None)?;

    m.output(
        "s_axis_tready",
        &c.ready,
        "room for P more symbols (a register)",
    )?;
    m.output(
        "m_axis_tdata",
        &od,
        "S FEC symbols, lane 0 (earliest) in the LSBs, decoder stream format",
    )?;
    m.output("m_axis_tvalid", &ov, "output beat")?;
    m.output("m_axis_tlast", &ol, "last beat of a codeword")?;
    m.output(
        "aligned",
        &c.aligned,
        "a start-of-codeword marker has been seen",
    )?;
    // the reset as copies beside the registers they reset: in the device
    // the two gearboxes sit in corners of the die, the decoder between
    // them, and one reset copy for the chain reached them across it
    m.split_reset(crate::hdl::FANOUT_BITS)?;
    Ok(m)
}

/// Name of the gearbox + decoder top.
pub const RX_TOP: &str = "rxdsp_rs_rx";

/// `rxdsp_rs_rx`: the gearbox feeding the decoder (what sits behind the
/// equalizer): PAM4 data symbols and the start-of-codeword marker in, the
/// decoder's outputs out.
///
/// With `reference` (the code and `S`, in the BER tester's device) a second
/// gearbox takes the transmitted data symbols that pair with the decided ones
/// (`s_ref_tdata`, same marker and valid), and the module also puts out:
/// * `ref_in_errors`: per decoder input beat (`ref_in_valid`, last beat
///   `ref_in_last`), the 10-bit symbols received in error (one register);
/// * `m_axis_tref`: the transmitted codeword beat beside each decoded beat
///   (`m_axis_tdata`), through a delay line that mirrors the decoder's own
///   received-word path ([`super::dec::received_delay`]);
/// * `ref_err`: sticky, the two gearboxes' handshakes differed (never
///   expected: they take the same marker and valid).
///
/// With `deil` (`tx.interleave`, [`super::deinterleave`]) the gearbox's
/// beats, and the reference gearbox's beside them, go through the
/// de-interleaver: the decoder and the reference counters see codeword A's
/// beats, then B's; its frame-count check is ORed into `err_align`.
pub fn build_rx(
    gb: &Module,
    dec: &Module,
    p: usize,
    reference: Option<(Code, usize)>,
    deil: Option<&Module>,
) -> Result<Module, RtlError> {
    let mut m = Module::new(
        RX_TOP,
        Header::new(
            format!("gearbox ({GEARBOX}) into the Reed-Solomon decoder"),
            regen::RS_CHAIN,
        )
        .param("rtl.parallel (P)", p),
    );
    let (clk, rst) = m.clock()?;
    let din = m.input(
        "s_axis_tdata",
        Ty::u(2 * p as u32),
        "P data symbols, earliest in the LSBs",
    )?;
    let sof = m.input(
        "s_axis_tuser",
        Ty::u(p as u32),
        "bit i: symbol i starts a codeword",
    )?;
    let vin = m.input("s_axis_tvalid", Ty::BIT, "input valid")?;
    let gw = OutWires::declare(&mut m, gb, "gb", "u_gearbox", &[])?;
    let mut conns: Vec<(&str, &Expr)> = vec![
        ("clk", &clk),
        ("rst", &rst),
        ("s_axis_tdata", &din),
        ("s_axis_tuser", &sof),
        ("s_axis_tvalid", &vin),
    ];
    conns.extend(gw.conns());
    m.instance(gb, "u_gearbox", &conns)?;
    let (gd, gv, gl) = (
        gw.get("m_axis_tdata")?,
        gw.get("m_axis_tvalid")?,
        gw.get("m_axis_tlast")?,
    );
    // with the de-interleave, the decoder takes its beats (instanced below,
    // once the reference gearbox's beats it stores beside them exist)
    let il = match deil {
        Some(di) => Some((
            di,
            OutWires::declare(&mut m, di, "il", "u_deinterleave", &[])?,
        )),
        None => None,
    };
    let dw = OutWires::declare(&mut m, dec, "dec", "u_dec", &[])?;
    let (dd, dv, dl) = match &il {
        Some((_, w)) => (
            w.get("m_axis_tdata")?,
            w.get("m_axis_tvalid")?,
            w.get("m_axis_tlast")?,
        ),
        None => (gd.clone(), gv.clone(), gl.clone()),
    };
    let mut conns: Vec<(&str, &Expr)> = vec![
        ("clk", &clk),
        ("rst", &rst),
        ("s_axis_tdata", &dd),
        ("s_axis_tvalid", &dv),
        ("s_axis_tlast", &dl),
    ];
    conns.extend(dw.conns());
    m.instance(dec, "u_dec", &conns)?;
    let g = RefGb {
        data: gd.clone(),
        valid: gv.clone(),
        last: gl.clone(),
        ready: gw.get("s_axis_tready")?,
        aligned: gw.get("aligned")?,
    };
    match reference {
        Some((code, s)) => {
            reference_path(&mut m, gb, code, s, p, &g, (&clk, &rst), &sof, il.as_ref())?
        }
        None => {
            if let Some((di, w)) = &il {
                instance_deinterleave(&mut m, di, w, (&clk, &rst), &g, None)?;
            }
        }
    }
    m.output("s_axis_tready", &gw.get("s_axis_tready")?, "input ready")?;
    m.output(
        "aligned",
        &gw.get("aligned")?,
        "a start-of-codeword marker has been seen",
    )?;
    for (n, e, doc) in dw.all() {
        match (&il, n.as_str()) {
            (Some((_, w)), "err_align") => {
                let e = e.or(&w.get("err_align")?)?;
                m.output(n, &e, &format!("{doc}, or the de-interleave's frame count"))?
            }
            _ => m.output(n, e, doc)?,
        }
    }
    Ok(m)
}

/// The received side's gearbox outputs the reference path checks and pairs with.
#[derive(Clone)]
struct RefGb {
    data: Expr,
    valid: Expr,
    last: Expr,
    ready: Expr,
    aligned: Expr,
}

/// The de-interleaver's instance on the gearbox's beats (and the reference
/// gearbox's `rd` beside them).
fn instance_deinterleave(
    m: &mut Module,
    di: &Module,
    w: &OutWires,
    (clk, rst): (&Expr, &Expr),
    rx: &RefGb,
    rd: Option<&Expr>,
) -> Result<(), RtlError> {
    let mut conns: Vec<(&str, &Expr)> = vec![
        ("clk", clk),
        ("rst", rst),
        ("s_axis_tdata", &rx.data),
        ("s_axis_tvalid", &rx.valid),
        ("s_axis_tlast", &rx.last),
    ];
    if let Some(r) = rd {
        conns.push(("s_ref_tdata", r));
    }
    conns.extend(w.conns());
    m.comment("2-way de-interleave: codeword A's beats, then B's, into the decoder");
    m.instance(di, "u_deinterleave", &conns)
}

/// The reference path of [`build_rx`]: the transmitted symbols through their
/// own gearbox, compared lane by lane with the received beat, and delayed
/// beside the decoder; with the de-interleave `il`, both through it first.
#[allow(clippy::too_many_arguments)]
fn reference_path(
    m: &mut Module,
    gb: &Module,
    code: Code,
    s: usize,
    p: usize,
    rx: &RefGb,
    (clk, rst): (&Expr, &Expr),
    sof: &Expr,
    il: Option<&(&Module, OutWires)>,
) -> Result<(), RtlError> {
    let din = m.input(
        "s_ref_tdata",
        Ty::u(2 * p as u32),
        "the P transmitted data symbols that pair with s_axis_tdata's, earliest in the LSBs",
    )?;
    // the reference gearbox's own copy of the valid: from the one input the
    // two gearboxes' FIFOs, apart on the die, shared a register
    // (`fec_in_valid_k0 -> u_gearbox_ref`, 19.05 ns placed on 3290e9d)
    let vin = &m.input(
        "s_ref_tvalid",
        Ty::BIT,
        "s_axis_tvalid again, from its own register: the reference gearbox's",
    )?;
    let wires = OutWires::declare(m, gb, "gbr", "u_gearbox_ref", &[])?;
    let gw = |n: &str| wires.get(n);
    let mut conns: Vec<(&str, &Expr)> = vec![
        ("clk", clk),
        ("rst", rst),
        ("s_axis_tdata", &din),
        ("s_axis_tuser", sof),
        ("s_axis_tvalid", vin),
    ];
    conns.extend(wires.conns());
    m.comment("reference: the transmitted symbols through their own gearbox");
    m.instance(gb, "u_gearbox_ref", &conns)?;
    let rd = gw("m_axis_tdata")?;
    let same = rx
        .valid
        .eq(&gw("m_axis_tvalid")?)?
        .and(&rx.last.eq(&gw("m_axis_tlast")?)?)?
        .and(&rx.ready.eq(&gw("s_axis_tready")?)?)?
        .and(&rx.aligned.eq(&gw("aligned")?)?)?;
    let err = m.reg("ref_err_q", Ty::BIT, Some(0))?;
    m.next(&err, &err.or(&same.not())?, None)?;
    m.output(
        "ref_err",
        &err,
        "sticky: the reference gearbox's handshake differed from the received one's",
    )?;
    // the beats the decoder takes, and the transmitted ones beside them
    let (rx, rd) = match il {
        Some((di, w)) => {
            instance_deinterleave(m, di, w, (clk, rst), rx, Some(&rd))?;
            let pair = RefGb {
                data: w.get("m_axis_tdata")?,
                valid: w.get("m_axis_tvalid")?,
                last: w.get("m_axis_tlast")?,
                ready: rx.ready.clone(),
                aligned: rx.aligned.clone(),
            };
            (pair, w.get("m_ref_tdata")?)
        }
        None => (rx.clone(), rd),
    };
    let rx = &rx;

    m.comment("reference: the 10-bit symbols received in error, per decoder input beat");
    let mut diff = Vec::new();
    for l in 0..s as u32 {
        let (hi, lo) = (10 * l + 9, 10 * l);
        let d = rx.data.slice(hi, lo)?.eq(&rd.slice(hi, lo)?)?.not();
        let d = m.wire(&format!("ref_ne{l}"), &d)?;
        diff.push(d.ext(bits_for(s))?);
    }
    let mut sum = diff[0].clone();
    for d in &diff[1..] {
        sum = sum.add(d)?;
    }
    let ne = m.reg_d("ref_in_errors_q", &sum, None, Some(0))?;
    let nv = m.reg_d("ref_in_valid_q", &rx.valid, None, Some(0))?;
    let nl = m.reg_d("ref_in_last_q", &rx.last, None, Some(0))?;
    m.output(
        "ref_in_errors",
        &ne,
        "10-bit symbols of the input beat received in error (lanes past n: 0)",
    )?;
    m.output("ref_in_valid", &nv, "an input beat's ref_in_errors")?;
    m.output(
        "ref_in_last",
        &nl,
        "the input beat was the last of its codeword",
    )?;

    m.comment("reference: the transmitted beat beside the decoded one (the decoder's received-word path, mirrored)");
    let r_in = m.reg_d("ref_dl_in", &rd, None, None)?;
    let en = m.reg_d("ref_dl_en", &rx.valid, None, Some(0))?;
    let b = super::beats(code, s);
    let q = super::bram::delay_line(
        m,
        super::bram::MemForm::Generic,
        clk,
        "ref_dl",
        &r_in,
        &en,
        super::dec::received_delay(b),
    )?;
    let f = m.reg_d("ref_dl_f", &q, Some(&en), None)?;
    let o = m.reg_d("ref_o", &f, Some(&en), None)?;
    m.output(
        "m_axis_tref",
        &o,
        "the transmitted codeword beat that m_axis_tdata decodes",
    )
}
