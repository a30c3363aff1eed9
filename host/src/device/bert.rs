//! The device's BER tester (`rxdsp bert`): configure the on-chip link
//! emulator and the checker through the `emu` and `check` register blocks,
//! start a run, and read the checker's counters as one consistent snapshot.
//!
//! The emulator's configuration is a list of `(address, value)` writes
//! (`rtl::emu::config_writes`, computed from the plan); each goes through
//! `emu.cfg_data` and the strobe `emu.cfg_addr` in one three-word write. The
//! counters are read as `golden::check` numbers them: `check.snap` copies them
//! all at one word boundary, then `check.select`/`check.value` read each.

use super::{Device, DeviceError};
use golden::check::{CheckCounts, CheckRegs, NUM_COUNTERS};
use golden::numeric::RxCoeffs;
use proto::regmap::{self, check_status, Kind};

/// What the checker reports at one poll.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BertPoll {
    /// the counters at the snapshot
    pub counts: CheckCounts,
    /// every symbol before `check.limit` was counted (read before the
    /// snapshot, so `counts` are final when it is set)
    pub done: bool,
    /// a transmitted word was lost (the checker's FIFO overflowed)
    pub overflow: bool,
    /// a decided word found no transmitted word to pair with
    pub underflow: bool,
}

impl Device {
    /// The BER tester's generation parameters, `None` for a device built
    /// without it (an older bitstream reads 0 there).
    pub fn bert(&self) -> Option<regmap::BertMap> {
        self.info.bert
    }

    fn need_bert(&self) -> Result<regmap::BertMap, DeviceError> {
        self.info.bert.ok_or_else(|| {
            DeviceError::Identity(
                "this device has no BER tester (no `emu`/`check` blocks: a bitstream built without `--bert`)".into(),
            )
        })
    }

    /// Writes an unsigned value of up to 64 bits to register `name` (both
    /// words of a 64-bit register in one burst); refuses values wider than
    /// the register and registers the host cannot write.
    pub fn write_u64(&mut self, name: &str, value: u64) -> Result<(), DeviceError> {
        let r = self.reg(name)?;
        if !matches!(
            r.kind,
            Kind::Rw { signed: false, .. } | Kind::Strobe | Kind::SnapshotTrigger
        ) {
            return Err(DeviceError::Register {
                name: name.into(),
                why: "is not an unsigned writable register".into(),
            });
        }
        if r.width < 64 && value >> r.width != 0 {
            return Err(DeviceError::Register {
                name: name.into(),
                why: format!("{value} does not fit {} bits", r.width),
            });
        }
        let words = [value as u32, (value >> 32) as u32];
        self.write_words(r.addr, &words[..r.words() as usize])
    }

    /// Starts a BER run from reset: the equalizer's coefficients
    /// ([`Device::configure`], which resets the equalizer, the emulator and
    /// the checker), the emulator's configuration writes, the checker's
    /// alignment and run length; then the emulator feeds the equalizer.
    pub fn bert_start(
        &mut self,
        coeffs: &RxCoeffs,
        emu_writes: &[(usize, u64)],
        regs: &CheckRegs,
    ) -> Result<(), DeviceError> {
        let b = self.need_bert()?;
        if regs.delay > b.check_max_delay as u64 {
            return Err(DeviceError::Register {
                name: "check.delay".into(),
                why: format!(
                    "the equalizer's delay {} is beyond the checker's {}",
                    regs.delay, b.check_max_delay
                ),
            });
        }
        self.write_u64("emu.run", 0)?;
        self.write_u64("emu.source", 0)?;
        self.configure(coeffs)?;
        let data = self.reg("emu.cfg_data")?.addr;
        let strobe = self.reg("emu.cfg_addr")?.addr;
        debug_assert_eq!(data + 2, strobe, "one three-word write per entry");
        for &(a, v) in emu_writes {
            if a >> b.emu_cfg_addr_bits != 0 {
                return Err(DeviceError::Register {
                    name: "emu.cfg_addr".into(),
                    why: format!("address {a} beyond the emulator's map"),
                });
            }
            self.write_words(data, &[v as u32, (v >> 32) as u32, a as u32])?;
        }
        self.write_u64("check.delay", regs.delay)?;
        self.write_u64("check.skip", regs.skip)?;
        self.write_u64("check.limit", regs.limit)?;
        self.write_u64("check.clear", 1)?;
        self.write_u64("emu.source", 1)?;
        self.write_u64("emu.run", 1)
    }

    /// Changes the checker's limit while it runs (symbols from this received
    /// index on are not counted; 0: no limit).
    pub fn bert_set_limit(&mut self, limit: u64) -> Result<(), DeviceError> {
        self.need_bert()?;
        self.write_u64("check.limit", limit)
    }

    /// Reads the checker: its status, then one snapshot of every counter.
    pub fn bert_poll(&mut self) -> Result<BertPoll, DeviceError> {
        let b = self.need_bert()?;
        let n = (b.check_counters as usize).min(NUM_COUNTERS);
        let status = self.read("check.status")? as u32;
        self.write_u64("check.snap", 1)?;
        let value = self.reg("check.value")?.addr;
        let mut words = Vec::with_capacity(n);
        for i in 0..n {
            self.write_u64("check.select", i as u64)?;
            let w = self.read_words(value, 2)?;
            words.push(w[0] as u64 | (w[1] as u64) << 32);
        }
        let words: [u64; NUM_COUNTERS] = words.try_into().map_err(|_| {
            DeviceError::Counters(format!(
                "the checker reports {n} counters, this host reads {NUM_COUNTERS}"
            ))
        })?;
        let counts = CheckCounts::from_words(&words);
        Ok(BertPoll {
            counts,
            done: status & check_status::DONE != 0,
            overflow: status & check_status::OVERFLOW != 0,
            underflow: status & check_status::UNDERFLOW != 0,
        })
    }

    /// Stops the emulator and gives the equalizer back to the host's
    /// sample stream.
    pub fn bert_stop(&mut self) -> Result<(), DeviceError> {
        self.need_bert()?;
        self.write_u64("emu.run", 0)?;
        self.write_u64("emu.source", 0)
    }

    /// Lets the device run with nothing to say for about `cycles` clock
    /// cycles (a simulated device) or `wall` (a board, whose clock runs on
    /// its own).
    pub fn idle(&mut self, cycles: u64, wall: std::time::Duration) -> Result<(), DeviceError> {
        self.t.idle(cycles, wall)
    }
}
