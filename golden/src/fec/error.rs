//! Typed errors for the fallible FEC APIs.

use thiserror::Error;

/// Why an FEC input was refused. Offsets name where the problem is, so a command-line tool
/// can point at it in the file: `byte_offset` is the offset in a u16 little-endian stream
/// (twice the symbol index).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FecError {
    /// A byte stream of u16 symbols has an odd length.
    #[error("input is {len} bytes: not a whole number of 2-byte symbols (stray byte at offset {})", len - 1)]
    OddByteLength {
        /// Length of the byte input.
        len: usize,
    },
    /// The input does not hold a whole number of blocks (k symbols to encode, n to decode).
    #[error(
        "input holds {symbols} symbols: not a whole number of {block}-symbol blocks \
         (incomplete block of {} symbols starts at byte offset {})",
        symbols % block,
        2 * (symbols - symbols % block)
    )]
    PartialBlock {
        /// Symbols in the input.
        symbols: usize,
        /// Symbols per block (k for encoding, n for decoding).
        block: usize,
    },
    /// A symbol does not fit in 10 bits.
    #[error("symbol {value} at byte offset {byte_offset} (symbol {index}) is not a 10-bit value (>= 1024)")]
    SymbolOutOfRange {
        /// Index of the symbol in the input.
        index: usize,
        /// `2 * index`: byte offset in a u16 little-endian stream.
        byte_offset: usize,
        /// The offending value.
        value: u16,
    },
    /// An output buffer has the wrong length.
    #[error("output buffer holds {got} symbols, expected {expected}")]
    OutputLength {
        /// Required length.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// A bit stream is not a whole number of 10-bit symbols.
    #[error("{bits} bits is not a whole number of 10-bit symbols")]
    PartialSymbol {
        /// Bits in the input.
        bits: usize,
    },
}

/// First symbol >= 1024 in `symbols`, as an error.
pub(crate) fn check_symbols(symbols: &[u16]) -> Result<(), FecError> {
    // Cheap, vectorizable pass first; the position is only searched for on failure.
    if symbols.iter().fold(0u16, |a, &s| a | s) < 1024 {
        return Ok(());
    }
    let index = symbols.iter().position(|&s| s >= 1024).unwrap_or(0);
    Err(FecError::SymbolOutOfRange {
        index,
        byte_offset: 2 * index,
        value: symbols[index],
    })
}
