#!/usr/bin/env bash
# Quick start, part 2: every check and test, as CI runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/need.sh
need_cargo
need_verilator
need_synth
say "cargo fmt --check"
cargo fmt --all --check
say "cargo clippy (warnings are errors)"
cargo clippy --all-targets --quiet -- -D warnings
say "cargo test (workspace)"
cargo test --workspace
