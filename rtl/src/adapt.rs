//! The adaptation engine `rxdsp_eq_adapt`: the block sign-sign LMS of
//! [`golden::adapt::HwAdapter`] in RTL, beside the FFE and DFE of
//! `rxdsp_eq`, bit-exact with the model (see `docs/adaptation.md`, "RTL").
//!
//! Structure:
//! * **Error stage E** (at the decisions, stage D3 of the DFE): per lane the
//!   DFE input z of the branch the DFE selected is recomputed from the FFE
//!   output y, the decisions and the DFE taps of that word; its sign
//!   s = sgn(2z - lv(a) t) against the target level a (the known level on
//!   `s_axis_tknown` in training, else the decision), registered (E1); the
//!   sums G, H, T over the lanes (or lane w mod P) form one entry per word,
//!   per word, registered (E2) and written into the update FIFO.
//! * **Accumulator banks**: three copies of every adapted accumulator, one
//!   per stage that uses coefficients: S0 (the FFE's first stage, the FFE
//!   taps), SB (three stages before the DFE input, the DFE taps and the
//!   threshold, see [`crate::eq::ALIGN_STAGES`]) and E (the error stage; also
//!   the readback). Each bank counts the words passing its stage and applies
//!   the update of word u (saturating, with leakage) in the cycle word u + D
//!   passes, or as soon as the update is written if that is later; so word
//!   w + D + 1 is the first to see it at every stage, whatever the bubbles
//!   and backpressure. The three banks apply the same updates in the same
//!   order and hold the same values, each at its own word.
//! * **Ready**: `s_axis_tready` is also low while the update that the next
//!   word needs (the one of word T - D - 1, T words taken) is not yet
//!   written; with D at least [`min_full_rate_delay`] it never is.
//!
//! The mode (off / train / decision-directed) is a sideband of every input
//! word (`s_axis_tmode`), as are the known levels (`s_axis_tknown`,
//! `s_axis_tknown_valid`) and the step gain (`s_axis_tstep` = s: the word's
//! sums are shifted left by min(s, mu_shift) at stage E2, so the step is
//! 2^(s - mu_shift) LSB, `golden::adapt::WordCtl`); the accumulators' fraction
//! bits (`mu_shift`), the delay D, the leakage and the lane rule are
//! generation parameters.

use crate::eq::{addr_dfe, addr_ffe, addr_threshold, cfg_addr_bits, cfg_data_bits};
use crate::hdl::{Expr, Header, Mem, Module, Ty};
use crate::{regen, Design, RtlError};
use golden::adapt::{BlockRule, HwAdaptParams};
use golden::numeric::{clog2, smax, smin, RxFormat};
use proto::regmap::step_bits;

/// Name of the engine module.
pub const ENGINE: &str = "rxdsp_eq_adapt";

/// Cycles from the input handshake to the error stage E (the decisions of
/// the word, stage D3 of the DFE): one less than the equalizer's latency.
pub fn error_stage(fmt: &RxFormat, p: usize) -> usize {
    crate::eq::latency(fmt, p) - 1
}

/// The smallest delay D (words) at which the engine never holds
/// `s_axis_tready` low: an update is written three cycles after its word
/// reaches the error stage (E0, E1, E2), and must be in the FIFO when the
/// word D + 1 later is taken. A smaller D is still exact, at a lower word
/// rate.
pub fn min_full_rate_delay(fmt: &RxFormat, p: usize) -> usize {
    error_stage(fmt, p) + 2
}

/// The adaptive equalizer in memory: the modules of [`crate::design`] plus
/// the engine, and the top `rxdsp_eq` with the engine's ports.
pub fn design(fmt: &RxFormat, parallel: usize, params: &HwAdaptParams) -> Result<Design, RtlError> {
    check(fmt, parallel, params)?;
    let (mods, stages) = crate::eq::build_variant(fmt, parallel, Some(params))?;
    let mut files = Vec::new();
    for m in &mods {
        files.push((format!("{}.v", m.name()), m.emit()?));
    }
    Ok(Design {
        files,
        ports: mods.last().expect("top is built").ports().to_vec(),
        latency: stages.len(),
    })
}

/// Checks the engine's parameters against the equalizer's.
pub fn check(fmt: &RxFormat, p: usize, params: &HwAdaptParams) -> Result<(), RtlError> {
    crate::eq::check(fmt, p)?;
    let bad = |name, value: usize, why: String| {
        Err(RtlError::Param {
            name,
            value: value as i64,
            why,
        })
    };
    if params.parallel != p {
        return bad(
            "adapt parallel",
            params.parallel,
            format!("the engine's P must be the equalizer's ({p})"),
        );
    }
    if params.delay > golden::adapt::MAX_DELAY {
        return bad(
            "adapt.delay",
            params.delay,
            format!("at most {}", golden::adapt::MAX_DELAY),
        );
    }
    if params.mu_shift > golden::adapt::MAX_MU_SHIFT {
        return bad(
            "adapt.mu_shift",
            params.mu_shift as usize,
            format!("at most {}", golden::adapt::MAX_MU_SHIFT),
        );
    }
    if params.leak_shift > golden::adapt::MAX_LEAK_SHIFT {
        return bad(
            "adapt.leak_shift",
            params.leak_shift as usize,
            format!("at most {}", golden::adapt::MAX_LEAK_SHIFT),
        );
    }
    if fmt.ffe_taps < 2 {
        return bad(
            "ffe.taps",
            fmt.ffe_taps,
            "the adaptive equalizer needs a tap beside the fixed main tap".into(),
        );
    }
    Ok(())
}

