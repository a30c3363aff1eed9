//! The link emulator's arithmetic (`link.model = "emulator"`): the channel,
//! noise and ADC computed with the integers the on-chip emulator `rxdsp_emu`
//! computes, so that a run of this model and a run of the hardware give the
//! same samples, decisions and counters for the same configuration and seed.
//! See `docs/emulator.md`.
//!
//! # Arithmetic
//! Everything is in units of `2^-F` ADC codes (`F` = [`EmuPlan::frac`], as
//! large as the taps allow):
//!
//! * **channel**: `y[k] = sum_j H[j] a[k-j]` with `a = 2 L - 3` in
//!   `{-3, -1, 1, 3}` (`L` the level index sent) and integer taps
//!   `H[j] = round(h[j] g 2^F / 3)`, where `h` is the configuration's pulse
//!   response (levels at `+-1`, `+-1/3`) and `g` the ADC gain in codes per unit
//!   amplitude ([`crate::channel::Adc::gain`]); before the first symbol the line
//!   idles at level index 0, as in the reference model;
//! * **noise**: an integer `n` per sample from a [`NoiseTable`] (a discretized
//!   Gaussian of standard deviation `sigma g 2^F_n`, exact to the table's 64-bit
//!   thresholds; `F_n <= F` as large as lets the table reach 9 sigma), shifted
//!   left by `F - F_n`, fed by one xoshiro256++ generator per lane of the
//!   `P`-sample clock word: sample `k` draws from lane `k mod P`'s generator,
//!   seeded with [`lane_seed`];
//! * **ADC**: `code = clamp((y + (n << (F - F_n)) + h) >> F)` with `h = 2^F / 2` (round half
//!   up, as the reference ADC) into `adc.bits` signed bits.
//!
//! The transmitted symbols (pattern, FEC framing, interleave, Gray map,
//! precoder) are the reference model's, unchanged.
//!
//! # Error injector
//! With `link.inject_every = K > 0`, every symbol `n` (0-based from the
//! start of the stream) with `n mod K == K - 1` ([`injected`]) enters the
//! channel with its level index XOR 1 (the adjacent level: `-3 <-> -1`,
//! `+1 <-> +3`, one Gray bit). The batch's `levels` and `data` keep what the
//! transmitter sent: they are what the receiver is checked against, so on a
//! clean channel the receiver's errors are exactly the injected ones.

use crate::channel::Adc;
use crate::config::LinkPlan;
use crate::framing::TxSource;
use crate::link::{tx_source, Batch};
use crate::pam4::Mapper;
use crate::rng::{derive_seed, Xoshiro256pp};
use thiserror::Error;

/// Entries of the noise table (thresholds of `|n| >= 1 .. NOISE_TABLE_LEN`):
/// the largest noise magnitude the emulator can produce, in `2^-F` codes.
pub const NOISE_TABLE_LEN: usize = 1024;
/// Taps of the emulator's channel FIR (the lpo-host presets have up to 41).
pub const EMU_TAPS: usize = 48;
/// Width of a channel tap `H[j]`, signed.
pub const TAP_BITS: u32 = 18;
/// Largest fraction `F` (bits below the ADC code) of the channel taps.
pub const FRAC_MAX: u32 = 12;
/// Smallest number of standard deviations the noise table must cover.
pub const MIN_TAIL_SIGMAS: f64 = 9.0;
const LANE_STREAM: u64 = 0xE30_15E;
/// Width of the emulator's `inject_every` register.
pub const INJECT_BITS: u32 = 48;
/// The largest `link.inject_every`.
pub const MAX_INJECT_EVERY: u64 = (1 << INJECT_BITS) - 1;

/// Whether the error injector with period `every` (`link.inject_every`, 0 =
/// off) flips symbol `n`: `n mod every == every - 1`.
pub fn injected(n: u64, every: u64) -> bool {
    every != 0 && n % every == every - 1
}

