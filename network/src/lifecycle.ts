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
} from './orgs.ts';
import { REPO_ROOT } from './paths.ts';
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
  return ['-o', `127.0.0.1:${ordererPorts(1).listen}`, '--tls', '--cafile', cryptoPaths.ordererTlsCaCert()];
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
    const definition = ['-C', CHANNEL, '-n', cc.name, '-v', version, '--sequence', String(sequence)];
    if (cc.collections) definition.push('--collections-config', join(REPO_ROOT, cc.dir, cc.collections));
    if (cc.signaturePolicy) definition.push('--signature-policy', cc.signaturePolicy);
    await Promise.all(
      PEER_ORGS.map((org, k) =>
        run(
          bins.paths.peer,
          [
            'lifecycle',
            'chaincode',
            'approveformyorg',
            ...ordererArgs(),
            ...definition,
            '--package-id',
            pkgs[k]!.packageId,
            '--waitForEventTimeout',
            '60s',
          ],
          { env: peerAdminEnv(bins, org) },
        ),
      ),
    );
    const endorsers = PEER_ORGS.flatMap((org) => [
      '--peerAddresses',
      `127.0.0.1:${peerPorts(org).listen}`,
      '--tlsRootCertFiles',
      cryptoPaths.tlsCaCert(org),
    ]);
    await run(
      bins.paths.peer,
      [
        'lifecycle',
        'chaincode',
        'commit',
        ...ordererArgs(),
        ...definition,
        ...endorsers,
        '--waitForEventTimeout',
        '60s',
      ],
      { env: peerAdminEnv(bins, PEER_ORGS[0]!) },
    );
    info(`  ${cc.name} ${version}: committed at sequence ${sequence}`);
    results.push({ name: cc.name, version, sequence });
  }
  return results;
}

/** Restarts the chaincode servers of the committed definitions (after a network restart). */
export async function startChaincodeServers(bins: Binaries): Promise<void> {
  await deployChaincodes(bins);
}
