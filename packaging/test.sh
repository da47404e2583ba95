#!/usr/bin/env bash
# One command for every test on a fresh Debian 12 machine: install what is missing, build with
# warnings as errors, run the whole CTest suite except benchmarks (label bench; see README), then a
# short fuzz run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/install-debian-deps.sh"
cmake --preset ci -S "$root"
cmake --build --preset ci
ctest --preset ci
# A short fuzz run (20 s per target, libFuzzer + ASan/UBSan, clang build in build/fuzz) of what the
# backend reads from others; longer runs: packaging/fuzz.sh SECONDS.
"$root/packaging/fuzz.sh" "${FUZZ_SECONDS:-20}"
