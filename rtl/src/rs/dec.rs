//! `rxdsp_rs_dec`: RS decoder, `S` symbols per clock, following the decision
//! rule of `golden::fec` step by step. See `docs/rtl-fec.md`.
//!
//! Pipeline, in codeword slots of `B = ceil(n/S)` beats (codeword `c` enters
//! in slot `c`):
//! * slot `c`: syndromes `S_j = r(alpha^j)` by a per-beat Horner step
//!   (one flat XOR network per syndrome; lanes of the last beat beyond `n` are
//!   forced to zero, so the sum is `r(alpha^j) alpha^(j pad)`, corrected by a
//!   constant multiply `alpha^(-j pad)`, `pad = BS - n`);
//! * slot `c+1`: riBM, one iteration per beat in beats `0..2t`, `3t+1`
//!   processing elements (two general multipliers each);
//! * slot `c+2`: Chien search and Forney, `S` positions per beat, two register
//!   stages (evaluation; inverse and product); the error values stream into
//!   a second syndrome unit (residual check), a root counter and a failure flag;
//! * slot `c+3` (+2 beats): the decision is known; the received word (delay
//!   line of `3B+2` beats) is XORed with the error values (delay line of `B`
//!   beats) unless the word is uncorrectable, and registered out.
//!
//! Everything advances on input beats (`s_axis_tvalid`); latency `3B+3` cycles
//! with a continuous input.

use super::gf::{self, cmul, gmul, or_all, Gf, Lin, LinSpace};
use super::hdl_util::*;
use super::{beats, dec_latency, header, DEC_TOP};
use crate::hdl::{Expr, Header, Module, Ty};
use crate::{regen, RtlError};
use golden::fec::Code;

/// Width of the statistics counters (they wrap).
pub const COUNTER_BITS: u32 = 32;

fn gf_header(what: &str) -> Header {
    Header::new(what, regen::RS_DEC)
        .param("field", "GF(2^10), p(x) = x^10 + x^3 + 1")
        .note("Combinational.")
}

/// Builds the modules: multiplier, inverter, decoder top (last).
pub fn build(code: Code, s: usize) -> Result<Vec<Module>, RtlError> {
    let mul = gf::build_mul(gf_header("general multiplier"))?;
    let inv = gf::build_inv(gf_header("inverse (x^1022)"), &mul)?;
    let top = build_top(code, s, &mul, &inv)?;
    Ok(vec![mul, inv, top])
}

/// Horner syndrome unit over beats of `lanes` (lane 0 = highest power):
/// returns the final syndromes `S_0..S_(2t-1)`, valid in the codeword's last beat.
#[allow(clippy::too_many_arguments)]
fn syndromes(
    m: &mut Module,
    gf: &Gf,
    pfx: &str,
    lanes: &[Expr],
    first: &Expr,
    en: &Expr,
    p: usize,
    pad: usize,
) -> Result<Vec<Expr>, RtlError> {
    let s = lanes.len();
    let z10 = ku(0, 10)?;
    let mut sp = LinSpace::new();
    let lx: Vec<Lin> = lanes
        .iter()
        .map(|e| sp.symbol(e))
        .collect::<Result<_, _>>()?;
    let mut fin = Vec::new();
    for j in 0..p {
        let acc = m.reg(&format!("{pfx}_acc{j}"), Ty::u(10), None)?;
        let ain = m.wire(&format!("{pfx}_ain{j}"), &Expr::mux(first, &z10, &acc)?)?;
        let mut l = sp.symbol(&ain)?.mul(gf, gf.pow((j * s) as i64));
        for (i, x) in lx.iter().enumerate() {
            l.xor_in(&x.mul(gf, gf.pow((j * (s - 1 - i)) as i64)));
        }
        let nx = sp.emit(m, &format!("{pfx}_nxt{j}"), &l)?;
        m.next(&acc, &nx, Some(en))?;
        fin.push(if pad == 0 {
            nx
        } else {
            cmul(
                m,
                gf,
                &format!("{pfx}_fin{j}"),
                &nx,
                gf.pow(-((j * pad) as i64)),
            )?
        });
    }
    Ok(fin)
}

