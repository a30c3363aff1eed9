//! Parameter sweeps: `parallel=4,8 ffe.taps=8,16` into the cartesian product of
//! assignments, and CSV / markdown tables of (assignment, report) rows.
//!
//! ```
//! let s = synth::sweep::Sweep::parse("parallel=4,8 ffe.taps=8,16").unwrap();
//! let points = s.points();
//! assert_eq!(points.len(), 4);
//! assert_eq!(points[1], vec![("parallel".into(), "4".into()), ("ffe.taps".into(), "16".into())]);
//! ```

use std::fmt::Write as _;

use crate::{SynthError, SynthReport};

/// One point of a sweep: (key, value) pairs in the order of the spec.
pub type Assignment = Vec<(String, String)>;

/// The most points a sweep may have.
pub const MAX_POINTS: usize = 10_000;

/// A parsed sweep spec: keys and the values each takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep {
    /// (key, values), in the order given.
    pub axes: Vec<(String, Vec<String>)>,
}

impl Sweep {
    /// Parse a whitespace-separated spec: `key=v1,v2,... key2=...`.
    pub fn parse(spec: &str) -> Result<Sweep, SynthError> {
        Sweep::from_args(spec.split_whitespace())
    }

    /// Parse one `key=v1,v2` item per argument (as `--sweep` arguments arrive).
    pub fn from_args<I, S>(args: I) -> Result<Sweep, SynthError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let bad = |m: String| SynthError::BadRequest(format!("bad sweep spec: {m}"));
        let mut axes: Vec<(String, Vec<String>)> = Vec::new();
        for item in args {
            let item = item.as_ref().trim();
            if item.is_empty() {
                continue;
            }
            let (k, v) = item
                .split_once('=')
                .ok_or_else(|| bad(format!("`{item}` is not key=v1,v2,...")))?;
            let k = k.trim();
            if k.is_empty() {
                return Err(bad(format!("`{item}` has no key")));
            }
            if axes.iter().any(|(a, _)| a == k) {
                return Err(bad(format!("key `{k}` given twice")));
            }
            let vals: Vec<String> = v.split(',').map(|x| x.trim().to_string()).collect();
            if vals.iter().any(|x| x.is_empty()) {
                return Err(bad(format!("`{item}` has an empty value")));
            }
            axes.push((k.to_string(), vals));
        }
        if axes.is_empty() {
            return Err(bad("no key=values given".into()));
        }
        let n = axes
            .iter()
            .try_fold(1usize, |n, (_, v)| n.checked_mul(v.len()));
        match n {
            Some(n) if n <= MAX_POINTS => Ok(Sweep { axes }),
            _ => Err(bad(format!("more than {MAX_POINTS} points"))),
        }
    }

    /// The cartesian product, the first key varying slowest.
    pub fn points(&self) -> Vec<Assignment> {
        let mut out: Vec<Assignment> = vec![Vec::new()];
        for (k, vals) in &self.axes {
            out = out
                .into_iter()
                .flat_map(|a| {
                    vals.iter().map(move |v| {
                        let mut a = a.clone();
                        a.push((k.clone(), v.clone()));
                        a
                    })
                })
                .collect();
        }
        out
    }
}

/// A file-name-safe name for a point, for its own work dir:
/// `parallel=4 ffe.taps=8` gives `parallel-4_ffe.taps-8`.
pub fn slug(a: &Assignment) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let s: Vec<String> = a
        .iter()
        .map(|(k, v)| format!("{}-{}", clean(k), clean(v)))
        .collect();
    if s.is_empty() {
        "default".into()
    } else {
        s.join("_")
    }
}

/// One sweep point's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// The assignment.
    pub assignment: Assignment,
    /// The report, or the error message of a point that failed.
    pub outcome: Result<SynthReport, String>,
    /// Samples per clock of the resolved configuration (the caller knows it
    /// even when the sweep does not set it); else taken from the assignment.
    pub parallel: Option<u32>,
    /// FFE taps of the resolved configuration, for the per-tap-per-lane columns.
    pub ffe_taps: Option<u32>,
}

impl SweepRow {
    /// A row whose configuration facts come from the assignment alone.
    pub fn new(assignment: Assignment, outcome: Result<SynthReport, String>) -> SweepRow {
        SweepRow {
            assignment,
            outcome,
            parallel: None,
            ffe_taps: None,
        }
    }

    /// Samples per clock: the resolved value, else the assignment's
    /// `parallel` or `rtl.parallel` key.
    pub fn parallel(&self) -> Option<u32> {
        self.parallel
            .or_else(|| self.assigned(&["parallel", "rtl.parallel"]))
    }

    /// FFE taps: the resolved value, else the assignment's `ffe.taps` key.
    pub fn ffe_taps(&self) -> Option<u32> {
        self.ffe_taps.or_else(|| self.assigned(&["ffe.taps"]))
    }

