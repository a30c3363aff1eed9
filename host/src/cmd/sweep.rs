//! `rxdsp sweep` and `rxdsp merge`: BER sweeps in exact shards, resumable,
//! and their merge (docs/sweeps.md). The folder holds `sweep.json` (the
//! spec), `shards/` (one JSON record a shard), `points.csv`, `points.json`,
//! the waterfall plot and `index.html`.

use super::args::ConfigArgs;
use super::{threads, write_file};
use anyhow::{bail, Context, Result};
use clap::Args;
use rxdsp::sweep::{
    admit, parse_grid, point_result, record_name, run_record, stop_rule, PointResult, ShardRecord,
    Stop, SweepSpec, DEFAULT_SHARD_SYMBOLS,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `rxdsp sweep`.
#[derive(Args)]
pub struct SweepArgs {
    #[command(flatten)]
    cfg: ConfigArgs,
    /// a swept key: KEY=V1,V2,... or KEY=A:B:STEP (repeatable; the first is the plots' x axis)
    #[arg(long = "grid", value_name = "KEY=VALUES", required = true)]
    grid: Vec<String>,
    /// the sweep's folder (created; an existing sweep of the same spec is resumed)
    #[arg(long)]
    out: PathBuf,
    /// bit errors (before FEC) a point stops at
    #[arg(long, default_value_t = 100)]
    target_errors: u64,
    /// symbols a point stops at without reaching the target
    #[arg(long, default_value_t = 1_000_000_000)]
    max_symbols: u64,
    /// symbols per shard (a multiple of 32768)
    #[arg(long, default_value_t = DEFAULT_SHARD_SYMBOLS)]
    shard_symbols: u64,
    /// shards run at once (default: one per core)
    #[arg(long)]
    threads: Option<usize>,
}

/// `rxdsp merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// sweep folders of the same spec (their shard records are pooled)
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// the merged sweep's folder
    #[arg(long)]
    out: PathBuf,
}

type Records = BTreeMap<usize, BTreeMap<u64, ShardRecord>>;

/// Runs `rxdsp sweep`.
pub fn run(a: SweepArgs) -> Result<()> {
    let cfg = a.cfg.load()?;
    let axes = a
        .grid
        .iter()
        .map(|g| parse_grid(g))
        .collect::<Result<Vec<_>, _>>()?;
    let config_dir = match &a.cfg.config {
        Some(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => PathBuf::from("."),
    };
    let config_dir = std::fs::canonicalize(&config_dir).unwrap_or(config_dir);
    let spec = SweepSpec {
        base: toml::to_string(&cfg).context("the base configuration")?,
        config_dir: Some(config_dir.display().to_string()),
        axes,
        shard_symbols: a.shard_symbols,
        target_errors: a.target_errors.max(1),
        max_symbols: a.max_symbols.max(1),
    };
    let hashes = spec.check()?;
    let spec_path = a.out.join("sweep.json");
    if spec_path.exists() {
        let old: SweepSpec = serde_json::from_slice(&std::fs::read(&spec_path)?)
            .with_context(|| format!("{}: not a sweep spec", spec_path.display()))?;
        if !old.same_shards(&spec) {
            bail!(
                "{} holds another sweep (a different base, grid or shard size): choose another --out",
                a.out.display()
            );
        }
    }
    write_file(&spec_path, serde_json::to_string_pretty(&spec)?.as_bytes())?;
    let mut records: Records = BTreeMap::new();
    load_records(&a.out, &spec, &hashes, &mut records)?;
    let workers = threads(
        a.threads
            .or_else(|| std::thread::available_parallelism().map(|n| n.get()).ok()),
    );
    for (p, hash) in hashes.iter().enumerate() {
        run_point(&spec, p, hash, workers, &a.out, &mut records)?;
    }
    write_results(&a.out, &spec, &records)
}

/// Runs the shards of point `p` that are missing, `workers` at a time, until
/// the stop rule decides.
fn run_point(
    spec: &SweepSpec,
    p: usize,
    hash: &str,
    workers: usize,
    out: &Path,
    records: &mut Records,
) -> Result<()> {
    let label = spec
        .values(p)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ");
    let pb = super::progress_bar(spec.target_errors);
    pb.set_message(format!("point {p} {label}: bit errors"));
    loop {
        let have = records.entry(p).or_default();
        let (used, stop) = stop_rule(spec, have);
        pb.set_position(
            used.iter()
                .map(|c| c.bit_errors)
                .sum::<u64>()
                .min(spec.target_errors),
        );
        if stop != Stop::Incomplete {
            break;
        }
        // the next missing shards after the consecutive prefix
        let first = used.len() as u64;
        let cap = spec.max_symbols.div_ceil(spec.shard_symbols);
        let todo: Vec<u64> = (first..cap)
            .filter(|k| !have.contains_key(k))
            .take(workers)
            .collect();
        let done: Vec<Result<ShardRecord, _>> = std::thread::scope(|s| {
            let hs: Vec<_> = todo
                .iter()
                .map(|&k| s.spawn(move || run_record(spec, p, k, hash)))
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("shard thread"))
                .collect()
        });
        for r in done {
            let r = r?;
            let path = out.join("shards").join(record_name(r.point, r.shard));
            write_file(&path, serde_json::to_string(&r)?.as_bytes())?;
            records.entry(p).or_default().insert(r.shard, r);
        }
    }
    pb.finish_and_clear();
    Ok(())
}

