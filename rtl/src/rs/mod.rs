//! KP4 / KR4 Reed-Solomon decoder (`rxdsp_rs_dec`) and encoder (`rxdsp_rs_enc`)
//! at `S` 10-bit FEC symbols per clock, bit-exact with `golden::fec::Codec`.
//! See `docs/rtl-fec.md`.
//!
//! # Stream format (encoder and decoder, input and output)
//! A codeword is `B = ceil(n/S)` beats of `S` lanes of 10 bits; lane `l` of
//! beat `b` (bits `10l+9 .. 10l` of `tdata`, lane 0 in the LSBs) is codeword
//! position `bS + l` (position 0 = the coefficient of `x^(n-1)`, sent first).
//! Lanes of the last beat beyond position `n-1` are ignored on input and zero
//! on output. `tlast` marks the last beat of each codeword. Codewords follow
//! each other back to back; the first beat after reset starts a codeword.
//!
//! ```
//! use golden::fec::Code;
//! let d = rtl::rs::design_dec(Code::Kr4, 8).unwrap();
//! assert_eq!(d.latency, rtl::rs::dec_latency(Code::Kr4, 8)); // 3 * 66 + 12
//! assert!(rtl::rs::design_dec(Code::Kp4, 32).is_err());
//! ```

pub mod bram;
pub mod chain;
pub mod dec;
pub mod deinterleave;
pub(crate) mod devfec;
pub mod enc;
pub mod gearbox;
pub mod gf;

pub use bram::MemForm;

use crate::hdl::{Header, Module};
use crate::{Design, RtlError};
use golden::fec::Code;

/// The usual numbers of FEC symbols per clock (they divide n for both codes).
/// Any `S` in `1..=16` is accepted; the others give a partial last beat.
pub const SYMBOLS_PER_BEAT: [usize; 5] = [1, 2, 4, 8, 16];

/// Beats per codeword: `ceil(n / S)`.
pub fn beats(code: Code, s: usize) -> usize {
    code.n().div_ceil(s)
}

/// Checks `S` for `code`: `1..=16`, and the riBM solver's
/// `2t` iterations (beats `2..=2t+1` after loading in beat 1) must end two
/// beats before the last, whose Chien term loads are registered the beat
/// before: `2t <= ceil(n/S) - 4`.
pub fn check(code: Code, s: usize) -> Result<(), RtlError> {
    if !(1..=16).contains(&s) {
        return Err(RtlError::Param {
            name: "symbols_per_beat",
            value: s as i64,
            why: "FEC symbols per clock must be in 1..=16 (usually 1, 2, 4, 8 or 16)".into(),
        });
    }
    check_fit(code, s)
}

/// The riBM fit alone (for any `s >= 1`): loaded in beat 1 of a codeword
/// slot, its `2t` iterations (one beat each at least, beats `2..2t+1`) must
/// end two beats before the last, where the Chien term loads are
/// precomputed (registered) from the final state, `2t <= ceil(n/S) - 4`.
pub fn check_fit(code: Code, s: usize) -> Result<(), RtlError> {
    let b = beats(code, s);
    if 2 * code.t() + 4 > b {
        return Err(RtlError::Param {
            name: "symbols_per_beat",
            value: s as i64,
            why: format!(
                "{}: the riBM key-equation solver needs 2t = {} beats but a codeword lasts only {} beats ({} usable)",
                code.name(),
                2 * code.t(),
                b,
                b.saturating_sub(4)
            ),
        });
    }
    Ok(())
}

/// Whether the riBM takes two beats per iteration (a register on its
/// products, for timing): when its `4t` beats fit, `4t <= ceil(n/S) - 4`
/// (KP4 up to S = 8, KR4 up to S = 16); otherwise one beat each.
pub fn ribm_two_beat(code: Code, s: usize) -> bool {
    4 * code.t() + 4 <= beats(code, s)
}

