//! `rxdsp_rs_dec`: RS decoder, `S` symbols per clock, following the decision
//! rule of `golden::fec` step by step. See `docs/rtl-fec.md`.
//!
//! Pipeline, in codeword slots of `B = ceil(n/S)` beats (codeword `c` enters
//! in slot `c`, through an input register; every register advances on input
//! beats, enabled by a copy of the registered valid bit per block):
//! * slot `c`: syndromes `S_j = r(alpha^j)` by a per-beat Horner step (one
//!   flat XOR network per syndrome; lanes of the last beat beyond `n` are
//!   forced to zero and every lane weight carries `alpha^(-j pad)`,
//!   `pad = BS - n`, so the sum is exactly `r(alpha^j)`);
//! * slot `c+1`: riBM, loaded in beat 1, `2t` iterations: two beats each
//!   (a register on the products) when `4t + 4 <= B`, else one; `3t+1`
//!   processing elements whose products use registered rows
//!   `delta_0 alpha^k`, `gamma alpha^k` (no fan-out of one register to all);
//! * slot `c+2`: Chien search and Forney, `S` positions per beat, five
//!   register stages (CH1 evaluation; CH2 inverse-table read in block RAM;
//!   CH3 the block RAM's output register; CH4 a fabric register; CH5 the
//!   product); the error values stream
//!   into a second syndrome unit (residual check), a root counter and a
//!   failure flag;
//! * slot `c+3`, beats `EV+1` to `EV+3` (`EV = CH+1`: the residual unit
//!   reads its own register of the error values): the residual compare, the
//!   checks, then the decision; the received word (delay line of `3B+EV+3`
//!   beats plus a fabric register) is XORed with the error values (delay
//!   line of `B+EV-CH+3` beats plus a fabric register) unless the word is
//!   uncorrectable, and registered out.
//!
//! Latency [`LATENCY_EXTRA`] + `3B` cycles with a continuous input.

use super::bram::{self, MemForm};
use super::gf::{self, cmul, gmul, or_all, row_mul, xor_all, Gf, Lin, LinSpace};
use super::hdl_util::*;
use super::{beats, dec_latency, header, ribm_fold, ribm_two_beat, DEC_TOP};
use crate::hdl::{Expr, Header, Module, Ty};
use crate::{regen, RtlError};
use golden::fec::Code;

/// Width of the statistics counters (they wrap).
pub const COUNTER_BITS: u32 = 32;

/// Beats from the start of a codeword's Chien slot to its first error
/// value: stages CH1..CH5.
pub const CH: usize = 5;

/// Beats from the start of a codeword's Chien slot to its first error
/// value in the residual syndrome unit's input register (`es_in`): [`CH`]
/// and that register, which keeps the unit's wide XOR networks beside their
/// own copy of the error values.
pub const EV: usize = CH + 1;

/// Decoder latency beyond `3B` cycles: the input register, the error
/// stream's offset [`EV`], the residual syndromes' second register level,
/// the check and decision beats (2), the decision register and the output
/// register.
pub const LATENCY_EXTRA: usize = EV + 6;

fn gf_header(what: &str, note: &str) -> Header {
    Header::new(what, regen::RS_DEC)
        .param("field", "GF(2^10), p(x) = x^10 + x^3 + 1")
        .note(note)
}

/// Builds the modules: multiplier, inverse tables (the two-port table for
/// `S >= 2`, the one-port table for an odd `S`), decoder top (last), with
/// the block RAMs in `form` (the same timing in both forms).
pub fn build(code: Code, s: usize, form: MemForm) -> Result<Vec<Module>, RtlError> {
    let mul = gf::build_mul(gf_header("general multiplier", "Combinational."))?;
    let note = match form {
        MemForm::Generic => "Synchronous read through two registers (block RAM).",
        MemForm::Ecp5 => "ECP5 DP16KD with its output register (REGMODE OUTREG).",
    };
    let mut invs = Vec::new();
    if s >= 2 {
        invs.push(gf::build_inv(
            gf_header("inverse table, two read ports", note),
            2,
            form,
        )?);
    }
    if s % 2 == 1 {
        invs.push(gf::build_inv(
            gf_header("inverse table, one read port", note),
            1,
            form,
        )?);
    }
    let top = build_top(code, s, &mul, &invs, form)?;
    let mut mods = vec![mul];
    mods.extend(invs);
    mods.push(top);
    Ok(mods)
}

/// Lanes a registered partial sum of a syndrome unit covers: two, so each
/// sum bit is an XOR of about 10 input bits (two LUT levels). With four
/// (about 20 bits, three levels, and Yosys sharing XOR terms across the
/// syndromes into chains of four), the units were nextpnr's critical paths
/// at KP4 S = 8 (7.2-7.6 ns, most of it routing over the die).
const SYN_GROUP: usize = 2;

/// Syndromes per copy of a syndrome unit's input lanes: each lane bit feeds
/// about `5 x 2t` LUTs of the group sums; with one register for all 30 KP4
/// syndromes nextpnr spread them over the die and the sums' inner routes
/// took up to 2.4 ns (KP4 S = 8, 144 MHz median).
const SYN_PER_COPY: usize = 8;

/// Lanes per copy of the Chien / Forney term registers (`ct_i`, `co_i`):
/// each term bit feeds every lane's four CH1 networks.
const CH_LANES_PER_COPY: usize = 4;

/// Horner syndrome unit over beats of `lanes` (lane 0 = highest power; one
/// copy of the lanes per [`SYN_PER_COPY`] syndromes, `lanes[k]` the `k`-th),
/// two register levels: the weighted sums of groups of `group` lanes
/// (`pfx_g*`, registered on every beat), then the Horner step over them,
/// restarting on `firsts[k]` (one copy per lane copy, see
/// [`restart_copies`]), which must be the codeword's first-beat flag one
/// beat late (aligned with the group sums). Returns the accumulators, which
/// hold the syndromes `S_0..S_(2t-1)` of a codeword one beat after the
/// first beat of the next (when `first` is high). Every lane weight carries
/// `alpha^(-j pad)`, so the zero lanes past `n` at the end need no
/// correction.
#[allow(clippy::too_many_arguments)]
fn syndromes(
    m: &mut Module,
    gf: &Gf,
    pfx: &str,
    lanes: &[Vec<Expr>],
    group: usize,
    firsts: &[Expr],
    en: &Expr,
    p: usize,
    pad: usize,
) -> Result<Vec<Expr>, RtlError> {
    let s = lanes[0].len() as i64;
    let z10 = ku(0, 10)?;
    let mut sp = LinSpace::new();
    let mut lxs = Vec::new();
    for copy in lanes {
        let lx: Vec<Lin> = copy
            .iter()
            .map(|e| sp.symbol(e))
            .collect::<Result<_, _>>()?;
        lxs.push(lx);
    }
    let mut accs = Vec::new();
    for j in 0..p as i64 {
        let lx = &lxs[j as usize / SYN_PER_COPY % lxs.len()];
        let first = &firsts[j as usize / SYN_PER_COPY % firsts.len()];
        let mut groups = Vec::new();
        for (g, chunk) in lx.chunks(group).enumerate() {
            let mut l = Lin::zero();
            for (k, x) in chunk.iter().enumerate() {
                let i = (g * group + k) as i64;
                l.xor_in(&x.mul(gf, gf.pow(j * (s - 1 - i - pad as i64))));
            }
            let w = sp.emit(m, &format!("{pfx}_g{j}_{g}"), &l)?;
            groups.push(m.reg_d(&format!("{pfx}_gq{j}_{g}"), &w, Some(en), None)?);
        }
        let acc = m.reg(&format!("{pfx}_acc{j}"), Ty::u(10), None)?;
        let ain = m.wire(&format!("{pfx}_ain{j}"), &Expr::mux(first, &z10, &acc)?)?;
        let mut hs = LinSpace::new();
        let mut l = hs.symbol(&ain)?.mul(gf, gf.pow(j * s));
        for g in &groups {
            l.xor_in(&hs.symbol(g)?);
        }
        let nx = hs.emit(m, &format!("{pfx}_nxt{j}"), &l)?;
        m.next(&acc, &nx, Some(en))?;
        accs.push(acc);
    }
    Ok(accs)
}

