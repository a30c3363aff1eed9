//! The sweep folder, written the same way by `rxdsp sweep`, `rxdsp merge`
//! and the Python package (so their files are the same bytes): `sweep.json`
//! (the spec), `shards/` (one JSON record a shard), `points.json` and
//! `points.csv`.

use super::{
    admit, point_result, PointResult, Ratio, Records, ShardRecord, Stop, SweepError, SweepSpec,
};
use crate::samples::write_atomic;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file name of a shard record.
pub fn record_name(point: usize, shard: u64) -> String {
    format!("p{point:04}-s{shard:07}.json")
}

fn io(path: &Path, e: impl std::fmt::Display) -> SweepError {
    SweepError::Record(format!("{}: {e}", path.display()))
}

/// Writes `bytes` to `path` atomically, creating its folder.
fn write(path: &Path, bytes: &[u8]) -> Result<(), SweepError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    write_atomic(path, bytes).map_err(|e| SweepError::Record(e.to_string()))
}

/// A record's file text.
pub fn record_text(r: &ShardRecord) -> String {
    serde_json::to_string(r).expect("a record serializes")
}

/// A record from its file text (`origin` names it in the error).
pub fn parse_record(origin: &str, text: &[u8]) -> Result<ShardRecord, SweepError> {
    serde_json::from_slice(text)
        .map_err(|e| SweepError::Record(format!("{origin}: not a shard record ({e})")))
}

/// A spec from its JSON text (`origin` names it in the error).
pub fn parse_spec(origin: &str, text: &[u8]) -> Result<SweepSpec, SweepError> {
    serde_json::from_slice(text)
        .map_err(|e| SweepError::Record(format!("{origin}: not a sweep spec ({e})")))
}

/// The text of `sweep.json`.
pub fn spec_text(spec: &SweepSpec) -> String {
    serde_json::to_string_pretty(spec).expect("a spec serializes")
}

/// Opens `dir` for `spec`: refuses a folder of another sweep (a different
/// base, grid or shard size), writes `sweep.json` and returns the records
/// already there (checked).
pub fn open(dir: &Path, spec: &SweepSpec, hashes: &[String]) -> Result<Records, SweepError> {
    let spec_path = dir.join("sweep.json");
    if spec_path.exists() {
        let text = std::fs::read(&spec_path).map_err(|e| io(&spec_path, e))?;
        let old = parse_spec(&spec_path.display().to_string(), &text)?;
        if !old.same_shards(spec) {
            return Err(SweepError::Record(format!(
                "{} holds another sweep (a different base, grid or shard size): choose another --out",
                dir.display()
            )));
        }
    }
    write(&spec_path, spec_text(spec).as_bytes())?;
    let mut records = BTreeMap::new();
    read_records(dir, spec, hashes, &mut records)?;
    Ok(records)
}

/// Reads every shard record under `dir/shards` into `records`, checking each.
pub fn read_records(
    dir: &Path,
    spec: &SweepSpec,
    hashes: &[String],
    records: &mut Records,
) -> Result<(), SweepError> {
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
        let shown = path.display().to_string();
        let text = std::fs::read(&path).map_err(|e| io(&path, e))?;
        let r = parse_record(&shown, &text)?;
        admit(records, r, hashes, spec).map_err(|e| SweepError::Record(format!("{shown}: {e}")))?;
    }
    Ok(())
}

/// Writes record `r` into `dir/shards`.
pub fn write_record(dir: &Path, r: &ShardRecord) -> Result<(), SweepError> {
    let path = dir.join("shards").join(record_name(r.point, r.shard));
    write(&path, record_text(r).as_bytes())
}

/// The result of every point from `records`.
pub fn results(spec: &SweepSpec, records: &Records) -> Result<Vec<PointResult>, SweepError> {
    let empty = BTreeMap::new();
    (0..spec.points())
        .map(|p| point_result(spec, p, records.get(&p).unwrap_or(&empty)))
        .collect()
}

/// The text of `points.json`.
pub fn points_json(points: &[PointResult]) -> String {
    serde_json::to_string_pretty(points).expect("results serialize") + "\n"
}

/// Writes `points.json` and `points.csv` into `dir`; returns the results
/// and the CSV text.
pub fn write_points(
    dir: &Path,
    spec: &SweepSpec,
    records: &Records,
) -> Result<(Vec<PointResult>, String), SweepError> {
    let points = results(spec, records)?;
    write(&dir.join("points.json"), points_json(&points).as_bytes())?;
    let csv = points_csv(spec, &points);
    write(&dir.join("points.csv"), csv.as_bytes())?;
    Ok((points, csv))
}

/// The text of `points.csv`.
pub fn points_csv(spec: &SweepSpec, points: &[PointResult]) -> String {
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
        let opt =
            |r: &Option<Ratio>, f: &dyn Fn(&Ratio) -> String| r.as_ref().map(f).unwrap_or_default();
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
