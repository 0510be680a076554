/**
 * One kubo (IPFS) node per org, joined in a private swarm: one swarm key (runDir()/ipfs-swarm.key, 0600) copied
 * into every repo, LIBP2P_FORCE_PNET=1 (refuse to start without it), no bootstrap peers, no public routing,
 * MDNS and AutoConf off, RPC API and swarm on 127.0.0.1 only (the org's address in the netns topology: topology.ts),
 * HTTP gateway disabled. The nodes keep each other connected through Peering.Peers, so any org's node fetches a
 * document another org added.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBinaries, type Binaries } from '../binaries.ts';
import { info } from '../log.ts';
import { PEER_ORGS, ipfsPorts, type PeerOrg } from '../orgs.ts';
import { paths, runDir } from '../paths.ts';
import { logFile, run, running, startProcess, stopProcess, waitFor } from '../proc.ts';
import { hostAddress } from '../topology.ts';

export const ipfsNodeName = (org: PeerOrg): string => `ipfs.${org.id}`;
export const ipfsRepo = (org: PeerOrg): string => join(paths.data, `ipfs.${org.id}`);
const swarmKeyFile = (): string => join(runDir(), 'ipfs-swarm.key');

/** The org's kubo RPC API base URL (what kubo-rpc-client takes). IPFS_API_URL_<ORG_ID> overrides. */
export function ipfsApiUrl(org: PeerOrg, env: NodeJS.ProcessEnv = process.env): string {
  return (
    env[`IPFS_API_URL_${org.id.toUpperCase().replace(/-/g, '_')}`] ??
    `http://${hostAddress(org)}:${ipfsPorts(org).api}`
  );
}

function swarmKey(): string {
  if (!existsSync(swarmKeyFile())) {
    mkdirSync(runDir(), { recursive: true });
    writeFileSync(swarmKeyFile(), `/key/swarm/psk/1.0.0/\n/base16/\n${randomBytes(32).toString('hex')}\n`, {
      mode: 0o600,
    });
  }
  return swarmKeyFile();
}

function ipfsEnv(org: PeerOrg): NodeJS.ProcessEnv {
  return { ...process.env, IPFS_PATH: ipfsRepo(org), LIBP2P_FORCE_PNET: '1', IPFS_TELEMETRY: 'off' };
}

function peerId(org: PeerOrg): string {
  const config = JSON.parse(readFileSync(join(ipfsRepo(org), 'config'), 'utf8')) as {
    Identity: { PeerID: string };
  };
  return config.Identity.PeerID;
}

/** Creates and configures the org's repo (once; the configuration is re-applied on every start). */
async function initRepo(ipfs: string, org: PeerOrg): Promise<void> {
  const env = ipfsEnv(org);
  if (!existsSync(join(ipfsRepo(org), 'config'))) {
    mkdirSync(ipfsRepo(org), { recursive: true, mode: 0o700 });
    // The `test` profile: loopback addresses, no bootstrap, MDNS and AutoConf off, no NAT port mapping.
    await run(ipfs, ['init', '--profile=test', '--empty-repo'], { env });
  }
  copyFileSync(swarmKey(), join(ipfsRepo(org), 'swarm.key'));
}

async function configure(ipfs: string, org: PeerOrg): Promise<void> {
  // The org's host (topology.ts): 127.0.0.1, or its namespace's address; peers are dialled by address.
  await applySwarmSettings(
    ipfs,
    ipfsEnv(org),
    swarmSettings(org, hostAddress(org), (o) => `/ip4/${hostAddress(o)}/tcp/${ipfsPorts(o).swarm}`, peerId),
  );
}

/**
 * One org's kubo settings in the consortium's private swarm: the RPC API and the swarm listening on `listenIp`,
 * announced (and dialled by the other nodes) at `dialAt(org)`, peered with every other org's node, and nothing that
 * reaches beyond the swarm (no DHT, MDNS, relays, NAT mapping or extra transports). Used by the native nodes and by
 * the compose bootstrap (compose-bootstrap.ts), each with its own addresses.
 */
export function swarmSettings(
  org: PeerOrg,
  listenIp: string,
  dialAt: (o: PeerOrg) => string,
  peerIdOf: (o: PeerOrg) => string,
): [key: string, value: unknown][] {
  const ports = ipfsPorts(org);
  return [
    ['Addresses.API', `/ip4/${listenIp}/tcp/${ports.api}`],
    ['Addresses.Gateway', []],
    ['Addresses.Swarm', [`/ip4/${listenIp}/tcp/${ports.swarm}`]],
    ['Addresses.Announce', [dialAt(org)]],
    ['AutoConf.Enabled', false],
    ['AutoTLS.Enabled', false],
    ['Discovery.MDNS.Enabled', false],
    // No DHT: content is found among the directly connected (peered) nodes by bitswap.
    ['Routing.Type', 'none'],
    ['Provide.Enabled', false],
    ['Swarm.DisableNatPortMap', true],
    ['Swarm.RelayClient.Enabled', false],
    ['Swarm.RelayService.Enabled', false],
    ['Swarm.Transports.Network.QUIC', false],
    ['Swarm.Transports.Network.WebTransport', false],
    ['Swarm.Transports.Network.WebRTCDirect', false],
    ['Swarm.Transports.Network.Websocket', false],
    [
      'Peering.Peers',
      PEER_ORGS.filter((o) => o.id !== org.id).map((o) => ({ ID: peerIdOf(o), Addrs: [dialAt(o)] })),
    ],
  ];
}

