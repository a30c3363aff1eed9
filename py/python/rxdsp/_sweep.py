"""The sweep loop of :func:`rxdsp.sweep`: the Rust work queue decides which
shard is useful next (the same queue as ``rxdsp sweep``), the shards run in
this process or on Dask workers, and the Rust stop rule and writers make the
result, so the bytes are those of the CLI whatever ran the shards."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Dict, List, Optional

from . import _rxdsp
from ._rxdsp import RxdspError


def shard_task(spec_json: str, point: int, shard: int) -> Dict[str, Any]:
    """What a Dask worker runs: a plain spec in, a plain record (ints and
    strings) out."""
    return json.loads(_rxdsp.run_shard(spec_json, point, shard))


def panic_task() -> None:
    """A task that panics inside Rust (tests: the panic reaches the caller
    as RxdspError)."""
    _rxdsp._panic()


def _report(queue: Any, points: int, progress: bool) -> None:
    if not progress:
        return
    decided = sum(1 for p in range(points) if queue.status(p)[2])
    print(f"\rrxdsp sweep: {decided}/{points} points decided", end="", file=sys.stderr, flush=True)


def _points(spec: Dict[str, Any]) -> int:
    n = 1
    for axis in spec["axes"]:
        n *= len(axis["values"])
    return n


def run_sweep(spec: Dict[str, Any], client: Any, *, out: Optional[os.PathLike] = None,
              workers: Optional[int] = None, progress: bool = False) -> List[Dict[str, Any]]:
    """See :func:`rxdsp.sweep`."""
    if not isinstance(spec, dict) or "axes" not in spec:
        raise RxdspError("spec: a dict from rxdsp.sweep_spec expected")
    spec_json = json.dumps(spec)
    queue = _rxdsp.Queue(spec_json, os.fspath(out) if out is not None else None)
    points = _points(spec)
    if isinstance(client, str):
        if client != "inline":
            raise RxdspError(f"client {client!r}: a distributed.Client, None or 'inline'")
        _run_inline(queue, spec_json, points, progress)
    elif client is None:
        from distributed import Client, LocalCluster

        n = workers or os.cpu_count() or 1
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster, \
                Client(cluster) as c:
            _run_dask(queue, spec_json, c, points, progress)
    else:
        _run_dask(queue, spec_json, client, points, progress)
    if progress:
        print(file=sys.stderr)
    points_json, _csv = queue.results()
    return json.loads(points_json)


def _run_inline(queue: Any, spec_json: str, points: int, progress: bool) -> None:
    while not queue.done():
        job = queue.next()
        if job is None:  # pragma: no cover - one at a time: nothing can be running
            raise RxdspError("the work queue stalled")
        p, k = job
        queue.finish(_rxdsp.run_shard(spec_json, p, k))
        _report(queue, points, progress)


def _run_dask(queue: Any, spec_json: str, client: Any, points: int, progress: bool) -> None:
    from distributed import as_completed

    # two shards a worker thread in flight: a worker never waits for the scheduler
    slots = max(1, 2 * sum(client.nthreads().values()))
    running: Dict[str, Any] = {}
    done = as_completed()

    def fill() -> None:
        while len(running) < slots:
            job = queue.next()
            if job is None:
                return
            p, k = job
            fut = client.submit(shard_task, spec_json, p, k, pure=False)
            running[fut.key] = (p, k, fut)
            done.add(fut)

    try:
        fill()
        for fut in done:
            p, k, _ = running.pop(fut.key)
            try:
                record = fut.result()
            except BaseException:
                queue.abandon(p, k)
                raise
            queue.finish(json.dumps(record))
            _report(queue, points, progress)
            if queue.done():
                break
            fill()
            if not running and not queue.done():  # pragma: no cover - the queue guarantees work
                raise RxdspError("the work queue stalled")
    finally:
        for _, _, f in running.values():
            f.cancel()
