//! The work queue of a sweep: which shard to run next, across all points.
//!
//! Workers (threads of `rxdsp sweep`, Dask workers of the Python package)
//! pull the next useful shard whenever they are free, instead of running a
//! point's shards in waves that wait for the slowest. The queue only decides
//! *what is computed*; the result of each point is still
//! [`super::stop_rule`] over the records present, so it does not depend on
//! the order, the worker count or the shards that ran ahead.

use super::{admit, stop_rule, Records, ShardRecord, Stop, SweepError, SweepSpec};
use std::collections::BTreeSet;

/// Shards of a sweep: the records present and the ones being computed.
#[derive(Clone, Debug)]
pub struct WorkQueue {
    spec: SweepSpec,
    hashes: Vec<String>,
    records: Records,
    in_flight: BTreeSet<(usize, u64)>,
}

/// How far one point is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointStatus {
    /// bit errors in the consecutive prefix of shards (capped at the target)
    pub errors: u64,
    /// shards in that prefix
    pub shards: u64,
    /// the stop rule has decided
    pub decided: bool,
}

impl WorkQueue {
    /// A queue over `records` (already admitted with `hashes`, the points'
    /// [`SweepSpec::config_hash`]es).
    pub fn new(spec: SweepSpec, hashes: Vec<String>, records: Records) -> WorkQueue {
        WorkQueue {
            spec,
            hashes,
            records,
            in_flight: BTreeSet::new(),
        }
    }

    /// The sweep.
    pub fn spec(&self) -> &SweepSpec {
        &self.spec
    }

    /// The configuration hash of point `p`.
    pub fn hash(&self, p: usize) -> &str {
        &self.hashes[p]
    }

    /// The records present.
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// Shards per point at most (`max_symbols` in whole shards).
    fn cap(&self) -> u64 {
        self.spec
            .max_symbols
            .div_ceil(self.spec.shard_symbols)
            .max(1)
    }

    /// Where point `p` stands.
    pub fn status(&self, p: usize) -> PointStatus {
        let empty = Default::default();
        let have = self.records.get(&p).unwrap_or(&empty);
        let (used, stop) = stop_rule(&self.spec, have);
        PointStatus {
            errors: used
                .iter()
                .map(|c| c.bit_errors)
                .sum::<u64>()
                .min(self.spec.target_errors),
            shards: used.len() as u64,
            decided: stop != Stop::Incomplete,
        }
    }

    /// Every point is decided.
    pub fn done(&self) -> bool {
        (0..self.spec.points()).all(|p| self.status(p).decided)
    }

    /// The next shard to run, marked as running: the first point whose next
    /// missing shard is expected to be needed (the errors of the shards below
    /// it, those still running counted at the point's error rate so far, fall
    /// short of the target); failing that, the first undecided point's next
    /// missing shard (it may be needed: better than idling). `None` when
    /// nothing is left but the shards already running.
    pub fn next_shard(&mut self) -> Option<(usize, u64)> {
        let cap = self.cap();
        let target = self.spec.target_errors as f64;
        let empty = Default::default();
        let mut fallback = None;
        for p in 0..self.spec.points() {
            let have = self.records.get(&p).unwrap_or(&empty);
            let (used, stop) = stop_rule(&self.spec, have);
            if stop != Stop::Incomplete {
                continue;
            }
            let running = |k: &u64| self.in_flight.contains(&(p, *k));
            let Some(k) = (used.len() as u64..cap).find(|k| !have.contains_key(k) && !running(k))
            else {
                continue;
            };
            let below: u64 = have.range(..k).map(|(_, r)| r.counts.bit_errors).sum();
            let run_below = self.in_flight.range((p, 0)..(p, k)).count();
            let done: Vec<u64> = have
                .range(..cap)
                .map(|(_, r)| r.counts.bit_errors)
                .collect();
            let needed = if run_below == 0 {
                (below as f64) < target
            } else if done.is_empty() {
                // nothing known yet: spread over the points first
                false
            } else {
                let rate = done.iter().sum::<u64>() as f64 / done.len() as f64;
                (below as f64 + rate * run_below as f64) < target
            };
            if needed {
                self.in_flight.insert((p, k));
                return Some((p, k));
            }
            fallback.get_or_insert((p, k));
        }
        let job = fallback?;
        self.in_flight.insert(job);
        Some(job)
    }

