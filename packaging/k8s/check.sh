#!/usr/bin/env bash
# Validates the manifests in this folder offline (no cluster), printing each step; exits non-zero on
# any failure. Work files go to build/k8s-check/.
#  1. kubectl (Debian's kubernetes-client, unpacked from its .deb so that it does not clash with
#     another kubectl on the machine): `kubectl kustomize` over the manifests parses every document
#     into resources as `kubectl apply -f` would read them and refuses duplicates. (`kubectl apply
#     --dry-run=client` and `kubectl create --dry-run=client -f` need an API server for discovery even
#     with --validate=false, so they cannot run offline.)
#  2. node validate.mjs: each object against the OpenAPI schemas bundled in the npm package
#     kubernetes-models (the ServiceMonitor against the prometheus-operator CRD schema), the
#     references between the objects, and what docs/operations.md promises of them.
#  3. tsc (TypeScript) over the objects as typed literals: any field the API does not have.
#  4. fleetdeckd itself reads the ConfigMap's fleetdeckd.conf with the Deployment's environment
#     (`--print-config`), when a built fleetdeckd is found (FLEETDECKD=path, or build/*/app/fleetdeckd).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$root/build/k8s-check"
mkdir -p "$work"
export KUBECONFIG=/dev/null

echo "== kubectl kustomize (Debian kubernetes-client)"
kubectl="$work/kubectl/usr/bin/kubectl"
if [[ ! -x $kubectl ]]; then
  (cd "$work" && rm -f kubernetes-client_*.deb && { apt-get download kubernetes-client >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get download kubernetes-client >/dev/null; }; })
  dpkg-deb -x "$work"/kubernetes-client_*.deb "$work/kubectl"
fi
echo "   $("$kubectl" version --client --short 2>/dev/null || "$kubectl" version --client | head -n1)"
rm -rf "$work/kustomize" && mkdir -p "$work/kustomize"
manifests=()
for f in "$here"/*.yaml; do
  manifests+=("$(basename "$f")")
  cp "$f" "$work/kustomize/"
done
{
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n'
  printf '  - %s\n' "${manifests[@]}"
} >"$work/kustomize/kustomization.yaml"
"$kubectl" kustomize "$work/kustomize" >"$work/all.yaml"
awk '/^kind:/ {k = $2} /^metadata:/ {m = 1} m && /^  name:/ {print "   parsed: " k "/" $2; m = 0}' "$work/all.yaml"

echo "== schemas (npm kubernetes-models, @kubernetes-models/prometheus-operator), references"
command -v node >/dev/null && command -v npm >/dev/null || "$root/packaging/install-debian-deps.sh" <(printf 'nodejs\nnpm\n')
if [[ ! -d $work/node_modules/typescript ]]; then
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$work" kubernetes-models@5.1.0 \
    @kubernetes-models/prometheus-operator@6.0.0 yaml@2.9.1 typescript@5.9.3 >/dev/null
fi
cp "$here/validate.mjs" "$work/validate.mjs"
(cd "$work" && node validate.mjs "$here" "$work/manifests.ts")

echo "== unknown fields (tsc over typed literals)"
cat >"$work/tsconfig.json" <<'EOF'
{ "compilerOptions": { "strict": true, "noEmit": true, "module": "nodenext", "moduleResolution": "nodenext",
                       "target": "es2022", "skipLibCheck": true, "types": [] },
  "files": ["manifests.ts"] }
EOF
(cd "$work" && node_modules/.bin/tsc -p tsconfig.json)
echo "   ok: no field unknown to the API"

echo "== fleetdeckd reads the ConfigMap's fleetdeckd.conf"
fleetdeckd="${FLEETDECKD:-}"
if [[ -z $fleetdeckd ]]; then
  fleetdeckd="$(ls -t "$root"/build/*/app/fleetdeckd 2>/dev/null | head -n1 || true)"
fi
if [[ -n $fleetdeckd && -x $fleetdeckd ]]; then
  (cd "$work" && node --input-type=module -e '
    import { readFileSync } from "node:fs";
    import { parse } from "yaml";
    process.stdout.write(parse(readFileSync(process.argv[1], "utf8")).data["fleetdeckd.conf"]);
  ' "$here/configmap.yaml") >"$work/fleetdeckd.conf"
  env -i PATH="$PATH" FLEETDECKD_CONFIG="$work/fleetdeckd.conf" FLEETDECKD_KAFKA_PROPERTIES_SASL_PASSWORD=x \
    FLEETDECKD_SERVER_LISTEN=0.0.0.0 "$fleetdeckd" --print-config >"$work/effective.conf"
  grep -q '^format = json' "$work/effective.conf" && grep -q '^sasl.password = \*\*\*' "$work/effective.conf"
  echo "   ok: $fleetdeckd --print-config accepts it (log.format json, sasl.password from the Secret's variable)"
  echo "k8s-check: 4 passed, 0 failed"
else
  echo "   skipped: no built fleetdeckd (set FLEETDECKD=path)"
  echo "k8s-check: 3 passed, 0 failed, 1 skipped"
fi
