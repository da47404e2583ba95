#!/usr/bin/env bash
# Installs the built fleetdeckd package (and fleetdeck's, if built) into this machine with dpkg -i,
# checks what it installed, starts the installed backend the way fleetdeckd.service does (its user,
# its ExecStart, its environment file and Environment= lines; systemd itself need not run here),
# probes /healthz, /readyz and /metrics, stops it with SIGTERM and expects a clean exit, then purges
# the packages and checks they left nothing behind. Needs root. Exits non-zero at the first failure,
# after cleaning up. Usage: packaging/test-deb.sh [DEB_DIR] (default build/debs, from build-debs.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
debs="${1:-$root/build/debs}"
unit=/lib/systemd/system/fleetdeckd.service
conf=/etc/fleetdeck/fleetdeckd.conf
log="$(mktemp /tmp/fleetdeckd-deb-test.XXXXXX.log)"

step() { printf '== %s\n' "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
fail() { printf '   FAILED: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "needs root (dpkg -i into this system)"
backend_deb="$(ls "$debs"/fleetdeckd_*.deb 2>/dev/null | head -n1)"
console_deb="$(ls "$debs"/fleetdeck_*.deb 2>/dev/null | head -n1)"
[[ -n "$backend_deb" ]] || fail "no fleetdeckd_*.deb in $debs (run packaging/build-debs.sh)"
for pkg in fleetdeckd fleetdeck; do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'installed'; then
    fail "package $pkg is already installed here; remove it first (this test purges what it installs)"
  fi
done
command -v curl >/dev/null || "$root/packaging/install-debian-deps.sh" <(printf 'curl\n')

user_existed=no
getent passwd fleetdeck >/dev/null && user_existed=yes
pid=""
installed=()
cleanup() {
  local code=$?
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if ((${#installed[@]})); then
    dpkg --purge "${installed[@]}" >/dev/null 2>&1 || true
  fi
  if [[ $user_existed == no ]] && getent passwd fleetdeck >/dev/null; then
    deluser --system --quiet fleetdeck >/dev/null 2>&1 || true
  fi
  if ((code != 0)); then
    echo "--- fleetdeckd output ($log):" >&2
    tail -n 40 "$log" >&2 || true
  else
    rm -f "$log"
  fi
}
trap cleanup EXIT

step "dpkg -i $(basename "$backend_deb")"
dpkg-deb --field "$backend_deb" Depends | sed 's/^/   Depends: /'
installed+=(fleetdeckd)
dpkg -i "$backend_deb" || fail "dpkg -i (missing dependencies? apt-get install ./$(basename "$backend_deb") resolves them)"
[[ "$(dpkg-query -W -f='${Status}' fleetdeckd)" == "install ok installed" ]] || fail "package state"
ok "installed, version $(dpkg-query -W -f='${Version}' fleetdeckd)"

step "files, user, conffiles"
for f in /usr/bin/fleetdeckd /usr/bin/fleetsim; do
  [[ -x $f ]] || fail "$f missing"
done
[[ -f $unit ]] || fail "$unit missing"
getent passwd fleetdeck >/dev/null || fail "user fleetdeck not created"
uid="$(id -u fleetdeck)"
((uid < 1000)) || fail "fleetdeck is not a system user (uid $uid)"
shell="$(getent passwd fleetdeck | cut -d: -f7)"
[[ $shell == */nologin || $shell == /bin/false ]] || fail "fleetdeck has a login shell ($shell)"
ok "system user fleetdeck (uid $uid, shell $shell)"
conffiles="$(dpkg-query -W -f='${Conffiles}\n' fleetdeckd)"
for f in "$conf" /etc/default/fleetdeckd; do
  grep -q " $f " <<<"$conffiles" || fail "$f is not a conffile"
done
ok "conffiles: $conf, /etc/default/fleetdeckd"
[[ "$(stat -c '%U:%G %a' "$conf")" == "root:fleetdeck 640" ]] || fail "$conf is $(stat -c '%U:%G %a' "$conf"), want root:fleetdeck 640"
[[ "$(stat -c '%U:%G %a' /etc/default/fleetdeckd)" == "root:root 600" ]] || fail "/etc/default/fleetdeckd is $(stat -c '%U:%G %a' /etc/default/fleetdeckd)"
ok "permissions: $conf root:fleetdeck 0640, /etc/default/fleetdeckd root:root 0600"
if [[ -L /etc/systemd/system/multi-user.target.wants/fleetdeckd.service ]]; then
  ok "enabled (multi-user.target.wants symlink by deb-systemd-helper)"
else
  fail "not enabled: no /etc/systemd/system/multi-user.target.wants/fleetdeckd.service"
fi
if [[ -d /run/systemd/system ]]; then
  ok "systemd runs here: postinst started the unit ($(systemctl is-active fleetdeckd || true))"
else
  ok "systemd is not PID 1 here ($(ps -o comm= -p 1)): postinst skipped starting the unit, as it should"
fi

step "systemd-analyze verify $unit"
if command -v systemd-analyze >/dev/null; then
  # Offline: loads the unit, checks directives, ExecStart's binary and the [Install] target.
  if ! out="$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$unit" 2>&1)"; then
    echo "$out" | sed 's/^/   /'
    fail "systemd-analyze verify"
  fi
  [[ -z "$out" ]] || echo "$out" | sed 's/^/   /'
  ok "unit verifies"
else
  ok "systemd-analyze not installed: skipped"
fi

step "the service's configuration, read as user fleetdeck"
user="$(sed -n 's/^User=//p' "$unit")"
group="$(sed -n 's/^Group=//p' "$unit")"
exec_start="$(sed -n 's/^ExecStart=//p' "$unit")"
[[ $user == fleetdeck && $group == fleetdeck ]] || fail "unit runs as $user:$group"
[[ $exec_start == "/usr/bin/fleetdeckd --config $conf "* ]] || fail "unexpected ExecStart: $exec_start"
# The unit's environment: Environment= lines, then the (optional) EnvironmentFile, as systemd builds it.
service_env=(PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
while IFS= read -r line; do service_env+=("$line"); done < <(sed -n 's/^Environment=//p' "$unit")
while IFS= read -r line; do
  [[ -z $line || $line == \#* ]] || service_env+=("$line")
done </etc/default/fleetdeckd
daemon_args=()
for kv in "${service_env[@]}"; do
  [[ $kv == DAEMON_ARGS=* ]] && read -r -a daemon_args <<<"${kv#DAEMON_ARGS=}"
done
as_service() {
  exec setpriv --reuid="$user" --regid="$group" --init-groups --no-new-privs --inh-caps=-all --bounding-set=-all \
    env -i "${service_env[@]}" "$@"
}
printed="$(as_service /usr/bin/fleetdeckd --config "$conf" "${daemon_args[@]}" --print-config)" \
  || fail "fleetdeckd --print-config as $user (exit $?)"
grep -q "^listen = 127.0.0.1" <<<"$printed" || fail "listen is not 127.0.0.1 in the effective config"
grep -q "# from file $conf" <<<"$printed" || fail "no value came from $conf"
ok "$user reads $conf; listen 127.0.0.1, port $(sed -n 's/^port = //p' <<<"$printed")"

step "start as fleetdeckd.service would: $exec_start (as $user)"
# The packaged port may be taken on a shared machine: a free one, given the way an admin would
# (a FLEETDECKD_* variable as in /etc/default/fleetdeckd).
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
service_env+=("FLEETDECKD_SERVER_PORT=$port")
as_service /usr/bin/fleetdeckd --config "$conf" "${daemon_args[@]}" </dev/null >"$log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for ((i = 0; i < 100; i++)); do
  curl -fsS -m 2 "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || fail "fleetdeckd exited before serving"
  sleep 0.2
done
[[ "$(curl -fsS -m 2 "$base/healthz")" == ok ]] || fail "/healthz did not answer ok within 20 s"
ok "/healthz: 200 ok (pid $pid, user $(ps -o user= -p "$pid"))"
[[ "$(ps -o user= -p "$pid")" == fleetdeck ]] || fail "process does not run as fleetdeck"
ready=""
for ((i = 0; i < 100; i++)); do
  ready="$(curl -sS -m 2 -o /dev/null -w '%{http_code}' "$base/readyz" || true)"
  [[ $ready == 200 ]] && break
  sleep 0.2
done
[[ $ready == 200 ]] || fail "/readyz answered $ready, not 200, within 20 s"
ok "/readyz: 200 (embedded broker reachable, backlog read)"
metrics="$(curl -fsS -m 2 "$base/metrics")" || fail "/metrics"
for name in fleetdeck_console_sessions fleetdeck_kafka_broker_reachable fleetdeck_tick_duration_seconds_bucket; do
  grep -q "^$name" <<<"$metrics" || fail "/metrics lacks $name"
done
ok "/metrics: $(grep -c '^fleetdeck_' <<<"$metrics") fleetdeck_* samples"

step "stop with SIGTERM"
kill -TERM "$pid"
code=""
for ((i = 0; i < 100; i++)); do
  if ! kill -0 "$pid" 2>/dev/null; then
    set +e
    wait "$pid"
    code=$?
    set -e
    break
  fi
  sleep 0.2
done
[[ -n $code ]] || fail "still running 20 s after SIGTERM (the unit's TimeoutStopSec)"
[[ $code == 0 ]] || fail "exit code $code after SIGTERM"
pid=""
ok "exited 0 within $((i * 200)) ms"
grep -qi "SIGTERM" "$log" && ok "log: $(grep -i -m1 SIGTERM "$log")"

if [[ -n "$console_deb" ]]; then
  step "dpkg -i $(basename "$console_deb")"
  installed+=(fleetdeck)
  dpkg -i "$console_deb" || fail "dpkg -i $(basename "$console_deb")"
  for f in /usr/bin/fleetdeck /usr/share/applications/fleetdeck.desktop /usr/share/icons/hicolor/scalable/apps/fleetdeck.svg; do
    [[ -e $f ]] || fail "$f missing"
  done
  if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate /usr/share/applications/fleetdeck.desktop || fail "desktop-file-validate"
    ok "desktop entry validates"
  fi
  QT_QPA_PLATFORM=offscreen /usr/bin/fleetdeck --help >/dev/null || fail "fleetdeck --help"
  ok "fleetdeck --help runs; desktop entry and icon installed"
fi

step "dpkg --purge ${installed[*]}"
dpkg --purge "${installed[@]}" >/dev/null || fail "dpkg --purge"
installed=()
for f in /usr/bin/fleetdeckd /usr/bin/fleetsim /usr/bin/fleetdeck "$unit" "$conf" /etc/fleetdeck /etc/default/fleetdeckd \
  /etc/systemd/system/multi-user.target.wants/fleetdeckd.service /usr/share/applications/fleetdeck.desktop; do
  [[ ! -e $f && ! -L $f ]] || fail "$f left behind after purge"
done
ok "nothing left in /usr/bin, /etc/fleetdeck, /etc/default, the unit or its enablement"
if [[ $user_existed == no ]]; then
  deluser --system --quiet fleetdeck >/dev/null 2>&1 || fail "deluser fleetdeck"
  ok "system user fleetdeck kept by the purge (Debian's way), removed by this test: it created it"
fi
echo "test-deb: 1 passed, 0 failed"
