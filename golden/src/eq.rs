//! The bit-exact receive equalizer: FFE, DFE and slicer under [`RxFormat`].
//!
//! Two engines compute the same function (see [`Engine`]): a naive reference
//! that follows the contract line by line in `i64`, and a fast one that runs
//! the FFE in blocks of `i32` lanes (vectorised with AVX2 when the CPU has it,
//! selected at run time) and a DFE loop specialised for the tap count.
//! Tests assert that the two agree on every output.

use crate::numeric::{round_shift, saturate, FormatError, RxCoeffs, RxFormat};
use crate::pam4::Demapper;
use thiserror::Error;

/// Errors from the equalizer.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EqError {
    /// The format or the coefficients are illegal.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// An input sample does not fit the ADC width.
    #[error("sample {index} = {value} does not fit in adc.bits = {bits} signed bits")]
    SampleRange {
        /// sample index in the stream
        index: u64,
        /// its value
        value: i64,
        /// the ADC width
        bits: u32,
    },
}

/// Which implementation computes the equalizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Engine {
    /// The reference: one sample at a time, `i64` arithmetic, as the contract reads.
    Naive,
    /// Block FFE in `i32` lanes (AVX2 when present) and a specialised DFE loop.
    #[default]
    Fast,
}

/// Checks that every sample fits in `bits` signed bits.
pub fn check_samples(x: &[i16], bits: u32, first_index: u64) -> Result<(), EqError> {
    let lo = crate::numeric::smin(bits);
    let hi = crate::numeric::smax(bits);
    for (i, &v) in x.iter().enumerate() {
        if (v as i64) < lo || (v as i64) > hi {
            return Err(EqError::SampleRange {
                index: first_index + i as u64,
                value: v as i64,
                bits,
            });
        }
    }
    Ok(())
}

/// Block length of the fast FFE.
const BLOCK: usize = 1024;

/// The FFE alone: a causal FIR with rounding and saturation, stateful across calls.
#[derive(Clone, Debug)]
pub struct Ffe {
    coef: Vec<i32>,
    shift: u32,
    out_bits: u32,
    engine: Engine,
    /// the last N-1 input samples, oldest first
    hist: Vec<i32>,
    /// scratch for the fast path: history then the block, widened
    xbuf: Vec<i32>,
}

impl Ffe {
    /// An FFE with `coeffs.ffe` under `fmt`.
    pub fn new(fmt: &RxFormat, coeffs: &RxCoeffs, engine: Engine) -> Result<Self, EqError> {
        fmt.validate()?;
        coeffs.validate(fmt)?;
        // the i32 block path needs an accumulator of at most 32 bits
        let engine = if fmt.ffe_acc_bits() > 32 {
            Engine::Naive
        } else {
            engine
        };
        Ok(Ffe {
            coef: coeffs.ffe.clone(),
            shift: fmt.ffe_shift(),
            out_bits: fmt.ffe_out_bits,
            engine,
            hist: vec![0; fmt.ffe_taps - 1],
            xbuf: Vec::new(),
        })
    }

    /// Filters `x` into `y` (same length), continuing from the previous call.
    pub fn process(&mut self, x: &[i16], y: &mut [i32]) {
        assert_eq!(x.len(), y.len());
        match self.engine {
            Engine::Naive => self.process_naive(x, y),
            Engine::Fast => {
                for (xc, yc) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
                    self.process_block(xc, yc);
                }
            }
        }
    }

    fn process_naive(&mut self, x: &[i16], y: &mut [i32]) {
        let n = self.coef.len();
        for (i, &xi) in x.iter().enumerate() {
            // hist holds x[i-N+1..i] oldest first; append x[i]
            let mut acc: i64 = self.coef[0] as i64 * xi as i64;
            for k in 1..n {
                acc += self.coef[k] as i64 * self.hist[n - 1 - k] as i64;
            }
            y[i] = saturate(round_shift(acc, self.shift), self.out_bits) as i32;
            if n > 1 {
                self.hist.remove(0);
                self.hist.push(xi as i32);
            }
        }
    }

    fn process_block(&mut self, x: &[i16], y: &mut [i32]) {
        let n = self.coef.len();
        let b = x.len();
        self.xbuf.clear();
        self.xbuf.extend_from_slice(&self.hist);
        self.xbuf.extend(x.iter().map(|&v| v as i32));
        let lo = crate::numeric::smin(self.out_bits) as i32;
        let hi = crate::numeric::smax(self.out_bits) as i32;
        fir_block(&self.coef, &self.xbuf, y, self.shift, lo, hi);
        let _ = b;
        if n > 1 {
            let tail = self.xbuf.len() - (n - 1);
            self.hist.copy_from_slice(&self.xbuf[tail..]);
        }
    }
}

