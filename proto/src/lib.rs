//! # rxdsp protocol
//!
//! The byte-stream protocol between the host and the device's bridge and the
//! device's register map, defined once. The RTL generator (`rxdsp-rtl`: the
//! bridge, the CSR decoder), the co-simulation (`rxdsp-sim`) and the host
//! driver (`rxdsp`) all read them from here; this crate has no generator and
//! depends on nothing of rxdsp, so the driver links no Verilog builder.
//!
//! - the protocol constants (this page), [`crc32`] and the CRC register
//!   update the bridge implements, COBS ([`cobs_encode`]), the frame codec
//!   ([`Frame`], [`Decoder`]);
//! - the register map data: [`regmap`] (blocks, registers, the bridge
//!   counters, the markdown page `docs/registers.md`).
//!
//! A frame before framing is
//! `type (1) | seq (1) | len (2, LE) | payload (len) | crc32 (4, LE)`,
//! the CRC-32 (IEEE, reflected, as zlib/Ethernet) taken over everything
//! before it. The frame is then COBS-encoded and terminated by one `0x00`.
//! See `docs/device.md`.

#![warn(missing_docs)]

mod cobs_codec;
mod crc;
mod frame;
pub mod regmap;

pub use cobs_codec::cobs_encode;
pub use crc::{crc32, crc_update, crc_update_equations, CRC_POLY, CRC_RESIDUE};
pub use frame::{Decoder, Frame, FrameError};

/// Version of this crate (the workspace version), as the register map's
/// markdown page names it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

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
