/**
 * Fabric, Fabric CA and kubo binaries, built from their pinned Go modules (network/tools/<group>/go.mod)
 * into a cache outside the clone. A build is keyed by the hash of go.mod + go.sum + the Go version, so a
 * changed pin rebuilds and an unchanged one is reused. Binaries already on FABRIC_BIN or PATH with the
 * right version are used as they are.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { cacheDir, paths } from './paths.ts';
import { info, UserError } from './log.ts';
import { run } from './proc.ts';

export interface BinarySpec {
  readonly name: string;
  readonly pkg: string;
  /** Substring that `<binary> version` prints for the pinned version. */
  readonly versionMarker: string;
  readonly versionArgs: string[];
}

export interface ToolGroup {
  readonly group: string;
  readonly module: string;
  readonly version: string;
  readonly ldflags: string;
  readonly cgo: boolean;
  readonly binaries: readonly BinarySpec[];
}

export const FABRIC_VERSION = '2.5.0';
export const FABRIC_CA_VERSION = '1.5.15';
export const KUBO_VERSION = '0.42.0';

const fabricBin = (name: string): BinarySpec => ({
  name,
  pkg: `github.com/hyperledger/fabric/cmd/${name}`,
  versionMarker: `Version: ${FABRIC_VERSION}`,
  versionArgs: name === 'configtxgen' ? ['-version'] : ['version'],
});

const GROUPS: readonly ToolGroup[] = [
  {
    group: 'fabric',
    module: 'github.com/hyperledger/fabric',
    version: FABRIC_VERSION,
    ldflags: `-X github.com/hyperledger/fabric/common/metadata.Version=${FABRIC_VERSION}`,
    cgo: false,
    binaries: ['peer', 'orderer', 'configtxgen', 'osnadmin', 'cryptogen'].map(fabricBin),
  },
  {
    group: 'fabric-ca',
    module: 'github.com/hyperledger/fabric-ca',
    version: FABRIC_CA_VERSION,
    ldflags: `-X github.com/hyperledger/fabric-ca/lib/metadata.Version=${FABRIC_CA_VERSION}`,
    // fabric-ca-server links SQLite through cgo.
    cgo: true,
    binaries: ['fabric-ca-server', 'fabric-ca-client'].map((name) => ({
      name,
      pkg: `github.com/hyperledger/fabric-ca/cmd/${name}`,
      versionMarker: `Version: ${FABRIC_CA_VERSION}`,
      versionArgs: ['version'],
    })),
  },
  {
    group: 'kubo',
    module: 'github.com/ipfs/kubo',
    version: KUBO_VERSION,
    ldflags: '',
    cgo: false,
    binaries: [
      {
        name: 'ipfs',
        pkg: 'github.com/ipfs/kubo/cmd/ipfs',
        versionMarker: `ipfs version ${KUBO_VERSION}`,
        versionArgs: ['version'],
      },
    ],
  },
];

export type BinaryName =
  | 'peer'
  | 'orderer'
  | 'configtxgen'
  | 'osnadmin'
  | 'cryptogen'
  | 'fabric-ca-server'
  | 'fabric-ca-client'
  | 'ipfs';

export interface Binaries {
  readonly paths: Record<BinaryName, string>;
  /** FABRIC_CFG_PATH for peers, orderers and the CLI: core.yaml and orderer.yaml adapted from sampleconfig. */
  readonly fabricConfigDir: string;
}

function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOFLAGS: '-mod=mod',
    // Never download another toolchain: the machine's Go builds these modules.
    GOTOOLCHAIN: 'local',
  };
}

async function buildKey(group: ToolGroup): Promise<string> {
  const dir = join(paths.tools, group.group);
  const { stdout: goVersion } = await run('go', ['env', 'GOVERSION']).catch(() => {
    throw new UserError(
      'Go is required to build the Fabric and IPFS binaries: install Go 1.24 or newer, or set FABRIC_BIN',
    );
  });
  const h = createHash('sha256');
  h.update(readFileSync(join(dir, 'go.mod')));
  h.update(readFileSync(join(dir, 'go.sum')));
  h.update(goVersion.trim());
  h.update(group.ldflags);
  return h.digest('hex').slice(0, 12);
}