/// `y[i] = sat(round(sum_k coef[k] * xp[i + N - 1 - k]))` where `xp` carries
/// N-1 history samples first. The accumulator must fit in 31 bits.
#[inline]
fn fir_block(coef: &[i32], xp: &[i32], y: &mut [i32], shift: u32, lo: i32, hi: i32) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            unsafe { fir_block_avx2(coef, xp, y, shift, lo, hi) };
            return;
        }
    }
    fir_block_portable(coef, xp, y, shift, lo, hi);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn fir_block_avx2(coef: &[i32], xp: &[i32], y: &mut [i32], shift: u32, lo: i32, hi: i32) {
    fir_block_portable(coef, xp, y, shift, lo, hi)
}

/// Outputs computed together, their accumulators held in registers.
const LANES: usize = 16;

#[inline(always)]
fn fir_block_portable(coef: &[i32], xp: &[i32], y: &mut [i32], shift: u32, lo: i32, hi: i32) {
    let n = coef.len();
    let b = y.len();
    let half = if shift == 0 { 0 } else { 1i32 << (shift - 1) };
    let mut i = 0;
    while i + LANES <= b {
        let mut a = [0i32; LANES];
        for (k, &c) in coef.iter().enumerate() {
            let xs: &[i32; LANES] = xp[n - 1 - k + i..n - 1 - k + i + LANES].try_into().unwrap();
            for l in 0..LANES {
                a[l] = a[l].wrapping_add(c.wrapping_mul(xs[l]));
            }
        }
        let out: &mut [i32; LANES] = (&mut y[i..i + LANES]).try_into().unwrap();
        for l in 0..LANES {
            out[l] = (a[l].wrapping_add(half) >> shift).clamp(lo, hi);
        }
        i += LANES;
    }
    for (j, o) in y.iter_mut().enumerate().skip(i) {
        let mut a = 0i32;
        for (k, &c) in coef.iter().enumerate() {
            a = a.wrapping_add(c.wrapping_mul(xp[n - 1 - k + j]));
        }
        *o = (a.wrapping_add(half) >> shift).clamp(lo, hi);
    }
}

/// The DFE and slicer: turns FFE outputs into level indices, stateful.
#[derive(Clone, Debug)]
pub struct Dfe {
    b: Vec<i32>,
    threshold: i32,
    /// last decisions, most recent first (level indices)
    hist: [u8; 4],
    engine: Engine,
}

#[inline(always)]
fn slice(z: i32, t: i32) -> u8 {
    (z >= -t) as u8 + (z >= 0) as u8 + (z >= t) as u8
}

#[inline(always)]
fn lv(a: u8) -> i32 {
    2 * a as i32 - 3
}

impl Dfe {
    /// A DFE with `coeffs.dfe` and `coeffs.threshold` under `fmt`.
    pub fn new(fmt: &RxFormat, coeffs: &RxCoeffs, engine: Engine) -> Result<Self, EqError> {
        fmt.validate()?;
        coeffs.validate(fmt)?;
        Ok(Dfe {
            b: coeffs.dfe.clone(),
            threshold: coeffs.threshold,
            hist: [0; 4],
            engine,
        })
    }

    /// Decides `y` into level indices `a` (same length).
    pub fn process(&mut self, y: &[i32], a: &mut [u8]) {
        assert_eq!(y.len(), a.len());
        let t = self.threshold;
        match (self.engine, self.b.len()) {
            (Engine::Naive, _) => {
                for (o, &yv) in a.iter_mut().zip(y) {
                    let mut z = yv as i64;
                    for (j, &bj) in self.b.iter().enumerate() {
                        z -= bj as i64 * lv(self.hist[j]) as i64;
                    }
                    let d = slice(z as i32, t);
                    self.hist.copy_within(0..3, 1);
                    self.hist[0] = d;
                    *o = d;
                }
            }
            (Engine::Fast, 0) => {
                for (o, &yv) in a.iter_mut().zip(y) {
                    *o = slice(yv, t);
                }
                if let Some(&last) = a.last() {
                    self.hist.copy_within(0..3, 1);
                    self.hist[0] = last;
                }
            }
            (Engine::Fast, 1) => {
                self.hist[0] = dfe1(self.b[0], t, self.hist[0], y, a);
            }
            (Engine::Fast, m) => {
                let mut h = self.hist;
                let b = self.b.clone();
                for (o, &yv) in a.iter_mut().zip(y) {
                    let mut z = yv;
                    for j in 0..m {
                        z -= b[j] * lv(h[j]);
                    }
                    let d = slice(z, t);
                    h = [d, h[0], h[1], h[2]];
                    *o = d;
                }
                self.hist = h;
            }
        }
    }
}

