"""The exported IBIS-AMI model through pyibis-ami, as a simulator's user loads it.

Run by scripts/test.sh in the project venv that scripts/need.sh (need_ami) creates:
    .venv-ami/bin/python -m pytest ami/tests/python
RXDSP names the rxdsp program (default target/debug/rxdsp, else target/release/rxdsp).
Without pyibis-ami the tests skip on a developer's machine and FAIL under CI=true.
"""

import ctypes
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


try:
    import numpy as np
    from pyibisami.ami.configurator import AMIParamConfigurator
    from pyibisami.ami.model import AMIModel, AMIModelInitializer, ami_params_string
    from pyibisami.ibis.file import IBISModel
except ImportError as err:  # pragma: no cover - the policy for a missing tool
    if _in_ci():
        raise RuntimeError(
            f"pyibis-ami is missing and CI is set: {err} (scripts/need.sh need_ami installs it into .venv-ami)"
        ) from err
    pytest.skip(f"pyibis-ami missing ({err}): run scripts/test.sh or source scripts/need.sh; need_ami",
                allow_module_level=True)


def _rxdsp() -> Path:
    given = os.environ.get("RXDSP")
    if given:
        return Path(given)
    for profile in ("debug", "release"):
        p = ROOT / "target" / profile / "rxdsp"
        if p.exists():
            return p
    raise RuntimeError("no rxdsp program: cargo build -p rxdsp (or set RXDSP)")


