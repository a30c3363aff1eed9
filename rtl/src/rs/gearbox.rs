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
//! removed; an accepted input beat is appended behind what remains
//! (log-shifter). `s_axis_tready` is high while the buffer has room for `P`
//! more symbols; `5S > P` is required so the output keeps up.

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

/// Builds `rxdsp_rs_gearbox` for `code`, `s` FEC symbols per beat, `p` PAM4 symbols per clock.
pub fn build(code: Code, s: usize, p: usize) -> Result<Module, RtlError> {
    check_gearbox(code, s, p)?;
    let n = code.n();
    let b = beats(code, s);
    let pad = b * s - n;
    let cap = capacity(s, p);
    let bw = 2 * cap as u32;
    let cw = bits_for(cap);
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

    let buf = m.reg("fifo", Ty::u(bw), None)?;
    let cnt = m.reg("count", Ty::u(cw), Some(0))?;
    let aligned = m.reg("aligned_q", Ty::BIT, Some(0))?;
    let obw = bits_for(b - 1);
    let ob = m.reg("ob", Ty::u(obw), Some(0))?;
    let olast = m.wire("olast", &ob.eq(&ku(b as i128 - 1, obw)?)?)?;
    let full_need = 5 * s;
    let last_need = 5 * (s - pad);
    let need = m.wire(
        "need",
        &Expr::mux(
            &olast,
            &ku(last_need as i128, cw)?,
            &ku(full_need as i128, cw)?,
        )?,
    )?;
    let emit = m.wire("emit", &aligned.and(&cnt.ge(&need)?)?)?;
    let rem = m.wire("rem", &Expr::mux(&emit, &cnt.sub(&need)?, &cnt)?)?;
    let ready = m.wire("ready", &rem.lt(&ku((cap - p + 1) as i128, cw)?)?)?;
    let acc = m.wire("acc", &vin.and(&ready)?)?;

    m.comment("output beat from the oldest symbols (LSBs); 10-bit symbol = five PAM4 symbols, first in the MSBs");
    let mut lanes = Vec::new();
    for l in 0..s {
        let mut parts = Vec::new();
        for u in 0..5u32 {
            let lo = 2 * (5 * l as u32 + u);
            parts.push(buf.slice(lo + 1, lo)?);
        }
        let v = m.wire(&format!("lane{l}"), &Expr::concat(&parts)?)?;
        lanes.push(if l >= s - pad {
            m.wire(&format!("lanem{l}"), &Expr::mux(&olast, &ku(0, 10)?, &v)?)?
        } else {
            v
        });
    }
    let od = m.reg_d("o_data", &pack(&lanes)?, Some(&emit), None)?;
    let ol = m.reg_d("o_last", &olast, Some(&emit), None)?;
    let ov = m.reg_d("o_valid", &emit, None, Some(0))?;
    let ob_inc = ob.add(&ku(1, obw)?)?;
    m.next(&ob, &Expr::mux(&olast, &ku(0, obw)?, &ob_inc)?, Some(&emit))?;

    m.comment("remove the emitted symbols");
    let sh_full = buf.shr(2 * full_need as u32);
    let kept = if last_need == full_need {
        Expr::mux(&emit, &sh_full, &buf)?
    } else {
        let sh_last = buf.shr(2 * last_need as u32);
        Expr::mux(&emit, &Expr::mux(&olast, &sh_last, &sh_full)?, &buf)?
    };
    let kept = m.wire("kept", &kept)?;

    m.comment("the first marker after reset: drop the symbols before it");
    let lw = bits_for(p - 1);
    let mut lanei = ku(0, lw)?;
    for i in (0..p).rev() {
        lanei = Expr::mux(&sof.bit(i as u32)?, &ku(i as i128, lw)?, &lanei)?;
    }
    let lanei = m.wire("sof_lane", &lanei)?;
    let any = m.wire("sof_any", &nonzero(&sof)?)?;
    let start = m.wire("start", &acc.and(&any)?.and(&aligned.not())?)?;
    let dropped = m.shift_by("drop", &din, &lanei, 2, false)?;
    let ins_din = m.wire("ins_d", &din.ext(bw)?)?;
    let ins_drop = m.wire("ins_s", &dropped.ext(bw)?)?;
    let ins = m.shift_by("ins", &ins_din, &rem, 2, true)?;
    let keep_or_ins = m.wire("appended", &kept.or(&ins)?)?;
    let acc_al = m.wire("acc_aligned", &acc.and(&aligned)?)?;
    let nbuf = Expr::mux(&start, &ins_drop, &Expr::mux(&acc_al, &keep_or_ins, &kept)?)?;
    m.next(&buf, &nbuf, None)?;
    let pk = ku(p as i128, cw)?;
    let lanei_e = m.wire("sof_lane_e", &lanei.ext(cw)?)?;
    let cnt_start = pk.sub(&lanei_e)?;
    let cnt_acc = rem.add(&pk)?;
    let ncnt = Expr::mux(&start, &cnt_start, &Expr::mux(&acc_al, &cnt_acc, &rem)?)?;
    m.next(&cnt, &ncnt, None)?;
    m.next(&aligned, &aligned.or(&start)?, None)?;

    m.output("s_axis_tready", &ready, "room for P more symbols")?;
    m.output(
        "m_axis_tdata",
        &od,
        "S FEC symbols, lane 0 (earliest) in the LSBs, decoder stream format",
    )?;
    m.output("m_axis_tvalid", &ov, "output beat")?;
    m.output("m_axis_tlast", &ol, "last beat of a codeword")?;
    m.output(
        "aligned",
        &aligned,
        "a start-of-codeword marker has been seen",
    )?;
    Ok(m)
}

