"""Engine overhead per shard: CPU time of ``rxdsp.run_shard`` (a shard in the
middle of a run: the PRBS jump, the chunk alignment, the lookback, the
coefficients, the record) against ``rxdsp.simulate`` of the same length from
the start (the plain run, its channel and receiver threads both counted).

    .venv-py/bin/python py/benches/overhead.py [SHARD_SYMBOLS] [REPEATS]

Prints the medians and the overhead; run it on a quiet machine (uptime)."""

import statistics
import sys
import time

import rxdsp


def cpu(f) -> float:
    t = time.process_time()
    f()
    return time.process_time() - t


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else rxdsp.DEFAULT_SHARD_SYMBOLS
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    base = {"dfe": {"taps": 2}, "channel": {"snr_db": 30.0}}
    spec = rxdsp.sweep_spec(base, ["link.seed=1"], shard_symbols=n,
                            target_errors=10**12, max_symbols=100 * n)
    sim = dict(base, link={"symbols": n, "seed": 1})
    shard_t, sim_t = [], []
    for i in range(reps):  # alternated, so a change of load hits both
        shard_t.append(cpu(lambda: rxdsp.run_shard(spec, 0, 7 + i)))
        sim_t.append(cpu(lambda: rxdsp.simulate(sim, threads=1)))
    a, b = statistics.median(shard_t), statistics.median(sim_t)
    # each shard against the run right after it: a change of load cancels out
    pairs = statistics.median(x / y for x, y in zip(shard_t, sim_t))
    print(f"shard of {n} symbols: {a:.4f} s CPU (median of {reps}); simulate: {b:.4f} s CPU; "
          f"overhead {100 * (pairs - 1):+.2f} % (median of the paired ratios)")


if __name__ == "__main__":
    main()
