//! Error statistics: bits, bit errors, symbol errors, and the lengths of
//! error bursts (runs of consecutive wrong decisions, which is how DFE error
//! propagation shows up).

use serde::Serialize;

/// Longest burst length with its own histogram bin; longer ones share the last bin.
pub const MAX_BURST_BIN: usize = 32;

/// Symbols [`ErrorCounter::update`] compares at once.
pub const CMP_BLOCK: usize = 64;

/// Whether two equal-length byte slices are equal: eight bytes per XOR, OR-reduced (no
/// call, no early exit: for 64 bytes this vectorizes, which `==` on slices, a `bcmp`
/// call, does not).
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut diff = 0u64;
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = ac.remainder() != bc.remainder();
    for (x, y) in ac.zip(bc) {
        diff |=
            u64::from_le_bytes(x.try_into().unwrap()) ^ u64::from_le_bytes(y.try_into().unwrap());
    }
    diff == 0 && !tail
}

/// Counts errors between transmitted and decided symbols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorCounter {
    /// symbols compared
    pub symbols: u64,
    /// wrong decisions (level index differs)
    pub symbol_errors: u64,
    /// bits compared (two per symbol, after precoder and Gray decode)
    pub bits: u64,
    /// wrong bits
    pub bit_errors: u64,
    /// `bursts[i]` = bursts of length i (index 0 unused); the last bin counts
    /// bursts longer than [`MAX_BURST_BIN`]
    pub bursts: Vec<u64>,
    /// longest burst seen
    pub longest_burst: u64,
    /// `level_errors[a]` = wrong decisions whose transmitted level index is `a`
    pub level_errors: [u64; 4],
    run: u64,
}

impl Default for ErrorCounter {
    fn default() -> Self {
        ErrorCounter {
            symbols: 0,
            symbol_errors: 0,
            bits: 0,
            bit_errors: 0,
            bursts: vec![0; MAX_BURST_BIN + 2],
            longest_burst: 0,
            level_errors: [0; 4],
            run: 0,
        }
    }
}

impl ErrorCounter {
    /// Compares equal-length slices of transmitted/decided level indices and
    /// transmitted/decoded 2-bit data symbols.
    ///
    /// Blocks of [`CMP_BLOCK`] symbols where both pairs agree (nearly all of them at the
    /// error ratios worth simulating) are skipped after one wide comparison; the others
    /// go through [`ErrorCounter::update_naive`], so the counts are the same.
    pub fn update(&mut self, tx_levels: &[u8], rx_levels: &[u8], tx_data: &[u8], rx_data: &[u8]) {
        let n = tx_levels.len();
        assert!(rx_levels.len() == n && tx_data.len() == n && rx_data.len() == n);
        let mut i = 0;
        while i < n {
            let e = (i + CMP_BLOCK).min(n);
            if same(&tx_levels[i..e], &rx_levels[i..e]) && same(&tx_data[i..e], &rx_data[i..e]) {
                self.symbols += (e - i) as u64;
                self.bits += 2 * (e - i) as u64;
                if self.run > 0 {
                    self.close_run();
                }
            } else {
                self.update_naive(
                    &tx_levels[i..e],
                    &rx_levels[i..e],
                    &tx_data[i..e],
                    &rx_data[i..e],
                );
            }
            i = e;
        }
    }

    /// [`ErrorCounter::update`] one symbol at a time (the definition, and the reference the
    /// fast path is tested and benchmarked against).
    pub fn update_naive(
        &mut self,
        tx_levels: &[u8],
        rx_levels: &[u8],
        tx_data: &[u8],
        rx_data: &[u8],
    ) {
        let n = tx_levels.len();
        assert!(rx_levels.len() == n && tx_data.len() == n && rx_data.len() == n);
        self.symbols += n as u64;
        self.bits += 2 * n as u64;
        let mut bit_errors = 0u64;
        for (a, b) in tx_data.iter().zip(rx_data) {
            bit_errors += ((a ^ b) & 3).count_ones() as u64;
        }
        self.bit_errors += bit_errors;
        for (a, b) in tx_levels.iter().zip(rx_levels) {
            if a != b {
                self.symbol_errors += 1;
                self.level_errors[(a & 3) as usize] += 1;
                self.run += 1;
            } else if self.run > 0 {
                self.close_run();
            }
        }
    }

    fn close_run(&mut self) {
        let bin = (self.run as usize).min(MAX_BURST_BIN + 1);
        self.bursts[bin] += 1;
        self.longest_burst = self.longest_burst.max(self.run);
        self.run = 0;
    }

    /// Ends a burst still open at the end of the stream.
    pub fn finish(&mut self) {
        if self.run > 0 {
            self.close_run();
        }
    }

    /// Bit error ratio.
    pub fn ber(&self) -> f64 {
        ratio(self.bit_errors, self.bits)
    }

    /// Symbol error ratio.
    pub fn ser(&self) -> f64 {
        ratio(self.symbol_errors, self.symbols)
    }
}

/// The transmitted symbols aligned with the received ones `delay` symbols
/// later: after [`DelayedTx::push`] of the transmitted symbols `t..t + n`,
/// [`DelayedTx::levels`]`[i]` and [`DelayedTx::data`]`[i]` are the ones sent
/// `delay` symbols before received symbol `t + i` (level 0, data 0 before the
/// first). Used by `rxdsp sim`'s receiver and by the BER checker's model, so
/// both align alike.
#[derive(Clone, Debug)]
pub struct DelayedTx {
    delay: usize,
    levels: Vec<u8>,
    data: Vec<u8>,
}