/// The restart flag of a syndrome unit, `fl[late]`, and a copy per further
/// [`SYN_PER_COPY`] syndromes (`{pfx}_first_c{k}`: `fl[late - 1]`
/// registered on its own copy of the input beat, `ens[k - 1]`, so Yosys
/// keeps them apart): one `first1` drove all of the unit's accumulators, a
/// 3.9 ns route at KP4 S = 8 (design j, seed 3). (Copies registering
/// `fl[late - 1] & (bc != K)` shared their beat-counter decodes with the
/// riBM's control: three LUT levels and a 2.4-3.1 ns route, design l.)
fn restart_copies(
    m: &mut Module,
    c: &Dec,
    late: usize,
    ens: &[Expr],
    pfx: &str,
) -> Result<Vec<Expr>, RtlError> {
    let mut v = vec![c.fl[late].clone()];
    for (k, e) in ens.iter().enumerate() {
        v.push(m.reg_d(
            &format!("{pfx}_first_c{}", k + 1),
            &c.fl[late - 1],
            Some(e),
            None,
        )?);
    }
    Ok(v)
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
    /// riBM iterations take two beats
    two: bool,
    /// the riBM's fold `(F, G)` ([`ribm_fold`])
    fold: (usize, usize),
    /// width of the degree of lambda
    nuw: u32,
    /// copies of the registered input beat for the blocks (`in_valid`
    /// itself enables the control: the beat counter, the first/last flags)
    ens: EnCopies,
    /// the clock (for the inverse tables and the delay lines)
    clk: Expr,
    /// how the block RAMs are written
    form: MemForm,
    /// the beat counter and its decodes
    beats: Beats,
    /// `en` in the last beat of a codeword
    ld: Expr,
    /// `fl[k]`: the first beat of a codeword, `k` beats late (`fl[0]` = `first_q`, registered)
    fl: Vec<Expr>,
    /// `ll[k]`: the last beat of a codeword, `k` beats late
    ll: Vec<Expr>,
}

fn build_top(
    code: Code,
    s: usize,
    mul: &Module,
    inv: &[Module],
    form: MemForm,
) -> Result<Module, RtlError> {
    let (n, t) = (code.n(), code.t());
    let b = beats(code, s);
    let lat = dec_latency(code, s);
    let mut hdr = header(
        code,
        s,
        "Reed-Solomon decoder (riBM, Chien, Forney)",
        regen::RS_DEC,
        lat,
    );
    let fold = ribm_fold(code, s);
    let (f, g) = fold;
    if f > 1 {
        let v = format!("{g} processing elements, {f} groups an iteration");
        hdr = hdr.param("riBM fold (rs::ribm_fold)", v);
    }
    let mut m = Module::new(DEC_TOP, hdr);
    let (clk, tdata_in, valid_in, tlast_in) = stream_in(
        &mut m,
        s,
        "S received symbols, lane 0 (earliest) in the LSBs",
        "input beat (always accepted); the pipeline advances on it",
    )?;
    m.comment("input register: the beat enables every register, so its valid bit is registered here, once per block (EnCopies)");
    let tdata = m.reg_d("in_data", &tdata_in, None, None)?;
    let tlast = m.reg_d("in_last", &tlast_in, None, Some(0))?;
    let en = m.reg_d("in_valid", &valid_in, None, Some(0))?;
    m.comment("beat counter, and its first/last decodes delayed k beats (firstk, lastk)");
    let bt = beat_counter(&mut m, b, &en, &tlast, false)?;
    let ens = en_copies(&mut m, code, s, &valid_in, &bt)?;
    // registered decodes (they feed wide logic): first_q = (bc == 0), last_q = (bc == B-1)
    let first_q = m.reg_d("first_q", &bt.last, Some(&en), Some(1))?;
    let last_q = m.reg_d(
        "last_q",
        &bt.bc.eq(&ku(b as i128 - 2, bt.bw)?)?,
        Some(&en),
        Some(0),
    )?;
    let ld = m.wire("ld", &en.and(&last_q)?)?;
    let (mut fl, mut ll) = (vec![first_q], vec![last_q]);
    for k in 1..=EV + 4 {
        if k <= EV + 3 {
            let f = m.reg_d(&format!("first{k}"), &fl[k - 1], Some(&en), None)?;
            fl.push(f);
        }
        let l = m.reg_d(&format!("last{k}"), &ll[k - 1], Some(&en), None)?;
        ll.push(l);
    }
    let c = Dec {
        gf: Gf::new(),
        n,
        t,
        p: 2 * t,
        s,
        pad: b * s - n,
        two: ribm_two_beat(code, s),
        fold,
        nuw: bits_for(t + 1),
        ens,
        clk,
        form,
        beats: bt,
        ld,
        fl,
        ll,
    };
    // codewords that completed their input, saturating at 3
    let ncw = m.reg("ncw", Ty::u(2), Some(0))?;
    let full = m.wire("ncw_full", &ncw.eq(&ku(3, 2)?)?)?;
    let ncw_inc = ncw.add(&ku(1, 2)?)?;
    let ncw_en = m.wire("ncw_en", &c.ld.and(&full.not())?)?;
    m.next(&ncw, &ncw_inc, Some(&ncw_en))?;

    m.comment("input lanes, the unused lanes of the last beat forced to zero");
    let xm = masked_lanes(&mut m, &c, &tdata, "")?;
    m.comment("copies of the input register for the syndrome unit, one per SYN_PER_COPY syndromes: different functions of the input that equal it on input beats (so Yosys keeps them apart), with no beat-counter logic before them");
    let mut sets = vec![xm.clone()];
    let ncopy = c.p.div_ceil(SYN_PER_COPY);
    let zeros = Expr::concat(&vec![ku(0, 10)?; s])?;
    let ones = zeros.not();
    for k in 1..ncopy {
        let d = match k % 3 {
            1 => m.reg_d(
                &format!("sy_in_c{k}"),
                &Expr::mux(&valid_in, &tdata_in, &zeros)?,
                None,
                None,
            )?,
            2 => m.reg_d(
                &format!("sy_in_c{k}"),
                &Expr::mux(&valid_in, &tdata_in, &ones)?,
                None,
                None,
            )?,
            _ => m.reg_d(&format!("sy_in_c{k}"), &tdata_in, Some(&valid_in), None)?,
        };
        sets.push(masked_lanes(&mut m, &c, &d, &format!("c{k}_"))?);
    }
    let (syn, sb) = syndrome_stage(&mut m, &c, &sets)?;
    let delta = ribm(&mut m, &c, &syn)?;
    let (nua, tt, om) = chien_terms(&mut m, &c, &delta)?;
    let cf = chien_forney(&mut m, &c, mul, inv, &tt, &om)?;
    let d = decision(&mut m, &c, &cf, &sb, &nua, &full)?;
    let st = statistics(&mut m, &d)?;
    output_stage(&mut m, &c, b, &xm, &cf, &d)?;
    stat_outputs(&mut m, &st)?;
    err_align_out(&mut m, &c.beats.err)?;
    Ok(m)
}

/// Copies of the registered input beat, one per block, so that no single
/// register enables all of the decoder's flip-flops (about 7,000 at KP4
/// S = 8; in the FEC chain the beat comes from the gearbox and is timed).
struct EnCopies {
    /// the syndrome unit and its hand-over registers
    syn: Expr,
    /// the riBM, per group of [`RIBM_GROUP`] processing elements
    ribm: Vec<Expr>,
    /// the next values of `ribm` (the functions they register), for the
    /// riBM's load and update strobes registered a clock ahead
    ribm_next: Vec<Expr>,
    /// the Chien / Forney term registers and `nu`
    terms: Expr,
    /// stages CH1..CH5 and the inverse tables
    ch: Expr,
    /// the residual syndromes and the checks
    check: Expr,
    /// the decision and its statistics' increments
    dec: Expr,
    /// the delay lines and the output registers
    out: Expr,
    /// the residual syndrome unit's input copies `1..` (one per
    /// [`SYN_PER_COPY`] syndromes beyond the first; registered: a
    /// combinational `en & (bc != K)` shared its beat-counter decodes across
    /// the die, 130.8 MHz median at KP4 S = 8)
    es: Vec<Expr>,
    /// the Chien / Forney term copies `1..` (one per [`CH_LANES_PER_COPY`]
    /// lanes beyond the first)
    terms_c: Vec<Expr>,
    /// the received syndrome unit's restart flag copies `1..` (one per
    /// [`SYN_PER_COPY`] syndromes beyond the first, see [`restart_copies`])
    sy_first: Vec<Expr>,
    /// the residual syndrome unit's restart flag copies `1..`
    es_first: Vec<Expr>,
}

