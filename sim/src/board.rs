//! The Verilated board top (`rxdsp_board_top`) driven at the pins: the host
//! side serialises bytes onto `uart_rx` one bit at a time and deserialises
//! `uart_tx`, as a USB-UART bridge would ([`LineTx`], [`LineRx`]). The host's
//! bit time is a real number of clock cycles, so a host running a few percent
//! fast or slow against the board's divisor can be simulated.

use crate::verilator::{build_library_with, BuildInfo, BuildOpts, Model};
use crate::SimError;
use golden::numeric::RxFormat;
use rtl::board::BoardParams;
use std::collections::VecDeque;

/// A UART transmitter on the host side of a line: 8N1, LSB first, one line
/// level per clock cycle, bit edges at multiples of `cycles_per_bit` (not
/// necessarily whole) from the start of each frame.
#[derive(Clone, Debug)]
pub struct LineTx {
    cpb: f64,
    frames: VecDeque<Vec<bool>>,
    cur: Option<(Vec<bool>, f64)>,
    t: u64,
}

impl LineTx {
    /// A transmitter with a bit time of `cycles_per_bit` clock cycles.
    pub fn new(cycles_per_bit: f64) -> LineTx {
        LineTx {
            cpb: cycles_per_bit,
            frames: VecDeque::new(),
            cur: None,
            t: 0,
        }
    }

    /// Queues one byte with a correct (high) stop bit.
    pub fn send(&mut self, b: u8) {
        self.send_frame(b, true);
    }

    /// Queues one byte with the stop bit given (low: a framing error).
    pub fn send_frame(&mut self, b: u8, stop: bool) {
        let mut f = vec![false; 10];
        for (i, bit) in f[1..9].iter_mut().enumerate() {
            *bit = (b >> i) & 1 == 1;
        }
        f[9] = stop;
        self.frames.push_back(f);
    }

    /// Queues `bits` bit times of idle (high) line.
    pub fn idle(&mut self, bits: usize) {
        self.frames.push_back(vec![true; bits]);
    }

    /// True while a frame is on the line or queued.
    pub fn busy(&self) -> bool {
        self.cur.is_some() || !self.frames.is_empty()
    }

    /// The line level for the next clock cycle (high when idle); frames
    /// follow each other back to back.
    pub fn next_level(&mut self) -> bool {
        let now = self.t as f64;
        self.t += 1;
        loop {
            match &self.cur {
                Some((f, t0)) => {
                    let i = ((now - t0) / self.cpb).floor() as usize;
                    if i < f.len() {
                        return f[i];
                    }
                    let end = t0 + f.len() as f64 * self.cpb;
                    self.cur = self.frames.pop_front().map(|f| (f, end));
                }
                None => match self.frames.pop_front() {
                    Some(f) => self.cur = Some((f, now)),
                    None => return true,
                },
            }
        }
    }
}

/// What [`LineRx::step`] saw at the end of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxEvent {
    /// a byte with a good stop bit
    Byte(u8),
    /// a low stop bit (the data bits as sampled)
    FramingError(u8),
}

/// A UART receiver on the host side of a line: waits for a falling edge,
/// then samples each of the ten bits in its middle at its own bit time.
#[derive(Clone, Debug)]
pub struct LineRx {
    cpb: f64,
    prev: bool,
    start: Option<u64>,
    bits: u16,
    next_bit: u32,
    t: u64,
}

impl LineRx {
    /// A receiver with a bit time of `cycles_per_bit` clock cycles.
    pub fn new(cycles_per_bit: f64) -> LineRx {
        LineRx {
            cpb: cycles_per_bit,
            prev: true,
            start: None,
            bits: 0,
            next_bit: 0,
            t: 0,
        }
    }

    /// True while a frame is being received.
    pub fn busy(&self) -> bool {
        self.start.is_some()
    }