/// The riBM's fold: `(F, G)`, `G` processing elements computing the
/// `3t+1` element updates of an iteration in `F` groups, one group per two
/// beats, so an iteration takes `2F` beats. The largest `F` whose `2t`
/// iterations fit the slot as the unfolded two-beat riBM's do
/// (`4tF + 4 <= ceil(n/S)`), then the fewest groups of that width
/// (`F = ceil((3t+1)/G)`); `(1, 3t+1)` when only one group fits or the
/// riBM takes one beat an iteration ([`ribm_two_beat`]). At KP4 S = 2
/// (the device's decoder at P = 8) 12 elements in 4 groups, at S = 1 6 in
/// 8: the `2(3t+1)` general products were a quarter of a tester's logic,
/// packed so densely that nextpnr could not route it.
pub fn ribm_fold(code: Code, s: usize) -> (usize, usize) {
    let nd = 3 * code.t() + 1;
    let b = beats(code, s);
    if !ribm_two_beat(code, s) {
        return (1, nd);
    }
    let f = ((b - 4) / (4 * code.t())).clamp(1, nd);
    let g = nd.div_ceil(f);
    (nd.div_ceil(g), g)
}

/// Decoder latency in clock cycles with a continuous input: a symbol that
/// enters in cycle `c` leaves in cycle `c + 3 ceil(n/S) + 12`
/// ([`dec::LATENCY_EXTRA`]).
pub fn dec_latency(code: Code, s: usize) -> usize {
    3 * beats(code, s) + dec::LATENCY_EXTRA
}

/// Encoder latency in clock cycles (one output register).
pub fn enc_latency(_code: Code, _s: usize) -> usize {
    1
}

/// A decoder chain behind an equalizer of `P` symbols per clock (the device's
/// `fec` block): the code and `S`, the FEC symbols per beat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FecParams {
    /// KP4 or KR4
    pub code: Code,
    /// S, FEC symbols per beat
    pub symbols: usize,
    /// the codewords arrive 2-way interleaved (`tx.interleave`): the
    /// de-interleaver ([`deinterleave`]) sits before the decoder
    pub interleave: bool,
}

impl FecParams {
    /// `code` at the default `S` for `parallel`
    /// ([`proto::regmap::default_fec_symbols`]), not interleaved.
    pub fn new(code: Code, parallel: usize) -> FecParams {
        FecParams {
            code,
            symbols: proto::regmap::default_fec_symbols(parallel),
            interleave: false,
        }
    }

    /// The same chain for 2-way interleaved codewords (or not).
    pub fn interleaved(self, interleave: bool) -> FecParams {
        FecParams { interleave, ..self }
    }

    /// The chain a plan's link needs (`tx.fec`, the default S for its P,
    /// de-interleaving with `tx.interleave`); `None` without a code.
    pub fn of_plan(plan: &golden::config::LinkPlan) -> Option<FecParams> {
        golden::link::fec_code(plan.fec)
            .map(|c| FecParams::new(c, plan.parallel).interleaved(plan.interleave))
    }

    /// Checks the chain for an equalizer of `parallel` symbols per clock
    /// (the gearbox keeps up: `5S > P`; the decoder fits `S`; the
    /// de-interleaver takes `S`).
    pub fn check(&self, parallel: usize) -> Result<(), RtlError> {
        gearbox::check_gearbox(self.code, self.symbols, parallel)?;
        if self.interleave {
            deinterleave::check(self.code, self.symbols)?;
        }
        Ok(())
    }

    /// What the register map's `id.fec_code` reports.
    pub fn map(&self) -> proto::regmap::FecMap {
        proto::regmap::FecMap {
            code: match self.code {
                Code::Kp4 => proto::regmap::FEC_CODE_KP4,
                Code::Kr4 => proto::regmap::FEC_CODE_KR4,
            },
            symbols: self.symbols as u32,
            t: self.code.t() as u32,
            interleave: self.interleave,
        }
    }
}

/// Name of the decoder top.
pub const DEC_TOP: &str = "rxdsp_rs_dec";
/// Name of the encoder top.
pub const ENC_TOP: &str = "rxdsp_rs_enc";

pub(crate) fn header(code: Code, s: usize, what: &str, regenerate: &str, latency: usize) -> Header {
    Header::new(what, regenerate)
        .param(
            "tx.fec (code)",
            format!(
                "{} = RS({},{}), t = {}",
                code.name(),
                code.n(),
                code.k(),
                code.t()
            ),
        )
        .param("S (symbols per beat)", s)
        .param("beats per codeword", beats(code, s))
        .latency(latency)
}

