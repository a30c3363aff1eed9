//! Exact shards of a link run: the counts of received symbols
//! `[j L, (j + 1) L)` of the run `rxdsp sim` would make, computed without
//! running the symbols before them, so that the shards of a run computed
//! anywhere, in any order, sum ([`merge`]) to the run's own counts, bit for
//! bit (docs/sweeps.md).
//!
//! How a shard starts in the middle of a run:
//! * **Streams.** The transmitter jumps to its position ([`crate::link::tx_at`]:
//!   the PRBS by a matrix power, FEC frames from their frame); the noise of
//!   each chunk of [`CHUNK`] symbols is seeded by the chunk's index already,
//!   so the samples from a chunk boundary on are the run's samples.
//! * **Receiver state.** The FFE needs the N-1 samples before. The DFE and the
//!   precoder decoder need the last K = max(M, precode) decisions, which
//!   depend on the whole past. The shard starts receiving W symbols early and
//!   runs the slicer from *every* one of the 4^K possible decision histories
//!   in lockstep until all of them agree: from that symbol on the decisions
//!   are the run's whatever its history was. If they do not agree in time, W
//!   grows (up to the start of the run, where the history is known).
//! * **Ownership.** Symbol counts are per symbol. An error burst crossing a
//!   shard boundary is stitched by [`merge`] from each shard's leading and
//!   trailing error runs. A FEC frame belongs to the shard holding its last
//!   received symbol, so the frames a prefix of shards decodes are exactly the
//!   frames the run of that length decodes.
//!
//! Not shardable (refused): the random pattern (no jump-ahead), the emulator
//! link model (its noise lanes run continuously), `adapt.in_rtl` (the taps
//! depend on every symbol before) and `cdr.kind = "mm"` (so does the loop's
//! phase). The realistic link's jitter and CTLE-shaped noise are drawn per
//! chunk and its SJ phase comes from the absolute symbol index
//! ([`crate::wave_link`]): they shard exactly.

use crate::config::{LinkModel, LinkPlan};
use crate::eq::{Engine, Equalizer};
use crate::framing::{Deframer, Framer};
use crate::link::{choose_coeffs, fec_code, warmup_symbols, Batch, LinkError, SampleStream, CHUNK};
use crate::numeric::RxCoeffs;
use crate::stats::{ErrorCounter, MAX_BURST_BIN};
use serde::{Deserialize, Serialize};

/// Largest shard, in symbols (the shard is held in memory: 4 bytes a symbol).
pub const MAX_SHARD_SYMBOLS: u64 = 1 << 26;

/// Error runs of a shard that may continue into its neighbours.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurstEdges {
    /// consecutive wrong decisions at the start of the counted symbols
    pub lead: u64,
    /// consecutive wrong decisions at the end
    pub trail: u64,
    /// every counted symbol was wrong (then lead = trail = the count)
    pub all: bool,
    /// bursts touching neither end, binned as [`ErrorCounter::bursts`]
    pub interior: Vec<u64>,
    /// the longest interior burst
    pub longest_interior: u64,
}

/// FEC counts of the frames a shard owns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FecCounts {
    /// codewords decoded
    pub codewords: u64,
    /// codewords with corrected symbols
    pub corrected_codewords: u64,
    /// symbols corrected
    pub corrected_symbols: u64,
    /// codewords flagged uncorrectable
    pub uncorrectable_codewords: u64,
    /// codewords by corrected symbols (last bin: uncorrectable)
    pub histogram: Vec<u64>,
    /// 10-bit symbols compared
    pub symbols: u64,
    /// 10-bit symbols wrong before decoding
    pub symbol_errors: u64,
    /// payload bits delivered
    pub bits: u64,
    /// payload bits wrong after decoding
    pub bit_errors: u64,
    /// codewords called corrected whose message was wrong
    pub miscorrected_codewords: u64,
    /// codewords inside the receiver's start-up, not decoded
    pub skipped_codewords: u64,
}

