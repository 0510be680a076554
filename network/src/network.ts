/** Brings the whole network up, down, and reports its status. */
import { rmSync } from 'node:fs';
import { ensureBinaries, type Binaries } from './binaries.ts';
import {
  createGenesisBlock,
  joinOrderers,
  joinPeers,
  metric,
  ordererHeight,
  waitForLeader,
} from './channel.ts';
import { generateCrypto } from './crypto.ts';
import { deployChaincodes, queryCommitted, type CommittedDefinition } from './lifecycle.ts';
import { info, step } from './log.ts';
import { waitForEndorsement } from './gateway.ts';
import { caNode, ordererNode, peerNode, waitReady, type NodeHandle } from './nodes/fabric-nodes.ts';
import { httpsGet } from './nodes/https.ts';
import { serverName } from './nodes/chaincode-server.ts';
import { CHAINCODES, PEER_ORGS, ordererIndexes, peersPerOrg } from './orgs.ts';
import { assertProductionReady } from './mode.ts';
import { runDir } from './paths.ts';
import { secrets } from './secrets.ts';
import { allRecords, isAlive, readRecord, running, stopProcess } from './proc.ts';
import { ensureNamespaces, removeNamespaces } from './netns.ts';
import { topology } from './topology.ts';

export function fabricNodes(bins: Binaries): NodeHandle[] {
  const s = secrets();
  return [
    ...PEER_ORGS.map((org) => caNode(bins, org, s.caAdmins[org.id]!)),
    ...ordererIndexes().map((i) => ordererNode(bins, i)),
    ...PEER_ORGS.flatMap((org) => Array.from({ length: peersPerOrg() }, (_, i) => peerNode(bins, org, i))),
  ];
}

function chaincodeServerNames(): string[] {
  return PEER_ORGS.flatMap((org) => CHAINCODES.map((cc) => serverName(org, cc)));
}

export interface UpResult {
  alreadyRunning: boolean;
  fresh: boolean;
  chaincodes: CommittedDefinition[];
  seconds: number;
}

export async function up(): Promise<UpResult> {
  const t0 = Date.now();
  // Production: every secret from the operator, none a development default (mode.ts), before anything starts.
  assertProductionReady();
  // COFFEE_TOPOLOGY (topology.ts): an unknown value stops here, before anything is built or started.
  const where = topology();
  const bins = await step('Fabric, Fabric CA and IPFS binaries', ensureBinaries);
  const nodes = fabricNodes(bins);
  const names = [...nodes.map((n) => n.name), ...chaincodeServerNames()];
  if (names.every((n) => running(n))) {
    info('the network is already running (npm run network:status for details)');
    return { alreadyRunning: true, fresh: false, chaincodes: [], seconds: 0 };
  }
  // The netns topology's hosts (netns.ts) before anything names their addresses; nothing in loopback.
  if (where === 'netns')
    await step('hosts: one network namespace per org and one for the orderers', () =>
      Promise.resolve(ensureNamespaces()),
    );
  const fresh = await step('crypto material', () => generateCrypto(bins));
  await step('channel genesis block', () => createGenesisBlock(bins));
  await step(`start ${nodes.length} nodes (CAs, orderers, peers)`, async () => {
    for (const node of nodes) await node.start();
    await Promise.all(nodes.map((n) => waitReady(n)));
  });
  await step('orderers join the channel; Raft elects a leader', async () => {
    await joinOrderers(bins);
    const leader = await waitForLeader();
    info(`  Raft leader: orderer${leader}`);
  });
  await step('peers join the channel', () => joinPeers(bins));
  const chaincodes = await step('chaincodes (build, servers, install, approve, commit)', () =>
    deployChaincodes(bins),
  );
  await step('every org can get transactions endorsed (service discovery ready)', () => waitForEndorsement());
  const seconds = (Date.now() - t0) / 1000;
  info(`network up in ${seconds.toFixed(1)} s`);
  return { alreadyRunning: false, fresh, chaincodes, seconds };
}

