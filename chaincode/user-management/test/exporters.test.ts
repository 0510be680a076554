import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FakeLedger, Identity } from '@coffee/chaincode-common/dist/test-support/fakes';
import { UM, admins, bootstrap, exporterInput, newLedger, officers, register } from './helpers/setup';

type Json = Record<string, unknown>;

const NB_ADMIN = admins.NationalBankMSP as Identity;

async function eligibility(
  ledger: FakeLedger,
  purpose: 'EXPORT' | 'FX',
  exporterId = 'EXP-001',
): Promise<Json> {
  return JSON.parse(
    await ledger.evaluate(officers.fx, UM, 'exporters:CheckExporterEligibility', [
      JSON.stringify({ exporterId, purpose }),
    ]),
  ) as Json;
}

describe('exporters: licences kept by ECTA', () => {
  it('registers and updates a licence (status, valid-until, warnings) with events', async () => {
    const ledger = newLedger();
    await bootstrap(ledger);
    const record = JSON.parse(
      await ledger.evaluate(officers.customs, UM, 'exporters:GetExporter', ['EXP-001']),
    ) as Json;
    assert.equal(record.status, 'ACTIVE');
    assert.equal(record.licenceValidUntil, '2027-12-31T00:00:00.000Z');
    assert.equal(record.warnings, 0);
    const updated = JSON.parse(
      await ledger.submit(officers.ecta, UM, 'exporters:UpdateExporter', [
        JSON.stringify({ exporterId: 'EXP-001', status: 'SUSPENDED', warnings: 2, reason: 'audit finding' }),
      ]),
    ) as Json;
    assert.equal(updated.status, 'SUSPENDED');
    assert.equal(updated.warnings, 2);
    assert.equal(ledger.lastEvent()?.name, 'ExporterUpdated');
  });

  it('an ECTA admin certificate may register licences without an on-chain record (bootstrap)', async () => {
    const ledger = newLedger();
    await ledger.submit(admins.ECTAMSP as Identity, UM, 'exporters:RegisterExporter', [
      exporterInput('EXP-009'),
    ]);
    assert.equal(ledger.lastEvent()?.name, 'ExporterRegistered');
  });

  const refusals: { name: string; caller: Identity; fn: string; input: string; code: RegExp }[] = [
    {
      name: 'bank officer registers',
      caller: officers.bank,
      fn: 'RegisterExporter',
      input: exporterInput('EXP-002'),
      code: /^FORBIDDEN_ORG/,
    },
    {
      name: 'ECTA auditor registers',
      caller: { mspId: 'ECTAMSP', commonName: 'aud', role: 'auditor' },
      fn: 'RegisterExporter',
      input: exporterInput('EXP-002'),
      code: /^FORBIDDEN_ROLE/,
    },
    {
      name: 'unregistered ECTA officer',
      caller: { mspId: 'ECTAMSP', commonName: 'ghost', role: 'ecta_officer' },
      fn: 'RegisterExporter',
      input: exporterInput('EXP-002'),
      code: /^USER_NOT_REGISTERED/,
    },
    {
      name: 'duplicate exporter',
      caller: officers.ecta,
      fn: 'RegisterExporter',
      input: exporterInput('EXP-001'),
      code: /^EXPORTER_EXISTS/,
    },
    {
      name: 'bad TIN',
      caller: officers.ecta,
      fn: 'RegisterExporter',
      input: exporterInput('EXP-002', { tin: '12ab' }),
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'impossible date',
      caller: officers.ecta,
      fn: 'RegisterExporter',
      input: exporterInput('EXP-002', { licenceValidUntil: '2027-02-30' }),
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'id with NUL',
      caller: officers.ecta,
      fn: 'RegisterExporter',
      input: exporterInput('EXP\u0000X'),
      code: /^VALIDATION_FAILED/,
    },
    {
      name: '__proto__ key',
      caller: officers.ecta,
      fn: 'RegisterExporter',
      input: exporterInput('EXP-002').replace('{', '{"__proto__":{"x":1},'),
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'malformed JSON',
      caller: officers.ecta,
      fn: 'RegisterExporter',
      input: '{"exporterId":',
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'update changes nothing',
      caller: officers.ecta,
      fn: 'UpdateExporter',
      input: JSON.stringify({ exporterId: 'EXP-001' }),
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'suspend without reason',
      caller: officers.ecta,
      fn: 'UpdateExporter',
      input: JSON.stringify({ exporterId: 'EXP-001', status: 'BANNED' }),
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'negative warnings',
      caller: officers.ecta,
      fn: 'UpdateExporter',
      input: JSON.stringify({ exporterId: 'EXP-001', warnings: -1 }),
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'update unknown exporter',
      caller: officers.ecta,
      fn: 'UpdateExporter',
      input: JSON.stringify({ exporterId: 'EXP-404', warnings: 1 }),
      code: /^EXPORTER_NOT_FOUND/,
    },
    {
      name: 'customs updates licence',
      caller: officers.customs,
      fn: 'UpdateExporter',
      input: JSON.stringify({ exporterId: 'EXP-001', warnings: 1 }),
      code: /^FORBIDDEN_ORG/,
    },
    {
      name: 'direct call by the National Bank fx_officer',
      caller: officers.fx,
      fn: 'SetDelinquency',
      input: JSON.stringify({ exporterId: 'EXP-001', exportId: 'X-1', delinquent: true }),
      code: /^FORBIDDEN_CALLER/,
    },
    {
      name: 'direct call by ECTA',
      caller: officers.ecta,
      fn: 'SetDelinquency',
      input: JSON.stringify({ exporterId: 'EXP-001', exportId: 'X-1', delinquent: true }),
      code: /^FORBIDDEN_CALLER/,
    },
    {
      name: 'the former shape without exportId',
      caller: officers.fx,
      fn: 'SetDelinquency',
      input: JSON.stringify({ exporterId: 'EXP-001', delinquent: true, reason: 'x' }),
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'delinquent as string',
      caller: officers.fx,
      fn: 'SetDelinquency',
      input: JSON.stringify({ exporterId: 'EXP-001', exportId: 'X-1', delinquent: 'yes' }),
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'direct penalty call',
      caller: officers.ecta,
      fn: 'ApplyDefaultPenalty',
      input: JSON.stringify({ exporterId: 'EXP-001', exportId: 'X-1' }),
      code: /^FORBIDDEN_CALLER/,
    },
  ];
  for (const c of refusals) {
    it(`refuses ${c.fn}: ${c.name}, changing nothing`, async () => {
      const ledger = newLedger();
      await bootstrap(ledger);
      const before = ledger.snapshot();
      await assert.rejects(ledger.submit(c.caller, UM, `exporters:${c.fn}`, [c.input]), (e: Error) =>
        c.code.test(e.message),
      );
      assert.equal(ledger.snapshot(), before);
    });
  }
});