/// The integer counts of one shard (or, summed by [`merge`], of a run).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardCounts {
    /// first received symbol of the shard
    pub first: u64,
    /// received symbols in the shard (counted or inside the start-up)
    pub len: u64,
    /// symbols compared (after the start-up)
    pub symbols: u64,
    /// wrong decisions
    pub symbol_errors: u64,
    /// bits compared
    pub bits: u64,
    /// wrong bits
    pub bit_errors: u64,
    /// wrong decisions by transmitted level index (as [`ErrorCounter::level_errors`];
    /// zero in records written before the field existed)
    #[serde(default)]
    pub level_errors: [u64; 4],
    /// the error runs
    pub bursts: BurstEdges,
    /// FEC counts (absent without FEC)
    pub fec: Option<FecCounts>,
}

/// Counts of the received symbols `[index * len, (index + 1) * len)` of the
/// run of `plan` (`len` a multiple of [`CHUNK`], at most
/// [`MAX_SHARD_SYMBOLS`]). `plan.symbols` matters only where the run's
/// coefficients depend on it: the adaptive methods learn over
/// min(`adapt.symbols`, `link.symbols`) symbols.
pub fn run_shard(
    plan: &LinkPlan,
    len: u64,
    index: u64,
    threads: usize,
) -> Result<ShardCounts, LinkError> {
    check_shardable(plan, len)?;
    SCRATCH.with(|s| run_shard_in(plan, len, index, threads, &mut s.borrow_mut()))
}

/// The buffers of a shard, kept per thread from one shard to the next: a
/// fresh 30 MB per shard cost more in page faults (and the kernel's memory
/// accounting, shared by the cores) than a third of the shard's own work.
#[derive(Default)]
struct Scratch {
    batch: Batch,
    levels: Vec<u8>,
    data: Vec<u8>,
    errors: Vec<usize>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

fn run_shard_in(
    plan: &LinkPlan,
    len: u64,
    index: u64,
    threads: usize,
    sc: &mut Scratch,
) -> Result<ShardCounts, LinkError> {
    let eqr = choose_coeffs(plan, threads, None)?;
    let coeffs = eqr.coeffs();
    let d = eqr.delay as u64;
    let (a, b) = (index * len, (index + 1) * len);
    let fec = fec_window(plan, d, a, b);
    // decisions must be exact from here on
    let need = fec.map_or(a, |(lo, _, fs)| a.min(lo * fs + d));
    let mut lookback = initial_lookback(plan, d);
    loop {
        let s0 = (need.saturating_sub(lookback) / CHUNK as u64) * CHUNK as u64;
        let batch = &mut sc.batch;
        SampleStream::at(plan, threads, s0)?.next_batch((b - s0) as usize, batch);
        let Some((c, hist)) = coalesce(plan, &coeffs, &batch.samples, s0) else {
            lookback *= 4;
            continue;
        };
        if c > need {
            lookback *= 4;
            continue;
        }
        let mut eq = Equalizer::new(&plan.format, &coeffs, Engine::Fast)?;
        let n = plan.format.ffe_taps;
        let off = (c - s0) as usize;
        if c > 0 {
            eq.set_state(&batch.samples[off + 1 - n..off], hist);
        }
        let m = batch.samples.len() - off;
        // every element is written by `process`: no need to clear
        sc.levels.resize(m, 0);
        sc.data.resize(m, 0);
        let (lv, data) = (&mut sc.levels[..m], &mut sc.data[..m]);
        eq.process(&batch.samples[off..], lv, data);
        let rx = Received {
            first: c,
            levels: lv,
            data,
        };
        let mut out = count_symbols(plan, d, (a, b), &rx, (s0, batch), &mut sc.errors);
        out.fec = fec.map(|w| count_frames(plan, d, w, &rx));
        return Ok(out);
    }
}

/// Refuses what cannot be sharded (and shard lengths that are not a multiple
/// of [`CHUNK`] up to [`MAX_SHARD_SYMBOLS`]), with one clear line.
pub fn check_shardable(plan: &LinkPlan, len: u64) -> Result<(), LinkError> {
    let bad = |m: String| Err(LinkError::Unsupported(m));
    if len == 0 || len & (CHUNK as u64 - 1) != 0 || len > MAX_SHARD_SYMBOLS {
        return bad(format!(
            "shard length {len}: a multiple of {CHUNK} symbols up to {MAX_SHARD_SYMBOLS}"
        ));
    }
    if plan.model == LinkModel::Emulator {
        return bad("link.model = \"emulator\" cannot be sharded: its noise lanes run continuously from the start (run it whole)".into());
    }
    if plan.realism.as_ref().is_some_and(|r| r.cdr.is_some()) {
        return bad("cdr.kind = \"mm\" cannot be sharded: the loop's phase depends on every symbol before (run it whole)".into());
    }
    if plan.hw_adapt.is_some() {
        return bad("adapt.in_rtl = true cannot be sharded: the taps depend on every symbol before (run it whole)".into());
    }
    if plan.pattern.polynomial().is_none() {
        return bad("link.pattern = \"random\" cannot be sharded (its generator has no jump-ahead): use a PRBS pattern".into());
    }
    Ok(())
}

/// The first lookback tried: the filters' reach and a frame, rounded up.
fn initial_lookback(plan: &LinkPlan, d: u64) -> u64 {
    let frame = fec_code(plan.fec).map_or(0, |c| {
        Framer::new(c, plan.pattern, plan.seed, plan.interleave).frame_symbols() as u64
    });
    (d + (plan.format.ffe_taps + plan.pulse.taps.len()) as u64 + 1024).max(frame + d)
}

/// The frames a shard `[a, b)` owns: `(first, last, frame symbols)` with
/// `first > last` when it owns none; `None` without FEC.
fn fec_window(plan: &LinkPlan, d: u64, a: u64, b: u64) -> Option<(u64, u64, u64)> {
    let code = fec_code(plan.fec)?;
    let fs = Framer::new(code, plan.pattern, plan.seed, plan.interleave).frame_symbols() as u64;
    // frame f ends at received symbol f fs + fs - 1 + d
    let end = |f: u64| f * fs + fs - 1 + d;
    let lo = (a + 1).saturating_sub(fs + d).div_ceil(fs);
    let lo = if end(lo) < a { lo + 1 } else { lo };
    // frames ending before b: f fs + fs + d <= b
    let hi = if b >= fs + d {
        (b - fs - d) / fs
    } else {
        return Some((1, 0, fs));
    };
    Some((lo, hi, fs))
}

/// Decisions of a receiver resumed at `first`: `levels[i]` is received
/// symbol `first + i`.
struct Received<'a> {
    first: u64,
    levels: &'a [u8],
    data: &'a [u8],
}

