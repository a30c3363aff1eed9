"""rxdsp's realistic link against PyBERT 11.1.0 (run by scripts/pybert-compare.sh, which documents it).

Runs inside the PyBERT venv (numpy, scikit-rf and pybert importable); `RXDSP` names the rxdsp binary.
"""

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
from pybert.pybert import PyBERT
from pybert.utility.channel import calc_gamma
from pychopmarg.utility import loc_curs

OUT = Path(sys.argv[1])
RXDSP = os.environ["RXDSP"]
FB = 53.125e9  # symbol rate (rxdsp's default channel.baud)
S = 32  # samples per UI in both tools
LEN_M = float(os.environ.get("CMP_LEN_M", "0.15"))
FFE = [float(c) for c in os.environ.get("CMP_FFE", "-0.1,0.7,-0.2").split(",")]
NBITS = int(os.environ.get("CMP_NBITS", "200000"))
RN = float(os.environ.get("CMP_RN", "0.03"))
RJ_UI = float(os.environ.get("CMP_RJ_UI", "0.06"))
RJ_RN = float(os.environ.get("CMP_RJ_RN", "0.01"))
SYMBOLS = int(os.environ.get("CMP_SYMBOLS", "2000000"))
ADC_BITS, FULL_SCALE = 8, 0.6  # rxdsp's ADC in the BER runs (fixed, so that both slice at the same volts)
GRAY = np.array([0, 1, 3, 2])  # level index -> the 2 bits, Gray coded (both tools)


def write_channel(path):
    """PyBERT's native channel model, matched, as a 2-port Touchstone file (S21 = S12 = exp(-l gamma))."""
    f = np.arange(0.0, 4 * FB + 1.0, 10e6)
    w = 2 * np.pi * np.maximum(f, 1e-3)
    p = PyBERT(run_simulation=False, gui=False)
    gamma, _ = calc_gamma(p.R0, p.w0, p.Rdc, p.Z0, p.v0 * 3.0e8, p.Theta0, w)
    h = np.exp(-LEN_M * gamma)
    lines = [f"! PyBERT {LEN_M} m native channel (calc_gamma, default R0 w0 Rdc Z0 v0 Theta0), matched",
             "# Hz S RI R 100"]
    lines += [f"{fi:.6e} 0 0 {z.real:.9e} {z.imag:.9e} {z.real:.9e} {z.imag:.9e} 0 0" for fi, z in zip(f, h)]
    path.write_text("\n".join(lines) + "\n")
    i = int(round(FB / 2 / 10e6))
    return 20 * np.log10(abs(h[i]))


def pybert(rn, scaler=None):
    """One PyBERT run: PAM-4 at FB, the channel file, native Tx with FFE, CTLE/FFE/DFE off, MM CDR."""
    p = PyBERT(run_simulation=False, gui=False)
    p.mod_type = "PAM-4"
    p.pattern = "PRBS-15"
    p.bit_rate = 2 * FB / 1e9
    p.nspui = S
    p.nbits = NBITS
    p.eye_bits = NBITS * 4 // 5
    p.inter_sel = "single"
    p.ch_file = str(OUT / "channel.s2p")
    p.f_step = 10.0  # MHz: the file's grid
    p.f_max = S * FB / 2 / 1e9  # GHz: time step 1/(2 f_max) = UI/32, no resampling
    p.rs = p.rin = 100.0  # matched to the file's reference: no reflections
    p.cout = 0.001  # pF, PyBERT's smallest
    p.cin = 0.0
    p.vod = 2.0  # the matched divider halves it: +-1 V at the receiver, rxdsp's unit levels
    p.rn = rn
    p.pn_mag = 0.0
    for t in p.tx_taps:
        t.enabled = t.pos in (-1, 1)
        t.value = {-1: FFE[0], 1: FFE[2]}.get(t.pos, 0.0)
    p.ctle_enable = False
    for t in list(p.rx_taps) + list(p.dfe_tap_tuners):
        t.enabled = False
    p.cdr_type = "Mueller-Muller"  # a fixed sampling phase, found from the pulse response
    if scaler is not None:
        p.use_agc = False
        p.decision_scaler = scaler
    t0 = time.time()
    with contextlib.redirect_stdout(io.StringIO()):  # PyBERT 11.1.0 prints its jitter arrays
        p.simulate(initial_run=True, update_plots=False)
    print(f"pybert     rn {rn} V: {time.time() - t0:.1f} s; {p.status_str.split('|')[0].strip()}", file=sys.stderr)
    return p


