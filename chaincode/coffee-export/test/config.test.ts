import '@coffee/chaincode-common/dist/test-support/quiet';
/**
 * Workflow deadlines change only with two regulators: ECTA's ecta_officer or the National Bank's fx_officer
 * proposes, the other org approves the very version it has seen.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Identity } from '@coffee/chaincode-common/dist/test-support/fakes';
import { type Json, U, type World, admins, newWorld, refused, submit } from './helpers/world';

const DAY = 86_400;

async function config(world: World): Promise<Json> {
  return world.query(U.customs, 'config:GetWorkflowConfig');
}

/** The ship-by window in force, as a registration applies it (seconds). */
async function shipByWindow(world: World, id: string): Promise<number> {
  await submit(world, id);
  const record = await world.json(U.ecta, 'export:RegisterContract', {
    exportId: id,
    registrationNumber: `R-${id}`,
  });
  const reg = record.registration as Json;
  return (Date.parse(String(reg.shipBy)) - Date.parse(String(reg.registeredAt))) / 1000;
}

describe('workflow config: proposed by one regulator, approved by the other', () => {
  it('starts at 90 days each, version 0, nothing pending', async () => {
    const world = await newWorld();
    const answer = await config(world);
    const current = answer.current as Json;
    assert.deepEqual(
      [current.shipByWindowSeconds, current.repatriationWindowSeconds, current.version],
      [90 * DAY, 90 * DAY, 0],
    );
    assert.equal(answer.pending, undefined);
  });

  it('one regulator alone changes nothing; the other approving the version it saw does', async () => {
    const world = await newWorld();
    const proposal = await world.json(U.ecta, 'config:ProposeWorkflowConfig', { shipByWindowSeconds: 3600 });
    assert.deepEqual(
      [
        proposal.version,
        proposal.shipByWindowSeconds,
        proposal.repatriationWindowSeconds,
        proposal.proposedByMsp,
      ],
      [1, 3600, 90 * DAY, 'ECTAMSP'],
    );
    assert.equal(world.ledger.lastEvent()?.name, 'WorkflowConfigProposed');
    const pending = await config(world);
    assert.equal((pending.current as Json).version, 0);
    assert.equal((pending.pending as Json).shipByWindowSeconds, 3600);
    assert.equal(await shipByWindow(world, 'EX-1'), 90 * DAY, 'a proposal alone moves no deadline');
    await refused(
      world,
      world.submit(U.ecta, 'config:ApproveWorkflowConfig', { version: 1 }),
      'FORBIDDEN_ORG',
    );
    await refused(
      world,
      world.submit(U.fx, 'config:ApproveWorkflowConfig', { version: 2 }),
      'INVALID_TRANSITION',
    );
    const approved = await world.json(U.fx, 'config:ApproveWorkflowConfig', { version: 1 });
    assert.deepEqual(
      [approved.shipByWindowSeconds, approved.repatriationWindowSeconds, approved.version],
      [3600, 90 * DAY, 1],
    );
    assert.equal(approved.updatedBy, 'ECTAMSP::ecta-officer1 + NationalBankMSP::fx-officer1');
    assert.equal(world.ledger.lastEvent()?.name, 'WorkflowConfigUpdated');
    const after = await config(world);
    assert.equal((after.current as Json).version, 1);
    assert.equal(after.pending, undefined, 'an approved proposal is spent');
    assert.equal(await shipByWindow(world, 'EX-2'), 3600);
    await refused(
      world,
      world.submit(U.fx, 'config:ApproveWorkflowConfig', { version: 1 }),
      'INVALID_TRANSITION',
    );
  });

  it('once written, the deadlines and the proposal change only with both regulators endorsing (key-level policy)', async () => {
    const world = await newWorld();
    // Plain keys; written out by hand: AND(ECTA peer, National Bank peer).
    const keys = ['workflowConfig', 'workflowConfigProposal'];
    const regulators = ['ECTAMSP', 'NationalBankMSP'];
    assert.deepEqual(
      keys.map((k) => world.keyPolicyOrgs(k)),
      [[], []],
      'nothing written yet, no policy',
    );
    const proposal = await world.json(U.ecta, 'config:ProposeWorkflowConfig', { shipByWindowSeconds: 3600 });
    assert.deepEqual(world.keyPolicyOrgs('workflowConfigProposal'), regulators);
    assert.deepEqual(world.keyPolicyOrgs('workflowConfig'), [], 'a proposal writes no configuration');
    await world.json(U.fx, 'config:ApproveWorkflowConfig', { version: proposal.version });
    assert.deepEqual(
      keys.map((k) => world.keyPolicyOrgs(k)),
      [regulators, regulators],
    );
    // The other way round (the National Bank proposes, ECTA approves) leaves the same policy on both.
    const next = await world.json(U.fx, 'config:ProposeWorkflowConfig', { repatriationWindowSeconds: 60 });
    await world.json(U.ecta, 'config:ApproveWorkflowConfig', { version: next.version });
    assert.deepEqual(
      keys.map((k) => world.keyPolicyOrgs(k)),
      [regulators, regulators],
    );
    assert.equal(((await config(world)).current as Json).repatriationWindowSeconds, 60);
  });

  it('the National Bank may propose and ECTA approve', async () => {
    const world = await newWorld();
    const proposal = await world.json(U.fx, 'config:ProposeWorkflowConfig', {
      repatriationWindowSeconds: 60,
    });
    await refused(
      world,
      world.submit(U.fx, 'config:ApproveWorkflowConfig', { version: proposal.version }),
      'FORBIDDEN_ORG',
    );
    const approved = await world.json(U.ecta, 'config:ApproveWorkflowConfig', { version: proposal.version });
    assert.deepEqual([approved.repatriationWindowSeconds, approved.shipByWindowSeconds], [60, 90 * DAY]);
  });

  const outsiders: [string, Identity, string][] = [
    ['bank officer', U.bank, 'FORBIDDEN_ORG'],
    ['customs officer', U.customs, 'FORBIDDEN_ORG'],
    ['ECTA auditor', U.ectaAuditor, 'FORBIDDEN_ROLE'],
    ['ECTA admin', admins.ECTAMSP as Identity, 'FORBIDDEN_ROLE'],
    ['National Bank admin', U.nbAdmin, 'FORBIDDEN_ROLE'],
  ];
  for (const [name, who, code] of outsiders) {
    it(`a ${name} neither proposes nor approves (${code})`, async () => {
      const world = await newWorld();
      await refused(
        world,
        world.submit(who, 'config:ProposeWorkflowConfig', { shipByWindowSeconds: 5 }),
        code,
      );
      const proposal = await world.json(U.ecta, 'config:ProposeWorkflowConfig', { shipByWindowSeconds: 5 });
      await refused(
        world,
        world.submit(who, 'config:ApproveWorkflowConfig', { version: proposal.version }),
        code,
      );
    });
  }

  const invalid: [string, Json][] = [
    ['nothing to change', {}],
    ['a zero window', { shipByWindowSeconds: 0 }],
    ['a window beyond two years', { shipByWindowSeconds: 731 * DAY }],
    ['a fractional window', { repatriationWindowSeconds: 1.5 }],
    ['an unknown field', { shipByWindowSeconds: 5, version: 9 }],
  ];
  for (const [name, input] of invalid) {
    it(`a proposal with ${name} is refused`, async () => {
      const world = await newWorld();
      await refused(world, world.submit(U.ecta, 'config:ProposeWorkflowConfig', input), 'VALIDATION_FAILED');
    });
  }

  it('an approval applies only the proposal its approver saw, not a replacement made since', async () => {
    const world = await newWorld();
    const seen = await world.json(U.ecta, 'config:ProposeWorkflowConfig', { shipByWindowSeconds: 60 * DAY });
    // The proposer replaces its proposal before the approval arrives.
    const replaced = await world.json(U.ecta, 'config:ProposeWorkflowConfig', { shipByWindowSeconds: 60 });
    assert.notEqual(replaced.version, seen.version, 'a replacement is a new version');
    await refused(
      world,
      world.submit(U.fx, 'config:ApproveWorkflowConfig', { version: seen.version }),
      'INVALID_TRANSITION',
    );
    const approved = await world.json(U.fx, 'config:ApproveWorkflowConfig', { version: replaced.version });
    assert.equal(approved.shipByWindowSeconds, 60);
    const next = await world.json(U.fx, 'config:ProposeWorkflowConfig', { shipByWindowSeconds: 120 });
    assert.ok(Number(next.version) > Number(approved.version), 'versions only grow');
  });
});
