/**
 * The Fabric side of a backup and a restore, through the peer CLI acting as the org's admin (peerAdminEnv, as
 * channel.ts and lifecycle.ts call it):
 *
 * - a ledger snapshot per peer: `peer snapshot submitrequest` at the last committed block, signed by the org's
 *   admin; the peer writes it to `<CORE_LEDGER_SNAPSHOTS_ROOTDIR>/completed/<channel>/<last block>/` (the launcher
 *   sets data/<peer>/snapshots), copied into the backup and removed from the peer;
 * - the channel configuration block (`peer channel fetch config`, from an orderer);
 * - restore: the peer stopped (by pid), its ledger moved aside, started empty, joined by snapshot
 *   (`peer channel joinbysnapshot`), its chaincode packages installed again (they live under the ledger's
 *   directory), and waited for until it has caught up with the orderers.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Binaries } from '../binaries.ts';
import { ordererHeight } from '../channel.ts';
import { cryptoPaths } from '../crypto.ts';
import { UserError } from '../log.ts';
import { CHANNEL, ordererIndexes, ordererPorts, peerName, peerPorts, type PeerOrg } from '../orgs.ts';
import { paths } from '../paths.ts';
import { run, running, stopProcess, waitFor } from '../proc.ts';
import { peerAdminEnv, peerNode, waitReady } from '../nodes/fabric-nodes.ts';
import { hostAddress, ORDERERS } from '../topology.ts';

export const peerDataDir = (org: PeerOrg): string => join(paths.data, peerName(org));
export const ledgerDir = (org: PeerOrg): string => join(peerDataDir(org), 'ledger');
const completedDir = (org: PeerOrg): string => join(peerDataDir(org), 'snapshots', 'completed', CHANNEL);

function peerArgs(org: PeerOrg): string[] {
  return [
    '--peerAddress',
    `${hostAddress(org)}:${peerPorts(org).listen}`,
    '--tlsRootCertFile',
    cryptoPaths.tlsCaCert(org),
  ];
}

/** The peer's height on the channel (`peer channel getinfo`). */
export async function peerHeight(bins: Binaries, org: PeerOrg): Promise<number> {
  const { stdout } = await run(bins.paths.peer, ['channel', 'getinfo', '-c', CHANNEL], {
    env: peerAdminEnv(bins, org),
  });
  const parsed = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { height?: unknown };
  if (typeof parsed.height !== 'number') throw new UserError(`peer of ${org.id}: no height in getinfo`);
  return parsed.height;
}

const snapshotHeights = (org: PeerOrg): number[] =>
  existsSync(completedDir(org))
    ? readdirSync(completedDir(org))
        .filter((n) => /^\d+$/.test(n))
        .map(Number)
    : [];

/**
 * A snapshot of the org's peer at its last committed block, copied to `dest`; its last block number. A snapshot
 * the peer already holds at that block is reused (a second request for it would be refused).
 */
export async function snapshotPeer(bins: Binaries, org: PeerOrg, dest: string): Promise<number> {
  if (!running(peerName(org))) throw new UserError(`${peerName(org)} is not running: no ledger snapshot`);
  const env = peerAdminEnv(bins, org);
  const last = (await peerHeight(bins, org)) - 1;
  if (!snapshotHeights(org).includes(last)) {
    try {
      await run(bins.paths.peer, ['snapshot', 'submitrequest', '-c', CHANNEL, '-b', '0', ...peerArgs(org)], {
        env,
      });
    } catch (e: unknown) {
      // A block committed meanwhile is fine (the snapshot is then at that block); anything else is not.
      if (!/duplicate|already/i.test(String(e))) throw e;
    }
  }
  let block: number | undefined;
  await waitFor(
    `snapshot of ${peerName(org)}`,
    () => {
      block = snapshotHeights(org)
        .filter((h) => h >= last)
        .sort((a, b) => b - a)[0];
      return Promise.resolve(block !== undefined);
    },
    120_000,
  );
  const src = join(completedDir(org), String(block));
  // The peer writes a snapshot into a temporary directory and renames it when complete: the metadata file is in.
  const meta = JSON.parse(readFileSync(join(src, '_snapshot_signable_metadata.json'), 'utf8')) as {
    last_block_number?: unknown;
  };
  if (meta.last_block_number !== block)
    throw new UserError(`snapshot ${src}: metadata names block ${String(meta.last_block_number)}`);
  mkdirSync(dest, { recursive: true });
  cpSync(src, dest, { recursive: true });
  // The copy is the backup's; the peer's own would only fill its disk (and block a later request at that block).
  rmSync(src, { recursive: true, force: true });
  return block!;
}

