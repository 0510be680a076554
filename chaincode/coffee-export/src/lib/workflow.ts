/** Shared steps of every export transition: load, check state, read transient input, record documents, commit. */
import type { Context } from 'fabric-contract-api';
import {
  Fields,
  emitEvent,
  parseJsonBytes,
  readState,
  toJson,
  txIso,
  writeState,
} from '@coffee/chaincode-common';
import { type AuthorizedActor, type EligibilityRequest, type Permission, identify, permit } from './access';
import { setKeyPolicy } from './endorsement';
import { fail } from './errors';
import type { EventName } from './events';
import { type Actor, actorOf } from '../model/common';
import { canSeeExport, progressOf, redactExport } from '@coffee/consortium';
import {
  type DocumentInput,
  type DocumentRecord,
  type DocumentType,
  MAX_DOCUMENTS,
  latestDocuments,
  parseDocumentInput,
} from '../model/document';
import { type ExportRecord, type ExportStatus, STATUS_INDEX, exportKey, parseExport } from '../model/export';

export async function loadExport(ctx: Context, exportId: string): Promise<ExportRecord> {
  const record = await readState(ctx, exportKey(ctx, exportId), parseExport);
  if (record === undefined) {
    return fail('EXPORT_NOT_FOUND', `export ${exportId} does not exist`);
  }
  return record;
}

/**
 * The caller and the export of a transition, in the order that reveals nothing: who is calling, the export (a
 * missing one and one the caller may not see answer alike), then whether the caller's org and role act here.
 */
export async function actOn(
  ctx: Context,
  exportId: string,
  permissions: readonly Permission[] | 'ANY',
  eligibility?: EligibilityRequest['purpose'],
): Promise<{ actor: AuthorizedActor; record: ExportRecord }> {
  const { actor, record } = await identifyFor(ctx, exportId, eligibility);
  permit(actor, permissions);
  return { actor, record };
}

/**
 * The caller and a visible export, before any permission check (for steps whose permissions depend on the
 * record). The record is read first so that the exporter's eligibility, when a step needs it, comes with the
 * caller's record in one cross-chaincode call; a caller who cannot be identified is still refused before a
 * missing export is reported.
 */
export async function identifyFor(
  ctx: Context,
  exportId: string,
  eligibility?: EligibilityRequest['purpose'],
): Promise<{ actor: AuthorizedActor; record: ExportRecord }> {
  const found = await readState(ctx, exportKey(ctx, exportId), parseExport);
  const actor = await identify(
    ctx,
    eligibility && found ? { purpose: eligibility, exporterId: found.exporterId } : undefined,
  );
  const record = found ?? fail('EXPORT_NOT_FOUND', `export ${exportId} does not exist`);
  requireVisible(record, actor);
  return { actor, record };
}

export function requireStatus(record: ExportRecord, allowed: readonly ExportStatus[], action: string): void {
  if (!allowed.includes(record.status)) {
    fail(
      'INVALID_TRANSITION',
      `${action} is not allowed while export ${record.exportId} is ${record.status} (only from ${allowed.join(', ')})`,
    );
  }
}

/**
 * Need-to-know (policy.ts): a caller who may not see the export is told it does not exist, with the very
 * answer loadExport gives for a missing one, so the refusal reveals nothing.
 */
export function requireVisible(record: ExportRecord, actor: Actor & { exporterId?: string }): void {
  if (!canSeeExport(actor, record)) {
    fail('EXPORT_NOT_FOUND', `export ${record.exportId} does not exist`);
  }
}

/**
 * Reads the transient map: only the `allowed` keys may be present (anything else is refused, so private
 * input never goes unnoticed), each must hold a JSON object.
 */
export function readTransient(ctx: Context, allowed: readonly string[]): Map<string, Fields> {
  const out = new Map<string, Fields>();
  for (const [key, bytes] of ctx.stub.getTransient()) {
    if (!allowed.includes(key)) {
      fail(
        'VALIDATION_FAILED',
        `transient key '${key}' is not accepted here (accepted: ${allowed.join(', ') || 'none'})`,
      );
    }
    out.set(
      key,
      Fields.of(parseJsonBytes(bytes, `transient ${key}`, 'VALIDATION_FAILED'), `transient.${key}`),
    );
  }
  return out;
}

