//! BER sweeps in exact shards (docs/sweeps.md): a sweep spec (a base
//! configuration and a grid of keys), shard records that hold only integer
//! counts and their provenance, the deterministic stop rule, and the points
//! table with 95 % Clopper-Pearson intervals. Nothing here depends on where
//! or when a shard ran: `rxdsp sweep`, `rxdsp merge` and the Python package
//! all go through these functions.

use crate::cfgload::{self, ConfigLoadError};
use golden::config::{Config, LinkPlan};
use golden::shard::{merge, run_shard, MergedCounts, ShardCounts};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use thiserror::Error;

pub mod folder;
pub mod queue;

pub use folder::record_name;
pub use queue::WorkQueue;

/// Records by point, then shard.
pub type Records = BTreeMap<usize, BTreeMap<u64, ShardRecord>>;

/// The program version written into every record.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Default shard length: 2^22 symbols (a multiple of the noise chunk).
pub const DEFAULT_SHARD_SYMBOLS: u64 = 1 << 22;

/// Errors of a sweep: bad input (exit 2).
#[derive(Debug, Error)]
pub enum SweepError {
    /// a grid argument that does not parse
    #[error("--grid {arg}: {why}")]
    Grid {
        /// the argument
        arg: String,
        /// what is wrong
        why: String,
    },
    /// the configuration of a point
    #[error("point {point} ({values}): {source}")]
    Config {
        /// point index
        point: usize,
        /// its swept values
        values: String,
        /// the cause
        source: ConfigLoadError,
    },
    /// the link model refused
    #[error("point {point}: {why}")]
    Run {
        /// point index
        point: usize,
        /// the cause
        why: String,
    },
    /// a record that does not belong
    #[error("{0}")]
    Record(String),
}

/// One swept key and its values (each in TOML syntax, as `--set` takes them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Axis {
    /// `section.key`
    pub key: String,
    /// values
    pub values: Vec<String>,
}

/// Parses `K=V1,V2,...` or `K=A:B:STEP` (inclusive of B within a
/// thousandth of a step).
pub fn parse_grid(arg: &str) -> Result<Axis, SweepError> {
    let bad = |why: &str| SweepError::Grid {
        arg: arg.to_string(),
        why: why.to_string(),
    };
    let (key, vals) = arg
        .split_once('=')
        .ok_or_else(|| bad("expected KEY=V1,V2 or KEY=A:B:STEP"))?;
    let key = key.trim();
    if key.split('.').count() != 2 || key.split('.').any(str::is_empty) {
        return Err(bad("the key must be section.key, e.g. channel.snr_db"));
    }
    let parts: Vec<&str> = vals.split(':').collect();
    let values: Vec<String> = if parts.len() == 3 {
        let num = |s: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(&format!("{s:?} is not a number")))
        };
        let (a, b, step) = (num(parts[0])?, num(parts[1])?, num(parts[2])?);
        if step <= 0.0 || b < a {
            return Err(bad("an empty range (A:B:STEP needs A <= B and STEP > 0)"));
        }
        let n = ((b - a) / step + 1e-3).floor() as usize + 1;
        if n > 10_000 {
            return Err(bad("more than 10000 values"));
        }
        (0..n)
            .map(|i| {
                let v = a + i as f64 * step;
                // print without binary noise: the shortest form of the value rounded to 1e-9
                let r = (v * 1e9).round() / 1e9;
                let s = format!("{r}");
                if s.contains('.') || s.contains('e') {
                    s
                } else {
                    format!("{s}.0")
                }
            })
            .collect()
    } else if parts.len() == 1 {
        vals.split(',').map(|v| v.trim().to_string()).collect()
    } else {
        return Err(bad("a range is A:B:STEP"));
    };
    if values.iter().any(String::is_empty) {
        return Err(bad("an empty value"));
    }
    Ok(Axis {
        key: key.to_string(),
        values,
    })
}

