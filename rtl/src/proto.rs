//! The byte-stream protocol between the host and the device's bridge, defined
//! once and used by both the RTL generator ([`crate::bridge`]) and the host
//! driver: constants, CRC-32, COBS, and a frame codec.
//!
//! A frame before framing is
//! `type (1) | seq (1) | len (2, LE) | payload (len) | crc32 (4, LE)`,
//! the CRC-32 (IEEE, reflected, as zlib/Ethernet) taken over everything
//! before it. The frame is then COBS-encoded and terminated by one `0x00`.
//! See `docs/device.md`.

use thiserror::Error;

/// Bytes before the payload: type, seq, len (LE).
pub const HEADER_LEN: usize = 4;
/// Bytes of the CRC-32 after the payload.
pub const CRC_LEN: usize = 4;
/// Largest payload of a host-to-device frame (bytes).
pub const MAX_PAYLOAD: usize = 512;
/// Host-to-device frame slots in the device's receive buffer: the credit
/// window (frames the host may have sent and not seen executed).
pub const RX_SLOTS: usize = 8;
/// Output bytes (4 symbols each) per full `OUTPUT` frame.
pub const OUT_CHUNK: usize = 256;
/// Output buffer of the device, bytes.
pub const OUT_FIFO: usize = 1024;
/// Largest CSR read burst, 32-bit words.
pub const MAX_READ_WORDS: usize = 64;
/// Bytes per sample in a `SAMPLES` payload: one (two's complement) when
/// `adc_bits <= 8`, else two (i16 little-endian); the low `adc_bits` are used.
pub fn sample_bytes(adc_bits: u32) -> usize {
    if adc_bits <= 8 {
        1
    } else {
        2
    }
}
/// Largest device-to-host payload.
pub const MAX_DEVICE_PAYLOAD: usize = 4 + 4 * MAX_READ_WORDS;

/// Host to device: CSR write burst `addr u16 | data u32 ...`.
pub const CMD_WRITE: u8 = 0x01;
/// Host to device: CSR read burst `addr u16 | count u16`.
pub const CMD_READ: u8 = 0x02;
/// Host to device: sample burst, [`sample_bytes`] bytes per sample.
pub const CMD_SAMPLES: u8 = 0x03;
/// Host to device: wait until every sample is decided and its output sent.
pub const CMD_FLUSH: u8 = 0x04;
/// Device to host: the response to command `t` has type `t | RESP`; payload
/// `cmd seq | next expected seq | credit | status` then, for reads, the words (LE).
pub const RESP: u8 = 0x80;
/// Device to host: output burst, payload `first symbol index u32 | packed symbols`
/// (4 symbols a byte, the first in bits 7:6).
pub const OUTPUT: u8 = 0xC0;
/// Device to host: error report, payload `code | next expected seq | credit | seq received`.
pub const ERROR: u8 = 0xE0;

/// Error code: COBS or CRC-32 check failed.
pub const ERR_CORRUPT: u8 = 1;
/// Error code: the length field disagrees with the frame, or exceeds [`MAX_PAYLOAD`].
pub const ERR_LENGTH: u8 = 2;
/// Error code: unknown command type.
pub const ERR_TYPE: u8 = 3;
/// Error code: sequence number is not the expected one (frame dropped).
pub const ERR_SEQ: u8 = 4;
/// Error code: no free slot (the host sent beyond its credit; frame dropped).
pub const ERR_FULL: u8 = 5;

/// The CRC-32 register after running over a message followed by its CRC (LE):
/// a frame is intact when the receiver's register ends at this value.
pub const CRC_RESIDUE: u32 = 0xDEBB_20E3;
/// The reflected CRC-32 polynomial.
pub const CRC_POLY: u32 = 0xEDB8_8320;

const fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ CRC_POLY
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC_TABLE: [u32; 256] = crc_table();

/// One byte of the CRC-32 register update (no initial or final inversion).
#[inline]
pub fn crc_update(reg: u32, byte: u8) -> u32 {
    CRC_TABLE[((reg ^ byte as u32) & 0xff) as usize] ^ (reg >> 8)
}

/// CRC-32 (IEEE) of `data`, as zlib computes it.
pub fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(0xFFFF_FFFF, |r, &b| crc_update(r, b))
}

/// The CRC register update as XOR equations: for each of the 32 output bits,
/// a mask over the inputs (bits 0..32: register, bits 32..40: data byte).
pub fn crc_update_equations() -> [u64; 32] {
    let mut c = [0u64; 32];
    for (i, v) in c.iter_mut().enumerate() {
        *v = 1 << i;
    }
    for (i, v) in c.iter_mut().enumerate().take(8) {
        *v ^= 1 << (32 + i);
    }
    for _ in 0..8 {
        let lsb = c[0];
        let mut n = [0u64; 32];
        n[..31].copy_from_slice(&c[1..]);
        for (i, v) in n.iter_mut().enumerate() {
            if CRC_POLY >> i & 1 != 0 {
                *v ^= lsb;
            }
        }
        c = n;
    }
    c
}

/// COBS-encodes `data` and appends it, then the `0x00` delimiter, to `out`.
pub fn cobs_encode(data: &[u8], out: &mut Vec<u8>) {
    let mut code_at = out.len();
    out.push(0);
    let mut code: u8 = 1;
    for &b in data {
        if b == 0 {
            out[code_at] = code;
            code_at = out.len();
            out.push(0);
            code = 1;
        } else {
            out.push(b);
            code += 1;
            if code == 0xFF {
                out[code_at] = code;
                code_at = out.len();
                out.push(0);
                code = 1;
            }
        }
    }
    out[code_at] = code;
    out.push(0);
}