/// Why a configuration cannot be emulated.
#[derive(Debug, Error, PartialEq)]
pub enum EmuError {
    /// The pulse response is longer than the emulator's FIR.
    #[error("the channel's pulse response has {taps} taps after quantization; the emulator's channel FIR has {max} (use a shorter channel)")]
    TooManyTaps {
        /// taps left after dropping trailing zero taps
        taps: usize,
        /// [`EMU_TAPS`]
        max: usize,
    },
    /// The noise is too large for the table at any fraction.
    #[error("noise sigma = {sigma_codes:.1} ADC codes is beyond the emulator's noise table ({max_codes:.1} codes at most, to cover {MIN_TAIL_SIGMAS} sigma with {NOISE_TABLE_LEN} entries): raise channel.snr_db or lower adc.bits")]
    NoiseTooLarge {
        /// the configuration's noise, in ADC codes
        sigma_codes: f64,
        /// the largest the table covers
        max_codes: f64,
    },
    /// A tap does not fit [`TAP_BITS`] even at fraction 0.
    #[error(
        "a channel tap of {codes:.0} ADC codes does not fit the emulator's {TAP_BITS}-bit taps"
    )]
    TapTooLarge {
        /// the tap in ADC codes
        codes: f64,
    },
    /// A sigma that is negative or not finite.
    #[error("invalid noise sigma {0}")]
    BadSigma(f64),
    /// A table longer than [`NOISE_TABLE_LEN`] or not decreasing.
    #[error("invalid noise table: {0}")]
    BadTable(String),
}

/// `2 Q(x)`, the two-sided Gaussian tail `P(|N(0,1)| >= x)`, to the accuracy
/// of `libm::erfc` (a few ulp, relative, down to 1e-300).
pub fn two_sided_tail(x: f64) -> f64 {
    libm::erfc(x / std::f64::consts::SQRT_2)
}

/// A discretized Gaussian noise source defined by 64-bit thresholds.
///
/// A draw takes one 64-bit word `r`: bit 0 is the sign, `u = r >> 1` (63 bits)
/// the magnitude's uniform. The magnitude is `m = #{ j >= 1 : u < S[j] }`
/// (the thresholds never increase, so this is a prefix length, found by a binary
/// search in hardware and software alike), and the noise is `-m` when the sign
/// bit is set, else `m`. Hence `P(|n| >= j) = S[j] / 2^63` and, for `j >= 1`,
/// `P(n >= j) = P(n <= -j) = S[j] / 2^64` exactly: the thresholds *are* the
/// distribution. [`NoiseTable::gaussian`] sets
/// `S[j] = round(2^63 * 2Q((j - 1/2) / sigma))`, the Gaussian's mass beyond
/// `j - 1/2`, so `n` is `N(0, sigma^2)` rounded to the nearest integer.
#[derive(Clone, Debug, PartialEq)]
pub struct NoiseTable {
    /// standard deviation in table units (before discretization)
    sigma: f64,
    /// `S[1..=len]`, non-increasing, non-zero
    thresholds: Vec<u64>,
}

impl NoiseTable {
    /// The table of `N(0, sigma^2)` rounded to integers: thresholds while they
    /// are non-zero. `sigma = 0` gives the empty table (no noise).
    pub fn gaussian(sigma: f64) -> Result<NoiseTable, EmuError> {
        if !(sigma.is_finite() && sigma >= 0.0) {
            return Err(EmuError::BadSigma(sigma));
        }
        let mut thresholds = Vec::new();
        if sigma > 0.0 {
            let full = 2f64.powi(63);
            for j in 1.. {
                let s = (full * two_sided_tail((j as f64 - 0.5) / sigma)).round();
                // S[1] can round to 2^63 when sigma is tiny: u < 2^63 always
                let s = s.min((u64::MAX >> 1) as f64 + 1.0) as u64;
                if s == 0 {
                    break;
                }
                thresholds.push(s);
                if thresholds.len() > NOISE_TABLE_LEN {
                    break;
                }
            }
        }
        let t = NoiseTable { sigma, thresholds };
        t.check()?;
        Ok(t)
    }

