//! The emulator's FEC framer: the pattern's data symbols framed into
//! Reed-Solomon codewords (`tx.fec`), as `golden::framing::Framer` frames
//! them, at `P` PAM4 data symbols a clock word, without a gearbox.
//!
//! Units are 2-bit PAM4 data symbols. A codeword is `5n` of them, a whole
//! number `W = 5n / P` of words (the parameters are refused otherwise): the
//! message's `5k` symbols (the pattern's, in order) then the parity's `10t`
//! (each 10-bit parity symbol MSB first). Word `c_t = floor(5k / P)` of a
//! codeword is the *transition* word when `m_t = 5k mod P > 0`: its first
//! `m_t` symbols end the message, the rest start the parity.
//!
//! * **Control (stage 0, on `adv`)**: the word counter `fw` (0..W-1), the
//!   carry count `cn` (pattern symbols drawn but not yet sent) and the phase
//!   `ph = (P fw) mod 5` (symbols of the 10-bit symbol in progress). A word
//!   takes a fresh pattern word (`take`, which gates the pattern's advance)
//!   when it is a message word, or the transition word and `cn < m_t`; the
//!   transition word leaves `cn' = (cn - m_t) mod P`. So the carry count
//!   only takes the values `-j m_t mod P`, and every selection below is a
//!   multiplexer over those few values, not a shifter.
//! * **Datapath, stage 1 (on the word's valid)**: the available
//!   symbols `A = carry[0..cn] ++ (take ? pattern word : [])`; the word's
//!   message symbols are `A[0..u]` (`u` = `P`, `m_t` or 0) and the carry
//!   keeps what follows. The 10-bit symbols that complete in the word
//!   (`part[0..ph] ++ message`, five by five) are registered with their
//!   count; what is left over waits in `part`.
//! * **Datapath, stage 2 (on the valid a clock later)**: the completed
//!   symbols enter the remainder `R` (2t symbols) through the encoder's
//!   flat XOR network ([`crate::rs::enc`]'s `absorb`, one network per
//!   number of symbols completed). So the remainder's loop is the network
//!   and two multiplexers on registers: with the selections of stage 1 in
//!   it, it was the emulator's longest path (23 ns placed). The transition
//!   word sends its message symbols, then the first `P - m_t` symbols of
//!   the remainder just computed; the parity words send `R` `P` symbols at
//!   a time, shifting zeros in, so `R` is zero again when the next
//!   codeword starts.
//!
//! With `fec` off (the configuration register) every word takes the
//! pattern and is sent as it is. The output is one register (stage 3).

use crate::hdl::{Expr, Module, Ty};
use crate::rs::enc::absorb;
use crate::rs::gf::{Gf, Lin, LinSpace};
use crate::rs::hdl_util::{bits_for, eq_const, ku};
use crate::RtlError;
use golden::fec::Code;
use std::collections::BTreeSet;

/// The framer's constants for a code at `p` symbols a word.
#[derive(Clone, Copy, Debug)]
struct Geo {
    p: usize,
    /// words per codeword
    w: usize,
    /// the transition word's index (the first word without a full message)
    ct: usize,
    /// message symbols in the transition word (0: there is none)
    mt: usize,
    /// `2t`: parity symbols
    par: usize,
}

impl Geo {
    fn new(code: Code, p: usize) -> Geo {
        Geo {
            p,
            w: 5 * code.n() / p,
            ct: 5 * code.k() / p,
            mt: 5 * code.k() % p,
            par: 2 * code.t(),
        }
    }
    /// The carry counts the framer reaches: `-j m_t mod P`.
    fn carries(&self) -> Vec<usize> {
        let mut s = BTreeSet::new();
        let mut c = 0;
        while s.insert(c) {
            c = (c + self.p - self.mt) % self.p;
        }
        s.into_iter().collect()
    }
    /// The phases of the message words `(P f) mod 5`, `f < c_t`.
    fn msg_phases(&self) -> Vec<usize> {
        let s: BTreeSet<usize> = (0..self.ct.min(5)).map(|f| (self.p * f) % 5).collect();
        s.into_iter().collect()
    }
    /// The transition word's phase.
    fn tr_phase(&self) -> usize {
        (self.p * self.ct) % 5
    }
    /// Width of the carry count.
    fn cn_bits(&self) -> u32 {
        self.p.trailing_zeros().max(1)
    }
}