/// Sizes of the decoder and its shared signals.
struct Dec {
    gf: Gf,
    /// code length `n`
    n: usize,
    /// correctable symbols `t`
    t: usize,
    /// syndromes `2t`
    p: usize,
    /// symbols per beat `S`
    s: usize,
    /// lanes of the last beat beyond `n`
    pad: usize,
    /// width of the degree of lambda
    nuw: u32,
    /// the input beat (`s_axis_tvalid`)
    en: Expr,
    /// the beat counter and its decodes
    beats: Beats,
    /// `en` in the last beat of a codeword
    ld: Expr,
}

fn build_top(code: Code, s: usize, mul: &Module, inv: &Module) -> Result<Module, RtlError> {
    let (n, t) = (code.n(), code.t());
    let b = beats(code, s);
    let lat = dec_latency(code, s);
    let mut m = Module::new(
        DEC_TOP,
        header(
            code,
            s,
            "Reed-Solomon decoder (riBM, Chien, Forney)",
            regen::RS_DEC,
            lat,
        ),
    );
    let (tdata, en, tlast) = stream_in(
        &mut m,
        s,
        "S received symbols, lane 0 (earliest) in the LSBs",
        "input beat (always accepted); the pipeline advances on it",
    )?;
    m.comment("beat counter");
    let bt = beat_counter(&mut m, b, &en, &tlast)?;
    let ld = m.wire("ld", &en.and(&bt.last)?)?;
    let c = Dec {
        gf: Gf::new(),
        n,
        t,
        p: 2 * t,
        s,
        pad: b * s - n,
        nuw: bits_for(t + 1),
        en,
        beats: bt,
        ld,
    };
    // codewords that completed their input, saturating at 3
    let ncw = m.reg("ncw", Ty::u(2), Some(0))?;
    let full = m.wire("ncw_full", &ncw.eq(&ku(3, 2)?)?)?;
    let ncw_inc = ncw.add(&ku(1, 2)?)?;
    let ncw_en = m.wire("ncw_en", &c.ld.and(&full.not())?)?;
    m.next(&ncw, &ncw_inc, Some(&ncw_en))?;

    m.comment("input lanes, the unused lanes of the last beat forced to zero");
    let z10 = ku(0, 10)?;
    let mut xm = Vec::new();
    for l in 0..s {
        let x = lane(&mut m, &tdata, l, &format!("x{l}"))?;
        xm.push(if l >= s - c.pad {
            m.wire(&format!("xm{l}"), &Expr::mux(&c.beats.last, &z10, &x)?)?
        } else {
            x
        });
    }
    let (fin, sb) = syndrome_stage(&mut m, &c, &xm)?;
    let delta = ribm(&mut m, &c, mul, &fin)?;
    let (nua, tt, om) = chien_terms(&mut m, &c, &delta)?;
    let cf = chien_forney(&mut m, &c, mul, inv, &tt, &om)?;
    let d = decision(&mut m, &c, &cf, &sb, &nua, &full)?;
    let st = statistics(&mut m, &c, &d)?;
    output_stage(&mut m, &c, b, &xm, &cf, &d)?;
    stat_outputs(&mut m, &st)?;
    err_align_out(&mut m, &c.beats.err)?;
    Ok(m)
}

/// The syndromes `S_j = r(alpha^j)` of the received word, registered at the
/// codeword's end (`sa`) and once more for the residual check (`sb`):
/// returns the final syndromes and `sb`.
fn syndrome_stage(
    m: &mut Module,
    c: &Dec,
    xm: &[Expr],
) -> Result<(Vec<Expr>, Vec<Expr>), RtlError> {
    m.comment("syndromes S_j = r(alpha^j)");
    let fin = syndromes(m, &c.gf, "sy", xm, &c.beats.first, &c.en, c.p, c.pad)?;
    let mut sb = Vec::new();
    for (j, f) in fin.iter().enumerate() {
        let a = m.reg(&format!("sa{j}"), Ty::u(10), None)?;
        let bb = m.reg_d(&format!("sb{j}"), &a, Some(&c.ld), None)?;
        m.next(&a, f, Some(&c.ld))?;
        sb.push(bb);
    }
    Ok((fin, sb))
}

