/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- HTTP response bodies are untyped JSON here */
/**
 * What the integration tests of the gateways share: the stack brought up (or reused) by the launcher, run as a
 * child process (`network/src/cli.ts`, nothing of it imported); the gateways' URLs and configuration files read
 * from the run directory it fills (endpoints.json, RUN_DIR/gateways/<org>/gateway.json); the launcher's nodes
 * started and stopped through its command line; HTTP calls with their statuses recorded, sessions, users,
 * uploads, and workflow steps that wait for the acting org's peer.
 *
 * The run directory and port offset are the test process's COFFEE_RUN_DIR / COFFEE_PORT_OFFSET (set them
 * before the first call); the launcher child gets them with the rest of the environment.
 */
import { ORGS, orgOf, type OrgDefinition } from '@coffee/consortium';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../../src/config.ts';
import { tlsFetch } from '../../src/tls-fetch.ts';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const LAUNCHER = join(REPO, 'network', 'src', 'cli.ts');

export type Org = OrgDefinition;
export const org = (id: string): Org => orgOf(id);
/** The consortium's peer orgs, one gateway each. */
export const PEER_ORGS: readonly Org[] = ORGS;

export const runDir = (): string => resolve(process.env.COFFEE_RUN_DIR ?? join(REPO, '.run'));

/**
 * Runs the launcher's command line (`network/src/cli.ts <args>`) to completion with this process's
 * environment; its output is returned, or its last lines are in the error.
 */
export function launcher(args: string[], timeoutMs = 15 * 60_000): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', LAUNCHER, ...args], {
      cwd: REPO,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveRun(out);
      else {
        const tail = out.trim().split('\n').slice(-20).join('\n');
        reject(new Error(`launcher ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail}`));
      }
    });
  });
}

const settingArgs = (settings: Record<string, string>): string[] =>
  Object.entries(settings).map(([k, v]) => `${k}=${v}`);

/** The gateways' settings every integration test file expects (whichever file starts them first). */
export const TEST_GATEWAY_ENV: Record<string, string> = {
  UPLOAD_MAX_BYTES: String(1024 * 1024),
  // Tests log in dozens of users from one address within a minute.
  LOGIN_RATE_LIMIT_MAX: '1000',
};

/**
 * The network (reused if running; retried while another test file deploys), then Postgres, kubo and the six
 * gateways with these settings (`gateways up`: a running gateway keeps its own).
 */
export async function bringUp(gatewaySettings: Record<string, string> = TEST_GATEWAY_ENV): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await launcher(['up']);
      break;
    } catch (e: unknown) {
      if (attempt >= 4) throw e;
      await new Promise((r) => setTimeout(r, 10_000));
    }
  }
  await launcher(['gateways', 'up', ...settingArgs(gatewaySettings)]);
  urls.clear();
  trusted = undefined;
}

export interface Endpoints {
  /** The CA bundle (PEM) every gateway's HTTPS certificate chains to. */
  caFile: string;
  gateways: Record<
    string,
    { url: string; configFile?: string; admin?: { username: string; password: string } }
  >;
}

export const endpoints = (): Endpoints =>
  JSON.parse(readFileSync(join(runDir(), 'endpoints.json'), 'utf8')) as Endpoints;

const urls = new Map<string, string>();
let trusted: Buffer | undefined;

/** The CA bundle endpoints.json names (read once per bring-up): what every call to a gateway trusts. */
export function gatewayCa(): Buffer {
  return (trusted ??= readFileSync(endpoints().caFile));
}

/** fetch() to a gateway URL over HTTPS verified against the stack's CA bundle (support/tls.ts). */
export function gatewayFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return tlsFetch(url, init, gatewayCa());
}

/** The org's gateway URL, from endpoints.json. */
export function gatewayUrl(o: Org): string {
  let url = urls.get(o.id);
  if (!url) {
    url = endpoints().gateways[o.id]?.url;
    if (!url) throw new Error(`endpoints.json in ${runDir()} lists no gateway for ${o.id}`);
    urls.set(o.id, url);
  }
  return url;
}

/** The configuration file the launcher wrote for the org's gateway (what the gateway process reads). */
export function gatewayConfigFile(o: Org): string {
  return endpoints().gateways[o.id]?.configFile ?? join(runDir(), 'gateways', o.id, 'gateway.json');
}

/** The org gateway's settings as written (DATABASE_URL, IPFS_API_URL, PEER_ENDPOINT, ...). */
export function gatewaySettings(o: Org): Record<string, string> {
  return JSON.parse(readFileSync(gatewayConfigFile(o), 'utf8')) as Record<string, string>;
}

/** The org gateway's configuration, loaded as the gateway loads it. */
export function gatewayConfig(o: Org): Config {
  return loadConfig({ COFFEE_GATEWAY_CONFIG: gatewayConfigFile(o) });
}

/** Starts the org's gateway through the launcher (unless it runs) with these settings, and waits for it. */
export async function startGateway(
  o: Org,
  settings: Record<string, string> = TEST_GATEWAY_ENV,
): Promise<void> {
  await launcher(['gateways', 'start', o.id, ...settingArgs(settings)]);
}

export async function stopGateway(o: Org): Promise<void> {
  await launcher(['gateways', 'stop', o.id]);
}

/** The pid the launcher recorded for one of its nodes (RUN_DIR/pids/<name>.json), if that process lives. */
export function nodePid(name: string): number | undefined {
  let rec: { pid?: unknown; startTicks?: unknown };
  try {
    rec = JSON.parse(readFileSync(join(runDir(), 'pids', `${name}.json`), 'utf8')) as typeof rec;
  } catch {
    return undefined;
  }
  if (typeof rec.pid !== 'number') return undefined;
  try {
    // Field 22 of /proc/<pid>/stat (start time) tells our process from a later one with a recycled pid.
    const stat = readFileSync(`/proc/${rec.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X' || fields[19] !== rec.startTicks) return undefined;
    return rec.pid;
  } catch {
    return undefined;
  }
}

export const gatewayNode = (o: Org): string => `gateway.${o.id}`;

/** SIGKILLs the org's gateway at once, by the pid the launcher recorded (fault tests). */
export function killGateway(o: Org): void {
  const pid = nodePid(gatewayNode(o));
  assert.ok(pid, `the ${o.id} gateway is running`);
  process.kill(pid, 'SIGKILL');
}

export const gatewayRunning = (o: Org): boolean => nodePid(gatewayNode(o)) !== undefined;

/** The off-chain nodes, through the launcher. */
export const offChain = {
  startPostgres: (): Promise<string> => launcher(['postgres', 'start']),
  stopPostgres: (): Promise<string> => launcher(['postgres', 'stop']),
  startIpfs: (o: Org): Promise<string> => launcher(['ipfs', 'start', o.id]),
  stopIpfs: (o: Org): Promise<string> => launcher(['ipfs', 'stop', o.id]),
  /** The gateways, kubo nodes and Postgres this file started (the network stays up for the next file). */
  stopAll: (): Promise<string> => launcher(['gateways', 'down']),
};

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
  const res = await gatewayFetch(`${gatewayUrl(o)}${path}`, {
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
