/**
 * The bootstrap image's entry point (network/Dockerfile): the two one-shot services of docker-compose.yaml.
 *
 *   init       before every node: crypto material (cryptogen, then TLS certificates for the CA servers, chaincode
 *              servers, gateways and portal, naming the shared host names), the channel's genesis block with host
 *              names for orderers and anchor peers, each org's kubo repository with the private swarm key and
 *              its peers, the chaincode packages (connection.json naming cc-<chaincode>.<org domain>) and their
 *              package ids, which the chaincode servers read at start.
 *   bootstrap  once CAs, orderers and peers are healthy: orderers and peers join the channel, chaincodes are
 *              installed, approved and committed (upgraded when the image's chaincode changed), each org's admin
 *              and CA registrar are enrolled, and each gateway's configuration file is written.
 *
 * Both are idempotent: a second `docker compose up` finds everything made and only checks it.
 *
 * The launcher's own functions do the work (crypto.ts, channel.ts, lifecycle.ts, identities.ts,
 * nodes/gateway.ts). They speak to 127.0.0.1:<native port>; inside this container a forwarder on each of those
 * ports passes the connection on to the node's host name (every node keeps its native port, so the ports do not
 * collide), and the node certificates name 127.0.0.1 besides their host names. What the nodes themselves read —
 * the channel configuration, connection.json, kubo's addresses, the gateway configuration — names host names.
 *
 * Runs with COFFEE_RUN_DIR=/var/coffee/run, where the compose file mounts its named volumes (compose.ts).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Binaries, BinaryName } from './binaries.ts';
import { createGenesisBlock, joinOrderers, joinPeers, waitForLeader } from './channel.ts';
import { configtx } from './configtx.ts';
import { cryptoPaths, cryptogenConfig, issueTlsServerCert } from './crypto.ts';
import { approveAndCommit, queryCommitted } from './lifecycle.ts';
import { info, step, UserError } from './log.ts';
import {
  buildChaincode,
  chaincodeVersion,
  type OrgPackage,
  writeCcaasPackage,
} from './nodes/chaincode-server.ts';
import { peerAdminEnv } from './nodes/fabric-nodes.ts';
import { gatewayDir, gatewaySettings, writeGatewayConfig } from './nodes/gateway.ts';
import { applySwarmSettings, ipfsRepo, swarmSettings } from './nodes/ipfs.ts';
import { databaseName, PG_USER, postgresPort } from './nodes/postgres.ts';
import { orgAdmin } from './identities.ts';
import {
  CHAINCODES,
  ORDERER_ORG,
  PEER_ORGS,
  caPorts,
  chaincodePort,
  ipfsPorts,
  ordererHost,
  ordererIndexes,
  ordererPorts,
  peerPorts,
  type ChaincodeSpec,
  type PeerOrg,
} from './orgs.ts';
import { runDir } from './paths.ts';
import { run } from './proc.ts';
import { gatewayTlsFiles, portalTlsFiles, webTlsPaths, writeCaBundle } from './web-tls.ts';
import { COMPOSE_VARIABLES, CONTAINER_UID, composeHosts, envSuffix, packageIdFile } from './compose.ts';

/** The tools the image carries on PATH (network/Dockerfile builds them from network/tools/*), and Fabric's config. */
function imageBinaries(): Binaries {
  const names: BinaryName[] = ['peer', 'configtxgen', 'osnadmin', 'cryptogen', 'ipfs'];
  const paths = Object.fromEntries(names.map((n) => [n, n])) as Record<BinaryName, string>;
  return { paths, fabricConfigDir: process.env.FABRIC_CFG_PATH ?? '/etc/hyperledger/fabric' };
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new UserError(`${name} is not set: docker-compose.yaml passes it from .env (see .env.example)`);
  return value;
}

/**
 * The launcher reads the CAs' bootstrap passwords from runDir()/secrets.json in development (secrets.ts); here
 * they are the ones the CA containers got from .env, so that file is written from the same variables.
 */