    /// Takes the line level of one clock cycle.
    pub fn step(&mut self, level: bool) -> Option<RxEvent> {
        let now = self.t;
        self.t += 1;
        let prev = std::mem::replace(&mut self.prev, level);
        let Some(t0) = self.start else {
            if prev && !level {
                self.start = Some(now);
                self.bits = 0;
                self.next_bit = 0;
            }
            return None;
        };
        let at = t0 as f64 + (self.next_bit as f64 + 0.5) * self.cpb;
        if (now as f64) < at.floor() {
            return None;
        }
        let i = self.next_bit;
        self.next_bit += 1;
        if level {
            self.bits |= 1 << i;
        }
        if i == 0 && level {
            self.start = None; // a glitch, not a start bit
            return None;
        }
        if i < 9 {
            return None;
        }
        self.start = None;
        let b = (self.bits >> 1) as u8;
        Some(if level {
            RxEvent::Byte(b)
        } else {
            RxEvent::FramingError(b)
        })
    }
}

/// A Verilated `rxdsp_board_top` with a host-side UART on its pins.
pub struct BoardSim {
    model: Model,
    i_rst_n: usize,
    i_rx: usize,
    o_tx: usize,
    o_led: usize,
    line_tx: LineTx,
    line_rx: LineRx,
    cycles: u64,
    host_framing_errors: u64,
    divisor: u64,
}

impl BoardSim {
    /// Builds (or takes from the cache) the board design for `fmt` at
    /// `parallel` with `bp`, loads it and resets it. The host side runs at
    /// the board's divisor scaled by `host_rate` (1.02: the host sends and
    /// expects bits 2 % faster than the board).
    pub fn new(
        fmt: &RxFormat,
        parallel: usize,
        bp: &BoardParams,
        host_rate: f64,
    ) -> Result<(BoardSim, BuildInfo), SimError> {
        BoardSim::new_device(fmt, parallel, bp, host_rate, false)
    }

    /// [`BoardSim::new`] for the board top around the device with the BER
    /// tester when `bert` (`rtl::bert::BertParams::new`'s defaults).
    pub fn new_device(
        fmt: &RxFormat,
        parallel: usize,
        bp: &BoardParams,
        host_rate: f64,
        bert: bool,
    ) -> Result<(BoardSim, BuildInfo), SimError> {
        BoardSim::new_with_models(fmt, parallel, bp, host_rate, bert, &[])
    }

    /// [`BoardSim::new_device`] with simulation models of vendor primitives
    /// the design instantiates (`(file name, Verilog)`; the ECP5 PLL of a
    /// board top with [`BoardParams::pll`]: `rtl/tests/data/ehxplll_model.v`).
    pub fn new_with_models(
        fmt: &RxFormat,
        parallel: usize,
        bp: &BoardParams,
        host_rate: f64,
        bert: bool,
        models: &[(String, String)],
    ) -> Result<(BoardSim, BuildInfo), SimError> {
        let b = bert.then(|| rtl::bert::BertParams::new(fmt, parallel));
        let blocks = rtl::top::DeviceBlocks {
            bert: b.as_ref(),
            ..Default::default()
        };
        let mut d = rtl::board::design_device(fmt, parallel, bp, blocks)?;
        d.files.extend(models.iter().cloned());
        let div = bp.uart.divisor()?;
        let info = build_library_with(&d.files, rtl::board::BOARD_TOP, &d.ports, BuildOpts::LIGHT)?;
        let model = Model::load(&info.library, &d.ports)?;
        let cpb = div as f64 / host_rate;
        let mut s = BoardSim {
            i_rst_n: model.input("rst_n")?,
            i_rx: model.input("uart_rx")?,
            o_tx: model.output("uart_tx")?,
            o_led: model.output("led")?,
            model,
            line_tx: LineTx::new(cpb),
            line_rx: LineRx::new(cpb),
            cycles: 0,
            host_framing_errors: 0,
            divisor: div,
        };
        s.reset();
        Ok((s, info))
    }

