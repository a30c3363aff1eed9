//! AVX-512 + GFNI syndrome and Chien kernels (x86-64 only, selected at run time).
//!
//! A constant multiply in GF(2^10) is a 10 x 10 bit matrix over GF(2). With the symbol split
//! into a low-byte plane (bits 0..8) and a high plane (bits 8..10), it is four 8 x 8 blocks
//! (low -> low, high -> low, low -> high, high -> high), and `vgf2p8affineqb` applies one
//! 8 x 8 block to 64 bytes at once, with its own matrix in each of the eight 64-bit lanes.
//! So one multiply is four affine instructions and two three-way XORs, and eight different
//! constants ride in one register (what the `vpshufb` kernels of `simd.rs` cannot do).
//!
//! - Syndromes: qword `q` of a register works for syndrome `8 g + q`; its eight bytes run
//!   Horner over the symbols `l, l + 8, l + 16, ..` (stride 8) with `alpha^(8 j)`. The word is
//!   read once, eight symbols at a time, broadcast to every qword, for all groups together.
//!   The eight lanes of a qword are then folded (`x alpha^(4 j)` plus the upper half, then
//!   `2 j`, `j`), eight syndromes per instruction.
//! - Chien search: byte `b` of the register for term `i` holds `lambda_i alpha^(-i d)` for
//!   64 consecutive degrees `d`; each step multiplies by `alpha^(-64 i)`. The start vector is
//!   eight scalar products `lambda_i alpha^(-i l)` (l < 8) broadcast and multiplied by
//!   `alpha^(-8 i q)` in qword q: again one multiply with per-qword constants.
//!
//! The intrinsics (AVX-512 and GFNI) are stable since Rust 1.89; the workspace declares an
//! older minimum, so this module only exists on newer compilers (`rustversion`), and
//! [`available`] says false otherwise.

use super::gf::gf;

/// Four 8 x 8 bit matrices (as `vgf2p8affineqb` wants them) multiplying a (low byte, high
/// two bits) symbol by `c`: `[low -> low, high -> low, low -> high, high -> high]`.
pub(crate) fn matrices(c: u16) -> [u64; 4] {
    let f = gf();
    // cols[b] = c alpha^b: the image of input bit b.
    let cols: [u16; 10] = std::array::from_fn(|b| f.mul(1 << b, c));
    // Row for output bit i lives in byte 7 - i; bit b of the row selects input bit b.
    let block = |in_off: usize, in_bits: usize, out_off: usize, out_bits: usize| -> u64 {
        let mut m = 0u64;
        for i in 0..out_bits {
            let row = (0..in_bits).fold(0u64, |r, b| {
                r | (((cols[in_off + b] >> (out_off + i)) & 1) as u64) << b
            });
            m |= row << (8 * (7 - i));
        }
        m
    };
    [
        block(0, 8, 0, 8),
        block(8, 2, 0, 8),
        block(0, 8, 8, 2),
        block(8, 2, 8, 2),
    ]
}

/// Eight constants, one per qword: the four matrix registers `[block][qword]`.
type PerQword = [[u64; 8]; 4];

fn per_qword(c: impl Fn(usize) -> u16) -> PerQword {
    let m: [[u64; 4]; 8] = std::array::from_fn(|q| matrices(c(q)));
    std::array::from_fn(|b| std::array::from_fn(|q| m[q][b]))
}

