//! The device top `rxdsp_top`: the byte-stream bridge, the CSR decoder and
//! the equalizer, with the statistics counters. Its only ports are a byte
//! interface (`rx_data`/`rx_valid` in, always accepted; `tx_data`/`tx_valid`/
//! `tx_ready` out), what a UART gives.

use crate::bert::BertParams;
use crate::bridge::{build_bridge, COUNTERS};
use crate::csr::{build_csr, regmap_device, Kind};
use crate::hdl::{Expr, Header, Module, Ty};
use crate::rs::FecParams;
use crate::{regen, Design, RtlError};
use golden::adapt::HwAdaptParams;
use golden::numeric::{clog2, smax, smin, RxFormat};

/// Name of the device top module.
pub const DEVICE_TOP: &str = "rxdsp_top";

fn k(v: i128, ty: Ty) -> Result<Expr, RtlError> {
    Expr::konst(v, ty)
}

/// The wires between the device top's instances (instance outputs).
struct Wires {
    rd_data: Expr,
    q_ctrl: Expr,
    eq_we: Expr,
    eq_addr: Expr,
    eq_wdata: Expr,
    s_ready: Expr,
    m_data: Expr,
    m_valid: Expr,
    ffe_out: Expr,
    slicer_level: Expr,
    tx_data: Expr,
    tx_valid: Expr,
    wr_en: Expr,
    wr_addr: Expr,
    wr_data: Expr,
    rd_addr: Expr,
    s_data: Expr,
    s_valid: Expr,
    m_ready: Expr,
    busy: Expr,
    used: Expr,
    s_fire: Expr,
    m_fire: Expr,
    /// the bridge counters, in [`COUNTERS`] order
    cnts: Vec<(&'static str, Expr)>,
}

/// The optional blocks' wires the CSR block connects to.
struct Optional<'a> {
    /// the adaptation engine's
    adapt: Option<&'a AdaptWires>,
    /// the BER tester's
    bert: Option<&'a crate::bert::BertRegs>,
    /// the RS decoder chain's
    fec: Option<&'a crate::rs::devfec::FecRegs>,
}

/// The stream statistics the CSR block reads.
struct Stats {
    status: Expr,
    samples_in: Expr,
    symbols_out: Expr,
    levels: Vec<Expr>,
    saturated: Expr,
}

/// The adaptive equalizer's ports in the device top: the mode it takes
/// from the `adapt` registers and the coefficients it reports to them.
struct AdaptWires {
    /// `adapt.mode` (CSR output)
    mode: Expr,
    /// `adapt.freeze` (CSR output)
    freeze: Expr,
    /// `adapt.step` (CSR output; absent when the engine has no step input)
    step: Option<Expr>,
    /// the engine's coefficients and update count, by equalizer port name
    readback: Vec<(&'static str, Expr)>,
}

/// The optional blocks of a device beside the equalizer.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeviceBlocks<'a> {
    /// the adaptation engine (`adapt.in_rtl`)
    pub adapt: Option<&'a HwAdaptParams>,
    /// the BER tester (link emulator and checker)
    pub bert: Option<&'a BertParams>,
    /// the RS decoder chain behind the equalizer (`tx.fec`)
    pub fec: Option<FecParams>,
}

/// Builds the device (every module, submodules first, `rxdsp_top` last).
pub fn build(fmt: &RxFormat, parallel: usize) -> Result<Vec<Module>, RtlError> {
    build_with(fmt, parallel, None)
}

/// Builds the device with the adaptation engine `adapt` beside the
/// equalizer (`adapt.in_rtl`): the `adapt` register block drives its mode
/// and reads its coefficients. `None`: [`build`].
pub fn build_with(
    fmt: &RxFormat,
    parallel: usize,
    adapt: Option<&HwAdaptParams>,
) -> Result<Vec<Module>, RtlError> {
    build_device(
        fmt,
        parallel,
        DeviceBlocks {
            adapt,
            ..DeviceBlocks::default()
        },
    )
}

