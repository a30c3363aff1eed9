//! `rxdsp_rs_enc`: systematic RS encoder, `S` symbols per clock.
//!
//! The input carries codewords in the stream format of [`super`]: the message
//! lanes (positions `0..k`) are passed through, the lanes at parity positions
//! are ignored and replaced by the parity. The remainder register `R` (2t
//! symbols, `R[0]` multiplies `x^(2t-1)`) absorbs up to `S` message symbols
//! per beat as one flat XOR network (`R'[l] = R[l+1] ^ f g_(2t-1-l)`,
//! `f = m ^ R[0]`, unrolled `S` times at generation time), then shifts the
//! parity out `S` symbols per beat. One output register: latency 1 cycle.
//! The pipeline advances on input beats (`s_axis_tvalid`); no backpressure.

use super::gf::{Gf, Lin, LinSpace};
use super::hdl_util::*;
use super::{beats, enc_latency, header, ENC_TOP};
use crate::hdl::{Expr, Module, Ty};
use crate::RtlError;
use golden::fec::Code;

/// Absorbs `syms` into the remainder `r` (linear, at generation time).
pub(crate) fn absorb(gf: &Gf, g: &[u16], r: &[Lin], syms: &[Lin]) -> Vec<Lin> {
    let p = r.len();
    let mut r = r.to_vec();
    for m in syms {
        let mut f = m.clone();
        f.xor_in(&r[0]);
        let mut n = Vec::with_capacity(p);
        for l in 0..p {
            let mut v = if l + 1 < p {
                r[l + 1].clone()
            } else {
                Lin::zero()
            };
            v.xor_in(&f.mul(gf, g[p - 1 - l]));
            n.push(v);
        }
        r = n;
    }
    r
}

/// Builds `rxdsp_rs_enc`.
pub fn build(code: Code, s: usize) -> Result<Module, RtlError> {
    let gf = Gf::new();
    let (n, k, t) = (code.n(), code.k(), code.t());
    let p = 2 * t;
    let b = beats(code, s);
    let g = code.generator();
    let mut m = Module::new(
        ENC_TOP,
        header(
            code,
            s,
            "systematic Reed-Solomon encoder",
            crate::regen::RS_ENC,
            enc_latency(code, s),
        ),
    );
    let (_, tdata, en, tlast) = stream_in(
        &mut m,
        s,
        "S symbols, lane 0 (earliest) in the LSBs; parity lanes ignored",
        "input beat (always accepted)",
    )?;
    let Beats {
        bc,
        bw,
        last,
        first,
        err,
    } = beat_counter(&mut m, b, &en, &tlast, true)?;
    let first = first.ok_or(RtlError::Empty("the beat counter's first decode"))?;

    let x: Vec<Expr> = (0..s)
        .map(|l| lane(&mut m, &tdata, l, &format!("x{l}")))
        .collect::<Result<_, _>>()?;
    let regs: Vec<Expr> = (0..p)
        .map(|i| m.reg(&format!("r{i}"), Ty::u(10), None))
        .collect::<Result<_, _>>()?;
    let z10 = ku(0, 10)?;
    let rin: Vec<Expr> = (0..p)
        .map(|i| m.wire(&format!("rin{i}"), &Expr::mux(&first, &z10, &regs[i])?))
        .collect::<Result<_, _>>()?;

    let mut sp = LinSpace::new();
    let lr: Vec<Lin> = rin.iter().map(|e| sp.symbol(e)).collect::<Result<_, _>>()?;
    let lx: Vec<Lin> = x.iter().map(|e| sp.symbol(e)).collect::<Result<_, _>>()?;
    let bm = k / s;
    let q = k % s;
    // message beat: absorb all S lanes
    m.comment("message beats: absorb S symbols");
    let a_s = absorb(&gf, &g, &lr, &lx);
    let a_s: Vec<Expr> = a_s
        .iter()
        .enumerate()
        .map(|(i, l)| sp.emit(&mut m, &format!("as{i}"), l))
        .collect::<Result<_, _>>()?;
    let is_msg = m.wire("is_msg", &bc.lt(&ku(bm as i128, bw)?)?)?;
    // boundary beat (q > 0): absorb q lanes, emit S-q parity symbols
    let (is_bnd, a_q) = if q > 0 {
        m.comment("boundary beat: absorb the last message lanes, start the parity");
        let aq = absorb(&gf, &g, &lr, &lx[..q]);
        let aq: Vec<Expr> = aq
            .iter()
            .enumerate()
            .map(|(i, l)| sp.emit(&mut m, &format!("aq{i}"), l))
            .collect::<Result<_, _>>()?;
        (Some(m.wire("is_bnd", &bc.eq(&ku(bm as i128, bw)?)?)?), aq)
    } else {
        (None, Vec::new())
    };
    let get = |v: &[Expr], i: usize| v.get(i).cloned().unwrap_or_else(|| z10.clone());
    for i in 0..p {
        let par = get(&regs, i + s);
        let nx = match &is_bnd {
            Some(sel) => Expr::mux(sel, &get(&a_q, i + s - q), &par)?,
            None => par,
        };
        let nx = Expr::mux(&is_msg, &a_s[i], &nx)?;
        m.next(&regs[i], &nx, Some(&en))?;
    }
    let mut outs = Vec::new();
    for (l, xl) in x.iter().enumerate() {
        let par = get(&regs, l);
        let v = match &is_bnd {
            Some(sel) => {
                let bv = if l < q { xl.clone() } else { get(&a_q, l - q) };
                Expr::mux(sel, &bv, &par)?
            }
            None => par,
        };
        let v = Expr::mux(&is_msg, xl, &v)?;
        outs.push(m.reg_d(&format!("o{l}"), &v, Some(&en), None)?);
    }
    let _ = n;
    let olast = m.reg_d("o_last", &last, Some(&en), None)?;
    let ovalid = m.reg_d("o_valid", &en, None, Some(0))?;
    stream_out(
        &mut m,
        &pack(&outs)?,
        &ovalid,
        &olast,
        "the codeword, same format as the input",
    )?;
    err_align_out(&mut m, &err)?;
    Ok(m)
}
