/**
 * docker-compose.yaml: the committed file is the generator's output (drift), its structure is the whole stack
 * (every node of the topology, healthchecks, depends_on conditions, one bridge network, named volumes, only the
 * portal and gateways published on 127.0.0.1, every variable in .env.example, every Dockerfile present), and
 * Debian's docker-compose (1.29, installed by scripts/ensure-docker-compose.sh) accepts it — and rejects broken
 * copies. No Docker engine is involved: `docker-compose config` only parses, interpolates and validates.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { ORDERER_ORG as CONSORTIUM_ORDERER, ORGS } from '@coffee/consortium';
import { composeDocument } from '../src/compose.ts';
import { composeConfigtx, forwardedPorts } from '../src/compose-bootstrap.ts';
import { FABRIC_VERSION } from '../src/binaries.ts';
import { CHAINCODES } from '../src/orgs.ts';
import { REPO_ROOT } from '../src/paths.ts';

interface Service {
  image: string;
  build?: { context: string; dockerfile: string };
  hostname?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  networks?: Record<string, { aliases?: string[] }> | string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  network_mode?: string;
}

interface Compose {
  services: Record<string, Service>;
  networks: Record<string, { driver?: string }>;
  volumes: Record<string, unknown>;
}

const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yaml');
const committedText = readFileSync(COMPOSE_FILE, 'utf8');
const committed = parse(committedText) as Compose;
const services = Object.entries(committed.services);
const oneShot = (s: Service): boolean => s.restart === 'no';

describe('docker-compose.yaml', () => {
  it('is exactly what the generator produces from the org configuration (no drift)', () => {
    // Generated in a fresh process; the generator pins the launcher's settings itself (run directory, topology,
    // port offset), so this machine's environment and .run/ do not matter.
    const generated = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        "import('./network/src/compose.ts').then((m) => process.stdout.write(m.composeDocument()))",
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, COFFEE_PORT_OFFSET: '2000', COFFEE_TOPOLOGY: 'netns' },
        encoding: 'utf8',
      },
    );
    assert.equal(committedText, generated, 'run `npm run compose:generate` and commit the result');
    assert.equal(composeDocument(), generated);
  });

  it('has every node of the topology, by the shared host names of the org table', () => {
    const kinds: Record<string, number> = {};
    for (const [name, s] of services) {
      const kind = s.image.split(':')[0]!;
      kinds[kind] = (kinds[kind] ?? 0) + 1;
      assert.ok(name.length > 0);
    }
    const n = ORGS.length;
    assert.equal(n, 6);
    assert.deepEqual(kinds, {
      'hyperledger/fabric-ca': n,
      'hyperledger/fabric-orderer': CONSORTIUM_ORDERER.ordererCount,
      'hyperledger/fabric-peer': n,
      'coffee-export/chaincode': n * CHAINCODES.length,
      'coffee-export/gateway': n,
      'coffee-export/portal': 1,
      postgres: n,
      'ipfs/kubo': n,
      'coffee-export/bootstrap': 2,
    });
    assert.equal(CHAINCODES.length, 2);
    // Host names written out from the org table (not from the generator's helpers).
    const expected = [
      ...ORGS.flatMap((o) => [
        `ca.${o.domain}`,
        `peer0.${o.domain}`,
        `cc-coffee-export.${o.domain}`,
        `cc-user-management.${o.domain}`,
        `gateway.${o.domain}`,
        `postgres.${o.domain}`,
        `ipfs.${o.domain}`,
      ]),
      ...[1, 2, 3].map((i) => `orderer${i}.${CONSORTIUM_ORDERER.domain}`),
      'portal.coffee.local',
    ];
    const owners = new Map<string, string[]>();
    for (const [name, s] of services) {
      const aliases = Array.isArray(s.networks) ? [] : (s.networks?.coffee?.aliases ?? []);
      for (const host of new Set([...(s.hostname ? [s.hostname] : []), ...aliases]))
        owners.set(host, [...(owners.get(host) ?? []), name]);
      if (s.hostname)
        assert.ok(aliases.includes(s.hostname), `${name}: its host name is an alias on the network`);
    }
    for (const host of expected) assert.equal(owners.get(host)?.length, 1, `exactly one service is ${host}`);
    assert.deepEqual([...owners.keys()].sort(), [...expected].sort(), 'no other host names');
    // Fabric images at the launcher's pinned versions, Postgres 17 (the embedded server's major version).
    assert.ok(
      services.every(
        ([, s]) => !s.image.startsWith('hyperledger/fabric-peer') || s.image.endsWith(FABRIC_VERSION),
      ),
    );
    assert.ok(
      services.filter(([, s]) => s.image.startsWith('postgres')).every(([, s]) => s.image === 'postgres:17'),
    );
  });

  it('gives every long-running service a healthcheck; one-shots (init, bootstrap) never restart', () => {
    for (const [name, s] of services) {
      assert.ok(s.restart === 'no' || s.restart === 'unless-stopped', `${name}: restart ${s.restart}`);
      if (oneShot(s)) {
        assert.ok(['init', 'bootstrap'].includes(name), `${name} is a one-shot`);
        continue;
      }
      assert.ok(Array.isArray(s.healthcheck?.test) && s.healthcheck.test.length >= 2, `${name}: healthcheck`);
      assert.match(s.healthcheck.test[0]!, /^CMD(-SHELL)?$/, `${name}: healthcheck test form`);
    }
  });

  it('orders start-up with depends_on conditions that exist and fit their target', () => {
    for (const [name, s] of services) {
      for (const [target, dep] of Object.entries(s.depends_on ?? {})) {
        const t = committed.services[target];
        assert.ok(t, `${name} depends on ${target}, which is no service`);
        const want = oneShot(t) ? 'service_completed_successfully' : 'service_healthy';
        assert.equal(dep.condition, want, `${name} → ${target}`);
      }
    }
    const deps = (name: string): string[] => Object.keys(committed.services[name]?.depends_on ?? {});
    // init before every node that reads what it writes; bootstrap after every CA, orderer and peer.
    // (Postgres needs nothing of it; gateways and the portal wait for bootstrap, which waits for init.)
    const readsInit = (name: string): boolean => !/^(init|postgres\.|gateway\.|portal$)/.test(name);
    for (const [name] of services)
      if (readsInit(name)) assert.ok(deps(name).includes('init'), `${name} waits for init`);
    for (const [name, s] of services)
      if (/^hyperledger\//.test(s.image))
        assert.ok(deps('bootstrap').includes(name), `bootstrap waits for ${name}`);
    for (const o of ORGS) {
      const gw = deps(`gateway.${o.id}`);
      for (const d of ['bootstrap', `peer0.${o.id}`, `ca.${o.id}`, `postgres.${o.id}`, `ipfs.${o.id}`])
        assert.ok(gw.includes(d), `gateway.${o.id} waits for ${d}`);
      assert.ok(deps('portal').includes(`gateway.${o.id}`));
    }
  });

  it('runs on one user-defined bridge network, not the host network, and publishes only the portal and gateways on 127.0.0.1', () => {
    assert.deepEqual(committed.networks, { coffee: { driver: 'bridge' } });
    assert.doesNotMatch(committedText, /network_mode/);
    const published: string[] = [];
    for (const [name, s] of services) {
      const nets = Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {});
      assert.deepEqual(nets, ['coffee'], `${name} is on the coffee network`);
      for (const p of s.ports ?? []) {
        assert.match(p, /^127\.0\.0\.1:\d+:\d+$/, `${name} publishes on 127.0.0.1 only`);
        published.push(name);
      }
    }
    assert.deepEqual(published.sort(), ['portal', ...ORGS.map((o) => `gateway.${o.id}`)].sort());
    assert.deepEqual(
      ORGS.map((o) => committed.services[`gateway.${o.id}`]!.ports),
      ORGS.map((o) => [`127.0.0.1:${o.defaultGatewayPort}:${o.defaultGatewayPort}`]),
    );
  });

  it('keeps state in named volumes only (no bind mount of .run/ or the embedded PostgreSQL data)', () => {
    for (const [name, s] of services)
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        assert.ok(source in committed.volumes, `${name}: ${v} mounts a named volume`);
      }
    for (const o of ORGS)
      assert.deepEqual(committed.services[`postgres.${o.id}`]!.volumes, [
        `data.postgres.${o.id}:/var/lib/postgresql/data`,
      ]);
  });

  it('names no loopback address in any container environment (nodes reach each other by host name)', () => {
    for (const [name, s] of services)
      for (const [key, value] of Object.entries(s.environment ?? {}))
        assert.doesNotMatch(String(value), /127\.0\.0\.1|localhost/, `${name} ${key}=${value}`);
  });

  it('takes every variable from .env, each listed in .env.example; required ones fail loudly', () => {
    const example = readFileSync(join(REPO_ROOT, '.env.example'), 'utf8');
    const listed = new Set(
      example
        .split('\n')
        .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
        .map((l) => l.slice(0, l.indexOf('='))),
    );
    const used = new Set<string>();
    for (const m of committedText.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(:?[?-])?([^}]*)\}/g)) {
      used.add(m[1]!);
      assert.equal(m[2], ':?', `\${${m[1]}} is required with a message (\${VAR:?…})`);
    }
    assert.ok(used.size >= 13, 'CA and Postgres passwords of six orgs and the portal proxy secret');
    for (const v of used) assert.ok(listed.has(v), `${v} is listed in .env.example`);
    for (const v of listed)
      assert.ok(used.has(v) || v === 'COMPOSE_PROJECT_NAME', `${v} in .env.example is used`);
    // Every variable has a comment above its block, and no value looks like a real secret.
    assert.match(example, /^# /m);
    for (const line of example.split('\n').filter((l) => /^[A-Z_]+=/.test(l) && l.includes('PASSWORD')))
      assert.match(line, /=change-me/, `${line}: a placeholder`);
  });

  it('builds our images from Dockerfiles in the repository: multi-stage, node:20, npm ci, non-root', () => {
    const dockerfiles = new Set(services.flatMap(([, s]) => (s.build ? [s.build.dockerfile] : [])));
    assert.deepEqual([...dockerfiles].sort(), [
      'chaincode/Dockerfile',
      'frontend/Dockerfile',
      'gateways/Dockerfile',
      'network/Dockerfile',
    ]);
    for (const [name, s] of services)
      if (s.build) {
        assert.equal(s.build.context, '.', name);
        assert.match(s.image, /^coffee-export\/[a-z]+:\d+\.\d+\.\d+$/, `${name}: tagged with the version`);
      }
    for (const file of dockerfiles) {
      const text = readFileSync(join(REPO_ROOT, file), 'utf8');
      assert.ok((text.match(/^FROM /gm) ?? []).length >= 2, `${file} is multi-stage`);
      assert.match(text, /^FROM node:20-bookworm\b/m, `${file}: node:20`);
      assert.match(text, /npm ci /, `${file}: npm ci with the lockfile`);
      const users = [...text.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
      assert.equal(users.at(-1), 'node', `${file} runs as the non-root user node`);
    }
    assert.match(
      readFileSync(join(REPO_ROOT, 'network/Dockerfile'), 'utf8'),
      new RegExp(`FABRIC_VERSION=${FABRIC_VERSION}\\b`),
    );
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8');
    for (const p of ['**/node_modules', '**/dist', '.run', '.env'])
      assert.ok(ignore.split('\n').includes(p), p);
  });

  it("the chaincode image's entry point refuses an unknown chaincode and a missing package id", () => {
    const script = join(REPO_ROOT, 'chaincode/docker-entrypoint.sh');
    const env = {
      PATH: process.env.PATH,
      CHAINCODE_ADDRESS: '0.0.0.0:7120',
      CHAINCODE_ID_FILE: '/nonexistent/package-id',
      CHAINCODE_TLS_DIR: '/nonexistent',
    };
    const bogus = spawnSync('sh', [script], { env: { ...env, CHAINCODE: 'bogus' }, encoding: 'utf8' });
    assert.equal(bogus.status, 2);
    assert.match(bogus.stderr, /CHAINCODE must be coffee-export or user-management/);
    const noId = spawnSync('sh', [script], { env: { ...env, CHAINCODE: 'coffee-export' }, encoding: 'utf8' });
    assert.equal(noId.status, 1);
    assert.match(noId.stderr, /package-id is missing/);
  });
});

