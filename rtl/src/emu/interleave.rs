//! The emulator's 2-way codeword interleave (`tx.interleave`): the framer's
//! codewords A and B of a frame, which it makes one after the other, sent
//! with their 10-bit symbols alternating (A0 B0 A1 B1 ...), as
//! `golden::framing::Framer` sends them, at `P` PAM4 data symbols a word.
//!
//! A frame is `F = 2W` words (`W = 5n / P` a codeword). Wire symbol
//! `s = iP + q` of frame word `i` belongs to 10-bit symbol `j = floor(s / 5)`,
//! codeword `j mod 2`, and is that codeword's PAM4 symbol
//! `t = 5 floor(j / 2) + s mod 5`. Before word `i` the wire has carried
//! `a_i = 5 floor(iP / 10) + min(iP mod 10, 5)` symbols of A and `iP - a_i`
//! of B, so the word's A symbols lie in A's words `floor(a_i / P)` and the
//! one after it (fewer than `2P` symbols from the first's start), and the
//! same for B. Which of those `4P` symbols lands in lane `q` depends on the
//! word only through a phase `ph` of period `PI` (at most 10; found and
//! checked over the whole frame at generation time), and so does the
//! advance of the two word indices.
//!
//! * **Prefill**: the framer runs one frame ahead of the line. When `run`
//!   first rises with `fec` set it makes a whole frame (`F` cycles) that
//!   nothing downstream sees (`fadv`, its own start strobe, without `adv`);
//!   after that `fadv = adv`: every word started reads frame `f` while the
//!   framer writes frame `f + 1`. A reset clears the prefill.
//! * **Buffer**: per codeword two memories (even and odd word addresses)
//!   over two frame halves (`x = h W + w`, `x < 2W`), so the words `x` and
//!   `x + 1` are read in one cycle. The framer's word (stage 3 of its own
//!   starts) is written at its own valid.
//! * **Read** (stage 0 on `adv`): the word in the frame, the phase and the
//!   two word addresses `x_A`, `x_B`; stage 1 the rows, stage 2 the four
//!   block-RAM reads, stage 3 the lane selection (a multiplexer over the
//!   phase per lane) registered. With `fec` clear the pattern word (the
//!   framer's stage 2) goes straight to stage 3.

use super::framer::check as check_frame;
use crate::hdl::{Expr, Module, Ty};
use crate::rs::hdl_util::{bits_for, eq_const, halve, ku, wrap_counter};
use crate::RtlError;
use golden::fec::Code;

/// Where lane `q` of a word comes from: codeword B (else A) and the symbol
/// index in that codeword's two-word window.
type Src = (bool, usize);

/// The interleave's constants for a code at `p` symbols a word.
#[derive(Clone, Debug)]
struct Geo {
    p: usize,
    /// words per codeword
    w: usize,
    /// words per frame
    f: usize,
    /// per phase: the source of each lane
    pats: Vec<Vec<Src>>,
    /// per phase: how far the A and B word indices advance after the word
    inc: Vec<(usize, usize)>,
}

/// A symbols on the wire before frame symbol `s` (B has the rest).
fn a_before(s: usize) -> usize {
    5 * (s / 10) + (s % 10).min(5)
}