    /// A table from given thresholds (as the hardware's table is loaded).
    pub fn from_thresholds(sigma: f64, thresholds: Vec<u64>) -> Result<NoiseTable, EmuError> {
        let t = NoiseTable { sigma, thresholds };
        t.check()?;
        Ok(t)
    }

    fn check(&self) -> Result<(), EmuError> {
        if self.thresholds.len() > NOISE_TABLE_LEN {
            return Err(EmuError::BadTable(format!(
                "{} thresholds for {NOISE_TABLE_LEN} entries (sigma {:.1} units)",
                self.thresholds.len(),
                self.sigma
            )));
        }
        // equal neighbours are fine (deep in the tail a value can have
        // probability 0); an increase is not a distribution
        if let Some(w) = self.thresholds.windows(2).position(|w| w[1] > w[0]) {
            return Err(EmuError::BadTable(format!(
                "thresholds {} and {} increase",
                w + 1,
                w + 2
            )));
        }
        if self.thresholds.last() == Some(&0) || self.thresholds.first() > Some(&(1u64 << 63)) {
            return Err(EmuError::BadTable("thresholds must be in 1..=2^63".into()));
        }
        Ok(())
    }

    /// The standard deviation the table was made for.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// `S[1..]`: the non-zero thresholds.
    pub fn thresholds(&self) -> &[u64] {
        &self.thresholds
    }

    /// The table as the hardware holds it: [`NOISE_TABLE_LEN`] entries, the
    /// unused ones zero (never exceeded).
    pub fn padded(&self) -> Vec<u64> {
        let mut v = self.thresholds.clone();
        v.resize(NOISE_TABLE_LEN, 0);
        v
    }

    /// The noise value of one 64-bit random word.
    #[inline]
    pub fn sample(&self, r: u64) -> i32 {
        let u = r >> 1;
        let m = self.thresholds.partition_point(|&s| u < s) as i32;
        if r & 1 == 1 {
            -m
        } else {
            m
        }
    }

    /// [`NoiseTable::sample`] as a plain scan (the definition), for tests.
    pub fn sample_naive(&self, r: u64) -> i32 {
        let u = r >> 1;
        let m = self.thresholds.iter().filter(|&&s| u < s).count() as i32;
        if r & 1 == 1 {
            -m
        } else {
            m
        }
    }

    /// `P(n >= j)` exactly (for `j >= 1`: `S[j] / 2^64`; `j <= 0` by symmetry).
    pub fn upper_tail(&self, j: i64) -> f64 {
        let s = |j: usize| -> f64 {
            match j {
                0 => 2f64.powi(63),
                j => self.thresholds.get(j - 1).copied().unwrap_or(0) as f64,
            }
        };
        if j >= 1 {
            s(j as usize) / 2f64.powi(64)
        } else {
            // P(n >= j) = 1 - P(n <= j - 1) = 1 - P(n >= 1 - j)
            1.0 - s((1 - j) as usize) / 2f64.powi(64)
        }
    }

    /// The largest magnitude the table can produce, in standard deviations.
    pub fn reach_sigmas(&self) -> f64 {
        if self.sigma == 0.0 {
            0.0
        } else {
            self.thresholds.len() as f64 / self.sigma
        }
    }

    /// The accuracy table of `docs/emulator.md`: for `k = 1..=kmax`, the
    /// generator's `P(n >= j)` at the integer `j` whose half-point `j - 1/2`
    /// is nearest `k sigma`, computed exactly from the thresholds, against the
    /// Gaussian's `Q((j - 1/2) / sigma)`.
    pub fn accuracy(&self, kmax: u32) -> Vec<TailRow> {
        (1..=kmax)
            .map(|k| {
                let j = ((k as f64 * self.sigma) + 0.5).round().max(1.0) as i64;
                let x = (j as f64 - 0.5) / self.sigma;
                let generator = self.upper_tail(j);
                let gaussian = 0.5 * two_sided_tail(x);
                TailRow {
                    k,
                    j,
                    x,
                    generator,
                    gaussian,
                    rel_error: generator / gaussian - 1.0,
                }
            })
            .collect()
    }
}

