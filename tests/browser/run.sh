#!/bin/sh
# CTest's entry to browser_console.js (or another script here): skips (77), saying why, when this
# machine's node cannot run it.
#   tests/browser/run.sh FLEETDECKD SOURCE_DIR OUT_DIR RUNS [SCRIPT]
command -v node >/dev/null || { echo 'SKIPPED: no node (20.10 or later, e.g. NodeSource)'; exit 77; }
node --experimental-websocket -e 0 2>/dev/null || { echo 'SKIPPED: this node has no WebSocket (needs 20.10 or later)'; exit 77; }
exec node --experimental-websocket --no-warnings "$(dirname "$0")/${5:-browser_console.js}" \
  --fleetdeckd "$1" --source "$2" --out "$3" --runs "$4"