impl Geo {
    fn new(code: Code, p: usize) -> Result<Geo, RtlError> {
        check_frame(code, p)?;
        let w = 5 * code.n() / p;
        let f = 2 * w;
        let word = |i: usize| -> Result<(Vec<Src>, (usize, usize)), RtlError> {
            let (a0, a1) = (a_before(i * p), a_before((i + 1) * p));
            let (b0, b1) = (i * p - a0, (i + 1) * p - a1);
            let mut lanes = Vec::with_capacity(p);
            for q in 0..p {
                let s = i * p + q;
                let j = s / 5;
                let b = j % 2 == 1;
                let t = 5 * (j / 2) + s % 5;
                let first = if b { b0 / p } else { a0 / p };
                let idx = t - p * first;
                if idx >= 2 * p {
                    return Err(RtlError::Param {
                        name: "parallel",
                        value: p as i64,
                        why: "the interleave's two-word window does not hold the word".into(),
                    });
                }
                lanes.push((b, idx));
            }
            Ok((lanes, (a1 / p - a0 / p, b1 / p - b0 / p)))
        };
        let all: Vec<_> = (0..f).map(word).collect::<Result<_, _>>()?;
        // the smallest period of the lane sources and of the advances (the
        // last word's advance is the frame's end, not compared)
        let period = (1..=f)
            .find(|&pi| {
                (0..f)
                    .all(|i| all[i].0 == all[i % pi].0 && (i + 1 == f || all[i].1 == all[i % pi].1))
            })
            .unwrap_or(f);
        if period > 10 {
            return Err(RtlError::Param {
                name: "parallel",
                value: p as i64,
                why: format!(
                    "the interleave's word pattern repeats every {period} words, not within 10"
                ),
            });
        }
        let (pats, inc) = all.into_iter().take(period).unzip();
        Ok(Geo { p, w, f, pats, inc })
    }
    fn period(&self) -> usize {
        self.pats.len()
    }
}

/// Refuses a code the interleave cannot frame at `p`.
pub fn check(code: Code, p: usize) -> Result<(), RtlError> {
    Geo::new(code, p).map(|_| ())
}

/// Words per frame (two codewords): the cycles of the prefill.
pub fn frame_words(code: Code, p: usize) -> usize {
    2 * 5 * code.n() / p
}

/// The start strobes of an interleaving emulator.
pub(super) struct Starts {
    /// a word is started on the line (`run`, room, and the prefill done or `fec` clear)
    pub adv: Expr,
    /// the framer starts a word: `adv`, or a prefill word
    pub fadv: Expr,
}

/// The prefill (stage 0): `on` is the `fec` register, `room` the output
/// FIFO's room.
pub(super) fn starts(
    m: &mut Module,
    code: Code,
    p: usize,
    run: &Expr,
    room: &Expr,
    on: &Expr,
) -> Result<Starts, RtlError> {
    let f = frame_words(code, p);
    m.comment(&format!(
        "interleave prefill: the framer makes frame 0 ({f} words) before the first word is started"
    ));
    let primed = m.reg("il_primed", Ty::BIT, Some(0))?;
    let pre = m.wire("il_pre", &run.and(on)?.and(&primed.not())?)?;
    let go = primed.or(&on.not())?;
    let adv = m.wire("adv", &run.and(room)?.and(&go)?)?;
    let fadv = m.wire("fadv", &adv.or(&pre)?)?;
    let (_, end) = wrap_counter(m, "il_fk", f, &fadv)?;
    m.next(&primed, &primed.or(&pre.and(&end)?)?, None)?;
    Ok(Starts { adv, fadv })
}

/// The buffer's memories: per codeword the even and the odd word addresses.
struct Banks {
    /// `[A even, A odd, B even, B odd]`
    mems: Vec<crate::hdl::Mem>,
    rows: u32,
}

/// The write side: the framer's word `word` (stage 3) at its valid `fv`.
fn write(m: &mut Module, g: &Geo, word: &Expr, fv: &Expr) -> Result<Banks, RtlError> {
    let (w, xb) = (g.w, bits_for(2 * g.w - 1));
    // rows 0..=W (a read's second word may be one past the end)
    let rows = xb;
    m.comment(
        "interleave buffer: the framer's words, codeword A then B, in the half of their frame",
    );
    let (ww, wlast) = wrap_counter(m, "il_ww", w, fv)?;
    let wb = m.reg("il_wb", Ty::BIT, Some(0))?;
    let wh = m.reg("il_wh", Ty::BIT, Some(0))?;
    m.next(&wb, &wb.xor(&wlast)?, Some(fv))?;
    m.next(&wh, &wh.xor(&wlast.and(&wb)?)?, Some(fv))?;
    let x = ww.ext(xb)?;
    let x = m.wire("il_wx", &Expr::mux(&wh, &x.add(&ku(w as i128, xb)?)?, &x)?)?;
    let odd = x.bit(0)?;
    let row = m.wire("il_wrow", &halve(&x, rows)?)?;
    let mut mems = Vec::new();
    for (way, wn) in [(wb.not(), "a"), (wb.clone(), "b")] {
        for (bank, bn) in [(odd.not(), "e"), (odd.clone(), "o")] {
            let mem = m.memory(&format!("il_{wn}{bn}"), word.ty(), 1 << rows)?;
            let we = m.wire(&format!("il_we_{wn}{bn}"), &fv.and(&way)?.and(&bank)?)?;
            m.mem_write(&mem, &we, &row, word)?;
            mems.push(mem);
        }
    }
    Ok(Banks { mems, rows })
}

