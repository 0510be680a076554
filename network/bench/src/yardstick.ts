/**
 * The yardstick chaincode (network/bench/yardstick: one-key CreateAsset), deployed by the bench on the running
 * network the way the launcher deploys ours (network/src/lifecycle.ts): built with tsc, packaged for chaincode
 * as a service, its server started as a recorded process (so `npm stop` stops it), approved by every org and
 * committed. Its endorsement policy is one org's peer, so it shows what a minimal transaction costs on the same
 * peers, orderers and clients. Only the CommercialBank installs and runs it: no other org's peer endorses it.
 */
import type { Binaries } from '../../src/binaries.ts';
import { cryptoPaths } from '../../src/crypto.ts';
import { queryCommitted } from '../../src/lifecycle.ts';
import { info } from '../../src/log.ts';
import {
  buildChaincode,
  chaincodeVersion,
  packageFor,
  serverName,
  startChaincodeServer,
} from '../../src/nodes/chaincode-server.ts';
import { peerAdminEnv } from '../../src/nodes/fabric-nodes.ts';
import { CHANNEL, PEER_ORGS, findOrg, ordererPorts, peerPorts, type ChaincodeSpec } from '../../src/orgs.ts';
import { run, running, stopProcess } from '../../src/proc.ts';

export const YARDSTICK_ORG = findOrg('commercial-bank');

/** Chaincode server port: offset 22 in the org's block (20/21 are ours, 30/31 its kubo node). */
export const YARDSTICK: ChaincodeSpec & { readonly signaturePolicy: string } = {
  name: 'yardstick',
  dir: 'network/bench/yardstick',
  portOffset: 22,
  signaturePolicy: `OR('${YARDSTICK_ORG.mspId}.peer')`,
};

const ordererArgs = (): string[] => [
  '-o',
  `127.0.0.1:${ordererPorts(1).listen}`,
  '--tls',
  '--cafile',
  cryptoPaths.ordererTlsCaCert(),
];

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

async function approveAndCommit(
  bins: Binaries,
  version: string,
  sequence: number,
  packageId: string,
): Promise<void> {
  const definition = [
    '-C',
    CHANNEL,
    '-n',
    YARDSTICK.name,
    '-v',
    version,
    '--sequence',
    String(sequence),
    '--signature-policy',
    YARDSTICK.signaturePolicy,
  ];
  const wait = ['--waitForEventTimeout', '60s'];
  await Promise.all(
    PEER_ORGS.map((org) =>
      run(
        bins.paths.peer,
        [
          'lifecycle',
          'chaincode',
          'approveformyorg',
          ...ordererArgs(),
          ...definition,
          // Only the org that runs it names its package; the others approve the definition alone.
          ...(org.id === YARDSTICK_ORG.id ? ['--package-id', packageId] : []),
          ...wait,
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
    ['lifecycle', 'chaincode', 'commit', ...ordererArgs(), ...definition, ...endorsers, ...wait],
    { env: peerAdminEnv(bins, YARDSTICK_ORG) },
  );
}

/** Builds, starts and (when its version changed) commits the yardstick; resolves its committed version. */
export async function ensureYardstick(bins: Binaries): Promise<string> {
  await buildChaincode(YARDSTICK);
  const version = chaincodeVersion(YARDSTICK);
  const packageId = await ensureServer(bins, version);
  const committed = await queryCommitted(bins, YARDSTICK.name);
  if (committed?.version === version) return version;
  const sequence = (committed?.sequence ?? 0) + 1;
  await approveAndCommit(bins, version, sequence, packageId);
  info(`  yardstick ${version}: committed at sequence ${sequence} (policy ${YARDSTICK.signaturePolicy})`);
  return version;
}
