//! The BER tester inside the device top (`rxdsp bert`): the link emulator
//! `rxdsp_emu` as a second source for the equalizer, and the checker
//! `rxdsp_check` on the equalizer's decisions, driven by the `emu` and `check`
//! register blocks.
//!
//! ```text
//!            bridge samples ─┐                ┌─> bridge (symbols back to the host)   emu.source = 0
//!                            ├─ mux ─> rxdsp_eq ┤
//!  rxdsp_emu ─ ADC samples ──┘   (emu.source)   └─> rxdsp_check s_rx (decisions)     emu.source = 1
//!      └───── transmitted levels and data ─────────> rxdsp_check s_tx
//! ```
//!
//! With `emu.source = 1` the equalizer takes the emulator's words (the bridge's
//! sample stream is held off) and its output is always ready: the checker
//! takes every decided word, so the emulator runs at one word per clock,
//! `P` symbols per clock. The checker pairs transmitted word `j` with received
//! word `j` through its FIFO, which covers the equalizer's latency
//! ([`BertParams::check`] refuses a FIFO that does not). `ctrl.control`'s
//! `eq_reset` resets the emulator and the checker with the equalizer.

use crate::check::CheckParams;
use crate::csr::RegMap;
use crate::emu::EmuParams;
use crate::hdl::{Expr, Module, Ty};
use crate::RtlError;
use golden::numeric::RxFormat;

/// The BER tester's generation parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BertParams {
    /// the emulator (its `parallel` and `adc_bits` are the device's)
    pub emu: EmuParams,
    /// the checker (its `parallel` is the device's)
    pub check: CheckParams,
}

impl BertParams {
    /// The tester of a device for `fmt` at `parallel`: the emulator with its
    /// full `EMU_TAPS`-tap channel, the checker with its default delay range
    /// and FIFO.
    pub fn new(fmt: &RxFormat, parallel: usize) -> BertParams {
        BertParams {
            emu: EmuParams {
                parallel,
                taps: golden::emu::EMU_TAPS,
                adc_bits: fmt.adc_bits,
                fec: None,
                interleave: false,
            },
            check: CheckParams {
                parallel,
                ..CheckParams::default()
            },
        }
    }

    /// The tester of a device whose decoder chain is `fec`: the emulator
    /// frames the pattern into its codewords (interleaved as the chain
    /// de-interleaves) and the checker puts out the aligned transmitted data
    /// for the decoder's reference counters.
    pub fn with_fec(mut self, fec: Option<crate::rs::FecParams>) -> BertParams {
        self.emu.fec = fec.map(|f| f.code);
        self.emu.interleave = fec.is_some_and(|f| f.interleave);
        self.check.reference = fec.is_some();
        self
    }

    /// Refuses parameters that do not fit the device for `fmt` at `parallel`.
    pub fn check(&self, fmt: &RxFormat, parallel: usize) -> Result<(), RtlError> {
        self.emu.check()?;
        self.check.check()?;
        if self.emu.parallel != parallel || self.check.parallel != parallel {
            return Err(RtlError::Param {
                name: "parallel",
                value: self.emu.parallel as i64,
                why: format!(
                    "the emulator and the checker must work at the device's P = {parallel} (they have {} and {})",
                    self.emu.parallel, self.check.parallel
                ),
            });
        }
        if self.emu.adc_bits != fmt.adc_bits {
            return Err(RtlError::Param {
                name: "adc.bits",
                value: self.emu.adc_bits as i64,
                why: format!("the equalizer takes {}-bit samples", fmt.adc_bits),
            });
        }
        // words in flight between the emulator's output and the checker's
        // received port: the equalizer's pipeline, plus margin for the
        // checker's own input register
        let in_flight = crate::latency(fmt, parallel) + 4;
        if self.check.fifo_words < in_flight {
            return Err(RtlError::Param {
                name: "fifo_words",
                value: self.check.fifo_words as i64,
                why: format!(
                    "the checker's FIFO must hold the {in_flight} words in flight through the equalizer"
                ),
            });
        }
        Ok(())
    }
}

/// The tester's registers as the CSR block exports them (`q_*` read-write
/// values, `s_*` strobes, `c_*` strobe data) and the status it reads.
pub(crate) struct BertRegs {
    /// `emu.source`
    pub source: Expr,
    run: Expr,
    cfg_data: Expr,
    cfg_we: Expr,
    cfg_addr: Expr,
    delay: Expr,
    skip: Expr,
    limit: Expr,
    clear: Expr,
    snap: Expr,
    select: Expr,
    /// `check.status` (done, overflow, underflow)
    status: Expr,
    /// `check.value`: the checker's read port
    value: Expr,
    /// the CSR block's output ports and the wires they drive
    csr: Vec<(String, Expr)>,
}

