#!/usr/bin/env bash
# One command for every test on a fresh Debian 12 machine: install what is missing, build with
# warnings as errors, run the whole CTest suite except benchmarks (label bench; see README).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/install-debian-deps.sh"
cmake --preset ci -S "$root"
cmake --build --preset ci
ctest --preset ci
