//! The numeric contract of the receiver: every width, fraction, rounding and
//! saturation rule of the fixed-point datapath, held as data in [`RxFormat`].
//! The golden model and the RTL generator both read this one struct.
//!
//! ## Datapath
//! * ADC samples `x` are signed integers of `adc_bits` bits.
//! * FFE: `acc[n] = sum_{k=0}^{N-1} c[k] * x[n-k]` exactly (causal; samples
//!   before the first are zero). Coefficients `c` are signed `ffe_coef_bits`
//!   integers read as fixed point with `ffe_coef_frac` fractional bits.
//!   The output keeps `ffe_out_frac` fractional bits (in ADC LSBs), so with
//!   `S = ffe_coef_frac - ffe_out_frac`: `y = sat(round(acc, S), ffe_out_bits)`,
//!   where `round(v, S) = (v + 2^(S-1)) >> S` (round half up, arithmetic
//!   shift; no rounding when `S = 0`) and `sat` clamps to the signed range.
//! * DFE: `z[n] = y[n] - sum_{j=1}^{M} b[j] * L(a[n-j])` exactly, with
//!   `L(a) = 2a - 3` (levels in thirds: -3, -1, +1, +3) and `b` signed
//!   `dfe_coef_bits` integers in units of the FFE output LSB. The decision
//!   history starts at level index 0.
//! * Slicer: with threshold `t > 0`, `a = [z >= -t] + [z >= 0] + [z >= t]`.
//! * Then precoder decode (if `precode`) and inverse Gray map (see [`crate::pam4`]).

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Errors in a numeric format or a coefficient set.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FormatError {
    /// A field is outside its legal range.
    #[error("{field} = {value} is out of range ({range})")]
    OutOfRange {
        /// the config key
        field: &'static str,
        /// the offending value
        value: i64,
        /// the legal range, in words
        range: String,
    },
    /// A coefficient does not fit its width.
    #[error("{what}[{index}] = {value} does not fit in {bits} signed bits")]
    CoefficientRange {
        /// "ffe.coeffs" or "dfe.coeffs"
        what: &'static str,
        /// index in the list
        index: usize,
        /// the value
        value: i64,
        /// the width
        bits: u32,
    },
    /// A coefficient list has the wrong length.
    #[error("{what} has {got} entries but {expected} taps are configured")]
    CoefficientCount {
        /// "ffe.coeffs" or "dfe.coeffs"
        what: &'static str,
        /// entries given
        got: usize,
        /// taps configured
        expected: usize,
    },
}

/// Largest FFE supported by the model and the generator.
pub const MAX_FFE_TAPS: usize = 64;
/// Largest DFE supported.
pub const MAX_DFE_TAPS: usize = 4;

/// The fixed-point format of the whole receiver datapath.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RxFormat {
    /// ADC sample width in bits (signed), 4..=16.
    pub adc_bits: u32,
    /// FFE taps N, 1..=64 (1 = pass-through when the coefficient is 1.0).
    pub ffe_taps: usize,
    /// Index of the main-cursor tap, < N: taps before it act on later samples.
    pub ffe_main: usize,
    /// FFE coefficient width (signed), 2..=18.
    pub ffe_coef_bits: u32,
    /// FFE coefficient fractional bits, < ffe_coef_bits + 8.
    pub ffe_coef_frac: u32,
    /// FFE output width (signed), 4..=24.
    pub ffe_out_bits: u32,
    /// FFE output fractional bits (in ADC LSBs), <= ffe_coef_frac.
    pub ffe_out_frac: u32,
    /// DFE taps M, 0..=4.
    pub dfe_taps: usize,
    /// DFE coefficient width (signed), 2..=16.
    pub dfe_coef_bits: u32,
    /// 1/(1+D) mod 4 precoding on the link.
    pub precode: bool,
}

impl Default for RxFormat {
    fn default() -> Self {
        RxFormat {
            adc_bits: 8,
            ffe_taps: 16,
            ffe_main: 3,
            ffe_coef_bits: 10,
            ffe_coef_frac: 7,
            ffe_out_bits: 10,
            ffe_out_frac: 0,
            dfe_taps: 1,
            dfe_coef_bits: 8,
            precode: false,
        }
    }
}