    /// Takes in a finished shard (checked as [`admit`] does).
    pub fn finish(&mut self, r: ShardRecord) -> Result<(), SweepError> {
        self.in_flight.remove(&(r.point, r.shard));
        admit(&mut self.records, r, &self.hashes, &self.spec)
    }

    /// A shard that will not finish (its worker failed): runnable again.
    pub fn abandon(&mut self, point: usize, shard: u64) {
        self.in_flight.remove(&(point, shard));
    }

    /// The records, the queue consumed.
    pub fn into_records(self) -> Records {
        self.records
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ShardRecord, SweepSpec, VERSION};
    use super::*;
    use golden::shard::ShardCounts;

    fn spec(points: usize) -> SweepSpec {
        SweepSpec {
            base: String::new(),
            config_dir: None,
            axes: vec![super::super::Axis {
                key: "channel.snr_db".into(),
                values: (0..points).map(|i| format!("{i}.0")).collect(),
            }],
            shard_symbols: 32768,
            target_errors: 100,
            max_symbols: 32768 * 10,
        }
    }

    fn record(p: usize, k: u64, errors: u64) -> ShardRecord {
        ShardRecord {
            rxdsp_version: VERSION.into(),
            config_hash: format!("h{p}"),
            point: p,
            shard: k,
            shard_symbols: 32768,
            counts: ShardCounts {
                first: k * 32768,
                len: 32768,
                bit_errors: errors,
                ..Default::default()
            },
        }
    }

    /// Simulated workers finishing in a scrambled order: the queue hands out
    /// every shard the stop rule needs, each once, and then stops; extra
    /// shards beyond the stop are bounded by the worker count.
    #[test]
    fn the_queue_feeds_the_stop_rule() {
        // errors per shard by point: reaches 100 at shard 3, never, at shard 0
        let errs = |p: usize, _k: u64| [30u64, 0, 500][p];
        for workers in 1..=4 {
            let s = spec(3);
            let hashes = (0..3).map(|p| format!("h{p}")).collect();
            let mut q = WorkQueue::new(s, hashes, Default::default());
            let mut running: Vec<(usize, u64)> = Vec::new();
            let mut handed = BTreeSet::new();
            let mut turn = 0usize;
            while !q.done() {
                while running.len() < workers {
                    match q.next_shard() {
                        Some(j) => {
                            assert!(handed.insert(j), "{j:?} handed out twice");
                            running.push(j);
                        }
                        None => break,
                    }
                }
                assert!(!running.is_empty(), "stalled with {workers} workers");
                turn = (turn * 7 + 3) % running.len();
                let (p, k) = running.remove(turn);
                q.finish(record(p, k, errs(p, k))).unwrap();
            }
            let st: Vec<_> = (0..3).map(|p| q.status(p)).collect();
            assert_eq!(st.iter().map(|s| s.shards).collect::<Vec<_>>(), [4, 10, 1]);
            let needed = 4 + 10 + 1;
            assert!(
                handed.len() <= needed + 2 * workers,
                "{workers} workers: {} shards for {needed}",
                handed.len()
            );
        }
    }

    /// A failed shard is handed out again.
    #[test]
    fn abandoned_shards_run_again() {
        let mut q = WorkQueue::new(spec(1), vec!["h0".into()], Default::default());
        let j = q.next_shard().unwrap();
        q.abandon(j.0, j.1);
        assert_eq!(q.next_shard(), Some(j));
    }
}
