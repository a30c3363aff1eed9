//! Reed-Solomon FEC of IEEE 802.3 clause 91 / 119: RS(544,514) "KP4" (t = 15) and
//! RS(528,514) "KR4" (t = 7) over GF(2^10).
//!
//! # Conventions
//! - Field GF(2^10) with p(x) = x^10 + x^3 + 1 (0x409), primitive element alpha = 2.
//! - Generator `g(x) = prod_{j=0}^{2t-1} (x - alpha^j)` (first root alpha^0), monic.
//! - Systematic encoding. Codeword array index 0 is the coefficient of x^(n-1) and is sent
//!   first; the k message symbols come first, the 2t parity symbols follow
//!   (`c(x) = m(x) x^2t + (m(x) x^2t mod g(x))`).
//! - Symbols are `u16` values < 1024. On the wire the first bit of a symbol is its MSB
//!   ([`bits_to_symbols`], [`symbols_to_bits`]). Files hold u16 little-endian symbols,
//!   codewords back to back ([`encode_bytes`], [`decode_bytes`]).
//!
//! # Decision rule
//! Every engine applies the same rule, in this order; the first failing check makes the word
//! uncorrectable ([`Failure`] names it), and the received message is then passed through
//! unchanged. Position `p` (array index) holds the coefficient of `x^d`, `d = n - 1 - p`;
//! its locator is `X = alpha^d`.
//!
//! 1. Syndromes `S_j = r(alpha^j)`, `j = 0..2t`. All zero: the word is clean,
//!    `Corrected { symbols: 0 }`.
//! 2. Key equation by the reformulated inversionless Berlekamp-Massey (riBM, Sarwate &
//!    Shanbhag 2001), always exactly 2t iterations, with `3t + 1` registers:
//!    - init: `delta_i = theta_i = S_i` (i < 2t), `delta_i = theta_i = 0` (2t <= i < 3t),
//!      `delta_3t = theta_3t = 1`, `gamma = 1`, `k = 0`;
//!    - each iteration, with `d0 = delta_0` (`delta_(3t+1) = 0`):
//!      `delta_i <- gamma * delta_(i+1) - d0 * theta_i` for i = 0..=3t; then if `d0 != 0`
//!      and `k >= 0`: `theta_i <- delta_(i+1)` (old delta), `gamma <- d0`, `k <- -k - 1`;
//!      otherwise `theta` and `gamma` stay and `k <- k + 1`;
//!    - result: `lambda_i = delta_(t+i)` (i = 0..=t), `omega_i = delta_i` (i < t).
//! 3. `nu` = degree of lambda = largest i <= t with `lambda_i != 0` (0 if none).
//! 4. Chien search over the n positions only: position p is a root when
//!    `lambda(alpha^-d) = 0`. If the number of roots differs from `nu`, the word is
//!    uncorrectable ([`Failure::RootCount`]). This covers a root beyond the shortened code
//!    (d >= n), repeated roots and a locator that does not split; a locator of degree >= 1
//!    cannot have more than `nu` roots, so a search may stop at the `nu`-th root. (The naive
//!    engine searches all 1023 field elements and also refuses any root with d >= n; that is
//!    the same decision.) `nu = 0` with `lambda_0 != 0` finds no root and goes on.
//! 5. Forney, roots in ascending position order:
//!    `e = X^(-2t) * omega(X^-1) / lambda_odd(X^-1)` with
//!    `lambda_odd(x) = sum_(i odd) lambda_i x^i` (= x lambda'(x)). A zero denominator or a
//!    zero `e` makes the word uncorrectable ([`Failure::ErrorValue`], first such position).
//! 6. The syndromes of the corrected word (`S_j + sum e X^j`) must all be zero, otherwise
//!    [`Failure::ResidualSyndrome`]. (Step 4 with `nu = 0`, `lambda_0 != 0` always ends here.)
//!
//! Otherwise the word is `Corrected { symbols: nu }` (parity symbols count too). Because of
//! step 6 a word reported corrected is always a codeword within distance t of the received
//! word, so every engine (and an RTL decoder following these steps) gives the same output on
//! every input, including words with more than t errors.
//!
//! # Engines
//! [`Engine::Naive`] is the plain reference (log/antilog multiplies, Horner syndromes, riBM
//! as written above, Chien over all 1023 field elements, syndromes recomputed after
//! correction, encoding by long division). [`Engine::Fast`] picks the best kernels the CPU
//! has, checked once in [`Codec::with_engine`] ([`Codec::kernels`] names them):
//! - "gfni" (`avx512f`, `avx512bw`, `gfni`; Rust >= 1.89): a constant multiply is four
//!   `vgf2p8affineqb` 8x8 bit-matrix products with a different constant in each 64-bit lane,
//!   so the 2t syndromes run eight at a time over eight symbols per step and the lanes fold
//!   in three steps; Chien search 64 positions per step; riBM with its 3t + 1 registers in
//!   two 512-bit registers (`vpermw` products by the iteration's two scalars); Forney's sums
//!   by antilog gathers; the residual check as one vector multiply per error; encoding as
//!   the syndromes of the message times a fixed 2t x 2t matrix (no sequential LFSR).
//! - "avx2" ([`Engine::FastAvx2`] selects it even where GFNI exists): syndromes and Chien
//!   search with `vpshufb` constant multiplies, 32 symbols per step; scalar log-domain riBM;
//!   the encoder's LFSR in SSE2 registers.
//! - "scalar" ([`Engine::FastScalar`], selectable anywhere): a u64-word LFSR encodes and also
//!   divides the received word by g(x), so a zero remainder marks a clean word and otherwise
//!   gives the syndromes (`rem(alpha^j) = S_j alpha^(2t j)`); Chien with split
//!   multiply-by-constant tables.
//!
//! All fast engines stop after the syndromes on clean words, search only the n positions and
//! stop at the last root, compute Forney's exponents without divisions (`mod 1023` by
//! folding, the divisor's log subtracted) and check the residual syndromes from the found
//! errors instead of recomputing them. All engines return the same result on every input
//! (tested decision for decision, including [`Failure`] reasons, and by proptest).

#![warn(missing_docs)]
// `usize::is_multiple_of` needs Rust 1.87; the workspace declares rust-version 1.80.
#![allow(clippy::manual_is_multiple_of)]

mod aligned;
mod code;
mod codec;
mod error;
pub mod gf;
mod gfni;
mod simd;
mod stats;
mod stream;

pub use aligned::{decode_aligned, AlignedDecode};
pub use code::{Code, UnknownCode, MAX_N, MAX_T};
pub use codec::{Codec, DecodeOutcome, Engine, ErrorPattern, Failure, KeyEquation};
pub use error::FecError;
pub use stats::{predict_iid, FecStats, Prediction};
pub use stream::{
    bits_to_symbols, decode_bytes, deinterleave2, encode_bytes, interleave2, symbols_to_bits,
};

#[cfg(test)]
mod tests;