/// ceil(log2(n)) for n >= 1.
pub fn clog2(n: usize) -> u32 {
    if n <= 1 {
        0
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

/// Round half up by adding 2^(s-1) and shifting right arithmetically.
#[inline]
pub fn round_shift(v: i64, s: u32) -> i64 {
    if s == 0 {
        v
    } else {
        (v + (1i64 << (s - 1))) >> s
    }
}

/// Smallest value of a signed `bits`-bit integer.
#[inline]
pub fn smin(bits: u32) -> i64 {
    -(1i64 << (bits - 1))
}

/// Largest value of a signed `bits`-bit integer.
#[inline]
pub fn smax(bits: u32) -> i64 {
    (1i64 << (bits - 1)) - 1
}

/// Clamp to the signed range of `bits` bits.
#[inline]
pub fn saturate(v: i64, bits: u32) -> i64 {
    v.clamp(smin(bits), smax(bits))
}

fn check(field: &'static str, value: i64, lo: i64, hi: i64) -> Result<(), FormatError> {
    if value < lo || value > hi {
        Err(FormatError::OutOfRange {
            field,
            value,
            range: format!("{lo}..={hi}"),
        })
    } else {
        Ok(())
    }
}

impl RxFormat {
    /// Checks every field against its legal range.
    pub fn validate(&self) -> Result<(), FormatError> {
        check("adc.bits", self.adc_bits as i64, 4, 16)?;
        check("ffe.taps", self.ffe_taps as i64, 1, MAX_FFE_TAPS as i64)?;
        check(
            "ffe.main",
            self.ffe_main as i64,
            0,
            self.ffe_taps as i64 - 1,
        )?;
        check("ffe.coef_bits", self.ffe_coef_bits as i64, 2, 18)?;
        check(
            "ffe.coef_frac",
            self.ffe_coef_frac as i64,
            0,
            self.ffe_coef_bits as i64 + 7,
        )?;
        check("ffe.out_bits", self.ffe_out_bits as i64, 4, 24)?;
        check(
            "ffe.out_frac",
            self.ffe_out_frac as i64,
            0,
            self.ffe_coef_frac as i64,
        )?;
        check("dfe.taps", self.dfe_taps as i64, 0, MAX_DFE_TAPS as i64)?;
        check("dfe.coef_bits", self.dfe_coef_bits as i64, 2, 16)?;
        Ok(())
    }

    /// Right shift applied to the FFE accumulator: coef_frac - out_frac.
    pub fn ffe_shift(&self) -> u32 {
        self.ffe_coef_frac - self.ffe_out_frac
    }

    /// Width of the exact FFE accumulator (never overflows).
    pub fn ffe_acc_bits(&self) -> u32 {
        self.adc_bits + self.ffe_coef_bits + clog2(self.ffe_taps)
    }

    /// Width of the exact DFE sum `z` (never overflows).
    pub fn dfe_sum_bits(&self) -> u32 {
        let fb = if self.dfe_taps == 0 {
            0
        } else {
            self.dfe_coef_bits + 2 + clog2(self.dfe_taps)
        };
        self.ffe_out_bits.max(fb) + 1
    }

    /// Largest legal slicer threshold.
    pub fn max_threshold(&self) -> i64 {
        smax(self.ffe_out_bits)
    }

    /// Latency in symbols from a transmitted symbol's main-cursor sample
    /// entering the FFE to its decision (the FFE main-cursor position).
    pub fn decision_delay(&self) -> usize {
        self.ffe_main
    }
}

/// A complete set of run-time coefficients for one [`RxFormat`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RxCoeffs {
    /// FFE coefficients c[0..N], fixed point with `ffe_coef_frac` fraction bits.
    pub ffe: Vec<i32>,
    /// DFE coefficients b[1..=M] (index 0 is the first post-cursor).
    pub dfe: Vec<i32>,
    /// Slicer threshold t (outer thresholds at ±t, middle at 0).
    pub threshold: i32,
}

impl RxCoeffs {
    /// A pass-through FFE (unity main tap), no DFE feedback, and threshold `t`.
    pub fn pass_through(fmt: &RxFormat, threshold: i32) -> Self {
        let mut ffe = vec![0; fmt.ffe_taps];
        ffe[fmt.ffe_main] = 1i32 << fmt.ffe_coef_frac.min(fmt.ffe_coef_bits - 2);
        RxCoeffs {
            ffe,
            dfe: vec![0; fmt.dfe_taps],
            threshold,
        }
    }

    /// Checks lengths and ranges against `fmt`.
    pub fn validate(&self, fmt: &RxFormat) -> Result<(), FormatError> {
        if self.ffe.len() != fmt.ffe_taps {
            return Err(FormatError::CoefficientCount {
                what: "ffe.coeffs",
                got: self.ffe.len(),
                expected: fmt.ffe_taps,
            });
        }
        if self.dfe.len() != fmt.dfe_taps {
            return Err(FormatError::CoefficientCount {
                what: "dfe.coeffs",
                got: self.dfe.len(),
                expected: fmt.dfe_taps,
            });
        }
        for (what, list, bits) in [
            ("ffe.coeffs", &self.ffe, fmt.ffe_coef_bits),
            ("dfe.coeffs", &self.dfe, fmt.dfe_coef_bits),
        ] {
            for (index, &v) in list.iter().enumerate() {
                if (v as i64) < smin(bits) || (v as i64) > smax(bits) {
                    return Err(FormatError::CoefficientRange {
                        what,
                        index,
                        value: v as i64,
                        bits,
                    });
                }
            }
        }
        check(
            "slicer.threshold",
            self.threshold as i64,
            1,
            fmt.max_threshold(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounding_is_half_up_at_the_edges() {
        assert_eq!(round_shift(3, 1), 2); // 1.5 -> 2
        assert_eq!(round_shift(-3, 1), -1); // -1.5 -> -1 (half up)
        assert_eq!(round_shift(-5, 2), -1); // -1.25 -> -1
        assert_eq!(round_shift(-6, 2), -1); // -1.5 -> -1
        assert_eq!(round_shift(-7, 2), -2); // -1.75 -> -2
        assert_eq!(round_shift(5, 0), 5);
        assert_eq!(round_shift(i32::MAX as i64, 31), 1);
    }

    #[test]
    fn saturation_at_the_edges() {
        assert_eq!(saturate(127, 8), 127);
        assert_eq!(saturate(128, 8), 127);
        assert_eq!(saturate(-128, 8), -128);
        assert_eq!(saturate(-129, 8), -128);
        assert_eq!(saturate(i64::MIN / 2, 4), -8);
        assert_eq!((smin(16), smax(16)), (-32768, 32767));
    }

    #[test]
    fn clog2_values() {
        assert_eq!([1, 2, 3, 4, 5, 16, 17].map(clog2), [0, 1, 2, 2, 3, 4, 5]);
    }

    proptest! {
        #[test]
        fn round_shift_matches_floor_of_half_up(v in -1_000_000i64..1_000_000, s in 1u32..12) {
            let exact = v as f64 / (1u64 << s) as f64;
            prop_assert_eq!(round_shift(v, s), (exact + 0.5).floor() as i64);
        }

        #[test]
        fn dfe_sum_width_is_never_exceeded(ob in 4u32..24, db in 2u32..16, m in 1usize..=4) {
            let f = RxFormat { ffe_out_bits: ob, dfe_coef_bits: db, dfe_taps: m, ..RxFormat::default() };
            let worst = smin(ob) - (m as i64) * 3 * smin(db).abs();
            let w = f.dfe_sum_bits();
            prop_assert!(worst >= smin(w) && -worst <= smax(w) + 1);
        }
    }

    #[test]
    fn validation_names_the_field() {
        let f = RxFormat {
            adc_bits: 40,
            ..RxFormat::default()
        };
        assert_eq!(
            f.validate().unwrap_err().to_string(),
            "adc.bits = 40 is out of range (4..=16)"
        );
        let f = RxFormat {
            ffe_taps: 0,
            ..RxFormat::default()
        };
        assert!(f
            .validate()
            .unwrap_err()
            .to_string()
            .starts_with("ffe.taps = 0"));
        let f = RxFormat::default();
        let mut c = RxCoeffs::pass_through(&f, 20);
        c.ffe[2] = 512;
        assert_eq!(
            c.validate(&f).unwrap_err().to_string(),
            "ffe.coeffs[2] = 512 does not fit in 10 signed bits"
        );
    }
}
