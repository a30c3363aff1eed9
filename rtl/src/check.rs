//! The BER checker `rxdsp_check`: the receiver's decision words against a
//! delay-matched copy of the transmitted symbols, counting what
//! `golden::check::Checker` (and so `golden::stats::ErrorCounter`, the
//! counter of `rxdsp sim`) counts, bit-exact. The definitions (alignment,
//! `skip`/`limit`, bursts) are in `golden::check` and `docs/checker.md`.
//!
//! Structure (one received word per clock, no backpressure; stages after
//! the cycle a received word is accepted):
//! * S0: the input words, their valid bits, `clear`, `snap`, `cfg_delay`,
//!   `cfg_skip`, `cfg_limit` and `rd_addr` registered (the order among them
//!   is the ports'; the compares with skip and limit then read registers
//!   beside them, not the CSR block's across the die); `clear`
//!   zeroes some 2,000 flip-flops and each bit of `cfg_delay` selects in a
//!   shifter level of some 500, so their registers are sets of kept copies,
//!   each beside a share of them;
//! * a FIFO of `fifo_words` transmitted words (distributed RAM, asynchronous
//!   read): received word `j` pops transmitted word `j`;
//! * S1: the popped word registered (on ECP5 Yosys maps the FIFO to a block
//!   RAM with this register as its read register, so nothing else may follow
//!   the RAM in this stage);
//! * S2: that word and the history of the last `max_delay`
//!   transmitted symbols form the window `B` (oldest symbol first); lane `i`
//!   wants `B[max_delay + i - delay]`, a log shifter on `cfg_delay` whose
//!   levels keep only the positions still needed ([`shifter_positions`]);
//!   its first half is registered into S3, the rest into S4;
//! * S3: the word counter against `cfg_skip` and `cfg_limit - 1` (word part);
//!   beside it, from the configuration alone, each lane's compare with the
//!   lane parts of `cfg_skip` and `cfg_limit - 1`, registered (`sk_lane4_*`,
//!   `lm_lane4_*`);
//! * S4: the lane mask `[skip, limit)`, the error mask, per-lane bit errors
//!   and per-level errors;
//! * S5: the runs of the word from the error mask alone: the head run (from
//!   lane 0), the tail run (to lane `P - 1`), the inner runs binned, the
//!   longest inner run; the popcounts;
//! * S6: the carried run (`carry`, 64 bits, and `min(carry, 33)`): the head
//!   run closes with length `carry + head` (or the carry grows by `P` when the
//!   whole word is wrong); the word holding index `limit - 1` closes every run;
//! * S7: the closing flag and the bin of the head run registered, decoded
//!   and added to the inner runs' counts per bin;
//! * S8: the 64-bit counters; the snapshot copies them when `snap`, delayed
//!   by [`SNAP_DELAY`] cycles, reaches this stage.

use crate::hdl::{Expr, Header, Module, Ty};
use crate::rs::hdl_util::{bits_for, ku, sum};
use crate::{regen, Design, RtlError};
use golden::check::{addr, counter_name, NUM_COUNTERS};
use golden::stats::MAX_BURST_BIN;
use std::collections::BTreeSet;

/// Name of the checker module.
pub const TOP: &str = "rxdsp_check";
/// Width of `cfg_skip`.
pub const SKIP_BITS: u32 = 48;
/// Width of `cfg_limit` and of every counter.
pub const COUNTER_BITS: u32 = 64;
/// The register stages from an accepted received word to the counters: a
/// word accepted in cycle `c` is in the counters from cycle `c + LATENCY + 1`.
/// The input stage S0 and the stages S1..S8 of the module docs.
pub const LATENCY: usize = 1 + STAGES;
/// The stages after the input registers (S1..S8): the valid bits `v1..v8`.
const STAGES: usize = 8;
/// `snap` in cycle `c` copies the counters at the end of cycle `c + SNAP_DELAY`:
/// exactly the words accepted before cycle `c`. The shadow is readable from
/// cycle `c + SNAP_DELAY + 1`.
pub const SNAP_DELAY: usize = LATENCY;
/// With [`CheckParams::reference`]: the register stages from an accepted
/// received word to `m_ref_tdata` (its transmitted data symbols,
/// `cfg_delay` applied, with `m_ref_tvalid`), counted as [`LATENCY`] counts
/// them: a word accepted in cycle `c` is there in cycle `c + REF_LATENCY + 1`.
/// Anything that pairs a word taken beside the checker's input with this
/// output delays it through `REF_LATENCY` registers.
pub const REF_LATENCY: usize = 5;
/// `rd_data` in cycle `t + RD_LATENCY` is the shadow counter at the `rd_addr`
/// of cycle `t` (three register stages: the address in S0, then the two
/// halves of the read mux).
pub const RD_LATENCY: usize = 3;
/// Address bits the first read stage decodes.
const RD_SPLIT: u32 = 3;
/// The histogram bin of the bursts longer than [`MAX_BURST_BIN`].
const LONG_BIN: usize = MAX_BURST_BIN + 1;

/// The generation parameters of `rxdsp_check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckParams {
    /// `P`: symbols per word (1, 2, 4, 8, 16, 32)
    pub parallel: usize,
    /// largest `cfg_delay`, in symbols (1..=4096)
    pub max_delay: usize,
    /// transmitted words the FIFO holds (a power of two, 2..=4096)
    pub fifo_words: usize,
    /// put out the aligned transmitted data (`m_ref_*`, [`REF_LATENCY`]
    /// cycles after the received word), for the FEC's reference path
    pub reference: bool,
}

impl Default for CheckParams {
    fn default() -> Self {
        CheckParams {
            parallel: 8,
            max_delay: 127,
            fifo_words: 128,
            reference: false,
        }
    }
}

impl CheckParams {
    /// Refuses illegal parameters.
    pub fn check(&self) -> Result<(), RtlError> {
        if !crate::eq::PARALLEL.contains(&self.parallel) {
            return Err(RtlError::Param {
                name: "parallel",
                value: self.parallel as i64,
                why: "symbols per word must be one of 1, 2, 4, 8, 16, 32".into(),
            });
        }
        if !(1..=4096).contains(&self.max_delay) {
            return Err(RtlError::Param {
                name: "max_delay",
                value: self.max_delay as i64,
                why: "the largest delay must be 1..=4096 symbols".into(),
            });
        }
        if !(2..=4096).contains(&self.fifo_words) || !self.fifo_words.is_power_of_two() {
            return Err(RtlError::Param {
                name: "fifo_words",
                value: self.fifo_words as i64,
                why: "the FIFO depth must be a power of two in 2..=4096 words".into(),
            });
        }
        Ok(())
    }

    /// Width of `cfg_delay`.
    pub fn delay_bits(&self) -> u32 {
        bits_for(self.max_delay)
    }

    fn lg(&self) -> u32 {
        self.parallel.trailing_zeros()
    }
}

/// Width of `rd_addr`.
pub fn rd_addr_bits() -> u32 {
    bits_for(NUM_COUNTERS - 1)
}

/// The read map, one line per counter (for the header and the docs).
pub fn counter_map() -> Vec<String> {
    (0..NUM_COUNTERS)
        .map(|i| format!("{i:2}: {}", counter_name(i)))
        .collect()
}

