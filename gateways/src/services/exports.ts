/**
 * Exports: creation (idempotent), the workflow actions, documents (IPFS + ledger), reads from the read model
 * (lists) and from the ledger (one export, its history), and the public verification.
 *
 * Write order, so nothing is half-written: Postgres and IPFS are checked (and the document pins confirmed)
 * before the ledger transaction; off-chain rows are written only after the transaction committed.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  canReadGroup,
  redactExport,
  visibleReachedStatuses,
} from '../../../chaincode/coffee-export/src/model/policy.ts';
import { dbReachable, query, withTx } from '../db/pool.ts';
import { AppError, UnavailableError } from '../errors.ts';
import type { ExportFunction, ExportRecord, LedgerDocument } from '../fabric/ledger.ts';
import { checkUploadMediaType, safeDownloadType } from '../ipfs/sniff.ts';
import { sha256Hex } from '../ipfs/store.ts';
import { AccessPolicy } from './access.ts';
import { audit, auditQuietly } from './audit.ts';
import type { Caller, Deps } from './deps.ts';
import { DocumentKeys } from './document-keys.ts';
import type { UserService } from './users.ts';

/** A fresh salt of 192 bits for one commitment (never reused: every private hash gets its own). */
export function freshSalt(): string {
  return randomBytes(24).toString('base64url');
}

/** Private inputs get their salts here, at the gateway; clients never choose, see or keep them. */
function salted(key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const v = value as Record<string, unknown>;
  if (key === 'tradeTerms') return { ...v, salt: freshSalt(), valueSalt: freshSalt() };
  if (key === 'fxApplication' || key === 'paymentProceeds') return { ...v, salt: freshSalt() };
  return v;
}

/** URL action → chaincode function, who may call it (role), and the transient key holding its private part. */
export const ACTIONS: Readonly<
  Record<string, { fn: ExportFunction; roles: readonly string[]; transient?: string }>
> = {
  'register-contract': { fn: 'RegisterContract', roles: ['ecta_officer'] },
  'certify-quality': { fn: 'CertifyQuality', roles: ['grader'] },
  'submit-fx': { fn: 'SubmitFxApplication', roles: ['bank_officer'], transient: 'fxApplication' },
  'approve-fx': { fn: 'ApproveFx', roles: ['fx_officer'] },
  'book-shipment': { fn: 'BookShipment', roles: ['shipping_agent'] },
  'clear-customs': { fn: 'ClearCustoms', roles: ['customs_officer'], transient: 'customsValue' },
  'start-inspection': { fn: 'ClearCustoms', roles: ['customs_officer'], transient: 'customsValue' },
  'complete-inspection': { fn: 'CompleteInspection', roles: ['customs_officer'] },
  ship: { fn: 'MarkShipped', roles: ['shipping_agent'] },
  'add-tracking-event': { fn: 'AddTrackingEvent', roles: ['shipping_agent'] },
  'confirm-payment': { fn: 'RecordPayment', roles: ['bank_officer'], transient: 'paymentProceeds' },
  'confirm-repatriation': { fn: 'ConfirmRepatriation', roles: ['fx_officer'] },
  'mark-delinquent': { fn: 'MarkDelinquent', roles: ['fx_officer'] },
  'clear-delinquency': { fn: 'ClearDelinquency', roles: ['fx_officer'] },
  'request-amendment': {
    fn: 'RequestAmendment',
    roles: ['ecta_officer', 'grader', 'fx_officer', 'customs_officer'],
  },
  amend: { fn: 'SubmitAmendment', roles: ['exporter', 'bank_officer'] },
  'attach-documents': { fn: 'AttachDocuments', roles: ['exporter'] },
  reject: { fn: 'RejectExport', roles: ['ecta_officer', 'grader', 'fx_officer', 'customs_officer'] },
  cancel: { fn: 'CancelExport', roles: ['exporter', 'bank_officer'] },
  'mark-defaulted': {
    fn: 'RecordDefault',
    roles: [
      'exporter',
      'bank_officer',
      'fx_officer',
      'ecta_officer',
      'grader',
      'shipping_agent',
      'customs_officer',
    ],
  },
};

