import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Identity } from '@coffee/chaincode-common/dist/test-support/fakes';
import { UM, admins, bootstrap, exporterUser, newLedger, officers, register } from './helpers/setup';

const cbAdmin = admins.CommercialBankMSP as Identity;
const customsAdmin = admins.CustomsMSP as Identity;

describe('users: registration by org admins', () => {
  it('registers a user of the admin own org with an id derived from MSP and certificate CN', async () => {
    const ledger = newLedger();
    const out = JSON.parse(
      await ledger.submit(customsAdmin, UM, 'users:RegisterUser', [
        JSON.stringify({ commonName: 'customs1', role: 'customs_officer' }),
      ]),
    ) as Record<string, unknown>;
    assert.equal(out.userId, 'CustomsMSP::customs1');
    assert.equal(out.mspId, 'CustomsMSP');
    assert.equal(out.status, 'ACTIVE');
    assert.equal(out.createdBy, 'CustomsMSP::customs-admin');
    assert.equal(ledger.lastEvent()?.name, 'UserRegistered');
    const fetched = JSON.parse(
      await ledger.evaluate(officers.ecta, UM, 'users:GetUser', ['CustomsMSP::customs1']),
    ) as Record<string, unknown>;
    assert.equal(fetched.role, 'customs_officer');
  });

  it('records no personal data: the record holds only id, org, role, status, links and audit fields', async () => {
    const ledger = newLedger();
    await bootstrap(ledger);
    const user = JSON.parse(await ledger.evaluate(exporterUser, UM, 'users:GetCaller')) as Record<
      string,
      unknown
    >;
    assert.deepEqual(Object.keys(user).sort(), [
      'commonName',
      'createdAt',
      'createdBy',
      'docType',
      'exporterId',
      'mspId',
      'role',
      'status',
      'updatedAt',
      'updatedBy',
      'userId',
    ]);
    assert.equal(user.exporterId, 'EXP-001');
  });

  const refusals: {
    name: string;
    caller: Identity;
    input: unknown;
    code: RegExp;
    before?: (l: ReturnType<typeof newLedger>) => Promise<void>;
  }[] = [
    {
      name: 'non-admin role',
      caller: { ...cbAdmin, commonName: 'x', role: 'bank_officer' },
      input: { commonName: 'u1', role: 'bank_officer' },
      code: /^FORBIDDEN_ROLE/,
    },
    {
      name: 'no role attribute',
      caller: { mspId: 'CommercialBankMSP', commonName: 'x' },
      input: { commonName: 'u1', role: 'bank_officer' },
      code: /^FORBIDDEN_ROLE/,
    },
    {
      name: 'unknown MSP',
      caller: { mspId: 'EvilMSP', commonName: 'x', role: 'admin' },
      input: { commonName: 'u1', role: 'auditor' },
      code: /^FORBIDDEN_ORG/,
    },
    {
      name: 'role of another org',
      caller: customsAdmin,
      input: { commonName: 'u1', role: 'fx_officer' },
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'exporter without exporterId',
      caller: cbAdmin,
      input: { commonName: 'u1', role: 'exporter' },
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'exporterId on a non-exporter',
      caller: cbAdmin,
      input: { commonName: 'u1', role: 'bank_officer', exporterId: 'EXP-001' },
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'exporter not licensed',
      caller: cbAdmin,
      input: { commonName: 'u1', role: 'exporter', exporterId: 'EXP-404' },
      code: /^EXPORTER_NOT_FOUND/,
    },
    {
      name: 'org taken from args is refused',
      caller: cbAdmin,
      input: { commonName: 'u1', role: 'bank_officer', mspId: 'CustomsMSP' },
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'bad CN',
      caller: cbAdmin,
      input: { commonName: 'a/b', role: 'auditor' },
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'NUL in CN',
      caller: cbAdmin,
      input: { commonName: 'a\u0000b', role: 'auditor' },
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'oversize CN',
      caller: cbAdmin,
      input: { commonName: 'a'.repeat(200), role: 'auditor' },
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'duplicate',
      caller: cbAdmin,
      input: { commonName: 'bank-officer1', role: 'bank_officer' },
      code: /^USER_EXISTS/,
      before: async (l) => register(l, officers.bank),
    },
    {
      name: 'suspended admin',
      caller: { mspId: 'CommercialBankMSP', commonName: 'admin2', role: 'admin' },
      input: { commonName: 'u1', role: 'auditor' },
      code: /^USER_SUSPENDED/,
      before: async (l) => {
        await register(l, { mspId: 'CommercialBankMSP', commonName: 'admin2', role: 'admin' });
        await l.submit(cbAdmin, UM, 'users:SuspendUser', [
          JSON.stringify({ userId: 'CommercialBankMSP::admin2', reason: 'left' }),
        ]);
      },
    },
  ];
  for (const c of refusals) {
    it(`refuses: ${c.name}, changing nothing`, async () => {
      const ledger = newLedger();
      await ledger.submit(
        officers.ecta.role ? (admins.ECTAMSP as Identity) : cbAdmin,
        UM,
        'exporters:RegisterExporter',
        [
          JSON.stringify({
            exporterId: 'EXP-001',
            legalName: 'X PLC',
            tin: '0012345678',
            licenceNumber: 'L-1',
            licenceValidUntil: '2030-01-01',
          }),
        ],
      );
      await c.before?.(ledger);
      const before = ledger.snapshot();
      await assert.rejects(
        ledger.submit(c.caller, UM, 'users:RegisterUser', [JSON.stringify(c.input)]),
        (e: Error) => c.code.test(e.message),
      );
      assert.equal(ledger.snapshot(), before);
    });
  }
});

