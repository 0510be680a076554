/**
 * The demo consortium seeded on the REAL stack — the Fabric network, PostgreSQL, the IPFS swarm and the six
 * gateways — brought up from nothing in its own run directory (.run/test-demo, ports +16000, so it runs beside
 * `npm start` and the other test stacks). The seeding is interrupted once and resumed; then every export is
 * checked at its status through the gateways, every account logs in, a second run changes nothing, and
 * production mode is refused.
 *
 * In `npm test` (scripts/test.mjs) it runs in the portal test's run directory and ports instead, with
 * COFFEE_DEMO_TEST_HANDOVER=1: when every test passed, the stack stays up, seeded and verified, for the portal
 * test (scripts/demo/state.ts testHandoverFile) — one bring-up and seeding (~1.5 min on 2 cores) fewer.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, beforeEach, describe, it } from 'node:test';
import { runDir } from '../../network/src/paths.ts';
import { down } from '../../network/src/network.ts';
import { bringUp, TEST_GATEWAY_ENV } from '../../gateways/test/support/stack.ts';
import { writeEndpoints } from '../../network/src/nodes/gateway.ts';
import { tlsFetch } from '../../network/src/nodes/https.ts';
import { seedDemo, SeedInterrupted } from './seed.ts';
import { Gateway, Session, expectStatus } from './client.ts';
import { DEMO_EXPORTS, stepsOf } from './plan.ts';
import { accountsFile, portalDemoAccounts, readState, stateFile, testHandoverFile } from './state.ts';
import type { DemoAccounts } from './state.ts';
import type { Endpoints } from './state.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Its own stack, whatever the suite's defaults (scripts/test.mjs sets .run/test and +20000 for every file).
process.env.COFFEE_RUN_DIR = process.env.COFFEE_DEMO_TEST_RUN_DIR ?? join(REPO, '.run', 'test-demo');
process.env.COFFEE_PORT_OFFSET = process.env.COFFEE_DEMO_TEST_PORT_OFFSET ?? '16000';

const endpoints = (): Endpoints & { demo?: { accountsFile: string; accounts: unknown[] } } =>
  JSON.parse(readFileSync(join(runDir(), 'endpoints.json'), 'utf8')) as Endpoints & {
    demo?: { accountsFile: string; accounts: unknown[] };
  };
const gateway = (org: string): InstanceType<typeof Gateway> =>
  new Gateway(org, endpoints().gateways[org]!.url, { caFile: endpoints().caFile! });

let accounts: DemoAccounts;
const sessions = new Map<string, InstanceType<typeof Session>>();
function session(org: string, role: string, exporterId?: string): InstanceType<typeof Session> {
  const a = accounts.accounts.find(
    (x) => x.org === org && x.role === role && (exporterId === undefined || x.exporterId === exporterId),
  );
  assert.ok(a, `an account for ${role}@${org}`);
  const key = `${org}/${a.username}`;
  let s = sessions.get(key);
  if (!s) {
    s = new Session(gateway(org), a.username, a.password);
    sessions.set(key, s);
  }
  return s;
}
const exporterOf = (exportId: string): string =>
  DEMO_EXPORTS.find((x) => x.exportId === exportId)!.exporterId;

/** What must not change when the seeding runs again: users, exporters, prices, and every export's last tx. */
async function snapshot(): Promise<Record<string, unknown>> {
  const users: Record<string, string[]> = {};
  for (const org of Object.keys(endpoints().gateways)) {
    const body = expectStatus(
      await session(org, 'admin').call('GET', '/api/v1/users'),
      [200],
      `users@${org}`,
    );
    users[org] = (body.items as { username: string; role: string }[]).map((u) => `${u.username}:${u.role}`);
  }
  // A commercial-bank auditor sees every export from its first step.
  const auditor = session('commercial-bank', 'auditor');
  const exports: string[] = [];
  const perStatus: Record<string, number> = {};
  let cursor = '';
  for (;;) {
    const page = expectStatus(
      await auditor.call('GET', `/api/v1/exports?limit=100${cursor ? `&cursor=${cursor}` : ''}`),
      [200],
      'list exports',
    ) as { items: { id: string; status: string; lastTxId: string }[]; nextCursor: string | null };
    for (const x of page.items) {
      exports.push(`${x.id}:${x.status}:${x.lastTxId}`);
      perStatus[x.status] = (perStatus[x.status] ?? 0) + 1;
    }
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  const ecta = session('ecta', 'ecta_officer');
  const exporters = expectStatus(await ecta.call('GET', '/api/v1/exporters'), [200], 'exporters');
  const prices = expectStatus(await ecta.call('GET', '/api/v1/minimum-prices'), [200], 'minimum prices');
  return { users, exports, perStatus, exporters, prices };
}

describe('demo consortium seeding on the real stack', { timeout: 25 * 60_000 }, () => {
  const lines: string[] = [];
  const log = (line: string): void => {
    lines.push(line);
  };

  before(
    async () => {
      // A fresh run directory: nothing left from an earlier run (its processes are stopped by pid first).
      await down({ purge: true });
      const t0 = Date.now();
      await bringUp(TEST_GATEWAY_ENV);
      process.stdout.write(`stack up in ${((Date.now() - t0) / 1000).toFixed(0)} s (${runDir()})\n`);
    },
    { timeout: 15 * 60_000 },
  );

  // Tests started and tests that reached their end: the stack is handed over only if every one did.
  let started = 0;
  let passed = 0;
  beforeEach(() => {
    started++;
  });

  after(async () => {
    if (process.env.COFFEE_DEMO_TEST_HANDOVER === '1' && passed > 0 && passed === started) {
      writeFileSync(testHandoverFile(runDir()), `${new Date().toISOString()}\n`);
      process.stdout.write(`stack left up, seeded and verified, for the portal test (${runDir()})\n`);
      return;
    }
    await down();
  });

  it('refuses in production mode — env or endpoints.json — with one line, before writing or sending anything', async () => {
    await assert.rejects(seedDemo({ env: { ...process.env, NODE_ENV: 'production' }, log }), (e: Error) => {
      assert.equal(e.name, 'UserError');
      assert.match(
        e.message,
        /^demo seeding refused: the stack runs in production mode \(NODE_ENV=production\)/,
      );
      return true;
    });
    const prod = mkdtempSync(join(tmpdir(), 'demo-prod-'));
    try {
      writeFileSync(join(prod, 'endpoints.json'), JSON.stringify({ ...endpoints(), mode: 'production' }));
      await assert.rejects(
        seedDemo({ runDir: prod, log }),
        /production mode \(endpoints\.json says mode "production"\)/,
      );
      assert.throws(() => statSync(stateFile(prod)), /ENOENT/);
    } finally {
      rmSync(prod, { recursive: true, force: true });
    }
    // `npm run demo:seed` in production: exit 1 and one line on stderr.
    const cli = spawnSync(
      process.execPath,
      [join(REPO, 'node_modules/tsx/dist/cli.mjs'), join(REPO, 'scripts/demo/seed.ts')],
      { cwd: REPO, env: { ...process.env, NODE_ENV: 'production' }, encoding: 'utf8' },
    );
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, /^error: demo seeding refused: .*production.*\n$/);
    assert.throws(() => statSync(stateFile(runDir())), /ENOENT/, 'nothing was written');
    assert.equal(portalDemoAccounts(runDir(), process.env), undefined, 'no accounts for the portal yet');
    passed++;
  });

  it('seeds through the gateways; an interrupted run resumes where it stopped', async () => {
    const t0 = Date.now();
    await assert.rejects(seedDemo({ log, interruptAfterSteps: 30 }), SeedInterrupted);
    const interrupted = readState(runDir());
    assert.ok(interrupted && !interrupted.completedAt, 'an unfinished state file');
    accounts = await seedDemo({ log });
    const seconds = (Date.now() - t0) / 1000;
    const state = readState(runDir())!;
    assert.ok(state.completedAt, 'completed');
    assert.deepEqual(state.passwords, interrupted.passwords, 'the passwords chosen first are kept');
    assert.ok(lines.includes('demo: resuming an unfinished seeding …'));
    assert.ok(lines.some((l) => /resumes at step \d+ of \d+/.test(l)));
    process.stdout.write(
      `MEASURE demo seeding (interrupted after 30 steps, then resumed): ${seconds.toFixed(1)} s\n`,
    );
    process.stdout.write(`${lines.filter((l) => /demo: (done|seeded)/.test(l)).join('\n')}\n`);
    passed++;
  });

  it('leaves every export at its planned status, in the queue it names', async () => {
    assert.equal(accounts.exports.length, DEMO_EXPORTS.length);
    for (const x of accounts.exports) {
      const exporter = session('commercial-bank', 'exporter', exporterOf(x.exportId));
      const onLedger = expectStatus(
        await exporter.call('GET', `/api/v1/exports/${x.exportId}?source=ledger`),
        [200],
        `read ${x.exportId}`,
      );
      assert.equal(onLedger.status, x.status, `${x.exportId} on the ledger`);
      const steps = stepsOf(DEMO_EXPORTS.find((d) => d.exportId === x.exportId)!);
      assert.equal(onLedger.amendmentCount, steps[steps.length - 1]!.after.amendmentCount);
      if (x.queue) {
        const q = session(
          x.queue.org,
          x.queue.role,
          x.queue.role === 'exporter' ? exporterOf(x.exportId) : undefined,
        );
        const list = expectStatus(
          await q.call('GET', `/api/v1/exports?status=${x.status}&limit=100`),
          [200],
          `${x.queue.role}@${x.queue.org} lists ${x.status}`,
        ) as { items: { id: string }[] };
        assert.ok(
          list.items.some((i) => i.id === x.exportId),
          `${x.exportId} is in the ${x.queue.role}@${x.queue.org} list of ${x.status}`,
        );
      }
    }
    // The completed one carries every document type, each a PDF that verifies against the ledger.
    const exporter = session('commercial-bank', 'exporter', exporterOf('EXP-DEMO-01'));
    const record = expectStatus(
      await exporter.call('GET', '/api/v1/exports/EXP-DEMO-01?source=ledger'),
      [200],
      'read EXP-DEMO-01',
    ) as { documents: { type: string; cid?: string }[]; tracking: unknown[] };
    assert.equal(new Set(record.documents.map((d) => d.type)).size, 12, 'all twelve document types');
    assert.equal(record.tracking.length, 2, 'two tracking events');
    const contract = record.documents.find((d) => d.type === 'SALES_CONTRACT')!;
    const res = await tlsFetch(
      `${endpoints().gateways['commercial-bank']!.url}/api/v1/documents/${contract.cid!}`,
      { headers: { authorization: `Bearer ${await loginToken(exporter)}` } },
      readFileSync(endpoints().caFile!),
    );
    assert.equal(res.status, 200);
    const pdf = Buffer.from(await res.arrayBuffer()).toString('latin1');
    assert.ok(pdf.startsWith('%PDF-1.4') && pdf.includes('SC-DEMO-01'), 'the generated sales contract');
    const proof = expectStatus(
      await gateway('ecx').call('GET', '/api/v1/verify/EXP-DEMO-01'),
      [200],
      'verify',
    );
    assert.equal(proof.status, 'COMPLETED');
    passed++;
  });

  it('lets every account log in at its own gateway, with its role (and exporter)', async () => {
    const roles = new Set(accounts.accounts.map((a) => `${a.org}/${a.role}`));
    assert.ok(roles.size >= 18, `every role of every org (${roles.size})`);
    for (const a of accounts.accounts) {
      const r = await gateway(a.org).call('POST', '/api/v1/auth/login', {
        json: { username: a.username, password: a.password },
      });
      const body = expectStatus(r, [200], `log in ${a.username}@${a.org}`) as {
        user: { role: string; exporterId: string | null };
      };
      assert.equal(body.user.role, a.role, `${a.username}@${a.org}`);
      assert.equal(body.user.exporterId ?? undefined, a.exporterId);
    }
    passed++;
  });

  it('publishes the accounts (0600) in demo-accounts.json and endpoints.json, kept across a gateway restart', () => {
    const file = accountsFile(runDir());
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), accounts);
    assert.equal(statSync(stateFile(runDir())).mode & 0o777, 0o600);
    assert.equal(endpoints().demo?.accountsFile, file);
    writeEndpoints(); // what every start does
    assert.equal(endpoints().demo?.accountsFile, file, 'a restart keeps the demo field');
    assert.equal(endpoints().demo?.accounts.length, accounts.accounts.length);
    assert.equal(portalDemoAccounts(runDir(), process.env), file, 'the portal gets the file in development');
    assert.equal(portalDemoAccounts(runDir(), { NODE_ENV: 'production' }), undefined);
    passed++;
  });

  it('seeds nothing the second time: same users, exporters, prices and exports (per status and last tx)', async () => {
    const before = await snapshot();
    const t0 = Date.now();
    const again = await seedDemo({ log });
    assert.ok(Date.now() - t0 < 5000, 'a completed seeding is not redone');
    assert.deepEqual(again, accounts);
    assert.ok(lines.at(-1)!.startsWith('demo: already seeded'));
    // Even when the state file forgets that it completed, the gateways and the ledger say everything is there.
    const state = readState(runDir())!;
    const unfinished: Record<string, unknown> = { ...state };
    delete unfinished.completedAt;
    writeFileSync(stateFile(runDir()), JSON.stringify(unfinished));
    lines.length = 0;
    await seedDemo({ log });
    assert.equal(
      lines.filter((l) => / already [A-Z_]+$/.test(l)).length,
      DEMO_EXPORTS.length,
      lines.join('\n'),
    );
    assert.match(
      lines.at(-1)!,
      /created 0 users, 0 exporters, 0 minimum prices; 0 export steps with 0 documents/,
    );
    const afterwards = await snapshot();
    assert.deepEqual(afterwards, before);
    const perStatus = afterwards.perStatus as Record<string, number>;
    for (const x of DEMO_EXPORTS) assert.ok((perStatus[x.target] ?? 0) >= 1, x.target);
    assert.equal(
      Object.values(perStatus).reduce((a, b) => a + b, 0),
      DEMO_EXPORTS.length,
      'exactly the demo exports exist',
    );
    passed++;
  });
});

/** A fresh access token of `s` (for a raw download). */
async function loginToken(s: InstanceType<typeof Session>): Promise<string> {
  const a = accounts.accounts.find((x) => x.org === s.org && x.username === s.username)!;
  const r = await s.gateway.call('POST', '/api/v1/auth/login', {
    json: { username: a.username, password: a.password },
  });
  return expectStatus(r, [200], 'login').accessToken as string;
}
