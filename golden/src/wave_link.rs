//! The sample stream of the realistic link ([`crate::realism`]): per chunk
//! of [`CHUNK`] symbols, the jitter of the sampling instants and the noise
//! come from the chunk's own generators (seeded by the run's seed and the
//! chunk's index, as the baud-rate noise is), and the SJ phase from the
//! absolute symbol index, so a run can start at any chunk boundary (shards).
//! The clock recovery loop is the exception: its phase depends on every
//! symbol before, so it runs serially and cannot be sharded.
//!
//! The noise with a CTLE is white noise through [`Realism::noise_fir`]; each
//! chunk's filter starts from its own generator's first 2M deviates, so the
//! noise is correlated within a chunk and independent across chunk
//! boundaries (one boundary in 32768 symbols).

use crate::cdr::{mm_sum, CdrPlan, CdrReport, CdrState};
use crate::config::LinkPlan;
use crate::eq::{Engine, Equalizer};
use crate::link::{add_noise_quantize, fir_f32, LinkError, Quantizer, CHUNK, NOISE_STREAM};
use crate::numeric::RxCoeffs;
use crate::realism::Realism;
use crate::rng::{derive_seed, Xoshiro256pp};
use crate::wave::{Jitter, RJ_CLIP};
use std::collections::VecDeque;

const RJ_STREAM: u64 = 0x4A17_7E00;
const DJ_STREAM: u64 = 0x4A17_7E01;

/// Per-thread scratch buffers.
#[derive(Default)]
pub struct Scratch {
    amp: Vec<f32>,
    acc: Vec<f32>,
    jit: Vec<f64>,
    noise: Vec<f64>,
    w: Vec<f64>,
}

/// The sinusoidal jitter at absolute symbol `n`, UI.
#[inline]
pub fn sj_at(j: &Jitter, baud: f64, n: u64) -> f64 {
    if j.sj_ui == 0.0 {
        return 0.0;
    }
    let cycles = (j.sj_freq / baud * n as f64).fract();
    j.sj_ui * (2.0 * std::f64::consts::PI * cycles).sin()
}

/// The jitter of chunk `ci`'s `n` symbols (UI): RJ (clipped at [`RJ_CLIP`]
/// sigma) + DJ (+-dj/2, one random bit per symbol) + SJ at the absolute index.
pub fn jitter_chunk(j: &Jitter, baud: f64, seed: u64, ci: u64, n: usize, out: &mut Vec<f64>) {
    out.clear();
    out.resize(n, 0.0);
    if j.rj_ui > 0.0 {
        Xoshiro256pp::new(derive_seed(seed, RJ_STREAM, ci))
            .normals()
            .fill(out);
        for v in out.iter_mut() {
            *v = v.clamp(-RJ_CLIP, RJ_CLIP) * j.rj_ui;
        }
    }
    if j.dj_ui > 0.0 {
        let mut r = Xoshiro256pp::new(derive_seed(seed, DJ_STREAM, ci));
        let h = 0.5 * j.dj_ui;
        let mut bits = 0u64;
        for (i, v) in out.iter_mut().enumerate() {
            if i % 64 == 0 {
                bits = r.next_u64();
            }
            *v += if (bits >> (i % 64)) & 1 == 1 { h } else { -h };
        }
    }
    if j.sj_ui > 0.0 {
        let first = ci * CHUNK as u64;
        for (i, v) in out.iter_mut().enumerate() {
            *v += sj_at(j, baud, first + i as u64);
        }
    }
}