fn k(v: i128, ty: Ty) -> Result<Expr, RtlError> {
    Expr::konst(v, ty)
}

/// What an accumulator adapts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// FFE tap k (never the main tap)
    Ffe(usize),
    /// DFE tap j
    Dfe(usize),
    /// the slicer threshold
    Thr,
}

/// One accumulator: its kind, coefficient width, register address, the
/// width of its lane sum, and its update field in a FIFO entry (offset,
/// width: the sum shifted left by up to `mu_shift`, the word's step).
#[derive(Clone, Debug)]
struct Acc {
    kind: Kind,
    bits: u32,
    addr: usize,
    sw: u32,
    off: u32,
    dw: u32,
    lo: i128,
    hi: i128,
}

/// The accumulators in FIFO-entry order and the entry width.
fn accumulators(fmt: &RxFormat, p: usize, mu: u32) -> (Vec<Acc>, u32) {
    let wg = clog2(p + 1) + 1;
    let wh = clog2(3 * p + 1) + 1;
    let mut v = Vec::new();
    let mut off = 0;
    let range = |bits: u32, lo: i64| {
        let hi = ((smax(bits) as i128) << mu) | ((1i128 << mu) - 1);
        ((lo as i128) << mu, hi)
    };
    let mut push = |kind, bits, addr, sw: u32, lo: i64| {
        let (lo, hi) = range(bits, lo);
        let dw = sw + mu;
        v.push(Acc {
            kind,
            bits,
            addr,
            sw,
            off,
            dw,
            lo,
            hi,
        });
        off += dw;
    };
    for kk in 0..fmt.ffe_taps {
        if kk != fmt.ffe_main {
            let b = fmt.ffe_coef_bits;
            push(Kind::Ffe(kk), b, addr_ffe(fmt, kk), wg, smin(b));
        }
    }
    for j in 0..fmt.dfe_taps {
        let b = fmt.dfe_coef_bits;
        push(Kind::Dfe(j), b, addr_dfe(fmt, j), wh, smin(b));
    }
    push(Kind::Thr, fmt.ffe_out_bits, addr_threshold(fmt), wg, 1);
    (v, off)
}

/// Shared signals of the engine builder.
struct Eng {
    fmt: RxFormat,
    p: usize,
    params: HwAdaptParams,
    accs: Vec<Acc>,
    /// counter width
    cw: u32,
    /// FIFO address width
    ab: u32,
    fifo: Mem,
    /// an update is written this cycle
    wr: Expr,
    /// per accumulator: its configuration write strobe
    load: Vec<Expr>,
    wdata: Expr,
    main: Expr,
}

/// One bank's coefficients: FFE (all N, the main tap from its register),
/// DFE, threshold (signed wires), and the bank's applied-update counter.
struct Bank {
    ffe: Vec<Expr>,
    dfe: Vec<Expr>,
    thr: Expr,
    applied: Expr,
    /// words that passed the bank's stage
    n: Expr,
}

