/**
 * kubo's pinned content in a backup: every recursively pinned root of the org's node exported as one CAR file
 * (`dag export`, the DAG in full), and on restore imported back and pinned (`dag import`, roots pinned). The
 * node's identity (PeerID and private key) is kept too, inside the org's encrypted secrets archive: a repository
 * rebuilt with a new identity would not be found by the other nodes, whose Peering.Peers name the old PeerID.
 * Everything goes through the node's RPC API (nodes/ipfs.ts ipfsApiUrl), except `init` of a lost repository.
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Binaries } from '../binaries.ts';
import { UserError } from '../log.ts';
import type { PeerOrg } from '../orgs.ts';
import { run, running } from '../proc.ts';
import { ensureIpfs, ipfsApiUrl, ipfsNodeName, ipfsRepo, stopIpfs } from '../nodes/ipfs.ts';

async function rpc(
  org: PeerOrg,
  path: string,
  init: RequestInit = {},
  timeoutMs = 60_000,
): Promise<Response> {
  const res = await fetch(`${ipfsApiUrl(org)}/api/v0/${path}`, {
    method: 'POST',
    signal: AbortSignal.timeout(timeoutMs),
    ...init,
  });
  if (!res.ok)
    throw new UserError(
      `kubo of ${org.id}: ${path.split('?')[0]} answered ${res.status}: ${(await res.text()).trim()}`,
    );
  return res;
}

/** The node's recursively pinned roots (what the gateway and its replicator pinned). */
export async function pinnedRoots(org: PeerOrg): Promise<string[]> {
  const res = await rpc(org, 'pin/ls?type=recursive');
  const body = (await res.json()) as { Keys?: Record<string, unknown> };
  return Object.keys(body.Keys ?? {}).sort();
}

/** Exports every pinned root of the org's node into `dir`/<cid>.car. */
export async function exportPins(
  org: PeerOrg,
  dir: string,
  log: (line: string) => void,
): Promise<{ cid: string; file: string }[]> {
  if (!running(ipfsNodeName(org)))
    throw new UserError(`the kubo node of ${org.id} is not running: its pinned content cannot be backed up`);
  mkdirSync(dir, { recursive: true });
  const roots = await pinnedRoots(org);
  const cars: { cid: string; file: string }[] = [];
  for (const cid of roots) {
    const res = await rpc(org, `dag/export?arg=${encodeURIComponent(cid)}&progress=false`);
    const file = join(dir, `${cid}.car`);
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(file));
    cars.push({ cid, file });
  }
  log(`  ${org.id}: ${cars.length} pinned roots exported as CAR files`);
  return cars;
}

/** The node's identity from its repository's config (kept in the encrypted secrets archive). */
export function ipfsIdentity(org: PeerOrg): { PeerID: string; PrivKey: string } | undefined {
  const config = join(ipfsRepo(org), 'config');
  if (!existsSync(config)) return undefined;
  const parsed = JSON.parse(readFileSync(config, 'utf8')) as {
    Identity?: { PeerID: string; PrivKey: string };
  };
  return parsed.Identity;
}

function setIdentity(repo: string, identity: { PeerID: string; PrivKey: string }): void {
  const configFile = join(repo, 'config');
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as { Identity: unknown };
  config.Identity = identity;
  writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });
}

/**
 * Brings the org's kubo node back: a lost repository is initialised again with the backed-up identity, the node
 * is started (nodes/ipfs.ts configures it as always), and every CAR is imported with its root pinned.
 */
export async function restorePins(
  bins: Binaries,
  org: PeerOrg,
  cars: { cid: string; file: string }[],
  identity: { PeerID: string; PrivKey: string } | undefined,
  log: (line: string) => void,
): Promise<number> {
  const repo = ipfsRepo(org);
  if (!existsSync(join(repo, 'config')) || !existsSync(join(repo, 'datastore_spec'))) {
    await stopIpfs(org);
    rmSync(repo, { recursive: true, force: true });
    mkdirSync(repo, { recursive: true, mode: 0o700 });
    const env = { ...process.env, IPFS_PATH: repo, LIBP2P_FORCE_PNET: '1', IPFS_TELEMETRY: 'off' };
    await run(bins.paths.ipfs, ['init', '--profile=test', '--empty-repo'], { env });
    if (identity) {
      setIdentity(repo, identity);
      log(`  ${org.id}: kubo repository re-created with its backed-up identity ${identity.PeerID}`);
    } else log(`  ${org.id}: kubo repository re-created (no identity in the backup: a new PeerID)`);
  } else if (identity && ipfsIdentity(org)?.PeerID !== identity.PeerID) {
    // A repository re-created since (kubo init): the other nodes peer with the backed-up PeerID, not this one.
    await stopIpfs(org);
    setIdentity(repo, identity);
    log(`  ${org.id}: kubo identity set back to ${identity.PeerID}`);
  }
  await ensureIpfs(org, bins);
  for (const car of cars) {
    const form = new FormData();
    form.set('file', new Blob([readFileSync(car.file)]), `${car.cid}.car`);
    await rpc(org, 'dag/import?pin-roots=true', { body: form }, 120_000);
  }
  const pinned = new Set(await pinnedRoots(org));
  const missing = cars.filter((c) => !pinned.has(c.cid));
  if (missing.length > 0)
    throw new UserError(
      `kubo of ${org.id}: ${missing.length} roots not pinned after import (${missing[0]!.cid} …)`,
    );
  log(`  ${org.id}: ${cars.length} CAR files imported, roots pinned`);
  return cars.length;
}