/// Runs the slicer over the FFE outputs of `x` (sample `s0` first) from all
/// 4^K decision histories at once; returns the first symbol from which every
/// history gives the same decisions, and the common history there (newest
/// first). At `s0 = 0` the history is known (the line idles at level 0).
fn coalesce(plan: &LinkPlan, coeffs: &RxCoeffs, x: &[i16], s0: u64) -> Option<(u64, [u8; 4])> {
    if s0 == 0 {
        return Some((0, [0; 4]));
    }
    let fmt = &plan.format;
    let n = fmt.ffe_taps;
    let k = fmt.dfe_taps.max(usize::from(fmt.precode));
    // the FFE output is exact from sample n - 1 of the batch on; it is
    // computed a block at a time, as far as the histories take to agree
    let mut ffe = crate::eq::Ffe::new(fmt, coeffs, Engine::Fast).ok()?;
    let start = n - 1;
    if k == 0 {
        return Some((s0 + start as u64, [0; 4]));
    }
    let mut states: Vec<[u8; 4]> = (0..1usize << (2 * k))
        .map(|v| {
            let mut h = [0u8; 4];
            for (j, hj) in h.iter_mut().enumerate().take(k) {
                *hj = ((v >> (2 * j)) & 3) as u8;
            }
            h
        })
        .collect();
    let t = coeffs.threshold as i64;
    const BLOCK: usize = 4096;
    let mut y = vec![0i32; BLOCK];
    for (bi, xb) in x.chunks(BLOCK).enumerate() {
        let y = &mut y[..xb.len()];
        ffe.process(xb, y);
        for (j, &yv) in y.iter().enumerate() {
            let i = bi * BLOCK + j;
            if i < start {
                continue;
            }
            for h in states.iter_mut() {
                let mut z = yv as i64;
                for (m, &bm) in coeffs.dfe.iter().enumerate() {
                    z -= bm as i64 * (2 * h[m] as i64 - 3);
                }
                let z = z as i32 as i64;
                let dec = (z >= -t) as u8 + (z >= 0) as u8 + (z >= t) as u8;
                *h = [dec, h[0], h[1], h[2]];
            }
            let key = |h: &[u8; 4]| h[..k].to_vec();
            states.sort_by_key(key);
            states.dedup_by_key(|h| key(h));
            if states.len() == 1 {
                return Some((s0 + i as u64 + 1, states[0]));
            }
        }
    }
    None
}

