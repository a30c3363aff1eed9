//! The Reed-Solomon decoder chain inside the device top (`rxdsp_top` with
//! `tx.fec`): the gearbox and decoder (`rxdsp_rs_rx`) listen to every
//! decided word the equalizer hands on, beside the stream to the host, and
//! fill the `fec` register block (docs/registers.md, docs/device.md).
//!
//! * Alignment: `fec.sof_index` names the equalizer output symbol (counted
//!   from 0 after `eq_reset`) that starts the first codeword; the marker is
//!   [`super::chain::sof_marker`], as in `rxdsp_eq_fec`.
//! * A pipeline register sits between the equalizer's output handshake and
//!   the gearbox (the gearbox never refuses a word once `5S > P`; a word that
//!   came while it did would set the sticky `lost` bit of `fec.status`).
//! * Counters: the decoder's own 32-bit statistics (`stat_*`), each extended
//!   to 64 bits by a high word that counts its wraps (a wrap is the top bit
//!   falling; the statistics grow by at most `t` a codeword, so none is
//!   missed), then held copies that stop at codeword `fec.limit` (0: never):
//!   the decoder advances only on input beats, so a stream is followed by
//!   padding that flushes its last codewords out, and the padding's own
//!   codewords must not count. They clear with `eq_reset`, as the decoder
//!   does.
//! * `fec.digest`: a 32-bit digest of everything the decoder outputs, so the
//!   host can check the device's decoded data without receiving it: for
//!   every output beat, `digest = rotl(digest, 1) ^ fold(w)`, where `w` is
//!   the beat's `10S` data bits, on the last beat of a codeword with
//!   `corrected | uncorrectable << 31` XORed into its low 32 bits, and `fold`
//!   XORs the 32-bit chunks of `w` (zero-extended), over the first
//!   `fec.limit` codewords out (all when 0). `golden::fec::decode_aligned`
//!   computes the same from the golden decoder.

use super::chain::{sof_marker, SOF_BITS};
use super::hdl_util::{delay_line, ku, OutWires};
use super::FecParams;
use crate::csr::RegMap;
use crate::hdl::{Expr, Module, Ty};
use crate::RtlError;
use proto::regmap::{FEC_COUNTERS, FEC_REF_COUNTERS};

/// The wires of the `fec` registers in the device top.
#[derive(Clone)]
pub(crate) struct FecRegs {
    /// `fec.sof_index` (a CSR output)
    sof_index: Expr,
    /// `fec.limit` (a CSR output)
    limit: Expr,
    /// `fec.status`
    status: Expr,
    /// `fec.digest`
    digest: Expr,
    /// the 64-bit counters, in [`FEC_COUNTERS`] order, then the histogram bins
    counters: Vec<(String, Expr)>,
    /// the reference counters ([`FEC_REF_COUNTERS`], with the BER tester)
    refs: Vec<(String, Expr)>,
}

/// Declares the wires of the `fec` registers (their widths are the map's).
pub(crate) fn regs(m: &mut Module, map: &RegMap) -> Result<FecRegs, RtlError> {
    let width = |reg: &str| crate::csr::map_reg(map, reg).map(|r| r.width);
    let sof_index = m.wire_decl("q_fec_sof_index", Ty::u(width("fec.sof_index")?))?;
    let limit = m.wire_decl("q_fec_limit", Ty::u(width("fec.limit")?))?;
    let status = m.wire_decl("fec_status", Ty::u(width("fec.status")?))?;
    let digest = m.wire_decl("fec_digest", Ty::u(width("fec.digest")?))?;
    let mut counters = Vec::new();
    let hist = map
        .regs()
        .filter(|r| r.name.starts_with("fec.hist"))
        .map(|r| r.name.clone());
    let names: Vec<String> = FEC_COUNTERS
        .iter()
        .map(|(n, _)| format!("fec.{n}"))
        .chain(hist)
        .collect();
    for n in names {
        let w = m.wire_decl(&format!("{}_w", n.replace('.', "_")), Ty::u(width(&n)?))?;
        counters.push((n, w));
    }
    let mut refs = Vec::new();
    for (n, _) in FEC_REF_COUNTERS {
        let n = format!("fec.{n}");
        if map.reg(&n).is_some() {
            let w = m.wire_decl(&format!("{}_w", n.replace('.', "_")), Ty::u(width(&n)?))?;
            refs.push((n, w));
        }
    }
    Ok(FecRegs {
        refs,
        sof_index,
        limit,
        status,
        digest,
        counters,
    })
}

