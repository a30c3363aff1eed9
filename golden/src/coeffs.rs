//! Where equalizer coefficients come from: computed from a known channel
//! (zero-forcing or MMSE), adapted from the received samples (LMS or
//! sign-sign, decision-directed, fixed point), or given by the user.
//!
//! ## Computed (`zf`, `mmse`)
//! With pulse `h` (main cursor `hm`), an N-tap FFE `c` with main tap `m` and
//! `M` DFE taps, the combined response is `g = h * c`, its main cursor at
//! `D = hm + m`. The DFE cancels `g[D+1..=D+M]`, so the FFE minimises
//! `sigma_s^2 * sum_{i not in D+1..=D+M} (g[i] - [i = D])^2 + sigma_n^2 * |c|^2`
//! with `sigma_s^2 = 5/9` and `sigma_n^2` the channel noise plus the ADC's
//! quantization noise (zero for `zf`). The solution is scaled so `g[D] = 1`
//! (unbiased), then `b[j] = g[D+j]`.
//!
//! ## To fixed point
//! The outer PAM4 level is mapped to `A` FFE-output LSBs. `A` is the largest
//! value for which every coefficient fits `ffe.coef_bits` and the FFE output,
//! which still carries the post-cursors the DFE will remove, fits its range:
//! `A <= (2^(out_bits-1) - 1) / (1.25 + sum |b|)`. Then
//! `c_q = round(c * A * 2^S / K)` (`K` = ADC codes per unit amplitude,
//! `S` = the FFE shift), `b_q = round(b * A / 3)`, `t = round(2A/3)`.
//!
//! ## Adapted (`lms`, `sign-sign`)
//! Coefficients are held with `GUARD = 12` extra fractional bits. For each
//! sample after the decision `a` with DFE input `z`, the error is
//! `e = z - L(a) * A / 3` (rounded to an integer) and
//! * LMS: `c_acc[k] -= round(e * x[n-k] * 2^GUARD >> mu_shift)`,
//!   `b_acc[j] += round(e * L(a[n-j]) * 2^GUARD >> mu_shift)`;
//! * sign-sign: `c_acc[k] -= sgn(e) sgn(x[n-k]) * 2^GUARD >> mu_shift`, and the
//!   same with `L` for the DFE.
//!
//! `mu_shift` is `adapt.mu_shift` (default 14 for LMS, 5 for sign-sign). The
//! start is a pass-through FFE whose gain puts the signal's RMS at the RMS of
//! ideal PAM4 at amplitude `A`. Decisions drive the error (`decision-directed`)
//! except during the first `adapt.training` symbols, when the known
//! transmitted levels are used (as 802.3 link training does with its
//! training frames); `training = 0` means blind decision-directed start.

use crate::channel::Pulse;
use crate::numeric::{round_shift, saturate, smax, smin, RxCoeffs, RxFormat};
use crate::pam4::MEAN_SYMBOL_POWER;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Errors while computing coefficients.
#[derive(Debug, Error, PartialEq)]
pub enum CoeffError {
    /// The linear system is singular.
    #[error("the equalizer design is singular (channel all zero?)")]
    Singular,
    /// The design gives no usable gain.
    #[error("the computed equalizer has no usable gain: {0}")]
    NoGain(String),
}

/// Extra fractional bits the adaptation keeps.
pub const GUARD: u32 = 12;

/// Floating-point equalizer from [`design`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FloatEq {
    /// FFE taps (unit gain at the main cursor)
    pub ffe: Vec<f64>,
    /// DFE taps: the post-cursors of the equalized response
    pub dfe: Vec<f64>,
    /// equalized response h * c
    pub response: Vec<f64>,
    /// index of the main cursor in `response`
    pub delay: usize,
}

fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Result<Vec<f64>, CoeffError> {
    let n = b.len();
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&i, &j| a[i][col].abs().partial_cmp(&a[j][col].abs()).unwrap())
            .unwrap();
        if a[piv][col].abs() < 1e-14 {
            return Err(CoeffError::Singular);
        }
        a.swap(col, piv);
        b.swap(col, piv);
        for r in col + 1..n {
            let f = a[r][col] / a[col][col];
            if f != 0.0 {
                let (top, bottom) = a.split_at_mut(r);
                for (x, &p) in bottom[0][col..].iter_mut().zip(&top[col][col..]) {
                    *x -= f * p;
                }
                b[r] -= f * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|c| a[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    Ok(x)
}

/// Convolves two sequences.
pub fn convolve(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; a.len() + b.len() - 1];
    for (i, &x) in a.iter().enumerate() {
        for (j, &y) in b.iter().enumerate() {
            out[i + j] += x * y;
        }
    }
    out
}

/// Designs an MMSE (noise variance `noise_var` > 0) or zero-forcing
/// (`noise_var` = 0) FFE with `taps` taps, main tap `main`, for `dfe_taps`
/// ideal-feedback DFE taps.
pub fn design(
    pulse: &Pulse,
    taps: usize,
    main: usize,
    dfe_taps: usize,
    noise_var: f64,
) -> Result<FloatEq, CoeffError> {
    let h = &pulse.taps;
    let len = h.len() + taps - 1;
    let d = pulse.main + main;
    let ss = MEAN_SYMBOL_POWER;
    // rows of the convolution matrix: g[i] = sum_k h[i-k] c[k]
    let hrow = |i: usize, k: usize| -> f64 {
        if i >= k && i - k < h.len() {
            h[i - k]
        } else {
            0.0
        }
    };
    let skip = |i: usize| i > d && i <= d + dfe_taps;
    let reg = if noise_var > 0.0 { noise_var } else { 1e-9 };
    let mut a = vec![vec![0.0; taps]; taps];
    let mut rhs = vec![0.0; taps];
    for i in (0..len).filter(|&i| !skip(i)) {
        for k in 0..taps {
            let hk = hrow(i, k);
            if hk == 0.0 {
                continue;
            }
            for (l, al) in a[k].iter_mut().enumerate() {
                *al += ss * hk * hrow(i, l);
            }
            if i == d {
                rhs[k] += ss * hk;
            }
        }
    }
    for (k, row) in a.iter_mut().enumerate() {
        row[k] += reg;
    }
    let mut c = solve(a, rhs)?;
    let g = convolve(h, &c);
    let gd = g[d];
    if gd.abs() < 1e-9 || !gd.is_finite() {
        return Err(CoeffError::NoGain(format!("main cursor {gd}")));
    }
    for v in c.iter_mut() {
        *v /= gd;
    }
    let g = convolve(h, &c);
    let dfe = (1..=dfe_taps)
        .map(|j| g.get(d + j).copied().unwrap_or(0.0))
        .collect();
    Ok(FloatEq {
        ffe: c,
        dfe,
        response: g,
        delay: d,
    })
}

/// Fixed-point coefficients plus the amplitude they target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FixedEq {
    /// the coefficients
    pub coeffs: RxCoeffs,
    /// outer level in FFE-output LSBs
    pub amplitude: f64,
}