/// Refuses optional blocks that do not fit the device or each other (the
/// tester must frame and check the decoder's code).
fn check_blocks(fmt: &RxFormat, parallel: usize, blocks: &DeviceBlocks) -> Result<(), RtlError> {
    let DeviceBlocks { bert, fec, .. } = *blocks;
    if let Some(b) = bert {
        b.check(fmt, parallel)?;
    }
    if let Some(f) = &fec {
        f.check(parallel)?;
    }
    if let Some(b) = bert {
        let code = fec.map(|f| f.code);
        if b.emu.fec != code || b.check.reference != code.is_some() {
            return Err(RtlError::Param {
                name: "tx.fec",
                value: 0,
                why: format!(
                    "the tester must frame and check the decoder's code ({}): build it with BertParams::with_fec",
                    code.map_or("none", |c| c.name())
                ),
            });
        }
        let il = fec.is_some_and(|f| f.interleave);
        if b.emu.interleave != il {
            return Err(RtlError::Param {
                name: "tx.interleave",
                value: b.emu.interleave as i64,
                why: format!(
                    "the tester must interleave as the decoder chain de-interleaves ({il}): build it with BertParams::with_fec"
                ),
            });
        }
    }
    Ok(())
}

/// Builds the device with the optional `blocks`: the adaptation engine, the
/// BER tester (the link emulator and the checker, [`crate::bert`]) and the
/// RS decoder chain ([`crate::rs::devfec`]).
pub fn build_device(
    fmt: &RxFormat,
    parallel: usize,
    blocks: DeviceBlocks,
) -> Result<Vec<Module>, RtlError> {
    check_blocks(fmt, parallel, &blocks)?;
    let DeviceBlocks { adapt, bert, fec } = blocks;
    let mut mods = match adapt {
        Some(a) => {
            crate::adapt::check(fmt, parallel, a)?;
            crate::eq::build_variant(fmt, parallel, Some(a))?.0
        }
        None => crate::eq::build(fmt, parallel)?,
    };
    let map = regmap_device(fmt, parallel, blocks);
    let csr = build_csr(&map, fmt)?;
    let br = build_bridge(fmt, parallel)?;
    let eqm_idx = mods.len() - 1;
    let tester = match bert {
        Some(b) => Some((crate::emu::build(&b.emu)?, crate::check::build(&b.check)?)),
        None => None,
    };
    let fec_mods = match &fec {
        Some(f) => Some(crate::rs::rx_modules(
            f.code,
            f.symbols,
            parallel,
            bert.is_some(),
            f.interleave,
        )?),
        None => None,
    };
    let mut m = Module::new(DEVICE_TOP, header(fmt, parallel, blocks, &map));
    let (clk, rst) = m.clock()?;
    let rx_data = m.input("rx_data", Ty::u(8), "received byte")?;
    let rx_valid = m.input("rx_valid", Ty::BIT, "received byte valid (always accepted)")?;
    let tx_ready = m.input("tx_ready", Ty::BIT, "transmitter ready")?;
    let w = wires(&mut m, fmt, parallel)?;
    let aw = match adapt {
        Some(_) => Some(adapt_wires(&mut m, &mods[eqm_idx])?),
        None => None,
    };
    let bw = match bert {
        Some(_) => Some(crate::bert::regs(&mut m, &map)?),
        None => None,
    };
    let fw = match fec {
        Some(_) => Some(crate::rs::devfec::regs(&mut m, &map)?),
        None => None,
    };
    // the equalizer side's reset (power-on or `ctrl.control`), registered
    // as a kept copy per block it resets (equalizer, emulator, checker,
    // decoder chain and its status logic, the stream counters): one OR fed
    // by the CSR's exit register on every block's reset copies was a net
    // across the die
    let rst_copies = 2 + 2 * usize::from(bert.is_some()) + 2 * usize::from(fec.is_some());
    let eq_rst = m.reg_copies("eq_rst", &rst.or(&w.q_ctrl)?, None, None, rst_copies)?;
    let mut rst_of = eq_rst.iter();
    let mut rst_of = move || rst_of.next().expect("a reset copy per block");
    let eq_rst_eq = rst_of();
    let st = stream_stats(&mut m, fmt, parallel, &w, rst_of())?;

    m.comment("CSR decoder");
    let opt = Optional {
        adapt: aw.as_ref(),
        bert: bw.as_ref(),
        fec: fw.as_ref(),
    };
    csr_instance(&mut m, &csr, &map, &clk, &rst, &w, &st, &opt)?;
    let routed = match (bert, &bw, &tester) {
        (Some(b), Some(r), Some((emu, chk))) => {
            let side = crate::bert::EqSide {
                clk: &clk,
                rst: [rst_of(), rst_of()],
                eq_ready: &w.s_ready,
                eq_data: &w.m_data,
                eq_level: &w.slicer_level,
                eq_valid: &w.m_valid,
                br_data: &w.s_data,
                br_valid: &w.s_valid,
                br_ready: &w.m_ready,
            };
            Some(crate::bert::instantiate(&mut m, emu, chk, b, r, &side)?)
        }
        _ => None,
    };

    let byte_io = ByteIo {
        clk: &clk,
        rst: &rst,
        rx_data: &rx_data,
        rx_valid: &rx_valid,
        tx_ready: &tx_ready,
    };
    bridge_instance(&mut m, &br, &w, routed.as_ref(), &byte_io)?;

    m.comment("equalizer");
    let side = match &aw {
        Some(a) => Some(adapt_side(&mut m, a, parallel)?),
        None => None,
    };
    // the equalizer's input valid and output ready, from the tester's routing
    // when there is one (the stream counters read them too, below)
    let eq_in_valid = routed.as_ref().map_or(&w.s_valid, |r| &r.eq_in_valid);
    let eq_ready = routed.as_ref().map_or(&w.m_ready, |r| &r.eq_out_ready);
    let mut conns: Vec<(&str, &Expr)> = vec![
        ("clk", &clk),
        ("rst", eq_rst_eq),
        ("cfg_we", &w.eq_we),
        ("cfg_addr", &w.eq_addr),
        ("cfg_wdata", &w.eq_wdata),
        (
            "s_axis_tdata",
            routed.as_ref().map_or(&w.s_data, |r| &r.eq_in_data),
        ),
        ("s_axis_tvalid", eq_in_valid),
        ("m_axis_tready", eq_ready),
        ("s_axis_tready", &w.s_ready),
        ("m_axis_tdata", &w.m_data),
        ("m_axis_tvalid", &w.m_valid),
        ("m_ffe_out", &w.ffe_out),
        ("m_slicer_level", &w.slicer_level),
    ];
    if let (Some(a), Some(sd)) = (&aw, &side) {
        conns.push(("s_axis_tmode", &sd[0]));
        conns.push(("s_axis_tknown", &sd[1]));
        conns.push(("s_axis_tknown_valid", &sd[2]));
        if let Some(st) = &a.step {
            conns.push(("s_axis_tstep", st));
        }
        for (n, e) in &a.readback {
            conns.push((n, e));
        }
    }
    m.instance(&mods[eqm_idx], "u_eq", &conns)?;
    m.assign(&w.m_fire, &w.m_valid.and(eq_ready)?)?;
    // the samples the equalizer takes, from whichever source (the bridge's,
    // or the emulator's in a BER run: the bridge's own handshake had left
    // `stats.samples_in` at 0 there)
    m.assign(&w.s_fire, &eq_in_valid.and(&w.s_ready)?)?;
    if let (Some(f), Some(fr), Some((_, rx))) = (&fec, &fw, &fec_mods) {
        let take = m.wire("fec_take", &w.m_fire)?;
        let reference = match (&routed, &bw) {
            (
                Some(crate::bert::Routed {
                    reference: Some((d, v)),
                    ..
                }),
                Some(r),
            ) => Some(crate::rs::devfec::RefTap {
                data: d,
                valid: v,
                source: &r.source,
            }),
            _ => None,
        };
        let tap = crate::rs::devfec::Tap {
            clk: &clk,
            rst: rst_of(),
            chain_rst: rst_of(),
            take: &take,
            data: &w.m_data,
            reference,
        };
        crate::rs::devfec::instantiate(&mut m, rx, f, parallel, fr, &tap)?;
    }
    // the top's own registers (statistics, the decoder's counters, the
    // slice) share copies of `rst`; with the decoder chain's `eq_rst` copy
    // as a data mux Yosys makes one OR per copy, so neither reset crosses
    // the die to thousands of pins
    m.split_reset(crate::hdl::FANOUT_BITS)?;
    m.output("tx_data", &w.tx_data, "byte to send")?;
    m.output("tx_valid", &w.tx_valid, "tx_data valid")?;
    mods.push(csr);
    mods.push(br);
    if let Some((emu, chk)) = tester {
        mods.push(emu);
        mods.push(chk);
    }
    if let Some((sub, rx)) = fec_mods {
        mods.extend(sub);
        mods.push(rx);
    }
    mods.push(m);
    Ok(mods)
}