impl FecRegs {
    /// The CSR block's output connections (port name, wire).
    pub(crate) fn csr_outputs(&self) -> Vec<(String, Expr)> {
        vec![
            ("q_fec_sof_index".into(), self.sof_index.clone()),
            ("q_fec_limit".into(), self.limit.clone()),
        ]
    }

    /// The source of a status or snapshot register of the `fec` block.
    pub(crate) fn status_source(&self, reg: &str) -> Option<Expr> {
        match reg {
            "fec.status" => Some(self.status.clone()),
            "fec.digest" => Some(self.digest.clone()),
            n => self
                .counters
                .iter()
                .chain(&self.refs)
                .find(|(c, _)| c == n)
                .map(|(_, e)| e.clone()),
        }
    }
}

/// The device-side signals the decoder chain listens to.
pub(crate) struct Tap<'a> {
    /// clock
    pub clk: &'a Expr,
    /// the equalizer's reset (power-on or `eq_reset`)
    pub rst: &'a Expr,
    /// a copy of `rst` of its own for the decoder chain's instance
    pub chain_rst: &'a Expr,
    /// a decided word is handed on this cycle (equalizer valid and ready)
    pub take: &'a Expr,
    /// the equalizer's decided data symbols
    pub data: &'a Expr,
    /// the BER tester's reference (the device has the tester)
    pub reference: Option<RefTap<'a>>,
}

/// The transmitted side the reference counters compare with: the
/// checker's aligned transmitted data ([`crate::check::REF_LATENCY`]
/// registers after the decided word).
pub(crate) struct RefTap<'a> {
    /// `m_ref_tdata`
    pub data: &'a Expr,
    /// `m_ref_tvalid`
    pub valid: &'a Expr,
    /// `emu.source`: the checker takes the decided words
    pub source: &'a Expr,
}