/// A sweep: everything a shard needs, as plain data (it crosses process and
/// machine boundaries as JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepSpec {
    /// the base configuration, TOML text (the file with `--set` applied)
    pub base: String,
    /// the folder relative Touchstone paths are taken from
    pub config_dir: Option<String>,
    /// the grid, first key slowest
    pub axes: Vec<Axis>,
    /// symbols per shard
    pub shard_symbols: u64,
    /// bit errors (before FEC) a point stops at
    pub target_errors: u64,
    /// symbols a point stops at without reaching the target
    pub max_symbols: u64,
}

/// FNV-1a 64 of `bytes`, as 16 hex digits.
fn fnv(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl SweepSpec {
    /// The spec of a sweep of `cfg` over `grid` (`K=V1,V2` or `K=A:B:STEP`
    /// each); `config_dir` is where relative Touchstone paths are taken
    /// from. Targets below 1 are taken as 1.
    pub fn build(
        cfg: &Config,
        config_dir: Option<String>,
        grid: &[String],
        shard_symbols: u64,
        target_errors: u64,
        max_symbols: u64,
    ) -> Result<SweepSpec, SweepError> {
        let axes = grid
            .iter()
            .map(|g| parse_grid(g))
            .collect::<Result<Vec<_>, _>>()?;
        let base = toml::to_string(cfg)
            .map_err(|e| SweepError::Record(format!("the base configuration: {e}")))?;
        Ok(SweepSpec {
            base,
            config_dir,
            axes,
            shard_symbols,
            target_errors: target_errors.max(1),
            max_symbols: max_symbols.max(1),
        })
    }

    /// Points in the grid.
    pub fn points(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// The `(key, value)` pairs of point `p` (first axis slowest).
    pub fn values(&self, p: usize) -> Vec<(String, String)> {
        let mut rest = p;
        let mut out = vec![(String::new(), String::new()); self.axes.len()];
        for (i, a) in self.axes.iter().enumerate().rev() {
            let n = a.values.len();
            out[i] = (a.key.clone(), a.values[rest % n].clone());
            rest /= n;
        }
        out
    }

    /// The configuration of point `p` and its plan.
    pub fn plan(&self, p: usize) -> Result<(Config, LinkPlan), SweepError> {
        let vals = self.values(p);
        let shown = vals
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let err = |source| SweepError::Config {
            point: p,
            values: shown.clone(),
            source,
        };
        let sets: Vec<String> = vals.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let cfg = cfgload::load_text("sweep base", &self.base, &sets).map_err(err)?;
        let dir = self
            .config_dir
            .as_ref()
            .map(|d| Path::new(d).join("sweep.toml"));
        let plan = cfgload::plan(&cfg, dir.as_deref()).map_err(err)?;
        Ok((cfg, plan))
    }

    /// The hash of a point's resolved configuration (with the Touchstone
    /// file's text) and the program version: a record from another
    /// configuration or version never mixes in.
    pub fn config_hash(&self, p: usize) -> Result<String, SweepError> {
        let (cfg, _) = self.plan(p)?;
        let mut text = toml::to_string(&cfg).map_err(|e| SweepError::Run {
            point: p,
            why: e.to_string(),
        })?;
        if let (Some(t), Some(dir)) = (&cfg.channel.touchstone, &self.config_dir) {
            let path = Path::new(dir).join(t);
            text += &std::fs::read_to_string(&path).unwrap_or_default();
        }
        text += &format!(
            "\nshard_symbols = {}\nrxdsp = {VERSION}\n",
            self.shard_symbols
        );
        Ok(fnv(text.as_bytes()))
    }

    /// Whether `other` cuts the same shards (the same base, folder, grid
    /// and shard length): its records then count here, whatever its stop
    /// rule, so a sweep can be resumed deeper (a larger `--target-errors`
    /// or `--max-symbols`).
    pub fn same_shards(&self, other: &SweepSpec) -> bool {
        self.base == other.base
            && self.config_dir == other.config_dir
            && self.axes == other.axes
            && self.shard_symbols == other.shard_symbols
    }

    /// Checks every point resolves and can be sharded, before any work.
    pub fn check(&self) -> Result<Vec<String>, SweepError> {
        if self.axes.is_empty() {
            return Err(SweepError::Record(
                "a sweep needs at least one --grid".into(),
            ));
        }
        let mut hashes = Vec::new();
        for p in 0..self.points() {
            let (_, plan) = self.plan(p)?;
            golden::shard::check_shardable(&plan, self.shard_symbols).map_err(|e| {
                SweepError::Run {
                    point: p,
                    why: e.to_string(),
                }
            })?;
            hashes.push(self.config_hash(p)?);
        }
        Ok(hashes)
    }
}

/// One shard's record: integer counts and provenance only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRecord {
    /// the program version
    pub rxdsp_version: String,
    /// [`SweepSpec::config_hash`] of the point
    pub config_hash: String,
    /// point index
    pub point: usize,
    /// shard index
    pub shard: u64,
    /// symbols per shard
    pub shard_symbols: u64,
    /// the counts
    pub counts: ShardCounts,
}

/// Runs shard `shard` of point `point`.
pub fn run_record(
    spec: &SweepSpec,
    point: usize,
    shard: u64,
    config_hash: &str,
) -> Result<ShardRecord, SweepError> {
    let (_, plan) = spec.plan(point)?;
    let counts = run_shard(&plan, spec.shard_symbols, shard, 1).map_err(|e| SweepError::Run {
        point,
        why: e.to_string(),
    })?;
    Ok(ShardRecord {
        rxdsp_version: VERSION.to_string(),
        config_hash: config_hash.to_string(),
        point,
        shard,
        shard_symbols: spec.shard_symbols,
        counts,
    })
}

/// Why a point stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stop {
    /// the cumulative bit errors reached the target
    Target,
    /// the symbol cap came first
    MaxSymbols,
    /// shards are missing: not decided yet
    Incomplete,
}