/// Symbol and burst counts over the owned `[a, b)` (after the start-up);
/// `errors` is scratch space.
fn count_symbols(
    plan: &LinkPlan,
    d: u64,
    (a, b): (u64, u64),
    rx: &Received,
    (s0, batch): (u64, &Batch),
    errors: &mut Vec<usize>,
) -> ShardCounts {
    let warmup = warmup_symbols(plan, d as usize);
    let from = a.max(warmup).min(b);
    let mut out = ShardCounts {
        first: a,
        len: b - a,
        ..Default::default()
    };
    if from == b {
        out.bursts.interior = vec![0; MAX_BURST_BIN + 2];
        return out;
    }
    let r = (from - rx.first) as usize..(b - rx.first) as usize;
    // received symbol i carries transmitted symbol i - d (batch index i - d - s0)
    let t = (from - d - s0) as usize..(b - d - s0) as usize;
    let mut c = ErrorCounter::default();
    c.update(
        &batch.levels[t.clone()],
        &rx.levels[r.clone()],
        &batch.data[t.clone()],
        &rx.data[r.clone()],
    );
    out.symbols = c.symbols;
    out.symbol_errors = c.symbol_errors;
    out.bits = c.bits;
    out.bit_errors = c.bit_errors;
    out.level_errors = c.level_errors;
    wrong_positions(&batch.levels[t], &rx.levels[r.clone()], errors);
    out.bursts = burst_edges(r.len(), errors);
    out
}

/// The indices where `a` and `b` differ, into `out` (cleared first); blocks
/// of 64 that agree are skipped whole, as the error counter does.
fn wrong_positions(a: &[u8], b: &[u8], out: &mut Vec<usize>) {
    const BLOCK: usize = 64;
    out.clear();
    for (bi, (x, y)) in a.chunks(BLOCK).zip(b.chunks(BLOCK)).enumerate() {
        if x != y {
            let base = bi * BLOCK;
            out.extend(
                x.iter()
                    .zip(y)
                    .enumerate()
                    .filter(|(_, (p, q))| p != q)
                    .map(|(j, _)| base + j),
            );
        }
    }
}

/// The leading and trailing error runs of `n` decisions whose wrong ones
/// are at the (increasing) indices `wrong`, and the bursts between.
fn burst_edges(n: usize, wrong: &[usize]) -> BurstEdges {
    let mut e = BurstEdges {
        interior: vec![0; MAX_BURST_BIN + 2],
        ..Default::default()
    };
    if wrong.len() == n {
        e.lead = n as u64;
        e.trail = n as u64;
        e.all = true;
        return e;
    }
    // the runs of consecutive indices, in order
    let mut runs = Vec::new();
    let mut i = 0;
    while i < wrong.len() {
        let start = wrong[i];
        let mut j = i + 1;
        while j < wrong.len() && wrong[j] == wrong[j - 1] + 1 {
            j += 1;
        }
        runs.push((start, j - i));
        i = j;
    }
    let mut inner = &runs[..];
    if let Some(&(0, len)) = inner.first() {
        e.lead = len as u64;
        inner = &inner[1..];
    }
    if let Some(&(start, len)) = inner.last() {
        if start + len == n {
            e.trail = len as u64;
            inner = &inner[..inner.len() - 1];
        }
    }
    for &(_, len) in inner {
        e.interior[len.min(MAX_BURST_BIN + 1)] += 1;
        e.longest_interior = e.longest_interior.max(len as u64);
    }
    e
}

