/**
 * What is checked of the Kubernetes chart on a machine without a cluster (`npm run helm:check`, and
 * network/test/helm.test.ts): `helm lint --strict` and `helm template` of every release, then every rendered object
 * validated against the Kubernetes OpenAPI schema of its kind (the `kubernetes-models` package, offline), and
 * checked for fields the schemas do not know (unknownFields()).
 *
 * Helm is built from its pinned Go module (network/tools/helm) into the same cache as Fabric's tools, only here:
 * `npm start` never needs it. A helm of the pinned version on PATH is used as it is.
 */
import { parseAllDocuments } from 'yaml';
import { buildGroup, findInstalled, type ToolGroup } from './binaries.ts';
import { CHART_DIR, releases, type HelmRelease } from './helm.ts';
import { REPO_ROOT } from './paths.ts';
import { info, UserError } from './log.ts';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

export const HELM_VERSION = 'v3.22.0';
/**
 * The Kubernetes version helm assumes without a cluster (.Capabilities.KubeVersion), set at build time as Helm's
 * own Makefile does: from the k8s.io/client-go it is built with (v0.37 → 1.37).
 */
const KUBE_MAJOR = '1';
const KUBE_MINOR = '37';

const HELM: ToolGroup = {
  group: 'helm',
  module: 'helm.sh/helm/v3',
  version: HELM_VERSION,
  ldflags: [
    '-s -w',
    `-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`,
    `-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=${KUBE_MAJOR}`,
    `-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${KUBE_MINOR}`,
    `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=${KUBE_MAJOR}`,
    `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${KUBE_MINOR}`,
  ].join(' '),
  cgo: false,
  binaries: [
    {
      name: 'helm',
      pkg: 'helm.sh/helm/v3/cmd/helm',
      versionMarker: `Version:"${HELM_VERSION}"`,
      versionArgs: ['version'],
    },
  ],
};

/** The helm binary: on PATH with the pinned version, or built (minutes, once) into the cache. */
export async function ensureHelm(): Promise<string> {
  const spec = HELM.binaries[0]!;
  const installed = await findInstalled(spec);
  if (installed) return installed;
  return join(await buildGroup(HELM, [spec]), spec.name);
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/**
 * Runs helm; a failure throws with all it printed: lint reports its findings on stdout and only its verdict on
 * stderr, template the reverse.
 */
export function runHelm(helm: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(helm, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const said = `${stdout}\n${stderr}`.trim();
      reject(new UserError(`helm ${args.slice(0, 2).join(' ')} failed:\n${said}`));
    });
  });
}

/** Helm's flags that choose a release's values and namespace; extra values files (tests) come last. */
function releaseArgs(r: HelmRelease, extraValues: readonly string[]): string[] {
  return ['--namespace', r.namespace, '-f', r.valuesFile, ...extraValues.flatMap((f) => ['-f', f])];
}

/** `helm lint --strict` of the chart with the release's values; throws with helm's own report on a failure. */
export async function lintRelease(
  helm: string,
  r: HelmRelease,
  extraValues: readonly string[] = [],
): Promise<string> {
  return runHelm(helm, ['lint', '--strict', CHART_DIR, ...releaseArgs(r, extraValues)]);
}

/** `helm template` of one release, parsed into its objects (empty documents dropped). */
export async function renderRelease(
  helm: string,
  r: HelmRelease,
  extraValues: readonly string[] = [],
): Promise<K8sObject[]> {
  return parseManifests(await runHelm(helm, ['template', r.name, CHART_DIR, ...releaseArgs(r, extraValues)]));
}

export function parseManifests(text: string): K8sObject[] {
  const out: K8sObject[] = [];
  // YAML 1.1, as Kubernetes reads manifests: `yes` is a boolean and 0440 an octal number there.
  for (const doc of parseAllDocuments(text, { version: '1.1' })) {
    if (doc.errors.length > 0) throw new UserError(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value !== null) out.push(value);
  }
  return out;
}

