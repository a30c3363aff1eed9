//! Confidence bounds on an error ratio, and the PASS/FAIL verdict of
//! `rxdsp bert --target-ber B --confidence C`.
//!
//! ## Bounds
//! The one-sided Clopper-Pearson bounds at confidence `C` for `k` errors in
//! `n` trials: the upper bound `p_U` solves `P(X <= k; n, p_U) = 1 - C`, the
//! lower bound `p_L` solves `P(X >= k; n, p_L) = 1 - C` (`X` binomial). With
//! `k = 0` the upper bound is `1 - (1 - C)^(1/n)` (about `-ln(1 - C) / n`: the
//! "3 / n" rule at 95 %) and the lower bound 0; with `k = n` the upper bound
//! is 1 and the lower `(1 - C)^(1/n)`. The two-sided interval at `C` is the
//! pair of one-sided bounds at `(1 + C) / 2` ([`two_sided`]).
//!
//! ## Numerics
//! The binomial tails ([`binomial_tails`]) are computed for `n` up to
//! `u64::MAX` and `p` down to the smallest positive double without a `1 - x`
//! that loses the small side: the probability of `k` by Loader's saddle-point
//! form (Stirling's error term and the deviance `bd0`, from the differences
//! `k - n p` that are small when `n` is 10^16 and `n p` is 10), then the
//! terms away from the mode by their ratios, summed until what is left is
//! below 10^-17 of the sum. When `min(k, n - k)` is above [`EXACT_LIMIT`]
//! (the sum would take `~9 sqrt(k)` terms per evaluation) the tails are the
//! normal approximation with continuity correction and skewness term, which
//! moves a bound by less than 10^-9 of itself there (less beyond). The bounds are found by
//! bisection on `p` (geometric while the bracket spans orders of magnitude),
//! to 10^-15 relative.

use thiserror::Error;

/// Above this many errors (and non-errors), [`binomial_tails`] uses the normal
/// approximation instead of the exact sum.
pub const EXACT_LIMIT: u64 = 10_000_000;

/// A confidence level or target error ratio out of range.
#[derive(Debug, Error, PartialEq)]
pub enum ConfidenceError {
    /// `--confidence` must be strictly between 0 and 1.
    #[error("confidence {0} is not strictly between 0 and 1 (e.g. 0.95)")]
    Confidence(f64),
    /// `--target-ber` must be strictly between 0 and 1.
    #[error("target BER {0} is not strictly between 0 and 1 (e.g. 1e-12)")]
    Target(f64),
}

/// `c` when it is a usable confidence level (`0 < c < 1`).
pub fn check_confidence(c: f64) -> Result<f64, ConfidenceError> {
    if c > 0.0 && c < 1.0 {
        Ok(c)
    } else {
        Err(ConfidenceError::Confidence(c))
    }
}

/// `ln(2 pi)`.
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Stirling's error term: `ln(z!) - ln(sqrt(2 pi z) (z / e)^z)`, `z > 0`.
fn stirlerr(z: f64) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if z <= 15.0 {
        return statrs::function::gamma::ln_gamma(z + 1.0) - (z + 0.5) * z.ln() + z - 0.5 * LN_2PI;
    }
    let z2 = z * z;
    if z > 500.0 {
        (S0 - S1 / z2) / z
    } else if z > 80.0 {
        (S0 - (S1 - S2 / z2) / z2) / z
    } else if z > 35.0 {
        (S0 - (S1 - (S2 - S3 / z2) / z2) / z2) / z
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / z2) / z2) / z2) / z2) / z
    }
}

/// The deviance term `x ln(x / m) + m - x` for `x, m > 0`, given `d = x - m`
/// computed by the caller without cancellation.
fn bd0(x: f64, m: f64, d: f64) -> f64 {
    if d.abs() < 0.1 * (x + m) {
        let v = d / (x + m);
        let v2 = v * v;
        let mut s = d * v;
        let mut ej = 2.0 * x * v;
        for j in 1..1000 {
            ej *= v2;
            let s1 = s + ej / (2 * j + 1) as f64;
            if s1 == s {
                break;
            }
            s = s1;
        }
        s
    } else {
        x * (d / m).ln_1p() - d
    }
}

/// `ln P(X = k)` for `X ~ Binomial(n, p)`, `0 < p < 1`, `k <= n`.
fn ln_pmf(k: u64, n: u64, p: f64) -> f64 {
    let nf = n as f64;
    if k == 0 {
        return nf * (-p).ln_1p();
    }
    if k == n {
        return nf * p.ln();
    }
    let (kf, mf) = (k as f64, (n - k) as f64);
    let (np, nq) = (nf * p, nf * (1.0 - p));
    // k - np, and (n - k) - nq = np - k
    let d = kf - np;
    let lc = stirlerr(nf) - stirlerr(kf) - stirlerr(mf) - bd0(kf, np, d) - bd0(mf, nq, -d);
    let lf = LN_2PI + kf.ln() + (-kf / nf).ln_1p();
    lc - 0.5 * lf
}