/// Refuses a code whose codeword is not a whole number of words.
pub fn check(code: Code, p: usize) -> Result<(), RtlError> {
    if !(5 * code.n()).is_multiple_of(p) {
        return Err(RtlError::Param {
            name: "parallel",
            value: p as i64,
            why: format!(
                "the emulator frames {} codewords of {} PAM4 symbols, not a whole number of {p}-symbol words",
                code.name(),
                5 * code.n()
            ),
        });
    }
    Ok(())
}

/// The control at stage 0 and its copies at stage 1.
pub(super) struct Control {
    /// the started word takes a pattern word (gates the pattern's advance):
    /// [`take_copies`] kept registers of the same value, each selected by
    /// its own copy of the start strobe
    pub take: Vec<Expr>,
    /// `fec` (the configuration register)
    on: Expr,
    /// stage 1: message word, transition word
    msg1: Expr,
    tr1: Expr,
    /// stage 1: carry count, phase
    cn1: Expr,
    ph1: Expr,
}

/// Copies of the `take` register: one for the LFSR, the others for the
/// random source ([`super::random_starts`]). One register sat away from both
/// (its placement pulled between them and the word count), and its AND with
/// the start strobe ran across the die to the LFSR's enables (27.2 ns
/// placed).
pub(super) fn take_copies(p: usize) -> usize {
    1 + super::random_starts(p)
}

/// The `fec` register: its value, and the value it takes at the next edge.
#[derive(Clone)]
pub(crate) struct OnReg {
    /// the register
    pub q: Expr,
    /// its value after the next edge
    pub next: Expr,
}

