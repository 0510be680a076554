import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import { KeyEndorsementPolicy } from 'fabric-shim';
import { ClockCheckedContract, Fields, emitEvent, toJson, txIso, writeState } from '@coffee/chaincode-common';
import { MSP } from '@coffee/consortium';
import { type Permission, authorize } from '../lib/access';
import { fail } from '../lib/errors';
import { EVENTS } from '../lib/events';
import {
  CONFIG_KEY,
  type ConfigProposal,
  MAX_REPATRIATION_WINDOW_SECONDS,
  MAX_SHIP_BY_WINDOW_SECONDS,
  PROPOSAL_KEY,
  type WorkflowConfig,
  readConfig,
  readProposal,
} from '../model/config';

/**
 * Once written, the deadlines and a proposal to change them can only change again with both regulators'
 * peers endorsing (key-level policy), whatever the chaincode-level policy for new keys allows.
 */
function regulatorsPolicy(): Uint8Array {
  const policy = new KeyEndorsementPolicy();
  policy.addOrgs('PEER', MSP.ECTA, MSP.NationalBank);
  return policy.getPolicy();
}

/** The two regulators: one proposes a change of the deadlines, the other approves it. */
const REGULATORS: Permission[] = [
  { msp: MSP.ECTA, roles: ['ecta_officer'] },
  { msp: MSP.NationalBank, roles: ['fx_officer'] },
];

/**
 * Workflow deadlines: the ship-by window (registration time + window = ship-by date) and the
 * repatriation window (shipment time + window = proceeds due). Deadlines are computed from
 * transaction timestamps only. No single organization changes them: ECTA or the National Bank proposes,
 * the other approves.
 */
@Info({ title: 'WorkflowConfig', description: 'Ship-by and repatriation windows, changed by two regulators' })
export class WorkflowConfigContract extends ClockCheckedContract {
  constructor() {
    super('config');
  }

  /**
   * ECTA ecta_officer or National Bank fx_officer. input: {shipByWindowSeconds?, repatriationWindowSeconds?}
   * (at least one). Replaces any open proposal; nothing changes until the other regulator approves.
   */
  @Transaction()
  @Returns('string')
  public async ProposeWorkflowConfig(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const shipBy = f.optInt('shipByWindowSeconds', 1, MAX_SHIP_BY_WINDOW_SECONDS);
    const repatriation = f.optInt('repatriationWindowSeconds', 1, MAX_REPATRIATION_WINDOW_SECONDS);
    f.end();
    if (shipBy === undefined && repatriation === undefined) {
      return fail(
        'VALIDATION_FAILED',
        'input sets neither shipByWindowSeconds nor repatriationWindowSeconds',
      );
    }
    const actor = await authorize(ctx, REGULATORS);
    const current = await readConfig(ctx);
    // A replacement gets a new number too, so an approval of the number its approver saw never applies it.
    const open = await readProposal(ctx);
    const proposal: ConfigProposal = {
      docType: 'workflowConfigProposal',
      shipByWindowSeconds: shipBy ?? current.shipByWindowSeconds,
      repatriationWindowSeconds: repatriation ?? current.repatriationWindowSeconds,
      version: Math.max(current.version, open?.version ?? 0) + 1,
      proposedByMsp: actor.mspId,
      proposedBy: actor.userId,
      proposedAt: txIso(ctx),
    };
    await writeState(ctx, PROPOSAL_KEY, proposal);
    await ctx.stub.setStateValidationParameter(PROPOSAL_KEY, regulatorsPolicy());
    emitEvent(ctx, EVENTS.workflowConfigProposed, { ...proposal, txId: ctx.stub.getTxID() });
    return toJson(proposal);
  }

  /**
   * The other regulator (not the proposer's org). input: {version} — the proposal's version, so an approval
   * never applies a proposal its approver has not seen.
   */
  @Transaction()
  @Returns('string')
  public async ApproveWorkflowConfig(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const version = f.int('version', 1, 1_000_001);
    f.end();
    const actor = await authorize(ctx, REGULATORS);
    const proposal = await readProposal(ctx);
    if (proposal === undefined) {
      return fail('INVALID_TRANSITION', 'there is no open workflow-config proposal to approve');
    }
    if (proposal.version !== version) {
      fail('INVALID_TRANSITION', `the open proposal is version ${proposal.version}, not ${version}`);
    }
    if (proposal.proposedByMsp === actor.mspId) {
      fail('FORBIDDEN_ORG', `${actor.mspId} proposed this change; the other regulator must approve it`);
    }
    const current = await readConfig(ctx);
    if (proposal.version <= current.version) {
      fail('INVALID_TRANSITION', 'the configuration changed since this proposal; propose again');
    }
    const at = txIso(ctx);
    const config: WorkflowConfig = {
      docType: 'workflowConfig',
      shipByWindowSeconds: proposal.shipByWindowSeconds,
      repatriationWindowSeconds: proposal.repatriationWindowSeconds,
      version: proposal.version,
      updatedAt: at,
      updatedBy: `${proposal.proposedBy} + ${actor.userId}`,
    };
    await writeState(ctx, CONFIG_KEY, config);
    await ctx.stub.setStateValidationParameter(CONFIG_KEY, regulatorsPolicy());
    await writeState(ctx, PROPOSAL_KEY, { ...proposal, closedAt: at } satisfies ConfigProposal);
    emitEvent(ctx, EVENTS.workflowConfigUpdated, { ...config, txId: ctx.stub.getTxID() });
    return toJson(config);
  }

  /** {current, pending?}: the deadlines in force and an open proposal, if any. */
  @Transaction(false)
  @Returns('string')
  public async GetWorkflowConfig(ctx: Context): Promise<string> {
    return toJson({ current: await readConfig(ctx), pending: await readProposal(ctx) });
  }
}