/// The window positions each level of the delay shifter keeps: level `j`
/// (`0..=J`, `J` = bits of `cfg_delay`) holds the positions of `B` (level 0)
/// or of the partly shifted window that later levels read; level `J` is
/// `max_delay..max_delay + P`, the output lanes. Every kept position is read.
pub fn shifter_positions(p: &CheckParams) -> Vec<Vec<usize>> {
    let j = p.delay_bits() as usize;
    let mut levels = vec![BTreeSet::new(); j + 1];
    levels[j] = (p.max_delay..p.max_delay + p.parallel).collect();
    for k in (0..j).rev() {
        let s = 1usize << k;
        let next: Vec<usize> = levels[k + 1].iter().copied().collect();
        for x in next {
            levels[k].insert(x);
            if x >= s {
                levels[k].insert(x - s);
            }
        }
    }
    levels
        .into_iter()
        .map(|l| l.into_iter().collect())
        .collect()
}

/// A register with reset 0 that `clear` also zeroes, loaded with `d` when `en`.
fn creg(
    m: &mut Module,
    name: &str,
    d: &Expr,
    en: Option<&Expr>,
    clear: &Expr,
) -> Result<Expr, RtlError> {
    let r = m.reg(name, d.ty(), Some(0))?;
    let nd = Expr::mux(clear, &Expr::zeros(d.width())?, d)?;
    match en {
        Some(e) => {
            let e = m.wire(&format!("{name}_en"), &clear.or(e)?)?;
            m.next(&r, &nd, Some(&e))?;
        }
        None => m.next(&r, &nd, None)?,
    }
    Ok(r)
}

/// [`creg`] without an enable, as kept copies for loads of the given widths
/// ([`Module::reg_for_loads`]): the copy for each load.
fn creg_for_loads(
    m: &mut Module,
    name: &str,
    d: &Expr,
    clear: &Expr,
    loads: &[u32],
) -> Result<Vec<Expr>, RtlError> {
    let nd = Expr::mux(clear, &Expr::zeros(d.width())?, d)?;
    m.reg_for_loads(name, &nd, None, Some(0), loads)
}

/// A free-running pipeline register (no reset).
fn pipe(m: &mut Module, name: &str, d: &Expr) -> Result<Expr, RtlError> {
    m.reg_d(name, d, None, None)
}

/// `x != 0` for a named unsigned signal.
fn nonzero(x: &Expr) -> Result<Expr, RtlError> {
    Ok(x.eq(&ku(0, x.width())?)?.not())
}

/// Bits `hi..=lo` of `x` all ones.
fn ones(x: &Expr, hi: usize, lo: usize) -> Result<Expr, RtlError> {
    let w = (hi - lo + 1) as u32;
    let s = x.slice(hi as u32, lo as u32)?;
    if w == 1 {
        return Ok(s);
    }
    s.eq(&ku((1i128 << w) - 1, w)?)
}

/// The inputs: the stream and strobe ports, `cfg_delay`, `cfg_skip`,
/// `cfg_limit` and the read address registered (stage S0).
struct Inputs {
    /// `clear` registered, the copy for the FIFO, the valid bits, the
    /// snapshot line, the word counter, the carry and the flags
    clear: Expr,
    /// the copy for the transmitted history
    clear_hist: Expr,
    /// a copy per counter register (in the order [`counters`] declares
    /// them; the bit count is derived, not a register)
    clear_cnt: Vec<Expr>,
    /// the streams registered
    st: Streams,
    /// `cfg_delay` registered as the shifter's selects: per level `k`
    /// (bit `k`), one per element of [`shifter_positions`]`[k + 1]`, each a
    /// kept copy serving at most [`hdl::FANOUT_BITS`] bits of the level
    delay: Vec<Vec<Expr>>,
    skip: Expr,
    limit: Expr,
    snap: Expr,
    /// the read address's low [`RD_SPLIT`] bits, a kept copy per group of
    /// `2^RD_SPLIT` shadow counters ([`rd_groups`]): each group's 8:1 muxes
    /// read their own (rd_addr_q -> rd_g*, 132 end points above 14 ns
    /// placed on 38747de)
    rd_sel: Vec<Expr>,
    /// the read address's high bits, which pick the group
    rd_hi: Expr,
}

/// Groups of `2^RD_SPLIT` words in the read port's first half.
fn rd_groups() -> usize {
    NUM_COUNTERS.div_ceil(1 << RD_SPLIT)
}

/// Bits [`Inputs::clear`] is given to zero, as far as they count for the
/// sharing of its copies: the flags, valid and snapshot bits, the word
/// counter, the carry, the FIFO pointers.
const CLEAR_MISC_BITS: u32 = 256;

/// The input ports ([`ports`]), the stream and strobes registered: every
/// word, `clear`, `snap`, `cfg_delay`, `cfg_skip`, `cfg_limit` and
/// `rd_addr` a clock later, so the
/// order among them is the ports', and `clear` (a strobe from far away, on
/// some 2,000 enables) and `cfg_delay` (each bit on the selects of a shifter
/// level, some 500 pins) are sets of kept copies.
fn inputs(m: &mut Module, p: &CheckParams) -> Result<Inputs, RtlError> {
    let io = ports(m, p)?;
    m.comment("S0: the stream and the strobes registered; clear as kept copies");
    let bit = |m: &mut Module, name: &str, x: &Expr| m.reg_d(name, x, None, Some(0));
    let mut loads = vec![CLEAR_MISC_BITS, 4 * p.max_delay as u32];
    loads.extend(vec![COUNTER_BITS; NUM_COUNTERS - 1]);
    let mut clear = m.reg_for_loads("clear_q", &io.clear, None, Some(0), &loads)?;
    let clear_cnt = clear.split_off(2);
    Ok(Inputs {
        clear: clear[0].clone(),
        clear_hist: clear[1].clone(),
        clear_cnt,
        st: Streams {
            tx_valid: bit(m, "tx_valid_q", &io.st.tx_valid)?,
            tx_data: pipe(m, "tx_data_q", &io.st.tx_data)?,
            tx_level: pipe(m, "tx_level_q", &io.st.tx_level)?,
            rx_valid: bit(m, "rx_valid_q", &io.st.rx_valid)?,
            rx_data: pipe(m, "rx_data_q", &io.st.rx_data)?,
            rx_level: pipe(m, "rx_level_q", &io.st.rx_level)?,
        },
        snap: bit(m, "snap_q", &io.snap)?,
        delay: delay_selects(m, p, &io.delay)?,
        rd_sel: m.reg_copies(
            "rd_sel",
            &io.rd_addr.slice(RD_SPLIT - 1, 0)?,
            None,
            None,
            rd_groups(),
        )?,
        rd_hi: pipe(
            m,
            "rd_addr_q",
            &io.rd_addr.slice(rd_addr_bits() - 1, RD_SPLIT)?,
        )?,
        skip: pipe(m, "skip_q", &io.skip)?,
        limit: pipe(m, "limit_q", &io.limit)?,
    })
}

/// `cfg_delay` registered, bit `k` as copies for the elements (4 bits
/// each) of shifter level `k + 1`: `delay_q{k}_k*`.
fn delay_selects(
    m: &mut Module,
    p: &CheckParams,
    delay: &Expr,
) -> Result<Vec<Vec<Expr>>, RtlError> {
    let pos = shifter_positions(p);
    (0..pos.len() - 1)
        .map(|k| {
            let loads = vec![4; pos[k + 1].len()];
            m.reg_for_loads(
                &format!("delay_q{k}"),
                &delay.bit(k as u32)?,
                None,
                None,
                &loads,
            )
        })
        .collect()
}