/// `(P(X <= k), P(X > k))` for `X ~ Binomial(n, p)`, each to about 10^-13
/// relative (the normal approximation above [`EXACT_LIMIT`]); `k >= n` gives
/// `(1, 0)`.
pub fn binomial_tails(k: u64, n: u64, p: f64) -> (f64, f64) {
    if k >= n || p <= 0.0 {
        return (1.0, 0.0);
    }
    if p >= 1.0 {
        return (0.0, 1.0);
    }
    if k.min(n - k) > EXACT_LIMIT {
        tails_normal(k, n, p)
    } else {
        tails_exact(k, n, p)
    }
}

/// [`binomial_tails`] by the normal approximation with continuity correction
/// and the first Edgeworth (skewness) term:
/// `P(X <= k) = Phi(z) - phi(z) g (z^2 - 1)`, `z = (k + 1/2 - n p) / s`,
/// `g = (1 - 2p) / (6 s)`, `s^2 = n p (1 - p)`.
fn tails_normal(k: u64, n: u64, p: f64) -> (f64, f64) {
    let (nf, kf) = (n as f64, k as f64);
    let s = (nf * p * (1.0 - p)).sqrt();
    let z = (kf + 0.5 - nf * p) / s;
    let cdf = |x: f64| 0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2);
    let density = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let skew = density * (1.0 - 2.0 * p) / (6.0 * s) * (z * z - 1.0);
    (
        (cdf(z) - skew).clamp(0.0, 1.0),
        (cdf(-z) + skew).clamp(0.0, 1.0),
    )
}

/// [`binomial_tails`] summed exactly, for `k < n`, `0 < p < 1`: from the
/// term at `k` (or `k + 1`) away from the mode.
fn tails_exact(k: u64, n: u64, p: f64) -> (f64, f64) {
    let (nf, q) = (n as f64, 1.0 - p);
    // the terms fall away from the mode floor((n + 1) p) in both directions
    let below_mode = k as f64 + 1.0 <= (nf + 1.0) * p;
    let mut i = if below_mode { k } else { k + 1 };
    let mut t = ln_pmf(i, n, p).exp();
    let mut s = 0.0;
    loop {
        s += t;
        let (fi, r) = (i as f64, if below_mode { q / p } else { p / q });
        let (r, end) = if below_mode {
            (fi * r / (nf - fi + 1.0), i == 0)
        } else {
            ((nf - fi) * r / (fi + 1.0), i == n)
        };
        // the ratios keep falling: what is left is below t r / (1 - r)
        if end || t == 0.0 || t * r < 1e-17 * s * (1.0 - r) {
            break;
        }
        t *= r;
        i = if below_mode { i - 1 } else { i + 1 };
    }
    let s = s.min(1.0);
    if below_mode {
        (s, 1.0 - s)
    } else {
        (1.0 - s, s)
    }
}

/// The `p` in (0, 1) where the monotone `f` crosses `target`
/// (`increasing`: `f` rises with `p`).
fn solve(f: impl Fn(f64) -> f64, target: f64, increasing: bool) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..1000 {
        let mid = if lo == 0.0 {
            // reach small ratios in big steps
            (hi * 1e-4).max(f64::MIN_POSITIVE)
        } else if hi / lo > 2.0 {
            (lo * hi).sqrt()
        } else {
            0.5 * (lo + hi)
        };
        if mid <= lo || mid >= hi || hi - lo <= 1e-15 * hi {
            break;
        }
        let v = f(mid);
        if (v < target) == increasing {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The one-sided Clopper-Pearson upper bound at confidence `c` (`0 < c < 1`)
/// on the ratio of `k` events in `n` trials: 1 when `n = 0` or `k >= n`,
/// `1 - (1 - c)^(1/n)` when `k = 0`.
///
/// # Panics
/// When `c` is not strictly between 0 and 1 (check user input with
/// [`check_confidence`]).
pub fn upper_bound(k: u64, n: u64, c: f64) -> f64 {
    check_confidence(c).expect("confidence in (0, 1)");
    if n == 0 || k >= n {
        return 1.0;
    }
    if k == 0 {
        return -((1.0 - c).ln() / n as f64).exp_m1();
    }
    solve(|p| binomial_tails(k, n, p).0, 1.0 - c, false)
}

/// The one-sided Clopper-Pearson lower bound at confidence `c` (`0 < c < 1`)
/// on the ratio of `k` events in `n` trials: 0 when `k = 0`,
/// `(1 - c)^(1/n)` when `k >= n` (taken as `k = n`).
///
/// # Panics
/// When `c` is not strictly between 0 and 1.
pub fn lower_bound(k: u64, n: u64, c: f64) -> f64 {
    check_confidence(c).expect("confidence in (0, 1)");
    if k == 0 || n == 0 {
        return 0.0;
    }
    if k >= n {
        return ((1.0 - c).ln() / n as f64).exp();
    }
    // P(X >= k) = P(X > k - 1)
    solve(|p| binomial_tails(k - 1, n, p).1, 1.0 - c, true)
}

/// The two-sided Clopper-Pearson interval at confidence `c`: the one-sided
/// bounds at `(1 + c) / 2` (`(0, 1)` when `n = 0`).
pub fn two_sided(k: u64, n: u64, c: f64) -> (f64, f64) {
    let one = 0.5 * (1.0 + c);
    (lower_bound(k, n, one), upper_bound(k, n, one))
}

/// What the counts say about the target error ratio.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// the upper bound is below the target
    Pass {
        /// the upper bound
        upper: f64,
    },
    /// the lower bound is above the target
    Fail {
        /// the lower bound
        lower: f64,
    },
    /// the target is inside the bounds
    Undecided {
        /// the lower bound
        lower: f64,
        /// the upper bound
        upper: f64,
    },
}

/// `--target-ber B --confidence C`: a target error ratio to prove or refute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BerTarget {
    ber: f64,
    confidence: f64,
}

