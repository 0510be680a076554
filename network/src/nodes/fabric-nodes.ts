/**
 * One parameterised launcher per component kind: orderer, peer, Fabric CA. Each derives its environment
 * overrides of Fabric's shipped configuration (ORDERER_*, CORE_*, FABRIC_CA_SERVER_*) from the org data.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Binaries } from '../binaries.ts';
import { cryptoPaths } from '../crypto.ts';
import {
  ORDERER_ORG,
  caPorts,
  ordererName,
  ordererPorts,
  peerHost,
  peerName,
  peerPorts,
  peersPerOrg,
  type PeerOrg,
} from '../orgs.ts';
import { paths, profiling } from '../paths.ts';
import { UserError } from '../log.ts';
import { logFile, run, running, startProcess, waitFor, type ProcessRecord } from '../proc.ts';
import { healthy, type TlsFiles } from './https.ts';
import { endpointHost, hostAddress, ORDERERS } from '../topology.ts';

export interface NodeHandle {
  readonly name: string;
  readonly kind: 'orderer' | 'peer' | 'ca';
  readonly start: () => Promise<ProcessRecord>;
  /** What start() runs: also the source of the docker-compose service for this node. */
  readonly env: NodeJS.ProcessEnv;
  readonly args: readonly string[];
  readonly ports: readonly number[];
  readonly ready: () => Promise<boolean>;
  /** URL of the operations endpoint (health and Prometheus metrics). */
  readonly operationsUrl: string;
  /** TLS files for the operations endpoint: its CA, and an admin client certificate (needed for /metrics). */
  readonly operationsTls: TlsFiles;
}

/** Fabric log levels of every node; COFFEE_FABRIC_LOGGING_SPEC overrides (e.g. 'info:orderer.common.cluster=debug'). */
const logging = (): string =>
  process.env.COFFEE_FABRIC_LOGGING_SPEC ?? 'info:gossip,grpc,comm.grpc.server=warning';

function base(bins: Binaries): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    FABRIC_CFG_PATH: bins.fabricConfigDir,
    FABRIC_LOGGING_SPEC: logging(),
  };
}

