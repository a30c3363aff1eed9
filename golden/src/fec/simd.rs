//! AVX2 syndrome kernel (x86-64 only, selected at run time).
//!
//! The received word is split into a low-byte plane and a high-byte plane (bits 8..9), front
//! padded with zeros to a multiple of 32 symbols (leading zero coefficients do not change
//! `r(alpha^j)`). Lane `l` of a 32-lane accumulator runs Horner over symbols `l, l+32, l+64..`
//! with the single constant `beta_j = alpha^(32 j)`, so all lanes multiply by the same
//! constant, which `vpshufb` does with six 16-entry tables (three input nibbles of 4, 4 and 2
//! bits, each giving an output low byte and high byte). The caller folds the 32 lanes into
//! `S_j = sum_l lane_l * alpha^(j (31 - l))`.

use super::gf::{gf, ORDER};

/// `vpshufb` tables multiplying a (low plane, high plane) pair by one constant: tables 0..3
/// give the product's low byte from input bits 0..4, 4..8 and 8..10, tables 3..6 its high
/// byte.
type ConstTables = [[u8; 16]; 6];

fn const_tables(c: u16) -> ConstTables {
    let f = gf();
    let mut t = [[0u8; 16]; 6];
    for v in 0..16u16 {
        let p = [
            f.mul(v, c),
            f.mul(v << 4, c),
            if v < 4 { f.mul(v << 8, c) } else { 0 },
        ];
        for (s, &x) in p.iter().enumerate() {
            t[s][v as usize] = x as u8;
            t[s + 3][v as usize] = (x >> 8) as u8;
        }
    }
    t
}

/// Kernel tables of one code: syndrome step constants `alpha^(32 j)` (j < 2t) and Chien
/// step constants `alpha^(-32 i)` (i <= t).
pub(crate) struct Tables {
    per_root: Vec<ConstTables>,
    /// Lane folding constants `alpha^(16 j)`, `alpha^(8 j)`, .. `alpha^j`.
    fold: Vec<[ConstTables; 5]>,
    chien: Vec<ConstTables>,
    /// `chien_lane_exp[i - 1][l]` = log of `alpha^(-i l)`: lane l of Chien term i starts at
    /// `lambda_i alpha^(-i l)`.
    chien_lane_exp: Vec<[u16; 32]>,
}

impl Tables {
    pub(crate) fn new(t: usize) -> Tables {
        let f = gf();
        Tables {
            per_root: (0..2 * t).map(|j| const_tables(f.pow(32 * j))).collect(),
            fold: (0..2 * t)
                .map(|j| [16, 8, 4, 2, 1].map(|w| const_tables(f.pow(w * j))))
                .collect(),
            chien: (0..=t).map(|i| const_tables(f.pow_neg(32 * i))).collect(),
            chien_lane_exp: (1..=t)
                .map(|i| std::array::from_fn(|l| ((ORDER - i * l % ORDER) % ORDER) as u16))
                .collect(),
        }
    }
}

/// True when the CPU can run the kernels of this module.
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Syndromes `S_j`, `j < out.len()`, of the word held in the planes `lo`/`hi` (same length,
/// a multiple of 32). `out.len()` must be even.
///
/// # Safety
/// The CPU must support AVX2 ([`available`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn syndromes(tables: &Tables, lo: &[u8], hi: &[u8], out: &mut [u16]) {
    use std::arch::x86_64::*;
    assert!(lo.len() == hi.len() && lo.len() % 32 == 0);
    assert!(out.len() % 2 == 0 && out.len() <= tables.per_root.len());
    let blocks = lo.len() / 32;
    let nib = _mm256_set1_epi8(0x0f);
    for j in (0..out.len()).step_by(2) {
        let ta = broadcast(&tables.per_root[j]);
        let tb = broadcast(&tables.per_root[j + 1]);
        let z = _mm256_setzero_si256();
        let (mut al, mut ah, mut bl, mut bh) = (z, z, z, z);
        for b in 0..blocks {
            let dl = _mm256_loadu_si256(lo.as_ptr().add(32 * b) as *const __m256i);
            let dh = _mm256_loadu_si256(hi.as_ptr().add(32 * b) as *const __m256i);
            let (xl, xh) = mul_const(&ta, al, ah, nib);
            let (yl, yh) = mul_const(&tb, bl, bh, nib);
            al = _mm256_xor_si256(xl, dl);
            ah = _mm256_xor_si256(xh, dh);
            bl = _mm256_xor_si256(yl, dl);
            bh = _mm256_xor_si256(yh, dh);
        }
        out[j] = fold(&tables.fold[j], al, ah);
        out[j + 1] = fold(&tables.fold[j + 1], bl, bh);
    }
}