    /// Holds the reset button for four cycles with the line idle, then
    /// waits 32 cycles with the line idle: the reset synchronizer releases
    /// after two, a PLL's lock (the model's: 16 input clocks) before 32.
    pub fn reset(&mut self) {
        self.model.set(self.i_rst_n, 0);
        self.model.set(self.i_rx, 1);
        for _ in 0..4 {
            self.model.cycle();
        }
        self.model.set(self.i_rst_n, 1);
        for _ in 0..32 {
            self.model.cycle();
        }
    }

    /// The board's UART divisor (clock cycles per bit).
    pub fn divisor(&self) -> u64 {
        self.divisor
    }

    /// Clock cycles run since the model was loaded (reset excluded).
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Frames from the board whose stop bit the host saw low.
    pub fn host_framing_errors(&self) -> u64 {
        self.host_framing_errors
    }

    /// The LED pins as last sampled (bit i = `led[i]`).
    pub fn leds(&self) -> u8 {
        self.model.get(self.o_led) as u8
    }

    /// Queues a byte with a low stop bit on the host's line (a framing
    /// error), then one bit time of idle line so the board can re-arm.
    pub fn send_bad_frame(&mut self, b: u8) {
        self.line_tx.send_frame(b, false);
        self.line_tx.idle(1);
    }

    /// Runs at most `max_cycles` cycles, serialising the bytes of `rx` onto
    /// `uart_rx` back to back and appending every byte deserialised from
    /// `uart_tx` to `tx`. Returns early once both lines have been idle for
    /// `idle_cycles` consecutive cycles with `rx` sent, or (with
    /// `stop_after_frame`) right after the board sent a frame delimiter.
    /// Returns the cycles run.
    pub fn run(
        &mut self,
        rx: &mut VecDeque<u8>,
        tx: &mut Vec<u8>,
        max_cycles: u64,
        idle_cycles: u64,
        stop_after_frame: bool,
    ) -> u64 {
        for b in rx.drain(..) {
            self.line_tx.send(b);
        }
        let mut idle = 0u64;
        let mut n = 0u64;
        while n < max_cycles {
            let level = self.line_tx.next_level();
            self.model.set(self.i_rx, level as u64);
            self.model.cycle();
            n += 1;
            let out = self.model.get(self.o_tx) != 0;
            match self.line_rx.step(out) {
                Some(RxEvent::Byte(b)) => {
                    tx.push(b);
                    if b == 0 && stop_after_frame {
                        break;
                    }
                }
                Some(RxEvent::FramingError(_)) => self.host_framing_errors += 1,
                None => {}
            }
            if self.line_tx.busy() || self.line_rx.busy() {
                idle = 0;
            } else {
                idle += 1;
                if idle >= idle_cycles {
                    break;
                }
            }
        }
        self.cycles += n;
        n
    }

    /// True while the host still has bits to put on the line.
    pub fn sending(&self) -> bool {
        self.line_tx.busy()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_models_round_trip_at_fractional_bit_times() {
        for cpb in [4.0, 8.5, 16.3, 217.0] {
            let mut tx = LineTx::new(cpb);
            let mut rx = LineRx::new(cpb);
            let want: Vec<u8> = (0..=255u8).step_by(7).collect();
            for &b in &want {
                tx.send(b);
            }
            tx.send_frame(0xa5, false);
            let mut got = Vec::new();
            for _ in 0..((want.len() + 3) as f64 * 10.0 * cpb) as usize {
                if let Some(e) = rx.step(tx.next_level()) {
                    got.push(e);
                }
            }
            let mut expect: Vec<RxEvent> = want.iter().map(|&b| RxEvent::Byte(b)).collect();
            expect.push(RxEvent::FramingError(0xa5));
            assert_eq!(got, expect, "cycles per bit {cpb}");
        }
    }
}