/// Kernel tables of one code.
pub(crate) struct Tables {
    /// Syndrome group g: Horner step `alpha^(8 j)`, `j = 8 g + q`.
    step: Vec<PerQword>,
    /// Syndrome group g: fold constants `alpha^(4 j)`, `alpha^(2 j)`, `alpha^j`.
    fold: Vec<[PerQword; 3]>,
    /// Chien term i (index i - 1): start constants `alpha^(-8 i q)` per qword.
    chien_start: Vec<PerQword>,
    /// Chien term i (index i - 1): step constant `alpha^(-64 i)`.
    chien_step: Vec<[u64; 4]>,
    /// Chien term i (index i - 1): logs of `alpha^(-i l)`, l < 8.
    chien_lane_exp: Vec<[u16; 8]>,
    /// riBM multiply-by-variable tables, linear in the constant c: `mul_tab[h][c_part]` with
    /// h = 0: c = c_part (< 32) and h = 1: c = c_part << 5, lanes 0..32 = `c v` (v < 32),
    /// lanes 32..64 = `c (v << 5)`. A constant's tables are two loads and an XOR.
    mul_tab: Box<[[[u16; 64]; 32]; 2]>,
    /// Highest riBM register index, 3t.
    top: usize,
    /// `powers[d][j] = alpha^(j d)`, j < 32, d < n: an error of value e at degree d adds
    /// `e powers[d][j]` to syndrome j (the residual check after Forney).
    powers: Vec<[u16; 32]>,
    /// Encoder: column j of the inverse of `V[j][l] = alpha^(j (2t - 1 - l))` (lanes l < 2t).
    /// Parity symbol l (degree 2t - 1 - l) is `sum_j col_j[l] S_j`, with S_j the syndromes
    /// of the message followed by 2t zeros: the one word with those syndromes in the parity
    /// positions alone.
    parity_cols: Vec<[u16; 32]>,
    /// Forney: `neg_exp[d][i] = (-i d) mod 1023`, i < 16, d < n: lane i of a gather index.
    neg_exp: Vec<[u16; 16]>,
}

/// Inverse of a square matrix over GF(2^10) by Gauss-Jordan elimination (`m` invertible).
fn invert(mut m: Vec<Vec<u16>>) -> Vec<Vec<u16>> {
    let f = gf();
    let size = m.len();
    let mut inv: Vec<Vec<u16>> = (0..size)
        .map(|i| (0..size).map(|j| u16::from(i == j)).collect())
        .collect();
    for col in 0..size {
        let pivot = (col..size)
            .find(|&r| m[r][col] != 0)
            .expect("Vandermonde matrix of distinct points is invertible");
        m.swap(col, pivot);
        inv.swap(col, pivot);
        let scale = f.inv(m[col][col]);
        for x in m[col].iter_mut().chain(inv[col].iter_mut()) {
            *x = f.mul(*x, scale);
        }
        for r in 0..size {
            let c = m[r][col];
            if r != col && c != 0 {
                for j in 0..size {
                    m[r][j] ^= f.mul(c, m[col][j]);
                    inv[r][j] ^= f.mul(c, inv[col][j]);
                }
            }
        }
    }
    inv
}

impl Tables {
    pub(crate) fn new(n: usize, t: usize) -> Tables {
        let f = gf();
        let groups = (2 * t).div_ceil(8);
        let order = super::gf::ORDER;
        Tables {
            step: (0..groups)
                .map(|g| per_qword(|q| f.pow(8 * (8 * g + q))))
                .collect(),
            fold: (0..groups)
                .map(|g| [4, 2, 1].map(|w| per_qword(|q| f.pow(w * (8 * g + q)))))
                .collect(),
            chien_start: (1..=t)
                .map(|i| per_qword(|q| f.pow_neg(8 * i * q)))
                .collect(),
            chien_step: (1..=t).map(|i| matrices(f.pow_neg(64 * i))).collect(),
            chien_lane_exp: (1..=t)
                .map(|i| std::array::from_fn(|l| ((order - i * l % order) % order) as u16))
                .collect(),
            mul_tab: Box::new(std::array::from_fn(|h| {
                std::array::from_fn(|c| {
                    let c = (c << (5 * h)) as u16;
                    std::array::from_fn(|v| f.mul(c, ((v % 32) << (5 * (v / 32))) as u16))
                })
            })),
            top: 3 * t,
            powers: (0..n)
                .map(|d| std::array::from_fn(|j| f.pow(j * d)))
                .collect(),
            neg_exp: (0..n)
                .map(|d| std::array::from_fn(|i| ((order - i * d % order) % order) as u16))
                .collect(),
            parity_cols: {
                let p = 2 * t;
                let v = (0..p)
                    .map(|j| (0..p).map(|l| f.pow(j * (p - 1 - l))).collect())
                    .collect();
                let w = invert(v);
                (0..p)
                    .map(|j| std::array::from_fn(|l| if l < p { w[l][j] } else { 0 }))
                    .collect()
            },
        }
    }
}