/// The device's byte interface and its clock.
struct ByteIo<'a> {
    clk: &'a Expr,
    rst: &'a Expr,
    rx_data: &'a Expr,
    rx_valid: &'a Expr,
    tx_ready: &'a Expr,
}

/// The bridge `br` on the byte interface `io`, the CSR block's ports and the
/// sample and decision streams (the BER tester's `routed` ones when it is
/// there), each through two register slices.
fn bridge_instance(
    m: &mut Module,
    br: &Module,
    w: &Wires,
    routed: Option<&crate::bert::Routed>,
    io: &ByteIo,
) -> Result<(), RtlError> {
    m.comment("the equalizer's decisions to the bridge through two register slices");
    // the bridge sits by the CSR block and the equalizer by its multipliers:
    // a slice registers the valid and the ready, and with two in a row (one
    // by each block) the placer need not put one slice's logic at both ends
    // of that distance: every path crosses it at most once, from register
    // to register
    let br_ready = m.wire_decl("br_symbol_tready", Ty::BIT)?;
    let to_bridge = crate::fifo::slice_pair(
        m,
        "br_sym",
        &w.m_data,
        routed.map_or(&w.m_valid, |r| &r.br_give),
        &br_ready,
    )?;
    m.assign(&w.m_ready, &to_bridge.s_ready)?;

    m.comment("the bridge's samples to the equalizer through two register slices");
    // the same distance the other way: the bridge's sample packer waited on
    // the equalizer's ready (or the tester's source mux) from across the die
    let smp_data = m.wire_decl("br_sample_tdata", w.s_data.ty())?;
    let smp_valid = m.wire_decl("br_sample_tvalid", Ty::BIT)?;
    let to_eq = crate::fifo::slice_pair(
        m,
        "br_smp",
        &smp_data,
        &smp_valid,
        routed.map_or(&w.s_ready, |r| &r.br_take),
    )?;
    m.assign(&w.s_data, &to_eq.m_data)?;
    m.assign(&w.s_valid, &to_eq.m_valid)?;

    m.comment("bridge");
    let mut bc: Vec<(String, Expr)> = vec![
        ("clk".into(), io.clk.clone()),
        ("rst".into(), io.rst.clone()),
        ("s_byte_tdata".into(), io.rx_data.clone()),
        ("s_byte_tvalid".into(), io.rx_valid.clone()),
        ("m_byte_tready".into(), io.tx_ready.clone()),
        ("csr_rd_data".into(), w.rd_data.clone()),
        ("m_axis_tready".into(), to_eq.s_ready.clone()),
        ("s_axis_tdata".into(), to_bridge.m_data.clone()),
        ("s_axis_tvalid".into(), to_bridge.m_valid.clone()),
        ("soft_rst".into(), w.q_ctrl.clone()),
        ("csr_wr_en".into(), w.wr_en.clone()),
        ("csr_wr_addr".into(), w.wr_addr.clone()),
        ("csr_wr_data".into(), w.wr_data.clone()),
        ("csr_rd_addr".into(), w.rd_addr.clone()),
        ("m_axis_tdata".into(), smp_data.clone()),
        ("m_axis_tvalid".into(), smp_valid.clone()),
        ("s_axis_tready".into(), br_ready.clone()),
        ("m_byte_tdata".into(), w.tx_data.clone()),
        ("m_byte_tvalid".into(), w.tx_valid.clone()),
        ("busy".into(), w.busy.clone()),
        ("slots_used".into(), w.used.clone()),
    ];
    for (n, e) in &w.cnts {
        bc.push((format!("cnt_{n}"), e.clone()));
    }
    let c: Vec<(&str, &Expr)> = bc.iter().map(|(n, e)| (n.as_str(), e)).collect();
    m.instance(br, "u_bridge", &c)
}