/// The transmitted and received streams: as they come ([`Ports`]) or
/// registered in stage S0 ([`Inputs`]).
struct Streams {
    tx_valid: Expr,
    tx_data: Expr,
    tx_level: Expr,
    rx_valid: Expr,
    rx_data: Expr,
    rx_level: Expr,
}

/// The input ports as they come, before stage S0 ([`inputs`]).
struct Ports {
    clear: Expr,
    st: Streams,
    delay: Expr,
    skip: Expr,
    limit: Expr,
    snap: Expr,
    rd_addr: Expr,
}

/// The input ports as they come.
fn ports(m: &mut Module, p: &CheckParams) -> Result<Ports, RtlError> {
    let w = 2 * p.parallel as u32;
    // declared in the port order of the module
    let clear = m.input(
        "clear",
        Ty::BIT,
        "pulse: zero the counters, the symbol index, the FIFO, the history and the flags",
    )?;
    let tx_valid = m.input(
        "s_tx_tvalid",
        Ty::BIT,
        "a transmitted word (always accepted)",
    )?;
    let tx_data = m.input(
        "s_tx_tdata",
        Ty::u(w),
        "transmitted 2-bit data symbols, lane 0 in the LSBs",
    )?;
    let tx_level = m.input(
        "s_tx_tlevel",
        Ty::u(w),
        "transmitted 2-bit level indices, lane 0 in the LSBs",
    )?;
    let rx_valid = m.input(
        "s_rx_tvalid",
        Ty::BIT,
        "a decided word (always accepted; pairs with the oldest waiting transmitted word)",
    )?;
    let rx_data = m.input(
        "s_rx_tdata",
        Ty::u(w),
        "decided 2-bit data symbols, lane 0 in the LSBs",
    )?;
    let rx_level = m.input(
        "s_rx_tlevel",
        Ty::u(w),
        "decided 2-bit level indices, lane 0 in the LSBs",
    )?;
    let delay = m.input(
        "cfg_delay",
        Ty::u(p.delay_bits()),
        "received symbol k is compared with transmitted symbol k - cfg_delay (<= max_delay)",
    )?;
    let skip = m.input(
        "cfg_skip",
        Ty::u(SKIP_BITS),
        "received symbols before this index are not counted",
    )?;
    let limit = m.input(
        "cfg_limit",
        Ty::u(COUNTER_BITS),
        "received symbols from this index on are not counted; 0 = no limit",
    )?;
    let snap = m.input(
        "snap",
        Ty::BIT,
        "pulse: copy the counters of the words accepted before this cycle to the shadow",
    )?;
    let rd_addr = m.input(
        "rd_addr",
        Ty::u(rd_addr_bits()),
        "shadow counter address (map in the header)",
    )?;
    Ok(Ports {
        clear,
        st: Streams {
            tx_valid,
            tx_data,
            tx_level,
            rx_valid,
            rx_data,
            rx_level,
        },
        delay,
        skip,
        limit,
        snap,
        rd_addr,
    })
}

/// The FIFO's output (the popped transmitted word, levels above data) and flags.
struct Fifo {
    out: Expr,
    pop: Expr,
    overflow: Expr,
    underflow: Expr,
}

fn fifo(m: &mut Module, p: &CheckParams, io: &Inputs) -> Result<Fifo, RtlError> {
    m.comment("FIFO of transmitted words: {level, data} per word");
    let ab = p.fifo_words.trailing_zeros();
    let word = m.wire(
        "tx_word",
        &Expr::concat(&[io.st.tx_level.clone(), io.st.tx_data.clone()])?,
    )?;
    let mem = m.memory("fifo_mem", word.ty(), p.fifo_words)?;
    let wp = m.wire_decl("fifo_wp", Ty::u(ab + 1))?;
    let rp = m.wire_decl("fifo_rp", Ty::u(ab + 1))?;
    let used = m.wire("fifo_used", &wp.sub(&rp)?)?;
    let empty = m.wire("fifo_empty", &used.eq(&ku(0, ab + 1)?)?)?;
    let full = m.wire("fifo_full", &used.eq(&ku(p.fifo_words as i128, ab + 1)?)?)?;
    let pop = m.wire("fifo_pop", &io.st.rx_valid.and(&empty.not())?)?;
    let push = m.wire("fifo_push", &io.st.tx_valid.and(&full.not().or(&pop)?)?)?;
    let one = ku(1, ab + 1)?;
    let wpr = creg(m, "fifo_wp_q", &wp.add(&one)?, Some(&push), &io.clear)?;
    let rpr = creg(m, "fifo_rp_q", &rp.add(&one)?, Some(&pop), &io.clear)?;
    m.assign(&wp, &wpr)?;
    m.assign(&rp, &rpr)?;
    let wa = m.wire("fifo_wa", &wp.slice(ab - 1, 0)?)?;
    let ra = m.wire("fifo_ra", &rp.slice(ab - 1, 0)?)?;
    m.mem_write(&mem, &push, &wa, &word)?;
    let out = m.wire("fifo_out", &mem.read(&ra)?)?;
    let ovf = io.st.tx_valid.and(&push.not())?;
    let und = io.st.rx_valid.and(&empty)?;
    let of = m.reg("overflow_q", Ty::BIT, Some(0))?;
    let uf = m.reg("underflow_q", Ty::BIT, Some(0))?;
    m.next(&of, &Expr::mux(&io.clear, &ku(0, 1)?, &of.or(&ovf)?)?, None)?;
    m.next(&uf, &Expr::mux(&io.clear, &ku(0, 1)?, &uf.or(&und)?)?, None)?;
    Ok(Fifo {
        out,
        pop,
        overflow: of,
        underflow: uf,
    })
}

/// The 4-bit element `{level, data}` of lane `i` of a `{level, data}` word.
fn element(word: &Expr, p: usize, i: usize) -> Result<Expr, RtlError> {
    let d = 2 * i as u32;
    let l = 2 * (p + i) as u32;
    Expr::concat(&[word.slice(l + 1, l)?, word.slice(d + 1, d)?])
}

/// One level of the delay shifter as a bus of 4-bit elements.
struct Level {
    pos: Vec<usize>,
    bus: Expr,
}

impl Level {
    fn at(&self, x: i64) -> Result<Expr, RtlError> {
        if x < 0 {
            return ku(0, 4);
        }
        let i = self
            .pos
            .binary_search(&(x as usize))
            .expect("the shifter keeps every position it reads");
        self.bus.slice(4 * i as u32 + 3, 4 * i as u32)
    }
}

/// Shifter levels `from..to` (level `k + 1` from level `k`, element `i` on
/// select `sel[k][i]`, a copy of delay bit `k`).
fn shift_levels(
    m: &mut Module,
    pos: &[Vec<usize>],
    start: Level,
    (from, to): (usize, usize),
    sel: &[Vec<Expr>],
) -> Result<Level, RtlError> {
    let mut cur = start;
    for k in from..to {
        let s = 1i64 << k;
        let mut el = Vec::new();
        for (&x, bit) in pos[k + 1].iter().zip(&sel[k]) {
            let x = x as i64;
            el.push(Expr::mux(bit, &cur.at(x - s)?, &cur.at(x)?)?);
        }
        el.reverse();
        let bus = m.wire(&format!("sh_l{}", k + 1), &Expr::concat(&el)?)?;
        cur = Level {
            pos: pos[k + 1].clone(),
            bus,
        };
    }
    Ok(cur)
}