/// Instantiates `rx` (`rxdsp_rs_rx` for `f`) on the equalizer's decided
/// words and drives the `fec` register wires of `r`.
pub(crate) fn instantiate(
    m: &mut Module,
    rx: &Module,
    f: &FecParams,
    parallel: usize,
    r: &FecRegs,
    tap: &Tap,
) -> Result<(), RtlError> {
    m.comment("RS decoder chain: start-of-codeword marker from the decided-word count");
    if r.sof_index.width() != SOF_BITS {
        return Err(RtlError::Param {
            name: "fec.sof_index width",
            value: r.sof_index.width() as i64,
            why: format!("the marker takes {SOF_BITS} bits"),
        });
    }
    // `fec.limit` registered here: its compares gate the counters' enables,
    // and came from the CSR block's register across the die (~100 end
    // points above 14 ns on 84e5677's placement)
    let r = &FecRegs {
        limit: m.reg_d("fec_limit_q", &r.limit, None, None)?,
        ..r.clone()
    };
    let zero = |w: u32| ku(0, w);
    // with the tester, the decided word goes through as many registers as
    // the checker's word to its reference output (REF_LATENCY: these and
    // the pipeline register below)
    let wait = tap
        .reference
        .as_ref()
        .map_or(0, |_| crate::check::REF_LATENCY - 1);
    let (mut data, mut take) = (tap.data.clone(), tap.take.clone());
    let mut marker_take = take.clone();
    if wait > 0 {
        // the first of them before the marker: the beat counter then
        // counts a register, not the equalizer's valid and its ready (the
        // tester's routing and the bridge's slice) from across the die
        m.comment("RS decoder chain: the decided word registered before the marker");
        let t = m.wire("fec_tap_take_in", &Expr::mux(tap.rst, &zero(1)?, &take)?)?;
        // in two kept copies (the same value on every clock): `_k1` is the
        // marker's, placed by the beat counter and its flag, `_k0` feeds the
        // wait line and the valids; one register had fed them all and
        // crossed to the flag's compare (`fec_tap_take -> sof_here`, 19.1 ns
        // placed on eec47f6)
        let takes = m.reg_copies("fec_tap_take", &t, None, Some(0), 2)?;
        take = takes[0].clone();
        marker_take = takes[1].clone();
        data = m.reg_d("fec_tap_data", &data, None, None)?;
    }
    let mut user = sof_marker(m, &marker_take, &r.sof_index, tap.rst, parallel)?;
    let wait = wait.saturating_sub(1);
    if wait > 0 {
        m.comment(&format!(
            "RS decoder chain: {wait} registers more, so the decided word meets the checker's reference"
        ));
        data = delay_line(m, "fec_wait_data", &data, None, wait)?;
        user = delay_line(m, "fec_wait_user", &user, None, wait)?;
        let t = m.wire("fec_wait_take_in", &Expr::mux(tap.rst, &zero(1)?, &take)?)?;
        take = delay_line(m, "fec_wait_take", &t, None, wait)?;
    }
    m.comment("RS decoder chain: pipeline register, then the gearbox and the decoder");
    let d_q = m.reg_d("fec_in_data", &data, None, None)?;
    let u_q = m.reg_d("fec_in_user", &user, None, None)?;
    // two copies of the valid: the chain's (by its gearbox, in a corner of
    // the die) and the status logic's here, each masked by its own reset
    // copy, so Yosys cannot share one LUT between them (a shared one sat by
    // the status logic, and the chain's copy was 18.8 ns placed on 38747de)
    let v_chain_in = m.wire(
        "fec_in_valid_c",
        &Expr::mux(tap.chain_rst, &zero(1)?, &take)?,
    )?;
    // kept, as the reference's copy is: from the same input Yosys had
    // merged this copy into that one, and the one register fed both
    // gearboxes, 40 rows apart, from across the die
    // (`fec_in_valid_k2 -> u_gearbox`, 20.2 ns placed on 5df8290)
    let v_chain = &m.kept_reg("fec_in_valid_k0", Ty::BIT, Some(0))?;
    m.next(v_chain, &v_chain_in, None)?;
    // and with the tester a kept copy for the chain's reference gearbox,
    // apart from the received side's
    let v_ref = match tap.reference {
        Some(_) => {
            let v = m.kept_reg("fec_in_valid_k2", Ty::BIT, Some(0))?;
            m.next(&v, &v_chain_in, None)?;
            Some(v)
        }
        None => None,
    };
    let v_in = m.wire("fec_in_valid_d", &Expr::mux(tap.rst, &zero(1)?, &take)?)?;
    let v_q = &m.reg_d("fec_in_valid_k1", &v_in, None, Some(0))?;
    let outs = OutWires::declare(m, rx, "fec", "u_fec", &[])?;
    let get = |n: &str| outs.get(n);
    let mut conns: Vec<(&str, &Expr)> = vec![
        ("clk", tap.clk),
        ("rst", tap.chain_rst),
        ("s_axis_tdata", &d_q),
        ("s_axis_tuser", &u_q),
        ("s_axis_tvalid", v_chain),
    ];
    // the checker's reference is a register at the cycle `fec_in_data` is
    if let (Some(rt), Some(v)) = (&tap.reference, &v_ref) {
        conns.push(("s_ref_tdata", rt.data));
        conns.push(("s_ref_tvalid", v));
    }
    for (n, e) in outs.conns() {
        conns.push((n, e));
    }
    m.instance(rx, "u_fec", &conns)?;

    m.comment("RS decoder chain: status (aligned, sticky lost word, the decoder's sticky alignment error)");
    let lost = m.reg("fec_lost", Ty::BIT, Some(0))?;
    // the chain's ready registered (with the valid it meets): it came from
    // the gearbox's corner of the die (18.8 ns placed on 38747de); the
    // sticky flag sets a clock later
    let ready_q = m.reg_d("fec_ready_q", &get("s_axis_tready")?, None, None)?;
    let v_qq = m.reg_d("fec_in_valid_q", v_q, None, Some(0))?;
    let lost_now = v_qq.and(&ready_q.not())?;
    m.next(
        &lost,
        &Expr::mux(tap.rst, &zero(1)?, &lost.or(&lost_now)?)?,
        None,
    )?;
    let lw = r.limit.width();
    let unlimited = m.wire("fec_unlimited", &r.limit.eq(&ku(0, lw)?)?)?;
    let c = Ctx {
        f,
        get: &get,
        r,
        rst: tap.rst,
        unlimited: &unlimited,
    };
    let out_open = digest(m, &c)?;
    counters(m, &c)?;
    let ref_err = match &tap.reference {
        Some(rt) => {
            // the decided word and the checker's reference enter together
            let apart = rt.source.and(&v_q.eq(rt.valid)?.not())?;
            let e = m.reg("fec_ref_apart", Ty::BIT, Some(0))?;
            m.next(&e, &Expr::mux(tap.rst, &zero(1)?, &e.or(&apart)?)?, None)?;
            references(m, &c, &out_open)?;
            // registered here, as the chain's other flags below: the
            // gearbox's flag entered the CSR's read groups from its corner
            // (19.3 ns placed on 38747de)
            let chain = m.reg_d("fec_ref_err_q", &get("ref_err")?, None, None)?;
            e.or(&chain)?
        }
        None => zero(1)?,
    };
    m.comment("RS decoder chain: done = the limit's codewords out and counted");
    // the output codeword count has the limit's width
    let reached = unlimited.not().and(&out_open.count.lt(&r.limit)?.not())?;
    let done = delay_line(m, "fec_done", &reached, None, REF_STAGES + 1)?;
    // each bit where proto::regmap::fec_status puts it
    use proto::regmap::fec_status as fs;
    let mut bits = vec![zero(1)?; r.status.width() as usize];
    // the chain's own flags registered here: the gearbox sits in a corner
    // of the die, the CSR block's read multiplexer in the middle
    let aligned = m.reg_d("fec_aligned_q", &get("aligned")?, None, None)?;
    let align_err = m.reg_d("fec_align_err_q", &get("err_align")?, None, None)?;
    for (mask, v) in [
        (fs::ALIGNED, aligned),
        (fs::LOST, lost),
        (fs::ALIGN_ERR, align_err),
        (fs::REF_ERR, ref_err),
        (fs::DONE, done),
    ] {
        let at = mask.trailing_zeros() as usize;
        let slot = bits.get_mut(at).ok_or(RtlError::Param {
            name: "fec.status width",
            value: at as i64,
            why: "narrower than its bits (proto::regmap::fec_status)".into(),
        })?;
        *slot = v;
    }
    m.assign(&r.status, &Expr::pack_lsb_first(&bits)?)
}