/// The stage-0 control: `on` is the `fec` register, `advs` are
/// [`take_copies`] copies of the start strobe (the same value; wires of
/// registers kept apart): the word count steps on the first, and copy `i`
/// of `take` is formed from copy `i` of the strobe, so each `take` and its
/// pattern enables can sit apart with their own start (from one strobe,
/// `run_q -> fr_take_k4` was 22.4 ns placed on 59fb970).
///
/// `take` (the pattern advances with the word) is a register: it is
/// selected from `on`'s next value and two registers that hold the message
/// part after a step and of the present counts (`fr_take_sq`,
/// `fr_take_hq`), so it always equals `!on | msg | (tr & short)` of the
/// registers' present values. The pattern generators' enables (some 400 flip-flops)
/// then hang on a register and the start strobe, not on the word count's
/// compare chain.
pub(super) fn control(
    m: &mut Module,
    code: Code,
    p: usize,
    on: &OnReg,
    advs: &[Expr],
) -> Result<Control, RtlError> {
    if advs.len() != take_copies(p) {
        return Err(RtlError::Param {
            name: "framer starts",
            value: advs.len() as i64,
            why: format!(
                "the framer at P = {p} takes {} copies of its start strobe",
                take_copies(p)
            ),
        });
    }
    let (on_next, on) = (&on.next, &on.q);
    let g = Geo::new(code, p);
    m.comment(&format!(
        "FEC framer control ({}): word {} of {} per codeword is the transition ({} message symbols)",
        code.name(),
        g.ct,
        g.w,
        g.mt
    ));
    let fb = bits_for(g.w - 1);
    let fw = m.reg("fr_word", Ty::u(fb), Some(0))?;
    let cb = g.cn_bits();
    // the carry count changes at the transition word only (none: always 0)
    let cn = if g.mt > 0 {
        m.reg("fr_carry_n", Ty::u(cb), Some(0))?
    } else {
        ku(0, cb)?
    };
    let ph = m.reg("fr_phase", Ty::u(3), Some(0))?;
    let step = m.wire("fr_step", &advs[0].and(on)?)?;
    let msg = m.wire("fr_msg", &fw.lt(&ku(g.ct as i128, fb)?)?)?;
    let tr = if g.mt > 0 {
        m.wire("fr_tr", &eq_const(&fw, g.ct)?)?
    } else {
        ku(0, 1)?
    };
    let wrap = eq_const(&fw, g.w - 1)?;
    let fw_d = m.wire(
        "fr_word_d",
        &Expr::mux(&wrap, &ku(0, fb)?, &fw.add(&ku(1, fb)?)?)?,
    )?;
    let fw_next = m.wire("fr_word_next", &Expr::mux(&step, &fw_d, &fw)?)?;
    m.next(&fw, &fw_next, None)?;
    // the carry count a step leaves (changed only from the transition word)
    let mask = (1usize << cb) - 1;
    // (and the counts one step on, which `take`'s step part reads below)
    let cn_d = if g.mt > 0 {
        let e = m.wire("fr_carry_en", &step.and(&tr)?)?;
        let d = m.wire("fr_carry_d", &cn.sub(&ku((g.mt & mask) as i128, cb)?)?)?;
        let cn_next = m.wire("fr_carry_next", &Expr::mux(&e, &d, &cn)?)?;
        m.next(&cn, &cn_next, None)?;
        Some(m.wire("fr_carry_step", &Expr::mux(&tr, &d, &cn)?)?)
    } else {
        None
    };
    // `take` (`!on | msg | (tr & short)`) of the next values, registered.
    // Its message part for a step and for a hold are registers themselves
    // (`fr_take_sq`, `fr_take_hq`, below), so each copy of `take` is one
    // LUT of registers: `on`'s next value, its start and the two parts.
    // From the counts, the word count's carry chain and compares ran to
    // copies placed by the random source across the die
    // (`fr_word -> fr_take_k2`, 22.1 ns placed on 138b514), and before that
    // the start strobe through them (`ofifo_room -> fr_take_k4`: 21.9 ns
    // placed on 3290e9d)
    let ct = ku(g.ct as i128, fb)?;
    // `msg | (tr & short)` of a word count and a carry count
    let msg_of = |w: &Expr, c: Option<&Expr>| -> Result<Expr, RtlError> {
        let short = match c {
            Some(c) => eq_const(w, g.ct)?.and(&c.lt(&ku(g.mt as i128, cb)?)?)?,
            None => ku(0, 1)?,
        };
        w.lt(&ct)?.or(&short)
    };
    // the counts a step leaves from a word count and a carry count
    let step_from = |m: &mut Module, w: &Expr, c: Option<&Expr>| {
        let wd = Expr::mux(&eq_const(w, g.w - 1)?, &ku(0, fb)?, &w.add(&ku(1, fb)?)?)?;
        let wd = m.wire("fr_take_word2", &wd)?;
        let cd = match c {
            Some(c) => {
                let d = c.sub(&ku((g.mt & mask) as i128, cb)?)?;
                Some(m.wire("fr_take_carry2", &Expr::mux(&eq_const(w, g.ct)?, &d, c)?)?)
            }
            None => None,
        };
        Ok::<_, RtlError>((wd, cd))
    };
    // the same at reset (both counts 0), for the registers' reset values
    let msg_const = |w: usize, c: usize| w < g.ct || (g.mt > 0 && w == g.ct && c < g.mt);
    let w1 = if g.w == 1 { 0 } else { 1 };
    let c1 = if g.mt > 0 && g.ct == 0 {
        0usize.wrapping_sub(g.mt) & mask
    } else {
        0
    };
    // `sq` is the step part of the present counts, `hq` the hold part, so
    // a step makes `hq` the old `sq` and `sq` the part two words on (from
    // registers: the start selects last; from the next counts, the start
    // ran through the word count's carry chain into `sq`, 22.7 ns placed on
    // 24f4a67)
    // (one step on is the word count's own `fr_word_d`, `fr_carry_step`)
    let (w2, c2) = step_from(m, &fw_d, cn_d.as_ref())?;
    let sq = m.reg("fr_take_sq", Ty::BIT, Some(msg_const(w1, c1) as i128))?;
    let ss = m.wire("fr_take_ss", &msg_of(&w2, c2.as_ref())?)?;
    m.next(&sq, &Expr::mux(&step, &ss, &sq)?, None)?;
    let hq = m.reg("fr_take_hq", Ty::BIT, Some(msg_const(0, 0) as i128))?;
    m.next(&hq, &Expr::mux(&step, &sq, &hq)?, None)?;
    let off = on_next.not();
    // `take` of the next values, registered (reset: `on` = 0, so 1), copy
    // `i` selected by its own start
    let take = advs
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let r = m.kept_reg(&format!("fr_take_k{i}"), Ty::BIT, Some(1))?;
            let step_i = if i == 0 { step.clone() } else { a.and(on)? };
            m.next(&r, &off.or(&Expr::mux(&step_i, &sq, &hq)?)?, None)?;
            Ok(r)
        })
        .collect::<Result<Vec<_>, RtlError>>()?;
    // ph' = (ph + P) mod 5
    let mut nph = ku(0, 3)?;
    for v in (0..5).rev() {
        let n = (v + p) % 5;
        nph = Expr::mux(&eq_const(&ph, v)?, &ku(n as i128, 3)?, &nph)?;
    }
    m.next(&ph, &nph, Some(&step))?;
    Ok(Control {
        take,
        on: on.clone(),
        msg1: m.reg_d("fr_msg1", &msg, None, Some(0))?,
        tr1: m.reg_d("fr_tr1", &tr, None, Some(0))?,
        cn1: if g.mt > 0 {
            m.reg_d("fr_carry_n1", &cn, None, Some(0))?
        } else {
            cn
        },
        ph1: m.reg_d("fr_phase1", &ph, None, Some(0))?,
    })
}

