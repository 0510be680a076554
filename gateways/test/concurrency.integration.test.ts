/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return -- HTTP response bodies are untyped JSON here */
/**
 * Creates that never fail under load, on the REAL stack: many clients at once, retries with the same
 * Idempotency-Key, a gateway killed with SIGKILL in the middle of a create, and overload past the admission limit.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.COFFEE_RUN_DIR ??= join(REPO, '.run', 'test');
process.env.COFFEE_PORT_OFFSET ??= '20000';

const {
  PEER_ORGS,
  TEST_GATEWAY_ENV,
  adminOf,
  bringUp,
  expectStatus,
  gatewayRunning,
  gatewayFetch,
  gatewayUrl,
  http,
  killGateway,
  newUser,
  org,
  startGateway,
  statuses,
  upload,
  waitStatus,
} = await import('./support/stack.ts');
type Session = import('./support/stack.ts').Session;

const RUN = randomBytes(3).toString('hex').toUpperCase();
const CLIENTS = 32;
const QUANTITY = 6_000;
const PRICE = 6;
const cb = org('commercial-bank');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Exporter {
  exporterId: string;
  session: Session;
}

const exporters: Exporter[] = [];
let ecta: Session;
let cbAdmin: Session;

function exportBody(contractNumber: string, sc: string, pi: string): Record<string, unknown> {
  return {
    contract: {
      contractNumber,
      buyerName: 'Antwerp Roasters NV',
      destinationCountry: 'BE',
      contractedGrade: 'G2',
      quantityKg: QUANTITY,
      originRegion: 'GUJI',
      incoterm: 'FOB',
    },
    documents: [
      { type: 'SALES_CONTRACT', cid: sc },
      { type: 'PROFORMA_INVOICE', cid: pi },
    ],
    tradeTerms: { unitPriceUsdPerKg: PRICE, contractValueUsd: PRICE * QUANTITY, paymentMethod: 'CAD' },
  };
}

/** POSTs a create, honouring 503/409 + Retry-After like a well-behaved client (same key), until an answer. */
async function createWithRetries(
  ex: Exporter,
  body: Record<string, unknown>,
  key: string,
): Promise<{ status: number; body: any; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    const r = await http(cb, 'POST', '/api/v1/exports', {
      token: ex.session.token,
      body,
      headers: { 'Idempotency-Key': key },
    }).catch((e: unknown) => ({ status: 0, body: String(e), headers: new Headers() }));
    const retryAfter = Number(r.headers.get('retry-after') ?? '0');
    if ((r.status === 503 || r.status === 409 || r.status === 0) && attempt < 60) {
      if (r.status === 409 && r.body?.code !== 'REQUEST_IN_PROGRESS') return { ...r, attempts: attempt };
      await sleep(Math.max(200, retryAfter * 1000));
      continue;
    }
    return { status: r.status, body: r.body, attempts: attempt };
  }
}

/** The exports of one exporter the ledger and read model know (as the exporter sees them). */
async function exportsOf(ex: Exporter, contractNumber: string): Promise<any[]> {
  const r = await http(cb, 'GET', `/api/v1/exports?q=${encodeURIComponent(contractNumber)}&limit=100`, {
    token: ex.session.token,
  });
  expectStatus(r, 200, 'list');
  return r.body.items as any[];
}

async function stagedDocs(ex: Exporter, tag: string): Promise<[string, string]> {
  const sc = await upload(ex.session, 'SALES_CONTRACT', `contract ${tag}`);
  const pi = await upload(ex.session, 'PROFORMA_INVOICE', `proforma ${tag}`);
  return [sc.cid, pi.cid];
}