/// Builds the engine module for `fmt` at `p` samples per clock; `n_ffe`
/// is the FFE's stage count, `latency` the equalizer's.
pub(crate) fn build_engine(
    fmt: &RxFormat,
    p: usize,
    params: &HwAdaptParams,
    n_ffe: usize,
    latency: usize,
) -> Result<Module, RtlError> {
    check(fmt, p, params)?;
    let mu = params.mu_shift;
    let d = params.delay;
    let (n, mt, ob) = (fmt.ffe_taps, fmt.dfe_taps, fmt.ffe_out_bits);
    let (cb, db) = (fmt.ffe_coef_bits, fmt.dfe_coef_bits);
    let pu = p as u32;
    let mut m = Module::new(
        ENGINE,
        Header::new(
            "adaptation engine: block sign-sign LMS (FFE sign-sign, DFE sign-data, level), delayed, word-exact",
            regen::EQ,
        )
        .param("rtl.parallel (P)", p)
        .param("ffe.taps (N)", n)
        .param("ffe.main", fmt.ffe_main)
        .param("ffe.coef_bits", cb)
        .param("ffe.out_bits", ob)
        .param("dfe.taps (M)", mt)
        .param("dfe.coef_bits", db)
        .param("adapt.mu_shift", mu)
        .param("adapt.delay (D)", d)
        .param("adapt.leak_shift", params.leak_shift)
        .param("adapt.block", params.block.name()),
    );
    m.clock()?;
    let we = m.input("cfg_we", Ty::BIT, "configuration write strobe")?;
    let addr = m.input(
        "cfg_addr",
        Ty::u(cfg_addr_bits(fmt)),
        "configuration address (the equalizer's map)",
    )?;
    let wdata = m.input(
        "cfg_wdata",
        Ty::u(cfg_data_bits(fmt)),
        "configuration write data: loads the accumulator (value << mu_shift)",
    )?;
    let take = m.input("take", Ty::BIT, "input handshake of the equalizer")?;
    let x_sign = m.input("x_sign", Ty::u(pu), "sign bits of the P input samples")?;
    let known = m.input("known", Ty::u(2 * pu), "P known levels (training)")?;
    let known_valid = m.input("known_valid", Ty::u(pu), "P known-level valid bits")?;
    let mode = m.input(
        "mode",
        Ty::u(2),
        "mode of the input word: 0 off, 1 train, 2 or 3 decision-directed",
    )?;
    let step = if mu > 0 {
        Some(m.input(
            "step",
            Ty::u(step_bits(mu)),
            &format!("step of the input word: its update counts 2^min(step, {mu}) times"),
        )?)
    } else {
        None
    };
    let main = m.input("main_coef", Ty::u(cb), "the fixed main FFE tap")?;
    let e_valid = m.input("e_valid", Ty::BIT, "decision stage: word valid")?;
    let e_level = m.input("e_level", Ty::u(2 * pu), "decision stage: P decisions")?;
    let e_y = m.input(
        "e_y",
        Ty::u(pu * ob),
        "decision stage: P FFE outputs (signed)",
    )?;

    let (accs, entry_bits) = accumulators(fmt, p, mu);
    let depth = (d + 2).next_power_of_two().max(2);
    let ab = clog2(depth);
    let cw = (clog2(d + latency + 16) + 1).max(ab + 1).max(clog2(p) + 1);
    let e_stage = latency - 1;
    let sb_stage = n_ffe - crate::eq::ALIGN_STAGES;

    m.comment(&format!(
        "side data of every input word (x sign bits, known levels, mode, step), delayed to the error stage ({e_stage} cycles after the handshake); valid bits to stage SB ({sb_stage})"
    ));
    let mut side_parts = vec![x_sign, known, known_valid, mode];
    side_parts.extend(step.clone());
    let side = Expr::pack_lsb_first(&side_parts)?;
    let side_q = crate::eq::delay_chain(&mut m, "side_q", &side, e_stage)?;
    let mut valid_q: Vec<Expr> = Vec::new();
    for i in 0..sb_stage {
        let src = if i == 0 {
            take.clone()
        } else {
            valid_q[i - 1].clone()
        };
        valid_q.push(m.reg_d(&format!("valid_q{}", i + 1), &src, None, Some(0))?);
    }
    let mode_at = |m: &mut Module, stage: usize, name: &str| -> Result<Expr, RtlError> {
        let r = &side_q[stage - 1];
        m.wire(name, &r.slice(4 * pu + 1, 4 * pu)?)
    };

    m.comment(&format!(
        "update FIFO: one entry (G, H, T) per word, {depth} entries, written at the error stage"
    ));
    let fifo = m.memory("upd", Ty::u(entry_bits), depth)?;
    let w = m.reg("upd_w", Ty::u(cw), Some(0))?;
    let wr = m.wire_decl("upd_wr", Ty::BIT)?;
    let load = accs
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let hit = addr.eq(&k(a.addr as i128, Ty::u(addr.width()))?)?;
            m.wire(&format!("ld{i}"), &we.and(&hit)?)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let eng = Eng {
        fmt: fmt.clone(),
        p,
        params: params.clone(),
        accs,
        cw,
        ab,
        fifo,
        wr: wr.clone(),
        load,
        wdata,
        main,
    };

    // the mode of the word at S0 and SB matters only for the leakage
    let (m0, msb) = if params.leak_shift > 0 {
        (
            mode_at(&mut m, 1, "mode_s0")?,
            mode_at(&mut m, sb_stage, "mode_sb")?,
        )
    } else {
        (k(0, Ty::u(2))?, k(0, Ty::u(2))?)
    };
    let s0 = bank(&mut m, &eng, "s0", &valid_q[0], &m0)?;
    let sb = bank(&mut m, &eng, "sb", &valid_q[sb_stage - 1], &msb)?;
    let me = mode_at(&mut m, e_stage, "mode_e")?;
    let eb = bank(&mut m, &eng, "e", &e_valid, &me)?;

    let (entry, upd_valid) = error_stage_logic(
        &mut m,
        &eng,
        &eb,
        &side_q[e_stage - 1],
        &me,
        [&e_valid, &e_level, &e_y],
    )?;
    m.assign(&wr, &upd_valid)?;
    m.mem_write(&eng.fifo, &upd_valid, &w.slice(ab - 1, 0)?, &entry)?;
    m.next(&w, &w.add(&upd_valid.ext(cw)?)?, None)?;

    m.comment(&format!(
        "ready: the word taken next (T) needs the update of word T - {} written",
        d + 1
    ));
    let ready = ready_logic(&mut m, &take, &upd_valid, cw, d)?;

    let un = |v: &[Expr]| Expr::pack_lsb_first(v);
    m.output(
        "ffe_coef",
        &un(&s0.ffe)?,
        "FFE taps of the word at the FFE's first stage",
    )?;
    if mt > 0 {
        m.output("dfe_coef", &un(&sb.dfe)?, "DFE taps, aligned for the DFE")?;
    }
    let sb_t = m.wire("sb_thr", &sb.thr)?;
    let eb_t = m.wire("e_rb_thr", &eb.thr)?;
    m.output(
        "threshold",
        &sb_t.slice(ob - 1, 0)?,
        "slicer threshold, aligned for the DFE",
    )?;
    m.output("ready", &ready, "the next word may be taken")?;
    m.output(
        "rb_ffe",
        &un(&eb.ffe)?,
        "readback: FFE taps after rb_updates updates",
    )?;
    if mt > 0 {
        m.output("rb_dfe", &un(&eb.dfe)?, "readback: DFE taps")?;
    }
    m.output(
        "rb_threshold",
        &eb_t.slice(ob - 1, 0)?,
        "readback: threshold",
    )?;
    let _ = s0.applied;
    let _ = sb.applied;
    let cnt = m.reg("rb_count", Ty::u(32), Some(0))?;
    m.next(&cnt, &cnt.add(&eb.applied.ext(32)?)?, None)?;
    m.output(
        "rb_updates",
        &cnt,
        "readback: updates applied (the readback holds the model's coefficients after this many)",
    )?;
    Ok(m)
}