/// Folds 32 lanes into `sum_l lane_l alpha^(j (31 - l))` by halving: the lower half of the
/// lanes is multiplied by `alpha^(16 j)` and the upper half added, then 8, 4, 2, 1.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn fold(
    t: &[ConstTables; 5],
    l: std::arch::x86_64::__m256i,
    h: std::arch::x86_64::__m256i,
) -> u16 {
    use std::arch::x86_64::*;
    // 32 -> 16: lanes 0..16 (weights alpha^(j (31 - l))) times alpha^(16 j) plus lanes 16..32.
    let (ml, mh) = mul_const128(&t[0], _mm256_castsi256_si128(l), _mm256_castsi256_si128(h));
    let mut xl = _mm_xor_si128(ml, _mm256_extracti128_si256::<1>(l));
    let mut xh = _mm_xor_si128(mh, _mm256_extracti128_si256::<1>(h));
    // 16 -> 8 -> 4 -> 2 -> 1: lane l times alpha^(w j) plus lane l + w.
    macro_rules! halve {
        ($t:expr, $bytes:literal) => {
            let (ml, mh) = mul_const128($t, xl, xh);
            xl = _mm_xor_si128(ml, _mm_srli_si128::<$bytes>(xl));
            xh = _mm_xor_si128(mh, _mm_srli_si128::<$bytes>(xh));
        };
    }
    halve!(&t[1], 8);
    halve!(&t[2], 4);
    halve!(&t[3], 2);
    halve!(&t[4], 1);
    (_mm_cvtsi128_si32(xl) as u8) as u16 | ((_mm_cvtsi128_si32(xh) as u8) as u16) << 8
}

#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn broadcast(t: &ConstTables) -> [std::arch::x86_64::__m256i; 6] {
    use std::arch::x86_64::*;
    let mut out = [_mm256_setzero_si256(); 6];
    for (o, row) in out.iter_mut().zip(t) {
        // Each table row is 16 bytes; unaligned load.
        *o = _mm256_broadcastsi128_si256(_mm_loadu_si128(row.as_ptr() as *const __m128i));
    }
    out
}

/// Multiplies 32 symbols held as (low plane, high plane) by the constant of `t`.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn mul_const(
    t: &[std::arch::x86_64::__m256i; 6],
    l: std::arch::x86_64::__m256i,
    h: std::arch::x86_64::__m256i,
    nib: std::arch::x86_64::__m256i,
) -> (std::arch::x86_64::__m256i, std::arch::x86_64::__m256i) {
    use std::arch::x86_64::*;
    let n0 = _mm256_and_si256(l, nib);
    let n1 = _mm256_and_si256(_mm256_srli_epi16(l, 4), nib);
    let nl = _mm256_xor_si256(
        _mm256_xor_si256(_mm256_shuffle_epi8(t[0], n0), _mm256_shuffle_epi8(t[1], n1)),
        _mm256_shuffle_epi8(t[2], h),
    );
    let nh = _mm256_xor_si256(
        _mm256_xor_si256(_mm256_shuffle_epi8(t[3], n0), _mm256_shuffle_epi8(t[4], n1)),
        _mm256_shuffle_epi8(t[5], h),
    );
    (nl, nh)
}