/// Quantizes a floating-point equalizer under `fmt`; `adc_gain` is ADC codes
/// per unit amplitude.
pub fn quantize(eq: &FloatEq, fmt: &RxFormat, adc_gain: f64) -> Result<FixedEq, CoeffError> {
    let s = (1u64 << fmt.ffe_shift()) as f64;
    let cmax = smax(fmt.ffe_coef_bits) as f64;
    let bmax = smax(fmt.dfe_coef_bits) as f64;
    let peak_c = eq.ffe.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let peak_b = eq.dfe.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    // y still carries the post-cursors the DFE removes: keep room for them,
    // plus 25 % for residual ISI and noise
    let dfe_sum: f64 = eq.dfe.iter().map(|b| b.abs()).sum();
    let mut amp = smax(fmt.ffe_out_bits) as f64 / (1.25 + dfe_sum);
    if peak_c > 0.0 {
        amp = amp.min(cmax * adc_gain / (peak_c * s));
    }
    if peak_b > 0.0 {
        amp = amp.min(bmax * 3.0 / peak_b);
    }
    if amp < 3.0 {
        return Err(CoeffError::NoGain(format!(
            "outer level of {amp:.2} LSB: widen ffe.coef_bits or ffe.out_bits"
        )));
    }
    let ffe = eq
        .ffe
        .iter()
        .map(|&c| (c * amp * s / adc_gain).round().clamp(-cmax - 1.0, cmax) as i32)
        .collect();
    let dfe = eq
        .dfe
        .iter()
        .map(|&b| (b * amp / 3.0).round().clamp(-bmax - 1.0, bmax) as i32)
        .collect();
    let threshold = ((2.0 * amp / 3.0).round() as i32).clamp(1, smax(fmt.ffe_out_bits) as i32);
    Ok(FixedEq {
        coeffs: RxCoeffs {
            ffe,
            dfe,
            threshold,
        },
        amplitude: amp,
    })
}

/// The adaptation algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdaptAlgo {
    /// least mean squares
    Lms,
    /// sign-sign LMS
    SignSign,
}

/// Settings of the adaptation.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaptParams {
    /// algorithm
    pub algo: AdaptAlgo,
    /// step size as a right shift (see module docs)
    pub mu_shift: u32,
    /// symbols at the start with known transmitted levels (0 = blind)
    pub training: usize,
    /// target outer level in FFE-output LSBs
    pub amplitude: f64,
}