/// The engine's ready (registered): low while the word taken next would
/// need an update not yet written, i.e. while (words taken - updates
/// written) would exceed D.
fn ready_logic(
    m: &mut Module,
    take: &Expr,
    e1_valid: &Expr,
    cw: u32,
    d: usize,
) -> Result<Expr, RtlError> {
    // words taken minus updates written, as a register of its own; the next
    // lag is lag + take - written, so "next lag > D" is one of three compares
    // of the register with a constant (timing: no add before the compare)
    let lag = m.reg("taken_lag", Ty::u(cw), Some(0))?;
    let lag_next = lag.add(&take.ext(cw)?)?.sub(&e1_valid.ext(cw)?)?;
    m.next(&lag, &lag_next, None)?;
    let dk = |v: usize| k(v as i128, Ty::u(cw));
    // lag + 1 > D, i.e. lag >= D (always true for D = 0)
    let over_up = match d {
        0 => k(1, Ty::BIT)?,
        _ => lag.gt(&dk(d - 1)?)?,
    };
    let over_same = lag.gt(&dk(d)?)?;
    let over_down = lag.gt(&dk(d + 1)?)?;
    let over = Expr::mux(
        take,
        &Expr::mux(e1_valid, &over_same, &over_up)?,
        &Expr::mux(e1_valid, &over_down, &over_same)?,
    )?;
    let ready = m.reg("ready_q", Ty::BIT, Some(1))?;
    m.next(&ready, &over.not(), None)?;
    Ok(ready)
}

/// One bank of accumulators at a stage whose word valid is `valid` and
/// word mode `mode`: counts the words passing, applies update `a` when
/// word a + D passes (or later, once written), so that the coefficients
/// are those of the word at the stage. Returns the coefficients and the
/// one-bit "applied this cycle".
fn bank(m: &mut Module, e: &Eng, name: &str, valid: &Expr, mode: &Expr) -> Result<Bank, RtlError> {
    let (cw, ab) = (e.cw, e.ab);
    let d = e.params.delay as i128;
    let mu = e.params.mu_shift;
    let l = e.params.leak_shift;
    m.comment(&format!(
        "bank {name}: words passing (n), updates applied (a); update a lands when word a + D passes"
    ));
    let n = m.reg(&format!("{name}_n"), Ty::u(cw), Some(0))?;
    let a = m.reg(&format!("{name}_a"), Ty::u(cw), Some(0))?;
    m.next(&n, &n.add(&valid.ext(cw)?)?, None)?;
    // Timing: the lag n - a and the pending count w - a are registers of
    // their own (kept equal to those differences), so "apply" is a compare
    // of a register with the constant D and a zero test, not an add, a
    // subtract and a compare in series (the engine's critical path, ECP5).
    // apply  <=>  (n + valid) - a > D  and  w != a
    let lag = m.reg(&format!("{name}_lag"), Ty::u(cw), Some(0))?;
    let pend = m.reg(&format!("{name}_pend"), Ty::u(cw), Some(0))?;
    let dk = k(d, Ty::u(cw))?;
    let at_d = m.wire(&format!("{name}_atd"), &lag.eq(&dk)?)?;
    let allowed = lag.gt(&dk)?.or(&valid.and(&at_d)?)?;
    let avail = pend.eq(&k(0, Ty::u(cw))?)?.not();
    let apply = m.wire(&format!("{name}_apply"), &allowed.and(&avail)?)?;
    m.next(&a, &a.add(&apply.ext(cw)?)?, None)?;
    let lag_next = lag.add(&valid.ext(cw)?)?.sub(&apply.ext(cw)?)?;
    m.next(&lag, &lag_next, None)?;
    let pend_next = pend.add(&e.wr.ext(cw)?)?.sub(&apply.ext(cw)?)?;
    m.next(&pend, &pend_next, None)?;
    let entry = m.wire(&format!("{name}_u"), &e.fifo.read(&a.slice(ab - 1, 0)?)?)?;
    let leak = if l > 0 {
        // the update of word a leaks if word a + D adapts: that word passes
        // now (n = a + D, so lag = D), or is the last one passed
        let adapting = m.wire(&format!("{name}_lkm"), &mode.eq(&k(0, Ty::u(2))?)?.not())?;
        let lk = m.reg(&format!("{name}_lk"), Ty::BIT, Some(0))?;
        m.next(&lk, &adapting, Some(valid))?;
        let now = m.wire(&format!("{name}_now"), &valid.and(&at_d)?)?;
        Some(m.wire(&format!("{name}_leak"), &Expr::mux(&now, &adapting, &lk)?)?)
    } else {
        None
    };
    let mut ffe = vec![None; e.fmt.ffe_taps];
    let mut dfe = Vec::new();
    let mut thr = None;
    for (i, acc) in e.accs.iter().enumerate() {
        let aw = acc.bits + mu;
        let ww = aw.max(acc.dw).max(9) + 2;
        let r = m.reg(&format!("{name}_acc{i}"), Ty::s(aw), Some(0))?;
        let delta = m.wire(
            &format!("{name}_d{i}"),
            &entry.slice(acc.off + acc.dw - 1, acc.off)?.as_signed(),
        )?;
        let re = r.ext(ww)?;
        let de = delta.ext(ww)?;
        let sum = match acc.kind {
            Kind::Ffe(_) => re.sub(&de)?,
            _ => re.add(&de)?,
        };
        let sum = m.wire(&format!("{name}_s{i}"), &sum)?;
        let (lo, hi) = (k(acc.lo, Ty::s(ww))?, k(acc.hi, Ty::s(ww))?);
        let (lo_a, hi_a) = (k(acc.lo, Ty::s(aw))?, k(acc.hi, Ty::s(aw))?);
        let low = sum.slice(aw - 1, 0)?.as_signed();
        let sat = Expr::mux(
            &sum.lt(&lo)?,
            &lo_a,
            &Expr::mux(&sum.gt(&hi)?, &hi_a, &low)?,
        )?;
        let mut new = m.wire(&format!("{name}_c{i}"), &sat)?;
        if let (Some(lf), false) = (&leak, acc.kind == Kind::Thr) {
            // A - (A >> L) stays within [lo, hi]: no saturation needed
            let lv = new.sub(&new.shr(l))?;
            new = m.wire(&format!("{name}_l{i}"), &Expr::mux(lf, &lv, &new)?)?;
        }
        let ld = e.wdata.slice(acc.bits - 1, 0)?;
        let ldv = if mu > 0 {
            Expr::concat(&[ld, Expr::zeros(mu)?])?.as_signed()
        } else {
            ld.as_signed()
        };
        let en = m.wire(&format!("{name}_en{i}"), &e.load[i].or(&apply)?)?;
        m.next(&r, &Expr::mux(&e.load[i], &ldv, &new)?, Some(&en))?;
        let c = r.slice(aw - 1, mu)?.as_signed();
        match acc.kind {
            Kind::Ffe(kk) => ffe[kk] = Some(c),
            Kind::Dfe(_) => dfe.push(c),
            Kind::Thr => thr = Some(c),
        }
    }
    let main = e.main.as_signed();
    Ok(Bank {
        ffe: ffe
            .into_iter()
            .map(|c| c.unwrap_or_else(|| main.clone()))
            .collect(),
        dfe,
        thr: thr.expect("the threshold accumulator"),
        applied: apply,
        n,
    })
}

