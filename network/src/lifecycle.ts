/**
 * Fabric 2.x chaincode lifecycle for chaincode as a service: build, package per org, start the chaincode
 * servers, install on every peer, approve by every org, commit; a changed chaincode gets a new version and
 * the next sequence (upgrade).
 */
import { join } from 'node:path';
import type { Binaries } from './binaries.ts';
import { cryptoPaths } from './crypto.ts';
import { info } from './log.ts';
import {
  CHAINCODES,
  CHANNEL,
  PEER_ORGS,
  ordererPorts,
  peerPorts,
  peersPerOrg,
  type ChaincodeSpec,
  type PeerOrg,
} from './orgs.ts';
import { REPO_ROOT } from './paths.ts';
import { hostAddress, ORDERERS } from './topology.ts';
import { run, running, stopProcess } from './proc.ts';
import { peerAdminEnv } from './nodes/fabric-nodes.ts';
import {
  buildChaincode,
  chaincodeVersion,
  packageFor,
  serverName,
  startChaincodeServer,
  type OrgPackage,
} from './nodes/chaincode-server.ts';

export interface CommittedDefinition {
  name: string;
  version: string;
  sequence: number;
}

function ordererArgs(): string[] {
  return [
    '-o',
    `${hostAddress(ORDERERS)}:${ordererPorts(1).listen}`,
    '--tls',
    '--cafile',
    cryptoPaths.ordererTlsCaCert(),
  ];
}

export async function queryCommitted(bins: Binaries, name: string): Promise<CommittedDefinition | undefined> {
  const env = peerAdminEnv(bins, PEER_ORGS[0]!);
  try {
    const { stdout } = await run(
      bins.paths.peer,
      ['lifecycle', 'chaincode', 'querycommitted', '-C', CHANNEL, '-n', name, '-O', 'json'],
      { env },
    );
    const parsed = JSON.parse(stdout) as { version?: unknown; sequence?: unknown };
    if (typeof parsed.version === 'string' && typeof parsed.sequence === 'number') {
      return { name, version: parsed.version, sequence: parsed.sequence };
    }
  } catch (e: unknown) {
    if (String(e).includes('namespace') && String(e).includes('is not defined')) return undefined;
    throw e;
  }
  return undefined;
}

async function ensureServer(
  org: (typeof PEER_ORGS)[number],
  cc: ChaincodeSpec,
  pkg: OrgPackage,
): Promise<void> {
  const name = serverName(org, cc);
  const current = running(name);
  if (current && !current.command.includes(`--chaincode-id=${pkg.packageId}`)) {
    await stopProcess(name);
  }
  await startChaincodeServer(org, cc, pkg.packageId);
}

async function install(bins: Binaries, pkg: OrgPackage, env: NodeJS.ProcessEnv): Promise<void> {
  const { stdout } = await run(bins.paths.peer, ['lifecycle', 'chaincode', 'queryinstalled', '-O', 'json'], {
    env,
  });
  if (stdout.includes(pkg.packageId)) return;
  await run(bins.paths.peer, ['lifecycle', 'chaincode', 'install', pkg.file], { env });
}

/**
 * Approves a chaincode definition for every org (each naming its own package, if it runs one) and commits it,
 * endorsed by every org's peer. The definition carries the spec's collections and endorsement policy.
 */
export async function approveAndCommit(
  bins: Binaries,
  cc: ChaincodeSpec,
  version: string,
  sequence: number,
  packageIdOf: (org: PeerOrg) => string | undefined,
): Promise<void> {
  const definition = ['-C', CHANNEL, '-n', cc.name, '-v', version, '--sequence', String(sequence)];
  if (cc.collections) definition.push('--collections-config', join(REPO_ROOT, cc.dir, cc.collections));
  if (cc.signaturePolicy) definition.push('--signature-policy', cc.signaturePolicy);
  const wait = ['--waitForEventTimeout', '60s'];
  await Promise.all(
    PEER_ORGS.map((org) => {
      const packageId = packageIdOf(org);
      return run(
        bins.paths.peer,
        [
          'lifecycle',
          'chaincode',
          'approveformyorg',
          ...ordererArgs(),
          ...definition,
          ...(packageId ? ['--package-id', packageId] : []),
          ...wait,
        ],
        { env: peerAdminEnv(bins, org) },
      );
    }),
  );
  const endorsers = PEER_ORGS.flatMap((org) => [
    '--peerAddresses',
    `${hostAddress(org)}:${peerPorts(org).listen}`,
    '--tlsRootCertFiles',
    cryptoPaths.tlsCaCert(org),
  ]);
  await run(
    bins.paths.peer,
    ['lifecycle', 'chaincode', 'commit', ...ordererArgs(), ...definition, ...endorsers, ...wait],
    { env: peerAdminEnv(bins, PEER_ORGS[0]!) },
  );
}

/** Starts the servers of every chaincode and deploys (or upgrades) every definition that differs. */
export async function deployChaincodes(bins: Binaries): Promise<CommittedDefinition[]> {
  const results: CommittedDefinition[] = [];
  for (const cc of CHAINCODES) {
    await buildChaincode(cc);
    const version = chaincodeVersion(cc);
    const pkgs = await Promise.all(PEER_ORGS.map((org) => packageFor(bins, org, cc, version)));
    await Promise.all(PEER_ORGS.map((org, k) => ensureServer(org, cc, pkgs[k]!)));
    await Promise.all(
      PEER_ORGS.flatMap((org, k) =>
        Array.from({ length: peersPerOrg() }, (_, index) =>
          install(bins, pkgs[k]!, peerAdminEnv(bins, org, index)),
        ),
      ),
    );
    const committed = await queryCommitted(bins, cc.name);
    if (committed?.version === version) {
      info(`  ${cc.name} ${version}: already committed at sequence ${committed.sequence}`);
      results.push(committed);
      continue;
    }
    const sequence = (committed?.sequence ?? 0) + 1;
    await approveAndCommit(bins, cc, version, sequence, (org) => pkgs[PEER_ORGS.indexOf(org)]?.packageId);
    info(`  ${cc.name} ${version}: committed at sequence ${sequence}`);
    results.push({ name: cc.name, version, sequence });
  }
  return results;
}

/** Restarts the chaincode servers of the committed definitions (after a network restart). */
export async function startChaincodeServers(bins: Binaries): Promise<void> {
  await deployChaincodes(bins);
}
