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