/** Document types an exporter attaches on their own (AttachDocuments) right at upload. */
const SELF_ATTACHED = new Set([
  'COMMERCIAL_INVOICE',
  'PACKING_LIST',
  'CERTIFICATE_OF_ORIGIN',
  'PHYTOSANITARY_CERTIFICATE',
]);

export interface DocumentRef {
  type: string;
  cid: string;
  quantityKg?: number;
  grade?: string;
}

export interface ActionResult {
  id: string;
  status: string;
  txId: string;
  blockNumber: string;
}

interface DocRow {
  cid: string;
  sha256: string;
  size_bytes: string;
  media_type: string;
  doc_type: string;
  export_id: string | null;
  tx_id: string | null;
}

function newExportId(): string {
  const d = new Date();
  const ymd = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  return `EXP-${ymd}-${randomBytes(4).toString('hex').toUpperCase()}`;
}

export class ExportService {
  readonly #deps: Deps;
  readonly #users: UserService;
  readonly #access: AccessPolicy;

  constructor(deps: Deps, users: UserService) {
    this.#deps = deps;
    this.#users = users;
    this.#access = new AccessPolicy(deps, users);
  }

  /** Postgres and IPFS must answer before anything is sent to the ledger. */
  async #requireOffChain(needIpfs: boolean): Promise<void> {
    if (!(await dbReachable(this.#deps.pool))) throw new UnavailableError('the database');
    if (needIpfs && !(await this.#deps.store.reachable())) throw new UnavailableError('the IPFS node');
  }

  /** Resolves {type, cid} references to the ledger's document input, after checking each file is pinned here. */
  async #resolveDocuments(
    refs: readonly DocumentRef[] | undefined,
    exportId: string,
  ): Promise<Record<string, unknown>[] | undefined> {
    if (!refs) return undefined;
    const out: Record<string, unknown>[] = [];
    for (const ref of refs) {
      const row = (await query<DocRow>(this.#deps.pool, 'SELECT * FROM documents WHERE cid = $1', [ref.cid]))
        .rows[0];
      if (!row)
        throw new AppError(
          422,
          'DOCUMENT_NOT_UPLOADED',
          `document ${ref.cid} was not uploaded at this gateway`,
        );
      if (row.doc_type !== ref.type)
        throw new AppError(
          422,
          'DOCUMENT_TYPE_MISMATCH',
          `document ${ref.cid} was uploaded as ${row.doc_type}, not ${ref.type}`,
        );
      if (row.export_id && row.export_id !== exportId)
        throw new AppError(
          422,
          'DOCUMENT_OF_OTHER_EXPORT',
          `document ${ref.cid} belongs to export ${row.export_id}`,
        );
      if (!(await this.#deps.store.isPinned(ref.cid)))
        throw new UnavailableError(`the pinned file ${ref.cid}`);
      out.push({
        type: ref.type,
        cid: row.cid,
        sha256: row.sha256,
        sizeBytes: Number(row.size_bytes),
        mediaType: row.media_type,
        ...(ref.quantityKg !== undefined ? { quantityKg: ref.quantityKg } : {}),
        ...(ref.grade !== undefined ? { grade: ref.grade } : {}),
      });
    }
    return out;
  }

  async #markAttached(
    c: { query: (q: string, v: unknown[]) => Promise<unknown> },
    refs: readonly DocumentRef[] | undefined,
    exportId: string,
    txId: string,
  ): Promise<void> {
    for (const ref of refs ?? []) {
      await c.query('UPDATE documents SET export_id = $2, tx_id = $3 WHERE cid = $1', [
        ref.cid,
        exportId,
        txId,
      ]);
    }
  }

  /** Step 1, idempotent on (caller, Idempotency-Key): a retried request returns the first answer. */
  async create(
    caller: Caller,
    body: {
      exportId?: string;
      contract: Record<string, unknown>;
      documents: DocumentRef[];
      tradeTerms: Record<string, unknown>;
      details?: Record<string, unknown>;
    },
    idempotencyKey: string | undefined,
  ): Promise<{ status: number; body: ActionResult }> {
    const { pool, ledger } = this.#deps;
    await this.#requireOffChain(true);
    const requestHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    if (idempotencyKey) {
      const prior = await this.#claimIdempotency(caller, idempotencyKey, 'POST /exports', requestHash);
      if (prior) return prior;
    }
    const exportId = body.exportId ?? newExportId();
    try {
      const identity = await this.#users.identityOf(caller.userId);
      const documents = await this.#resolveDocuments(body.documents, exportId);
      const tradeTerms = salted('tradeTerms', body.tradeTerms);
      // 1a: the public draft (MAJORITY endorses new keys); 1b: DRAFT → SUBMITTED with the private terms
      // (tradeTerms members endorse). A retry after a failed 1b resumes from the caller's own draft.
      const existing = await ledger.getExport(identity, exportId).catch((e: unknown) => {
        if (e instanceof AppError && e.code === 'EXPORT_NOT_FOUND') return undefined;
        throw e;
      });
      if (!existing)
        await ledger.exportTransition(identity, 'CreateExport', { exportId, contract: body.contract });
      else if (existing.status !== 'DRAFT')
        throw new AppError(409, 'EXPORT_EXISTS', `export ${exportId} already exists`);
      const tx = await ledger.exportTransition(
        identity,
        'SubmitExport',
        { exportId, contract: body.contract, documents },
        { tradeTerms },
      );
      const record = JSON.parse(tx.result) as ExportRecord;
      const result: ActionResult = {
        id: exportId,
        status: record.status,
        txId: tx.txId,
        blockNumber: tx.blockNumber.toString(),
      };
      await withTx(pool, async (c) => {
        await c.query(
          'INSERT INTO export_details(export_id, created_by, tx_id, details) VALUES ($1, $2, $3, $4)',
          [exportId, caller.userId, tx.txId, JSON.stringify(body.details ?? {})],
        );
        await this.#markAttached(c, body.documents, exportId, tx.txId);
        await audit(c, caller, { action: 'exports.create', target: exportId, txId: tx.txId, outcome: 'OK' });
        if (idempotencyKey) {
          await c.query(
            'UPDATE idempotency_keys SET status_code = 201, response = $3 WHERE user_id = $1 AND key = $2',
            [caller.userId, idempotencyKey, JSON.stringify(result)],
          );
        }
      });
      return { status: 201, body: result };
    } catch (e: unknown) {
      if (idempotencyKey) {
        await query(
          pool,
          'DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND status_code IS NULL',
          [caller.userId, idempotencyKey],
        ).catch(() => undefined);
      }
      await auditQuietly(pool, caller, { action: 'exports.create', target: exportId, outcome: 'REFUSED' });
      throw e;
    }
  }

  async #claimIdempotency(
    caller: Caller,
    key: string,
    route: string,
    requestHash: string,
  ): Promise<{ status: number; body: ActionResult } | undefined> {
    const inserted = await query(
      this.#deps.pool,
      'INSERT INTO idempotency_keys(user_id, key, route, request_hash) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [caller.userId, key, route, requestHash],
    );
    if (inserted.rowCount === 1) return undefined;
    const prior = (
      await query<{ request_hash: string; status_code: number | null; response: ActionResult | null }>(
        this.#deps.pool,
        'SELECT request_hash, status_code, response FROM idempotency_keys WHERE user_id = $1 AND key = $2',
        [caller.userId, key],
      )
    ).rows[0];
    if (!prior) throw new AppError(409, 'IDEMPOTENCY_CONFLICT', 'retry the request');
    if (prior.request_hash !== requestHash)
      throw new AppError(
        422,
        'IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key was used with a different request',
      );
    if (prior.status_code === null || !prior.response)
      throw new AppError(
        409,
        'REQUEST_IN_PROGRESS',
        'the first request with this Idempotency-Key is still running',
      );
    return { status: prior.status_code, body: prior.response };
  }

  async action(
    caller: Caller,
    exportId: string,
    action: string,
    body: Record<string, unknown>,
  ): Promise<ActionResult> {
    const spec = ACTIONS[action];
    if (!spec) throw new AppError(404, 'UNKNOWN_ACTION', `unknown action '${action}'`);
    if (!spec.roles.includes(caller.role))
      throw new AppError(403, 'FORBIDDEN_ROLE', `role ${caller.role} cannot ${action}`);
    const { documents: refs, ...rest } = body as { documents?: DocumentRef[] } & Record<string, unknown>;
    await this.#requireOffChain(refs !== undefined && refs.length > 0);
    const transientKeys = ['tradeTerms', 'fxApplication', 'customsValue', 'paymentProceeds'];
    const transient: Record<string, unknown> = {};
    const input: Record<string, unknown> = { exportId };
    for (const [k, v] of Object.entries(rest)) {
      if (transientKeys.includes(k)) transient[k] = salted(k, v);
      else if (k !== 'exportId') input[k] = v;
    }
    const documents = await this.#resolveDocuments(refs, exportId);
    if (documents) input.documents = documents;
    const identity = await this.#users.identityOf(caller.userId);
    try {
      const tx = await this.#deps.ledger.exportTransition(
        identity,
        spec.fn,
        input,
        Object.keys(transient).length > 0 ? transient : undefined,
      );
      const result = JSON.parse(tx.result) as Partial<ExportRecord>;
      // Most transitions return the record; AddTrackingEvent returns its tracking log.
      const status = result.status ?? (await this.#deps.ledger.getExport(identity, exportId)).status;
      await withTx(this.#deps.pool, async (c) => {
        await this.#markAttached(c, refs, exportId, tx.txId);
        await audit(c, caller, {
          action: `exports.${action}`,
          target: exportId,
          txId: tx.txId,
          outcome: 'OK',
        });
      });
      return { id: exportId, status, txId: tx.txId, blockNumber: tx.blockNumber.toString() };
    } catch (e: unknown) {
      await auditQuietly(this.#deps.pool, caller, {
        action: `exports.${action}`,
        target: exportId,
        outcome: 'REFUSED',
      });
      throw e;
    }
  }

  /**
   * Stores a file: kubo add+pin, then its metadata row. Exporter shipping documents are attached on-chain at
   * once (AttachDocuments); others wait for the step that carries them (referenced by CID in its body).
   */
  async upload(
    caller: Caller,
    exportId: string | undefined,
    file: { bytes: Buffer; mediaType: string; fileName?: string },
    meta: { type: string; quantityKg?: number; grade?: string },
  ): Promise<{
    type: string;
    version: number | null;
    cid: string;
    sha256: string;
    size: number;
    mediaType: string;
    txId: string | null;
    attached: boolean;
  }> {
    const { config, pool, store, documentKeys } = this.#deps;
    const viewer = await this.#access.viewer(caller);
    this.#access.requireUploader(viewer, meta.type);
    if (file.bytes.length === 0) throw new AppError(400, 'VALIDATION_FAILED', 'the file is empty');
    // By content, not by what the client claims: an HTML page is never stored as a "PDF".
    const mediaType = checkUploadMediaType(file.bytes, file.mediaType, config.uploads.mediaTypes);
    if (exportId) {
      // The export must be one the caller sees (the chaincode answers 404 otherwise).
      const record = await this.#deps.ledger.getExport(await this.#users.identityOf(caller.userId), exportId);
      this.#access.requireVisible(viewer, exportId, record);
    }
    await this.#requireOffChain(true);
    const sha256 = sha256Hex(file.bytes);
    const { envelope, recipients } = await documentKeys.seal(file.bytes, meta.type);
    const stored = await store.put(envelope);
    await withTx(pool, async (c) => {
      await c.query(
        `INSERT INTO documents(cid, sha256, size_bytes, media_type, file_name, doc_type, export_id, uploaded_by, encrypted_size, recipients)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
         ON CONFLICT (cid) DO UPDATE SET doc_type = EXCLUDED.doc_type WHERE documents.tx_id IS NULL`,
        [
          stored.cid,
          sha256,
          file.bytes.length,
          mediaType,
          file.fileName ?? null,
          meta.type,
          null,
          caller.userId,
          stored.size,
          recipients,
        ],
      );
      await audit(c, caller, { action: 'documents.upload', target: stored.cid, outcome: 'OK' });
    });
    let version: number | null = null;
    let txId: string | null = null;
    if (exportId && caller.role === 'exporter' && SELF_ATTACHED.has(meta.type)) {
      const ref: DocumentRef = {
        type: meta.type,
        cid: stored.cid,
        quantityKg: meta.quantityKg,
        grade: meta.grade,
      };
      const res = await this.action(caller, exportId, 'attach-documents', { documents: [ref] });
      txId = res.txId;
      const record = await this.#deps.ledger.getExport(await this.#users.identityOf(caller.userId), exportId);
      version = record.documents.find((d) => d.cid === stored.cid && d.txId === txId)?.version ?? null;
    }
    return {
      type: meta.type,
      version,
      cid: stored.cid,
      sha256,
      size: file.bytes.length,
      mediaType,
      txId,
      attached: txId !== null,
    };
  }

  /** The file behind a CID, only if its bytes hash to what the ledger recorded for that document. */
  async download(
    caller: Caller,
    cid: string,
    exportIdHint?: string,
  ): Promise<{ bytes: Buffer; doc: LedgerDocument; exportId: string }> {
    const local = (await query<DocRow>(this.#deps.pool, 'SELECT * FROM documents WHERE cid = $1', [cid]))
      .rows[0];
    const exportId = local?.export_id ?? exportIdHint;
    if (!exportId)
      throw new AppError(
        404,
        'DOCUMENT_NOT_FOUND',
        'no export references this document here; pass ?exportId=',
      );
    const viewer = await this.#access.viewer(caller);
    this.#access.requireReader(viewer);
    const identity = await this.#users.identityOf(caller.userId);
    // The chaincode answers 404 for an export the caller may not see, and strips the CIDs of documents it
    // may not read; the gateway checks the same policy again before it decrypts anything.
    const record = await this.#deps.ledger.getExport(identity, exportId);
    this.#access.requireVisible(viewer, exportId, record);
    const doc = [...record.documents].reverse().find((d) => d.cid === cid);
    if (!doc)
      throw new AppError(404, 'DOCUMENT_NOT_FOUND', `export ${exportId} does not reference document ${cid}`);
    this.#access.requireDocumentReadable(viewer, record, doc.type, cid);
    const envelope = await this.#deps.store.get(cid, DocumentKeys.maxEnvelopeSize(doc.sizeBytes, doc.type));
    const bytes = await this.#deps.documentKeys.open(envelope, doc.type);
    if (bytes.length !== doc.sizeBytes || sha256Hex(bytes) !== doc.sha256) {
      await auditQuietly(this.#deps.pool, caller, {
        action: 'documents.download',
        target: cid,
        outcome: 'FAILED',
      });
      throw new AppError(
        502,
        'DOCUMENT_HASH_MISMATCH',
        'the stored bytes do not match the SHA-256 recorded on the ledger',
      );
    }
    await auditQuietly(this.#deps.pool, caller, { action: 'documents.download', target: cid, outcome: 'OK' });
    return {
      bytes,
      doc: { ...doc, mediaType: safeDownloadType(doc.mediaType, this.#deps.config.uploads.mediaTypes) },
      exportId,
    };
  }

  /** One export from the ledger, as the caller may see it (the chaincode redacts; the gateway re-checks). */
  async get(caller: Caller, exportId: string): Promise<ExportRecord> {
    const viewer = await this.#access.viewer(caller);
    this.#access.requireReader(viewer);
    const record = await this.#deps.ledger.getExport(await this.#users.identityOf(caller.userId), exportId);
    this.#access.requireVisible(viewer, exportId, record);
    return redactExport(viewer, record, record);
  }

  async history(caller: Caller, exportId: string): Promise<unknown> {
    const viewer = await this.#access.viewer(caller);
    this.#access.requireReader(viewer);
    const history = await this.#deps.ledger.getExportHistory(
      await this.#users.identityOf(caller.userId),
      exportId,
    );
    const newest = (history.entries[0] as { record?: ExportRecord } | undefined)?.record;
    if (!newest) throw new AppError(404, 'EXPORT_NOT_FOUND', `export ${exportId} does not exist`);
    this.#access.requireVisible(viewer, exportId, newest);
    return history;
  }

  /**
   * The private terms the caller is entitled to (evaluated on this org's peer, never submitted, so they never
   * land in a block). Salts stay inside: nobody needs them outside the chaincode.
   */
  async tradeTerms(caller: Caller, exportId: string): Promise<Record<string, unknown>> {
    const viewer = await this.#access.viewer(caller);
    this.#access.requireReader(viewer);
    const found = await this.#deps.ledger.getTradeTerms(
      await this.#users.identityOf(caller.userId),
      exportId,
    );
    const pick = (v: unknown, keys: string[]): Record<string, unknown> | undefined => {
      if (typeof v !== 'object' || v === null) return undefined;
      const o = v as Record<string, unknown>;
      return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
    };
    const value = pick(found.customsValue, ['contractValueCents']);
    return {
      exportId,
      terms: pick(found.terms, ['unitPriceUsdPerKg', 'contractValueUsd', 'paymentMethod', 'paymentTerms']),
      fxApplication: pick(found.fxApplication, ['paymentMethod', 'evidenceReference', 'amountUsd']),
      proceeds: pick(found.proceeds, ['amountUsd', 'paymentReference']),
      customsValue: value && { contractValueUsd: Number(value.contractValueCents) / 100 },
    };
  }

  /**
   * From the read model (keyset pagination on export_id), filtered by the need-to-know policy in SQL: exporter
   * users see their exporter's exports only; org staff see exports that reached their org's entry step.
   */
  async list(
    caller: Caller,
    requested: { status?: string; exporterId?: string; q?: string; cursor?: string; limit: number },
  ): Promise<{ items: unknown[]; nextCursor: string | null }> {
    const viewer = await this.#access.viewer(caller);
    this.#access.requireReader(viewer);
    const filter = { ...requested };
    if (viewer.role === 'exporter') {
      const own = viewer.exporterId ?? '';
      if (!own || (filter.exporterId && filter.exporterId !== own)) return { items: [], nextCursor: null };
      filter.exporterId = own;
    }
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.status) {
      values.push(filter.status);
      where.push(`status = $${values.length}`);
    }
    if (filter.exporterId) {
      values.push(filter.exporterId);
      where.push(`exporter_id = $${values.length}`);
    }
    if (filter.q) {
      values.push(`%${filter.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
      where.push(
        `(export_id ILIKE $${values.length} OR exporter_id ILIKE $${values.length} OR contract::text ILIKE $${values.length})`,
      );
    }
    if (viewer.role !== 'exporter') {
      values.push(visibleReachedStatuses(viewer.mspId));
      where.push(`reached = ANY($${values.length})`);
    }
    if (filter.cursor) {
      values.push(filter.cursor);
      where.push(`export_id > $${values.length}`);
    }
    values.push(filter.limit + 1);
    const rows = (
      await query<Record<string, unknown>>(
        this.#deps.pool,
        `SELECT * FROM rm_exports ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY export_id LIMIT $${values.length}`,
        values,
      )
    ).rows;
    const page = rows.slice(0, filter.limit);
    return {
      items: page.map((r) => {
        const facts = { exporterId: String(r.exporter_id), reached: String(r.reached) };
        return {
          id: r.export_id,
          exporterId: r.exporter_id,
          status: r.status,
          reached: r.reached,
          contract: r.contract,
          permitNumber: canReadGroup(viewer, facts, 'permit') ? r.permit_number : null,
          repatriationDueAt: canReadGroup(viewer, facts, 'shipment') ? r.repatriation_due_at : null,
          delinquent: canReadGroup(viewer, facts, 'delinquency') ? r.delinquent : null,
          createdAt: r.created_at,
          updatedAt: r.updated_at,
          lastAction: r.last_action,
          lastTxId: r.last_tx_id,
          lastBlock: String(r.last_block),
        };
      }),
      nextCursor: rows.length > filter.limit ? String(page[page.length - 1]!.export_id) : null,
    };
  }

  /**
   * Public proof of an export's state, step times and document hashes, from the chaincode's public view: no
   * CIDs, no private or commercial values, no user names (what a foreign buyer or port would check).
   */
  async verify(exportId: string): Promise<Record<string, unknown>> {
    const view = await this.#deps.ledger.getPublicView(this.#deps.orgAdmin, exportId);
    return { ...view, verifiedAt: new Date().toISOString() };
  }
}
