import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import {
  ClockCheckedContract,
  Fields,
  ID_PATTERN,
  type Parser,
  checkId,
  emitEvent,
  isoFromMillis,
  parseIsoMillis,
  parseJsonBytes,
  readKeyedPage,
  readPageRequest,
  readPrivate,
  readState,
  toJson,
  txIso,
  txMillis,
  writePrivate,
  writeState,
} from '@coffee/chaincode-common';
import { ACTORS, REVIEWERS, TRANSITIONS, pendingReview } from '@coffee/consortium';
import {
  type AuthorizedActor,
  applyDefaultPenalty,
  authorize,
  permit,
  requireEligible,
  setDelinquency,
} from '../lib/access';
import {
  PRIVATE_GROUPS,
  type PrivateGroup,
  canReadGroup,
  canReadPrivate,
  canSeeExport,
  canUploadDocument,
  redactExport,
} from '@coffee/consortium';
import { fail } from '../lib/errors';
import { EVENTS } from '../lib/events';
import {
  actOn,
  identifyFor,
  appendDocuments,
  commitExport,
  loadExport,
  parseDocuments,
  readTransient,
  requireDocuments,
  requireStatus,
  requireVisible,
} from '../lib/workflow';
import {
  CODE_PATTERN,
  CONTAINER_PATTERN,
  GRADES,
  MAX_QUANTITY_KG,
  REFERENCE_PATTERN,
  UNLOCODE_PATTERN,
  actorOf,
  gradeRank,
  readInstant,
} from '../model/common';
import {
  CUSTOMS_DOCUMENT_SET,
  type DocumentType,
  EXPORTER_SHIPPING_DOCUMENTS,
  latestDocuments,
} from '../model/document';
import {
  EXPORTER_INDEX,
  EXPORT_STATUSES,
  type ExportRecord,
  MAX_TRACKING_EVENTS,
  PERMIT_PATTERN,
  RISK_LANES,
  REVIEW_STEP,
  STATUS_INDEX,
  exportKey,
  parseContractInfo,
  parseExport,
  parseIndexEntry,
  parseTrackingLog,
  permitNumberFor,
  type TrackingLog,
  trackingKey,
} from '../model/export';
import {
  CUSTOMS_VALUE_COLLECTION,
  TRADE_TERMS_COLLECTION,
  TRANSIENT,
  type ValueCommitment,
  parseValueCommitment,
  requireDistinctSalts,
  type FxApplication,
  type TradeTerms,
  fxKey,
  parseCustomsValueInput,
  parseFxApplication,
  parseFxApplicationInput,
  parseProceeds,
  parseProceedsInput,
  parseTradeTerms,
  parseTradeTermsInput,
  proceedsKey,
  termsKey,
  valueKey,
  valueMatchesQuantity,
} from '../model/terms';
import { readConfig } from '../model/config';
import { requireClearablePackage } from '../model/eudr';
import { trackingPolicy } from '../lib/endorsement';
import { minimumPriceInForce } from '../model/minprice';

const { exporter: EXPORTER, bankOfficer: BANK_OFFICER } = ACTORS;

const EXPORTER_DOCUMENTS: readonly DocumentType[] = [
  'SALES_CONTRACT',
  'PROFORMA_INVOICE',
  ...EXPORTER_SHIPPING_DOCUMENTS,
];
const REF = { max: 64, pattern: REFERENCE_PATTERN };
const REASON = { max: 1000, text: true };

function shipByMillis(record: ExportRecord): number {
  return parseIsoMillis(record.registration?.shipBy ?? '') ?? Number.POSITIVE_INFINITY;
}

function requireBeforeShipBy(ctx: Context, record: ExportRecord): void {
  if (txMillis(ctx) > shipByMillis(record)) {
    fail(
      'DEADLINE_PASSED',
      `the ship-by date ${record.registration?.shipBy ?? ''} has passed; the export can only be DEFAULTED`,
    );
  }
}

/**
 * Reads a private value and checks it against the hash the (key-level endorsed) public record committed
 * to, so a private write slipped in by one collection member alone is detected, not trusted.
 */
async function readVerified<T>(
  ctx: Context,
  collection: string,
  key: string,
  parse: Parser<T>,
  expectedHash: string | undefined,
  what: string,
): Promise<T> {
  const found = await readPrivate(ctx, collection, key, parse);
  if (found === undefined) {
    return fail('TERMS_MISSING', `no ${what} on this peer`);
  }
  if (found.hash !== expectedHash) {
    fail('TERMS_TAMPERED', `the stored ${what} does not match the hash on the export record`);
  }
  return found.value;
}

async function readTerms(ctx: Context, record: ExportRecord): Promise<TradeTerms> {
  return readVerified(
    ctx,
    TRADE_TERMS_COLLECTION,
    termsKey(ctx, record.exportId),
    parseTradeTerms,
    record.termsHash,
    `trade terms of ${record.exportId}`,
  );
}

/** Stores the private terms and the separate value commitment; returns both hashes for the public record. */
async function storeTerms(
  ctx: Context,
  terms: TradeTerms,
): Promise<{ termsHash: string; valueCommitmentHash: string }> {
  const valueCommitmentHash = await writePrivate(
    ctx,
    CUSTOMS_VALUE_COLLECTION,
    valueKey(ctx, terms.exportId),
    { contractValueCents: terms.contractValueCents, salt: terms.valueSalt } satisfies ValueCommitment,
  );
  const termsHash = await writePrivate(ctx, TRADE_TERMS_COLLECTION, termsKey(ctx, terms.exportId), terms);
  return { termsHash, valueCommitmentHash };
}

/** Voids an issued, unused permit (cancel, reject, default). */
function voidPermit(ctx: Context, record: ExportRecord): ExportRecord['permit'] {
  return record.permit?.status === 'ISSUED'
    ? { ...record.permit, status: 'VOIDED', voidedAt: txIso(ctx) }
    : record.permit;
}

function readExportId(f: Fields): string {
  return f.str('exportId', { max: 64, pattern: ID_PATTERN });
}

/**
 * The export workflow of workflow.md: ten steps, amendments, rejection, cancellation, default, tracking.
 * Every transaction takes one JSON argument; private terms come only in the transient map.
 */
@Info({ title: 'Export', description: 'Coffee export workflow from submission to repatriation of proceeds' })
export class ExportContract extends ClockCheckedContract {
  constructor() {
    super('export');
  }