export interface DownResult {
  stopped: string[];
}

/**
 * Stop order: clients of the ledger first (portal, gateways), then chaincode servers, peers, orderers, and
 * last what the others use (IPFS, PostgreSQL, CAs).
 */
const STOP_GROUPS: readonly ((name: string) => boolean)[] = [
  (n) => n === 'portal' || n.startsWith('gateway.'),
  (n) => n.startsWith('cc.'),
  (n) => n.startsWith('peer'),
  (n) => n.startsWith('orderer'),
  () => true,
];

/**
 * PostgreSQL's fast shutdown is SIGINT: SIGTERM ("smart") waits for every client to leave and would end in a
 * SIGKILL that leaves a stale lock file behind.
 */
const STOP_SIGNAL: Readonly<Record<string, NodeJS.Signals>> = { postgres: 'SIGINT' };

/** Stops every process the launcher recorded — network, off-chain nodes, gateways, portal — each by its pid. */
export async function down(opts: { purge?: boolean } = {}): Promise<DownResult> {
  const group = (name: string): number => STOP_GROUPS.findIndex((matches) => matches(name));
  const records = allRecords();
  const stopped: string[] = [];
  for (let g = 0; g < STOP_GROUPS.length; g++) {
    const batch = records.filter((r) => group(r.name) === g);
    const results = await Promise.all(
      batch.map(async (r) =>
        (await stopProcess(r.name, 15_000, STOP_SIGNAL[r.name.split('.')[0]!])) ? r.name : undefined,
      ),
    );
    stopped.push(...results.filter((n): n is string => n !== undefined));
  }
  // The netns topology's namespaces, veths, bridge and hosts files, as runDir()/netns.json names them.
  const removed = removeNamespaces();
  if (removed.length > 0) info(`removed the netns hosts: ${removed.join(', ')}`);
  if (opts.purge) rmSync(runDir(), { recursive: true, force: true });
  return { stopped };
}

export interface NodeStatus {
  name: string;
  kind: string;
  running: boolean;
  pid?: number;
  height?: number;
  leader?: boolean;
}

export interface NetworkStatus {
  nodes: NodeStatus[];
  chaincodes: CommittedDefinition[];
}

async function height(bins: Binaries, node: NodeHandle): Promise<{ height?: number; leader?: boolean }> {
  try {
    const page = (await httpsGet(`${node.operationsUrl}/metrics`, node.operationsTls)).body;
    if (node.kind === 'orderer') {
      const i = Number(node.name.replace('orderer', ''));
      return {
        height: await ordererHeight(bins, i),
        leader: metric(page, 'consensus_etcdraft_is_leader') === 1,
      };
    }
    return { height: metric(page, 'ledger_blockchain_height') };
  } catch {
    return {};
  }
}

export async function status(bins: Binaries): Promise<NetworkStatus> {
  const nodes = fabricNodes(bins);
  const result: NodeStatus[] = await Promise.all(
    nodes.map(async (node) => {
      const rec = readRecord(node.name);
      const alive = rec !== undefined && isAlive(rec);
      const base: NodeStatus = {
        name: node.name,
        kind: node.kind,
        running: alive,
        pid: alive ? rec.pid : undefined,
      };
      if (!alive || node.kind === 'ca') return base;
      return { ...base, ...(await height(bins, node)) };
    }),
  );
  for (const name of chaincodeServerNames()) {
    const rec = readRecord(name);
    const alive = rec !== undefined && isAlive(rec);
    result.push({ name, kind: 'chaincode', running: alive, pid: alive ? rec.pid : undefined });
  }
  const chaincodes: CommittedDefinition[] = [];
  if (result.some((n) => n.kind === 'peer' && n.running)) {
    for (const cc of CHAINCODES) {
      try {
        const def = await queryCommitted(bins, cc.name);
        if (def) chaincodes.push(def);
      } catch {
        // peer not answering
      }
    }
  }
  return { nodes: result, chaincodes };
}