/// Symbol `i` (2 bits) of a word of 2-bit symbols, symbol 0 in the LSBs.
fn sym(word: &Expr, i: usize) -> Result<Expr, RtlError> {
    word.slice(2 * i as u32 + 1, 2 * i as u32)
}

/// `n` 2-bit symbols packed, symbol 0 in the LSBs: `at(i)` for `i < count`,
/// zero after.
fn packed(
    n: usize,
    count: usize,
    at: impl Fn(usize) -> Result<Expr, RtlError>,
) -> Result<Expr, RtlError> {
    let v: Vec<Expr> = (0..n)
        .map(|i| if i < count { at(i) } else { ku(0, 2) })
        .collect::<Result<_, _>>()?;
    Expr::pack_lsb_first(&v)
}

/// A multiplexer over the cases `(select, value)`, the last the default.
fn select(cases: &[(Expr, Expr)]) -> Result<Expr, RtlError> {
    let (_, mut v) = cases.last().cloned().ok_or(RtlError::Empty("select"))?;
    for (s, x) in cases.iter().rev().skip(1) {
        v = Expr::mux(s, x, &v)?;
    }
    Ok(v)
}

/// The message side of the datapath: the message symbols of the word
/// (`P` of them; the transition word uses the first `m_t`) and the next
/// carry register.
fn message(
    m: &mut Module,
    g: &Geo,
    c: &Control,
    carry: &Expr,
    new: &Expr,
) -> Result<(Vec<Expr>, Expr), RtlError> {
    let p = g.p;
    let z2 = ku(0, 2)?;
    // A_c(j): the j-th available symbol with `cn = c`
    let avail = |cc: usize, j: usize| -> Result<Expr, RtlError> {
        if j < cc {
            sym(carry, j)
        } else if j < cc + p {
            sym(new, j - cc)
        } else {
            Ok(z2.clone())
        }
    };
    let mut msg_cases = Vec::new();
    let mut carry_msg = Vec::new();
    let mut carry_tr = Vec::new();
    for cc in g.carries() {
        let sel = eq_const(&c.cn1, cc)?;
        msg_cases.push((sel.clone(), packed(p, p, |i| avail(cc, i))?));
        carry_msg.push((sel.clone(), packed(p, cc, |i| avail(cc, p + i))?));
        let left = (cc + p - g.mt) % p;
        carry_tr.push((sel, packed(p, left, |i| avail(cc, g.mt + i))?));
    }
    let mw = m.wire("fr_mw", &select(&msg_cases)?)?;
    let cm = m.wire("fr_carry_msg", &select(&carry_msg)?)?;
    let next = if g.mt > 0 {
        let ct = m.wire("fr_carry_tr", &select(&carry_tr)?)?;
        Expr::mux(&c.tr1, &ct, &Expr::mux(&c.msg1, &cm, carry)?)?
    } else {
        Expr::mux(&c.msg1, &cm, carry)?
    };
    let syms = (0..p).map(|i| sym(&mw, i)).collect::<Result<_, _>>()?;
    Ok((syms, next))
}

/// One way the 10-bit symbols complete in a word: the symbols in progress
/// (`ph`), the message symbols taken (`u`), the case's select.
struct Case {
    sel: Expr,
    ph: usize,
    u: usize,
}

impl Case {
    /// 10-bit symbols completed.
    fn done(&self) -> usize {
        (self.ph + self.u) / 5
    }
}

/// The 10-bit symbols a word completes, registered (stage 2), and the next
/// `part` register (stage 1).
struct Completed {
    /// per count `j` of completed symbols (ascending): the word completes
    /// `j` symbols (registered; the last count, the default, a constant),
    /// and those symbols (registered)
    nets: Vec<(Expr, Vec<Expr>)>,
    part: Expr,
}

