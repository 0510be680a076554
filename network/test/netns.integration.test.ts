/* eslint-disable @typescript-eslint/no-unsafe-member-access -- HTTP response bodies are untyped JSON here */
/**
 * The multi-host topology on this machine (COFFEE_TOPOLOGY=netns; network/src/topology.ts and netns.ts, docs/deploy.md
 * "Multi-host"): the whole stack as `npm start` brings it up (scripts/stack.mts: network, one PostgreSQL and one
 * kubo per org, the six gateways, the demo seeding, the portal), each org in a Linux network namespace of its own and
 * the ordering service in another, joined by veth pairs to a bridge; run directory .run/test-netns, ports shifted
 * by 6000, subnet 10.231.6.0/24 (beside every other test stack and a developer's `npm start`).
 *
 * - Every node listens on its own host's address (ss inside each namespace), none on loopback; the launcher's pid
 *   records are the nodes' own processes, inside their namespaces.
 * - The whole workflow runs across the namespaces: the demo seeding walks EXP-DEMO-01 through every step, each at
 *   the acting org's gateway over HTTPS (scripts/demo), and the portal in the root namespace reaches every gateway.
 * - The National Bank's link goes down (`ip link set <its veth> down`): an action whose endorsers exclude it
 *   (certify-quality: ECX and ECTA) commits; one that needs its peer (register-contract: ECTA and the National Bank)
 *   fails with an error, not a hang. The link comes back: its peer catches up with the others (same height and
 *   block hash), its read model (its own PostgreSQL) equals the ledger, and the refused action goes through.
 *
 * Needs root and iproute2's `ip`: without them it fails with CI=true and is skipped otherwise. The namespaces are
 * always removed afterwards (after() runs the launcher's `down`, which removes what runDir()/netns.json names).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.COFFEE_RUN_DIR = join(REPO, '.run', 'test-netns');
process.env.COFFEE_PORT_OFFSET = '6000';
process.env.COFFEE_TOPOLOGY = 'netns';
process.env.COFFEE_NETNS_SUBNET = '10.231.6.0/24';
// The gateways' settings every integration test uses (many logins from one address within a minute).
process.env.LOGIN_RATE_LIMIT_MAX = '1000';

const { netnsUnavailable, listeningIn, setLink } = await import('../src/netns.ts');
const { addressPlan, ORDERERS, recordedTopology, wrapCommand } = await import('../src/topology.ts');

const unavailable = netnsUnavailable();
if (unavailable && process.env.CI === 'true')
  throw new Error(`the netns topology test cannot run on this CI machine: ${unavailable} (CI runs as root)`);

const { down } = await import('../src/network.ts');
const { runDir } = await import('../src/paths.ts');
const { readRecord } = await import('../src/proc.ts');
const orgs = await import('../src/orgs.ts');
const { gatewayPort } = await import('../src/nodes/gateway.ts');
const { databaseUrl, postgresPort } = await import('../src/nodes/postgres.ts');
const { default: pg } = await import('pg');
const { httpsGet } = await import('../src/nodes/https.ts');
const { peerAdminEnv } = await import('../src/nodes/fabric-nodes.ts');
const { ensureBinaries } = await import('../src/binaries.ts');
let binaries: Awaited<ReturnType<typeof ensureBinaries>> | undefined;
const { stackUp } = await import('../../scripts/stack.mts');
const { DEMO_EXPORTS, stepsOf } = await import('../../scripts/demo/plan.ts');
const stack = await import('../../gateways/test/support/stack.ts');
const { converge, chainInfo } = await import('../faults/src/nodes.ts');
const { readModelMatchesLedger } = await import('../faults/src/cases-services.ts');

const t0 = Date.now();
const timings: string[] = [];
const lap = (what: string, since: number): void => {
  const line = `${what}: ${((Date.now() - since) / 1000).toFixed(1)} s`;
  timings.push(line);
  console.log(`  [netns] ${line}`);
};

/** The namespace names of this run (created by the launcher, removed by `down`). */
const ours = (): string[] => {
  const tag = addressPlan().tag;
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`coffee-${tag}-`));
};