/// `count` functions equal to `base` whenever the beat counter runs (named
/// wires `pfx0`, `pfx1`, ...): `base & (bc != K)`, then `base | (bc == K)`,
/// over the values `K >= B` the counter never takes, cycling when there are
/// fewer. Flip-flops with equal inputs are merged by Yosys (`opt_merge`, also
/// when marked `keep`), so a copy of a register that must stay a copy (to
/// cut a fan-out) gets one of these as its D input (an enable computed this
/// way put the beat counter's decodes in front of every copy's clock enable,
/// shared across the die: design g in docs/rtl-fec.md).
fn spare_fns(
    m: &mut Module,
    bt: &Beats,
    b: usize,
    base: &Expr,
    count: usize,
    pfx: &str,
) -> Result<Vec<Expr>, RtlError> {
    let unused: Vec<usize> = (b..1usize << bt.bw).rev().collect();
    let mut v = Vec::with_capacity(count);
    for k in 0..count {
        if unused.is_empty() {
            // no unused value (no B <= 544 is a power of two, so never)
            v.push(base.clone());
            continue;
        }
        let at = bt.bc.eq(&ku(unused[k % unused.len()] as i128, bt.bw)?)?;
        let f = if (k / unused.len()) % 2 == 1 {
            base.or(&at)?
        } else {
            base.and(&at.not())?
        };
        v.push(m.wire(&format!("{pfx}{k}"), &f)?);
    }
    Ok(v)
}

/// The copies of the registered input beat: copy `k` registers the `k`-th
/// of [`spare_fns`] of `s_axis_tvalid` (`s_axis_tvalid & (bc != K_k)`,
/// `K_k` a beat counter value the counter never takes, then
/// `s_axis_tvalid | (bc == K_k)`): the same bit as `in_valid` in operation,
/// but a different function, so Yosys keeps the copies apart. With fewer
/// distinct functions than blocks, the blocks share them.
fn en_copies(
    m: &mut Module,
    code: Code,
    s: usize,
    valid_in: &Expr,
    bt: &Beats,
) -> Result<EnCopies, RtlError> {
    let b = beats(code, s);
    let groups = ribm_fold(code, s).1.div_ceil(RIBM_GROUP);
    let n_es = (2 * code.t()).div_ceil(SYN_PER_COPY) - 1;
    let n_terms = s.div_ceil(CH_LANES_PER_COPY) - 1;
    // the blocks' copy indices, handed out in order by one cursor, so the
    // number of copies wanted and the picks cannot disagree; restart flag
    // copies: as many per unit as the residual unit's input copies
    let mut wanted = 0usize;
    let mut take = |n: usize| {
        let r = wanted..wanted + n;
        wanted += n;
        r
    };
    let [syn, terms, ch, check, out] = [(); 5].map(|_| take(1).start);
    let ribm = take(groups);
    let es = take(n_es);
    let terms_c = take(n_terms);
    let dec = take(1).start;
    let sy_first = take(n_es);
    let es_first = take(n_es);
    let distinct = wanted.min(2 * ((1usize << bt.bw) - b)).max(1);
    let fns = spare_fns(m, bt, b, valid_in, distinct, "in_valid_f")?;
    let mut copies = Vec::new();
    for (k, f) in fns.iter().enumerate() {
        copies.push(m.reg_d(&format!("in_valid_c{k}"), f, None, Some(0))?);
    }
    let pick = |i: usize| copies[i % copies.len()].clone();
    let pick_fn = |i: usize| fns[i % fns.len()].clone();
    Ok(EnCopies {
        syn: pick(syn),
        terms: pick(terms),
        ch: pick(ch),
        check: pick(check),
        out: pick(out),
        ribm_next: ribm.clone().map(pick_fn).collect(),
        ribm: ribm.map(pick).collect(),
        es: es.map(pick).collect(),
        terms_c: terms_c.map(pick).collect(),
        dec: pick(dec),
        sy_first: sy_first.map(pick).collect(),
        es_first: es_first.map(pick).collect(),
    })
}

/// The `S` lanes of a registered input word `data` (wires `{pfx}x{l}`),
/// the lanes of the last beat beyond `n` forced to zero (`{pfx}xm{l}`).
fn masked_lanes(m: &mut Module, c: &Dec, data: &Expr, pfx: &str) -> Result<Vec<Expr>, RtlError> {
    let z10 = ku(0, 10)?;
    let mut xm = Vec::new();
    for l in 0..c.s {
        let x = lane(m, data, l, &format!("{pfx}x{l}"))?;
        xm.push(if l >= c.s - c.pad {
            m.wire(&format!("{pfx}xm{l}"), &Expr::mux(&c.ll[0], &z10, &x)?)?
        } else {
            x
        });
    }
    Ok(xm)
}

/// The syndromes `S_j = r(alpha^j)` of the received word: returns the
/// accumulators (a codeword's syndromes in beat 1 of the next slot, when
/// the riBM loads them) and `sb`, the syndromes kept for the residual check
/// (loaded in beat 1 of slot `c+2`, through `sa`).
fn syndrome_stage(
    m: &mut Module,
    c: &Dec,
    xm: &[Vec<Expr>],
) -> Result<(Vec<Expr>, Vec<Expr>), RtlError> {
    m.comment("syndromes S_j = r(alpha^j)");
    let firsts = restart_copies(m, c, 1, &c.ens.sy_first, "sy")?;
    let acc = syndromes(
        m, &c.gf, "sy", xm, SYN_GROUP, &firsts, &c.ens.syn, c.p, c.pad,
    )?;
    let l0 = m.wire("ld1", &c.ens.syn.and(&c.fl[1])?)?;
    let mut sb = Vec::new();
    for (j, a) in acc.iter().enumerate() {
        let sa = m.reg_d(&format!("sa{j}"), a, Some(&l0), None)?;
        sb.push(m.reg_d(&format!("sb{j}"), &sa, Some(&l0), None)?);
    }
    Ok((acc, sb))
}

/// Processing elements per copy of the riBM rows and control (with 8 a
/// copy's route to its farthest product still took 2.8 ns at KP4 S = 8).
const RIBM_GROUP: usize = 4;

/// The name suffix of riBM group `g`'s copies: none for group 0 (the
/// registers themselves), else `_g{g}`.
fn group_sfx(g: usize) -> String {
    match g {
        0 => String::new(),
        _ => format!("_g{g}"),
    }
}

/// Ten row registers `pfx{k}` (a group's copy of the rows).
fn row_regs(m: &mut Module, pfx: &str) -> Result<Vec<Expr>, RtlError> {
    (0..10)
        .map(|k| m.reg(&format!("{pfx}_{k}"), Ty::u(10), None))
        .collect()
}

/// Beat values for the copies' enables: `n` values of the beat counter
/// (`bw` bits) outside `busy`, the beats in which the riBM state changes.
fn spare_beats(bw: u32, busy: &[usize], n: usize) -> Vec<usize> {
    (0..1usize << bw)
        .rev()
        .filter(|v| !busy.contains(v))
        .take(n)
        .collect()
}

/// The control of a group of [`RIBM_GROUP`] processing elements: its own
/// load select, enable, switch and rows, so no control register reaches
/// all `3t+1` elements across the die.
struct RibmGroup {
    /// load (beat 1 of the slot) in an input beat: `en & ld`, a register
    ldv: Expr,
    /// update in an input beat: `en & up`, a register
    upv: Expr,
    /// state enable (load or update beat): `en & (ld | up)`, a register
    env: Expr,
    /// the switch condition (delta_0 != 0 and k >= 0)
    sw: Expr,
    /// the rows `delta_0 alpha^k`
    drow: Vec<Expr>,
    /// the rows `gamma alpha^k`
    grow: Vec<Expr>,
}

