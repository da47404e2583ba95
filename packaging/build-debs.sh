#!/usr/bin/env bash
# Builds the Debian packages fleetdeckd_*.deb and fleetdeck_*.deb into build/debs/: an optimised build
# of the three programs (no tests), then CPack's DEB generator with dpkg-shlibdeps for the library
# dependencies. FLEETDECK_DEB_BUILD_DIR picks the build directory (default build/deb-release); extra
# arguments go to the configure step (e.g. -DFLEETDECK_BUILD_CONSOLE=OFF for the backend's only).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FLEETDECK_DEB_BUILD_DIR:-$root/build/deb-release}"
out="$root/build/debs"

"$root/packaging/install-debian-deps.sh" <(printf 'dpkg-dev\n')
echo "== configure $build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLEETDECK_BUILD_TESTS=OFF "$@" >/dev/null
echo "== build"
targets=()
grep -q '^FLEETDECK_BUILD_BACKEND:BOOL=ON' "$build/CMakeCache.txt" && targets+=(fleetdeckd fleetsim)
grep -q '^FLEETDECK_BUILD_CONSOLE:BOOL=ON' "$build/CMakeCache.txt" && targets+=(fleetdeck)
cmake --build "$build" -j "${FLEETDECK_JOBS:-2}" --target "${targets[@]}"
echo "== cpack -G DEB"
mkdir -p "$out"
rm -f "$out"/*.deb
(cd "$build" && cpack -G DEB -B "$out" >/dev/null)
rm -rf "$out/_CPack_Packages"
for deb in "$out"/*.deb; do
  echo "== $deb"
  dpkg-deb --field "$deb" Package Version Architecture Depends Recommends | sed 's/^/   /'
done
