//! The receiver's decoder on a stream of decided PAM4 data symbols, as the
//! device's decoder chain runs it (`rtl::rs::devfec`): codewords of `5n`
//! data symbols back to back from a known start, each 10-bit symbol five
//! data symbols MSB first (`crate::framing`), decoded one after the other.
//!
//! [`decode_aligned`] gives the statistics and the device's `fec.digest` of
//! the decoded codewords: for every beat of `S` symbols (`ceil(n/S)` beats
//! a codeword, lane `l` = codeword position `bS + l`, lanes past `n` zero),
//! `digest = rotl(digest, 1) ^ fold(w)`, where `w` is the beat's `10S` bits
//! (lane 0 in the low bits), on the last beat of a codeword with `corrected
//! | uncorrectable << 31` XORed into its low 32 bits (`corrected` = 0 for an
//! uncorrectable codeword), and `fold` XORs `w`'s 32-bit chunks. A corrected
//! codeword is the received one with every located error removed, parity
//! included; an uncorrectable one is the received word as it came.

use super::{Code, Codec, DecodeOutcome, FecStats};

/// What the decoder makes of an aligned stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlignedDecode {
    /// the statistics of every whole codeword
    pub stats: FecStats,
    /// the device's `fec.digest` at `S` symbols per beat
    pub digest: u32,
}

/// Decodes the whole codewords of `data` (2-bit data symbols) that start at
/// `sof`, `sof + 5n`, ...; `s` is the decoder's symbols per beat (for the
/// digest only). With `interleave` the stream is frames of two codewords
/// whose 10-bit symbols alternate (`golden::framing`), starting at `sof`:
/// each frame's codeword A is decoded, then B, as the device's
/// de-interleaver hands them to its decoder.
pub fn decode_aligned(
    code: Code,
    s: usize,
    data: &[u8],
    sof: usize,
    interleave: bool,
) -> AlignedDecode {
    let codec = Codec::new(code);
    let n = code.n();
    let ways = if interleave { 2 } else { 1 };
    let mut stats = FecStats::new(code);
    let mut digest = 0u32;
    let mut cws = vec![vec![0u16; n]; ways];
    let tail = data.get(sof..).unwrap_or(&[]);
    for frame in tail.chunks_exact(5 * n * ways) {
        for (i, five) in frame.chunks_exact(5).enumerate() {
            cws[i % ways][i / ways] = five.iter().fold(0u16, |a, &d| a << 2 | (d & 3) as u16);
        }
        for cw in cws.iter_mut() {
            let (d, st) = decode_one(&codec, cw, s, digest);
            digest = d;
            stats.record(st);
        }
    }
    AlignedDecode { stats, digest }
}

/// One codeword of [`decode_aligned`]: corrected in place; the digest after
/// it and the outcome.
fn decode_one(codec: &Codec, cw: &mut [u16], s: usize, digest: u32) -> (u32, DecodeOutcome) {
    let (outcome, corrected) = match codec.locate(cw) {
        Ok(errors) => {
            for (pos, e) in errors.iter() {
                cw[pos] ^= e;
            }
            (
                DecodeOutcome::Corrected {
                    symbols: errors.len(),
                },
                errors.len() as u32,
            )
        }
        Err(_) => (DecodeOutcome::Uncorrectable, 1 << 31),
    };
    (digest_codeword(digest, cw, s.max(1), corrected), outcome)
}

