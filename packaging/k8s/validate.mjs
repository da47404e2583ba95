// Offline validation of the manifests in this folder (packaging/k8s/check.sh installs the npm packages
// and runs it from its work directory): usage `node validate.mjs MANIFEST_DIR TS_OUT_FILE`.
//  1. every YAML document parses, and has apiVersion, kind and metadata.name and no namespace;
//  2. each object validates against the Kubernetes OpenAPI schema bundled in `kubernetes-models`
//     (the ServiceMonitor against the prometheus-operator CRD schema of `@kubernetes-models/prometheus-operator`):
//     types, required fields, enums, formats;
//  3. the schemas allow unknown fields, which the API server then drops or refuses, so each object
//     is also written as a typed TypeScript literal to TS_OUT_FILE, for `tsc` to flag any field the
//     API does not have (excess property checks);
//  4. what the schemas cannot know: the objects refer to each other correctly (selectors, port
//     names, ConfigMap and Secret names and keys) and say what docs/operations.md promises (replicas,
//     probes, resources, non-root, read-only root filesystem).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const [dir, tsOut] = process.argv.slice(2);
const models = {
  "v1/ConfigMap": ["kubernetes-models/v1/ConfigMap", "ConfigMap", "IConfigMap"],
  "v1/Secret": ["kubernetes-models/v1/Secret", "Secret", "ISecret"],
  "v1/Service": ["kubernetes-models/v1/Service", "Service", "IService"],
  "apps/v1/Deployment": ["kubernetes-models/apps/v1/Deployment", "Deployment", "IDeployment"],
  "policy/v1/PodDisruptionBudget": ["kubernetes-models/policy/v1/PodDisruptionBudget", "PodDisruptionBudget", "IPodDisruptionBudget"],
  "monitoring.coreos.com/v1/ServiceMonitor": ["@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor", "ServiceMonitor", "IServiceMonitor"],
};

