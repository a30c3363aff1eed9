//! `rxdsp_rs_deinterleave`: the receiver's 2-way codeword de-interleave
//! (`tx.interleave`) between the gearbox and the decoder, in block RAM, as
//! `golden::framing::Deframer` de-interleaves.
//!
//! A frame is two codewords A and B whose 10-bit symbols alternate on the
//! line (A0 B0 A1 B1 ...): `2n` symbols, `F = 2n / S` gearbox beats (the
//! gearbox's "codewords" are the frame's two halves; its first beat after
//! alignment starts a frame). Frame symbol `j` is codeword `j mod 2`'s symbol
//! `floor(j / 2)`.
//!
//! * **`S` even**: beat `b` of a frame carries A's symbols `bS/2 ..` in its
//!   even lanes and B's in its odd lanes. Each beat writes its A half (the
//!   even lanes, `S/2` symbols) and its B half at address `b` of the frame's
//!   half of the buffer, so A's codeword beat `c` is the halves `2c` and
//!   `2c + 1`: two memories per codeword (even and odd addresses), read in
//!   one cycle.
//! * **`S = 1`**: beat `b` is one symbol of codeword `b mod 2`, written at
//!   address `floor(b / 2)` of that codeword's memory.
//!
//! The buffer holds two frames (ping-pong). When a frame's last beat is
//! written, the next `F` cycles read it out, codeword A's `n/S` beats then
//! B's (`m_axis_tlast` on each codeword's last beat), one beat a cycle,
//! while the next frame is written into the other half: it takes at least
//! `F` cycles to arrive, so a read never meets a write. Latency: the output
//! beat `c` of a frame leaves `c + 2` cycles after the frame's last input
//! beat. With `reference`, the transmitted beats (`s_ref_tdata`) are stored
//! beside the received ones and leave with them.

use super::hdl_util::*;
use crate::hdl::{Expr, Header, Mem, Module, Ty};
use crate::{regen, RtlError};
use golden::fec::Code;

/// Name of the de-interleaver module.
pub const DEINTERLEAVE: &str = "rxdsp_rs_deinterleave";

/// Cycles from a frame's last input beat to its first output beat.
pub const LATENCY: usize = 2;

/// Refuses what the de-interleaver cannot take: `S` odd above 1, or a
/// codeword that is not a whole number of beats.
pub fn check(code: Code, s: usize) -> Result<(), RtlError> {
    if (s > 1 && !s.is_multiple_of(2)) || !code.n().is_multiple_of(s) {
        return Err(RtlError::Param {
            name: "S (FEC symbols per beat)",
            value: s as i64,
            why: format!(
                "the de-interleave (tx.interleave) needs S = 1 or an even S that divides n = {}",
                code.n()
            ),
        });
    }
    Ok(())
}

/// The memories of one codeword and how to address them.
struct Way {
    /// one memory (`S = 1`) or the even and odd addresses
    mems: Vec<Mem>,
}

/// The write side: per codeword its memories, written from the input beat;
/// also the frame's last beat written (`w_done`), the beat counter and its
/// last-beat wire.
fn write_side(
    m: &mut Module,
    code: Code,
    s: usize,
    din: &Expr,
    vin: &Expr,
) -> Result<(Vec<Way>, Expr, Expr, Expr), RtlError> {
    let f = 2 * code.n() / s;
    m.comment(&format!(
        "write: beat b of {f} in the frame, the frame's half; S = {s}"
    ));
    let (b, last) = wrap_counter(m, "wb", f, vin)?;
    let h = m.reg("wh", Ty::BIT, Some(0))?;
    m.next(&h, &h.xor(&last)?, Some(vin))?;
    // rows: `h * rows_per_half + b / 2`
    let per_half = f / 2;
    let rb = bits_for(2 * per_half - 1);
    let hb = m.wire("w_b2", &halve(&b, rb)?)?;
    let row = m.wire(
        "w_row",
        &Expr::mux(&h, &hb.add(&ku(per_half as i128, rb)?)?, &hb)?,
    )?;
    let depth = 1usize << rb;
    let lw = din.width() / s as u32;
    let odd = b.bit(0)?;
    let mut ways = Vec::new();
    for (w, wn) in ["a", "b"].iter().enumerate() {
        let mut mems = Vec::new();
        if s == 1 {
            let mem = m.memory(&format!("mem_{wn}"), Ty::u(lw), depth)?;
            let mine = if w == 0 { odd.not() } else { odd.clone() };
            let we = m.wire(&format!("we_{wn}"), &vin.and(&mine)?)?;
            m.mem_write(&mem, &we, &row, din)?;
            mems.push(mem);
        } else {
            // the lanes of this codeword: even (A) or odd (B)
            let lanes: Vec<Expr> = (0..s / 2)
                .map(|i| {
                    let l = (2 * i + w) as u32;
                    din.slice(lw * l + lw - 1, lw * l)
                })
                .collect::<Result<_, _>>()?;
            let half = m.wire(&format!("w_{wn}"), &Expr::pack_lsb_first(&lanes)?)?;
            for (k, kn) in ["e", "o"].iter().enumerate() {
                let mem = m.memory(&format!("mem_{wn}{kn}"), half.ty(), depth)?;
                let mine = if k == 0 { odd.not() } else { odd.clone() };
                let we = m.wire(&format!("we_{wn}{kn}"), &vin.and(&mine)?)?;
                m.mem_write(&mem, &we, &row, &half)?;
                mems.push(mem);
            }
        }
        ways.push(Way { mems });
    }
    let done = m.wire("w_done", &vin.and(&last)?)?;
    Ok((ways, done, b, last))
}

