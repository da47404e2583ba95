#!/usr/bin/env bash
# One command for the demo on a fresh Debian 12 machine: install what is missing, build, and open the
# console with a simulated fleet fed through the embedded Kafka broker. Extra arguments go to
# fleetdeck (e.g. --robots 2000, --theme light, --screenshot out.png).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/install-debian-deps.sh"
cmake --preset release -S "$root" >/dev/null
cmake --build --preset release --target fleetdeck fleetdeckd fleetsim
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  echo "No display found: running the console under Xvfb (screenshots still work)." >&2
  exec xvfb-run -a -s "-screen 0 1920x1200x24" "$root/build/release/app/fleetdeck" "$@"
fi
exec "$root/build/release/app/fleetdeck" "$@"