  /**
   * Step 1 (exporter): a new export request, in one transaction. input: {exportId, contract: {contractNumber,
   * buyerName, destinationCountry, contractedGrade, quantityKg, originRegion, incoterm}, documents:
   * [SALES_CONTRACT, PROFORMA_INVOICE]}; transient `tradeTerms` {unitPriceUsdPerKg, contractValueUsd,
   * paymentMethod, paymentTerms?, salt, valueSalt}. Endorsed by the CommercialBank and ECTA peers: both are
   * tradeTerms members (no private value reaches a non-member), and together they satisfy the chaincode-level
   * policy new keys need (ECTA's peer and one other org's; docs/chaincode.md, "Endorsement").
   */
  @Transaction()
  @Returns('string')
  public async CreateExport(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const contractFields = f.obj('contract');
    const contract = parseContractInfo(contractFields);
    contractFields.end();
    const documents = parseDocuments(f, 'documents', ['SALES_CONTRACT', 'PROFORMA_INVOICE'], true);
    f.end();
    const termsInput = readTransient(ctx, [TRANSIENT.tradeTerms]).get(TRANSIENT.tradeTerms);
    if (termsInput === undefined) {
      return fail('VALIDATION_FAILED', `transient '${TRANSIENT.tradeTerms}' is required`);
    }
    const terms = parseTradeTermsInput(termsInput, exportId);
    if (!valueMatchesQuantity(terms, contract.quantityKg)) {
      fail('VALIDATION_FAILED', 'contract value must equal unit price × quantity');
    }
    requireDocuments(documents, ['SALES_CONTRACT', 'PROFORMA_INVOICE']);
    const actor = await authorize(ctx, TRANSITIONS.CreateExport.actors, { purpose: 'EXPORT' });
    const exporterId =
      actor.exporterId ?? fail('FORBIDDEN_ROLE', `${actor.userId} is not linked to an exporter`);
    requireEligible(actor, exporterId);
    if ((await ctx.stub.getState(exportKey(ctx, exportId))).length > 0) {
      fail('EXPORT_EXISTS', `export ${exportId} already exists`);
    }
    const now = txIso(ctx);
    const hashes = await storeTerms(ctx, terms);
    const record: ExportRecord = {
      docType: 'export',
      exportId,
      exporterId,
      status: 'SUBMITTED',
      reached: 'SUBMITTED',
      contract,
      ...hashes,
      documents: appendDocuments(ctx, [], documents, actor),
      tracking: [],
      amendmentCount: 0,
      createdAt: now,
      createdBy: actorOf(actor),
      updatedAt: now,
      lastAction: { action: 'CreateExport', by: actorOf(actor), at: now, txId: ctx.stub.getTxID() },
    };
    await writeState(ctx, ctx.stub.createCompositeKey(EXPORTER_INDEX, [exporterId, exportId]), { exportId });
    // The tracking log is created now too: the shipping line appends to it while SHIPPED (its own policy).
    const tracking = trackingKey(ctx, exportId);
    await writeState(ctx, tracking, { docType: 'tracking', exportId, events: [] } satisfies TrackingLog);
    await ctx.stub.setStateValidationParameter(tracking, trackingPolicy());
    return commitExport(ctx, undefined, record, {
      action: 'CreateExport',
      event: EVENTS.exportSubmitted,
      actor,
      details: { contract },
    });
  }