/// Builds `rxdsp_rs_deinterleave` for `code` at `s` FEC symbols per beat;
/// `reference`: with the transmitted beats beside the received ones.
pub fn build(code: Code, s: usize, reference: bool) -> Result<Module, RtlError> {
    super::check(code, s)?;
    check(code, s)?;
    let n = code.n();
    let f = 2 * n / s;
    let cw = n / s;
    let mut m = Module::new(
        DEINTERLEAVE,
        Header::new(
            "2-way codeword de-interleave (tx.interleave) before the Reed-Solomon decoder",
            regen::RS_CHAIN,
        )
        .param("tx.fec (code)", code.name())
        .param("S (FEC symbols per beat)", s)
        .param("beats per frame (two codewords)", f)
        .param("reference beats", reference)
        .latency(LATENCY)
        .note("(a frame leaves, codeword A then B, one beat a cycle from 2 cycles after its last beat came in)"),
    );
    m.clock()?;
    let bus = Ty::u(10 * s as u32);
    let din = m.input(
        "s_axis_tdata",
        bus,
        "S received FEC symbols, lane 0 (earliest) in the LSBs",
    )?;
    let rin = if reference {
        Some(m.input(
            "s_ref_tdata",
            bus,
            "the S transmitted FEC symbols that pair with s_axis_tdata's",
        )?)
    } else {
        None
    };
    let vin = m.input(
        "s_axis_tvalid",
        Ty::BIT,
        "input beat (the first after reset starts a frame)",
    )?;
    let lin = m.input(
        "s_axis_tlast",
        Ty::BIT,
        "the gearbox's last beat of a codeword: checked against the frame count",
    )?;
    // received and transmitted symbols side by side per lane: lane l is 10 or 20 bits
    let lanes: Vec<Expr> = (0..s as u32)
        .map(|l| {
            let d = din.slice(10 * l + 9, 10 * l)?;
            match &rin {
                Some(r) => Expr::concat(&[r.slice(10 * l + 9, 10 * l)?, d]),
                None => Ok(d),
            }
        })
        .collect::<Result<_, _>>()?;
    let both = m.wire("w_in", &Expr::pack_lsb_first(&lanes)?)?;
    let (ways, done, wb, wlast) = write_side(&mut m, code, s, &both, &vin)?;
    let fb = bits_for(f - 1);
    let want = eq_const(&wb, cw - 1)?.or(&wlast)?;
    let err = m.reg("err_q", Ty::BIT, Some(0))?;
    m.next(&err, &err.or(&vin.and(&lin.eq(&want)?.not())?)?, None)?;

    m.comment(&format!(
        "read: a burst of {f} beats (A's {cw}, then B's) from the frame just completed"
    ));
    let active = m.reg("r_active", Ty::BIT, Some(0))?;
    let (c, c_last) = wrap_counter(&mut m, "r_c", f, &active)?;
    let rh = m.reg("r_h", Ty::BIT, Some(0))?;
    let end = m.wire("r_end", &active.and(&c_last)?)?;
    m.next(&active, &done.or(&active.and(&end.not())?)?, None)?;
    m.next(&rh, &rh.xor(&end)?, None)?;
    let per_half = f / 2;
    let rb = ways[0].mems[0].addr_bits();
    // codeword B's beats follow A's: beat c of the burst is way c >= n/S, beat c mod n/S
    let is_b = m.wire("r_is_b", &c.ge(&ku(cw as i128, fb)?)?)?;
    let cc = m.wire(
        "r_cc",
        &Expr::mux(&is_b, &c.sub(&ku(cw as i128, fb)?)?, &c)?,
    )?;
    let cc = cc.ext(rb)?;
    // S = 1: row h * n + c'; S even: row h * (n/S) + c' in both memories (per_half = n/S rows)
    let row = m.wire(
        "r_row",
        &Expr::mux(&rh, &cc.add(&ku(per_half as i128, rb)?)?, &cc)?,
    )?;
    let mut reads = Vec::new();
    for (w, way) in ways.iter().enumerate() {
        let parts: Vec<Expr> = way
            .mems
            .iter()
            .enumerate()
            .map(|(k, mem)| m.reg_d(&format!("r_d{w}{k}"), &mem.read(&row)?, None, None))
            .collect::<Result<_, _>>()?;
        reads.push(Expr::concat(
            &parts.iter().rev().cloned().collect::<Vec<_>>(),
        )?);
    }
    let b1 = m.reg_d("r_is_b1", &is_b, None, Some(0))?;
    let v1 = m.reg_d("r_valid", &active, None, Some(0))?;
    let last = eq_const(&c, cw - 1)?.or(&c_last)?;
    let l1 = m.reg_d("r_last", &last, None, Some(0))?;
    let word = m.wire("r_word", &Expr::mux(&b1, &reads[1], &reads[0])?)?;
    // the stored lanes, back to the received bus and the transmitted bus
    let lw = word.width() / s as u32;
    let pick = |off: u32| -> Result<Expr, RtlError> {
        let v: Vec<Expr> = (0..s as u32)
            .map(|l| word.slice(lw * l + off + 9, lw * l + off))
            .collect::<Result<_, _>>()?;
        Expr::pack_lsb_first(&v)
    };
    m.output(
        "m_axis_tdata",
        &pick(0)?,
        "S received FEC symbols of codeword A's, then B's, beats",
    )?;
    if reference {
        m.output(
            "m_ref_tdata",
            &pick(10)?,
            "the transmitted beat beside m_axis_tdata",
        )?;
    }
    m.output("m_axis_tvalid", &v1, "output beat")?;
    m.output("m_axis_tlast", &l1, "last beat of a codeword")?;
    m.output(
        "err_align",
        &err,
        "sticky: an input codeword ended off the frame's count (never expected)",
    )?;
    Ok(m)
}