def _export(out: Path, *sets: str) -> Path:
    args = [str(_rxdsp()), "ami", "--out", str(out), "--uis", "3000"]
    for s in sets:
        args += ["--set", s]
    subprocess.run(args, check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def mmse(tmp_path_factory) -> Path:
    return _export(tmp_path_factory.mktemp("mmse"))


@pytest.fixture(scope="module")
def lms(tmp_path_factory) -> Path:
    return _export(tmp_path_factory.mktemp("lms"), "eq.method=lms", "adapt.symbols=1200",
                   "adapt.mu_shift=12", "dfe.taps=2")


def _column(path: Path) -> "np.ndarray":
    return np.loadtxt(str(path))


def _sim_params(d: Path, name: str) -> dict:
    text = (d / "test" / name).read_text()
    out = {}
    for key in ("Sample_interval", "Symbol_time", "Wave_size"):
        for line in text.splitlines():
            if line.strip().startswith(f"({key} "):
                out[key] = float(line.strip()[len(key) + 2:-1])
    return out


def _model(d: Path) -> tuple["AMIModel", dict]:
    """AMIModel initialized as a simulator does: the .ami's input parameters, the test impulse."""
    cfg = AMIParamConfigurator((d / "rxdsp_rx.ami").read_text())
    sp = _sim_params(d, "stat_params.txt")
    m = AMIModel(str(d / "rxdsp_rx.so"))
    init = AMIModelInitializer(cfg.input_ami_params, info_params=cfg.info_ami_params,
                               sample_interval=ctypes.c_double(sp["Sample_interval"]),
                               bit_time=ctypes.c_double(sp["Symbol_time"]))
    init.channel_response = _column(d / "test" / "stat_ir_in.txt").tolist()
    m.initialize(init)
    return m, sp


def test_ami_file_parses_without_errors(mmse, lms):
    for d in (mmse, lms):
        cfg = AMIParamConfigurator((d / "rxdsp_rx.ami").read_text())
        assert cfg.ami_parsing_errors == []
        assert cfg.root_name == "rxdsp_rx"
        info = cfg.info_ami_params
        assert info["Init_Returns_Impulse"].pvalue is True
        assert info["GetWave_Exists"].pvalue is True
        assert info["Modulation"].pvalue == "PAM4"
        assert cfg.input_ami_params["config_hash"].startswith("fnv1a-")
    assert AMIParamConfigurator((lms / "rxdsp_rx.ami").read_text()).info_ami_params["Ignore_Bits"].pvalue == 1200


def test_ibs_parses_and_resolves_the_library(mmse):
    ibis = IBISModel(str(mmse / "rxdsp_rx.ibs"))
    assert ibis.ibis_parsing_errors == "Success!"
    assert ibis.dll_path == mmse / "rxdsp_rx.so" and ibis.dll_path.is_file()
    assert ibis.ami_path == mmse / "rxdsp_rx.ami" and ibis.ami_path.is_file()
    assert set(ibis.model.test_configs) == {"statistical", "time_domain"}


def test_init_returns_the_golden_impulse_and_thresholds(mmse):
    m, _ = _model(mmse)
    assert b"mmse" in m.msg
    assert np.array_equal(np.array(m.initOut), _column(mmse / "test" / "stat_ir_golden.txt"))
    assert m.ami_params_out == (mmse / "test" / "stat_params_out.txt").read_text()
    assert "PAM4_UpperThreshold" in m.ami_params_out


@pytest.mark.parametrize("which", ["mmse", "lms"])
def test_getwave_is_chunk_invariant_and_golden(which, request):
    d = request.getfixturevalue(which)
    wave = _column(d / "test" / "td_wave_in.txt")
    golden = _column(d / "test" / "td_wave_golden.txt")
    runs = {}
    for bits in (1, 7, 40, len(wave) // 32):
        m, _ = _model(d)
        out, clocks, params = m.getWave(wave, bits_per_call=bits)
        assert all(p == "(rxdsp_rx)" for p in params)
        runs[bits] = (out, clocks)
    whole = runs[len(wave) // 32]
    for bits, (out, clocks) in runs.items():
        assert np.array_equal(out, whole[0]), f"{bits} UIs per call"
    assert np.array_equal(whole[0], golden)
    # the clock ticks: one per UI, one UI apart
    ticks = whole[1][whole[1] >= 0]
    assert len(ticks) > 0 and np.allclose(np.diff(ticks), ticks[1] - ticks[0])


def test_two_interleaved_handles_equal_each_alone(mmse, lms):
    alone = {}
    for name, d in (("mmse", mmse), ("lms", lms)):
        m, _ = _model(d)
        alone[name] = m.getWave(_column(d / "test" / "td_wave_in.txt"), bits_per_call=40)[0]
    a, _ = _model(mmse)
    b, _ = _model(lms)
    wa = _column(mmse / "test" / "td_wave_in.txt")
    wb = _column(lms / "test" / "td_wave_in.txt")
    outs = {"mmse": [], "lms": []}
    step = 7 * 32
    for i in range(0, max(len(wa), len(wb)), step):
        if i < len(wa):
            outs["mmse"].append(a.getWave(wa[i:i + step], bits_per_call=7)[0])
        if i < len(wb):
            outs["lms"].append(b.getWave(wb[i:i + step], bits_per_call=7)[0])
    assert np.array_equal(np.concatenate(outs["mmse"]), alone["mmse"])
    assert np.array_equal(np.concatenate(outs["lms"]), alone["lms"])


def test_malformed_parameters_return_zero_and_a_message(mmse):
    lib = ctypes.CDLL(str(mmse / "rxdsp_rx.so"))
    lib.AMI_Init.restype = ctypes.c_long
    h = _column(mmse / "test" / "stat_ir_in.txt")
    sp = _sim_params(mmse, "stat_params.txt")
    for params, needle in ((b"(rxdsp_rx (ffe_taps 16)", b"malformed"),
                           (b"(rxdsp_rx (ffe_taps many))", b"ffe_taps"),
                           (ami_params_string({"root_name": "rxdsp_rx", "ffe_taps": 12,
                                               "config_hash": "fnv1a-0000000000000000"}).encode(), b"rxdsp ami")):
        imp = (ctypes.c_double * len(h))(*h)
        out, handle, msg = ctypes.c_char_p(), ctypes.c_void_p(), ctypes.c_char_p()
        r = lib.AMI_Init(imp, ctypes.c_long(len(h)), ctypes.c_long(0), ctypes.c_double(sp["Sample_interval"]),
                         ctypes.c_double(sp["Symbol_time"]), params, ctypes.byref(out),
                         ctypes.byref(handle), ctypes.byref(msg))
        assert r == 0
        assert msg.value is not None and needle in msg.value, msg.value
        assert out.value == b"(rxdsp_rx)"
        assert lib.AMI_Close(handle) == 1


def test_check_ami_passes_the_shipped_configurations_at_zero_tolerance(mmse, lms):
    check = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv-ami")) / "bin" / "check-ami"
    if not check.exists():
        pytest.fail(f"{check} is missing (pyibis-ami's console script)")
    for d in (mmse, lms):
        r = subprocess.run([str(check), "--tol-ir", "0", "--tol-wave", "0", str(d / "rxdsp_rx.ibs")],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.count(": PASS") == 2, r.stdout
