/**
 * The launcher's view of the consortium: the org table of @coffee/consortium, placed on this machine. Names and
 * roles come from the package; this file adds what only a single-machine deployment needs (port blocks shifted by
 * COFFEE_PORT_OFFSET, the layout inside each block, chaincode servers).
 */
import { CHANNEL, ORDERER_ORG as ORDERER_DEFINITION, ORGS, type OrgDefinition } from '@coffee/consortium';

export { CHANNEL };

export interface PeerOrg {
  /** Short id used in paths, URLs and npm script arguments. */
  readonly id: string;
  readonly mspId: string;
  readonly displayName: string;
  /** DNS-style domain used in certificate names (and as host names in docker-compose). */
  readonly domain: string;
  /** First port of the org's block of 100 (see ports()), with the port offset applied. */
  readonly portBase: number;
  /** Port of this org's gateway (../shared/spec/gateways.md), with the port offset applied. */
  readonly gatewayPort: number;
}

export interface OrdererOrg {
  readonly id: string;
  readonly mspId: string;
  readonly domain: string;
  readonly portBase: number;
  readonly ordererCount: number;
}

export const MAX_PORT_OFFSET = 24_000;

/**
 * Shifts every port of the network and the gateways (COFFEE_PORT_OFFSET, default 0), so that a second network
 * — the test suite's — can run beside a developer's `npm start` on the same machine.
 */
export function portOffset(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.COFFEE_PORT_OFFSET ?? '0';
  const offset = Number(raw);
  // Every port stays below 32768, where Linux's ephemeral range starts (a peer's outgoing connection could
  // otherwise take a port the stack needs).
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_PORT_OFFSET || offset % 100 !== 0) {
    throw new Error(
      `COFFEE_PORT_OFFSET must be a multiple of 100 between 0 and ${MAX_PORT_OFFSET} (ports stay below the ephemeral range), got '${raw}'`,
    );
  }
  return offset;
}

/** An org of the package's table, its ports read from COFFEE_PORT_OFFSET when asked for (not at import). */
function placed(def: OrgDefinition): PeerOrg {
  return {
    id: def.id,
    mspId: def.mspId,
    displayName: def.displayName,
    domain: def.domain,
    get portBase() {
      return def.defaultPortBase + portOffset();
    },
    get gatewayPort() {
      return def.defaultGatewayPort + portOffset();
    },
  };
}

export const PEER_ORGS: readonly PeerOrg[] = ORGS.map(placed);

export const ORDERER_ORG: OrdererOrg = {
  id: ORDERER_DEFINITION.id,
  mspId: ORDERER_DEFINITION.mspId,
  domain: ORDERER_DEFINITION.domain,
  get portBase() {
    return ORDERER_DEFINITION.defaultPortBase + portOffset();
  },
  ordererCount: ORDERER_DEFINITION.ordererCount,
};

/** The chaincodes deployed on the channel; each runs as one chaincode server per peer org. */
export interface ChaincodeSpec {
  readonly name: string;
  /** Workspace directory holding the chaincode's package.json. */
  readonly dir: string;
  /** Offset of the chaincode server port inside the org's port block. */
  readonly portOffset: number;
  /** Private data collections file (relative to dir), if any. */
  readonly collections?: string;
  /**
   * The chaincode-level endorsement policy, if not the channel's MAJORITY. It applies only to keys without a
   * key-level policy of their own (new keys, index entries, price rows).
   */
  readonly signaturePolicy?: string;
}

export const CHAINCODES: readonly ChaincodeSpec[] = [
  {
    name: 'coffee-export',
    dir: 'chaincode/coffee-export',
    portOffset: 20,
    collections: 'collections_config.json',
    // ECTA's peer and one other org's: every export transition is endorsed by ECTA and the org acting next, so
    // a create is one transaction of two tradeTerms members and the status index can move with the record.
    // Every export record, tracking log and the deadlines carry key-level policies of their own.
    signaturePolicy:
      "AND('ECTAMSP.peer', OR('CommercialBankMSP.peer', 'NationalBankMSP.peer', 'ECXMSP.peer', 'ShippingLineMSP.peer', 'CustomsMSP.peer'))",
  },
  { name: 'user-management', dir: 'chaincode/user-management', portOffset: 21 },
];

