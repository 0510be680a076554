/**
 * `npm start` / `npm stop`: the whole stack on this machine — the Fabric network, PostgreSQL, the private IPFS
 * swarm, the six gateways and the portal — composed from each component's own launcher. `start` stays in the
 * foreground and stops everything on Ctrl-C; `stop` stops it from another shell.
 *
 * In development mode `start` also seeds the demo consortium once per run directory (scripts/demo/seed.ts,
 * docs/demo.md); `--no-demo` or COFFEE_DEMO=0 switches that off, production mode never seeds.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { info, step, UserError, warn } from '../network/src/log.ts';
import { down, up } from '../network/src/network.ts';
import { gatewayUrl, startGateways } from '../network/src/nodes/gateway.ts';
import { httpsGet } from '../network/src/nodes/https.ts';
import { ensureIpfsAll } from '../network/src/nodes/ipfs.ts';
import { ensurePostgres } from '../network/src/nodes/postgres.ts';
import { startMonitoring } from '../network/src/monitoring.ts';
import { PEER_ORGS, portOffset } from '../network/src/orgs.ts';
import { REPO_ROOT, runDir } from '../network/src/paths.ts';
import { portalProxySecret } from '../network/src/portal-proxy.ts';
import { portalTlsFiles, writeCaBundle } from '../network/src/web-tls.ts';
import { allRecords, logFile, run, startProcess, waitFor } from '../network/src/proc.ts';
import { gatewayEnv } from '../frontend/server/gateways.ts';
import { seedDemo } from './demo/seed.ts';
import { demoWanted, portalDemoAccounts, productionReason, readEndpoints } from './demo/state.ts';

const FRONTEND = join(REPO_ROOT, 'frontend');
const VITE = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
const PORTAL_SERVER = join(FRONTEND, 'server', 'server.ts');

export const portalPort = (): number => 3000 + portOffset();

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((e) => newestMtime(join(path, e))));
}

/** Builds the portal when its sources are newer than its build. */
async function buildPortal(): Promise<void> {
  const built = join(FRONTEND, 'dist', 'index.html');
  const sources = [
    ...['src', 'index.html', 'vite.config.ts', 'package.json'].map((p) => join(FRONTEND, p)),
    // The portal imports the consortium's definitions (orgs, vocabulary, actions, policy).
    join(REPO_ROOT, 'chaincode', 'consortium', 'src'),
  ];
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newestMtime))) return;
  await run(process.execPath, [VITE, 'build'], { cwd: FRONTEND });
}

/**
 * The portal: the built app served by frontend/server/server.ts on 127.0.0.1 over HTTPS (a certificate from the
 * development CA, network/src/web-tls.ts), proxying /gw/<org> to each org's gateway (verified against the CA
 * bundle), with the demo accounts (development, once seeded) unless `demoAccounts: false` — production's portal.
 * `name` and `port` start another one beside it (the portal e2e test's production portal).
 */
export async function startPortal(
  gatewayUrls: Record<string, string>,
  opts: { name?: string; port?: number; demoAccounts?: boolean } = {},
): Promise<string> {
  await buildPortal();
  const name = opts.name ?? 'portal';
  const port = opts.port ?? portalPort();
  const tls = await portalTlsFiles();
  const caFile = await writeCaBundle();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HOST: '127.0.0.1',
    PORT: String(port),
    PORTAL_TLS_CERT_FILE: tls.certFile,
    PORTAL_TLS_KEY_FILE: tls.keyFile,
    PORTAL_GATEWAY_CA_FILE: caFile,
    // Proves the portal to the gateways, which then count logins by the browser's address (X-Forwarded-For).
    PORTAL_PROXY_SECRET: portalProxySecret(),
    ...gatewayEnv(gatewayUrls),
  };
  // The login page lists the demo accounts (development only, once seeded).
  const demoAccounts = opts.demoAccounts === false ? undefined : portalDemoAccounts(runDir(), process.env);
  if (demoAccounts) env.PORTAL_DEMO_ACCOUNTS = demoAccounts;
  await startProcess({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', PORTAL_SERVER],
    cwd: FRONTEND,
    env,
    ports: [{ port, what: name }],
  });
  const url = `https://127.0.0.1:${port}`;
  await waitFor(
    name,
    async () => (await httpsGet(url, { ca: caFile })).status === 200,
    30_000,
    logFile(name),
  );
  return url;
}

