/**
 * Key-level (state-based) endorsement of export records. After every write the record's policy becomes
 * AND(peer of the org that must act next, a regulator's peer): ECTA, or the National Bank where ECTA
 * itself acts next. A single dishonest org can then neither forge its own step (the regulator's peer
 * must also sign) nor skip someone else's (the next org's peer must sign). Terminal records require
 * every org's peer, i.e. they are frozen.
 */
import type { Context } from 'fabric-contract-api';
import { KeyEndorsementPolicy } from 'fabric-shim';
import type { ExportStatus } from '../model/export';
import { ENDORSERS_BY_STATUS, EUDR_KEY_ENDORSERS, TRACKING_ENDORSERS } from '@coffee/consortium';

export function policyFor(status: ExportStatus): Uint8Array {
  const policy = new KeyEndorsementPolicy();
  policy.addOrgs('PEER', ...ENDORSERS_BY_STATUS[status]);
  return policy.getPolicy();
}

/**
 * Gives the record the policy of `status`, unless it holds that policy already. Every peer validates a policy
 * write against the key's current policy, verifying the endorsements once more, so a write that keeps the
 * status (documents, amendments) or moves to a status with the same endorsers leaves the policy alone.
 */
export async function setKeyPolicy(ctx: Context, key: string, status: ExportStatus): Promise<void> {
  const policy = policyFor(status);
  const current: Uint8Array | undefined = await ctx.stub.getStateValidationParameter(key);
  if (current !== undefined && current.length > 0 && Buffer.from(current).equals(policy)) {
    return;
  }
  await ctx.stub.setStateValidationParameter(key, policy);
}

/** The tracking log of a shipped export: the shipping line appends, ECTA co-signs. */
export function trackingPolicy(): Uint8Array {
  const policy = new KeyEndorsementPolicy();
  policy.addOrgs('PEER', ...TRACKING_ENDORSERS);
  return policy.getPolicy();
}

/** The key-level policy of an EUDR record (consortium EUDR_KEY_ENDORSERS): AND of every listed org's peer. */
export function eudrPolicy(kind: keyof typeof EUDR_KEY_ENDORSERS): Uint8Array {
  const policy = new KeyEndorsementPolicy();
  policy.addOrgs('PEER', ...EUDR_KEY_ENDORSERS[kind]);
  return policy.getPolicy();
}

export async function setEudrPolicy(
  ctx: Context,
  key: string,
  kind: keyof typeof EUDR_KEY_ENDORSERS,
): Promise<void> {
  await ctx.stub.setStateValidationParameter(key, eudrPolicy(kind));
}
