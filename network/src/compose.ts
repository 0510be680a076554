/**
 * docker-compose.yaml for users who have Docker: the same topology, ports and environment overrides as the
 * native launcher, generated from the same node definitions so the two cannot drift (a test compares the
 * committed file with this generator's output). Containers use host networking, so the addresses in the
 * channel configuration (127.0.0.1:<port>) and the TLS certificates are the same as for native processes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Binaries, BinaryName } from './binaries.ts';
import { FABRIC_CA_VERSION, FABRIC_VERSION, KUBO_VERSION } from './binaries.ts';
import { caNode, ordererNode, peerNode, type NodeHandle } from './nodes/fabric-nodes.ts';
import { serverName } from './nodes/chaincode-server.ts';
import { cryptoPaths } from './crypto.ts';
import { CHAINCODES, PEER_ORGS, chaincodePort, ipfsPorts, ordererIndexes } from './orgs.ts';
import { REPO_ROOT, runDir } from './paths.ts';

const IN_CONTAINER_RUN = '/var/coffee/run';
const IN_CONTAINER_SRC = '/var/coffee/src';
/** The images' own configuration directory (their core.yaml already lists the ccaas builder). */
const IMAGE_CFG = '/etc/hyperledger/fabric';

function mapPath(value: string): string {
  return value.split(runDir()).join(IN_CONTAINER_RUN).split(REPO_ROOT).join(IN_CONTAINER_SRC);
}

function environment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(env).sort()) {
    const value = env[key];
    if (value === undefined || key === 'PATH' || key === 'HOME') continue;
    out[key] = mapPath(value);
  }
  return out;
}

function service(node: NodeHandle, image: string, command: string): Record<string, unknown> {
  return {
    image,
    container_name: node.name,
    network_mode: 'host',
    command: [command, ...node.args.map(mapPath)],
    environment: environment(node.env),
    volumes: [`./.run:${IN_CONTAINER_RUN}`],
    restart: 'unless-stopped',
  };
}

export function composeDocument(): string {
  const placeholder = Object.fromEntries(
    (
      [
        'peer',
        'orderer',
        'configtxgen',
        'osnadmin',
        'cryptogen',
        'fabric-ca-server',
        'fabric-ca-client',
        'ipfs',
      ] as BinaryName[]
    ).map((n) => [n, n]),
  ) as Record<BinaryName, string>;
  const bins: Binaries = { paths: placeholder, fabricConfigDir: IMAGE_CFG };
  const services: Record<string, unknown> = {};
  for (const org of PEER_ORGS) {
    const password = `\${CA_ADMIN_PASSWORD_${org.id.toUpperCase().replace(/-/g, '_')}:?set it in .env}`;
    const ca = caNode(bins, org, password);
    services[ca.name] = service(ca, `hyperledger/fabric-ca:${FABRIC_CA_VERSION}`, 'fabric-ca-server');
  }
  for (const i of ordererIndexes()) {
    const node = ordererNode(bins, i);
    services[node.name] = service(node, `hyperledger/fabric-orderer:${FABRIC_VERSION}`, 'orderer');
  }
  for (const org of PEER_ORGS) {
    const node = peerNode(bins, org, 0);
    services[node.name] = {
      ...service(node, `hyperledger/fabric-peer:${FABRIC_VERSION}`, 'peer'),
      depends_on: ordererIndexes().map((i) => `orderer${i}`),
    };
    for (const cc of CHAINCODES) {
      const tls = cryptoPaths.tlsServer(org, `${cc.name}.cc.${org.domain}`);
      const idVar = `CHAINCODE_ID_${cc.name}_${org.id}`.toUpperCase().replace(/-/g, '_');
      services[serverName(org, cc)] = {
        image: 'node:20-bookworm-slim',
        container_name: serverName(org, cc),
        network_mode: 'host',
        working_dir: IN_CONTAINER_SRC,
        command: [
          'node',
          `${IN_CONTAINER_SRC}/node_modules/fabric-shim/cli.js`,
          'server',
          `--chaincode-address=127.0.0.1:${chaincodePort(org, cc)}`,
          `--chaincode-id=\${${idVar}:?package id printed by npm run network:deploy}`,
          `--chaincode-tls-cert-file=${mapPath(join(tls, 'server.crt'))}`,
          `--chaincode-tls-key-file=${mapPath(join(tls, 'server.key'))}`,
          `--chaincode-tls-client-cacert-file=${mapPath(join(tls, 'ca.crt'))}`,
          `--module-path=${IN_CONTAINER_SRC}/${cc.dir}`,
        ],
        volumes: [`.:${IN_CONTAINER_SRC}:ro`, `./.run:${IN_CONTAINER_RUN}:ro`],
        restart: 'unless-stopped',
      };
    }
    const ipfs = ipfsPorts(org);
    services[`ipfs.${org.id}`] = {
      image: `ipfs/kubo:v${KUBO_VERSION}`,
      container_name: `ipfs.${org.id}`,
      network_mode: 'host',
      environment: {
        IPFS_PATH: '/data/ipfs',
        LIBP2P_FORCE_PNET: '1',
      },
      command: ['daemon', '--migrate=true'],
      volumes: [`./.run/data/ipfs.${org.id}:/data/ipfs`],
      labels: { 'coffee.api': `127.0.0.1:${ipfs.api}`, 'coffee.swarm': `127.0.0.1:${ipfs.swarm}` },
      restart: 'unless-stopped',
    };
  }
  services.postgres = {
    image: 'postgres:16-bookworm',
    container_name: 'postgres',
    network_mode: 'host',
    environment: {
      POSTGRES_USER: 'coffee',
      POSTGRES_PASSWORD: '${POSTGRES_PASSWORD:?set it in .env}',
      PGPORT: '5432',
    },
    command: ['postgres', '-c', 'listen_addresses=127.0.0.1'],
    volumes: ['./.run/data/postgres:/var/lib/postgresql/data'],
    restart: 'unless-stopped',
  };
  const header = [
    '# Generated by `npm run compose:generate` from network/src/orgs.ts; do not edit by hand.',
    '# The same topology as the native launcher (npm start), for machines with a Docker engine.',
    '# Crypto material and the channel block come from .run/ (npm run network:up creates them); see docs/network.md.',
  ].join('\n');
  return `${header}\n${stringify({ name: 'coffee-export', services }, { lineWidth: 0 })}`;
}

export function writeCompose(): string {
  const file = join(REPO_ROOT, 'docker-compose.yaml');
  writeFileSync(file, composeDocument());
  return file;
}