/// The one-tap DFE over a block; returns the last decision.
///
/// Loop-unrolled first tap, as the RTL does it: for every sample the four decisions, one
/// per possible previous decision, are computed independently (this vectorizes: with AVX2
/// where the CPU has it); the serial chain is then a 2-bit select per sample.
fn dfe1(b1: i32, t: i32, prev: u8, y: &[i32], a: &mut [u8]) -> u8 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is present (checked just above).
            return unsafe { dfe1_avx2(b1, t, prev, y, a) };
        }
    }
    dfe1_portable(b1, t, prev, y, a)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dfe1_avx2(b1: i32, t: i32, prev: u8, y: &[i32], a: &mut [u8]) -> u8 {
    dfe1_portable(b1, t, prev, y, a)
}

#[inline(always)]
fn dfe1_portable(b1: i32, t: i32, mut prev: u8, y: &[i32], a: &mut [u8]) -> u8 {
    let fb = [-3 * b1, -b1, b1, 3 * b1];
    for (ys, os) in y.chunks(BLOCK).zip(a.chunks_mut(BLOCK)) {
        for (o, &yv) in os.iter_mut().zip(ys) {
            *o = slice(yv - fb[0], t)
                | (slice(yv - fb[1], t) << 2)
                | (slice(yv - fb[2], t) << 4)
                | (slice(yv - fb[3], t) << 6);
        }
        prev = resolve_chain(os, prev);
    }
    prev
}

/// Resolves a block of one-tap DFE candidate bytes (bits 2p+1..2p: the decision if the
/// previous one was p) into decisions, in place; returns the last. The definition.
fn resolve_chain_serial(os: &mut [u8], mut prev: u8) -> u8 {
    for o in os.iter_mut() {
        prev = (*o >> (2 * prev)) & 3;
        *o = prev;
    }
    prev
}

/// [`resolve_chain_serial`] as four chains at once.
///
/// A candidate byte whose four fields are equal is a decision that does not depend on
/// the previous one: the chain restarts there. The block is cut in four; each quarter
/// but the first runs from its first such byte (its anchor), the four in one loop so the
/// CPU overlaps their dependency chains (one chain step is a 3-cycle latency, 2 of them
/// per symbol with nothing else to do); then the few bytes before each anchor are
/// resolved from the decision before them. Same decisions, bit for bit (tested).
fn resolve_chain(os: &mut [u8], prev: u8) -> u8 {
    const LANES: usize = 4;
    let n = os.len();
    if n < 16 * LANES {
        return resolve_chain_serial(os, prev);
    }
    let q = n / LANES;
    let bounds = [0, q, 2 * q, 3 * q, n];
    let fixed = |o: u8| o == (o & 3) * 0x55;
    let mut start = [0usize; LANES];
    for k in 1..LANES {
        match (bounds[k]..bounds[k + 1]).find(|&j| fixed(os[j])) {
            Some(j) => start[k] = j,
            None => return resolve_chain_serial(os, prev),
        }
    }
    let mut p = [prev, 0, 0, 0];
    let common = (0..LANES)
        .map(|k| bounds[k + 1] - start[k])
        .min()
        .unwrap_or(0);
    {
        // the four runs as disjoint slices of one length: no bounds checks in the loop
        let (q0, rest) = os.split_at_mut(bounds[1]);
        let (q1, rest) = rest.split_at_mut(bounds[2] - bounds[1]);
        let (q2, q3) = rest.split_at_mut(bounds[3] - bounds[2]);
        let l0 = &mut q0[..common];
        let l1 = &mut q1[start[1] - bounds[1]..][..common];
        let l2 = &mut q2[start[2] - bounds[2]..][..common];
        let l3 = &mut q3[start[3] - bounds[3]..][..common];
        for t in 0..common {
            p[0] = (l0[t] >> (2 * p[0])) & 3;
            l0[t] = p[0];
            p[1] = (l1[t] >> (2 * p[1])) & 3;
            l1[t] = p[1];
            p[2] = (l2[t] >> (2 * p[2])) & 3;
            l2[t] = p[2];
            p[3] = (l3[t] >> (2 * p[3])) & 3;
            l3[t] = p[3];
        }
    }
    for k in 0..LANES {
        resolve_chain_serial(&mut os[start[k] + common..bounds[k + 1]], p[k]);
    }
    for k in 1..LANES {
        let before = os[bounds[k] - 1];
        resolve_chain_serial(&mut os[bounds[k]..start[k]], before);
    }
    os[n - 1]
}

