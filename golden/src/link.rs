//! The whole link, end to end: pattern -> (FEC) -> PAM4 map -> channel ->
//! noise -> ADC -> equalizer -> decode -> statistics.
//!
//! ## Determinism
//! Symbols are processed in batches of [`BATCH`]; the noise of each chunk of
//! [`CHUNK`] symbols comes from its own generator, seeded from the run's seed
//! and the chunk's index ([`crate::rng::derive_seed`]). Chunks are spread over
//! threads, so the result does not depend on the thread count. The
//! equalizer runs serially over the whole stream, as the hardware does.
//!
//! ## Alignment
//! The decision at output index `n` is for the symbol sent at `n - D`, with
//! `D = channel main-cursor index + ffe.main`. The first
//! `D + ffe.taps + channel taps` decisions are the start-up transient and are
//! left out of the statistics (`skipped_symbols` in the report).

use crate::adapt_link::{AdaptReport, HwRx};
use crate::channel::{self, Adc};
use crate::coeffs::{self, AdaptParams, FloatEq};
use crate::config::{EqMethod, FecKind, LinkModel, LinkPlan};
use crate::eq::{Engine, EqError, Equalizer};
use crate::fec::Code;
use crate::framing::{Deframer, FecReport, Framer, TxSource};
use crate::numeric::{RxCoeffs, RxFormat};
use crate::pam4::Mapper;
use crate::prbs::SymbolSource;
use crate::rng::{derive_seed, Xoshiro256pp};
use crate::stats::{ErrorCounter, ErrorReport};
use serde::Serialize;
use thiserror::Error;

/// Symbols per noise chunk (the unit of seeding and of parallel work).
pub const CHUNK: usize = 1 << 15;
// chunk boundaries are tested with a mask
const _: () = assert!(CHUNK.is_power_of_two());
/// Symbols per batch.
pub const BATCH: usize = 1 << 20;
pub(crate) const NOISE_STREAM: u64 = 0x4E01_5E00;

/// Errors from a link run.
#[derive(Debug, Error)]
pub enum LinkError {
    /// Coefficient computation failed.
    #[error(transparent)]
    Coeffs(#[from] coeffs::CoeffError),
    /// The equalizer refused its setup.
    #[error(transparent)]
    Eq(#[from] EqError),
    /// Something the link cannot do yet.
    #[error("{0}")]
    Unsupported(String),
    /// The configuration does not fit the emulator's integers.
    #[error("link.model = \"emulator\": {0}")]
    Emu(crate::emu::EmuError),
}

// by hand, not `#[from]`: that would also make it the error's source, and a
// report printing the chain would say it twice
impl From<crate::emu::EmuError> for LinkError {
    fn from(e: crate::emu::EmuError) -> Self {
        LinkError::Emu(e)
    }
}

/// Options of a run that are not part of the configuration.
pub struct RunOptions<'a> {
    /// worker threads for the channel model (>= 1)
    pub threads: usize,
    /// keep every ADC sample in the result (for `--dump-samples`, co-simulation)
    pub keep_samples: bool,
    /// called with the number of symbols done so far
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        RunOptions {
            threads: 1,
            keep_samples: false,
            progress: None,
        }
    }
}

/// Produces the ADC sample stream of a plan, batch after batch.
pub struct SampleStream<'p> {
    plan: &'p LinkPlan,
    source: TxSource,
    mapper: Mapper,
    taps: Vec<f32>,
    /// previous levels (channel memory), oldest first
    hist: Vec<u8>,
    /// scratch: the history then this batch's levels
    ext: Vec<u8>,
    next_chunk: u64,
    threads: usize,
    /// the clock recovery loop, once attached ([`SampleStream::attach_cdr`])
    cdr: Option<Box<crate::wave_link::CdrRun>>,
}

/// Levels of channel memory the stream keeps before each output.
pub fn channel_history(plan: &LinkPlan) -> usize {
    match &plan.realism {
        Some(r) => r.history(&plan.pulse),
        None => plan.pulse.taps.len() - 1,
    }
}

/// One batch of the stream.
#[derive(Default)]
pub struct Batch {
    /// data symbols sent (2 bits each)
    pub data: Vec<u8>,
    /// level indices sent
    pub levels: Vec<u8>,
    /// ADC samples received
    pub samples: Vec<i16>,
}

impl Batch {
    /// The transmitter's next `n` symbols into `data` and their level indices
    /// (Gray map, precoder) into `levels`; `samples` is left to the channel.
    pub fn transmit(&mut self, n: usize, source: &mut TxSource, mapper: &mut Mapper) {
        self.data.resize(n, 0);
        source.fill(&mut self.data);
        self.levels.clear();
        self.levels.extend_from_slice(&self.data);
        mapper.map(&mut self.levels);
    }
}

impl<'p> SampleStream<'p> {
    /// A stream from the first symbol of `plan`.
    pub fn new(plan: &'p LinkPlan, threads: usize) -> Self {
        SampleStream {
            plan,
            source: tx_source(plan),
            mapper: Mapper::new(plan.format.precode),
            taps: plan.pulse.taps.iter().map(|&t| t as f32).collect(),
            // before the first symbol the line idles at level index 0
            hist: vec![0; channel_history(plan)],
            ext: Vec::new(),
            next_chunk: 0,
            threads: threads.max(1),
            cdr: None,
        }
    }