/// The riBM: `3t+1` processing elements, one iteration per beat in beats
/// `0..2t` of the next codeword slot; returns the `delta` registers (lambda
/// in `delta_t..delta_2t`, omega in `delta_0..delta_(t-1)` at the end).
fn ribm(m: &mut Module, c: &Dec, mul: &Module, fin: &[Expr]) -> Result<Vec<Expr>, RtlError> {
    let (t, p, bw) = (c.t, c.p, c.beats.bw);
    let (en, ld) = (&c.en, &c.ld);
    let z10 = ku(0, 10)?;
    m.comment("riBM: 3t+1 processing elements, iterations in beats 0..2t of the next slot");
    let it = m.wire("ribm_it", &en.and(&c.beats.bc.lt(&ku(p as i128, bw)?)?)?)?;
    let ribm_en = m.wire("ribm_en", &ld.or(&it)?)?;
    let nd = 3 * t + 1;
    let delta: Vec<Expr> = (0..nd)
        .map(|i| m.reg(&format!("delta{i}"), Ty::u(10), None))
        .collect::<Result<_, _>>()?;
    let theta: Vec<Expr> = (0..nd)
        .map(|i| m.reg(&format!("theta{i}"), Ty::u(10), None))
        .collect::<Result<_, _>>()?;
    let gamma = m.reg("gamma", Ty::u(10), None)?;
    let kk = m.reg("kreg", Ty::u(7), None)?;
    let d0 = delta[0].clone();
    let sw = m.wire("ribm_sw", &nonzero(&d0)?.and(&kk.bit(6)?.not())?)?;
    for i in 0..nd {
        let g = if i + 1 < nd {
            Some(gmul(m, mul, &format!("pg{i}"), &gamma, &delta[i + 1])?)
        } else {
            None
        };
        let h = gmul(m, mul, &format!("ph{i}"), &d0, &theta[i])?;
        let upd = match g {
            Some(g) => g.xor(&h)?,
            None => h,
        };
        let init = if i < p {
            fin[i].clone()
        } else {
            ku((i == 3 * t) as i128, 10)?
        };
        m.next(&delta[i], &Expr::mux(ld, &init, &upd)?, Some(&ribm_en))?;
        let up = delta.get(i + 1).cloned().unwrap_or_else(|| z10.clone());
        let tu = Expr::mux(&sw, &up, &theta[i])?;
        m.next(&theta[i], &Expr::mux(ld, &init, &tu)?, Some(&ribm_en))?;
    }
    let gu = Expr::mux(&sw, &d0, &gamma)?;
    m.next(&gamma, &Expr::mux(ld, &ku(1, 10)?, &gu)?, Some(&ribm_en))?;
    let ku_ = Expr::mux(&sw, &kk.not(), &kk.add(&ku(1, 7)?)?)?;
    m.next(&kk, &Expr::mux(ld, &ku(0, 7)?, &ku_)?, Some(&ribm_en))?;
    Ok(delta)
}

/// The degree `nu` of lambda, and the Chien and Forney term registers
/// `T_i` (lambda) and `O_i` (omega), stepped every beat: returns
/// `(nu, T, O)`.
fn chien_terms(
    m: &mut Module,
    c: &Dec,
    delta: &[Expr],
) -> Result<(Expr, Vec<Expr>, Vec<Expr>), RtlError> {
    let (gf, n, t, p, s, nuw) = (&c.gf, c.n, c.t, c.p, c.s, c.nuw);
    let (en, ld) = (&c.en, &c.ld);
    m.comment("nu = degree of lambda = delta_t..delta_2t, loaded with the Chien terms");
    let mut deg = ku(0, nuw)?;
    for i in 1..=t {
        deg = Expr::mux(&nonzero(&delta[t + i])?, &ku(i as i128, nuw)?, &deg)?;
    }
    let deg = m.wire("lambda_deg", &deg)?;
    let nua = m.reg_d("nua", &deg, Some(ld), None)?;

    m.comment("Chien / Forney terms: T_i = lambda_i alpha^(-i d), O_i = omega_i alpha^(-(i+2t) d), d = n-1-(first position of the beat)");
    let mut tt = Vec::new();
    for i in 0..=t {
        let r = m.reg(&format!("ct{i}"), Ty::u(10), None)?;
        let l0 = cmul(
            m,
            gf,
            &format!("ct{i}_ld"),
            &delta[t + i],
            gf.pow(-((i * (n - 1)) as i64)),
        )?;
        let st = cmul(m, gf, &format!("ct{i}_st"), &r, gf.pow((i * s) as i64))?;
        m.next(&r, &Expr::mux(ld, &l0, &st)?, Some(en))?;
        tt.push(r);
    }
    let mut om = Vec::new();
    for (i, d) in delta.iter().enumerate().take(t) {
        let e = (i + p) as i64;
        let r = m.reg(&format!("co{i}"), Ty::u(10), None)?;
        let l0 = cmul(m, gf, &format!("co{i}_ld"), d, gf.pow(-e * (n as i64 - 1)))?;
        let st = cmul(m, gf, &format!("co{i}_st"), &r, gf.pow(e * s as i64))?;
        m.next(&r, &Expr::mux(ld, &l0, &st)?, Some(en))?;
        om.push(r);
    }
    Ok((nua, tt, om))
}

