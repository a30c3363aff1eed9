//! # rxdsp-py
//!
//! The native module `rxdsp._rxdsp` of the Python package `rxdsp`
//! (docs/python.md): thin bindings over the host library, so Python runs the
//! very code the `rxdsp` program runs. Plain data crosses the boundary as
//! JSON text (the Python side turns it into dicts), sample and bit arrays as
//! NumPy arrays.
//!
//! Every call releases the GIL while Rust runs ([`Python::detach`]), and
//! every Rust error *and* every panic ([`std::panic::catch_unwind`]) is
//! raised as `rxdsp.RxdspError`, never as PyO3's `PanicException`.

use golden::config::{Config, LinkPlan};
use pyo3::prelude::*;
use rxdsp::samples::Samples;
use rxdsp::sweep::{folder, merge_records, run_record, SweepSpec, WorkQueue};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

pyo3::create_exception!(
    rxdsp,
    RxdspError,
    pyo3::exceptions::PyException,
    "Any error of rxdsp: bad input (configuration, grid, shard records, samples) or a failure inside the Rust code (a panic included)."
);

/// Runs `f` without the GIL; its error or panic becomes [`RxdspError`].
fn run<T: Send>(py: Python<'_>, f: impl FnOnce() -> Result<T, String> + Send) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(f)))
        .map_err(|p| {
            let why = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            RxdspError::new_err(format!("internal error (a Rust panic): {why}"))
        })?
        .map_err(RxdspError::new_err)
}

/// A configuration from its JSON text: `{section: {key: value}}` applied to
/// the embedded default exactly as `--set section.key=value` overrides are
/// (so `{"channel": {"taps": [..]}}` replaces the default preset).
fn config_of(json: &str) -> Result<Config, String> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("config: not JSON ({e})"))?;
    let serde_json::Value::Object(sections) = v else {
        return Err("config: a dict of sections (the TOML file's keys) expected".into());
    };
    let mut sets = Vec::new();
    for (section, keys) in sections {
        let serde_json::Value::Object(keys) = keys else {
            return Err(format!(
                "config: [{section}] must be a dict of keys (section.key = value)"
            ));
        };
        for (key, value) in keys {
            if value.is_null() {
                continue;
            }
            let t = toml::Value::try_from(&value)
                .map_err(|e| format!("config: {section}.{key}: {e}"))?;
            sets.push(format!("{section}.{key}={t}"));
        }
    }
    rxdsp::cfgload::load(None, &sets).map_err(|e| {
        // name the key: the first override that fails alone
        match sets
            .iter()
            .find(|s| rxdsp::cfgload::load(None, std::slice::from_ref(s)).is_err())
        {
            Some(s) => format!("config {}: {e}", s.split('=').next().unwrap_or(s)),
            None => format!("config: {e}"),
        }
    })
}

/// The configuration of `config` (JSON, as [`config_of`]) or of the TOML
/// file `path` with `sets` applied (as `--config path --set ...`).
fn config_from(
    config: Option<&str>,
    path: Option<&str>,
    sets: &[String],
) -> Result<Config, String> {
    match (config, path) {
        (Some(c), None) if sets.is_empty() => config_of(c),
        (None, p) => rxdsp::cfgload::load(p.map(Path::new), sets).map_err(|e| e.to_string()),
        _ => Err("config: a dict, or a file with sets, not both".into()),
    }
}

/// The plan of `cfg` (a relative Touchstone path taken from the current
/// folder).
fn plan_of(cfg: &Config) -> Result<LinkPlan, String> {
    rxdsp::cfgload::plan(cfg, None).map_err(|e| e.to_string())
}

fn spec_of(json: &str) -> Result<SweepSpec, String> {
    folder::parse_spec("spec", json.as_bytes()).map_err(|e| e.to_string())
}

/// `rxdsp sim --report` of a configuration: the report's JSON text.
#[pyfunction]
#[pyo3(signature = (config, path = None, sets = Vec::new(), threads = 1))]
fn simulate(
    py: Python<'_>,
    config: Option<String>,
    path: Option<String>,
    sets: Vec<String>,
    threads: usize,
) -> PyResult<String> {
    run(py, || {
        let cfg = config_from(config.as_deref(), path.as_deref(), &sets)?;
        let plan = rxdsp::cfgload::plan(&cfg, path.as_deref().map(Path::new))
            .map_err(|e| e.to_string())?;
        let (r, _warnings) =
            rxdsp::simulate::simulate(&plan, threads.max(1)).map_err(|e| e.to_string())?;
        rxdsp::simulate::report_json(&r).map_err(|e| e.to_string())
    })
}

