/**
 * The Kubernetes chart (network/helm/coffee-export) without a cluster: its generated values equal the generator's
 * output, `helm lint --strict` and `helm template` pass for every release, every rendered object validates against
 * the Kubernetes OpenAPI schema of its kind, and the releases hold exactly the org's (or the ordering service's)
 * nodes, wired by name. Helm is built from its pinned module on first use (minutes, once; then cached).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import {
  ensureHelm,
  lintRelease,
  parseManifests,
  renderRelease,
  runHelm,
  unknownFields,
  validateObject,
  type K8sObject,
} from '../src/helm-check.ts';
import { CHART_DIR, VALUES_DIR, helmValuesFiles, releases, type HelmRelease } from '../src/helm.ts';
import { CHAINCODES, ORDERER_ORG, PEER_ORGS, ordererIndexes } from '../src/orgs.ts';
import { REPO_ROOT } from '../src/paths.ts';

interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; valueFrom?: Record<string, { name: string; key: string }> }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  volumes?: {
    name: string;
    secret?: { secretName: string };
    configMap?: { name: string };
    persistentVolumeClaim?: { claimName: string };
  }[];
}
interface Workload extends K8sObject {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
}
interface Service extends K8sObject {
  spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] };
}

/** The root package's version: the tag of the images built from this repository, and the chart's appVersion. */
const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

const isWorkload = (o: K8sObject): o is Workload => o.kind === 'Deployment' || o.kind === 'StatefulSet';
const names = (objs: K8sObject[], kind: string): string[] =>
  objs
    .filter((o) => o.kind === kind)
    .map((o) => o.metadata.name)
    .sort();