/// Stages S2..S4 of the transmitted side: the popped word (S2), the history,
/// the shifter; the selected transmitted `{level, data}` word at S4.
fn delay_select(
    m: &mut Module,
    p: &CheckParams,
    io: &Inputs,
    tx1: &Expr,
    v1: &Expr,
) -> Result<Expr, RtlError> {
    m.comment(
        "history of the last max_delay transmitted symbols (position 0 oldest) and the word: B",
    );
    let pp = p.parallel;
    let hd = p.max_delay;
    let hist = m.reg("hist", Ty::u(4 * hd as u32), Some(0))?;
    let mut parts: Vec<Expr> = (0..pp)
        .rev()
        .map(|i| element(tx1, pp, i))
        .collect::<Result<_, _>>()?;
    parts.push(hist.clone());
    let b = m.wire("win", &Expr::concat(&parts)?)?;
    let hn = b.slice(4 * (hd + pp) as u32 - 1, 4 * pp as u32)?;
    let he = m.wire("hist_en", &v1.or(&io.clear_hist)?)?;
    m.next(
        &hist,
        &Expr::mux(&io.clear_hist, &Expr::zeros(4 * hd as u32)?, &hn)?,
        Some(&he),
    )?;
    m.comment("delay shifter: lane i takes B[max_delay + i - cfg_delay]");
    let pos = shifter_positions(p);
    let j = pos.len() - 1;
    let split = j / 2;
    let l0 = Level {
        pos: (0..hd + pp).collect(),
        bus: b,
    };
    debug_assert_eq!(pos[0], l0.pos);
    let mid = shift_levels(m, &pos, l0, (0, split), &io.delay)?;
    let mid = Level {
        bus: pipe(m, "sh_mid", &mid.bus)?,
        pos: mid.pos,
    };
    let out = shift_levels(m, &pos, mid, (split, j), &io.delay)?;
    // elements {level, data} lane 0 first -> {levels, data}
    let mut lv = Vec::new();
    let mut dt = Vec::new();
    for i in 0..pp {
        let lo = 4 * i as u32;
        lv.push(out.bus.slice(lo + 3, lo + 2)?);
        dt.push(out.bus.slice(lo + 1, lo)?);
    }
    let w = Expr::concat(&[Expr::pack_lsb_first(&lv)?, Expr::pack_lsb_first(&dt)?])?;
    pipe(m, "tx4", &w)
}

/// The word's position against `skip` and `limit - 1` (registered into
/// S4), each flag as a kept copy per lane (`*_k{i}`): one register read by
/// all the lanes' masks sat by one of them, and the others' reached it across
/// the die (`lm_eq4 -> bits5_x2.LSR`, 20.0 ns placed on aaa7662).
struct Bounds {
    /// word index above skip's word
    sk_gt: Vec<Expr>,
    /// in skip's word
    sk_eq: Vec<Expr>,
    /// word index below the word of `limit - 1`
    lm_lt: Vec<Expr>,
    /// in the word of `limit - 1`
    lm_eq: Vec<Expr>,
    /// no limit
    unl: Vec<Expr>,
    /// per lane `i`: `i >= skip` and `i <= limit - 1` within the word,
    /// registered (`None` for `P = 1`)
    lo: Option<(Vec<Expr>, Vec<Expr>)>,
}

fn bounds(
    m: &mut Module,
    p: &CheckParams,
    io: &Inputs,
    v2: &Expr,
    v2b: &Expr,
) -> Result<Bounds, RtlError> {
    m.comment("S3: the word counter against skip and limit - 1");
    let lg = p.lg();
    let ww = COUNTER_BITS - lg;
    let wc = m.reg("wc", Ty::u(ww), Some(0))?;
    let wn = Expr::mux(&io.clear, &ku(0, ww)?, &wc.add(&ku(1, ww)?)?)?;
    let we = m.wire("wc_en", &v2.or(&io.clear)?)?;
    m.next(&wc, &wn, Some(&we))?;
    // `limit - 1` above the word's lanes (its offset in the word: below)
    let lm1_d = m.wire("lm1_d", &io.limit.sub(&ku(1, COUNTER_BITS)?)?)?;
    let lm1 = pipe(m, "lm1", &lm1_d.slice(COUNTER_BITS - 1, lg)?)?;
    let pp = p.parallel;
    // `limit == 0` registered once, then copied per lane: copies of the
    // 64-bit compare sat by it, far from their lanes (`unl_k7 -> lvl5_3`,
    // 23.3 ns placed on cae6d19)
    let unl3 = pipe(m, "unl3", &io.limit.eq(&ku(0, COUNTER_BITS)?)?)?;
    let unl = m.reg_copies("unl", &unl3, None, None, pp)?;
    let skh = m.wire("skip_hi", &io.skip.slice(SKIP_BITS - 1, lg)?)?;
    let skh = m.wire("skip_hi_w", &skh.ext(ww)?)?;
    let lmh = m.wire("lm1_hi", &lm1)?;
    // The lanes' compares of `skip` and `limit - 1` within the word depend
    // on the configuration alone, so they are registered per lane here, a
    // clock ahead of the word (skip and limit are written before a run): the
    // lanes' masks read them from beside the lanes. From `lm1_lo` across the
    // die into the lanes' error and level flags was the worst path placed on
    // 7534d5c, 22.1 ns. With one register after the compare, the compare's
    // LUT sat between `lm1` and the lanes, far from both (21.3 ns placed on
    // aaa7662); with a second (`*_lane3_*`, `*_lane4_*`) the lanes' compares
    // shared LUTs between the lanes (`lm1_lo -> lm_lane3_1`, 17.1 ns placed
    // on eec47f6). So since session 31 each lane compares its own kept copy
    // of the two offsets (`skip_lo_k*`, `lm1_lo_k*`, the same values), and
    // the flag is registered once (`*_lane4_*`).
    let lo = if lg > 0 {
        let sk = m.wire("skip_lo", &io.skip.slice(lg - 1, 0)?)?;
        let lm = m.wire("lm1_lo", &lm1_d.slice(lg - 1, 0)?)?;
        // (the last lane is always at or after skip's, the first at or
        // before limit's: no copy for those)
        let sks = m.reg_copies("skip_lo", &sk, None, None, pp - 1)?;
        let lms = m.reg_copies("lm1_lo", &lm, None, None, pp - 1)?;
        let mut after = Vec::new();
        let mut before = vec![ku(1, 1)?];
        for (i, sk) in sks.iter().enumerate() {
            // i >= skip_lo
            let d = sk.lt(&ku(i as i128 + 1, lg)?)?;
            after.push(pipe(m, &format!("sk_lane4_{i}"), &d)?);
        }
        after.push(ku(1, 1)?);
        for (c, lm) in lms.iter().enumerate() {
            // i <= lm1_lo
            let i = c + 1;
            before.push(pipe(m, &format!("lm_lane4_{i}"), &ge_lane(lm, i)?)?);
        }
        Some((after, before))
    } else {
        None
    };
    // The word's four compares are registered once beside the counter,
    // from the values it takes at the edge (a step, a clear or a hold, each
    // compared with registers alone), then copied per lane: copies of the
    // compares themselves sat by the counter's carry chains, far from their
    // lanes (`lm_lt4_k7 -> lvl5_2`: 21.1 ns placed on 3290e9d).
    let z = ku(0, ww)?;
    let skh1 = pipe(m, "skip_hi_m1", &skh.sub(&ku(1, ww)?)?)?;
    let lmh1 = pipe(m, "lm1_hi_m1", &lmh.sub(&ku(1, ww)?)?)?;
    let sk0 = m.wire("skip_hi_0", &skh.eq(&z)?)?;
    let lm0 = m.wire("lm1_hi_0", &lmh.eq(&z)?)?;
    // (step, clear, hold): `wc + 1`, 0 and `wc` against the bound, selected
    // by AND and OR, not a multiplexer: Yosys shares the two compares of a
    // multiplexer into one with a multiplexed operand, which put the valid
    // before the carry chain (`v3 -> lm_eq3`, 23.6 ns placed on cae6d19)
    // (`v2b`: the compares' own copy of the counter's valid, the same value;
    // the counter's copy enables its 60 flip-flops and sat away from the
    // compares, `v3_wc -> lm_eq3` 18.9 ns placed on eec47f6, when there was
    // one copy)
    let web = m.wire("wc_en_b", &v2b.or(&io.clear)?)?;
    let mut next = |name: &str, [st, cl, ho]: [Expr; 3]| -> Result<Expr, RtlError> {
        let moved = Expr::mux(&io.clear, &cl, &st)?;
        let d = web.and(&moved)?.or(&web.not().and(&ho)?)?;
        pipe(m, name, &d)
    };
    let sk_gt = next("sk_gt3", [wc.lt(&skh)?.not(), ku(0, 1)?, wc.gt(&skh)?])?;
    let sk_eq = next(
        "sk_eq3",
        [sk0.not().and(&wc.eq(&skh1)?)?, sk0.clone(), wc.eq(&skh)?],
    )?;
    let lm_lt = next(
        "lm_lt3",
        [lm0.not().and(&wc.lt(&lmh1)?)?, lm0.not(), wc.lt(&lmh)?],
    )?;
    let lm_eq = next(
        "lm_eq3",
        [lm0.not().and(&wc.eq(&lmh1)?)?, lm0.clone(), wc.eq(&lmh)?],
    )?;
    Ok(Bounds {
        sk_gt: m.reg_copies("sk_gt4", &sk_gt, None, None, pp)?,
        sk_eq: m.reg_copies("sk_eq4", &sk_eq, None, None, pp)?,
        lm_lt: m.reg_copies("lm_lt4", &lm_lt, None, None, pp)?,
        lm_eq: m.reg_copies("lm_eq4", &lm_eq, None, None, pp)?,
        unl,
        lo,
    })
}