/// The device top's header: its build parameters.
fn header(
    fmt: &RxFormat,
    parallel: usize,
    blocks: DeviceBlocks,
    map: &crate::csr::RegMap,
) -> Header {
    let DeviceBlocks { adapt, bert, fec } = blocks;
    let h = Header::new(
        "device top: byte-stream bridge, CSR block, equalizer, statistics",
        regen::DEVICE,
    )
    .param("rtl.parallel (P)", parallel)
    .param("ffe.taps (N)", fmt.ffe_taps)
    .param("dfe.taps (M)", fmt.dfe_taps)
    .param("adc.bits", fmt.adc_bits)
    .param("register map hash", format!("0x{:016x}", map.hash()))
    .param(
        "adapt.in_rtl",
        match adapt {
            Some(a) => format!(
                "true (mu_shift {}, delay {}, leak_shift {}, {})",
                a.mu_shift,
                a.delay,
                a.leak_shift,
                a.block.name()
            ),
            None => "false".into(),
        },
    )
    .note("Byte interface: docs/device.md; registers: docs/registers.md");
    let h = match bert {
        Some(b) => h.param(
            "bert",
            format!(
                "true: link emulator (T = {} taps) and BER checker (max delay {}, FIFO {} words)",
                b.emu.taps, b.check.max_delay, b.check.fifo_words
            ),
        ),
        None => h,
    };
    match fec {
        Some(f) => h.param(
            "tx.fec",
            format!(
                "{}: gearbox{} and RS decoder at S = {} (a symbol leaves {} beats after it entered{})",
                f.code.name(),
                if f.interleave { ", 2-way de-interleave" } else { "" },
                f.symbols,
                crate::rs::dec_latency(f.code, f.symbols) + 1,
                if f.interleave { " the de-interleave" } else { "" }
            ),
        ),
        None => h,
    }
}