/// Register stages from a decoded beat to the reference counters.
const REF_STAGES: usize = 3;

/// The output codeword count and whether the current output beat counts.
struct OutOpen {
    /// codewords out so far (all of them)
    count: Expr,
    /// the current output beat is within the first `fec.limit` codewords
    open: Expr,
}

/// The reference counters ([`FEC_REF_COUNTERS`]): symbol errors at the
/// decoder's input, post-FEC bit errors and miscorrected codewords at its
/// output, over the first `fec.limit` codewords.
fn references(m: &mut Module, c: &Ctx, out: &OutOpen) -> Result<(), RtlError> {
    let (f, get, r, rst) = (c.f, c.get, c.r, c.rst);
    let named = |n: &str| -> Result<Expr, RtlError> {
        r.refs
            .iter()
            .find(|(x, _)| x == &format!("fec.{n}"))
            .map(|(_, e)| e.clone())
            .ok_or_else(|| RtlError::Param {
                name: "fec reference counters",
                value: 0,
                why: format!("the register map has no fec.{n}"),
            })
    };
    let [sym_w, bit_w, mis_w] = FEC_REF_COUNTERS.map(|(n, _)| named(n));
    let lw = r.limit.width();
    let z64 = ku(0, 64)?;
    let counter = |m: &mut Module, name: &str, inc: &Expr, en: &Expr| -> Result<Expr, RtlError> {
        let q = m.reg(name, Ty::u(64), Some(0))?;
        let inc = if inc.width() < 64 {
            inc.ext(64)?
        } else {
            inc.clone()
        };
        let n = Expr::mux(en, &q.add(&inc)?, &q)?;
        m.next(&q, &Expr::mux(rst, &z64, &n)?, None)?;
        Ok(q)
    };
    m.comment("RS decoder chain: symbols received in error, per input codeword up to fec.limit");
    let iv = get("ref_in_valid")?;
    let n_in = m.reg("fec_ref_in_codewords", Ty::u(lw), Some(0))?;
    let ends = iv.and(&get("ref_in_last")?)?;
    let nn = Expr::mux(&ends, &n_in.add(&ku(1, lw)?)?, &n_in)?;
    m.next(&n_in, &Expr::mux(rst, &ku(0, lw)?, &nn)?, None)?;
    let in_open = c.unlimited.or(&n_in.lt(&r.limit)?)?;
    let e = m.wire("fec_ref_in_en", &iv.and(&in_open)?)?;
    // the beat's count, gated and registered: the codeword limit's compare
    // and the 64-bit adder are two paths (ref_in_errors -> the counter was
    // 17-20 ns placed on 8fabfd5); the counter runs a clock behind
    let ne = get("ref_in_errors")?;
    let gated = Expr::mux(&e, &ne, &ku(0, ne.width())?)?;
    let ne_q = m.reg_d("fec_ref_in_errors_q", &gated, None, Some(0))?;
    let sym = counter(m, "fec_ref_symbol_errors", &ne_q, &ku(1, 1)?)?;
    m.assign(&sym_w?, &sym)?;

    m.comment("RS decoder chain: decoded message bits against the transmitted ones");
    let s = f.symbols;
    let k = f.code.k();
    let b = super::beats(f.code, s);
    let bb = super::hdl_util::bits_for(b - 1);
    let ov = get("m_axis_tvalid")?;
    let ol = get("m_axis_tlast")?;
    let ob = m.reg("fec_ref_out_beat", Ty::u(bb), Some(0))?;
    let obn = Expr::mux(&ol, &ku(0, bb)?, &ob.add(&ku(1, bb)?)?)?;
    let obe = m.wire("fec_ref_out_beat_en", &ov.or(rst)?)?;
    m.next(&ob, &Expr::mux(rst, &ku(0, bb)?, &obn)?, Some(&obe))?;
    let x = m.wire(
        "fec_ref_x",
        &get("m_axis_tdata")?.xor(&get("m_axis_tref")?)?,
    )?;
    // lane l of beat ob is a message symbol when ob S + l < k
    let mut lanes = Vec::new();
    for l in 0..s {
        let limit_beat = (k - l).div_ceil(s); // ob < limit_beat
        let msg = ob.lt(&ku(limit_beat as i128, bb)?)?;
        let hi = 10 * l as u32 + 9;
        let v = Expr::mux(&msg, &x.slice(hi, hi - 9)?, &ku(0, 10)?)?;
        lanes.push(v);
    }
    let x1 = m.reg_d("fec_ref_x1", &Expr::pack_lsb_first(&lanes)?, None, None)?;
    let v1 = m.reg_d("fec_ref_v1", &ov, None, Some(0))?;
    let l1 = m.reg_d("fec_ref_l1", &ol, None, Some(0))?;
    let u1 = m.reg_d("fec_ref_u1", &get("m_cw_uncorrectable")?, None, Some(0))?;
    let o1 = m.reg_d("fec_ref_o1", &out.open, None, Some(0))?;
    let mut pops = Vec::new();
    for l in 0..s as u32 {
        let bits: Vec<Expr> = (0..10)
            .map(|i| {
                let b = m.wire(&format!("fec_ref_x1_{l}_{i}"), &x1.bit(10 * l + i)?)?;
                b.ext(4)
            })
            .collect::<Result<_, _>>()?;
        let mut sum = bits[0].clone();
        for t in &bits[1..] {
            sum = sum.add(t)?;
        }
        pops.push(m.reg_d(&format!("fec_ref_pop{l}"), &sum, None, Some(0))?);
    }
    let any2 = m.reg_d(
        "fec_ref_any2",
        &super::hdl_util::nonzero(&x1)?,
        None,
        Some(0),
    )?;
    let v2 = m.reg_d("fec_ref_v2", &v1, None, Some(0))?;
    let l2 = m.reg_d("fec_ref_l2", &l1, None, Some(0))?;
    let u2 = m.reg_d("fec_ref_u2", &u1, None, Some(0))?;
    let o2 = m.reg_d("fec_ref_o2", &o1, None, Some(0))?;
    let pw = super::hdl_util::bits_for(10 * s);
    let mut tot = pops[0].ext(pw)?;
    for p in &pops[1..] {
        tot = tot.add(&p.ext(pw)?)?;
    }
    let tot = m.reg_d("fec_ref_bits3", &tot, None, Some(0))?;
    let v3 = m.reg_d("fec_ref_v3", &v2.and(&o2)?, None, Some(0))?;
    let bits = counter(m, "fec_ref_post_bit_errors", &tot, &v3)?;
    m.assign(&bit_w?, &bits)?;
    m.comment("RS decoder chain: miscorrected = not flagged uncorrectable, message wrong");
    let any_cw = m.reg("fec_ref_any_cw", Ty::BIT, Some(0))?;
    let wrong = any_cw.or(&any2)?;
    let cw_end = v2.and(&l2)?;
    let nxt = Expr::mux(&cw_end, &ku(0, 1)?, &wrong)?;
    let en = m.wire("fec_ref_any_en", &v2.or(rst)?)?;
    m.next(&any_cw, &Expr::mux(rst, &ku(0, 1)?, &nxt)?, Some(&en))?;
    let mis_inc = m.reg_d(
        "fec_ref_mis3",
        &cw_end.and(&o2)?.and(&u2.not())?.and(&wrong)?,
        None,
        Some(0),
    )?;
    let mis = counter(m, "fec_ref_miscorrected", &ku(1, 64)?, &mis_inc)?;
    m.assign(&mis_w?, &mis)
}