/// Declares the wires of the `emu` and `check` registers (their widths are
/// the register map's).
pub(crate) fn regs(m: &mut Module, map: &RegMap) -> Result<BertRegs, RtlError> {
    let mut csr = Vec::new();
    let mut w = |reg: &str, prefix: &str| -> Result<Expr, RtlError> {
        let r = crate::csr::map_reg(map, reg)?;
        let ty = if prefix == "s" {
            Ty::BIT
        } else {
            Ty::u(r.width)
        };
        let name = format!("{prefix}_{}", r.ident());
        let e = m.wire_decl(&name, ty)?;
        if prefix != "w" {
            csr.push((name, e.clone()));
        }
        Ok(e)
    };
    let mut regs = BertRegs {
        source: w("emu.source", "q")?,
        run: w("emu.run", "q")?,
        cfg_data: w("emu.cfg_data", "q")?,
        cfg_we: w("emu.cfg_addr", "s")?,
        cfg_addr: w("emu.cfg_addr", "c")?,
        delay: w("check.delay", "q")?,
        skip: w("check.skip", "q")?,
        limit: w("check.limit", "q")?,
        clear: w("check.clear", "s")?,
        snap: w("check.snap", "s")?,
        select: w("check.select", "q")?,
        status: w("check.status", "w")?,
        value: w("check.value", "w")?,
        csr: Vec::new(),
    };
    regs.csr = csr;
    Ok(regs)
}

impl BertRegs {
    /// The CSR block's output connections (port name, wire).
    pub(crate) fn csr_outputs(&self) -> &[(String, Expr)] {
        &self.csr
    }

    /// The source of a status register of the `check` block.
    pub(crate) fn status_source(&self, reg: &str) -> Option<Expr> {
        match reg {
            "check.status" => Some(self.status.clone()),
            "check.value" => Some(self.value.clone()),
            _ => None,
        }
    }
}

/// The equalizer-side signals the tester joins.
pub(crate) struct EqSide<'a> {
    /// clock
    pub clk: &'a Expr,
    /// the emulator's and the checker's resets: the equalizer's (power-on
    /// or `ctrl.control`), each from a register copy of its own
    pub rst: [&'a Expr; 2],
    /// the equalizer's `s_axis_tready`
    pub eq_ready: &'a Expr,
    /// the equalizer's decided data symbols
    pub eq_data: &'a Expr,
    /// the equalizer's decided level indices
    pub eq_level: &'a Expr,
    /// the equalizer's `m_axis_tvalid`
    pub eq_valid: &'a Expr,
    /// the bridge's sample word
    pub br_data: &'a Expr,
    /// the bridge's sample word valid
    pub br_valid: &'a Expr,
    /// the bridge's readiness for a decided word
    pub br_ready: &'a Expr,
}

/// What the equalizer and the bridge connect to instead of each other.
pub(crate) struct Routed {
    /// the equalizer's input word
    pub eq_in_data: Expr,
    /// the equalizer's input valid
    pub eq_in_valid: Expr,
    /// the equalizer's `m_axis_tready`
    pub eq_out_ready: Expr,
    /// the bridge's `m_axis_tready` (samples taken)
    pub br_take: Expr,
    /// the bridge's `s_axis_tvalid` (a decided word for the host)
    pub br_give: Expr,
    /// the checker's aligned transmitted data and valid (`m_ref_*`), with
    /// [`CheckParams::reference`]
    pub reference: Option<(Expr, Expr)>,
}