/// What the Chien search and Forney stages give per lane and beat.
struct ChienForney {
    /// error values (zero off the roots)
    e2: Vec<Expr>,
    /// the position is a root of lambda
    root2: Vec<Expr>,
    /// Forney failed at a root (zero value or denominator)
    fail2: Vec<Expr>,
    /// first beat of the codeword, two stages late
    first2: Expr,
    /// last beat of the codeword, two stages late
    last2: Expr,
}

/// Stages CH1 (evaluation of lambda, its odd part and omega per lane) and
/// CH2 (inverse and product: the error values at the roots).
fn chien_forney(
    m: &mut Module,
    c: &Dec,
    mul: &Module,
    inv: &Module,
    tt: &[Expr],
    om: &[Expr],
) -> Result<ChienForney, RtlError> {
    let (gf, p, s, pad) = (&c.gf, c.p, c.s, c.pad);
    let en = &c.en;
    let z10 = ku(0, 10)?;
    m.comment("stage CH1: lambda(X^-1), its odd part, X^-2t omega(X^-1) per lane");
    let mut sp = LinSpace::new();
    let lt: Vec<Lin> = tt.iter().map(|e| sp.symbol(e)).collect::<Result<_, _>>()?;
    let lo: Vec<Lin> = om.iter().map(|e| sp.symbol(e)).collect::<Result<_, _>>()?;
    let mut r1 = Vec::new();
    for l in 0..s {
        let mut lam = Lin::zero();
        let mut odd = Lin::zero();
        for (i, x) in lt.iter().enumerate() {
            let v = x.mul(gf, gf.pow((i * l) as i64));
            lam.xor_in(&v);
            if i % 2 == 1 {
                odd.xor_in(&v);
            }
        }
        let mut num = Lin::zero();
        for (i, x) in lo.iter().enumerate() {
            num.xor_in(&x.mul(gf, gf.pow(((i + p) * l) as i64)));
        }
        let lam = sp.emit(m, &format!("lam{l}"), &lam)?;
        let odd = sp.emit(m, &format!("den{l}"), &odd)?;
        let num = sp.emit(m, &format!("num{l}"), &num)?;
        let mut root = lam.eq(&z10)?;
        if l >= s - pad {
            root = root.and(&c.beats.last.not())?;
        }
        let root = m.reg_d(&format!("r1_root{l}"), &root, Some(en), None)?;
        let den = m.reg_d(&format!("r1_den{l}"), &odd, Some(en), None)?;
        let num = m.reg_d(&format!("r1_num{l}"), &num, Some(en), None)?;
        r1.push((root, den, num));
    }
    let first1 = m.reg_d("first1", &c.beats.first, Some(en), None)?;
    let last1 = m.reg_d("last1", &c.beats.last, Some(en), None)?;

    m.comment("stage CH2: e = X^-2t omega(X^-1) / lambda_odd(X^-1) at the roots; zero value or denominator fails");
    let mut e2 = Vec::new();
    let mut root2 = Vec::new();
    let mut fail2 = Vec::new();
    for (l, (root, den, num)) in r1.iter().enumerate() {
        let iv = m.wire_decl(&format!("inv{l}"), Ty::u(10))?;
        m.instance(inv, &format!("u_inv{l}"), &[("x", den), ("y", &iv)])?;
        let e = gmul(m, mul, &format!("ev{l}"), num, &iv)?;
        e2.push(m.reg_d(
            &format!("r2_e{l}"),
            &Expr::mux(root, &e, &z10)?,
            Some(en),
            None,
        )?);
        root2.push(m.reg_d(&format!("r2_root{l}"), root, Some(en), None)?);
        let zero = den.eq(&z10)?.or(&num.eq(&z10)?)?;
        fail2.push(m.reg_d(&format!("r2_fail{l}"), &root.and(&zero)?, Some(en), None)?);
    }
    let first2 = m.reg_d("first2", &first1, Some(en), None)?;
    let last2 = m.reg_d("last2", &last1, Some(en), None)?;
    Ok(ChienForney {
        e2,
        root2,
        fail2,
        first2,
        last2,
    })
}

