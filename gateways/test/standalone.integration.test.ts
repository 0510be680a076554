/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access -- HTTP response bodies are untyped JSON here */
/**
 * The gateway is a service that stands alone. A copy of gateways/ (src and package.json) in a temporary
 * directory, beside only the packages it needs — the third-party ones and @coffee/consortium, none of the other
 * workspaces — and with no network/ anywhere near it, started with nothing but its configuration in the
 * environment (and PATH, HOME), becomes ready against the running test network, enrolls a user at the org's CA
 * through its own REST client and lets that user log in. It runs on a free port and a database of its own.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.COFFEE_RUN_DIR ??= join(REPO, '.run', 'test');
process.env.COFFEE_PORT_OFFSET ??= '20000';

const { bringUp, endpoints, gatewayFetch, gatewaySettings, org } = await import('./support/stack.ts');
const { default: pg } = await import('pg');

const ORG = org('ecta');
const RUN = randomBytes(3).toString('hex');
const READY_WITHIN_MS = 120_000;

/**
 * node_modules for the copy: every package of the repository's node_modules as a symlink, except the
 * workspaces (links back into the repository); @coffee/consortium is copied in as a package of its own.
 */
function packagesFor(target: string): void {
  const source = join(REPO, 'node_modules');
  const modules = realpathSync(source) + sep;
  const link = (name: string): void => {
    const from = join(source, name);
    if (!realpathSync(from).startsWith(modules)) return; // a workspace
    mkdirSync(dirname(join(target, name)), { recursive: true });
    symlinkSync(from, join(target, name));
  };
  for (const entry of readdirSync(source)) {
    if (entry === '.bin' || entry.startsWith('.')) continue;
    if (entry.startsWith('@'))
      for (const scoped of readdirSync(join(source, entry))) link(`${entry}/${scoped}`);
    else link(entry);
  }
  const consortium = join(target, '@coffee', 'consortium');
  mkdirSync(consortium, { recursive: true });
  cpSync(join(REPO, 'chaincode', 'consortium', 'package.json'), join(consortium, 'package.json'));
  cpSync(join(REPO, 'chaincode', 'consortium', 'src'), join(consortium, 'src'), { recursive: true });
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** A fresh database beside the org's own (same server, same login). */
async function createDatabase(orgUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: orgUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(orgUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(orgUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: orgUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function stopByPid(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGTERM');
  const killer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

let tmp = '';
let child: ChildProcess | undefined;
let database: { orgUrl: string; name: string } | undefined;

before(
  async () => {
    await bringUp();
  },
  { timeout: 900_000 },
);

after(async () => {
  if (child) await stopByPid(child);
  if (database) await dropDatabase(database.orgUrl, database.name).catch(() => undefined);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the gateway on its own', { timeout: 600_000 }, () => {
  it('a copy of gateways/ with only its packages and its configuration becomes ready and enrolls a user', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gateway-standalone-'));
    const copy = join(tmp, 'gateways');
    cpSync(join(REPO, 'gateways', 'src'), join(copy, 'src'), { recursive: true });
    cpSync(join(REPO, 'gateways', 'package.json'), join(copy, 'package.json'));
    packagesFor(join(tmp, 'node_modules'));
    for (const dir of [tmp, copy, join(copy, 'src')])
      assert.ok(
        !existsSync(join(dir, 'network')) && !existsSync(join(dir, '..', 'network')),
        `no network/ near ${dir}`,
      );
    assert.ok(!existsSync(join(tmp, 'node_modules', '@coffee', 'network')), 'no launcher package');

    // The org gateway's configuration as the launcher wrote it, given as plain environment variables.
    const settings = gatewaySettings(ORG);
    database = { orgUrl: settings.DATABASE_URL!, name: `coffee_standalone_${RUN}` };
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...settings,
      PORT: String(port),
      DATABASE_URL: await createDatabase(database.orgUrl, database.name),
    };
    const log = join(tmp, 'gateway.log');
    const fd = openSync(log, 'a');
    child = spawn(process.execPath, ['--import', 'tsx', join(copy, 'src', 'server.ts')], {
      cwd: tmp,
      env,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    // HTTPS with the org's gateway certificate (TLS_CERT_FILE in the launcher's settings), trusted by the bundle.
    const url = `https://127.0.0.1:${port}`;
    const tail = (): string => readFileSync(log, 'utf8').trim().split('\n').slice(-10).join('\n');

    const t0 = Date.now();
    for (;;) {
      assert.equal(child.exitCode, null, `the gateway exited (${child.exitCode}):\n${tail()}`);
      const r = await gatewayFetch(`${url}/ready`, { signal: AbortSignal.timeout(3000) }).catch(
        () => undefined,
      );
      if (r?.status === 200) break;
      assert.ok(Date.now() - t0 < READY_WITHIN_MS, `ready within ${READY_WITHIN_MS / 1000} s:\n${tail()}`);
      await new Promise((r2) => setTimeout(r2, 250));
    }
    console.log(`standalone ${ORG.id} gateway ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const health = (await (await gatewayFetch(`${url}/health`)).json()) as { org: string; mspId: string };
    assert.deepEqual(health, { status: 'ok', org: ORG.id, mspId: ORG.mspId });

    const post = async (
      path: string,
      body: unknown,
      token?: string,
    ): Promise<{ status: number; body: any }> => {
      const r = await gatewayFetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(120_000),
      });
      return { status: r.status, body: await r.json().catch(() => undefined) };
    };
    const admin = endpoints().gateways[ORG.id]!.admin!;
    const login = await post('/api/v1/auth/login', admin);
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const username = `standalone-${RUN}`;
    const password = `pw-${randomBytes(9).toString('base64url')}`;
    const created = await post(
      '/api/v1/users',
      { username, password, role: 'auditor' },
      login.body.accessToken as string,
    );
    assert.equal(
      created.status,
      201,
      `user created (CA enrollment over REST): ${JSON.stringify(created.body)}`,
    );
    assert.equal((await post('/api/v1/auth/login', { username, password })).status, 200);

    await stopByPid(child);
    assert.ok(child.exitCode === 0 || child.signalCode === 'SIGTERM', `stopped cleanly:\n${tail()}`);
  });
});
