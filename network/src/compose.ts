/**
 * docker-compose.yaml for people with Docker: the whole stack from a fresh clone with `docker compose up`,
 * generated from the org table and the launcher's own node definitions (a test compares the committed file with
 * this generator's output, so the two cannot drift).
 *
 * - Every node is a container on one user-defined bridge network, reached by the shared host names (ca.<org
 *   domain>, peer0.<org domain>, orderer<i>.<orderer domain>, cc-<chaincode>.<org domain>, gateway.<org domain>,
 *   postgres.<org domain>, ipfs.<org domain>, portal.coffee.local). Each keeps the native port layout, so the
 *   environment of a node is the launcher's, with its own host name where the launcher says 127.0.0.1 and
 *   0.0.0.0 where it listens.
 * - Two one-shot services of the bootstrap image (network/Dockerfile, network/src/compose-bootstrap.ts):
 *   `init` before every node (crypto material, TLS certificates, the channel's genesis block, kubo repositories
 *   and swarm key, chaincode packages) and `bootstrap` once the nodes are healthy (orderers and peers join the
 *   channel, chaincode lifecycle, the gateways' identities and configuration files).
 * - State lives in named volumes: one per org for its crypto material, one per node for its data. The Postgres
 *   volumes belong to postgres:17 alone: the native launcher's embedded PostgreSQL data directory is never mounted.
 * - Only the portal and the gateways are published, on 127.0.0.1. Secrets come from .env (.env.example).
 *
 * docker-compose 1.29 (Debian's) and Docker Compose v2 both accept the file: no top-level `name:` (1.29 rejects
 * it; COMPOSE_PROJECT_NAME in .env names the project), `depends_on` with conditions.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Binaries, BinaryName } from './binaries.ts';
import { FABRIC_CA_VERSION, FABRIC_VERSION, KUBO_VERSION } from './binaries.ts';
import { caName, caNode, ordererNode, peerNode, type NodeHandle } from './nodes/fabric-nodes.ts';
import { serverName } from './nodes/chaincode-server.ts';
import { gatewayNodeName } from './nodes/gateway.ts';
import { ipfsNodeName } from './nodes/ipfs.ts';
import { databaseName, PG_USER } from './nodes/postgres.ts';
import { cryptoPaths } from './crypto.ts';
import {
  CHAINCODES,
  PEER_ORGS,
  caPorts,
  chaincodePort,
  ordererHost,
  ordererIndexes,
  ordererPorts,
  peerHost,
  peerPorts,
  type ChaincodeSpec,
  type PeerOrg,
} from './orgs.ts';
import { REPO_ROOT, runDir } from './paths.ts';
import { PORTAL_HOST, chaincodeHostName } from './topology.ts';

/** The run directory inside every container of ours and the Fabric ones (COFFEE_RUN_DIR of the bootstrap image). */
export const IN_CONTAINER_RUN = '/var/coffee/run';
/** The Fabric images' own configuration directory (their core.yaml already lists the ccaas builder). */
const IMAGE_CFG = '/etc/hyperledger/fabric';
/** The one bridge network every service is on. */
const NETWORK = 'coffee';
/** The portal's port inside its container and on 127.0.0.1 of the host. */
export const PORTAL_PORT = 3000;
/** The user our Node images run as (node:20's `node`), and the one kubo's image runs its daemon as. */
export const CONTAINER_UID = 1000;

/** Host names shared with the multi-host topology and the Helm chart (docs/deploy.md). */
export const composeHosts = {
  ca: (org: PeerOrg): string => `ca.${org.domain}`,
  peer: (org: PeerOrg): string => peerHost(org, 0),
  orderer: (i: number): string => ordererHost(i),
  chaincode: (org: PeerOrg, cc: ChaincodeSpec): string => chaincodeHostName(org, cc.name),
  gateway: (org: PeerOrg): string => `gateway.${org.domain}`,
  postgres: (org: PeerOrg): string => `postgres.${org.domain}`,
  ipfs: (org: PeerOrg): string => `ipfs.${org.domain}`,
  portal: PORTAL_HOST,
} as const;

/** `ECTA`, `COMMERCIAL_BANK`: the suffix of an org's variables in .env. */
export const envSuffix = (org: PeerOrg): string => org.id.toUpperCase().replace(/-/g, '_');

/** The variables of .env, each with what it is for: .env.example is checked against this list (tests). */
export const COMPOSE_VARIABLES = {
  caAdminPassword: (org: PeerOrg): string => `CA_ADMIN_PASSWORD_${envSuffix(org)}`,
  postgresPassword: (org: PeerOrg): string => `POSTGRES_PASSWORD_${envSuffix(org)}`,
  portalProxySecret: 'PORTAL_PROXY_SECRET',
} as const;

