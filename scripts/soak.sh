#!/usr/bin/env bash
# The co-simulation soak (issue 14, not in CI): the Verilated RTL against the golden model
# over 28 configurations (20 equalizer: P = 1..32, FFE taps 1..32, DFE taps 0..4, precoding,
# ADC widths 4..16, coefficient widths 4..18, no / periodic / random backpressure; 8 FEC
# chains equalizer -> gearbox -> RS decoder, KP4 and KR4, S = 1..16, with and without input
# gaps), every output word compared (sim/examples/soak.rs says what is compared and how the
# stimulus is made). Prints a row per configuration as it finishes, then a Markdown table
# (docs/rtl-architecture.md "Soak" holds the last one); exits 1 on any mismatch, 2 on an error.
#
#   scripts/soak.sh                        10^8 symbols in total (about 30-60 min on 2 cores,
#                                          Verilator builds included; cached after)
#   scripts/soak.sh --total 1e6            a quick pass
#   scripts/soak.sh --list                 the configurations
#   scripts/soak.sh --only 0,20 --seed 7   some of them, another stimulus
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/need.sh
source scripts/need.sh
need_cargo
need_verilator
cargo build --release -q -p rxdsp-sim --example soak
exec target/release/examples/soak "$@"