/** A binary of the right version on FABRIC_BIN or PATH, if there is one. */
export async function findInstalled(spec: BinarySpec): Promise<string | undefined> {
  const dirs = [process.env.FABRIC_BIN, ...(process.env.PATH ?? '').split(delimiter)].filter(
    (d): d is string => !!d,
  );
  for (const dir of dirs) {
    const candidate = join(dir, spec.name);
    if (!existsSync(candidate)) continue;
    try {
      const { stdout } = await run(candidate, spec.versionArgs);
      if (stdout.includes(spec.versionMarker)) return candidate;
    } catch {
      // not usable: keep looking
    }
  }
  return undefined;
}

export async function buildGroup(group: ToolGroup, missing: readonly BinarySpec[]): Promise<string> {
  const key = await buildKey(group);
  const outDir = join(cacheDir(), 'bin', `${group.group}-${group.version}-${key}`);
  const env = { ...goEnv(), CGO_ENABLED: group.cgo ? '1' : '0' };
  const cwd = join(paths.tools, group.group);
  mkdirSync(outDir, { recursive: true });
  for (const spec of missing) {
    const target = join(outDir, spec.name);
    if (existsSync(target)) continue;
    const t0 = Date.now();
    info(`  ${spec.name} ${group.version}: building from ${group.module} (first build takes minutes) …`);
    const tmp = `${target}.partial`;
    const args = ['build', '-trimpath', '-o', tmp];
    if (group.ldflags) args.push('-ldflags', group.ldflags);
    args.push(spec.pkg);
    await run('go', args, { cwd, env });
    renameSync(tmp, target);
    info(`  ${spec.name} ${group.version}: built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return outDir;
}

/** The module's source directory (for sampleconfig), downloaded through the module proxy if needed. */
async function moduleDir(group: ToolGroup): Promise<string> {
  const { stdout } = await run('go', ['list', '-m', '-f', '{{.Dir}}', group.module], {
    cwd: join(paths.tools, group.group),
    env: goEnv(),
  });
  return stdout.trim();
}

/**
 * core.yaml and orderer.yaml from Fabric's sampleconfig with the two changes this network needs that
 * environment variables cannot express: no Docker endpoint (its health check would fail without Docker)
 * and our chaincode-as-a-service external builder in place of the image's /opt/hyperledger path.
 */
async function prepareFabricConfig(): Promise<string> {
  const fabric = GROUPS[0]!;
  const outDir = join(cacheDir(), 'config', `fabric-${fabric.version}-${await buildKey(fabric)}`);
  const core = join(outDir, 'core.yaml');
  if (existsSync(core) && existsSync(join(outDir, 'orderer.yaml'))) return outDir;
  const src = join(await moduleDir(fabric), 'sampleconfig');
  mkdirSync(outDir, { recursive: true });
  const doc = parseDocument(readFileSync(join(src, 'core.yaml'), 'utf8'));
  doc.setIn(['vm', 'endpoint'], '');
  doc.setIn(
    ['chaincode', 'externalBuilders'],
    doc.createNode([{ name: 'ccaas', path: join(paths.builders, 'ccaas'), propagateEnvironment: ['HOME'] }]),
  );
  writeFileSync(`${core}.partial`, doc.toString());
  copyFileSync(join(src, 'orderer.yaml'), join(outDir, 'orderer.yaml'));
  renameSync(`${core}.partial`, core);
  return outDir;
}

/** Finds or builds every binary; prints one line per binary. */
export async function ensureBinaries(): Promise<Binaries> {
  const found: Partial<Record<BinaryName, string>> = {};
  for (const group of GROUPS) {
    const missing: BinarySpec[] = [];
    for (const spec of group.binaries) {
      const installed = await findInstalled(spec);
      if (installed) {
        found[spec.name as BinaryName] = installed;
      } else {
        missing.push(spec);
      }
    }
    if (missing.length > 0) {
      const outDir = await buildGroup(group, missing);
      for (const spec of missing) found[spec.name as BinaryName] = join(outDir, spec.name);
    }
  }
  const fabricConfigDir = await prepareFabricConfig();
  info(`  binaries: ${[...new Set(Object.values(found).map((p) => dirname(p)))].join(', ')}`);
  return { paths: found as Record<BinaryName, string>, fabricConfigDir };
}

/** For `npm run binaries -- --clean`: removes cached builds (Go's own caches are kept). */
export function cleanBinaryCache(): void {
  rmSync(join(cacheDir(), 'bin'), { recursive: true, force: true });
  rmSync(join(cacheDir(), 'config'), { recursive: true, force: true });
}