/// The tables of `code`, built once per process (the codec points at them, so making a
/// `Codec` stays cheap).
pub(crate) fn tables(code: super::code::Code) -> &'static Tables {
    use std::sync::OnceLock;
    static KP4: OnceLock<Tables> = OnceLock::new();
    static KR4: OnceLock<Tables> = OnceLock::new();
    let cell = match code {
        super::code::Code::Kp4 => &KP4,
        super::code::Code::Kr4 => &KR4,
    };
    cell.get_or_init(|| Tables::new(code.n(), code.t()))
}

/// True when the CPU (and the compiler) can run the kernels of this module.
pub(crate) fn available() -> bool {
    imp::available()
}

/// Syndromes `S_j`, `j < out.len()` (`out.len() <= 32`), of `r` (`r.len()` a multiple of 8,
/// at most `MAX_N`, symbols < 1024).
///
/// # Safety
/// [`available`] must have returned true.
pub(crate) unsafe fn syndromes(tables: &Tables, r: &[u16], out: &mut [u16]) {
    imp::syndromes(tables, r, out)
}

/// Chien search as `simd::chien`: the degrees `d < n` with `lambda(alpha^-d) = 0`,
/// ascending, into `roots`; stops at the `nu`-th root. `dens[r]` receives Forney's
/// denominator `lambda_odd(alpha^-d)` of root r (the odd terms are summed apart).
///
/// # Safety
/// [`available`] must have returned true.
pub(crate) unsafe fn chien(
    tables: &Tables,
    lambda: &[u16],
    n: usize,
    roots: &mut [usize],
    dens: &mut [u16],
) -> usize {
    imp::chien(tables, lambda, n, roots, dens)
}

/// The riBM solver of `codec::ribm_fast` (same arithmetic, same decisions) with the 3t + 1
/// registers in two AVX-512 registers of 16-bit lanes: each iteration is two vector
/// multiplies by the scalars gamma and delta_0 (`vpermw` lookups into that scalar's product
/// tables, see `Tables::mul_tab`) and a one-lane shift. `s` holds the 2t syndromes.
///
/// # Safety
/// [`available`] must have returned true.
pub(crate) unsafe fn ribm(
    tables: &Tables,
    s: &[u16],
) -> ([u16; super::code::MAX_T + 1], [u16; super::code::MAX_T]) {
    imp::ribm(tables, s)
}

/// True when the syndromes `s` (at most 32) minus the errors `(d, e)` (degree, value) are
/// all zero: `S_j = sum e alpha^(j d)` for every j. One vector multiply per error.
///
/// # Safety
/// [`available`] must have returned true.
pub(crate) unsafe fn residual_is_zero(tables: &Tables, s: &[u16], errors: &[(usize, u16)]) -> bool {
    imp::residual_is_zero(tables, s, errors)
}

/// Systematic parity: `cw[..n - 2t]` holds the message; writes the 2t parity symbols into
/// `cw[n - 2t..]` (`cw.len()` a multiple of 8, at most `MAX_N`, symbols < 1024).
///
/// # Safety
/// [`available`] must have returned true.
pub(crate) unsafe fn parity(tables: &Tables, cw: &mut [u16]) {
    imp::parity(tables, cw)
}

