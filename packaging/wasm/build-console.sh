#!/usr/bin/env bash
# Builds the browser console with the toolchain that build-toolchain.sh left in the cache:
#   packaging/wasm/build-console.sh [BUILD_DIR]     # default build/wasm
# Leaves BUILD_DIR/app/{fleetdeck.html,fleetdeck.js,fleetdeck.wasm,qtloader.js} and prints the
# .wasm's size, raw and compressed. The same as `cmake --preset wasm && cmake --build --preset wasm`
# when the cache is in its default place.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${FLEETDECK_WASM_CACHE:-$HOME/.cache/fleetdeck-wasm}
build=${1:-$root/build/wasm}
jobs=${FLEETDECK_WASM_JOBS:-$(nproc)}

for step in qtbase qtdeclarative qtquickcontrols2 protobuf; do
  if [ ! -e "$cache/stamps/$step" ]; then
    echo "the toolchain in $cache lacks $step: run packaging/wasm/build-toolchain.sh first" >&2
    exit 1
  fi
done
# shellcheck source=/dev/null
source "$cache/env.sh"

cd "$root"
t0=$SECONDS
cmake --preset wasm -B "$build" \
  -DCMAKE_FIND_ROOT_PATH="$FLEETDECK_WASM_QT;$FLEETDECK_WASM_PROTOBUF" \
  -DQT_DIR="$FLEETDECK_WASM_QT/lib/cmake/Qt5"
cmake --build "$build" --target fleetdeck -j "$jobs"
echo "browser console built in $(( (SECONDS - t0) / 60 ))m$(( (SECONDS - t0) % 60 ))s"

out=$build/web  # only what a browser loads (build/wasm/app also holds CMake's files)
wasm=$out/fleetdeck.wasm
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
awk -v f="$wasm" -v r="$raw" -v g="$gz" 'BEGIN { printf "WASM %s: %.1f MB raw, %.1f MB gzip -9\n", f, r / 1048576, g / 1048576 }'
ls -l "$out"/fleetdeck.html "$out"/fleetdeck.js "$out"/fleetdeck.wasm "$out"/qtloader.js