export function ordererNode(bins: Binaries, i: number): NodeHandle {
  const name = ordererName(i);
  const ports = ordererPorts(i);
  const dir = cryptoPaths.orderer(i);
  const tls = join(dir, 'tls');
  const data = join(paths.data, name);
  // The ordering service's host (topology.ts): 127.0.0.1, or its namespace's address.
  const addr = hostAddress(ORDERERS);
  const opsUrl = `https://${addr}:${ports.operations}`;
  const env: NodeJS.ProcessEnv = {
    ...base(bins),
    ORDERER_GENERAL_LISTENADDRESS: addr,
    ORDERER_GENERAL_LISTENPORT: String(ports.listen),
    ORDERER_GENERAL_LOCALMSPID: ORDERER_ORG.mspId,
    ORDERER_GENERAL_LOCALMSPDIR: join(dir, 'msp'),
    ORDERER_GENERAL_TLS_ENABLED: 'true',
    ORDERER_GENERAL_TLS_PRIVATEKEY: join(tls, 'server.key'),
    ORDERER_GENERAL_TLS_CERTIFICATE: join(tls, 'server.crt'),
    ORDERER_GENERAL_TLS_ROOTCAS: `[${join(tls, 'ca.crt')}]`,
    // Raft traffic shares the TLS listener; the cluster client uses the node's own TLS pair.
    ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE: join(tls, 'server.crt'),
    ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY: join(tls, 'server.key'),
    ORDERER_GENERAL_CLUSTER_ROOTCAS: `[${join(tls, 'ca.crt')}]`,
    // A follower forwarding a transaction to a leader that just died waits this long before answering
    // SERVICE_UNAVAILABLE (default 7 s); on loopback 2 s is ample and lets clients retry sooner.
    ORDERER_GENERAL_CLUSTER_RPCTIMEOUT: '2s',
    ORDERER_GENERAL_BOOTSTRAPMETHOD: 'none',
    ORDERER_CHANNELPARTICIPATION_ENABLED: 'true',
    ORDERER_ADMIN_LISTENADDRESS: `${addr}:${ports.admin}`,
    ORDERER_ADMIN_TLS_ENABLED: 'true',
    ORDERER_ADMIN_TLS_CERTIFICATE: join(tls, 'server.crt'),
    ORDERER_ADMIN_TLS_PRIVATEKEY: join(tls, 'server.key'),
    ORDERER_ADMIN_TLS_ROOTCAS: `[${join(tls, 'ca.crt')}]`,
    ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED: 'true',
    ORDERER_ADMIN_TLS_CLIENTROOTCAS: `[${join(tls, 'ca.crt')}]`,
    ORDERER_OPERATIONS_LISTENADDRESS: `${addr}:${ports.operations}`,
    ORDERER_OPERATIONS_TLS_ENABLED: 'true',
    ORDERER_OPERATIONS_TLS_CERTIFICATE: join(tls, 'server.crt'),
    ORDERER_OPERATIONS_TLS_PRIVATEKEY: join(tls, 'server.key'),
    ORDERER_OPERATIONS_TLS_CLIENTAUTHREQUIRED: 'false',
    ORDERER_OPERATIONS_TLS_CLIENTROOTCAS: `[${join(tls, 'ca.crt')}]`,
    ORDERER_METRICS_PROVIDER: 'prometheus',
    // Go profiling endpoint (COFFEE_PROFILE=1, or COFFEE_ORDERER_PPROF=1 for orderers alone): operations port + 5.
    ...(profiling() || process.env.COFFEE_ORDERER_PPROF === '1'
      ? {
          ORDERER_GENERAL_PROFILE_ENABLED: 'true',
          ORDERER_GENERAL_PROFILE_ADDRESS: `${addr}:${ports.operations + 5}`,
        }
      : {}),
    ORDERER_FILELEDGER_LOCATION: join(data, 'ledger'),
    ORDERER_CONSENSUS_WALDIR: join(data, 'etcdraft', 'wal'),
    ORDERER_CONSENSUS_SNAPDIR: join(data, 'etcdraft', 'snapshot'),
  };
  return {
    name,
    kind: 'orderer',
    env,
    args: [],
    ports: [ports.listen, ports.admin, ports.operations],
    operationsUrl: opsUrl,
    operationsTls: {
      ca: join(tls, 'ca.crt'),
      cert: join(cryptoPaths.ordererAdmin(), 'tls', 'client.crt'),
      key: join(cryptoPaths.ordererAdmin(), 'tls', 'client.key'),
    },
    start: () => {
      mkdirSync(data, { recursive: true });
      return startProcess({
        name,
        command: bins.paths.orderer,
        args: [],
        env,
        host: ORDERERS,
        ports: [
          { port: ports.listen, what: `${name} listener` },
          { port: ports.admin, what: `${name} admin` },
          { port: ports.operations, what: `${name} operations` },
        ],
      });
    },
    ready: () => healthy(`${opsUrl}/healthz`, { ca: join(tls, 'ca.crt') }),
  };
}

/** Environment of a peer CLI call acting as the org's admin against the given peer. */
export function peerAdminEnv(bins: Binaries, org: PeerOrg, index = 0): NodeJS.ProcessEnv {
  return {
    ...base(bins),
    CORE_PEER_TLS_ENABLED: 'true',
    CORE_PEER_LOCALMSPID: org.mspId,
    CORE_PEER_MSPCONFIGPATH: join(cryptoPaths.admin(org), 'msp'),
    CORE_PEER_ADDRESS: `${hostAddress(org)}:${peerPorts(org, index).listen}`,
    CORE_PEER_TLS_ROOTCERT_FILE: cryptoPaths.tlsCaCert(org),
    CORE_PEER_CLIENT_CONNTIMEOUT: '10s',
  };
}