/// Forney's sums for each root degree d: `(omega(alpha^-d), dens[r])`, the numerator by one
/// 16-lane gather of antilogs (lane i: `log omega_i - i d`); the denominators come from
/// [`chien`]. `omega` holds `omega_0..omega_(t-1)`.
///
/// # Safety
/// [`available`] must have returned true.
pub(crate) unsafe fn forney_sums(
    tables: &Tables,
    omega: &[u16],
    dens: &[u16],
    roots: &[usize],
    out: &mut [(u16, u16)],
) {
    imp::forney_sums(tables, omega, dens, roots, out)
}

#[rustversion::before(1.89)]
mod imp {
    //! Compilers older than 1.89 lack the intrinsics: the kernels are never selected.
    use super::Tables;

    pub(super) fn available() -> bool {
        false
    }

    pub(super) unsafe fn syndromes(_: &Tables, _: &[u16], _: &mut [u16]) {
        unreachable!("GFNI kernels are not available")
    }

    pub(super) unsafe fn chien(
        _: &Tables,
        _: &[u16],
        _: usize,
        _: &mut [usize],
        _: &mut [u16],
    ) -> usize {
        unreachable!("GFNI kernels are not available")
    }

    pub(super) unsafe fn ribm(_: &Tables, _: &[u16]) -> ([u16; 16], [u16; 15]) {
        unreachable!("GFNI kernels are not available")
    }

    pub(super) unsafe fn residual_is_zero(_: &Tables, _: &[u16], _: &[(usize, u16)]) -> bool {
        unreachable!("GFNI kernels are not available")
    }

    pub(super) unsafe fn parity(_: &Tables, _: &mut [u16]) {
        unreachable!("GFNI kernels are not available")
    }

    pub(super) unsafe fn forney_sums(
        _: &Tables,
        _: &[u16],
        _: &[u16],
        _: &[usize],
        _: &mut [(u16, u16)],
    ) {
        unreachable!("GFNI kernels are not available")
    }
}

#[rustversion::since(1.89)]
#[allow(clippy::incompatible_msrv)] // only compiled on compilers that have the intrinsics
mod imp {
    use super::{PerQword, Tables};
    use crate::fec::code::MAX_N;
    use crate::fec::gf::gf;

    pub(super) fn available() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("gfni")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    pub(super) unsafe fn syndromes(_: &Tables, _: &[u16], _: &mut [u16]) {
        unreachable!("GFNI kernels are x86-64 only")
    }

    #[cfg(not(target_arch = "x86_64"))]
    pub(super) unsafe fn chien(
        _: &Tables,
        _: &[u16],
        _: usize,
        _: &mut [usize],
        _: &mut [u16],
    ) -> usize {
        unreachable!("GFNI kernels are x86-64 only")
    }

    #[cfg(not(target_arch = "x86_64"))]
    pub(super) unsafe fn ribm(_: &Tables, _: &[u16]) -> ([u16; 16], [u16; 15]) {
        unreachable!("GFNI kernels are x86-64 only")
    }

    #[cfg(not(target_arch = "x86_64"))]
    pub(super) unsafe fn residual_is_zero(_: &Tables, _: &[u16], _: &[(usize, u16)]) -> bool {
        unreachable!("GFNI kernels are x86-64 only")
    }

    #[cfg(not(target_arch = "x86_64"))]
    pub(super) unsafe fn parity(_: &Tables, _: &mut [u16]) {
        unreachable!("GFNI kernels are x86-64 only")
    }

    #[cfg(not(target_arch = "x86_64"))]
    pub(super) unsafe fn forney_sums(
        _: &Tables,
        _: &[u16],
        _: &[u16],
        _: &[usize],
        _: &mut [(u16, u16)],
    ) {
        unreachable!("GFNI kernels are x86-64 only")
    }

    #[cfg(target_arch = "x86_64")]
    use std::arch::x86_64::*;

    /// A multiplier held in four registers (one matrix or eight per-qword matrices each).
    #[cfg(target_arch = "x86_64")]
    #[derive(Clone, Copy)]
    struct Mul([__m512i; 4]);