/// Group `g`'s copies of the riBM control registers. Each copy computes the
/// group-0 register's function and'ed with `bc != K` (the load flag) or
/// `bc != K-1` (the update flag and the switch, registered the clock before
/// they are used), where `K` is a spare value of the beat counter: neither a
/// load or update beat nor the beat after an update (the switch register
/// loads every clock, and in an input gap the clock before update beat `u`
/// can see `bc == u`). So each copy holds the group-0 value whenever it is
/// used, but it is a different function, and Yosys keeps the copies apart
/// (`opt_merge` merges flip-flops with equal inputs, even when marked
/// `keep`).
fn ribm_group(
    m: &mut Module,
    c: &Dec,
    g: usize,
    spare: usize,
    up_next: &Expr,
    (sw_c, sw_en): (&Expr, Option<&Expr>),
) -> Result<RibmGroup, RtlError> {
    let (bc, bw, en) = (&c.beats.bc, c.beats.bw, &c.ens.ribm[g]);
    let k = ku(spare as i128, bw)?;
    // the beat before `K` (`K >= 1`: spare beats are counted from the top)
    let k1 = ku(spare as i128 - 1, bw)?;
    let not_k = bc.eq(&k)?.not();
    let not_k1 = bc.eq(&k1)?.not();
    // first1: first_q one beat late; first_q is high in beat 0 only
    let ld = m.reg_d(
        &format!("ribm_ld_g{g}"),
        &c.fl[0].and(&not_k)?,
        Some(en),
        Some(0),
    )?;
    let up = m.reg_d(
        &format!("ribm_upq_g{g}"),
        &up_next.and(&not_k1)?,
        Some(en),
        Some(0),
    )?;
    let sw = if c.two {
        m.reg_d(&format!("ribm_sw_g{g}"), &sw_c.and(&not_k1)?, sw_en, None)?
    } else {
        sw_c.clone()
    };
    let f = &c.ens.ribm_next[g];
    let strobes = Strobes {
        f,
        en,
        ld: (&c.fl[0].and(&not_k)?, &ld),
        up: (&up_next.and(&not_k1)?, &up),
    };
    let (ldv, upv, env) = strobes.regs(m, &group_sfx(g))?;
    Ok(RibmGroup {
        ldv,
        upv,
        env,
        sw,
        drow: row_regs(m, &format!("d0row_g{g}"))?,
        grow: row_regs(m, &format!("gamrow_g{g}"))?,
    })
}

/// A riBM group's load and update flags (`ld`, `up`: registers loaded with
/// `ld.0`, `up.0` on the input beat `en`) and'ed with the beat, registered a
/// clock ahead from `en`'s own next value `f`: `ribm_ldv = en & ld`,
/// `ribm_upv = en & up`, `ribm_env = en & (ld | up)`. The state then loads
/// its constant on `ldv` as a reset over the enable `upv` (the flip-flop's
/// own `LSR` and `CE`, straight from registers); a reset that acts only on
/// the enable was a LUT of the beat and the flag in front of every
/// element's `LSR` and `CE` (in_valid_c -> theta, gamrow, delta: some 700
/// end points above 11.5 ns placed on 9e44688).
struct Strobes<'a> {
    f: &'a Expr,
    en: &'a Expr,
    ld: (&'a Expr, &'a Expr),
    up: (&'a Expr, &'a Expr),
}

impl Strobes<'_> {
    /// The registers `ribm_ldv{sfx}`, `ribm_upv{sfx}`, `ribm_env{sfx}`.
    fn regs(&self, m: &mut Module, sfx: &str) -> Result<(Expr, Expr, Expr), RtlError> {
        let (ld_d, ld) = self.ld;
        let (up_d, up) = self.up;
        let next = |d: &Expr, q: &Expr| self.f.and(&Expr::mux(self.en, d, q)?);
        let ldv = m.reg_d(&format!("ribm_ldv{sfx}"), &next(ld_d, ld)?, None, Some(0))?;
        let upv = m.reg_d(&format!("ribm_upv{sfx}"), &next(up_d, up)?, None, Some(0))?;
        let ev = next(&ld_d.or(up_d)?, &ld.or(up)?)?;
        let env = m.reg_d(&format!("ribm_env{sfx}"), &ev, None, Some(0))?;
        Ok((ldv, upv, env))
    }
}

/// The next value of a riBM state register `q`: `init` on the load, `upd`
/// on an update. A constant `init` (`Load::Const`) is a reset over the
/// enable (see [`Strobes`]); another loads on the enable.
fn ribm_next(
    m: &mut Module,
    gp: &RibmGroup,
    q: &Expr,
    (init, load): (&Expr, Load),
    upd: &Expr,
) -> Result<(), RtlError> {
    if load == Load::Const {
        let d = Expr::mux(&gp.ldv, init, &Expr::mux(&gp.upv, upd, q)?)?;
        m.next(q, &d, None)
    } else {
        m.next(q, &Expr::mux(&gp.ldv, init, upd)?, Some(&gp.env))
    }
}

/// What a riBM state register loads: a constant or a signal.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Load {
    Const,
    Signal,
}

/// The riBM: `3t+1` processing elements, loaded with the syndromes in beat
/// 1 of the next slot, then `2t` iterations in beats `2..` (two beats each
/// with `c.two`: the products are registered in the first); returns the
/// `delta` registers (lambda in `delta_t..delta_2t`, omega in
/// `delta_0..delta_(t-1)` at the end). The general products
/// `gamma delta_(i+1)` and `delta_0 theta_i` are AND-XOR networks over the
/// registered rows `gamma alpha^k` and `delta_0 alpha^k` (`k < 10`), copied
/// per group of [`RIBM_GROUP`] elements, so no single register drives every
/// element.
fn ribm(m: &mut Module, c: &Dec, syn: &[Expr]) -> Result<Vec<Expr>, RtlError> {
    if c.fold.0 > 1 {
        return ribm_folded(m, c, syn);
    }
    let (gf, t, p, bw, en) = (&c.gf, c.t, c.p, c.beats.bw, &c.ens.ribm[0]);
    let bc = &c.beats.bc;
    let z10 = ku(0, 10)?;
    let nd = 3 * t + 1;
    if c.two {
        m.comment("riBM: 3t+1 processing elements; load in beat 1, iteration i in beats 2i+2 (products registered), 2i+3 (update)");
    } else {
        m.comment("riBM: 3t+1 processing elements; load in beat 1, iteration i in beat i+2");
    }
    // a registered decode of the next beat: an update beat (beat 1, the load, is fl[1])
    let (up_next, busy) = if c.two {
        two_beat_schedule(c, 1)?
    } else {
        // next beat in 2..=2t+1; busy: the load and the update beats
        let up = bc
            .ge(&ku(1, bw)?)?
            .and(&bc.lt(&ku(2 * t as i128 + 1, bw)?)?)?;
        (up, std::iter::once(1).chain(2..=2 * t + 1).collect())
    };
    let ld_q = c.fl[1].clone();
    let up_q = m.reg_d("ribm_upq", &up_next, Some(en), Some(0))?;
    let strobes = Strobes {
        f: &c.ens.ribm_next[0],
        en,
        ld: (&c.fl[0], &ld_q),
        up: (&up_next, &up_q),
    };
    let (ldv, upv, env) = strobes.regs(m, "")?;
    let reg10 = |m: &mut Module, name: String| m.reg(&name, Ty::u(10), None);
    let delta: Vec<Expr> = (0..nd)
        .map(|i| reg10(m, format!("delta{i}")))
        .collect::<Result<_, _>>()?;
    let theta: Vec<Expr> = (0..nd)
        .map(|i| reg10(m, format!("theta{i}")))
        .collect::<Result<_, _>>()?;
    let drow: Vec<Expr> = (0..10)
        .map(|k| reg10(m, format!("d0row{k}")))
        .collect::<Result<_, _>>()?;
    let grow: Vec<Expr> = (0..10)
        .map(|k| reg10(m, format!("gamrow{k}")))
        .collect::<Result<_, _>>()?;
    let kk = m.reg("kreg", Ty::u(7), None)?;
    let sw_c = nonzero(&delta[0])?.and(&kk.bit(6)?.not())?;
    let sw = if c.two {
        m.reg_d("ribm_sw", &sw_c, None, None)?
    } else {
        m.wire("ribm_sw", &sw_c)?
    };
    // the control and a copy of the rows per group of RIBM_GROUP elements
    // (group 0: the registers themselves), so no control or row register
    // reaches all 3t+1 elements across the die (`ribm_group`)
    let ng = nd.div_ceil(RIBM_GROUP);
    let spare = spare_beats(bw, &busy, ng - 1);
    let mut copies = vec![RibmGroup {
        ldv: ldv.clone(),
        upv,
        env: env.clone(),
        sw: sw.clone(),
        drow: drow.clone(),
        grow: grow.clone(),
    }];
    for g in 1..ng {
        copies.push(ribm_group(m, c, g, spare[g - 1], &up_next, (&sw_c, None))?);
    }
    let mut upd = Vec::new();
    for (i, th) in theta.iter().enumerate() {
        let gp = &copies[i / RIBM_GROUP];
        let h = row_mul(&gp.drow, th)?;
        let v = match delta.get(i + 1) {
            Some(d) => row_mul(&gp.grow, d)?.xor(&h)?,
            None => h,
        };
        upd.push(if c.two {
            m.reg_d(&format!("ribm_pr{i}"), &v, None, None)?
        } else {
            m.wire(&format!("ribm_upd{i}"), &v)?
        });
    }
    for i in 0..nd {
        let gp = &copies[i / RIBM_GROUP];
        let init = if i < p {
            (syn[i].clone(), Load::Signal)
        } else {
            (ku((i == 3 * t) as i128, 10)?, Load::Const)
        };
        let init = (&init.0, init.1);
        ribm_next(m, gp, &delta[i], init, &upd[i])?;
        let up = delta.get(i + 1).cloned().unwrap_or_else(|| z10.clone());
        let tu = Expr::mux(&gp.sw, &up, &theta[i])?;
        ribm_next(m, gp, &theta[i], init, &tu)?;
    }
    for k in 0..10 {
        let ak = gf.pow(k as i64);
        let l0 = cmul(m, gf, &format!("d0row{k}_ld"), &syn[0], ak)?;
        let st = cmul(m, gf, &format!("d0row{k}_up"), &upd[0], ak)?;
        let g0 = ku(ak as i128, 10)?;
        // each group's rows (group 0: the rows themselves) take their next
        // value from the group's own load and switch copies and its own rows
        // (equal to group 0's whenever the group's enable loads them): group
        // 0's muxes had fed every group's rows, the first-beat flag behind
        // them (first1 -> gamrow_g*, 476 end points above 14 ns placed on
        // 38747de)
        for (g, gp) in copies.iter().enumerate() {
            let sfx = group_sfx(g);
            ribm_next(m, gp, &gp.drow[k], (&l0, Load::Signal), &st)?;
            let gu = m.wire(
                &format!("gamrow{k}_u{sfx}"),
                &Expr::mux(&gp.sw, &gp.drow[k], &gp.grow[k])?,
            )?;
            ribm_next(m, gp, &gp.grow[k], (&g0, Load::Const), &gu)?;
        }
    }
    let ku_ = Expr::mux(&sw, &kk.not(), &kk.add(&ku(1, 7)?)?)?;
    m.next(&kk, &Expr::mux(&ldv, &ku(0, 7)?, &ku_)?, Some(&env))?;
    Ok(delta)
}