/// The stop rule over the shards present: the prefix `0..=k` where the
/// cumulative bit errors first reach `target`, capped at `max_symbols`
/// (whole shards); shards beyond it are ignored, so the result does not
/// depend on how far workers ran ahead. Returns the shards used and why.
pub fn stop_rule(
    spec: &SweepSpec,
    shards: &BTreeMap<u64, ShardRecord>,
) -> (Vec<ShardCounts>, Stop) {
    let cap = spec.max_symbols.div_ceil(spec.shard_symbols).max(1);
    let mut used = Vec::new();
    let mut errors = 0u64;
    for k in 0..cap {
        let Some(r) = shards.get(&k) else {
            return (used, Stop::Incomplete);
        };
        errors += r.counts.bit_errors;
        used.push(r.counts.clone());
        if errors >= spec.target_errors {
            return (used, Stop::Target);
        }
    }
    (used, Stop::MaxSymbols)
}

/// The two-sided 95 % Clopper-Pearson interval of `k` events in `n` trials
/// (lower bound 0 when k = 0; upper 1 when k = n): the one-sided bounds at
/// 97.5 % of [`crate::confidence`], exact binomial tails solved by bisection
/// (a millisecond for a deep point, k = 10^4, n = 10^8).
pub fn clopper_pearson(k: u64, n: u64) -> (f64, f64) {
    crate::confidence::two_sided(k, n, 0.95)
}

/// A ratio with its interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    /// events
    pub count: u64,
    /// trials
    pub of: u64,
    /// count / of (0 when of = 0)
    pub value: f64,
    /// 95 % Clopper-Pearson lower bound
    pub lo: f64,
    /// 95 % Clopper-Pearson upper bound
    pub hi: f64,
}

