/**
 * What the demo seeding decides before it sends anything, and what it keeps between runs:
 *
 * - whether to seed at all: never in production (refused with one line), not when switched off
 *   (`--no-demo`, COFFEE_DEMO=0), not again once a run completed (RUN_DIR/demo/seed.json);
 * - the state file: the seeding's start (every date in its requests derives from it), a key namespace for its
 *   Idempotency-Keys, the development passwords (generated once, before any user is created, so an interrupted
 *   run resumes with the same ones) and when it completed;
 * - RUN_DIR/demo-accounts.json, the file the portal's login page reads, and the `demo` field of endpoints.json.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ExportStatus, Role } from '@coffee/consortium';
import { UserError } from '../../network/src/log.ts';
import { launcherMode } from '../../network/src/mode.ts';
import { PEER_ORGS } from '../../network/src/orgs.ts';
import { DEMO_EXPORTS, queueOf, type DemoUser } from './plan.ts';

export const stateFile = (runDir: string): string => join(runDir, 'demo', 'seed.json');
export const accountsFile = (runDir: string): string => join(runDir, 'demo-accounts.json');
export const endpointsFile = (runDir: string): string => join(runDir, 'endpoints.json');
/**
 * Tests only: left in a run directory by the demo seeding test when it hands its stack over, seeded and verified
 * and changed by nothing since (COFFEE_DEMO_TEST_HANDOVER=1, scripts/test.mjs); the portal test takes such a
 * stack over instead of bringing up and seeding another, and removes the file (a stack is handed over once).
 */
export const testHandoverFile = (runDir: string): string => join(runDir, 'demo', 'test-handover');

export interface SeedState {
  readonly version: 1;
  /** Namespace of this seeding's Idempotency-Keys. */
  readonly runId: string;
  /** ISO time the first run started: the dates of every request and document derive from it. */
  readonly startedAt: string;
  /** Development passwords by `<org>/<username>`. */
  readonly passwords: Readonly<Record<string, string>>;
  readonly completedAt?: string;
}

export interface DemoAccount {
  org: string;
  role: Role;
  username: string;
  password: string;
  exporterId?: string;
}

export interface DemoExportEntry {
  exportId: string;
  status: ExportStatus;
  description: string;
  queue: { org: string; role: Role } | null;
  /** Whose export it is (an exporter's queue shows only its own). */
  exporterId: string;
}

/** RUN_DIR/demo-accounts.json (0600), read by the portal's login page. */
export interface DemoAccounts {
  mode: 'development';
  accounts: DemoAccount[];
  exports: DemoExportEntry[];
}

/** The part of RUN_DIR/endpoints.json (network/src/nodes/gateway.ts) the seeding reads. */
export interface Endpoints {
  mode?: string;
  /** The CA bundle (PEM) the gateways' HTTPS certificates chain to. */
  caFile?: string;
  gateways: Record<string, { url: string; mspId?: string; admin?: { username: string; password: string } }>;
  demo?: unknown;
}

export const passwordKey = (u: { org: string; username: string }): string => `${u.org}/${u.username}`;

/** A strong development password: 144 random bits, URL-safe. */
export function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

/** Switched off by `--no-demo` or COFFEE_DEMO=0 (also false/no/off). */
export function demoWanted(flags: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (flags.includes('--no-demo')) return false;
  return !['0', 'false', 'no', 'off'].includes((env.COFFEE_DEMO ?? '').trim().toLowerCase());
}

/** Why this stack is in production mode (env or endpoints.json), or undefined in development. */
export function productionReason(
  env: NodeJS.ProcessEnv,
  endpoints: Endpoints | undefined,
): string | undefined {
  // The one switch (network/src/mode.ts): an unknown NODE_ENV is refused with one line, never seeded as development.
  if (launcherMode(env) === 'production') return 'NODE_ENV=production';
  if (endpoints?.mode === 'production') return 'endpoints.json says mode "production"';
  return undefined;
}

/** Refuses (one line, no stack trace) unless this is a development stack. */
export function assertDevelopment(env: NodeJS.ProcessEnv, endpoints: Endpoints | undefined): void {
  const reason = productionReason(env, endpoints);
  if (reason) {
    throw new UserError(
      `demo seeding refused: the stack runs in production mode (${reason}); demo users and data exist only in development`,
    );
  }
}

export type SeedDecision =
  { kind: 'seed'; state: SeedState; resume: boolean } | { kind: 'done'; state: SeedState };

/**
 * Seed, resume or nothing to do: a completed state means done; an existing one is resumed with its start time,
 * key namespace and passwords; passwords missing for a planned user are generated now (before anything is sent).
 */