function writeCaSecrets(): void {
  const caAdmins = Object.fromEntries(
    PEER_ORGS.map((org) => [org.id, requiredEnv(COMPOSE_VARIABLES.caAdminPassword(org))]),
  );
  mkdirSync(runDir(), { recursive: true });
  writeFileSync(join(runDir(), 'secrets.json'), JSON.stringify({ caAdmins }, null, 2), { mode: 0o600 });
}

/**
 * cryptogen into a scratch directory, then each org's tree into its own volume (mounted at the org's crypto
 * directory, which therefore always exists: the launcher's "crypto exists" test cannot be used here).
 */
async function generateCrypto(bins: Binaries): Promise<boolean> {
  if (PEER_ORGS.every((org) => existsSync(cryptoPaths.caCert(org)))) return false;
  const scratch = mkdtempSync(join(tmpdir(), 'cryptogen-'));
  try {
    const config = join(scratch, 'crypto-config.yaml');
    // Node certificates: cryptogen adds each node's host name (peer0.<domain>, orderer<i>.<domain>) itself.
    writeFileSync(config, cryptogenConfig(1));
    await run(bins.paths.cryptogen, ['generate', `--config=${config}`, `--output=${join(scratch, 'out')}`]);
    const copy = (from: string, to: string): void => {
      mkdirSync(to, { recursive: true });
      execFileSync('cp', ['-a', `${from}/.`, to]);
    };
    for (const org of PEER_ORGS)
      copy(join(scratch, 'out', 'peerOrganizations', org.domain), cryptoPaths.peerOrg(org));
    copy(join(scratch, 'out', 'ordererOrganizations', ORDERER_ORG.domain), cryptoPaths.ordererOrg());
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return true;
}

/** TLS certificates (each for its host name, localhost and 127.0.0.1); kept when they exist. */
async function serverCertificates(): Promise<void> {
  for (const org of PEER_ORGS) {
    await issueTlsServerCert(org, composeHosts.ca(org));
    for (const cc of CHAINCODES) await issueTlsServerCert(org, composeHosts.chaincode(org, cc));
    await gatewayTlsFiles(org);
  }
  await portalTlsFiles();
  await writeCaBundle();
}

/** The launcher's channel configuration, with host names where it names 127.0.0.1 (what the nodes dial). */
export function composeConfigtx(): string {
  const doc = parse(configtx()) as {
    Profiles: Record<string, Record<string, Record<string, unknown>>>;
  };
  const profile = doc.Profiles.CoffeeExportChannel!;
  const orderer = profile.Orderer as {
    Organizations: { OrdererEndpoints: string[] }[];
    EtcdRaft: { Consenters: { Host: string; Port: number }[] };
  };
  orderer.Organizations[0]!.OrdererEndpoints = ordererIndexes().map(
    (i) => `${ordererHost(i)}:${ordererPorts(i).listen}`,
  );
  orderer.EtcdRaft.Consenters = orderer.EtcdRaft.Consenters.map((c, k) => ({
    ...c,
    Host: ordererHost(ordererIndexes()[k]!),
  }));
  const application = profile.Application as { Organizations: { AnchorPeers: { Host: string }[] }[] };
  application.Organizations.forEach((o, k) => {
    o.AnchorPeers = o.AnchorPeers.map((a) => ({ ...a, Host: composeHosts.peer(PEER_ORGS[k]!) }));
  });
  return stringify(doc);
}

/** Each org's kubo repository: made once (identity), configured every time (addresses, peers, swarm key). */
async function kuboRepositories(bins: Binaries): Promise<void> {
  const keyFile = join(runDir(), 'ipfs-swarm.key');
  if (!existsSync(keyFile))
    writeFileSync(keyFile, `/key/swarm/psk/1.0.0/\n/base16/\n${randomBytes(32).toString('hex')}\n`, {
      mode: 0o600,
    });
  const env = (org: PeerOrg): NodeJS.ProcessEnv => ({ ...process.env, IPFS_PATH: ipfsRepo(org) });
  for (const org of PEER_ORGS) {
    if (!existsSync(join(ipfsRepo(org), 'config'))) {
      mkdirSync(ipfsRepo(org), { recursive: true, mode: 0o700 });
      await run(bins.paths.ipfs, ['init', '--profile=test', '--empty-repo'], { env: env(org) });
    }
    copyFileSync(keyFile, join(ipfsRepo(org), 'swarm.key'));
  }
  const peerId = (org: PeerOrg): string =>
    (JSON.parse(readFileSync(join(ipfsRepo(org), 'config'), 'utf8')) as { Identity: { PeerID: string } })
      .Identity.PeerID;
  // The same private-swarm settings as the native nodes (nodes/ipfs.ts), on the container's addresses.
  for (const org of PEER_ORGS) {
    await applySwarmSettings(
      bins.paths.ipfs,
      env(org),
      swarmSettings(org, '0.0.0.0', (o) => `/dns4/${composeHosts.ipfs(o)}/tcp/${ipfsPorts(o).swarm}`, peerId),
    );
  }
}

interface Packages {
  [chaincode: string]: { version: string; ids: Record<string, { file: string; packageId: string }> };
}

const packagesFile = (): string => join(runDir(), 'chaincode', 'packages.json');

/** An org's ccaas package: connection.json names its chaincode server's host name (what its peer dials). */
const packageFor = (bins: Binaries, org: PeerOrg, cc: ChaincodeSpec, version: string): Promise<OrgPackage> =>
  writeCcaasPackage(
    bins,
    org,
    cc,
    version,
    `${composeHosts.chaincode(org, cc)}:${chaincodePort(org, cc)}`,
    cryptoPaths.tlsCaCert(org),
  );

async function chaincodePackages(bins: Binaries): Promise<Packages> {
  const out: Packages = {};
  for (const cc of CHAINCODES) {
    await buildChaincode(cc);
    const version = chaincodeVersion(cc);
    out[cc.name] = { version, ids: {} };
    for (const org of PEER_ORGS) {
      const pkg = await packageFor(bins, org, cc, version);
      out[cc.name]!.ids[org.id] = pkg;
      writeFileSync(packageIdFile(org, cc), `${pkg.packageId}\n`);
    }
  }
  writeFileSync(packagesFile(), JSON.stringify(out, null, 2));
  return out;
}

/** Gives what the images' users read (uid 1000: our Node images, kubo's daemon) to them; keys stay 0600. */
function handOver(dirs: string[]): void {
  if (process.getuid?.() !== 0) return;
  execFileSync('chown', ['-R', `${CONTAINER_UID}:${CONTAINER_UID}`, ...dirs.filter((d) => existsSync(d))]);
}

async function init(): Promise<void> {
  const bins = imageBinaries();
  writeCaSecrets();
  await step('crypto material (cryptogen)', () => generateCrypto(bins));
  await step('TLS certificates (CA servers, chaincode servers, gateways, portal)', serverCertificates);
  await step('channel genesis block (host names)', () => createGenesisBlock(bins, composeConfigtx()));
  await step('kubo repositories (private swarm)', () => kuboRepositories(bins));
  await step('chaincode packages', () => chaincodePackages(bins));
  handOver([
    ...PEER_ORGS.map((o) => cryptoPaths.peerOrg(o)),
    ...PEER_ORGS.map((o) => ipfsRepo(o)),
    webTlsPaths.dir,
  ]);
  info('init done');
}

/** The native ports the launcher's functions dial on 127.0.0.1, each with the host that serves it here. */
export function forwardedPorts(): { port: number; host: string }[] {
  return [
    ...PEER_ORGS.map((org) => ({ port: caPorts(org).listen, host: composeHosts.ca(org) })),
    ...PEER_ORGS.map((org) => ({ port: peerPorts(org).listen, host: composeHosts.peer(org) })),
    ...ordererIndexes().flatMap((i) =>
      [ordererPorts(i).listen, ordererPorts(i).admin, ordererPorts(i).operations].map((port) => ({
        port,
        host: ordererHost(i),
      })),
    ),
  ];
}

async function forward(port: number, host: string): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect(port, host);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

async function installAndCommit(bins: Binaries, packages: Packages): Promise<void> {
  for (const cc of CHAINCODES) {
    const pkg = packages[cc.name];
    if (!pkg) throw new UserError(`no package of ${cc.name}: did the init service run?`);
    for (const org of PEER_ORGS) {
      const env = peerAdminEnv(bins, org);
      const { file, packageId } = pkg.ids[org.id]!;
      const { stdout } = await run(
        bins.paths.peer,
        ['lifecycle', 'chaincode', 'queryinstalled', '-O', 'json'],
        {
          env,
        },
      );
      if (!stdout.includes(packageId))
        await run(bins.paths.peer, ['lifecycle', 'chaincode', 'install', file], { env });
    }
    const committed = await queryCommitted(bins, cc.name);
    if (committed?.version === pkg.version) {
      info(`  ${cc.name} ${pkg.version}: already committed at sequence ${committed.sequence}`);
      continue;
    }
    const sequence = (committed?.sequence ?? 0) + 1;
    await approveAndCommit(bins, cc, pkg.version, sequence, (org) => pkg.ids[org.id]?.packageId);
    info(`  ${cc.name} ${pkg.version}: committed at sequence ${sequence}`);
  }
}

/** Each gateway's configuration file: the launcher's settings, with the stack's host names. */
async function gatewayConfigs(bins: Binaries): Promise<void> {
  for (const org of PEER_ORGS) {
    // Enrolled here (bins from the image), so gatewaySettings finds the saved identity and builds nothing.
    await orgAdmin(bins, org);
    const password = requiredEnv(COMPOSE_VARIABLES.postgresPassword(org));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      [`DATABASE_URL_${envSuffix(org)}`]: `postgres://${PG_USER}:${encodeURIComponent(password)}@${composeHosts.postgres(org)}:${postgresPort({})}/${databaseName(org.id)}`,
    };
    const settings = await gatewaySettings(
      org,
      {
        PORT: String(org.gatewayPort),
        PEER_ENDPOINT: `${composeHosts.peer(org)}:${peerPorts(org).listen}`,
        PEER_HOST_ALIAS: composeHosts.peer(org),
        CA_URL: `https://${composeHosts.ca(org)}:${caPorts(org).listen}`,
        IPFS_API_URL: `http://${composeHosts.ipfs(org)}:${ipfsPorts(org).api}`,
      },
      env,
    );
    writeGatewayConfig(org, settings);
  }
}