/// Name of the gearbox + decoder top.
pub const RX_TOP: &str = "rxdsp_rs_rx";

/// `rxdsp_rs_rx`: the gearbox feeding the decoder (what sits behind the
/// equalizer): PAM4 data symbols and the start-of-codeword marker in, the
/// decoder's outputs out.
pub fn build_rx(gb: &Module, dec: &Module, p: usize) -> Result<Module, RtlError> {
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
    let mut wires = Vec::new();
    for port in gb.ports() {
        if port.dir == crate::hdl::Dir::Out {
            wires.push((
                port.name.clone(),
                m.wire_decl(&format!("gb_{}", port.name), port.ty)?,
            ));
        }
    }
    let gw = |n: &str| {
        wires
            .iter()
            .find(|(x, _)| x == n)
            .map(|(_, e)| e.clone())
            .expect("port")
    };
    let mut conns: Vec<(&str, &Expr)> = vec![
        ("clk", &clk),
        ("rst", &rst),
        ("s_axis_tdata", &din),
        ("s_axis_tuser", &sof),
        ("s_axis_tvalid", &vin),
    ];
    for (n, e) in &wires {
        conns.push((n.as_str(), e));
    }
    m.instance(gb, "u_gearbox", &conns)?;
    let mut dw = Vec::new();
    for port in dec.ports() {
        if port.dir == crate::hdl::Dir::Out {
            dw.push((
                port.name.clone(),
                m.wire_decl(&format!("dec_{}", port.name), port.ty)?,
                port.doc.clone(),
            ));
        }
    }
    let (gd, gv, gl) = (gw("m_axis_tdata"), gw("m_axis_tvalid"), gw("m_axis_tlast"));
    let mut conns: Vec<(&str, &Expr)> = vec![
        ("clk", &clk),
        ("rst", &rst),
        ("s_axis_tdata", &gd),
        ("s_axis_tvalid", &gv),
        ("s_axis_tlast", &gl),
    ];
    for (n, e, _) in &dw {
        conns.push((n.as_str(), e));
    }
    m.instance(dec, "u_dec", &conns)?;
    m.output("s_axis_tready", &gw("s_axis_tready"), "input ready")?;
    m.output(
        "aligned",
        &gw("aligned"),
        "a start-of-codeword marker has been seen",
    )?;
    for (n, e, doc) in &dw {
        m.output(n, e, doc)?;
    }
    Ok(m)
}