/// FFE, DFE, slicer and demapper together: samples in, level indices and
/// 2-bit data symbols out.
#[derive(Clone, Debug)]
pub struct Equalizer {
    fmt: RxFormat,
    ffe: Ffe,
    dfe: Dfe,
    demap: Demapper,
    y: Vec<i32>,
}

/// Outputs of [`Equalizer::process`] for one block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EqOutput {
    /// FFE outputs.
    pub y: Vec<i32>,
    /// Slicer decisions (level indices 0..4).
    pub levels: Vec<u8>,
    /// Decoded 2-bit data symbols (b1 first on the wire).
    pub data: Vec<u8>,
}

impl Equalizer {
    /// Builds an equalizer, checking `fmt` and `coeffs`.
    pub fn new(fmt: &RxFormat, coeffs: &RxCoeffs, engine: Engine) -> Result<Self, EqError> {
        Ok(Equalizer {
            fmt: fmt.clone(),
            ffe: Ffe::new(fmt, coeffs, engine)?,
            dfe: Dfe::new(fmt, coeffs, engine)?,
            demap: Demapper::new(fmt.precode),
            y: Vec::new(),
        })
    }

    /// The numeric format.
    pub fn format(&self) -> &RxFormat {
        &self.fmt
    }

    /// Sets the state as if the equalizer had just taken the samples ending
    /// in `x_hist` (at least N-1 of them, the newest last) and decided
    /// `decisions` (level indices, the newest first): what the receiver of a
    /// run resumed in the middle needs.
    pub fn set_state(&mut self, x_hist: &[i16], decisions: [u8; 4]) {
        let n = self.ffe.hist.len();
        assert!(x_hist.len() >= n, "need {n} samples of history");
        for (h, &x) in self.ffe.hist.iter_mut().zip(&x_hist[x_hist.len() - n..]) {
            *h = x as i32;
        }
        self.dfe.hist = decisions;
        self.demap = Demapper::with_prev(self.fmt.precode, decisions[0]);
    }

    /// Equalizes `x`, writing level indices into `levels` and data symbols
    /// into `data` (both `x.len()` long). Samples must fit `adc_bits`.
    pub fn process(&mut self, x: &[i16], levels: &mut [u8], data: &mut [u8]) {
        self.y.resize(x.len(), 0);
        let mut y = std::mem::take(&mut self.y);
        self.ffe.process(x, &mut y);
        self.dfe.process(&y, levels);
        data.copy_from_slice(levels);
        self.demap.demap(data);
        self.y = y;
    }

