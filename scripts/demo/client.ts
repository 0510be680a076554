/**
 * The gateways' HTTP API as the demo seeding uses it — the same routes a user's portal calls: log in, then
 * JSON or multipart requests with a bearer token and an Idempotency-Key. Answers that ask to come back later
 * (429 with Retry-After, 503 GATEWAY_BUSY or a dependency not ready, 409 REQUEST_IN_PROGRESS) are retried after the
 * time they name; an expired access token is renewed by logging in again. The gateways speak HTTPS: each call
 * verifies the gateway's certificate against the CA bundle endpoints.json names (`caFile`).
 */
import { readFileSync } from 'node:fs';
import { tlsFetch } from '../../network/src/nodes/https.ts';

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A request the gateway refused (or answered unexpectedly): what was asked, the status and problem code. */
export class GatewayError extends Error {
  readonly status: number;
  readonly code: string | undefined;

  constructor(what: string, answer: Answer) {
    const code = typeof answer.body.code === 'string' ? answer.body.code : undefined;
    const detail = typeof answer.body.detail === 'string' ? answer.body.detail : JSON.stringify(answer.body);
    super(`${what}: HTTP ${answer.status}${code ? ` ${code}` : ''} — ${detail}`);
    this.name = 'GatewayError';
    this.status = answer.status;
    this.code = code;
  }
}

export interface RequestOptions {
  readonly json?: unknown;
  /** Built anew for every attempt (a sent body cannot be sent twice). */
  readonly form?: () => FormData;
  readonly idempotencyKey?: string;
  readonly token?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Seconds to wait before retrying: Retry-After, or the reset of a draft-7 RateLimit header, else 1. */
export function retryAfterSeconds(headers: Headers): number {
  const after = Number(headers.get('retry-after'));
  if (Number.isFinite(after) && after > 0) return after;
  const reset = /reset=(\d+)/.exec(headers.get('ratelimit') ?? '')?.[1];
  return reset ? Math.max(1, Number(reset)) : 1;
}

/** Answers that say "not now": retried, up to a deadline. */
function transient(status: number, body: Record<string, unknown>): boolean {
  return status === 429 || status === 503 || (status === 409 && body.code === 'REQUEST_IN_PROGRESS');
}

/** One org's gateway. */
export class Gateway {
  readonly org: string;
  readonly #url: string;
  readonly #patienceMs: number;
  readonly #ca: Buffer | undefined;

  /** `caFile`: the CA bundle (PEM) to verify an https gateway against (else Node's default roots). */
  constructor(org: string, url: string, opts: { caFile?: string; patienceMs?: number } = {}) {
    this.org = org;
    this.#url = url.replace(/\/$/, '');
    this.#patienceMs = opts.patienceMs ?? 120_000;
    this.#ca = opts.caFile ? readFileSync(opts.caFile) : undefined;
  }

  async call(method: string, path: string, opts: RequestOptions = {}): Promise<Answer> {
    const deadline = Date.now() + this.#patienceMs;
    for (;;) {
      const headers: Record<string, string> = {};
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
      let body: string | FormData | undefined;
      if (opts.form) body = opts.form();
      else if (opts.json !== undefined) {
        body = JSON.stringify(opts.json);
        headers['content-type'] = 'application/json';
      }
      let res: Response;
      try {
        res = await tlsFetch(
          `${this.#url}${path}`,
          { method, headers, body, signal: AbortSignal.timeout(120_000) },
          this.#ca,
        );
      } catch (e: unknown) {
        // The gateway restarting or not listening yet: try again until the deadline.
        if (Date.now() > deadline) throw e;
        await sleep(1000);
        continue;
      }
      const text = await res.text();
      let parsed: unknown = {};
      try {
        parsed = text ? JSON.parse(text) : {};
      } catch {
        parsed = { detail: text.slice(0, 200) };
      }
      const record =
        typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : { value: parsed };
      if (transient(res.status, record) && Date.now() < deadline) {
        await sleep(Math.min(15, retryAfterSeconds(res.headers)) * 1000);
        continue;
      }
      return { status: res.status, body: record };
    }
  }
}

/** The body of `answer` if its status is one of `ok`, else a GatewayError naming `what`. */
export function expectStatus(answer: Answer, ok: readonly number[], what: string): Record<string, unknown> {
  if (!ok.includes(answer.status)) throw new GatewayError(what, answer);
  return answer.body;
}

/** Access tokens live 15 minutes by default: log in again well before. */
const TOKEN_MAX_AGE_MS = 10 * 60_000;

/** A user logged in at one gateway. */
export class Session {
  readonly gateway: Gateway;
  readonly username: string;
  readonly #password: string;
  #token: string | undefined;
  #at = 0;

  constructor(gateway: Gateway, username: string, password: string) {
    this.gateway = gateway;
    this.username = username;
    this.#password = password;
  }

  get org(): string {
    return this.gateway.org;
  }

  /** Logs in; false if the gateway refuses the password (401), an error for anything else. */
  async login(): Promise<boolean> {
    const r = await this.gateway.call('POST', '/api/v1/auth/login', {
      json: { username: this.username, password: this.#password },
    });
    if (r.status === 401) return false;
    const body = expectStatus(r, [200], `log in ${this.username}@${this.org}`);
    if (typeof body.accessToken !== 'string')
      throw new GatewayError(`log in ${this.username}@${this.org}: no access token`, r);
    this.#token = body.accessToken;
    this.#at = Date.now();
    return true;
  }

  async #currentToken(): Promise<string> {
    if (!this.#token || Date.now() - this.#at > TOKEN_MAX_AGE_MS) {
      if (!(await this.login())) {
        throw new GatewayError(`log in ${this.username}@${this.org}`, {
          status: 401,
          body: { detail: 'the password was refused' },
        });
      }
    }
    return this.#token!;
  }

  /** A request as this user; an access token refused as expired is renewed once. */
  async call(method: string, path: string, opts: Omit<RequestOptions, 'token'> = {}): Promise<Answer> {
    const first = await this.gateway.call(method, path, { ...opts, token: await this.#currentToken() });
    if (first.status !== 401) return first;
    this.#token = undefined;
    return this.gateway.call(method, path, { ...opts, token: await this.#currentToken() });
  }
}
