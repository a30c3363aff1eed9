#!/usr/bin/env bash
# PyBERT (PyPI: pipbert) headless with the exported IBIS-AMI model as its Rx, and rxdsp's own
# receiver on the same channel, side by side (docs/ibis-ami.md). Not part of CI: it installs
# PyBERT (Qt, Chaco, SciPy, ~400 MB) into .venv-pybert and takes about a minute.
#
#   scripts/pybert-ami.sh [OUT] [-- rxdsp ami options...]
#
# What it does:
#   1. cargo build --release -p rxdsp (which builds librxdsp_rx.so), then
#      rxdsp ami [options] --out OUT/model
#   PYBERT_BIT_RATE (Gb/s, default 40) and PYBERT_RN (V RMS, default 0.01) set PyBERT's link;
#   the model is exported with channel.snr_db from PYBERT_RN.
#   2. PyBERT 11.1.0 headless (Qt offscreen): PAM-4, its native channel and Tx, its Rx set to
#      the .ibs file's model with GetWave, its CTLE and DFE off (the model equalizes), its CDR
#      recovering the clock from the model's output; first run to read the model's PAM4
#      thresholds from AMI_Init's output parameters, second run with PyBERT's slicer scaled
#      to them (decision_scaler = 3/2 of the upper threshold, no AGC); PyBERT's BER.
#   3. The channel PyBERT simulated (Tx and channel pulse response at its peak phase, one
#      sample per UI) and its noise as channel.taps and channel.snr_db in OUT/channel.toml;
#      `rxdsp sim` on it; rxdsp's BER.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/need.sh
OUT=${1:-pybert-ami-out}
shift || true
[ "${1:-}" = "--" ] && shift
need_cargo
say "building rxdsp and librxdsp_rx.so (release)"
cargo build --release --quiet -p rxdsp
mkdir -p "$OUT"
# PyBERT's link: bit rate (Gb/s, PAM4: half of it in GBd) and random noise (V RMS at the Rx input);
# the model is exported with the SNR that noise gives (mean PAM4 symbol power 5/9 over rn^2)
export PYBERT_BIT_RATE=${PYBERT_BIT_RATE:-40} PYBERT_RN=${PYBERT_RN:-0.01}
snr_db=$(python3 -c "import math, os; print(f'{10 * math.log10((5 / 9) / float(os.environ[\"PYBERT_RN\"]) ** 2):.3f}')")
./target/release/rxdsp ami --set channel.snr_db="$snr_db" "$@" --out "$OUT/model"
venv="${RXDSP_PYBERT_VENV:-$PWD/.venv-pybert}"
if [ ! -x "$venv/bin/pybert" ]; then
    say "PyBERT missing: installing pipbert 11.1.0 into $venv (with pyibis-ami, PySide6, Chaco, SciPy)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q pipbert==11.1.0
fi
say "PyBERT headless with $OUT/model/rxdsp_rx.ibs as its Rx"
QT_QPA_PLATFORM=offscreen "$venv/bin/python" - "$OUT" <<'PY'
import os
import re
import sys
from pathlib import Path

import numpy as np
from pybert.pybert import PyBERT

out = Path(sys.argv[1])
ibs = out / "model" / "rxdsp_rx.ibs"


def run(decision_scaler=None):
    p = PyBERT(run_simulation=False, gui=False)
    p.mod_type = "PAM-4"
    p.pattern = os.environ.get("PYBERT_PATTERN", "PRBS-15")
    p.bit_rate = float(os.environ["PYBERT_BIT_RATE"])  # Gb/s
    p.rn = float(os.environ["PYBERT_RN"])
    p.nspui = 32
    p.nbits = int(os.environ.get("PYBERT_NBITS", "200000"))
    p.eye_bits = p.nbits * 4 // 5
    p.ctle_enable = False      # the model is the whole receiver
    for tap in p.dfe_tap_tuners:
        tap.enabled = False    # PyBERT's DFE off: its "dummy" DFE only slices
    p.rx_sel = "ibis"
    p.rx_ibis_file = str(ibs)
    if not (p.rx_ibis_valid and p.rx_ami_valid and p.rx_dll_valid):
        sys.exit(f"PyBERT did not accept {ibs}")
    p.rx_eq_sel = "IBIS-AMI"
    p.rx_use_getwave = True
    # PyBERT 11.1.0 cannot use a model's clock times (its loop over them raises on
    # `pairwise((clock_times, clock_times[1:]))`), so its own CDR samples the output
    p.rx_use_clocks = False
    if decision_scaler is not None:
        p.use_agc = False
        p.decision_scaler = decision_scaler
    p.simulate(initial_run=True, update_plots=False)
    return p


