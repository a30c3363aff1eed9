//! The Verilated device top (`rxdsp_top`): bytes in, bytes out, one byte per
//! clock each way, as a board's UART would move them.

use crate::verilator::{build_library, BuildInfo, Model};
use crate::SimError;
use golden::adapt::HwAdaptParams;
use golden::numeric::RxFormat;
use rtl::bert::BertParams;
use std::collections::VecDeque;

/// A Verilated `rxdsp_top`.
pub struct DeviceSim {
    model: Model,
    i_rst: usize,
    i_rxd: usize,
    i_rxv: usize,
    i_txr: usize,
    o_txd: usize,
    o_txv: usize,
    cycles: u64,
    /// the transmitter takes a byte in one cycle of this many (1: always)
    tx_every: u64,
}

impl DeviceSim {
    /// Builds (or takes from the cache) and loads the device for `fmt` at
    /// `parallel` samples per clock, and resets it.
    pub fn new(fmt: &RxFormat, parallel: usize) -> Result<(DeviceSim, BuildInfo), SimError> {
        DeviceSim::new_with(fmt, parallel, None)
    }

    /// [`DeviceSim::new`] for a device with the adaptation engine `adapt`
    /// (`adapt.in_rtl`; `None`: without).
    pub fn new_with(
        fmt: &RxFormat,
        parallel: usize,
        adapt: Option<&HwAdaptParams>,
    ) -> Result<(DeviceSim, BuildInfo), SimError> {
        DeviceSim::new_device(fmt, parallel, adapt, false, None)
    }

    /// [`DeviceSim::new_with`] for a device with the BER tester too when
    /// `bert` (the link emulator and the checker at their default
    /// parameters, [`BertParams::new`]) and the RS decoder chain `fec`
    /// (the code, S, the FEC symbols per beat, and whether it de-interleaves).
    pub fn new_device(
        fmt: &RxFormat,
        parallel: usize,
        adapt: Option<&HwAdaptParams>,
        bert: bool,
        fec: Option<(golden::fec::Code, usize, bool)>,
    ) -> Result<(DeviceSim, BuildInfo), SimError> {
        let fec = fec.map(|(code, symbols, interleave)| rtl::rs::FecParams {
            code,
            symbols,
            interleave,
        });
        let b = bert.then(|| BertParams::new(fmt, parallel).with_fec(fec));
        let blocks = rtl::top::DeviceBlocks {
            adapt,
            bert: b.as_ref(),
            fec,
        };
        let d = rtl::top::design_device(fmt, parallel, blocks)?;
        let info = build_library(&d.files, rtl::top::DEVICE_TOP, &d.ports)?;
        let model = Model::load(&info.library, &d.ports)?;
        let mut s = DeviceSim {
            i_rst: model.input("rst")?,
            i_rxd: model.input("rx_data")?,
            i_rxv: model.input("rx_valid")?,
            i_txr: model.input("tx_ready")?,
            o_txd: model.output("tx_data")?,
            o_txv: model.output("tx_valid")?,
            model,
            cycles: 0,
            tx_every: 1,
        };
        s.reset();
        Ok((s, info))
    }

    /// Holds reset for two cycles (the power-on state).
    pub fn reset(&mut self) {
        self.model.reset(self.i_rst, &[self.i_rxv, self.i_txr], 0);
    }

    /// Clock cycles run since the model was loaded.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Throttles the transmitter: `m_byte_tready` is high in one cycle of
    /// `every` (1, the default: always), so the device's output backs up
    /// into its serializer, equalizer and sample packer.
    pub fn set_tx_throttle(&mut self, every: u64) {
        self.tx_every = every.max(1);
    }

    /// Runs `cycles` clock cycles with nothing received (the clock of a board
    /// runs whether the host talks or not: the BER tester works meanwhile),
    /// appending every byte the device sends to `tx`.
    pub fn run_idle(&mut self, cycles: u64, tx: &mut Vec<u8>) {
        let mut none = VecDeque::new();
        self.run(&mut none, tx, cycles, u64::MAX, false);
    }

    /// Runs at most `max_cycles` cycles, feeding one byte of `rx` per cycle
    /// and appending every byte the device sends to `tx`. Returns early once
    /// `rx` is empty and the device has sent nothing for `idle_cycles`
    /// consecutive cycles, or (with `stop_after_frame`) right after the device
    /// sent a frame delimiter. Returns the cycles run.
    pub fn run(
        &mut self,
        rx: &mut VecDeque<u8>,
        tx: &mut Vec<u8>,
        max_cycles: u64,
        idle_cycles: u64,
        stop_after_frame: bool,
    ) -> u64 {
        let mut idle = 0u64;
        let mut n = 0u64;
        while n < max_cycles {
            let ready = (self.cycles + n).is_multiple_of(self.tx_every);
            self.model.set(self.i_txr, ready as u64);
            match rx.pop_front() {
                Some(b) => {
                    self.model.set(self.i_rxd, b as u64);
                    self.model.set(self.i_rxv, 1);
                    idle = 0;
                }
                None => {
                    self.model.set(self.i_rxv, 0);
                    if idle >= idle_cycles {
                        break;
                    }
                }
            }
            self.model.cycle();
            n += 1;
            // the outputs as sampled in that cycle, before its edge: a byte
            // went out at the edge if the transmitter was ready
            let sent = (ready && self.model.get(self.o_txv) != 0)
                .then(|| self.model.get(self.o_txd) as u8);
            match sent {
                Some(b) => {
                    tx.push(b);
                    idle = 0;
                    if b == 0 && stop_after_frame {
                        break;
                    }
                }
                None => idle += 1,
            }
        }
        self.model.set(self.i_rxv, 0);
        self.cycles += n;
        n
    }
}
