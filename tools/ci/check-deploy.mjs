// Checks of docker/ and deploy/ that need no Docker engine or cluster. Called by tools/ci/check-deploy.sh.
//   node tools/ci/check-deploy.mjs static                 Dockerfiles, .dockerignore, compose, Kubernetes YAML
//   node tools/ci/check-deploy.mjs natives DIR gpu|cpu    a `dotnet publish -r linux-x64` folder holds linux-x64 natives only
//   node tools/ci/check-deploy.mjs jsonlines FILE...      every non-empty line of the files is a JSON object
// Prints one line per check; exits 1 when any fails.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import YAML from "yaml";
import { Deployment } from "kubernetes-models/apps/v1";
import { ConfigMap, PersistentVolumeClaim, Secret, Service } from "kubernetes-models/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";

// JSON schemas of the Kubernetes API (kubernetes-models) for the kinds under deploy/.
const k8sModels = { "apps/v1/Deployment": Deployment, "v1/ConfigMap": ConfigMap, "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/Secret": Secret, "v1/Service": Service, "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget };

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
let failures = 0;
let passes = 0;

function check(ok, what, detail = "") {
  if (ok) passes++;
  else failures++;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? ` (${detail})` : ""}`);
  return ok;
}

function rel(p) {
  return path.relative(repo, p) || ".";
}

// ---------------------------------------------------------------------------------------------------------------
// .dockerignore with Docker's rules: patterns are cleaned paths relative to the context root; `*` and `?` stay
// within one path segment, `**` crosses segments; a path is excluded when the last pattern matching it or one
// of its parent folders is not a `!` exception.
function loadDockerignore() {
  const file = path.join(repo, ".dockerignore");
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const exception = l.startsWith("!");
      let p = (exception ? l.slice(1) : l).trim();
      p = path.posix.normalize(p).replace(/^\/+/, "").replace(/\/+$/, "");
      return { exception, regex: globToRegex(p), text: l };
    });
}

function globToRegex(glob) {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") {
      if (glob[i + 1] === "*") {
        i++;
        if (glob[i + 1] === "/") {
          i++;
          re += "(?:.*/)?";
        } else re += ".*";
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

function ignored(rules, relPath) {
  const parts = relPath.split("/");
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let excluded = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.regex.test(c))) excluded = !rule.exception;
  }
  return excluded;
}

function filesUnder(abs) {
  const st = fs.statSync(abs);
  if (!st.isDirectory()) return [abs];
  return fs.readdirSync(abs).flatMap((n) => filesUnder(path.join(abs, n)));
}

// ---------------------------------------------------------------------------------------------------------------
function argsOf(instruction) {
  return instruction.getArguments().map((a) => a.getValue());
}

function flagsOf(instruction) {
  const flags = {};
  for (const f of instruction.getFlags ? instruction.getFlags() : []) flags[f.getName()] = f.getValue();
  return flags;
}

function checkDockerfile(file, variant) {
  const name = rel(file);
  const content = fs.readFileSync(file, "utf8");
  const diagnostics = validate(content);
  check(
    diagnostics.length === 0,
    `${name}: parses and lints clean (dockerfile-utils ${pkgVersion("dockerfile-utils")})`,
    diagnostics.map((d) => `line ${d.range.start.line + 1}: ${d.message}`).join("; "),
  );

  const df = DockerfileParser.parse(content);
  const initialArgs = {};
  for (const arg of df.getInitialARGs()) {
    const [k, v] = argsOf(arg).join(" ").split("=");
    initialArgs[k] = v ?? "";
  }
  const expand = (s) => s.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, k) => initialArgs[k] ?? "");

  // Stages in order; FROM <image> [AS name].
  const froms = df.getFROMs();
  const stages = froms.map((f) => ({ image: f.getImageName() ? argsOf(f).filter((a) => !a.startsWith("--"))[0] : "", name: f.getBuildStage() }));
  const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));
  check(froms.length >= 2, `${name}: multi-stage (${froms.length} stages: ${stages.map((s) => s.name || "final").join(", ")})`);
  for (const s of stages) {
    const image = expand(s.image);
    if (image !== "scratch" && !image.includes("/") && !image.includes(":") && !image.includes(".")) {
      check(stageNames.has(image), `${name}: FROM ${s.image} names a stage defined earlier`, `resolves to '${image}'`);
    }
  }

  // The bundle stage switch: every documented ATLAS_BUNDLE value selects a stage.
  if ("ATLAS_BUNDLE" in initialArgs) {
    for (const value of ["none", "convert"]) {
      check(stageNames.has(`bundle-${value}`), `${name}: --build-arg ATLAS_BUNDLE=${value} selects stage bundle-${value}`);
    }
  }

  // COPY sources from the build context exist and survive .dockerignore.
  const rules = loadDockerignore();
  for (const copy of df.getCOPYs()) {
    const flags = flagsOf(copy);
    const args = copy.getArguments().map((a) => a.getValue()).filter((a) => !a.startsWith("--"));
    if ("from" in flags) {
      const from = expand(flags.from);
      check(stageNames.has(from) || from.includes("/"), `${name}: COPY --from=${flags.from} names a stage or image`);
      continue;
    }
    for (const src of args.slice(0, -1)) {
      if (/[*?[]/.test(src)) {
        check(false, `${name}: COPY ${src}: wildcards are not checked by this script; name paths`);
        continue;
      }
      const abs = path.join(repo, src);
      if (!fs.existsSync(abs)) {
        check(false, `${name}: COPY source ${src} exists`, "missing");
        continue;
      }
      const all = filesUnder(abs)
        .map((f) => path.relative(repo, f).split(path.sep).join("/"))
        .filter((f) => !/(^|\/)(bin|obj)\//.test(f));
      const dropped = all.filter((f) => ignored(rules, f));
      check(dropped.length === 0, `${name}: COPY source ${src} exists and .dockerignore keeps it (${all.length} files)`, dropped.slice(0, 5).join(", ") + (dropped.length ? " excluded" : ""));
    }
  }

  // The final stage: non-root, port 8000, health check on /healthz, entry point.
  const finalFrom = froms[froms.length - 1];
  const finalLine = finalFrom.getRange().start.line;
  const inFinal = (i) => i.getRange().start.line > finalLine;
  const finalInstructions = df.getInstructions().filter(inFinal);
  const users = finalInstructions.filter((i) => i.getKeyword() === "USER").map((i) => argsOf(i).join(" "));
  const user = users[users.length - 1] ?? "";
  check(user !== "" && !/^(0|root)(:|$)/.test(user), `${name}: runs as a non-root user`, `USER ${user || "(none)"}`);
  const env = finalInstructions
    .filter((i) => i.getKeyword() === "ENV")
    .flatMap((i) => i.getProperties().map((p) => [p.getName(), p.getValue()]));
  const envMap = Object.fromEntries(env);
  check(envMap.ASPNETCORE_HTTP_PORTS === "8000", `${name}: ASPNETCORE_HTTP_PORTS=8000 by default`);
  const expose = finalInstructions.filter((i) => i.getKeyword() === "EXPOSE").flatMap(argsOf);
  check(expose.includes("8000"), `${name}: EXPOSE 8000`);
  const health = finalInstructions.filter((i) => i.getKeyword() === "HEALTHCHECK");
  const healthText = health.map((h) => h.getRawArgumentsContent()).join(" ");
  const copiedScripts = df
    .getCOPYs()
    .filter(inFinal)
    .map((c) => c.getArguments().map((a) => a.getValue()).filter((a) => !a.startsWith("--")));
  const healthScript = copiedScripts.find((a) => healthText.includes(a[a.length - 1]));
  const probesHealthz =
    healthText.includes("/healthz") ||
    (healthScript !== undefined && fs.readFileSync(path.join(repo, healthScript[0]), "utf8").includes("/healthz"));
  check(health.length === 1 && probesHealthz, `${name}: HEALTHCHECK requests /healthz`, healthScript ? `via ${healthScript[0]}` : "");
  const entry = finalInstructions.filter((i) => i.getKeyword() === "ENTRYPOINT").map((i) => i.getRawArgumentsContent()).join("");
  check(copiedScripts.some((a) => entry.includes(a[a.length - 1]) && a[0] === "docker/entrypoint.sh"), `${name}: ENTRYPOINT is docker/entrypoint.sh`);

  // Variant specifics.
  const runs = df.getInstructions().filter((i) => i.getKeyword() === "RUN").map((i) => i.getRawArgumentsContent());
  const publish = runs.find((r) => r.includes("dotnet publish")) ?? "";
  const restore = runs.find((r) => r.includes("dotnet restore")) ?? "";
  check(publish.includes("-r linux-x64") && restore.includes("-r linux-x64"), `${name}: restores and publishes for linux-x64`);
  check(
    publish.includes(`-p:AtlasOnnxRuntime=${variant}`) && restore.includes(`-p:AtlasOnnxRuntime=${variant}`),
    `${name}: builds with the ${variant === "gpu" ? "Microsoft.ML.OnnxRuntime.Gpu" : "Microsoft.ML.OnnxRuntime (CPU)"} package`,
  );
  if (variant === "gpu") {
    const base = expand(finalFrom.getImageName() ? argsOf(finalFrom)[0] : "");
    check(/^nvidia\/cuda:13\.\d+\.\d+-cudnn-runtime-ubuntu24\.04$/.test(base), `${name}: runtime base is NVIDIA CUDA 13 + cuDNN runtime`, base);
    check(df.getCOPYs().some((c) => flagsOf(c).from === "aspnet"), `${name}: ASP.NET Core runtime copied in`);
  } else {
    check(envMap.ATLAS_EXECUTION_PROVIDER === "cpu", `${name}: ATLAS_EXECUTION_PROVIDER=cpu (CUDA never tried)`);
  }
}

function pkgVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(repo, "tools/ci/node_modules", name, "package.json"), "utf8")).version;
}

// ---------------------------------------------------------------------------------------------------------------
function parseYamlFile(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { merge: true });
  const errors = docs.flatMap((d) => d.errors.map((e) => e.message));
  check(errors.length === 0, `${rel(file)}: YAML parses`, errors.join("; "));
  return docs.map((d) => d.toJS({ maxAliasCount: 100 })).filter((d) => d != null);
}

function checkCompose() {
  const file = path.join(repo, "docker/compose.yaml");
  const [compose] = parseYamlFile(file);
  const services = compose?.services ?? {};
  for (const [svc, variant] of [["atlas", "gpu"], ["atlas-cpu", "cpu"]]) {
    const s = services[svc];
    if (!check(s !== undefined, `compose: service ${svc} defined`)) continue;
    const dockerfile = path.join(path.dirname(file), s.build?.context ?? ".", s.build?.dockerfile ?? "Dockerfile");
    check(fs.existsSync(dockerfile), `compose: ${svc} builds ${rel(dockerfile)}`);
    const mount = (s.volumes ?? []).find((v) => (typeof v === "string" ? v.includes(":/models") : v.target === "/models"));
    check(mount !== undefined && (typeof mount === "string" ? mount.endsWith(":ro") : mount.read_only === true), `compose: ${svc} mounts the model folder read-only at /models`);
    check(JSON.stringify(s.healthcheck?.test ?? "").includes("atlas-healthcheck"), `compose: ${svc} has a health check`);
    check((s.ports ?? []).some((p) => String(p).endsWith(":8000")), `compose: ${svc} publishes container port 8000`);
    const env = s.environment ?? [];
    check((Array.isArray(env) ? env : Object.keys(env)).some((e) => String(e).startsWith("GOOGLE_API_KEY")), `compose: ${svc} passes GOOGLE_API_KEY`);
    const devices = s.deploy?.resources?.reservations?.devices ?? [];
    const gpu = devices.some((d) => d.driver === "nvidia" && (d.capabilities ?? []).includes("gpu"));
    check(variant === "gpu" ? gpu : !gpu, `compose: ${svc} ${variant === "gpu" ? "reserves an NVIDIA GPU" : "reserves no GPU"}`);
  }
}

function matches(selector, labels) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

function checkKubernetes() {
  const dir = path.join(repo, "deploy/kubernetes");
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const objects = [];
  for (const f of files) {
    for (const doc of parseYamlFile(path.join(dir, f))) {
      const named = typeof doc.apiVersion === "string" && typeof doc.kind === "string" && (doc.kind === "Kustomization" || typeof doc.metadata?.name === "string");
      check(named, `${f}: ${doc.kind ?? "?"} ${doc.metadata?.name ?? ""} has apiVersion, kind and metadata.name`.replace(/ +/g, " "));
      const Model = k8sModels[`${doc.apiVersion}/${doc.kind}`];
      if (doc.kind !== "Kustomization") {
        let error = Model ? "" : `no schema for ${doc.apiVersion} ${doc.kind}`;
        try {
          if (Model) new Model(doc).validate();
        } catch (e) {
          error = e.message;
        }
        check(error === "", `${f}: ${doc.kind} valid against the Kubernetes API schema (kubernetes-models ${pkgVersion("kubernetes-models")})`, error);
      }
      objects.push({ file: f, ...doc });
    }
  }
  const kustomization = objects.find((o) => o.kind === "Kustomization");
  if (check(kustomization !== undefined, "kustomization.yaml present")) {
    for (const r of kustomization.resources ?? []) check(fs.existsSync(path.join(dir, r)), `kustomization resource ${r} exists`);
  }
  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const [deploy] = byKind("Deployment");
  if (!check(deploy !== undefined, "a Deployment is defined")) return;
  const pod = deploy.spec?.template ?? {};
  check(matches(deploy.spec?.selector?.matchLabels, pod.metadata?.labels), "Deployment selector matches its pod labels");
  const c = pod.spec?.containers?.[0] ?? {};
  const ports = Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]));
  check(ports.http === 8000, "container port 'http' is 8000");
  const probe = (p) => (p?.httpGet ? `${p.httpGet.path}@${typeof p.httpGet.port === "string" ? ports[p.httpGet.port] : p.httpGet.port}` : "none");
  check(probe(c.readinessProbe) === "/healthz@8000", "readinessProbe: GET /healthz on 8000", probe(c.readinessProbe));
  check(probe(c.livenessProbe) === "/livez@8000", "livenessProbe: GET /livez on 8000", probe(c.livenessProbe));
  check(c.startupProbe === undefined || probe(c.startupProbe).startsWith("/livez"), "startupProbe (if any) on /livez", probe(c.startupProbe));
  const gpu = Number(c.resources?.limits?.["nvidia.com/gpu"] ?? 0);
  check(gpu >= 1, "container limits nvidia.com/gpu", `limits.nvidia.com/gpu=${gpu}`);
  check(["cpu", "memory"].every((r) => c.resources?.requests?.[r] && c.resources?.limits?.[r]), "CPU and memory requests and limits set");
  const mount = (c.volumeMounts ?? []).find((m) => m.mountPath === "/models");
  const volume = (pod.spec?.volumes ?? []).find((v) => v.name === mount?.name);
  check(mount?.readOnly === true && volume !== undefined, "model volume mounted read-only at /models", volume ? Object.keys(volume).filter((k) => k !== "name").join(",") : "");
  const env = c.env ?? [];
  const secretKeys = env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
  check(["GOOGLE_API_KEY", "ATLAS_API_KEYS"].every((k) => secretKeys.includes(k)), "GOOGLE_API_KEY and ATLAS_API_KEYS come from a Secret", secretKeys.join(","));
  const configMaps = (c.envFrom ?? []).map((e) => e.configMapRef?.name).filter(Boolean);
  check(configMaps.length > 0 && configMaps.every((n) => byKind("ConfigMap").some((m) => m.metadata.name === n)), "envFrom ConfigMap is defined", configMaps.join(","));
  const sc = { ...pod.spec?.securityContext, ...c.securityContext };
  check(sc.runAsNonRoot === true && sc.allowPrivilegeEscalation === false, "pod runs as non-root without privilege escalation");

  const [svc] = byKind("Service");
  check(svc !== undefined && matches(svc.spec?.selector, pod.metadata?.labels), "Service selects the Deployment's pods");
  check((svc?.spec?.ports ?? []).some((p) => p.targetPort === "http" || p.targetPort === 8000), "Service targets the http port");
  const [hpa] = byKind("HorizontalPodAutoscaler");
  check(
    hpa?.apiVersion === "autoscaling/v2" && hpa.spec?.scaleTargetRef?.kind === "Deployment" && hpa.spec.scaleTargetRef.name === deploy.metadata.name,
    "HorizontalPodAutoscaler (autoscaling/v2) scales the Deployment",
    hpa ? `${hpa.spec.minReplicas}..${hpa.spec.maxReplicas} replicas` : "",
  );
  const [pdb] = byKind("PodDisruptionBudget");
  check(pdb?.apiVersion === "policy/v1" && matches(pdb.spec?.selector?.matchLabels, pod.metadata?.labels), "PodDisruptionBudget (policy/v1) covers the pods");
  const pvc = volume?.persistentVolumeClaim?.claimName;
  if (pvc) check(byKind("PersistentVolumeClaim").some((p) => p.metadata.name === pvc), `PersistentVolumeClaim ${pvc} is defined`);
}

// ---------------------------------------------------------------------------------------------------------------
// deploy/kubernetes/scale: the overlay for jobs at scale (API + GPU workers on RabbitMQ and PostgreSQL, KEDA).
// Kubernetes kinds are validated against the API schema; KEDA's ScaledObject and TriggerAuthentication are CRDs
// that kubernetes-models does not know, so they are checked structurally (fields KEDA requires, references).
// Files the Kustomization lists as patches are partial objects: checked for their target, not the schema.
function checkKubernetesScale() {
  const base = path.join(repo, "deploy/kubernetes");
  const dir = path.join(base, "scale");
  if (!check(fs.existsSync(path.join(dir, "kustomization.yaml")), "scale/kustomization.yaml present")) return;
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const [kustomization] = parseYamlFile(path.join(dir, "kustomization.yaml"));
  const patchFiles = new Set((kustomization.patches ?? []).map((p) => p.path).filter(Boolean));
  const objects = [];
  for (const f of files) {
    if (f === "kustomization.yaml") continue;
    for (const doc of parseYamlFile(path.join(dir, f))) {
      const named = typeof doc.apiVersion === "string" && typeof doc.kind === "string" && typeof doc.metadata?.name === "string";
      check(named, `scale/${f}: ${doc.kind ?? "?"} ${doc.metadata?.name ?? ""} has apiVersion, kind and metadata.name`.replace(/ +/g, " "));
      objects.push({ file: f, patch: patchFiles.has(f), ...doc });
      if (patchFiles.has(f) || doc.apiVersion === "keda.sh/v1alpha1") continue;
      const Model = k8sModels[`${doc.apiVersion}/${doc.kind}`];
      let error = Model ? "" : `no schema for ${doc.apiVersion} ${doc.kind}`;
      try {
        if (Model) new Model(doc).validate();
      } catch (e) {
        error = e.message;
      }
      check(error === "", `scale/${f}: ${doc.kind} valid against the Kubernetes API schema`, error);
    }
  }
  for (const r of kustomization.resources ?? []) {
    const target = path.join(dir, r);
    check(fs.existsSync(target) && (!fs.statSync(target).isDirectory() || fs.existsSync(path.join(target, "kustomization.yaml"))), `scale kustomization resource ${r} exists`);
  }
  const baseObjects = fs.readdirSync(base).filter((f) => /\.ya?ml$/.test(f)).flatMap((f) =>
    YAML.parseAllDocuments(fs.readFileSync(path.join(base, f), "utf8")).map((d) => ({ file: f, ...d.toJS() })));
  const all = [...baseObjects.filter((o) => !/\.example\.ya?ml$/.test(o.file)), ...objects.filter((o) => !o.patch && !/\.example\.ya?ml$/.test(o.file))];
  const find = (kind, name) => all.find((o) => o.kind === kind && o.metadata?.name === name);
  for (const f of patchFiles) {
    const patch = objects.find((o) => o.file === f);
    check(patch !== undefined && find(patch.kind, patch.metadata?.name) !== undefined, `scale/${f}: patches an existing ${patch?.kind} ${patch?.metadata?.name}`);
  }

  const worker = objects.find((o) => o.kind === "Deployment" && !o.patch);
  if (!check(worker !== undefined, "scale: a worker Deployment is defined")) return;
  const pod = worker.spec?.template ?? {};
  check(matches(worker.spec?.selector?.matchLabels, pod.metadata?.labels), "worker Deployment selector matches its pod labels");
  const c = pod.spec?.containers?.[0] ?? {};
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));
  check(env.JOBS_ROLE?.value === "worker", "worker runs the same image in the worker role (JOBS_ROLE=worker)", `image ${c.image}`);
  const api = baseObjects.find((o) => o.kind === "Deployment");
  check(c.image === api?.spec?.template?.spec?.containers?.[0]?.image, "worker image is the API's image", `${c.image} vs ${api?.spec?.template?.spec?.containers?.[0]?.image}`);
  check(["JOBS_RABBITMQ_URI", "JOBS_POSTGRES"].every((k) => env[k]?.valueFrom?.secretKeyRef?.name), "worker: JOBS_RABBITMQ_URI and JOBS_POSTGRES come from a Secret");
  const configMaps = (c.envFrom ?? []).map((e) => e.configMapRef?.name).filter(Boolean);
  check(configMaps.length > 0 && configMaps.every((n) => find("ConfigMap", n)), "worker: envFrom ConfigMaps are defined", configMaps.join(","));
  const jobsConfig = configMaps.map((n) => find("ConfigMap", n)?.data ?? {}).reduce((a, b) => ({ ...a, ...b }), {});
  check(jobsConfig.JOBS_BROKER === "rabbitmq" && jobsConfig.JOBS_STORE === "postgres", "worker: JOBS_BROKER=rabbitmq, JOBS_STORE=postgres", `${jobsConfig.JOBS_BROKER}, ${jobsConfig.JOBS_STORE}`);
  check(Number(c.resources?.limits?.["nvidia.com/gpu"] ?? 0) >= 1, "worker limits nvidia.com/gpu");
  const sc = { ...pod.spec?.securityContext, ...c.securityContext };
  check(sc.runAsNonRoot === true && sc.allowPrivilegeEscalation === false, "worker runs as non-root without privilege escalation");
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim) check(find("PersistentVolumeClaim", v.persistentVolumeClaim.claimName) !== undefined, `worker: PersistentVolumeClaim ${v.persistentVolumeClaim.claimName} is defined`);
  }

  const scaled = objects.find((o) => o.kind === "ScaledObject");
  if (!check(scaled?.apiVersion === "keda.sh/v1alpha1", "scale: a KEDA ScaledObject (keda.sh/v1alpha1) is defined (CRD: structural checks, no API schema)")) return;
  const ref = scaled.spec?.scaleTargetRef ?? {};
  check(ref.name === worker.metadata.name && (ref.kind ?? "Deployment") === "Deployment", "ScaledObject scales the worker Deployment", ref.name);
  const min = scaled.spec?.minReplicaCount ?? 0;
  const max = scaled.spec?.maxReplicaCount ?? 100;
  check(Number.isInteger(min) && Number.isInteger(max) && min >= 0 && max >= Math.max(1, min), "ScaledObject replica bounds", `${min}..${max}`);
  const triggers = scaled.spec?.triggers ?? [];
  const rabbit = triggers.find((t) => t.type === "rabbitmq");
  if (!check(rabbit !== undefined, "ScaledObject has a rabbitmq trigger")) return;
  const md = rabbit.metadata ?? {};
  check(md.queueName === (jobsConfig.JOBS_QUEUE ?? "atlas-jobs"), "rabbitmq trigger watches the job queue (JOBS_QUEUE)", md.queueName);
  check(["QueueLength", "MessageRate"].includes(md.mode) && /^\d+(\.\d+)?$/.test(String(md.value ?? "")), "rabbitmq trigger: mode QueueLength/MessageRate with a numeric value (a string)", `${md.mode}=${md.value}`);
  check(["amqp", "http", "auto", undefined].includes(md.protocol), "rabbitmq trigger: protocol amqp, http or auto", md.protocol);
  const auth = find("TriggerAuthentication", rabbit.authenticationRef?.name);
  check(auth?.apiVersion === "keda.sh/v1alpha1", "rabbitmq trigger's authenticationRef names a TriggerAuthentication", rabbit.authenticationRef?.name);
  const host = (auth?.spec?.secretTargetRef ?? []).find((r) => r.parameter === "host");
  check(host !== undefined && host.name && host.key, "TriggerAuthentication gives the trigger its host from a Secret", host ? `${host.name}/${host.key}` : "");
  check(host?.name === env.JOBS_RABBITMQ_URI?.valueFrom?.secretKeyRef?.name && host?.key === env.JOBS_RABBITMQ_URI?.valueFrom?.secretKeyRef?.key,
    "the scaler and the workers read the same RabbitMQ URI");
}

// ---------------------------------------------------------------------------------------------------------------
// ELF: class 64-bit and machine x86-64. PE (.dll): managed assemblies only (CLR header present).
function nativeKind(file) {
  const fd = fs.openSync(file, "r");
  try {
    const head = Buffer.alloc(4096);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    if (n >= 20 && head.readUInt32BE(0) === 0x7f454c46) {
      const is64 = head[4] === 2;
      const machine = head.readUInt16LE(18);
      return is64 && machine === 0x3e ? "elf-x64" : `elf(class ${head[4]}, machine 0x${machine.toString(16)})`;
    }
    if (n >= 4 && [0xfeedfacf, 0xcffaedfe, 0xfeedface, 0xcefaedfe, 0xcafebabe].includes(head.readUInt32BE(0))) return "mach-o";
    if (n >= 64 && head.toString("latin1", 0, 2) === "MZ") {
      const pe = head.readUInt32LE(0x3c);
      if (pe + 24 > n || head.toString("latin1", pe, pe + 4) !== "PE\0\0") return "pe(unreadable)";
      const opt = pe + 24;
      const magic = head.readUInt16LE(opt);
      const dirs = opt + (magic === 0x20b ? 112 : 96);
      const clrRva = head.readUInt32LE(dirs + 14 * 8);
      return clrRva !== 0 ? "managed" : "pe-native";
    }
    return "other";
  } finally {
    fs.closeSync(fd);
  }
}

function checkNatives(dir, variant) {
  const files = filesUnder(dir).map((f) => ({ f, r: path.relative(dir, f).split(path.sep).join("/") }));
  const kinds = files.map(({ f, r }) => ({ r, kind: nativeKind(f), size: fs.statSync(f).size }));
  const natives = kinds.filter((k) => k.kind.startsWith("elf") || k.kind.startsWith("pe-") || k.kind === "mach-o" || /\.(so|dylib)(\.|$)/.test(k.r));
  for (const n of natives) console.log(`     native ${n.r} ${n.kind} ${(n.size / 1048576).toFixed(1)} MB`);
  const apphost = kinds.find((k) => k.r === "Atlas.Api");
  const bad = natives.filter((n) => n.kind !== "elf-x64");
  check(bad.length === 0, `${variant}: every native file is a linux-x64 ELF (${natives.length} natives, apphost ${apphost?.kind ?? "missing"})`, bad.map((b) => `${b.r}: ${b.kind}`).join(", "));
  check(!files.some(({ r }) => r.startsWith("runtimes/")), `${variant}: no runtimes/<rid>/ folders (natives flattened for linux-x64)`);
  const managed = kinds.filter((k) => k.kind === "managed").length;
  check(managed > 10, `${variant}: ${managed} managed assemblies`);
  const names = new Set(natives.map((n) => n.r));
  for (const lib of ["libonnxruntime.so", "libSkiaSharp.so"]) check(names.has(lib), `${variant}: ${lib} present`);
  check(
    names.has("libonnxruntime_providers_cuda.so") === (variant === "gpu"),
    `${variant}: CUDA provider library ${variant === "gpu" ? "present" : "absent"}`,
  );
  const total = kinds.reduce((s, k) => s + k.size, 0);
  console.log(`     ${variant}: ${files.length} files, ${(total / 1048576).toFixed(1)} MiB`);
}

function checkJsonLines(files) {
  for (const file of files) {
    const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "");
    const bad = lines.filter((l) => {
      try {
        return typeof JSON.parse(l) !== "object";
      } catch {
        return true;
      }
    });
    check(bad.length === 0, `${path.basename(file)}: ${lines.length} log lines, all JSON`, bad.slice(0, 2).map((b) => b.slice(0, 160)).join(" | "));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The checker's own rules on known cases, so a broken matcher or PE reader cannot pass everything.
function selfTest() {
  const rules = loadDockerignore();
  const cases = [
    ["src/Atlas.Api/Program.cs", false],
    ["src/Atlas.Api/bin/Release/x.dll", true],
    ["docker/entrypoint.sh", false],
    ["docker/compose.yaml", true],
    ["tools/convert/requirements.txt", false],
    ["tools/convert/make_standins.py", true],
    ["tools/ci/check-deploy.mjs", true],
    ["tests/Atlas.Api.Tests/x.cs", true],
    ["README.md", true],
  ];
  const wrong = cases.filter(([p, want]) => ignored(rules, p) !== want);
  check(wrong.length === 0, `self-test: .dockerignore matcher on ${cases.length} known paths`, wrong.map(([p]) => p).join(", "));
  const managed = path.join(repo, "tools/ci/node_modules/dockerfile-ast/package.json");
  check(nativeKind(managed) === "other", "self-test: a text file is not taken for a native library");
  const winNative = path.join(process.env.HOME ?? "", ".nuget/packages/microsoft.ml.onnxruntime.gpu.windows/1.31.0/runtimes/win-x64/native/onnxruntime.dll");
  if (fs.existsSync(winNative)) check(nativeKind(winNative) === "pe-native", "self-test: the Windows onnxruntime.dll is recognised as a native PE");
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === "static") {
  selfTest();
  checkDockerfile(path.join(repo, "docker/Dockerfile"), "gpu");
  checkDockerfile(path.join(repo, "docker/Dockerfile.cpu"), "cpu");
  checkCompose();
  checkKubernetes();
  checkKubernetesScale();
} else if (mode === "natives" && rest.length === 2) {
  checkNatives(path.resolve(rest[0]), rest[1]);
} else if (mode === "jsonlines" && rest.length > 0) {
  checkJsonLines(rest);
} else {
  console.error("usage: check-deploy.mjs static | natives DIR gpu|cpu | jsonlines FILE...");
  process.exit(2);
}
console.log(`${mode}: ${passes} checks passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
