//! FEC framing on the PAM4 link: payload bits from the pattern, Reed-Solomon
//! codewords, and their mapping onto 2-bit PAM4 data symbols.
//!
//! ## Bit order
//! The pattern's bits fill the message symbols in order, the first bit being
//! the MSB (bit 9) of the first 10-bit symbol; a codeword is sent symbol 0
//! first (the coefficient of x^(n-1), message before parity), each 10-bit
//! symbol MSB first, two bits per PAM4 symbol (the first in the MSB of the
//! 2-bit data symbol). A 10-bit symbol is therefore exactly five PAM4 symbols,
//! and a KP4 codeword 2720 of them (KR4: 2640).
//!
//! With `interleave`, a frame is two codewords A and B whose symbols
//! alternate on the line (A0 B0 A1 B1 ...), as 802.3 does for 200G/400G: a
//! burst of line errors then falls on two codewords instead of one.

use crate::fec::{predict_iid, Code, Codec, DecodeOutcome, FecStats};
use crate::prbs::{Pattern, SymbolSource};
use serde::Serialize;

/// Produces frames: the messages and the wire symbols that carry them.
#[derive(Debug)]
pub struct Framer {
    codec: Codec,
    payload: SymbolSource,
    pay: Vec<u8>,
    msgs: Vec<Vec<u16>>,
    cws: Vec<Vec<u16>>,
}

/// 10-bit symbol from five 2-bit symbols, first in the MSBs.
#[inline(always)]
fn pack10(s: &[u8]) -> u16 {
    let s: &[u8; 5] = s.try_into().expect("five symbols");
    ((s[0] as u16 & 3) << 8)
        | ((s[1] as u16 & 3) << 6)
        | ((s[2] as u16 & 3) << 4)
        | ((s[3] as u16 & 3) << 2)
        | (s[4] as u16 & 3)
}

impl Framer {
    /// A framer for `code` whose payload is `pattern` (seeded by `seed` when random).
    pub fn new(code: Code, pattern: Pattern, seed: u64, interleave: bool) -> Self {
        let ways = if interleave { 2 } else { 1 };
        Framer {
            codec: Codec::new(code),
            payload: SymbolSource::new(pattern, seed),
            pay: vec![0; code.k() * 5],
            msgs: vec![vec![0; code.k()]; ways],
            cws: vec![vec![0; code.n()]; ways],
        }
    }

    /// The framer of [`Framer::new`] after it has made `frame` frames (its
    /// next frame is number `frame`); `None` for a random payload, whose
    /// generator cannot jump.
    pub fn at_frame(
        code: Code,
        pattern: Pattern,
        seed: u64,
        interleave: bool,
        frame: u64,
    ) -> Option<Self> {
        let mut f = Framer::new(code, pattern, seed, interleave);
        let per_frame = (f.ways() * code.k() * 5) as u64;
        f.payload = SymbolSource::at_symbol(pattern, frame * per_frame)?;
        Some(f)
    }

    /// The code.
    pub fn code(&self) -> Code {
        self.codec.code()
    }

    /// Codewords per frame (1, or 2 interleaved).
    pub fn ways(&self) -> usize {
        self.msgs.len()
    }

    /// PAM4 symbols per frame.
    pub fn frame_symbols(&self) -> usize {
        self.ways() * self.code().n() * 5
    }

    /// Makes the next frame; its messages and codewords are then in
    /// [`Framer::messages`] and [`Framer::codewords`], and its wire symbols
    /// are appended to `wire`.
    pub fn next_frame(&mut self, wire: &mut Vec<u8>) {
        self.next_codewords();
        let (n, ways) = (self.code().n(), self.ways());
        let start = wire.len();
        wire.resize(start + 5 * n * ways, 0);
        // codeword symbols in wire order (interleaved), each as five 2-bit symbols MSBs first
        let mut out = wire[start..].chunks_exact_mut(5);
        for i in 0..n {
            for w in 0..ways {
                let s = self.cws[w][i];
                let o = out.next().expect("sized above");
                for (b, x) in o.iter_mut().enumerate() {
                    *x = ((s >> (8 - 2 * b)) & 3) as u8;
                }
            }
        }
    }

    /// Draws and encodes the next frame's messages without writing the wire symbols
    /// (what a receiver's reference copy of the transmitter needs).
    pub fn next_codewords(&mut self) {
        for w in 0..self.ways() {
            self.payload.fill(&mut self.pay);
            for (m, c) in self.msgs[w].iter_mut().zip(self.pay.chunks_exact(5)) {
                *m = pack10(c);
            }
            self.codec.encode(&self.msgs[w], &mut self.cws[w]);
        }
    }

    pub fn messages(&self) -> &[Vec<u16>] {
        &self.msgs
    }

    /// Codewords of the last frame.
    pub fn codewords(&self) -> &[Vec<u16>] {
        &self.cws
    }
}