first = run()
log = first.console_log
# PyBERT 11.1.0 logs AMI_Init's output parameters empty (it calls .decode() on the str
# pyibis-ami 10 returns), so the threshold comes from the model's message, which names it
m = re.search(r"PAM4_UpperThreshold ([-0-9.eE+]+)", log) or re.search(r"threshold -?\d+ LSB \(([-0-9.eE+]+) V\)", log)
if not m:
    sys.exit("no slicer threshold in the model's AMI_Init output:\n" + log[-2000:])
upper = float(m.group(1))
p = run(1.5 * upper)
ber = p.n_errs_dfe / p.eye_bits
print(f"pybert     {p.status_str}")
print(f"pybert     model thresholds +-{upper:.6g} V, 0; BER {ber:.3e} ({p.n_errs_dfe} errors in {p.eye_bits} bits)")
# the model's own decisions, without PyBERT's CDR: its output held over each UI from its
# sampling instant (phase from its message), sliced at its thresholds, against PyBERT's symbols
ph = re.search(r"sampling phase (\d+)/(\d+)", log)
y = np.asarray(p.ctle_out)
nspui = p.nspui
off = int(ph.group(1)) if ph else 0
z = y[off + nspui // 2::nspui]
got = (z >= -upper).astype(int) + (z >= 0).astype(int) + (z >= upper).astype(int)
sent = np.rint((np.asarray(p.symbols) + 1) * 1.5).astype(int)  # -1, -1/3, 1/3, 1 -> 0..3
n = min(len(got), len(sent))
tail = n * 4 // 5
errs = min(int(np.sum(got[n - tail:n] != sent[n - tail - d:n - d])) for d in range(0, 64))
print(f"pybert     the model's own decisions (no PyBERT CDR): SER {errs / tail:.3e} ({errs} errors in {tail} symbols)")
# the simulated channel at one sample per UI (Tx FFE and channel, per unit symbol)
pulse = np.asarray(p.tx_out_p)
nspui = p.nspui
peak = int(np.argmax(np.abs(pulse)))
taps = pulse[peak % nspui::nspui]
keep = np.nonzero(np.abs(taps) >= 1e-4 * np.max(np.abs(taps)))[0]
taps = taps[keep[0]:keep[-1] + 1][:256]
snr_db = 10 * np.log10((5 / 9) / p.rn ** 2)
(out / "channel.toml").write_text(
    "# PyBERT's Tx + channel pulse response at its peak phase, one sample per UI, and its noise\n"
    f"[channel]\ntaps = [{', '.join(repr(float(t)) for t in taps)}]\nsnr_db = {snr_db:.3f}\n")
(out / "pybert.txt").write_text(f"{ber!r} {p.n_errs_dfe} {p.eye_bits} {errs / tail!r} {errs} {tail}\n")
PY
say "rxdsp sim on the same channel"
./target/release/rxdsp sim --config "$OUT/channel.toml" --symbols 2000000 --report "$OUT/rxdsp.json" >/dev/null
read -r pb_ber pb_errs pb_bits m_ser m_errs m_syms < "$OUT/pybert.txt"
python3 - "$OUT/rxdsp.json" "$pb_ber" "$pb_errs" "$pb_bits" "$m_ser" "$m_errs" "$m_syms" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
pre = r["pre_fec"]
a = sys.argv
print(f"BER        PyBERT with rxdsp_rx.so: {float(a[2]):.3e} ({a[3]} errors in {a[4]} bits)")
print(f"BER        rxdsp sim (golden):      {pre['ber']:.3e} ({pre['bit_errors']} errors in {pre['bits']} bits)")
print(f"SER        rxdsp_rx.so in PyBERT, its own decisions: {float(a[5]):.3e} ({a[6]} errors in {a[7]} symbols)")
print(f"SER        rxdsp sim (golden):      {pre['ser']:.3e} ({pre['symbol_errors']} errors in {r['symbols']} symbols)")
PY