/// Decodes the frames `lo..=hi` from the exact decisions.
fn count_frames(
    plan: &LinkPlan,
    d: u64,
    (lo, hi, fs): (u64, u64, u64),
    rx: &Received,
) -> FecCounts {
    let code = fec_code(plan.fec).expect("FEC window only with FEC");
    let warmup = warmup_symbols(plan, d as usize);
    let mut out = FecCounts {
        histogram: vec![0; code.t() + 2],
        ..Default::default()
    };
    if lo > hi {
        return out;
    }
    let mut de = Deframer::at_frame(
        code,
        plan.pattern,
        plan.seed,
        plan.interleave,
        warmup - d,
        lo,
    )
    .expect("PRBS payload (checked)");
    let from = (lo * fs + d - rx.first) as usize;
    let to = ((hi + 1) * fs + d - rx.first) as usize;
    de.push(&rx.data[from..to]);
    out.codewords = de.stats.codewords;
    out.corrected_codewords = de.stats.corrected_codewords;
    out.corrected_symbols = de.stats.corrected_symbols;
    out.uncorrectable_codewords = de.stats.uncorrectable_codewords;
    out.histogram = de.stats.histogram.clone();
    out.symbols = de.symbols;
    out.symbol_errors = de.symbol_errors;
    out.bits = de.bits;
    out.bit_errors = de.bit_errors;
    out.miscorrected_codewords = de.miscorrected;
    out.skipped_codewords = de.skipped_codewords;
    out
}

/// The counts of consecutive shards `0..k` (in any order in `shards`; each
/// index once), as one run of their total length: sums, with error bursts
/// stitched across the boundaries. Errors: a gap or a duplicate.
pub fn merge(shards: &[ShardCounts]) -> Result<MergedCounts, String> {
    let mut v: Vec<&ShardCounts> = shards.iter().collect();
    v.sort_by_key(|s| s.first);
    let mut m = MergedCounts {
        bursts: vec![0; MAX_BURST_BIN + 2],
        ..Default::default()
    };
    let mut next = 0u64;
    let mut open = 0u64;
    let close = |run: u64, m: &mut MergedCounts| {
        if run > 0 {
            m.bursts[(run as usize).min(MAX_BURST_BIN + 1)] += 1;
            m.longest_burst = m.longest_burst.max(run);
        }
    };
    for s in v {
        if s.first != next {
            return Err(format!(
                "shards are not consecutive: expected one starting at symbol {next}, found {}",
                s.first
            ));
        }
        next = s.first + s.len;
        m.symbols += s.symbols;
        m.total += s.len;
        m.symbol_errors += s.symbol_errors;
        m.bits += s.bits;
        m.bit_errors += s.bit_errors;
        for (acc, x) in m.level_errors.iter_mut().zip(&s.level_errors) {
            *acc += x;
        }
        let e = &s.bursts;
        if s.symbols > 0 {
            if e.all {
                open += e.lead;
            } else {
                close(open + e.lead, &mut m);
                for (acc, x) in m.bursts.iter_mut().zip(&e.interior) {
                    *acc += x;
                }
                m.longest_burst = m.longest_burst.max(e.longest_interior);
                open = e.trail;
            }
        }
        if let Some(f) = &s.fec {
            let t = m.fec.get_or_insert_with(|| FecCounts {
                histogram: vec![0; f.histogram.len()],
                ..Default::default()
            });
            add_fec(t, f);
        }
    }
    close(open, &mut m);
    Ok(m)
}

fn add_fec(t: &mut FecCounts, f: &FecCounts) {
    t.codewords += f.codewords;
    t.corrected_codewords += f.corrected_codewords;
    t.corrected_symbols += f.corrected_symbols;
    t.uncorrectable_codewords += f.uncorrectable_codewords;
    for (a, x) in t.histogram.iter_mut().zip(&f.histogram) {
        *a += x;
    }
    t.symbols += f.symbols;
    t.symbol_errors += f.symbol_errors;
    t.bits += f.bits;
    t.bit_errors += f.bit_errors;
    t.miscorrected_codewords += f.miscorrected_codewords;
    t.skipped_codewords += f.skipped_codewords;
}