impl DelayedTx {
    /// An empty history of `delay` zero symbols.
    pub fn new(delay: usize) -> DelayedTx {
        DelayedTx {
            delay,
            levels: vec![0; delay],
            data: vec![0; delay],
        }
    }

    /// Appends the next transmitted levels and data, keeping the last `delay`
    /// of the previous push in front.
    pub fn push(&mut self, levels: &[u8], data: &[u8]) {
        let d = self.delay;
        for v in [&mut self.levels, &mut self.data] {
            let tail = v.len() - d;
            v.copy_within(tail.., 0);
            v.truncate(d);
        }
        self.levels.extend_from_slice(levels);
        self.data.extend_from_slice(data);
    }

    /// The levels aligned with the received symbols of the last push.
    pub fn levels(&self) -> &[u8] {
        &self.levels
    }

    /// The data symbols aligned with the received symbols of the last push.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// `num / den`, zero when `den` is zero.
pub fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// The complementary error function (W. J. Cody's rational approximations
/// as in Numerical Recipes' `erfcc`, relative error below 1.2e-7).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// The Gaussian tail probability Q(x).
pub fn q(x: f64) -> f64 {
    0.5 * erfc(x / std::f64::consts::SQRT_2)
}

/// PAM4 symbol error ratio on an ISI-free AWGN channel with ideal thresholds:
/// `1.5 Q(sqrt(SNR/5))`, SNR being mean symbol power over noise variance.
pub fn pam4_ser_awgn(snr_db: f64) -> f64 {
    let snr = 10f64.powf(snr_db / 10.0);
    1.5 * q((snr / 5.0).sqrt())
}

/// The statistics object of a report (`pre_fec`, `post_fec`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorReport {
    /// bits compared
    pub bits: u64,
    /// wrong bits
    pub bit_errors: u64,
    /// bit error ratio
    pub ber: f64,
    /// symbols compared (absent for post-FEC)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbols: Option<u64>,
    /// wrong decisions
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol_errors: Option<u64>,
    /// symbol error ratio
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ser: Option<f64>,
    /// wrong decisions by transmitted level index (absent for post-FEC)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level_errors: Option<[u64; 4]>,
}

impl From<&ErrorCounter> for ErrorReport {
    fn from(c: &ErrorCounter) -> Self {
        ErrorReport {
            bits: c.bits,
            bit_errors: c.bit_errors,
            ber: c.ber(),
            symbols: Some(c.symbols),
            symbol_errors: Some(c.symbol_errors),
            ser: Some(c.ser()),
            level_errors: Some(c.level_errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_function_values() {
        assert!((q(0.0) - 0.5).abs() < 1e-7);
        assert!((q(1.0) - 0.158_655_25).abs() < 1e-7);
        assert!((q(3.0) / 1.349_898e-3 - 1.0).abs() < 1e-5);
        assert!((q(5.0) / 2.866_516e-7 - 1.0).abs() < 1e-5);
        assert!((q(-1.0) - 0.841_344_75).abs() < 1e-7);
    }

    /// The block-skipping counter equals the symbol-by-symbol one, for error patterns
    /// sparse and dense, bursts across block and call boundaries, and any call split.
    #[test]
    fn fast_update_equals_naive() {
        let mut r = crate::rng::Xoshiro256pp::new(5);
        for density in [0u64, 1, 30, 500, 4000] {
            let n = 5000;
            let tx: Vec<u8> = (0..n).map(|_| (r.next_u64() & 3) as u8).collect();
            let mut rx = tx.clone();
            let mut rxd = tx.clone();
            for i in 0..n {
                if r.next_u64() % 10_000 < density {
                    // a burst of 1..40 wrong levels, the data wrong one further (precoding)
                    let len = 1 + (r.next_u64() % 40) as usize;
                    for j in i..(i + len).min(n) {
                        rx[j] = (tx[j] + 1) & 3;
                        rxd[(j + 1).min(n - 1)] ^= 2;
                    }
                }
            }
            for split in [1usize, 63, 64, 65, 1000, 4999] {
                let (mut a, mut b) = (ErrorCounter::default(), ErrorCounter::default());
                for (lo, hi) in [(0, split), (split, n)] {
                    a.update(&tx[lo..hi], &rx[lo..hi], &tx[lo..hi], &rxd[lo..hi]);
                    b.update_naive(&tx[lo..hi], &rx[lo..hi], &tx[lo..hi], &rxd[lo..hi]);
                }
                a.finish();
                b.finish();
                assert_eq!(a, b, "density {density} split {split}");
            }
        }
    }

    #[test]
    fn bursts_are_runs_of_wrong_decisions() {
        let mut c = ErrorCounter::default();
        let tx = [0u8, 1, 2, 3, 0, 1, 2, 3, 0, 1];
        let rx = [0u8, 2, 3, 3, 0, 0, 2, 2, 1, 0];
        c.update(&tx[..5], &rx[..5], &tx[..5], &rx[..5]);
        c.update(&tx[5..], &rx[5..], &tx[5..], &rx[5..]);
        c.finish();
        assert_eq!(c.symbol_errors, 6);
        assert_eq!(c.bursts[1], 1);
        assert_eq!(c.bursts[2], 1);
        assert_eq!(c.bursts[3], 1); // 7,8,9 run across... (positions 7, 8, 9)
        assert_eq!(c.longest_burst, 3);
        // bit errors: 1^2=3 ->2, 2^3=1 ->1, 1^0 ->1, 3^2 ->1, 0^1 ->1, 1^0 ->1
        assert_eq!(c.bit_errors, 7);
        assert_eq!(c.bits, 20);
        // wrong at sent levels 1, 2, 1, 3, 0, 1
        assert_eq!(c.level_errors, [1, 3, 1, 1]);
    }
}
