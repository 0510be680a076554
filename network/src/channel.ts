/**
 * The application channel: genesis block from configtx.yaml, joined on every orderer through the channel
 * participation API (osnadmin) and on every peer; anchor peers are part of the genesis configuration.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Binaries } from './binaries.ts';
import { configtx } from './configtx.ts';
import { cryptoPaths } from './crypto.ts';
import { CHANNEL, PEER_ORGS, ordererIndexes, ordererPorts, peersPerOrg } from './orgs.ts';
import { paths } from './paths.ts';
import { run, waitFor } from './proc.ts';
import { peerAdminEnv } from './nodes/fabric-nodes.ts';
import { httpsGet } from './nodes/https.ts';
import { hostAddress, ORDERERS } from './topology.ts';

export const genesisBlock = (): string => join(paths.channelArtifacts, `${CHANNEL}.block`);

/** The channel's genesis block from configtx.yaml (this machine's by default; the compose bootstrap passes its own). */
export async function createGenesisBlock(bins: Binaries, configtxYaml: string = configtx()): Promise<void> {
  if (existsSync(genesisBlock())) return;
  mkdirSync(paths.channelArtifacts, { recursive: true });
  mkdirSync(paths.config, { recursive: true });
  writeFileSync(join(paths.config, 'configtx.yaml'), configtxYaml);
  await run(bins.paths.configtxgen, [
    '-profile',
    'CoffeeExportChannel',
    '-outputBlock',
    genesisBlock(),
    '-channelID',
    CHANNEL,
    '-configPath',
    paths.config,
  ]);
}

function osnadminArgs(i: number): string[] {
  const admin = join(cryptoPaths.ordererAdmin(), 'tls');
  return [
    '-o',
    `${hostAddress(ORDERERS)}:${ordererPorts(i).admin}`,
    '--ca-file',
    cryptoPaths.ordererTlsCaCert(),
    '--client-cert',
    join(admin, 'client.crt'),
    '--client-key',
    join(admin, 'client.key'),
  ];
}

/**
 * osnadmin against an orderer whose admin listener may not be up yet: an orderer reports healthy on its
 * operations port before it opens the admin port, so a refused connection is retried for a while.
 */
async function osnadmin(bins: Binaries, args: string[]): Promise<{ stdout: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await run(bins.paths.osnadmin, args);
    } catch (e: unknown) {
      if (Date.now() > deadline || !/connection refused/.test(e instanceof Error ? e.message : String(e)))
        throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Joins every orderer that has not joined yet (idempotent). */
export async function joinOrderers(bins: Binaries): Promise<void> {
  await Promise.all(
    ordererIndexes().map(async (i) => {
      const list = await osnadmin(bins, ['channel', 'list', ...osnadminArgs(i)]);
      if (list.stdout.includes(`"name": "${CHANNEL}"`) || list.stdout.includes(`"name":"${CHANNEL}"`)) return;
      await run(bins.paths.osnadmin, [
        'channel',
        'join',
        '--channelID',
        CHANNEL,
        '--config-block',
        genesisBlock(),
        ...osnadminArgs(i),
      ]);
    }),
  );
}

export async function joinPeers(bins: Binaries): Promise<void> {
  const jobs = PEER_ORGS.flatMap((org) =>
    Array.from({ length: peersPerOrg() }, (_, index) => async () => {
      const env = peerAdminEnv(bins, org, index);
      const list = await run(bins.paths.peer, ['channel', 'list'], { env });
      if (list.stdout.split('\n').some((l) => l.trim() === CHANNEL)) return;
      await run(bins.paths.peer, ['channel', 'join', '-b', genesisBlock()], { env });
    }),
  );
  await Promise.all(jobs.map((j) => j()));
}

/**
 * The channel's height on an orderer, from the channel participation API (its ledger, not a metrics gauge,
 * which an orderer only sets when it writes a block).
 */
export async function ordererHeight(bins: Binaries, i: number): Promise<number | undefined> {
  try {
    const { stdout } = await run(bins.paths.osnadmin, [
      'channel',
      'list',
      '--channelID',
      CHANNEL,
      ...osnadminArgs(i),
    ]);
    const info = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { height?: unknown };
    return typeof info.height === 'number' ? info.height : undefined;
  } catch {
    return undefined;
  }
}

/** Parses one Prometheus gauge for the channel from a metrics page. */
export function metric(page: string, name: string): number | undefined {
  for (const line of page.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(`channel="${CHANNEL}"`)) {
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(value)) return value;
    }
  }
  return undefined;
}

export async function ordererMetrics(i: number): Promise<string> {
  const tls = join(cryptoPaths.orderer(i), 'tls');
  const admin = join(cryptoPaths.ordererAdmin(), 'tls');
  const res = await httpsGet(`https://${hostAddress(ORDERERS)}:${ordererPorts(i).operations}/metrics`, {
    ca: join(tls, 'ca.crt'),
    cert: join(admin, 'client.crt'),
    key: join(admin, 'client.key'),
  });
  return res.body;
}

/** The orderer currently leading the channel's Raft cluster, if any (operations metrics). */
export async function raftLeader(): Promise<number | undefined> {
  for (const i of ordererIndexes()) {
    try {
      if (metric(await ordererMetrics(i), 'consensus_etcdraft_is_leader') === 1) return i;
    } catch {
      // that orderer is down
    }
  }
  return undefined;
}

export async function waitForLeader(timeoutMs = 30_000): Promise<number> {
  let leader: number | undefined;
  await waitFor(
    'Raft leader election',
    async () => {
      leader = await raftLeader();
      return leader !== undefined;
    },
    timeoutMs,
  );
  return leader!;
}