describe('compose bootstrap', () => {
  it('writes a channel configuration naming host names, never 127.0.0.1', () => {
    const text = composeConfigtx();
    assert.doesNotMatch(text, /127\.0\.0\.1/);
    const doc = parse(text) as {
      Profiles: { CoffeeExportChannel: { Orderer: { EtcdRaft: { Consenters: { Host: string }[] } } } };
    };
    assert.deepEqual(
      doc.Profiles.CoffeeExportChannel.Orderer.EtcdRaft.Consenters.map((c) => c.Host),
      [1, 2, 3].map((i) => `orderer${i}.${CONSORTIUM_ORDERER.domain}`),
    );
    for (const o of ORGS) assert.ok(text.includes(`Host: peer0.${o.domain}`), o.id);
  });

  it('forwards each native port it dials to one host, no port twice', () => {
    const ports = forwardedPorts();
    assert.equal(new Set(ports.map((p) => p.port)).size, ports.length);
    assert.equal(ports.length, ORGS.length * 2 + CONSORTIUM_ORDERER.ordererCount * 3);
    assert.ok(ports.every((p) => /\.coffee\.local$/.test(p.host)));
  });
});

describe('docker-compose config (Debian docker-compose 1.29)', () => {
  let dir = '';
  const compose = (file: string, envFile: string): { status: number | null; stderr: string } =>
    spawnSync('docker-compose', ['--env-file', envFile, '-f', file, 'config', '-q'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });

  before(() => {
    execFileSync('sh', [join(REPO_ROOT, 'scripts/ensure-docker-compose.sh')], { stdio: 'inherit' });
    dir = mkdtempSync(join(tmpdir(), 'compose-test-'));
    writeFileSync(join(dir, '.env'), readFileSync(join(REPO_ROOT, '.env.example')));
    writeFileSync(join(dir, 'empty.env'), '');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the committed file with a .env made from .env.example, with every service', () => {
    const r = compose(COMPOSE_FILE, join(dir, '.env'));
    assert.equal(r.status, 0, `docker-compose config failed:\n${r.stderr}`);
    const listed = spawnSync(
      'docker-compose',
      ['--env-file', join(dir, '.env'), '-f', COMPOSE_FILE, 'config', '--services'],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    assert.deepEqual(listed.stdout.trim().split('\n').sort(), Object.keys(committed.services).sort());
  });

  it('refuses it without the required secrets (negative control)', () => {
    const r = compose(COMPOSE_FILE, join(dir, 'empty.env'));
    assert.notEqual(r.status, 0);
    // 1.29: "Missing mandatory value … in service …: <the message>"; v2: "required variable … is missing a value: …".
    assert.match(r.stderr, /(Missing mandatory value|required variable).*see \.env\.example/is);
  });

  it('rejects a copy whose depends_on names a missing service (negative control)', () => {
    const broken = parse(committedText) as Compose;
    broken.services['gateway.ecta']!.depends_on!['peer0.nowhere'] = { condition: 'service_healthy' };
    const file = join(dir, 'depends-on.yaml');
    try {
      writeFileSync(file, stringify(broken, { version: '1.1' }));
      const r = compose(file, join(dir, '.env'));
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /peer0\.nowhere/);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('rejects a copy with an unknown healthcheck key (negative control)', () => {
    const broken = parse(committedText) as Compose;
    (broken.services['peer0.ecta']!.healthcheck as Record<string, unknown>).intervall = '5s';
    const file = join(dir, 'healthcheck.yaml');
    try {
      writeFileSync(file, stringify(broken, { version: '1.1' }));
      const r = compose(file, join(dir, '.env'));
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /intervall/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
