/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- HTTP response bodies are untyped JSON here */
/**
 * The six gateways on the REAL network (COFFEE_RUN_DIR=.run/test; a running network there is reused), the
 * project's real PostgreSQL server and real kubo nodes. An export walks every step over HTTP, each step by a
 * user of the right org at that org's gateway; then read model vs ledger, SIGKILL during projection,
 * reprojection from block 0, security cases, Postgres/kubo outages, and latency figures.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.COFFEE_RUN_DIR ??= join(REPO, '.run', 'test');
// Like `npm test` (scripts/test.mjs): the test network on its own ports, beside a developer's network.
process.env.COFFEE_PORT_OFFSET ??= '20000';
process.env.UPLOAD_MAX_BYTES = String(1024 * 1024);

const {
  PEER_ORGS,
  TEST_GATEWAY_ENV,
  act,
  adminOf,
  bringUp,
  endpoints,
  expectStatus,
  gatewayConfig,
  gatewayRunning,
  gatewaySettings,
  gatewayFetch,
  gatewayUrl,
  http,
  killGateway,
  newUser,
  offChain,
  org,
  pdf,
  runDir,
  startGateway,
  statuses,
  stopGateway,
  upload,
  waitStatus,
} = await import('./support/stack.ts');
const { connectAs, createUser, submitWithRetry } = await import('./support/fabric.ts');
type Session = import('./support/stack.ts').Session;
const { resetReadModel } = await import('../src/events/projector.ts');
const { default: pg } = await import('pg');

type Org = import('./support/stack.ts').Org;
const RUN = randomBytes(3).toString('hex').toUpperCase();
const QUANTITY = 19200;
const PRICE = 10;
const VALUE = PRICE * QUANTITY;

function pool(o: Org): InstanceType<typeof pg.Pool> {
  const p = new pg.Pool({ connectionString: gatewaySettings(o).DATABASE_URL, max: 2 });
  p.on('error', () => undefined);
  return p;
}

async function rows(o: Org): Promise<{ exports: unknown[]; events: unknown[] }> {
  const p = pool(o);
  try {
    const exports = (await p.query('SELECT * FROM rm_exports ORDER BY export_id')).rows;
    const events = (
      await p.query(
        'SELECT block_number::text, tx_index, tx_id, chaincode, event_name, export_id, payload FROM rm_events ORDER BY block_number, tx_index',
      )
    ).rows;
    return { exports, events };
  } finally {
    await p.end();
  }
}

async function checkpointOf(o: Org): Promise<bigint> {
  const p = pool(o);
  try {
    const r = await p.query<{ next_block: string }>(
      "SELECT next_block FROM projector_checkpoint WHERE name = 'read-model'",
    );
    return BigInt(r.rows[0]?.next_block ?? '0');
  } finally {
    await p.end();
  }
}

async function waitProjected(o: Org, height: bigint, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await checkpointOf(o)) < height) {
    if (Date.now() > deadline) throw new Error(`${o.id} did not project up to block ${height}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const S: Record<string, Session> = {};
let exportId = '';
let height = 0n;
const docs: Record<string, any> = {};

before(
  async () => {
    await bringUp();
  },
  { timeout: 600_000 },
);

describe('gateways on the real network', { timeout: 1_800_000 }, () => {
  it('endpoints.json lists every gateway, admin credentials in development, mode 0600', async () => {
    const file = join(runDir(), 'endpoints.json');
    const { statSync } = await import('node:fs');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const e = endpoints();
    const offset = Number(process.env.COFFEE_PORT_OFFSET);
    for (const o of PEER_ORGS) {
      assert.equal(e.gateways[o.id]!.url, `https://127.0.0.1:${o.defaultGatewayPort + offset}`);
      assert.equal(
        statSync(e.gateways[o.id]!.configFile!).mode & 0o777,
        0o600,
        'the gateway config is private',
      );
      assert.ok(e.gateways[o.id]!.admin!.password.length >= 12);
      const ready = await http(o, 'GET', '/ready');
      expectStatus(ready, 200, `${o.id} ready`);
    }
  });

  it("the launcher's gateways write their own size-rotated log to the node's log file", async () => {
    const { readFileSync } = await import('node:fs');
    for (const o of PEER_ORGS) {
      const file = join(runDir(), 'logs', `gateway.${o.id}.log`);
      assert.equal(gatewaySettings(o).LOG_FILE, file, `${o.id}: LOG_FILE is the launcher's log file`);
      assert.ok(gatewayConfig(o).logFile, `${o.id}: the gateway's configuration turns rotation on`);
      const marker = `log-check-${randomBytes(4).toString('hex')}`;
      // Unauthenticated: a 401, logged at warn (successful reads log at debug only).
      await http(o, 'GET', `/api/v1/exports?${marker}`);
      // Written by pino through the rotating file (JSON lines), not only by the launcher's stdout redirect. The
      // line is written when the response has finished on the server's side, which may be just after the client
      // has read it: wait for it a little.
      const logged = (): boolean =>
        readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .slice(-500)
          .some((l) => l.startsWith('{') && l.includes(marker));
      for (let i = 0; i < 40 && !logged(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(logged(), `${o.id}: the request's log line is in ${file}`);
    }
  });

  it('org admins create their users (CA identity with role + on-chain record); ECTA licenses the exporter', async () => {
    const admins = Object.fromEntries(
      await Promise.all(PEER_ORGS.map(async (o) => [o.id, await adminOf(o)] as const)),
    );
    S.ecta = await newUser(admins.ecta!, `ecta-${RUN.toLowerCase()}`, 'ecta_officer');
    const exporterId = `EXPT-${RUN}`;
    const lic = await http(org('ecta'), 'POST', '/api/v1/exporters', {
      token: S.ecta.token,
      body: {
        exporterId,
        legalName: `Sidama Coffee ${RUN}`,
        tin: '0123456789',
        licenceNumber: `LIC-${RUN}`,
        licenceValidUntil: '2031-12-31',
      },
    });
    expectStatus(lic, 201, 'register exporter');
    const price = await http(org('ecta'), 'POST', '/api/v1/minimum-prices', {
      token: S.ecta.token,
      body: { grade: 'G2', usdPerKg: 4, effectiveFrom: '2020-01-01' },
    });
    expectStatus(price, 201, 'publish minimum price');
    [S.exporter, S.bank, S.fx, S.grader, S.shipping, S.customs] = await Promise.all([
      newUser(admins['commercial-bank']!, `exporter-${RUN.toLowerCase()}`, 'exporter', exporterId),
      newUser(admins['commercial-bank']!, `bank-${RUN.toLowerCase()}`, 'bank_officer'),
      newUser(admins['national-bank']!, `fx-${RUN.toLowerCase()}`, 'fx_officer'),
      newUser(admins.ecx!, `grader-${RUN.toLowerCase()}`, 'grader'),
      newUser(admins['shipping-line']!, `agent-${RUN.toLowerCase()}`, 'shipping_agent'),
      newUser(admins.customs!, `customs-${RUN.toLowerCase()}`, 'customs_officer'),
    ]);
    S.cbAdmin = admins['commercial-bank']!;
    const me = await http(org('commercial-bank'), 'GET', '/api/v1/auth/me', { token: S.exporter.token });
    expectStatus(me, 200, 'me');
    assert.equal(me.body.fabricUserId, `CommercialBankMSP::exporter-${RUN.toLowerCase()}`);
    assert.equal(me.body.exporterId, exporterId);
    const own = await http(org('commercial-bank'), 'GET', '/api/v1/exports?exporterId=SOMEONE-ELSE', {
      token: S.exporter.token,
    });
    expectStatus(own, 200, 'an exporter lists only their own exports');
    assert.deepEqual(own.body.items, []);
  });

  it('walks an export through every step over HTTP, each by the right org at its own gateway', async () => {
    const ex = S.exporter!;
    docs.SALES_CONTRACT = await upload(ex, 'SALES_CONTRACT', `sales contract ${RUN}`);
    docs.PROFORMA_INVOICE = await upload(ex, 'PROFORMA_INVOICE', `proforma ${RUN}`);
    const body = {
      exportId: `EX-${RUN}-1`,
      contract: {
        contractNumber: `SC-${RUN}`,
        buyerName: 'Hamburg Roasters GmbH',
        // Outside the EU: an EU-bound export needs an EUDR package before customs (eudr tests walk that path).
        destinationCountry: 'US',
        contractedGrade: 'G2',
        quantityKg: QUANTITY,
        originRegion: 'SIDAMA',
        incoterm: 'FOB',
      },
      documents: [
        { type: 'SALES_CONTRACT', cid: docs.SALES_CONTRACT.cid },
        { type: 'PROFORMA_INVOICE', cid: docs.PROFORMA_INVOICE.cid },
      ],
      tradeTerms: { unitPriceUsdPerKg: PRICE, contractValueUsd: VALUE, paymentMethod: 'LC' },
      details: { buyerContact: 'purchasing@roasters.example' },
    };
    const key = `idem-${RUN}-create-1`;
    const created = await http(org('commercial-bank'), 'POST', '/api/v1/exports', {
      token: ex.token,
      body,
      headers: { 'Idempotency-Key': key },
    });
    expectStatus(created, 201, 'create export');
    assert.equal(created.body.status, 'SUBMITTED');
    exportId = created.body.id;
    const again = await http(org('commercial-bank'), 'POST', '/api/v1/exports', {
      token: ex.token,
      body,
      headers: { 'Idempotency-Key': key },
    });
    expectStatus(again, 201, 'retried create');
    assert.deepEqual(again.body, created.body, 'the retry returns the first answer, no second export');
    const reused = await http(org('commercial-bank'), 'POST', '/api/v1/exports', {
      token: ex.token,
      body: { ...body, exportId: `EX-${RUN}-X` },
      headers: { 'Idempotency-Key': key },
    });
    expectStatus(reused, 422, 'same key, different request');

    await act(
      S.ecta!,
      exportId,
      'register-contract',
      { registrationNumber: `ECTA-REG-${RUN}` },
      'CONTRACT_REGISTERED',
    );
    docs.QUALITY_CERTIFICATE = await upload(S.grader!, 'QUALITY_CERTIFICATE', `quality ${RUN}`, { exportId });
    await act(
      S.grader!,
      exportId,
      'certify-quality',
      {
        lotNumber: `LOT-${RUN}`,
        warehouseReceiptNumber: `WR-${RUN}`,
        certifiedGrade: 'G2',
        cupScore: 86.5,
        moisturePercent: 10.5,
        defectsPer300g: 3,
        certifiedQuantityKg: QUANTITY,
        documents: [{ type: 'QUALITY_CERTIFICATE', cid: docs.QUALITY_CERTIFICATE.cid }],
      },
      'QUALITY_CERTIFIED',
    );
    docs.LC = await upload(S.bank!, 'LC_OR_ADVANCE_ADVICE', `lc ${RUN}`, { exportId });
    await act(
      S.bank!,
      exportId,
      'submit-fx',
      {
        fxApplication: { paymentMethod: 'LC', evidenceReference: `LC-${RUN}`, amountUsd: VALUE },
        documents: [{ type: 'LC_OR_ADVANCE_ADVICE', cid: docs.LC.cid }],
      },
      'FX_SUBMITTED',
    );
    await act(S.fx!, exportId, 'approve-fx', {}, 'FX_APPROVED');
    docs.BOOKING = await upload(S.shipping!, 'BOOKING_CONFIRMATION', `booking ${RUN}`, { exportId });
    await act(
      S.shipping!,
      exportId,
      'book-shipment',
      {
        bookingNumber: `BKG-${RUN}`,
        vesselName: 'MV Abay',
        voyageNumber: 'V-12',
        containerNumbers: ['MSCU1234567'],
        portOfLoading: 'DJJIB',
        portOfDischarge: 'USNYC',
        etd: new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10),
        documents: [{ type: 'BOOKING_CONFIRMATION', cid: docs.BOOKING.cid }],
      },
      'SHIPMENT_BOOKED',
    );
    // The exporter's shipping documents are attached on-chain at upload.
    await waitStatus(ex, exportId, ['SHIPMENT_BOOKED']);
    const invoice = await upload(ex, 'COMMERCIAL_INVOICE', `invoice ${RUN}`, {
      exportId,
      quantityKg: QUANTITY,
      grade: 'G2',
    });
    assert.equal(invoice.attached, true);
    assert.equal(invoice.version, 1);
    await upload(ex, 'PACKING_LIST', `packing ${RUN}`, { exportId, quantityKg: QUANTITY });
    await upload(ex, 'CERTIFICATE_OF_ORIGIN', `origin ${RUN}`, { exportId });
    await upload(ex, 'PHYTOSANITARY_CERTIFICATE', `phyto ${RUN}`, { exportId });
    await waitStatus(S.customs!, exportId, ['SHIPMENT_BOOKED']);
    const record = await http(org('customs'), 'GET', `/api/v1/exports/${exportId}`, {
      token: S.customs!.token,
    });
    expectStatus(record, 200, 'customs reads the export');
    const permitNumber = record.body.permit.permitNumber as string;
    docs.DECLARATION = await upload(S.customs!, 'EXPORT_DECLARATION', `declaration ${RUN}`, { exportId });
    await act(
      S.customs!,
      exportId,
      'clear-customs',
      {
        declarationNumber: `DEC-${RUN}`,
        permitNumber,
        declaredQuantityKg: QUANTITY,
        declaredGrade: 'G2',
        riskLane: 'GREEN',
        customsValue: { declaredValueUsd: VALUE },
        documents: [{ type: 'EXPORT_DECLARATION', cid: docs.DECLARATION.cid }],
      },
      'CUSTOMS_CLEARED',
    );
    docs.BL = await upload(S.shipping!, 'BILL_OF_LADING', `bill of lading ${RUN}`, { exportId });
    await act(
      S.shipping!,
      exportId,
      'ship',
      {
        billOfLadingNumber: `BL-${RUN}`,
        onBoardDate: new Date(Date.now() - 60_000).toISOString().slice(0, 10),
        documents: [{ type: 'BILL_OF_LADING', cid: docs.BL.cid }],
      },
      'SHIPPED',
    );
    await act(
      S.shipping!,
      exportId,
      'add-tracking-event',
      { location: 'DJJIB', status: 'DEPARTED', eventTime: new Date(Date.now() - 1000).toISOString() },
      'SHIPPED',
    );
  });

  it('measures: a submit over HTTP vs the bare fabric-gateway client; GET /exports vs an on-chain evaluate', async () => {
    const bare = await createUser(org('shipping-line'), {
      username: `bare-agent-${RUN.toLowerCase()}`,
      role: 'shipping_agent',
    });
    const conn = connectAs(org('shipping-line'), bare);
    const N = 15;
    const httpMs: number[] = [];
    const bareMs: number[] = [];
    try {
      const contract = conn.gateway.getNetwork('coffee-export-channel').getContract('coffee-export');
      for (let i = 0; i < N; i++) {
        const input = {
          location: 'USNYC',
          status: 'IN_TRANSIT',
          eventTime: new Date(Date.now() - 1000).toISOString(),
        };
        let t = performance.now();
        await act(S.shipping!, exportId, 'add-tracking-event', input);
        httpMs.push(performance.now() - t);
        t = performance.now();
        const commit = await submitWithRetry(contract, 'export:AddTrackingEvent', [
          JSON.stringify({ exportId, ...input }),
        ]);
        const st = await commit.getStatus();
        bareMs.push(performance.now() - t);
        assert.ok(st.successful);
      }
      const listMs: number[] = [];
      const evalMs: number[] = [];
      for (let i = 0; i < 40; i++) {
        let t = performance.now();
        const r = await http(org('shipping-line'), 'GET', '/api/v1/exports?status=SHIPPED&limit=20', {
          token: S.shipping!.token,
        });
        listMs.push(performance.now() - t);
        assert.equal(r.status, 200);
        t = performance.now();
        await contract.evaluateTransaction(
          'export:ListExportsByStatus',
          JSON.stringify({ status: 'SHIPPED', pageSize: 20 }),
        );
        evalMs.push(performance.now() - t);
      }
      const f = (xs: number[]): string =>
        `p50 ${percentile(xs, 50).toFixed(1)} ms, p95 ${percentile(xs, 95).toFixed(1)} ms`;
      console.log(
        `MEASURE submit (AddTrackingEvent, n=${N}): HTTP gateway ${f(httpMs)}; bare fabric-gateway ${f(bareMs)}`,
      );
      console.log(
        `MEASURE list SHIPPED (n=40): GET /api/v1/exports (read model) ${f(listMs)}; on-chain evaluate ListExportsByStatus ${f(evalMs)}`,
      );
      assert.ok(httpMs.every((x) => x > 0) && bareMs.every((x) => x > 0));
    } finally {
      conn.close();
    }
  });

  it('completes: payment and repatriation', async () => {
    docs.PAYMENT = await upload(S.bank!, 'PAYMENT_ADVICE', `payment ${RUN}`, { exportId });
    await act(
      S.bank!,
      exportId,
      'confirm-payment',
      {
        paymentReference: `SWIFT-${RUN}`,
        paymentProceeds: { amountUsd: VALUE },
        documents: [{ type: 'PAYMENT_ADVICE', cid: docs.PAYMENT.cid }],
      },
      'PAYMENT_RECEIVED',
    );
    await act(S.fx!, exportId, 'confirm-repatriation', {}, 'COMPLETED');
    const history = await http(org('ecta'), 'GET', `/api/v1/exports/${exportId}/history`, {
      token: S.ecta!.token,
    });
    expectStatus(history, 200, 'history');
    assert.ok(history.body.entries.length >= 12, 'every step is in the history');
  });

  it("another org's gateway fetches a document by CID from its own node, hash-checked against the ledger", async () => {
    const r = await http(
      org('customs'),
      'GET',
      `/api/v1/documents/${docs.SALES_CONTRACT.cid}?exportId=${exportId}`,
      { token: S.customs!.token },
    );
    expectStatus(r, 200, 'download at customs');
    assert.equal(r.bytes.toString(), pdf(`sales contract ${RUN}`));
    assert.equal(r.headers.get('x-content-sha256'), docs.SALES_CONTRACT.sha256);
  });

  it('public verification shows state and document hashes, without private data or login', async () => {
    const r = await http(org('ecx'), 'GET', `/api/v1/verify/${exportId}`);
    expectStatus(r, 200, 'verify');
    assert.equal(r.body.status, 'COMPLETED');
    assert.ok(
      r.body.documents.some(
        (d: any) => d.type === 'SALES_CONTRACT' && d.sha256 === docs.SALES_CONTRACT.sha256,
      ),
      'a buyer holding the file can check its hash',
    );
    assert.ok(
      r.body.steps.some((st: any) => st.status === 'SHIPPED'),
      'step times',
    );
    const numbers: number[] = [];
    const text = JSON.stringify(r.body, (_k, v: unknown) => {
      if (typeof v === 'number') numbers.push(v);
      return v;
    });
    assert.ok(!numbers.includes(VALUE), 'no contract value');
    for (const secret of [
      docs.SALES_CONTRACT.cid,
      '"cid"',
      'txId',
      'unitPriceUsdPerKg',
      'Hamburg Roasters',
      'buyerContact',
      S.exporter!.username,
      S.customs!.username,
    ])
      assert.ok(!text.includes(secret), `no ${secret}`);
  });

  it("every gateway's read model equals the ledger (and each other)", async () => {
    const h = await http(org('ecta'), 'GET', '/api/v1/exports?limit=1', { token: S.ecta!.token });
    assert.equal(h.status, 200);
    const { deps } = await ledgerProbe();
    height = await deps.chainHeight();
    await Promise.all(PEER_ORGS.map((o) => waitProjected(o, height)));
    const ours = (await rows(org('commercial-bank'))).exports.find(
      (r: any) => r.export_id === exportId,
    ) as any;
    const ledgerRecord = await deps.getExport(exportId);
    assert.equal(ours.status, ledgerRecord.status);
    assert.equal(ours.status, 'COMPLETED');
    assert.equal(ours.last_tx_id, ledgerRecord.lastAction.txId);
    assert.equal(ours.updated_at, ledgerRecord.updatedAt);
    assert.equal(ours.exporter_id, ledgerRecord.exporterId);
    assert.equal(ours.permit_number, ledgerRecord.permit.permitNumber);
    // Every projected export against the ledger (records the current chaincode can read).
    const all = (await rows(org('commercial-bank'))).exports as any[];
    let compared = 0;
    for (const row of all) {
      const rec = await deps.getExport(row.export_id).catch(() => undefined);
      if (!rec) continue;
      compared++;
      assert.equal(row.status, rec.status, `${row.export_id} status`);
      assert.equal(row.last_tx_id, rec.lastAction.txId, `${row.export_id} last tx`);
    }
    assert.ok(compared >= 1);
    console.log(`read model: ${all.length} exports projected, ${compared} compared with the ledger`);
    const reference = JSON.stringify(await rows(org('commercial-bank')));
    for (const o of PEER_ORGS)
      assert.equal(JSON.stringify(await rows(o)), reference, `${o.id}'s read model equals commercial-bank's`);
    await deps.close();
  });

  it('SIGKILL a gateway while it projects, restart: no lost rows, no duplicates', async () => {
    const nb = org('national-bank');
    const reference = JSON.stringify(await rows(org('commercial-bank')));
    await stopGatewaySafely(nb);
    const p = pool(nb);
    await resetReadModel(p);
    await p.end();
    await startGateway(nb, { ...TEST_GATEWAY_ENV, COFFEE_PROJECTOR_BLOCK_DELAY_MS: '60' });
    const deadline = Date.now() + 60_000;
    while ((await checkpointOf(nb)) < height / 3n) {
      assert.ok(Date.now() < deadline, 'projection started');
      await new Promise((r) => setTimeout(r, 50));
    }
    killGateway(nb);
    const atKill = await checkpointOf(nb);
    assert.ok(atKill < height, `killed mid-projection (checkpoint ${atKill} of ${height})`);
    while (gatewayRunning(nb)) await new Promise((r) => setTimeout(r, 50));
    await startGateway(nb, TEST_GATEWAY_ENV);
    await waitProjected(nb, height);
    const after = await rows(nb);
    assert.equal(JSON.stringify(after), reference, 'identical to a gateway that never crashed');
    const txIds = after.events.map((e: any) => e.tx_id);
    assert.equal(new Set(txIds).size, txIds.length, 'no duplicate events');
    console.log(
      `SIGKILL at checkpoint ${atKill}/${height}: read model complete after restart (${after.exports.length} exports, ${after.events.length} events)`,
    );
  });

  it('reproject from block 0 gives identical rows', async () => {
    const ecta = org('ecta');
    await waitProjected(ecta, height);
    const before = await rows(ecta);
    const { reproject } = await import('../src/cli/reproject.ts');
    const r = await reproject(gatewayConfig(ecta));
    assert.ok(r.height >= height);
    const afterRows = await rows(ecta);
    // Blocks committed meanwhile may add rows; compare the prefix up to the earlier height.
    const upTo = (x: { events: any[] }): unknown[] => x.events.filter((e) => BigInt(e.block_number) < height);
    assert.deepEqual(upTo(afterRows), upTo(before));
    assert.equal(
      JSON.stringify(afterRows.exports.filter((e: any) => BigInt(e.last_block) < height)),
      JSON.stringify(before.exports.filter((e: any) => BigInt(e.last_block) < height)),
    );
  });

  it('security: cross-org tokens, forged tokens, wrong roles, hostile input, oversize bodies and uploads', async () => {
    const cb = org('commercial-bank');
    const ecta = org('ecta');
    let r = await http(ecta, 'GET', '/api/v1/exports', { token: S.exporter!.token });
    expectStatus(r, 401, "commercial-bank's token at ECTA");
    const [h, p] = S.ecta!.token.split('.');
    r = await http(ecta, 'GET', '/api/v1/exports', {
      token: `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`,
    });
    expectStatus(r, 401, 'alg none');
    const forged = JSON.parse(Buffer.from(p!, 'base64url').toString());
    r = await http(ecta, 'GET', '/api/v1/users', {
      token: `${h}.${Buffer.from(JSON.stringify({ ...forged, role: 'admin' })).toString('base64url')}.${S.ecta!.token.split('.')[2]}`,
    });
    expectStatus(r, 401, 'tampered');
    r = await http(org('ecx'), 'POST', `/api/v1/exports/${exportId}/actions/register-contract`, {
      token: S.grader!.token,
      body: { registrationNumber: 'X-1' },
    });
    expectStatus(r, 403, 'grader cannot register a contract');
    r = await http(ecta, 'POST', '/api/v1/users', {
      token: S.ecta!.token,
      body: { username: 'mallory', password: 'x'.repeat(16), role: 'admin' },
    });
    expectStatus(r, 403, 'officer cannot create users');
    r = await http(cb, 'POST', '/api/v1/exports', { token: S.bank!.token, body: {} });
    expectStatus(r, 403, 'bank officer cannot submit an export');
    r = await http(cb, 'GET', `/api/v1/exports?q=${encodeURIComponent("' OR 1=1 --")}`, {
      token: S.bank!.token,
    });
    expectStatus(r, 200, 'SQL-looking search');
    assert.equal(r.body.items.length, 0);
    r = await http(cb, 'GET', `/api/v1/exports/${encodeURIComponent("EX' OR '1'='1")}`, {
      token: S.bank!.token,
    });
    expectStatus(r, 400, 'SQL-looking id');
    r = await http(cb, 'POST', '/api/v1/auth/login', {
      body: { username: "admin' --", password: "' OR '1'='1" },
    });
    expectStatus(r, 401, 'SQL-looking login');
    r = await http(cb, 'POST', '/api/v1/exports', {
      token: S.exporter!.token,
      raw: JSON.stringify({ blob: 'x'.repeat(400_000) }),
    });
    expectStatus(r, 413, 'oversize JSON');
    const form = new FormData();
    form.set('type', 'COMMERCIAL_INVOICE');
    form.set(
      'file',
      new Blob([Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(1024 * 1024 + 1, 65)])], {
        type: 'application/pdf',
      }),
      'big.pdf',
    );
    r = await http(cb, 'POST', '/api/v1/documents', { token: S.exporter!.token, form });
    expectStatus(r, 413, 'upload over the limit');
    const exe = new FormData();
    exe.set('type', 'COMMERCIAL_INVOICE');
    exe.set('file', new Blob(['MZ'], { type: 'application/x-msdownload' }), 'x.exe');
    r = await http(cb, 'POST', '/api/v1/documents', { token: S.exporter!.token, form: exe });
    expectStatus(r, 415, 'media type not allowed');
    r = await http(cb, 'POST', `/api/v1/exports/${exportId}/actions/ship`, {
      token: S.exporter!.token,
      raw: '{"not json',
    });
    expectStatus(r, 400, 'malformed JSON');
    r = await http(cb, 'POST', `/api/v1/exports/${exportId}/actions/no-such-action`, {
      token: S.exporter!.token,
      body: {},
    });
    assert.ok([403, 404].includes(r.status));
    r = await http(org('national-bank'), 'POST', `/api/v1/exports/${exportId}/actions/approve-fx`, {
      token: S.fx!.token,
      body: {},
    });
    expectStatus(r, 409, 'chaincode INVALID_TRANSITION passes through');
    assert.equal(r.body.code, 'INVALID_TRANSITION');
    r = await http(org('shipping-line'), 'POST', `/api/v1/exports/NOPE-${RUN}/actions/ship`, {
      token: S.shipping!.token,
      body: { billOfLadingNumber: '../../x', onBoardDate: 'yesterday' },
    });
    assert.ok(r.status >= 400 && r.status < 500, `bad input → 4xx, got ${r.status}`);
    const login = await http(cb, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: 'x'.repeat(40) } });
    expectStatus(login, 401, 'unknown refresh token');
  });

  it('refresh tokens rotate; reuse revokes the family; logout revokes', async () => {
    const cb = org('commercial-bank');
    const a = endpoints().gateways[cb.id]!.admin!;
    const first = await http(cb, 'POST', '/api/v1/auth/login', {
      body: { username: a.username, password: a.password },
    });
    const second = await http(cb, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: first.body.refreshToken },
    });
    expectStatus(second, 200, 'rotate');
    assert.notEqual(second.body.refreshToken, first.body.refreshToken);
    const reuse = await http(cb, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: first.body.refreshToken },
    });
    expectStatus(reuse, 401, 'reuse of a rotated token');
    assert.equal(reuse.body.code, 'REFRESH_TOKEN_REUSED');
    const afterReuse = await http(cb, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: second.body.refreshToken },
    });
    expectStatus(afterReuse, 401, 'the whole family is revoked');
    const third = await http(cb, 'POST', '/api/v1/auth/login', {
      body: { username: a.username, password: a.password },
    });
    expectStatus(
      await http(cb, 'POST', '/api/v1/auth/logout', {
        token: third.body.accessToken,
        body: { refreshToken: third.body.refreshToken },
      }),
      204,
      'logout',
    );
    expectStatus(
      await http(cb, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: third.body.refreshToken } }),
      401,
      'refresh after logout',
    );
  });

  it('delinquency is per export and proven from the ledger; the exporter-wide switch is gone', async () => {
    const nb = org('national-bank');
    expectStatus(
      await http(nb, 'POST', `/api/v1/exporters/EXPT-${RUN}/delinquency`, {
        token: S.fx!.token,
        body: { delinquent: true, reason: 'x' },
      }),
      404,
      'no route sets an exporter delinquent by decree',
    );
    expectStatus(
      await http(org('ecta'), 'POST', `/api/v1/exports/${exportId}/actions/mark-delinquent`, {
        token: S.ecta!.token,
        body: {},
      }),
      403,
      'ECTA may not mark delinquency',
    );
    const early = await http(nb, 'POST', `/api/v1/exports/${exportId}/actions/mark-delinquent`, {
      token: S.fx!.token,
      body: {},
    });
    expectStatus(early, 409, 'a COMPLETED export is not overdue');
    assert.equal(early.body.code, 'INVALID_TRANSITION');
  });

  it('an org admin suspends a user (on-chain too) and reactivates them', async () => {
    const cb = org('commercial-bank');
    const admin = S.cbAdmin!;
    const list = await http(cb, 'GET', '/api/v1/users', { token: admin.token });
    expectStatus(list, 200, 'list users');
    const bank = list.body.items.find((u: any) => u.username === S.bank!.username);
    assert.ok(bank, 'the bank officer is listed');
    expectStatus(
      await http(cb, 'PATCH', `/api/v1/users/${bank.id}`, {
        token: admin.token,
        body: { status: 'SUSPENDED', reason: 'audit hold' },
      }),
      200,
      'suspend',
    );
    const refused = await http(cb, 'GET', '/api/v1/exports', { token: S.bank!.token });
    expectStatus(refused, 403, 'a suspended user is refused');
    assert.equal(refused.body.code, 'USER_SUSPENDED');
    expectStatus(
      await http(cb, 'PATCH', `/api/v1/users/${bank.id}`, { token: admin.token, body: { status: 'ACTIVE' } }),
      200,
      'reactivate',
    );
    expectStatus(await http(cb, 'GET', '/api/v1/exports', { token: S.bank!.token }), 200, 'active again');
    expectStatus(
      await http(cb, 'PATCH', `/api/v1/users/${bank.id}`, {
        token: S.bank!.token,
        body: { status: 'ACTIVE' },
      }),
      403,
      'only admins manage users',
    );
  });

  it('a document whose stored bytes differ from the on-chain hash fails verification', async () => {
    const cb = org('commercial-bank');
    const second = await createSecondExport('2');
    const staged = await upload(S.exporter!, 'CERTIFICATE_OF_ORIGIN', `origin tampered ${RUN}`);
    const p = pool(cb);
    await p.query('UPDATE documents SET sha256 = $2 WHERE cid = $1', [staged.cid, 'f'.repeat(64)]);
    await p.end();
    await act(S.exporter!, second, 'attach-documents', {
      documents: [{ type: 'CERTIFICATE_OF_ORIGIN', cid: staged.cid }],
    });
    const r = await http(cb, 'GET', `/api/v1/documents/${staged.cid}`, { token: S.exporter!.token });
    expectStatus(r, 502, 'hash mismatch');
    assert.equal(r.body.code, 'DOCUMENT_HASH_MISMATCH');
    const good = await http(
      org('national-bank'),
      'GET',
      `/api/v1/documents/${docs.PROFORMA_INVOICE.cid}?exportId=${exportId}`,
      { token: S.fx!.token },
    );
    expectStatus(good, 200, 'an intact document verifies');
  });

  it('Postgres stopped: /ready 503, writes 503 with nothing written; started again: works', async () => {
    const cb = org('commercial-bank');
    const staged = await upload(S.exporter!, 'SALES_CONTRACT', `contract pg-outage ${RUN}`);
    const proforma = await upload(S.exporter!, 'PROFORMA_INVOICE', `proforma pg-outage ${RUN}`);
    const id = `EX-${RUN}-PG`;
    await offChain.stopPostgres();
    try {
      expectStatus(await http(cb, 'GET', '/ready'), 503, 'ready without Postgres');
      const r = await http(cb, 'POST', '/api/v1/exports', {
        token: S.exporter!.token,
        body: exportBody(id, staged.cid, proforma.cid),
      });
      expectStatus(r, 503, 'create without Postgres');
      const { deps } = await ledgerProbe();
      await assert.rejects(
        deps.getExport(id),
        (e: any) => e.code === 'EXPORT_NOT_FOUND',
        'nothing on the ledger',
      );
      await deps.close();
    } finally {
      await offChain.startPostgres();
    }
    await waitReady(cb);
    const ok = await http(cb, 'POST', '/api/v1/exports', {
      token: S.exporter!.token,
      body: exportBody(id, staged.cid, proforma.cid),
    });
    expectStatus(ok, 201, 'create after Postgres is back');
  });

  it('kubo stopped: /ready 503, uploads and document-carrying writes 503, nothing on the ledger; started again: works', async () => {
    const cb = org('commercial-bank');
    const staged = await upload(S.exporter!, 'SALES_CONTRACT', `contract ipfs-outage ${RUN}`);
    const proforma = await upload(S.exporter!, 'PROFORMA_INVOICE', `proforma ipfs-outage ${RUN}`);
    const id = `EX-${RUN}-IPFS`;
    await offChain.stopIpfs(cb);
    try {
      expectStatus(await http(cb, 'GET', '/ready'), 503, 'ready without IPFS');
      const form = new FormData();
      form.set('type', 'SALES_CONTRACT');
      form.set('file', new Blob([pdf('no node')], { type: 'application/pdf' }), 'c.pdf');
      expectStatus(
        await http(cb, 'POST', '/api/v1/documents', { token: S.exporter!.token, form }),
        503,
        'upload without IPFS',
      );
      expectStatus(
        await http(cb, 'POST', '/api/v1/exports', {
          token: S.exporter!.token,
          body: exportBody(id, staged.cid, proforma.cid),
        }),
        503,
        'create without IPFS',
      );
      const { deps } = await ledgerProbe();
      await assert.rejects(
        deps.getExport(id),
        (e: any) => e.code === 'EXPORT_NOT_FOUND',
        'no on-chain reference without a pinned file',
      );
      await deps.close();
    } finally {
      await offChain.startIpfs(cb);
    }
    await waitReady(cb);
    expectStatus(
      await http(cb, 'POST', '/api/v1/exports', {
        token: S.exporter!.token,
        body: exportBody(id, staged.cid, proforma.cid),
      }),
      201,
      'create after IPFS is back',
    );
  });

  it('no request in this run was answered 500', () => {
    assert.ok(statuses.length > 50);
    assert.ok(!statuses.includes(500), `statuses seen: ${[...new Set(statuses)].join(', ')}`);
  });
});

after(async () => {
  // The network stays up for the other test files; what this file started is stopped by pid.
  await offChain.stopAll();
});

function exportBody(id: string, contractCid: string, proformaCid: string): Record<string, unknown> {
  return {
    exportId: id,
    contract: {
      contractNumber: `SC-${id}`,
      buyerName: 'Rotterdam Roasters BV',
      destinationCountry: 'NL',
      contractedGrade: 'G2',
      quantityKg: QUANTITY,
      originRegion: 'SIDAMA',
      incoterm: 'FOB',
    },
    documents: [
      { type: 'SALES_CONTRACT', cid: contractCid },
      { type: 'PROFORMA_INVOICE', cid: proformaCid },
    ],
    tradeTerms: { unitPriceUsdPerKg: PRICE, contractValueUsd: VALUE, paymentMethod: 'LC' },
  };
}

async function createSecondExport(suffix: string): Promise<string> {
  const c = await upload(S.exporter!, 'SALES_CONTRACT', `contract ${RUN} ${suffix}`);
  const p = await upload(S.exporter!, 'PROFORMA_INVOICE', `proforma ${RUN} ${suffix}`);
  const r = await http(org('commercial-bank'), 'POST', '/api/v1/exports', {
    token: S.exporter!.token,
    body: exportBody(`EX-${RUN}-${suffix}`, c.cid, p.cid),
  });
  expectStatus(r, 201, 'second export');
  return r.body.id as string;
}

async function waitReady(o: Org): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await gatewayFetch(`${gatewayUrl(o)}/ready`).catch(() => undefined);
    if (r?.status === 200) return;
    assert.ok(Date.now() < deadline, `${o.id} ready again`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function stopGatewaySafely(o: Org): Promise<void> {
  await stopGateway(o);
}

/** A direct ledger reader (ECTA's org admin) for comparisons with what the gateways say. */
let probeIdentity: { username: string; mspId: string; certificate: string; privateKey: string } | undefined;