fn to_design(mods: Vec<crate::hdl::Module>, latency: usize) -> Result<Design, RtlError> {
    let mut files = Vec::new();
    for m in &mods {
        files.push((format!("{}.v", m.name()), m.emit()?));
    }
    Ok(Design {
        files,
        ports: mods.last().expect("top is built").ports().to_vec(),
        latency,
    })
}

/// The decoder `rxdsp_rs_dec` for `code` at `s` symbols per clock, in memory
/// (files: `rxdsp_rs_gfmul.v`, `rxdsp_rs_gfinv.v` (the inverse table), `rxdsp_rs_dec.v`).
pub fn design_dec(code: Code, s: usize) -> Result<Design, RtlError> {
    check(code, s)?;
    to_design(dec::build(code, s, MemForm::Generic)?, dec_latency(code, s))
}

/// Swaps the ECP5 form of the decoder's block RAMs ([`MemForm::Ecp5`]:
/// `DP16KD` instances with their output register) into the files of a
/// generated design holding the decoder for `code` at `s` (from
/// [`design_dec`], [`design_rx`] or [`design_eq_fec`]): the inverse tables
/// and the decoder top, which holds the delay lines. Same ports and timing;
/// for ECP5 synthesis only (simulators have no `DP16KD`). Returns whether
/// the design had a decoder to swap.
pub fn use_ecp5_bram(
    files: &mut [(String, String)],
    code: Code,
    s: usize,
) -> Result<bool, RtlError> {
    check(code, s)?;
    let mut swapped = false;
    for m in dec::build(code, s, MemForm::Ecp5)? {
        let name = format!("{}.v", m.name());
        if let Some(f) = files.iter_mut().find(|(n, _)| *n == name) {
            f.1 = m.emit()?;
            swapped = true;
        }
    }
    Ok(swapped)
}

/// The encoder `rxdsp_rs_enc` for `code` at `s` symbols per clock, in memory.
pub fn design_enc(code: Code, s: usize) -> Result<Design, RtlError> {
    check(code, s)?;
    to_design(vec![enc::build(code, s)?], enc_latency(code, s))
}

/// The gearbox `rxdsp_rs_gearbox` alone (`p` PAM4 data symbols per clock in,
/// `s` FEC symbols per beat out).
pub fn design_gearbox(code: Code, s: usize, p: usize) -> Result<Design, RtlError> {
    to_design(vec![gearbox::build(code, s, p)?], 1)
}

/// `rxdsp_rs_rx`: the gearbox feeding the decoder, for `p` PAM4 data symbols per
/// clock (the equalizer's parallelism) and `s` FEC symbols per beat.
pub fn design_rx(code: Code, s: usize, p: usize) -> Result<Design, RtlError> {
    gearbox::check_gearbox(code, s, p)?;
    let (mut mods, rx) = rx_modules(code, s, p, false, false)?;
    mods.push(rx);
    to_design(mods, dec_latency(code, s) + 1)
}

/// The modules of `rxdsp_rs_rx` for `code` at `s` FEC symbols per beat behind
/// `p` PAM4 symbols per clock: its submodules (the decoder's, the gearbox,
/// the decoder top, in file order), then `rxdsp_rs_rx` itself. Shared by
/// [`design_rx`], [`design_eq_fec`] and the device top. With `interleave`
/// the de-interleaver comes after the decoder top in the file order.
pub(crate) fn rx_modules(
    code: Code,
    s: usize,
    p: usize,
    reference: bool,
    interleave: bool,
) -> Result<(Vec<Module>, Module), RtlError> {
    let mut sub = dec::build(code, s, MemForm::Generic)?;
    let dec_top = sub.pop().expect("decoder top");
    let gb = gearbox::build(code, s, p)?;
    let di = match interleave {
        true => Some(deinterleave::build(code, s, reference)?),
        false => None,
    };
    let rx = gearbox::build_rx(
        &gb,
        &dec_top,
        p,
        reference.then_some((code, s)),
        di.as_ref(),
    )?;
    sub.push(gb);
    sub.push(dec_top);
    sub.extend(di);
    Ok((sub, rx))
}