/// [`mul_const`] on 16 symbols, for the fold.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn mul_const128(
    t: &ConstTables,
    l: std::arch::x86_64::__m128i,
    h: std::arch::x86_64::__m128i,
) -> (std::arch::x86_64::__m128i, std::arch::x86_64::__m128i) {
    use std::arch::x86_64::*;
    let nib = _mm_set1_epi8(0x0f);
    let tab = |s: usize| _mm_loadu_si128(t[s].as_ptr() as *const __m128i);
    let n0 = _mm_and_si128(l, nib);
    let n1 = _mm_and_si128(_mm_srli_epi16(l, 4), nib);
    let nl = _mm_xor_si128(
        _mm_xor_si128(_mm_shuffle_epi8(tab(0), n0), _mm_shuffle_epi8(tab(1), n1)),
        _mm_shuffle_epi8(tab(2), h),
    );
    let nh = _mm_xor_si128(
        _mm_xor_si128(_mm_shuffle_epi8(tab(3), n0), _mm_shuffle_epi8(tab(4), n1)),
        _mm_shuffle_epi8(tab(5), h),
    );
    (nl, nh)
}

/// Chien search, 32 consecutive degrees d per step: lane l of term i holds
/// `lambda_i alpha^(-i d)`, and every step multiplies term i by the constant `alpha^(-32 i)`.
/// `lambda` holds `lambda_0 ..= lambda_nu` with `nu >= 1` and `lambda_nu != 0`. Writes the
/// degrees d < n with `lambda(alpha^-d) = 0`, ascending, into `roots` and returns how many;
/// stops at the `nu`-th root (a non-zero polynomial of degree nu has no more).
///
/// # Safety
/// The CPU must support AVX2 ([`available`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn chien(
    tables: &Tables,
    lambda: &[u16],
    n: usize,
    roots: &mut [usize],
) -> usize {
    use std::arch::x86_64::*;
    let f = gf();
    let nu = lambda.len() - 1;
    assert!(nu >= 1 && nu < tables.chien.len() && roots.len() >= nu);
    const T: usize = super::code::MAX_T;
    // Term vectors (lanes = d = 0..32) for i = 1..=nu, built in the log domain.
    let mut lo = [[0u8; 32]; T];
    let mut hi = [[0u8; 32]; T];
    for i in 1..=nu {
        let la = f.log(lambda[i]);
        for (l, &e) in tables.chien_lane_exp[i - 1].iter().enumerate() {
            let x = f.mul_log(la, e);
            lo[i - 1][l] = x as u8;
            hi[i - 1][l] = (x >> 8) as u8;
        }
    }
    let mut vl = [_mm256_setzero_si256(); T];
    let mut vh = [_mm256_setzero_si256(); T];
    let mut tabs = [[_mm256_setzero_si256(); 6]; T];
    for i in 0..nu {
        vl[i] = _mm256_loadu_si256(lo[i].as_ptr() as *const __m256i);
        vh[i] = _mm256_loadu_si256(hi[i].as_ptr() as *const __m256i);
        tabs[i] = broadcast(&tables.chien[i + 1]);
    }
    let nib = _mm256_set1_epi8(0x0f);
    let l0 = _mm256_set1_epi8(lambda[0] as u8 as i8);
    let h0 = _mm256_set1_epi8((lambda[0] >> 8) as u8 as i8);
    let zero = _mm256_setzero_si256();
    let mut found = 0;
    for base in (0..n).step_by(32) {
        let mut al = l0;
        let mut ah = h0;
        for i in 0..nu {
            al = _mm256_xor_si256(al, vl[i]);
            ah = _mm256_xor_si256(ah, vh[i]);
            let (nl, nh) = mul_const(&tabs[i], vl[i], vh[i], nib);
            vl[i] = nl;
            vh[i] = nh;
        }
        let z = _mm256_cmpeq_epi8(_mm256_or_si256(al, ah), zero);
        let mut mask = _mm256_movemask_epi8(z) as u32;
        if n - base < 32 {
            mask &= (1u32 << (n - base)) - 1;
        }
        while mask != 0 {
            roots[found] = base + mask.trailing_zeros() as usize;
            found += 1;
            if found == nu {
                return found;
            }
            mask &= mask - 1;
        }
    }
    found
}