describe('Kubernetes chart (helm)', () => {
  let helm: string;
  const rendered = new Map<string, K8sObject[]>();
  const scratch = mkdtempSync(join(tmpdir(), 'coffee-helm-'));
  const release = (name: string): HelmRelease => releases().find((r) => r.name === name)!;
  const ecta = (): K8sObject[] => rendered.get('ecta')!;

  before(async () => {
    const t0 = Date.now();
    // Builds helm from its pinned module when the cache has none (prints its progress).
    helm = await ensureHelm();
    process.stdout.write(`helm ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${helm}\n`);
    for (const r of releases()) rendered.set(r.name, await renderRelease(helm, r));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('has values files that are exactly what the generator produces from the org table (no drift)', () => {
    const generated = helmValuesFiles();
    const committed = readdirSync(VALUES_DIR).map((f) => join(VALUES_DIR, f));
    assert.deepEqual(committed.sort(), [...generated.keys()].sort(), 'one values file per release, no other');
    for (const [file, text] of generated) {
      assert.equal(
        readFileSync(file, 'utf8'),
        text,
        `${file.slice(REPO_ROOT.length + 1)}: run \`npm run helm:generate\` and commit the result`,
      );
    }
  });

  it("has the project's version as the chart's appVersion", () => {
    const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    assert.equal(chart.appVersion, version, 'set appVersion in network/helm/coffee-export/Chart.yaml');
  });

  it('has one release per org and one for the ordering service', () => {
    assert.deepEqual(
      releases().map((r) => `${r.name}@${r.namespace}`),
      [...PEER_ORGS.map((o) => `${o.id}@${o.id}`), 'orderers@orderer'],
    );
  });

  it('lints (helm lint --strict) with every release values file', async () => {
    for (const r of releases()) {
      const out = await lintRelease(helm, r);
      assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/, r.name);
    }
  });

  it('renders every release, and every object validates against its Kubernetes schema', async () => {
    for (const r of releases()) {
      const objs = rendered.get(r.name)!;
      assert.ok(objs.length > 0, `${r.name} renders objects`);
      for (const obj of objs) await validateObject(obj);
    }
  });

  it('renders no field that the Kubernetes schemas do not know (strict)', () => {
    assert.deepEqual(unknownFields([...rendered.values()].flat()), []);
  });

  it('gives an org release exactly its nodes: CA, peer, a server per chaincode, gateway, Postgres, kubo', () => {
    for (const org of PEER_ORGS) {
      const objs = rendered.get(org.id)!;
      assert.deepEqual(names(objs, 'StatefulSet'), ['ca', 'ipfs', 'peer0', 'postgres'], org.id);
      assert.deepEqual(
        names(objs, 'Deployment'),
        [...CHAINCODES.map((cc) => `cc-${cc.name}`), 'gateway'].sort(),
        org.id,
      );
      const images = objs
        .filter(isWorkload)
        .map((w) => w.spec.template.spec.containers[0]!.image)
        .sort();
      assert.deepEqual(images, [
        `coffee-export/chaincode:${version}`,
        `coffee-export/chaincode:${version}`,
        `coffee-export/gateway:${version}`,
        'hyperledger/fabric-ca:1.5.15',
        'hyperledger/fabric-peer:2.5.0',
        'ipfs/kubo:v0.42.0',
        'postgres:17',
      ]);
      // The org's identity reaches its nodes.
      const peer = objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'peer0') as Workload;
      const env = peer.spec.template.spec.containers[0]!.env!;
      assert.ok(env.some((e) => e.name === 'CORE_PEER_LOCALMSPID' && 'value' in e && e.value === org.mspId));
    }
  });

  it('gives the ordering service release its 3 Raft orderers (and the portal)', () => {
    const objs = rendered.get('orderers')!;
    assert.deepEqual(
      names(objs, 'StatefulSet'),
      ordererIndexes().map((i) => `orderer${i}`),
    );
    assert.equal(ordererIndexes().length, 3);
    assert.deepEqual(names(objs, 'Deployment'), ['portal']);
  });

  it('names every Service after its node, so the shared host names map to <node>.<namespace>', () => {
    for (const org of PEER_ORGS) {
      const hosts = names(rendered.get(org.id)!, 'Service').map((s) => `${s}.${org.domain}`);
      const expected = [
        `ca.${org.domain}`,
        `peer0.${org.domain}`,
        ...CHAINCODES.map((cc) => `cc-${cc.name}.${org.domain}`),
        `gateway.${org.domain}`,
        `postgres.${org.domain}`,
        `ipfs.${org.domain}`,
      ];
      assert.deepEqual(hosts, expected.sort());
    }
    const orderers = names(rendered.get('orderers')!, 'Service').filter((s) => s !== 'portal');
    assert.deepEqual(
      orderers.map((s) => `${s}.${ORDERER_ORG.domain}`),
      ordererIndexes().map((i) => `orderer${i}.${ORDERER_ORG.domain}`),
    );
  });

  it('has every Service select exactly one workload, on a named port of its container', () => {
    for (const [name, objs] of rendered) {
      const workloads = objs.filter(isWorkload);
      for (const svc of objs.filter((o): o is Service => o.kind === 'Service')) {
        const selected = workloads.filter((w) =>
          Object.entries(svc.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v),
        );
        assert.equal(selected.length, 1, `${name}: Service ${svc.metadata.name} selects one workload`);
        const ports = selected[0]!.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
        for (const p of svc.spec.ports) {
          assert.ok(
            ports.some((cp) => cp.name === p.targetPort && cp.containerPort === p.port),
            `${name}: Service ${svc.metadata.name} port ${p.name} targets a container port`,
          );
        }
      }
      for (const w of workloads) {
        const labels = w.spec.template.metadata.labels;
        for (const [k, v] of Object.entries(w.spec.selector.matchLabels)) {
          assert.equal(labels[k], v, `${name}: ${w.metadata.name} selects its own pods`);
        }
      }
    }
  });

  it('references only ConfigMaps, Secrets and claims that it renders or that docs/deploy.md lists as pre-existing', () => {
    const docs = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
    const start = docs.indexOf('\n## Kubernetes');
    assert.ok(start >= 0, 'docs/deploy.md has a Kubernetes section');
    const end = docs.indexOf('\n## ', start + 1);
    const section = docs.slice(start, end < 0 ? undefined : end);
    for (const [name, objs] of rendered) {
      const has = (kind: string, n: string): boolean =>
        objs.some((o) => o.kind === kind && o.metadata.name === n);
      const refs: [string, string][] = [];
      for (const w of objs.filter(isWorkload)) {
        const pod = w.spec.template.spec;
        const claims = (w.spec.volumeClaimTemplates ?? []).map((c) => c.metadata.name);
        for (const v of pod.volumes ?? []) {
          if (v.secret) refs.push(['Secret', v.secret.secretName]);
          if (v.configMap) refs.push(['ConfigMap', v.configMap.name]);
          if (v.persistentVolumeClaim)
            refs.push(['PersistentVolumeClaim', v.persistentVolumeClaim.claimName]);
        }
        for (const c of pod.containers) {
          for (const e of c.envFrom ?? []) {
            if (e.configMapRef) refs.push(['ConfigMap', e.configMapRef.name]);
            if (e.secretRef) refs.push(['Secret', e.secretRef.name]);
          }
          for (const e of c.env ?? []) {
            if (e.valueFrom?.secretKeyRef) refs.push(['Secret', e.valueFrom.secretKeyRef.name]);
            if (e.valueFrom?.configMapKeyRef) refs.push(['ConfigMap', e.valueFrom.configMapKeyRef.name]);
          }
          // Every mounted volume is declared (or is a claim template).
          const declared = new Set([...(pod.volumes ?? []).map((v) => v.name), ...claims]);
          for (const m of (c as { volumeMounts?: { name: string }[] }).volumeMounts ?? []) {
            assert.ok(declared.has(m.name), `${name}: ${w.metadata.name} mounts a declared volume ${m.name}`);
          }
        }
      }
      assert.ok(refs.length > 0);
      for (const [kind, n] of refs) {
        assert.ok(
          has(kind, n) || section.includes(`\`${n}\``),
          `${name}: ${kind} ${n} is neither rendered nor listed in docs/deploy.md ("Kubernetes")`,
        );
      }
    }
  });

  it('runs every container non-root, read-only, unprivileged, with resources and both probes', () => {
    for (const [name, objs] of rendered) {
      for (const w of objs.filter(isWorkload)) {
        const pod = w.spec.template.spec;
        assert.equal(pod.securityContext?.runAsNonRoot, true, `${name}/${w.metadata.name}`);
        assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, `${name}/${w.metadata.name} runs as non-root`);
        for (const c of pod.containers) {
          const what = `${name}/${w.metadata.name}/${c.name}`;
          assert.equal(c.securityContext?.readOnlyRootFilesystem, true, what);
          assert.equal(c.securityContext?.allowPrivilegeEscalation, false, what);
          assert.ok(c.resources?.requests?.cpu && c.resources.limits?.memory, `${what} has resources`);
          assert.ok(c.readinessProbe && c.livenessProbe, `${what} has probes`);
        }
      }
    }
  });

  it('probes the gateway on its health routes (/health alive, /ready with peer, Postgres and kubo up)', () => {
    const gw = ecta().find((o) => o.kind === 'Deployment' && o.metadata.name === 'gateway') as Workload;
    const c = gw.spec.template.spec.containers[0]!;
    assert.deepEqual(c.livenessProbe, {
      httpGet: { path: '/health', port: 'https', scheme: 'HTTPS' },
      initialDelaySeconds: 15,
      periodSeconds: 20,
    });
    assert.equal((c.readinessProbe as { httpGet: { path: string } }).httpGet.path, '/ready');
    const cm = ecta().find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'gateway') as K8sObject & {
      data: Record<string, string>;
    };
    assert.equal(cm.data.PEER_ENDPOINT, 'peer0.ecta.coffee.local:7301');
    assert.equal(cm.data.CA_URL, 'https://ca.ecta.coffee.local:7304');
    assert.equal(cm.data.IPFS_API_URL, 'http://ipfs.ecta.coffee.local:7330');
    assert.equal(cm.data.HOST, '0.0.0.0');
  });

  describe('negative controls', () => {
    it('the validator rejects an object with a wrong field type, and an unknown kind', async () => {
      const gw = ecta().find((o) => o.kind === 'Deployment' && o.metadata.name === 'gateway')!;
      const broken = structuredClone(gw) as Workload & { spec: { replicas: unknown } };
      broken.spec.replicas = 'two';
      await assert.rejects(validateObject(broken), /Deployment gateway: .*replicas must be integer/);
      const port = structuredClone(gw) as Workload;
      (port.spec.template.spec.containers[0]!.ports![0] as { containerPort: unknown }).containerPort = '3003';
      await assert.rejects(validateObject(port), /containerPort must be integer/);
      await assert.rejects(
        validateObject({ apiVersion: 'v1', kind: 'Frobnicator', metadata: { name: 'x' } }),
        /unknown apiVersion\/kind v1 Frobnicator/,
      );
      // A misspelt field: valid for the schema check, named by the strict one.
      const typo = structuredClone(gw) as Workload;
      (typo.spec.template.spec.containers[0] as unknown as Record<string, unknown>).imagePullPolcy = 'Always';
      await validateObject(typo);
      const found = unknownFields([typo]);
      assert.equal(found.length, 1, found.join('\n'));
      assert.match(
        found[0]!,
        /Deployment gateway: .*'"?imagePullPolcy"?' does not exist in type 'IContainer'/,
      );
      // A manifest as helm would print it, parsed the same way.
      const [svc] = parseManifests(
        'apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: "x"}]}\n',
      );
      await assert.rejects(validateObject(svc!), /port must be integer/);
      // Read as Kubernetes reads YAML (1.1): an unquoted `off` is a boolean, not the string an env value must be.
      const [cm] = parseManifests(
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {IPFS_TELEMETRY: off}\n',
      );
      await assert.rejects(validateObject(cm!), /data\/IPFS_TELEMETRY must be string/);
    });

    it('a values file without a required value fails helm lint and helm template, saying which', async () => {
      const r = release('ecta');
      const values = parse(readFileSync(r.valuesFile, 'utf8')) as {
        images: Record<string, string>;
        ports: Record<string, unknown>;
      };
      delete values.images.peer;
      const file = join(scratch, 'no-peer-image.yaml');
      // A complete copy without images.peer (the chart's defaults have none either).
      writeFileSync(file, stringify(values));
      const bare = { ...r, valuesFile: file };
      // values.schema.json: checked by lint, template and install alike.
      await assert.rejects(lintRelease(helm, bare), /at '\/images': missing property 'peer'/);
      await assert.rejects(renderRelease(helm, bare), /at '\/images': missing property 'peer'/);
      // The templates' own `required`, for a render that skips the schema.
      await assert.rejects(
        runHelm(helm, ['template', 'ecta', CHART_DIR, '-n', 'ecta', '-f', file, '--skip-schema-validation']),
        /images\.peer is required/,
      );
      // The chart's defaults alone name no component.
      const none = { ...r, valuesFile: join(CHART_DIR, 'values.yaml') };
      await assert.rejects(
        renderRelease(helm, none),
        /at '\/component': value must be one of 'org', 'orderers'/,
      );
      // A port of the wrong type.
      values.images.peer = 'hyperledger/fabric-peer:2.5.0';
      values.ports.peer = 'seven';
      writeFileSync(file, stringify(values));
      await assert.rejects(lintRelease(helm, bare), /at '\/ports\/peer': got string, want integer/);
    });

    it('a release in another namespace than its org fails, naming the right one', async () => {
      await assert.rejects(
        renderRelease(helm, { ...release('ecta'), namespace: 'default' }),
        /belongs in namespace "ecta"/,
      );
    });
  });
});