    /// Closes the clock recovery loop of `cdr.kind = "mm"` through an
    /// equalizer with `coeffs` (the receiver's own: same samples, same
    /// decisions). The stream then runs serially.
    pub fn attach_cdr(&mut self, coeffs: &RxCoeffs) -> Result<(), LinkError> {
        if let Some(r) = &self.plan.realism {
            if let Some(c) = &r.cdr {
                self.cdr = Some(Box::new(crate::wave_link::CdrRun::new(
                    self.plan, r, c, coeffs,
                )?));
            }
        }
        Ok(())
    }

    /// The loop's report, when one is attached.
    pub fn cdr_report(&self) -> Option<crate::cdr::CdrReport> {
        let r = self.plan.realism.as_ref()?;
        let c = r.cdr.as_ref()?;
        self.cdr.as_ref().map(|run| run.report(c))
    }

    /// The stream of [`SampleStream::new`] after `start` symbols (`start` a
    /// multiple of [`CHUNK`]): the same samples, from sample `start` on. The
    /// transmitter is jumped there ([`tx_at`]); the channel memory is rebuilt
    /// from the symbols just before.
    pub fn at(plan: &'p LinkPlan, threads: usize, start: u64) -> Result<Self, LinkError> {
        assert!(
            start & (CHUNK as u64 - 1) == 0,
            "a stream resumes at a chunk boundary"
        );
        let mut s = SampleStream::new(plan, threads);
        let keep = channel_history(plan);
        let t0 = start.saturating_sub(keep as u64);
        let (mut source, mut mapper) = tx_at(plan, t0)?;
        let mut b = Batch::default();
        b.transmit((start - t0) as usize, &mut source, &mut mapper);
        s.hist = vec![0; keep - b.levels.len()];
        s.hist.extend_from_slice(&b.levels);
        s.source = source;
        s.mapper = mapper;
        s.next_chunk = start / CHUNK as u64;
        Ok(s)
    }

    /// Produces the next `n` symbols (`n` a multiple of [`CHUNK`] except for the last batch).
    pub fn next_batch(&mut self, n: usize, b: &mut Batch) {
        b.transmit(n, &mut self.source, &mut self.mapper);
        let l = self.hist.len() + 1;
        // kept across batches: a fresh megabyte per batch costs its page faults every time
        let mut ext = std::mem::take(&mut self.ext);
        ext.clear();
        ext.extend_from_slice(&self.hist);
        ext.extend_from_slice(&b.levels);
        b.samples.resize(n, 0);
        let plan = self.plan;
        let taps = &self.taps;
        let first_chunk = self.next_chunk;
        let mut jobs: Vec<(u64, usize, &mut [i16])> = b
            .samples
            .chunks_mut(CHUNK)
            .enumerate()
            .map(|(i, c)| (first_chunk + i as u64, i * CHUNK, c))
            .collect();
        self.next_chunk += jobs.len() as u64;
        if let Some(run) = self.cdr.as_mut() {
            run.batch(plan, &ext, &mut jobs);
            let keep = l - 1;
            self.hist.clear();
            self.hist.extend_from_slice(&ext[ext.len() - keep..]);
            self.ext = ext;
            return;
        }
        let work = |jobs: &mut [(u64, usize, &mut [i16])]| {
            let mut amp = Vec::new();
            let mut acc = Vec::new();
            let mut scratch = crate::wave_link::Scratch::default();
            for (ci, off, out) in jobs.iter_mut() {
                let rng = Xoshiro256pp::new(derive_seed(plan.seed, NOISE_STREAM, *ci));
                if let Some(r) = &plan.realism {
                    crate::wave_link::real_chunk(
                        plan,
                        r,
                        taps,
                        *ci,
                        &ext[*off..*off + l - 1 + out.len()],
                        rng,
                        out,
                        &mut scratch,
                    );
                    continue;
                }
                chunk_samples(
                    taps,
                    &ext[*off..*off + l - 1 + out.len()],
                    plan.sigma,
                    &plan.adc,
                    rng,
                    out,
                    &mut amp,
                    &mut acc,
                );
            }
        };
        let threads = self.threads.min(jobs.len()).max(1);
        if threads == 1 {
            work(&mut jobs);
        } else {
            let per = jobs.len().div_ceil(threads);
            std::thread::scope(|s| {
                for part in jobs.chunks_mut(per) {
                    s.spawn(|| work(part));
                }
            });
        }
        let keep = l - 1;
        self.hist.clear();
        self.hist.extend_from_slice(&ext[ext.len() - keep..]);
        self.ext = ext;
    }
}

/// The transmitter's data symbols of `plan` from its first symbol: the
/// pattern, framed into FEC codewords when `tx.fec` is set.
pub fn tx_source(plan: &LinkPlan) -> TxSource {
    match fec_code(plan.fec) {
        None => TxSource::Plain(SymbolSource::new(plan.pattern, plan.seed)),
        Some(code) => TxSource::Fec {
            framer: Box::new(Framer::new(code, plan.pattern, plan.seed, plan.interleave)),
            buf: Vec::new(),
            pos: 0,
        },
    }
}

