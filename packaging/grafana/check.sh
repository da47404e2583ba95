#!/usr/bin/env bash
# Checks fleetdeckd-dashboard.json against the backend it watches, printing each step; exits non-zero
# on any failure:
#  1. it is valid JSON with unique panel ids, every panel and query on the $datasource variable;
#  2. every metric name in every PromQL expression is one a live `fleetdeckd --demo --port 0`
#     exports on /metrics (and the labels the panels group by exist there);
#  3. with Prometheus installed (Debian's prometheus, as the tests use): promtool parses every
#     expression, and a real Prometheus scraping that fleetdeckd answers every one with data.
# FLEETDECKD=path picks the binary (default: the newest build/*/app/fleetdeckd).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dashboard="$here/fleetdeckd-dashboard.json"
work="$(mktemp -d /tmp/fleetdeck-grafana-check.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== JSON and structure"
# Each expression with Grafana's variables resolved, one per line: "panel title<TAB>expr".
python3 - "$dashboard" >"$work/exprs.tsv" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ids, errors = set(), []
ds = {"type": "prometheus", "uid": "${datasource}"}
assert any(v["name"] == "datasource" and v["type"] == "datasource" for v in d["templating"]["list"]), "no datasource variable"
for p in d["panels"]:
    if p["id"] in ids:
        errors.append(f"duplicate panel id {p['id']}")
    ids.add(p["id"])
    if p["type"] == "row":
        continue
    if p.get("datasource") != ds:
        errors.append(f"{p['title']}: panel datasource is not $datasource")
    for t in p["targets"]:
        if t.get("datasource") != ds:
            errors.append(f"{p['title']}: query datasource is not $datasource")
        expr = (t["expr"].replace("$__rate_interval", "15s").replace('=~"$job"', '=~".*"')
                .replace('=~"$instance"', '=~".*"'))
        if "$" in expr:
            errors.append(f"{p['title']}: unresolved variable in {expr}")
        print(f"{p['title']}\t{expr}")
for e in errors:
    print("   FAILED", e, file=sys.stderr)
sys.exit(1 if errors else 0)
EOF
echo "   ok: valid JSON, $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["panels"]))' "$dashboard") panels (rows included), $(wc -l <"$work/exprs.tsv") queries, all on \$datasource"

echo "== metric names against a live fleetdeckd --demo /metrics"
fleetdeckd="${FLEETDECKD:-$(ls -t "$root"/build/*/app/fleetdeckd 2>/dev/null | head -n1 || true)}"
[[ -n $fleetdeckd && -x $fleetdeckd ]] || { echo "   FAILED: no built fleetdeckd (set FLEETDECKD=path)"; exit 1; }
env -i PATH="$PATH" "$fleetdeckd" --demo --robots 50 --port 0 --tick-ms 100 </dev/null >"$work/fleetdeckd.out" 2>"$work/fleetdeckd.err" &
pids+=($!)
listen=""
for ((i = 0; i < 100; i++)); do
  listen="$(sed -n 's|^LISTENING ws://||p' "$work/fleetdeckd.out")"
  [[ -n $listen ]] && break
  sleep 0.2
done
[[ -n $listen ]] || { echo "   FAILED: fleetdeckd did not print LISTENING"; cat "$work/fleetdeckd.err"; exit 1; }
for ((i = 0; i < 100; i++)); do
  [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$listen/readyz")" == 200 ]] && break
  sleep 0.2
done
curl -fsS "http://$listen/metrics" >"$work/metrics.txt"
grep -v '^#' "$work/metrics.txt" | sed -E 's/[{ ].*//' | sort -u >"$work/exported.txt"
echo "   $fleetdeckd exports $(wc -l <"$work/exported.txt") series names"
failed=0
while IFS=$'\t' read -r title expr; do
  names="$(grep -oE '\bfleetdeck_[a-z0-9_]+' <<<"$expr" | sort -u)"
  [[ -n $names ]] || { echo "   FAILED $title: no fleetdeck_ metric in $expr"; failed=1; }
  for name in $names; do
    grep -qx "$name" "$work/exported.txt" || { echo "   FAILED $title: $name is not exported"; failed=1; }
  done
done <"$work/exprs.tsv"
for label in freshness partition le; do
  grep -q "[{,]$label=" "$work/metrics.txt" || { echo "   FAILED: no series has the label $label"; failed=1; }
done
((failed == 0)) || exit 1
echo "   ok: every metric in every query is exported: $(cut -f2 "$work/exprs.tsv" | grep -oE '\bfleetdeck_[a-z0-9_]+' | sort -u | tr '\n' ' ')"

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  echo "   skipped: promtool/prometheus not installed (apt-get install prometheus)"
  echo "grafana-check: 2 passed, 0 failed, 1 skipped"
  exit 0
fi

echo "== promtool parses every expression; a real Prometheus answers each with data"
{
  echo "groups:"
  echo "  - name: dashboard"
  echo "    rules:"
  n=0
  while IFS=$'\t' read -r _ expr; do
    n=$((n + 1))
    printf '      - record: dashboard:query%d\n        expr: %s\n' "$n" "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$expr")"
  done <"$work/exprs.tsv"
} >"$work/rules.yml"
promtool check rules "$work/rules.yml" | sed 's/^/   /'
port="$(free_port)"
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: fleetdeckd
    static_configs:
      - targets: ["$listen"]
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do
  curl -fs "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
  sleep 0.2
done
sleep 8  # a few scrapes, so that rate() over 15 s has two points or more
failed=0
while IFS=$'\t' read -r title expr; do
  answer="$(curl -fsS "http://127.0.0.1:$port/api/v1/query" --data-urlencode "query=$expr")"
  count="$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(len(r["data"]["result"]) if r["status"]=="success" else -1)' "$answer")"
  if ((count > 0)); then
    echo "   ok ($count series): $title: ${expr:0:90}"
  else
    echo "   FAILED (no data): $title: $expr"
    failed=1
  fi
done <"$work/exprs.tsv"
((failed == 0)) || exit 1
echo "grafana-check: 3 passed, 0 failed"