interface Account {
  org: string;
  role: string;
  username: string;
  password: string;
}
const account = (org: string, role: string): Account => {
  const { accounts } = JSON.parse(readFileSync(join(runDir(), 'demo-accounts.json'), 'utf8')) as {
    accounts: Account[];
  };
  const a = accounts.find((x) => x.org === org && x.role === role);
  assert.ok(a, `a demo ${role} of ${org}`);
  return a;
};
const signIn = (
  org: string,
  role: string,
): Promise<import('../../gateways/test/support/stack.ts').Session> => {
  const a = account(org, role);
  return stack.login(stack.org(org), a.username, a.password);
};

/** The demo plan's step that takes the demo export `id` from its seeded status to `to`. */
function nextStep(id: string, to: string): ReturnType<typeof stepsOf>[number] {
  const x = DEMO_EXPORTS.find((e) => e.exportId === id);
  assert.ok(x, id);
  // The steps beyond where the seeding left it; the first action among them (attachments may trail it).
  const beyond = stepsOf({ ...x, target: to as typeof x.target }).slice(stepsOf(x).length);
  const step = beyond.find((st) => st.kind === 'action');
  assert.ok(step?.action && step.after.status === to, `${id}: the plan's action to ${to}`);
  return step;
}

const NB = 'national-bank';

/**
 * Performs one step of the demo plan on a demo export, as the seeding does: the step's user uploads its documents,
 * then acts at its org's gateway (stack.ts's act waits until that org's peer sees the previous status).
 */
async function perform(id: string, step: ReturnType<typeof nextStep>): Promise<void> {
  const who = await signIn(step.org, step.role);
  const cids: Record<string, string> = {};
  for (const u of step.uploads) {
    const doc = (await stack.upload(who, u.type, `${u.type} of ${id} (netns)`, {
      exportId: id,
      ...(u.quantityKg !== undefined ? { quantityKg: u.quantityKg } : {}),
      ...(u.grade !== undefined ? { grade: u.grade } : {}),
    })) as { cid: string };
    cids[u.type] = doc.cid;
  }
  await stack.act(who, id, step.action!, step.body({ cids, startedAt: new Date() }), step.after.status);
}

/** The channel height on an org's peer, asked from inside its namespace (peer CLI as the org's admin). */
function heightInside(orgId: string): number {
  const org = orgs.findOrg(orgId);
  const plan = addressPlan();
  const ns = plan.hosts.find((h) => h.key === orgId)!.namespace;
  const { command, args } = wrapCommand(ns, binaries!.paths.peer, ['channel', 'getinfo', '-c', orgs.CHANNEL]);
  const r = spawnSync(command, args, {
    env: peerAdminEnv(binaries!, org),
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(r.status, 0, `peer channel getinfo in ${ns}: ${r.stderr}`);
  return (JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { height: number }).height;
}

/** The port numbers of a ports record (peerPorts, caPorts, …). */
const ports = (record: object): number[] => Object.values(record as Record<string, number>);

/** An org's read model (its own PostgreSQL): every export's row, as the projector wrote it. */
async function readModel(orgId: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: databaseUrl(orgId) });
  await client.connect();
  try {
    const r = await client.query<Record<string, unknown>>(
      'SELECT export_id, status, last_tx_id, last_block::text AS last_block, event_count FROM rm_exports ORDER BY export_id',
    );
    return r.rows;
  } finally {
    await client.end();
  }
}