/// `sigma` times white noise from `rng` through `fir` (odd length 2M+1,
/// centred; AVX2 and FMA when the CPU has them).
pub fn colored_noise(
    fir: &[f64],
    sigma: f64,
    rng: Xoshiro256pp,
    n: usize,
    w: &mut Vec<f64>,
    out: &mut Vec<f64>,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: AVX2 and FMA are present (checked just above).
            unsafe { colored_noise_avx2(fir, sigma, rng, n, w, out) };
            return;
        }
    }
    colored_noise_portable(fir, sigma, rng, n, w, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn colored_noise_avx2(
    fir: &[f64],
    sigma: f64,
    rng: Xoshiro256pp,
    n: usize,
    w: &mut Vec<f64>,
    out: &mut Vec<f64>,
) {
    colored_noise_portable(fir, sigma, rng, n, w, out)
}

#[inline(always)]
fn colored_noise_portable(
    fir: &[f64],
    sigma: f64,
    rng: Xoshiro256pp,
    n: usize,
    w: &mut Vec<f64>,
    out: &mut Vec<f64>,
) {
    let m2 = fir.len() - 1;
    w.clear();
    w.resize(n + m2, 0.0);
    rng.normals().fill(w);
    out.clear();
    out.resize(n, 0.0);
    // tap by tap over all outputs (vectorizes); each output still sums its
    // taps in order
    for (m, &c) in fir.iter().enumerate() {
        for (o, &x) in out.iter_mut().zip(&w[m..m + n]) {
            *o += c * x;
        }
    }
    for o in out.iter_mut() {
        *o *= sigma;
    }
}

fn levels_to_amp(lv: &[u8], amp: &mut Vec<f32>) {
    amp.clear();
    amp.extend(lv.iter().map(|&a| (2 * (a & 3) as i32 - 3) as f32 / 3.0));
}

/// One chunk of the realistic link without a loop: `lv` holds the history
/// then one level per output.
#[allow(clippy::too_many_arguments)]
pub fn real_chunk(
    plan: &LinkPlan,
    r: &Realism,
    taps: &[f32],
    ci: u64,
    lv: &[u8],
    rng: Xoshiro256pp,
    out: &mut [i16],
    sc: &mut Scratch,
) {
    let n = out.len();
    let hist = lv.len() - n;
    levels_to_amp(lv, &mut sc.amp);
    sc.acc.clear();
    sc.acc.resize(n, 0.0);
    match &r.sampler {
        Some(sm) => {
            jitter_chunk(&r.jitter, r.baud, plan.seed, ci, n, &mut sc.jit);
            sm.sample_block(&sc.amp, hist, &sc.jit, 0.0, &mut sc.acc);
        }
        None => fir_f32(taps, &sc.amp, &mut sc.acc),
    }
    if r.noise_fir.is_empty() {
        add_noise_quantize(&sc.acc, plan.sigma, &plan.adc, rng, out);
    } else {
        colored_noise(&r.noise_fir, plan.sigma, rng, n, &mut sc.w, &mut sc.noise);
        let q = Quantizer::new(&plan.adc);
        for ((o, &a), &z) in out.iter_mut().zip(&sc.acc).zip(&sc.noise) {
            *o = q.code(a as f64 + z);
        }
    }
}

/// The running clock recovery loop: the stream samples each block of
/// `cdr.update` symbols at the loop's phase, equalizes it with its own copy
/// of the receiver's equalizer, and updates the loop from the detector.
pub struct CdrRun {
    eq: Equalizer,
    state: CdrState,
    update: usize,
    bias: i64,
    ffe_main: u64,
    /// ADC codes waiting for their decisions
    xq: VecDeque<i16>,
    prev: (i16, i8),
    done: u64,
    lv: Vec<u8>,
    data: Vec<u8>,
    dvals: Vec<i8>,
    xs: Vec<i16>,
    sc: Scratch,
}

impl CdrRun {
    /// A loop at `adc.phase` with an equalizer of `coeffs`.
    pub fn new(
        plan: &LinkPlan,
        r: &Realism,
        c: &CdrPlan,
        coeffs: &RxCoeffs,
    ) -> Result<CdrRun, LinkError> {
        Ok(CdrRun {
            eq: Equalizer::new(&plan.format, coeffs, Engine::Fast)?,
            state: CdrState::new(c, r.adc_phase, plan.symbols),
            update: c.update,
            bias: c.bias,
            ffe_main: plan.format.ffe_main as u64,
            xq: VecDeque::new(),
            prev: (0, 0),
            done: 0,
            lv: Vec::new(),
            data: Vec::new(),
            dvals: Vec::new(),
            xs: Vec::new(),
            sc: Scratch::default(),
        })
    }

    /// The loop's report.
    pub fn report(&self, c: &CdrPlan) -> CdrReport {
        self.state.report(c)
    }

    /// Produces the chunks `jobs` (`(chunk index, offset in ext, out)`) in order.
    pub fn batch(&mut self, plan: &LinkPlan, ext: &[u8], jobs: &mut [(u64, usize, &mut [i16])]) {
        let r = plan.realism.as_ref().expect("a realistic plan");
        let sm = r.sampler.as_ref().expect("the loop moves the instant");
        let q = Quantizer::new(&plan.adc);
        let hist = sm.history();
        for (ci, off, out) in jobs.iter_mut() {
            let n = out.len();
            let lv = &ext[*off..*off + hist + n];
            let mut sc = std::mem::take(&mut self.sc);
            levels_to_amp(lv, &mut sc.amp);
            jitter_chunk(&r.jitter, r.baud, plan.seed, *ci, n, &mut sc.jit);
            let rng = Xoshiro256pp::new(derive_seed(plan.seed, NOISE_STREAM, *ci));
            let fir: &[f64] = if r.noise_fir.is_empty() {
                &[1.0]
            } else {
                &r.noise_fir
            };
            colored_noise(fir, plan.sigma, rng, n, &mut sc.w, &mut sc.noise);
            let mut b = 0;
            while b < n {
                let e = (b + self.update).min(n);
                let ph = self.state.phase_ui();
                sc.acc.resize(e - b, 0.0);
                sm.sample_block(&sc.amp, hist + b, &sc.jit[b..e], ph, &mut sc.acc);
                for ((o, &a), &z) in out[b..e].iter_mut().zip(&sc.acc).zip(&sc.noise[b..e]) {
                    *o = q.code(a as f64 + z);
                }
                let sj_now =
                    crate::wave_link::sj_at(&r.jitter, r.baud, *ci * CHUNK as u64 + e as u64);
                let err = self.detect(&out[b..e]);
                self.state.update(err, sj_now);
                b = e;
            }
            self.sc = sc;
        }
    }

    /// Equalizes `x` and returns the detector's sum over the pairs whose
    /// decisions are now known.
    fn detect(&mut self, x: &[i16]) -> i64 {
        let n = x.len();
        self.lv.resize(n, 0);
        self.data.resize(n, 0);
        self.eq.process(x, &mut self.lv, &mut self.data);
        self.xq.extend(x.iter().copied());
        self.xs.clear();
        self.dvals.clear();
        for (i, &l) in self.lv.iter().enumerate() {
            // output m decides the symbol whose main cursor is ADC sample m - ffe.main
            if self.done + i as u64 >= self.ffe_main {
                let xv = self.xq.pop_front().expect("queued sample");
                self.xs.push(xv);
                self.dvals.push(2 * l as i8 - 3);
            }
        }
        self.done += n as u64;
        let (e, prev) = mm_sum(&self.xs, &self.dvals, self.prev, self.bias);
        self.prev = prev;
        e
    }
}
