import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import {
  ClockCheckedContract,
  Fields,
  ID_PATTERN,
  checkId,
  eligibilityOf,
  emitEvent,
  exporterStandingOf,
  isoFromMillis,
  originChaincode,
  parseIsoMillis,
  readPage,
  readPageRequest,
  readState,
  toJson,
  txIso,
  txMillis,
  writeState,
} from '@coffee/chaincode-common';
import { MSP } from '@coffee/consortium';
import { authorize } from '../lib/access';
import { fail } from '../lib/errors';
import { EVENTS } from '../lib/events';
import { copyExporter } from '../lib/registry-copy';
import { callerIdentity } from '../lib/identity';
import {
  EXPORTER_KEY,
  EXPORTER_STATUSES,
  type ExporterRecord,
  LICENCE_PATTERN,
  MAX_DELINQUENT_EXPORTS,
  MAX_WARNINGS,
  type PenaltyRecord,
  TIN_PATTERN,
  WARNINGS_BEFORE_SUSPENSION,
  exporterKey,
  parseExporter,
  parsePenalty,
  penaltyKey,
} from '../model/exporter';

/** The only chaincode allowed to apply the default penalty (it calls in with its own proposal). */
export const PENALTY_ORIGIN_CHAINCODE = 'coffee-export';

const REGULATOR = [MSP.ECTA] as const;

function readValidUntil(f: Fields, name: string): string {
  const text = f.str(name, { max: 32 });
  const millis = parseIsoMillis(text);
  if (millis === undefined) {
    return fail('VALIDATION_FAILED', `input.${name} must be an ISO-8601 UTC date (YYYY-MM-DD or ...T..Z)`);
  }
  return isoFromMillis(millis);
}

async function loadExporter(ctx: Context, exporterId: string): Promise<ExporterRecord> {
  const record = await readState(ctx, exporterKey(ctx, exporterId), parseExporter);
  if (record === undefined) {
    return fail('EXPORTER_NOT_FOUND', `exporter ${exporterId} is not registered`);
  }
  return record;
}

function exporterEvent(record: ExporterRecord, txId: string): object {
  return {
    exporterId: record.exporterId,
    status: record.status,
    warnings: record.warnings,
    delinquent: record.delinquent,
    licenceValidUntil: record.licenceValidUntil,
    txId,
    at: record.updatedAt,
  };
}

/**
 * Exporter licences (ECTA) and standing (National Bank). Every change is copied into coffee-export's namespace in
 * the same transaction (lib/registry-copy.ts); coffee-export applies the default penalty ladder through
 * `ApplyDefaultPenalty` and records delinquency through `SetDelinquency`.
 */
@Info({
  title: 'Exporters',
  description: 'ECTA exporter licences, warnings, status; National Bank delinquency',
})
export class ExporterContract extends ClockCheckedContract {
  constructor() {
    super('exporters');
  }

  /** input: {"exporterId","legalName","tin": 10 digits,"licenceNumber","licenceValidUntil": ISO date} — ECTA. */
  @Transaction()
  @Returns('string')
  public async RegisterExporter(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exporterId = f.str('exporterId', { max: 64, pattern: ID_PATTERN });
    const legalName = f.str('legalName', { max: 200 });
    const tin = f.str('tin', { pattern: TIN_PATTERN });
    const licenceNumber = f.str('licenceNumber', { max: 64, pattern: LICENCE_PATTERN });
    const licenceValidUntil = readValidUntil(f, 'licenceValidUntil');
    f.end();
    const actor = await authorize(ctx, REGULATOR, ['ecta_officer', 'admin']);
    if ((await readState(ctx, exporterKey(ctx, exporterId), parseExporter)) !== undefined) {
      fail('EXPORTER_EXISTS', `exporter ${exporterId} is already registered`);
    }
    const now = txIso(ctx);
    const record: ExporterRecord = {
      docType: 'exporter',
      exporterId,
      legalName,
      tin,
      licenceNumber,
      licenceValidUntil,
      status: 'ACTIVE',
      warnings: 0,
      delinquent: false,
      createdAt: now,
      updatedAt: now,
      updatedBy: actor.userId,
    };
    await writeState(ctx, exporterKey(ctx, exporterId), record);
    await copyExporter(ctx, record);
    emitEvent(ctx, EVENTS.exporterRegistered, exporterEvent(record, ctx.stub.getTxID()));
    return toJson(record);
  }