/// The transmitter of `plan` after it has sent `t` symbols: its data source
/// jumped there (the PRBS by its matrix power, FEC frames from the frame that
/// holds symbol `t`) and its Gray/precoder mapper in the state it has then.
/// The precoder's memory depends on every symbol sent before, so with
/// `tx.precode` the data up to `t` are generated again (about a nanosecond
/// per symbol). The random pattern has no jump: refused.
pub fn tx_at(plan: &LinkPlan, t: u64) -> Result<(TxSource, Mapper), LinkError> {
    let no_jump = || {
        LinkError::Unsupported(
            "link.pattern = \"random\" cannot start in the middle of a run (its generator has no jump-ahead): use a PRBS pattern".into(),
        )
    };
    let source = match fec_code(plan.fec) {
        None => TxSource::Plain(SymbolSource::at_symbol(plan.pattern, t).ok_or_else(no_jump)?),
        Some(code) => {
            let probe = Framer::new(code, plan.pattern, plan.seed, plan.interleave);
            let fs = probe.frame_symbols() as u64;
            let f = t / fs;
            let mut framer = Framer::at_frame(code, plan.pattern, plan.seed, plan.interleave, f)
                .ok_or_else(no_jump)?;
            let mut buf = Vec::with_capacity(fs as usize);
            framer.next_frame(&mut buf);
            TxSource::Fec {
                framer: Box::new(framer),
                buf,
                pos: (t - f * fs) as usize,
            }
        }
    };
    let mapper = if plan.format.precode && t > 0 {
        let mut src = tx_source(plan);
        let mut m = Mapper::new(true);
        let mut buf = vec![0u8; BATCH.min(t as usize)];
        let mut left = t;
        while left > 0 {
            let n = (left as usize).min(buf.len());
            src.fill(&mut buf[..n]);
            m.map(&mut buf[..n]);
            left -= n as u64;
        }
        m
    } else {
        Mapper::new(plan.format.precode)
    };
    Ok((source, mapper))
}

/// Received symbols at the start of a run left out of the statistics: the
/// decision delay plus the FFE and channel fill.
pub fn warmup_symbols(plan: &LinkPlan, delay: usize) -> u64 {
    (delay + plan.format.ffe_taps + plan.pulse.taps.len()) as u64
}

/// The received (equalizer output) symbol that starts the first codeword
/// `rxdsp sim` counts, for a receiver of decision delay `delay`: frames
/// start at transmitted symbols `f * F` (`F` the frame's symbols), decision
/// `j` is transmitted symbol `j - delay`, and the first frame counted is the
/// first that starts after the warm-up ([`warmup_symbols`]). `None` without
/// FEC. `rxdsp rx` and `rxdsp stream` align their decoders here, so a sample
/// file that `rxdsp sim` wrote gives the same FEC counts in all three.
pub fn fec_sof_index(plan: &LinkPlan, delay: usize) -> Option<u64> {
    let code = fec_code(plan.fec)?;
    let frame = 5 * code.n() as u64 * fec_frame_codewords(plan);
    let first_valid = warmup_symbols(plan, delay) - delay as u64;
    Some(first_valid.div_ceil(frame) * frame + delay as u64)
}

/// The FEC frames a run of `symbols` received symbols decodes, for a
/// receiver of decision delay `delay`, as `rxdsp sim`'s deframer counts
/// them: `(skipped, counted)`, the whole frames within the run that start
/// before the warm-up ends (not decoded) and after it (decoded; the first
/// starts at [`fec_sof_index`]). `None` without FEC. A frame is one
/// codeword, or two with `tx.interleave`.
pub fn fec_frames(plan: &LinkPlan, delay: usize, symbols: u64) -> Option<(u64, u64)> {
    let code = fec_code(plan.fec)?;
    let frame = 5 * code.n() as u64 * fec_frame_codewords(plan);
    // decision j carries transmitted symbol j - delay: frame f is complete
    // once (f + 1) F transmitted symbols are decided
    let whole = symbols.saturating_sub(delay as u64) / frame;
    let first_valid = warmup_symbols(plan, delay) - delay as u64;
    let skipped = first_valid.div_ceil(frame).min(whole);
    Some((skipped, whole - skipped))
}

/// Codewords in a FEC frame of `plan`: two with `tx.interleave` (their
/// symbols alternate on the line), else one.
pub fn fec_frame_codewords(plan: &LinkPlan) -> u64 {
    if plan.interleave {
        2
    } else {
        1
    }
}

/// The Reed-Solomon code of a configuration's `tx.fec`.
pub fn fec_code(f: FecKind) -> Option<Code> {
    match f {
        FecKind::None => None,
        FecKind::Kp4 => Some(Code::Kp4),
        FecKind::Kr4 => Some(Code::Kr4),
    }
}

/// Channel, noise and ADC over one chunk: `lv` holds `taps.len() - 1` levels
/// of history then one level per output.
#[allow(clippy::too_many_arguments)]
fn chunk_samples(
    taps: &[f32],
    lv: &[u8],
    sigma: f64,
    adc: &Adc,
    rng: Xoshiro256pp,
    out: &mut [i16],
    amp: &mut Vec<f32>,
    acc: &mut Vec<f32>,
) {
    const LV: [f32; 4] = [-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0];
    let l = taps.len();
    let n = out.len();
    amp.clear();
    // LV[a] as arithmetic, the same f32 values ((2a - 3) / 3 rounds as -1/3 and 1/3 do),
    // so the loop vectorizes (a table lookup per symbol does not)
    amp.extend(lv.iter().map(|&a| (2 * (a & 3) as i32 - 3) as f32 / 3.0));
    debug_assert!(lv
        .iter()
        .zip(amp.iter())
        .all(|(&a, &v)| v == LV[a as usize]));
    acc.clear();
    acc.resize(n, 0.0);
    fir_f32(taps, amp, acc);
    debug_assert_eq!(amp.len(), n + l - 1);
    add_noise_quantize(acc, sigma, adc, rng, out);
}

