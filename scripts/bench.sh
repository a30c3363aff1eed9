#!/usr/bin/env bash
# The performance table (README "Performance", issue 19), measured in one run on this
# machine: the link simulation (default config, and with KP4 in the loop), the KP4 and KR4
# decoders on one core (clean codewords and t symbol errors each), the encoders, and the
# Verilator co-simulation of the default design. Prints a Markdown table with the date,
# the CPU and the core count.
#
#   scripts/bench.sh            (about 3 minutes on 2 cores, builds included)
#   RUNS=N                      runs per simulation figure (default 5; the median is printed)
#   BASELINE=path/to/rxdsp      an older binary whose simulation runs alternate with these:
#                               its median and the ratio are printed beside
#
# The two simulations' reports (everything but the timing) are compared byte for byte
# with scripts/bench-ref/*.json, written by the code before the speed work: a faster
# path that changed one random number or one count makes this script exit 1.
# Each simulation runs RUNS times and the median and range are printed (the machine may be
# shared); the criterion figures are criterion's own estimates.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/need.sh
source scripts/need.sh
need_cargo

symbols=40000000
cosim_symbols=4000000
runs=${RUNS:-5}
cargo build --release -q -p rxdsp --bin rxdsp
bin=target/release/rxdsp
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rxdsp-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# the report without its timing object, keys sorted: what must not change
counts_of() {
    python3 -c 'import json, sys
r = json.load(open(sys.argv[1])); r.pop("timing", None); r.pop("rxdsp_version", None)
print(json.dumps(r, sort_keys=True))' "$1"
}

# speed_of REPORT: the report's symbols per second, in M
speed_of() {
    python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["timing"]["symbols_per_second"] / 1e6)' "$1"
}

# sim_row NAME LABEL ARGS...: median (min-max) M symbols/s of $runs runs, and the reference
# check; with BASELINE set, the baseline binary's runs alternate with these, and the ratio
# of the medians is printed
sim_row() {
    local name=$1 label=$2 speeds="" base="" same="identical" extra=""
    shift 2
    for i in $(seq "$runs"); do
        "$bin" sim --symbols "$symbols" "$@" --report "$tmp/$name.json" >/dev/null 2>&1
        speeds+="$(speed_of "$tmp/$name.json")"$'\n'
        if [ -n "${BASELINE:-}" ]; then
            "$BASELINE" sim --symbols "$symbols" "$@" --report "$tmp/base.json" >/dev/null 2>&1
            base+="$(speed_of "$tmp/base.json")"$'\n'
        fi
    done
    if [ "$(counts_of "$tmp/$name.json")" != "$(counts_of "scripts/bench-ref/$name.json")" ]; then
        same="DIFFERENT from scripts/bench-ref/$name.json"
        status=1
    fi
    local med lo hi
    med=$(printf '%s' "$speeds" | median)
    lo=$(printf '%s' "$speeds" | sort -g | head -1)
    hi=$(printf '%s' "$speeds" | sort -g | tail -1)
    if [ -n "$base" ]; then
        local bmed
        bmed=$(printf '%s' "$base" | median)
        extra=$(printf '; baseline %.1f, ratio %.2f' "$bmed" "$(awk -v a="$med" -v b="$bmed" 'BEGIN { print a / b }')")
    fi
    printf '| %s | `rxdsp sim --symbols %s %s` | %.1f M symbols/s (%.1f-%.1f over %s runs%s) | report %s |\n' \
        "$label" "$symbols" "$*" "$med" "$lo" "$hi" "$runs" "$extra" "$same"
}

# criterion's estimate (middle value) of a benchmark id's throughput, in its unit
criterion_rows() {
    awk '
        /^[A-Za-z0-9_]+\// { id = $1 }
        /thrpt:/ && !/%/ { gsub(/\[|\]/, ""); print id, $4, $5 }
    ' "$1"
}

echo "rxdsp bench, $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo '| what | command | figure | check |'
echo '| --- | --- | ---: | --- |'
sim_row sim-default "link simulation, default config, FEC off"
sim_row sim-kp4 "link simulation, KP4 in the loop" --set tx.fec=kp4

cargo bench -q -p rxdsp-golden --bench fec -- --noplot >"$tmp/fec.txt" 2>&1 || {
    cat "$tmp/fec.txt" >&2
    exit 1
}
criterion_rows "$tmp/fec.txt" | while read -r id value unit; do
    case "$id" in
    */encode/naive | */decode/naive/*) check="the reference engine" ;;
    *) check="equal to the naive engine (unit and property tests)" ;;
    esac
    printf '| RS codec, one core: %s | `cargo bench -p rxdsp-golden --bench fec` | %s %s of payload | %s |\n' \
        "$id" "$value" "${unit/elem/b}" "$check"
done

speeds=""
for i in $(seq "$runs"); do
    out=$("$bin" cosim --symbols "$cosim_symbols" 2>&1) || {
        echo "$out" >&2
        exit 1
    }
    speeds+="$(echo "$out" | grep -o '[0-9.]* M symbols/s' | head -1 | cut -d' ' -f1)"$'\n'
done
printf '| co-simulation, default design (P = 8), every word compared | `rxdsp cosim --symbols %s` | %.1f M symbols/s | bit-exact |\n' \
    "$cosim_symbols" "$(printf '%s' "$speeds" | median)"
exit $status