/** Our images' tag: the root package.json version (a new version regenerates the file: the drift test). */
export function imageTag(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}

const required = (name: string, what: string): string => `\${${name}:?${what}; see .env.example}`;

/** Where the bootstrap image's paths (COFFEE_RUN_DIR=/var/coffee/run) put a file of this machine's run directory. */
function mapPath(value: string): string {
  return value.split(runDir()).join(IN_CONTAINER_RUN).split(REPO_ROOT).join('/app');
}

/** Named volumes: their names, and where they are mounted (the same path in every container that mounts one). */
export const composeVolumes = {
  crypto: (org: PeerOrg): { name: string; path: string } => ({
    name: `crypto.${org.id}`,
    path: mapPath(cryptoPaths.peerOrg(org)),
  }),
  ordererCrypto: (): { name: string; path: string } => ({
    name: 'crypto.orderer',
    path: mapPath(cryptoPaths.ordererOrg()),
  }),
  /** A node's data directory (ledger, CA registry, kubo repository): runDir()/data/<node name>. */
  data: (node: string): { name: string; path: string } => ({
    name: `data.${node}`,
    path: `${IN_CONTAINER_RUN}/data/${node}`,
  }),
  gateway: (org: PeerOrg): { name: string; path: string } => ({
    name: `gateway.${org.id}`,
    path: `${IN_CONTAINER_RUN}/gateways/${org.id}`,
  }),
  webTls: { name: 'web-tls', path: `${IN_CONTAINER_RUN}/tls` },
  /** The bootstrap services' own state: configtx, channel block, chaincode packages, enrolled identities. */
  state: { name: 'bootstrap-state', path: IN_CONTAINER_RUN },
};

const mount = (v: { name: string; path: string }, ro = false): string =>
  `${v.name}:${v.path}${ro ? ':ro' : ''}`;

/** The file init writes for a chaincode server: the package id its org installed (peers call it by that id). */
export const packageIdFile = (org: PeerOrg, cc: ChaincodeSpec): string =>
  `${cryptoPaths.tlsServer(org, composeHosts.chaincode(org, cc))}/package-id`;

/**
 * A Fabric node's environment in a container: its run-directory paths mapped, `127.0.0.1` as a listen address
 * becomes 0.0.0.0 and anywhere else the node's own host name (the launcher's nodes name only themselves).
 */
function containerEnv(env: NodeJS.ProcessEnv, host: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(env).sort()) {
    const value = env[key];
    if (value === undefined || key === 'PATH' || key === 'HOME') continue;
    const listens = /LISTENADDRESS$|^FABRIC_CA_SERVER_ADDRESS$|PROFILE_ADDRESS$/.test(key);
    out[key] = mapPath(value)
      .split('127.0.0.1')
      .join(listens ? '0.0.0.0' : host);
  }
  return out;
}

function networks(...aliases: string[]): Record<string, unknown> | string[] {
  return aliases.length > 0 ? { [NETWORK]: { aliases } } : [NETWORK];
}

const every = (interval = '5s', retries = 30): Record<string, unknown> => ({
  interval,
  timeout: '5s',
  retries,
  start_period: '10s',
});

/** TCP probe from inside an Alpine-based Fabric image (busybox nc). */
const tcpProbe = (port: number): Record<string, unknown> => ({
  test: ['CMD-SHELL', `nc -z 127.0.0.1 ${port}`],
  ...every(),
});

/** HTTPS GET probe with Node (our images), trusting the given CA file. */
const httpsProbe = (port: number, path: string, caFile: string): Record<string, unknown> => ({
  test: [
    'CMD',
    'node',
    '-e',
    `require('https').get({host:'127.0.0.1',port:${port},path:'${path}',ca:require('fs').readFileSync('${caFile}'),timeout:4000},(r)=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))`,
  ],
  ...every('10s'),
});

/** TCP probe with Node (our chaincode image). */
const nodeTcpProbe = (port: number): Record<string, unknown> => ({
  test: [
    'CMD',
    'node',
    '-e',
    `require('net').connect(${port},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`,
  ],
  ...every(),
});

const healthy = { condition: 'service_healthy' };
const completed = { condition: 'service_completed_successfully' };

/** Our images: built from a Dockerfile of the repository, tagged with the root package.json version. */
function ours(
  kind: 'bootstrap' | 'gateway' | 'portal' | 'chaincode',
  dockerfile: string,
): Record<string, unknown> {
  return {
    image: `coffee-export/${kind}:${imageTag()}`,
    build: { context: '.', dockerfile },
  };
}

