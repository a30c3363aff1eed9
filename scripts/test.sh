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
# The full tier: the fast tier (plain `cargo test --workspace`) plus every test marked
# #[ignore = "full tier: ..."] (Verilator model builds, Yosys and nextpnr runs).
# CI=true makes a test whose tool is missing fail instead of skip (testkit crate).
say "cargo test (workspace, full tier: fast tests + Verilator/Yosys/nextpnr tests)"
cargo test --workspace -- --include-ignored
