/**
 * Where each node of the stack lives: its host address, the host names it answers to, and (in the netns
 * topology) the Linux network namespace it runs in. COFFEE_TOPOLOGY chooses:
 *
 * - `loopback` (default): every node on 127.0.0.1 of this machine, exactly as the launcher always did.
 * - `netns`: one host per org (its CA, peers, chaincode servers, gateway, PostgreSQL, kubo) and one for the ordering
 *   service, each a network namespace of its own with one address on a private bridge (netns.ts). Fabric nodes
 *   reach each other by host name (the shared names of docs/deploy.md, resolved from a hosts file per namespace);
 *   the launcher, the tests and the portal stay in the root namespace and dial addresses, which every TLS
 *   certificate names too.
 *
 * Everything here is pure but topology() and recordedTopology(), which read the environment and the run
 * directory: a run directory set up for one topology keeps it (its certificates name those addresses).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHAINCODES, ORDERER_ORG, PEER_ORGS, ordererIndexes, peersPerOrg, type PeerOrg } from './orgs.ts';
import { UserError } from './log.ts';
import { runDir } from './paths.ts';

export type Topology = 'loopback' | 'netns';

export const LOOPBACK = '127.0.0.1';
export const DEFAULT_NETNS_SUBNET = '10.231.0.0/24';
/** The portal's shared host name (it runs in the root namespace, at the bridge's address). */
export const PORTAL_HOST = 'portal.coffee.local';

/** The owner of a host: a peer org (by id) or the ordering service. */
export type HostKey = string;
export const ORDERERS: HostKey = 'orderers';

/** What a netns run directory records (runDir()/netns.json), written by netns.ts when it creates the hosts. */
export interface TopologyRecord {
  readonly topology: 'netns';
  readonly subnet: string;
  readonly tag: string;
  readonly bridge: string;
  readonly namespaces: readonly string[];
  readonly hostVeths: readonly string[];
  readonly hostsDirs: readonly string[];
}

export const topologyRecordFile = (dir: string = runDir()): string => join(dir, 'netns.json');