/// Declares the wires of the adaptive equalizer's readback ports and of the
/// `adapt` registers the CSR block exports.
fn adapt_wires(m: &mut Module, eq: &Module) -> Result<AdaptWires, RtlError> {
    let mut readback = Vec::new();
    for n in ["adapt_ffe", "adapt_dfe", "adapt_threshold", "adapt_updates"] {
        if let Some(p) = eq.ports().iter().find(|p| p.name == n) {
            readback.push((n, m.wire_decl(&format!("eq_{n}"), p.ty)?));
        }
    }
    let step = match eq.ports().iter().find(|p| p.name == "s_axis_tstep") {
        Some(p) => Some(m.wire_decl("q_adapt_step", p.ty)?),
        None => None,
    };
    Ok(AdaptWires {
        mode: m.wire_decl("q_adapt_mode", Ty::u(2))?,
        freeze: m.wire_decl("q_adapt_freeze", Ty::BIT)?,
        step,
        readback,
    })
}

/// The adaptive equalizer's sidebands: every word's mode from the `adapt`
/// registers (0 while frozen); no known levels come over the bridge.
fn adapt_side(m: &mut Module, a: &AdaptWires, parallel: usize) -> Result<[Expr; 3], RtlError> {
    let p = parallel as u32;
    let mode = m.wire(
        "adapt_word_mode",
        &Expr::mux(&a.freeze, &k(0, Ty::u(2))?, &a.mode)?,
    )?;
    let known = m.wire("adapt_known", &k(0, Ty::u(2 * p))?)?;
    let known_valid = m.wire("adapt_known_valid", &k(0, Ty::u(p))?)?;
    Ok([mode, known, known_valid])
}

/// The source of an `adapt.*` snapshot register: a field of the engine's
/// readback buses (taps packed tap 0 in the LSBs).
fn adapt_source(a: &AdaptWires, map: &crate::csr::RegMap, name: &str) -> Option<Expr> {
    let reg = map.reg(name)?;
    let bus = |port: &str| a.readback.iter().find(|(n, _)| *n == port).map(|x| &x.1);
    let field = |port: &str, i: u32| -> Option<Expr> {
        bus(port)?
            .slice((i + 1) * reg.width - 1, i * reg.width)
            .ok()
    };
    let r = name.strip_prefix("adapt.")?;
    match r {
        "updates" => bus("adapt_updates").cloned(),
        "threshold" => bus("adapt_threshold").cloned(),
        _ if r.starts_with("ffe") => field("adapt_ffe", r[3..].parse().ok()?),
        _ if r.starts_with("dfe") => field("adapt_dfe", r[3..].parse::<u32>().ok()? - 1),
        _ => None,
    }
}

