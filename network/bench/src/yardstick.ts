/**
 * The yardstick chaincode (network/bench/yardstick: one-key CreateAsset), deployed by the bench on the running
 * network the way the launcher deploys ours (network/src/lifecycle.ts): built with tsc, packaged for chaincode
 * as a service, its server started as a recorded process (so `npm stop` stops it), approved by every org and
 * committed. Its endorsement policy is one org's peer, so it shows what a minimal transaction costs on the same
 * peers, orderers and clients. Only the CommercialBank installs and runs it: no other org's peer endorses it.
 */
import type { Binaries } from '../../src/binaries.ts';
import { approveAndCommit, queryCommitted } from '../../src/lifecycle.ts';
import { info } from '../../src/log.ts';
import {
  buildChaincode,
  chaincodeVersion,
  packageFor,
  serverName,
  startChaincodeServer,
} from '../../src/nodes/chaincode-server.ts';
import { peerAdminEnv } from '../../src/nodes/fabric-nodes.ts';
import { findOrg, type ChaincodeSpec } from '../../src/orgs.ts';
import { run, running, stopProcess } from '../../src/proc.ts';

export const YARDSTICK_ORG = findOrg('commercial-bank');

/** Chaincode server port: offset 22 in the org's block (20/21 are ours, 30/31 its kubo node). */
export const YARDSTICK: ChaincodeSpec & { readonly signaturePolicy: string } = {
  name: 'yardstick',
  dir: 'network/bench/yardstick',
  portOffset: 22,
  signaturePolicy: `OR('${YARDSTICK_ORG.mspId}.peer')`,
};

async function ensureServer(bins: Binaries, version: string): Promise<string> {
  const pkg = await packageFor(bins, YARDSTICK_ORG, YARDSTICK, version);
  const name = serverName(YARDSTICK_ORG, YARDSTICK);
  const current = running(name);
  if (current && !current.command.includes(`--chaincode-id=${pkg.packageId}`)) await stopProcess(name);
  await startChaincodeServer(YARDSTICK_ORG, YARDSTICK, pkg.packageId);
  const env = peerAdminEnv(bins, YARDSTICK_ORG);
  const { stdout } = await run(bins.paths.peer, ['lifecycle', 'chaincode', 'queryinstalled', '-O', 'json'], {
    env,
  });
  if (!stdout.includes(pkg.packageId)) {
    await run(bins.paths.peer, ['lifecycle', 'chaincode', 'install', pkg.file], { env });
  }
  return pkg.packageId;
}

/** Builds, starts and (when its version changed) commits the yardstick; resolves its committed version. */
export async function ensureYardstick(bins: Binaries): Promise<string> {
  await buildChaincode(YARDSTICK);
  const version = chaincodeVersion(YARDSTICK);
  const packageId = await ensureServer(bins, version);
  const committed = await queryCommitted(bins, YARDSTICK.name);
  if (committed?.version === version) return version;
  const sequence = (committed?.sequence ?? 0) + 1;
  // Only the org that runs it names its package; the others approve the definition alone.
  await approveAndCommit(bins, YARDSTICK, version, sequence, (org) =>
    org.id === YARDSTICK_ORG.id ? packageId : undefined,
  );
  info(`  yardstick ${version}: committed at sequence ${sequence} (policy ${YARDSTICK.signaturePolicy})`);
  return version;
}
