//! `rxdsp sweep` and `rxdsp merge`: BER sweeps in exact shards, resumable,
//! and their merge (docs/sweeps.md). The folder holds `sweep.json` (the
//! spec), `shards/` (one JSON record a shard), `points.csv`, `points.json`,
//! the waterfall plot and `index.html`.

use super::args::ConfigArgs;
use super::threads;
use anyhow::{bail, Result};
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget};
use rxdsp::sweep::{
    folder, run_record, Records, ShardRecord, SweepSpec, WorkQueue, DEFAULT_SHARD_SYMBOLS,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::{Condvar, Mutex};

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
    /// shards run at once, pulled from one queue across all points (default: one per core)
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

/// Runs `rxdsp sweep`.
pub fn run(a: SweepArgs) -> Result<()> {
    let cfg = a.cfg.load()?;
    let config_dir = match &a.cfg.config {
        // `--config x.toml` has the parent "": the current folder
        Some(p) => p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        None => PathBuf::from("."),
    };
    let config_dir = std::fs::canonicalize(&config_dir).unwrap_or(config_dir);
    let spec = SweepSpec::build(
        &cfg,
        Some(config_dir.display().to_string()),
        &a.grid,
        a.shard_symbols,
        a.target_errors,
        a.max_symbols,
    )?;
    let hashes = spec.check()?;
    let records = folder::open(&a.out, &spec, &hashes)?;
    let workers = threads(
        a.threads
            .or_else(|| std::thread::available_parallelism().map(|n| n.get()).ok()),
    );
    let records = run_queue(
        WorkQueue::new(spec.clone(), hashes, records),
        workers,
        &a.out,
    )?;
    write_results(&a.out, &spec, &records)
}

/// What the workers share.
struct Shared {
    queue: WorkQueue,
    error: Option<anyhow::Error>,
    bars: BTreeMap<usize, ProgressBar>,
}

/// Runs the queue's shards on `workers` threads until every point is
/// decided; a writer thread writes each record to `out` as it comes (its
/// fsync off the workers' path: a worker waiting on the disk idles a core).
fn run_queue(queue: WorkQueue, workers: usize, out: &Path) -> Result<Records> {
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let state = Mutex::new(Shared {
        queue,
        error: None,
        bars: BTreeMap::new(),
    });
    let wake = Condvar::new();
    let (tx, rx) = mpsc::channel::<ShardRecord>();
    std::thread::scope(|s| {
        let (state, wake, multi) = (&state, &wake, &multi);
        s.spawn(move || {
            for r in rx {
                if let Err(e) = folder::write_record(out, &r) {
                    state.lock().expect("lock").error.get_or_insert(e.into());
                    wake.notify_all();
                    return;
                }
            }
        });
        for _ in 0..workers {
            let tx = tx.clone();
            s.spawn(move || worker(state, wake, multi, tx));
        }
        drop(tx);
    });
    let st = state
        .into_inner()
        .expect("no worker panicked holding the lock");
    match st.error {
        Some(e) => Err(e),
        None => Ok(st.queue.into_records()),
    }
}

/// One worker: pulls the next useful shard, runs it, hands the record in
/// (and on to the writer).
fn worker(state: &Mutex<Shared>, wake: &Condvar, multi: &MultiProgress, tx: Sender<ShardRecord>) {
    loop {
        let mut st = state.lock().expect("lock");
        let (p, k) = loop {
            if st.error.is_some() || st.queue.done() {
                return;
            }
            if let Some(job) = st.queue.next_shard() {
                break job;
            }
            st = wake.wait(st).expect("lock");
        };
        let spec = st.queue.spec().clone();
        let hash = st.queue.hash(p).to_string();
        show(&mut st, multi, p);
        drop(st);
        let done = run_record(&spec, p, k, &hash);
        let mut st = state.lock().expect("lock");
        let done = done.and_then(|r| st.queue.finish(r.clone()).map(|_| r));
        match done {
            Ok(r) => {
                show(&mut st, multi, p);
                // the writer has stopped only after an error, which stops us too
                let _ = tx.send(r);
            }
            Err(e) => {
                st.queue.abandon(p, k);
                st.error.get_or_insert(e.into());
            }
        }
        wake.notify_all();
    }
}

/// Point `p`'s progress bar: bit errors against the target, cleared when
/// the point is decided.
fn show(st: &mut Shared, multi: &MultiProgress, p: usize) {
    let status = st.queue.status(p);
    let spec = st.queue.spec();
    let bar = st.bars.entry(p).or_insert_with(|| {
        let label = spec
            .values(p)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        let pb = multi.add(super::progress_bar(spec.target_errors));
        pb.set_message(format!("point {p} {label}: bit errors"));
        pb
    });
    bar.set_position(status.errors);
    if status.decided {
        bar.finish_and_clear();
    }
}

/// Runs `rxdsp merge`.
pub fn merge(a: MergeArgs) -> Result<()> {
    let mut spec: Option<SweepSpec> = None;
    for d in &a.dirs {
        let path = d.join("sweep.json");
        let text =
            std::fs::read(&path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let s = folder::parse_spec(&path.display().to_string(), &text)?;
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
        folder::read_records(d, &spec, &hashes, &mut records)?;
    }
    folder::open(&a.out, &spec, &hashes)?;
    for r in records.values().flat_map(|m| m.values()) {
        folder::write_record(&a.out, r)?;
    }
    write_results(&a.out, &spec, &records)
}

/// Writes `points.json`, `points.csv`, the waterfall and `index.html`, and
/// prints the table.
fn write_results(dir: &Path, spec: &SweepSpec, records: &Records) -> Result<()> {
    let (points, csv) = folder::write_points(dir, spec, records)?;
    super::sweep_plots::waterfall(dir, spec, &points)?;
    print!("{}", csv.replace(',', "  "));
    println!("results    {}", dir.join("index.html").display());
    Ok(())
}