/** The chaincode-level endorsement policy (network.md): a majority of the six peer orgs. */
export const ENDORSEMENT_POLICY = '/Channel/Application/Endorsement';

/**
 * Port layout inside an org's block of 100 ports (portBase + offset), all on 127.0.0.1 (on the org's own address in
 * the netns topology: topology.ts):
 *   peerN: listen +1+10N, chaincode callback +2+10N, operations +3+10N
 *   CA: +4, CA operations +5
 *   chaincode servers: +20 (coffee-export), +21 (user-management)
 *   IPFS: RPC API +30, swarm +31
 */
export interface PeerPorts {
  readonly listen: number;
  readonly chaincode: number;
  readonly operations: number;
}

export function peerPorts(org: PeerOrg, index = 0): PeerPorts {
  const base = org.portBase + index * 10;
  return { listen: base + 1, chaincode: base + 2, operations: base + 3 };
}

export function caPorts(org: { portBase: number }): { listen: number; operations: number } {
  return { listen: org.portBase + 4, operations: org.portBase + 5 };
}

export interface OrdererPorts {
  readonly listen: number;
  readonly admin: number;
  readonly operations: number;
}

/** Orderer i (1-based) of the orderer org: 7010/7011/7012, 7020/..., 7030/... */
export function ordererPorts(i: number): OrdererPorts {
  const base = ORDERER_ORG.portBase + i * 10;
  return { listen: base, admin: base + 1, operations: base + 2 };
}

export function chaincodePort(org: PeerOrg, cc: ChaincodeSpec): number {
  return org.portBase + cc.portOffset;
}

export function ipfsPorts(org: PeerOrg): { api: number; swarm: number } {
  return { api: org.portBase + 30, swarm: org.portBase + 31 };
}

export function peerName(org: PeerOrg, index = 0): string {
  return `peer${index}.${org.id}`;
}

export function ordererName(i: number): string {
  return `orderer${i}`;
}

export function ordererHost(i: number): string {
  return `orderer${i}.${ORDERER_ORG.domain}`;
}

export function peerHost(org: PeerOrg, index = 0): string {
  return `peer${index}.${org.domain}`;
}

export function findOrg(id: string): PeerOrg {
  const org = PEER_ORGS.find((o) => o.id === id || o.mspId === id);
  if (!org) {
    throw new Error(`unknown organization '${id}' (known: ${PEER_ORGS.map((o) => o.id).join(', ')})`);
  }
  return org;
}

export function ordererIndexes(): number[] {
  return Array.from({ length: ORDERER_ORG.ordererCount }, (_, i) => i + 1);
}

/** How many peers each org runs: 1 by default, 2 with COFFEE_PEERS_PER_ORG=2 (failover tests). */
export function peersPerOrg(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.COFFEE_PEERS_PER_ORG ?? '1';
  if (raw !== '1' && raw !== '2') {
    throw new Error(`COFFEE_PEERS_PER_ORG must be 1 or 2, got '${raw}'`);
  }
  return Number(raw);
}

/** Prometheus' default port (monitoring.ts runs it), shifted like every other port of the stack. */
export const PROMETHEUS_BASE_PORT = 9090;
export const prometheusPort = (env: NodeJS.ProcessEnv = process.env): number =>
  PROMETHEUS_BASE_PORT + portOffset(env);
/** The run's Prometheus: the launcher's own address space (in the netns topology the root namespace). */
export const prometheusUrl = (env: NodeJS.ProcessEnv = process.env): string =>
  `http://127.0.0.1:${prometheusPort(env)}`;