/// The decision on a codeword, known at the last beat of its error stream.
struct Decision {
    /// uncorrectable (combinational, at the decision beat)
    unc: Expr,
    /// the degree of lambda, aligned with the error stream
    nub: Expr,
    /// the registered decision: uncorrectable
    dec_unc: Expr,
    /// the registered decision: corrected symbols
    dec_nu: Expr,
    /// a decision of a real codeword (not the pipeline filling)
    real: Expr,
    /// sticky: a real decision was made (the output is valid)
    dv: Expr,
}

/// The checks (residual syndromes, root count against `nu`, Forney
/// failures) and the decision register.
fn decision(
    m: &mut Module,
    c: &Dec,
    cf: &ChienForney,
    sb: &[Expr],
    nua: &Expr,
    full: &Expr,
) -> Result<Decision, RtlError> {
    let en = &c.en;
    m.comment("residual syndromes: syndromes of the error word, compared with S_j");
    let efin = syndromes(m, &c.gf, "es", &cf.e2, &cf.first2, en, c.p, c.pad)?;
    let f2 = m.wire("f2", &en.and(&cf.first2)?)?;
    let mut res = Vec::new();
    for j in 0..c.p {
        let sc = m.reg_d(&format!("sc{j}"), &sb[j], Some(&f2), None)?;
        res.push(efin[j].eq(&sc)?.not());
    }
    let res_bad = m.wire("res_bad", &or_all(res)?)?;
    let nub = m.reg_d("nub", nua, Some(&f2), None)?;

    m.comment("root count over positions 0..n and Forney failures");
    let cw = 10;
    let cnt = m.reg("roots", Ty::u(cw), None)?;
    let mut sum = Expr::mux(&cf.first2, &ku(0, cw)?, &cnt)?;
    for r in &cf.root2 {
        sum = sum.add(&r.ext(cw)?)?;
    }
    let cnt_nx = m.wire("roots_nxt", &sum)?;
    m.next(&cnt, &cnt_nx, Some(en))?;
    let fa = m.reg("fail_ev", Ty::BIT, None)?;
    let fa_in = Expr::mux(&cf.first2, &ku(0, 1)?, &fa)?;
    let fa_nx = m.wire("fail_ev_nxt", &fa_in.or(&or_all(cf.fail2.clone())?)?)?;
    m.next(&fa, &fa_nx, Some(en))?;
    let nub_e = m.wire("nub_e", &nub.ext(cw)?)?;
    let rc_bad = m.wire("rc_bad", &cnt_nx.eq(&nub_e)?.not())?;
    let unc = m.wire("unc", &rc_bad.or(&fa_nx)?.or(&res_bad)?)?;

    m.comment("decision, at the last beat of the error stream");
    let dl = m.wire("dec_ld", &en.and(&cf.last2)?)?;
    let dec_unc = m.reg_d("dec_unc", &unc, Some(&dl), None)?;
    let dec_nu = m.reg_d("dec_nu", &nub, Some(&dl), None)?;
    let real = m.wire("dec_real", &dl.and(full)?)?;
    let dv = m.reg("dec_valid", Ty::BIT, Some(0))?;
    m.next(&dv, &dv.or(&real)?, None)?;
    Ok(Decision {
        unc,
        nub,
        dec_unc,
        dec_nu,
        real,
        dv,
    })
}

/// The statistics counters (wrapping).
struct Statistics {
    codewords: Expr,
    corrected_codewords: Expr,
    corrected_symbols: Expr,
    uncorrectable: Expr,
    /// `t+2` bins: codewords with `i` corrected symbols, the last uncorrectable
    hist: Vec<Expr>,
}