  /**
   * input: {"exporterId", "legalName"?, "licenceNumber"?, "licenceValidUntil"?, "status"?, "warnings"?,
   * "reason"?} — ECTA; `reason` is required when status becomes anything but ACTIVE.
   */
  @Transaction()
  @Returns('string')
  public async UpdateExporter(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exporterId = f.str('exporterId', { max: 64, pattern: ID_PATTERN });
    const legalName = f.optStr('legalName', { max: 200 });
    const licenceNumber = f.optStr('licenceNumber', { max: 64, pattern: LICENCE_PATTERN });
    const licenceValidUntil = f.has('licenceValidUntil') ? readValidUntil(f, 'licenceValidUntil') : undefined;
    const status = f.optOneOf('status', EXPORTER_STATUSES);
    const warnings = f.optInt('warnings', 0, MAX_WARNINGS);
    const reason = f.optStr('reason', { max: 1000, text: true });
    f.end();
    if ([legalName, licenceNumber, licenceValidUntil, status, warnings].every((v) => v === undefined)) {
      fail('VALIDATION_FAILED', 'input changes nothing');
    }
    if (status !== undefined && status !== 'ACTIVE' && reason === undefined) {
      fail('VALIDATION_FAILED', `input.reason is required to set status ${status}`);
    }
    const actor = await authorize(ctx, REGULATOR, ['ecta_officer', 'admin']);
    const record = await loadExporter(ctx, exporterId);
    const updated: ExporterRecord = {
      ...record,
      legalName: legalName ?? record.legalName,
      licenceNumber: licenceNumber ?? record.licenceNumber,
      licenceValidUntil: licenceValidUntil ?? record.licenceValidUntil,
      status: status ?? record.status,
      statusReason: status === undefined ? record.statusReason : reason,
      warnings: warnings ?? record.warnings,
      updatedAt: txIso(ctx),
      updatedBy: actor.userId,
    };
    await writeState(ctx, exporterKey(ctx, exporterId), updated);
    await copyExporter(ctx, updated);
    emitEvent(ctx, EVENTS.exporterUpdated, exporterEvent(updated, ctx.stub.getTxID()));
    return toJson(updated);
  }

  /**
   * input: {"exporterId", "exportId", "delinquent": true|false}. Delinquency is recorded per export, and only by
   * coffee-export's MarkDelinquent / ClearDelinquency (origin check), which first prove from the export record
   * that it is SHIPPED and its repatriation due time has passed (or, to clear, that the proceeds arrived). The
   * exporter is DELINQUENT while any of its exports is; the National Bank's fx_officer is the caller.
   */
  @Transaction()
  @Returns('string')
  public async SetDelinquency(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exporterId = f.str('exporterId', { max: 64, pattern: ID_PATTERN });
    const exportId = f.str('exportId', { max: 64, pattern: ID_PATTERN });
    const delinquent = f.bool('delinquent');
    f.end();
    const origin = originChaincode(ctx);
    if (origin !== PENALTY_ORIGIN_CHAINCODE) {
      fail(
        'FORBIDDEN_CALLER',
        `delinquency is recorded only by ${PENALTY_ORIGIN_CHAINCODE} for an overdue export (proposal addressed ${origin ?? 'unknown'})`,
      );
    }
    const actor = await authorize(ctx, [MSP.NationalBank], ['fx_officer']);
    const record = await loadExporter(ctx, exporterId);
    const listed = record.delinquentExports ?? [];
    if (listed.includes(exportId) === delinquent) {
      fail(
        'INVALID_TRANSITION',
        `export ${exportId} is already ${delinquent ? '' : 'not '}recorded as delinquent for ${exporterId}`,
      );
    }
    if (delinquent && listed.length >= MAX_DELINQUENT_EXPORTS) {
      fail('VALIDATION_FAILED', `exporter ${exporterId} has ${listed.length} delinquent exports already`);
    }
    const delinquentExports = delinquent ? [...listed, exportId] : listed.filter((id) => id !== exportId);
    const now = txIso(ctx);
    const updated: ExporterRecord = {
      ...record,
      delinquentExports,
      delinquent: delinquentExports.length > 0,
      delinquencyReason:
        delinquentExports.length > 0
          ? `proceeds overdue for ${delinquentExports.join(', ')}`
          : `cleared with export ${exportId}`,
      delinquencyUpdatedAt: now,
      updatedAt: now,
      updatedBy: actor.userId,
    };
    // No copy from here: coffee-export called in (it cannot be called back) and copies this answer itself.
    await writeState(ctx, exporterKey(ctx, exporterId), updated);
    emitEvent(
      ctx,
      delinquent ? EVENTS.exporterDelinquencySet : EVENTS.exporterDelinquencyCleared,
      exporterEvent(updated, ctx.stub.getTxID()),
    );
    return toJson(updated);
  }