function fabricService(
  node: NodeHandle,
  host: string,
  image: string,
  command: string,
): Record<string, unknown> {
  return {
    image,
    hostname: host,
    command: [command, ...node.args.map(mapPath)],
    environment: containerEnv(node.env, host),
    networks: networks(host),
    restart: 'unless-stopped',
  };
}

function placeholderBinaries(): Binaries {
  const names: BinaryName[] = [
    'peer',
    'orderer',
    'configtxgen',
    'osnadmin',
    'cryptogen',
    'fabric-ca-server',
    'fabric-ca-client',
    'ipfs',
  ];
  return {
    paths: Object.fromEntries(names.map((n) => [n, n])) as Record<BinaryName, string>,
    fabricConfigDir: IMAGE_CFG,
  };
}

export const INIT_SERVICE = 'init';
export const BOOTSTRAP_SERVICE = 'bootstrap';
export const PORTAL_SERVICE = 'portal';
export const postgresService = (org: PeerOrg): string => `postgres.${org.id}`;

/**
 * The launcher's settings that shape a node's definition, pinned while the file is generated, so that it is the
 * same whatever this machine's environment and run directory say: the run directory is the containers' own
 * (none exists on this machine: loopback topology, nothing recorded), the default port layout, one peer per org,
 * no profiling, the default log levels.
 */
const PINNED_ENV: Readonly<Record<string, string | undefined>> = {
  COFFEE_RUN_DIR: IN_CONTAINER_RUN,
  COFFEE_TOPOLOGY: 'loopback',
  COFFEE_PORT_OFFSET: '0',
  COFFEE_PEERS_PER_ORG: '1',
  COFFEE_PROFILE: undefined,
  COFFEE_ORDERER_PPROF: undefined,
  COFFEE_FABRIC_LOGGING_SPEC: undefined,
  COFFEE_CHAINCODE_LOG_LEVEL: undefined,
};

function withPinnedEnv<T>(fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(PINNED_ENV).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(PINNED_ENV);
  try {
    return fn();
  } finally {
    set(saved);
  }
}

type ComposeModel = { services: Record<string, Record<string, unknown>>; [k: string]: unknown };

/** The compose document as an object (the tests inspect it; composeDocument() prints it). */
export function composeModel(): ComposeModel {
  return withPinnedEnv(buildModel);
}