/// The error stage: per lane z of the selected branch and the error sign
/// (E0), registered, then the sums G, H, T (E1); returns the FIFO entry and
/// its valid bit (E1).
fn error_stage_logic(
    m: &mut Module,
    e: &Eng,
    eb: &Bank,
    side: &Expr,
    mode: &Expr,
    ev: [&Expr; 3],
) -> Result<(Expr, Expr), RtlError> {
    let [e_valid, e_level, e_y] = ev;
    let fmt = &e.fmt;
    let (p, mt) = (e.p, fmt.dfe_taps);
    let pu = p as u32;
    let ob = fmt.ffe_out_bits;
    let ds = fmt.dfe_sum_bits();
    let ws = ds + 3;
    m.comment("error stage: decisions, x signs and their histories (advance on valid words)");
    let mut dec = Vec::new();
    let mut xs = Vec::new();
    let mut y = Vec::new();
    for i in 0..pu {
        dec.push(m.wire(&format!("e_a{i}"), &e_level.slice(2 * i + 1, 2 * i)?)?);
        xs.push(side.bit(i)?);
        let yi = m.wire(
            &format!("e_y{i}"),
            &e_y.slice((i + 1) * ob - 1, i * ob)?.as_signed(),
        )?;
        y.push(m.wire(&format!("e_ye{i}"), &yi.ext(ds)?)?);
    }
    let mut hd = Vec::new();
    for j in 0..mt {
        hd.push(m.reg(&format!("e_hd{}", j + 1), Ty::u(2), Some(0))?);
    }
    for j in 0..mt {
        let q = p as isize - 1 - j as isize;
        let src = if q >= 0 {
            dec[q as usize].clone()
        } else {
            hd[(-q) as usize - 1].clone()
        };
        m.next(&hd[j], &src, Some(e_valid))?;
    }
    let hx = x_sign_history(m, fmt, p, &xs, e_valid)?;
    let past = |i: usize, q: usize| -> Expr {
        if i >= q {
            dec[i - q].clone()
        } else {
            hd[q - i - 1].clone()
        }
    };
    let xneg = |i: usize, kk: usize| -> Expr {
        if i >= kk {
            xs[i - kk].clone()
        } else {
            hx[kk - i].clone().expect("needed")
        }
    };

    m.comment("error stage: z of the selected branch, error sign against the target level");
    let known = side.slice(3 * pu - 1, pu)?;
    let kv = side.slice(4 * pu - 1, 3 * pu)?;
    let _ = (known.width(), kv.width());
    let known = m.wire("e_known", &known)?;
    let kv = m.wire("e_kv", &kv)?;
    let adapting = m.wire("e_adapting", &mode.eq(&k(0, Ty::u(2))?)?.not())?;
    let train = m.wire("e_train", &mode.eq(&k(1, Ty::u(2))?)?)?;
    let zero = k(0, Ty::s(ds))?;
    let mut fbv = Vec::new();
    for (j, b) in eb.dfe.iter().enumerate() {
        let b = m.wire(&format!("e_b{}", j + 1), b)?;
        let be = m.wire(&format!("e_b{}e", j + 1), &b.ext(ds)?)?;
        let b3 = m.wire(&format!("e_b{}x3", j + 1), &be.shl(1).add(&be)?)?;
        fbv.push([zero.sub(&b3)?, zero.sub(&be)?, be.clone(), b3]);
    }
    let t = m.wire("e_thr", &eb.thr)?;
    let t = m.wire("e_t", &t.ext(ws)?)?;
    let t3 = m.wire("e_t3", &t.shl(1).add(&t)?)?;
    let zw = k(0, Ty::s(ws))?;
    let tl = [zw.sub(&t3)?, zw.sub(&t)?, t.clone(), t3.clone()];
    let lane = if p > 1 && e.params.block == BlockRule::RoundRobin {
        // the E bank's word counter is the index of the word at this stage
        Some(m.wire("e_lane", &eb.n.slice(clog2(p) - 1, 0)?)?)
    } else {
        None
    };
    let mut eneg = Vec::new();
    let mut cnt = Vec::new();
    let mut tgt = Vec::new();
    for i in 0..p {
        let mut z = y[i].clone();
        for (j, f) in fbv.iter().enumerate() {
            let sel = past(i, 1 + j);
            z = z.sub(&Expr::select4(&sel, f)?)?;
        }
        let z = m.wire(&format!("e_z{i}"), &z)?;
        let use_known = m.wire(&format!("e_uk{i}"), &train.and(&kv.bit(i as u32)?)?)?;
        let target = m.wire(
            &format!("e_tg{i}"),
            &Expr::mux(
                &use_known,
                &known.slice(2 * i as u32 + 1, 2 * i as u32)?,
                &dec[i],
            )?,
        )?;
        // s = sgn(2z - lv(a) t): negative iff 2z < lv(a) t
        let twice = z.ext(ws)?.shl(1);
        let neg = twice.lt(&Expr::select4(&target, &tl)?)?;
        eneg.push(m.wire(&format!("e_neg{i}"), &neg)?);
        let c = match &lane {
            Some(l) => adapting.and(&l.eq(&k(i as i128, Ty::u(clog2(p)))?)?)?,
            None => adapting.clone(),
        };
        cnt.push(m.wire(&format!("e_cnt{i}"), &c)?);
        tgt.push(target);
    }

    m.comment(
        "stage E1: error signs, counted flags, target signs and the x-sign and decision windows the sums read, registered",
    );
    let eneg = reg_all(m, &eneg, "e1_neg")?;
    let cnt = reg_all(m, &cnt, "e1_cnt")?;
    let tbits = tgt
        .iter()
        .map(|t| t.bit(1))
        .collect::<Result<Vec<_>, _>>()?;
    let tpos = reg_all(m, &tbits, "e1_tp")?;
    // window registers by offset q = sample index - lag (q < 0: previous words)
    let mut xwin: std::collections::BTreeMap<isize, Expr> = Default::default();
    let mut dwin: std::collections::BTreeMap<isize, Expr> = Default::default();
    for acc in &e.accs {
        for i in 0..p {
            match acc.kind {
                Kind::Ffe(kk) => {
                    let q = i as isize - kk as isize;
                    if let std::collections::btree_map::Entry::Vacant(v) = xwin.entry(q) {
                        let name = format!("e1_x{}", window_name(q));
                        v.insert(m.reg_d(&name, &xneg(i, kk), None, None)?);
                    }
                }
                Kind::Dfe(j) => {
                    let q = i as isize - 1 - j as isize;
                    if let std::collections::btree_map::Entry::Vacant(v) = dwin.entry(q) {
                        let name = format!("e1_d{}", window_name(q));
                        v.insert(m.reg_d(&name, &past(i, 1 + j), None, None)?);
                    }
                }
                Kind::Thr => {}
            }
        }
    }
    let e1_valid = m.reg_d("e1_valid", e_valid, None, Some(0))?;

    m.comment("stage E1: the sums over the lanes, the FIFO entry");
    let fields = lane_sums(m, e, [&eneg, &cnt, &tpos], &xwin, &dwin)?;
    // stage E2: the entry registered before the FIFO write (timing: the
    // P-term sums and the distributed RAM's write data in one cycle were
    // the engine's critical path on ECP5)
    let entry = m.wire("e1_entry", &Expr::pack_lsb_first(&fields)?)?;
    let e2_entry = m.reg_d("e2_entry", &entry, None, None)?;
    let e2_valid = m.reg_d("e2_valid", &e1_valid, None, Some(0))?;
    let mu = e.params.mu_shift;
    if mu == 0 {
        return Ok((e2_entry, e2_valid));
    }
    let e1_step = step_at_e1(m, side, e.p, mu)?;
    let e2_step = m.reg_d("e2_step", &e1_step, None, None)?;
    m.comment("stage E2: each sum times 2^step, the FIFO entry");
    let mut shifted = Vec::new();
    let mut at = 0;
    for (i, acc) in e.accs.iter().enumerate() {
        let f = m.wire(
            &format!("e2_f{i}"),
            &e2_entry.slice(at + acc.sw - 1, at)?.as_signed(),
        )?;
        let f = m.wire(&format!("e2_fx{i}"), &f.ext(acc.dw)?)?;
        shifted.push(m.shift_by(&format!("e2_sh{i}"), &f, &e2_step, 1, true)?);
        at += acc.sw;
    }
    let out = m.wire("e2_out", &Expr::pack_lsb_first(&shifted)?)?;
    Ok((out, e2_valid))
}