/// Samples of a NumPy array: int8 or int16 ADC codes, or float32 voltages.
fn samples_of(x: &Bound<'_, PyAny>) -> PyResult<Samples> {
    use numpy::PyReadonlyArray1;
    if let Ok(a) = x.extract::<PyReadonlyArray1<i8>>() {
        return Ok(Samples::Int(
            a.as_array().iter().map(|&v| v as i16).collect(),
        ));
    }
    if let Ok(a) = x.extract::<PyReadonlyArray1<i16>>() {
        return Ok(Samples::Int(a.as_array().iter().copied().collect()));
    }
    if let Ok(a) = x.extract::<PyReadonlyArray1<f32>>() {
        return Ok(Samples::Float(a.as_array().iter().copied().collect()));
    }
    Err(RxdspError::new_err(
        "samples: a 1-D NumPy array of int8, int16 or float32 expected",
    ))
}

/// `rxdsp rx`: the golden receiver on `samples`; the decoded bits, two per
/// sample (MSB first: `numpy.packbits` of them is `rxdsp rx`'s output file).
#[pyfunction]
fn rx<'py>(
    py: Python<'py>,
    samples: &Bound<'py, PyAny>,
    config: String,
) -> PyResult<Bound<'py, numpy::PyArray1<u8>>> {
    let s = samples_of(samples)?;
    let bits = run(py, move || {
        // as `rxdsp rx`: no transmitted symbols are known, adaptation is decision-directed
        let mut cfg = config_of(&config)?;
        cfg.adapt.training.get_or_insert(0);
        let plan = plan_of(&cfg)?;
        if plan.hw_adapt.is_some() {
            return Err(
                "adapt.in_rtl = true is modelled by `rxdsp sim` only: rx uses fixed coefficients"
                    .into(),
            );
        }
        let input = rxdsp::rxinput::from_samples(&plan, s, Path::new("samples"))
            .map_err(|e| e.to_string())?;
        let data = input.receive(&plan).map_err(|e| e.to_string())?.data;
        Ok(data
            .iter()
            .flat_map(|&d| [(d >> 1) & 1, d & 1])
            .collect::<Vec<u8>>())
    })?;
    Ok(numpy::PyArray1::from_vec(py, bits))
}

/// The JSON text of a sweep spec (as `sweep.json` holds it), checked: every
/// point resolves and can be sharded.
#[pyfunction]
#[pyo3(signature = (config, path, sets, config_dir, grid, shard_symbols, target_errors, max_symbols))]
#[allow(clippy::too_many_arguments)]
fn sweep_spec(
    py: Python<'_>,
    config: Option<String>,
    path: Option<String>,
    sets: Vec<String>,
    config_dir: Option<String>,
    grid: Vec<String>,
    shard_symbols: u64,
    target_errors: u64,
    max_symbols: u64,
) -> PyResult<String> {
    run(py, || {
        let cfg = config_from(config.as_deref(), path.as_deref(), &sets)?;
        let spec = SweepSpec::build(
            &cfg,
            config_dir,
            &grid,
            shard_symbols,
            target_errors,
            max_symbols,
        )
        .map_err(|e| e.to_string())?;
        spec.check().map_err(|e| e.to_string())?;
        Ok(folder::spec_text(&spec))
    })
}

/// A configuration file (or the embedded default) loaded as `rxdsp --config
/// FILE --set ...` loads it: its JSON text.
#[pyfunction]
#[pyo3(signature = (path = None, sets = Vec::new()))]
fn load_config(py: Python<'_>, path: Option<String>, sets: Vec<String>) -> PyResult<String> {
    run(py, || {
        let cfg = rxdsp::cfgload::load(path.as_deref().map(Path::new), &sets)
            .map_err(|e| e.to_string())?;
        serde_json::to_string(&cfg).map_err(|e| e.to_string())
    })
}

/// Shard `shard` of point `point`: the record's JSON text (the bytes a
/// shard file holds).
#[pyfunction]
fn run_shard(py: Python<'_>, spec: String, point: usize, shard: u64) -> PyResult<String> {
    run(py, || {
        let spec = spec_of(&spec)?;
        if point >= spec.points() {
            return Err(format!(
                "point {point}: the sweep has {} points",
                spec.points()
            ));
        }
        let hash = spec.config_hash(point).map_err(|e| e.to_string())?;
        let r = run_record(&spec, point, shard, &hash).map_err(|e| e.to_string())?;
        Ok(folder::record_text(&r))
    })
}