/// What the digest and the counters are built from.
struct Ctx<'a> {
    /// the chain's parameters
    f: &'a FecParams,
    /// an output of `rxdsp_rs_rx` by name
    get: &'a dyn Fn(&str) -> Result<Expr, RtlError>,
    /// the `fec` register wires
    r: &'a FecRegs,
    /// the equalizer's reset
    rst: &'a Expr,
    /// `fec.limit` is 0: every codeword counts
    unlimited: &'a Expr,
}

/// `fec.digest` over the decoder's output beats (module doc); the output
/// codeword count it keeps.
fn digest(m: &mut Module, c: &Ctx) -> Result<OutOpen, RtlError> {
    let (f, get, r, rst) = (c.f, c.get, c.r, c.rst);
    m.comment("RS decoder chain: digest of the decoded beats");
    let dw = 10 * f.symbols as u32;
    let chunks = dw.div_ceil(32);
    let data = get("m_axis_tdata")?;
    let corr = get("m_cw_corrected")?;
    let unc = get("m_cw_uncorrectable")?;
    let last = get("m_axis_tlast")?;
    // the codeword's outcome, on its last beat only
    let cw = corr.width();
    let outcome = Expr::concat(&[unc, ku(0, 31 - cw)?, corr])?;
    let outcome = Expr::mux(&last, &outcome, &ku(0, 32)?)?;
    let padded = if chunks * 32 > dw {
        m.wire(
            "fec_padded",
            &Expr::concat(&[ku(0, chunks * 32 - dw)?, data])?,
        )?
    } else {
        data
    };
    let mut fold = outcome;
    for c in 0..chunks {
        fold = fold.xor(&padded.slice(32 * c + 31, 32 * c)?)?;
    }
    let fold = m.wire("fec_fold", &fold)?;
    // codewords out so far, against `fec.limit`
    let lw = r.limit.width();
    let ov = get("m_axis_tvalid")?;
    let n_out = m.reg("fec_out_codewords", Ty::u(lw), Some(0))?;
    let ends = ov.and(&last)?;
    let n_next = Expr::mux(&ends, &n_out.add(&ku(1, lw)?)?, &n_out)?;
    m.next(&n_out, &Expr::mux(rst, &ku(0, lw)?, &n_next)?, None)?;
    let open = m.wire("fec_out_open", &c.unlimited.or(&n_out.lt(&r.limit)?)?)?;
    let d = m.reg("fec_digest_q", Ty::u(32), Some(0))?;
    let rot = Expr::concat(&[d.slice(30, 0)?, d.slice(31, 31)?])?;
    let next = Expr::mux(&ov.and(&open)?, &rot.xor(&fold)?, &d)?;
    m.next(&d, &Expr::mux(rst, &ku(0, 32)?, &next)?, None)?;
    m.assign(&r.digest, &d)?;
    Ok(OutOpen { count: n_out, open })
}