    #[cfg(target_arch = "x86_64")]
    impl Mul {
        #[inline]
        #[target_feature(enable = "avx512f,avx512bw,gfni")]
        unsafe fn per_qword(m: &PerQword) -> Mul {
            Mul(std::array::from_fn(|b| {
                _mm512_loadu_si512(m[b].as_ptr() as *const _)
            }))
        }

        #[inline]
        #[target_feature(enable = "avx512f,avx512bw,gfni")]
        unsafe fn broadcast(m: &[u64; 4]) -> Mul {
            Mul(std::array::from_fn(|b| _mm512_set1_epi64(m[b] as i64)))
        }

        /// `(l, h) * c`, plus `(al, ah)` (three-way XORs).
        #[inline]
        #[target_feature(enable = "avx512f,avx512bw,gfni")]
        unsafe fn mul_add(
            &self,
            l: __m512i,
            h: __m512i,
            al: __m512i,
            ah: __m512i,
        ) -> (__m512i, __m512i) {
            let m = &self.0;
            let ll = _mm512_gf2p8affine_epi64_epi8::<0>(l, m[0]);
            let hl = _mm512_gf2p8affine_epi64_epi8::<0>(h, m[1]);
            let lh = _mm512_gf2p8affine_epi64_epi8::<0>(l, m[2]);
            let hh = _mm512_gf2p8affine_epi64_epi8::<0>(h, m[3]);
            (
                _mm512_ternarylogic_epi64::<0x96>(ll, hl, al),
                _mm512_ternarylogic_epi64::<0x96>(lh, hh, ah),
            )
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,gfni")]
    pub(super) unsafe fn syndromes(tables: &Tables, r: &[u16], out: &mut [u16]) {
        assert!(r.len() % 8 == 0 && r.len() <= MAX_N);
        assert!(out.len() <= 8 * tables.step.len());
        match tables.step.len() {
            1 => syndromes_g::<1>(tables, r, out),
            2 => syndromes_g::<2>(tables, r, out),
            3 => syndromes_g::<3>(tables, r, out),
            _ => syndromes_g::<4>(tables, r, out),
        }
    }

    /// Byte planes of `r`: `lo[i] = r[i] as u8`, `hi[i] = r[i] >> 8`.
    #[cfg(target_arch = "x86_64")]
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,gfni")]
    unsafe fn planes(r: &[u16], lo: &mut [u8; MAX_N], hi: &mut [u8; MAX_N]) {
        let mut i = 0;
        while i + 32 <= r.len() {
            let x = _mm512_loadu_si512(r.as_ptr().add(i) as *const _);
            _mm256_storeu_si256(lo.as_mut_ptr().add(i) as *mut _, _mm512_cvtepi16_epi8(x));
            let h = _mm512_srli_epi16::<8>(x);
            _mm256_storeu_si256(hi.as_mut_ptr().add(i) as *mut _, _mm512_cvtepi16_epi8(h));
            i += 32;
        }
        for j in i..r.len() {
            lo[j] = r[j] as u8;
            hi[j] = (r[j] >> 8) as u8;
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,gfni")]
    unsafe fn syndromes_g<const G: usize>(tables: &Tables, r: &[u16], out: &mut [u16]) {
        let mut lo = [0u8; MAX_N];
        let mut hi = [0u8; MAX_N];
        planes(r, &mut lo, &mut hi);
        let step: [Mul; G] = std::array::from_fn(|g| Mul::per_qword(&tables.step[g]));
        let z = _mm512_setzero_si512();
        let mut al = [z; G];
        let mut ah = [z; G];
        for m in (0..r.len()).step_by(8) {
            let dl = _mm512_set1_epi64(std::ptr::read_unaligned(lo.as_ptr().add(m) as *const i64));
            let dh = _mm512_set1_epi64(std::ptr::read_unaligned(hi.as_ptr().add(m) as *const i64));
            for g in 0..G {
                (al[g], ah[g]) = step[g].mul_add(al[g], ah[g], dl, dh);
            }
        }
        // Fold the eight lanes of each qword: lane l weighs alpha^(j (7 - l)).
        let mut sl = [0u8; 64];
        let mut sh = [0u8; 64];
        for g in 0..G {
            let (mut l, mut h) = (al[g], ah[g]);
            let fold = &tables.fold[g];
            macro_rules! halve {
                ($s:expr, $bits:literal) => {
                    let m = Mul::per_qword(&fold[$s]);
                    (l, h) = m.mul_add(
                        l,
                        h,
                        _mm512_srli_epi64::<$bits>(l),
                        _mm512_srli_epi64::<$bits>(h),
                    );
                };
            }
            halve!(0, 32);
            halve!(1, 16);
            halve!(2, 8);
            _mm512_storeu_si512(sl.as_mut_ptr() as *mut _, l);
            _mm512_storeu_si512(sh.as_mut_ptr() as *mut _, h);
            for q in 0..8 {
                let j = 8 * g + q;
                if j < out.len() {
                    out[j] = sl[8 * q] as u16 | ((sh[8 * q] & 3) as u16) << 8;
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,gfni")]
    pub(super) unsafe fn chien(
        tables: &Tables,
        lambda: &[u16],
        n: usize,
        roots: &mut [usize],
        dens: &mut [u16],
    ) -> usize {
        const T: usize = crate::fec::code::MAX_T;
        let f = gf();
        let nu = lambda.len() - 1;
        assert!(nu >= 1 && nu <= tables.chien_step.len() && roots.len() >= nu && dens.len() >= nu);
        let z = _mm512_setzero_si512();
        let mut vl = [z; T];
        let mut vh = [z; T];
        for i in 1..=nu {
            // Lanes 0..8 of every qword: lambda_i alpha^(-i l); qword q then times alpha^(-8 i q).
            let la = f.log(lambda[i]);
            let (mut ql, mut qh) = (0u64, 0u64);
            for (l, &e) in tables.chien_lane_exp[i - 1].iter().enumerate() {
                let x = f.mul_log(la, e);
                ql |= ((x & 0xff) as u64) << (8 * l);
                qh |= ((x >> 8) as u64) << (8 * l);
            }
            let start = Mul::per_qword(&tables.chien_start[i - 1]);
            (vl[i - 1], vh[i - 1]) = start.mul_add(
                _mm512_set1_epi64(ql as i64),
                _mm512_set1_epi64(qh as i64),
                z,
                z,
            );
        }
        let l0 = _mm512_set1_epi8(lambda[0] as u8 as i8);
        let h0 = _mm512_set1_epi8((lambda[0] >> 8) as u8 as i8);
        let mut found = 0;
        for base in (0..n).step_by(64) {
            // Even terms (lambda_0 too) and odd terms apart: the odd sum is Forney's
            // denominator. vl[i] is term i + 1.
            let (mut sl, mut sh) = (l0, h0);
            let (mut ol, mut oh) = (z, z);
            for i in 0..nu {
                if i % 2 == 0 {
                    ol = _mm512_xor_si512(ol, vl[i]);
                    oh = _mm512_xor_si512(oh, vh[i]);
                } else {
                    sl = _mm512_xor_si512(sl, vl[i]);
                    sh = _mm512_xor_si512(sh, vh[i]);
                }
                let m = Mul::broadcast(&tables.chien_step[i]);
                (vl[i], vh[i]) = m.mul_add(vl[i], vh[i], z, z);
            }
            let all = _mm512_ternarylogic_epi64::<0xfe>(
                _mm512_xor_si512(sl, ol),
                _mm512_xor_si512(sh, oh),
                z,
            );
            let mut mask = _mm512_cmpeq_epi8_mask(all, z);
            if n - base < 64 {
                mask &= (1u64 << (n - base)) - 1;
            }
            if mask == 0 {
                continue;
            }
            let mut odd_lo = [0u8; 64];
            let mut odd_hi = [0u8; 64];
            _mm512_storeu_si512(odd_lo.as_mut_ptr() as *mut _, ol);
            _mm512_storeu_si512(odd_hi.as_mut_ptr() as *mut _, oh);
            while mask != 0 {
                let lane = mask.trailing_zeros() as usize;
                roots[found] = base + lane;
                dens[found] = odd_lo[lane] as u16 | ((odd_hi[lane] & 3) as u16) << 8;
                found += 1;
                if found == nu {
                    return found;
                }
                mask &= mask - 1;
            }
        }
        found
    }

    /// Product tables of the scalar c: (c v, c (v << 5)) for v < 32, in two registers.
    #[cfg(target_arch = "x86_64")]
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,gfni")]
    unsafe fn scalar_tables(tables: &Tables, c: u16) -> (__m512i, __m512i) {
        let a = tables.mul_tab[0][c as usize & 31].as_ptr() as *const __m512i;
        let b = tables.mul_tab[1][(c as usize >> 5) & 31].as_ptr() as *const __m512i;
        (
            _mm512_xor_si512(
                _mm512_loadu_si512(a as *const _),
                _mm512_loadu_si512(b as *const _),
            ),
            _mm512_xor_si512(
                _mm512_loadu_si512(a.add(1) as *const _),
                _mm512_loadu_si512(b.add(1) as *const _),
            ),
        )
    }

    /// Lanes (16-bit, values < 1024) times the scalar whose tables are `(lo, hi)`.
    #[cfg(target_arch = "x86_64")]
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,gfni")]
    unsafe fn mul_scalar(x: __m512i, (lo, hi): (__m512i, __m512i)) -> __m512i {
        _mm512_xor_si512(
            _mm512_permutexvar_epi16(x, lo),
            _mm512_permutexvar_epi16(_mm512_srli_epi16::<5>(x), hi),
        )
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,gfni")]
    pub(super) unsafe fn ribm(tables: &Tables, s: &[u16]) -> ([u16; 16], [u16; 15]) {
        let m = tables.top; // highest register index, 3t < 64
        let t = m / 3;
        assert!(s.len() == 2 * t && m < 63);
        let mut init = [0u16; 64];
        init[..2 * t].copy_from_slice(s);
        init[m] = 1;
        let load = |i: usize| _mm512_loadu_si512(init.as_ptr().add(32 * i) as *const _);
        let (mut d0v, mut d1v) = (load(0), load(1));
        let (mut t0v, mut t1v) = (d0v, d1v);
        // up[i] = delta[i + 1], lane 63 = 0: two-register shift by one 16-bit lane.
        let idx: [u16; 32] = std::array::from_fn(|i| i as u16 + 1);
        let idx = _mm512_loadu_si512(idx.as_ptr() as *const _);
        let z = _mm512_setzero_si512();
        let mut gamma = scalar_tables(tables, 1);
        let mut k: i32 = 0;
        for _ in 0..2 * t {
            let d0 = _mm_cvtsi128_si32(_mm512_castsi512_si128(d0v)) as u16;
            let dt = scalar_tables(tables, d0);
            let u0 = _mm512_permutex2var_epi16(d0v, idx, d1v);
            let u1 = _mm512_permutex2var_epi16(d1v, idx, z);
            d0v = _mm512_xor_si512(mul_scalar(u0, gamma), mul_scalar(t0v, dt));
            d1v = _mm512_xor_si512(mul_scalar(u1, gamma), mul_scalar(t1v, dt));
            if d0 != 0 && k >= 0 {
                (t0v, t1v) = (u0, u1);
                gamma = dt;
                k = -k - 1;
            } else {
                k += 1;
            }
        }
        let mut out = [0u16; 64];
        _mm512_storeu_si512(out.as_mut_ptr() as *mut _, d0v);
        _mm512_storeu_si512(out.as_mut_ptr().add(32) as *mut _, d1v);
        let mut lambda = [0u16; 16];
        let mut omega = [0u16; 15];
        lambda[..=t].copy_from_slice(&out[t..=2 * t]);
        omega[..t].copy_from_slice(&out[..t]);
        (lambda, omega)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,gfni")]
    pub(super) unsafe fn residual_is_zero(
        tables: &Tables,
        s: &[u16],
        errors: &[(usize, u16)],
    ) -> bool {
        assert!(s.len() <= 32);
        let mut buf = [0u16; 32];
        buf[..s.len()].copy_from_slice(s);
        let mut acc = _mm512_loadu_si512(buf.as_ptr() as *const _);
        for &(d, e) in errors {
            let p = _mm512_loadu_si512(tables.powers[d].as_ptr() as *const _);
            acc = _mm512_xor_si512(acc, mul_scalar(p, scalar_tables(tables, e)));
        }
        // Lanes j >= s.len() hold e alpha^(j d) terms: only the first s.len() count.
        let live = (1u32 << s.len()) - 1;
        _mm512_mask_cmpneq_epi16_mask(live, acc, _mm512_setzero_si512()) == 0
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,gfni")]
    pub(super) unsafe fn parity(tables: &Tables, cw: &mut [u16]) {
        let p = tables.parity_cols.len();
        let k = cw.len() - p;
        cw[k..].fill(0);
        let mut s = [0u16; 32];
        syndromes(tables, cw, &mut s[..p]);
        let mut acc = _mm512_setzero_si512();
        for (col, &sj) in tables.parity_cols.iter().zip(&s) {
            let c = _mm512_loadu_si512(col.as_ptr() as *const _);
            acc = _mm512_xor_si512(acc, mul_scalar(c, scalar_tables(tables, sj)));
        }
        let mut out = [0u16; 32];
        _mm512_storeu_si512(out.as_mut_ptr() as *mut _, acc);
        cw[k..].copy_from_slice(&out[..p]);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,gfni")]
    pub(super) unsafe fn forney_sums(
        tables: &Tables,
        omega: &[u16],
        dens: &[u16],
        roots: &[usize],
        out: &mut [(u16, u16)],
    ) {
        let f = gf();
        let t = omega.len();
        assert!(t < 16 && out.len() == roots.len() && dens.len() == roots.len());
        // log(0) = 2047 puts a lane in the zero part of the antilog table; the largest index
        // read is 2047 + 1022 (+ 1 for the dword) < 4096.
        let mut lo = [2047u32; 16];
        for i in 0..t {
            lo[i] = f.log(omega[i]) as u32;
        }
        let lo = _mm512_loadu_si512(lo.as_ptr() as *const _);
        let exp = f.exp_table().as_ptr() as *const i32;
        let low16 = _mm512_set1_epi32(0xffff);
        for ((o, &d), &den) in out.iter_mut().zip(roots).zip(dens) {
            let e =
                _mm512_cvtepu16_epi32(_mm256_loadu_si256(tables.neg_exp[d].as_ptr() as *const _));
            // Dword gather at 2-byte steps: the low half is the antilog.
            let num = _mm512_i32gather_epi32::<2>(_mm512_add_epi32(lo, e), exp);
            let num = _mm512_and_si512(num, low16);
            // XOR of the 16 lanes.
            let x = _mm256_xor_si256(
                _mm512_castsi512_si256(num),
                _mm512_extracti64x4_epi64::<1>(num),
            );
            let x = _mm_xor_si128(_mm256_castsi256_si128(x), _mm256_extracti128_si256::<1>(x));
            let x = _mm_xor_si128(x, _mm_unpackhi_epi64(x, x));
            let x = _mm_xor_si128(x, _mm_srli_epi64::<32>(x));
            *o = (_mm_cvtsi128_si32(x) as u16, den);
        }
    }
}