describe('exporters: delinquency and eligibility', () => {
  /** SetDelinquency as coffee-export's MarkDelinquent / ClearDelinquency call it (the proposal addresses coffee-export). */
  function setDelinquency(
    ledger: FakeLedger,
    exportId: string,
    delinquent: boolean,
    caller: Identity = officers.fx,
    origin = 'coffee-export',
  ): Promise<string> {
    return ledger.invokeNestedForTest(
      caller,
      origin,
      delinquent ? 'export:MarkDelinquent' : 'export:ClearDelinquency',
      UM,
      ['exporters:SetDelinquency', JSON.stringify({ exporterId: 'EXP-001', exportId, delinquent })],
    );
  }

  async function exporter(ledger: FakeLedger): Promise<Json> {
    return JSON.parse(await ledger.evaluate(officers.ecta, UM, 'exporters:GetExporter', ['EXP-001'])) as Json;
  }

  it('delinquency is kept per export; FX eligibility follows it while any export is overdue, export eligibility does not', async () => {
    const ledger = newLedger();
    await bootstrap(ledger);
    assert.equal((await eligibility(ledger, 'FX')).eligible, true);
    const marked = JSON.parse(await setDelinquency(ledger, 'X-1', true)) as Json;
    assert.deepEqual([marked.delinquent, marked.delinquentExports], [true, ['X-1']]);
    assert.deepEqual(
      [(await eligibility(ledger, 'FX')).code, (await eligibility(ledger, 'EXPORT')).eligible],
      ['EXPORTER_DELINQUENT', true],
    );
    await setDelinquency(ledger, 'X-2', true);
    assert.deepEqual((await exporter(ledger)).delinquentExports, ['X-1', 'X-2']);
    await setDelinquency(ledger, 'X-1', false);
    const stillOne = await exporter(ledger);
    assert.deepEqual([stillOne.delinquent, stillOne.delinquentExports], [true, ['X-2']]);
    assert.equal((await eligibility(ledger, 'FX')).code, 'EXPORTER_DELINQUENT');
    await setDelinquency(ledger, 'X-2', false);
    const cleared = await exporter(ledger);
    assert.deepEqual([cleared.delinquent, cleared.delinquentExports], [false, []]);
    assert.equal((await eligibility(ledger, 'FX')).eligible, true);
  });

  const nested: {
    name: string;
    prepare?: (ledger: FakeLedger) => Promise<unknown>;
    run: (ledger: FakeLedger) => Promise<unknown>;
    code: RegExp;
  }[] = [
    {
      name: 'ECTA officer through coffee-export',
      run: (ledger) => setDelinquency(ledger, 'X-1', true, officers.ecta),
      code: /^FORBIDDEN_ORG/,
    },
    {
      name: 'National Bank admin through coffee-export',
      run: (ledger) => setDelinquency(ledger, 'X-1', true, NB_ADMIN),
      code: /^FORBIDDEN_ROLE/,
    },
    {
      name: 'a proposal addressed to another chaincode',
      run: (ledger) => setDelinquency(ledger, 'X-1', true, officers.fx, 'some-other-chaincode'),
      code: /^FORBIDDEN_CALLER/,
    },
    {
      name: 'clearing an export that is not delinquent',
      run: (ledger) => setDelinquency(ledger, 'X-1', false),
      code: /^INVALID_TRANSITION/,
    },
    {
      name: 'marking the same export twice',
      prepare: (ledger) => setDelinquency(ledger, 'X-1', true),
      run: (ledger) => setDelinquency(ledger, 'X-1', true),
      code: /^INVALID_TRANSITION/,
    },
    {
      name: 'unknown exporter',
      run: (ledger) =>
        ledger.invokeNestedForTest(officers.fx, 'coffee-export', 'export:MarkDelinquent', UM, [
          'exporters:SetDelinquency',
          JSON.stringify({ exporterId: 'EXP-404', exportId: 'X-1', delinquent: true }),
        ]),
      code: /^EXPORTER_NOT_FOUND/,
    },
  ];
  for (const c of nested) {
    it(`SetDelinquency refused: ${c.name}, changing nothing`, async () => {
      const ledger = newLedger();
      await bootstrap(ledger);
      await c.prepare?.(ledger);
      const before = ledger.snapshot();
      await assert.rejects(c.run(ledger), (e: Error) => c.code.test(e.message));
      assert.equal(ledger.snapshot(), before);
    });
  }

  const standing: { name: string; update: Json; code: string }[] = [
    { name: 'SUSPENDED', update: { status: 'SUSPENDED', reason: 'x' }, code: 'LICENSE_INVALID' },
    { name: 'REVOKED', update: { status: 'REVOKED', reason: 'x' }, code: 'LICENSE_INVALID' },
    { name: 'BANNED', update: { status: 'BANNED', reason: 'x' }, code: 'LICENSE_INVALID' },
    { name: 'expired', update: { licenceValidUntil: '2025-06-30' }, code: 'LICENSE_INVALID' },
  ];
  for (const c of standing) {
    it(`an exporter whose licence is ${c.name} is not eligible`, async () => {
      const ledger = newLedger();
      await bootstrap(ledger);
      await ledger.submit(officers.ecta, UM, 'exporters:UpdateExporter', [
        JSON.stringify({ exporterId: 'EXP-001', ...c.update }),
      ]);
      const answer = await eligibility(ledger, 'EXPORT');
      assert.deepEqual([answer.eligible, answer.code], [false, c.code]);
    });
  }

  it('an unknown exporter is reported as unlicensed', async () => {
    const ledger = newLedger();
    const answer = await eligibility(ledger, 'EXPORT', 'EXP-404');
    assert.deepEqual([answer.eligible, answer.code], [false, 'LICENSE_INVALID']);
  });

  it('expiry is judged at the transaction timestamp', async () => {
    const ledger = newLedger();
    await bootstrap(ledger);
    ledger.seconds = 1_830_211_200; // 2027-12-31T00:00:00Z: the licence's last instant has passed
    assert.equal((await eligibility(ledger, 'EXPORT')).code, 'LICENSE_INVALID');
  });
});