/// One row of [`NoiseTable::accuracy`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TailRow {
    /// the nominal number of sigmas
    pub k: u32,
    /// the noise value (table units) whose tail is compared
    pub j: i64,
    /// `(j - 1/2) / sigma`, within `1/(2 sigma)` of `k`
    pub x: f64,
    /// `P(n >= j)` of the generator, exact
    pub generator: f64,
    /// `Q(x)`
    pub gaussian: f64,
    /// `generator / gaussian - 1`
    pub rel_error: f64,
}

/// The seed of lane `lane`'s noise generator for the run seed `seed`.
pub fn lane_seed(seed: u64, lane: usize) -> u64 {
    derive_seed(seed, LANE_STREAM, lane as u64)
}

/// A configuration turned into the emulator's integers.
#[derive(Clone, Debug, PartialEq)]
pub struct EmuPlan {
    /// `F`: fraction bits of the channel below the ADC code
    pub frac: u32,
    /// `F - F_n`: the noise table counts in `2^-F_n` codes and is shifted
    /// left by this much before it is added
    pub noise_shift: u32,
    /// `H[j]` in `2^-F` codes, as the reference pulse is ordered: `H[j]`
    /// multiplies the symbol sent `j` symbols before the newest,
    /// `y[k] = sum_j H[j] a[k - j]`
    pub taps: Vec<i32>,
    /// the noise of one sample
    pub noise: NoiseTable,
    /// lanes of the clock word (`rtl.parallel`): one noise generator each
    pub lanes: usize,
    /// the ADC width
    pub adc_bits: u32,
    /// `K` of the error injector (`link.inject_every`, 0 = off; [`injected`])
    pub inject_every: u64,
    /// the Reed-Solomon code the transmitter frames the pattern into (`tx.fec`)
    pub fec: Option<crate::fec::Code>,
    /// the 2-way codeword interleave (`tx.interleave`, with `fec` only)
    pub interleave: bool,
}

impl EmuPlan {
    /// The emulator's integers for `plan`: the largest channel fraction
    /// `F <= FRAC_MAX` whose taps fit [`TAP_BITS`], and the largest noise
    /// fraction `F_n <= F` whose table covers at least [`MIN_TAIL_SIGMAS`].
    pub fn new(plan: &LinkPlan) -> Result<EmuPlan, EmuError> {
        let mut e = Self::for_parts(&plan.pulse.taps, plan.sigma, &plan.adc, plan.parallel)?;
        e.inject_every = plan.inject_every;
        e.fec = crate::link::fec_code(plan.fec);
        e.interleave = e.fec.is_some() && plan.interleave;
        Ok(e)
    }

    /// [`EmuPlan::new`] from its parts: pulse taps, noise sigma (amplitude
    /// units), the ADC and the lane count; the injector and the FEC off.
    pub fn for_parts(
        pulse: &[f64],
        sigma: f64,
        adc: &Adc,
        lanes: usize,
    ) -> Result<EmuPlan, EmuError> {
        if !(sigma.is_finite() && sigma >= 0.0) {
            return Err(EmuError::BadSigma(sigma));
        }
        let g = adc.gain();
        let sigma_codes = sigma * g;
        let max_codes = NOISE_TABLE_LEN as f64 / (MIN_TAIL_SIGMAS + 0.5);
        if sigma_codes > max_codes {
            return Err(EmuError::NoiseTooLarge {
                sigma_codes,
                max_codes,
            });
        }
        let tap_max = ((1i64 << (TAP_BITS - 1)) - 1) as f64;
        let peak = pulse.iter().fold(0.0f64, |m, t| m.max(t.abs())) * g / 3.0;
        if peak.round() > tap_max {
            return Err(EmuError::TapTooLarge { codes: peak });
        }
        let fits = |f: u32| (peak * (1u64 << f) as f64).round() <= tap_max;
        let frac = (0..=FRAC_MAX).rev().find(|&f| fits(f)).unwrap_or(0);
        let covers = |f: u32| {
            sigma_codes * (1u64 << f) as f64 * (MIN_TAIL_SIGMAS + 0.5) <= NOISE_TABLE_LEN as f64
        };
        let noise_frac = (0..=frac).rev().find(|&f| covers(f)).unwrap_or(0);
        let scale = (1u64 << frac) as f64;
        let mut taps: Vec<i32> = pulse
            .iter()
            .map(|&h| (h * g * scale / 3.0).round() as i32)
            .collect();
        // trailing taps that quantize to zero cost nothing: drop them
        while taps.len() > 1 && taps.last() == Some(&0) {
            taps.pop();
        }
        if taps.len() > EMU_TAPS {
            return Err(EmuError::TooManyTaps {
                taps: taps.len(),
                max: EMU_TAPS,
            });
        }
        Ok(EmuPlan {
            frac,
            noise_shift: frac - noise_frac,
            taps,
            noise: NoiseTable::gaussian(sigma_codes * (1u64 << noise_frac) as f64)?,
            lanes: lanes.max(1),
            adc_bits: adc.bits,
            inject_every: 0,
            fec: None,
            interleave: false,
        })
    }