/// `rxdsp_eq_fec`: the equalizer for `fmt` at `p` samples per clock feeding
/// `rxdsp_rs_rx` (`code`, `s` FEC symbols per beat); codeword alignment from
/// the `fec_sof_index` input; with `interleave` (`tx.interleave`) the 2-way
/// de-interleave ([`deinterleave`]) between the gearbox and the decoder, as
/// the device has it. `latency` is a lower bound in cycles: the equalizer's,
/// plus the chain's pipeline register and the gearbox register, plus the
/// decoder's at one beat per cycle (the gearbox delivers a beat every `5S/P`
/// cycles on average), plus with the de-interleave its 2 cycles after a
/// frame's last beat.
pub fn design_eq_fec(
    fmt: &golden::numeric::RxFormat,
    p: usize,
    code: Code,
    s: usize,
    interleave: bool,
) -> Result<Design, RtlError> {
    crate::eq::check(fmt, p)?;
    gearbox::check_gearbox(code, s, p)?;
    let eq_mods = crate::eq::build(fmt, p)?;
    // (with `interleave`, `deinterleave::build` refuses an S it cannot take)
    let (rs_mods, rx) = rx_modules(code, s, p, false, interleave)?;
    let top = chain::build(eq_mods.last().expect("eq top"), &rx, p, interleave)?;
    let mut mods = eq_mods;
    mods.extend(rs_mods);
    mods.push(rx);
    mods.push(top);
    let di = if interleave { deinterleave::LATENCY } else { 0 };
    to_design(
        mods,
        crate::eq::latency(fmt, p) + 2 + dec_latency(code, s) + di,
    )
}

/// Small helpers shared by the RS modules.
pub(crate) mod hdl_util {
    use crate::hdl::{Expr, Module, Ty};
    use crate::RtlError;

    /// The output wires of one instance of a submodule: a declared wire
    /// `{prefix}_{port}` per output port, with the port's doc.
    pub struct OutWires {
        inst: String,
        module: String,
        wires: Vec<(String, Expr, String)>,
    }

    impl OutWires {
        /// Declares the wires of `sub`'s outputs (except the ports in
        /// `skip`) for its instance `inst`.
        pub fn declare(
            m: &mut Module,
            sub: &Module,
            prefix: &str,
            inst: &str,
            skip: &[&str],
        ) -> Result<OutWires, RtlError> {
            let mut wires = Vec::new();
            for port in sub.ports() {
                if port.dir == crate::hdl::Dir::Out && !skip.contains(&port.name.as_str()) {
                    let w = m.wire_decl(&format!("{prefix}_{}", port.name), port.ty)?;
                    wires.push((port.name.clone(), w, port.doc.clone()));
                }
            }
            Ok(OutWires {
                inst: inst.into(),
                module: sub.name().into(),
                wires,
            })
        }

        /// The wire of output `port`.
        pub fn get(&self, port: &str) -> Result<Expr, RtlError> {
            self.wires
                .iter()
                .find(|w| w.0 == port)
                .map(|w| w.1.clone())
                .ok_or_else(|| RtlError::Port {
                    inst: self.inst.clone(),
                    port: port.into(),
                    why: format!("is not an output of {}", self.module),
                })
        }

        /// The instance's output connections `(port, wire)`.
        pub fn conns(&self) -> Vec<(&str, &Expr)> {
            self.wires.iter().map(|w| (w.0.as_str(), &w.1)).collect()
        }

        /// Every `(port, wire, doc)`.
        pub fn all(&self) -> &[(String, Expr, String)] {
            &self.wires
        }
    }

    /// Unsigned constant.
    pub fn ku(v: i128, w: u32) -> Result<Expr, RtlError> {
        Expr::konst(v, Ty::u(w))
    }

    /// `x == v` for a small constant `v` (in `x`'s width).
    pub fn eq_const(x: &Expr, v: usize) -> Result<Expr, RtlError> {
        x.eq(&ku(v as i128, x.width())?)
    }

    /// A counter `name` of `0..n` advancing by one on `en`, wrapping; returns
    /// it and its wire `{name}_last` (it holds `n - 1`).
    pub fn wrap_counter(
        m: &mut Module,
        name: &str,
        n: usize,
        en: &Expr,
    ) -> Result<(Expr, Expr), RtlError> {
        let w = bits_for(n - 1);
        let r = m.reg(name, Ty::u(w), Some(0))?;
        let last = m.wire(&format!("{name}_last"), &eq_const(&r, n - 1)?)?;
        let next = Expr::mux(&last, &ku(0, w)?, &r.add(&ku(1, w)?)?)?;
        m.next(&r, &next, Some(en))?;
        Ok((r, last))
    }