/// Adds noise and quantizes (the `floor` inlines as one instruction with AVX2).
///
/// The noise comes from [`crate::rng::Normals::fill`] in blocks (the same deviates as one
/// [`Xoshiro256pp::normal`] call per sample), so the add-and-quantize loop has no call
/// in it and vectorizes.
pub(crate) fn add_noise_quantize(
    acc: &[f32],
    sigma: f64,
    adc: &Adc,
    rng: Xoshiro256pp,
    out: &mut [i16],
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is present (checked just above).
            unsafe { add_noise_quantize_avx2(acc, sigma, adc, rng, out) };
            return;
        }
    }
    add_noise_quantize_portable(acc, sigma, adc, rng, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn add_noise_quantize_avx2(
    acc: &[f32],
    sigma: f64,
    adc: &Adc,
    rng: Xoshiro256pp,
    out: &mut [i16],
) {
    use std::arch::x86_64::*;
    if sigma <= 0.0 {
        return add_noise_quantize_portable(acc, sigma, adc, rng, out);
    }
    let q = Quantizer::new(adc);
    let (vs, vsig, vlo, vhi, half) = (
        _mm256_set1_pd(q.scale),
        _mm256_set1_pd(sigma),
        _mm256_set1_pd(q.lo),
        _mm256_set1_pd(q.hi),
        _mm256_set1_pd(0.5),
    );
    let mut normals = rng.normals();
    let mut g = [0.0f64; NOISE_BLOCK];
    for (os, vs_) in out.chunks_mut(NOISE_BLOCK).zip(acc.chunks(NOISE_BLOCK)) {
        let g = &mut g[..os.len()];
        normals.fill(g);
        let n4 = os.len() / 4 * 4;
        for k in (0..n4).step_by(4) {
            // SAFETY: k + 4 <= n4 <= os.len() = vs_.len() (chunks of equal slices) <= g.len().
            // The same double operations as the portable loop, four at a time: the value
            // is finite, so max/min then truncation equal clamp and the saturating cast
            let v = _mm256_cvtps_pd(_mm_loadu_ps(vs_.as_ptr().add(k)));
            let noisy = _mm256_add_pd(v, _mm256_mul_pd(vsig, _mm256_loadu_pd(g.as_ptr().add(k))));
            let f = _mm256_round_pd::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(
                _mm256_add_pd(_mm256_mul_pd(noisy, vs), half),
            );
            let c = _mm256_min_pd(_mm256_max_pd(f, vlo), vhi);
            let codes = _mm256_cvttpd_epi32(c);
            let p = _mm_packs_epi32(codes, codes);
            _mm_storel_epi64(os.as_mut_ptr().add(k) as *mut __m128i, p);
        }
        for ((o, &v), &gv) in os[n4..].iter_mut().zip(&vs_[n4..]).zip(&g[n4..]) {
            *o = q.code(v as f64 + sigma * gv);
        }
    }
}

/// The ADC's rounding: `floor(x * gain + 1/2)` clamped to the code range.
pub(crate) struct Quantizer {
    scale: f64,
    lo: f64,
    hi: f64,
}

impl Quantizer {
    pub(crate) fn new(adc: &Adc) -> Self {
        Quantizer {
            scale: adc.gain(),
            lo: -(1i64 << (adc.bits - 1)) as f64,
            hi: ((1i64 << (adc.bits - 1)) - 1) as f64,
        }
    }

    /// The code of a noisy amplitude.
    #[inline(always)]
    pub(crate) fn code(&self, noisy: f64) -> i16 {
        (noisy * self.scale + 0.5).floor().clamp(self.lo, self.hi) as i16
    }
}

/// Samples quantized per block of noise deviates.
const NOISE_BLOCK: usize = 256;

#[inline(always)]
fn add_noise_quantize_portable(
    acc: &[f32],
    sigma: f64,
    adc: &Adc,
    rng: Xoshiro256pp,
    out: &mut [i16],
) {
    let q = Quantizer::new(adc);
    let quantize = |noisy: f64| q.code(noisy);
    if sigma <= 0.0 {
        for (o, &v) in out.iter_mut().zip(acc.iter()) {
            *o = quantize(v as f64 + 0.0);
        }
        return;
    }
    let mut normals = rng.normals();
    let mut g = [0.0f64; NOISE_BLOCK];
    for (os, vs) in out.chunks_mut(NOISE_BLOCK).zip(acc.chunks(NOISE_BLOCK)) {
        let g = &mut g[..os.len()];
        normals.fill(g);
        for ((o, &v), &gv) in os.iter_mut().zip(vs).zip(g.iter()) {
            *o = quantize(v as f64 + sigma * gv);
        }
    }
}

/// `acc[i] = sum_j taps[j] * amp[i + L - 1 - j]`, taps in ascending order.
pub(crate) fn fir_f32(taps: &[f32], amp: &[f32], acc: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is present (checked just above).
            unsafe { fir_f32_avx2(taps, amp, acc) };
            return;
        }
    }
    fir_f32_portable(taps, amp, acc)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn fir_f32_avx2(taps: &[f32], amp: &[f32], acc: &mut [f32]) {
    fir_f32_portable(taps, amp, acc)
}

#[inline(always)]
fn fir_f32_portable(taps: &[f32], amp: &[f32], acc: &mut [f32]) {
    // 32 outputs at a time with their sums in registers, taps in ascending order
    const W: usize = 32;
    let l = taps.len();
    let n = acc.len();
    let mut i = 0;
    while i + W <= n {
        let mut a = [0.0f32; W];
        for (j, &h) in taps.iter().enumerate() {
            let xs: &[f32; W] = amp[l - 1 - j + i..l - 1 - j + i + W].try_into().unwrap();
            for k in 0..W {
                a[k] += h * xs[k];
            }
        }
        acc[i..i + W].copy_from_slice(&a);
        i += W;
    }
    for (m, o) in acc.iter_mut().enumerate().skip(i) {
        let mut a = 0.0f32;
        for (j, &h) in taps.iter().enumerate() {
            a += h * amp[l - 1 - j + m];
        }
        *o = a;
    }
}

