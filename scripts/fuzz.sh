#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser with afl (AFL++ through cargo-afl),
# on stable Rust. See docs/fuzzing.md.
#
#   scripts/fuzz.sh smoke [SECONDS]          every target for SECONDS (default 20) from the
#                                            committed corpus; exit 1 on any crash or hang (CI)
#   scripts/fuzz.sh campaign EXECS [T...]    each target (or the named ones), one at a time,
#                                            until EXECS executions; prints a table row each
#   scripts/fuzz.sh cmin T                   minimizes target T's campaign queue (entries up
#                                            to CMIN_MAX bytes, default 4096) plus its
#                                            committed corpus back into fuzz/corpus/T
#   scripts/fuzz.sh seeds                    rewrites the seed corpora with the project's writers
#   scripts/fuzz.sh build                    installs cargo-afl if needed, builds the targets
#
# Output (afl's folders, logs) goes to fuzz/out/, which git ignores.
# Environment: NICE (default 19) is the niceness afl-fuzz runs at; AFL_TIMEOUT (default 1000)
# the afl -t limit in ms above which an execution counts as a hang.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$here/fuzz"
out="$fuzz/out"
targets=(frame npy sigmf touchstone config fec)
# cargo-afl and the afl crate in fuzz/Cargo.toml must be the same version
afl_version=0.18.2
nice_level=${NICE:-19}
timeout_ms=${AFL_TIMEOUT:-1000}

# What afl-fuzz needs as root in a container: no CPU frequency governor to read
# (AFL_SKIP_CPUFREQ), a core_pattern it may not change (a crash is still seen
# through the fork server's wait status), no free core to pin to when the
# machine is shared (AFL_NO_AFFINITY), no terminal for the status screen.
export AFL_SKIP_CPUFREQ=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_AFFINITY=1
export AFL_NO_UI=1
# /dev/shm keeps the per-execution scratch files of the file-reading targets off the disk
export RXDSP_FUZZ_TMP=${RXDSP_FUZZ_TMP:-$([ -d /dev/shm ] && echo /dev/shm || echo /tmp)}

install() {
    if cargo afl --version 2>/dev/null | grep -q "$afl_version"; then
        return
    fi
    # Installs cargo-afl from crates.io; its build also compiles the bundled AFL++ (afl-fuzz
    # and the LLVM runtime) into ~/.local/share/afl.rs. Needs a C compiler and make.
    echo "fuzz.sh: installing cargo-afl $afl_version (cargo install --locked)" >&2
    cargo install --locked cargo-afl --version "$afl_version"
    cargo afl config --build 2>/dev/null || true # already built by the install; kept for older setups
}

# The AFL++ tools cargo-afl built (afl-cmin calls afl-showmap from PATH: an older
# afl++ elsewhere on PATH, e.g. Debian's, does not understand its options).
afl_bin() {
    ls -dt "${XDG_DATA_HOME:-$HOME/.local/share}"/afl.rs/rustc-*/afl.rs-"$afl_version"/afl/bin | head -1
}

build() {
    install
    PATH="$(afl_bin):$PATH"
    # at the fuzzers' niceness too: a campaign started beside other work builds in its idle time
    (cd "$fuzz" && nice -n "$nice_level" cargo afl build --release --locked)
}

# stat FILE KEY: one value of afl's fuzzer_stats
stat() { awk -F' *: *' -v k="$2" '$1 == k { print $2 }' "$1"; }

# run TARGET OUTDIR AFL-STOP-ARGS...: one afl-fuzz run from the committed corpus
run() {
    local t=$1 dir=$2
    shift 2
    rm -rf "$dir"
    mkdir -p "$dir"
    (cd "$fuzz" && nice -n "$nice_level" cargo afl fuzz -i "corpus/$t" -o "$dir" \
        -t "$timeout_ms" "$@" "target/release/$t") >"$dir.log" 2>&1 || {
        echo "fuzz.sh: afl-fuzz failed on $t; the end of $dir.log:" >&2
        grep -v 'Fuzzing test case' "$dir.log" | tail -20 >&2
        return 1
    }
}

