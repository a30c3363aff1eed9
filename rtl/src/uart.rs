//! The UART PHY `rxdsp_uart`: 8N1 (one start bit, eight data bits LSB
//! first, one stop bit, no parity), the bit time a whole number of clock
//! cycles (the divisor) fixed at generation time from the clock frequency and
//! the baud rate.
//!
//! ```text
//! rxd -> 2-flop synchronizer -> falling edge -> half a bit -> start bit still low?
//!     -> 8 data bits sampled mid-bit -> stop bit high? -> rx_data/rx_valid
//!                                                    low? -> rx_frame_err, byte dropped
//! tx_data/tx_valid/tx_ready -> start, 8 data bits, stop -> txd (registered)
//! ```
//!
//! The receiver re-arms only on a falling edge, so a line held low (a break,
//! or an unplugged cable on a pin without pull-up) gives one framing error,
//! not a stream of them; after a framing error it needs the line high (idle)
//! before the next start bit, like any UART that lost its frame alignment
//! (the bridge's COBS framing and CRC-32 then drop the damaged frame). It has no FIFO and no flow control: a byte is
//! presented for one cycle and must be taken then (as `rxdsp_top` does).
//!
//! ```
//! use rtl::uart::UartParams;
//! let p = UartParams { clk_hz: 25_000_000, baud: 115_200 };
//! assert_eq!(p.divisor().unwrap(), 217);
//! // 25 MHz cannot make 3 Mbaud within 2 %: refused
//! assert!(UartParams { clk_hz: 25_000_000, baud: 3_000_000 }.divisor().is_err());
//! ```

use crate::hdl::{Expr, Header, Module, Ty};
use crate::{regen, RtlError};
use golden::numeric::clog2;

/// Name of the UART module.
pub const UART_MODULE: &str = "rxdsp_uart";

/// Smallest divisor (clock cycles per bit) accepted: below it mid-bit
/// sampling has no margin left for the synchronizer delay and baud error.
pub const MIN_DIVISOR: u64 = 4;

/// Largest accepted difference between the requested baud rate and the one
/// the integer divisor gives, in percent.
pub const MAX_BAUD_ERROR_PCT: f64 = 2.0;

/// Generation parameters of the UART.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UartParams {
    /// clock frequency, Hz
    pub clk_hz: u64,
    /// baud rate, bits per second
    pub baud: u32,
}

impl UartParams {
    /// Clock cycles per bit: `clk_hz / baud` rounded to the nearest integer;
    /// refused when below [`MIN_DIVISOR`] or when the resulting baud rate is
    /// more than [`MAX_BAUD_ERROR_PCT`] off the requested one.
    pub fn divisor(&self) -> Result<u64, RtlError> {
        if self.clk_hz == 0 {
            return Err(RtlError::Param {
                name: "uart clock Hz",
                value: 0,
                why: "must be positive".into(),
            });
        }
        if self.baud == 0 {
            return Err(RtlError::Param {
                name: "uart baud",
                value: 0,
                why: "must be positive".into(),
            });
        }
        let b = self.baud as u64;
        let div = (self.clk_hz + b / 2) / b;
        if div < MIN_DIVISOR {
            return Err(RtlError::Param {
                name: "uart baud",
                value: self.baud as i64,
                why: format!(
                    "a {} Hz clock gives {div} cycles per bit, at least {MIN_DIVISOR} are needed \
                     (highest baud rate: {})",
                    self.clk_hz,
                    self.clk_hz / MIN_DIVISOR
                ),
            });
        }
        let err = self.error_pct_for(div);
        if err.abs() > MAX_BAUD_ERROR_PCT {
            return Err(RtlError::Param {
                name: "uart baud",
                value: self.baud as i64,
                why: format!(
                    "a {} Hz clock divided by {div} gives {:.0} baud, {err:+.2} % off \
                     (at most {MAX_BAUD_ERROR_PCT} % allowed); pick a baud rate near {} / N",
                    self.clk_hz,
                    self.clk_hz as f64 / div as f64,
                    self.clk_hz
                ),
            });
        }
        Ok(div)
    }

    fn error_pct_for(&self, div: u64) -> f64 {
        let actual = self.clk_hz as f64 / div as f64;
        (actual / self.baud as f64 - 1.0) * 100.0
    }

    /// The baud rate actually made, and its error against `baud` in percent.
    pub fn actual(&self) -> Result<(f64, f64), RtlError> {
        let div = self.divisor()?;
        Ok((self.clk_hz as f64 / div as f64, self.error_pct_for(div)))
    }
}