/** The model of an apiVersion/kind in kubernetes-models: apps/v1 Deployment → kubernetes-models/apps/v1/Deployment. */
function modelPath(apiVersion: string, kind: string): string {
  if (!/^([a-z0-9.-]+\/)?v\d+((alpha|beta)\d+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    throw new UserError(`not a Kubernetes apiVersion/kind: '${apiVersion}' '${kind}'`);
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

type Model = new (data: unknown) => { validate(): void };

/**
 * Validates one object against the OpenAPI schema of its kind (types, required fields, enums, formats); an
 * apiVersion/kind that Kubernetes does not serve is an error too. Throws with the object and the schema's message.
 */
export async function validateObject(obj: K8sObject): Promise<void> {
  const where = `${obj.kind ?? '?'} ${obj.metadata?.name ?? '?'}`;
  let model: Model | undefined;
  try {
    const mod = (await import(modelPath(obj.apiVersion, obj.kind))) as Record<string, unknown>;
    model = mod[obj.kind] as Model | undefined;
  } catch {
    model = undefined;
  }
  if (typeof model !== 'function') {
    throw new UserError(`${where}: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
  }
  try {
    new model(obj).validate();
  } catch (e: unknown) {
    throw new UserError(`${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * The schema check above ignores fields the schema does not know (a misspelt `imagePullPolcy` passes). This one
 * finds them, as kubeconform's strict mode would: each object becomes an object literal typed with its kind's
 * interface from the same package, and the TypeScript compiler's excess-property check names every unknown field
 * (and any type or required-field error the schema check also reports). One compilation for all objects, ~2 s.
 * Returns one message per problem (empty: none).
 */
export function unknownFields(objects: readonly K8sObject[]): string[] {
  const imports = new Map<string, string>();
  const lines: string[] = [];
  objects.forEach((obj, i) => {
    const path = modelPath(obj.apiVersion, obj.kind);
    const alias = `T${obj.apiVersion.replace(/[^A-Za-z0-9]/g, '_')}_${obj.kind}`;
    imports.set(alias, `import type { I${obj.kind} as ${alias} } from '${path}';`);
    lines.push(
      `// ${obj.kind} ${obj.metadata?.name}`,
      `export const o${i}: ${alias} = ${JSON.stringify(obj)};`,
    );
  });
  const dir = mkdtempSync(join(tmpdir(), 'coffee-k8s-types-'));
  try {
    const file = join(dir, 'objects.ts');
    writeFileSync(file, [...imports.values(), ...lines].join('\n'));
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      // The package from this checkout, whatever directory the generated file is in.
      baseUrl: REPO_ROOT,
      paths: { 'kubernetes-models/*': ['node_modules/kubernetes-models/*'] },
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
      if (!d.file || d.start === undefined) return text;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const what = d.file.text.split('\n')[line - 1]?.replace(/^\/\/ /, '') ?? '';
      return `${what}: ${text}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `npm run helm:check`: every release linted, rendered and validated, one line each. */
export async function checkChart(): Promise<void> {
  const helm = await ensureHelm();
  const all: K8sObject[] = [];
  for (const r of releases()) {
    const t0 = Date.now();
    await lintRelease(helm, r);
    const objects = await renderRelease(helm, r);
    for (const obj of objects) await validateObject(obj);
    all.push(
      ...objects.map((o) => ({ ...o, metadata: { ...o.metadata, name: `${r.name}/${o.metadata.name}` } })),
    );
    info(
      `  ${r.name} (namespace ${r.namespace}): lint ok, ${objects.length} objects rendered and valid (${Date.now() - t0} ms)`,
    );
  }
  const t0 = Date.now();
  const unknown = unknownFields(all);
  if (unknown.length > 0)
    throw new UserError(`fields the Kubernetes schemas do not know:\n${unknown.join('\n')}`);
  info(`  ${all.length} objects: no unknown field (${Date.now() - t0} ms)`);
}
