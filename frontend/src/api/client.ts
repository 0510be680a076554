/**
 * The one typed client for every gateway call the portal makes. Nothing else in the app calls fetch or
 * XMLHttpRequest. A session belongs to one org's gateway: its tokens are only ever sent to that gateway.
 */
import { type OrgKey, isOrgKey, runtimeConfig } from '../config';
import type {
  ActionName,
  ActionResult,
  CreateResult,
  DocumentRef,
  DocumentType,
  ExportRecord,
  ExportStatus,
  ExportSummary,
  Exporter,
  HistoryEntry,
  LoginResponse,
  MinimumPrice,
  Page,
  Problem,
  RefreshResponse,
  Role,
  TradeTermsView,
  UploadedDocument,
  User,
  VerifyResult,
  WorkflowConfig,
} from './types';
import { progressOf, type AuditEntry } from '@coffee/consortium';

export const API_BASE = '/api/v1';
const STORAGE_KEY = 'coffee-portal.session';
/** Refresh this long before the access token's expiry. */
const REFRESH_MARGIN_MS = 30_000;

/** A failed call: the gateway's problem document (or a network failure, status 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.detail ?? problem.title ?? `request failed (${status})`);
    this.status = status;
    this.code = problem.code ?? (status === 0 ? 'NETWORK_ERROR' : `HTTP_${status}`);
    this.problem = problem;
  }
}

export interface Session {
  org: OrgKey;
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
  user: User;
  /** The org's policy requires two-factor of this user, who has not enrolled: only the Security page works. */
  mfaEnrollmentRequired?: boolean;
}

// ------------------------------------------------------------------------------------------ session

type Listener = (session: Session | null, reason?: 'expired' | 'logout' | 'login' | 'refresh') => void;
const listeners = new Set<Listener>();
let session: Session | null = readStoredSession();
let refreshing: Promise<Session> | null = null;

function readStoredSession(): Session | null {
  try {
    const raw = globalThis.sessionStorage?.getItem(STORAGE_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    if (
      isOrgKey(s.org) &&
      typeof s.accessToken === 'string' &&
      typeof s.refreshToken === 'string' &&
      s.user
    ) {
      return s as Session;
    }
  } catch {
    // unreadable storage: no session
  }
  return null;
}

function setSession(next: Session | null, reason?: Parameters<Listener>[1]): void {
  session = next;
  try {
    if (next) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage unavailable (private mode): the session lives in memory only
  }
  for (const l of listeners) l(next, reason);
}

export function currentSession(): Session | null {
  return session;
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Test hook and cold start: re-read storage. */
export function reloadSession(): Session | null {
  session = readStoredSession();
  refreshing = null;
  return session;
}

export function gatewayUrl(org: OrgKey): string {
  return runtimeConfig().gateways[org];
}

function apiUrl(org: OrgKey, path: string): string {
  return `${gatewayUrl(org)}${API_BASE}${path}`;
}

// ------------------------------------------------------------------------------------------ transport

async function readProblem(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  if (text) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null) return parsed;
    } catch {
      // not JSON
    }
  }
  return {
    status: res.status,
    title: res.statusText || `HTTP ${res.status}`,
    detail: text.slice(0, 300) || undefined,
  };
}

function networkError(e: unknown, org: OrgKey): ApiError {
  const why = e instanceof Error ? e.message : String(e);
  return new ApiError(0, {
    code: 'NETWORK_ERROR',
    title: 'Gateway unreachable',
    detail: `Could not reach the gateway at ${gatewayUrl(org)} (${why}).`,
  });
}