/// Equalizer settings chosen for a run and how they were obtained.
#[derive(Clone, Debug, Serialize)]
pub struct EqReport {
    /// coefficient source
    pub method: &'static str,
    /// FFE coefficients (fixed point)
    pub ffe: Vec<i32>,
    /// DFE coefficients
    pub dfe: Vec<i32>,
    /// slicer threshold
    pub threshold: i32,
    /// the outer level the coefficients target, in FFE-output LSBs
    pub amplitude: f64,
    /// floating-point design (zf/mmse)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub design: Option<FloatEq>,
    /// decision delay D in symbols
    pub delay: usize,
}

impl EqReport {
    /// The fixed-point coefficients of this report (FFE, DFE, threshold).
    pub fn coeffs(&self) -> RxCoeffs {
        RxCoeffs {
            ffe: self.ffe.clone(),
            dfe: self.dfe.clone(),
            threshold: self.threshold,
        }
    }
}

/// Channel facts in a report.
#[derive(Clone, Debug, Serialize)]
pub struct ChannelReport {
    /// preset name or "taps"
    pub name: String,
    /// pulse response
    pub taps: Vec<f64>,
    /// main-cursor index
    pub main: usize,
    /// SNR, dB
    pub snr_db: f64,
    /// noise standard deviation
    pub noise_sigma: f64,
    /// ADC bits
    pub adc_bits: u32,
    /// ADC full scale
    pub adc_full_scale: f64,
    /// `tx.ffe`, folded into `taps` (absent without one)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_ffe: Option<[f64; 3]>,
    /// with `link.model = "emulator"`: the emulator's integers (absent otherwise)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emulator: Option<EmuReport>,
}

/// The emulator's integers in a report (`channel.emulator`).
#[derive(Clone, Debug, Serialize)]
pub struct EmuReport {
    /// always "emulator"
    pub model: &'static str,
    /// `F`: fraction bits of the channel below the ADC code
    pub frac: u32,
    /// `F - F_n`: the noise (in `2^-F_n` codes) is shifted left by this much
    pub noise_shift: u32,
    /// the channel taps `H[j]` in `2^-F` ADC codes
    pub taps: Vec<i32>,
    /// noise standard deviation in `2^-F_n` codes
    pub noise_sigma_units: f64,
    /// non-zero entries of the noise table
    pub noise_table_entries: usize,
    /// the largest noise magnitude, in standard deviations
    pub noise_reach_sigmas: f64,
    /// noise generators (one per lane of the clock word)
    pub lanes: usize,
    /// `link.inject_every`: the error injector's period `K` (0 = off)
    pub inject_every: u64,
}

impl EmuReport {
    /// The report of the emulator's integers `e`.
    pub fn of(e: &crate::emu::EmuPlan) -> EmuReport {
        EmuReport {
            model: "emulator",
            frac: e.frac,
            noise_shift: e.noise_shift,
            taps: e.taps.clone(),
            noise_sigma_units: e.noise.sigma(),
            noise_table_entries: e.noise.thresholds().len(),
            noise_reach_sigmas: e.noise.reach_sigmas(),
            lanes: e.lanes,
            inject_every: e.inject_every,
        }
    }
}

/// Where the samples come from: the reference model or the emulator's integers.
enum Source<'p> {
    Reference(SampleStream<'p>),
    Emulator(Box<crate::emu::EmuStream>),
}

impl Source<'_> {
    fn next_batch(&mut self, n: usize, b: &mut Batch) {
        match self {
            Source::Reference(s) => s.next_batch(n, b),
            Source::Emulator(s) => s.next_batch(n, b),
        }
    }
}

/// Burst statistics.
#[derive(Clone, Debug, Serialize)]
pub struct BurstReport {
    /// histogram[i] = bursts of i consecutive wrong decisions; index 0 unused;
    /// the last bin counts longer bursts
    pub histogram: Vec<u64>,
    /// longest burst
    pub longest: u64,
    /// bursts in all
    pub count: u64,
}

/// Run timing.
#[derive(Clone, Debug, Serialize)]
pub struct TimingReport {
    /// wall-clock seconds of the stream (after coefficient setup)
    pub seconds: f64,
    /// symbols per second
    pub symbols_per_second: f64,
    /// worker threads
    pub threads: usize,
}

/// The JSON report of a simulation (keys documented in README.md).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// program version
    pub rxdsp_version: &'static str,
    /// symbols simulated
    pub symbols: u64,
    /// the run's seed
    pub seed: u64,
    /// data pattern
    pub pattern: String,
    /// start-up symbols left out of the statistics
    pub skipped_symbols: u64,
    /// before FEC
    pub pre_fec: ErrorReport,
    /// error bursts
    pub bursts: BurstReport,
    /// FEC statistics (null without FEC)
    pub fec: Option<FecReport>,
    /// after FEC (equal to pre_fec bits without FEC)
    pub post_fec: ErrorReport,
    /// equalizer
    pub equalizer: EqReport,
    /// channel
    pub channel: ChannelReport,
    /// timing
    pub timing: TimingReport,
    /// with `adapt.in_rtl`: the hardware engine's tap trajectory (null otherwise)
    pub adaptation: Option<AdaptReport>,
    /// the realistic link's settings (absent for the baud-rate model)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realism: Option<crate::realism::RealismReport>,
    /// with `cdr.kind = "mm"`: the clock recovery loop (absent otherwise)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cdr: Option<crate::cdr::CdrReport>,
}

