//! Block-parallel sign-sign LMS, defined for hardware (`adapt.in_rtl`).
//!
//! The receiver takes P samples per clock word. This module is the golden
//! model of an adaptation engine that sits beside the FFE and DFE and updates
//! them once per word, in integers only, so the RTL engine can compute the
//! very same numbers. docs/adaptation.md gives the equations; in short, for
//! each sample n of a word, with FFE output y_n, DFE/slicer input
//! z_n = y_n - sum_j b_j lv(d_{n-1-j}), decision d_n and target level a_n
//! (the known transmitted level while training, else d_n):
//!
//! ```text
//! s_n   = sgn(2 z_n - lv(a_n) t)                    slicer error sign (e = z - lv(a) t / 2)
//! G_k  += s_n sgn(x_{n-k})          k != main       FFE gradient signs
//! H_j  += s_n lv(d_{n-1-j})                         DFE gradient (decisions are exact: +-1, +-3)
//! T    += s_n sgn(lv(a_n))                          level (threshold) gradient sign
//! ```
//!
//! where sgn(v) = +1 for v >= 0 and -1 otherwise (one bit in hardware: the
//! sign bit) and lv(a) = 2a - 3. The DFE's data are decisions, known
//! exactly as +-1 or +-3, so its update uses their value (a shift and an add
//! in hardware); with their sign only, the DFE tap stays small and the FFE
//! takes over the first post-cursor, enhancing noise. With `adapt.block = "sum"` every lane of the
//! word contributes; with `"round-robin"` only lane w mod P of word w does.
//! The word's update (G, H, T) is applied after word w + D (the delayed LMS
//! delay D = `adapt.delay`), so it first acts on word w + D + 1:
//!
//! ```text
//! A_k -= G_k,   A_j += H_j,   A_t += T                (then leakage, if on)
//! c_k = clamp(A_k >> mu),  b_j = clamp(A_j >> mu),  t = clamp(A_t >> mu, 1, t_max)
//! ```
//!
//! The accumulators A carry `mu` = `adapt.mu_shift` fraction bits below the
//! coefficient's LSB (the step is 2^-mu LSB per counted sign) and saturate at
//! the coefficient range, so they never wind up. Leakage (`adapt.leak_shift`
//! = L > 0) subtracts A >> L from every adapted FFE/DFE accumulator at each
//! applied update. The main FFE tap is never adapted: the threshold (the data
//! level) adapts instead, so the solution has no null space.

use crate::eq::EqError;
use crate::numeric::{round_shift, saturate, smax, smin, RxCoeffs, RxFormat};
use crate::pam4::Demapper;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

/// How the lanes of a word feed one update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockRule {
    /// the sign products of all P lanes are summed
    #[default]
    Sum,
    /// only lane (word index mod P) contributes
    RoundRobin,
}

impl BlockRule {
    /// The config spelling.
    pub fn name(self) -> &'static str {
        match self {
            BlockRule::Sum => "sum",
            BlockRule::RoundRobin => "round-robin",
        }
    }
}

impl fmt::Display for BlockRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BlockRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sum" => Ok(BlockRule::Sum),
            "round-robin" => Ok(BlockRule::RoundRobin),
            _ => Err(format!(
                "unknown adapt.block {s:?} (expected \"sum\" or \"round-robin\")"
            )),
        }
    }
}

/// What the engine does with one word (the RTL's mode register).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// no update is computed (pending updates still drain)
    Off,
    /// the error is taken against the known transmitted level where one is given
    Train,
    /// the error is taken against the decision
    DecisionDirected,
}

/// What the engine does with one word: its mode and its step gain (the
/// sideband every input word carries in the RTL: `s_axis_tmode`,
/// `s_axis_tstep`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WordCtl {
    /// the mode of the word
    pub mode: Mode,
    /// the step gain as a left shift: the word's update counts 2^step times
    /// (2^(step - mu_shift) coefficient LSB per counted sign). Values above
    /// `mu_shift` act as `mu_shift` (a step of one LSB is the largest).
    pub step: u32,
}

