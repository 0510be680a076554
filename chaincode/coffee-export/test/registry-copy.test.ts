import '@coffee/chaincode-common/dist/test-support/quiet';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Identity } from '@coffee/chaincode-common/dist/test-support/fakes';
import {
  CE,
  type Json,
  STEPS,
  U,
  UM,
  type World,
  admins,
  advance,
  newWorld,
  refused,
  submit,
} from './helpers/world';

const ECTA_ADMIN = admins.ECTAMSP as Identity;

/** The registry's own records, reduced to what the copy keeps, in the copy's order. */
async function registryAsCopied(world: World): Promise<[string, string, Json][]> {
  const out: [string, string, Json][] = [];
  const all: Json[] = [];
  for (const mspId of Object.keys(admins)) {
    const page = JSON.parse(
      await world.ledger.evaluate(ECTA_ADMIN, UM, 'users:ListUsers', [JSON.stringify({ mspId })]),
    ) as { records: Json[] };
    all.push(...page.records);
  }
  for (const u of all) {
    const entry: Json = {
      userId: u.userId,
      mspId: u.mspId,
      commonName: u.commonName,
      role: u.role,
      status: u.status,
      ...(u.exporterId === undefined ? {} : { exporterId: u.exporterId }),
    };
    out.push(['registryUser', `${String(u.mspId)}::${String(u.commonName)}`, entry]);
  }
  const exporters = JSON.parse(
    await world.ledger.evaluate(ECTA_ADMIN, UM, 'exporters:ListExporters', ['{}']),
  ) as { records: Json[] };
  for (const e of exporters.records) {
    out.push([
      'registryExporter',
      String(e.exporterId),
      {
        exporterId: e.exporterId,
        status: e.status,
        licenceValidUntil: e.licenceValidUntil,
        delinquent: e.delinquent,
      },
    ]);
  }
  return out.sort(([a, x], [b, y]) => (a + x < b + y ? -1 : 1));
}

describe('registry copy: user-management writes it, nobody else', () => {
  it('a client cannot write the copy directly, whatever its org or role', async () => {
    const world = await newWorld();
    const before = world.registryCopy();
    const forged = {
      userId: 'ECTAMSP::ecta-officer1',
      mspId: 'ECTAMSP',
      commonName: 'ecta-officer1',
      role: 'ecta_officer',
      status: 'ACTIVE',
    };
    for (const who of [ECTA_ADMIN, U.ecta, U.exporter, U.fx, admins.CommercialBankMSP as Identity]) {
      await refused(world, world.submit(who, 'registry:SyncUser', forged), 'FORBIDDEN_CALLER');
      await refused(
        world,
        world.submit(who, 'registry:SyncExporter', {
          exporterId: 'EXP-001',
          status: 'ACTIVE',
          licenceValidUntil: '2099-01-01T00:00:00.000Z',
          delinquent: false,
        }),
        'FORBIDDEN_CALLER',
      );
    }
    assert.deepEqual(world.registryCopy(), before, 'nothing was written');
  });

  it('a suspended user is refused from the copy, without asking user-management', async () => {
    const world = await newWorld();
    await submit(world, 'EX-1');
    await world.um(ECTA_ADMIN, 'users:SuspendUser', { userId: 'ECTAMSP::ecta-officer1', reason: 'audit' });
    world.ledger.nestedCalls.splice(0);
    const step = STEPS[0]!;
    await refused(world, world.submit(U.ecta, step.fn, await step.input('EX-1', world)), 'USER_SUSPENDED');
    assert.deepEqual(world.ledger.nestedCalls, [], 'refused from the copy');
  });

  it('a suspended licence is refused from the copy; without the copy user-management refuses the same', async () => {
    const world = await newWorld();
    await world.um(U.ecta, 'exporters:UpdateExporter', {
      exporterId: 'EXP-001',
      status: 'SUSPENDED',
      reason: 'audit',
    });
    world.ledger.nestedCalls.splice(0);
    await refused(world, submit(world, 'EX-1'), 'LICENSE_INVALID');
    assert.deepEqual(world.ledger.nestedCalls, [], 'refused from the copy');
    world.forgetRegistryCopy();
    await refused(world, submit(world, 'EX-1'), 'LICENSE_INVALID');
    assert.equal(world.ledger.nestedCalls.length, 1, 'asked user-management once');
  });

  it('the copy equals the registry after registrations, suspensions, licence changes, delinquency and a default', async () => {
    const world = await newWorld({ shipByWindowSeconds: 30 });
    assert.deepEqual(world.registryCopy(), await registryAsCopied(world), 'after registration');
    await world.um(ECTA_ADMIN, 'users:SuspendUser', { userId: 'ECTAMSP::ecta-officer1', reason: 'audit' });
    assert.deepEqual(world.registryCopy(), await registryAsCopied(world), 'after a suspension');
    await world.um(ECTA_ADMIN, 'users:ReactivateUser', { userId: 'ECTAMSP::ecta-officer1' });
    await world.um(U.ecta, 'exporters:UpdateExporter', {
      exporterId: 'EXP-001',
      licenceValidUntil: '2099-06-30',
    });
    assert.deepEqual(
      world.registryCopy(),
      await registryAsCopied(world),
      'after reactivation and a licence change',
    );
    // A default: coffee-export applies the penalty in user-management and copies the answer itself.
    await advance(world, 'EX-D', 4);
    world.ledger.advance(60);
    await world.json(U.shippingAuditor, 'export:RecordDefault', { exportId: 'EX-D' });
    const copy = world.registryCopy();
    assert.deepEqual(copy, await registryAsCopied(world), 'after a default');
    const standing = copy.find(([kind, id]) => kind === 'registryExporter' && id === 'EXP-001');
    assert.equal(standing?.[2].status, 'ACTIVE', 'the first default warns');
  });

  it('keys of the copy are not export records: lists and reads ignore them', async () => {
    const world = await newWorld();
    await submit(world, 'EX-1');
    const listed = await world.query(U.ecta, 'export:ListExportsByStatus', { status: 'SUBMITTED' });
    assert.deepEqual(
      (listed.records as Json[]).map((e) => e.exportId),
      ['EX-1'],
    );
    assert.ok([...world.ledger.committed(CE).keys()].some((k) => k.startsWith('\u0000registryUser')));
  });
});