/// The error stage's x-sign history `hx[m]` (the sign of the sample m
/// before lane 0 of the word; advances on valid words): only the offsets an
/// adapted FFE tap reads, and those their history shift reads.
fn x_sign_history(
    m: &mut Module,
    fmt: &RxFormat,
    p: usize,
    xs: &[Expr],
    e_valid: &Expr,
) -> Result<Vec<Option<Expr>>, RtlError> {
    let n = fmt.ffe_taps;
    let mut need = vec![false; n];
    for kk in (1..n).filter(|&kk| kk != fmt.ffe_main) {
        for i in 0..p {
            if kk > i {
                need[kk - i] = true;
            }
        }
    }
    for mm in (1..n).rev() {
        if need[mm] && mm > p {
            need[mm - p] = true;
        }
    }
    let mut hx: Vec<Option<Expr>> = vec![None; n];
    for (mm, h) in hx.iter_mut().enumerate() {
        if need[mm] {
            *h = Some(m.reg(&format!("e_hx{mm}"), Ty::BIT, Some(0))?);
        }
    }
    for mm in 1..n {
        if let Some(h) = &hx[mm] {
            let q = p as isize - mm as isize;
            let src = if q >= 0 {
                xs[q as usize].clone()
            } else {
                hx[(-q) as usize].clone().expect("closed under the shift")
            };
            m.next(h, &src, Some(e_valid))?;
        }
    }
    Ok(hx)
}