export function parseDocuments(
  f: Fields,
  name: string,
  allowed: readonly DocumentType[],
  required: boolean,
): DocumentInput[] {
  const docs = (required ? f.objects(name, 20, 1) : f.optObjects(name, 20)).map(parseDocumentInput);
  const seen = new Set<DocumentType>();
  for (const doc of docs) {
    if (!allowed.includes(doc.type)) {
      fail(
        'VALIDATION_FAILED',
        `document type ${doc.type} cannot be attached here (allowed: ${allowed.join(', ')})`,
      );
    }
    if (seen.has(doc.type)) {
      fail('VALIDATION_FAILED', `document type ${doc.type} appears twice`);
    }
    seen.add(doc.type);
    if (
      (doc.type === 'COMMERCIAL_INVOICE' && (doc.quantityKg === undefined || doc.grade === undefined)) ||
      (doc.type === 'PACKING_LIST' && doc.quantityKg === undefined)
    ) {
      fail(
        'VALIDATION_FAILED',
        `${doc.type} must state quantityKg${doc.type === 'COMMERCIAL_INVOICE' ? ' and grade' : ''}`,
      );
    }
  }
  return docs;
}

/** Requires each of `types` among the given documents; lists every missing one. */
export function requireDocuments(
  docs: readonly { type: DocumentType }[],
  types: readonly DocumentType[],
): void {
  const present = new Set(docs.map((d) => d.type));
  const missing = types.filter((t) => !present.has(t));
  if (missing.length > 0) {
    fail('DOCUMENTS_MISSING', `missing ${missing.join(', ')}`);
  }
}

/** Appends new versions; earlier versions are kept untouched. */
export function appendDocuments(
  ctx: Context,
  existing: readonly DocumentRecord[],
  inputs: readonly DocumentInput[],
  actor: Actor,
): DocumentRecord[] {
  if (existing.length + inputs.length > MAX_DOCUMENTS) {
    fail('VALIDATION_FAILED', `an export holds at most ${MAX_DOCUMENTS} document versions`);
  }
  const latest = latestDocuments(existing);
  const at = txIso(ctx);
  const added = inputs.map((input) => ({
    ...input,
    version: (latest.get(input.type)?.version ?? 0) + 1,
    uploadedBy: actorOf(actor),
    uploadedAt: at,
    txId: ctx.stub.getTxID(),
  }));
  return [...existing, ...added];
}

export function statusIndexKey(ctx: Context, status: ExportStatus, exportId: string): string {
  return ctx.stub.createCompositeKey(STATUS_INDEX, [status, exportId]);
}

export interface CommitOptions {
  action: string;
  event: EventName;
  /** Who acts; the transaction's response is the record as this caller may read it (policy.ts). */
  actor: Actor & { exporterId?: string };
  reasonCode?: string;
  reason?: string;
  /** Public facts for the event payload (never private terms). */
  details?: Record<string, unknown>;
}

/**
 * The one way an export record changes: stamps who/when/why, writes through the serializer, moves the
 * status index, resets the key-level endorsement policy for the new state and emits the one event.
 */
export async function commitExport(
  ctx: Context,
  before: ExportRecord | undefined,
  after: ExportRecord,
  options: CommitOptions,
): Promise<string> {
  const at = txIso(ctx);
  const txId = ctx.stub.getTxID();
  const record: ExportRecord = {
    ...after,
    reached: progressOf(before?.reached, after.status),
    updatedAt: at,
    lastAction: {
      action: options.action,
      by: actorOf(options.actor),
      at,
      txId,
      reasonCode: options.reasonCode,
      reason: options.reason,
    },
  };
  const key = exportKey(ctx, record.exportId);
  await writeState(ctx, key, record);
  await setKeyPolicy(ctx, key, record.status);
  // One status-index entry per export, at its current status: a transition moves it (the index is only a
  // finder; lists re-read each record and drop an entry the record contradicts).
  if (before === undefined) {
    await writeState(ctx, statusIndexKey(ctx, record.status, record.exportId), { exportId: record.exportId });
  } else if (before.status !== record.status) {
    await ctx.stub.deleteState(statusIndexKey(ctx, before.status, record.exportId));
    await writeState(ctx, statusIndexKey(ctx, record.status, record.exportId), { exportId: record.exportId });
  }
  emitEvent(ctx, options.event, {
    ...options.details,
    exportId: record.exportId,
    exporterId: record.exporterId,
    action: options.action,
    fromStatus: before?.status,
    toStatus: record.status,
    reached: record.reached,
    actor: actorOf(options.actor),
    reasonCode: options.reasonCode,
    txId,
    at,
  });
  return toJson(redactExport(options.actor, record, record));
}