    /// Balanced sum of one-bit values, `w` bits wide (0 for none).
    pub fn count_ones(bits: &[Expr], w: u32) -> Result<Expr, RtlError> {
        if bits.is_empty() {
            return ku(0, w);
        }
        let v: Vec<Expr> = bits.iter().map(|b| b.ext(w)).collect::<Result<_, _>>()?;
        super::gf::reduce_tree(v, |a, b| a.add(b))
    }

    /// The sum of `xs` (unsigned, any widths) in `width` bits, as a balanced
    /// tree of named wires (`{name}_x{i}` the inputs, `{name}_t{level}_{i}`).
    pub fn sum(m: &mut Module, name: &str, xs: &[Expr], width: u32) -> Result<Expr, RtlError> {
        if xs.is_empty() {
            return ku(0, width);
        }
        let mut cur: Vec<Expr> = Vec::new();
        for (i, x) in xs.iter().enumerate() {
            let w = m.wire(&format!("{name}_x{i}"), x)?;
            cur.push(if w.width() < width { w.ext(width)? } else { w });
        }
        let mut lvl = 0;
        while cur.len() > 1 {
            let mut next = Vec::new();
            for (i, pair) in cur.chunks(2).enumerate() {
                let v = match pair.get(1) {
                    Some(b) => pair[0].add(b)?,
                    None => pair[0].clone(),
                };
                next.push(m.wire(&format!("{name}_t{lvl}_{i}"), &v)?);
            }
            cur = next;
            lvl += 1;
        }
        Ok(cur.remove(0))
    }

    /// `floor(x / 2)` of the unsigned signal `x`, zero-extended to `width`
    /// bits (`width >= x.width() - 1`).
    pub fn halve(x: &Expr, width: u32) -> Result<Expr, RtlError> {
        if x.width() == 1 {
            return ku(0, width);
        }
        let h = x.slice(x.width() - 1, 1)?;
        if h.width() == width {
            return Ok(h);
        }
        Expr::concat(&[ku(0, width - h.width())?, h])
    }

    /// Bits needed for values 0..=v.
    pub fn bits_for(v: usize) -> u32 {
        (usize::BITS - v.leading_zeros()).max(1)
    }

    /// Lane `l` (10 bits) of a packed bus, as a wire.
    pub fn lane(m: &mut Module, bus: &Expr, l: usize, name: &str) -> Result<Expr, RtlError> {
        let lo = 10 * l as u32;
        m.wire(name, &bus.slice(lo + 9, lo)?)
    }

    /// Packs 10-bit lanes, lane 0 in the LSBs.
    pub fn pack(v: &[Expr]) -> Result<Expr, RtlError> {
        Expr::pack_lsb_first(v)
    }

    /// Delay lines shorter than this stay flip-flop shift registers.
    pub const MEM_DELAY_MIN: usize = 8;

    /// `d` delayed by `len >= 1` beats of `en` (`None`: every cycle is a
    /// beat): after the `k`-th beat, the value `d` had at beat `k - len + 1`,
    /// held between beats, as a chain of `len` enabled registers would give.
    /// From [`MEM_DELAY_MIN`] beats on it is a ring buffer in a memory of
    /// `len.next_power_of_two()` words with a write pointer and a read
    /// pointer `len - 1` words behind it, read into
    /// a register (a synchronous read, which Yosys maps to block RAM: DP16KD
    /// on ECP5, SB_RAM40_4K on iCE40). The depth is at least `len`, so the
    /// two pointers never meet (no read-during-write collision).
    pub fn delay_line(
        m: &mut Module,
        name: &str,
        d: &Expr,
        en: Option<&Expr>,
        len: usize,
    ) -> Result<Expr, RtlError> {
        if len == 0 {
            return Err(RtlError::Param {
                name: "delay length",
                value: 0,
                why: "a delay line needs at least one register".into(),
            });
        }
        if len < MEM_DELAY_MIN {
            let mut q = d.clone();
            for i in 0..len {
                q = m.reg_d(&format!("{name}{i}"), &q, en, None)?;
            }
            return Ok(q);
        }
        let depth = len.next_power_of_two();
        let mem = m.memory(&format!("{name}_mem"), d.ty(), depth)?;
        let ab = mem.addr_bits();
        let one = ku(1, ab)?;
        let wa = m.reg(&format!("{name}_wa"), Ty::u(ab), Some(0))?;
        let behind = (depth - (len - 1)) % depth;
        let ra = m.reg(&format!("{name}_ra"), Ty::u(ab), Some(behind as i128))?;
        m.next(&wa, &wa.add(&one)?, en)?;
        m.next(&ra, &ra.add(&one)?, en)?;
        let we = match en {
            Some(e) => e.clone(),
            None => ku(1, 1)?,
        };
        m.mem_write(&mem, &we, &wa, d)?;
        m.reg_d(&format!("{name}_q"), &mem.read(&ra)?, en, None)
    }