# report TARGET OUTDIR: prints a table row, returns 1 on a crash or hang
report() {
    local t=$1 s="$2/default/fuzzer_stats"
    local execs crashes hangs rate secs
    execs=$(stat "$s" execs_done)
    crashes=$(stat "$s" saved_crashes)
    hangs=$(stat "$s" saved_hangs)
    secs=$(($(stat "$s" last_update) - $(stat "$s" start_time)))
    rate=$((execs / (secs > 0 ? secs : 1)))
    printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$execs" "$rate" "$crashes" "$hangs" "$(date -u +%F)"
    if [ "$crashes" != 0 ] || [ "$hangs" != 0 ]; then
        echo "fuzz.sh: $t: $crashes crashes, $hangs hangs: see $2/default/crashes and hangs" >&2
        return 1
    fi
}

header() {
    echo '| target | executions | exec/s | crashes | hangs | date |'
    echo '| --- | ---: | ---: | ---: | ---: | --- |'
}

# run_all KIND AFL-STOP-ARGS...: builds, then runs every target in $targets under
# $out/KIND with the stop rule given; prints the table; exits 1 on any crash or hang
run_all() {
    local kind=$1 bad=0
    shift
    build
    header
    for t in "${targets[@]}"; do
        run "$t" "$out/$kind/$t" "$@" || bad=1
        report "$t" "$out/$kind/$t" || bad=1
    done
    exit $bad
}

cmd=${1:-smoke}
case "$cmd" in
build)
    build
    ;;
smoke)
    run_all smoke -V "${2:-20}"
    ;;
campaign)
    execs=${2:?usage: fuzz.sh campaign EXECS [TARGET...]}
    shift 2
    [ $# -gt 0 ] && targets=("$@")
    run_all campaign -E "$execs"
    ;;
cmin)
    t=${2:?usage: fuzz.sh cmin TARGET}
    # the largest queue entry kept (CMIN_MAX bytes); the committed seeds are always kept
    cmin_max=${CMIN_MAX:-4096}
    tmp="$out/cmin/$t"
    rm -rf "$tmp" "$tmp.in"
    mkdir -p "$tmp.in"
    cp "$fuzz/corpus/$t"/* "$tmp.in/"
    if [ -d "$out/campaign/$t/default/queue" ]; then
        # larger inputs add little coverage to these parsers and would bloat the repository
        find -L "$out/campaign/$t/default/queue" -maxdepth 1 -type f -size -"$((cmin_max + 1))"c \
            -exec cp {} "$tmp.in/" \;
    fi
    # the shell afl-cmin: the Python one of AFL++ 4.40c finds no coverage in persistent-mode Rust targets
    (cd "$fuzz" && PATH="$(afl_bin):$PATH" nice -n "$nice_level" afl-cmin.bash -i "$tmp.in" -o "$tmp" \
        -t "$timeout_ms" -- "target/release/$t" >"$tmp.log" 2>&1)
    # afl's queue names (id:...,src:...) hold colons: name those by content instead
    for f in "$tmp"/*:*; do
        [ -e "$f" ] && mv "$f" "$tmp/q-$(sha1sum <"$f" | cut -c1-12)"
    done
    rm -rf "${fuzz:?}/corpus/$t"
    mv "$tmp" "$fuzz/corpus/$t"
    echo "$t: $(ls "$fuzz/corpus/$t" | wc -l) files, $(du -sb "$fuzz/corpus/$t" | cut -f1) bytes"
    ;;
seeds)
    build
    rm -rf "$out/seeds"
    mkdir -p "$out/seeds/npy"
    # samples as `rxdsp sim --dump-samples` writes them (a short run), .npy and SigMF
    for f in "$out/seeds/npy/sim.npy" "$out/sim.sigmf-data"; do
        (cd "$here" && cargo run --quiet -p rxdsp -- sim --symbols 2000 --dump-samples "$f" >/dev/null)
    done
    "$fuzz/target/release/seeds" "$out/seeds" "$out/sim.sigmf-data"
    for t in "${targets[@]}"; do
        rm -rf "${fuzz:?}/corpus/$t"
        mkdir -p "$fuzz/corpus/$t"
        cp "$out/seeds/$t"/* "$fuzz/corpus/$t/"
    done
    ;;
*)
    sed -n '2,16p' "$0" >&2
    exit 2
    ;;
esac
