/**
 * A small typed client of the gateways' REST API for the bench's setup: log in, create users through an org
 * admin (the gateway enrolls them at its CA and registers them on-chain), upload a document, read an export.
 * The load itself goes through autocannon (http-load.ts).
 */
import { randomBytes } from 'node:crypto';
import { UserError } from '../../src/log.ts';
import type { PeerOrg } from '../../src/orgs.ts';
import { gatewayFetch, gatewayUrl, readEndpoints } from './stack.ts';

export interface Session {
  readonly org: PeerOrg;
  readonly username: string;
  readonly password: string;
  readonly token: string;
}

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export async function call(
  org: PeerOrg,
  method: string,
  path: string,
  opts: { token?: string; json?: unknown; form?: FormData } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | FormData | undefined = opts.form;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] = 'application/json';
  }
  const res = await gatewayFetch(`${gatewayUrl(org)}${path}`, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let parsed: unknown = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { text };
  }
  const record = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  return { status: res.status, body: record };
}

export function expect(answer: Answer, status: number, what: string): Record<string, unknown> {
  if (answer.status !== status) {
    throw new UserError(
      `${what}: expected HTTP ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`,
    );
  }
  return answer.body;
}

export async function login(org: PeerOrg, username: string, password: string): Promise<Session> {
  const body = expect(
    await call(org, 'POST', '/api/v1/auth/login', { json: { username, password } }),
    200,
    `login ${username}@${org.id}`,
  );
  if (typeof body.accessToken !== 'string')
    throw new UserError(`login ${username}@${org.id}: no accessToken`);
  return { org, username, password, token: body.accessToken };
}

/** Logs in again (access tokens live 15 minutes; the full bench takes longer). */
export function refresh(s: Session): Promise<Session> {
  return login(s.org, s.username, s.password);
}

export function adminSession(org: PeerOrg): Promise<Session> {
  const admin = readEndpoints().gateways[org.id]?.admin;
  if (!admin) throw new UserError(`endpoints.json has no development admin for ${org.id} (production mode?)`);
  return login(org, admin.username, admin.password);
}

/** A user created by the org's admin through the gateway (CA enrollment with role + on-chain record). */
export async function gatewayUser(
  admin: Session,
  username: string,
  role: string,
  exporterId?: string,
): Promise<Session> {
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  expect(
    await call(admin.org, 'POST', '/api/v1/users', {
      token: admin.token,
      json: { username, password, role, exporterId },
    }),
    201,
    `create ${role} ${username} at ${admin.org.id}`,
  );
  return login(admin.org, username, password);
}

/** A minimal file that is a PDF by its magic bytes, carrying `text`. */
export function pdf(text: string): string {
  return `%PDF-1.7\n% ${text}\n%%EOF\n`;
}

export async function getStatus(s: Session, exportId: string): Promise<string | undefined> {
  const r = await call(s.org, 'GET', `/api/v1/exports/${exportId}`, { token: s.token });
  return r.status === 200 && typeof r.body.status === 'string' ? r.body.status : undefined;
}