fn k(v: u64, w: u32) -> Result<Expr, RtlError> {
    Expr::konst(v as i128, Ty::u(w))
}

fn sel(default: &Expr, cases: &[(Expr, Expr)]) -> Result<Expr, RtlError> {
    let mut acc = default.clone();
    for (c, v) in cases.iter().rev() {
        acc = Expr::mux(c, v, &acc)?;
    }
    Ok(acc)
}

/// Builds `rxdsp_uart` for `p` (refused as [`UartParams::divisor`] says).
pub fn build_uart(p: &UartParams) -> Result<Module, RtlError> {
    let div = p.divisor()?;
    let (actual, err) = p.actual()?;
    let cw = clog2(div as usize).max(1);
    // the start bit is sampled (half + 1) cycles after the synchronized edge
    // is seen, which is about two cycles after the line fell: mid-bit
    let half = ((div - 1) / 2).max(1) - 1;
    let bit = Ty::BIT;
    let mut m = Module::new(
        UART_MODULE,
        Header::new("UART PHY, 8N1, LSB first, no flow control", regen::BOARD)
            .param("clk_hz (clock frequency)", p.clk_hz)
            .param("baud (requested)", p.baud)
            .param(
                "divisor (clocks per bit)",
                format!("{div} ({actual:.1} baud, {err:+.3} %)"),
            )
            .param("rx_sample", half + 1)
            .note("rx_sample: clocks from the synchronized falling edge to the start-bit sample"),
    );
    m.clock()?;
    let rxd = m.input("rxd", bit, "serial line in, idle high (asynchronous)")?;
    let tx_data = m.input("tx_data", Ty::u(8), "byte to send")?;
    let tx_valid = m.input("tx_valid", bit, "tx_data valid, taken when tx_ready")?;

    m.comment("receiver: two-flop synchronizer and the previous synchronized level");
    let s1 = m.reg_d("rx_s1", &rxd, None, Some(1))?;
    let s2 = m.reg_d("rx_s2", &s1, None, Some(1))?;
    let s3 = m.reg_d("rx_s3", &s2, None, Some(1))?;
    let busy = m.reg("rx_busy", bit, Some(0))?;
    let cnt = m.reg("rx_cnt", Ty::u(cw), Some(0))?;
    let nbit = m.reg("rx_bit", Ty::u(4), Some(0))?;
    let sh = m.reg("rx_shift", Ty::u(8), Some(0))?;
    let tick = m.wire("rx_tick", &busy.and(&cnt.eq(&k(0, cw)?)?)?)?;
    let start = m.wire("rx_start", &busy.not().and(&s2.not())?.and(&s3)?)?;
    let at_start = m.wire("rx_at_start", &nbit.eq(&k(0, 4)?)?)?;
    let at_stop = m.wire("rx_at_stop", &nbit.eq(&k(9, 4)?)?)?;
    let false_start = m.wire("rx_false_start", &tick.and(&at_start)?.and(&s2)?)?;
    let done = m.wire("rx_done", &tick.and(&at_stop)?)?;
    let data_bit = m.wire(
        "rx_data_bit",
        &tick.and(&at_start.not())?.and(&at_stop.not())?,
    )?;
    let one = k(1, 1)?;
    let zero = k(0, 1)?;
    let nb = sel(
        &busy,
        &[
            (start.clone(), one.clone()),
            (false_start.or(&done)?, zero.clone()),
        ],
    )?;
    m.next(&busy, &nb, None)?;
    let nc = sel(
        &cnt,
        &[
            (start.clone(), k(half, cw)?),
            (tick.clone(), k(div - 1, cw)?),
            (busy.clone(), cnt.sub(&k(1, cw)?)?),
        ],
    )?;
    m.next(&cnt, &nc, None)?;
    let nn = sel(
        &nbit,
        &[
            (start.clone(), k(0, 4)?),
            (tick.clone(), nbit.add(&k(1, 4)?)?),
        ],
    )?;
    m.next(&nbit, &nn, None)?;
    m.next(
        &sh,
        &Expr::concat(&[s2.clone(), sh.slice(7, 1)?])?,
        Some(&data_bit),
    )?;
    let good = m.wire("rx_good", &done.and(&s2)?)?;
    let bad = m.wire("rx_bad", &done.and(&s2.not())?)?;
    let rx_valid = m.reg_d("rx_valid_r", &good, None, Some(0))?;
    let rx_ferr = m.reg_d("rx_ferr_r", &bad, None, Some(0))?;
    let errs = m.reg("rx_err_cnt", Ty::u(8), Some(0))?;
    let not_full = m.wire("rx_errors_not_full", &errs.eq(&k(255, 8)?)?.not())?;
    let cnt_en = m.wire("rx_errors_inc", &rx_ferr.and(&not_full)?)?;
    m.next(&errs, &errs.add(&k(1, 8)?)?, Some(&cnt_en))?;

    m.comment("transmitter: start bit, 8 data bits from a shift register, stop bit");
    let tbusy = m.reg("tx_busy", bit, Some(0))?;
    let tcnt = m.reg("tx_cnt", Ty::u(cw), Some(0))?;
    let tbit = m.reg("tx_bit", Ty::u(4), Some(0))?;
    let tsh = m.reg("tx_shift", Ty::u(9), Some(0x1ff))?;
    let line = m.reg("tx_line", bit, Some(1))?;
    let ttick = m.wire("tx_tick", &tbusy.and(&tcnt.eq(&k(0, cw)?)?)?)?;
    let tlast = m.wire("tx_last", &ttick.and(&tbit.eq(&k(9, 4)?)?)?)?;
    // ready in the last cycle of the stop bit too: bytes go back to back
    let ready = m.wire("tx_free", &tbusy.not().or(&tlast)?)?;
    let load = m.wire("tx_load", &tx_valid.and(&ready)?)?;
    let tshift = m.wire("tx_shift_en", &ttick.and(&tlast.not())?)?;
    m.next(
        &tbusy,
        &sel(
            &tbusy,
            &[(load.clone(), one.clone()), (tlast.clone(), zero.clone())],
        )?,
        None,
    )?;
    m.next(
        &tcnt,
        &sel(
            &tcnt,
            &[
                (load.clone(), k(div - 1, cw)?),
                (ttick.clone(), k(div - 1, cw)?),
                (tbusy.clone(), tcnt.sub(&k(1, cw)?)?),
            ],
        )?,
        None,
    )?;
    m.next(
        &tbit,
        &sel(
            &tbit,
            &[
                (load.clone(), k(0, 4)?),
                (ttick.clone(), tbit.add(&k(1, 4)?)?),
            ],
        )?,
        None,
    )?;
    m.next(
        &tsh,
        &sel(
            &tsh,
            &[
                (load.clone(), Expr::concat(&[one.clone(), tx_data.clone()])?),
                (
                    tshift.clone(),
                    Expr::concat(&[one.clone(), tsh.slice(8, 1)?])?,
                ),
            ],
        )?,
        None,
    )?;
    m.next(
        &line,
        &sel(
            &line,
            &[
                (load.clone(), zero.clone()),
                (tshift.clone(), tsh.bit(0)?),
                (tlast.clone(), one.clone()),
            ],
        )?,
        None,
    )?;

    m.output("txd", &line, "serial line out, idle high (registered)")?;
    m.output(
        "tx_ready",
        &ready,
        "the transmitter takes tx_data this cycle",
    )?;
    m.output(
        "rx_data",
        &sh,
        "received byte, valid while rx_valid is high",
    )?;
    m.output(
        "rx_valid",
        &rx_valid,
        "one-cycle pulse: rx_data holds a byte",
    )?;
    m.output(
        "rx_frame_err",
        &rx_ferr,
        "one-cycle pulse: a stop bit was low, the byte was dropped",
    )?;
    m.output(
        "rx_errors",
        &errs,
        "framing errors since reset (saturates at 255)",
    )?;
    Ok(m)
}

/// The Verilog of `rxdsp_uart` for `p`.
pub fn uart_verilog(p: &UartParams) -> Result<String, RtlError> {
    build_uart(p)?.emit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisors_and_refusals() {
        let d = |clk: u64, baud: u32| UartParams { clk_hz: clk, baud }.divisor();
        assert_eq!(d(25_000_000, 115_200).unwrap(), 217);
        assert_eq!(d(12_000_000, 115_200).unwrap(), 104);
        assert_eq!(d(25_000_000, 1_000_000).unwrap(), 25);
        assert_eq!(d(12_000_000, 3_000_000).unwrap(), 4);
        let e = d(12_000_000, 4_000_000).unwrap_err().to_string();
        assert!(e.contains("at least 4"), "{e}");
        let e = d(25_000_000, 3_000_000).unwrap_err().to_string();
        assert!(e.contains("+4.17 %") && e.contains("2 %"), "{e}");
        assert!(d(0, 9600).is_err());
        assert!(d(12_000_000, 0).is_err());
    }
}