/// The read addresses of one codeword at stage 0 and its two reads at stage 2:
/// the window (word `x` then word `x + 1`) as `2P` symbols.
fn read_way(
    m: &mut Module,
    g: &Geo,
    banks: &Banks,
    way: usize,
    ctl: (&Expr, &Expr, &Expr),
) -> Result<Vec<Expr>, RtlError> {
    let (adv, frame_end, ph) = ctl;
    let n = ["a", "b"][way];
    let xb = bits_for(2 * g.w - 1);
    let x = m.reg(&format!("il_x{n}"), Ty::u(xb), Some(0))?;
    let h = m.reg(&format!("il_rh{n}"), Ty::BIT, Some(0))?;
    // the advance after the word of phase `ph`
    let mut step = ku(0, xb)?;
    for (k, inc) in g.inc.iter().enumerate() {
        let d = if way == 0 { inc.0 } else { inc.1 };
        if d > 0 {
            step = Expr::mux(&eq_const(ph, k)?, &ku(d as i128, xb)?, &step)?;
        }
    }
    let start = Expr::mux(&h, &ku(0, xb)?, &ku(g.w as i128, xb)?)?;
    let next = Expr::mux(frame_end, &start, &x.add(&step)?)?;
    m.next(&x, &next, Some(adv))?;
    m.next(&h, &h.xor(frame_end)?, Some(adv))?;
    let rows = banks.rows;
    // words x and x + 1 are row ceil(x / 2) of the even bank and row
    // floor(x / 2) of the odd one (x's parity says which is which)
    let hx = m.wire(&format!("il_h{n}"), &halve(&x, rows)?)?;
    let up = Expr::concat(&[ku(0, rows - 1)?, x.bit(0)?])?;
    let r_even = m.reg_d(&format!("il_r{n}e"), &hx.add(&up)?, None, None)?;
    let r_odd = m.reg_d(&format!("il_r{n}o"), &hx, None, None)?;
    let odd1 = m.reg_d(&format!("il_odd{n}1"), &x.bit(0)?, None, None)?;
    let odd2 = m.reg_d(&format!("il_odd{n}2"), &odd1, None, None)?;
    let de = m.reg_d(
        &format!("il_d{n}e"),
        &banks.mems[2 * way].read(&r_even)?,
        None,
        None,
    )?;
    let dodd = m.reg_d(
        &format!("il_d{n}o"),
        &banks.mems[2 * way + 1].read(&r_odd)?,
        None,
        None,
    )?;
    // word x is the odd bank's when x is odd; a window symbol is a mux of the
    // two banks' (an expression: only the symbols some lane takes are emitted)
    let mut syms = Vec::with_capacity(2 * g.p);
    for second in [false, true] {
        let (a, b) = if second { (&de, &dodd) } else { (&dodd, &de) };
        for k in 0..g.p as u32 {
            let (hi, lo) = (2 * k + 1, 2 * k);
            syms.push(Expr::mux(&odd2, &a.slice(hi, lo)?, &b.slice(hi, lo)?)?);
        }
    }
    Ok(syms)
}