/// [`decode_aligned`]'s digest step over one codeword.
fn digest_codeword(mut digest: u32, cw: &[u16], s: usize, outcome: u32) -> u32 {
    let beats = cw.len().div_ceil(s);
    for b in 0..beats {
        // the beat's 10S bits, lane 0 lowest, as 32-bit chunks XORed together
        let mut fold = 0u32;
        let (mut acc, mut bits) = (0u64, 0u32);
        for l in 0..s {
            let v = cw.get(b * s + l).copied().unwrap_or(0) as u64;
            acc |= v << bits;
            bits += 10;
            if bits >= 32 {
                fold ^= acc as u32;
                acc >>= 32;
                bits -= 32;
            }
        }
        fold ^= acc as u32;
        if b + 1 == beats {
            fold ^= outcome;
        }
        digest = digest.rotate_left(1) ^ fold;
    }
    digest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_codec_and_the_digest_sees_every_bit() {
        let code = Code::Kr4;
        let codec = Codec::new(code);
        let n = code.n();
        let mut rng = crate::rng::Xoshiro256pp::new(9);
        let mut data = vec![3u8; 7]; // symbols before the first codeword
        let mut want = FecStats::new(code);
        let mut msg = vec![0u16; code.k()];
        let mut cw = vec![0u16; n];
        let mut out = vec![0u16; code.k()];
        for errs in [0usize, 1, 5, 7, 12] {
            for m in msg.iter_mut() {
                *m = (rng.next_u64() & 1023) as u16;
            }
            codec.encode(&msg, &mut cw);
            for e in 0..errs {
                cw[(e * 37) % n] ^= 1 + (e as u16 % 1000);
            }
            want.record(codec.decode(&cw, &mut out));
            for &c in &cw {
                data.extend((0..5).map(|i| ((c >> (8 - 2 * i)) & 3) as u8));
            }
        }
        data.extend([1u8; 100]); // a partial codeword: not counted
        let got = decode_aligned(code, 4, &data, 7, false);
        assert_eq!(got.stats, want);
        assert_eq!(got.stats.codewords, 5);
        // one flipped data bit in an uncorrectable codeword changes the digest
        let mut bad = data.clone();
        bad[7 + 4 * 5 * n + 3] ^= 1;
        assert_ne!(decode_aligned(code, 4, &bad, 7, false).digest, got.digest);
        // the digest depends on the beat width
        assert_ne!(decode_aligned(code, 2, &data, 7, false).digest, got.digest);
    }

    /// With the interleave: frames of two codewords, decoded A then B, the
    /// counts of the golden deframer on the same wire symbols.
    #[test]
    fn interleaved_frames_count_as_the_deframer_counts() {
        use crate::framing::{Deframer, Framer};
        use crate::prbs::Pattern;
        let code = Code::Kp4;
        let mut f = Framer::new(code, Pattern::Prbs31, 0, true);
        let mut wire = Vec::new();
        for _ in 0..4 {
            f.next_frame(&mut wire);
        }
        let mut rng = crate::rng::Xoshiro256pp::new(5);
        // bursts of errors: some codewords corrected, some lost
        for k in 0..60 {
            let at = (rng.next_u64() % wire.len() as u64) as usize;
            for i in 0..(k % 9) {
                if let Some(x) = wire.get_mut(at + i) {
                    *x ^= 1 + (i as u8 % 3);
                }
            }
        }
        let mut d = Deframer::new(code, Pattern::Prbs31, 0, true, 0);
        d.push(&wire);
        let got = decode_aligned(code, 2, &wire, 0, true);
        assert_eq!(got.stats, d.stats);
        assert_eq!(got.stats.codewords, 8);
        assert!(got.stats.corrected_codewords > 0 && got.stats.uncorrectable_codewords > 0);
        // not the counts of the same symbols decoded as they come
        assert_ne!(decode_aligned(code, 2, &wire, 0, false).stats, got.stats);
    }

    #[test]
    fn digest_of_one_beat_by_hand() {
        // S = 4: 40 bits, lanes 0..3 = 1, 2, 3, 4 -> low chunk and bits 32..39
        let w: u64 = 1 | 2 << 10 | 3 << 20 | 4 << 30;
        let fold = (w as u32) ^ ((w >> 32) as u32);
        let d = digest_codeword(0, &[1, 2, 3, 4], 4, 5);
        assert_eq!(d, fold ^ 5);
    }
}