let failures = 0;
const fail = (where, what) => {
  console.log(`   FAILED ${where}: ${what}`);
  failures++;
};
const objects = [];
const ts = [];
for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
  const docs = parseAllDocuments(readFileSync(join(dir, file), "utf8"));
  for (const doc of docs) {
    if (doc.errors.length) {
      fail(file, `YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const obj = doc.toJS();
    if (obj === null) continue;
    const where = `${file} ${obj.kind}/${obj.metadata?.name}`;
    if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
      fail(file, "apiVersion, kind and metadata.name are required");
      continue;
    }
    if (obj.metadata.namespace) fail(where, "has a namespace: these manifests are namespace-less");
    const model = models[`${obj.apiVersion}/${obj.kind}`];
    if (!model) {
      fail(where, `no schema known for ${obj.apiVersion} ${obj.kind}`);
      continue;
    }
    const [module, className, iface] = model;
    const Model = (await import(module))[className];
    try {
      new Model(obj).validate();
      console.log(`   schema ok: ${where} (${obj.apiVersion})`);
    } catch (e) {
      fail(where, `schema: ${e.message}`);
    }
    const alias = `T${ts.length}`;
    ts.push(`import type { ${iface} as ${alias} } from "${module}";`);
    ts.push(`// ${where}\nexport const o${ts.length}: ${alias} = ${JSON.stringify(obj, null, 2)};`);
    objects.push({ file, where, obj });
  }
}
writeFileSync(tsOut, ts.join("\n") + "\n");

// Cross-references and promises.
const find = (kind, name) => objects.find((o) => o.obj.kind === kind && (!name || o.obj.metadata.name === name));
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
const check = (where, ok, what) => (ok ? console.log(`   ok: ${where}: ${what}`) : fail(where, what));

const dep = find("Deployment");
const svc = find("Service");
const pdb = find("PodDisruptionBudget");
const sm = find("ServiceMonitor");
for (const [kind, o] of Object.entries({ Deployment: dep, Service: svc, PodDisruptionBudget: pdb, ServiceMonitor: sm, ConfigMap: find("ConfigMap"), Secret: find("Secret") }))
  if (!o) fail(dir, `no ${kind}`);
if (dep) {
  const d = dep.obj.spec;
  const pod = d.template.spec;
  const podLabels = d.template.metadata.labels;
  const c = pod.containers.find((x) => x.name === "fleetdeckd");
  const w = dep.where;
  check(w, matches(d.selector.matchLabels, podLabels), "selector matches the pod template's labels");
  check(w, d.replicas >= 2, `${d.replicas} replicas (at least 2)`);
  check(w, !!c, "has the fleetdeckd container");
  if (c) {
    const portNames = (c.ports ?? []).map((p) => p.name);
    check(w, c.readinessProbe?.httpGet?.path === "/readyz" && portNames.includes(c.readinessProbe.httpGet.port), "readiness probe GET /readyz on a declared port");
    check(w, c.livenessProbe?.httpGet?.path === "/healthz" && portNames.includes(c.livenessProbe.httpGet.port), "liveness probe GET /healthz on a declared port");
    check(w, !!(c.resources?.requests?.cpu && c.resources?.requests?.memory), "CPU and memory requests");
    check(w, c.securityContext?.readOnlyRootFilesystem === true && c.securityContext?.allowPrivilegeEscalation === false, "read-only root filesystem, no privilege escalation");
    check(w, (pod.securityContext?.runAsNonRoot || c.securityContext?.runAsNonRoot) === true && (pod.securityContext?.runAsUser ?? 0) > 0, "runs as a non-root user");
    check(w, (pod.topologySpreadConstraints ?? []).every((t) => matches(t.labelSelector?.matchLabels, podLabels)) && pod.topologySpreadConstraints?.length > 0, "topology spread over its own pods");
    for (const v of pod.volumes ?? []) {
      if (v.configMap) check(w, !!find("ConfigMap", v.configMap.name), `volume ${v.name}: ConfigMap ${v.configMap.name} is defined`);
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) {
        const s = find("Secret", ref.name);
        check(w, !!s && ref.key in { ...s.obj.data, ...s.obj.stringData }, `env ${e.name}: Secret ${ref.name} has key ${ref.key}`);
      }
      check(w, e.name.startsWith("FLEETDECKD_"), `env ${e.name} is a fleetdeckd variable`);
    }
    const cfg = c.env?.find((e) => e.name === "FLEETDECKD_CONFIG")?.value;
    const mounted = (c.volumeMounts ?? []).some((m) => cfg?.startsWith(m.mountPath + "/"));
    check(w, !!cfg && mounted, `FLEETDECKD_CONFIG (${cfg}) lies in a mounted volume`);
    if (svc) {
      const s = svc.obj.spec;
      check(svc.where, matches(s.selector, podLabels), "selector matches the Deployment's pods");
      check(svc.where, s.ports.every((p) => portNames.includes(p.targetPort) || typeof p.targetPort === "number"), "targetPort names a container port");
      check(svc.where, (s.sessionAffinity ?? "None") === "None", "no session affinity (one long connection per console)");
    }
    if (pdb) check(pdb.where, matches(pdb.obj.spec.selector.matchLabels, podLabels) && (pdb.obj.spec.maxUnavailable ?? 0) < d.replicas, "selects the Deployment's pods and leaves one running");
  }
}
if (sm && svc) {
  check(sm.where, matches(sm.obj.spec.selector.matchLabels, svc.obj.metadata.labels), "selector matches the Service's labels");
  const svcPorts = svc.obj.spec.ports.map((p) => p.name);
  check(sm.where, sm.obj.spec.endpoints.every((e) => svcPorts.includes(e.port) && e.path === "/metrics"), "endpoints scrape /metrics on a Service port");
}
console.log(`   ${objects.length} objects, ${failures} failure(s)`);
process.exit(failures ? 1 : 0);