/// The 64-bit counters: each of the decoder's 32-bit statistics under a
/// high word that counts its wraps.
fn counters(m: &mut Module, c: &Ctx) -> Result<(), RtlError> {
    let (f, get, r, rst) = (c.f, c.get, c.r, c.rst);
    m.comment("RS decoder chain: the decoder's statistics extended to 64 bits");
    let bins = f.code.t() + 2;
    let hist = get("stat_histogram")?;
    let mut lows = vec![
        get("stat_codewords")?,
        get("stat_corrected_codewords")?,
        get("stat_corrected_symbols")?,
        get("stat_uncorrectable")?,
    ];
    let bw = hist.width() / bins as u32;
    for i in 0..bins as u32 {
        lows.push(m.wire(
            &format!("fec_stat_hist{i}"),
            &hist.slice(bw * i + bw - 1, bw * i)?,
        )?);
    }
    if lows.len() != r.counters.len() {
        return Err(RtlError::Param {
            name: "fec counters",
            value: r.counters.len() as i64,
            why: format!("the decoder has {} statistics", lows.len()),
        });
    }
    // the reset as kept copies, each beside a share of the counters' wrap
    // bits and high words (which one copy of the device's equalizer-side
    // reset reached late): they reset a clock after the decoder chain, long
    // before its first codeword. These registers have no reset value of
    // their own: `rst` is the power-on reset too, and a second reset (the
    // top's split power-on reset) would be ORed with it in front of every
    // flip-flop's LSR. The held copies below take no reset at all
    let loads: Vec<u32> = r
        .counters
        .iter()
        .zip(&lows)
        .map(|((_, w), lo)| w.width() - lo.width() + 1)
        .collect();
    let rsts = m.reg_for_loads("fec_cnt_rst", rst, None, None, &loads)?;
    let mut live = Vec::new();
    for (i, (((name, w), lo), rst)) in r.counters.iter().zip(&lows).zip(&rsts).enumerate() {
        let lw = lo.width();
        let hw = w.width() - lw;
        let msb = lo.slice(lw - 1, lw - 1)?;
        let prev = m.reg(&format!("fec_msb{i}"), Ty::BIT, None)?;
        m.next(&prev, &Expr::mux(rst, &ku(0, 1)?, &msb)?, None)?;
        let hi = m.reg(&format!("fec_hi{i}"), Ty::u(hw), None)?;
        let wrap = prev.and(&msb.not())?;
        let inc = Expr::mux(&wrap, &hi.add(&ku(1, hw)?)?, &hi)?;
        m.next(&hi, &Expr::mux(rst, &ku(0, hw)?, &inc)?, None)?;
        m.comment(&format!("{name}: high word, then the decoder's count"));
        live.push(m.wire(&format!("fec_live{i}"), &Expr::concat(&[hi, lo.clone()])?)?);
    }
    // held at the state of codeword `fec.limit`: every statistic of a
    // codeword changes in the same clock, so the copies stop together.
    // The enable is two registers behind the count: `open(t)` is
    // `count(t-2) < limit`, so the 64-bit compare and the enable of the 1,344
    // held flip-flops are two register-to-register paths. The copies load
    // in every clock up to and including the one after the count reaches the
    // limit (where a high word that lags its low word's wrap by a clock lands)
    // and in none after: the next codeword is at least `2t + 4` beats later
    // (`rs::check_fit`), and no statistic changes in between. So they hold
    // what a copy enabled by `count(t) <= limit` would hold.
    // They have no reset: after one, the counts are zero and below the
    // limit, so `open` is high and the copies load the zeros within three
    // clocks (the reset copies reached the 1,344 flip-flops' LSR across the
    // die: 85 end points, 22.1 ns placed on 8e9d17b).
    m.comment("RS decoder chain: the counters as of codeword fec.limit");
    let cw = &live[0];
    let lw = r.limit.width();
    let limit = Expr::concat(&[ku(0, cw.width() - lw)?, r.limit.clone()])?;
    let below = m.reg_d(
        "fec_cnt_below",
        &c.unlimited.or(&cw.lt(&limit)?)?,
        None,
        Some(1),
    )?;
    // in copies, each enabling a few of the held counters
    let loads: Vec<u32> = live.iter().map(|v| v.width()).collect();
    let open = m.reg_for_loads("fec_cnt_open", &below, None, Some(1), &loads)?;
    let per_counter = r.counters.iter().zip(&live).zip(&open);
    for (i, (((_, w), v), open)) in per_counter.enumerate() {
        let held = m.reg_d(&format!("fec_held{i}"), v, Some(open), None)?;
        m.assign(w, &held)?;
    }
    Ok(())
}