export function decide(
  existing: SeedState | undefined,
  users: readonly DemoUser[],
  now: Date,
  password: () => string = newPassword,
  runId: () => string = () => randomBytes(4).toString('hex'),
): SeedDecision {
  if (existing?.completedAt) return { kind: 'done', state: existing };
  const passwords: Record<string, string> = { ...(existing?.passwords ?? {}) };
  for (const u of users) passwords[passwordKey(u)] ??= password();
  const state: SeedState = {
    version: 1,
    runId: existing?.runId ?? runId(),
    startedAt: existing?.startedAt ?? now.toISOString(),
    passwords,
  };
  return { kind: 'seed', state, resume: existing !== undefined };
}

/** The state file, or undefined if there is none; a file that is not ours is an error, never overwritten. */
export function readState(runDir: string): SeedState | undefined {
  const path = stateFile(runDir);
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e: unknown) {
    throw new UserError(
      `${path} is not valid JSON (${e instanceof Error ? e.message : String(e)}); delete it to seed anew`,
    );
  }
  const s = parsed as Partial<SeedState> | null;
  const validPasswords =
    typeof s?.passwords === 'object' &&
    s.passwords !== null &&
    Object.values(s.passwords).every((p) => typeof p === 'string');
  if (
    s?.version !== 1 ||
    typeof s.runId !== 'string' ||
    !/^[a-z0-9]{1,16}$/.test(s.runId) ||
    typeof s.startedAt !== 'string' ||
    Number.isNaN(Date.parse(s.startedAt)) ||
    !validPasswords ||
    (s.completedAt !== undefined && typeof s.completedAt !== 'string')
  ) {
    throw new UserError(`${path} is not a demo seeding state (version 1); delete it to seed anew`);
  }
  return s as SeedState;
}

/** Writes JSON atomically (temporary file, then rename) with mode 0600. */
export function writeSecretJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function writeState(runDir: string, state: SeedState): void {
  writeSecretJson(stateFile(runDir), state);
}

export function readEndpoints(runDir: string): Endpoints | undefined {
  const path = endpointsFile(runDir);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as Endpoints;
}

/**
 * The accounts file's content: each org's admin (endpoints.json), every planned user with its password, and
 * every export with the status it is left at and whose queue shows it next.
 */
export function demoAccounts(
  users: readonly DemoUser[],
  state: SeedState,
  endpoints: Endpoints,
): DemoAccounts {
  const accounts: DemoAccount[] = [];
  for (const [org, g] of Object.entries(endpoints.gateways)) {
    if (g.admin)
      accounts.push({ org, role: 'admin', username: g.admin.username, password: g.admin.password });
  }
  for (const u of users) {
    const password = state.passwords[passwordKey(u)];
    if (!password) throw new Error(`no password for ${passwordKey(u)}`);
    accounts.push({
      org: u.org,
      role: u.role,
      username: u.username,
      password,
      ...(u.exporterId ? { exporterId: u.exporterId } : {}),
    });
  }
  // By org in the consortium's order; within an org the admin first (a stable sort keeps the order above).
  const orgOrder = PEER_ORGS.map((o) => o.id);
  accounts.sort((a, b) => orgOrder.indexOf(a.org) - orgOrder.indexOf(b.org));
  return {
    mode: 'development',
    accounts,
    exports: DEMO_EXPORTS.map((x) => ({
      exportId: x.exportId,
      status: x.target,
      description: x.description,
      queue: queueOf(x),
      exporterId: x.exporterId,
    })),
  };
}

/** Writes demo-accounts.json and endpoints.json's `demo` field (both 0600); returns the accounts file's path. */
export function publishAccounts(runDir: string, accounts: DemoAccounts): string {
  const file = accountsFile(runDir);
  writeSecretJson(file, accounts);
  const endpoints = readEndpoints(runDir);
  if (endpoints) {
    writeSecretJson(endpointsFile(runDir), {
      ...endpoints,
      demo: { accountsFile: file, accounts: accounts.accounts },
    });
  }
  return file;
}

/**
 * The accounts file for the portal (PORTAL_DEMO_ACCOUNTS): only in development mode and only if it exists.
 */
export function portalDemoAccounts(runDir: string, env: NodeJS.ProcessEnv): string | undefined {
  let endpoints: Endpoints | undefined;
  try {
    endpoints = readEndpoints(runDir);
  } catch {
    return undefined;
  }
  if (productionReason(env, endpoints) !== undefined || endpoints === undefined) return undefined;
  const file = accountsFile(runDir);
  return existsSync(file) ? file : undefined;
}
