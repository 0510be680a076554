/**
 * Whose peers must endorse the next write of an export record, by its current status (the key-level policy
 * AND(next actor, regulator)), as pure data: the chaincode turns it into key-level policies, and clients use
 * it to name the endorsers of transactions that carry private input or read private data (Fabric's gateway
 * will not pick endorsers itself when private data is involved).
 */
import { MSP, MSP_IDS, type MspId } from '@coffee/chaincode-common';
import type { ExportStatus } from '../model/export';

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