/// The statistics counters, advanced on every real decision.
fn statistics(m: &mut Module, c: &Dec, d: &Decision) -> Result<Statistics, RtlError> {
    let (t, nuw) = (c.t, c.nuw);
    let (unc, nub) = (&d.unc, &d.nub);
    m.comment("statistics (wrapping counters)");
    let counter = |m: &mut Module, name: &str, inc: &Expr| -> Result<Expr, RtlError> {
        let r = m.reg(name, Ty::u(COUNTER_BITS), Some(0))?;
        let iw = m.wire(&format!("{name}_inc"), inc)?;
        let next = r.add(&iw.ext(COUNTER_BITS)?)?;
        m.next(&r, &next, Some(&d.real))?;
        Ok(r)
    };
    let c_cw = counter(m, "st_codewords", &ku(1, 1)?)?;
    let nu_nz = nonzero(nub)?;
    let c_ccw = counter(m, "st_corrected_codewords", &unc.not().and(&nu_nz)?)?;
    let c_cs = counter(
        m,
        "st_corrected_symbols",
        &Expr::mux(unc, &ku(0, nuw)?, nub)?,
    )?;
    let c_unc = counter(m, "st_uncorrectable", unc)?;
    let bin = m.wire("hist_bin", &Expr::mux(unc, &ku(t as i128 + 1, nuw)?, nub)?)?;
    let mut hist = Vec::new();
    for i in 0..t + 2 {
        hist.push(counter(
            m,
            &format!("st_hist{i}"),
            &bin.eq(&ku(i as i128, nuw)?)?,
        )?);
    }
    Ok(Statistics {
        codewords: c_cw,
        corrected_codewords: c_ccw,
        corrected_symbols: c_cs,
        uncorrectable: c_unc,
        hist,
    })
}

/// The delay lines of the received word and the error values, and the
/// output: corrected unless uncorrectable.
fn output_stage(
    m: &mut Module,
    c: &Dec,
    b: usize,
    xm: &[Expr],
    cf: &ChienForney,
    d: &Decision,
) -> Result<(), RtlError> {
    let en = &c.en;
    m.comment(
        "delay lines (ring buffers in memory): received word 3B+2 beats, error values B beats",
    );
    let xin = m.wire("din", &pack(xm)?)?;
    let rd = delay_line(m, "dr", &xin, en, 3 * b + 2)?;
    let ein = m.wire("ein", &pack(&cf.e2)?)?;
    let ed = delay_line(m, "de", &ein, en, b)?;

    m.comment("output: corrected unless uncorrectable");
    let corr = rd.xor(&ed)?;
    let od = m.reg_d(
        "o_data",
        &Expr::mux(&d.dec_unc, &rd, &corr)?,
        Some(en),
        None,
    )?;
    let olast = m.reg_d("o_last", &cf.last2, Some(en), None)?;
    let ocorr = m.reg_d(
        "o_corr",
        &Expr::mux(&d.dec_unc, &ku(0, c.nuw)?, &d.dec_nu)?,
        Some(en),
        None,
    )?;
    let ounc = m.reg_d("o_unc", &d.dec_unc, Some(en), None)?;
    let ov = m.reg_d("o_valid", &en.and(&d.dv)?, None, Some(0))?;
    stream_out(
        m,
        &od,
        &ov,
        &olast,
        "the corrected codeword (all n symbols), same format as the input",
    )?;
    m.output(
        "m_cw_corrected",
        &ocorr,
        "symbols corrected in this codeword (0 if uncorrectable); constant over its beats",
    )?;
    m.output(
        "m_cw_uncorrectable",
        &ounc,
        "this codeword is uncorrectable (passed through); constant over its beats",
    )
}

/// The statistics outputs.
fn stat_outputs(m: &mut Module, st: &Statistics) -> Result<(), RtlError> {
    m.output("stat_codewords", &st.codewords, "codewords decoded")?;
    m.output(
        "stat_corrected_codewords",
        &st.corrected_codewords,
        "codewords with at least one corrected symbol",
    )?;
    m.output(
        "stat_corrected_symbols",
        &st.corrected_symbols,
        "corrected symbols",
    )?;
    m.output(
        "stat_uncorrectable",
        &st.uncorrectable,
        "uncorrectable codewords",
    )?;
    let hrev: Vec<Expr> = st.hist.iter().rev().cloned().collect();
    m.output(
        "stat_histogram",
        &Expr::concat(&hrev)?,
        "t+2 counters, bin i in bits 32i+31..32i: codewords with i corrected symbols; last bin uncorrectable",
    )
}