/// Records (JSON texts) merged per point without a spec: a JSON object of
/// point index to the merged counts.
#[pyfunction]
fn merge(py: Python<'_>, records: Vec<String>) -> PyResult<String> {
    run(py, || {
        let recs = records
            .iter()
            .enumerate()
            .map(|(i, t)| folder::parse_record(&format!("record {i}"), t.as_bytes()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let m = merge_records(recs).map_err(|e| e.to_string())?;
        serde_json::to_string(&m).map_err(|e| e.to_string())
    })
}

/// The work queue of a sweep ([`WorkQueue`]), optionally over a folder.
#[pyclass(module = "rxdsp._rxdsp")]
struct Queue {
    queue: WorkQueue,
    dir: Option<String>,
}

#[pymethods]
impl Queue {
    /// A queue for `spec`; with `dir`, the folder is opened as `rxdsp sweep
    /// --out` opens it (its records reused).
    #[new]
    #[pyo3(signature = (spec, dir = None))]
    fn new(py: Python<'_>, spec: String, dir: Option<String>) -> PyResult<Queue> {
        let d = dir.clone();
        let queue = run(py, move || {
            let spec = spec_of(&spec)?;
            let hashes = spec.check().map_err(|e| e.to_string())?;
            let records = match &d {
                Some(d) => folder::open(Path::new(d), &spec, &hashes).map_err(|e| e.to_string())?,
                None => Default::default(),
            };
            Ok(WorkQueue::new(spec, hashes, records))
        })?;
        Ok(Queue { queue, dir })
    }

    /// The next useful shard `(point, shard)`, or None.
    fn next(&mut self) -> Option<(usize, u64)> {
        self.queue.next_shard()
    }

    /// Takes in a finished record (JSON text), writing it to the folder.
    fn finish(&mut self, py: Python<'_>, record: String) -> PyResult<()> {
        let (q, dir) = (&mut self.queue, &self.dir);
        run(py, move || {
            let r = folder::parse_record("record", record.as_bytes()).map_err(|e| e.to_string())?;
            if let Some(d) = dir {
                folder::write_record(Path::new(d), &r).map_err(|e| e.to_string())?;
            }
            q.finish(r).map_err(|e| e.to_string())
        })
    }

    /// A shard that will not finish: runnable again.
    fn abandon(&mut self, point: usize, shard: u64) {
        self.queue.abandon(point, shard);
    }

    /// Every point is decided.
    fn done(&self) -> bool {
        self.queue.done()
    }

    /// `(bit errors, shards, decided)` of point `p`'s consecutive prefix.
    fn status(&self, p: usize) -> (u64, u64, bool) {
        let s = self.queue.status(p);
        (s.errors, s.shards, s.decided)
    }

    /// The results: `(points.json text, points.csv text)`, also written to
    /// the folder when there is one.
    fn results(&self, py: Python<'_>) -> PyResult<(String, String)> {
        let (q, dir) = (&self.queue, &self.dir);
        run(py, move || {
            let (spec, recs) = (q.spec(), q.records());
            let points = match dir {
                Some(d) => {
                    folder::write_points(Path::new(d), spec, recs)
                        .map_err(|e| e.to_string())?
                        .0
                }
                None => folder::results(spec, recs).map_err(|e| e.to_string())?,
            };
            Ok((
                folder::points_json(&points),
                folder::points_csv(spec, &points),
            ))
        })
    }
}

/// A hidden debug entry: panics inside Rust (the tests check it arrives as
/// `RxdspError`, also from a Dask worker).
#[pyfunction]
fn _panic(py: Python<'_>) -> PyResult<()> {
    run(py, || -> Result<(), String> {
        panic!("rxdsp._rxdsp._panic called")
    })
}

/// The native module.
#[pymodule]
fn _rxdsp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("RxdspError", m.py().get_type::<RxdspError>())?;
    m.add("VERSION", rxdsp::sweep::VERSION)?;
    m.add("DEFAULT_SHARD_SYMBOLS", rxdsp::sweep::DEFAULT_SHARD_SYMBOLS)?;
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    m.add_function(wrap_pyfunction!(rx, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_spec, m)?)?;
    m.add_function(wrap_pyfunction!(load_config, m)?)?;
    m.add_function(wrap_pyfunction!(run_shard, m)?)?;
    m.add_function(wrap_pyfunction!(merge, m)?)?;
    m.add_function(wrap_pyfunction!(_panic, m)?)?;
    m.add_class::<Queue>()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dict is the embedded default with `--set` overrides: the same
    /// configuration (and so the same sweep spec bytes) as the program's.
    #[test]
    fn a_config_dict_is_the_default_with_overrides() {
        let c = config_of(r#"{"dfe": {"taps": 2}, "channel": {"taps": [1.0, 0.25], "preset": null}, "link": {"pattern": "prbs13q"}}"#)
            .unwrap();
        let want = rxdsp::cfgload::load(
            None,
            &[
                "dfe.taps=2".into(),
                "channel.taps=[1.0, 0.25]".into(),
                "link.pattern=prbs13q".into(),
            ],
        )
        .unwrap();
        assert_eq!(c, want);
        assert_eq!(c.channel.preset, None);
        assert_eq!(
            config_of("{}").unwrap(),
            rxdsp::cfgload::load(None, &[]).unwrap()
        );
    }

    /// Bad dicts: one line naming the key.
    #[test]
    fn bad_config_dicts_name_the_key() {
        for (json, needle) in [
            (r#"{"link": {"symbols": "many"}}"#, "config link.symbols"),
            (r#"{"dfe": {"tapz": 2}}"#, "tapz"),
            (r#"{"dfe": 2}"#, "[dfe] must be a dict"),
            ("[1]", "a dict of sections"),
            ("{", "not JSON"),
        ] {
            let e = config_of(json).unwrap_err();
            assert!(e.contains(needle) && !e.contains('\n'), "{json}: {e}");
        }
    }
}
