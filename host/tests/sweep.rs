//! `rxdsp sweep` and `rxdsp merge` through the program: the merged result is
//! the same bytes whatever the thread count, the shard order or duplicates,
//! equals `rxdsp sim` of the same length, and bad input is refused with one
//! line and exit 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rxdsp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rxdsp"))
        .args(args)
        .output()
        .expect("run rxdsp")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rxdsp-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn fails(o: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(needle), "'{needle}' not in {err}");
}

const SHARD: &str = "65536";

fn sweep(out: &Path, threads: &str) -> Output {
    rxdsp(&[
        "sweep",
        "--set",
        "dfe.taps=2",
        "--grid",
        "channel.snr_db=25:26:1",
        "--grid",
        "tx.precode=false,true",
        "--out",
        &out.display().to_string(),
        "--shard-symbols",
        SHARD,
        "--target-errors",
        "3000",
        "--max-symbols",
        "2000000",
        "--threads",
        threads,
    ])
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn merged_results_are_exact_and_order_free() {
    let (a, b) = (tmp("a"), tmp("b"));
    ok(&sweep(&a, "1"));
    ok(&sweep(&b, "2"));
    for f in ["points.json", "points.csv"] {
        assert_eq!(read(&a.join(f)), read(&b.join(f)), "{f}: 1 vs 2 threads");
    }
    assert!(a.join("waterfall.svg").exists() && a.join("index.html").exists());
    // resumed: nothing to run, the same result
    ok(&sweep(&a, "2"));
    assert_eq!(read(&a.join("points.json")), read(&b.join("points.json")));
    // merge: a's shards split in two folders, some in both, listed in reverse
    let (c1, c2, m) = (tmp("c1"), tmp("c2"), tmp("m"));
    let mut names: Vec<_> = std::fs::read_dir(a.join("shards"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    for d in [&c1, &c2] {
        std::fs::create_dir_all(d.join("shards")).unwrap();
        std::fs::copy(a.join("sweep.json"), d.join("sweep.json")).unwrap();
    }
    for (i, n) in names.iter().enumerate() {
        let to = if i % 2 == 0 { &c1 } else { &c2 };
        std::fs::copy(a.join("shards").join(n), to.join("shards").join(n)).unwrap();
        if i % 3 == 0 {
            std::fs::copy(a.join("shards").join(n), c1.join("shards").join(n)).unwrap();
        }
    }
    ok(&rxdsp(&[
        "merge",
        &c2.display().to_string(),
        &c1.display().to_string(),
        "--out",
        &m.display().to_string(),
    ]));
    assert_eq!(read(&m.join("points.json")), read(&a.join("points.json")));
    // the same as `rxdsp sim` of the same length: point 3 (26 dB, precoded)
    let pts: serde_json::Value = serde_json::from_slice(&read(&a.join("points.json"))).unwrap();
    let p = &pts[3];
    assert_eq!(p["stop"], "target");
    let shards = p["shards"].as_u64().unwrap();
    let symbols = (shards * SHARD.parse::<u64>().unwrap()).to_string();
    let rep = tmp("sim.json");
    ok(&rxdsp(&[
        "sim",
        "--set",
        "dfe.taps=2",
        "--set",
        "channel.snr_db=26.0",
        "--set",
        "tx.precode=true",
        "--symbols",
        &symbols,
        "--report",
        &rep.display().to_string(),
    ]));
    let r: serde_json::Value = serde_json::from_slice(&read(&rep)).unwrap();
    assert_eq!(p["counts"]["bit_errors"], r["pre_fec"]["bit_errors"]);
    assert_eq!(p["counts"]["bits"], r["pre_fec"]["bits"]);
    assert_eq!(p["counts"]["symbol_errors"], r["pre_fec"]["symbol_errors"]);
    assert_eq!(p["counts"]["bursts"], r["bursts"]["histogram"]);
    assert!(p["counts"]["bit_errors"].as_u64().unwrap() >= 3000);
    for d in [a, b, c1, c2, m] {
        std::fs::remove_dir_all(d).ok();
    }
    std::fs::remove_file(rep).ok();
}

#[test]
fn bad_input_is_refused() {
    let out = tmp("bad");
    let o = out.display().to_string();
    fails(
        &rxdsp(&["sweep", "--grid", "channel.snr_dbb=20,21", "--out", &o]),
        "snr_dbb",
    );
    fails(
        &rxdsp(&["sweep", "--grid", "channel.snr_db=24:20:1", "--out", &o]),
        "empty range",
    );
    fails(
        &rxdsp(&["sweep", "--grid", "snr=1,2", "--out", &o]),
        "section.key",
    );
    fails(
        &rxdsp(&["sweep", "--grid", "link.pattern=random", "--out", &o]),
        "random",
    );
    // a run, then a corrupt shard and one from another configuration
    let run = |o: &str| {
        rxdsp(&[
            "sweep",
            "--grid",
            "channel.snr_db=20",
            "--out",
            o,
            "--shard-symbols",
            "32768",
            "--target-errors",
            "10",
        ])
    };
    ok(&run(&o));
    let shard = out.join("shards").join("p0000-s0000000.json");
    let good = read(&shard);
    std::fs::write(&shard, b"{ not json").unwrap();
    fails(&run(&o), "not a shard record");
    let other =
        String::from_utf8(good)
            .unwrap()
            .replacen("\"config_hash\":\"", "\"config_hash\":\"0", 1);
    std::fs::write(&shard, other).unwrap();
    fails(&run(&o), "another configuration");
    // deeper in the same folder: the records are reused, more are added
    std::fs::remove_dir_all(out.join("shards")).unwrap();
    ok(&run(&o));
    let first: serde_json::Value = serde_json::from_slice(&read(&out.join("points.json"))).unwrap();
    let o2 = rxdsp(&[
        "sweep",
        "--grid",
        "channel.snr_db=20",
        "--out",
        &o,
        "--shard-symbols",
        "32768",
        "--target-errors",
        "20000",
    ]);
    ok(&o2);
    let deeper: serde_json::Value =
        serde_json::from_slice(&read(&out.join("points.json"))).unwrap();
    assert!(
        deeper[0]["shards"].as_u64() > first[0]["shards"].as_u64(),
        "{deeper}"
    );
    // another grid in the same folder
    fails(
        &rxdsp(&["sweep", "--grid", "channel.snr_db=21", "--out", &o]),
        "another sweep",
    );
    std::fs::remove_dir_all(out).ok();
}