interface RawOptions {
  method?: string;
  body?: unknown;
  token?: string;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

async function raw(org: OrgKey, path: string, opts: RawOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  try {
    return await fetch(apiUrl(org, path), {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (e: unknown) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw networkError(e, org);
  }
}

async function parseJson<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

function expire(): never {
  setSession(null, 'expired');
  throw new ApiError(401, {
    code: 'SESSION_EXPIRED',
    title: 'Session expired',
    detail: 'Your session has expired. Please sign in again.',
  });
}

/** Rotates the refresh token (single flight: concurrent callers share one refresh). */
export function refreshSession(): Promise<Session> {
  const s = session;
  if (!s) return Promise.resolve(expire());
  if (refreshing) return refreshing;
  refreshing = (async () => {
    try {
      const res = await raw(s.org, '/auth/refresh', {
        method: 'POST',
        body: { refreshToken: s.refreshToken },
      });
      if (!res.ok) return expire();
      const body = await parseJson<RefreshResponse>(res);
      const next: Session = {
        ...s,
        accessToken: body.accessToken,
        refreshToken: body.refreshToken ?? s.refreshToken,
        expiresAt: Date.now() + body.expiresIn * 1000,
        user: body.user ?? s.user,
      };
      setSession(next, 'refresh');
      return next;
    } catch (e: unknown) {
      if (e instanceof ApiError && e.code === 'SESSION_EXPIRED') throw e;
      // Gateway unreachable: keep the session (it may come back), report the network error.
      throw e;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function validToken(): Promise<Session> {
  const s = session;
  if (!s) return expire();
  if (s.expiresAt - Date.now() > REFRESH_MARGIN_MS) return s;
  return refreshSession();
}

interface CallOptions {
  method?: string;
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/**
 * An authenticated call to the session's gateway; one refresh-and-retry on 401. An approval refused with
 * STEP_UP_REQUIRED goes to the step-up handler (the code dialog, features/auth/mfa) and is retried once after it.
 */
async function call<T>(path: string, opts: CallOptions = {}, steppedUp = false): Promise<T> {
  let s = await validToken();
  let res = await raw(s.org, path, { ...opts, token: s.accessToken });
  if (res.status === 401 && res.headers.get('content-type')?.includes('json')) {
    const problem = await readProblem(res.clone());
    if (problem.code === 'STEP_UP_REQUIRED') {
      if (!steppedUp && stepUpHandler && (await stepUpHandler())) return call<T>(path, opts, true);
      throw new ApiError(401, problem);
    }
    // A session that never proved the second factor its role requires: only a new sign-in helps.
    if (problem.code === 'MFA_REQUIRED') return expire();
    // A refused second factor (a wrong or reused code) is the user's to retry, not a dead session.
    if (problem.code?.startsWith('MFA_')) throw new ApiError(401, problem);
  }
  if (res.status === 401) {
    s = await refreshSession();
    res = await raw(s.org, path, { ...opts, token: s.accessToken });
    if (res.status === 401) return expire();
  }
  if (!res.ok) throw new ApiError(res.status, await readProblem(res));
  return parseJson<T>(res);
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '') q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

function newKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/**
 * An authenticated call for a feature module's own typed wrappers (features/eudr/eudrApi.ts): the same transport,
 * refresh and step-up as every call here; writes get an Idempotency-Key.
 */
export function authedCall<T>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<T> {
  const write = (opts.method ?? 'GET') !== 'GET';
  return call<T>(path, { ...opts, ...(write ? { idempotencyKey: newKey() } : {}) });
}

/** Lists come back as {items, nextCursor}; ledger reads as {records, bookmark} or {entries} (history). */
function toPage<T>(body: unknown): Page<T> {
  if (Array.isArray(body)) return { items: body as T[] };
  const b = (body ?? {}) as {
    items?: T[];
    records?: T[];
    entries?: T[];
    data?: T[];
    nextCursor?: string | null;
    bookmark?: string;
    total?: number;
  };
  return {
    items: b.items ?? b.records ?? b.entries ?? b.data ?? [],
    nextCursor: b.nextCursor ?? (b.bookmark || undefined),
    total: b.total,
  };
}

/** Records may name their id `exportId` or `id`; the UI always uses exportId. */
function withExportId<T extends { exportId?: string }>(row: T & { id?: string }): T & { exportId: string } {
  return { ...row, exportId: row.exportId ?? row.id ?? '' };
}

// ------------------------------------------------------------------------------------------ auth

/** A correct password of a user with two-factor: the code comes next (verifyLoginCode). */
export interface LoginChallenge {
  mfaRequired: true;
  org: OrgKey;
  challenge: string;
}

export async function login(
  org: OrgKey,
  username: string,
  password: string,
): Promise<Session | LoginChallenge> {
  const res = await raw(org, '/auth/login', { method: 'POST', body: { username, password } });
  if (!res.ok) throw new ApiError(res.status, await readProblem(res));
  const body = await parseJson<LoginResponse | { mfaRequired: true; challenge: string }>(res);
  if ('mfaRequired' in body) return { mfaRequired: true, org, challenge: body.challenge };
  return startSession(org, body);
}

function startSession(org: OrgKey, body: LoginResponse): Session {
  const next: Session = {
    org,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    expiresAt: Date.now() + body.expiresIn * 1000,
    user: body.user,
    ...(body.mfaEnrollmentRequired ? { mfaEnrollmentRequired: true } : {}),
  };
  setSession(next, 'login');
  return next;
}

// ------------------------------------------------------------------------------------------ two-factor

/** A second factor as typed: a 6-digit code from the authenticator app, or a recovery code. */
export type MfaProof = { code: string } | { recoveryCode: string };

/** The login's second step: the challenge and a code (or a recovery code) start the session. */
export async function verifyLoginCode(challenge: LoginChallenge, proof: MfaProof): Promise<Session> {
  const res = await raw(challenge.org, '/auth/mfa/verify', {
    method: 'POST',
    body: { challenge: challenge.challenge, ...proof },
  });
  if (!res.ok) throw new ApiError(res.status, await readProblem(res));
  return startSession(challenge.org, await parseJson<LoginResponse>(res));
}

export interface MfaStatus {
  enabled: boolean;
  enabledAt: string | null;
  required: boolean;
  recoveryCodesLeft: number;
  stepUpSeconds: number;
}

export interface MfaEnrollment {
  secret: string;
  otpauthUri: string;
  issuer: string;
  label: string;
  digits: number;
  period: number;
}

export function mfaStatus(): Promise<MfaStatus> {
  return call<MfaStatus>('/auth/mfa');
}

export function startMfaEnrollment(): Promise<MfaEnrollment> {
  return call<MfaEnrollment>('/auth/mfa/enroll', { method: 'POST' });
}

/** Confirms the enrollment: two-factor is on, the session is the new one the gateway returns; the codes, once. */
export async function confirmMfaEnrollment(code: string): Promise<string[]> {
  const s = session;
  const body = await call<{ recoveryCodes: string[]; tokens: LoginResponse }>('/auth/mfa/confirm', {
    method: 'POST',
    body: { code },
  });
  if (s) startSession(s.org, body.tokens);
  return body.recoveryCodes;
}

/** A fresh proof for an approval: the session's access token is replaced by one with a fresh mfaAt. */
export async function stepUp(proof: MfaProof): Promise<void> {
  const s = await validToken();
  const res = await raw(s.org, '/auth/mfa/step-up', {
    method: 'POST',
    token: s.accessToken,
    body: { ...proof, refreshToken: s.refreshToken },
  });
  if (!res.ok) throw new ApiError(res.status, await readProblem(res));
  const body = await parseJson<{ accessToken: string; expiresIn: number }>(res);
  setSession(
    { ...s, accessToken: body.accessToken, expiresAt: Date.now() + body.expiresIn * 1000 },
    'refresh',
  );
}

/** Asks the user for a fresh code; resolves true once stepUp() succeeded, false if they cancelled. */
type StepUpHandler = () => Promise<boolean>;
let stepUpHandler: StepUpHandler | undefined;

/** The step-up dialog registers itself here (one at a time); returns its unregistration. */
export function setStepUpHandler(handler: StepUpHandler): () => void {
  stepUpHandler = handler;
  return () => {
    if (stepUpHandler === handler) stepUpHandler = undefined;
  };
}

/** The org's users with two-factor enabled (org admin). */
export async function listMfaUsers(): Promise<string[]> {
  const body = await call<{ items: { userId: string }[] }>('/users/mfa');
  return body.items.map((i) => i.userId);
}

/** Resets a user's two-factor (org admin; audited at the gateway). */
export function resetMfa(userId: string): Promise<void> {
  return call<void>(`/users/${encodeURIComponent(userId)}/mfa/reset`, { method: 'POST' });
}

/** Revokes the refresh token at the gateway (best effort) and forgets the session locally. */
export async function logout(): Promise<void> {
  const s = session;
  setSession(null, 'logout');
  if (!s) return;
  try {
    await raw(s.org, '/auth/logout', {
      method: 'POST',
      token: s.accessToken,
      body: { refreshToken: s.refreshToken },
    });
  } catch {
    // the local session is gone either way
  }
}

export function me(): Promise<User> {
  return call<User>('/auth/me');
}

// ------------------------------------------------------------------------------------------ exports

export interface ExportQuery {
  status?: ExportStatus;
  exporterId?: string;
  q?: string;
  cursor?: string;
  limit?: number;
}

export async function listExports(params: ExportQuery = {}): Promise<Page<ExportSummary>> {
  const page = toPage<ExportSummary & { id?: string }>(
    await call<unknown>(`/exports${query({ ...params })}`),
  );
  return { ...page, items: page.items.map(withExportId) };
}

/** `reached` decides who sees what; a record without it (an older gateway) ranks by its current status. */
function withReached<T extends { status: ExportStatus; reached?: ExportStatus }>(
  r: T,
): T & { reached: ExportStatus } {
  return { ...r, reached: r.reached ?? progressOf(undefined, r.status) };
}

/** The gateway's largest page. */
export const MAX_PAGE = 100;

/** Every export matching the query, following the cursor page by page (at most `maxPages` pages). */
export async function listAllExports(
  params: Omit<ExportQuery, 'cursor' | 'limit'> = {},
  maxPages = 20,
): Promise<ExportSummary[]> {
  const items: ExportSummary[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await listExports({ ...params, cursor, limit: MAX_PAGE });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
    if (!cursor) break;
  }
  return items;
}

export async function getExport(id: string): Promise<ExportRecord> {
  const body = await call<Omit<ExportRecord, 'reached'> & { id?: string; reached?: ExportStatus }>(
    `/exports/${encodeURIComponent(id)}`,
  );
  return withReached(withExportId(body));
}

/**
 * The private groups of an export this caller may read (evaluate-only): 404 EXPORT_NOT_FOUND when the export
 * is invisible to the caller, 403 when no private group is readable.
 */
export function getTradeTerms(id: string): Promise<TradeTermsView> {
  return call<TradeTermsView>(`/exports/${encodeURIComponent(id)}/trade-terms`);
}

export async function getHistory(id: string): Promise<HistoryEntry[]> {
  const body = await call<unknown>(`/exports/${encodeURIComponent(id)}/history`);
  return toPage<HistoryEntry>(body).items;
}

/**
 * Private trade terms (POST body `tradeTerms`): the gateway passes them in the transient map and generates the
 * commitment's salt itself; the portal never sees one.
 */
export interface TradeTermsInput {
  unitPriceUsdPerKg: number;
  contractValueUsd: number;
  paymentMethod: string;
  paymentTerms?: string;
}

export interface CreateExportBody {
  exportId: string;
  contract: {
    contractNumber: string;
    buyerName: string;
    destinationCountry: string;
    contractedGrade: string;
    quantityKg: number;
    originRegion: string;
    incoterm: string;
  };
  tradeTerms: TradeTermsInput;
  documents: DocumentRef[];
  /** Off-chain details kept by the gateway (string values), e.g. the requested shipment window. */
  details?: Record<string, string>;
}

export function createExport(
  body: CreateExportBody,
  idempotencyKey: string = newKey(),
): Promise<CreateResult> {
  return call<CreateResult>('/exports', { method: 'POST', body, idempotencyKey });
}

/** POST /exports/{id}/actions/{action} with the chaincode input minus exportId (private parts by key). */
export function runAction(
  id: string,
  action: ActionName,
  body: Record<string, unknown>,
  idempotencyKey: string = newKey(),
): Promise<ActionResult> {
  return call<ActionResult>(`/exports/${encodeURIComponent(id)}/actions/${action}`, {
    method: 'POST',
    body,
    idempotencyKey,
  });
}

// ------------------------------------------------------------------------------------------ documents

export interface UploadHandle {
  promise: Promise<UploadedDocument>;
  abort: () => void;
}

/**
 * Multipart upload (type [+ quantityKg, grade] + file) with progress: fetch cannot report upload progress,
 * XHR can. Without an export id the file goes to POST /documents (then referenced by CID in the step's
 * body); with one, to POST /exports/{id}/documents, where exporter shipping documents are attached at once.
 */
export function uploadDocument(
  exportId: string | undefined,
  type: DocumentType,
  file: File,
  onProgress: (fraction: number) => void,
  facts: { quantityKg?: number; grade?: string } = {},
): UploadHandle {
  let xhr: XMLHttpRequest | null = null;
  let aborted = false;
  const send = (s: Session): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = new XMLHttpRequest();
      xhr = req;
      req.open(
        'POST',
        apiUrl(
          s.org,
          exportId === undefined ? '/documents' : `/exports/${encodeURIComponent(exportId)}/documents`,
        ),
      );
      req.setRequestHeader('Authorization', `Bearer ${s.accessToken}`);
      req.setRequestHeader('Accept', 'application/json, application/problem+json');
      req.upload.onprogress = (ev: ProgressEvent) => {
        if (ev.lengthComputable && ev.total > 0) onProgress(Math.min(1, ev.loaded / ev.total));
      };
      req.onload = () => resolve({ status: req.status, text: req.responseText });
      req.onerror = () => reject(networkError(new Error('upload failed'), s.org));
      req.onabort = () => reject(new ApiError(0, { code: 'ABORTED', title: 'Upload cancelled' }));
      const form = new FormData();
      form.append('type', type);
      if (facts.quantityKg !== undefined) form.append('quantityKg', String(facts.quantityKg));
      if (facts.grade !== undefined) form.append('grade', facts.grade);
      form.append('file', file, file.name);
      req.send(form);
    });
  const promise = (async () => {
    let s = await validToken();
    let r = await send(s);
    if (r.status === 401 && !aborted) {
      s = await refreshSession();
      onProgress(0);
      r = await send(s);
    }
    if (r.status === 401) return expire();
    let parsed: unknown;
    try {
      parsed = r.text ? JSON.parse(r.text) : {};
    } catch {
      parsed = { title: `HTTP ${r.status}`, detail: r.text.slice(0, 300) };
    }
    if (r.status < 200 || r.status >= 300) throw new ApiError(r.status, parsed as Problem);
    onProgress(1);
    return parsed as UploadedDocument;
  })();
  return {
    promise,
    abort: () => {
      aborted = true;
      xhr?.abort();
    },
  };
}

/**
 * The file, decrypted and streamed by the gateway after it checked the hash against the ledger. Only ever saved
 * (lib/download.ts), never rendered in the portal's origin.
 */
export async function fetchDocument(cid: string, exportId?: string): Promise<Blob> {
  let s = await validToken();
  const path = `/documents/${encodeURIComponent(cid)}${query({ exportId })}`;
  const get = (t: Session): Promise<Response> =>
    fetch(apiUrl(t.org, path), {
      headers: { Authorization: `Bearer ${t.accessToken}` },
    }).catch((e: unknown) => {
      throw networkError(e, t.org);
    });
  let res = await get(s);
  if (res.status === 401) {
    s = await refreshSession();
    res = await get(s);
  }
  if (!res.ok) throw new ApiError(res.status, await readProblem(res));
  return res.blob();
}

// ------------------------------------------------------------------------------------------ registries

export async function listExporters(): Promise<Exporter[]> {
  return toPage<Exporter>(await call<unknown>('/exporters')).items;
}

export function getExporter(id: string): Promise<Exporter> {
  return call<Exporter>(`/exporters/${encodeURIComponent(id)}`);
}

export interface NewExporter {
  exporterId: string;
  legalName: string;
  tin: string;
  licenceNumber: string;
  licenceValidUntil: string;
}

export function createExporter(body: NewExporter): Promise<Exporter> {
  return call<Exporter>('/exporters', { method: 'POST', body, idempotencyKey: newKey() });
}

export interface ExporterUpdate {
  licenceValidUntil?: string;
  licenceNumber?: string;
  status?: Exporter['status'];
  reason?: string;
}

/** ECTA: licence changes (UpdateExporter). */
export function updateExporter(id: string, body: ExporterUpdate): Promise<Exporter> {
  return call<Exporter>(`/exporters/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body,
    idempotencyKey: newKey(),
  });
}

export async function listMinimumPrices(): Promise<MinimumPrice[]> {
  return toPage<MinimumPrice>(await call<unknown>('/minimum-prices')).items;
}

export interface NewMinimumPrice {
  grade: string;
  originRegion?: string;
  usdPerKg: number;
  effectiveFrom: string;
}

/** The gateway answers {record, txId, blockNumber}; the row (with its MP-nnnnnn id) is `record`. */
export async function publishMinimumPrice(body: NewMinimumPrice): Promise<MinimumPrice> {
  const res = await call<MinimumPrice | { record: MinimumPrice }>('/minimum-prices', {
    method: 'POST',
    body,
    idempotencyKey: newKey(),
  });
  return 'record' in res ? res.record : res;
}

// ------------------------------------------------------------------------------------------ workflow config

export async function getWorkflowConfig(): Promise<WorkflowConfig> {
  const body = await call<Partial<WorkflowConfig> | undefined>('/workflow-config');
  const windows = (w: unknown): boolean =>
    typeof w === 'object' &&
    w !== null &&
    ['shipByWindowSeconds', 'repatriationWindowSeconds', 'version'].every(
      (k) => typeof (w as Record<string, unknown>)[k] === 'number',
    );
  if (!body || !windows(body.current)) {
    throw new ApiError(502, { code: 'BAD_RESPONSE', title: 'Unexpected workflow configuration response' });
  }
  return body as WorkflowConfig;
}

export interface WorkflowWindowsChange {
  shipByWindowSeconds?: number;
  repatriationWindowSeconds?: number;
}

/** ECTA ecta_officer or National Bank fx_officer: propose new windows (the other org approves). */
export function proposeWorkflowConfig(body: WorkflowWindowsChange): Promise<unknown> {
  return call<unknown>('/workflow-config', { method: 'PUT', body, idempotencyKey: newKey() });
}

/** The other of ECTA and the National Bank: approve the pending proposal of this version. */
export function approveWorkflowConfig(version: number): Promise<unknown> {
  return call<unknown>('/workflow-config/approve', {
    method: 'POST',
    body: { version },
    idempotencyKey: newKey(),
  });
}

// ------------------------------------------------------------------------------------------ users

export async function listUsers(): Promise<User[]> {
  return toPage<User>(await call<unknown>('/users')).items;
}

export interface NewUser {
  username: string;
  password: string;
  role: Role;
  displayName?: string;
  email?: string;
  exporterId?: string;
}

export function createUser(body: NewUser): Promise<User> {
  return call<User>('/users', { method: 'POST', body, idempotencyKey: newKey() });
}

export interface UserUpdate {
  status?: 'ACTIVE' | 'SUSPENDED';
  reason?: string;
  password?: string;
  displayName?: string;
  email?: string;
}

export function updateUser(id: string, body: UserUpdate): Promise<User> {
  return call<User>(`/users/${encodeURIComponent(id)}`, { method: 'PATCH', body });
}

// ------------------------------------------------------------------------------------------ live events, audit

/**
 * Opens the gateway's event stream (`GET /events`, Server-Sent Events) with the session's token in the
 * Authorization header (fetch streaming: EventSource cannot send headers, and a token never goes in a URL). The
 * caller reads the body (api/events.ts); one refresh-and-retry on 401.
 */
export async function openEventStream(
  lastEventId: string | undefined,
  signal: AbortSignal,
): Promise<Response> {
  let s = await validToken();
  const get = (t: Session): Promise<Response> =>
    fetch(apiUrl(t.org, '/events'), {
      headers: {
        Authorization: `Bearer ${t.accessToken}`,
        Accept: 'text/event-stream',
        ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
      },
      cache: 'no-store',
      signal,
    }).catch((e: unknown) => {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw networkError(e, t.org);
    });
  let res = await get(s);
  if (res.status === 401) {
    s = await refreshSession();
    res = await get(s);
  }
  if (!res.ok) throw new ApiError(res.status, await readProblem(res));
  return res;
}

export interface AuditFilters {
  user?: string;
  action?: string;
  outcome?: '' | 'OK' | 'REFUSED' | 'FAILED';
  target?: string;
  txId?: string;
  from?: string;
  to?: string;
}

export type { AuditEntry };

/** One page of the org's audit log, newest first (auditors and org admins). */
export async function listAudit(
  filters: AuditFilters,
  cursor?: string,
  limit = 50,
): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
  return call(`/audit${query({ ...filters, cursor, limit })}`);
}

/** The filtered audit log as CSV (every matching entry), to save. */
export async function auditCsv(filters: AuditFilters): Promise<Blob> {
  let s = await validToken();
  const path = `/audit${query({ ...filters, format: 'csv' })}`;
  const get = (t: Session): Promise<Response> =>
    fetch(apiUrl(t.org, path), {
      headers: { Authorization: `Bearer ${t.accessToken}`, Accept: 'text/csv' },
    }).catch((e: unknown) => {
      throw networkError(e, t.org);
    });
  let res = await get(s);
  if (res.status === 401) {
    s = await refreshSession();
    res = await get(s);
  }
  if (!res.ok) throw new ApiError(res.status, await readProblem(res));
  return res.blob();
}

export interface Webhook {
  id: string;
  url: string;
  description: string | null;
  active: boolean;
  createdAt: string;
  createdBy: string | null;
  /** Only in the answer to a registration without a secret of its own: shown once. */
  secret?: string;
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  outcome: 'retry' | 'delivered' | 'failed';
}

/** The org's webhooks (org admins). */
export async function listWebhooks(): Promise<Webhook[]> {
  return (await call<{ items: Webhook[] }>('/webhooks')).items;
}

export async function createWebhook(body: {
  url: string;
  secret?: string;
  description?: string;
}): Promise<Webhook> {
  return call('/webhooks', { method: 'POST', body, idempotencyKey: newKey() });
}

export async function setWebhookActive(id: string, active: boolean): Promise<Webhook> {
  return call(`/webhooks/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body: { active },
    idempotencyKey: newKey(),
  });
}

/** A webhook's latest delivery attempts, newest first. */
export async function listWebhookDeliveries(id: string, limit = 50): Promise<WebhookDelivery[]> {
  return (
    await call<{ items: WebhookDelivery[] }>(
      `/webhooks/${encodeURIComponent(id)}/deliveries${query({ limit })}`,
    )
  ).items;
}

// ------------------------------------------------------------------------------------------ operations

/** The ranges the Operations page offers (the gateway's fixed set). */
export type OperationsRange = '15m' | '1h' | '6h';

export interface OperationsPanelError {
  code: string;
  detail: string;
}
interface OperationsPanelBase {
  id: string;
  title: string;
  description: string;
  /** Prometheus refused this panel's query (the other panels still show). */
  error?: OperationsPanelError;
}
export interface OperationsTimeseries extends OperationsPanelBase {
  kind: 'timeseries';
  unit: string;
  /** Seconds since the epoch; every series has one value (or null) per timestamp. */
  timestamps: number[];
  series: { name: string; values: (number | null)[] }[];
}
export interface OperationsTable extends OperationsPanelBase {
  kind: 'table';
  columns: { key: string; label: string; unit?: string }[];
  rows: Record<string, string | number | null>[];
}
export type OperationsPanel = OperationsTimeseries | OperationsTable;
export interface OperationsView {
  org: string;
  range: OperationsRange;
  start: number;
  end: number;
  step: number;
  panels: OperationsPanel[];
}

/**
 * The Operations page's panels (org admins and auditors), drawn by the gateway from Prometheus with fixed
 * queries; 503 MONITORING_UNAVAILABLE when it has no Prometheus or that does not answer.
 */
export function operationsPanels(range: OperationsRange): Promise<OperationsView> {
  return call<OperationsView>(`/operations/panels${query({ range })}`);
}

// ------------------------------------------------------------------------------------------ public

/** Public proof of an export's state and document hashes (no login, no token sent). */
export async function verifyExport(
  exportId: string,
  org: OrgKey = runtimeConfig().verifyOrg,
): Promise<VerifyResult> {
  const res = await raw(org, `/verify/${encodeURIComponent(exportId)}`);
  if (!res.ok) throw new ApiError(res.status, await readProblem(res));
  return publicProof(await parseJson<unknown>(res), exportId);
}

/**
 * Exactly the public members (state, step times, document types and hashes): a CID, tx id, user name or private
 * value the gateway sent by mistake is dropped here, before any page could show it.
 */
export function publicProof(body: unknown, exportId: string): VerifyResult {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const list = (v: unknown): Record<string, unknown>[] =>
    Array.isArray(v)
      ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null)
      : [];
  return {
    exportId: str(b.exportId) ?? exportId,
    status: (str(b.status) ?? 'DRAFT') as ExportStatus,
    steps: list(b.steps).map((x) => ({ status: (str(x.status) ?? '') as ExportStatus, at: str(x.at) ?? '' })),
    documents: list(b.documents).map((d) => ({
      type: (str(d.type) ?? '') as DocumentType,
      version: num(d.version) ?? 0,
      sha256: str(d.sha256) ?? '',
      mediaType: str(d.mediaType),
      sizeBytes: num(d.sizeBytes),
      uploadedAt: str(d.uploadedAt),
    })),
    verifiedAt: str(b.verifiedAt),
    // EUDR (issue 15): whether a due diligence package is needed and its status, nothing of the plots.
    ...(typeof b.eudr === 'object' && b.eudr !== null
      ? {
          eudr: {
            required: (b.eudr as Record<string, unknown>).required === true,
            packageStatus: str((b.eudr as Record<string, unknown>).packageStatus) ?? null,
          },
        }
      : {}),
  };
}
