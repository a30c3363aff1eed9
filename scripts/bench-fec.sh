#!/usr/bin/env bash
# Throughput of `rxdsp fec encode` and `rxdsp fec decode`, file I/O included:
# builds the release binary, makes a file of clean KP4 codewords (random
# messages encoded by rxdsp itself), times both commands, and prints Gb/s of
# payload (514 x 10 bits per codeword) and the core count.
#
#   scripts/bench-fec.sh [MEGABYTES_OF_CODEWORDS]   (default 512)
#
# With BENCH_DECODER=1 it also runs the decoder alone (no file I/O, one core)
# for comparison: cargo bench -p rxdsp-golden --bench fec -- 'kp4/decode/fast/0err'
# Files go to $TMPDIR (default /tmp) and are removed at the end. Each command
# is run three times; the best run is reported (the machine may be shared).
set -euo pipefail
cd "$(dirname "$0")/.."

mb=${1:-512}
cargo build --release -q -p rxdsp --bin rxdsp
bin=target/release/rxdsp

dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-fec.XXXXXX")
trap 'rm -rf "$dir"' EXIT

n=544
k=514
codewords=$((mb * 1024 * 1024 / (2 * n)))
payload_bits=$((codewords * k * 10))

# random 10-bit message symbols (u16 little-endian), k per codeword
head -c $((codewords * k * 2)) /dev/urandom > "$dir/raw"
python3 - "$dir/raw" "$dir/msg" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
# clear the top 6 bits of every high byte: symbols < 1024
out = bytearray(data)
out[1::2] = bytes(b & 0x03 for b in data[1::2])
open(sys.argv[2], "wb").write(out)
EOF
rm "$dir/raw"
"$bin" fec encode --code kp4 --in "$dir/msg" --out "$dir/cw" > /dev/null

best() { # "wall user+sys" seconds of the fastest of three runs of "$@"
    local b="1e9 0" t
    for _ in 1 2 3; do
        t=$( { TIMEFORMAT='%R %U %S'; time "$@" > /dev/null; } 2>&1 )
        b=$(echo "$t $b" | awk '{ c = $2 + $3; print ($1 < $4 ? $1 " " c : $4 " " $5) }')
    done
    echo "$b"
}

enc=$(best "$bin" fec encode --code kp4 --in "$dir/msg" --out "$dir/cw2")
dec=$(best "$bin" fec decode --code kp4 --in "$dir/cw" --out "$dir/msg2" --stats "$dir/st.json")
cmp -s "$dir/msg" "$dir/msg2" || { echo "decode did not give back the messages" >&2; exit 1; }
cmp -s "$dir/cw" "$dir/cw2" || { echo "encode is not reproducible" >&2; exit 1; }

echo "rxdsp fec, KP4, $codewords clean codewords ($(du -m "$dir/cw" | cut -f1) MB), $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg), file I/O included (output fsynced):"
for r in "encode $enc" "decode $dec"; do
    echo "$r" | awk -v b="$payload_bits" '{
        printf "  %s  %.3f s wall  %.2f Gb/s of payload  (CPU %.3f s: %.2f Gb/s per CPU-second)\n", $1, $2, b / $2 / 1e9, $3, b / $3 / 1e9
    }'
done
if [ "${BENCH_DECODER:-0}" = 1 ]; then
    echo "decoder alone (one core, no I/O), same machine now:"
    cargo bench -q -p rxdsp-golden --bench fec -- 'kp4/decode/fast/0err' 2>/dev/null | grep -E 'time|thrpt'
fi