/// Reads every shard record under `dir/shards` into `records`, checking each.
fn load_records(
    dir: &Path,
    spec: &SweepSpec,
    hashes: &[String],
    records: &mut Records,
) -> Result<()> {
    let sd = dir.join("shards");
    let Ok(entries) = std::fs::read_dir(&sd) else {
        return Ok(());
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let r: ShardRecord = serde_json::from_slice(
            &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
        )
        .map_err(|e| anyhow::anyhow!("{}: not a shard record ({e})", path.display()))?;
        admit(records, r, hashes, spec).with_context(|| path.display().to_string())?;
    }
    Ok(())
}

/// Runs `rxdsp merge`.
pub fn merge(a: MergeArgs) -> Result<()> {
    let mut spec: Option<SweepSpec> = None;
    for d in &a.dirs {
        let path = d.join("sweep.json");
        let s: SweepSpec = serde_json::from_slice(
            &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
        )
        .map_err(|e| anyhow::anyhow!("{}: not a sweep spec ({e})", path.display()))?;
        match &spec {
            // the first folder's stop rule applies
            Some(first) if first.same_shards(&s) => {}
            Some(_) => bail!(
                "{} is another sweep than {} (base, grid or shard size differ)",
                d.display(),
                a.dirs[0].display()
            ),
            None => spec = Some(s),
        }
    }
    let spec = spec.expect("clap requires a folder");
    let hashes = spec.check()?;
    let mut records: Records = BTreeMap::new();
    for d in &a.dirs {
        load_records(d, &spec, &hashes, &mut records)?;
    }
    write_file(
        &a.out.join("sweep.json"),
        serde_json::to_string_pretty(&spec)?.as_bytes(),
    )?;
    for r in records.values().flat_map(|m| m.values()) {
        let path = a.out.join("shards").join(record_name(r.point, r.shard));
        write_file(&path, serde_json::to_string(r)?.as_bytes())?;
    }
    write_results(&a.out, &spec, &records)
}

/// Writes `points.json`, `points.csv`, the waterfall and `index.html`, and
/// prints the table.
fn write_results(dir: &Path, spec: &SweepSpec, records: &Records) -> Result<()> {
    let empty = BTreeMap::new();
    let points: Vec<PointResult> = (0..spec.points())
        .map(|p| point_result(spec, p, records.get(&p).unwrap_or(&empty)))
        .collect::<Result<_, _>>()?;
    write_file(
        &dir.join("points.json"),
        (serde_json::to_string_pretty(&points)? + "\n").as_bytes(),
    )?;
    let csv = points_csv(spec, &points);
    write_file(&dir.join("points.csv"), csv.as_bytes())?;
    super::sweep_plots::waterfall(dir, spec, &points)?;
    print!("{}", csv.replace(',', "  "));
    println!("results    {}", dir.join("index.html").display());
    Ok(())
}

fn points_csv(spec: &SweepSpec, points: &[PointResult]) -> String {
    let mut head = vec!["point".to_string()];
    head.extend(spec.axes.iter().map(|a| a.key.clone()));
    head.extend(
        [
            "stop",
            "shards",
            "symbols",
            "bits",
            "bit_errors",
            "ber",
            "ber_lo",
            "ber_hi",
            "symbol_errors",
            "ser",
            "codewords",
            "uncorrectable_codewords",
            "fer",
            "fer_lo",
            "fer_hi",
            "post_fec_bit_errors",
            "post_fec_ber",
            "post_fec_ber_hi",
            "predicted_frame_loss",
        ]
        .map(String::from),
    );
    let mut out = head.join(",") + "\n";
    for p in points {
        let stop = match p.stop {
            Stop::Target => "target",
            Stop::MaxSymbols => "max-symbols",
            Stop::Incomplete => "incomplete",
        };
        let mut row = vec![p.point.to_string()];
        row.extend(p.values.iter().map(|(_, v)| v.replace(',', ";")));
        let e = |x: f64| format!("{x:.4e}");
        let opt = |r: &Option<rxdsp::sweep::Ratio>, f: &dyn Fn(&rxdsp::sweep::Ratio) -> String| {
            r.as_ref().map(f).unwrap_or_default()
        };
        row.extend([
            stop.to_string(),
            p.shards.to_string(),
            p.counts.symbols.to_string(),
            p.counts.bits.to_string(),
            p.counts.bit_errors.to_string(),
            e(p.ber.value),
            e(p.ber.lo),
            e(p.ber.hi),
            p.counts.symbol_errors.to_string(),
            e(p.ser.value),
            opt(&p.fer, &|r| r.of.to_string()),
            opt(&p.fer, &|r| r.count.to_string()),
            opt(&p.fer, &|r| e(r.value)),
            opt(&p.fer, &|r| e(r.lo)),
            opt(&p.fer, &|r| e(r.hi)),
            opt(&p.post_fec_ber, &|r| r.count.to_string()),
            opt(&p.post_fec_ber, &|r| e(r.value)),
            opt(&p.post_fec_ber, &|r| e(r.hi)),
            p.predicted_frame_loss.map(e).unwrap_or_default(),
        ]);
        out += &(row.join(",") + "\n");
    }
    out
}
