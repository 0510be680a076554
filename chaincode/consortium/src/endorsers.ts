/**
 * Whose peers must endorse the next write of an export record, by its current status (the key-level policy
 * AND(next actor, regulator)), as pure data: the chaincode turns it into key-level policies, and clients use
 * it to name the endorsers of transactions that carry private input or read private data (Fabric's gateway
 * will not pick endorsers itself when private data is involved).
 */
import { MSP, MSP_IDS, type MspId } from './orgs.js';
import type { ExportStatus } from './vocabulary.js';
import type { EudrFunction } from './eudr.js';

const { CommercialBank, NationalBank, ECTA, ECX, ShippingLine, Customs } = MSP;

export const ENDORSERS_BY_STATUS: Readonly<Record<ExportStatus, readonly MspId[]>> = {
  // DRAFT records exist only from the former two-step creation; they can be cancelled.
  DRAFT: [CommercialBank, ECTA],
  SUBMITTED: [ECTA, NationalBank],
  CONTRACT_REGISTERED: [ECX, ECTA],
  QUALITY_CERTIFIED: [CommercialBank, ECTA],
  FX_SUBMITTED: [NationalBank, ECTA],
  FX_APPROVED: [ShippingLine, ECTA],
  SHIPMENT_BOOKED: [Customs, ECTA],
  UNDER_INSPECTION: [Customs, ECTA],
  CUSTOMS_CLEARED: [ShippingLine, ECTA],
  // The bank acts next (payment, private amount); the shipping line's tracking events go to their own key.
  SHIPPED: [CommercialBank, ECTA],
  PAYMENT_RECEIVED: [NationalBank, ECTA],
  AMENDMENT_REQUESTED: [CommercialBank, ECTA],
  COMPLETED: MSP_IDS,
  REJECTED: MSP_IDS,
  CANCELLED: MSP_IDS,
  DEFAULTED: MSP_IDS,
};

/** A new export (CreateExport, one transaction with the private terms): the exporter's bank and ECTA. */
export const CREATE_ENDORSERS: readonly MspId[] = [CommercialBank, ECTA];

/** The tracking log of a shipped export (AddTrackingEvent): the shipping line appends, ECTA co-signs. */
export const TRACKING_ENDORSERS: readonly MspId[] = [MSP.ShippingLine, MSP.ECTA];

/** Transactions that write user-management's registry carry no private data: Fabric's discovery plans them. */
const DISCOVERED: ReadonlySet<string> = new Set(['RecordDefault', 'MarkDelinquent', 'ClearDelinquency']);

/**
 * Which orgs' peers a client names as endorsers of coffee-export function `fn` on an export in `status`, or
 * undefined where discovery plans it.
 *
 * Fabric's gateway plans endorsements through service discovery, which must satisfy the endorsement policy of
 * every chaincode a transaction touches (including user-management, which coffee-export queries on every call)
 * using only tradeTerms members whenever private data is read or sent. No plan can satisfy both, although
 * validation only checks the keys actually written. So clients name the peers of the record's key-level policy,
 * which are exactly what validation needs.
 */
export function exportEndorsers(status: string, fn: string): MspId[] | undefined {
  if (DISCOVERED.has(fn)) return undefined;
  if (fn === 'CreateExport') return [...CREATE_ENDORSERS];
  if (fn === 'AddTrackingEvent') return [...TRACKING_ENDORSERS];
  const orgs = (ENDORSERS_BY_STATUS as Readonly<Record<string, readonly MspId[]>>)[status];
  if (!orgs) throw new Error(`unknown export status '${status}'`);
  return [...orgs];
}

/** Does choosing the endorsers of `fn` need the export's current status? */
export function endorsersNeedStatus(fn: string): boolean {
  return !DISCOVERED.has(fn) && fn !== 'CreateExport' && fn !== 'AddTrackingEvent';
}

/**
 * Key-level policies of the EUDR records (coffee-export `eudr` contract): the forest-loss layer is ECTA's alone;
 * a plot and a DDS package need the exporter's bank and ECTA (the bank's gateway screens, ECTA re-screens and
 * approves); an export's lot links need ECX (which certifies the lots) and ECTA.
 */
export const EUDR_KEY_ENDORSERS = {
  layer: [ECTA],
  plot: [CommercialBank, ECTA],
  lots: [ECX, ECTA],
  package: [CommercialBank, ECTA],
} as const satisfies Record<string, readonly MspId[]>;

/**
 * The peers a client names to endorse each `eudr` write: those of the key-level policy of the key it writes.
 * SetForestLayer adds the National Bank (the other regulator): the first load creates the layer's key, which has
 * no key-level policy yet, so the chaincode-level policy (ECTA and one other org) applies to it.
 */
export const EUDR_ENDORSERS: Readonly<Record<EudrFunction, readonly MspId[]>> = {
  SetForestLayer: [ECTA, NationalBank],
  RegisterPlot: EUDR_KEY_ENDORSERS.plot,
  ReviewPlot: EUDR_KEY_ENDORSERS.plot,
  FlagPlot: EUDR_KEY_ENDORSERS.plot,
  LinkLotPlots: EUDR_KEY_ENDORSERS.lots,
  AssembleDdsPackage: EUDR_KEY_ENDORSERS.package,
  ApproveDdsPackage: EUDR_KEY_ENDORSERS.package,
  RecordDdsReference: EUDR_KEY_ENDORSERS.package,
};

/** The endorsing orgs of `eudr` write `fn` (throws for a function the contract does not have). */
export function eudrEndorsers(fn: string): MspId[] {
  const orgs = (EUDR_ENDORSERS as Readonly<Record<string, readonly MspId[]>>)[fn];
  if (!orgs) throw new Error(`unknown eudr function '${fn}'`);
  return [...orgs];
}