/// The transmitter's data source: plain pattern or FEC frames.
#[derive(Debug)]
pub enum TxSource {
    /// the pattern's bits straight onto the line
    Plain(SymbolSource),
    /// FEC codewords carrying the pattern
    Fec {
        /// the framer
        framer: Box<Framer>,
        /// wire symbols produced but not yet sent
        buf: Vec<u8>,
        /// next unsent index in `buf`
        pos: usize,
    },
}

impl TxSource {
    /// Fills `out` with 2-bit data symbols.
    pub fn fill(&mut self, out: &mut [u8]) {
        match self {
            TxSource::Plain(s) => s.fill(out),
            TxSource::Fec { framer, buf, pos } => {
                let mut o = 0;
                while o < out.len() {
                    if *pos == buf.len() {
                        buf.clear();
                        *pos = 0;
                        framer.next_frame(buf);
                    }
                    let take = (buf.len() - *pos).min(out.len() - o);
                    out[o..o + take].copy_from_slice(&buf[*pos..*pos + take]);
                    o += take;
                    *pos += take;
                }
            }
        }
    }
}

/// The `fec` object of a report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FecReport {
    /// "kp4" or "kr4"
    pub code: &'static str,
    /// codeword length n
    pub n: usize,
    /// message length k
    pub k: usize,
    /// correctable symbols t
    pub t: usize,
    /// 2-way codeword interleave
    pub interleave: bool,
    /// codewords decoded
    pub codewords: u64,
    /// codewords with at least one corrected symbol
    pub corrected_codewords: u64,
    /// symbols corrected
    pub corrected_symbols: u64,
    /// codewords flagged uncorrectable
    pub uncorrectable_codewords: u64,
    /// histogram[i] = codewords with i symbol errors (i <= t); the last bin: more than t
    pub histogram: Vec<u64>,
    /// codewords the decoder reported corrected whose message is still wrong
    pub miscorrected_codewords: u64,
    /// 10-bit symbols received
    pub symbols: u64,
    /// 10-bit symbols received in error (against the transmitted codeword)
    pub symbol_errors: u64,
    /// FEC symbol error ratio
    pub ser: f64,
    /// measured frame loss ratio: uncorrectable / codewords
    pub frame_loss_ratio: f64,
    /// the same for independent random symbol errors at the measured `ser` (binomial)
    pub predicted_frame_loss_ratio: f64,
    /// expected histogram counts for random symbol errors at the measured `ser`
    pub predicted_histogram: Vec<f64>,
    /// codewords at the start of the run, within the receiver's start-up, not decoded
    pub skipped_codewords: u64,
}

/// The receiving side of the FEC: decodes aligned wire symbols frame by
/// frame, against a second framer that regenerates what was sent.
#[derive(Debug)]
pub struct Deframer {
    reference: Framer,
    codec: Codec,
    /// start-up: frames beginning before this transmitted-symbol index are not decoded
    first_valid: u64,
    /// transmitted-symbol index of the frame being collected
    frame_start: u64,
    frame: Vec<u8>,
    recv: Vec<Vec<u16>>,
    msg: Vec<u16>,
    /// statistics
    pub stats: FecStats,
    /// 10-bit symbols compared
    pub symbols: u64,
    /// 10-bit symbols in error
    pub symbol_errors: u64,
    /// payload bits delivered
    pub bits: u64,
    /// payload bits wrong after decoding
    pub bit_errors: u64,
    /// corrected-but-wrong codewords
    pub miscorrected: u64,
    /// frames skipped in the start-up
    pub skipped_codewords: u64,
}

impl Deframer {
    /// A deframer matching `Framer::new(code, pattern, seed, interleave)`;
    /// frames starting before transmitted symbol `first_valid` are skipped.
    pub fn new(
        code: Code,
        pattern: Pattern,
        seed: u64,
        interleave: bool,
        first_valid: u64,
    ) -> Self {
        let reference = Framer::new(code, pattern, seed, interleave);
        let ways = reference.ways();
        Deframer {
            codec: Codec::new(code),
            first_valid,
            frame_start: 0,
            frame: Vec::with_capacity(reference.frame_symbols()),
            recv: vec![vec![0; code.n()]; ways],
            msg: vec![0; code.k()],
            reference,
            stats: FecStats::new(code),
            symbols: 0,
            symbol_errors: 0,
            bits: 0,
            bit_errors: 0,
            miscorrected: 0,
            skipped_codewords: 0,
        }
    }

    /// [`Deframer::new`] for a receiver that starts at frame `frame`: the
    /// first symbol pushed is the first of that frame. `None` for a random
    /// payload.
    pub fn at_frame(
        code: Code,
        pattern: Pattern,
        seed: u64,
        interleave: bool,
        first_valid: u64,
        frame: u64,
    ) -> Option<Self> {
        let mut d = Deframer::new(code, pattern, seed, interleave, first_valid);
        d.reference = Framer::at_frame(code, pattern, seed, interleave, frame)?;
        d.frame_start = frame * d.reference.frame_symbols() as u64;
        Some(d)
    }