impl From<Mode> for WordCtl {
    /// The mode at the finest step (`step = 0`).
    fn from(mode: Mode) -> Self {
        WordCtl { mode, step: 0 }
    }
}

/// Parameters of the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HwAdaptParams {
    /// samples per clock word (`rtl.parallel`)
    pub parallel: usize,
    /// accumulator fraction bits: the step is 2^-mu_shift coefficient LSB
    pub mu_shift: u32,
    /// words between computing an update and applying it (D)
    pub delay: usize,
    /// leakage shift L (0 = no leakage)
    pub leak_shift: u32,
    /// lane rule
    pub block: BlockRule,
}

/// Largest `adapt.delay` (words).
pub const MAX_DELAY: usize = 64;
/// Largest `adapt.mu_shift` for the hardware engine (the accumulator width
/// stays within 48 bits for every legal coefficient width).
pub const MAX_MU_SHIFT: u32 = 24;
/// Largest `adapt.leak_shift`.
pub const MAX_LEAK_SHIFT: u32 = 24;

/// Errors of the engine's parameters.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdaptError {
    /// a parameter outside its range
    #[error("{what} = {value} is out of range ({range})")]
    Range {
        /// the key
        what: &'static str,
        /// the value given
        value: String,
        /// the legal range
        range: String,
    },
    /// the format or the coefficients are illegal
    #[error(transparent)]
    Eq(#[from] EqError),
}

/// One word's update: the summed sign products.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Update {
    g: Vec<i64>,
    h: Vec<i64>,
    t: i64,
}

impl Update {
    fn zero(n: usize, m: usize) -> Self {
        Update {
            g: vec![0; n],
            h: vec![0; m],
            t: 0,
        }
    }
}

/// A saturating accumulator with `mu` fraction bits below a coefficient range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Acc {
    value: i64,
    lo: i64,
    hi: i64,
}

impl Acc {
    fn new(coef: i64, cmin: i64, cmax: i64, mu: u32) -> Acc {
        Acc {
            value: coef << mu,
            lo: cmin << mu,
            hi: (cmax << mu) | ((1i64 << mu) - 1),
        }
    }
    fn add(&mut self, d: i64) {
        self.value = (self.value + d).clamp(self.lo, self.hi);
    }
    fn coef(&self, mu: u32) -> i32 {
        (self.value >> mu) as i32
    }
}

/// The golden model of the adaptive receiver: FFE, DFE, slicer, demapper
/// and the block sign-sign LMS engine, stateful across calls.
#[derive(Clone, Debug)]
pub struct HwAdapter {
    fmt: RxFormat,
    params: HwAdaptParams,
    /// coefficients in effect for the current word
    coeffs: RxCoeffs,
    acc_ffe: Vec<Acc>,
    acc_dfe: Vec<Acc>,
    acc_t: Acc,
    /// the last N-1 samples, newest first
    xhist: Vec<i16>,
    /// last decisions, most recent first
    dhist: [u8; 4],
    demap: Demapper,
    /// updates computed and not yet applied, oldest first
    pending: VecDeque<Update>,
    /// the update of the word being received
    current: Update,
    /// words completed since the start
    words: u64,
    /// lane of the next sample within its word
    lane: usize,
}

fn sgn(v: i64) -> i32 {
    if v >= 0 {
        1
    } else {
        -1
    }
}

fn lv(a: u8) -> i32 {
    2 * a as i32 - 3
}

fn slice(z: i64, t: i64) -> u8 {
    (z >= -t) as u8 + (z >= 0) as u8 + (z >= t) as u8
}

