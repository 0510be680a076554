/* eslint-disable @typescript-eslint/no-unsafe-member-access -- HTTP response bodies are untyped JSON here */
/**
 * The faults' hands and eyes on the stack: kill, freeze and restart a node by the pid the launcher recorded; find
 * the Raft leader; wait until every peer holds the same chain and every gateway's read model has projected it;
 * prove that every acknowledged write is still there.
 */
import pg from 'pg';
import { ensureBinaries, type Binaries } from '../../src/binaries.ts';
import { CHANNEL, PEER_ORGS, type PeerOrg } from '../../src/orgs.ts';
import { fabricNodes } from '../../src/network.ts';
import { peerAdminEnv, waitReady } from '../../src/nodes/fabric-nodes.ts';
import { databaseUrl, ensurePostgres, stopPostgres } from '../../src/nodes/postgres.ts';
import { ensureIpfs, stopIpfs } from '../../src/nodes/ipfs.ts';
import { isAlive, readRecord, run } from '../../src/proc.ts';
import { status } from '../../src/network.ts';
import {
  gatewayRunning,
  http,
  killGateway,
  org,
  startGateway,
  type Session,
} from '../../../gateways/test/support/stack.ts';
import type { Ack } from './load.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let binaries: Binaries | undefined;
export async function bins(): Promise<Binaries> {
  binaries ??= await ensureBinaries();
  return binaries;
}

/** The pid of a running node the launcher recorded, or undefined. */
export function pidOf(name: string): number | undefined {
  const rec = readRecord(name);
  return rec && isAlive(rec) ? rec.pid : undefined;
}

export function signal(name: string, sig: NodeJS.Signals): number {
  const pid = pidOf(name);
  if (pid === undefined) throw new Error(`${name} is not running`);
  process.kill(pid, sig);
  return pid;
}

/** SIGKILL, then waits until the process is gone. */
export async function kill(name: string): Promise<void> {
  const pid = signal(name, 'SIGKILL');
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(25);
  }
}

/** Starts a Fabric node (orderer, peer, CA) of the launcher again and waits until it is ready. */
export async function restartFabricNode(name: string, readyWithinMs = 60_000): Promise<void> {
  const node = fabricNodes(await bins()).find((n) => n.name === name);
  if (!node) throw new Error(`no Fabric node ${name}`);
  if (pidOf(name) === undefined) await node.start();
  if (readyWithinMs > 0) await waitReady(node, readyWithinMs);
}

export async function restartGateway(orgId: string): Promise<void> {
  if (!gatewayRunning(org(orgId))) await startGateway(org(orgId));
}

export function killGatewayOf(orgId: string): void {
  killGateway(org(orgId));
}

export { ensurePostgres, stopPostgres, ensureIpfs, stopIpfs };

/** The Raft leader (orderer index), from the orderers' operations metrics. */
export async function leader(timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(await bins());
    const l = s.nodes.find((n) => n.kind === 'orderer' && n.running && n.leader);
    if (l) return Number(l.name.replace('orderer', ''));
    if (Date.now() > deadline) throw new Error('no Raft leader');
    await sleep(250);
  }
}

export interface ChainInfo {
  readonly org: string;
  readonly height: number;
  readonly hash: string;
}

/** One peer's view of the channel (peer channel getinfo as the org's admin). */
export async function chainInfo(o: PeerOrg): Promise<ChainInfo> {
  const { stdout } = await run((await bins()).paths.peer, ['channel', 'getinfo', '-c', CHANNEL], {
    env: peerAdminEnv(await bins(), o),
  });
  const parsed = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
    height: number;
    currentBlockHash: string;
  };
  return { org: o.id, height: parsed.height, hash: parsed.currentBlockHash };
}

/** The next block each org's projector will read (its read model holds every block below it). */
export async function projected(o: PeerOrg): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl(o.id) });
  await client.connect();
  try {
    const r = await client.query<{ next_block: string }>('SELECT next_block FROM projector_checkpoint');
    return Math.min(...r.rows.map((row) => Number(row.next_block)));
  } finally {
    await client.end();
  }
}

export interface Convergence {
  readonly ms: number;
  readonly height: number;
  readonly forks: number;
}

/**
 * Waits until every peer reports the same height and block hash, and every gateway's read model has projected
 * that height; the time it took. `forks` counts the distinct hashes seen at one common height (must be 0 extra).
 */
export async function converge(timeoutMs = 120_000): Promise<Convergence> {
  const t0 = Date.now();
  let last = '';
  for (;;) {
    try {
      const infos = await Promise.all(PEER_ORGS.map((o) => chainInfo(o)));
      const heights = new Set(infos.map((i) => i.height));
      if (heights.size === 1) {
        const hashes = new Set(infos.map((i) => i.hash));
        const height = infos[0]!.height;
        if (hashes.size > 1) return { ms: Date.now() - t0, height, forks: hashes.size - 1 };
        const reads = await Promise.all(PEER_ORGS.map((o) => projected(o)));
        if (reads.every((next) => next >= height)) return { ms: Date.now() - t0, height, forks: 0 };
        last = `read models at ${reads.join('/')} of ${height}`;
      } else {
        last = `heights ${infos.map((i) => `${i.org}=${i.height}`).join(' ')}`;
      }
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`no convergence in ${timeoutMs / 1000} s: ${last}`);
    await sleep(500);
  }
}

const RANK: readonly string[] = ['SUBMITTED', 'CONTRACT_REGISTERED'];

/**
 * Every acknowledged write, checked on the ledger (GET /exports/{id} evaluates on the commercial bank's peer) and in
 * the read model (the exporter's list): the export exists and is at least as far as acknowledged. Returns what was
 * lost (empty: nothing).
 */
export async function lostWrites(acks: readonly Ack[], reader: Session): Promise<string[]> {
  const furthest = new Map<string, string>();
  for (const a of acks) {
    const before = furthest.get(a.exportId);
    if (before === undefined || RANK.indexOf(a.status) > RANK.indexOf(before))
      furthest.set(a.exportId, a.status);
  }
  const lost: string[] = [];
  for (const [exportId, acked] of furthest) {
    const r = await http(reader.org, 'GET', `/api/v1/exports/${exportId}`, { token: reader.token });
    const now = r.status === 200 ? (r.body.status as string) : `HTTP ${r.status}`;
    const rank = RANK.indexOf(now);
    if (rank < RANK.indexOf(acked) || (rank === -1 && r.status !== 200))
      lost.push(`${exportId}: acked ${acked}, now ${now}`);
  }
  return lost;
}