    /// Like [`Equalizer::process`], returning every intermediate output.
    pub fn process_all(&mut self, x: &[i16]) -> EqOutput {
        let mut out = EqOutput {
            y: vec![0; x.len()],
            levels: vec![0; x.len()],
            data: vec![0; x.len()],
        };
        self.ffe.process(x, &mut out.y);
        self.dfe.process(&out.y, &mut out.levels);
        for (d, &a) in out.data.iter_mut().zip(out.levels.iter()) {
            *d = self.demap.demap_one(a);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::{smax, smin};
    use crate::rng::Xoshiro256pp;
    use proptest::prelude::*;

    fn random_case(seed: u64, fmt: &RxFormat, len: usize) -> (RxCoeffs, Vec<i16>) {
        let mut r = Xoshiro256pp::new(seed);
        let mut pick = |bits: u32| {
            let span = (smax(bits) - smin(bits) + 1) as u64;
            (smin(bits) + (r.next_u64() % span) as i64) as i32
        };
        let ffe = (0..fmt.ffe_taps).map(|_| pick(fmt.ffe_coef_bits)).collect();
        let dfe = (0..fmt.dfe_taps).map(|_| pick(fmt.dfe_coef_bits)).collect();
        let t = pick(fmt.ffe_out_bits).unsigned_abs().max(1) as i32;
        let x = (0..len).map(|_| pick(fmt.adc_bits) as i16).collect();
        (
            RxCoeffs {
                ffe,
                dfe,
                threshold: t.min(smax(fmt.ffe_out_bits) as i32),
            },
            x,
        )
    }

    fn arb_format() -> impl Strategy<Value = RxFormat> {
        (
            4u32..=12,
            1usize..=24,
            2u32..=12,
            0u32..=10,
            4u32..=14,
            0usize..=4,
            2u32..=10,
            any::<bool>(),
        )
            .prop_map(|(adc, n, cb, cf, ob, m, db, pre)| RxFormat {
                adc_bits: adc,
                ffe_taps: n,
                ffe_main: n / 3,
                ffe_coef_bits: cb,
                ffe_coef_frac: cf.min(cb + 7),
                ffe_out_bits: ob,
                ffe_out_frac: cf.min(2),
                dfe_taps: m,
                dfe_coef_bits: db,
                precode: pre,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn fast_engine_equals_naive(fmt in arb_format(), seed: u64, len in 1usize..3000, split in 0usize..3000) {
            let (c, x) = random_case(seed, &fmt, len);
            let mut a = Equalizer::new(&fmt, &c, Engine::Naive).unwrap();
            let mut b = Equalizer::new(&fmt, &c, Engine::Fast).unwrap();
            let oa = a.process_all(&x);
            let cut = split.min(len);
            let mut ob1 = b.process_all(&x[..cut]);
            let ob2 = b.process_all(&x[cut..]);
            ob1.y.extend(ob2.y);
            ob1.levels.extend(ob2.levels);
            ob1.data.extend(ob2.data);
            prop_assert_eq!(oa, ob1);
        }
    }

    /// The reference against an independent restatement of the contract.
    /// The four-chain resolver decides as the serial one, for candidate bytes from always
    /// fixed to never fixed (the serial fallback) and any block length.
    #[test]
    fn four_chain_resolver_equals_serial() {
        let mut r = crate::rng::Xoshiro256pp::new(3);
        for fixed_per_256 in [0u64, 1, 8, 64, 200, 256] {
            for n in [0usize, 1, 63, 64, 65, 100, 1000, 1024] {
                let os: Vec<u8> = (0..n)
                    .map(|_| {
                        let w = r.next_u64();
                        if (w >> 32) % 256 < fixed_per_256 {
                            (w & 3) as u8 * 0x55
                        } else {
                            (w >> 8) as u8
                        }
                    })
                    .collect();
                for prev in 0..4u8 {
                    let (mut a, mut b) = (os.clone(), os.clone());
                    let la = resolve_chain(&mut a, prev);
                    let lb = resolve_chain_serial(&mut b, prev);
                    assert_eq!(
                        (a, la),
                        (b, lb),
                        "fixed {fixed_per_256}/256, n {n}, prev {prev}"
                    );
                }
            }
        }
    }

    #[test]
    fn naive_matches_contract_by_hand() {
        let fmt = RxFormat {
            adc_bits: 8,
            ffe_taps: 3,
            ffe_main: 1,
            ffe_coef_bits: 8,
            ffe_coef_frac: 2,
            ffe_out_bits: 6,
            ffe_out_frac: 0,
            dfe_taps: 1,
            dfe_coef_bits: 6,
            precode: false,
        };
        let c = RxCoeffs {
            ffe: vec![-1, 4, 2],
            dfe: vec![3],
            threshold: 10,
        };
        let x = [10i16, -20, 100, 127, -128, 0];
        let mut e = Equalizer::new(&fmt, &c, Engine::Naive).unwrap();
        let o = e.process_all(&x);
        // acc[n] = -x[n] + 4x[n-1] + 2x[n-2]; y = sat6(round(acc/4))
        // n0: -10 -> -2.5 -> -2; n1: 20+40=60 -> 15; n2: -100-80+20=-160 -> -40 -> -32 (sat);
        // n3: -127+400-40=233 -> 58.25 -> 31 (sat); n4: 128+508+200=836 -> 31; n5: 0-512+254=-258 -> -64.5 -> -64 -> -32
        assert_eq!(o.y, vec![-2, 15, -32, 31, 31, -32]);
        // z = y - 3*L(prev), prev starts at level 0 (L=-3)
        // n0: -2+9=7 -> a=2 (0<=7<10); n1: 15-3*1=12 -> 3; n2: -32-9=-41 -> 0; n3: 31+9=40 -> 3;
        // n4: 31-9=22 -> 3; n5: -32-9=-41 -> 0
        assert_eq!(o.levels, vec![2, 3, 0, 3, 3, 0]);
        assert_eq!(o.data, vec![3, 2, 0, 2, 2, 0]);
    }

    #[test]
    fn sample_range_is_checked() {
        assert!(check_samples(&[127, -128], 8, 0).is_ok());
        assert_eq!(
            check_samples(&[0, 128], 8, 10).unwrap_err().to_string(),
            "sample 11 = 128 does not fit in adc.bits = 8 signed bits"
        );
    }
}
