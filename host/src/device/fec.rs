//! The device's RS decoder chain (the `fec` register block): align it on
//! the stream, read its counters and its digest of the decoded data.
//!
//! The decoder listens to the decided words the equalizer hands on to the
//! host, from the equalizer output symbol `fec.sof_index` on; a codeword is
//! counted when it leaves the decoder, `3 ceil(n/S) + 13` input beats after
//! its last symbol entered (the decoder advances only on input beats). So a
//! stream is followed by [`Device::fec_flush_symbols`] of padding, and
//! `fec.limit` stops the counters at the stream's last whole codeword
//! ([`Device::fec_align`]); [`Device::fec_counts`] then lets the device run
//! a little more before it latches them.

use super::{Device, DeviceError};
use golden::fec::{Code, FecStats};
use proto::regmap::{self, fec_status, FecMap, FEC_COUNTERS, FEC_REF_COUNTERS};

/// What the device's decoder counted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeviceFec {
    /// "kp4" or "kr4"
    pub code: String,
    /// S, FEC symbols per beat
    pub symbols: usize,
    /// the counters, as `rxdsp rx` and `rxdsp sim` report them
    #[serde(flatten)]
    pub stats: FecStats,
    /// `fec.digest`: the decoded data and outcomes (`golden::fec::decode_aligned`)
    pub digest: u32,
    /// the gearbox saw the first codeword's start
    pub aligned: bool,
    /// the reference counters (a device with the BER tester, counted while
    /// the emulator feeds the equalizer)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<FecReference>,
}

/// The decoder against the transmitted codewords (`fec.symbol_errors`,
/// `fec.post_bit_errors`, `fec.miscorrected`), what `rxdsp sim`'s deframer
/// counts beside the decoder's own statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FecReference {
    /// 10-bit symbols received in error
    pub symbol_errors: u64,
    /// message bits wrong after decoding
    pub post_bit_errors: u64,
    /// codewords not flagged uncorrectable whose message is wrong
    pub miscorrected: u64,
}

/// The code of a device's `id.fec_code`.
pub fn code_of(f: &FecMap) -> Option<Code> {
    match f.code {
        regmap::FEC_CODE_KP4 => Some(Code::Kp4),
        regmap::FEC_CODE_KR4 => Some(Code::Kr4),
        _ => None,
    }
}

impl Device {
    /// The decoder chain's parameters, `None` for a device built without one.
    pub fn fec(&self) -> Option<FecMap> {
        self.info.fec
    }

    fn need_fec(&self) -> Result<(FecMap, Code), DeviceError> {
        let f = self.info.fec.ok_or_else(|| {
            DeviceError::Identity(
                "this device has no RS decoder (its `fec` block reads 0: built without tx.fec)"
                    .into(),
            )
        })?;
        let code = code_of(&f).ok_or_else(|| {
            DeviceError::Identity(format!("id.fec_code names an unknown code {}", f.code))
        })?;
        Ok((f, code))
    }

    /// Sets the equalizer output symbol that starts the first codeword (hold
    /// it while streaming; `ctrl.control.eq_reset` restarts the count) and
    /// the number of codewords to count (0: all).
    pub fn fec_align(&mut self, sof_index: u64, codewords: u64) -> Result<(), DeviceError> {
        self.need_fec()?;
        self.write_u64("fec.sof_index", sof_index)?;
        self.write_u64("fec.limit", codewords)
    }

    /// Decided symbols to stream after the last whole codeword so that it
    /// leaves the decoder: the decoder advances only on input beats, and a
    /// symbol that enters leaves `3 ceil(n/S) + 12` beats later (plus the
    /// gearbox, the equalizer and a margin of 16 beats); a de-interleaving
    /// chain hands a frame on only when the next has come in (`2n` symbols
    /// more).
    pub fn fec_flush_symbols(&self) -> Result<usize, DeviceError> {
        let (f, code) = self.need_fec()?;
        let s = f.symbols.max(1) as usize;
        let beats = code.n().div_ceil(s);
        let frame = if f.interleave { 10 * code.n() } else { 0 };
        Ok(5 * s * (3 * beats + 28) + 4 * self.info.parallel + frame)
    }

    /// Waits (idling the device, up to `tries` times `cycles` clock cycles
    /// or `wall`) until the decoder has put out and counted `fec.limit`'s
    /// codewords; the emulator (or the host's stream) must keep feeding it.
    pub fn fec_wait_done(
        &mut self,
        cycles: u64,
        wall: std::time::Duration,
        tries: usize,
    ) -> Result<(), DeviceError> {
        self.need_fec()?;
        for _ in 0..tries {
            if self.read("fec.status")? as u32 & fec_status::DONE != 0 {
                return Ok(());
            }
            self.idle(cycles, wall)?;
        }
        Err(DeviceError::Register {
            name: "fec.status".into(),
            why: format!("the decoder did not finish fec.limit's codewords in {tries} polls"),
        })
    }

    /// Lets the last codeword through the decoder, latches every counter
    /// (`stats.snapshot`) and reads the `fec` block.
    pub fn fec_counts(&mut self) -> Result<DeviceFec, DeviceError> {
        let (f, code) = self.need_fec()?;
        let beats = code.n().div_ceil(f.symbols.max(1) as usize) as u64;
        let cycles = 3 * beats + 64;
        self.idle(cycles, std::time::Duration::from_millis(1))?;
        self.write("stats.snapshot", 1)?;
        let v = self.latched_block("fec")?;
        let get = |n: &str| -> Result<u64, DeviceError> {
            v.iter()
                .find(|x| x.0 == n)
                .map(|x| x.1)
                .ok_or_else(|| DeviceError::NoRegister(n.into()))
        };
        let mut stats = FecStats::new(code);
        let [c, cc, cs, u] = FEC_COUNTERS.map(|(n, _)| format!("fec.{n}"));
        stats.codewords = get(&c)?;
        stats.corrected_codewords = get(&cc)?;
        stats.corrected_symbols = get(&cs)?;
        stats.uncorrectable_codewords = get(&u)?;
        for (i, h) in stats.histogram.iter_mut().enumerate() {
            *h = get(&format!("fec.hist{i}"))?;
        }
        let status = self.read("fec.status")? as u32;
        if status & fec_status::LOST != 0 {
            return Err(DeviceError::Register {
                name: "fec.status".into(),
                why: "the gearbox lost a decided word (sticky `lost` bit)".into(),
            });
        }
        if status & fec_status::REF_ERR != 0 {
            return Err(DeviceError::Register {
                name: "fec.status".into(),
                why: "the reference path went out of step with the decoder (sticky bit 3)".into(),
            });
        }
        let [se, pb, mc] = FEC_REF_COUNTERS.map(|(n, _)| format!("fec.{n}"));
        let reference = if self.map.reg(&se).is_some() {
            Some(FecReference {
                symbol_errors: get(&se)?,
                post_bit_errors: get(&pb)?,
                miscorrected: get(&mc)?,
            })
        } else {
            None
        };
        Ok(DeviceFec {
            code: code.name().into(),
            symbols: f.symbols as usize,
            stats,
            digest: get("fec.digest")? as u32,
            aligned: status & fec_status::ALIGNED != 0,
            reference,
        })
    }
}
