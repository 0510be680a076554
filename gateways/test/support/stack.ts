/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- HTTP response bodies are untyped JSON here */
/**
 * What the integration tests of the gateways share: the stack brought up (or reused), HTTP calls with their
 * statuses recorded, sessions, users, uploads, and workflow steps that wait for the acting org's peer.
 * Import it dynamically after setting COFFEE_RUN_DIR / COFFEE_PORT_OFFSET (the network modules read them).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { up } from '../../../network/src/network.ts';
import { PEER_ORGS, findOrg } from '../../../network/src/orgs.ts';
import { RUN_DIR } from '../../../network/src/paths.ts';
import { ensurePostgres } from '../../../network/src/nodes/postgres.ts';
import { ensureIpfsAll } from '../../../network/src/nodes/ipfs.ts';
import { startGateways, gatewayUrl } from '../../src/launch.ts';

export type Org = (typeof PEER_ORGS)[number];
export const org = (id: string): Org => findOrg(id);

/** The network (reused if running; retried while another test file deploys), Postgres, kubo, the six gateways. */
/** The gateways' settings every integration test file expects (whichever file starts them first). */
export const TEST_GATEWAY_ENV: Record<string, string> = {
  UPLOAD_MAX_BYTES: String(1024 * 1024),
  // Tests log in dozens of users from one address within a minute.
  LOGIN_RATE_LIMIT_MAX: '1000',
};

export async function bringUp(gatewayEnv: Record<string, string> = TEST_GATEWAY_ENV): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await up();
      break;
    } catch (e: unknown) {
      if (attempt >= 4) throw e;
      await new Promise((r) => setTimeout(r, 10_000));
    }
  }
  await ensurePostgres();
  await ensureIpfsAll();
  await startGateways(gatewayEnv);
}

export interface Session {
  org: Org;
  token: string;
  username: string;
}

/** Every HTTP status answered in this test process (a test checks that none was 500). */
export const statuses: number[] = [];

export async function http(
  o: Org,
  method: string,
  path: string,
  opts: {
    token?: string;
    body?: unknown;
    headers?: Record<string, string>;
    form?: FormData;
    raw?: string;
  } = {},
): Promise<{ status: number; body: any; headers: Headers; bytes: Buffer }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | FormData | undefined;
  if (opts.form) body = opts.form;
  else if (opts.raw !== undefined) {
    body = opts.raw;
    headers['content-type'] ??= 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${gatewayUrl(o)}${path}`, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(120_000),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  statuses.push(res.status);
  let parsed: unknown = undefined;
  if ((res.headers.get('content-type') ?? '').includes('json') && bytes.length > 0)
    parsed = JSON.parse(bytes.toString('utf8'));
  return { status: res.status, body: parsed, headers: res.headers, bytes };
}

export function expectStatus(r: { status: number; body: any }, status: number, what: string): void {
  assert.equal(r.status, status, `${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
}

export const endpoints = (): {
  gateways: Record<string, { url: string; admin?: { username: string; password: string } }>;
} => JSON.parse(readFileSync(join(RUN_DIR, 'endpoints.json'), 'utf8'));

export async function login(o: Org, username: string, password: string): Promise<Session> {
  const r = await http(o, 'POST', '/api/v1/auth/login', { body: { username, password } });
  expectStatus(r, 200, `login ${username}@${o.id}`);
  return { org: o, token: r.body.accessToken as string, username };
}

export async function adminOf(o: Org): Promise<Session> {
  const a = endpoints().gateways[o.id]!.admin!;
  return login(o, a.username, a.password);
}

export async function newUser(
  admin: Session,
  username: string,
  role: string,
  exporterId?: string,
): Promise<Session> {
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const r = await http(admin.org, 'POST', '/api/v1/users', {
    token: admin.token,
    body: { username, password, role, exporterId },
  });
  expectStatus(r, 201, `create ${role} ${username}`);
  return login(admin.org, username, password);
}

export async function upload(
  s: Session,
  type: string,
  content: string,
  opts: { exportId?: string; quantityKg?: number; grade?: string; mediaType?: string } = {},
): Promise<any> {
  const form = new FormData();
  form.set('type', type);
  if (opts.quantityKg !== undefined) form.set('quantityKg', String(opts.quantityKg));
  if (opts.grade) form.set('grade', opts.grade);
  // Uploads are checked by content (magic bytes): a "PDF" must start like one.
  form.set(
    'file',
    new Blob([pdf(content)], { type: opts.mediaType ?? 'application/pdf' }),
    `${type.toLowerCase()}.pdf`,
  );
  const path = opts.exportId ? `/api/v1/exports/${opts.exportId}/documents` : '/api/v1/documents';
  const r = await http(s.org, 'POST', path, { token: s.token, form });
  expectStatus(r, 201, `upload ${type}`);
  return r.body;
}

/** A minimal file that is a PDF by its magic bytes, carrying `text`. */
export function pdf(text: string): string {
  return `%PDF-1.7\n% ${text}\n%%EOF\n`;
}

/** Waits until the acting org's peer has committed the previous step (each peer commits on its own schedule). */
export async function waitStatus(s: Session, id: string, statuses: string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await http(s.org, 'GET', `/api/v1/exports/${id}`, { token: s.token });
    if (r.status === 200 && statuses.includes(r.body.status)) return;
    assert.ok(
      Date.now() < deadline,
      `${s.org.id} sees ${id} in ${statuses.join('/')} (last: ${r.status} ${r.body?.status ?? r.body?.code})`,
    );
    await new Promise((res) => setTimeout(res, 150));
  }
}

export const PREVIOUS: Record<string, string[]> = {
  'register-contract': ['SUBMITTED'],
  'certify-quality': ['CONTRACT_REGISTERED'],
  'submit-fx': ['QUALITY_CERTIFIED'],
  'approve-fx': ['FX_SUBMITTED'],
  'book-shipment': ['FX_APPROVED'],
  'clear-customs': ['SHIPMENT_BOOKED'],
  ship: ['CUSTOMS_CLEARED'],
  'add-tracking-event': ['SHIPPED'],
  'confirm-payment': ['SHIPPED'],
  'confirm-repatriation': ['PAYMENT_RECEIVED'],
};

export async function act(
  s: Session,
  exportId: string,
  action: string,
  body: Record<string, unknown>,
  expectTo?: string,
): Promise<any> {
  if (PREVIOUS[action]) await waitStatus(s, exportId, PREVIOUS[action]);
  const r = await http(s.org, 'POST', `/api/v1/exports/${exportId}/actions/${action}`, {
    token: s.token,
    body,
  });
  expectStatus(r, 200, `${action} by ${s.username}@${s.org.id}`);
  if (expectTo) assert.equal(r.body.status, expectTo, action);
  assert.match(r.body.txId, /^[0-9a-f]{64}$/);
  return r.body;
}
