/**
 * Chaincode as a service: one chaincode server process per org per chaincode, reached by its org's peer
 * over mutual TLS. Each org installs its own small package whose connection.json names its own server, so
 * package ids differ per org while the agreed chaincode definition is the same.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Binaries } from '../binaries.ts';
import { cryptoPaths, issueTlsServerCert } from '../crypto.ts';
import { chaincodePort, type ChaincodeSpec, type PeerOrg } from '../orgs.ts';
import { paths, profiling, REPO_ROOT } from '../paths.ts';
import { run, startProcess, waitFor, logFile, type ProcessRecord } from '../proc.ts';
import { connect } from 'node:net';
import { chaincodeHostName, endpointHost, hostAddress } from '../topology.ts';

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/**
 * The workspace packages both chaincodes load at run time, in build order: the consortium's definitions
 * (`@coffee/consortium`) and the shared chaincode code (`@coffee/chaincode-common`).
 */
export const CHAINCODE_SHARED_DIRS = ['chaincode/consortium', 'chaincode/common'] as const;

/** Newest modification time of what a package's compiled `dist/src` is made from. */
function newestSource(dir: string): number {
  return Math.max(
    ...walk(join(dir, 'src')).map((f) => statSync(f).mtimeMs),
    statSync(join(dir, 'package.json')).mtimeMs,
    statSync(join(dir, 'tsconfig.json')).mtimeMs,
  );
}

/** Compiles a package from scratch (so no output of a deleted source lingers) unless dist is current. */
async function buildIfStale(dir: string, sourcesMtime: number): Promise<void> {
  const marker = join(dir, 'dist', 'src', 'index.js');
  if (existsSync(marker) && statSync(marker).mtimeMs >= sourcesMtime) return;
  rmSync(join(dir, 'dist'), { recursive: true, force: true });
  await run(process.execPath, [
    join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    join(dir, 'tsconfig.json'),
  ]);
  markCommonJs(dir);
}

/**
 * tsc compiles every chaincode package to CommonJS; a package that is an ES module at its source
 * (`@coffee/consortium`, which the gateways and the portal import as TypeScript) gets a dist/package.json
 * saying so, or Node would load its compiled files as ES modules.
 */
export function markCommonJs(dir: string): void {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: unknown };
  if (pkg.type === 'module') writeFileSync(join(dir, 'dist', 'package.json'), '{ "type": "commonjs" }\n');
}

/**
 * Builds the chaincode (tsc) when any source is newer than its output. The shared packages are built first
 * when stale; a change there also rebuilds the chaincode, which is type-checked against them.
 */
export async function buildChaincode(cc: ChaincodeSpec): Promise<void> {
  let shared = 0;
  for (const rel of CHAINCODE_SHARED_DIRS) {
    const dir = join(REPO_ROOT, rel);
    // Each shared package is type-checked against the ones before it.
    shared = Math.max(shared, newestSource(dir));
    await buildIfStale(dir, shared);
  }
  const dir = join(REPO_ROOT, cc.dir);
  await buildIfStale(dir, Math.max(newestSource(dir), shared));
}

/**
 * The chaincode's version: its package version plus a hash of what it runs (compiled source, package.json,
 * collections, and the same for the shared packages it loads). A changed hash means a new definition: the
 * deploy step bumps the sequence, so a change in chaincode/common or chaincode/consortium upgrades both.
 */
export function chaincodeVersion(cc: ChaincodeSpec): string {
  const h = createHash('sha256');
  const runs = (dir: string): string[] => [
    ...walk(join(dir, 'dist', 'src')).filter((f) => f.endsWith('.js')),
    join(dir, 'package.json'),
  ];
  const dir = join(REPO_ROOT, cc.dir);
  const files = [
    ...runs(dir),
    ...(cc.collections ? [join(dir, cc.collections)] : []),
    ...CHAINCODE_SHARED_DIRS.flatMap((rel) => runs(join(REPO_ROOT, rel))),
  ].sort();
  for (const f of files) {
    // Relative to the chaincode: its own files hash as before, the shared ones as ../common/...
    h.update(relative(dir, f));
    h.update(readFileSync(f));
  }
  // A changed endorsement policy is a new definition too.
  if (cc.signaturePolicy) h.update(cc.signaturePolicy);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
  const semver = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  return `${semver}-${h.digest('hex').slice(0, 10)}`;
}

export function serverName(org: PeerOrg, cc: ChaincodeSpec): string {
  return `cc.${cc.name}.${org.id}`;
}

export interface OrgPackage {
  readonly file: string;
  readonly label: string;
  readonly packageId: string;
}