    /// The number the assignment gives to the first of `keys` it sets.
    fn assigned(&self, keys: &[&str]) -> Option<u32> {
        self.assignment
            .iter()
            .find(|(k, _)| keys.contains(&k.as_str()))
            .and_then(|(_, v)| v.parse().ok())
    }
}

/// The name of the FFE block in the per-block rows.
pub const FFE_BLOCK: &str = "rxdsp_eq_ffe";

const COLUMNS: [&str; 18] = [
    "target",
    "luts",
    "carry",
    "ffs",
    "dsp",
    "bram",
    "fmax_mhz",
    "fmax_min_mhz",
    "fmax_max_mhz",
    "seeds",
    "fmax_trustworthy",
    "gbps",
    "ffe_luts_per_tap_lane",
    "ffe_carry_per_tap_lane",
    "ffe_ffs_per_tap_lane",
    "ffe_dsp_per_tap_lane",
    "seconds",
    "error",
];

fn keys(rows: &[SweepRow]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for r in rows {
        for (k, _) in &r.assignment {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    keys
}

fn cells(keys: &[String], r: &SweepRow) -> Vec<String> {
    let mut c: Vec<String> = keys
        .iter()
        .map(|k| {
            r.assignment
                .iter()
                .find(|(a, _)| a == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
        .collect();
    match &r.outcome {
        Ok(rep) => {
            let gbps = match (r.parallel(), rep.fmax_mhz) {
                (Some(p), Some(f)) => format!("{:.3}", crate::throughput(p, f).gbps),
                _ => String::new(),
            };
            // min and max over placer seeds; with one seed, that seed's figure
            let spread = |v: fn(&crate::FmaxSpread) -> f64| match (&rep.fmax_spread, rep.fmax_mhz) {
                (Some(sp), _) => format!("{:.2}", v(sp)),
                (None, Some(f)) => format!("{f:.2}"),
                (None, None) => String::new(),
            };
            // the FFE block's cost over its P x N (lane, tap) products
            let ffe = rep.per_block.iter().find(|b| b.name == FFE_BLOCK);
            let per = |v: fn(&crate::BlockReport) -> u64| match (ffe, r.parallel(), r.ffe_taps()) {
                (Some(b), Some(p), Some(n)) if b.instances > 0 && p * n > 0 => {
                    format!("{:.2}", v(b) as f64 / f64::from(p * n))
                }
                _ => String::new(),
            };
            c.extend([
                rep.target.to_string(),
                rep.luts.to_string(),
                rep.carry.to_string(),
                rep.ffs.to_string(),
                rep.dsp.to_string(),
                rep.bram.to_string(),
                rep.fmax_mhz.map(|f| format!("{f:.2}")).unwrap_or_default(),
                spread(|sp| sp.min_mhz),
                spread(|sp| sp.max_mhz),
                rep.seed_runs.len().max(1).to_string(),
                rep.fmax_trustworthy.to_string(),
                gbps,
                per(|b| b.luts),
                per(|b| b.carry),
                per(|b| b.ffs),
                per(|b| b.dsp),
                format!("{:.1}", rep.seconds),
                String::new(),
            ]);
        }
        Err(e) => {
            c.extend(vec![String::new(); COLUMNS.len() - 1]);
            c.push(e.clone());
        }
    }
    c
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV: one column per sweep key, then target, resources, Fmax (the median
/// over placer seeds, then the minimum and maximum, then the seed count), Gb/s (when
/// samples per clock are known), the FFE block's LUTs, carry cells, FFs and
/// multipliers per (tap x lane) (when its per-block row, P and N are known),
/// seconds and error.
pub fn to_csv(rows: &[SweepRow]) -> String {
    let keys = keys(rows);
    let mut s = String::new();
    let header: Vec<String> = keys
        .iter()
        .map(|k| csv_field(k))
        .chain(COLUMNS.iter().map(|c| c.to_string()))
        .collect();
    let _ = writeln!(s, "{}", header.join(","));
    for r in rows {
        let line: Vec<String> = cells(&keys, r).iter().map(|c| csv_field(c)).collect();
        let _ = writeln!(s, "{}", line.join(","));
    }
    s
}

/// A markdown table with the same columns as [`to_csv`].
pub fn to_markdown(rows: &[SweepRow]) -> String {
    let keys = keys(rows);
    let esc = |x: &str| x.replace('|', "\\|").replace('\n', " ");
    let mut s = String::new();
    let header: Vec<String> = keys
        .iter()
        .map(|k| esc(k))
        .chain(COLUMNS.iter().map(|c| c.to_string()))
        .collect();
    let _ = writeln!(s, "| {} |", header.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(header.len()));
    for r in rows {
        let line: Vec<String> = cells(&keys, r).iter().map(|c| esc(c)).collect();
        let _ = writeln!(s, "| {} |", line.join(" | "));
    }
    s
}