/**
 * The demo consortium, in development mode unless switched off; a failed seeding is reported and the stack
 * runs on without it (`npm run demo:seed` resumes it). Returns the accounts file, if there is one (in development).
 */
async function demo(wanted: boolean): Promise<string | undefined> {
  const production = productionReason(process.env, readEndpoints(runDir()));
  if (production) {
    info(`demo consortium: not seeded in production mode (${production})`);
    return undefined;
  }
  if (!wanted) {
    info('demo consortium: not seeded (--no-demo or COFFEE_DEMO=0)');
    // Seeded by an earlier start: those users exist, the portal may still list them.
    return portalDemoAccounts(runDir(), process.env);
  }
  try {
    await step('demo consortium (users, exporters, exports at every step)', () => seedDemo());
  } catch (e: unknown) {
    warn(
      `demo seeding failed: ${e instanceof Error ? e.message : String(e)} — the stack runs without it; \`npm run demo:seed\` resumes it`,
    );
  }
  return portalDemoAccounts(runDir(), process.env);
}

export async function stackUp(
  opts: { demo?: boolean } = {},
): Promise<{ portal: string; gateways: Record<string, string>; demoAccounts?: string }> {
  const t0 = Date.now();
  await up();
  await step('PostgreSQL (one database per org)', ensurePostgres);
  await step('IPFS (six kubo nodes, private swarm)', ensureIpfsAll);
  const { endpointsFile } = await step('gateways (one per org)', () => startGateways());
  const gateways = Object.fromEntries(PEER_ORGS.map((org) => [org.id, gatewayUrl(org)]));
  // Prometheus (network/src/monitoring.ts); where it cannot be installed or started, one line and no monitoring.
  const prometheus = await startMonitoring().catch((e: unknown) => {
    warn(`monitoring: off — ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  });
  const demoAccounts = await demo(opts.demo ?? true);
  const portal = await step('portal', () => startPortal(gateways));
  info(`everything up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  info('');
  info(`  portal          ${portal}`);
  for (const org of PEER_ORGS) info(`  ${org.id.padEnd(16)}${gateways[org.id]}/api/v1   (${org.mspId})`);
  if (prometheus) info(`  prometheus      ${prometheus}   (alert rules: network/monitoring/alerts.yml)`);
  info(`  endpoints and development admin credentials: ${endpointsFile}`);
  info(`  HTTPS: trust the CA bundle ${await writeCaBundle()} (development CA and the orgs' TLS CAs)`);
  if (demoAccounts) info(`  demo accounts (every role of every org) and exports: ${demoAccounts}`);
  info(`  public verification: ${portal}/verify/<exportId>`);
  return { portal, gateways, ...(demoAccounts ? { demoAccounts } : {}) };
}

const USAGE = 'usage: stack.mts start [--no-demo] | stop\n';

async function main(command: string | undefined, flags: string[]): Promise<number> {
  const known = command === 'start' ? ['--no-demo'] : [];
  const unknown = flags.filter((f) => !known.includes(f));
  if (unknown.length > 0) {
    process.stderr.write(`unknown option ${unknown.join(' ')}\n${USAGE}`);
    return 2;
  }
  if (command === 'start') {
    await stackUp({ demo: demoWanted(flags, process.env) });
    info('running; press Ctrl-C to stop everything (or run `npm stop` from another shell)');
    const elsewhere = await new Promise<boolean>((resolve) => {
      const watch = setInterval(() => allRecords().length === 0 && finish(true), 2000);
      const finish = (value: boolean): void => {
        clearInterval(watch);
        resolve(value);
      };
      process.once('SIGINT', () => finish(false));
      process.once('SIGTERM', () => finish(false));
    });
    if (elsewhere) {
      info('stopped from another shell');
      return 0;
    }
    info('stopping …');
  } else if (command !== 'stop') {
    process.stderr.write(USAGE);
    return 2;
  }
  const { stopped } = await down();
  info(
    stopped.length
      ? `stopped ${stopped.length} processes (run-time state kept in ${runDir()})`
      : 'nothing was running',
  );
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2], process.argv.slice(3)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(
        `error: ${e instanceof UserError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exit(1);
    },
  );
}