  /** Step 2 (ECTA ecta_officer). input: {exportId, registrationNumber}. Checks the minimum price in force. */
  @Transaction()
  @Returns('string')
  public async RegisterContract(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const registrationNumber = f.str('registrationNumber', REF);
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.RegisterContract.actors, 'EXPORT');
    requireStatus(record, TRANSITIONS.RegisterContract.from, 'RegisterContract');
    requireEligible(actor, record.exporterId);
    const terms = await readTerms(ctx, record);
    const minimum = await minimumPriceInForce(
      ctx,
      record.contract.contractedGrade,
      record.contract.originRegion,
    );
    if (terms.unitPriceUsdPerKg < minimum.usdPerKg) {
      fail(
        'BELOW_MINIMUM_PRICE',
        `the contract price is below minimum price ${minimum.id} (${minimum.usdPerKg} USD/kg) in force for ${minimum.grade}`,
      );
    }
    const config = await readConfig(ctx);
    const shipBy = isoFromMillis(txMillis(ctx) + config.shipByWindowSeconds * 1000);
    const registration = {
      registrationNumber,
      minimumPriceId: minimum.id,
      minimumUsdPerKg: minimum.usdPerKg,
      registeredAt: txIso(ctx),
      shipBy,
    };
    return commitExport(
      ctx,
      record,
      { ...record, status: 'CONTRACT_REGISTERED', registration },
      {
        action: 'RegisterContract',
        event: EVENTS.contractRegistered,
        actor,
        details: { registrationNumber, minimumPriceId: minimum.id, shipBy },
      },
    );
  }

  /**
   * Step 3 (ECX grader). input: {exportId, lotNumber, warehouseReceiptNumber, certifiedGrade, cupScore,
   * moisturePercent, defectsPer300g, certifiedQuantityKg, documents: [QUALITY_CERTIFICATE]}.
   */
  @Transaction()
  @Returns('string')
  public async CertifyQuality(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const quality = {
      lotNumber: f.str('lotNumber', REF),
      warehouseReceiptNumber: f.str('warehouseReceiptNumber', REF),
      certifiedGrade: f.oneOf('certifiedGrade', GRADES),
      cupScore: f.num('cupScore', { min: 0, max: 100, decimals: 2 }),
      moisturePercent: f.num('moisturePercent', { min: 0, max: 100, decimals: 2 }),
      defectsPer300g: f.int('defectsPer300g', 0, 1000),
      certifiedQuantityKg: f.int('certifiedQuantityKg', 1, MAX_QUANTITY_KG),
      certifiedAt: txIso(ctx),
    };
    const documents = parseDocuments(f, 'documents', ['QUALITY_CERTIFICATE'], true);
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.CertifyQuality.actors);
    requireStatus(record, TRANSITIONS.CertifyQuality.from, 'CertifyQuality');
    if (gradeRank(quality.certifiedGrade) > gradeRank(record.contract.contractedGrade)) {
      fail(
        'GRADE_BELOW_CONTRACT',
        `certified ${quality.certifiedGrade} is below the contracted ${record.contract.contractedGrade}`,
      );
    }
    if (quality.certifiedQuantityKg < record.contract.quantityKg) {
      fail(
        'QUANTITY_MISMATCH',
        `the lot (${quality.certifiedQuantityKg} kg) does not cover the contract (${record.contract.quantityKg} kg)`,
      );
    }
    return commitExport(
      ctx,
      record,
      {
        ...record,
        status: 'QUALITY_CERTIFIED',
        quality,
        documents: appendDocuments(ctx, record.documents, documents, actor),
      },
      {
        action: 'CertifyQuality',
        event: EVENTS.qualityCertified,
        actor,
        details: { certifiedGrade: quality.certifiedGrade, lotNumber: quality.lotNumber },
      },
    );
  }

  /** Step 4 (bank_officer). input: {exportId, documents: [LC_OR_ADVANCE_ADVICE]}; transient `fxApplication`. */
  @Transaction()
  @Returns('string')
  public async SubmitFxApplication(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const documents = parseDocuments(f, 'documents', ['LC_OR_ADVANCE_ADVICE'], true);
    f.end();
    const fxInput = readTransient(ctx, [TRANSIENT.fxApplication]).get(TRANSIENT.fxApplication);
    if (fxInput === undefined) {
      return fail('VALIDATION_FAILED', `transient '${TRANSIENT.fxApplication}' is required`);
    }
    const application = parseFxApplicationInput(fxInput, exportId);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.SubmitFxApplication.actors);
    requireStatus(record, TRANSITIONS.SubmitFxApplication.from, 'SubmitFxApplication');
    const terms = await readTerms(ctx, record);
    requireDistinctSalts(application.salt, terms.salt, terms.valueSalt);
    if (application.paymentMethod !== terms.paymentMethod) {
      fail('PAYMENT_METHOD_MISMATCH', 'the FX application payment method differs from the contracted one');
    }
    const applicationHash = await writePrivate(
      ctx,
      TRADE_TERMS_COLLECTION,
      fxKey(ctx, exportId),
      application,
    );
    return commitExport(
      ctx,
      record,
      {
        ...record,
        status: 'FX_SUBMITTED',
        fx: { applicationHash, submittedAt: txIso(ctx) },
        documents: appendDocuments(ctx, record.documents, documents, actor),
      },
      { action: 'SubmitFxApplication', event: EVENTS.fxSubmitted, actor },
    );
  }

  /** Step 5 (National Bank fx_officer). input: {exportId}. Not for delinquent exporters; issues the permit. */
  @Transaction()
  @Returns('string')
  public async ApproveFx(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.ApproveFx.actors, 'FX');
    requireStatus(record, TRANSITIONS.ApproveFx.from, 'ApproveFx');
    requireEligible(actor, record.exporterId);
    const terms = await readTerms(ctx, record);
    const application = await readVerified(
      ctx,
      TRADE_TERMS_COLLECTION,
      fxKey(ctx, exportId),
      parseFxApplication,
      record.fx?.applicationHash,
      `FX application of ${exportId}`,
    );
    if (application.amountCents !== terms.contractValueCents) {
      fail('VALUE_MISMATCH', 'the FX application amount differs from the registered contract value');
    }
    const permitNumber = permitNumberFor(exportId, ctx.stub.getTxID());
    const now = txIso(ctx);
    return commitExport(
      ctx,
      record,
      {
        ...record,
        status: 'FX_APPROVED',
        fx: {
          applicationHash: record.fx?.applicationHash ?? '',
          submittedAt: record.fx?.submittedAt ?? now,
          approvedAt: now,
        },
        permit: { permitNumber, status: 'ISSUED', issuedAt: now },
      },
      { action: 'ApproveFx', event: EVENTS.fxApproved, actor, details: { permitNumber } },
    );
  }

  /**
   * Step 6 (shipping_agent). input: {exportId, bookingNumber, vesselName, voyageNumber, containerNumbers[],
   * portOfLoading, portOfDischarge (UN/LOCODE), etd (ISO, before ship-by), documents: [BOOKING_CONFIRMATION]}.
   */
  @Transaction()
  @Returns('string')
  public async BookShipment(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const bookingNumber = f.str('bookingNumber', REF);
    const vesselName = f.str('vesselName', { max: 128 });
    const voyageNumber = f.str('voyageNumber', REF);
    const containerNumbers = f.strings('containerNumbers', 100, { max: 11, pattern: CONTAINER_PATTERN }, 1);
    const portOfLoading = f.str('portOfLoading', { pattern: UNLOCODE_PATTERN });
    const portOfDischarge = f.str('portOfDischarge', { pattern: UNLOCODE_PATTERN });
    const [etd, etdMillis] = readInstant(f, 'etd');
    const documents = parseDocuments(f, 'documents', ['BOOKING_CONFIRMATION'], true);
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.BookShipment.actors);
    requireStatus(record, TRANSITIONS.BookShipment.from, 'BookShipment');
    requireBeforeShipBy(ctx, record);
    if (etdMillis >= shipByMillis(record)) {
      fail(
        'DEADLINE_PASSED',
        `ETD ${etd} is not before the ship-by date ${record.registration?.shipBy ?? ''}`,
      );
    }
    const booking = {
      bookingNumber,
      vesselName,
      voyageNumber,
      containerNumbers,
      portOfLoading,
      portOfDischarge,
      etd: isoFromMillis(etdMillis),
      bookedAt: txIso(ctx),
    };
    return commitExport(
      ctx,
      record,
      {
        ...record,
        status: 'SHIPMENT_BOOKED',
        booking,
        documents: appendDocuments(ctx, record.documents, documents, actor),
      },
      {
        action: 'BookShipment',
        event: EVENTS.shipmentBooked,
        actor,
        details: { bookingNumber, vesselName, etd: booking.etd },
      },
    );
  }

  /**
   * Step 7 (customs_officer). input: {exportId, declarationNumber, permitNumber, declaredQuantityKg, declaredGrade,
   * riskLane: GREEN|YELLOW|RED, documents: [EXPORT_DECLARATION]}; transient `customsValue` {declaredValueUsd, salt}.
   * GREEN clears and consumes the permit; YELLOW/RED go to UNDER_INSPECTION. An export to an EU member state needs
   * its EUDR due diligence package approved by ECTA first (EUDR_PACKAGE_REQUIRED; the `eudr` contract).
   */
  @Transaction()
  @Returns('string')
  public async ClearCustoms(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const declarationNumber = f.str('declarationNumber', REF);
    const permitNumber = f.str('permitNumber', REF);
    const declaredQuantityKg = f.int('declaredQuantityKg', 1, MAX_QUANTITY_KG);
    const declaredGrade = f.oneOf('declaredGrade', GRADES);
    const riskLane = f.oneOf('riskLane', RISK_LANES);
    const documents = parseDocuments(f, 'documents', ['EXPORT_DECLARATION'], true);
    f.end();
    const valueInput = readTransient(ctx, [TRANSIENT.customsValue]).get(TRANSIENT.customsValue);
    if (valueInput === undefined) {
      return fail('VALIDATION_FAILED', `transient '${TRANSIENT.customsValue}' is required`);
    }
    const declaredValue = parseCustomsValueInput(valueInput);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.ClearCustoms.actors);
    requireStatus(record, TRANSITIONS.ClearCustoms.from, 'ClearCustoms');
    requireBeforeShipBy(ctx, record);
    // EU-bound: no clearance (whatever the lane) before ECTA approved the EUDR due diligence package.
    await requireClearablePackage(ctx, record);
    const allDocuments = appendDocuments(ctx, record.documents, documents, actor);
    requireDocuments(allDocuments, CUSTOMS_DOCUMENT_SET);
    await this.#checkPermit(ctx, record, permitNumber, actor);
    await this.#checkConsistency(ctx, record, allDocuments, {
      quantityKg: declaredQuantityKg,
      grade: declaredGrade,
      valueCents: declaredValue.declaredValueCents,
    });
    const now = txIso(ctx);
    const green = riskLane === 'GREEN';
    const customs = {
      declarationNumber,
      declaredQuantityKg,
      declaredGrade,
      riskLane,
      valueVerified: true,
      declaredAt: now,
      clearedAt: green ? now : undefined,
    };
    return commitExport(
      ctx,
      record,
      {
        ...record,
        status: green ? 'CUSTOMS_CLEARED' : 'UNDER_INSPECTION',
        customs,
        permit:
          green && record.permit ? { ...record.permit, status: 'CONSUMED', consumedAt: now } : record.permit,
        documents: allDocuments,
      },
      {
        action: 'ClearCustoms',
        event: green ? EVENTS.customsCleared : EVENTS.exportUnderInspection,
        actor,
        details: { declarationNumber, riskLane, permitNumber, permitConsumed: green },
      },
    );
  }

  /** Step 7 after inspection (customs_officer). input: {exportId, findings}. Clears and consumes the permit. */
  @Transaction()
  @Returns('string')
  public async CompleteInspection(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const findings = f.str('findings', REASON);
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.CompleteInspection.actors);
    requireStatus(record, TRANSITIONS.CompleteInspection.from, 'CompleteInspection');
    requireBeforeShipBy(ctx, record);
    const permitNumber = record.permit?.permitNumber ?? '';
    await this.#checkPermit(ctx, record, permitNumber, actor);
    const declared =
      record.customs ?? fail('CORRUPT_STATE', `export ${exportId} is under inspection without a declaration`);
    // The documents on record now (not those of ClearCustoms) must still agree with the declaration.
    await this.#checkConsistency(ctx, record, record.documents, {
      quantityKg: declared.declaredQuantityKg,
      grade: declared.declaredGrade,
    });
    const now = txIso(ctx);
    return commitExport(
      ctx,
      record,
      {
        ...record,
        status: 'CUSTOMS_CLEARED',
        customs: record.customs && { ...record.customs, inspectionFindings: findings, clearedAt: now },
        permit: record.permit && { ...record.permit, status: 'CONSUMED', consumedAt: now },
      },
      {
        action: 'CompleteInspection',
        event: EVENTS.customsCleared,
        actor,
        details: { permitNumber, permitConsumed: true },
      },
    );
  }

  /** Step 8 (shipping_agent). input: {exportId, billOfLadingNumber, onBoardDate (ISO), documents: [BILL_OF_LADING]}. */
  @Transaction()
  @Returns('string')
  public async MarkShipped(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const billOfLadingNumber = f.str('billOfLadingNumber', REF);
    const [, onBoardMillis] = readInstant(f, 'onBoardDate');
    const documents = parseDocuments(f, 'documents', ['BILL_OF_LADING'], true);
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.MarkShipped.actors);
    requireStatus(record, TRANSITIONS.MarkShipped.from, 'MarkShipped');
    requireBeforeShipBy(ctx, record);
    if (onBoardMillis > txMillis(ctx)) {
      fail('VALIDATION_FAILED', 'input.onBoardDate lies in the future of the transaction');
    }
    const config = await readConfig(ctx);
    const shipment = {
      billOfLadingNumber,
      onBoardDate: isoFromMillis(onBoardMillis),
      shippedAt: txIso(ctx),
      repatriationDueAt: isoFromMillis(txMillis(ctx) + config.repatriationWindowSeconds * 1000),
    };
    return commitExport(
      ctx,
      record,
      {
        ...record,
        status: 'SHIPPED',
        shipment,
        documents: appendDocuments(ctx, record.documents, documents, actor),
      },
      {
        action: 'MarkShipped',
        event: EVENTS.exportShipped,
        actor,
        details: { billOfLadingNumber, repatriationDueAt: shipment.repatriationDueAt },
      },
    );
  }

  /** While SHIPPED (shipping_agent). input: {exportId, location, status (e.g. DEPARTED), eventTime (ISO)}. */
  @Transaction()
  @Returns('string')
  public async AddTrackingEvent(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const location = f.str('location', { max: 128 });
    const status = f.str('status', { max: 32, pattern: CODE_PATTERN });
    const [, eventMillis] = readInstant(f, 'eventTime');
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.AddTrackingEvent.actors);
    requireStatus(record, TRANSITIONS.AddTrackingEvent.from, 'AddTrackingEvent');
    if (eventMillis > txMillis(ctx)) {
      fail('VALIDATION_FAILED', 'input.eventTime lies in the future of the transaction');
    }
    const key = trackingKey(ctx, exportId);
    const log =
      (await readState(ctx, key, parseTrackingLog)) ??
      fail('INVALID_TRANSITION', `export ${exportId} has no tracking log`);
    if (log.events.length >= MAX_TRACKING_EVENTS) {
      fail('VALIDATION_FAILED', `an export holds at most ${MAX_TRACKING_EVENTS} tracking events`);
    }
    const event = {
      location,
      status,
      eventTime: isoFromMillis(eventMillis),
      recordedAt: txIso(ctx),
      recordedBy: actor.userId,
    };
    // Only the tracking log is written: the export record (and its state) are untouched.
    await writeState(ctx, key, { ...log, events: [...log.events, event] } satisfies TrackingLog);
    const payload = {
      exportId,
      exporterId: record.exporterId,
      action: 'AddTrackingEvent',
      fromStatus: record.status,
      toStatus: record.status,
      actor: actorOf(actor),
      location,
      trackingStatus: status,
      eventTime: event.eventTime,
      txId: ctx.stub.getTxID(),
      at: txIso(ctx),
    };
    emitEvent(ctx, EVENTS.trackingEventAdded, payload);
    return toJson(payload);
  }

  /** Step 9 (bank_officer). input: {exportId, paymentReference, documents: [PAYMENT_ADVICE]}; transient `paymentProceeds` {amountUsd}. */
  @Transaction()
  @Returns('string')
  public async RecordPayment(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const paymentReference = f.str('paymentReference', REF);
    const documents = parseDocuments(f, 'documents', ['PAYMENT_ADVICE'], true);
    f.end();
    const proceedsInput = readTransient(ctx, [TRANSIENT.paymentProceeds]).get(TRANSIENT.paymentProceeds);
    if (proceedsInput === undefined) {
      return fail('VALIDATION_FAILED', `transient '${TRANSIENT.paymentProceeds}' is required`);
    }
    const proceeds = parseProceedsInput(proceedsInput, exportId, paymentReference);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.RecordPayment.actors);
    requireStatus(record, TRANSITIONS.RecordPayment.from, 'RecordPayment');
    const terms = await readTerms(ctx, record);
    requireDistinctSalts(
      proceeds.salt,
      terms.salt,
      terms.valueSalt,
      ...(record.fx ? [(await this.#fxApplication(ctx, record)).salt] : []),
    );
    const proceedsHash = await writePrivate(
      ctx,
      TRADE_TERMS_COLLECTION,
      proceedsKey(ctx, exportId),
      proceeds,
    );
    return commitExport(
      ctx,
      record,
      {
        ...record,
        status: 'PAYMENT_RECEIVED',
        payment: { paymentReference, proceedsHash, receivedAt: txIso(ctx) },
        documents: appendDocuments(ctx, record.documents, documents, actor),
      },
      { action: 'RecordPayment', event: EVENTS.paymentReceived, actor, details: { paymentReference } },
    );
  }

  /** Step 10 (National Bank fx_officer). input: {exportId}. Proceeds must cover the contract value. */
  @Transaction()
  @Returns('string')
  public async ConfirmRepatriation(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.ConfirmRepatriation.actors);
    requireStatus(record, TRANSITIONS.ConfirmRepatriation.from, 'ConfirmRepatriation');
    const terms = await readTerms(ctx, record);
    const proceeds = await readVerified(
      ctx,
      TRADE_TERMS_COLLECTION,
      proceedsKey(ctx, exportId),
      parseProceeds,
      record.payment?.proceedsHash,
      `proceeds of ${exportId}`,
    );
    if (proceeds.amountCents < terms.contractValueCents) {
      fail('REPATRIATION_SHORTFALL', 'the repatriated proceeds are below the contract value');
    }
    return commitExport(
      ctx,
      record,
      { ...record, status: 'COMPLETED', completedAt: txIso(ctx) },
      {
        action: 'ConfirmRepatriation',
        event: EVENTS.exportCompleted,
        actor,
      },
    );
  }

  /** Reviewer of steps 2, 3, 5, 7. input: {exportId, reasonCode (UPPER_SNAKE), reason}. */
  @Transaction()
  @Returns('string')
  public async RequestAmendment(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const reasonCode = f.str('reasonCode', { max: 64, pattern: CODE_PATTERN });
    const reason = f.str('reason', REASON);
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await identifyFor(ctx, exportId);
    const review =
      record.status === 'AMENDMENT_REQUESTED'
        ? undefined
        : pendingReview(record.status, record.amendment?.returnTo);
    permit(actor, review === undefined ? Object.values(REVIEWERS) : [REVIEWERS[review]]);
    if (review === undefined) {
      return fail('INVALID_TRANSITION', `no review is pending while export ${exportId} is ${record.status}`);
    }
    const amendment = {
      returnTo: review,
      step: REVIEW_STEP[review],
      reasonCode,
      reason,
      requestedBy: actorOf(actor),
      requestedAt: txIso(ctx),
    };
    return commitExport(
      ctx,
      record,
      { ...record, status: 'AMENDMENT_REQUESTED', amendment },
      {
        action: 'RequestAmendment',
        event: EVENTS.amendmentRequested,
        actor,
        reasonCode,
        reason,
        details: { returnTo: review, step: amendment.step },
      },
    );
  }

  /**
   * Exporter (or bank_officer for step 5). input: {exportId, documents?: [...], contract?: {...corrected
   * fields, step 2 only}}; transient `tradeTerms` (step 2) or `fxApplication` (step 5). Returns the export
   * to the review step that asked for the amendment.
   */
  @Transaction()
  @Returns('string')
  public async SubmitAmendment(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const documentsAllowed: DocumentType[] = [...EXPORTER_DOCUMENTS, 'LC_OR_ADVANCE_ADVICE'];
    const documents = parseDocuments(f, 'documents', documentsAllowed, false);
    const correctionFields = f.optObj('contract');
    f.end();
    const transient = readTransient(ctx, [TRANSIENT.tradeTerms, TRANSIENT.fxApplication]);
    const { actor, record } = await identifyFor(ctx, exportId, 'EXPORT');
    const returnTo = record.amendment?.returnTo;
    permit(actor, returnTo === 'FX_SUBMITTED' ? [EXPORTER, BANK_OFFICER] : [EXPORTER]);
    requireStatus(record, TRANSITIONS.SubmitAmendment.from, 'SubmitAmendment');
    if (returnTo === undefined) {
      return fail('CORRUPT_STATE', `export ${exportId} awaits an amendment without a recorded request`);
    }
    requireEligible(actor, record.exporterId);
    // The bank officer amends the FX application: it attaches only what it uploads (policy.ts), not the exporter's.
    const foreign = documents.filter((d) => !canUploadDocument(actor, d.type));
    if (foreign.length > 0) {
      fail(
        'FORBIDDEN_ROLE',
        `${actor.role} of ${actor.mspId} does not attach ${foreign.map((d) => d.type).join(', ')}`,
      );
    }
    if (documents.some((d) => d.type === 'LC_OR_ADVANCE_ADVICE') && returnTo !== 'FX_SUBMITTED') {
      fail('VALIDATION_FAILED', 'LC_OR_ADVANCE_ADVICE is amended only at step 5');
    }
    let next: ExportRecord = {
      ...record,
      documents: appendDocuments(ctx, record.documents, documents, actor),
    };
    let changed = documents.length > 0;
    if (correctionFields !== undefined || transient.has(TRANSIENT.tradeTerms)) {
      if (returnTo !== 'SUBMITTED') {
        fail(
          'VALIDATION_FAILED',
          'contract fields and trade terms are amended only at step 2 (before registration)',
        );
      }
      const contract = correctionFields === undefined ? record.contract : parseContractInfo(correctionFields);
      correctionFields?.end();
      const termsInput = transient.get(TRANSIENT.tradeTerms);
      const previous = await readTerms(ctx, record);
      const terms = termsInput === undefined ? previous : parseTradeTermsInput(termsInput, exportId);
      if (termsInput !== undefined) {
        // New terms get new salts: a reused one would tie the new hashes to the old ones.
        requireDistinctSalts(terms.salt, terms.valueSalt, previous.salt, previous.valueSalt);
      }
      if (!valueMatchesQuantity(terms, contract.quantityKg)) {
        fail('VALIDATION_FAILED', 'contract value must equal unit price × quantity');
      }
      const hashes =
        termsInput === undefined
          ? { termsHash: record.termsHash, valueCommitmentHash: record.valueCommitmentHash }
          : await storeTerms(ctx, terms);
      next = { ...next, contract, ...hashes };
      changed = true;
    }
    const fxInput = transient.get(TRANSIENT.fxApplication);
    if (fxInput !== undefined) {
      if (returnTo !== 'FX_SUBMITTED') {
        fail('VALIDATION_FAILED', 'the FX application is amended only at step 5');
      }
      const application = parseFxApplicationInput(fxInput, exportId);
      const terms = await readTerms(ctx, record);
      requireDistinctSalts(
        application.salt,
        terms.salt,
        terms.valueSalt,
        ...(record.fx ? [(await this.#fxApplication(ctx, record)).salt] : []),
      );
      if (application.paymentMethod !== terms.paymentMethod) {
        fail('PAYMENT_METHOD_MISMATCH', 'the FX application payment method differs from the contracted one');
      }
      const applicationHash = await writePrivate(
        ctx,
        TRADE_TERMS_COLLECTION,
        fxKey(ctx, exportId),
        application,
      );
      next = { ...next, fx: { applicationHash, submittedAt: txIso(ctx) } };
      changed = true;
    }
    if (!changed) {
      fail('VALIDATION_FAILED', 'an amendment must attach documents or correct fields');
    }
    return commitExport(
      ctx,
      record,
      { ...next, status: returnTo, amendment: undefined, amendmentCount: record.amendmentCount + 1 },
      {
        action: 'SubmitAmendment',
        event: EVENTS.exportAmended,
        actor,
        details: { returnTo, documentTypes: documents.map((d) => d.type) },
      },
    );
  }

  /** Exporter, before SHIPPED. input: {exportId, documents: [COMMERCIAL_INVOICE|PACKING_LIST|CERTIFICATE_OF_ORIGIN|PHYTOSANITARY_CERTIFICATE]}. */
  @Transaction()
  @Returns('string')
  public async AttachDocuments(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const documents = parseDocuments(f, 'documents', EXPORTER_SHIPPING_DOCUMENTS, true);
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, exportId, [EXPORTER]);
    // Frozen from customs on: while under inspection only a customs-requested amendment changes documents.
    requireStatus(record, TRANSITIONS.AttachDocuments.from, 'AttachDocuments');
    return commitExport(
      ctx,
      record,
      { ...record, documents: appendDocuments(ctx, record.documents, documents, actor) },
      {
        action: 'AttachDocuments',
        event: EVENTS.documentsAttached,
        actor,
        details: { documentTypes: documents.map((d) => d.type) },
      },
    );
  }

  /** Reviewer of the pending review step. input: {exportId, reasonCode, reason}. Terminal; voids an unused permit. */
  @Transaction()
  @Returns('string')
  public async RejectExport(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const reasonCode = f.str('reasonCode', { max: 64, pattern: CODE_PATTERN });
    const reason = f.str('reason', REASON);
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await identifyFor(ctx, exportId);
    const review = pendingReview(record.status, record.amendment?.returnTo);
    permit(actor, review === undefined ? Object.values(REVIEWERS) : [REVIEWERS[review]]);
    if (review === undefined) {
      return fail('INVALID_TRANSITION', `no review is pending while export ${exportId} is ${record.status}`);
    }
    return this.#close(ctx, record, 'REJECTED', actor, { action: 'RejectExport', reasonCode, reason });
  }

  /** Exporter (own exports) or bank_officer, any time before SHIPPED. input: {exportId, reason}. Voids an unused permit. */
  @Transaction()
  @Returns('string')
  public async CancelExport(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    const reason = f.str('reason', REASON);
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.CancelExport.actors);
    requireStatus(record, TRANSITIONS.CancelExport.from, 'CancelExport');
    return this.#close(ctx, record, 'CANCELLED', actor, { action: 'CancelExport', reason });
  }

  /**
   * Anyone (any registered, active user) once the ship-by date has passed before SHIPPED. input: {exportId}.
   * Voids an unused permit and applies ECTA's penalty ladder to the exporter in user-management.
   */
  @Transaction()
  @Returns('string')
  public async RecordDefault(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.RecordDefault.actors);
    requireStatus(record, TRANSITIONS.RecordDefault.from, 'RecordDefault');
    if (record.registration === undefined) {
      return fail(
        'DEADLINE_NOT_PASSED',
        `export ${exportId} has no ship-by date yet (contract not registered)`,
      );
    }
    if (txMillis(ctx) <= shipByMillis(record)) {
      fail('DEADLINE_NOT_PASSED', `the ship-by date ${record.registration.shipBy} has not passed`);
    }
    const penalty = await applyDefaultPenalty(ctx, record.exporterId, exportId);
    return this.#close(ctx, record, 'DEFAULTED', actor, {
      action: 'RecordDefault',
      reasonCode: 'SHIP_BY_PASSED',
      penaltyOutcome: penalty.outcome,
      details: {
        shipBy: record.registration.shipBy,
        penaltyOutcome: penalty.outcome,
        exporterStatus: penalty.statusAfter,
      },
    });
  }

  /**
   * National Bank fx_officer, per export: the proceeds of this SHIPPED export were not repatriated by its due
   * time. The ledger itself must show both (status SHIPPED, tx time past repatriationDueAt); the exporter is then
   * DELINQUENT in user-management (which accepts this only from here) and gets no new FX approval. input: {exportId}.
   */
  @Transaction()
  @Returns('string')
  public async MarkDelinquent(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.MarkDelinquent.actors);
    requireStatus(record, TRANSITIONS.MarkDelinquent.from, 'MarkDelinquent');
    const due = record.shipment?.repatriationDueAt ?? '';
    if (txMillis(ctx) <= (parseIsoMillis(due) ?? Number.POSITIVE_INFINITY)) {
      fail('DEADLINE_NOT_PASSED', `the repatriation of export ${exportId} is due ${due}, not overdue`);
    }
    if (record.delinquency !== undefined && record.delinquency.clearedAt === undefined) {
      fail('INVALID_TRANSITION', `export ${exportId} is already recorded as delinquent`);
    }
    await setDelinquency(ctx, record.exporterId, exportId, true);
    const delinquency = { markedAt: txIso(ctx), markedBy: actorOf(actor), repatriationDueAt: due };
    return commitExport(
      ctx,
      record,
      { ...record, delinquency },
      {
        action: 'MarkDelinquent',
        event: EVENTS.exportDelinquent,
        actor,
        details: { repatriationDueAt: due },
      },
    );
  }

  /**
   * National Bank fx_officer: the proceeds of a delinquent export arrived (PAYMENT_RECEIVED or COMPLETED); the
   * export no longer counts against its exporter. input: {exportId}.
   */
  @Transaction()
  @Returns('string')
  public async ClearDelinquency(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exportId = readExportId(f);
    f.end();
    readTransient(ctx, []);
    const { actor, record } = await actOn(ctx, exportId, TRANSITIONS.ClearDelinquency.actors);
    requireStatus(record, TRANSITIONS.ClearDelinquency.from, 'ClearDelinquency');
    const current = record.delinquency;
    if (current === undefined || current.clearedAt !== undefined) {
      return fail('INVALID_TRANSITION', `export ${exportId} is not recorded as delinquent`);
    }
    await setDelinquency(ctx, record.exporterId, exportId, false);
    return commitExport(
      ctx,
      record,
      { ...record, delinquency: { ...current, clearedAt: txIso(ctx), clearedBy: actorOf(actor) } },
      { action: 'ClearDelinquency', event: EVENTS.exportDelinquencyCleared, actor },
    );
  }

  // ---------------------------------------------------------------- queries
  // Every read answers two questions from policy.ts: may this caller know the export exists (else
  // EXPORT_NOT_FOUND, exactly as for a missing one), and which parts may it read (the rest is removed).

  @Transaction(false)
  @Returns('string')
  public async GetExport(ctx: Context, exportId: string): Promise<string> {
    const id = checkId(exportId, 'exportId');
    const actor = await authorize(ctx, 'ANY');
    const record = await loadExport(ctx, id);
    requireVisible(record, actor);
    const log = await readState(ctx, trackingKey(ctx, record.exportId), parseTrackingLog);
    const full = log ? { ...record, tracking: [...record.tracking, ...log.events] } : record;
    return toJson(redactExport(actor, record, full));
  }

  /** Every committed version of the export record: [{txId, timestamp, isDelete, record}], newest first. */
  @Transaction(false)
  @Returns('string')
  public async GetExportHistory(ctx: Context, exportId: string): Promise<string> {
    const id = checkId(exportId, 'exportId');
    const actor = await authorize(ctx, 'ANY');
    const current = await loadExport(ctx, id);
    requireVisible(current, actor);
    const entries = (await this.#history(ctx, id)).map((entry) => ({
      ...entry,
      record: entry.record && redactExport(actor, current, entry.record),
    }));
    return toJson({ exportId: id, entries });
  }

  /**
   * The public proof (no login at the gateways): state, the time of each step, and each document's type,
   * version and SHA-256 so a buyer holding a file can check it. No CIDs, no private or commercial values, no
   * user names. Any identity of the channel may ask; nothing here is need-to-know.
   */
  @Transaction(false)
  @Returns('string')
  public async GetPublicView(ctx: Context, exportId: string): Promise<string> {
    const id = checkId(exportId, 'exportId');
    const record = await loadExport(ctx, id);
    const versions = (await this.#history(ctx, id)).slice().reverse();
    const steps: { status: string; at: string }[] = [];
    for (const version of versions) {
      const status = version.record?.status;
      if (status !== undefined && steps[steps.length - 1]?.status !== status) {
        steps.push({ status, at: version.timestamp });
      }
    }
    return toJson({
      exportId: record.exportId,
      status: record.status,
      steps,
      documents: record.documents.map((d) => ({
        type: d.type,
        version: d.version,
        sha256: d.sha256,
        mediaType: d.mediaType,
        sizeBytes: d.sizeBytes,
        uploadedAt: d.uploadedAt,
      })),
    });
  }

  /** input: {status, pageSize?: 1-100, bookmark?} -> {records, fetchedCount, bookmark}; only what the caller sees. */
  @Transaction(false)
  @Returns('string')
  public async ListExportsByStatus(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const status = f.oneOf('status', EXPORT_STATUSES);
    const page = readPageRequest(f);
    f.end();
    const actor = await authorize(ctx, 'ANY');
    return this.#listIndex(ctx, actor, STATUS_INDEX, [status], page, status);
  }

  /** input: {exporterId, pageSize?: 1-100, bookmark?} -> {records, fetchedCount, bookmark}; only what the caller sees. */
  @Transaction(false)
  @Returns('string')
  public async ListExportsByExporter(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exporterId = f.str('exporterId', { max: 64, pattern: ID_PATTERN });
    const page = readPageRequest(f);
    f.end();
    const actor = await authorize(ctx, 'ANY');
    return this.#listIndex(ctx, actor, EXPORTER_INDEX, [exporterId], page);
  }

  /**
   * The private data the caller is entitled to (policy.ts PRIVATE_AUDIENCE): trade terms, FX application and
   * proceeds for the tradeTerms members' staff (exporters: their own), the registered contract value for
   * customs. EVALUATE it, never submit it: a submitted response would be written into the block. Evaluated on
   * the caller's own org peer, which holds exactly the collections its org is a member of.
   */
  @Transaction(false)
  @Returns('string')
  public async GetTradeTerms(ctx: Context, exportId: string): Promise<string> {
    const id = checkId(exportId, 'exportId');
    const actor = await authorize(ctx, 'ANY');
    const record = await loadExport(ctx, id);
    requireVisible(record, actor);
    const may = (group: PrivateGroup): boolean => canReadPrivate(actor, record, group);
    if (!PRIVATE_GROUPS.some(may)) {
      fail('FORBIDDEN_ORG', `${actor.mspId} ${actor.role} may not read the private terms of this export`);
    }
    const terms =
      may('tradeTerms') && record.termsHash !== undefined ? await readTerms(ctx, record) : undefined;
    return toJson({
      exportId: id,
      terms,
      fxApplication: may('fxApplication') && record.fx ? await this.#fxApplication(ctx, record) : undefined,
      proceeds:
        may('proceeds') && record.payment
          ? await readVerified(
              ctx,
              TRADE_TERMS_COLLECTION,
              proceedsKey(ctx, id),
              parseProceeds,
              record.payment.proceedsHash,
              'proceeds',
            )
          : undefined,
      customsValue:
        may('customsValue') && record.valueCommitmentHash !== undefined
          ? await readVerified(
              ctx,
              CUSTOMS_VALUE_COLLECTION,
              valueKey(ctx, id),
              parseValueCommitment,
              record.valueCommitmentHash,
              'registered contract value',
            )
          : undefined,
    });
  }

  /** The permit's state: {permitNumber, exportId, status, issuedAt, consumedAt?, voidedAt?}, for its audience. */
  @Transaction(false)
  @Returns('string')
  public async GetPermit(ctx: Context, permitNumber: string): Promise<string> {
    const number = checkId(permitNumber, 'permitNumber', PERMIT_PATTERN);
    const actor = await authorize(ctx, 'ANY');
    const record = await this.#permitOwner(ctx, number);
    if (!canReadGroup(actor, record, 'permit')) {
      fail('PERMIT_NOT_FOUND', `permit ${number} was never issued`);
    }
    return toJson({ exportId: record.exportId, ...record.permit });
  }

  // ---------------------------------------------------------------- helpers

  /**
   * A page of an index, as the caller may see it: entries are read on until `pageSize` visible records are found
   * or the index ends. The bookmark continues right after the last record returned (hex of that key plus a NUL),
   * so it never names an export the caller was not shown, and fetchedCount counts returned records only. An entry
   * counts only when the record confirms it (legacy entries also when not flagged inactive); one that does not
   * parse is skipped.
   */
  async #listIndex(
    ctx: Context,
    actor: AuthorizedActor,
    index: string,
    attributes: string[],
    page: { pageSize: number; bookmark: string },
    status?: string,
  ): Promise<string> {
    const records: ExportRecord[] = [];
    let start = page.bookmark;
    let lastReturned: string | undefined;
    let exhausted = false;
    while (records.length < page.pageSize && !exhausted) {
      const { entries, nextKey } = await readKeyedPage(
        ctx,
        index,
        attributes,
        page.pageSize,
        start,
        parseIndexEntry,
      );
      let stoppedEarly = false;
      for (const entry of entries) {
        if (records.length >= page.pageSize) {
          stoppedEarly = true;
          break;
        }
        // An entry counts only if its key names the export its value names, and the record agrees with the
        // key (its status, or its exporter): a forged or stale entry shows nothing.
        const named = ctx.stub.splitCompositeKey(entry.key).attributes;
        if (entry.value.active === false || named[named.length - 1] !== entry.value.exportId) {
          continue;
        }
        const record = await readState(ctx, exportKey(ctx, entry.value.exportId), parseExport);
        if (
          record !== undefined &&
          (status === undefined || record.status === status) &&
          (index !== EXPORTER_INDEX || record.exporterId === named[0]) &&
          canSeeExport(actor, record)
        ) {
          records.push(redactExport(actor, record, record));
          lastReturned = entry.key;
        }
      }
      exhausted = !stoppedEarly && nextKey === '';
      start = nextKey;
    }
    const bookmark =
      exhausted || lastReturned === undefined
        ? ''
        : Buffer.from(`${lastReturned}\u0000`, 'utf8').toString('hex');
    return toJson({ records, fetchedCount: records.length, bookmark });
  }

  /** Every committed version of the export record, newest first (EXPORT_NOT_FOUND if there is none). */
  async #history(
    ctx: Context,
    id: string,
  ): Promise<{ txId: string; timestamp: string; isDelete: boolean; record?: ExportRecord }[]> {
    const iterator = await ctx.stub.getHistoryForKey(exportKey(ctx, id));
    const entries: { txId: string; timestamp: string; isDelete: boolean; record?: ExportRecord }[] = [];
    try {
      for (;;) {
        const next = await iterator.next();
        const mod = next.value;
        if (mod) {
          const seconds =
            typeof mod.timestamp.seconds === 'number'
              ? mod.timestamp.seconds
              : Number(mod.timestamp.seconds.toString());
          entries.push({
            txId: mod.txId,
            timestamp: isoFromMillis(seconds * 1000 + Math.floor(mod.timestamp.nanos / 1e6)),
            isDelete: mod.isDelete,
            record: mod.isDelete
              ? undefined
              : parseExport(parseJsonBytes(mod.value, 'history', 'CORRUPT_STATE')),
          });
        }
        if (next.done) {
          break;
        }
      }
    } finally {
      await iterator.close();
    }
    if (entries.length === 0) {
      return fail('EXPORT_NOT_FOUND', `export ${id} has no history`);
    }
    return entries;
  }

  /** The export a permit number names, if that export really holds that permit. */
  async #permitOwner(ctx: Context, permitNumber: string): Promise<ExportRecord> {
    const exportId = PERMIT_PATTERN.exec(permitNumber)?.[1];
    const bytes =
      exportId === undefined ? new Uint8Array() : await ctx.stub.getState(exportKey(ctx, exportId));
    const owner = bytes.length === 0 || exportId === undefined ? undefined : await loadExport(ctx, exportId);
    if (owner?.permit?.permitNumber !== permitNumber) {
      return fail('PERMIT_NOT_FOUND', `permit ${permitNumber} was never issued`);
    }
    return owner;
  }

  async #checkPermit(
    ctx: Context,
    record: ExportRecord,
    permitNumber: string,
    actor: AuthorizedActor,
  ): Promise<void> {
    const owner = await this.#permitOwner(ctx, permitNumber);
    // A permit of an export the caller may not see is, to the caller, a permit never issued.
    if (!canSeeExport(actor, owner) || !canReadGroup(actor, owner, 'permit')) {
      fail('PERMIT_NOT_FOUND', `permit ${permitNumber} was never issued`);
    }
    const permit = owner.permit;
    if (permit?.status === 'CONSUMED') {
      fail('PERMIT_CONSUMED', `permit ${permitNumber} was already used on ${permit.consumedAt ?? ''}`);
    }
    if (permit?.status === 'VOIDED') {
      fail('PERMIT_VOIDED', `permit ${permitNumber} was voided`);
    }
    if (owner.exportId !== record.exportId) {
      fail('PERMIT_MISMATCH', `permit ${permitNumber} was issued for another export`);
    }
  }

  /**
   * Cross-document consistency at customs: quantity and grade across the documents and the certified lot, and
   * (when declared) the value against the registered contract value in the customsValue collection, whose hash
   * must be the one the export record committed to (a private write slipped in by one member is detected).
   */
  async #checkConsistency(
    ctx: Context,
    record: ExportRecord,
    documents: ExportRecord['documents'],
    declared: { quantityKg: number; grade: string; valueCents?: number },
  ): Promise<void> {
    const { quantityKg, grade } = declared;
    const latest = latestDocuments(documents);
    const problems: string[] = [];
    const quantities: [string, number | undefined][] = [
      ['sales contract', record.contract.quantityKg],
      ['commercial invoice', latest.get('COMMERCIAL_INVOICE')?.quantityKg],
      ['packing list', latest.get('PACKING_LIST')?.quantityKg],
      ['export declaration', latest.get('EXPORT_DECLARATION')?.quantityKg],
    ];
    for (const [source, value] of quantities) {
      if (value !== undefined && value !== quantityKg) {
        problems.push(`quantity ${quantityKg} kg differs from the ${source} (${value} kg)`);
      }
    }
    if (record.quality !== undefined && quantityKg > record.quality.certifiedQuantityKg) {
      problems.push(`quantity exceeds the certified lot (${record.quality.certifiedQuantityKg} kg)`);
    }
    const grades: [string, string | undefined][] = [
      ['quality certificate', record.quality?.certifiedGrade],
      ['commercial invoice', latest.get('COMMERCIAL_INVOICE')?.grade],
      ['export declaration', latest.get('EXPORT_DECLARATION')?.grade],
    ];
    for (const [source, value] of grades) {
      if (value !== undefined && value !== grade) {
        problems.push(`grade ${grade} differs from the ${source} (${value})`);
      }
    }
    const registered = await readVerified(
      ctx,
      CUSTOMS_VALUE_COLLECTION,
      valueKey(ctx, record.exportId),
      parseValueCommitment,
      record.valueCommitmentHash,
      `registered contract value of ${record.exportId}`,
    );
    if (declared.valueCents !== undefined && declared.valueCents !== registered.contractValueCents) {
      problems.push('declared value differs from the registered contract value');
    }
    if (problems.length > 0) {
      fail('DECLARATION_INCONSISTENT', problems.join('; '));
    }
  }

  async #fxApplication(ctx: Context, record: ExportRecord): Promise<FxApplication> {
    return readVerified(
      ctx,
      TRADE_TERMS_COLLECTION,
      fxKey(ctx, record.exportId),
      parseFxApplication,
      record.fx?.applicationHash,
      `FX application of ${record.exportId}`,
    );
  }

  async #close(
    ctx: Context,
    record: ExportRecord,
    status: 'REJECTED' | 'CANCELLED' | 'DEFAULTED',
    actor: AuthorizedActor,
    options: {
      action: string;
      reasonCode?: string;
      reason?: string;
      penaltyOutcome?: string;
      details?: Record<string, unknown>;
    },
  ): Promise<string> {
    const by = actorOf(actor);
    const permit = voidPermit(ctx, record);
    const closure = {
      reasonCode: options.reasonCode,
      reason: options.reason,
      by,
      at: txIso(ctx),
      penaltyOutcome: options.penaltyOutcome,
    };
    const event =
      status === 'REJECTED'
        ? EVENTS.exportRejected
        : status === 'CANCELLED'
          ? EVENTS.exportCancelled
          : EVENTS.exportDefaulted;
    return commitExport(
      ctx,
      record,
      { ...record, status, permit, closure, amendment: undefined },
      {
        action: options.action,
        event,
        actor,
        reasonCode: options.reasonCode,
        reason: options.reason,
        details: {
          ...options.details,
          permitVoided: permit?.status === 'VOIDED' && record.permit?.status === 'ISSUED',
        },
      },
    );
  }
}