/// Stage 1: the symbols `part[0..ph] ++ message` completes, five 2-bit
/// symbols to a 10-bit one, registered for the encoder at stage 2, and
/// what is left for `part`.
fn complete(
    m: &mut Module,
    cases: &[Case],
    part: &Expr,
    msg: &[Expr],
) -> Result<Completed, RtlError> {
    let z2 = ku(0, 2)?;
    // B_case(j): part[0..ph] ++ msg[0..u]
    let b = |cs: &Case, j: usize| -> Result<Expr, RtlError> {
        if j < cs.ph {
            sym(part, j)
        } else if j < cs.ph + cs.u {
            Ok(msg[j - cs.ph].clone())
        } else {
            Ok(z2.clone())
        }
    };
    let pack10 = |cs: &Case, q: usize| -> Result<Expr, RtlError> {
        let s: Vec<Expr> = (0..5).map(|i| b(cs, 5 * q + i)).collect::<Result<_, _>>()?;
        Expr::concat(&s)
    };
    let counts: BTreeSet<usize> = cases.iter().map(Case::done).collect();
    let mut nets = Vec::new();
    for &j in &counts {
        let mine: Vec<&Case> = cases.iter().filter(|cs| cs.done() == j).collect();
        let mut ins = Vec::new();
        for q in 0..j {
            let opts: Vec<(Expr, Expr)> = mine
                .iter()
                .map(|cs| Ok((cs.sel.clone(), pack10(cs, q)?)))
                .collect::<Result<_, RtlError>>()?;
            ins.push(m.reg_d(&format!("fr_s{j}_{q}"), &select(&opts)?, None, None)?);
        }
        // the last count is the multiplexer's default: no select
        let sel = if Some(&j) == counts.last() {
            ku(1, 1)?
        } else {
            let (first, rest) = mine.split_first().ok_or(RtlError::Empty("framer cases"))?;
            let any = rest
                .iter()
                .try_fold(first.sel.clone(), |a, cs| a.or(&cs.sel))?;
            m.reg_d(&format!("fr_done{j}"), &any, None, None)?
        };
        nets.push((sel, ins));
    }
    let parts: Vec<(Expr, Expr)> = cases
        .iter()
        .map(|cs| {
            let left = (cs.ph + cs.u) % 5;
            let base = 5 * cs.done();
            Ok((cs.sel.clone(), packed(4, left, |i| b(cs, base + i))?))
        })
        .collect::<Result<_, RtlError>>()?;
    let part = m.wire("fr_part_next", &select(&parts)?)?;
    Ok(Completed { nets, part })
}

/// Stage 2: the remainder after the word's completed symbols (flat, `R[0]`
/// in the top bits), through the encoder's flat XOR network, one network
/// per count of completed symbols.
fn encode(m: &mut Module, code: Code, g: &Geo, fr: &Expr, c: &Completed) -> Result<Expr, RtlError> {
    let gf = Gf::new();
    let gen = code.generator();
    let tb = 10 * g.par as u32;
    let mut sp = LinSpace::new();
    let rl: Vec<Lin> = (0..g.par)
        .map(|i| {
            let hi = tb - 1 - 10 * i as u32;
            let w = m.wire(&format!("fr_r{i}"), &fr.slice(hi, hi - 9)?)?;
            sp.symbol(&w)
        })
        .collect::<Result<_, _>>()?;
    let mut nets = Vec::new();
    for (sel, syms) in &c.nets {
        let j = syms.len();
        let ins: Vec<Lin> = syms
            .iter()
            .map(|x| sp.symbol(x))
            .collect::<Result<_, _>>()?;
        m.comment(&format!(
            "FEC framer: the remainder after {j} completed symbols"
        ));
        let out = absorb(&gf, &gen, &rl, &ins);
        let outs: Vec<Expr> = out
            .iter()
            .enumerate()
            .map(|(i, l)| sp.emit(m, &format!("fr_a{j}_{i}"), l))
            .collect::<Result<_, _>>()?;
        nets.push((sel.clone(), Expr::concat(&outs)?));
    }
    m.wire("fr_absorbed", &select(&nets)?)
}

/// The framer's output word (stage 3) and, for the interleave's `fec`-clear
/// path, the pattern word registered (stage 2).
pub(super) struct Framed {
    /// the wire word (`fec` set) or the pattern word, registered at stage 3
    pub word: Expr,
    /// the pattern word at stage 2
    pub plain: Expr,
}

