#!/usr/bin/env bash
# Runs the backend's image the way packaging/k8s/deployment.yaml runs it (uid 10001, read-only root
# filesystem, no capabilities, no new privileges; the port published from the container's network) and
# checks it: the image's user, port and HEALTHCHECK, /healthz, /readyz and /metrics through the published
# port, the process's uid and capabilities, JSON log lines, the HEALTHCHECK's own command, and a clean
# exit 0 on SIGTERM. Builds the image first with build.sh when it is not there. Needs root (podman's
# storage). Not part of .ci/run: a cold build takes long (docs/operations.md, "Checks").
#
#   packaging/container/test-image.sh [IMAGE]      (default localhost/fleetdeckd:VERSION)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
version="$(sed -n 's/^project(fleetdeck VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
image="${1:-localhost/fleetdeckd:$version}"
name="fleetdeckd-test-$$"
started=$SECONDS

step() { printf '== %s\n' "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
fail() { printf '   FAILED: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "needs root (rootful podman)"
if ! command -v podman >/dev/null || ! podman image exists "$image"; then
  step "no image $image: packaging/container/build.sh"
  "$root/packaging/container/build.sh" --tag "$image"
fi
command -v curl >/dev/null || "$root/packaging/install-debian-deps.sh" <(printf 'curl\n')
source "$root/packaging/container/podman-options.sh" "$image"

cleanup() {
  local code=$?
  if podman container exists "$name" 2>/dev/null; then
    ((code == 0)) || { echo "--- podman logs $name:" >&2; podman logs --tail 40 "$name" >&2 || true; }
    podman rm --force --time 0 "$name" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

step "image $image"
inspect() { podman image inspect --format "$1" "$image"; }
[[ "$(inspect '{{.Config.User}}')" == 10001:10001 ]] || fail "USER is '$(inspect '{{.Config.User}}')', want 10001:10001"
inspect '{{json .Config.ExposedPorts}}' | grep -q '"8765/tcp"' || fail "does not expose 8765/tcp"
[[ "$(inspect '{{json .Config.Entrypoint}}')" == '["/usr/bin/fleetdeckd"]' ]] || fail "entrypoint $(inspect '{{json .Config.Entrypoint}}')"
inspect '{{json .Config.Healthcheck}}' | grep -q healthz || fail "no HEALTHCHECK (built as OCI rather than docker format?)"
ok "user 10001:10001, port 8765/tcp, entrypoint fleetdeckd, HEALTHCHECK on /healthz"
ok "size $(inspect '{{.Size}}') bytes, $(inspect '{{len .RootFS.Layers}}') layers, created $(inspect '{{.Created}}')"

step "podman run --read-only --cap-drop all -p 127.0.0.1:PORT:8765 $image --demo"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# Without systemd podman cannot schedule the HEALTHCHECK and says so on every run: not a failure here.
run_errors="$(podman "${podman_global[@]}" run --detach --name "$name" "${podman_limits[@]}" \
  --read-only --cap-drop all --security-opt no-new-privileges --log-driver k8s-file \
  --publish "127.0.0.1:$port:8765" "$image" --demo 2>&1 >/dev/null)" || fail "podman run: $run_errors"
grep -v 'get systemd connection .* healthchecks' <<<"$run_errors" | sed '/^$/d; s/^/   podman: /' || true
run_start=$SECONDS
base="http://127.0.0.1:$port"
for ((i = 0; i < 100; i++)); do
  curl -fsS -m 2 "$base/healthz" >/dev/null 2>&1 && break
  [[ "$(podman inspect --format '{{.State.Running}}' "$name")" == true ]] || fail "fleetdeckd exited before serving"
  sleep 0.2
done
[[ "$(curl -fsS -m 2 "$base/healthz")" == ok ]] || fail "/healthz did not answer ok within 20 s"
ok "/healthz: 200 ok through 127.0.0.1:$port -> container 8765"
ready=""
for ((i = 0; i < 150; i++)); do
  ready="$(curl -sS -m 2 -o /dev/null -w '%{http_code}' "$base/readyz" || true)"
  [[ $ready == 200 ]] && break
  sleep 0.2
done
[[ $ready == 200 ]] || fail "/readyz answered $ready, not 200, within 30 s"
ok "/readyz: 200, $((SECONDS - run_start)) s after start"
metrics="$(curl -fsS -m 2 "$base/metrics")" || fail "/metrics"
for metric in fleetdeck_console_sessions fleetdeck_kafka_broker_reachable fleetdeck_tick_duration_seconds_bucket; do
  grep -q "^$metric" <<<"$metrics" || fail "/metrics lacks $metric"
done
ok "/metrics: $(grep -c '^fleetdeck_' <<<"$metrics") fleetdeck_* samples"

step "the process"
pid="$(podman inspect --format '{{.State.Pid}}' "$name")"
[[ "$(stat -c %u "/proc/$pid")" == 10001 ]] || fail "runs as uid $(stat -c %u "/proc/$pid"), want 10001"
caps="$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$pid/status")"
[[ $caps =~ ^0+$ ]] || fail "effective capabilities $caps"
ok "$(cat "/proc/$pid/comm") (host pid $pid) runs as uid 10001, no capabilities"
# The log as Kubernetes' runtimes write it (CRI format: a line that arrived in pieces is marked P), read
# the way log shippers read it: pieces joined, stderr lines (the log) JSON; stdout has the plain-text
# start-up lines (LISTENING …) that tests and the console's demo read.
log_report="$(python3 - "$(podman inspect --format '{{.HostConfig.LogConfig.Path}}' "$name")" <<'PY'
import json, sys
lines, pending, pieces = [], "", 0
for entry in open(sys.argv[1], encoding="utf-8").read().splitlines():
    _, stream, tag, text = (entry.split(" ", 3) + [""])[:4]
    if stream != "stderr":
        continue
    pending += text
    if tag == "P":
        pieces += 1
    else:
        lines.append(pending)
        pending = ""
for line in lines:
    try:
        json.loads(line)
    except ValueError:
        print("a stderr line is not JSON: " + line)
        sys.exit(1)
print(f"{len(lines)} stderr lines, each one JSON; {pieces} arrived in more than one write")
PY
)" || fail "log: $log_report"
ok "log: $log_report"
# Docker runs the HEALTHCHECK on its own; podman from systemd timers, absent here: run it once.
podman healthcheck run "$name" >/dev/null || fail "the image's HEALTHCHECK reports unhealthy"
ok "HEALTHCHECK (bash asking /healthz inside the container): healthy"

step "stop with SIGTERM"
stop_start=$SECONDS
podman kill --signal TERM "$name" >/dev/null
code="$(timeout 25 podman wait "$name")" || fail "still running 25 s after SIGTERM"
[[ $code == 0 ]] || fail "exit code $code after SIGTERM"
ok "exited 0 within $((SECONDS - stop_start)) s"
podman logs "$name" 2>&1 | grep -qi SIGTERM && ok "log: $(podman logs "$name" 2>&1 | grep -i -m1 SIGTERM)"
echo "test-image: 1 passed, 0 failed ($((SECONDS - started)) s)"