describe('users: suspension and reactivation', () => {
  it('suspends and reactivates a user of the same org, with events', async () => {
    const ledger = newLedger();
    await register(ledger, officers.bank);
    const suspended = JSON.parse(
      await ledger.submit(cbAdmin, UM, 'users:SuspendUser', [
        JSON.stringify({ userId: 'CommercialBankMSP::bank-officer1', reason: 'audit' }),
      ]),
    ) as Record<string, unknown>;
    assert.equal(suspended.status, 'SUSPENDED');
    assert.equal(ledger.lastEvent()?.name, 'UserSuspended');
    const active = JSON.parse(
      await ledger.submit(cbAdmin, UM, 'users:ReactivateUser', [
        JSON.stringify({ userId: 'CommercialBankMSP::bank-officer1' }),
      ]),
    ) as Record<string, unknown>;
    assert.equal(active.status, 'ACTIVE');
    assert.equal(ledger.lastEvent()?.name, 'UserReactivated');
  });

  const cases: { name: string; caller: Identity; fn: string; input: unknown; code: RegExp }[] = [
    {
      name: 'admin of another org',
      caller: customsAdmin,
      fn: 'SuspendUser',
      input: { userId: 'CommercialBankMSP::bank-officer1', reason: 'x' },
      code: /^FORBIDDEN_ORG/,
    },
    {
      name: 'not an admin',
      caller: officers.bank,
      fn: 'SuspendUser',
      input: { userId: 'CommercialBankMSP::bank-officer1', reason: 'x' },
      code: /^FORBIDDEN_ROLE/,
    },
    {
      name: 'self',
      caller: cbAdmin,
      fn: 'SuspendUser',
      input: { userId: 'CommercialBankMSP::cb-admin', reason: 'x' },
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'unknown user',
      caller: cbAdmin,
      fn: 'SuspendUser',
      input: { userId: 'CommercialBankMSP::ghost', reason: 'x' },
      code: /^USER_NOT_FOUND/,
    },
    {
      name: 'missing reason',
      caller: cbAdmin,
      fn: 'SuspendUser',
      input: { userId: 'CommercialBankMSP::bank-officer1' },
      code: /^VALIDATION_FAILED/,
    },
    {
      name: 'reactivate an active user',
      caller: cbAdmin,
      fn: 'ReactivateUser',
      input: { userId: 'CommercialBankMSP::bank-officer1' },
      code: /^INVALID_TRANSITION/,
    },
    {
      name: 'malformed user id',
      caller: cbAdmin,
      fn: 'SuspendUser',
      input: { userId: 'bank-officer1', reason: 'x' },
      code: /^VALIDATION_FAILED/,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.fn}: ${c.name}`, async () => {
      const ledger = newLedger();
      await register(ledger, officers.bank);
      const before = ledger.snapshot();
      await assert.rejects(
        ledger.submit(c.caller, UM, `users:${c.fn}`, [JSON.stringify(c.input)]),
        (e: Error) => c.code.test(e.message),
      );
      assert.equal(ledger.snapshot(), before);
    });
  }
});

describe('users: queries', () => {
  it('GetCaller derives the id from the certificate and refuses unregistered callers', async () => {
    const ledger = newLedger();
    await register(ledger, officers.grader);
    const me = JSON.parse(await ledger.evaluate(officers.grader, UM, 'users:GetCaller')) as Record<
      string,
      unknown
    >;
    assert.equal(me.userId, 'ECXMSP::grader1');
    await assert.rejects(
      ledger.evaluate({ mspId: 'ECXMSP', commonName: 'ghost', role: 'grader' }, UM, 'users:GetCaller'),
      /^Error: USER_NOT_REGISTERED|USER_NOT_REGISTERED/,
    );
  });

  it('ListUsers pages through one org with a bookmark', async () => {
    const ledger = newLedger();
    for (const cn of ['a1', 'a2', 'a3']) {
      await register(ledger, { mspId: 'ECXMSP', commonName: cn, role: 'grader' });
    }
    await register(ledger, officers.customs);
    const first = JSON.parse(
      await ledger.evaluate(officers.customs, UM, 'users:ListUsers', [
        JSON.stringify({ mspId: 'ECXMSP', pageSize: 2 }),
      ]),
    ) as {
      records: { userId: string }[];
      bookmark: string;
    };
    assert.deepEqual(
      first.records.map((r) => r.userId),
      ['ECXMSP::a1', 'ECXMSP::a2'],
    );
    const second = JSON.parse(
      await ledger.evaluate(officers.customs, UM, 'users:ListUsers', [
        JSON.stringify({ mspId: 'ECXMSP', pageSize: 2, bookmark: first.bookmark }),
      ]),
    ) as { records: { userId: string }[]; bookmark: string };
    assert.deepEqual(
      second.records.map((r) => r.userId),
      ['ECXMSP::a3'],
    );
    assert.equal(second.bookmark, '');
  });

  it('GetUser refuses ids with NUL or the wrong shape', async () => {
    const ledger = newLedger();
    await assert.rejects(
      ledger.evaluate(officers.ecta, UM, 'users:GetUser', ['ECXMSP::a\u0000']),
      /VALIDATION_FAILED/,
    );
    await assert.rejects(
      ledger.evaluate(officers.ecta, UM, 'users:GetUser', ['ECXMSP::ghost']),
      /USER_NOT_FOUND/,
    );
  });
});

describe('users: the caller with an exporter eligibility (one cross-chaincode call for coffee-export)', () => {
  const ask = (
    l: ReturnType<typeof newLedger>,
    who: Identity,
    input: unknown,
  ): Promise<Record<string, unknown>> =>
    l
      .evaluate(who, UM, 'users:GetCallerWithEligibility', [JSON.stringify(input)])
      .then((t) => JSON.parse(t) as Record<string, unknown>);

  it("gives the caller's record with its own exporter's eligibility, or a named exporter's", async () => {
    const ledger = newLedger();
    await bootstrap(ledger);
    const own = await ask(ledger, exporterUser, { purpose: 'EXPORT' });
    assert.equal(own.userId, 'CommercialBankMSP::exporter1');
    assert.deepEqual(
      { ...(own.eligibility as Record<string, unknown>), checkedAt: undefined },
      { exporterId: 'EXP-001', purpose: 'EXPORT', eligible: true, checkedAt: undefined },
    );
    const named = await ask(ledger, officers.ecta, { purpose: 'FX', exporterId: 'EXP-404' });
    assert.equal(named.role, 'ecta_officer');
    const refusal = named.eligibility as Record<string, unknown>;
    assert.equal(refusal.eligible, false);
    assert.equal(refusal.code, 'LICENSE_INVALID');
  });

  it('gives no eligibility to a caller acting for no exporter, and refuses unregistered callers and bad input', async () => {
    const ledger = newLedger();
    await bootstrap(ledger);
    const officer = await ask(ledger, officers.ecta, { purpose: 'EXPORT' });
    assert.equal(officer.eligibility, undefined);
    await assert.rejects(
      ask(ledger, { mspId: 'ECXMSP', commonName: 'ghost', role: 'grader' }, { purpose: 'EXPORT' }),
      /USER_NOT_REGISTERED/,
    );
    await assert.rejects(ask(ledger, officers.ecta, { purpose: 'IMPORT' }), /VALIDATION_FAILED/);
    await assert.rejects(ask(ledger, officers.ecta, { purpose: 'FX', extra: 1 }), /VALIDATION_FAILED/);
  });
});