describe('exporters: default penalty ladder (called by coffee-export)', () => {
  async function penalize(ledger: FakeLedger, exportId: string): Promise<Json> {
    // The proposal addresses coffee-export, as it does when coffee-export's RecordDefault calls in.
    const result = await ledger.invokeNestedForTest(
      officers.customs,
      'coffee-export',
      'export:RecordDefault',
      UM,
      ['exporters:ApplyDefaultPenalty', JSON.stringify({ exporterId: 'EXP-001', exportId })],
    );
    return JSON.parse(result) as Json;
  }

  it('warns first, suspends on the next default, and applies once per export', async () => {
    const ledger = newLedger();
    await bootstrap(ledger);
    const first = await penalize(ledger, 'X-1');
    assert.deepEqual([first.outcome, first.warningsAfter, first.statusAfter], ['WARNING', 1, 'ACTIVE']);
    const again = await penalize(ledger, 'X-1');
    assert.equal(again.txId, first.txId, 'the same export never counts twice');
    const second = await penalize(ledger, 'X-2');
    assert.deepEqual([second.outcome, second.statusAfter], ['SUSPENDED', 'SUSPENDED']);
    const exporter = JSON.parse(
      await ledger.evaluate(officers.ecta, UM, 'exporters:GetExporter', ['EXP-001']),
    ) as Json;
    assert.equal(exporter.status, 'SUSPENDED');
    const third = await penalize(ledger, 'X-3');
    assert.equal(third.outcome, 'RECORDED');
  });
});