impl Ratio {
    fn of(count: u64, of: u64) -> Ratio {
        let (lo, hi) = clopper_pearson(count, of);
        Ratio {
            count,
            of,
            value: if of == 0 {
                0.0
            } else {
                count as f64 / of as f64
            },
            lo,
            hi,
        }
    }
}

/// One point of the sweep's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointResult {
    /// point index
    pub point: usize,
    /// the swept keys and their values (TOML syntax)
    pub values: Vec<(String, String)>,
    /// why it stopped
    pub stop: Stop,
    /// shards used (0..shards)
    pub shards: u64,
    /// the merged counts
    pub counts: MergedCounts,
    /// pre-FEC bit error ratio
    pub ber: Ratio,
    /// symbol error ratio
    pub ser: Ratio,
    /// uncorrectable codewords over codewords (FEC only)
    pub fer: Option<Ratio>,
    /// payload bit error ratio after FEC (FEC only)
    pub post_fec_ber: Option<Ratio>,
    /// frame loss ratio predicted from the FEC symbol error ratio for
    /// independent symbol errors (FEC only): the extrapolation below what
    /// was measured
    pub predicted_frame_loss: Option<f64>,
}

/// The result of point `p` from its records.
pub fn point_result(
    spec: &SweepSpec,
    p: usize,
    shards: &BTreeMap<u64, ShardRecord>,
) -> Result<PointResult, SweepError> {
    let (used, stop) = stop_rule(spec, shards);
    let counts = merge(&used).map_err(SweepError::Record)?;
    let (_, plan) = spec.plan(p)?;
    let fec = counts.fec.as_ref();
    let predicted = fec.and_then(|f| {
        let code = golden::link::fec_code(plan.fec)?;
        let ser = f.symbol_errors as f64 / f.symbols.max(1) as f64;
        Some(golden::fec::predict_iid(code, ser).frame_loss_ratio)
    });
    Ok(PointResult {
        point: p,
        values: spec.values(p),
        stop,
        shards: used.len() as u64,
        ber: Ratio::of(counts.bit_errors, counts.bits),
        ser: Ratio::of(counts.symbol_errors, counts.symbols),
        fer: fec.map(|f| Ratio::of(f.uncorrectable_codewords, f.codewords)),
        post_fec_ber: fec.map(|f| Ratio::of(f.bit_errors, f.bits)),
        predicted_frame_loss: predicted,
        counts,
    })
}

/// Adds `r` to `set` keyed by (point, shard): a second copy must be
/// identical, and every record must carry its point's configuration hash
/// and this program's version.
pub fn admit(
    set: &mut Records,
    r: ShardRecord,
    hashes: &[String],
    spec: &SweepSpec,
) -> Result<(), SweepError> {
    let bad = |m: String| Err(SweepError::Record(m));
    if r.rxdsp_version != VERSION {
        return bad(format!(
            "point {} shard {}: written by rxdsp {}, this is {VERSION}",
            r.point, r.shard, r.rxdsp_version
        ));
    }
    let Some(h) = hashes.get(r.point) else {
        return bad(format!(
            "shard record of point {}: the sweep has {} points",
            r.point,
            hashes.len()
        ));
    };
    if &r.config_hash != h || r.shard_symbols != spec.shard_symbols {
        return bad(format!(
            "point {} shard {}: from another configuration (hash {}, this sweep's {h})",
            r.point, r.shard, r.config_hash
        ));
    }
    let slot = set.entry(r.point).or_default();
    match slot.get(&r.shard) {
        Some(old) if old != &r => bad(format!(
            "point {} shard {}: two different records",
            r.point, r.shard
        )),
        Some(_) => Ok(()),
        None => {
            slot.insert(r.shard, r);
            Ok(())
        }
    }
}