    /// The ADC code of a channel output plus noise, `y + n` in `2^-F` codes.
    #[inline]
    pub fn adc(&self, v: i64) -> i16 {
        let half = (1i64 << self.frac) >> 1;
        let lo = -(1i64 << (self.adc_bits - 1));
        let hi = (1i64 << (self.adc_bits - 1)) - 1;
        ((v + half) >> self.frac).clamp(lo, hi) as i16
    }
}

/// The emulator's sample stream: the reference transmitter, then the integer
/// channel, the table noise and the ADC, one batch after another.
pub struct EmuStream {
    emu: EmuPlan,
    source: TxSource,
    mapper: Mapper,
    /// one generator per lane
    lanes: Vec<Xoshiro256pp>,
    /// symbols produced so far (selects the lane of the next sample)
    index: u64,
    /// the last `taps - 1` amplitudes `a`, oldest first
    hist: Vec<i32>,
    /// scratch: history then this batch's amplitudes
    ext: Vec<i32>,
}

impl EmuStream {
    /// A stream from the first symbol of `plan`.
    pub fn new(plan: &LinkPlan) -> Result<EmuStream, EmuError> {
        let emu = EmuPlan::new(plan)?;
        let lanes = (0..emu.lanes)
            .map(|l| Xoshiro256pp::new(lane_seed(plan.seed, l)))
            .collect();
        let l = emu.taps.len();
        Ok(EmuStream {
            source: tx_source(plan),
            mapper: Mapper::new(plan.format.precode),
            lanes,
            index: 0,
            // the line idles at level index 0: a = -3
            hist: vec![-3; l - 1],
            ext: Vec::new(),
            emu,
        })
    }

    /// The integers in use.
    pub fn plan(&self) -> &EmuPlan {
        &self.emu
    }

    /// The injector on this batch's amplitudes `a` (symbol `index` first):
    /// the flipped level index `L ^ 1` is the amplitude `a + 2` for an even
    /// `L` (`a` = -3 or 1) and `a - 2` for an odd one.
    fn inject(&self, a: &mut [i32]) {
        let k = self.emu.inject_every;
        if k == 0 {
            return;
        }
        // the first injected index at or after `index`
        let first = self.index + (k - 1 - self.index % k);
        let mut n = first;
        while n < self.index + a.len() as u64 {
            let v = &mut a[(n - self.index) as usize];
            *v += if *v == -3 || *v == 1 { 2 } else { -2 };
            n += k;
        }
    }