/// A decoded frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// the type byte
    pub kind: u8,
    /// the sequence number
    pub seq: u8,
    /// the payload
    pub payload: Vec<u8>,
}

impl Frame {
    /// The frame with its CRC, COBS-encoded and delimited, ready for the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut raw = Vec::with_capacity(self.payload.len() + HEADER_LEN + CRC_LEN);
        raw.push(self.kind);
        raw.push(self.seq);
        raw.extend_from_slice(&(self.payload.len() as u16).to_le_bytes());
        raw.extend_from_slice(&self.payload);
        let c = crc32(&raw);
        raw.extend_from_slice(&c.to_le_bytes());
        let mut out = Vec::with_capacity(raw.len() + raw.len() / 254 + 2);
        cobs_encode(&raw, &mut out);
        out
    }

    /// Checks and splits a COBS-decoded frame (header, payload, CRC).
    pub fn parse(raw: &[u8]) -> Result<Frame, FrameError> {
        if raw.len() < HEADER_LEN + CRC_LEN {
            return Err(FrameError::Short(raw.len()));
        }
        let len = u16::from_le_bytes([raw[2], raw[3]]) as usize;
        if len + HEADER_LEN + CRC_LEN != raw.len() {
            return Err(FrameError::Length {
                field: len,
                actual: raw.len() - HEADER_LEN - CRC_LEN,
            });
        }
        let reg = raw.iter().fold(0xFFFF_FFFF, |r, &b| crc_update(r, b));
        if reg != CRC_RESIDUE {
            return Err(FrameError::Crc);
        }
        Ok(Frame {
            kind: raw[0],
            seq: raw[1],
            payload: raw[HEADER_LEN..HEADER_LEN + len].to_vec(),
        })
    }
}

/// Why a received frame was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum FrameError {
    /// The COBS structure is broken (a delimiter inside a block).
    #[error("broken COBS framing")]
    Cobs,
    /// Too short to hold a header and a CRC.
    #[error("frame of {0} bytes is too short")]
    Short(usize),
    /// Longer than the decoder accepts.
    #[error("frame longer than {0} bytes")]
    TooLong(usize),
    /// The length field disagrees with the frame.
    #[error("length field {field} but {actual} payload bytes")]
    Length {
        /// the length field
        field: usize,
        /// the payload bytes present
        actual: usize,
    },
    /// CRC-32 mismatch.
    #[error("CRC-32 mismatch")]
    Crc,
}

/// A streaming COBS + frame decoder: feed bytes, get frames (or the reason a
/// frame was refused). Never panics; memory is bounded by `max_raw`.
#[derive(Clone, Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    cnt: u8,
    code: u8,
    started: bool,
    broken: bool,
    max_raw: usize,
}

impl Decoder {
    /// A decoder refusing frames whose decoded size exceeds `max_raw` bytes.
    pub fn new(max_raw: usize) -> Decoder {
        Decoder {
            buf: Vec::new(),
            cnt: 0,
            code: 0,
            started: false,
            broken: false,
            max_raw,
        }
    }

    /// Decodes `bytes`, appending one entry per delimiter-terminated frame.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Result<Frame, FrameError>>) {
        for &b in bytes {
            if b == 0 {
                if self.started || self.broken {
                    let r = if self.broken {
                        Err(if self.buf.len() > self.max_raw {
                            FrameError::TooLong(self.max_raw)
                        } else {
                            FrameError::Cobs
                        })
                    } else if self.cnt != 0 {
                        Err(FrameError::Cobs)
                    } else if self.buf.is_empty() {
                        Err(FrameError::Short(0))
                    } else {
                        Frame::parse(&self.buf)
                    };
                    out.push(r);
                }
                self.buf.clear();
                self.cnt = 0;
                self.started = false;
                self.broken = false;
                continue;
            }
            if self.broken {
                continue;
            }
            if self.cnt == 0 {
                if self.started && self.code != 0xFF {
                    self.buf.push(0);
                }
                self.code = b;
                self.cnt = b - 1;
                self.started = true;
            } else {
                self.buf.push(b);
                self.cnt -= 1;
            }
            if self.buf.len() > self.max_raw {
                self.broken = true;
                self.buf.push(0); // marks "too long" for the report
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_zlib_and_residue() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let mut m = b"hello".to_vec();
        m.extend_from_slice(&crc32(b"hello").to_le_bytes());
        assert_eq!(m.iter().fold(!0, |r, &b| crc_update(r, b)), CRC_RESIDUE);
    }

    #[test]
    fn crc_equations_match_the_table() {
        let eq = crc_update_equations();
        for (reg, byte) in [
            (0u32, 0u8),
            (!0, 0x5a),
            (0x1234_5678, 0xff),
            (0xdead_beef, 1),
        ] {
            let x = reg as u64 | (byte as u64) << 32;
            let mut r = 0u32;
            for (i, m) in eq.iter().enumerate() {
                r |= ((m & x).count_ones() & 1) << i;
            }
            assert_eq!(r, crc_update(reg, byte));
        }
    }

    #[test]
    fn frames_round_trip_through_cobs() {
        for n in [0usize, 1, 253, 254, 255, 300, 512, 600] {
            for fill in [0u8, 7] {
                let payload: Vec<u8> = (0..n)
                    .map(|i| if fill == 0 { (i % 5) as u8 } else { fill })
                    .collect();
                let f = Frame {
                    kind: 3,
                    seq: 200,
                    payload,
                };
                let wire = f.encode();
                assert_eq!(wire.iter().filter(|&&b| b == 0).count(), 1);
                let mut d = Decoder::new(4096);
                let mut out = Vec::new();
                d.push(&wire, &mut out);
                assert_eq!(out, vec![Ok(f)]);
            }
        }
    }
}