/// Everything a run produces.
pub struct LinkResult {
    /// the report
    pub report: Report,
    /// the coefficients used
    pub coeffs: RxCoeffs,
    /// every ADC sample, when asked for
    pub samples: Option<Vec<i16>>,
}

/// The receiving end of a run: equalizer, alignment and statistics.
struct RxSide {
    eq: RxEq,
    counter: ErrorCounter,
    kept: Option<Vec<i16>>,
    /// transmitted levels/data: the last `delay` of the previous batch, then this batch
    tx: crate::stats::DelayedTx,
    rx_lv: Vec<u8>,
    rx_data: Vec<u8>,
    delay: usize,
    warmup: u64,
    done: u64,
    fec: Option<Deframer>,
}

impl RxSide {
    fn consume(&mut self, batch: &Batch) {
        let n = batch.samples.len();
        let d = self.delay;
        if let Some(k) = self.kept.as_mut() {
            k.extend_from_slice(&batch.samples);
        }
        self.rx_lv.resize(n, 0);
        self.rx_data.resize(n, 0);
        self.tx.push(&batch.levels, &batch.data);
        match &mut self.eq {
            RxEq::Fixed(eq) => eq.process(&batch.samples, &mut self.rx_lv, &mut self.rx_data),
            RxEq::Hw(hw) => hw.process(
                &batch.samples,
                self.tx.levels(),
                self.tx.data(),
                self.done,
                (d as u64, self.warmup),
                (&mut self.rx_lv, &mut self.rx_data),
            ),
        }
        // rx index done+i <-> tx_ext[i]
        let skip = self.warmup.saturating_sub(self.done).min(n as u64) as usize;
        self.counter.update(
            &self.tx.levels()[skip..n],
            &self.rx_lv[skip..],
            &self.tx.data()[skip..n],
            &self.rx_data[skip..],
        );
        if let Some(f) = self.fec.as_mut() {
            // rx index done+i carries transmitted symbol done+i-d
            let start = (d as u64).saturating_sub(self.done).min(n as u64) as usize;
            f.push(&self.rx_data[start..]);
        }
        self.done += n as u64;
    }
}

/// The receiver's equalizer: fixed coefficients, or the hardware engine adapting.
enum RxEq {
    Fixed(Box<Equalizer>),
    Hw(Box<HwRx>),
}

/// Chooses the coefficients for `plan` (computing, adapting or taking them).
///
/// Methods that learn from samples (`none`, `lms`, `sign-sign`) use `samples`
/// when given (a received file: no transmitted symbols are known, so
/// `adapt.training` must be 0) and otherwise the plan's own simulated stream.
pub fn choose_coeffs(
    plan: &LinkPlan,
    threads: usize,
    samples: Option<&[i16]>,
) -> Result<EqReport, LinkError> {
    let fmt = &plan.format;
    let delay = plan.pulse.main + fmt.ffe_main;
    let (coeffs, amplitude, design) = match plan.method {
        EqMethod::Manual => {
            let c = plan.manual.clone().expect("resolved manual coefficients");
            let amp = c.threshold as f64 * 1.5;
            (c, amp, None)
        }
        EqMethod::Zf | EqMethod::Mmse => {
            let lsb = plan.adc.full_scale / (1u64 << (fmt.adc_bits - 1)) as f64;
            let nv = if plan.method == EqMethod::Zf {
                0.0
            } else {
                let ss = plan.sampler_sigma();
                ss * ss + lsb * lsb / 12.0
            };
            let d = coeffs::design(&plan.pulse, fmt.ffe_taps, fmt.ffe_main, fmt.dfe_taps, nv)?;
            let fx = coeffs::quantize(&d, fmt, plan.adc.gain())?;
            (fx.coeffs, fx.amplitude, Some(d))
        }
        EqMethod::None | EqMethod::Lms | EqMethod::SignSign => {
            let mut b = Batch::default();
            match samples {
                Some(x) => {
                    if plan.training > 0 && plan.method != EqMethod::None {
                        return Err(LinkError::Unsupported(
                            "adapt.training needs the transmitted symbols, which only `rxdsp sim` has: set adapt.training = 0 to adapt decision-directed".into(),
                        ));
                    }
                    let n = (plan.adapt_symbols as usize).min(x.len());
                    b.samples = x[..n].to_vec();
                }
                None => {
                    let n = (plan.adapt_symbols.min(plan.symbols) as usize).max(4096);
                    SampleStream::new(plan, threads).next_batch(n, &mut b);
                }
            }
            if b.samples.is_empty() {
                return Err(LinkError::Unsupported(
                    "no samples to learn the equalizer from".into(),
                ));
            }
            if plan.method == EqMethod::None {
                let c = none_coeffs(fmt, &b.samples);
                let amp = c.threshold as f64 * 1.5;
                (c, amp, None)
            } else {
                let amp = adapt_amplitude(fmt);
                let params = AdaptParams {
                    algo: plan.adapt_algo.expect("adaptive method"),
                    mu_shift: plan.mu_shift,
                    training: plan.training as usize,
                    amplitude: amp,
                };
                let levels = &b.levels;
                let known = |i: usize| {
                    if i >= delay {
                        levels.get(i - delay).copied()
                    } else {
                        None
                    }
                };
                (coeffs::adapt(fmt, &b.samples, &known, &params), amp, None)
            }
        }
    };
    coeffs.validate(fmt).map_err(EqError::from)?;
    Ok(EqReport {
        method: plan.method.name(),
        ffe: coeffs.ffe.clone(),
        dfe: coeffs.dfe.clone(),
        threshold: coeffs.threshold,
        amplitude,
        design,
        delay,
    })
}

