//! Back-to-back codewords, byte streams, bit <-> symbol mapping and 2-way interleaving.

use std::borrow::Cow;

use super::code::Code;
use super::codec::Codec;
use super::error::{check_symbols, FecError};
use super::stats::FecStats;

impl Codec {
    /// Encodes back-to-back messages (`k` symbols each) into back-to-back codewords.
    /// Returns the number of codewords.
    pub fn encode_many(&self, msgs: &[u16], cw_out: &mut [u16]) -> Result<usize, FecError> {
        let (n, k) = (self.code().n(), self.code().k());
        let count = whole_blocks(msgs.len(), k)?;
        check_len(cw_out.len(), count * n)?;
        check_symbols(msgs)?;
        for (m, c) in msgs.chunks_exact(k).zip(cw_out.chunks_exact_mut(n)) {
            self.encode(m, c);
        }
        Ok(count)
    }

    /// Decodes back-to-back codewords (`n` symbols each) into back-to-back messages and
    /// returns the statistics. Uncorrectable words pass their received message through.
    pub fn decode_many(&self, received: &[u16], msg_out: &mut [u16]) -> Result<FecStats, FecError> {
        let (n, k) = (self.code().n(), self.code().k());
        let count = whole_blocks(received.len(), n)?;
        check_len(msg_out.len(), count * k)?;
        check_symbols(received)?;
        let mut stats = FecStats::new(self.code());
        for (r, m) in received.chunks_exact(n).zip(msg_out.chunks_exact_mut(k)) {
            stats.record(self.decode(r, m));
        }
        Ok(stats)
    }
}

fn whole_blocks(symbols: usize, block: usize) -> Result<usize, FecError> {
    if symbols % block != 0 {
        return Err(FecError::PartialBlock { symbols, block });
    }
    Ok(symbols / block)
}

fn check_len(got: usize, expected: usize) -> Result<(), FecError> {
    if got != expected {
        return Err(FecError::OutputLength { expected, got });
    }
    Ok(())
}

/// u16 little-endian symbols: the bytes themselves, cast, when they are aligned on a
/// little-endian machine; a converted copy otherwise.
fn symbols_from_le(input: &[u8]) -> Result<Cow<'_, [u16]>, FecError> {
    if input.len() % 2 != 0 {
        return Err(FecError::OddByteLength { len: input.len() });
    }
    if cfg!(target_endian = "little") {
        if let Ok(s) = bytemuck::try_cast_slice(input) {
            return Ok(Cow::Borrowed(s));
        }
    }
    Ok(Cow::Owned(
        input
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect(),
    ))
}

/// Runs `fill` on a `symbols`-long u16 buffer and returns it as little-endian bytes. On a
/// little-endian machine the byte vector itself is filled (cast) when its allocation is
/// aligned, as it is in practice; otherwise a u16 buffer is filled and converted.
fn le_output<T>(
    symbols: usize,
    fill: impl FnOnce(&mut [u16]) -> Result<T, FecError>,
) -> Result<(Vec<u8>, T), FecError> {
    let mut bytes = vec![0u8; 2 * symbols];
    if cfg!(target_endian = "little") {
        if let Ok(out) = bytemuck::try_cast_slice_mut(&mut bytes) {
            let t = fill(out)?;
            return Ok((bytes, t));
        }
    }
    let mut out = vec![0u16; symbols];
    let t = fill(&mut out)?;
    for (b, s) in bytes.chunks_exact_mut(2).zip(&out) {
        b.copy_from_slice(&s.to_le_bytes());
    }
    Ok((bytes, t))
}

/// File-level encoding: `input` holds u16 little-endian message symbols, `k` per codeword,
/// back to back; returns the codewords (`n` symbols each) in the same format. Refuses an odd
/// byte count, a partial message or a symbol >= 1024, naming the byte offset.
pub fn encode_bytes(code: Code, input: &[u8]) -> Result<Vec<u8>, FecError> {
    let msgs = symbols_from_le(input)?;
    let codec = Codec::new(code);
    let (out, _) = le_output(msgs.len() / code.k() * code.n(), |out| {
        codec.encode_many(&msgs, out)
    })?;
    Ok(out)
}

/// File-level decoding: `input` holds u16 little-endian received symbols, `n` per codeword,
/// back to back; returns the decoded messages (`k` symbols each) and the statistics. Refuses
/// an odd byte count, a partial codeword or a symbol >= 1024, naming the byte offset.
pub fn decode_bytes(code: Code, input: &[u8]) -> Result<(Vec<u8>, FecStats), FecError> {
    let received = symbols_from_le(input)?;
    let codec = Codec::new(code);
    le_output(received.len() / code.n() * code.k(), |out| {
        codec.decode_many(&received, out)
    })
}