export function peerNode(bins: Binaries, org: PeerOrg, index = 0): NodeHandle {
  const name = peerName(org, index);
  const ports = peerPorts(org, index);
  const dir = cryptoPaths.peer(org, index);
  const tls = join(dir, 'tls');
  const data = join(paths.data, name);
  // The org's host (topology.ts): it listens on 127.0.0.1 or its namespace's address; other peers know it by
  // that address (loopback) or by its host name (netns, resolved from the namespace's hosts file).
  const addr = hostAddress(org);
  const opsUrl = `https://${addr}:${ports.operations}`;
  const self = `${endpointHost(peerHost(org, index))}:${ports.listen}`;
  // Gossip bootstrap: the org's other peer when there are two, else itself (the anchor peer does the rest).
  const other = index === 0 ? 1 : 0;
  const bootstrap =
    peersPerOrg() > 1 ? `${endpointHost(peerHost(org, other))}:${peerPorts(org, other).listen}` : self;
  const env: NodeJS.ProcessEnv = {
    ...base(bins),
    CORE_PEER_ID: `peer${index}.${org.domain}`,
    CORE_PEER_ADDRESS: self,
    CORE_PEER_LISTENADDRESS: `${addr}:${ports.listen}`,
    CORE_PEER_CHAINCODEADDRESS: `${addr}:${ports.chaincode}`,
    CORE_PEER_CHAINCODELISTENADDRESS: `${addr}:${ports.chaincode}`,
    CORE_PEER_GOSSIP_BOOTSTRAP: bootstrap,
    CORE_PEER_GOSSIP_EXTERNALENDPOINT: self,
    // Gossip timings for a one-machine network (defaults are tuned for WANs): peers started together find each
    // other's anchor peers within seconds instead of after the 25 s reconnect interval, and chaincode
    // installs/upgrades reach service discovery within a second or two.
    CORE_PEER_GOSSIP_RECONNECTINTERVAL: '2s',
    CORE_PEER_GOSSIP_ALIVETIMEINTERVAL: '1s',
    CORE_PEER_GOSSIP_ALIVEEXPIRATIONTIMEOUT: '6s',
    CORE_PEER_GOSSIP_PUBLISHSTATEINFOINTERVAL: '1s',
    CORE_PEER_GOSSIP_REQUESTSTATEINFOINTERVAL: '1s',
    CORE_PEER_GOSSIP_PULLINTERVAL: '1s',
    CORE_PEER_GOSSIP_MEMBERSHIPTRACKERINTERVAL: '1s',
    CORE_PEER_LOCALMSPID: org.mspId,
    CORE_PEER_MSPCONFIGPATH: join(dir, 'msp'),
    CORE_PEER_TLS_ENABLED: 'true',
    CORE_PEER_TLS_CERT_FILE: join(tls, 'server.crt'),
    CORE_PEER_TLS_KEY_FILE: join(tls, 'server.key'),
    CORE_PEER_TLS_ROOTCERT_FILE: join(tls, 'ca.crt'),
    CORE_PEER_FILESYSTEMPATH: join(data, 'ledger'),
    CORE_LEDGER_SNAPSHOTS_ROOTDIR: join(data, 'snapshots'),
    CORE_LEDGER_STATE_STATEDATABASE: 'goleveldb',
    CORE_OPERATIONS_LISTENADDRESS: `${addr}:${ports.operations}`,
    CORE_OPERATIONS_TLS_ENABLED: 'true',
    CORE_OPERATIONS_TLS_CERT_FILE: join(tls, 'server.crt'),
    CORE_OPERATIONS_TLS_KEY_FILE: join(tls, 'server.key'),
    CORE_OPERATIONS_TLS_CLIENTAUTHREQUIRED: 'false',
    CORE_OPERATIONS_TLS_CLIENTROOTCAS_FILES: join(tls, 'ca.crt'),
    CORE_METRICS_PROVIDER: 'prometheus',
    // Reconnect to another orderer quickly when the one delivering blocks goes away.
    CORE_PEER_DELIVERYCLIENT_RECONNECTBACKOFFTHRESHOLD: '2s',
    // Not set on purpose: gRPC keepalive on block delivery (2 s) let peers leave a frozen orderer (case 4 of
    // `npm run faults`: 20 s of no writes → 11 s) but lengthened the write gap after a killed leader from about 3 s to
    // about 5 s in four runs out of four (case 2); docs/operations.md, known limits.
    CORE_PEER_GATEWAY_ENABLED: 'true',
    CORE_PEER_GATEWAY_ENDORSEMENTTIMEOUT: '30s',
    CORE_PEER_GATEWAY_BROADCASTTIMEOUT: '30s',
    CORE_CHAINCODE_EXECUTETIMEOUT: '30s',
    // Go profiling endpoint (COFFEE_PROFILE=1; docs/bench.md): operations port + 3, free in the org's block.
    ...(profiling()
      ? {
          CORE_PEER_PROFILE_ENABLED: 'true',
          CORE_PEER_PROFILE_LISTENADDRESS: `${addr}:${ports.operations + 3}`,
        }
      : {}),
  };
  return {
    name,
    kind: 'peer',
    env,
    args: ['node', 'start'],
    ports: [ports.listen, ports.chaincode, ports.operations],
    operationsUrl: opsUrl,
    operationsTls: {
      ca: join(tls, 'ca.crt'),
      cert: join(cryptoPaths.admin(org), 'tls', 'client.crt'),
      key: join(cryptoPaths.admin(org), 'tls', 'client.key'),
    },
    start: () => {
      mkdirSync(data, { recursive: true });
      return startProcess({
        name,
        command: bins.paths.peer,
        args: ['node', 'start'],
        env,
        host: org.id,
        ports: [
          { port: ports.listen, what: `${name} listener` },
          { port: ports.chaincode, what: `${name} chaincode listener` },
          { port: ports.operations, what: `${name} operations` },
        ],
      });
    },
    ready: () => healthy(`${opsUrl}/healthz`, { ca: join(tls, 'ca.crt') }),
  };
}