async function bootstrap(): Promise<void> {
  const bins = imageBinaries();
  writeCaSecrets();
  const servers = await Promise.all(forwardedPorts().map(({ port, host }) => forward(port, host)));
  try {
    await step('orderers join the channel; Raft elects a leader', async () => {
      await joinOrderers(bins);
      info(`  Raft leader: orderer${await waitForLeader(60_000)}`);
    });
    await step('peers join the channel', () => joinPeers(bins));
    const packages = JSON.parse(readFileSync(packagesFile(), 'utf8')) as Packages;
    await step('chaincodes (install, approve, commit)', () => installAndCommit(bins, packages));
    await step('gateway identities and configuration', () => gatewayConfigs(bins));
    handOver([...PEER_ORGS.map((o) => gatewayDir(o)), ...PEER_ORGS.map((o) => cryptoPaths.peerOrg(o))]);
  } finally {
    for (const s of servers) s.close();
  }
  info('bootstrap done');
}

const COMMANDS: Record<string, () => Promise<void>> = { init, bootstrap };

if (process.argv[1] && /compose-bootstrap\.ts$/.test(process.argv[1])) {
  const command = process.argv[2] ?? '';
  const fn = COMMANDS[command];
  if (!fn) {
    process.stderr.write(
      `usage: compose-bootstrap init|bootstrap (the one-shot services of docker-compose.yaml)\n`,
    );
    process.exit(2);
  }
  fn().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(
        `error: ${e instanceof Error ? (e instanceof UserError ? e.message : (e.stack ?? e.message)) : String(e)}\n`,
      );
      process.exit(1);
    },
  );
}