/** The chaincode packages installed on the org's peer. */
export async function installedPackages(
  bins: Binaries,
  org: PeerOrg,
): Promise<{ packageId: string; label: string }[]> {
  const { stdout } = await run(bins.paths.peer, ['lifecycle', 'chaincode', 'queryinstalled', '-O', 'json'], {
    env: peerAdminEnv(bins, org),
  });
  const parsed = JSON.parse(stdout.trim() || '{}') as {
    installed_chaincodes?: { package_id: string; label: string }[];
  };
  return (parsed.installed_chaincodes ?? []).map((c) => ({ packageId: c.package_id, label: c.label }));
}

function ordererArgs(i: number): string[] {
  return [
    '-o',
    `${hostAddress(ORDERERS)}:${ordererPorts(i).listen}`,
    '--tls',
    '--cafile',
    cryptoPaths.ordererTlsCaCert(),
  ];
}

/** The channel's latest configuration block, from the first orderer that answers. */
export async function fetchChannelConfig(bins: Binaries, org: PeerOrg, file: string): Promise<void> {
  let last: unknown;
  for (const i of ordererIndexes()) {
    try {
      await run(bins.paths.peer, ['channel', 'fetch', 'config', file, '-c', CHANNEL, ...ordererArgs(i)], {
        env: peerAdminEnv(bins, org),
      });
      return;
    } catch (e: unknown) {
      last = e;
    }
  }
  throw last instanceof Error ? last : new UserError(`no orderer gave the channel configuration`);
}

/** The channel's height on the orderers (the highest any answers). */
export async function ordererChannelHeight(bins: Binaries): Promise<number> {
  const heights = await Promise.all(ordererIndexes().map((i) => ordererHeight(bins, i)));
  const known = heights.filter((h): h is number => h !== undefined);
  if (known.length === 0)
    throw new UserError('no orderer answers: the ordering service must run for a restore');
  return Math.max(...known);
}

/**
 * Rebuilds the org's peer from a snapshot: stop, move the ledger aside, start empty, join by snapshot, reinstall
 * the chaincode packages, wait for the orderers' height. The old ledger is deleted only once the peer is back.
 */
export async function restorePeer(
  bins: Binaries,
  org: PeerOrg,
  snapshotDir: string,
  packages: string[],
  log: (line: string) => void,
): Promise<{ height: number }> {
  const name = peerName(org);
  const node = peerNode(bins, org);
  await stopProcess(name, 15_000);
  const aside = `${ledgerDir(org)}.before-restore-${Date.now()}`;
  if (existsSync(ledgerDir(org))) renameSync(ledgerDir(org), aside);
  log(`  ${name}: stopped, ledger ${existsSync(aside) ? 'moved aside' : 'absent'}; starting empty`);
  await node.start();
  await waitReady(node, 60_000);
  const env = peerAdminEnv(bins, org);
  await run(bins.paths.peer, ['channel', 'joinbysnapshot', '--snapshotpath', snapshotDir], { env });
  await waitFor(
    `${name} joining by snapshot`,
    async () => {
      const { stdout, stderr } = await run(bins.paths.peer, ['channel', 'joinbysnapshotstatus'], { env });
      return /no joinbysnapshot operation is in progress/i.test(stdout + stderr);
    },
    300_000,
  );
  log(`  ${name}: joined the channel from the snapshot`);
  const have = await installedPackages(bins, org);
  for (const file of packages) {
    try {
      await run(bins.paths.peer, ['lifecycle', 'chaincode', 'install', file], { env });
    } catch (e: unknown) {
      if (!/already successfully installed/i.test(String(e))) throw e;
    }
  }
  log(`  ${name}: ${packages.length} chaincode packages installed (${have.length} were)`);
  const target = await ordererChannelHeight(bins);
  let height = 0;
  await waitFor(
    `${name} catching up to block ${target}`,
    async () => {
      height = await peerHeight(bins, org);
      return height >= target;
    },
    300_000,
  );
  rmSync(aside, { recursive: true, force: true });
  log(`  ${name}: at height ${height} (orderers: ${target})`);
  return { height };
}