/// Stage E1's step: the word's `step` from the side data at the error stage,
/// clamped to `mu` (a field wider than `0..=mu` could hold more), registered.
fn step_at_e1(m: &mut Module, side: &Expr, p: usize, mu: u32) -> Result<Expr, RtlError> {
    let sb = step_bits(mu);
    let lo = 4 * p as u32 + 2;
    let raw = m.wire("e_step", &side.slice(lo + sb - 1, lo)?)?;
    let step = if (1u32 << sb) - 1 > mu {
        let top = k(mu as i128, Ty::u(sb))?;
        Expr::mux(&raw.gt(&top)?, &top, &raw)?
    } else {
        raw
    };
    m.reg_d("e1_step", &step, None, None)
}

/// Stage E1's sums over the lanes, one per adapted accumulator (G_k, H_j,
/// T), from the registered error signs, counted flags and target signs
/// (`[eneg, cnt, tpos]`) and the x-sign and decision windows by offset.
fn lane_sums(
    m: &mut Module,
    e: &Eng,
    [eneg, cnt, tpos]: [&[Expr]; 3],
    xwin: &std::collections::BTreeMap<isize, Expr>,
    dwin: &std::collections::BTreeMap<isize, Expr>,
) -> Result<Vec<Expr>, RtlError> {
    let p = e.p;
    let mut fields = Vec::new();
    for acc in &e.accs {
        let ty = Ty::s(acc.sw);
        let (one, mone) = (k(1, ty)?, k(-1, ty)?);
        let mut sum: Option<Expr> = None;
        for i in 0..p {
            let term = match acc.kind {
                Kind::Ffe(kk) => {
                    let neg = eneg[i].xor(&xwin[&(i as isize - kk as isize)])?;
                    Expr::mux(&neg, &mone, &one)?
                }
                Kind::Dfe(j) => {
                    let sel = dwin[&(i as isize - 1 - j as isize)].clone();
                    let pos = [k(-3, ty)?, mone.clone(), one.clone(), k(3, ty)?];
                    let neg = [k(3, ty)?, one.clone(), mone.clone(), k(-3, ty)?];
                    Expr::mux(
                        &eneg[i],
                        &Expr::select4(&sel, &neg)?,
                        &Expr::select4(&sel, &pos)?,
                    )?
                }
                Kind::Thr => {
                    // sgn(lv(a)) = +1 for a >= 2
                    let neg = eneg[i].xor(&tpos[i].not())?;
                    Expr::mux(&neg, &mone, &one)?
                }
            };
            let term = Expr::mux(&cnt[i], &term, &k(0, ty)?)?;
            sum = Some(match sum {
                None => term,
                Some(s) => s.add(&term)?,
            });
        }
        let name = match acc.kind {
            Kind::Ffe(kk) => format!("e_g{kk}"),
            Kind::Dfe(j) => format!("e_h{}", j + 1),
            Kind::Thr => "e_tsum".to_string(),
        };
        fields.push(m.wire(&name, &sum.expect("P >= 1"))?);
    }
    Ok(fields)
}

/// Registers every element of `v` as `<prefix><i>` (every clock, no reset).
fn reg_all(m: &mut Module, v: &[Expr], prefix: &str) -> Result<Vec<Expr>, RtlError> {
    v.iter()
        .enumerate()
        .map(|(i, e)| m.reg_d(&format!("{prefix}{i}"), e, None, None))
        .collect()
}

/// A window offset as a name part: `3`, or `m2` for -2.
fn window_name(q: isize) -> String {
    if q < 0 {
        format!("m{}", -q)
    } else {
        q.to_string()
    }
}

/// The adaptive top's extra inputs (the sideband of every input word).
pub(crate) struct SideIn {
    known: Expr,
    known_valid: Expr,
    mode: Expr,
    /// `s_axis_tstep` (absent with `mu_shift = 0`: there is no coarser step)
    step: Option<Expr>,
}

/// Declares the adaptive top's sideband inputs.
/// `eng` is the engine module: `s_axis_tstep` exists when it has a step input.
pub(crate) fn side_inputs(m: &mut Module, p: usize, eng: &Module) -> Result<SideIn, RtlError> {
    let pu = p as u32;
    let step_port = eng.ports().iter().find(|q| q.name == "step").cloned();
    Ok(SideIn {
        step: match step_port {
            Some(q) => Some(m.input(
                "s_axis_tstep",
                q.ty,
                "adaptation step s of this word: its update counts 2^min(s, mu_shift) times, a step of 2^(s - mu_shift) coefficient LSB per sign (docs/adaptation.md)",
            )?),
            None => None,
        },
        known: m.input(
            "s_axis_tknown",
            Ty::u(2 * pu),
            "P known transmitted levels (0..3) of the samples of s_axis_tdata, for training; sample 0 in the LSBs",
        )?,
        known_valid: m.input(
            "s_axis_tknown_valid",
            Ty::u(pu),
            "per sample: its s_axis_tknown level is known (train mode uses the decision where not)",
        )?,
        mode: m.input(
            "s_axis_tmode",
            Ty::u(2),
            "adaptation mode of this word: 0 off (frozen), 1 train, 2 (or 3) decision-directed",
        )?,
    })
}