export function recordedTopology(dir: string = runDir()): TopologyRecord | undefined {
  const file = topologyRecordFile(dir);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<TopologyRecord>;
    return parsed.topology === 'netns' ? (parsed as TopologyRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** COFFEE_TOPOLOGY as given (unset or empty: none), validated. */
export function requestedTopology(env: NodeJS.ProcessEnv = process.env): Topology | undefined {
  const raw = env.COFFEE_TOPOLOGY;
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'loopback' || raw === 'netns') return raw;
  throw new UserError(
    `COFFEE_TOPOLOGY must be 'loopback' (the default: every node on 127.0.0.1) or 'netns' (one Linux network namespace per org and one for the orderers, docs/deploy.md), got '${raw}'`,
  );
}

/**
 * The topology of this run: COFFEE_TOPOLOGY, else what the run directory recorded, else loopback. A run
 * directory whose crypto material was made for the other topology is refused (its certificates would not name
 * the addresses the nodes listen on).
 */
export function topology(env: NodeJS.ProcessEnv = process.env, dir: string = runDir(env)): Topology {
  const requested = requestedTopology(env);
  const recorded = recordedTopology(dir) ? 'netns' : undefined;
  if (requested === undefined) return recorded ?? 'loopback';
  const hasCrypto = existsSync(join(dir, 'crypto', 'peerOrganizations'));
  const actual = recorded ?? (hasCrypto ? 'loopback' : undefined);
  if (actual !== undefined && actual !== requested)
    throw new UserError(
      `the run directory ${dir} was set up for COFFEE_TOPOLOGY=${actual}, not ${requested}: its certificates name other addresses. Use ${actual}, or another COFFEE_RUN_DIR, or \`network:down -- --purge\` first`,
    );
  return requested;
}

export const netnsMode = (env: NodeJS.ProcessEnv = process.env): boolean => topology(env) === 'netns';

/** A parsed IPv4 subnet: network address as a number and prefix length. */
export interface Subnet {
  readonly network: number;
  readonly prefix: number;
}

const ipToInt = (ip: string): number => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
export const intToIp = (n: number): string =>
  [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/**
 * COFFEE_NETNS_SUBNET (default 10.231.0.0/24): an IPv4 network of at least 32 addresses (prefix 16 to 27), given
 * by its network address. Private ranges only, so nothing of the stack leaves the machine by accident.
 */
export function parseSubnet(raw: string): Subnet {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(raw);
  const parts = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : NaN;
  const bad = (why: string): never => {
    throw new UserError(
      `COFFEE_NETNS_SUBNET must be a private IPv4 network like 10.231.0.0/24: ${why} ('${raw}')`,
    );
  };
  if (!m || parts.some((p) => p > 255)) bad('not an address/prefix');
  if (prefix < 16 || prefix > 27) bad('prefix must be between 16 and 27 (at least 32 addresses)');
  const network = ipToInt(parts.join('.'));
  const size = 2 ** (32 - prefix);
  if (network % size !== 0)
    bad(
      `not a network address (host bits set; did you mean ${intToIp(network - (network % size))}/${prefix}?)`,
    );
  const [a, b] = parts as [number, number];
  const isPrivate = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  if (!isPrivate) bad('not in 10/8, 172.16/12 or 192.168/16');
  return { network, prefix };
}

/** One host of the netns topology. */
export interface HostPlan {
  readonly key: HostKey;
  readonly namespace: string;
  readonly address: string;
  /** The bridge-side end of its veth pair (in the root namespace). */
  readonly hostVeth: string;
  /** Its end's name while being created, before it moves into the namespace (where it is renamed eth0). */
  readonly tempVeth: string;
  /** Host names that resolve to its address (the shared names of docs/deploy.md). */
  readonly names: readonly string[];
}

export interface AddressPlan {
  readonly subnet: string;
  readonly prefix: number;
  /** Short hash of the run directory: keeps two run directories' namespaces and interfaces apart. */
  readonly tag: string;
  readonly bridge: string;
  readonly bridgeAddress: string;
  readonly hosts: readonly HostPlan[];
}

/** Host names of one org (docs/deploy.md, "Multi-host"). */
export function orgHostNames(org: PeerOrg, peerCount = peersPerOrg()): string[] {
  return [
    `ca.${org.domain}`,
    ...Array.from({ length: peerCount }, (_, i) => `peer${i}.${org.domain}`),
    ...CHAINCODES.map((cc) => chaincodeHostName(org, cc.name)),
    `gateway.${org.domain}`,
    `postgres.${org.domain}`,
    `ipfs.${org.domain}`,
  ];
}

export const chaincodeHostName = (org: { domain: string }, chaincode: string): string =>
  `cc-${chaincode}.${org.domain}`;

export const ordererHostNames = (): string[] =>
  ordererIndexes().map((i) => `orderer${i}.${ORDERER_ORG.domain}`);

/**
 * The address plan: the bridge takes the subnet's first address, the ordering service +10, the orgs +11, +12, …
 * in the order of the org table. Interface names stay within Linux's 15 characters.
 */
export function addressPlan(
  opts: { runDir?: string; subnet?: string; peerCount?: number } = {},
): AddressPlan {
  // A run directory keeps the subnet it was set up with (its certificates name those addresses).
  const dir = opts.runDir ?? runDir();
  const recorded = recordedTopology(dir)?.subnet;
  const wanted = process.env.COFFEE_NETNS_SUBNET;
  if (opts.subnet === undefined && recorded && wanted && wanted !== recorded)
    throw new UserError(
      `the run directory ${dir} uses COFFEE_NETNS_SUBNET=${recorded}, not ${wanted}: its certificates name those addresses`,
    );
  const subnet = opts.subnet ?? recorded ?? wanted ?? DEFAULT_NETNS_SUBNET;
  const { network, prefix } = parseSubnet(subnet);
  const tag = createHash('sha256').update(dir).digest('hex').slice(0, 4);
  const peerCount = opts.peerCount ?? peersPerOrg();
  const host = (key: HostKey, index: number, names: string[]): HostPlan => ({
    key,
    namespace: `coffee-${tag}-${key}`,
    address: intToIp(network + 10 + index),
    hostVeth: `cf${tag}h${index}`,
    tempVeth: `cf${tag}n${index}`,
    names,
  });
  return {
    subnet,
    prefix,
    tag,
    bridge: `cfbr${tag}`,
    bridgeAddress: intToIp(network + 1),
    hosts: [
      host(ORDERERS, 0, ordererHostNames()),
      ...PEER_ORGS.map((org, i) => host(org.id, i + 1, orgHostNames(org, peerCount))),
    ],
  };
}

/** The hosts file every namespace gets (/etc/netns/<ns>/hosts, which `ip netns exec` mounts over /etc/hosts). */
export function hostsFile(plan: AddressPlan): string {
  const lines = [
    '# Written by the Coffee Export launcher (network/src/netns.ts) for its netns topology; removed on stop.',
    '127.0.0.1\tlocalhost',
    `${plan.bridgeAddress}\t${PORTAL_HOST}`,
    ...plan.hosts.map((h) => `${h.address}\t${h.names.join(' ')}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The command that runs `command args` inside the namespace: `ip netns exec` execs in place (same pid). */
export function wrapCommand(
  namespace: string,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  return { command: 'ip', args: ['netns', 'exec', namespace, command, ...args] };
}

function keyOf(owner: PeerOrg | HostKey): HostKey {
  return typeof owner === 'string' ? owner : owner.id;
}

function planned(owner: PeerOrg | HostKey): HostPlan {
  const key = keyOf(owner);
  const host = addressPlan().hosts.find((h) => h.key === key);
  if (!host) throw new Error(`no host planned for '${key}'`);
  return host;
}

/** The address a node of `owner` listens on and the root namespace dials: 127.0.0.1 in loopback. */
export function hostAddress(owner: PeerOrg | HostKey): string {
  return netnsMode() ? planned(owner).address : LOOPBACK;
}

/**
 * The host part of an endpoint Fabric nodes dial among themselves (gossip, anchor peers, orderer endpoints, Raft
 * consenters, chaincode servers): the node's host name in netns, 127.0.0.1 in loopback.
 */
export function endpointHost(hostName: string): string {
  return netnsMode() ? hostName : LOOPBACK;
}

/** The namespace a node of `owner` runs in, or undefined (loopback: the machine's own). */
export function namespaceOf(owner: PeerOrg | HostKey): string | undefined {
  return netnsMode() ? planned(owner).namespace : undefined;
}

/**
 * Extra subject alternative names for a certificate of `owner`'s node: its host's address and the given host
 * names (netns); none in loopback, where every certificate names localhost and 127.0.0.1 as always.
 */
export function extraSans(owner: PeerOrg | HostKey, hostNames: readonly string[] = []): string[] {
  return netnsMode() ? [...hostNames, planned(owner).address] : [];
}

/** What the run records of its netns hosts, for `down` to remove exactly those. */
export function recordOf(plan: AddressPlan): TopologyRecord {
  return {
    topology: 'netns',
    subnet: plan.subnet,
    tag: plan.tag,
    bridge: plan.bridge,
    namespaces: plan.hosts.map((h) => h.namespace),
    hostVeths: plan.hosts.map((h) => h.hostVeth),
    hostsDirs: plan.hosts.map((h) => join('/etc/netns', h.namespace)),
  };
}