/// Declares the wires the instances drive.
fn wires(m: &mut Module, fmt: &RxFormat, parallel: usize) -> Result<Wires, RtlError> {
    let p = parallel as u32;
    let ob = fmt.ffe_out_bits;
    let sb = clog2(crate::proto::RX_SLOTS).max(1);
    let mut w = |name: &str, ty: Ty| m.wire_decl(name, ty);
    let mut out = Wires {
        rd_data: w("csr_rd_data", Ty::u(32))?,
        q_ctrl: w("q_ctrl_control", Ty::BIT)?,
        eq_we: w("eq_cfg_we", Ty::BIT)?,
        eq_addr: w("eq_cfg_addr", Ty::u(crate::eq::cfg_addr_bits(fmt)))?,
        eq_wdata: w("eq_cfg_wdata", Ty::u(crate::eq::cfg_data_bits(fmt)))?,
        s_ready: w("sample_tready", Ty::BIT)?,
        m_data: w("symbol_tdata", Ty::u(2 * p))?,
        m_valid: w("symbol_tvalid", Ty::BIT)?,
        ffe_out: w("m_ffe_out", Ty::u(p * ob))?,
        slicer_level: w("m_slicer_level", Ty::u(2 * p))?,
        tx_data: w("tx_data_w", Ty::u(8))?,
        tx_valid: w("tx_valid_w", Ty::BIT)?,
        wr_en: w("csr_wr_en", Ty::BIT)?,
        wr_addr: w("csr_wr_addr", Ty::u(16))?,
        wr_data: w("csr_wr_data", Ty::u(32))?,
        rd_addr: w("csr_rd_addr", Ty::u(16))?,
        s_data: w("sample_tdata", Ty::u(p * fmt.adc_bits))?,
        s_valid: w("sample_tvalid", Ty::BIT)?,
        m_ready: w("symbol_tready", Ty::BIT)?,
        busy: w("busy", Ty::BIT)?,
        used: w("slots_used", Ty::u(sb + 1))?,
        s_fire: w("sample_taken", Ty::BIT)?,
        m_fire: w("symbol_taken", Ty::BIT)?,
        cnts: Vec::new(),
    };
    for c in COUNTERS {
        out.cnts.push((c, w(&format!("cnt_{c}"), Ty::u(32))?));
    }
    Ok(out)
}

/// The stream counters (cleared by `eq_reset`: `clear` is the equalizer
/// side's reset, a copy registered as the equalizer's, so the counters leave
/// their clear when the equalizer leaves its reset) and the status word.
fn stream_stats(
    m: &mut Module,
    fmt: &RxFormat,
    parallel: usize,
    w: &Wires,
    clear: &Expr,
) -> Result<Stats, RtlError> {
    let p = parallel as u32;
    let ob = fmt.ffe_out_bits;
    let sb = clog2(crate::proto::RX_SLOTS).max(1);
    m.comment("stream counters (cleared by eq_reset)");
    let u64t = Ty::u(64);
    // no reset value of their own: `clear` is the equalizer side's reset,
    // power-on included, so a reset value would only have Yosys OR the
    // top's power-on reset into every counter bit's LSR (as it did to the
    // decoder's counters)
    let counter = |m: &mut Module, name: &str, en: &Expr, inc: &Expr| -> Result<Expr, RtlError> {
        let r = m.reg(name, u64t, None)?;
        let next = Expr::mux(clear, &k(0, u64t)?, &Expr::mux(en, &r.add(inc)?, &r)?)?;
        m.next(&r, &next, None)?;
        Ok(r)
    };
    let pk = k(p as i128, u64t)?;
    // every handshake the counters see is registered first: the logic of
    // the equalizer's sources and sinks need not reach the counters' enables
    // (symbol_taken -> st_symbols_out.CE was 17.1 ns placed on 38747de)
    let sfire_q = m.reg_d("st_sfire_q", &w.s_fire.and(&clear.not())?, None, Some(0))?;
    let samples_in = counter(m, "st_samples_in", &sfire_q, &pk)?;
    // the symbols, the levels and the saturations count the equalizer's
    // output handshake (`symbol_taken`), whoever takes the word: the bridge,
    // or the tester. The word's levels and FFE outputs are registered as
    // they are, then their per-word counts are summed (a balanced tree) and
    // registered before the 64-bit adders, so the FIFO's read, the slicer's
    // compare, the sum and the carry chain are three paths, not one. The
    // counts are registered once more (`{name}_q`) beside the counters,
    // which sit by the CSR block while the sums sit by the equalizer
    // (`sat_n -> st_ffe_saturated`, 19.2 ns placed on 59fb970); the
    // handshake is registered three times to match (`st_fire_q3`). These
    // counters run three clocks behind the stream
    let fire_q = m.reg_d("st_fire_q", &w.m_fire.and(&clear.not())?, None, Some(0))?;
    let fire_q = m.reg_d("st_fire_q2", &fire_q.and(&clear.not())?, None, Some(0))?;
    let fire_q = m.reg_d("st_fire_q3", &fire_q.and(&clear.not())?, None, Some(0))?;
    let symbols_out = counter(m, "st_symbols_out", &fire_q, &pk)?;
    let cw = clog2(p as usize + 1).max(1);
    let popcount = |m: &mut Module, name: &str, bits: Vec<Expr>| -> Result<Expr, RtlError> {
        let n = crate::rs::hdl_util::sum(m, &format!("{name}_s"), &bits, cw)?;
        let n = m.reg_d(name, &n, None, Some(0))?;
        m.reg_d(&format!("{name}_q"), &n, None, Some(0))?.ext(64)
    };
    // the equalizer's levels and FFE outputs are its output FIFO's head, an
    // asynchronous read: registered as they are (`st_level_q`, `st_y_q`)
    // before the compares and the sums, a clock ahead of them (the FIFO's
    // read into the popcounts was 20.1 ns placed on 38747de)
    let level_q = m.reg_d("st_level_q", &w.slicer_level, None, None)?;
    let y_q = m.reg_d("st_y_q", &w.ffe_out, None, None)?;
    let mut levels = Vec::new();
    for l in 0..4 {
        let mut bits = Vec::new();
        for i in 0..p {
            bits.push(level_q.slice(2 * i + 1, 2 * i)?.eq(&k(l, Ty::u(2))?)?);
        }
        let n = popcount(m, &format!("lvl{l}_n"), bits)?;
        levels.push(counter(m, &format!("st_level{l}"), &fire_q, &n)?);
    }
    let mut sat = Vec::new();
    for i in 0..p {
        let y = m.wire(
            &format!("y{i}"),
            &y_q.slice(ob * i + ob - 1, ob * i)?.as_signed(),
        )?;
        let hi = y.eq(&k(smax(ob) as i128, Ty::s(ob))?)?;
        let lo = y.eq(&k(smin(ob) as i128, Ty::s(ob))?)?;
        sat.push(hi.or(&lo)?);
    }
    let satn = popcount(m, "sat_n", sat)?;
    let saturated = counter(m, "st_ffe_saturated", &fire_q, &satn)?;
    // the bridge's flags registered once more here: they are read through
    // the CSR's read port, across the die from the bridge
    // (`slots_used -> rd_g4`, 18.4 ns placed on eec47f6)
    let used_q = m.reg_d("st_used_q", &w.used, None, Some(0))?;
    let busy_q = m.reg_d("st_busy_q", &w.busy, None, Some(0))?;
    let status = Expr::concat(&[
        k(0, Ty::u(16 + 8 - (sb + 1)))?,
        used_q,
        k(0, Ty::u(7))?,
        busy_q,
    ])?;
    Ok(Stats {
        status,
        samples_in,
        symbols_out,
        levels,
        saturated,
    })
}