/// The datapath from the pattern word `new` (stage 1) to the wire word,
/// registered (stage 3); `v1`, `v2` are the valids of stages 1 and 2. Stage 1 draws the message symbols and
/// completes the 10-bit ones (carry and `part` loops); stage 2 absorbs them
/// into the remainder (its loop alone) and builds the wire word.
pub(super) fn datapath(
    m: &mut Module,
    code: Code,
    p: usize,
    c: &Control,
    new: &Expr,
    [v1, v2]: [&Expr; 2],
) -> Result<Framed, RtlError> {
    let g = Geo::new(code, p);
    let pw = 2 * p as u32;
    let tb = 10 * g.par as u32;
    m.comment("FEC framer datapath, stage 1: carry, message symbols, completed symbols");
    let carry = m.reg("fr_carry", Ty::u(pw), Some(0))?;
    let part = m.reg("fr_part", Ty::u(8), Some(0))?;
    let (msg, carry_next) = message(m, &g, c, &carry, new)?;
    let mut cases = Vec::new();
    for ph in g.msg_phases() {
        // an expression, not a named wire: at P = 1 the last phase's select is no mux's
        let sel = c.msg1.and(&eq_const(&c.ph1, ph)?)?;
        cases.push(Case { sel, ph, u: p });
    }
    if g.mt > 0 {
        cases.push(Case {
            sel: c.tr1.clone(),
            ph: g.tr_phase(),
            u: g.mt,
        });
    }
    let done = complete(m, &cases, &part, &msg)?;
    let part_next = Expr::mux(&c.msg1.or(&c.tr1)?, &done.part, &part)?;
    let en1 = m.wire("fr_en", &v1.and(&c.on)?)?;
    m.next(&carry, &carry_next, Some(&en1))?;
    m.next(&part, &part_next, Some(&en1))?;

    m.comment("FEC framer datapath, stage 2: remainder, wire word");
    let msg2 = m.reg_d("fr_msg2", &c.msg1, None, Some(0))?;
    // (no transition word: `tr1` is a constant 0, and so is this)
    let tr2 = if g.mt > 0 {
        m.reg_d("fr_tr2", &c.tr1, None, Some(0))?
    } else {
        c.tr1.clone()
    };
    let mw = m.reg_d("fr_mw2", &Expr::pack_lsb_first(&msg)?, None, None)?;
    let plain = m.reg_d("fr_plain", new, None, None)?;
    let fr = m.reg("fr_rem", Ty::u(tb), Some(0))?;
    let absorbed = encode(m, code, &g, &fr, &done)?;
    // the parity symbol `s` (0 first sent) of a flat remainder
    let psym = |r: &Expr, s: usize| -> Result<Expr, RtlError> {
        let hi = tb - 1 - 2 * s as u32;
        r.slice(hi, hi - 1)
    };
    let par_word: Vec<Expr> = (0..p).map(|i| psym(&fr, i)).collect::<Result<_, _>>()?;
    let par_word = Expr::pack_lsb_first(&par_word)?;
    let shifted = |r: &Expr, k: usize| -> Result<Expr, RtlError> {
        let k = 2 * k as u32;
        if k >= tb {
            Expr::zeros(tb)
        } else {
            Expr::concat(&[r.slice(tb - 1 - k, 0)?, Expr::zeros(k)?])
        }
    };
    let (wire, r_next) = if g.mt > 0 {
        let tw: Vec<Expr> = (0..p)
            .map(|i| {
                if i < g.mt {
                    sym(&mw, i)
                } else {
                    psym(&absorbed, i - g.mt)
                }
            })
            .collect::<Result<_, _>>()?;
        let tw = Expr::pack_lsb_first(&tw)?;
        let wire = Expr::mux(&tr2, &tw, &Expr::mux(&msg2, &mw, &par_word)?)?;
        let rn = Expr::mux(
            &tr2,
            &shifted(&absorbed, p - g.mt)?,
            &Expr::mux(&msg2, &absorbed, &shifted(&fr, p)?)?,
        )?;
        (wire, rn)
    } else {
        (
            Expr::mux(&msg2, &mw, &par_word)?,
            Expr::mux(&msg2, &absorbed, &shifted(&fr, p)?)?,
        )
    };
    let en2 = m.wire("fr_en2", &v2.and(&c.on)?)?;
    m.next(&fr, &r_next, Some(&en2))?;
    let out = Expr::mux(&c.on, &wire, &plain)?;
    Ok(Framed {
        word: m.reg_d("fr_wire_q", &out, None, None)?,
        plain,
    })
}