impl BerTarget {
    /// A target `ber` at confidence `confidence`, both strictly between 0 and 1.
    pub fn new(ber: f64, confidence: f64) -> Result<BerTarget, ConfidenceError> {
        if !(ber > 0.0 && ber < 1.0) {
            return Err(ConfidenceError::Target(ber));
        }
        Ok(BerTarget {
            ber,
            confidence: check_confidence(confidence)?,
        })
    }

    /// The target error ratio.
    pub fn ber(&self) -> f64 {
        self.ber
    }

    /// The confidence level.
    pub fn confidence(&self) -> f64 {
        self.confidence
    }

    /// The verdict for `bit_errors` in `bits`: PASS when the upper bound is
    /// below the target, FAIL when the lower bound is above it.
    ///
    /// The decision tests the binomial tails at the target (`P(X <= k)` below
    /// `1 - C` for PASS, `P(X >= k)` for FAIL) rather than comparing the
    /// solved bounds, so it agrees to the bit with
    /// [`BerTarget::error_free_bits_to_pass`]; the bounds are reported.
    pub fn verdict(&self, bit_errors: u64, bits: u64) -> Verdict {
        let upper = upper_bound(bit_errors, bits, self.confidence);
        if self.passes(bit_errors, bits) {
            return Verdict::Pass { upper };
        }
        let lower = lower_bound(bit_errors, bits, self.confidence);
        if self.fails(bit_errors, bits) {
            Verdict::Fail { lower }
        } else {
            Verdict::Undecided { lower, upper }
        }
    }

    /// Whether `errors` in `bits` prove PASS: the upper bound below the
    /// target, tested without solving for the bound (`P(X <= errors)` at the
    /// target below `1 - C`).
    fn passes(&self, errors: u64, bits: u64) -> bool {
        bits > errors && binomial_tails(errors, bits, self.ber).0 < 1.0 - self.confidence
    }

    /// Whether `errors` in `bits` prove FAIL (`P(X >= errors)` at the target
    /// below `1 - C`).
    fn fails(&self, errors: u64, bits: u64) -> bool {
        errors > 0 && binomial_tails(errors - 1, bits, self.ber).1 < 1.0 - self.confidence
    }

    /// How many more bits without an error would prove PASS with the
    /// `bit_errors` counted so far (0 when they already do; `None` beyond
    /// `u64`). With no errors: about `-ln(1 - C) / B` in all (`3 / B` at 95 %).
    pub fn error_free_bits_to_pass(&self, bit_errors: u64, bits: u64) -> Option<u64> {
        let total = first_true(bits, |n| self.passes(bit_errors, n))?;
        Some(total - bits)
    }

    /// How many more bits would reach a verdict if errors keep coming at the
    /// ratio observed so far (with none yet: [`BerTarget::error_free_bits_to_pass`]);
    /// 0 when decided now, `None` when the observed ratio is the target (or
    /// beyond `u64`).
    pub fn projected_bits_to_verdict(&self, bit_errors: u64, bits: u64) -> Option<u64> {
        if bit_errors == 0 {
            return self.error_free_bits_to_pass(0, bits);
        }
        let r = bit_errors as f64 / bits.max(1) as f64;
        let at = |n: u64| r * n as f64;
        let total = if r < self.ber {
            // errors rounded up: the projection does not pass early
            first_true(bits, |n| {
                self.passes((at(n).ceil() as u64).max(bit_errors), n)
            })?
        } else if r > self.ber {
            first_true(bits, |n| {
                self.fails((at(n).floor() as u64).max(bit_errors), n)
            })?
        } else {
            return None;
        };
        Some(total - bits)
    }
}

/// The least `n >= from` where `ok(n)` holds, for an `ok` that stays true
/// once true: doubling, then bisection; `None` when not even at `u64::MAX / 2`.
fn first_true(from: u64, ok: impl Fn(u64) -> bool) -> Option<u64> {
    if ok(from) {
        return Some(from);
    }
    let (mut lo, mut hi) = (from, from.max(1));
    loop {
        if hi >= u64::MAX / 2 {
            return None;
        }
        hi = hi.saturating_mul(2);
        if ok(hi) {
            break;
        }
        lo = hi;
    }
    // ok(lo) false, ok(hi) true
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
mod tests;