function buildModel(): ComposeModel {
  const bins = placeholderBinaries();
  const services: Record<string, Record<string, unknown>> = {};
  const volumes = new Set<string>();
  const use = (v: { name: string; path: string }, ro = false): string => {
    volumes.add(v.name);
    return mount(v, ro);
  };
  const stateVolumes = (): string[] => [
    use(composeVolumes.state),
    ...PEER_ORGS.map((o) => use(composeVolumes.crypto(o))),
    use(composeVolumes.ordererCrypto()),
    use(composeVolumes.webTls),
  ];
  const secretsEnv: Record<string, string> = {
    COFFEE_RUN_DIR: IN_CONTAINER_RUN,
    [COMPOSE_VARIABLES.portalProxySecret]: required(
      COMPOSE_VARIABLES.portalProxySecret,
      'the secret the portal shares with the gateways',
    ),
  };
  for (const org of PEER_ORGS) {
    const ca = COMPOSE_VARIABLES.caAdminPassword(org);
    const pg = COMPOSE_VARIABLES.postgresPassword(org);
    secretsEnv[ca] = required(ca, `the bootstrap password of the ${org.id} CA`);
    secretsEnv[pg] = required(pg, `the password of the ${org.id} database`);
  }

  // One-shot: everything the nodes read before they start.
  services[INIT_SERVICE] = {
    ...ours('bootstrap', 'network/Dockerfile'),
    command: ['init'],
    // Root only to hand the fresh named volumes to the images' users (uid 1000) once written; docs/deploy.md.
    user: '0:0',
    environment: secretsEnv,
    volumes: [...stateVolumes(), ...PEER_ORGS.map((o) => use(composeVolumes.data(ipfsNodeName(o))))],
    networks: networks(),
    restart: 'no',
  };

  const fabricDeps: Record<string, unknown> = {};
  for (const org of PEER_ORGS) {
    const node = caNode(
      bins,
      org,
      required(COMPOSE_VARIABLES.caAdminPassword(org), 'the CA bootstrap password'),
    );
    const host = composeHosts.ca(org);
    const tlsCa = mapPath(cryptoPaths.tlsCaCert(org));
    services[node.name] = {
      ...fabricService(node, host, `hyperledger/fabric-ca:${FABRIC_CA_VERSION}`, 'fabric-ca-server'),
      volumes: [use(composeVolumes.crypto(org), true), use(composeVolumes.data(caName(org)))],
      healthcheck: {
        test: [
          'CMD',
          'fabric-ca-client',
          'getcainfo',
          '-u',
          `https://localhost:${caPorts(org).listen}`,
          '--caname',
          `ca-${org.id}`,
          '--tls.certfiles',
          tlsCa,
          '-H',
          '/tmp/healthcheck',
        ],
        ...every(),
      },
      depends_on: { [INIT_SERVICE]: completed },
    };
    fabricDeps[node.name] = healthy;
  }
  for (const i of ordererIndexes()) {
    const node = ordererNode(bins, i);
    services[node.name] = {
      ...fabricService(node, ordererHost(i), `hyperledger/fabric-orderer:${FABRIC_VERSION}`, 'orderer'),
      volumes: [use(composeVolumes.ordererCrypto(), true), use(composeVolumes.data(node.name))],
      healthcheck: tcpProbe(ordererPorts(i).admin),
      depends_on: { [INIT_SERVICE]: completed },
    };
    fabricDeps[node.name] = healthy;
  }
  for (const org of PEER_ORGS) {
    const node = peerNode(bins, org, 0);
    services[node.name] = {
      ...fabricService(node, composeHosts.peer(org), `hyperledger/fabric-peer:${FABRIC_VERSION}`, 'peer'),
      volumes: [use(composeVolumes.crypto(org), true), use(composeVolumes.data(node.name))],
      healthcheck: tcpProbe(peerPorts(org).listen),
      depends_on: {
        [INIT_SERVICE]: completed,
        ...Object.fromEntries(ordererIndexes().map((i) => [`orderer${i}`, healthy])),
      },
    };
    fabricDeps[node.name] = healthy;
  }

  // One-shot after the nodes: channel joins, chaincode lifecycle, the gateways' identities and configuration.
  services[BOOTSTRAP_SERVICE] = {
    ...ours('bootstrap', 'network/Dockerfile'),
    command: ['bootstrap'],
    user: '0:0',
    environment: secretsEnv,
    volumes: [...stateVolumes(), ...PEER_ORGS.map((o) => use(composeVolumes.gateway(o)))],
    networks: networks(),
    restart: 'no',
    depends_on: { [INIT_SERVICE]: completed, ...fabricDeps },
  };

  for (const org of PEER_ORGS) {
    const ccDeps: Record<string, unknown> = {};
    for (const cc of CHAINCODES) {
      const host = composeHosts.chaincode(org, cc);
      const tls = mapPath(cryptoPaths.tlsServer(org, host));
      const port = chaincodePort(org, cc);
      const name = serverName(org, cc);
      services[name] = {
        ...ours('chaincode', 'chaincode/Dockerfile'),
        hostname: host,
        environment: {
          CHAINCODE: cc.name,
          CHAINCODE_ADDRESS: `0.0.0.0:${port}`,
          CHAINCODE_ID_FILE: mapPath(packageIdFile(org, cc)),
          CHAINCODE_TLS_DIR: tls,
          CORE_CHAINCODE_LOGGING_LEVEL: 'warning',
          NODE_ENV: 'production',
        },
        volumes: [use(composeVolumes.crypto(org), true)],
        networks: networks(host),
        healthcheck: nodeTcpProbe(port),
        restart: 'unless-stopped',
        depends_on: { [INIT_SERVICE]: completed },
      };
      ccDeps[name] = healthy;
    }

    const pgHost = composeHosts.postgres(org);
    services[postgresService(org)] = {
      image: 'postgres:17',
      hostname: pgHost,
      environment: {
        POSTGRES_USER: PG_USER,
        POSTGRES_PASSWORD: required(
          COMPOSE_VARIABLES.postgresPassword(org),
          `the ${org.id} database password`,
        ),
        POSTGRES_DB: databaseName(org.id),
      },
      // Its own volume, written by postgres:17 alone (never the embedded PostgreSQL's data directory).
      volumes: [use({ name: `data.${postgresService(org)}`, path: '/var/lib/postgresql/data' })],
      networks: networks(pgHost),
      healthcheck: {
        test: ['CMD', 'pg_isready', '-h', '127.0.0.1', '-U', PG_USER, '-d', databaseName(org.id)],
        ...every(),
      },
      restart: 'unless-stopped',
    };

    const ipfsHost = composeHosts.ipfs(org);
    const repo = composeVolumes.data(ipfsNodeName(org));
    services[ipfsNodeName(org)] = {
      image: `ipfs/kubo:v${KUBO_VERSION}`,
      hostname: ipfsHost,
      // The repository (identity, private-swarm key, addresses, peering) is made by init; the daemon only runs it.
      environment: { IPFS_PATH: repo.path, LIBP2P_FORCE_PNET: '1', IPFS_TELEMETRY: 'off' },
      command: ['daemon', '--migrate=false'],
      volumes: [use(repo)],
      networks: networks(ipfsHost),
      healthcheck: { test: ['CMD', 'ipfs', 'id'], ...every() },
      restart: 'unless-stopped',
      depends_on: { [INIT_SERVICE]: completed },
    };

    const gwHost = composeHosts.gateway(org);
    const gwDir = composeVolumes.gateway(org);
    services[gatewayNodeName(org)] = {
      ...ours('gateway', 'gateways/Dockerfile'),
      hostname: gwHost,
      environment: {
        COFFEE_GATEWAY_CONFIG: `${gwDir.path}/gateway.json`,
        // Inside its container the gateway listens on every address; the host publishes it on 127.0.0.1 only.
        HOST: '0.0.0.0',
      },
      volumes: [use(gwDir), use(composeVolumes.crypto(org), true)],
      ports: [`127.0.0.1:${org.gatewayPort}:${org.gatewayPort}`],
      networks: networks(gwHost),
      healthcheck: httpsProbe(org.gatewayPort, '/health', mapPath(cryptoPaths.tlsCaCert(org))),
      restart: 'unless-stopped',
      depends_on: {
        [BOOTSTRAP_SERVICE]: completed,
        [caName(org)]: healthy,
        [`peer0.${org.id}`]: healthy,
        [postgresService(org)]: healthy,
        [ipfsNodeName(org)]: healthy,
        ...ccDeps,
      },
    };
  }

  const tls = composeVolumes.webTls.path;
  services[PORTAL_SERVICE] = {
    ...ours('portal', 'frontend/Dockerfile'),
    hostname: composeHosts.portal,
    environment: {
      PORT: String(PORTAL_PORT),
      HOST: '0.0.0.0',
      PORTAL_TLS_CERT_FILE: `${tls}/portal/server.crt`,
      PORTAL_TLS_KEY_FILE: `${tls}/portal/server.key`,
      PORTAL_GATEWAY_CA_FILE: `${tls}/ca-bundle.pem`,
      PORTAL_PROXY_SECRET: required(COMPOSE_VARIABLES.portalProxySecret, 'shared with the gateways'),
      ALLOWED_HOSTS: composeHosts.portal,
      ...Object.fromEntries(
        // frontend/server/gateways.ts gatewayEnvName(): PORTAL_GATEWAY_<ORG>.
        PEER_ORGS.map((o) => [
          `PORTAL_GATEWAY_${envSuffix(o)}`,
          `https://${composeHosts.gateway(o)}:${o.gatewayPort}`,
        ]),
      ),
    },
    volumes: [use(composeVolumes.webTls, true)],
    ports: [`127.0.0.1:${PORTAL_PORT}:${PORTAL_PORT}`],
    networks: networks(composeHosts.portal),
    healthcheck: httpsProbe(PORTAL_PORT, '/', `${tls}/ca-bundle.pem`),
    restart: 'unless-stopped',
    depends_on: Object.fromEntries(PEER_ORGS.map((o) => [gatewayNodeName(o), healthy])),
  };

  return {
    services,
    networks: { [NETWORK]: { driver: 'bridge' } },
    volumes: Object.fromEntries([...volumes].sort().map((v) => [v, {}])),
  };
}

export function composeDocument(): string {
  const header = [
    '# Generated by `npm run compose:generate` (network/src/compose.ts) from the org table; do not edit by hand.',
    '# The whole stack for machines with Docker: cp .env.example .env, set the secrets, `docker compose up`.',
    '# init and bootstrap are one-shot services of the bootstrap image; see docs/deploy.md ("Docker Compose").',
  ].join('\n');
  return `${header}\n${stringify(composeModel(), {
    lineWidth: 0,
    // docker-compose 1.29 reads YAML 1.1, where a bare `no` or `off` is a boolean: 1.1 output quotes them.
    version: '1.1',
    aliasDuplicateObjects: false,
  })}`;
}

export function writeCompose(): string {
  const file = join(REPO_ROOT, 'docker-compose.yaml');
  writeFileSync(file, composeDocument());
  return file;
}
