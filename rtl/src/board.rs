//! The board top `rxdsp_board_top`: a reset synchronizer, the UART PHY
//! ([`crate::uart`]) and the device top `rxdsp_top` ([`crate::top`]), with
//! four status LEDs. Its ports are exactly those of the board pin files
//! (`synth/boards/*.lpf`): `clk`, `rst_n`, `uart_rx`, `uart_tx`, `led[3:0]`.
//!
//! ```text
//! rst_n -> 2 flops -> rst (synchronous, active high; also high for the
//!                           first two cycles after configuration)
//! uart_rx -> rxdsp_uart -> rx_data/rx_valid -> rxdsp_top -> tx_data/tx_valid
//! uart_tx <- rxdsp_uart <- tx_ready ---------------------/
//! led[0] heartbeat (toggles every 2^(ceil(log2 clk_hz) - 1) cycles, 0.5 to 1 s)
//! led[1] a byte was received in the last ~1/16 s
//! led[2] a byte was sent in the last ~1/16 s
//! led[3] a framing error was seen since reset (blinks off at each new one)
//! ```
//!
//! With a PLL ([`BoardParams::pll`], ECP5 only) that body is the module
//! `rxdsp_board_core`, clocked by the PLL's output, and `rxdsp_board_top` is
//! the wrapper of [`crate::pll::pll_top`] around it (same pins): the device
//! then runs at the PLL's clock instead of the oscillator's, and the core
//! stays in reset until the PLL has locked.

use crate::hdl::{Expr, Header, Module, Ty};
use crate::uart::{build_uart, UartParams};
use crate::{regen, Design, RtlError};
use golden::numeric::{clog2, RxFormat};
use std::path::{Path, PathBuf};

/// Name of the board top module.
pub const BOARD_TOP: &str = "rxdsp_board_top";

/// Name of the board top's body when a PLL wraps it ([`BoardParams::pll`]).
pub const BOARD_CORE: &str = "rxdsp_board_core";

/// Name of the board design's file list.
pub const BOARD_FILELIST: &str = "rxdsp_board.f";

/// Generation parameters of the board top (besides the receiver's format).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoardParams {
    /// the clock of the design's registers (the oscillator's, or the PLL's
    /// output when `pll` is set) and the UART baud rate
    pub uart: UartParams,
    /// drive an LED low to light it (the board's LEDs sink current)
    pub leds_active_low: bool,
    /// an ECP5 PLL between the oscillator and the design; `uart.clk_hz` is
    /// then its output rounded to a whole Hz ([`crate::pll::Pll::out_hz_round`])
    pub pll: Option<crate::pll::Pll>,
}

fn k(v: u64, w: u32) -> Result<Expr, RtlError> {
    Expr::konst(v as i128, Ty::u(w))
}

/// A counter loaded with all ones on `event` and counting down to zero;
/// returns "not zero" (the stretched event).
fn stretch(m: &mut Module, name: &str, event: &Expr, width: u32) -> Result<Expr, RtlError> {
    let c = m.reg(name, Ty::u(width), Some(0))?;
    let nz = m.wire(&format!("{name}_on"), &c.eq(&k(0, width)?)?.not())?;
    let ones = k((1u64 << width) - 1, width)?;
    let dec = Expr::mux(&nz, &c.sub(&k(1, width)?)?, &c)?;
    m.next(&c, &Expr::mux(event, &ones, &dec)?, None)?;
    Ok(nz)
}

/// Builds every module of the board design, submodules first,
/// `rxdsp_board_top` last.
pub fn build(fmt: &RxFormat, parallel: usize, bp: &BoardParams) -> Result<Vec<Module>, RtlError> {
    build_device(fmt, parallel, bp, crate::top::DeviceBlocks::default())
}