/// The two-beat riBM's schedule with `f` groups an iteration (`f = 1`: not
/// folded): the decode "the next beat is an update beat" (`3, 5, ..,
/// 4tf+1`), registered by the strobes, and the busy beats the group copies'
/// spare values avoid (the load, the update beats and the beats after them,
/// where the switch is used).
fn two_beat_schedule(c: &Dec, f: usize) -> Result<(Expr, Vec<usize>), RtlError> {
    let (bc, bw, end) = (&c.beats.bc, c.beats.bw, 4 * c.t * f + 1);
    let up = bc
        .bit(0)?
        .not()
        .and(&bc.ge(&ku(2, bw)?)?)?
        .and(&bc.lt(&ku(end as i128, bw)?)?)?;
    Ok((up, std::iter::once(1).chain(3..=end + 1).collect()))
}

/// The folded riBM ([`ribm_fold`]: `F > 1` groups of `G` processing
/// elements, two beats a group). The state of the `3t+1` elements, padded to
/// `F G`, is a ring of `F` slots of `G` (`delta{i}`, `theta{i}`: slot
/// `i / G`, group `i / G` at rest). The `G` elements compute the updates of
/// the head slot (products registered in the group's first beat, as the
/// unfolded two-beat riBM's); in its update beat the ring turns by a slot
/// and the updated group enters the tail, so after an iteration's `F`
/// update beats every element is home again, updated once. Element `i`
/// reads `delta_(i+1)`: the next of the head slot, or for the slot's last
/// the first of slot 1 (a group not yet updated in this iteration), and 0
/// in the iteration's last group (`delta_(3t+1) = 0`; the padding elements
/// beyond `3t` stay 0 so). What holds over an iteration changes at its
/// boundary, in the last group's update beat: the rows `delta_0 alpha^k`
/// (from `ribm_d0n`, the next `delta_0`, captured as group 0 is updated)
/// and `gamma alpha^k`, and `k`; the switch is loaded while group 0 is at
/// the head (`ribm_fq = 0`), from `delta_0` at home. Returns `delta_0..3t`.
fn ribm_folded(m: &mut Module, c: &Dec, syn: &[Expr]) -> Result<Vec<Expr>, RtlError> {
    let (t, p, bw, en) = (c.t, c.p, c.beats.bw, &c.ens.ribm[0]);
    let ((f, g), z10) = (c.fold, ku(0, 10)?);
    m.comment(&format!("riBM, folded: {g} processing elements over a ring of {f} slots; load in beat 1, group j of iteration i in beats 2({f}i+j)+2 (products registered), 2({f}i+j)+3 (update: the ring turns)"));
    let (up_next, busy) = two_beat_schedule(c, f)?;
    let up_q = m.reg_d("ribm_upq", &up_next, Some(en), Some(0))?;
    let strobes = Strobes {
        f: &c.ens.ribm_next[0],
        en,
        ld: (&c.fl[0], &c.fl[1]),
        up: (&up_next, &up_q),
    };
    let (ldv, upv, env) = strobes.regs(m, "")?;
    // the group at the head: 0 after the load, + 1 mod F on each update
    let fw = bits_for(f - 1);
    let fq = m.reg("ribm_fq", Ty::u(fw), Some(0))?;
    let lastg = m.wire("ribm_lastg", &fq.eq(&ku(f as i128 - 1, fw)?)?)?;
    let head0 = m.wire("ribm_head0", &fq.eq(&ku(0, fw)?)?)?;
    let fq_up = Expr::mux(&lastg, &ku(0, fw)?, &fq.add(&ku(1, fw)?)?)?;
    m.next(&fq, &Expr::mux(&ldv, &ku(0, fw)?, &fq_up)?, Some(&env))?;
    let reg10 = |m: &mut Module, name: String| m.reg(&name, Ty::u(10), None);
    let ring = |m: &mut Module, pfx: &str| -> Result<Vec<Expr>, RtlError> {
        (0..f * g).map(|i| reg10(m, format!("{pfx}{i}"))).collect()
    };
    let (delta, theta) = (ring(m, "delta")?, ring(m, "theta")?);
    let rows = |m: &mut Module, pfx: &str| -> Result<Vec<Expr>, RtlError> {
        (0..10).map(|k| reg10(m, format!("{pfx}{k}"))).collect()
    };
    let (drow, grow) = (rows(m, "d0row")?, rows(m, "gamrow")?);
    let kk = m.reg("kreg", Ty::u(7), None)?;
    let sw_c = nonzero(&delta[0])?.and(&kk.bit(6)?.not())?;
    let sw = m.reg_d("ribm_sw", &sw_c, Some(&head0), None)?;
    let ng = g.div_ceil(RIBM_GROUP);
    let spare = spare_beats(bw, &busy, ng - 1);
    let mut copies = vec![RibmGroup {
        ldv: ldv.clone(),
        upv: upv.clone(),
        env,
        sw: sw.clone(),
        drow,
        grow,
    }];
    for k in 1..ng {
        let sw_in = (&sw_c, Some(&head0));
        copies.push(ribm_group(m, c, k, spare[k - 1], &up_next, sw_in)?);
    }
    m.comment("the head slot's products; delta_(i+1) of its last element: slot 1's first, 0 in the last group");
    let mut nexts = Vec::new();
    let mut pr = Vec::new();
    for pos in 0..g {
        let gp = &copies[pos / RIBM_GROUP];
        let next = match pos + 1 < g {
            true => delta[pos + 1].clone(),
            false => m.wire("ribm_dn", &Expr::mux(&lastg, &z10, &delta[g])?)?,
        };
        let v = row_mul(&gp.grow, &next)?.xor(&row_mul(&gp.drow, &theta[pos])?)?;
        pr.push(m.reg_d(&format!("ribm_pr{pos}"), &v, None, None)?);
        nexts.push(next);
    }
    m.comment("the ring: slot j takes slot j+1 on an update, the last slot the updated head");
    for i in 0..f * g {
        let (slot, pos) = (i / g, i % g);
        let gp = &copies[pos / RIBM_GROUP];
        let init = match i < p {
            true => (syn[i].clone(), Load::Signal),
            false => (ku((i == 3 * t) as i128, 10)?, Load::Const),
        };
        let (du, tu) = match slot + 1 < f {
            true => (delta[i + g].clone(), theta[i + g].clone()),
            false => (
                pr[pos].clone(),
                Expr::mux(&gp.sw, &nexts[pos], &theta[pos])?,
            ),
        };
        ribm_next(m, gp, &delta[i], (&init.0, init.1), &du)?;
        ribm_next(m, gp, &theta[i], (&init.0, init.1), &tu)?;
    }
    // each copy's strobe of the iteration's last update beat
    let mut upl = Vec::new();
    for (k, gp) in copies.iter().enumerate() {
        let sfx = group_sfx(k);
        upl.push(m.wire(&format!("ribm_rowup{sfx}"), &gp.upv.and(&lastg)?)?);
    }
    folded_rows(m, c, &copies, (&pr[0], &head0, &upl), syn)?;
    let k_up = Expr::mux(&sw, &kk.not(), &kk.add(&ku(1, 7)?)?)?;
    let k_next = Expr::mux(&upl[0], &k_up, &kk)?;
    m.next(&kk, &Expr::mux(&ldv, &ku(0, 7)?, &k_next)?, None)?;
    Ok(delta[..3 * t + 1].to_vec())
}