    /// `x != 0` for a named or unnamed value.
    pub fn nonzero(x: &Expr) -> Result<Expr, RtlError> {
        Ok(x.eq(&Expr::konst(0, x.ty())?)?.not())
    }

    /// The `s_axis` inputs of a codeword stream of `s` symbols a beat, after
    /// `clk` and `rst` (port descriptions `data_doc`, `valid_doc`): returns
    /// `(clk, tdata, tvalid, tlast)`.
    pub fn stream_in(
        m: &mut Module,
        s: usize,
        data_doc: &str,
        valid_doc: &str,
    ) -> Result<(Expr, Expr, Expr, Expr), RtlError> {
        let (clk, _) = m.clock()?;
        let tdata = m.input("s_axis_tdata", Ty::u(10 * s as u32), data_doc)?;
        let en = m.input("s_axis_tvalid", Ty::BIT, valid_doc)?;
        let tlast = m.input("s_axis_tlast", Ty::BIT, "last beat of a codeword (checked)")?;
        Ok((clk, tdata, en, tlast))
    }

    /// The beat counter of a codeword stream and its alignment check.
    pub struct Beats {
        /// the beat counter, `0..B`
        pub bc: Expr,
        /// width of `bc`
        pub bw: u32,
        /// the beat is the codeword's last
        pub last: Expr,
        /// the beat is the codeword's first (when asked for)
        pub first: Option<Expr>,
        /// sticky: `s_axis_tlast` disagreed with the beat count
        pub err: Expr,
    }

    /// The beat counter over `b` beats a codeword, advancing on `en`, and the
    /// sticky check of `tlast` against it; the `first` decode (a wire) only
    /// `with_first`.
    pub fn beat_counter(
        m: &mut Module,
        b: usize,
        en: &Expr,
        tlast: &Expr,
        with_first: bool,
    ) -> Result<Beats, RtlError> {
        let bw = bits_for(b - 1);
        let bc = m.reg("bc", Ty::u(bw), Some(0))?;
        let last = m.wire("last", &bc.eq(&ku(b as i128 - 1, bw)?)?)?;
        let first = if with_first {
            Some(m.wire("first", &bc.eq(&ku(0, bw)?)?)?)
        } else {
            None
        };
        let bc_inc = bc.add(&ku(1, bw)?)?;
        m.next(&bc, &Expr::mux(&last, &ku(0, bw)?, &bc_inc)?, Some(en))?;
        let err = m.reg("err_align_q", Ty::BIT, Some(0))?;
        let bad = en.and(&tlast.xor(&last)?)?;
        m.next(&err, &err.or(&bad)?, None)?;
        Ok(Beats {
            bc,
            bw,
            last,
            first,
            err,
        })
    }

    /// The `m_axis` codeword outputs common to the encoder and the decoder:
    /// `m_axis_tdata` (described by `data_doc`), `m_axis_tvalid`, `m_axis_tlast`.
    pub fn stream_out(
        m: &mut Module,
        data: &Expr,
        valid: &Expr,
        last: &Expr,
        data_doc: &str,
    ) -> Result<(), RtlError> {
        m.output("m_axis_tdata", data, data_doc)?;
        m.output("m_axis_tvalid", valid, "output beat")?;
        m.output("m_axis_tlast", last, "last beat of a codeword")
    }

    /// The sticky alignment error output `err_align`.
    pub fn err_align_out(m: &mut Module, err: &Expr) -> Result<(), RtlError> {
        m.output(
            "err_align",
            err,
            "sticky: s_axis_tlast disagreed with the beat count",
        )
    }
}