    /// Takes received 2-bit data symbols, in transmitted order from symbol 0.
    pub fn push(&mut self, mut data: &[u8]) {
        let fs = self.reference.frame_symbols();
        while !data.is_empty() {
            let take = (fs - self.frame.len()).min(data.len());
            self.frame.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.frame.len() == fs {
                self.decode_frame();
                self.frame.clear();
                self.frame_start += fs as u64;
            }
        }
    }

    fn decode_frame(&mut self) {
        self.reference.next_codewords();
        let ways = self.reference.ways();
        if self.frame_start < self.first_valid {
            self.skipped_codewords += ways as u64;
            return;
        }
        let n = self.codec.code().n();
        // codeword symbols alternate between the ways on the wire (no division per symbol)
        for (i, group) in self.frame.chunks_exact(5 * ways).enumerate() {
            for (w, five) in group.chunks_exact(5).enumerate() {
                self.recv[w][i] = pack10(five);
            }
        }
        for w in 0..ways {
            let sent = &self.reference.codewords()[w];
            let errs = self.recv[w]
                .iter()
                .zip(sent)
                .filter(|(a, b)| a != b)
                .count();
            self.symbols += n as u64;
            self.symbol_errors += errs as u64;
            let outcome = self.codec.decode(&self.recv[w], &mut self.msg);
            self.stats.record(outcome);
            let want = &self.reference.messages()[w];
            let wrong: u64 = self
                .msg
                .iter()
                .zip(want)
                .map(|(a, b)| (a ^ b).count_ones() as u64)
                .sum();
            self.bits += 10 * want.len() as u64;
            self.bit_errors += wrong;
            if wrong > 0 && matches!(outcome, DecodeOutcome::Corrected { .. }) {
                self.miscorrected += 1;
            }
        }
    }

    /// The report object.
    pub fn report(&self, interleave: bool) -> FecReport {
        let code = self.codec.code();
        let ser = crate::stats::ratio(self.symbol_errors, self.symbols);
        let pred = predict_iid(code, ser);
        FecReport {
            code: code.name(),
            n: code.n(),
            k: code.k(),
            t: code.t(),
            interleave,
            codewords: self.stats.codewords,
            corrected_codewords: self.stats.corrected_codewords,
            corrected_symbols: self.stats.corrected_symbols,
            uncorrectable_codewords: self.stats.uncorrectable_codewords,
            histogram: self.stats.histogram.clone(),
            miscorrected_codewords: self.miscorrected,
            symbols: self.symbols,
            symbol_errors: self.symbol_errors,
            ser,
            frame_loss_ratio: crate::stats::ratio(
                self.stats.uncorrectable_codewords,
                self.stats.codewords,
            ),
            predicted_frame_loss_ratio: pred.frame_loss_ratio,
            predicted_histogram: pred.expected_counts(self.stats.codewords),
            skipped_codewords: self.skipped_codewords,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_the_pattern_and_decode_clean() {
        for (code, il) in [(Code::Kp4, false), (Code::Kr4, false), (Code::Kp4, true)] {
            let mut f = Framer::new(code, Pattern::Prbs31, 1, il);
            let mut wire = Vec::new();
            f.next_frame(&mut wire);
            f.next_frame(&mut wire);
            assert_eq!(wire.len(), 2 * f.frame_symbols());
            // the first message symbols hold the PRBS31 bits, MSB first
            let mut p = SymbolSource::new(Pattern::Prbs31, 1);
            let mut pay = vec![0u8; 5];
            p.fill(&mut pay);
            let mut d = Deframer::new(code, Pattern::Prbs31, 1, il, 0);
            d.push(&wire[..1000]);
            d.push(&wire[1000..]);
            assert_eq!(d.stats.codewords, 2 * f.ways() as u64);
            assert_eq!(d.symbol_errors, 0);
            assert_eq!(d.bit_errors, 0);
            assert_eq!(
                &wire[..5],
                &pay[..],
                "{code:?}: first symbol is the payload's first 10 bits"
            );
        }
    }

    #[test]
    fn interleave_spreads_a_burst_over_two_codewords() {
        for il in [false, true] {
            let mut f = Framer::new(Code::Kr4, Pattern::Random, 3, il);
            let mut wire = Vec::new();
            f.next_frame(&mut wire);
            // a burst of 60 wrong PAM4 symbols = 12 to 13 10-bit symbols
            for s in wire[100..160].iter_mut() {
                *s ^= 1;
            }
            let mut d = Deframer::new(Code::Kr4, Pattern::Random, 3, il, 0);
            d.push(&wire);
            if il {
                // ~6-7 errors per codeword: within t = 7
                assert_eq!(d.stats.uncorrectable_codewords, 0);
                assert_eq!(d.bit_errors, 0);
            } else {
                assert_eq!(d.stats.uncorrectable_codewords, 1);
                assert!(d.bit_errors > 0);
            }
        }
    }
}