/// The folded riBM's rows, per group copy: loaded with the syndrome `S_0`'s
/// (`delta_0 alpha^k`) and `alpha^k` (`gamma = 1`), and in an iteration's
/// last update beat `ribm_d0n alpha^k` (the next `delta_0`, `ribm_d0n`
/// loaded from the head's first product `pr0` when group 0 is updated) and
/// `gamma alpha^k` switched to the old `delta_0 alpha^k` when `sw`.
fn folded_rows(
    m: &mut Module,
    c: &Dec,
    copies: &[RibmGroup],
    (pr0, head0, upl): (&Expr, &Expr, &[Expr]),
    syn: &[Expr],
) -> Result<(), RtlError> {
    let gf = &c.gf;
    let d0n_en = copies[0].upv.and(head0)?;
    let d0n = m.reg_d("ribm_d0n", pr0, Some(&d0n_en), None)?;
    for k in 0..10 {
        let ak = gf.pow(k as i64);
        let l0 = cmul(m, gf, &format!("d0row{k}_ld"), &syn[0], ak)?;
        let st = cmul(m, gf, &format!("d0row{k}_up"), &d0n, ak)?;
        let g0 = ku(ak as i128, 10)?;
        for (j, gp) in copies.iter().enumerate() {
            let sfx = group_sfx(j);
            let d = Expr::mux(&upl[j], &st, &gp.drow[k])?;
            m.next(&gp.drow[k], &Expr::mux(&gp.ldv, &l0, &d)?, None)?;
            let gu = m.wire(
                &format!("gamrow{k}_u{sfx}"),
                &Expr::mux(&gp.sw, &gp.drow[k], &gp.grow[k])?,
            )?;
            let gn = Expr::mux(&upl[j], &gu, &gp.grow[k])?;
            m.next(&gp.grow[k], &Expr::mux(&gp.ldv, &g0, &gn)?, None)?;
        }
    }
    Ok(())
}

/// The name of copy `k` of register `name`: `name` itself for copy 0, else
/// `name_c{k}`.
fn copy_name(name: &str, k: usize) -> String {
    if k == 0 {
        name.to_string()
    } else {
        format!("{name}_c{k}")
    }
}

/// Chien / Forney term registers: `[copy][i]`, one copy per
/// [`CH_LANES_PER_COPY`] lanes.
type Terms = Vec<Vec<Expr>>;

/// One Chien / Forney term `name`: its load register `{name}_ldq` (`src`
/// times the constant `ldc`, registered every beat) and a register per copy
/// (`{name}`, `{name}_c{k}`, enabled by `ens[k]`): loaded in the slot's last
/// beat (the select needs no beat: the registers are enabled by it), else
/// multiplied by `step` every beat.
fn term_regs(
    m: &mut Module,
    c: &Dec,
    name: &str,
    src: &Expr,
    ldc: u16,
    step: u16,
    ens: &[Expr],
) -> Result<Vec<Expr>, RtlError> {
    let l0 = cmul(m, &c.gf, &format!("{name}_ld"), src, ldc)?;
    let l0 = m.reg_d(&format!("{name}_ldq"), &l0, Some(&c.ens.terms), None)?;
    let mut regs = Vec::new();
    for (k, ek) in ens.iter().enumerate() {
        let rn = copy_name(name, k);
        let r = m.reg(&rn, Ty::u(10), None)?;
        let st = cmul(m, &c.gf, &format!("{rn}_st"), &r, step)?;
        m.next(&r, &Expr::mux(&c.ll[0], &l0, &st)?, Some(ek))?;
        regs.push(r);
    }
    Ok(regs)
}

/// The degree `nu` of lambda, and the Chien and Forney term registers
/// `T_i` (lambda) and `O_i` (omega), stepped every beat: returns
/// `(nu, T, O)`. `nu` comes from the `T_i` (non-zero exactly when
/// `lambda_i` is): their non-zero flags and the priority encoder over them
/// are registered every beat, `nu` is loaded in beat 2 of the Chien slot.
fn chien_terms(m: &mut Module, c: &Dec, delta: &[Expr]) -> Result<(Expr, Terms, Terms), RtlError> {
    let (gf, n, t, p, s, nuw) = (&c.gf, c.n, c.t, c.p, c.s, c.nuw);
    let en = &c.ens.terms;
    m.comment("Chien / Forney terms: T_i = lambda_i alpha^(-i d), O_i = omega_i alpha^(-(i+2t) d), d = n-1-(first position of the beat)");
    m.comment("their loads are registered every beat (`_ldq`): the riBM state is final from beat B-2 (its last update is in beat B-3 or earlier: check_fit)");
    m.comment("one copy of the term registers per CH_LANES_PER_COPY lanes (ct{i}_c{k}, co{i}_c{k}: enabled by different functions of the input beat, so they stay copies)");
    let ens: Vec<Expr> = std::iter::once(en).chain(&c.ens.terms_c).cloned().collect();
    let ncopy = ens.len();
    let mut tt = vec![Vec::new(); ncopy];
    for i in 0..=t {
        let ldc = gf.pow(-((i * (n - 1)) as i64));
        let regs = term_regs(
            m,
            c,
            &format!("ct{i}"),
            &delta[t + i],
            ldc,
            gf.pow((i * s) as i64),
            &ens,
        )?;
        for (k, r) in regs.into_iter().enumerate() {
            tt[k].push(r);
        }
    }
    let mut om = vec![Vec::new(); ncopy];
    for (i, d) in delta.iter().enumerate().take(t) {
        let e = (i + p) as i64;
        let regs = term_regs(
            m,
            c,
            &format!("co{i}"),
            d,
            gf.pow(-e * (n as i64 - 1)),
            gf.pow(e * s as i64),
            &ens,
        )?;
        for (k, r) in regs.into_iter().enumerate() {
            om[k].push(r);
        }
    }
    m.comment("nu = degree of lambda: the highest non-zero T_i (registered every beat: the T_i stay non-zero or zero over the slot), loaded in beat 2");
    let mut deg = ku(0, nuw)?;
    for (i, ti) in tt[0].iter().enumerate().skip(1) {
        let nz = m.reg_d(&format!("ct{i}_nz"), &nonzero(ti)?, Some(en), None)?;
        deg = Expr::mux(&nz, &ku(i as i128, nuw)?, &deg)?;
    }
    let deg = m.reg_d("lambda_deg", &deg, Some(en), None)?;
    let l2 = m.wire("nua_ld", &en.and(&c.fl[2])?)?;
    let nua = m.reg_d("nua", &deg, Some(&l2), None)?;
    Ok((nua, tt, om))
}

/// Parts of lambda's even part in CH1 (summed in CH2 for the root test).
const LEV_PARTS: usize = 2;

/// Parts of `X^-2t omega(X^-1)` in CH1 (summed in CH2, tested for zero in
/// CH3): with two halves of 8 KP4 terms, each bit was an XOR over ~40 term
/// bits, 4 LUT levels with 5-6 ns of routing (design j, seeds 1 and 2).
const NUM_PARTS: usize = 4;

/// CH1 registers `r1_{name}_{k}`: the sums `terms` (never empty: lambda's
/// even part has `lambda_0`, omega has `t >= 1` terms) split into `parts`
/// consecutive runs (fewer when there are fewer terms), each an XOR network
/// `{name}_{k}` registered on `en`.
fn ch1_parts(
    m: &mut Module,
    sp: &mut LinSpace,
    name: &str,
    terms: &[Lin],
    parts: usize,
    en: &Expr,
) -> Result<Vec<Expr>, RtlError> {
    let run = terms.len().div_ceil(parts).max(1);
    let mut regs = Vec::new();
    for (k, chunk) in terms.chunks(run).enumerate() {
        let mut l = Lin::zero();
        for x in chunk {
            l.xor_in(x);
        }
        let w = sp.emit(m, &format!("{name}_{k}"), &l)?;
        regs.push(m.reg_d(&format!("r1_{name}_{k}"), &w, Some(en), None)?);
    }
    Ok(regs)
}