/// The CSR decoder instance, every status and snapshot register connected
/// to its source.
#[allow(clippy::too_many_arguments)]
fn csr_instance(
    m: &mut Module,
    csr: &Module,
    map: &crate::csr::RegMap,
    clk: &Expr,
    rst: &Expr,
    w: &Wires,
    st: &Stats,
    blocks: &Optional,
) -> Result<(), RtlError> {
    let adapt = blocks.adapt;
    let q_ctrl = &w.q_ctrl;
    let mut conns: Vec<(String, Expr)> = vec![
        ("clk".into(), clk.clone()),
        ("rst".into(), rst.clone()),
        ("wr_en".into(), w.wr_en.clone()),
        ("wr_addr".into(), w.wr_addr.clone()),
        ("wr_data".into(), w.wr_data.clone()),
        ("rd_addr".into(), w.rd_addr.clone()),
        ("soft_rst".into(), q_ctrl.clone()),
        ("q_ctrl_control".into(), q_ctrl.clone()),
        ("eq_cfg_we".into(), w.eq_we.clone()),
        ("eq_cfg_addr".into(), w.eq_addr.clone()),
        ("eq_cfg_wdata".into(), w.eq_wdata.clone()),
        ("rd_data".into(), w.rd_data.clone()),
    ];
    if let Some(b) = blocks.bert {
        conns.extend(b.csr_outputs().iter().cloned());
    }
    if let Some(f) = blocks.fec {
        conns.extend(f.csr_outputs());
    }
    if let Some(a) = adapt {
        conns.push(("q_adapt_mode".into(), a.mode.clone()));
        conns.push(("q_adapt_freeze".into(), a.freeze.clone()));
        if let Some(st) = &a.step {
            conns.push(("q_adapt_step".into(), st.clone()));
        }
    }
    let no_source = |n: &str| RtlError::Port {
        inst: "u_csr".into(),
        port: n.into(),
        why: "has no source".into(),
    };
    for r in map.regs() {
        if !matches!(r.kind, Kind::Status | Kind::Snapshot) {
            continue;
        }
        let v = match r.name.as_str() {
            "ctrl.status" => st.status.clone(),
            "stats.samples_in" => st.samples_in.clone(),
            "stats.symbols_out" => st.symbols_out.clone(),
            "stats.ffe_saturated" => st.saturated.clone(),
            n if n.starts_with("stats.level") => st.levels[n["stats.level".len()..]
                .parse::<usize>()
                .expect("level index")]
            .clone(),
            n if n.starts_with("adapt.") => adapt
                .and_then(|a| adapt_source(a, map, n))
                .ok_or_else(|| no_source(n))?,
            n if n.starts_with("fec.") => blocks
                .fec
                .and_then(|f| f.status_source(n))
                .ok_or_else(|| no_source(n))?,
            n if n.starts_with("check.") => blocks
                .bert
                .and_then(|b| b.status_source(n))
                .ok_or_else(|| no_source(n))?,
            n if n.starts_with("bridge.") => w
                .cnts
                .iter()
                .find(|(c, _)| *c == &n["bridge.".len()..])
                .map(|(_, e)| e.clone())
                .ok_or_else(|| no_source(n))?,
            n => return Err(no_source(n)),
        };
        conns.push((format!("in_{}", r.ident()), v));
    }
    let c: Vec<(&str, &Expr)> = conns.iter().map(|(n, e)| (n.as_str(), e)).collect();
    m.instance(csr, "u_csr", &c)
}