before(
  async () => {
    await bringUp();
    const admins = Object.fromEntries(
      await Promise.all(PEER_ORGS.map(async (o) => [o.id, await adminOf(o)] as const)),
    );
    cbAdmin = admins['commercial-bank']!;
    ecta = await newUser(admins.ecta!, `ecta-cc-${RUN.toLowerCase()}`, 'ecta_officer');
    expectStatus(
      await http(org('ecta'), 'POST', '/api/v1/minimum-prices', {
        token: ecta.token,
        body: { grade: 'G2', usdPerKg: 3, effectiveFrom: '2020-01-01' },
      }),
      201,
      'minimum price',
    );
    // Licences one at a time (each a new key on the ledger), users a few at a time (CA + ledger).
    for (let i = 0; i < CLIENTS + 1; i++) {
      const exporterId = `EXC-${RUN}-${i}`;
      const lic = await http(org('ecta'), 'POST', '/api/v1/exporters', {
        token: ecta.token,
        body: {
          exporterId,
          legalName: `Concurrent Coffee ${i} ${RUN}`,
          tin: String(1000000000 + i),
          licenceNumber: `LIC-${exporterId}`,
          licenceValidUntil: '2031-12-31',
        },
      });
      expectStatus(lic, 201, `license ${exporterId}`);
    }
    for (let i = 0; i < CLIENTS + 1; i += 8) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(8, CLIENTS + 1 - i) }, (_, k) =>
          newUser(cbAdmin, `exc-${RUN.toLowerCase()}-${i + k}`, 'exporter', `EXC-${RUN}-${i + k}`),
        ),
      );
      batch.forEach((session, k) => exporters.push({ exporterId: `EXC-${RUN}-${i + k}`, session }));
    }
  },
  { timeout: 900_000 },
);

