#!/usr/bin/env bash
# The performance table (README "Performance", issue 19), measured in one run on this
# machine: the link simulation (default config, and with KP4 in the loop), the KP4
# decoder on one core (clean codewords and 15 symbol errors each), the encoder, and the
# Verilator co-simulation of the default design. Prints a Markdown table with the date,
# the CPU and the core count.
#
#   scripts/bench.sh            (about 5 minutes on 2 cores, builds included)
#
# The two simulations' reports (everything but the timing) are compared byte for byte
# with scripts/bench-ref/*.json, written by the code before the speed work: a faster
# path that changed one random number or one count makes this script exit 1.
# Each simulation runs three times and the median is printed (the machine may be shared);
# the criterion figures are criterion's own estimates.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/need.sh
source scripts/need.sh
need_cargo

symbols=40000000
cosim_symbols=4000000
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

# sim_row NAME LABEL ARGS...: median M symbols/s of three runs, and the reference check
sim_row() {
    local name=$1 label=$2 speeds="" same="identical"
    shift 2
    for i in 1 2 3; do
        "$bin" sim --symbols "$symbols" "$@" --report "$tmp/$name.json" >/dev/null 2>&1
        speeds+="$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["timing"]["symbols_per_second"] / 1e6)' "$tmp/$name.json")"$'\n'
    done
    if [ "$(counts_of "$tmp/$name.json")" != "$(counts_of "scripts/bench-ref/$name.json")" ]; then
        same="DIFFERENT from scripts/bench-ref/$name.json"
        status=1
    fi
    printf '| %s | `rxdsp sim --symbols %s %s` | %.1f M symbols/s | report %s |\n' \
        "$label" "$symbols" "$*" "$(printf '%s' "$speeds" | median)" "$same"
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

cargo bench -q -p rxdsp-golden --bench fec -- --noplot '^(kp4|KP4)/' >"$tmp/fec.txt" 2>&1 || {
    cat "$tmp/fec.txt" >&2
    exit 1
}
criterion_rows "$tmp/fec.txt" | while read -r id value unit; do
    case "$id" in
    */encode/naive | */decode/naive/*) check="the reference engine" ;;
    *) check="equal to the naive engine (unit and property tests)" ;;
    esac
    printf '| KP4 codec, one core: %s | `cargo bench -p rxdsp-golden --bench fec` | %s %s of payload | %s |\n' \
        "$id" "$value" "${unit/elem/b}" "$check"
done

speeds=""
for i in 1 2 3; do
    out=$("$bin" cosim --symbols "$cosim_symbols" 2>&1) || {
        echo "$out" >&2
        exit 1
    }
    speeds+="$(echo "$out" | grep -o '[0-9.]* M symbols/s' | head -1 | cut -d' ' -f1)"$'\n'
done
printf '| co-simulation, default design (P = 8), every word compared | `rxdsp cosim --symbols %s` | %.1f M symbols/s | bit-exact |\n' \
    "$cosim_symbols" "$(printf '%s' "$speeds" | median)"
exit $status
