//! PAM4 mapping: Gray code, the optional `1/(1+D) mod 4` precoder, and levels.
//!
//! A *data symbol* is two bits `b1 b0` (b1 first on the wire). The Gray map of
//! IEEE 802.3 clause 120.5.7.1 turns it into a *level index* `a` in 0..4:
//! `00 -> 0, 01 -> 1, 11 -> 2, 10 -> 3`, and level index `a` is sent as the
//! amplitude `(2a - 3) / 3`, i.e. -1, -1/3, +1/3, +1.
//!
//! The precoder (clause 120.5.7.2) works on Gray-coded indices:
//! `P(j) = (G(j) - P(j-1)) mod 4`; the receiver undoes it with
//! `G(j) = (P(j) + P(j-1)) mod 4`. Both start from `P(-1) = 0`. One wrong
//! decision then costs two symbol errors instead of a DFE burst.

/// Gray map from data symbol (b1b0) to level index.
pub const GRAY_ENCODE: [u8; 4] = [0, 1, 3, 2];
/// Inverse Gray map from level index to data symbol (the map is an involution).
pub const GRAY_DECODE: [u8; 4] = [0, 1, 3, 2];

/// Level of index `a` in units of one third: -3, -1, +1, +3.
#[inline]
pub fn level_thirds(a: u8) -> i32 {
    2 * a as i32 - 3
}

/// Level of index `a` as an amplitude in [-1, 1].
#[inline]
pub fn level(a: u8) -> f64 {
    level_thirds(a) as f64 / 3.0
}

/// Mean power of equiprobable PAM4 levels ±1, ±1/3: 5/9.
pub const MEAN_SYMBOL_POWER: f64 = 5.0 / 9.0;

/// The TX side: Gray map then optional precoder, stateful across calls.
#[derive(Clone, Debug, Default)]
pub struct Mapper {
    precode: bool,
    prev: u8,
}

impl Mapper {
    /// A mapper; `precode` enables `1/(1+D) mod 4`.
    pub fn new(precode: bool) -> Self {
        Self { precode, prev: 0 }
    }

    /// A mapper whose precoder memory `P(j-1)` is `prev` (a level index).
    pub fn with_prev(precode: bool, prev: u8) -> Self {
        Self {
            precode,
            prev: prev & 3,
        }
    }

    /// The precoder memory: the last level index sent (0 before the first).
    pub fn prev(&self) -> u8 {
        self.prev
    }

    /// Maps data symbols to level indices in place.
    pub fn map(&mut self, syms: &mut [u8]) {
        if self.precode {
            for s in syms.iter_mut() {
                let g = GRAY_ENCODE[(*s & 3) as usize];
                let p = g.wrapping_sub(self.prev) & 3;
                self.prev = p;
                *s = p;
            }
        } else {
            // GRAY_ENCODE as arithmetic (d ^ d >> 1: for two bits the Gray code is its own
            // inverse), so the loop vectorizes (test `gray_arithmetic_equals_tables`)
            for s in syms.iter_mut() {
                let d = *s & 3;
                *s = d ^ (d >> 1);
            }
        }
    }
}

/// The RX side: optional precoder decode then inverse Gray map, stateful.
#[derive(Clone, Debug, Default)]
pub struct Demapper {
    precode: bool,
    prev: u8,
}

impl Demapper {
    /// A demapper; `precode` must match the transmitter.
    pub fn new(precode: bool) -> Self {
        Self { precode, prev: 0 }
    }

    /// A demapper whose memory (the previous decided level index) is `prev`.
    pub fn with_prev(precode: bool, prev: u8) -> Self {
        Self {
            precode,
            prev: prev & 3,
        }
    }

    /// Turns one level index into a data symbol.
    #[inline]
    pub fn demap_one(&mut self, a: u8) -> u8 {
        let g = if self.precode {
            let g = a.wrapping_add(self.prev) & 3;
            self.prev = a;
            g
        } else {
            a
        };
        GRAY_DECODE[g as usize]
    }

    /// Turns level indices into data symbols in place.
    pub fn demap(&mut self, syms: &mut [u8]) {
        if self.precode {
            for s in syms.iter_mut() {
                *s = self.demap_one(*s);
            }
        } else {
            // GRAY_DECODE as arithmetic (a ^ a >> 1), so the loop vectorizes; the table
            // stays the definition (test `gray_decode_arithmetic_equals_table`)
            for s in syms.iter_mut() {
                let a = *s & 3;
                *s = a ^ (a >> 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn gray_arithmetic_equals_tables() {
        let mut v: Vec<u8> = (0..=255).collect();
        Demapper::new(false).demap(&mut v);
        let mut w: Vec<u8> = (0..=255).collect();
        Mapper::new(false).map(&mut w);
        for i in 0..256 {
            assert_eq!(v[i], GRAY_DECODE[i & 3], "decode {i}");
            assert_eq!(w[i], GRAY_ENCODE[i & 3], "encode {i}");
        }
    }

    /// The 802.3 Gray map as the standard writes it, bit pairs to levels.
    #[test]
    fn gray_map_matches_802_3() {
        let table = [("00", 0u8), ("01", 1), ("11", 2), ("10", 3)];
        for (bits, idx) in table {
            let d = u8::from_str_radix(bits, 2).unwrap();
            assert_eq!(GRAY_ENCODE[d as usize], idx, "{bits}");
            assert_eq!(GRAY_DECODE[idx as usize], d);
        }
        let lv: Vec<f64> = (0..4).map(level).collect();
        assert_eq!(lv, vec![-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0]);
        // adjacent levels differ in exactly one bit
        for a in 0..3u8 {
            let x = GRAY_DECODE[a as usize] ^ GRAY_DECODE[a as usize + 1];
            assert_eq!(x.count_ones(), 1);
        }
    }

    #[test]
    fn precoder_one_level_error_gives_two_symbol_errors() {
        let data = [0u8, 1, 2, 3, 3, 2, 1, 0, 2, 2];
        let mut tx = data;
        Mapper::new(true).map(&mut tx);
        tx[4] ^= 1; // one wrong decision
        let mut rx = tx;
        Demapper::new(true).demap(&mut rx);
        let errs = rx.iter().zip(data.iter()).filter(|(a, b)| a != b).count();
        assert_eq!(errs, 2);
    }

    proptest! {
        #[test]
        fn precoder_and_decoder_are_inverses(data in proptest::collection::vec(0u8..4, 0..500), precode: bool, split in 0usize..500) {
            let mut tx = data.clone();
            let mut m = Mapper::new(precode);
            let cut = split.min(tx.len());
            let (a, b) = tx.split_at_mut(cut);
            m.map(a);
            m.map(b);
            prop_assert!(tx.iter().all(|&x| x < 4));
            let mut d = Demapper::new(precode);
            d.demap(&mut tx);
            prop_assert_eq!(tx, data);
        }
    }
}