/// The engine's outputs as wires of the top (or, without the engine, the
/// fixed threshold register alone).
pub(crate) struct EngineWires {
    /// the threshold the DFE uses
    pub(crate) threshold: Expr,
    /// the engine's ready
    pub(crate) ready: Expr,
    /// the FFE coefficient bus
    pub(crate) ffe: Option<Expr>,
    /// the DFE coefficient bus
    pub(crate) dfe: Option<Expr>,
    rb: Vec<(String, Expr)>,
}

impl EngineWires {
    /// Without an engine: the threshold register.
    pub(crate) fn fixed(thr: Expr) -> Result<EngineWires, RtlError> {
        Ok(EngineWires {
            threshold: thr,
            ready: k(1, Ty::BIT)?,
            ffe: None,
            dfe: None,
            rb: Vec::new(),
        })
    }

    /// Declares a wire in the top for every output of the engine.
    pub(crate) fn declare(m: &mut Module, eng: &Module) -> Result<EngineWires, RtlError> {
        let mut get = |name: &str| -> Result<Option<Expr>, RtlError> {
            match eng.ports().iter().find(|p| p.name == name) {
                Some(p) => Ok(Some(m.wire_decl(&format!("a_{name}"), p.ty)?)),
                None => Ok(None),
            }
        };
        let threshold = get("threshold")?.expect("engine port");
        let ready = get("ready")?.expect("engine port");
        let ffe = get("ffe_coef")?;
        let dfe = get("dfe_coef")?;
        let mut rb = Vec::new();
        for n in ["rb_ffe", "rb_dfe", "rb_threshold", "rb_updates"] {
            if let Some(w) = get(n)? {
                rb.push((n.to_string(), w));
            }
        }
        Ok(EngineWires {
            threshold,
            ready,
            ffe,
            dfe,
            rb,
        })
    }
}

/// The top's signals the engine connects to.
pub(crate) struct TopIo<'a> {
    /// clk, rst
    pub(crate) clock: [&'a Expr; 2],
    /// cfg_we, cfg_addr, cfg_wdata
    pub(crate) cfg: [&'a Expr; 3],
    /// the input handshake
    pub(crate) take: &'a Expr,
    /// s_axis_tdata
    pub(crate) s_data: &'a Expr,
    /// the main FFE tap register
    pub(crate) main: &'a Expr,
    /// stage D3: valid, levels, FFE outputs
    pub(crate) d3: [&'a Expr; 3],
}

/// Instantiates the engine in the top.
pub(crate) fn instantiate(
    m: &mut Module,
    eng: &Module,
    fmt: &RxFormat,
    p: usize,
    io: &TopIo,
    side: &SideIn,
    w: &EngineWires,
) -> Result<(), RtlError> {
    let a = fmt.adc_bits;
    let signs = (0..p as u32)
        .map(|i| io.s_data.bit((i + 1) * a - 1))
        .collect::<Result<Vec<_>, _>>()?;
    let x_sign = m.wire("x_sign", &Expr::pack_lsb_first(&signs)?)?;
    let mut conns: Vec<(&str, &Expr)> = vec![
        ("clk", io.clock[0]),
        ("rst", io.clock[1]),
        ("cfg_we", io.cfg[0]),
        ("cfg_addr", io.cfg[1]),
        ("cfg_wdata", io.cfg[2]),
        ("take", io.take),
        ("x_sign", &x_sign),
        ("known", &side.known),
        ("known_valid", &side.known_valid),
        ("mode", &side.mode),
        ("main_coef", io.main),
        ("e_valid", io.d3[0]),
        ("e_level", io.d3[1]),
        ("e_y", io.d3[2]),
        ("threshold", &w.threshold),
        ("ready", &w.ready),
    ];
    if let Some(st) = &side.step {
        conns.push(("step", st));
    }
    if let Some(f) = &w.ffe {
        conns.push(("ffe_coef", f));
    }
    if let Some(d) = &w.dfe {
        conns.push(("dfe_coef", d));
    }
    for (n, e) in &w.rb {
        conns.push((n.as_str(), e));
    }
    m.instance(eng, "u_adapt", &conns)
}

/// The readback outputs of the adaptive top.
pub(crate) fn readback_outputs(
    m: &mut Module,
    _fmt: &RxFormat,
    w: &EngineWires,
) -> Result<(), RtlError> {
    for (n, e) in &w.rb {
        let (name, doc) = match n.as_str() {
            "rb_ffe" => ("adapt_ffe", "the N FFE taps (tap 0 in the LSBs) after adapt_updates updates: the model's coefficients after that many"),
            "rb_dfe" => ("adapt_dfe", "the M DFE taps after adapt_updates updates"),
            "rb_threshold" => ("adapt_threshold", "the slicer threshold after adapt_updates updates"),
            _ => ("adapt_updates", "updates applied so far (the readback's version)"),
        };
        m.output(name, e, doc)?;
    }
    Ok(())
}