/// `x >= l` for a named `lg`-bit `x` and a lane constant `l` (no constant compares).
fn ge_lane(x: &Expr, l: usize) -> Result<Expr, RtlError> {
    if l == 0 {
        return ku(1, 1);
    }
    x.gt(&ku(l as i128 - 1, x.width())?)
}

/// S4 -> S5: per lane the counted mask, the error mask, bit errors and
/// per-level errors, registered.
struct LaneFlags {
    mask: Expr,
    err: Expr,
    /// per lane 2 bits: wrong data bits
    bit_err: Vec<Expr>,
    /// per level `a`, per lane: wrong and sent at level `a`
    lvl: Vec<Expr>,
    last: Expr,
}

fn lanes(
    m: &mut Module,
    p: &CheckParams,
    bd: &Bounds,
    tx: &Expr,
    rx: &Expr,
) -> Result<LaneFlags, RtlError> {
    m.comment("S4: lane mask [skip, limit), errors");
    let pp = p.parallel;
    let last = m.wire("last4", &bd.lm_eq[0].and(&bd.unl[0].not())?)?;
    let mut mask = Vec::new();
    let mut err = Vec::new();
    let mut bit_err = Vec::new();
    let mut lvl: Vec<Vec<Expr>> = vec![Vec::new(); 4];
    for i in 0..pp {
        let (after_skip, before_lim) = match &bd.lo {
            None => (
                bd.sk_gt[i].or(&bd.sk_eq[i])?,
                bd.unl[i].or(&bd.lm_lt[i])?.or(&bd.lm_eq[i])?,
            ),
            Some((after, before)) => {
                let (a, b) = (&after[i], &before[i]);
                (
                    bd.sk_gt[i].or(&bd.sk_eq[i].and(a)?)?,
                    bd.unl[i].or(&bd.lm_lt[i])?.or(&bd.lm_eq[i].and(b)?)?,
                )
            }
        };
        let mk = m.wire(&format!("mask4_{i}"), &after_skip.and(&before_lim)?)?;
        let d = 2 * i as u32;
        let l = 2 * (pp + i) as u32;
        let tl = m.wire(&format!("txl4_{i}"), &tx.slice(l + 1, l)?)?;
        let rl = rx.slice(l + 1, l)?;
        let e = m.wire(&format!("err4_{i}"), &mk.and(&tl.eq(&rl)?.not())?)?;
        let x = m.wire(
            &format!("bx4_{i}"),
            &tx.slice(d + 1, d)?.xor(&rx.slice(d + 1, d)?)?,
        )?;
        let be = Expr::concat(&[x.bit(1)?.and(&x.bit(0)?)?, x.bit(1)?.xor(&x.bit(0)?)?])?;
        let be = Expr::mux(&mk, &be, &ku(0, 2)?)?;
        bit_err.push(pipe(m, &format!("be5_{i}"), &be)?);
        for (a, v) in lvl.iter_mut().enumerate() {
            v.push(e.and(&tl.eq(&ku(a as i128, 2)?)?)?);
        }
        mask.push(mk);
        err.push(e);
    }
    let mut lv = Vec::new();
    for (a, v) in lvl.iter().enumerate() {
        lv.push(pipe(m, &format!("lvl5_{a}"), &Expr::pack_lsb_first(v)?)?);
    }
    Ok(LaneFlags {
        mask: pipe(m, "mask5", &Expr::pack_lsb_first(&mask)?)?,
        err: pipe(m, "err5", &Expr::pack_lsb_first(&err)?)?,
        bit_err,
        lvl: lv,
        last: pipe(m, "last5", &last)?,
    })
}

/// S5 -> S6: the runs of one word and the popcounts, registered.
struct Runs {
    all: Expr,
    last: Expr,
    head: Expr,
    tail: Option<Expr>,
    /// `inc[b - 1]`: inner runs of length `b` (`1..P`)
    inc: Vec<Expr>,
    /// the longest inner run (`None` for `P = 1`)
    inner: Option<Expr>,
    symbols: Expr,
    errors: Expr,
    bit_errors: Expr,
    level: Vec<Expr>,
}