fn check_params(fmt: &RxFormat, p: &HwAdaptParams) -> Result<(), AdaptError> {
    let range = |what, value: usize, lo: usize, hi: usize| {
        if value < lo || value > hi {
            Err(AdaptError::Range {
                what,
                value: value.to_string(),
                range: format!("{lo}..={hi}"),
            })
        } else {
            Ok(())
        }
    };
    range("rtl.parallel", p.parallel, 1, 32)?;
    range(
        "adapt.mu_shift",
        p.mu_shift as usize,
        0,
        MAX_MU_SHIFT as usize,
    )?;
    range("adapt.delay", p.delay, 0, MAX_DELAY)?;
    range(
        "adapt.leak_shift",
        p.leak_shift as usize,
        0,
        MAX_LEAK_SHIFT as usize,
    )?;
    fmt.validate().map_err(EqError::from)?;
    Ok(())
}

impl HwAdapter {
    /// An engine starting from `init` (the main FFE tap stays at its value).
    pub fn new(
        fmt: &RxFormat,
        init: &RxCoeffs,
        params: &HwAdaptParams,
    ) -> Result<Self, AdaptError> {
        check_params(fmt, params)?;
        init.validate(fmt).map_err(EqError::from)?;
        let mu = params.mu_shift;
        let (cmin, cmax) = (smin(fmt.ffe_coef_bits), smax(fmt.ffe_coef_bits));
        let (bmin, bmax) = (smin(fmt.dfe_coef_bits), smax(fmt.dfe_coef_bits));
        let mut coeffs = init.clone();
        coeffs.threshold = coeffs.threshold.clamp(1, fmt.max_threshold() as i32);
        Ok(HwAdapter {
            acc_ffe: init
                .ffe
                .iter()
                .map(|&c| Acc::new(c as i64, cmin, cmax, mu))
                .collect(),
            acc_dfe: init
                .dfe
                .iter()
                .map(|&b| Acc::new(b as i64, bmin, bmax, mu))
                .collect(),
            acc_t: Acc::new(coeffs.threshold as i64, 1, fmt.max_threshold(), mu),
            coeffs,
            xhist: vec![0; fmt.ffe_taps - 1],
            dhist: [0; 4],
            demap: Demapper::new(fmt.precode),
            pending: VecDeque::with_capacity(params.delay + 1),
            current: Update::zero(fmt.ffe_taps, fmt.dfe_taps),
            words: 0,
            lane: 0,
            fmt: fmt.clone(),
            params: params.clone(),
        })
    }

    /// The coefficients in effect for the next sample's word.
    pub fn coeffs(&self) -> &RxCoeffs {
        &self.coeffs
    }

    /// Clock words completed.
    pub fn words(&self) -> u64 {
        self.words
    }

    /// Samples taken so far.
    pub fn samples(&self) -> u64 {
        self.words * self.params.parallel as u64 + self.lane as u64
    }

    /// The FFE output for sample `x` under the current coefficients (the
    /// numeric contract: round half up, then saturate).
    fn ffe(&self, x: i16) -> i64 {
        let c = &self.coeffs.ffe;
        let mut acc = c[0] as i64 * x as i64;
        for (k, &ck) in c.iter().enumerate().skip(1) {
            acc += ck as i64 * self.xhist[k - 1] as i64;
        }
        saturate(
            round_shift(acc, self.fmt.ffe_shift()),
            self.fmt.ffe_out_bits,
        )
    }

    /// Takes one sample: writes its decision and data symbol and accumulates
    /// its sign products. `known` is the transmitted level to train on.
    fn step(&mut self, x: i16, known: Option<u8>, mode: Mode) -> (u8, u8) {
        let y = self.ffe(x);
        let mut z = y;
        for (j, &bj) in self.coeffs.dfe.iter().enumerate() {
            z -= bj as i64 * lv(self.dhist[j]) as i64;
        }
        let t = self.coeffs.threshold as i64;
        let d = slice(z, t);
        let counts = match self.params.block {
            BlockRule::Sum => true,
            BlockRule::RoundRobin => {
                self.lane == (self.words % self.params.parallel as u64) as usize
            }
        };
        if mode != Mode::Off && counts {
            let target = match (mode, known) {
                (Mode::Train, Some(a)) => a,
                _ => d,
            };
            let s = sgn(2 * z - lv(target) as i64 * t);
            let main = self.fmt.ffe_main;
            for (k, g) in self.current.g.iter_mut().enumerate() {
                if k != main {
                    let xk = if k == 0 { x } else { self.xhist[k - 1] };
                    *g += (s * sgn(xk as i64)) as i64;
                }
            }
            for (j, h) in self.current.h.iter_mut().enumerate() {
                *h += (s * lv(self.dhist[j])) as i64;
            }
            self.current.t += (s * sgn(lv(target) as i64)) as i64;
        }
        if !self.xhist.is_empty() {
            self.xhist.rotate_right(1);
            self.xhist[0] = x;
        }
        self.dhist = [d, self.dhist[0], self.dhist[1], self.dhist[2]];
        (d, self.demap.demap_one(d))
    }