/// [`build`] around the device with the optional `blocks`: the BER tester
/// (the link emulator and the checker, [`crate::bert`]: on a board, `rxdsp
/// bert --device serial://...` then runs at fabric speed with only counters
/// crossing the UART), the RS decoder chain, the adaptation engine.
pub fn build_device(
    fmt: &RxFormat,
    parallel: usize,
    bp: &BoardParams,
    blocks: crate::top::DeviceBlocks,
) -> Result<Vec<Module>, RtlError> {
    if let Some(p) = &bp.pll {
        if p.out_hz_round() != bp.uart.clk_hz {
            return Err(RtlError::Param {
                name: "board clock (Hz)",
                value: bp.uart.clk_hz as i64,
                why: format!("the UART's clock must be the PLL's output, {p}"),
            });
        }
    }
    let uart = build_uart(&bp.uart)?;
    let div = bp.uart.divisor()?;
    let mut mods = crate::top::build_device(fmt, parallel, blocks)?;
    let dev = mods.last().expect("rxdsp_top is built last");
    let clk_hz = bp.uart.clk_hz;
    let hb_bits = clog2(clk_hz as usize).max(1);
    let act_bits = clog2((clk_hz / 16) as usize).max(1);
    let mut m = Module::new(
        if bp.pll.is_some() {
            BOARD_CORE
        } else {
            BOARD_TOP
        },
        Header::new(
            format!(
                "reset synchronizer + {} + {}, four status LEDs",
                crate::uart::UART_MODULE,
                crate::top::DEVICE_TOP
            ),
            if bp.pll.is_some() {
                regen::BOARD_PLL
            } else {
                regen::BOARD
            },
        )
        .param(
            if bp.pll.is_some() {
                "clk_hz (the PLL's output)"
            } else {
                "clk_hz (board clock)"
            },
            clk_hz,
        )
        .param("baud (UART)", format!("{} (divisor {div})", bp.uart.baud))
        .param("leds_active_low", bp.leds_active_low)
        .param("rtl.parallel (P)", parallel)
        .param("ffe.taps (N)", fmt.ffe_taps)
        .param("dfe.taps (M)", fmt.dfe_taps)
        .param("adc.bits", fmt.adc_bits)
        .note("Ports are those of synth/boards/*.lpf; protocol: docs/device.md"),
    );
    let clk = m.clock_only()?;
    let rst_n = m.input(
        "rst_n",
        Ty::BIT,
        "reset button, active low (asynchronous, synchronized here)",
    )?;
    let uart_rx = m.input(
        "uart_rx",
        Ty::BIT,
        "serial line from the host (USB-UART TXD), 8N1",
    )?;

    m.comment("reset: two flops, no reset of their own (zero after configuration)");
    let r1 = m.reg_d("rst_s1", &rst_n, None, None)?;
    let r2 = m.reg_d("rst_s2", &r1, None, None)?;
    let rst = m.reset_wire(&r2.not())?;

    let mut w = |name: &str, ty: Ty| m.wire_decl(name, ty);
    let txd = w("u_txd", Ty::BIT)?;
    let tx_ready = w("u_tx_ready", Ty::BIT)?;
    let rx_data = w("u_rx_data", Ty::u(8))?;
    let rx_valid = w("u_rx_valid", Ty::BIT)?;
    let rx_ferr = w("u_rx_frame_err", Ty::BIT)?;
    let rx_errors = w("u_rx_errors", Ty::u(8))?;
    let tx_data = w("d_tx_data", Ty::u(8))?;
    let tx_valid = w("d_tx_valid", Ty::BIT)?;

    m.comment("UART PHY");
    m.instance(
        &uart,
        "u_uart",
        &[
            ("clk", &clk),
            ("rst", &rst),
            ("rxd", &uart_rx),
            ("tx_data", &tx_data),
            ("tx_valid", &tx_valid),
            ("txd", &txd),
            ("tx_ready", &tx_ready),
            ("rx_data", &rx_data),
            ("rx_valid", &rx_valid),
            ("rx_frame_err", &rx_ferr),
            ("rx_errors", &rx_errors),
        ],
    )?;
    m.comment("device: bridge, registers, equalizer");
    m.instance(
        dev,
        "u_dev",
        &[
            ("clk", &clk),
            ("rst", &rst),
            ("rx_data", &rx_data),
            ("rx_valid", &rx_valid),
            ("tx_ready", &tx_ready),
            ("tx_data", &tx_data),
            ("tx_valid", &tx_valid),
        ],
    )?;

    m.comment("status LEDs");
    let hb = m.reg("heartbeat", Ty::u(hb_bits), Some(0))?;
    m.next(&hb, &hb.add(&k(1, hb_bits)?)?, None)?;
    let sent = m.wire("tx_fire", &tx_valid.and(&tx_ready)?)?;
    let rx_on = stretch(&mut m, "rx_act", &rx_valid, act_bits)?;
    let tx_on = stretch(&mut m, "tx_act", &sent, act_bits)?;
    let ferr_on = stretch(&mut m, "ferr_act", &rx_ferr, act_bits)?;
    let ferr_seen = m.wire("ferr_seen", &rx_errors.eq(&k(0, 8)?)?.not())?;
    // on once an error was seen, off for ~1/16 s at each new one
    let ferr_led = m.wire("ferr_led", &ferr_seen.xor(&ferr_on)?)?;
    let leds = Expr::concat(&[ferr_led, tx_on, rx_on, hb.bit(hb_bits - 1)?])?;
    let mask = k(if bp.leds_active_low { 0xf } else { 0 }, 4)?;
    m.output(
        "uart_tx",
        &txd,
        "serial line to the host (USB-UART RXD), 8N1",
    )?;
    m.output(
        "led",
        &leds.xor(&mask)?,
        "[0] heartbeat, [1] rx activity, [2] tx activity, [3] framing error seen (blinks at each)",
    )?;
    mods.push(uart);
    if let Some(p) = &bp.pll {
        let header = Header::new(
            format!("the board's oscillator through an ECP5 PLL into {BOARD_CORE}"),
            regen::BOARD_PLL,
        )
        .param("oscillator (Hz)", p.in_hz)
        .param("PLL", p)
        .param("clk_hz (the core's clock)", clk_hz)
        .note("Ports are those of synth/boards/*.lpf; the core is in reset until the PLL locks");
        let top = crate::pll::pll_top(&m, p, "rst_n", BOARD_TOP, header)?;
        mods.push(m);
        mods.push(top);
    } else {
        mods.push(m);
    }
    Ok(mods)
}

/// The board design in memory (submodules first, `rxdsp_board_top` last).
pub fn design(fmt: &RxFormat, parallel: usize, bp: &BoardParams) -> Result<Design, RtlError> {
    design_device(fmt, parallel, bp, crate::top::DeviceBlocks::default())
}

/// [`design`] with the device's optional `blocks` (see [`build_device`]).
pub fn design_device(
    fmt: &RxFormat,
    parallel: usize,
    bp: &BoardParams,
    blocks: crate::top::DeviceBlocks,
) -> Result<Design, RtlError> {
    let mods = build_device(fmt, parallel, bp, blocks)?;
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

/// Writes the board design into `out_dir` (created if missing): one `.v`
/// file per module and [`BOARD_FILELIST`]. Returns the Verilog files,
/// submodules first, `rxdsp_board_top.v` last (the file list is not among them).
pub fn generate(
    fmt: &RxFormat,
    parallel: usize,
    bp: &BoardParams,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, RtlError> {
    let d = design(fmt, parallel, bp)?;
    let io = |path: &Path, e| RtlError::Io {
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
    let fl = out_dir.join(BOARD_FILELIST);
    std::fs::write(&fl, d.filelist()).map_err(|e| io(&fl, e))?;
    Ok(out)
}
