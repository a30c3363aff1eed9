"""``python -m rxdsp sweep``: a sweep on a Dask cluster (or a local one),
writing the folder ``rxdsp sweep`` writes (without the plots: ``rxdsp merge
DIR --out DIR2`` draws them).

Bad input: one line on stderr and exit 2, as the ``rxdsp`` program."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

import rxdsp


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m rxdsp", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sweep", help="a BER sweep in exact shards on Dask")
    s.add_argument("--config", help="configuration file (TOML); the embedded default when absent")
    s.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override any key (repeatable)")
    s.add_argument("--grid", action="append", required=True, metavar="KEY=VALUES",
                   help="a swept key: KEY=V1,V2,... or KEY=A:B:STEP (repeatable)")
    s.add_argument("--out", required=True, help="the sweep's folder (an existing one is resumed)")
    s.add_argument("--target-errors", type=int, default=100,
                   help="bit errors (before FEC) a point stops at (default 100)")
    s.add_argument("--max-symbols", type=int, default=1_000_000_000,
                   help="symbols a point stops at without reaching the target")
    s.add_argument("--shard-symbols", type=int, default=rxdsp.DEFAULT_SHARD_SYMBOLS,
                   help="symbols per shard (a multiple of 32768)")
    s.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="a running Dask scheduler (default: a LocalCluster on this machine)")
    s.add_argument("--workers", type=int,
                   help="LocalCluster worker processes (default: one per core)")
    s.add_argument("--inline", action="store_true",
                   help="run the shards in this process, without Dask")
    return ap


def main(argv: Optional[List[str]] = None) -> int:
    a = _parser().parse_args(argv)
    try:
        # as `rxdsp sweep`: relative Touchstone paths from the file's folder
        spec = rxdsp.sweep_spec(a.config, a.grid, sets=a.sets, target_errors=a.target_errors,
                                max_symbols=a.max_symbols, shard_symbols=a.shard_symbols)
        if a.inline:
            points = rxdsp.sweep(spec, "inline", out=a.out, progress=True)
        elif a.scheduler:
            from distributed import Client

            with Client(a.scheduler) as client:
                points = rxdsp.sweep(spec, client, out=a.out, progress=True)
        else:
            points = rxdsp.sweep(spec, None, out=a.out, workers=a.workers, progress=True)
    except rxdsp.RxdspError as e:
        print(f"rxdsp: error: {e}", file=sys.stderr)
        return 2
    with open(f"{a.out}/points.csv", encoding="utf-8") as f:
        sys.stdout.write(f.read().replace(",", "  "))
    print(f"results    {a.out}/points.json ({len(points)} points)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