/// The device design in memory (files submodules first, `rxdsp_top` last).
pub fn design(fmt: &RxFormat, parallel: usize) -> Result<Design, RtlError> {
    design_with(fmt, parallel, None)
}

/// [`design`] with the adaptation engine `adapt` (see [`build_with`]).
pub fn design_with(
    fmt: &RxFormat,
    parallel: usize,
    adapt: Option<&HwAdaptParams>,
) -> Result<Design, RtlError> {
    design_device(
        fmt,
        parallel,
        DeviceBlocks {
            adapt,
            ..DeviceBlocks::default()
        },
    )
}

/// [`design`] with the optional `blocks` (see [`build_device`]).
pub fn design_device(
    fmt: &RxFormat,
    parallel: usize,
    blocks: DeviceBlocks,
) -> Result<Design, RtlError> {
    let mods = build_device(fmt, parallel, blocks)?;
    let mut files = Vec::new();
    for m in &mods {
        files.push((format!("{}.v", m.name()), m.emit()?));
    }
    Ok(Design {
        files,
        ports: mods.last().expect("top is built").ports().to_vec(),
        latency: crate::latency(fmt, parallel),
    })
}

/// Title of the generated register page.
pub fn registers_title(fmt: &RxFormat, parallel: usize) -> String {
    format!(
        "rxdsp device registers (P = {parallel}, N = {}, M = {})",
        fmt.ffe_taps, fmt.dfe_taps
    )
}

/// Writes the device (every module, `rxdsp_device.f`) and its register page
/// `registers.md` into `out_dir`. Returns the files written, file list and
/// register page last.
pub fn generate(
    fmt: &RxFormat,
    parallel: usize,
    out_dir: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>, RtlError> {
    generate_with(fmt, parallel, None, out_dir)
}

/// [`generate`] with the adaptation engine `adapt` (see [`build_with`]).
pub fn generate_with(
    fmt: &RxFormat,
    parallel: usize,
    adapt: Option<&HwAdaptParams>,
    out_dir: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>, RtlError> {
    generate_device(
        fmt,
        parallel,
        DeviceBlocks {
            adapt,
            ..DeviceBlocks::default()
        },
        out_dir,
    )
}

/// [`generate`] with the optional `blocks` (see [`build_device`]).
pub fn generate_device(
    fmt: &RxFormat,
    parallel: usize,
    blocks: DeviceBlocks,
    out_dir: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>, RtlError> {
    let d = design_device(fmt, parallel, blocks)?;
    let io = |path: &std::path::Path, e| RtlError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    std::fs::create_dir_all(out_dir).map_err(|e| io(out_dir, e))?;
    let mut out = Vec::new();
    for (n, text) in &d.files {
        let p = out_dir.join(n);
        std::fs::write(&p, text).map_err(|e| io(&p, e))?;
        out.push(p);
    }
    let fl = out_dir.join("rxdsp_device.f");
    std::fs::write(&fl, d.filelist()).map_err(|e| io(&fl, e))?;
    out.push(fl);
    let md = regmap_device(fmt, parallel, blocks).markdown(&registers_title(fmt, parallel));
    let rp = out_dir.join("registers.md");
    std::fs::write(&rp, md).map_err(|e| io(&rp, e))?;
    out.push(rp);
    Ok(out)
}