/// The interleaved word at stage 3 from the framer's word (`framed.word`,
/// its stage 3, valid `fv3`; with `fec` clear `framed.plain`, stage 2 of
/// the line); `adv` starts a word on the line, `on` is the `fec` register.
pub(super) fn tx(
    m: &mut Module,
    code: Code,
    p: usize,
    on: &Expr,
    framed: &super::framer::Framed,
    fv3: &Expr,
    adv: &Expr,
) -> Result<Expr, RtlError> {
    let g = Geo::new(code, p)?;
    let banks = write(m, &g, &framed.word, fv3)?;
    m.comment(&format!(
        "interleave read: word of the frame, phase (period {}), codeword word addresses",
        g.period()
    ));
    let (_, frame_end) = wrap_counter(m, "il_ri", g.f, adv)?;
    let phb = bits_for(g.period() - 1);
    let ph = m.reg("il_ph", Ty::u(phb), Some(0))?;
    let ph_last = eq_const(&ph, g.period() - 1)?.or(&frame_end)?;
    let ph_next = Expr::mux(&ph_last, &ku(0, phb)?, &ph.add(&ku(1, phb)?)?)?;
    m.next(&ph, &ph_next, Some(adv))?;
    let win: Vec<Vec<Expr>> = (0..2)
        .map(|way| read_way(m, &g, &banks, way, (adv, &frame_end, &ph)))
        .collect::<Result<_, _>>()?;
    let ph1 = m.reg_d("il_ph1", &ph, None, None)?;
    let ph2 = m.reg_d("il_ph2", &ph1, None, None)?;
    // a phase's select only where some lane takes another source in it than in the last phase
    let last = g.period() - 1;
    let mut sel = Vec::with_capacity(last);
    for k in 0..last {
        let used = (0..p).any(|q| g.pats[k][q] != g.pats[last][q]);
        sel.push(if used {
            Some(m.wire(&format!("il_ph_is{k}"), &eq_const(&ph2, k)?)?)
        } else {
            None
        });
    }
    let mut lanes = Vec::with_capacity(p);
    for q in 0..p {
        let src = |k: usize| {
            let (b, idx) = g.pats[k][q];
            win[b as usize][idx].clone()
        };
        let mut v = src(last);
        for k in (0..last).rev() {
            if let (Some(s), true) = (&sel[k], g.pats[k][q] != g.pats[last][q]) {
                v = Expr::mux(s, &src(k), &v)?;
            }
        }
        lanes.push(v);
    }
    let gathered = m.wire("il_word", &Expr::pack_lsb_first(&lanes)?)?;
    m.reg_d(
        "il_q",
        &Expr::mux(on, &gathered, &framed.plain)?,
        None,
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use golden::framing::Framer;
    use golden::prbs::Pattern;

    /// The lane sources and advances put a frame's words together exactly as
    /// the golden framer interleaves them, for every legal `P`.
    #[test]
    fn geometry_gathers_the_golden_frame() {
        for code in [Code::Kp4, Code::Kr4] {
            for p in crate::eq::PARALLEL {
                let Ok(g) = Geo::new(code, p) else {
                    assert!(check_frame(code, p).is_err(), "{code:?} P {p}");
                    continue;
                };
                let mut seq = Framer::new(code, Pattern::Prbs13q, 0, false);
                let mut il = Framer::new(code, Pattern::Prbs13q, 0, true);
                let (mut a, mut want) = (Vec::new(), Vec::new());
                seq.next_frame(&mut a);
                seq.next_frame(&mut a);
                il.next_frame(&mut want);
                let (ca, cb) = a.split_at(5 * code.n());
                let (mut xa, mut xb) = (0, 0);
                for i in 0..g.f {
                    let k = i % g.period();
                    for q in 0..p {
                        let (b, idx) = g.pats[k][q];
                        let (cw, x) = if b { (cb, xb) } else { (ca, xa) };
                        assert_eq!(
                            cw[x * p + idx],
                            want[i * p + q],
                            "{code:?} P {p} word {i} lane {q}"
                        );
                    }
                    xa += g.inc[k].0;
                    xb += g.inc[k].1;
                }
                assert!(g.period() <= 10);
            }
        }
    }
}
