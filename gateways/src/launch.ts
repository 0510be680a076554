/**
 * Starts the six gateway processes (one codebase, configuration per org) with the launcher's pid-recorded
 * processes, waits for each /health, and writes RUN_DIR/endpoints.json (0600): every org's gateway URL and,
 * in development mode only, each org admin's initial username and password.
 *
 * Expects the network, Postgres (ensurePostgres) and the IPFS nodes (ensureIpfsAll) to be up.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PEER_ORGS, type PeerOrg } from '../../network/src/orgs.ts';
import { REPO_ROOT, RUN_DIR } from '../../network/src/paths.ts';
import {
  assertPortFree,
  logFile,
  running,
  startProcess,
  stopProcess,
  waitFor,
} from '../../network/src/proc.ts';
import { devSecrets } from './config.ts';

export const gatewayNodeName = (org: PeerOrg): string => `gateway.${org.id}`;

export function gatewayPort(org: PeerOrg, env: NodeJS.ProcessEnv = process.env): number {
  const override = env[`GATEWAY_PORT_${org.id.toUpperCase().replace(/-/g, '_')}`];
  return override ? Number(override) : org.gatewayPort;
}

export function gatewayUrl(org: PeerOrg, env: NodeJS.ProcessEnv = process.env): string {
  return `http://127.0.0.1:${gatewayPort(org, env)}`;
}

/** The environment of one org's gateway: ORG, PORT, and DATABASE_URL_<ORG>/IPFS_API_URL_<ORG> passed through. */
export function gatewayEnv(org: PeerOrg, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const suffix = org.id.toUpperCase().replace(/-/g, '_');
  const env: NodeJS.ProcessEnv = {
    ...base,
    ORG: org.id,
    PORT: String(gatewayPort(org, base)),
    COFFEE_RUN_DIR: RUN_DIR,
  };
  delete env.DATABASE_URL;
  delete env.IPFS_API_URL;
  if (base[`DATABASE_URL_${suffix}`]) env.DATABASE_URL = base[`DATABASE_URL_${suffix}`];
  if (base[`IPFS_API_URL_${suffix}`]) env.IPFS_API_URL = base[`IPFS_API_URL_${suffix}`];
  return env;
}

async function healthy(org: PeerOrg): Promise<boolean> {
  const res = await fetch(`${gatewayUrl(org)}/health`, { signal: AbortSignal.timeout(2000) });
  return res.ok;
}

/** A gateway that just died may leave its port busy for a moment: wait (briefly) before starting again. */
async function waitPortFree(port: number, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertPortFree(port, what);
      return;
    } catch (e: unknown) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export async function startGatewayProcess(org: PeerOrg, extraEnv: NodeJS.ProcessEnv = {}): Promise<number> {
  const existing = running(gatewayNodeName(org));
  if (!existing) await waitPortFree(gatewayPort(org), `gateway of ${org.id}`);
  const rec =
    existing ??
    (await startProcess({
      name: gatewayNodeName(org),
      command: process.execPath,
      args: ['--import', 'tsx', join(REPO_ROOT, 'gateways', 'src', 'server.ts')],
      cwd: REPO_ROOT,
      env: { ...gatewayEnv(org), ...extraEnv },
      ports: [{ port: gatewayPort(org), what: `gateway of ${org.id}` }],
    }));
  await waitFor(`gateway of ${org.id}`, () => healthy(org), 90_000, logFile(gatewayNodeName(org)));
  return rec.pid;
}

export interface EndpointsFile {
  mode: 'development' | 'production';
  gateways: Record<string, { url: string; mspId: string; admin?: { username: string; password: string } }>;
  /** Development only: the demo consortium's accounts (written by scripts/demo/seed.ts, docs/demo.md). */
  demo?: {
    accountsFile: string;
    accounts: { org: string; role: string; username: string; password: string; exporterId?: string }[];
  };
}

/** The `demo` field an earlier start wrote (kept across restarts in development, dropped in production). */
function previousDemo(path: string): EndpointsFile['demo'] {
  if (!existsSync(path)) return undefined;
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as Partial<EndpointsFile>).demo;
  } catch {
    return undefined;
  }
}

/** Writes RUN_DIR/endpoints.json (0600). */
export function writeEndpoints(env: NodeJS.ProcessEnv = process.env): string {
  const mode = env.NODE_ENV === 'production' ? 'production' : 'development';
  const path = join(RUN_DIR, 'endpoints.json');
  const demo = mode === 'development' ? previousDemo(path) : undefined;
  const file: EndpointsFile = { mode, gateways: {}, ...(demo ? { demo } : {}) };
  for (const org of PEER_ORGS) {
    file.gateways[org.id] = {
      url: gatewayUrl(org, env),
      mspId: org.mspId,
      ...(mode === 'development'
        ? { admin: { username: env.ADMIN_USERNAME ?? 'admin', password: devSecrets(org.id).adminPassword } }
        : {}),
    };
  }
  writeFileSync(path, JSON.stringify(file, null, 2), { mode: 0o600 });
  return path;
}

/** Starts every org's gateway (in parallel) and writes endpoints.json. */
export async function startGateways(
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ endpointsFile: string; pids: Record<string, number> }> {
  const endpointsFile = writeEndpoints();
  const pids: Record<string, number> = {};
  await Promise.all(
    PEER_ORGS.map(async (org) => {
      pids[org.id] = await startGatewayProcess(org, extraEnv);
    }),
  );
  return { endpointsFile, pids };
}

export async function stopGateways(): Promise<string[]> {
  const stopped = await Promise.all(
    PEER_ORGS.map(async (org) => ((await stopProcess(gatewayNodeName(org), 10_000)) ? org.id : undefined)),
  );
  return stopped.filter((s): s is string => s !== undefined);
}