/// Instantiates the emulator and the checker and routes the equalizer's
/// streams by `emu.source`.
pub(crate) fn instantiate(
    m: &mut Module,
    emu: &Module,
    chk: &Module,
    p: &BertParams,
    r: &BertRegs,
    e: &EqSide,
) -> Result<Routed, RtlError> {
    let pw = p.emu.parallel as u32;
    m.comment("BER tester: the emulator as the equalizer's second source (emu.source)");
    // `emu.source` in kept copies, one per group of the muxes it selects:
    // the equalizer's input, its output ready, the emulator's ready and the
    // bridge's take, the bridge's give and the checker's valid. From the CSR
    // block's one register, its ORs and ANDs sat between the CSR and the
    // equalizer, on every path from the slices' ready into the equalizer's
    // output FIFO (21.3-21.5 ns placed on 8e9d17b). The copies switch two
    // clocks after the register; the source changes only between runs.
    // They load from a register of their own (`emu_source_p`), which the
    // placer can put between the CSR's exit register and them: from the
    // exit register, a copy's input crossed the die through a LUT
    // (`q_emu_source_x1 -> emu_source_k0`, 19.4 ns placed on 43d0cc4).
    let src_p = m.reg_d("emu_source_p", &r.source, None, Some(0))?;
    let srcs = m.reg_copies("emu_source", &src_p, None, Some(0), 4)?;
    let [s_in, s_out, s_emu, s_give] = [&srcs[0], &srcs[1], &srcs[2], &srcs[3]];
    let e_data = m.wire_decl("emu_tdata", Ty::u(pw * p.emu.adc_bits))?;
    let e_user = m.wire_decl("emu_tuser", Ty::u(2 * pw))?;
    let e_level = m.wire_decl("emu_tlevel", Ty::u(2 * pw))?;
    let e_valid = m.wire_decl("emu_tvalid", Ty::BIT)?;
    let e_ready = m.wire("emu_tready", &s_emu.and(e.eq_ready)?)?;
    m.instance(
        emu,
        "u_emu",
        &[
            ("clk", e.clk),
            ("rst", e.rst[0]),
            ("cfg_we", &r.cfg_we),
            ("cfg_addr", &r.cfg_addr),
            ("cfg_wdata", &r.cfg_data),
            ("run", &r.run),
            ("m_axis_tready", &e_ready),
            ("m_axis_tdata", &e_data),
            ("m_axis_tuser", &e_user),
            ("m_axis_tlevel", &e_level),
            ("m_axis_tvalid", &e_valid),
        ],
    )?;
    let reference = if p.check.reference {
        Some((
            m.wire_decl("chk_ref_tdata", Ty::u(2 * pw))?,
            m.wire_decl("chk_ref_tvalid", Ty::BIT)?,
        ))
    } else {
        None
    };
    let routed = Routed {
        reference: reference.clone(),
        eq_in_data: m.wire("eq_in_tdata", &Expr::mux(s_in, &e_data, e.br_data)?)?,
        eq_in_valid: m.wire("eq_in_tvalid", &Expr::mux(s_in, &e_valid, e.br_valid)?)?,
        eq_out_ready: m.wire("eq_out_tready", &s_out.or(e.br_ready)?)?,
        br_take: m.wire("bridge_take", &s_emu.not().and(e.eq_ready)?)?,
        br_give: m.wire("bridge_give", &s_give.not().and(e.eq_valid)?)?,
    };
    m.comment("BER tester: the checker on the decisions");
    let tx_valid = m.wire("chk_tx_tvalid", &e_valid.and(&e_ready)?)?;
    let rx_valid = m.wire("chk_rx_tvalid", &s_give.and(e.eq_valid)?)?;
    let done = m.wire_decl("chk_done", Ty::BIT)?;
    let over = m.wire_decl("chk_overflow", Ty::BIT)?;
    let under = m.wire_decl("chk_underflow", Ty::BIT)?;
    let mut conns: Vec<(&str, &Expr)> = vec![
        ("clk", e.clk),
        ("rst", e.rst[1]),
        ("clear", &r.clear),
        ("s_tx_tvalid", &tx_valid),
        ("s_tx_tdata", &e_user),
        ("s_tx_tlevel", &e_level),
        ("s_rx_tvalid", &rx_valid),
        ("s_rx_tdata", e.eq_data),
        ("s_rx_tlevel", e.eq_level),
        ("cfg_delay", &r.delay),
        ("cfg_skip", &r.skip),
        ("cfg_limit", &r.limit),
        ("snap", &r.snap),
        ("rd_addr", &r.select),
        ("rd_data", &r.value),
        ("done", &done),
        ("overflow", &over),
        ("underflow", &under),
    ];
    if let Some((d, v)) = &reference {
        conns.push(("m_ref_tdata", d));
        conns.push(("m_ref_tvalid", v));
    }
    m.instance(chk, "u_check", &conns)?;
    m.assign(&r.status, &Expr::concat(&[under, over, done])?)?;
    Ok(routed)
}