/// What the Chien search and Forney stages give per lane and beat, [`CH`]
/// beats into the codeword's Chien slot.
struct ChienForney {
    /// error values (zero off the roots)
    e: Vec<Expr>,
    /// the position is a root of lambda
    root: Vec<Expr>,
    /// Forney failed at a root (zero value or denominator)
    fail: Vec<Expr>,
}

/// Stages CH1 (evaluation of lambda's even and odd parts and of omega in
/// two halves per lane), CH2 (their sums, root test, zero tests,
/// inverse-table read), CH3 (the table's output register), CH4 (the
/// table's word in a fabric register) and CH5 (the product: the error
/// values at the roots).
fn chien_forney(
    m: &mut Module,
    c: &Dec,
    mul: &Module,
    inv: &[Module],
    tt: &Terms,
    om: &Terms,
) -> Result<ChienForney, RtlError> {
    let (gf, p, s, pad) = (&c.gf, c.p, c.s, c.pad);
    let en = &c.ens.ch;
    let z10 = ku(0, 10)?;
    m.comment("stage CH1, per lane: the odd part of lambda(X^-1), its even part in LEV_PARTS parts, X^-2t omega(X^-1) in NUM_PARTS parts");
    let mut sp = LinSpace::new();
    let mut lts = Vec::new();
    let mut los = Vec::new();
    for (tk, ok) in tt.iter().zip(om) {
        let lt: Vec<Lin> = tk.iter().map(|e| sp.symbol(e)).collect::<Result<_, _>>()?;
        let lo: Vec<Lin> = ok.iter().map(|e| sp.symbol(e)).collect::<Result<_, _>>()?;
        lts.push(lt);
        los.push(lo);
    }
    let mut r1 = Vec::new();
    for l in 0..s {
        let (lt, lo) = (&lts[l / CH_LANES_PER_COPY], &los[l / CH_LANES_PER_COPY]);
        let mut even = Vec::new();
        let mut odd = Lin::zero();
        for (i, x) in lt.iter().enumerate() {
            let v = x.mul(gf, gf.pow((i * l) as i64));
            if i % 2 == 1 {
                odd.xor_in(&v);
            } else {
                even.push(v);
            }
        }
        let num: Vec<Lin> = lo
            .iter()
            .enumerate()
            .map(|(i, x)| x.mul(gf, gf.pow(((i + p) * l) as i64)))
            .collect();
        let odd = sp.emit(m, &format!("den{l}"), &odd)?;
        let den = m.reg_d(&format!("r1_den{l}"), &odd, Some(en), None)?;
        let lev = ch1_parts(m, &mut sp, &format!("lev{l}"), &even, LEV_PARTS, en)?;
        let num = ch1_parts(m, &mut sp, &format!("num{l}"), &num, NUM_PARTS, en)?;
        let lam = m.wire(&format!("r1_lam{l}"), &xor_all(lev)?.xor(&den)?)?;
        let num = m.wire(&format!("r1_num{l}"), &xor_all(num)?)?;
        r1.push((lam, den, num));
    }

    m.comment("stage CH2: roots, zero value or denominator, 1/den from the inverse table (two lanes a table)");
    let mut iv2 = Vec::new();
    for l in 0..s {
        iv2.push(m.wire_decl(&format!("inv{l}"), Ty::u(10))?);
    }
    for l in (0..s).step_by(2) {
        let mut conns = vec![
            ("clk", &c.clk),
            ("en", en),
            ("a0", &r1[l].1),
            ("y0", &iv2[l]),
        ];
        let table = if l + 1 < s {
            conns.push(("a1", &r1[l + 1].1));
            conns.push(("y1", &iv2[l + 1]));
            &inv[0]
        } else {
            // an odd S: the last lane has the one-port table (listed last)
            &inv[inv.len() - 1]
        };
        m.instance(table, &format!("u_inv{}", l / 2), &conns)?;
    }
    let mut r2 = Vec::new();
    for (l, (lam, den, num)) in r1.iter().enumerate() {
        let mut root = lam.eq(&z10)?;
        if l >= s - pad {
            root = root.and(&c.ll[1].not())?;
        }
        let root = m.reg_d(&format!("r2_root{l}"), &root, Some(en), None)?;
        let zero = m.reg_d(&format!("r2_dzero{l}"), &den.eq(&z10)?, Some(en), None)?;
        let num = m.reg_d(&format!("r2_num{l}"), num, Some(en), None)?;
        r2.push((root, zero, num));
    }

    m.comment(
        "stage CH3: the table's output register (inside the table); zero value or denominator",
    );
    let mut r3 = Vec::new();
    for (l, (root, zero, num)) in r2.iter().enumerate() {
        let root = m.reg_d(&format!("r3_root{l}"), root, Some(en), None)?;
        let zero = zero.or(&num.eq(&z10)?)?;
        let zero = m.reg_d(&format!("r3_zero{l}"), &zero, Some(en), None)?;
        let num = m.reg_d(&format!("r3_num{l}"), num, Some(en), None)?;
        r3.push((root, zero, num));
    }

    m.comment("stage CH4: the table's word in a fabric register");
    let mut r4 = Vec::new();
    for (l, (root, zero, num)) in r3.iter().enumerate() {
        let iv = m.reg_d(&format!("r4_inv{l}"), &iv2[l], Some(en), None)?;
        let root = m.reg_d(&format!("r4_root{l}"), root, Some(en), None)?;
        let zero = m.reg_d(&format!("r4_zero{l}"), zero, Some(en), None)?;
        let num = m.reg_d(&format!("r4_num{l}"), num, Some(en), None)?;
        r4.push((root, zero, num, iv));
    }

    m.comment("stage CH5: e = X^-2t omega(X^-1) / lambda_odd(X^-1) at the roots; zero value or denominator fails");
    let mut cf = ChienForney {
        e: Vec::new(),
        root: Vec::new(),
        fail: Vec::new(),
    };
    for (l, (root, zero, num, iv)) in r4.iter().enumerate() {
        let e = gmul(m, mul, &format!("ev{l}"), num, iv)?;
        cf.e.push(m.reg_d(
            &format!("r5_e{l}"),
            &Expr::mux(root, &e, &z10)?,
            Some(en),
            None,
        )?);
        cf.root
            .push(m.reg_d(&format!("r5_root{l}"), root, Some(en), None)?);
        cf.fail
            .push(m.reg_d(&format!("r5_fail{l}"), &root.and(zero)?, Some(en), None)?);
    }
    Ok(cf)
}

/// The decision on a codeword, loaded in beat `EV+3` of the slot after its
/// error stream (`fl[EV+3]`).
struct Decision {
    /// the registered decision: uncorrectable
    dec_unc: Expr,
    /// the registered decision: corrected symbols
    dec_nu: Expr,
    /// the counters' increments ([`StatInc`]): wire decodes of the
    /// statistics' bin `dec_bin`, which is registered at the decision
    inc: StatInc,
    /// a decision of a real codeword (not the pipeline filling)
    real: Expr,
    /// sticky: a real decision was made (the output is valid)
    dv: Expr,
}

/// The statistics' increments for one decision: decodes of the bin
/// registered at the decision (`dec_bin`), registered again by the counters
/// (`{counter}_inc`) a clock later. Designs j and k registered each
/// increment at the decision from the checks' OR: a LUT, a 3.3 ns route to
/// the increments beside their counters, then two more LUTs (KP4 S = 8,
/// design k, seed 1). The bin's decodes, which ABC chains into 4 LUT levels,
/// are now the worst path of some seeds (docs/rtl-fec.md, "What limits Fmax
/// now"). Registering them again beside the bin, and predecoding the bin in
/// halves so that every increment is one LUT from a register (designs o and
/// q, 3c33150), took them off every seed's worst path but lowered the
/// chain's median Fmax (docs/rtl-fec.md, "Session 14").
struct StatInc {
    /// corrected, at least one symbol
    ccw: Expr,
    /// corrected symbols (0 if uncorrectable)
    cs: Expr,
    /// uncorrectable
    unc: Expr,
    /// one-hot histogram bin: `i` corrected symbols, `t+1` uncorrectable
    hist: Vec<Expr>,
}