/// Writes the decoder and encoder for `code` at `s` symbols per clock into
/// `out_dir` (one `.v` file per module, `rxdsp_rs_dec.f` and `rxdsp_rs_enc.f`
/// file lists); returns the files written.
pub fn generate_rs(
    code: Code,
    s: usize,
    out_dir: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>, RtlError> {
    let io = |path: &std::path::Path, e| RtlError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    std::fs::create_dir_all(out_dir).map_err(|e| io(out_dir, e))?;
    let mut written = Vec::new();
    for (top, d) in [
        (DEC_TOP, design_dec(code, s)?),
        (ENC_TOP, design_enc(code, s)?),
    ] {
        for (n, text) in &d.files {
            let p = out_dir.join(n);
            std::fs::write(&p, text).map_err(|e| io(&p, e))?;
            written.push(p);
        }
        let f = out_dir.join(format!("{top}.f"));
        std::fs::write(&f, d.filelist()).map_err(|e| io(&f, e))?;
        written.push(f);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::hdl_util::*;
    use crate::hdl::{Module, Ty};

    /// A module with one delay line of `len` beats; its Verilog.
    fn delay_module(len: usize) -> Result<String, crate::RtlError> {
        let mut m = Module::new("dl", crate::hdl::Header::default());
        m.clock()?;
        let d = m.input("d", Ty::u(12), "data")?;
        let en = m.input("en", Ty::BIT, "beat")?;
        let q = delay_line(&mut m, "x", &d, Some(&en), len)?;
        m.output("q", &q, "delayed")?;
        m.emit()
    }

    /// The fold fits the slot as the unfolded two-beat riBM does, covers
    /// every element with the fewest groups, and takes the values
    /// docs/rtl-fec.md tabulates.
    #[test]
    fn ribm_fold_fits_and_covers() {
        use super::{beats, ribm_fold, ribm_two_beat};
        use golden::fec::Code;
        for code in [Code::Kp4, Code::Kr4] {
            let (t, nd) = (code.t(), 3 * code.t() + 1);
            for s in 1..=16 {
                let (f, g) = ribm_fold(code, s);
                assert!(f * g >= nd && (f - 1) * g < nd, "{code:?} S={s}");
                if ribm_two_beat(code, s) {
                    assert!(4 * t * f + 4 <= beats(code, s), "{code:?} S={s}");
                } else {
                    assert_eq!((f, g), (1, nd));
                }
            }
        }
        let kp4: Vec<_> = [1, 2, 3, 4, 8, 16]
            .map(|s| ribm_fold(Code::Kp4, s))
            .to_vec();
        assert_eq!(kp4, [(8, 6), (4, 12), (2, 23), (2, 23), (1, 46), (1, 46)]);
        let kr4: Vec<_> = [1, 2, 4, 5, 8].map(|s| ribm_fold(Code::Kr4, s)).to_vec();
        assert_eq!(kr4, [(11, 2), (8, 3), (4, 6), (3, 8), (2, 11)]);
    }

    #[test]
    fn delay_line_registers_then_ring_buffer() {
        assert!(delay_module(0).is_err());
        let short = delay_module(MEM_DELAY_MIN - 1).unwrap();
        assert!(!short.contains("x_mem"));
        assert!(short.contains(&format!(
            "x{} <= x{};",
            MEM_DELAY_MIN - 2,
            MEM_DELAY_MIN - 3
        )));
        // 40 beats: 64 words, read pointer 39 behind the write pointer
        let long = delay_module(40).unwrap();
        assert!(long.contains("reg [11:0] x_mem [0:63];"), "{long}");
        assert!(long.contains("x_ra <= 6'h19;"), "{long}");
        assert!(long.contains("x_q <= x_mem[x_ra];"), "{long}");
        assert!(long.contains("x_mem[x_wa] <= d;"), "{long}");
        // a power-of-two length: 64 words, the read pointer one word ahead
        // of the write pointer (63 behind), so they never meet
        let pow2 = delay_module(64).unwrap();
        assert!(pow2.contains("reg [11:0] x_mem [0:63];"), "{pow2}");
        assert!(pow2.contains("x_ra <= 6'd1;"), "{pow2}");
    }
}