/// The outer level an adaptive equalizer aims for: a quarter of the output range.
pub fn adapt_amplitude(fmt: &RxFormat) -> f64 {
    (crate::numeric::smax(fmt.ffe_out_bits) as f64 / 4.0).max(3.0)
}

/// Pass-through coefficients with the threshold at the mean |x| (for PAM4,
/// 2/3 of the outer level).
pub fn none_coeffs(fmt: &RxFormat, x: &[i16]) -> RxCoeffs {
    let mut c = RxCoeffs::pass_through(fmt, 1);
    let gain = c.ffe[fmt.ffe_main] as f64 / (1u64 << fmt.ffe_shift()) as f64;
    let mean = x.iter().map(|&v| (v as f64).abs()).sum::<f64>() / x.len().max(1) as f64;
    c.threshold = ((mean * gain).round() as i64).clamp(1, fmt.max_threshold()) as i32;
    c
}

/// Runs the link simulation of `plan`.
pub fn run(plan: &LinkPlan, opts: &RunOptions) -> Result<LinkResult, LinkError> {
    let threads = opts.threads.max(1);
    let eqr = match &plan.hw_adapt {
        None => choose_coeffs(plan, threads, None)?,
        Some(hw) => crate::adapt_link::initial_coeffs(plan, hw, threads)?,
    };
    let coeffs = eqr.coeffs();
    let eq = match &plan.hw_adapt {
        None => RxEq::Fixed(Box::new(Equalizer::new(
            &plan.format,
            &coeffs,
            Engine::Fast,
        )?)),
        Some(hw) => RxEq::Hw(Box::new(HwRx::new(plan, hw, &coeffs)?)),
    };
    let d = eqr.delay;
    let warmup = warmup_symbols(plan, d);
    let t0 = std::time::Instant::now();
    let mut stream = match plan.model {
        LinkModel::Reference => {
            let mut s = SampleStream::new(plan, threads);
            s.attach_cdr(&coeffs)?;
            Source::Reference(s)
        }
        LinkModel::Emulator => Source::Emulator(Box::new(crate::emu::EmuStream::new(plan)?)),
    };
    let emu_report = match &stream {
        Source::Emulator(e) => Some(EmuReport::of(e.plan())),
        Source::Reference(_) => None,
    };
    let mut rx = RxSide {
        eq,
        counter: ErrorCounter::default(),
        kept: if opts.keep_samples {
            Some(Vec::with_capacity(plan.symbols as usize))
        } else {
            None
        },
        tx: crate::stats::DelayedTx::new(d),
        rx_lv: Vec::new(),
        rx_data: Vec::new(),
        delay: d,
        warmup,
        done: 0,
        fec: fec_code(plan.fec).map(|code| {
            Deframer::new(
                code,
                plan.pattern,
                plan.seed,
                plan.interleave,
                warmup - d as u64,
            )
        }),
    };
    // The receiver runs in its own thread, one batch behind the transmitter
    // and channel, so the serial equalizer overlaps the parallel channel model.
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Batch>(1);
    let (empty_tx, empty_rx) = std::sync::mpsc::sync_channel::<Batch>(2);
    empty_tx.send(Batch::default()).expect("fresh channel");
    empty_tx.send(Batch::default()).expect("fresh channel");
    let rx = std::thread::scope(|s| {
        let consumer = s.spawn(move || {
            for batch in full_rx {
                rx.consume(&batch);
                if let Some(p) = opts.progress {
                    p(rx.done);
                }
                // the producer may have finished: a closed return channel is fine
                let _ = empty_tx.send(batch);
            }
            rx
        });
        let mut done = 0u64;
        while done < plan.symbols {
            let n = ((plan.symbols - done) as usize).min(BATCH);
            let mut batch = empty_rx.recv().expect("consumer alive");
            stream.next_batch(n, &mut batch);
            full_tx.send(batch).expect("consumer alive");
            done += n as u64;
        }
        drop(full_tx);
        consumer.join().expect("receiver thread")
    });
    let mut counter = rx.counter;
    let kept = rx.kept;
    let fec = rx.fec;
    let adaptation = match rx.eq {
        RxEq::Fixed(_) => None,
        RxEq::Hw(hw) => Some(hw.report()),
    };
    counter.finish();
    let secs = t0.elapsed().as_secs_f64();
    let cdr = match &stream {
        Source::Reference(s) => s.cdr_report(),
        Source::Emulator(_) => None,
    };
    let report = assemble_report(
        plan,
        eqr,
        &counter,
        fec.as_ref(),
        ReportExtras {
            timing: TimingReport {
                seconds: secs,
                symbols_per_second: plan.symbols as f64 / secs.max(1e-9),
                threads,
            },
            adaptation,
            cdr,
            emulator: emu_report,
        },
    );
    Ok(LinkResult {
        report,
        coeffs,
        samples: kept,
    })
}

/// The parts of a [`Report`] that [`assemble_report`] does not derive from
/// the plan, the equalizer and the counts.
#[derive(Clone, Debug)]
pub struct ReportExtras {
    /// the run's timing (`timing`)
    pub timing: TimingReport,
    /// with `adapt.in_rtl`: the engine's trajectory (`adaptation`, null otherwise)
    pub adaptation: Option<AdaptReport>,
    /// with `cdr.kind = "mm"`: the clock recovery loop (`cdr`)
    pub cdr: Option<crate::cdr::CdrReport>,
    /// with `link.model = "emulator"`: its integers (`channel.emulator`, [`emu_report`])
    pub emulator: Option<EmuReport>,
}