/// Adapts coefficients over `x` (ADC codes) in fixed point.
///
/// `known` gives the transmitted level index for sample `n` (already delayed
/// to line up with the decision), used while `n < params.training`.
pub fn adapt(
    fmt: &RxFormat,
    x: &[i16],
    known: &dyn Fn(usize) -> Option<u8>,
    params: &AdaptParams,
) -> RxCoeffs {
    let n = fmt.ffe_taps;
    let m = fmt.dfe_taps;
    let amp = params.amplitude;
    let shift = fmt.ffe_shift();
    let (cmin, cmax) = (
        smin(fmt.ffe_coef_bits) << GUARD,
        smax(fmt.ffe_coef_bits) << GUARD,
    );
    let (bmin, bmax) = (
        smin(fmt.dfe_coef_bits) << GUARD,
        smax(fmt.dfe_coef_bits) << GUARD,
    );
    // AGC start: y_rms = A * sqrt(5/9)
    let warm = x.len().min(4096);
    let rms =
        (x[..warm].iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / warm.max(1) as f64).sqrt();
    let main_gain = if rms > 0.0 {
        amp * MEAN_SYMBOL_POWER.sqrt() / rms
    } else {
        1.0
    };
    let mut c_acc = vec![0i64; n];
    c_acc[fmt.ffe_main] = saturate(
        (main_gain * (1u64 << shift) as f64 * (1u64 << GUARD) as f64).round() as i64,
        fmt.ffe_coef_bits + GUARD,
    )
    .clamp(cmin, cmax);
    let mut b_acc = vec![0i64; m];
    let t = ((2.0 * amp / 3.0).round() as i64).max(1);
    let mut hist = [0u8; 4];
    let step = |v: i64| round_shift(v << GUARD, params.mu_shift);
    for i in 0..x.len() {
        // y with the current (rounded) coefficients
        let mut acc = 0i64;
        for k in 0..n.min(i + 1) {
            acc += round_shift(c_acc[k], GUARD) * x[i - k] as i64;
        }
        let y = saturate(round_shift(acc, shift), fmt.ffe_out_bits);
        let mut z = y;
        for j in 0..m {
            z -= round_shift(b_acc[j], GUARD) * (2 * hist[j] as i64 - 3);
        }
        let dec = ((z >= -t) as u8) + ((z >= 0) as u8) + ((z >= t) as u8);
        let a = if i < params.training {
            known(i).unwrap_or(dec)
        } else {
            dec
        };
        let target = ((2 * a as i64 - 3) as f64 * amp / 3.0).round() as i64;
        let e = z - target;
        match params.algo {
            AdaptAlgo::Lms => {
                for k in 0..n.min(i + 1) {
                    c_acc[k] = (c_acc[k] - step(e * x[i - k] as i64)).clamp(cmin, cmax);
                }
                for j in 0..m {
                    b_acc[j] = (b_acc[j] + step(e * (2 * hist[j] as i64 - 3))).clamp(bmin, bmax);
                }
            }
            AdaptAlgo::SignSign => {
                let se = e.signum();
                for k in 0..n.min(i + 1) {
                    c_acc[k] = (c_acc[k] - step(se * (x[i - k] as i64).signum())).clamp(cmin, cmax);
                }
                for j in 0..m {
                    b_acc[j] =
                        (b_acc[j] + step(se * (2 * hist[j] as i64 - 3).signum())).clamp(bmin, bmax);
                }
            }
        }
        hist = [a, hist[0], hist[1], hist[2]];
    }
    RxCoeffs {
        ffe: c_acc
            .iter()
            .map(|&c| saturate(round_shift(c, GUARD), fmt.ffe_coef_bits) as i32)
            .collect(),
        dfe: b_acc
            .iter()
            .map(|&b| saturate(round_shift(b, GUARD), fmt.dfe_coef_bits) as i32)
            .collect(),
        threshold: t.min(smax(fmt.ffe_out_bits)) as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::{preset, Pulse};

    #[test]
    fn zero_forcing_inverts_a_simple_channel() {
        let p = Pulse::from_taps(vec![1.0, 0.5], Some(0));
        let eq = design(&p, 12, 0, 0, 0.0).unwrap();
        // 1/(1+0.5D) = 1 - 0.5D + 0.25D^2 ...
        assert!((eq.ffe[0] - 1.0).abs() < 1e-3);
        assert!((eq.ffe[1] + 0.5).abs() < 1e-3);
        assert!((eq.ffe[2] - 0.25).abs() < 1e-3);
        for (i, &g) in eq.response.iter().enumerate().take(12) {
            let want = if i == 0 { 1.0 } else { 0.0 };
            assert!((g - want).abs() < 1e-3, "g[{i}] = {g}");
        }
    }

    #[test]
    fn dfe_takes_the_first_postcursors() {
        let p = Pulse::from_taps(vec![0.1, 1.0, 0.5, 0.2], Some(1));
        let eq = design(&p, 4, 1, 2, 0.0).unwrap();
        let d = eq.delay;
        assert!((eq.response[d] - 1.0).abs() < 1e-9);
        assert_eq!(eq.dfe, vec![eq.response[d + 1], eq.response[d + 2]]);
        // residual ISI outside the DFE span is small
        let isi: f64 = eq
            .response
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != d && !(d + 1..=d + 2).contains(&i))
            .map(|(_, g)| g.abs())
            .sum();
        assert!(isi < 0.05, "isi {isi}");
    }

    #[test]
    fn quantized_coefficients_fit_the_format() {
        let p = Pulse::from_preset(preset("lpo-host-16db").unwrap());
        let fmt = RxFormat::default();
        let eq = design(&p, fmt.ffe_taps, fmt.ffe_main, fmt.dfe_taps, 1e-3).unwrap();
        let fx = quantize(&eq, &fmt, 128.0).unwrap();
        fx.coeffs.validate(&fmt).unwrap();
        assert!(fx.amplitude > 20.0, "{}", fx.amplitude);
    }
}