  @Transaction(false)
  @Returns('string')
  public async GetExporter(ctx: Context, exporterId: string): Promise<string> {
    callerIdentity(ctx);
    return toJson(await loadExporter(ctx, checkId(exporterId, 'exporterId')));
  }

  /** input: {"exporterId", "purpose": "EXPORT"|"FX"} -> {eligible, code?, reason?} (cross-chaincode query). */
  @Transaction(false)
  @Returns('string')
  public async CheckExporterEligibility(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exporterId = f.str('exporterId', { max: 64, pattern: ID_PATTERN });
    const purpose = f.oneOf('purpose', ['EXPORT', 'FX'] as const);
    f.end();
    const record = await readState(ctx, exporterKey(ctx, exporterId), parseExporter);
    return toJson(eligibilityOf(record, exporterId, purpose, txMillis(ctx)));
  }

  /**
   * input: {"exporterId", "exportId"}. Penalty ladder for a DEFAULTED export: the first default gives a
   * warning, a default after WARNINGS_BEFORE_SUSPENSION warnings suspends the licence. Callable only from
   * coffee-export's RecordDefault (origin check); applied at most once per export.
   */
  @Transaction()
  @Returns('string')
  public async ApplyDefaultPenalty(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const exporterId = f.str('exporterId', { max: 64, pattern: ID_PATTERN });
    const exportId = f.str('exportId', { max: 64, pattern: ID_PATTERN });
    f.end();
    const origin = originChaincode(ctx);
    if (origin !== PENALTY_ORIGIN_CHAINCODE) {
      fail(
        'FORBIDDEN_CALLER',
        `penalties are applied only by ${PENALTY_ORIGIN_CHAINCODE} (proposal addressed ${origin ?? 'unknown'})`,
      );
    }
    // The answer carries the exporter's standing after the penalty: coffee-export, which called in and cannot
    // be called back, updates its copy of the registry from it (chaincode-common registry.ts).
    const existing = await readState(ctx, penaltyKey(ctx, exportId), parsePenalty);
    if (existing !== undefined) {
      return toJson({ ...existing, standing: exporterStandingOf(await loadExporter(ctx, exporterId)) });
    }
    const record = await loadExporter(ctx, exporterId);
    const now = txIso(ctx);
    let outcome: PenaltyRecord['outcome'] = 'RECORDED';
    let status = record.status;
    let warnings = record.warnings;
    if (record.status === 'ACTIVE' && record.warnings < WARNINGS_BEFORE_SUSPENSION) {
      outcome = 'WARNING';
      warnings = Math.min(MAX_WARNINGS, warnings + 1);
    } else if (record.status === 'ACTIVE') {
      outcome = 'SUSPENDED';
      status = 'SUSPENDED';
    }
    const penalty: PenaltyRecord = {
      docType: 'penalty',
      exportId,
      exporterId,
      outcome,
      warningsAfter: warnings,
      statusAfter: status,
      appliedAt: now,
      txId: ctx.stub.getTxID(),
    };
    const updated: ExporterRecord = {
      ...record,
      warnings,
      status,
      statusReason:
        outcome === 'SUSPENDED' ? `suspended after default of export ${exportId}` : record.statusReason,
      updatedAt: now,
      updatedBy: `${PENALTY_ORIGIN_CHAINCODE}:RecordDefault`,
    };
    await writeState(ctx, penaltyKey(ctx, exportId), penalty);
    await writeState(ctx, exporterKey(ctx, exporterId), updated);
    // Dropped by the peer when nested (events come from the outermost chaincode); kept for direct audits.
    emitEvent(ctx, EVENTS.exporterPenalized, { ...penalty });
    return toJson({ ...penalty, standing: exporterStandingOf(updated) });
  }

  /** input: {"pageSize"?, "bookmark"?} */
  @Transaction(false)
  @Returns('string')
  public async ListExporters(ctx: Context, input: string): Promise<string> {
    callerIdentity(ctx);
    const f = Fields.parse(input, 'input');
    const page = readPageRequest(f);
    f.end();
    return toJson(await readPage(ctx, EXPORTER_KEY, [], page, parseExporter));
  }
}
