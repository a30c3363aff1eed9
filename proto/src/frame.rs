//! The frame codec: a [`Frame`] to wire bytes and a streaming [`Decoder`]
//! back.

use crate::{cobs_encode, crc32, crc_update, CRC_LEN, CRC_RESIDUE, HEADER_LEN};
use thiserror::Error;

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

    /// The result for the frame ended by the delimiter just received.
    fn finish(&self) -> Result<Frame, FrameError> {
        if self.broken {
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
        }
    }

    /// Decodes `bytes`, appending one entry per delimiter-terminated frame.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Result<Frame, FrameError>>) {
        for &b in bytes {
            if b == 0 {
                if self.started || self.broken {
                    out.push(self.finish());
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