/// The one-hot runs of `e` (`P` bits): `(head one-hot, tail one-hot, inner[b-1][..])`.
#[allow(clippy::type_complexity)]
fn run_terms(
    e: &Expr,
    pp: usize,
    last: &Expr,
) -> Result<(Vec<(usize, Expr)>, Vec<(usize, Expr)>, Vec<Vec<Expr>>), RtlError> {
    let nb = |i: usize| -> Result<Expr, RtlError> { Ok(e.bit(i as u32)?.not()) };
    // head run of length j < P: lanes 0..j wrong, lane j right
    let mut head = Vec::new();
    for j in 1..pp {
        head.push((j, ones(e, j - 1, 0)?.and(&nb(j)?)?));
    }
    // tail run of length j in 1..P: lanes P-j..P wrong, lane P-1-j right
    let mut tail = Vec::new();
    for j in 1..pp {
        tail.push((j, ones(e, pp - 1, pp - j)?.and(&nb(pp - 1 - j)?)?));
    }
    // inner run [s, l], s >= 1: lane s-1 right, lanes s..=l wrong, then lane l+1 right
    // (or the word holds limit - 1, which closes a run at lane P-1)
    let mut inner = vec![Vec::new(); pp.saturating_sub(1)];
    for l in 1..pp {
        let end = if l + 1 < pp { nb(l + 1)? } else { last.clone() };
        for s in 1..=l {
            let t = nb(s - 1)?.and(&ones(e, l, s)?)?.and(&end)?;
            inner[l - s].push(t);
        }
    }
    Ok((head, tail, inner))
}

/// `OR_j (hot_j ? j : 0)` in `w` bits (at most one `hot_j` set).
fn encode(m: &mut Module, name: &str, hot: &[(usize, Expr)], w: u32) -> Result<Expr, RtlError> {
    let mut v = ku(0, w)?;
    for (j, h) in hot {
        let hw = m.wire(&format!("{name}_h{j}"), h)?;
        v = v.or(&Expr::mux(&hw, &ku(*j as i128, w)?, &ku(0, w)?)?)?;
    }
    m.wire(name, &v)
}

fn runs(m: &mut Module, p: &CheckParams, lf: &LaneFlags) -> Result<Runs, RtlError> {
    m.comment("S5: the runs of the word (head, inner, tail) and the popcounts");
    let pp = p.parallel;
    let wb = bits_for(pp);
    let e = &lf.err;
    let all = m.wire("all5", &ones(e, pp - 1, 0)?)?;
    let (head, tail, inner) = run_terms(e, pp, &lf.last)?;
    let h = encode(m, "head5", &head, wb)?;
    let h = Expr::mux(&all, &ku(pp as i128, wb)?, &h)?;
    let tail = if pp > 1 {
        let t = encode(m, "tail5", &tail, wb)?;
        Some(pipe(m, "tail6", &t)?)
    } else {
        None
    };
    let mut inc = Vec::new();
    let mut longest = ku(0, wb)?;
    for (bi, terms) in inner.iter().enumerate() {
        let b = bi + 1;
        let named: Vec<Expr> = terms
            .iter()
            .enumerate()
            .map(|(k, t)| m.wire(&format!("in5_b{b}_{k}"), t))
            .collect::<Result<_, _>>()?;
        let c = sum(m, &format!("inc5_b{b}"), &named, wb)?;
        // the OR of the terms, beside their sum: after the sum's adders it
        // was the longest path into `inner6` (20.1 ns placed on 3290e9d)
        let any = m.wire(
            &format!("any5_b{b}"),
            &crate::rs::gf::or_all(named.clone())?,
        )?;
        longest = Expr::mux(&any, &ku(b as i128, wb)?, &longest)?;
        inc.push(pipe(m, &format!("inc6_b{b}"), &c)?);
    }
    let inner = if pp > 1 {
        Some(pipe(m, "inner6", &longest)?)
    } else {
        None
    };
    let bits_of = |x: &Expr, n: usize| -> Result<Vec<Expr>, RtlError> {
        (0..n).map(|i| x.bit(i as u32)).collect()
    };
    let syms = sum(m, "syms5", &bits_of(&lf.mask, pp)?, wb)?;
    let errs = sum(m, "errs5", &bits_of(e, pp)?, wb)?;
    let bes = sum(m, "bits5", &lf.bit_err, bits_for(2 * pp))?;
    let mut level = Vec::new();
    for (a, x) in lf.lvl.iter().enumerate() {
        let s = sum(m, &format!("lv5_{a}"), &bits_of(x, pp)?, wb)?;
        level.push(pipe(m, &format!("lv6_{a}"), &s)?);
    }
    Ok(Runs {
        all: pipe(m, "all6", &all)?,
        last: pipe(m, "last6", &lf.last)?,
        head: pipe(m, "head6", &h)?,
        tail,
        inc,
        inner,
        symbols: pipe(m, "syms6", &syms)?,
        errors: pipe(m, "errs6", &errs)?,
        bit_errors: pipe(m, "bits6", &bes)?,
        level,
    })
}

/// S6 -> S8: the carried run; per bin the bursts closed by the word (the
/// bin registered at S7, the totals at S8), the longest candidate.
struct Closed {
    /// bursts closed per bin `1..=LONG_BIN` (index `b - 1`)
    tot: Vec<Expr>,
    cand: Expr,
    last: Expr,
}

fn carry(
    m: &mut Module,
    p: &CheckParams,
    r: &Runs,
    v5: &Expr,
    clear: &Expr,
) -> Result<Closed, RtlError> {
    m.comment("S6: the run carried across words; the head run closes at carry + head");
    let pp = p.parallel;
    let wb = bits_for(pp);
    let sb = bits_for(LONG_BIN);
    let c64 = Ty::u(COUNTER_BITS);
    let cr = m.reg("carry", c64, Some(0))?;
    let cs = m.reg("carry_sat", Ty::u(sb), Some(0))?;
    let grow = m.wire("grow6", &r.all.and(&r.last.not())?)?;
    let he = m.wire("head6_w", &r.head.ext(COUNTER_BITS)?)?;
    let len = m.wire("len6", &cr.add(&he)?)?;
    let close = m.wire(
        "close6",
        &v5.and(&grow.not())?
            .and(&nonzero(&cs)?.or(&nonzero(&r.head)?)?)?,
    )?;
    // min(carry, 33) + head in 7 bits, saturated to the bin
    let hs = m.wire("head6_s", &r.head.ext(sb + 1)?)?;
    let csx = m.wire("carry_sat_x", &cs.ext(sb + 1)?)?;
    let s = m.wire("bin6_sum", &csx.add(&hs)?)?;
    let long = ku(LONG_BIN as i128, sb + 1)?;
    let bin = m.wire(
        "bin6",
        &Expr::mux(
            &s.gt(&long)?,
            &ku(LONG_BIN as i128, sb)?,
            &s.slice(sb - 1, 0)?,
        )?,
    )?;
    // next carry: grow by P, or the tail run (0 when the word holds limit - 1)
    let tail = match &r.tail {
        Some(t) => Expr::mux(&r.last, &ku(0, wb)?, t)?,
        None => ku(0, wb)?,
    };
    let tail = m.wire("tail6_c", &tail)?;
    let tw = m.wire("tail6_w", &tail.ext(COUNTER_BITS)?)?;
    let cn = Expr::mux(&grow, &cr.add(&ku(pp as i128, COUNTER_BITS)?)?, &tw)?;
    let ce = m.wire("carry_en", &v5.or(clear)?)?;
    m.next(
        &cr,
        &Expr::mux(clear, &ku(0, COUNTER_BITS)?, &cn)?,
        Some(&ce),
    )?;
    let gs = m.wire("carry_sat_g", &csx.add(&ku(pp as i128, sb + 1)?)?)?;
    let gsat = Expr::mux(
        &gs.gt(&long)?,
        &ku(LONG_BIN as i128, sb)?,
        &gs.slice(sb - 1, 0)?,
    )?;
    let ts = m.wire("tail6_s", &tail.ext(sb)?)?;
    let csn = Expr::mux(&grow, &gsat, &ts)?;
    m.next(&cs, &Expr::mux(clear, &ku(0, sb)?, &csn)?, Some(&ce))?;
    // the longest candidate: the head run's length if it closes and is at
    // least the inner one. Its select, the head's length and the inner run
    // are registered apart (S7) and selected after: the select had reset
    // 58 of the candidate's bits from the compare (`inner6_w -> cand7.LSR`,
    // 61 end points placed on 3290e9d).
    let (sel, other) = match &r.inner {
        Some(inner) => {
            let ix = m.wire("inner6_x", &inner.ext(sb + 1)?)?;
            let sel = m.wire("cand6_sel", &close.and(&s.ge(&ix)?)?)?;
            (sel, pipe(m, "inner7", inner)?.ext(COUNTER_BITS)?)
        }
        None => (close.clone(), ku(0, COUNTER_BITS)?),
    };
    let sel7 = pipe(m, "cand7_sel", &sel)?;
    let len7 = pipe(m, "len7", &len)?;
    let cand = m.wire("cand7", &Expr::mux(&sel7, &len7, &other)?)?;
    // Timing: the bin's decode and the add to the inner runs' count after
    // the saturated sum were S6's critical path on ECP5 (8.65 ns); the
    // closing flag and the bin are registered (S7) and decoded there.
    m.comment(
        "S7: the closing flag, the bin and the inner runs' counts, registered; the bins' totals",
    );
    let close7 = pipe(m, "close7", &close)?;
    let bin7 = pipe(m, "bin7", &bin)?;
    let mut tot = Vec::new();
    let tw = bits_for(pp.max(2));
    for b in 1..=LONG_BIN {
        let hit = m.wire(
            &format!("hit7_b{b}"),
            &close7.and(&bin7.eq(&ku(b as i128, sb)?)?)?,
        )?;
        let t = match r.inc.get(b - 1) {
            Some(i) => {
                let i7 = pipe(m, &format!("inc7_b{b}"), i)?;
                let iw = m.wire(&format!("inc7_b{b}_w"), &i7.ext(tw)?)?;
                iw.add(&hit.ext(tw)?)?
            }
            None => hit.ext(tw)?,
        };
        tot.push(pipe(m, &format!("tot8_b{b}"), &t)?);
    }
    let last7 = pipe(m, "last7", &r.last)?;
    Ok(Closed {
        tot,
        cand: pipe(m, "cand8", &cand)?,
        last: pipe(m, "last8", &last7)?,
    })
}