describe('exporters: lists', () => {
  it('ListExporters past the last exporter answers an empty page (the peer sends no metadata then)', async () => {
    const ledger = newLedger();
    await bootstrap(ledger);
    await ledger.submit(officers.ecta, UM, 'exporters:RegisterExporter', [exporterInput('EXP-002')]);
    const list = async (req: Json): Promise<{ records: Json[]; bookmark: string }> =>
      JSON.parse(
        await ledger.evaluate(officers.customs, UM, 'exporters:ListExporters', [JSON.stringify(req)]),
      ) as { records: Json[]; bookmark: string };
    const first = await list({ pageSize: 1 });
    const nextKey = Buffer.from(first.bookmark, 'hex').toString('utf8');
    assert.ok(nextKey.includes('EXP-002'), 'the bookmark is the next exporter key');
    const past = Buffer.from(nextKey.replace('EXP-002', 'EXP-999'), 'utf8').toString('hex');
    const empty = await list({ pageSize: 10, bookmark: past });
    assert.deepEqual([empty.records, empty.bookmark], [[], '']);
  });

  it('ListExporters pages', async () => {
    const ledger = newLedger();
    await bootstrap(ledger);
    await ledger.submit(officers.ecta, UM, 'exporters:RegisterExporter', [exporterInput('EXP-002')]);
    const page = JSON.parse(
      await ledger.evaluate(officers.customs, UM, 'exporters:ListExporters', [
        JSON.stringify({ pageSize: 1 }),
      ]),
    ) as {
      records: Json[];
      bookmark: string;
    };
    assert.equal(page.records.length, 1);
    assert.match(page.bookmark, /^[0-9a-f]+$/);
    const next = JSON.parse(
      await ledger.evaluate(officers.customs, UM, 'exporters:ListExporters', [
        JSON.stringify({ bookmark: page.bookmark }),
      ]),
    ) as {
      records: Json[];
    };
    assert.equal(next.records[0]?.exporterId, 'EXP-002');
  });

  it('registers an exporter user only for an existing licence', async () => {
    const ledger = newLedger();
    await bootstrap(ledger);
    await register(
      ledger,
      { mspId: 'CommercialBankMSP', commonName: 'exporter2', role: 'exporter' },
      { exporterId: 'EXP-001' },
    );
  });
});
