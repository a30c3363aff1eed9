#!/usr/bin/env bash
# Quick start, part 2: every check and test, as CI runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/need.sh
need_cargo
# A run from a clean clone gains nothing from incremental caches (1.9 GB of target/debug).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
need_verilator
need_synth
need_ami
need_py
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
# The IBIS-AMI export as a simulator's user loads it: pyibis-ami's parsers, AMIModel and
# check-ami on what `rxdsp ami` writes (the library and program cargo test just built)
say "IBIS-AMI export through pyibis-ami (ami/tests/python, .venv-ami)"
RXDSP=target/debug/rxdsp "${RXDSP_AMI_VENV:-$PWD/.venv-ami}/bin/python" -m pytest -q ami/tests/python 2>&1 | tee -a "$log"
# The Python package (py/, built into .venv-py by need_py): the same reports, bits and sweep
# results as the program, in process and on a Dask LocalCluster; under CI=true a missing
# package fails the run instead of skipping (py/tests/test_rxdsp.py)
say "Python package: pytest py/tests (.venv-py)"
RXDSP=target/debug/rxdsp "${RXDSP_PY_VENV:-$PWD/.venv-py}/bin/python" -m pytest -q py/tests 2>&1 | tee -a "$log"
# Every parser under afl for a short while from the committed corpora (docs/fuzzing.md);
# installs cargo-afl on first use and says so. Fails on any crash or hang.
say "fuzz smoke run: every parser 20 s under afl (scripts/fuzz.sh smoke)"
cargo fmt --manifest-path fuzz/Cargo.toml --check
bash scripts/fuzz.sh smoke
# one closing line for the whole run: every cargo test binary's counts and pytest's summed
awk '/^test result:/ { p += $4; f += $6 }
     /^[0-9]+ (passed|failed)/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