/// The checks (residual syndromes, root count against `nu`, Forney
/// failures), registered in beat `EV+2` of the next slot (`fl[EV+2]`), and
/// the decision register, loaded in beat `EV+3`.
fn decision(
    m: &mut Module,
    c: &Dec,
    cf: &ChienForney,
    sb: &[Expr],
    nua: &Expr,
    full: &Expr,
) -> Result<Decision, RtlError> {
    let en = &c.ens.check;
    m.comment("residual syndromes: syndromes of the error word (its own input register es_in), compared with S_j in the next slot's beat EV+1");
    let mut e_in = Vec::new();
    for (k, f) in std::iter::once(en).chain(&c.ens.es).enumerate() {
        let v: Vec<Expr> =
            cf.e.iter()
                .enumerate()
                .map(|(l, e)| m.reg_d(&copy_name(&format!("es_in{l}"), k), e, Some(f), None))
                .collect::<Result<_, _>>()?;
        e_in.push(v);
    }
    let firsts = restart_copies(m, c, EV + 1, &c.ens.es_first, "es")?;
    let eacc = syndromes(m, &c.gf, "es", &e_in, SYN_GROUP, &firsts, en, c.p, c.pad)?;
    let f4 = m.wire("fch1", &en.and(&c.fl[EV + 1])?)?;
    let mut res = Vec::new();
    for j in 0..c.p {
        let sc = m.reg_d(&format!("sc{j}"), &sb[j], Some(&f4), None)?;
        let bad = eacc[j].eq(&sc)?.not();
        res.push(m.reg_d(&format!("res{j}"), &bad, Some(&f4), None)?);
    }

    m.comment("root count over positions 0..n and Forney failures (registered three times, aligned with the residual check)");
    let cw = 10;
    let pw = bits_for(c.s);
    let pc = m.reg_d("roots_beat", &count_ones(&cf.root, pw)?, Some(en), None)?;
    let fb = m.reg_d("fail_beat", &or_all(cf.fail.clone())?, Some(en), None)?;
    let pc = m.reg_d("roots_beat2", &pc, Some(en), None)?;
    let fb = m.reg_d("fail_beat2", &fb, Some(en), None)?;
    let pc = m.reg_d("roots_beat3", &pc, Some(en), None)?;
    let fb = m.reg_d("fail_beat3", &fb, Some(en), None)?;
    let st = &c.fl[EV + 2];
    let cnt = m.reg("roots", Ty::u(cw), None)?;
    let sum = Expr::mux(st, &ku(0, cw)?, &cnt)?.add(&pc.ext(cw)?)?;
    m.next(&cnt, &sum, Some(en))?;
    let fa = m.reg("fail_ev", Ty::BIT, None)?;
    let fa_in = Expr::mux(st, &ku(0, 1)?, &fa)?;
    m.next(&fa, &fa_in.or(&fb)?, Some(en))?;

    m.comment("the checks of the previous codeword, in beat EV+2 (nub: nu of the codeword in the error stream)");
    let q = m.wire("chk_ld", &en.and(st)?)?;
    let nub = m.reg_d("nub", nua, Some(&q), None)?;
    let nub_e = m.wire("nub_e", &nub.ext(cw)?)?;
    let rc_bad = m.reg_d("rc_bad", &cnt.eq(&nub_e)?.not(), Some(&q), None)?;
    let fa_bad = m.reg_d("fa_bad", &fa, Some(&q), None)?;
    let res_bad = m.reg_d("res_bad", &or_all(res)?, Some(&q), None)?;
    let nu = m.reg_d("nuc", &nub, Some(&q), None)?;
    let unc = m.wire("unc", &rc_bad.or(&fa_bad)?.or(&res_bad)?)?;

    m.comment("decision, in beat EV+3 (its own copy of the input beat)");
    let dl = m.wire("dec_ld", &c.ens.dec.and(&c.fl[EV + 3])?)?;
    let dec_unc = m.reg_d("dec_unc", &unc, Some(&dl), None)?;
    let dec_nu = m.reg_d("dec_nu", &nu, Some(&dl), None)?;
    let (t, nuw) = (c.t, c.nuw);
    m.comment("the statistics' bin: i corrected symbols, t+1 uncorrectable; the increments are decodes of it");
    let bin = m.reg_d(
        "dec_bin",
        &Expr::mux(&unc, &ku(t as i128 + 1, nuw)?, &nu)?,
        Some(&dl),
        None,
    )?;
    let unc_bin = m.wire("dec_bin_unc", &bin.eq(&ku(t as i128 + 1, nuw)?)?)?;
    let inc = StatInc {
        ccw: m.wire("dec_ccw", &unc_bin.not().and(&nonzero(&bin)?)?)?,
        cs: m.wire("dec_cs", &Expr::mux(&unc_bin, &ku(0, nuw)?, &bin)?)?,
        unc: unc_bin.clone(),
        hist: (0..t + 2)
            .map(|i| m.wire(&format!("dec_hist{i}"), &bin.eq(&ku(i as i128, nuw)?)?))
            .collect::<Result<_, _>>()?,
    };
    let real = m.wire("dec_real", &dl.and(full)?)?;
    let dv = m.reg("dec_valid", Ty::BIT, Some(0))?;
    m.next(&dv, &dv.or(&real)?, None)?;
    Ok(Decision {
        dec_unc,
        dec_nu,
        inc,
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

/// The statistics counters, advanced two clocks after every real decision
/// by increments registered in the clock between, beside each counter, from
/// the decodes of the decision's bin ([`StatInc`]): no logic sits between
/// those registers and the counters spread over the die.
fn statistics(m: &mut Module, d: &Decision) -> Result<Statistics, RtlError> {
    let i = &d.inc;
    m.comment(
        "statistics (wrapping counters), two clocks after the decision, from increments registered from the decision's",
    );
    let real1 = m.reg_d("st_real1", &d.real, None, Some(0))?;
    let ld = &real1;
    let real = m.reg_d("st_real", &real1, None, Some(0))?;
    let counter = |m: &mut Module, name: &str, inc: &Expr| -> Result<Expr, RtlError> {
        let r = m.reg(name, Ty::u(COUNTER_BITS), Some(0))?;
        let iq = m.reg_d(&format!("{name}_inc"), inc, Some(ld), None)?;
        let next = r.add(&iq.ext(COUNTER_BITS)?)?;
        m.next(&r, &next, Some(&real))?;
        Ok(r)
    };
    let c_cw = m.reg("st_codewords", Ty::u(COUNTER_BITS), Some(0))?;
    m.next(&c_cw, &c_cw.add(&ku(1, COUNTER_BITS)?)?, Some(&real))?;
    let c_ccw = counter(m, "st_corrected_codewords", &i.ccw)?;
    let c_cs = counter(m, "st_corrected_symbols", &i.cs)?;
    let c_unc = counter(m, "st_uncorrectable", &i.unc)?;
    let hist = i
        .hist
        .iter()
        .enumerate()
        .map(|(k, h)| counter(m, &format!("st_hist{k}"), h))
        .collect::<Result<_, _>>()?;
    Ok(Statistics {
        codewords: c_cw,
        corrected_codewords: c_ccw,
        corrected_symbols: c_cs,
        uncorrectable: c_unc,
        hist,
    })
}

/// Beats of the received word's delay line for `b` beats a codeword
/// (`3B + EV + 3`); a fabric register and the output register follow it.
/// `rxdsp_rs_rx`'s reference path mirrors it.
pub fn received_delay(b: usize) -> usize {
    3 * b + EV + 3
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
    let en = &c.ens.out;
    m.comment(
        "delay lines (ring buffers in block RAM read through two registers, then a fabric register): received word 3B+EV+3 beats, error values B+EV-CH+3 beats",
    );
    let xin = m.wire("din", &pack(xm)?)?;
    let rq = bram::delay_line(m, c.form, &c.clk, "dr", &xin, en, received_delay(b))?;
    let rd = m.reg_d("dr_f", &rq, Some(en), None)?;
    let ein = m.wire("ein", &pack(&cf.e)?)?;
    let eq = bram::delay_line(m, c.form, &c.clk, "de", &ein, en, b + EV - CH + 3)?;
    let ed = m.reg_d("de_f", &eq, Some(en), None)?;

    m.comment("output: corrected unless uncorrectable");
    let corr = rd.xor(&ed)?;
    let od = m.reg_d(
        "o_data",
        &Expr::mux(&d.dec_unc, &rd, &corr)?,
        Some(en),
        None,
    )?;
    let olast = m.reg_d("o_last", &c.ll[EV + 4], Some(en), None)?;
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