describe('creates under concurrency, retries and crashes (real stack)', { timeout: 1_200_000 }, () => {
  const created: string[] = [];

  it(`${CLIENTS} distinct exporters create at once: every create succeeds in one step, no DRAFT anywhere`, async () => {
    const clients = exporters.slice(0, CLIENTS);
    const docs = await Promise.all(clients.map((ex, i) => stagedDocs(ex, `${RUN}-${i}`)));
    const started = Date.now();
    const results = await Promise.all(
      clients.map((ex, i) =>
        createWithRetries(ex, exportBody(`SC-CC-${RUN}-${i}`, docs[i]![0], docs[i]![1]), `cc-${RUN}-${i}`),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    const failed = results.filter((r) => r.status !== 201);
    assert.deepEqual(
      failed.map((r) => `${r.status} ${JSON.stringify(r.body)}`),
      [],
      'every create succeeded',
    );
    for (const r of results) {
      assert.equal(r.body.status, 'SUBMITTED', 'created SUBMITTED in one transaction');
      created.push(r.body.id as string);
    }
    assert.equal(new Set(created).size, CLIENTS);
    console.log(
      `  ${CLIENTS} concurrent creates: ${seconds.toFixed(1)} s, ${(CLIENTS / seconds).toFixed(1)} creates/s, ` +
        `${results.reduce((n, r) => n + r.attempts - 1, 0)} retries after 503/Retry-After (timed in a test: indicative only; npm run bench measures)`,
    );
    const drafts = await http(org('ecta'), 'GET', '/api/v1/exports?status=DRAFT&limit=100', {
      token: ecta.token,
    });
    expectStatus(drafts, 200, 'drafts');
    assert.deepEqual(drafts.body.items, [], 'no DRAFT in the read model');
    const cbDrafts = await http(cb, 'GET', '/api/v1/exports?status=DRAFT&limit=100', {
      token: exporters[0]!.session.token,
    });
    assert.deepEqual(cbDrafts.body.items, []);
  });

  it(`${CLIENTS} concurrent transitions (ECTA registers every contract at once): all commit`, async () => {
    await waitStatus(ecta, created[created.length - 1]!, ['SUBMITTED']);
    const results = await Promise.all(
      created.map(async (id, i) => {
        for (let attempt = 1; ; attempt++) {
          const r = await http(org('ecta'), 'POST', `/api/v1/exports/${id}/actions/register-contract`, {
            token: ecta.token,
            body: { registrationNumber: `REG-CC-${RUN}-${i}` },
            headers: { 'Idempotency-Key': `reg-${RUN}-${i}` },
          });
          if (r.status === 503 && attempt < 30) {
            await sleep(Number(r.headers.get('retry-after') ?? '1') * 1000);
            continue;
          }
          return r;
        }
      }),
    );
    assert.deepEqual(
      results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body?.code}`),
      [],
    );
    assert.ok(results.every((r) => r.body.status === 'CONTRACT_REGISTERED'));
  });

  it('a retried Idempotency-Key has exactly one effect, even when the retries race the first request', async () => {
    const ex = exporters[CLIENTS]!;
    const [sc, pi] = await stagedDocs(ex, `${RUN}-retry`);
    const body = exportBody(`SC-RETRY-${RUN}`, sc, pi);
    const key = `retry-${RUN}`;
    const answers = await Promise.all(Array.from({ length: 4 }, () => createWithRetries(ex, body, key)));
    assert.ok(
      answers.every((a) => a.status === 201),
      JSON.stringify(answers.map((a) => a.status)),
    );
    assert.equal(new Set(answers.map((a) => a.body.id)).size, 1, 'one export id for one key');
    const again = await http(cb, 'POST', '/api/v1/exports', {
      token: ex.session.token,
      body,
      headers: { 'Idempotency-Key': key },
    });
    expectStatus(again, 201, 'a later retry replays');
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.body.id, answers[0]!.body.id);
    const reused = await http(cb, 'POST', '/api/v1/exports', {
      token: ex.session.token,
      body: { ...body, details: { note: 'something else' } },
      headers: { 'Idempotency-Key': key },
    });
    expectStatus(reused, 422, 'the same key with another request');
    assert.equal((await exportsOf(ex, `SC-RETRY-${RUN}`)).length, 1, 'exactly one export');
  });

  it('SIGKILL of the gateway in the middle of a create, then a retry with the same key: exactly one export', async () => {
    const ex = exporters[CLIENTS]!;
    for (const [n, delayMs] of [
      [1, 40],
      [2, 150],
      [3, 350],
    ] as const) {
      const [sc, pi] = await stagedDocs(ex, `${RUN}-kill-${n}`);
      const contractNumber = `SC-KILL-${RUN}-${n}`;
      const body = exportBody(contractNumber, sc, pi);
      const key = `kill-${RUN}-${n}`;
      const first = http(cb, 'POST', '/api/v1/exports', {
        token: ex.session.token,
        body,
        headers: { 'Idempotency-Key': key },
      }).catch((e: unknown) => ({ status: 0, body: String(e) }));
      await sleep(delayMs);
      killGateway(cb);
      const outcome = await first;
      while (gatewayRunning(cb)) await sleep(50);
      // A short lease, so the retry may take the unfinished request over within the test.
      await startGateway(cb, { ...TEST_GATEWAY_ENV, IDEMPOTENCY_LEASE_SECONDS: '3' });
      const retried = await createWithRetries(ex, body, key);
      expectStatus(retried, 201, `retry after the kill at ${delayMs} ms (first answer: ${outcome.status})`);
      const found = await exportsOf(ex, contractNumber);
      assert.equal(found.length, 1, `exactly one export after the kill at ${delayMs} ms`);
      assert.equal(found[0].id, retried.body.id);
    }
    await startGateway(cb, TEST_GATEWAY_ENV).catch(() => undefined);
  });

  it('overload past the admission limit is refused at once with 503 + Retry-After, and the gateway recovers', async () => {
    const ectaOrg = org('ecta');
    // Each request holds a submission slot for one endorsement (the contract is already registered: 409).
    const burst = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        http(ectaOrg, 'POST', `/api/v1/exports/${created[i % created.length]!}/actions/register-contract`, {
          token: ecta.token,
          body: { registrationNumber: `REG-BURST-${i}` },
        }),
      ),
    );
    const busy = burst.filter((r) => r.status === 503);
    assert.ok(busy.length > 0, `some requests were refused (${burst.map((r) => r.status).join(',')})`);
    for (const r of busy) {
      assert.equal(r.body.code, 'GATEWAY_BUSY');
      assert.ok(Number(r.headers.get('retry-after')) >= 1, 'Retry-After');
    }
    assert.ok(
      burst.every((r) => r.status === 503 || r.status === 409),
      'the others were served (their contract is already registered)',
    );
    const metrics = await (await gatewayFetch(`${gatewayUrl(ectaOrg)}/metrics`)).text();
    const refused = Number(/gateway_submissions_refused_total\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? -1);
    assert.ok(refused >= busy.length, `the refusals are counted in /metrics (${refused})`);
    // Recovers by itself: the next request is served.
    await sleep(500);
    const after = await http(ectaOrg, 'POST', `/api/v1/exports/${created[0]!}/actions/register-contract`, {
      token: ecta.token,
      body: { registrationNumber: 'REG-AFTER' },
    });
    expectStatus(after, 409, 'served again after the burst');
  });

  it('no request in this run was answered 500', () => {
    assert.equal(statuses.filter((s) => s === 500).length, 0);
  });
});
