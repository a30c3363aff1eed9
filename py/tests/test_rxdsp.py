"""The Python package against the rxdsp program: the same reports, bits and
sweep results (byte for byte), whatever ran the shards; errors and panics as
rxdsp.RxdspError.

Run by scripts/test.sh in the venv scripts/need.sh (need_py) makes:
    .venv-py/bin/python -m pytest py/tests
RXDSP names the rxdsp program (default target/debug/rxdsp, else
target/release/rxdsp). Without the package the tests skip on a developer's
machine and FAIL under CI=true.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


try:
    import numpy as np
    import rxdsp
    from rxdsp import _rxdsp
    from distributed import Client, LocalCluster
except ImportError as err:  # pragma: no cover - the policy for a missing tool
    if _in_ci():
        raise RuntimeError(
            f"the rxdsp Python package or its test dependencies are missing and CI is set: {err} "
            "(scripts/need.sh need_py builds it into .venv-py)") from err
    pytest.skip(f"rxdsp Python package missing ({err}): run scripts/test.sh or source "
                "scripts/need.sh; need_py", allow_module_level=True)


def _rxdsp_bin() -> Path:
    given = os.environ.get("RXDSP")
    if given:
        return Path(given).resolve()
    for profile in ("debug", "release"):
        p = ROOT / "target" / profile / "rxdsp"
        if p.exists():
            return p
    raise RuntimeError("no rxdsp program: cargo build -p rxdsp (or set RXDSP)")


def cli(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(_rxdsp_bin()), *args], cwd=cwd, capture_output=True, text=True)
    if check:
        assert r.returncode == 0, r.stderr
    return r


# a small sweep: 4 points of 4 to 15 shards of 2 noise chunks, stopping at 400 bit errors
SETS = ["dfe.taps=2"]
GRID = ["channel.snr_db=28:29:1", "tx.precode=false,true"]
SHARD = 65536
TARGET = 400
MAX = 1_500_000
CONFIG = {"dfe": {"taps": 2}}


def cli_sweep(out: Path, threads: int, cwd: Path) -> None:
    args = ["sweep", "--out", str(out), "--shard-symbols", str(SHARD), "--target-errors",
            str(TARGET), "--max-symbols", str(MAX), "--threads", str(threads)]
    for s in SETS:
        args += ["--set", s]
    for g in GRID:
        args += ["--grid", g]
    cli(*args, cwd=cwd)


def spec(cwd: Path):
    return rxdsp.sweep_spec(CONFIG, GRID, shard_symbols=SHARD, target_errors=TARGET,
                            max_symbols=MAX, config_dir=cwd)


def read(p: Path) -> bytes:
    return p.read_bytes()


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sweeps")


@pytest.fixture(scope="module")
def cluster2():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as c, Client(c) as client:
        yield client


@pytest.fixture(scope="module")
def reference(work: Path) -> Path:
    """The CLI's sweep with one thread: the bytes every other way must give."""
    out = work / "cli1"
    cli_sweep(out, 1, work)
    return out


RESULTS = ("points.json", "points.csv", "sweep.json")


def same_folder(a: Path, b: Path) -> None:
    for f in RESULTS:
        assert read(a / f) == read(b / f), f"{f}: {a.name} vs {b.name}"
    # a shard both ran is the same bytes
    common = {p.name for p in (a / "shards").iterdir()} & {p.name for p in (b / "shards").iterdir()}
    assert common
    for n in common:
        assert read(a / "shards" / n) == read(b / "shards" / n), n


def stops(folder: Path):
    return [(p["stop"], p["shards"]) for p in json.loads(read(folder / "points.json"))]


def test_cli_two_threads_equal_one(work: Path, reference: Path) -> None:
    out = work / "cli2"
    cli_sweep(out, 2, work)
    same_folder(reference, out)
    assert all(s == "target" for s, _ in stops(reference)), stops(reference)


def test_python_in_process_equals_cli(work: Path, reference: Path) -> None:
    out = work / "inline"
    points = rxdsp.sweep(spec(work), "inline", out=out)
    same_folder(reference, out)
    assert points == json.loads(read(reference / "points.json"))


def test_dask_two_workers_equal_cli(work: Path, reference: Path, cluster2) -> None:
    out = work / "dask2"
    rxdsp.sweep(spec(work), cluster2, out=out)
    same_folder(reference, out)