/** Writes the org's ccaas package (metadata.json + code.tar.gz with connection.json) and its package id. */
export async function packageFor(
  bins: Binaries,
  org: PeerOrg,
  cc: ChaincodeSpec,
  version: string,
): Promise<OrgPackage> {
  const serverTls = await issueTlsServerCert(org, `${cc.name}.cc.${org.domain}`, [
    chaincodeHostName(org, cc.name),
  ]);
  // The peer dials it by host name in the netns topology (its namespace's hosts file), else 127.0.0.1.
  const address = `${endpointHost(chaincodeHostName(org, cc.name))}:${chaincodePort(org, cc)}`;
  return writeCcaasPackage(bins, org, cc, version, address, join(serverTls, 'ca.crt'));
}

/**
 * The ccaas package itself (once per label; the same bytes, so the same package id, on every run): connection.json
 * names the chaincode server's `address` and the CA its TLS certificate chains to (`rootCertFile`); the peer presents
 * its own TLS identity to the server, which trusts only the org's TLS CA. Shared with the compose bootstrap.
 */
export async function writeCcaasPackage(
  bins: Binaries,
  org: PeerOrg,
  cc: ChaincodeSpec,
  version: string,
  address: string,
  rootCertFile: string,
): Promise<OrgPackage> {
  const label = `${cc.name}_${version}`;
  const dir = join(paths.chaincode, org.id, label);
  const file = join(dir, `${label}.tar.gz`);
  if (!existsSync(file)) {
    const peerTls = join(cryptoPaths.peer(org, 0), 'tls');
    const src = join(dir, 'src');
    mkdirSync(src, { recursive: true });
    const connection = {
      address,
      dial_timeout: '10s',
      tls_required: true,
      client_auth_required: true,
      client_key: readFileSync(join(peerTls, 'server.key'), 'utf8'),
      client_cert: readFileSync(join(peerTls, 'server.crt'), 'utf8'),
      root_cert: readFileSync(rootCertFile, 'utf8'),
    };
    writeFileSync(join(src, 'connection.json'), JSON.stringify(connection, null, 2), { mode: 0o600 });
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ type: 'ccaas', label }));
    const tarFlags = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner'];
    await run('tar', [...tarFlags, '-czf', join(dir, 'code.tar.gz'), '-C', src, 'connection.json']);
    await run('tar', [...tarFlags, '-czf', file, '-C', dir, 'metadata.json', 'code.tar.gz']);
  }
  const { stdout } = await run(bins.paths.peer, ['lifecycle', 'chaincode', 'calculatepackageid', file], {
    env: { ...process.env, FABRIC_CFG_PATH: bins.fabricConfigDir },
  });
  return { file, label, packageId: stdout.trim() };
}

export async function startChaincodeServer(
  org: PeerOrg,
  cc: ChaincodeSpec,
  packageId: string,
): Promise<ProcessRecord> {
  const name = serverName(org, cc);
  const tls = cryptoPaths.tlsServer(org, `${cc.name}.cc.${org.domain}`);
  const port = chaincodePort(org, cc);
  const cli = join(REPO_ROOT, 'node_modules', 'fabric-shim', 'cli.js');
  if (profiling()) mkdirSync(paths.profiles, { recursive: true });
  const rec = await startProcess({
    name,
    command: process.execPath,
    args: [
      // V8's tick log, written as it runs (a stopped server leaves a usable file): `node --prof-process` reads it.
      ...(profiling()
        ? ['--prof', '--no-logfile-per-isolate', `--logfile=${join(paths.profiles, `${name}.v8.log`)}`]
        : []),
      cli,
      'server',
      `--chaincode-address=${hostAddress(org)}:${port}`,
      `--chaincode-id=${packageId}`,
      `--chaincode-tls-cert-file=${join(tls, 'server.crt')}`,
      `--chaincode-tls-key-file=${join(tls, 'server.key')}`,
      `--chaincode-tls-client-cacert-file=${join(tls, 'ca.crt')}`,
      `--module-path=${join(REPO_ROOT, cc.dir)}`,
    ],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // fabric-shim logs every transaction at info (a few lines each, a measurable share of the server's CPU
      // under load: docs/bench.md); warnings and errors by default, COFFEE_CHAINCODE_LOG_LEVEL=info for more.
      CORE_CHAINCODE_LOGGING_LEVEL: process.env.COFFEE_CHAINCODE_LOG_LEVEL ?? 'warning',
      NODE_ENV: 'production',
    },
    ports: [{ port, what: `${name} chaincode server` }],
    host: org.id,
  });
  await waitFor(name, () => tcpOpen(port, hostAddress(org)), 20_000, logFile(name));
  return rec;
}

function tcpOpen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