/// Merges shard records without a sweep spec (`rxdsp.merge` in Python):
/// per point, the records' union by shard index (an identical copy counted
/// once, a different one refused), summed as one run ([`merge`]: the shards
/// of a point must be consecutive from 0). Every record must be of this
/// version, and a point's records of one configuration hash and shard size.
pub fn merge_records(
    records: Vec<ShardRecord>,
) -> Result<BTreeMap<usize, MergedCounts>, SweepError> {
    let mut by_point: Records = BTreeMap::new();
    for r in records {
        if r.rxdsp_version != VERSION {
            return Err(SweepError::Record(format!(
                "point {} shard {}: written by rxdsp {}, this is {VERSION}",
                r.point, r.shard, r.rxdsp_version
            )));
        }
        let slot = by_point.entry(r.point).or_default();
        if let Some(o) = slot.values().next() {
            if o.config_hash != r.config_hash || o.shard_symbols != r.shard_symbols {
                return Err(SweepError::Record(format!(
                    "point {}: records of two configurations (hash {} and {})",
                    r.point, o.config_hash, r.config_hash
                )));
            }
        }
        match slot.get(&r.shard) {
            Some(old) if old != &r => {
                return Err(SweepError::Record(format!(
                    "point {} shard {}: two different records",
                    r.point, r.shard
                )))
            }
            Some(_) => {}
            None => {
                slot.insert(r.shard, r);
            }
        }
    }
    by_point
        .into_iter()
        .map(|(p, m)| {
            let counts: Vec<ShardCounts> = m.into_values().map(|r| r.counts).collect();
            merge(&counts)
                .map(|c| (p, c))
                .map_err(|e| SweepError::Record(format!("point {p}: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against values computed independently (the binomial tail sums they
    /// invert) and in time for deep points.
    #[test]
    fn clopper_pearson_bounds() {
        // n = 10, k = 3: the textbook interval 0.0667 .. 0.6525
        let (lo, hi) = clopper_pearson(3, 10);
        assert!(
            (lo - 0.066_739).abs() < 1e-5 && (hi - 0.652_453).abs() < 1e-5,
            "{lo} {hi}"
        );
        // zero errors: the upper bound is 1 - 0.025^(1/n) (about 3.69 / n)
        let (lo, hi) = clopper_pearson(0, 1_000_000);
        assert_eq!(lo, 0.0);
        assert!((hi - (1.0 - 0.025f64.powf(1e-6))).abs() < 1e-12, "{hi}");
        // the bounds are where the binomial tails are 2.5 %: check by summing them
        let (k, n) = (7u64, 2000u64);
        let (lo, hi) = clopper_pearson(k, n);
        let tail_ge = |p: f64| -> f64 {
            // P(X >= k) for X ~ Bin(n, p)
            let mut term = (1.0 - p).powi(n as i32); // P(X = 0)
            let mut below = 0.0;
            for i in 0..k {
                below += term;
                term *= (n - i) as f64 / (i + 1) as f64 * p / (1.0 - p);
            }
            1.0 - below
        };
        assert!((tail_ge(lo) - 0.025).abs() < 1e-6, "{}", tail_ge(lo));
        assert!((1.0 - tail_ge(hi) + binom_pmf(k, n, hi) - 0.025).abs() < 1e-6);
        // a deep point is quick and sane
        let t = std::time::Instant::now();
        let (lo, hi) = clopper_pearson(10_000, 134_217_728);
        let p = 10_000.0 / 134_217_728.0;
        assert!(lo < p && p < hi && hi / lo < 1.1, "{lo} {hi}");
        // a guard against a bound that sums k terms, not a speed figure
        // (the machines are shared)
        assert!(t.elapsed().as_secs_f64() < 30.0, "{:?}", t.elapsed());
    }

    fn binom_pmf(k: u64, n: u64, p: f64) -> f64 {
        let ln = (1..=n).map(|i| (i as f64).ln()).sum::<f64>()
            - (1..=k).map(|i| (i as f64).ln()).sum::<f64>()
            - (1..=n - k).map(|i| (i as f64).ln()).sum::<f64>();
        (ln + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp()
    }
}
