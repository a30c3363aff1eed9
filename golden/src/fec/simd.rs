//! AVX2 syndrome kernel (x86-64 only, selected at run time).
//!
//! The received word is split into a low-byte plane and a high-byte plane (bits 8..9), front
//! padded with zeros to a multiple of 32 symbols (leading zero coefficients do not change
//! `r(alpha^j)`). Lane `l` of a 32-lane accumulator runs Horner over symbols `l, l+32, l+64..`
//! with the single constant `beta_j = alpha^(32 j)`, so all lanes multiply by the same
//! constant, which `vpshufb` does with six 16-entry tables (three input nibbles of 4, 4 and 2
//! bits, each giving an output low byte and high byte). The caller folds the 32 lanes into
//! `S_j = sum_l lane_l * alpha^(j (31 - l))`.

use super::gf::gf;

/// Per-syndrome `vpshufb` tables for multiplying by `alpha^(32 j)`.
pub(crate) struct Tables {
    per_root: Vec<[[u8; 16]; 6]>,
}

impl Tables {
    pub(crate) fn new(parity: usize) -> Tables {
        let f = gf();
        let per_root = (0..parity)
            .map(|j| {
                let beta = f.pow(32 * j);
                let mut t = [[0u8; 16]; 6];
                for v in 0..16u16 {
                    let p = [
                        f.mul(v, beta),
                        f.mul(v << 4, beta),
                        if v < 4 { f.mul(v << 8, beta) } else { 0 },
                    ];
                    for (s, &x) in p.iter().enumerate() {
                        t[s][v as usize] = x as u8;
                        t[s + 3][v as usize] = (x >> 8) as u8;
                    }
                }
                t
            })
            .collect();
        Tables { per_root }
    }
}

/// True when the CPU can run [`lanes`].
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

/// Runs the 32-lane Horner for every root. `lo`/`hi` are the planes (same length, a multiple
/// of 32); `out[j][l]` receives lane `l` of syndrome `j`. `out.len()` must be even.
///
/// # Safety
/// The CPU must support AVX2 ([`available`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn lanes(tables: &Tables, lo: &[u8], hi: &[u8], out: &mut [[u16; 32]]) {
    use std::arch::x86_64::*;
    assert!(lo.len() == hi.len() && lo.len() % 32 == 0);
    assert!(out.len() % 2 == 0 && out.len() <= tables.per_root.len());
    let blocks = lo.len() / 32;
    let nib = _mm256_set1_epi8(0x0f);
    let load_tables = |j: usize| -> [__m256i; 6] {
        let t = &tables.per_root[j];
        // SAFETY: each table row is 16 bytes; unaligned loads.
        std::array::from_fn(|s| unsafe {
            _mm256_broadcastsi128_si256(_mm_loadu_si128(t[s].as_ptr() as *const __m128i))
        })
    };
    #[inline(always)]
    unsafe fn step(t: &[__m256i; 6], l: __m256i, h: __m256i, nib: __m256i) -> (__m256i, __m256i) {
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
    for j in (0..out.len()).step_by(2) {
        let ta = load_tables(j);
        let tb = load_tables(j + 1);
        let z = _mm256_setzero_si256();
        let (mut al, mut ah, mut bl, mut bh) = (z, z, z, z);
        for b in 0..blocks {
            let dl = _mm256_loadu_si256(lo.as_ptr().add(32 * b) as *const __m256i);
            let dh = _mm256_loadu_si256(hi.as_ptr().add(32 * b) as *const __m256i);
            let (xl, xh) = step(&ta, al, ah, nib);
            let (yl, yh) = step(&tb, bl, bh, nib);
            al = _mm256_xor_si256(xl, dl);
            ah = _mm256_xor_si256(xh, dh);
            bl = _mm256_xor_si256(yl, dl);
            bh = _mm256_xor_si256(yh, dh);
        }
        for (o, (l, h)) in [(j, (al, ah)), (j + 1, (bl, bh))] {
            let mut lb = [0u8; 32];
            let mut hb = [0u8; 32];
            _mm256_storeu_si256(lb.as_mut_ptr() as *mut __m256i, l);
            _mm256_storeu_si256(hb.as_mut_ptr() as *mut __m256i, h);
            for i in 0..32 {
                out[o][i] = lb[i] as u16 | (hb[i] as u16) << 8;
            }
        }
    }
}