describe(
  'multi-host topology: every org in its own network namespace',
  { skip: unavailable, timeout: 600_000 },
  () => {
    let portal = '';

    before(async () => {
      // A crashed earlier run of this run directory: its processes, namespaces and state go first.
      const t = Date.now();
      await down({ purge: true });
      lap('clean start (down --purge)', t);
      // Leftovers as a crashed run of this run directory leaves them (a namespace, the bridge, a hosts file, no
      // record): `up` removes them before it makes the hosts (else `ip netns add` / `ip link add` would fail).
      const plan = addressPlan();
      const leftover = plan.hosts.find((h) => h.key === 'ecta')!.namespace;
      for (const args of [
        ['netns', 'add', leftover],
        ['link', 'add', 'name', plan.bridge, 'type', 'bridge'],
      ])
        assert.equal(spawnSync('ip', args).status, 0, `ip ${args.join(' ')}`);
      mkdirSync(`/etc/netns/${leftover}`, { recursive: true });
      writeFileSync(`/etc/netns/${leftover}/hosts`, '# a crashed run\n');
      const t1 = Date.now();
      ({ portal } = await stackUp({ demo: true }));
      binaries = await ensureBinaries();
      lap('stack up: network, PostgreSQL and kubo per org, gateways, demo seeding, portal', t1);
    });

    after(async () => {
      const t = Date.now();
      // Whatever happened, the National Bank's link is up again and every namespace goes.
      try {
        setLink(NB, 'up');
      } catch {
        // no namespaces (before() failed early)
      }
      await down();
      lap('down', t);
      assert.deepEqual(ours(), [], 'every namespace of this run removed');
      console.log(
        `  [netns] total ${((Date.now() - t0) / 1000).toFixed(1)} s\n    ${timings.join('\n    ')}`,
      );
    });

    it('every node listens on its own host address, none on loopback; pids are the nodes, inside their namespaces', () => {
      const plan = addressPlan();
      assert.equal(plan.subnet, '10.231.6.0/24');
      assert.deepEqual(
        recordedTopology()?.namespaces,
        plan.hosts.map((h) => h.namespace),
      );
      assert.deepEqual(ours().sort(), plan.hosts.map((h) => h.namespace).sort());
      const expected = new Map<string, number[]>([
        [ORDERERS, orgs.ordererIndexes().flatMap((i) => ports(orgs.ordererPorts(i)))],
        ...orgs.PEER_ORGS.map((o): [string, number[]] => [
          o.id,
          [
            ...ports(orgs.peerPorts(o)),
            ...ports(orgs.caPorts(o)),
            ...orgs.CHAINCODES.map((cc) => orgs.chaincodePort(o, cc)),
            ...ports(orgs.ipfsPorts(o)),
            gatewayPort(o),
            postgresPort(),
          ],
        ]),
      ]);
      for (const host of plan.hosts) {
        const listening = listeningIn(host.namespace);
        for (const port of expected.get(host.key)!)
          assert.ok(
            listening.includes(`${host.address}:${port}`),
            `${host.key}: listens on ${host.address}:${port}`,
          );
        const elsewhere = listening.filter((a) => !a.startsWith(`${host.address}:`));
        assert.deepEqual(
          elsewhere,
          [],
          `${host.key}: nothing listens on another address (loopback, 0.0.0.0)`,
        );
      }
      // The launcher's records: the node itself (ip netns exec execs in place), in its host's namespace.
      for (const [name, key] of [
        ['orderer1', ORDERERS],
        ['peer0.ecta', 'ecta'],
        ['ca.customs', 'customs'],
        ['gateway.national-bank', NB],
        ['postgres.ecx', 'ecx'],
        ['ipfs.shipping-line', 'shipping-line'],
        ['cc.coffee-export.commercial-bank', 'commercial-bank'],
      ] as const) {
        const rec = readRecord(name);
        assert.ok(rec, `${name} recorded`);
        const comm = readFileSync(`/proc/${rec.pid}/comm`, 'utf8').trim();
        assert.notEqual(comm, 'ip', `${name}: the recorded pid is the node, not ip`);
        const ns = spawnSync('ip', ['netns', 'identify', String(rec.pid)], {
          encoding: 'utf8',
        }).stdout.trim();
        assert.equal(
          ns,
          plan.hosts.find((h) => h.key === key)!.namespace,
          `${name} runs in ${key}'s namespace`,
        );
      }
      // Names resolve inside every namespace from the launcher's hosts file (not the machine's /etc/hosts).
      const ectaNs = plan.hosts.find((h) => h.key === 'ecta')!.namespace;
      for (const host of plan.hosts)
        for (const name of [host.names[0]!, host.names[host.names.length - 1]!]) {
          const r = spawnSync('ip', ['netns', 'exec', ectaNs, 'getent', 'hosts', name], { encoding: 'utf8' });
          assert.equal(r.stdout.split(/\s+/)[0], host.address, `${name} inside ecta's namespace`);
        }
      assert.notEqual(
        spawnSync('getent', ['hosts', `peer0.${orgs.findOrg('ecta').domain}`]).status,
        0,
        "the machine's own resolver does not know the names",
      );
      // What clients are told: each org's gateway and database at its own address.
      for (const o of orgs.PEER_ORGS) {
        const address = plan.hosts.find((h) => h.key === o.id)!.address;
        assert.equal(stack.gatewayUrl(stack.org(o.id)), `https://${address}:${gatewayPort(o)}`);
        const settings = stack.gatewaySettings(stack.org(o.id));
        assert.equal(new URL(settings.DATABASE_URL!).hostname, address, `${o.id}'s own PostgreSQL`);
        assert.equal(settings.HOST, address);
      }
    });

    it('the whole workflow ran across the namespaces: EXP-DEMO-01 completed, every org at its own gateway', async () => {
      const ecta = await signIn('ecta', 'ecta_officer');
      const record = await stack.http(stack.org('ecta'), 'GET', '/api/v1/exports/EXP-DEMO-01?source=ledger', {
        token: ecta.token,
      });
      stack.expectStatus(record, 200, 'EXP-DEMO-01 on the ledger');
      assert.equal(record.body.status, 'COMPLETED');
      const history = await stack.http(stack.org('ecta'), 'GET', '/api/v1/exports/EXP-DEMO-01/history', {
        token: ecta.token,
      });
      stack.expectStatus(history, 200, 'history');
      // Each committed version names the org whose user acted (record.lastAction.by).
      const actors = new Set(
        (history.body.entries as { record?: { lastAction?: { by?: { mspId?: string } } } }[]).map(
          (e) => e.record?.lastAction?.by?.mspId,
        ),
      );
      for (const o of orgs.PEER_ORGS)
        assert.ok(actors.has(o.mspId), `${o.mspId} acted on EXP-DEMO-01 (${[...actors].join(', ')})`);
      // The portal (root namespace, 127.0.0.1) proxies to each gateway at its namespace's address.
      const ca = JSON.parse(readFileSync(join(runDir(), 'endpoints.json'), 'utf8')).caFile as string;
      for (const o of orgs.PEER_ORGS) {
        const r = await httpsGet(`${portal}/gw/${o.id}/health`, { ca }, 10_000);
        assert.equal(r.status, 200, `portal → ${o.id}'s gateway: ${r.body}`);
      }
    });

    it("the National Bank's link down: others commit where policy allows, its endorsement fails fast; back up it catches up and its read model equals the ledger", async () => {
      const ecta = await signIn('ecta', 'ecta_officer');
      const certify = nextStep('EXP-DEMO-07', 'QUALITY_CERTIFIED');
      const register = nextStep('EXP-DEMO-08', 'CONTRACT_REGISTERED');
      assert.equal(certify.action, 'certify-quality');
      assert.equal(register.action, 'register-contract');
      const before = await chainInfo(orgs.findOrg(NB));

      const tDown = Date.now();
      const veth = setLink(NB, 'down');
      console.log(`  [netns] ip link set ${veth} down (${NB})`);
      try {
        // Needs the National Bank's peer (SUBMITTED: ECTA and the National Bank): an error, not a hang. Asked at
        // once; meanwhile the others go on.
        const t2 = Date.now();
        const refusal = stack
          .http(stack.org('ecta'), 'POST', '/api/v1/exports/EXP-DEMO-08/actions/register-contract', {
            token: ecta.token,
            body: register.body({ cids: {}, startedAt: new Date() }),
          })
          .then((answer) => ({ answer, took: Date.now() - t2 }));
        // Endorsed without the bank (the key-level policies of CONTRACT_REGISTERED: ECX and ECTA; of FX_APPROVED:
        // the shipping line and ECTA): both commit, each at the acting org's gateway.
        const t = Date.now();
        await perform('EXP-DEMO-07', certify);
        await perform('EXP-DEMO-05', nextStep('EXP-DEMO-05', 'SHIPMENT_BOOKED'));
        lap('certify-quality and book-shipment committed while the National Bank was cut off', t);
        // The bank's peer, asked from inside its own namespace (the only place it can be reached), is behind.
        const others = (await chainInfo(orgs.findOrg('ecta'))).height;
        const cutOff = heightInside(NB);
        console.log(`  [netns] heights while cut off: national-bank ${cutOff}, ecta ${others}`);
        assert.ok(cutOff < others, `the cut-off peer is behind (${cutOff} < ${others})`);
        const { answer: refused, took } = await refusal;
        lap(
          `register-contract refused (HTTP ${refused.status} ${refused.body?.code ?? ''}: ${refused.body?.detail ?? ''})`,
          t2,
        );
        assert.ok(refused.status >= 400, `refused: ${refused.status} ${JSON.stringify(refused.body)}`);
        assert.notEqual(refused.status, 500, 'a problem answer, not a crash');
        assert.equal(typeof refused.body?.code, 'string', `a problem code: ${JSON.stringify(refused.body)}`);
        assert.ok(took < 60_000, `answered within a minute (${took} ms)`);
        const still = await stack.http(
          stack.org('ecta'),
          'GET',
          '/api/v1/exports/EXP-DEMO-08?source=ledger',
          {
            token: ecta.token,
          },
        );
        assert.equal(still.body.status, 'SUBMITTED', 'nothing written');
      } finally {
        setLink(NB, 'up');
        lap('link down', tDown);
      }

      // Back: the bank's peer catches up (every peer at one height and hash, every read model projected it).
      const t3 = Date.now();
      const c = await converge(180_000);
      lap(`caught up: every peer at height ${c.height} (was ${before.height} at the bank)`, t3);
      assert.equal(c.forks, 0);
      assert.ok(c.height > before.height);
      const infos = await Promise.all(orgs.PEER_ORGS.map((o) => chainInfo(o)));
      assert.deepEqual(
        new Set(infos.map((i) => i.height)).size,
        1,
        infos.map((i) => `${i.org}=${i.height}`).join(' '),
      );
      // Its read model (its own PostgreSQL) against the ledger, every demo export.
      // The faults' comparison (row at the ledger's status and last transaction, one projected event per committed
      // version, no duplicates, checkpoint at the peer's height) holds for exports without tracking events: those
      // are events of the export on a key of their own, so its row's last transaction is the tracking event's.
      const comparable = DEMO_EXPORTS.filter(
        (x) => !stepsOf(x).some((step) => step.action === 'add-tracking-event'),
      ).map((x) => x.exportId);
      assert.ok(comparable.includes('EXP-DEMO-07') && comparable.length >= 8, comparable.join(' '));
      const checks = await readModelMatchesLedger(NB, comparable, ecta);
      for (const check of checks) assert.ok(check.ok, `${check.what}: ${check.detail ?? ''}`);
      // And every row, tracked exports included, as ECTA's read model has it (ECTA never left).
      const [nbRows, ectaRows] = await Promise.all([readModel(NB), readModel('ecta')]);
      assert.ok(nbRows.length >= DEMO_EXPORTS.length);
      assert.deepEqual(nbRows, ectaRows, "the National Bank's read model equals ECTA's, row by row");
      assert.equal(
        nbRows.find((r) => r.export_id === 'EXP-DEMO-07')?.status,
        'QUALITY_CERTIFIED',
        'the step committed while it was cut off is in its read model',
      );
      // The action that needed the bank now goes through.
      await stack.act(
        ecta,
        'EXP-DEMO-08',
        'register-contract',
        register.body({ cids: {}, startedAt: new Date() }),
        'CONTRACT_REGISTERED',
      );
    });
  },
);