/**
 * A direct ledger reader: a commercial-bank auditor (CA-enrolled, registered on-chain). Need-to-know applies to
 * the chaincode's reads too, and that org's auditors see every export from its first draft.
 */
async function ledgerProbe(): Promise<{
  deps: { chainHeight(): Promise<bigint>; getExport(id: string): Promise<any>; close(): Promise<void> };
}> {
  const { CoffeeLedger, Ledger } = await import('../src/fabric/ledger.ts');
  const o = org('commercial-bank');
  probeIdentity ??= await createUser(o, {
    username: `probe-auditor-${RUN.toLowerCase()}`,
    role: 'auditor',
  });
  const admin = probeIdentity;
  const who = {
    id: `${o.mspId}::${admin.username}`,
    mspId: o.mspId,
    certificate: admin.certificate,
    privateKey: admin.privateKey,
  };
  const ledger = new CoffeeLedger(
    new Ledger(gatewayConfig(o).peer, {
      evaluateMs: 10_000,
      endorseMs: 10_000,
      submitMs: 10_000,
      commitMs: 30_000,
    }),
  );
  return {
    deps: {
      chainHeight: () => ledger.chainHeight(who),
      getExport: (id: string) => ledger.getExport(who, id),
      close: () => Promise.resolve(ledger.ledger.close()),
    },
  };
}