/// The counters in snapshot order ([`golden::check::addr`]), `bits` derived.
fn counters(
    m: &mut Module,
    r: &Runs,
    cl: &Closed,
    v6: &[Expr],
    clears: &[Expr],
) -> Result<Vec<Expr>, RtlError> {
    m.comment("S8: the counters");
    // the stage's valid bit and clear in copies: the next ones for each counter
    let mut v6 = v6.iter().zip(clears);
    let mut v6 = move || {
        let (v, c) = v6.next().expect("one valid and clear copy per counter");
        (v.clone(), c.clone())
    };
    let add = |m: &mut Module, name: &str, x: &Expr, vc: (Expr, Expr)| -> Result<Expr, RtlError> {
        let (v, clear) = vc;
        let c = m.reg(name, Ty::u(COUNTER_BITS), Some(0))?;
        let xw = m.wire(&format!("{name}_inc"), x)?;
        let xw = xw.ext(COUNTER_BITS)?;
        let e = m.wire(&format!("{name}_en"), &v.or(&clear)?)?;
        let d = Expr::mux(&clear, &ku(0, COUNTER_BITS)?, &c.add(&xw)?)?;
        m.next(&c, &d, Some(&e))?;
        Ok(c)
    };
    let two = |m: &mut Module, name: &str, x: &Expr| -> Result<Expr, RtlError> {
        let x7 = pipe(m, &format!("{name}7"), x)?;
        pipe(m, &format!("{name}8"), &x7)
    };
    let syms = two(m, "syms", &r.symbols)?;
    let errs = two(m, "errs", &r.errors)?;
    let bits = two(m, "bits", &r.bit_errors)?;
    let mut out = vec![
        add(m, "n_symbols", &syms, v6())?,
        add(m, "n_symbol_errors", &errs, v6())?,
    ];
    let bits_placeholder = out[0].clone();
    out.push(bits_placeholder);
    out.push(add(m, "n_bit_errors", &bits, v6())?);
    for (a, x) in r.level.iter().enumerate() {
        let x6 = two(m, &format!("lv_{a}_"), x)?;
        out.push(add(m, &format!("n_level_errors{a}"), &x6, v6())?);
    }
    let lg = m.reg("n_longest", Ty::u(COUNTER_BITS), Some(0))?;
    let (v, clear) = v6();
    let up = m.wire("longest_up", &v.and(&cl.cand.gt(&lg)?)?)?;
    let le = m.wire("n_longest_en", &up.or(&clear)?)?;
    m.next(
        &lg,
        &Expr::mux(&clear, &ku(0, COUNTER_BITS)?, &cl.cand)?,
        Some(&le),
    )?;
    out.push(lg);
    for (i, t) in cl.tot.iter().enumerate() {
        out.push(add(m, &format!("n_bursts{}", i + 1), t, v6())?);
    }
    debug_assert_eq!(out.len(), NUM_COUNTERS);
    Ok(out)
}

/// The shadow set, the read port's mux tree and the snap delay line.
fn shadow(m: &mut Module, io: &Inputs, live: &[Expr]) -> Result<Expr, RtlError> {
    m.comment("snapshot: snap delayed to the counter stage, then the shadow set");
    // from the registered `snap` (S0): SNAP_DELAY stages in all
    let mut s = io.snap.clone();
    for i in 1..SNAP_DELAY - 1 {
        s = creg(m, &format!("snap_d{i}"), &s, None, &io.clear)?;
    }
    // the last stage in copies, each enabling a few shadow counters
    let loads: Vec<u32> = (0..live.len() - 1).map(|_| COUNTER_BITS).collect();
    let last = SNAP_DELAY - 1;
    let en = creg_for_loads(m, &format!("snap_d{last}"), &s, &io.clear, &loads)?;
    let mut sh = Vec::new();
    let mut en = en.iter();
    for (i, c) in live.iter().enumerate() {
        if i == addr::BITS {
            continue;
        }
        let e = en.next().expect("one enable per shadow counter");
        sh.push((i, m.reg_d(&format!("sh_{i}"), c, Some(e), Some(0))?));
    }
    let sym = sh[addr::SYMBOLS].1.clone();
    let bits = m.wire("sh_bits", &sym.add(&sym)?)?;
    sh.insert(addr::BITS, (addr::BITS, bits));
    let ab = rd_addr_bits();
    let mut cur: Vec<Expr> = sh.into_iter().map(|(_, e)| e).collect();
    cur.resize(1 << ab, ku(0, COUNTER_BITS)?);
    // two registered halves: the low address bits pick within groups of 8
    // (each group from its own copy of them), the high ones pick the group
    // (a 42:1 mux of 64 bits in one cycle is slow on ECP5)
    let lo_bits = RD_SPLIT;
    let mut hi: Vec<Expr> = Vec::new();
    for k in 0..ab {
        if k == lo_bits {
            cur = cur
                .iter()
                .enumerate()
                .map(|(i, v)| pipe(m, &format!("rd_g{i}"), v))
                .collect::<Result<_, _>>()?;
            for j in lo_bits..ab {
                hi.push(pipe(m, &format!("rd_a{j}"), &io.rd_hi.bit(j - lo_bits)?)?);
            }
        }
        let mut next = Vec::new();
        for (i, pair) in cur.chunks(2).enumerate() {
            let s = match k < lo_bits {
                // the group the pair is in (the groups past the counters
                // hold constants: any copy will do)
                true => {
                    let g = ((i << (k + 1)) >> lo_bits).min(io.rd_sel.len() - 1);
                    io.rd_sel[g].bit(k)?
                }
                false => hi[(k - lo_bits) as usize].clone(),
            };
            let v = Expr::mux(&s, &pair[1], &pair[0])?;
            next.push(m.wire(&format!("rd_l{k}_{i}"), &v)?);
        }
        cur = next;
    }
    pipe(m, "rd_q", &cur.remove(0))
}