    /// Ends a word: queues its update (times 2^step) and applies the one now
    /// D words old.
    fn end_word(&mut self, adapting: bool, step: u32) {
        let fresh = Update::zero(self.fmt.ffe_taps, self.fmt.dfe_taps);
        let mut u = std::mem::replace(&mut self.current, fresh);
        let s = step.min(self.params.mu_shift);
        if s > 0 {
            u.g.iter_mut().for_each(|g| *g <<= s);
            u.h.iter_mut().for_each(|h| *h <<= s);
            u.t <<= s;
        }
        self.pending.push_back(u);
        self.words += 1;
        self.lane = 0;
        while self.pending.len() > self.params.delay {
            let u = self.pending.pop_front().expect("non-empty");
            self.apply(&u, adapting);
        }
    }

    fn apply(&mut self, u: &Update, leak: bool) {
        let mu = self.params.mu_shift;
        let l = self.params.leak_shift;
        let main = self.fmt.ffe_main;
        for (k, (a, &g)) in self.acc_ffe.iter_mut().zip(&u.g).enumerate() {
            if k == main {
                continue;
            }
            a.add(-g);
            if leak && l > 0 {
                a.add(-(a.value >> l));
            }
            self.coeffs.ffe[k] = a.coef(mu);
        }
        for (j, (a, &h)) in self.acc_dfe.iter_mut().zip(&u.h).enumerate() {
            a.add(h);
            if leak && l > 0 {
                a.add(-(a.value >> l));
            }
            self.coeffs.dfe[j] = a.coef(mu);
        }
        self.acc_t.add(u.t);
        self.coeffs.threshold = self.acc_t.coef(mu);
    }

    /// Equalizes `x` (any length: words continue across calls), writing level
    /// indices and data symbols. `known(i)` gives the transmitted level of the
    /// i-th sample of this call when one is known; `mode(w)` the mode of word
    /// `w` (counted from the start of the stream). Every word at the finest
    /// step: [`HwAdapter::process_ctl`] with `step = 0`.
    pub fn process(
        &mut self,
        x: &[i16],
        known: &dyn Fn(usize) -> Option<u8>,
        mode: &dyn Fn(u64) -> Mode,
        levels: &mut [u8],
        data: &mut [u8],
    ) {
        self.process_ctl(x, known, &|w| WordCtl::from(mode(w)), levels, data)
    }

