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
say "the host driver without the generator (rxdsp --lib --no-default-features: golden and proto only)"
cargo clippy -p rxdsp --lib --tests --no-default-features --quiet -- -D warnings
cargo test -p rxdsp --lib --no-default-features --quiet
if cargo tree -p rxdsp --no-default-features -e normal --prefix none | grep -q '^rxdsp-rtl '; then
  say "rxdsp's library links rxdsp-rtl without its default features"
  exit 1
fi
# The full tier: the fast tier (plain `cargo test --workspace`) plus every test marked
# #[ignore = "full tier: ..."] (Verilator model builds, Yosys and nextpnr runs).
# CI=true makes a test whose tool is missing fail instead of skip (testkit crate).
say "cargo test (workspace, full tier: fast tests + Verilator/Yosys/nextpnr tests)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace -- --include-ignored 2>&1 | tee "$log"
# Every parser under afl for a short while from the committed corpora (docs/fuzzing.md);
# installs cargo-afl on first use and says so. Fails on any crash or hang.
say "fuzz smoke run: every parser 20 s under afl (scripts/fuzz.sh smoke)"
cargo fmt --manifest-path fuzz/Cargo.toml --check
bash scripts/fuzz.sh smoke
# one closing line for the whole run: every cargo test binary's counts summed
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
