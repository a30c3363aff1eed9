//! Decoder statistics and their binomial prediction.

use serde::Serialize;

use super::code::Code;
use super::codec::DecodeOutcome;

/// Counts over decoded codewords. Serializes to the report's `fec` object.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct FecStats {
    /// Codewords decoded.
    pub codewords: u64,
    /// Codewords with at least one corrected symbol.
    pub corrected_codewords: u64,
    /// Symbols corrected, summed over codewords.
    pub corrected_symbols: u64,
    /// Codewords flagged uncorrectable.
    pub uncorrectable_codewords: u64,
    /// t + 2 bins: `histogram[i]` = codewords with i corrected symbols (i = 0..=t); the last
    /// bin = uncorrectable codewords (more than t errors detected).
    pub histogram: Vec<u64>,
}

impl FecStats {
    /// Empty statistics with the right number of histogram bins for `code`.
    pub fn new(code: Code) -> FecStats {
        FecStats {
            histogram: vec![0; code.t() + 2],
            ..FecStats::default()
        }
    }

    /// Counts one decoded codeword.
    pub fn record(&mut self, outcome: DecodeOutcome) {
        let last = self.histogram.len() - 1;
        self.codewords += 1;
        match outcome {
            DecodeOutcome::Corrected { symbols } => {
                self.histogram[symbols.min(last - 1)] += 1;
                if symbols > 0 {
                    self.corrected_codewords += 1;
                    self.corrected_symbols += symbols as u64;
                }
            }
            DecodeOutcome::Uncorrectable => {
                self.uncorrectable_codewords += 1;
                self.histogram[last] += 1;
            }
        }
    }

    /// Adds `other` into `self` (e.g. statistics from parallel workers). An empty histogram
    /// (from `Default`) takes the other's shape.
    ///
    /// # Panics
    /// If both histograms are non-empty and of different lengths (different codes).
    pub fn merge(&mut self, other: &FecStats) {
        self.codewords += other.codewords;
        self.corrected_codewords += other.corrected_codewords;
        self.corrected_symbols += other.corrected_symbols;
        self.uncorrectable_codewords += other.uncorrectable_codewords;
        if self.histogram.is_empty() {
            self.histogram = other.histogram.clone();
        } else if !other.histogram.is_empty() {
            assert_eq!(
                self.histogram.len(),
                other.histogram.len(),
                "merging statistics of different codes"
            );
            for (a, b) in self.histogram.iter_mut().zip(&other.histogram) {
                *a += b;
            }
        }
    }

    /// Measured frame loss ratio: uncorrectable / decoded codewords (0 when none decoded).
    pub fn frame_loss_ratio(&self) -> f64 {
        if self.codewords == 0 {
            0.0
        } else {
            self.uncorrectable_codewords as f64 / self.codewords as f64
        }
    }
}

/// Predicted decoder behaviour for i.i.d. random symbol errors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The symbol error ratio the prediction is for.
    pub ser: f64,
    /// Probability that a codeword is uncorrectable: P(more than t symbol errors).
    pub frame_loss_ratio: f64,
    /// t + 2 bins of probabilities, laid out like [`FecStats::histogram`]: P(i errors) for
    /// i = 0..=t, then P(more than t).
    pub histogram: Vec<f64>,
}

impl Prediction {
    /// Expected histogram counts for `codewords` codewords.
    pub fn expected_counts(&self, codewords: u64) -> Vec<f64> {
        self.histogram
            .iter()
            .map(|p| p * codewords as f64)
            .collect()
    }
}

/// Binomial prediction of the histogram and frame loss ratio when each of the n symbols of a
/// codeword is in error independently with probability `ser` (clamped to [0, 1]).
///
/// It assumes every word with more than t errors is detected. The decoder can miscorrect such
/// a word into another codeword within distance t, with probability about (n/1024)^t / t!
/// (~2e-6 for KR4, ~6e-17 for KP4), which then counts in a bin <= t.
pub fn predict_iid(code: Code, ser: f64) -> Prediction {
    let (n, t) = (code.n(), code.t());
    let p = if ser.is_nan() {
        0.0
    } else {
        ser.clamp(0.0, 1.0)
    };
    // P(i) = C(n,i) p^i (1-p)^(n-i), in the log domain so tiny p and large n stay accurate.
    let ln_c = {
        let mut v = vec![0.0f64; n + 1];
        for i in 1..=n {
            v[i] = v[i - 1] + ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        v
    };
    let prob = |i: usize| -> f64 {
        if p == 0.0 {
            return if i == 0 { 1.0 } else { 0.0 };
        }
        if p == 1.0 {
            return if i == n { 1.0 } else { 0.0 };
        }
        (ln_c[i] + i as f64 * p.ln() + (n - i) as f64 * (-p).ln_1p()).exp()
    };
    let mut histogram: Vec<f64> = (0..=t).map(prob).collect();
    // The tail summed term by term (not 1 - sum) keeps precision when it is tiny.
    let tail: f64 = (t + 1..=n).map(prob).sum();
    histogram.push(tail);
    Prediction {
        ser: p,
        frame_loss_ratio: tail,
        histogram,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prediction_sums_to_one_and_tail_is_precise() {
        for code in [Code::Kp4, Code::Kr4] {
            for ser in [0.0, 1e-6, 1e-4, 1e-2, 0.1, 1.0] {
                let pr = predict_iid(code, ser);
                assert_eq!(pr.histogram.len(), code.t() + 2);
                let s: f64 = pr.histogram.iter().sum();
                assert!((s - 1.0).abs() < 1e-9, "{code} {ser}: {s}");
            }
        }
        // Reference values from an exact binomial sum (Python, math.comb).
        let rel = |a: f64, b: f64| ((a - b) / b).abs();
        let pr = predict_iid(Code::Kp4, 1e-4);
        assert!(rel(pr.frame_loss_ratio, 2.141206097114811e-34) < 1e-6);
        let pr = predict_iid(Code::Kr4, 1e-3);
        assert!(rel(pr.frame_loss_ratio, 8.957250676598515e-08) < 1e-6);
        assert_eq!(predict_iid(Code::Kr4, 0.0).frame_loss_ratio, 0.0);
    }

    #[test]
    fn record_and_merge() {
        let mut a = FecStats::new(Code::Kr4);
        a.record(DecodeOutcome::Corrected { symbols: 0 });
        a.record(DecodeOutcome::Corrected { symbols: 3 });
        a.record(DecodeOutcome::Uncorrectable);
        let mut b = FecStats::default();
        b.merge(&a);
        b.merge(&a);
        assert_eq!(b.codewords, 6);
        assert_eq!(b.corrected_codewords, 2);
        assert_eq!(b.corrected_symbols, 6);
        assert_eq!(b.uncorrectable_codewords, 2);
        assert_eq!(b.histogram, vec![2, 0, 0, 2, 0, 0, 0, 0, 2]);
        assert!((b.frame_loss_ratio() - 1.0 / 3.0).abs() < 1e-12);
    }
}