def rxdsp(name, *sets, symbols=6000, dump=False, config=None):
    """`rxdsp sim` on the channel file (or `config`) with the transmit FFE; returns its JSON report."""
    args = [RXDSP, "sim", "--symbols", str(symbols), "--report", str(OUT / f"{name}.json")]
    if config is None:
        args += ["--set", f'channel.touchstone="{(OUT / "channel.s2p").resolve()}"']
    else:
        args += ["--config", str(config)]
    args += ["--set", f"channel.samples_per_ui={S}", "--set", f"tx.ffe=[{','.join(map(str, FFE))}]",
            "--set", "link.pattern=\"prbs15\""]
    for s in sets:
        args += ["--set", s]
    if dump:
        args += ["--dump-samples", str(OUT / f"{name}.npy")]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads((OUT / f"{name}.json").read_text())


def exact_pulse():
    """The file's pulse at S samples per UI, computed here independently of both tools: H(f) on the file's
    own 10 MHz grid (zero above its last point), times the 1-UI rectangle's spectrum T sinc(fT) e^{-j pi f T},
    one inverse real FFT at S f_b; pre-FFE (h) and with the transmit FFE (q), and the peak index of h."""
    d = np.loadtxt(OUT / "channel.s2p", comments=("!", "#"))
    df, dt = d[1, 0] - d[0, 0], 1 / (FB * S)
    n = int(round(1 / (df * dt)))
    hf = np.zeros(n // 2 + 1, complex)
    hf[:len(d)] = d[:, 3] + 1j * d[:, 4]
    f = np.arange(n // 2 + 1) * df
    h = np.fft.irfft(hf * np.sinc(f / FB) / FB * np.exp(-1j * np.pi * f / FB), n) / dt
    q = FFE[0] * np.roll(h, -S) + FFE[1] * h + FFE[2] * np.roll(h, S)
    return h, q, int(np.argmax(h))


def eye_heights(x):
    """The three inner eye openings of noiseless PAM4 samples: the three widest gaps between sorted samples."""
    x = np.sort(np.asarray(x, dtype=float))
    g = np.diff(x)
    idx = np.sort(np.argsort(g)[-3:])
    return [float(g[i]) for i in idx[::-1]]  # upper, middle, lower


def pda_eye(h, main):
    """Peak-distortion eye height of each PAM4 eye: (2/3) h0 - 2 sum_{k != 0} |h_k| (levels +-1, +-1/3)."""
    h = np.asarray(h)
    return 2 / 3 * h[main] - 2 * (np.sum(np.abs(h)) - abs(h[main]))


def ber_of(levels_sent, samples, thr_code):
    """Bit errors of ADC codes sliced at +-thr_code and 0 (rxdsp's slicer: z >= t), Gray coded."""
    got = (samples >= -thr_code).astype(int) + (samples >= 0).astype(int) + (samples >= thr_code).astype(int)
    diff = GRAY[got] ^ GRAY[levels_sent]
    return int(np.sum((diff & 1) + (diff >> 1))), 2 * len(samples)


def adc(x):
    """rxdsp's ADC: floor(x * 2^(b-1) / full_scale + 1/2), clamped to the code range."""
    half = 1 << (ADC_BITS - 1)
    return np.clip(np.floor(x * half / FULL_SCALE + 0.5), -half, half - 1)


def main():
    rows = []
    loss = write_channel(OUT / "channel.s2p")
    print(f"channel    {OUT / 'channel.s2p'}: {LEN_M} m, {loss:.1f} dB at f_b/2; tx.ffe {FFE}", file=sys.stderr)

    # 2. PyBERT, noiseless
    p = pybert(0.0)
    h_pb = np.asarray(p.tx_out_h)  # V per sample, per unit (EMF) symbol
    step = np.cumsum(h_pb)
    pulse_pb = p.vod * (step - np.pad(step[:-S], (S, 0)))  # == vod * tx_out_p (rectangle rule)
    curs_pos = 3  # PyBERT's FFE vector: pre3 pre2 pre1 main post1 post2 post3
    peak_pb = int(np.argmax(p.chnl_p)) + S * curs_pos  # rxdsp's nominal instant: the pre-FFE pulse's peak
    curs_ix = int(loc_curs(np.asarray(p.ffe_out_p), S, np.zeros(1), np.zeros(1)))  # PyBERT's MM sampling sample

    # 3. rxdsp's pulse at 32 samples per UI
    rx = {}
    for k in range(-S // 2, S // 2):
        c = rxdsp(f"phase_{k + S // 2:02d}", f"adc.phase={k / S}", 'eq.method="none"', "ffe.taps=1", "dfe.taps=0")
        c = c["channel"]
        for j, v in enumerate(c["taps"]):
            rx[S * (j - c["main"]) + k] = v
    h0 = rx[0]

    ms_all = np.array(sorted(rx))
    rv = np.array([rx[m] for m in ms_all])

    def r_at(m):
        """rxdsp's pulse between its samples (linear)."""
        return np.interp(m, ms_all, rv)

    # PyBERT trims its impulse's front porch, so its time origin is its own: find the shift tau (samples)
    # with PyBERT's sample peak_pb + m at rxdsp's m + tau, by least squares over t >= 0 (where rxdsp's
    # pulse is complete, see the docs), main lobe and first post-cursors
    fit = np.arange(0, 3 * S)
    taus = np.arange(-3.0, 3.0001, 0.01)
    cost = [np.sum((pulse_pb[peak_pb + fit] - r_at(fit + tau)) ** 2) for tau in taus]
    tau = float(taus[int(np.argmin(cost))])
    ms = np.array([m for m in range(int(ms_all[0]) + 4, int(ms_all[-1]) - 4) if 0 <= peak_pb + m < len(pulse_pb)])
    d = pulse_pb[peak_pb + ms] - r_at(ms + tau)
    late = ms >= -tau
    at = ms[(ms + round(tau)) % S == 0]
    e_cur = np.max(np.abs(pulse_pb[peak_pb + at] - r_at(at + tau)))
    pk_pb = float(np.interp(peak_pb - tau, np.arange(len(pulse_pb)), pulse_pb))  # PyBERT at rxdsp's t = 0
    rows.append(("main cursor (at the pre-FFE pulse's peak)", f"{pk_pb:.4f}", f"{h0:.4f}",
                 f"{100 * (pk_pb / h0 - 1):+.2f} %", "5 %"))
    rows.append((f"pulse at 32/UI, {len(ms)} samples: max abs diff / h0", "", "",
                 f"{100 * np.max(np.abs(d)) / h0:.2f} % at {(ms[np.argmax(np.abs(d))] + tau) / S:+.2f} UI", "5 %"))
    rows.append(("  the same from the peak on (t >= 0)", "", "",
                 f"{100 * np.max(np.abs(d[late])) / h0:.2f} % at {(ms[late][np.argmax(np.abs(d[late]))] + tau) / S:+.2f} UI", "5 %"))
    rows.append(("  at the baud-rate cursors of the peak phase", "", "", f"{100 * e_cur / h0:.2f} %", "5 %"))
    # the same file's pulse by a plain FFT here: which of the two differs from it, and where
    _, q, qk = exact_pulse()
    rx_ms = ms_all
    dq = np.array([rx[m] - q[qk + m] for m in rx_ms])
    qi = np.arange(len(q))
    dp = pulse_pb[peak_pb + ms] - np.interp(qk + ms + tau, qi, q)

    def w(dd, mm):
        return f"{100 * np.max(np.abs(dd)) / h0:.2f} % at {mm[np.argmax(np.abs(dd))] / S:+.2f} UI"
    rows.append(("  rxdsp against this script's FFT of the file", "", w(dq, rx_ms), "", ""))
    rows.append(("  PyBERT against this script's FFT of the file", w(dp, ms + tau), "", "", ""))
    np.savetxt(OUT / "pulses.txt",
               np.array([[(m + tau) / S, pulse_pb[peak_pb + m], r_at(m + tau), np.interp(qk + m + tau, qi, q)] for m in ms]),
               header=f"t_ui pybert rxdsp numpy_fft (PyBERT shifted by {tau:+.2f} samples)", fmt="%.6f")

    # 4. eye height at PyBERT's sampling point (its sample curs_ix: rxdsp's instant curs_ix - peak_pb + tau)
    phase = (curs_ix - peak_pb + tau) / S
    wrap = np.floor(phase + 0.5)
    phase -= wrap
    i_s = curs_ix - int(wrap) * S  # PyBERT's sampling sample within the pulse, near its peak
    rows.append(("sampling point (PyBERT's Mueller-Muller), UI after the peak", "", f"{phase:+.4f}", "", ""))
    taps_pb = pulse_pb[i_s % S::S]
    main_pb = (i_s - i_s % S) // S
    r_eye = rxdsp("eye", f"adc.phase={phase}", 'eq.method="none"', "ffe.taps=1", "dfe.taps=0", "adc.bits=16",
                  f"adc.full_scale={FULL_SCALE}", "channel.snr_db=200", symbols=NBITS // 2 * 4 // 5, dump=True)
    c = r_eye["channel"]
    pda_pb, pda_rx = pda_eye(taps_pb, main_pb), pda_eye(c["taps"], c["main"])
    rows.append(("cursor at the sampling point", f"{taps_pb[main_pb]:.4f}", f"{c['taps'][c['main']]:.4f}",
                 f"{100 * (taps_pb[main_pb] / c['taps'][c['main']] - 1):+.2f} %", ""))
    rows.append(("eye height, peak distortion (each eye)", f"{pda_pb:.4f}", f"{pda_rx:.4f}",
                 f"{100 * (pda_pb / pda_rx - 1):+.2f} %", "5 %"))
    nui = NBITS // 2
    first = nui // 5
    y = np.asarray(p.rx_in)
    n = np.arange(first, nui - i_s // S - 2)
    eh_pb = eye_heights(y[S * n + i_s])
    eh_rx = [g * FULL_SCALE / 2 ** 15 for g in eye_heights(np.load(OUT / "eye.npy")[1000:])]
    for name, a, b in zip(("upper", "middle", "lower"), eh_pb, eh_rx):
        rows.append((f"eye height, measured, {name} eye ({len(n)} symbols)", f"{a:.4f}", f"{b:.4f}",
                     f"{100 * (a / b - 1):+.2f} %", "5 %"))

    # 5. BER with noise: the same thresholds in volts (rxdsp's slicer code, rxdsp's ADC step)
    thr_code = int(round(2 / 3 * c["taps"][c["main"]] * 2 ** (ADC_BITS - 1) / FULL_SCALE))
    thr_v = thr_code * FULL_SCALE / 2 ** (ADC_BITS - 1)
    manual = ['eq.method="manual"', "ffe.taps=1", "ffe.coeffs=[128]", "dfe.taps=0", f"slicer.threshold={thr_code}",
              f"adc.bits={ADC_BITS}", f"adc.full_scale={FULL_SCALE}", f"adc.phase={phase}"]

    def snr(rn):
        """rxdsp's channel.snr_db for Gaussian noise of rn V RMS per sample (mean PAM4 power 5/9)."""
        return 10 * np.log10((5 / 9) / rn ** 2)
    pn = pybert(RN, scaler=1.5 * thr_v)
    ber_pb = pn.n_errs_dfe / pn.eye_bits
    r = rxdsp("ber_noise", *manual, f"channel.snr_db={snr(RN)}", symbols=SYMBOLS)["pre_fec"]
    rows.append((f"BER, noise {RN} V RMS (SNR {snr(RN):.2f} dB), PyBERT's slicer",
                 f"{ber_pb:.3e} ({pn.n_errs_dfe}/{pn.eye_bits})", f"{r['ber']:.3e} ({r['bit_errors']}/{r['bits']})",
                 f"x{ber_pb / r['ber']:.2f}" if r["ber"] else "-", "x2"))

    # 6. BER with random jitter: PyBERT's waveform (its noise) sampled at jittered instants by this script
    pj = pybert(RJ_RN)
    y = np.asarray(pj.rx_in)
    rng = np.random.default_rng(1)
    n = np.arange(first, nui - i_s // S - 2)
    t = S * n + i_s + np.clip(RJ_UI * S * rng.standard_normal(len(n)), -8 * RJ_UI * S, 8 * RJ_UI * S)
    i0 = np.floor(t).astype(int)
    fr = t - i0
    x = (1 - fr) * y[i0] + fr * y[i0 + 1]
    levels = np.rint((np.asarray(pj.symbols)[n] / pj.vod + 1) * 1.5).astype(int)
    errs, bits = ber_of(levels, adc(x), thr_code)
    x0 = y[S * n + i_s]
    errs0, _ = ber_of(levels, adc(x0), thr_code)
    r = rxdsp("ber_rj", *manual, f"channel.snr_db={snr(RJ_RN)}", f"jitter.rj_ui={RJ_UI}", symbols=SYMBOLS)["pre_fec"]
    r0 = rxdsp("ber_rj0", *manual, f"channel.snr_db={snr(RJ_RN)}", symbols=SYMBOLS)["pre_fec"]
    taps = OUT / "complete_pulse.toml"
    h, _, hk = exact_pulse()
    keep = np.nonzero(np.abs(h) >= 1e-4 * h[hk])[0]
    a, b = max(keep[0], hk - 4 * S), min(keep[-1], hk + 60 * S)
    taps.write_text(f"[channel]\ntaps = [{', '.join(repr(float(v)) for v in h[a:b + 1])}]\nmain = {hk - a}\n")
    rt = rxdsp("ber_rj_taps", *manual, f"channel.snr_db={snr(RJ_RN)}", f"jitter.rj_ui={RJ_UI}", symbols=SYMBOLS,
               config=taps)["pre_fec"]
    rows.append((f"BER, noise {RJ_RN} V, no jitter (script's slicer on PyBERT's waveform)",
                 f"{errs0 / bits:.3e} ({errs0}/{bits})", f"{r0['ber']:.3e} ({r0['bit_errors']}/{r0['bits']})", "", ""))
    rows.append((f"BER, noise {RJ_RN} V + RJ {RJ_UI} UI RMS (RJ applied by the script)",
                 f"{errs / bits:.3e} ({errs}/{bits})", f"{r['ber']:.3e} ({r['bit_errors']}/{r['bits']})",
                 f"x{(errs / bits) / r['ber']:.2f}" if r["ber"] else "-", "x2"))
    rows.append(("  the same, rxdsp on channel.taps = this script's complete pulse (no Touchstone)", "",
                 f"{rt['ber']:.3e} ({rt['bit_errors']}/{rt['bits']})", "", ""))

    print(f"| quantity | PyBERT {version('pipbert')} | rxdsp | PyBERT vs rxdsp | target |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nslicer thresholds +-{thr_code} codes ({thr_v:.4f} V) and 0, {ADC_BITS}-bit ADC, full scale {FULL_SCALE} V;"
          f" PyBERT {nui} symbols ({len(n)} counted), rxdsp {SYMBOLS} per BER run;\nPyBERT's pulse aligned by"
          f" {tau:+.2f} samples (least squares, t >= 0); pulses in {OUT / 'pulses.txt'}")


if __name__ == "__main__":
    main()