def test_stop_is_the_same_whatever_the_worker_count(work: Path, reference: Path) -> None:
    out = work / "dask1"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as c, Client(c) as client:
        rxdsp.sweep(spec(work), client, out=out)
    assert stops(out) == stops(reference)
    same_folder(reference, out)


def test_shuffled_and_duplicated_shards_merge_to_the_same_bytes(work: Path, reference: Path) -> None:
    texts = [p.read_text() for p in sorted((reference / "shards").iterdir())]
    rng = random.Random(7)
    for trial in range(3):
        shuffled = texts + rng.sample(texts, len(texts) // 3)  # a third duplicated
        rng.shuffle(shuffled)
        q = _rxdsp.Queue(json.dumps(spec(work)))
        for t in shuffled:
            q.finish(t)
        assert q.done()
        points_json, points_csv = q.results()
        assert points_json.encode() == read(reference / "points.json"), trial
        assert points_csv.encode() == read(reference / "points.csv"), trial
    # merge without a spec: a point's records, shuffled, with a duplicate
    recs = [json.loads(t) for t in texts]
    p3 = sorted((r for r in recs if r["point"] == 3), key=lambda r: r["shard"])
    want = json.loads(read(reference / "points.json"))[3]
    used = p3[: want["shards"]]
    mixed = used + used[:1]
    rng.shuffle(mixed)
    assert rxdsp.merge(mixed)[3] == want["counts"]


def test_sweep_point_equals_a_simulation_of_its_length(work: Path, reference: Path) -> None:
    want = json.loads(read(reference / "points.json"))[3]  # 29 dB, precoded
    assert want["stop"] == "target"
    n = want["shards"] * SHARD
    config = {"dfe": {"taps": 2}, "channel": {"snr_db": 29.0}, "tx": {"precode": True},
              "link": {"symbols": n}}
    r = rxdsp.simulate(config)
    assert r["pre_fec"]["bit_errors"] == want["counts"]["bit_errors"] >= TARGET
    assert r["pre_fec"]["bits"] == want["counts"]["bits"]
    assert r["pre_fec"]["symbol_errors"] == want["counts"]["symbol_errors"]
    assert r["bursts"]["histogram"] == want["counts"]["bursts"]


def without_timing(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "timing"}


def test_simulate_is_the_cli_report(tmp_path: Path) -> None:
    config = {"channel": {"snr_db": 22.0}, "tx": {"fec": "kp4"}, "link": {"symbols": 300000}}
    (tmp_path / "c.toml").write_text(
        '[channel]\nsnr_db = 22.0\n[tx]\nfec = "kp4"\n[link]\nsymbols = 300000\n')
    cli("sim", "--config", "c.toml", "--report", "r.json", cwd=tmp_path)
    want = json.loads((tmp_path / "r.json").read_text())
    got = rxdsp.simulate(config)
    assert set(got) == set(want)
    assert without_timing(got) == without_timing(want)
    assert got["fec"]["codewords"] > 0
    # the same dict from the file through load_config
    assert without_timing(rxdsp.simulate(rxdsp.load_config(tmp_path / "c.toml"))) == without_timing(want)


def test_rx_is_the_cli_receiver(tmp_path: Path) -> None:
    cli("sim", "--symbols", "50000", "--set", "channel.snr_db=20", "--dump-samples", "x.npy",
        cwd=tmp_path)
    x = np.load(tmp_path / "x.npy")
    assert x.dtype == np.int16
    cli("rx", "--in", "x.npy", "--out", "bits.bin", cwd=tmp_path)
    bits = rxdsp.rx(x, {})
    assert bits.dtype == np.uint8 and bits.shape == (2 * len(x),)
    assert set(np.unique(bits)) <= {0, 1}
    assert np.packbits(bits).tobytes() == (tmp_path / "bits.bin").read_bytes()
    # int8 codes and float32 voltages, against the program on the same files
    for dtype, name in ((np.int8, "x8.npy"), (np.float32, "xf.npy")):
        y = (np.clip(x, -128, 127).astype(dtype) if dtype == np.int8
             else (x.astype(np.float32) / 512.0))
        np.save(tmp_path / name, y)
        cli("rx", "--in", name, "--out", "b.bin", cwd=tmp_path)
        got = np.packbits(rxdsp.rx(y, {})).tobytes()
        assert got == (tmp_path / "b.bin").read_bytes(), dtype
    # a strided view is read as its values
    assert np.array_equal(rxdsp.rx(np.repeat(x, 2)[::2], {}), bits)


def one_line(e: BaseException, needle: str) -> None:
    msg = str(e)
    assert isinstance(e, rxdsp.RxdspError), type(e)
    assert "\n" not in msg and needle in msg, msg


def test_a_panic_is_an_rxdsp_error(cluster2) -> None:
    with pytest.raises(rxdsp.RxdspError) as e:
        _rxdsp._panic()
    one_line(e.value, "panic")
    assert issubclass(rxdsp.RxdspError, Exception)
    # inside a Dask task on another process: pickled back as the same class
    from rxdsp._sweep import panic_task

    fut = cluster2.submit(panic_task, pure=False)
    with pytest.raises(rxdsp.RxdspError) as e:
        fut.result()
    one_line(e.value, "panic")


def test_bad_input_raises_one_clear_error(work: Path, reference: Path) -> None:
    with pytest.raises(rxdsp.RxdspError) as e:
        rxdsp.sweep_spec(CONFIG, ["channel.snr_dbb=20,21"])
    one_line(e.value, "snr_dbb")
    with pytest.raises(rxdsp.RxdspError) as e:
        rxdsp.sweep_spec(CONFIG, ["channel.snr_db=24:20:1"])
    one_line(e.value, "empty range")
    with pytest.raises(rxdsp.RxdspError) as e:
        rxdsp.simulate({"link": {"symbols": "many"}})
    one_line(e.value, "symbols")
    with pytest.raises(rxdsp.RxdspError) as e:
        rxdsp.rx([1, 2, 3], {})
    one_line(e.value, "NumPy")
    # shard files: corrupt, of another configuration, of another version
    good = reference / "shards" / "p0000-s0000000.json"
    cases = [
        (b"{ not json", "not a shard record"),
        (good.read_text().replace('"config_hash":"', '"config_hash":"0', 1).encode(),
         "another configuration"),
        (good.read_text().replace(f'"rxdsp_version":"{rxdsp.VERSION}"',
                                  '"rxdsp_version":"0.0.1"', 1).encode(), "written by rxdsp 0.0.1"),
    ]
    for i, (text, needle) in enumerate(cases):
        out = work / f"bad{i}"
        shutil.copytree(reference, out)
        (out / "shards" / good.name).write_bytes(text)
        before = read(out / "points.json")
        with pytest.raises(rxdsp.RxdspError) as e:
            rxdsp.sweep(spec(work), "inline", out=out)
        one_line(e.value, needle)
        assert read(out / "points.json") == before, "nothing merged"
        with pytest.raises(rxdsp.RxdspError) as e:
            rxdsp.merge([json.loads(good.read_text()), json.loads(text)] if i else [{}])
        assert "\n" not in str(e.value)


def test_module_command_line(work: Path, reference: Path, cluster2) -> None:
    env = dict(os.environ)
    run = lambda *a: subprocess.run([sys.executable, "-m", "rxdsp", *a], cwd=work,  # noqa: E731
                                    capture_output=True, text=True, env=env)
    out = work / "module"
    args = ["sweep", "--out", str(out), "--shard-symbols", str(SHARD), "--target-errors",
            str(TARGET), "--max-symbols", str(MAX), "--scheduler", cluster2.scheduler.address]
    for s in SETS:
        args += ["--set", s]
    for g in GRID:
        args += ["--grid", g]
    r = run(*args)
    assert r.returncode == 0, r.stderr
    same_folder(reference, out)
    r = run("sweep", "--grid", "channel.snr_dbb=1", "--out", str(work / "x"), "--inline")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "snr_dbb" in r.stderr, r.stderr


def test_the_gil_is_released_while_rust_runs() -> None:
    import threading

    box = {}
    t = threading.Thread(target=lambda: box.update(r=rxdsp.simulate({"link": {"symbols": 2_000_000}})))
    t.start()
    spins = 0
    while t.is_alive():  # runs only while the simulation has let go of the GIL
        spins += 1
    t.join()
    assert box["r"]["symbols"] == 2_000_000
    assert spins > 10_000, spins
