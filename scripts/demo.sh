#!/usr/bin/env bash
# Quick start, part 1: build rxdsp and run the main job on the embedded default config.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/need.sh
need_cargo
need_verilator || say "continuing without Verilator: the golden model runs, the RTL co-simulation is skipped"
say "building rxdsp (release)"
cargo build --release --quiet -p rxdsp
exec ./target/release/rxdsp demo "$@"