/// Packs bits (one per byte, any non-zero byte is a 1) into 10-bit symbols. Bit order: the
/// first bit (first on the wire) is the MSB (bit 9) of the first symbol.
pub fn bits_to_symbols(bits: &[u8]) -> Result<Vec<u16>, FecError> {
    if bits.len() % 10 != 0 {
        return Err(FecError::PartialSymbol { bits: bits.len() });
    }
    Ok(bits
        .chunks_exact(10)
        .map(|c| c.iter().fold(0u16, |a, &b| a << 1 | u16::from(b != 0)))
        .collect())
}

/// Unpacks 10-bit symbols into bits (one per byte, 0 or 1), MSB (bit 9) first, the inverse
/// of [`bits_to_symbols`]. Bits above bit 9 are ignored.
pub fn symbols_to_bits(symbols: &[u16]) -> Vec<u8> {
    symbols
        .iter()
        .flat_map(|&s| (0..10).rev().map(move |b| (s >> b & 1) as u8))
        .collect()
}

/// 2-way symbol interleave (as 802.3 does for 200G/400G): `out[2i] = a[i]`,
/// `out[2i + 1] = b[i]`, so the stream alternates codeword A, codeword B, starting with A.
///
/// # Panics
/// If `a` and `b` differ in length or `out.len() != 2 * a.len()`.
pub fn interleave2(a: &[u16], b: &[u16], out: &mut [u16]) {
    assert_eq!(a.len(), b.len(), "codewords of different lengths");
    assert_eq!(out.len(), 2 * a.len(), "output length");
    for ((o, &x), &y) in out.chunks_exact_mut(2).zip(a).zip(b) {
        o[0] = x;
        o[1] = y;
    }
}

/// Inverse of [`interleave2`]: even symbols to `a`, odd symbols to `b`.
///
/// # Panics
/// If `a` and `b` differ in length or `input.len() != 2 * a.len()`.
pub fn deinterleave2(input: &[u16], a: &mut [u16], b: &mut [u16]) {
    assert_eq!(a.len(), b.len(), "codewords of different lengths");
    assert_eq!(input.len(), 2 * a.len(), "input length");
    for ((i, x), y) in input.chunks_exact(2).zip(a.iter_mut()).zip(b.iter_mut()) {
        *x = i[0];
        *y = i[1];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cast (aligned) and copying (unaligned) input paths agree.
    #[test]
    fn unaligned_input_gives_the_same_result() {
        let code = Code::Kr4;
        let msgs: Vec<u16> = (0..3 * code.k()).map(|i| (i * 37 % 1024) as u16).collect();
        let mut cws = vec![0u16; 3 * code.n()];
        Codec::new(code).encode_many(&msgs, &mut cws).unwrap();
        cws[5] ^= 0x155;
        let le: Vec<u8> = cws.iter().flat_map(|s| s.to_le_bytes()).collect();
        let mut shifted = vec![0u8; le.len() + 1];
        shifted[1..].copy_from_slice(&le);
        let (aligned, unaligned) = if le.as_ptr() as usize % 2 == 0 {
            (&le[..], &shifted[1..])
        } else {
            (&shifted[1..], &le[..])
        };
        assert!(matches!(
            symbols_from_le(aligned).unwrap(),
            Cow::Borrowed(_)
        ));
        assert!(matches!(symbols_from_le(unaligned).unwrap(), Cow::Owned(_)));
        let (a, sa) = decode_bytes(code, aligned).unwrap();
        let (b, sb) = decode_bytes(code, unaligned).unwrap();
        assert_eq!((&a, &sa), (&b, &sb));
        assert_eq!(sa.corrected_symbols, 1);
        let m: Vec<u8> = msgs.iter().flat_map(|s| s.to_le_bytes()).collect();
        assert_eq!(a, m);
        let mut m_shifted = vec![0u8; m.len() + 1];
        m_shifted[1..].copy_from_slice(&m);
        let want: Vec<u8> = cws_clean(code, &msgs);
        assert_eq!(encode_bytes(code, &m).unwrap(), want);
        assert_eq!(encode_bytes(code, &m_shifted[1..]).unwrap(), want);
    }

    fn cws_clean(code: Code, msgs: &[u16]) -> Vec<u8> {
        let mut cws = vec![0u16; msgs.len() / code.k() * code.n()];
        Codec::new(code).encode_many(msgs, &mut cws).unwrap();
        cws.iter().flat_map(|s| s.to_le_bytes()).collect()
    }
}