    /// [`HwAdapter::process`] with each word's mode and step from `ctl(w)`.
    pub fn process_ctl(
        &mut self,
        x: &[i16],
        known: &dyn Fn(usize) -> Option<u8>,
        ctl: &dyn Fn(u64) -> WordCtl,
        levels: &mut [u8],
        data: &mut [u8],
    ) {
        assert!(levels.len() == x.len() && data.len() == x.len());
        let p = self.params.parallel;
        let mut c = ctl(self.words);
        for (i, &xi) in x.iter().enumerate() {
            let (d, s) = self.step(xi, known(i), c.mode);
            levels[i] = d;
            data[i] = s;
            self.lane += 1;
            if self.lane == p {
                self.end_word(c.mode != Mode::Off, c.step);
                c = ctl(self.words);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eq::{Engine, Equalizer};
    use crate::rng::Xoshiro256pp;

    fn fmt(n: usize, m: usize, precode: bool) -> RxFormat {
        RxFormat {
            ffe_taps: n,
            ffe_main: n.min(4) - 1,
            dfe_taps: m,
            precode,
            ..RxFormat::default()
        }
    }

    fn samples(seed: u64, len: usize, bits: u32) -> Vec<i16> {
        let mut r = Xoshiro256pp::new(seed);
        let lo = smin(bits);
        let span = (smax(bits) - lo + 1) as u64;
        (0..len)
            .map(|_| (lo + (r.next_u64() % span) as i64) as i16)
            .collect()
    }

    fn params(p: usize) -> HwAdaptParams {
        HwAdaptParams {
            parallel: p,
            mu_shift: 6,
            delay: 2,
            leak_shift: 0,
            block: BlockRule::Sum,
        }
    }

    /// With the engine off, the adaptive receiver is the fixed equalizer.
    #[test]
    fn off_equals_fixed_equalizer() {
        for (n, m, pre) in [(1, 0, false), (8, 1, true), (16, 2, false), (5, 4, true)] {
            let f = fmt(n, m, pre);
            let x = samples(n as u64 * 7 + m as u64, 5000, f.adc_bits);
            let mut c = RxCoeffs::pass_through(&f, 40);
            for (k, v) in c.ffe.iter_mut().enumerate() {
                if k != f.ffe_main {
                    *v = (k as i32 * 7 % 23) - 11;
                }
            }
            for (j, b) in c.dfe.iter_mut().enumerate() {
                *b = 5 - 3 * j as i32;
            }
            let mut eq = Equalizer::new(&f, &c, Engine::Naive).unwrap();
            let want = eq.process_all(&x);
            let mut a = HwAdapter::new(&f, &c, &params(4)).unwrap();
            let (mut lv_, mut da) = (vec![0; x.len()], vec![0; x.len()]);
            a.process(&x, &|_| None, &|_| Mode::Off, &mut lv_, &mut da);
            assert_eq!(lv_, want.levels);
            assert_eq!(da, want.data);
            assert_eq!(a.coeffs(), &c);
        }
    }

    /// Chunking the input differently gives the same decisions and taps.
    #[test]
    fn chunking_does_not_matter() {
        let f = fmt(8, 2, false);
        let x = samples(3, 4001, f.adc_bits);
        let c = RxCoeffs::pass_through(&f, 30);
        let run = |chunk: usize| {
            let mut a = HwAdapter::new(&f, &c, &params(8)).unwrap();
            let mut out = Vec::new();
            let mut start = 0;
            while start < x.len() {
                let e = (start + chunk).min(x.len());
                let (mut l, mut d) = (vec![0; e - start], vec![0; e - start]);
                a.process(
                    &x[start..e],
                    &|_| None,
                    &|w| {
                        if w % 50 < 40 {
                            Mode::DecisionDirected
                        } else {
                            Mode::Off
                        }
                    },
                    &mut l,
                    &mut d,
                );
                out.extend(l);
                start = e;
            }
            (out, a.coeffs().clone())
        };
        let whole = run(x.len());
        for chunk in [1, 7, 8, 333] {
            assert_eq!(run(chunk), whole, "chunk {chunk}");
        }
    }

    /// The step: with `mu_shift = m` and every word at step m, the engine is
    /// the one with `mu_shift = 0` (the accumulators' fraction bits stay all
    /// zero or, at the upper clamp, all one, and both floor to the same
    /// coefficient); a word's step scales its own update only.
    #[test]
    fn step_gain_is_a_coarser_accumulator() {
        for (n, mt, pre) in [(8, 2, false), (5, 1, true)] {
            let f = fmt(n, mt, pre);
            let x = samples(11 + n as u64, 6000, f.adc_bits);
            let c = RxCoeffs::pass_through(&f, 30);
            let run = |mu: u32, step: &dyn Fn(u64) -> u32| {
                let pr = HwAdaptParams {
                    mu_shift: mu,
                    ..params(4)
                };
                let mut a = HwAdapter::new(&f, &c, &pr).unwrap();
                let (mut l, mut d) = (vec![0; x.len()], vec![0; x.len()]);
                let ctl = |w: u64| WordCtl {
                    mode: Mode::DecisionDirected,
                    step: step(w),
                };
                a.process_ctl(&x, &|_| None, &ctl, &mut l, &mut d);
                (l, a.coeffs().clone())
            };
            let coarse = run(0, &|_| 0);
            assert_eq!(run(5, &|_| 5), coarse);
            // steps above mu_shift act as mu_shift
            assert_eq!(run(5, &|_| 31), coarse);
            // a smaller step is a different engine, and so is one word's change
            assert_ne!(run(5, &|_| 4).1, coarse.1);
            let one_word = run(5, &|w| if w == 100 { 4 } else { 5 });
            assert_ne!(one_word, coarse);
            assert_eq!(one_word.0[..4 * 103], coarse.0[..4 * 103]);
        }
    }

    /// The delay: an update computed in word w first changes word w + D + 1.
    #[test]
    fn update_lands_after_the_delay() {
        let f = fmt(4, 1, false);
        let c = RxCoeffs::pass_through(&f, 30);
        for d in [0usize, 1, 3] {
            let mut pr = params(4);
            pr.delay = d;
            pr.mu_shift = 0;
            let mut a = HwAdapter::new(&f, &c, &pr).unwrap();
            let x = vec![100i16; 4];
            let (mut l, mut s) = (vec![0; 4], vec![0; 4]);
            // one adapting word, then idle words: the taps move after exactly d idle words
            a.process(
                &x,
                &|_| None,
                &|w| {
                    if w == 0 {
                        Mode::DecisionDirected
                    } else {
                        Mode::Off
                    }
                },
                &mut l,
                &mut s,
            );
            for _ in 0..d {
                assert_eq!(a.coeffs(), &c, "delay {d}");
                a.process(&x, &|_| None, &|_| Mode::Off, &mut l, &mut s);
            }
            assert_ne!(a.coeffs(), &c, "delay {d}");
        }
    }

    /// Accumulators saturate at the coefficient range; leakage pulls the
    /// adapted taps (never the main tap or the threshold) toward zero.
    #[test]
    fn saturation_and_leak() {
        let mut acc = Acc::new(10, -512, 511, 6);
        acc.add(1 << 40);
        assert_eq!(acc.coef(6), 511);
        acc.add(-(1 << 41));
        assert_eq!(acc.coef(6), -512);
        let f = fmt(4, 1, false);
        let mut c = RxCoeffs::pass_through(&f, 30);
        c.ffe[0] = -100;
        c.ffe[1] = 100;
        c.dfe[0] = 60;
        let mut pr = params(1);
        pr.mu_shift = 3;
        pr.leak_shift = 2;
        let mut a = HwAdapter::new(&f, &c, &pr).unwrap();
        for _ in 0..200 {
            a.apply(&Update::zero(4, 1), true);
        }
        let got = a.coeffs();
        assert!(
            got.ffe[0].abs() <= 1 && got.ffe[1].abs() <= 1 && got.dfe[0].abs() <= 1,
            "{got:?}"
        );
        assert_eq!(got.ffe[f.ffe_main], c.ffe[f.ffe_main]);
        assert_eq!(got.threshold, 30);
        // without leakage nothing moves
        let mut b = HwAdapter::new(&f, &c, &params(1)).unwrap();
        b.apply(&Update::zero(4, 1), true);
        assert_eq!(b.coeffs(), &c);
    }

    #[test]
    fn illegal_parameters_are_refused() {
        let f = fmt(4, 1, false);
        let c = RxCoeffs::pass_through(&f, 30);
        let mut p = params(4);
        p.delay = MAX_DELAY + 1;
        assert!(matches!(
            HwAdapter::new(&f, &c, &p),
            Err(AdaptError::Range {
                what: "adapt.delay",
                ..
            })
        ));
        let mut p = params(0);
        p.parallel = 0;
        assert!(HwAdapter::new(&f, &c, &p).is_err());
    }
}
