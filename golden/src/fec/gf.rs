//! Arithmetic in GF(2^10) with p(x) = x^10 + x^3 + 1 (0x409) and primitive element alpha = 2.
//!
//! The one definition of the field tables: the codec uses them, and so does the RS
//! generator (`rtl::rs::gf`) for its constant multipliers.

use std::sync::OnceLock;

/// Order of the multiplicative group (2^10 - 1).
pub const ORDER: usize = 1023;
/// The field polynomial x^10 + x^3 + 1.
pub const POLY: u16 = 0x409;
/// `log[0]`: any sum of two logs involving it lands in the zero region of `exp`.
const LOG_ZERO: u16 = 2047;

/// Log / antilog tables. `exp` is 4096 entries long: `exp[i] = alpha^(i mod 1023)` for
/// `i < 2046` and `0` above, so `mul(a, b) = exp[log a + log b]` needs no branch for zero.
pub struct Gf {
    exp: [u16; 4096],
    log: [u16; 1024],
}

impl Gf {
    fn build() -> Gf {
        let mut exp = [0u16; 4096];
        let mut log = [0u16; 1024];
        let mut x: u16 = 1;
        for i in 0..ORDER {
            exp[i] = x;
            exp[i + ORDER] = x;
            log[x as usize] = i as u16;
            x <<= 1;
            if x & 0x400 != 0 {
                x ^= POLY;
            }
        }
        log[0] = LOG_ZERO;
        Gf { exp, log }
    }

    /// Product of two field elements (inputs must be < 1024).
    #[inline(always)]
    pub fn mul(&self, a: u16, b: u16) -> u16 {
        let i = self.log[a as usize & 1023] as usize + self.log[b as usize & 1023] as usize;
        self.exp[i & 4095]
    }

    /// Discrete log of a non-zero element (`LOG_ZERO` for 0).
    #[inline(always)]
    pub fn log(&self, a: u16) -> u16 {
        self.log[a as usize & 1023]
    }

    /// Product of the elements whose logs are `la` and `lb` (either may be `log(0)`).
    #[inline(always)]
    pub(crate) fn mul_log(&self, la: u16, lb: u16) -> u16 {
        self.exp[(la as usize + lb as usize) & 4095]
    }

    /// alpha^e for `e < 2046` (no reduction).
    #[inline(always)]
    pub(crate) fn exp(&self, e: usize) -> u16 {
        debug_assert!(e < 2 * ORDER);
        self.exp[e & 4095]
    }

    /// The antilog table itself (`exp[i] = alpha^(i mod 1023)` for `i < 2046`, 0 above), for
    /// SIMD gathers.
    #[inline(always)]
    pub(crate) fn exp_table(&self) -> &[u16; 4096] {
        &self.exp
    }

    /// alpha^e for any e.
    #[inline(always)]
    pub fn pow(&self, e: usize) -> u16 {
        self.exp[e % ORDER]
    }

    /// alpha^(-e) for any e.
    #[inline(always)]
    pub fn pow_neg(&self, e: usize) -> u16 {
        self.exp[(ORDER - e % ORDER) % ORDER]
    }

    /// Multiplicative inverse of a non-zero element.
    #[inline(always)]
    pub fn inv(&self, a: u16) -> u16 {
        debug_assert!(a != 0);
        self.exp[ORDER - self.log(a) as usize]
    }
}

/// The shared field tables (built once).
pub fn gf() -> &'static Gf {
    static GF: OnceLock<Gf> = OnceLock::new();
    GF.get_or_init(Gf::build)
}

/// Multiply-by-constant table split on the 10 input bits: `x * c = lo[x & 31] ^ hi[x >> 5]`.
/// 128 bytes, so a table per constant stays in L1 even for 2t constants.
#[derive(Clone)]
pub(crate) struct MulConst {
    lo: [u16; 32],
    hi: [u16; 32],
}

impl MulConst {
    pub(crate) fn new(c: u16) -> MulConst {
        let f = gf();
        let mut lo = [0u16; 32];
        let mut hi = [0u16; 32];
        for v in 0..32u16 {
            lo[v as usize] = f.mul(v, c);
            hi[v as usize] = f.mul(v << 5, c);
        }
        MulConst { lo, hi }
    }

    /// `x * c` for `x < 1024`.
    #[inline(always)]
    pub(crate) fn mul(&self, x: u16) -> u16 {
        self.lo[x as usize & 31] ^ self.hi[(x as usize >> 5) & 31]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Carry-less multiply and reduce, bit by bit: the definition, not the tables.
    fn mul_slow(a: u16, b: u16) -> u16 {
        let mut p: u32 = 0;
        for i in 0..10 {
            if b >> i & 1 != 0 {
                p ^= (a as u32) << i;
            }
        }
        for i in (10..20).rev() {
            if p >> i & 1 != 0 {
                p ^= (POLY as u32) << (i - 10);
            }
        }
        p as u16
    }

    #[test]
    fn tables_match_definition() {
        let f = gf();
        for a in (0..1024u16).step_by(7) {
            for b in 0..1024u16 {
                assert_eq!(f.mul(a, b), mul_slow(a, b), "{a} * {b}");
            }
        }
        for a in 1..1024u16 {
            assert_eq!(f.mul(a, f.inv(a)), 1);
            let c = MulConst::new(a);
            for x in (0..1024u16).step_by(13) {
                assert_eq!(c.mul(x), mul_slow(x, a));
            }
        }
        // alpha is primitive: its powers visit every non-zero element once.
        let mut seen = [false; 1024];
        for e in 0..ORDER {
            let x = f.pow(e);
            assert!(!seen[x as usize]);
            seen[x as usize] = true;
        }
        assert_eq!(f.pow_neg(1), f.inv(2));
    }
}
