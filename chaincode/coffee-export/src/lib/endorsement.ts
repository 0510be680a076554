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
import { MSP, MSP_IDS, type MspId } from './orgs';

const { CommercialBank, NationalBank, ECTA, ECX, ShippingLine, Customs } = MSP;

export const ENDORSERS_BY_STATUS: Readonly<Record<ExportStatus, readonly MspId[]>> = {
  // The exporter (CommercialBank) submits the draft with its private terms: only tradeTerms members endorse.
  DRAFT: [CommercialBank, ECTA],
  SUBMITTED: [ECTA, NationalBank],
  CONTRACT_REGISTERED: [ECX, ECTA],
  QUALITY_CERTIFIED: [CommercialBank, ECTA],
  FX_SUBMITTED: [NationalBank, ECTA],
  FX_APPROVED: [ShippingLine, ECTA],
  SHIPMENT_BOOKED: [Customs, ECTA],
  UNDER_INSPECTION: [Customs, ECTA],
  CUSTOMS_CLEARED: [ShippingLine, ECTA],
  // Both act while SHIPPED: the shipping line (tracking) and the bank (payment).
  SHIPPED: [CommercialBank, ShippingLine, ECTA],
  PAYMENT_RECEIVED: [NationalBank, ECTA],
  AMENDMENT_REQUESTED: [CommercialBank, ECTA],
  COMPLETED: MSP_IDS,
  REJECTED: MSP_IDS,
  CANCELLED: MSP_IDS,
  DEFAULTED: MSP_IDS,
};

export function policyFor(status: ExportStatus): Uint8Array {
  const policy = new KeyEndorsementPolicy();
  policy.addOrgs('PEER', ...ENDORSERS_BY_STATUS[status]);
  return policy.getPolicy();
}

/**
 * Status-index entries are pre-created at submission (a new key needs the chaincode-level MAJORITY, which
 * the private-data steps cannot gather: only the three tradeTerms members can simulate them). Their
 * policy is ECTA's peer alone, which endorses every transition anyway. The index is only a finder:
 * lists re-read each record and drop entries whose record disagrees, so a forged entry shows nothing.
 */
export function indexPolicy(): Uint8Array {
  const policy = new KeyEndorsementPolicy();
  policy.addOrgs('PEER', ECTA);
  return policy.getPolicy();
}

export async function setKeyPolicy(ctx: Context, key: string, status: ExportStatus): Promise<void> {
  await ctx.stub.setStateValidationParameter(key, policyFor(status));
}