/** Writes `settings` into the repo that `env.IPFS_PATH` names, after removing kubo's public bootstrap list. */
export async function applySwarmSettings(
  ipfs: string,
  env: NodeJS.ProcessEnv,
  settings: [key: string, value: unknown][],
): Promise<void> {
  await run(ipfs, ['bootstrap', 'rm', '--all'], { env });
  for (const [key, value] of settings)
    await run(ipfs, ['config', '--json', key, JSON.stringify(value)], { env });
}

async function apiReady(org: PeerOrg): Promise<boolean> {
  const res = await fetch(`${ipfsApiUrl(org)}/api/v0/id`, {
    method: 'POST',
    signal: AbortSignal.timeout(2000),
  });
  return res.ok;
}

/** Starts the org's kubo node (initialising every org's repo first, so peering knows every peer id). */
export async function ensureIpfs(
  org: PeerOrg,
  bins?: Binaries,
): Promise<{ pid: number; apiUrl: string; peerId: string }> {
  const ipfs = (bins ?? (await ensureBinaries())).paths.ipfs;
  const existing = running(ipfsNodeName(org));
  if (existing) {
    await waitFor(`IPFS node of ${org.id}`, () => apiReady(org), 30_000, logFile(ipfsNodeName(org)));
    return { pid: existing.pid, apiUrl: ipfsApiUrl(org), peerId: peerId(org) };
  }
  for (const o of PEER_ORGS) await initRepo(ipfs, o);
  await configure(ipfs, org);
  const ports = ipfsPorts(org);
  const rec = await startProcess({
    name: ipfsNodeName(org),
    command: ipfs,
    args: ['daemon', '--migrate=false'],
    env: ipfsEnv(org),
    host: org.id,
    ports: [
      { port: ports.api, what: `IPFS RPC API of ${org.id}` },
      { port: ports.swarm, what: `IPFS swarm of ${org.id}` },
    ],
  });
  await waitFor(`IPFS node of ${org.id}`, () => apiReady(org), 60_000, logFile(ipfsNodeName(org)));
  await connectPeers(org);
  return { pid: rec.pid, apiUrl: ipfsApiUrl(org), peerId: peerId(org) };
}

/**
 * Dials every other running node at once (Peering.Peers keeps the connections afterwards, but its first
 * attempts back off while the other nodes are still starting).
 */
export async function connectPeers(org: PeerOrg): Promise<number> {
  let connected = 0;
  for (const o of PEER_ORGS) {
    if (o.id === org.id || !running(ipfsNodeName(o))) continue;
    const addr = `/ip4/${hostAddress(o)}/tcp/${ipfsPorts(o).swarm}/p2p/${peerId(o)}`;
    try {
      const res = await fetch(`${ipfsApiUrl(org)}/api/v0/swarm/connect?arg=${encodeURIComponent(addr)}`, {
        method: 'POST',
        signal: AbortSignal.timeout(5000),
      });
      if (res.ok) connected++;
    } catch {
      // that node is not answering yet; peering retries
    }
  }
  return connected;
}

/** Every org's node, started together. */
export async function ensureIpfsAll(): Promise<void> {
  const bins = await ensureBinaries();
  for (const o of PEER_ORGS) await initRepo(bins.paths.ipfs, o);
  await Promise.all(PEER_ORGS.map((o) => ensureIpfs(o, bins)));
  info(`  IPFS: ${PEER_ORGS.length} kubo nodes in a private swarm`);
}

export async function stopIpfs(org: PeerOrg): Promise<boolean> {
  return stopProcess(ipfsNodeName(org), 10_000);
}

export async function stopIpfsAll(): Promise<void> {
  await Promise.all(PEER_ORGS.map((o) => stopIpfs(o)));
}

/** Peer ids of the nodes the org's node is connected to right now. */
export async function swarmPeers(org: PeerOrg): Promise<string[]> {
  const res = await fetch(`${ipfsApiUrl(org)}/api/v0/swarm/peers`, { method: 'POST' });
  const body = (await res.json()) as { Peers: { Peer: string }[] | null };
  return (body.Peers ?? []).map((p) => p.Peer);
}