export function caName(org: PeerOrg): string {
  return `ca.${org.id}`;
}

/**
 * The org's Fabric CA, signing with the org's root CA key (the one in the channel MSP), so users it enrolls
 * are members of the org. Registry: SQLite under .run/data/ca.<org>.
 *
 * The bootstrap identity comes from the environment (FABRIC_CA_SERVER_BOOT, what `-b` would set: fabric-ca's
 * flags are viper keys with that prefix), never from the command line, where `ps` shows it to every user of the
 * machine. And only once: `fabric-ca-server init` (its output discarded) writes it into the CA's own
 * configuration file (0600) and registry; the long-running `start` runs without it, because fabric-ca logs its
 * settings at start and its filter of sensitive lines misses `boot`. (docker-compose.yaml has no init step: its
 * CA gets the variable, from .env.) Every enrollment secret is single-use: the registry's limit is 1, so
 * identities registered without their own limit (and the bootstrap identity) enroll once.
 */
export function caNode(bins: Binaries, org: PeerOrg, adminPassword: string): NodeHandle {
  const name = caName(org);
  const ports = caPorts(org);
  const home = join(paths.data, name);
  const tls = cryptoPaths.tlsServer(org, `ca.${org.domain}`);
  const addr = hostAddress(org);
  const opsUrl = `https://${addr}:${ports.operations}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    FABRIC_CA_HOME: home,
    FABRIC_CA_SERVER_CA_NAME: `ca-${org.id}`,
    FABRIC_CA_SERVER_ADDRESS: addr,
    FABRIC_CA_SERVER_PORT: String(ports.listen),
    FABRIC_CA_SERVER_CA_CERTFILE: cryptoPaths.caCert(org),
    FABRIC_CA_SERVER_CA_KEYFILE: cryptoPaths.caKey(org),
    FABRIC_CA_SERVER_TLS_ENABLED: 'true',
    FABRIC_CA_SERVER_TLS_CERTFILE: join(tls, 'server.crt'),
    FABRIC_CA_SERVER_TLS_KEYFILE: join(tls, 'server.key'),
    FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS: `${addr}:${ports.operations}`,
    FABRIC_CA_SERVER_OPERATIONS_TLS_ENABLED: 'true',
    FABRIC_CA_SERVER_OPERATIONS_TLS_CERT_FILE: join(tls, 'server.crt'),
    FABRIC_CA_SERVER_OPERATIONS_TLS_KEY_FILE: join(tls, 'server.key'),
    FABRIC_CA_SERVER_METRICS_PROVIDER: 'prometheus',
    FABRIC_CA_SERVER_BOOT: `admin:${adminPassword}`,
    FABRIC_CA_SERVER_REGISTRY_MAXENROLLMENTS: '1',
  };
  const startEnv = Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'FABRIC_CA_SERVER_BOOT'));
  const configFile = join(home, 'fabric-ca-server-config.yaml');
  return {
    name,
    kind: 'ca',
    env,
    args: ['start'],
    ports: [ports.listen, ports.operations],
    operationsUrl: opsUrl,
    operationsTls: { ca: join(tls, 'ca.crt') },
    start: async () => {
      mkdirSync(home, { recursive: true });
      if (!running(name) && !existsSync(configFile))
        await run(bins.paths['fabric-ca-server'], ['init'], { env });
      // It holds the bootstrap password (a CA initialised before this was written has it 0644).
      if (existsSync(configFile)) chmodSync(configFile, 0o600);
      return startProcess({
        name,
        command: bins.paths['fabric-ca-server'],
        args: ['start'],
        env: startEnv,
        host: org.id,
        ports: [
          { port: ports.listen, what: `${name} listener` },
          { port: ports.operations, what: `${name} operations` },
        ],
      });
    },
    ready: () => healthy(`${opsUrl}/healthz`, { ca: join(tls, 'ca.crt') }),
  };
}

/** Polls the node's health endpoint; fails at once, with the log's last lines, if the process died. */
export function waitReady(node: NodeHandle, timeoutMs = 30_000): Promise<void> {
  return waitFor(
    node.name,
    async () => {
      if (!running(node.name)) {
        const tail = readFileSync(logFile(node.name), 'utf8').trim().split('\n').slice(-5).join('\n');
        throw new UserError(
          `${node.name} exited during start-up; last lines of ${logFile(node.name)}:\n${tail}`,
        );
      }
      return node.ready();
    },
    timeoutMs,
    logFile(node.name),
  );
}