/// The header of `rxdsp_check`.
fn header(p: &CheckParams) -> Header {
    let mut h = Header::new(
        "BER checker: decisions against the delay-matched transmitted symbols, bit-exact with golden::check::Checker (ErrorCounter)",
        regen::CHECK,
    )
    .param("rtl.parallel (P)", p.parallel)
    .param("max_delay (symbols)", p.max_delay)
    .param("fifo_words", p.fifo_words)
    .param("reference outputs", p.reference)
    .latency(LATENCY)
    .note(format!(
        "snap in cycle c copies the counters of every received word accepted before c at the end of cycle c + {SNAP_DELAY}; rd_data = shadow[rd_addr] {RD_LATENCY} cycles later. Shadow map (64 bits each):"
    ));
    for l in counter_map() {
        h = h.note(format!("  {l}"));
    }
    h.note("cfg_limit = 0: no limit (done stays low). A received word needs its transmitted word accepted in an earlier cycle (underflow otherwise).")
}

/// Builds `rxdsp_check` for `p`.
pub fn build(p: &CheckParams) -> Result<Module, RtlError> {
    p.check()?;
    let pp = p.parallel as u32;
    let mut m = Module::new(TOP, header(p));
    m.clock()?;
    let io = inputs(&mut m, p)?;
    let f = fifo(&mut m, p, &io)?;
    m.comment("valid bits of the stages S2..S8");
    let mut v = Vec::new();
    let mut prev = f.pop.clone();
    for s in 1..STAGES {
        prev = creg(&mut m, &format!("v{s}"), &prev, None, &io.clear)?;
        v.push(prev.clone());
    }
    // the last stage's valid bit enables every counter: in copies, one
    // for each few counters (in the order `counters` declares them) and
    // the last for `done`
    let mut loads = vec![COUNTER_BITS; NUM_COUNTERS - 1];
    loads.push(1);
    let v_last = creg_for_loads(&mut m, &format!("v{STAGES}"), &prev, &io.clear, &loads)?;
    v.push(v_last[NUM_COUNTERS - 1].clone());
    let rxw = m.wire(
        "rx_word",
        &Expr::concat(&[io.st.rx_level.clone(), io.st.rx_data.clone()])?,
    )?;
    let rx1 = pipe(&mut m, "rx1", &rxw)?;
    let tx1 = pipe(&mut m, "tx1", &f.out)?;
    let tx2 = pipe(&mut m, "tx2", &tx1)?;
    let tx4 = delay_select(&mut m, p, &io, &tx2, &v[1])?;
    let rx2 = pipe(&mut m, "rx2", &rx1)?;
    let rx3 = pipe(&mut m, "rx3", &rx2)?;
    let rx4 = pipe(&mut m, "rx4", &rx3)?;
    // the word counter's own copy of the valid (`v3_wc_k0`: with the
    // compares of its next value, `bounds`, the valid's route to them was
    // half the path), and the compares' own (`v3_wc_k1`, see `bounds`)
    let v3d = Expr::mux(&io.clear, &ku(0, 1)?, &v[1])?;
    let v3 = m.reg_copies("v3_wc", &v3d, None, Some(0), 2)?;
    let bd = bounds(&mut m, p, &io, &v3[0], &v3[1])?;
    let lf = lanes(&mut m, p, &bd, &tx4, &rx4)?;
    let r = runs(&mut m, p, &lf)?;
    let cl = carry(&mut m, p, &r, &v[5], &io.clear)?;
    let live = counters(&mut m, &r, &cl, &v_last[..NUM_COUNTERS - 1], &io.clear_cnt)?;
    let rd = shadow(&mut m, &io, &live)?;
    let done = m.reg("done_q", Ty::BIT, Some(0))?;
    let dn = done.or(&v[STAGES - 1].and(&cl.last)?)?;
    m.next(&done, &Expr::mux(&io.clear, &ku(0, 1)?, &dn)?, None)?;
    m.split_reset(crate::hdl::FANOUT_BITS)?;
    debug_assert_eq!(tx4.width(), 4 * pp);
    if p.reference {
        // S4: REF_LATENCY register stages after the accept (S0 and S1..S4)
        m.output(
            "m_ref_tdata",
            &tx4.slice(2 * pp - 1, 0)?,
            "the transmitted data symbols the received word accepted REF_LATENCY register stages before pairs with (cfg_delay applied), lane 0 in the LSBs",
        )?;
        m.output(
            "m_ref_tvalid",
            &v[REF_LATENCY - 2],
            "m_ref_tdata holds a word",
        )?;
    }
    m.output(
        "rd_data",
        &rd,
        &format!("shadow counter at the rd_addr of {RD_LATENCY} cycles before (0 past the map)"),
    )?;
    m.output(
        "done",
        &done,
        "every symbol before cfg_limit counted and the open burst closed (sticky until clear)",
    )?;
    m.output(
        "overflow",
        &f.overflow,
        "sticky: a transmitted word arrived with the FIFO full (lost)",
    )?;
    m.output(
        "underflow",
        &f.underflow,
        "sticky: a received word arrived with no transmitted word waiting (dropped)",
    )?;
    Ok(m)
}

/// `rxdsp_check` for `p` in memory (one file, `rxdsp_check.v`).
pub fn design(p: &CheckParams) -> Result<Design, RtlError> {
    let m = build(p)?;
    Ok(Design {
        files: vec![(format!("{TOP}.v"), m.emit()?)],
        ports: m.ports().to_vec(),
        latency: LATENCY,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifter_levels_keep_what_they_read() {
        for (pp, d) in [(1, 1), (1, 127), (8, 127), (8, 5), (32, 127), (4, 300)] {
            let p = CheckParams {
                parallel: pp,
                max_delay: d,
                fifo_words: 4,
                reference: false,
            };
            let pos = shifter_positions(&p);
            assert_eq!(pos[0], (0..d + pp).collect::<Vec<_>>(), "P {pp} D {d}");
            assert_eq!(pos.last().unwrap().len(), pp);
        }
    }

    #[test]
    fn illegal_parameters_are_refused() {
        let ok = CheckParams::default();
        ok.check().unwrap();
        for (bad, says) in [
            (CheckParams { parallel: 3, ..ok }, "parallel = 3"),
            (CheckParams { max_delay: 0, ..ok }, "max_delay = 0"),
            (
                CheckParams {
                    fifo_words: 100,
                    ..ok
                },
                "fifo_words = 100",
            ),
            (
                CheckParams {
                    fifo_words: 1,
                    ..ok
                },
                "power of two",
            ),
        ] {
            let e = design(&bad).unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
    }
}