    /// Produces the next `n` symbols.
    pub fn next_batch(&mut self, n: usize, b: &mut Batch) {
        b.transmit(n, &mut self.source, &mut self.mapper);
        let taps = &self.emu.taps;
        let l = taps.len();
        let mut ext = std::mem::take(&mut self.ext);
        ext.clear();
        ext.extend_from_slice(&self.hist);
        ext.extend(b.levels.iter().map(|&v| 2 * (v & 3) as i32 - 3));
        self.inject(&mut ext[l - 1..]);
        b.samples.resize(n, 0);
        let p = self.lanes.len() as u64;
        let mut lane = (self.index % p) as usize;
        for (k, out) in b.samples.iter_mut().enumerate() {
            // H[0] on the newest symbol, H[j] on the one j symbols earlier
            let w = &ext[k..k + l];
            let y: i64 = taps
                .iter()
                .zip(w.iter().rev())
                .map(|(&h, &a)| (h * a) as i64)
                .sum();
            let r = self.lanes[lane].next_u64();
            let v = y + ((self.emu.noise.sample(r) as i64) << self.emu.noise_shift);
            *out = self.emu.adc(v);
            lane += 1;
            if lane == self.lanes.len() {
                lane = 0;
            }
        }
        self.index += n as u64;
        self.hist.clear();
        self.hist.extend_from_slice(&ext[ext.len() - (l - 1)..]);
        self.ext = ext;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_defines_the_distribution() {
        let t = NoiseTable::gaussian(3.0).unwrap();
        // exactly the tail beyond j - 1/2
        for j in 1..=t.thresholds().len() as i64 {
            let want = 0.5 * two_sided_tail((j as f64 - 0.5) / 3.0);
            let got = t.upper_tail(j);
            assert!(
                (got / want - 1.0).abs() < 1e-6 || (got - want).abs() < 2.0 / 2f64.powi(64),
                "j {j}: {got} vs {want}"
            );
        }
        // symmetric, and the naive scan agrees with the binary search
        let mut r = Xoshiro256pp::new(5);
        for _ in 0..100_000 {
            let x = r.next_u64();
            assert_eq!(t.sample(x), t.sample_naive(x));
            assert_eq!(t.sample(x & !1), -t.sample(x | 1));
        }
        // the extremes of u
        assert_eq!(t.sample(0), t.thresholds().len() as i32);
        assert_eq!(t.sample(u64::MAX), 0);
        assert_eq!(NoiseTable::gaussian(0.0).unwrap().sample(0), 0);
    }

    #[test]
    fn bad_tables_are_refused() {
        assert!(NoiseTable::gaussian(-1.0).is_err());
        assert!(NoiseTable::gaussian(f64::NAN).is_err());
        assert!(NoiseTable::gaussian(200.0).is_err());
        assert!(NoiseTable::from_thresholds(1.0, vec![5, 6]).is_err());
        assert!(NoiseTable::from_thresholds(1.0, vec![5, 5, 1]).is_ok());
        assert!(NoiseTable::from_thresholds(1.0, vec![5, 0]).is_err());
        assert!(NoiseTable::from_thresholds(1.0, vec![(1 << 63) + 1]).is_err());
        assert!(NoiseTable::from_thresholds(1.0, vec![9, 4, 1]).is_ok());
    }

    #[test]
    fn adc_rounds_half_up_and_saturates() {
        let e = EmuPlan::for_parts(
            &[1.0],
            0.0,
            &Adc {
                bits: 8,
                full_scale: 1.0,
            },
            4,
        )
        .unwrap();
        // 128 / 3 codes * 2^12 does not fit 18 bits, * 2^11 does
        assert_eq!(e.frac, 11);
        let f = 1i64 << e.frac;
        assert_eq!(e.adc(0), 0);
        assert_eq!(e.adc(f / 2), 1);
        assert_eq!(e.adc(f / 2 - 1), 0);
        assert_eq!(e.adc(-f / 2), 0);
        assert_eq!(e.adc(-f / 2 - 1), -1);
        assert_eq!(e.adc(1000 * f), 127);
        assert_eq!(e.adc(-1000 * f), -128);
        // the main tap: 128 codes per unit amplitude / 3 per level step
        assert_eq!(e.taps, vec![(128.0 * f as f64 / 3.0).round() as i32]);
    }
}