/// The counts of a run assembled from shards ([`merge`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedCounts {
    /// received symbols covered (the start-up included)
    pub total: u64,
    /// symbols compared
    pub symbols: u64,
    /// wrong decisions
    pub symbol_errors: u64,
    /// bits compared
    pub bits: u64,
    /// wrong bits
    pub bit_errors: u64,
    /// wrong decisions by transmitted level index
    #[serde(default)]
    pub level_errors: [u64; 4],
    /// bursts by length (index 0 unused, the last bin longer ones)
    pub bursts: Vec<u64>,
    /// the longest burst
    pub longest_burst: u64,
    /// FEC counts
    pub fec: Option<FecCounts>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rng::Xoshiro256pp;

    /// Bursts cut anywhere and stitched by `merge` are the bursts of the whole.
    #[test]
    fn stitched_bursts_equal_the_whole() {
        let mut r = Xoshiro256pp::new(5);
        for case in 0..300 {
            let n = 1 + (r.next_u64() % 400) as usize;
            let p = [0.02, 0.3, 0.7, 0.97][case % 4];
            let wrong: Vec<bool> = (0..n).map(|_| r.next_f64() < p).collect();
            let mut whole = ErrorCounter::default();
            let tx: Vec<u8> = vec![0; n];
            let rx: Vec<u8> = wrong.iter().map(|&w| u8::from(w)).collect();
            whole.update_naive(&tx, &rx, &tx, &tx);
            whole.finish();
            // random cut points
            let mut cuts: Vec<usize> = (0..(r.next_u64() % 6))
                .map(|_| (r.next_u64() % n as u64) as usize)
                .collect();
            cuts.extend([0, n]);
            cuts.sort_unstable();
            cuts.dedup();
            let parts: Vec<ShardCounts> = cuts
                .windows(2)
                .map(|w| ShardCounts {
                    first: w[0] as u64,
                    len: (w[1] - w[0]) as u64,
                    symbols: (w[1] - w[0]) as u64,
                    bursts: {
                        let part = &wrong[w[0]..w[1]];
                        let pos: Vec<usize> = (0..part.len()).filter(|&i| part[i]).collect();
                        burst_edges(part.len(), &pos)
                    },
                    ..Default::default()
                })
                .collect();
            let m = merge(&parts).unwrap();
            assert_eq!(m.bursts, whole.bursts, "case {case} cuts {cuts:?}");
            assert_eq!(m.longest_burst, whole.longest_burst, "case {case}");
        }
    }

    /// The block-skipping scan finds every difference, at any offset.
    #[test]
    fn wrong_positions_are_every_difference() {
        let mut r = Xoshiro256pp::new(9);
        let mut out = Vec::new();
        for case in 0..200 {
            let n = (r.next_u64() % 700) as usize;
            let a: Vec<u8> = (0..n).map(|_| (r.next_u64() % 4) as u8).collect();
            let p = [0.001, 0.05, 0.5][case % 3];
            let b: Vec<u8> = a
                .iter()
                .map(|&x| if r.next_f64() < p { (x + 1) % 4 } else { x })
                .collect();
            wrong_positions(&a, &b, &mut out);
            let want: Vec<usize> = (0..n).filter(|&i| a[i] != b[i]).collect();
            assert_eq!(out, want, "case {case}");
        }
    }

    /// A receiver resumed where `coalesce` says makes the continuous run's
    /// decisions from there on, at an SNR where a wrong history would show.
    #[test]
    fn resumed_receiver_equals_the_continuous_one() {
        for (m, precode) in [(1, false), (2, true), (4, false), (0, true)] {
            let mut c = Config::default();
            c.channel.snr_db = 15.0;
            c.dfe.taps = m;
            c.tx.precode = precode;
            c.link.symbols = 6 * CHUNK as i64;
            let plan = c.resolve().unwrap();
            let eqr = choose_coeffs(&plan, 1, None).unwrap();
            let coeffs = eqr.coeffs();
            let mut b = Batch::default();
            SampleStream::new(&plan, 1).next_batch(6 * CHUNK, &mut b);
            let mut eq = Equalizer::new(&plan.format, &coeffs, Engine::Naive).unwrap();
            let want = eq.process_all(&b.samples);
            let mut checked = 0;
            for k in 1..6u64 {
                let s0 = k * CHUNK as u64;
                let x = &b.samples[s0 as usize..];
                let (cpos, hist) = coalesce(&plan, &coeffs, x, s0).unwrap();
                let off = (cpos - s0) as usize;
                let n = plan.format.ffe_taps;
                let mut e = Equalizer::new(&plan.format, &coeffs, Engine::Fast).unwrap();
                e.set_state(&x[off + 1 - n..off], hist);
                let got = e.process_all(&x[off..]);
                let from = cpos as usize;
                assert_eq!(
                    got.levels,
                    want.levels[from..],
                    "M {m} precode {precode} at {s0}"
                );
                assert_eq!(
                    got.data,
                    want.data[from..],
                    "M {m} precode {precode} at {s0}"
                );
                checked += 1;
            }
            assert_eq!(checked, 5);
        }
    }
}