/// The report of a run of `plan` from its counts: `eqr` the equalizer used
/// (its `delay` sets `skipped_symbols`, [`warmup_symbols`]), `counter` the
/// pre-FEC counts over received symbols `[warmup, plan.symbols)` with the last
/// burst closed ([`ErrorCounter::finish`]), `fec` the FEC decoder when
/// `tx.fec` is set (`None`: `fec` null and `post_fec` the pre-FEC bits).
///
/// [`run`] builds its report with this; `rxdsp bert` builds its report with
/// it from the counters read off the device
/// (`crate::check::CheckCounts::counter`), so both have the same keys and,
/// for the same counts, the same values.
pub fn assemble_report(
    plan: &LinkPlan,
    eqr: EqReport,
    counter: &ErrorCounter,
    fec: Option<&Deframer>,
    extras: ReportExtras,
) -> Report {
    let pre = ErrorReport::from(counter);
    let post = match fec {
        None => ErrorReport {
            symbols: None,
            symbol_errors: None,
            ser: None,
            level_errors: None,
            ..pre.clone()
        },
        Some(f) => ErrorReport {
            bits: f.bits,
            bit_errors: f.bit_errors,
            ber: crate::stats::ratio(f.bit_errors, f.bits),
            symbols: None,
            symbol_errors: None,
            ser: None,
            level_errors: None,
        },
    };
    let warmup = warmup_symbols(plan, eqr.delay);
    Report {
        rxdsp_version: env!("CARGO_PKG_VERSION"),
        symbols: plan.symbols,
        seed: plan.seed,
        pattern: plan.pattern.to_string(),
        skipped_symbols: warmup.min(plan.symbols),
        pre_fec: pre,
        bursts: BurstReport {
            count: counter.bursts.iter().sum(),
            histogram: counter.bursts.clone(),
            longest: counter.longest_burst,
        },
        fec: fec.map(|f| f.report(plan.interleave)),
        post_fec: post,
        equalizer: eqr,
        channel: ChannelReport {
            name: plan.channel_name.clone(),
            taps: plan.pulse.taps.clone(),
            main: plan.pulse.main,
            snr_db: plan.snr_db,
            noise_sigma: plan.sigma,
            adc_bits: plan.adc.bits,
            adc_full_scale: plan.adc.full_scale,
            tx_ffe: plan.tx_ffe,
            emulator: extras.emulator,
        },
        timing: extras.timing,
        adaptation: extras.adaptation,
        realism: plan.realism.as_ref().map(|r| r.report()),
        cdr: extras.cdr,
    }
}

/// The `channel.emulator` object of a plan: `Some` with `link.model =
/// "emulator"` (its integers, [`crate::emu::EmuPlan::new`]), `None` otherwise.
pub fn emu_report(plan: &LinkPlan) -> Result<Option<EmuReport>, LinkError> {
    match plan.model {
        LinkModel::Reference => Ok(None),
        LinkModel::Emulator => Ok(Some(EmuReport::of(&crate::emu::EmuPlan::new(plan)?))),
    }
}

/// Keeps `channel` in the public surface for users of this module.
pub use channel::Pulse;

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX2 add-noise-and-quantize path gives the portable path's samples, values
    /// beyond both ends of the ADC range (the clamps) and on rounding boundaries included.
    #[test]
    fn quantize_paths_agree() {
        let adc = Adc {
            bits: 8,
            full_scale: 1.0,
        };
        let mut r = Xoshiro256pp::new(9);
        let mut acc: Vec<f32> = (0..5000)
            .map(|_| (r.next_f64() * 3.0 - 1.5) as f32)
            .collect();
        // exact half-codes: k + 0.5 LSB before the noise
        acc.extend((-130..130).map(|k| (k as f32 + 0.5) / 128.0));
        for sigma in [0.0, 0.05, 0.8] {
            for len in [acc.len(), 3, 257] {
                let mut a = vec![0i16; len];
                let mut b = vec![0i16; len];
                add_noise_quantize(&acc[..len], sigma, &adc, Xoshiro256pp::new(4), &mut a);
                add_noise_quantize_portable(&acc[..len], sigma, &adc, Xoshiro256pp::new(4), &mut b);
                assert_eq!(a, b, "sigma {sigma} len {len}");
                assert!(a.contains(&127) && a.contains(&-128) || len < 300);
            }
        }
    }

    /// `fec_frames` counts the frames the deframer of `run` decodes and skips.
    #[test]
    fn fec_frames_are_the_deframers() {
        use crate::config::{Config, FecKind};
        for (fec, il, symbols) in [
            (FecKind::Kp4, false, 20_000),
            (FecKind::Kr4, true, 30_001),
            (FecKind::Kp4, false, 2_000),
            (FecKind::Kr4, false, 2_640 + 60),
        ] {
            let mut cfg = Config::default();
            cfg.tx.fec = fec;
            cfg.tx.interleave = il;
            cfg.link.symbols = symbols;
            let plan = cfg.resolve().unwrap();
            let r = run(&plan, &RunOptions::default()).unwrap().report;
            let f = r.fec.unwrap();
            let (sk, n) = fec_frames(&plan, r.equalizer.delay, symbols as u64).unwrap();
            let ways = fec_frame_codewords(&plan);
            assert_eq!(
                (f.skipped_codewords, f.codewords),
                (sk * ways, n * ways),
                "{fec:?} interleave {il} symbols {symbols}"
            );
        }
    }
}
