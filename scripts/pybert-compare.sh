#!/usr/bin/env bash
# rxdsp's realistic link model (docs/link-model.md) against PyBERT 11.1.0 (PyPI: pipbert), run
# headless, on the same Touchstone channel, the same transmit FFE, CTLE, Rx FFE and DFE off.
# Not part of CI: it installs PyBERT (Qt, Chaco, SciPy, ~400 MB) into .venv-pybert and takes
# a few minutes. Prints a table (docs/link-model.md, "Against PyBERT").
#
#   scripts/pybert-compare.sh [OUT]
#
# RXDSP=path uses that rxdsp binary instead of building target/release/rxdsp;
# RXDSP_PYBERT_VENV=dir uses that venv (it must hold pipbert 11.1.0).
# Link (environment, defaults in brackets): CMP_LEN_M [0.15] the channel's length, CMP_FFE
# [-0.1,0.7,-0.2] the transmit FFE c(-1),c(0),c(1), CMP_NBITS [200000] PyBERT's bits (PAM4: half
# as many symbols; the last 80 % are counted), CMP_RN [0.03] the noise (V RMS at the receiver)
# of the noise-only BER run, CMP_RJ_UI [0.06] and CMP_RJ_RN [0.01] the random jitter (UI RMS) and
# noise of the jitter run, CMP_SYMBOLS [2000000] rxdsp's symbols per BER run.
#
# What it does (all at 53.125 GBd, 32 samples per UI):
#   1. the channel: PyBERT's native line model (Howard Johnson's, PyBERT's default parameters,
#      CMP_LEN_M long), matched, written as OUT/channel.s2p (0 to 4 f_b in 10 MHz steps);
#   2. PyBERT, noiseless, with that file (Tx and Rx 100 ohm, parasitic capacitances ~0): its
#      Tx + channel pulse response at 32 samples/UI, its Mueller-Muller sampling phase, its
#      received waveform;
#   3. rxdsp's pulse at 32 samples/UI: `rxdsp sim --report` at adc.phase = k/32, k = -16..15
#      (the report's channel.taps are the pulse at the sampling instant, one per UI);
#   4. the eye height at PyBERT's sampling point: from each pulse (peak distortion) and from
#      each waveform (PyBERT's noiseless waveform; rxdsp's 16-bit ADC samples);
#   5. the BER with noise: PyBERT's own slicer at its fixed Mueller-Muller phase, against
#      `rxdsp sim` at the same phase, the same slicer thresholds (eq.method = "manual");
#   6. the BER with random jitter: PyBERT 11.1.0 has no jitter input (its Rj and DJ are outputs
#      of its jitter analysis), so its received waveform (with its noise) is sampled by this
#      script at Gaussian-jittered instants (linear interpolation between its 32 samples/UI),
#      quantized like rxdsp's ADC and sliced at the same thresholds; against `rxdsp sim` with
#      jitter.rj_ui.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/need.sh
OUT=${1:-pybert-compare-out}
mkdir -p "$OUT"
if [ -z "${RXDSP:-}" ]; then
    need_cargo
    say "building rxdsp (release)"
    cargo build --release --quiet -p rxdsp
    RXDSP=$PWD/target/release/rxdsp
fi
export RXDSP
venv="${RXDSP_PYBERT_VENV:-$PWD/.venv-pybert}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import pybert" 2>/dev/null; then
    say "PyBERT missing: installing pipbert 11.1.0 into $venv (with PySide6, Chaco, SciPy)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q pipbert==11.1.0
fi
say "PyBERT $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("pipbert"))') and $("$RXDSP" --version) on the same channel; output in $OUT"
QT_QPA_PLATFORM=offscreen "$venv/bin/python" scripts/pybert_compare.py "$OUT"
