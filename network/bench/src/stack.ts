/**
 * The stack the bench runs against: the one `npm start` keeps up under runDir() (COFFEE_RUN_DIR) on the ports
 * shifted by COFFEE_PORT_OFFSET. The bench starts nothing of it; it stops with one clear line when it is not up.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/log.ts';
import { CHAINCODES, PEER_ORGS, ordererIndexes, portOffset, type PeerOrg } from '../../src/orgs.ts';
import { runDir } from '../../src/paths.ts';
import { running } from '../../src/proc.ts';
import { tlsFetch } from '../../src/nodes/https.ts';

export interface Endpoints {
  /** The CA bundle (PEM) the gateways' HTTPS certificates chain to. */
  readonly caFile: string;
  readonly gateways: Readonly<
    Record<string, { readonly url: string; readonly admin?: { username: string; password: string } }>
  >;
}

function endpointsFile(): string {
  return join(runDir(), 'endpoints.json');
}

export function readEndpoints(): Endpoints {
  return JSON.parse(readFileSync(endpointsFile(), 'utf8')) as Endpoints;
}

let ca: { file: string; pem: Buffer } | undefined;

/** The CA bundle endpoints.json names, read once: what every bench call to a gateway trusts. */
export function gatewayCa(): Buffer {
  const file = readEndpoints().caFile;
  if (ca?.file !== file) ca = { file, pem: readFileSync(file) };
  return ca.pem;
}

/** fetch() to a gateway over HTTPS verified against the stack's CA bundle. */
export function gatewayFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return tlsFetch(url, init, gatewayCa());
}

export function gatewayUrl(org: PeerOrg): string {
  const url = readEndpoints().gateways[org.id]?.url;
  if (!url) throw new UserError(`${endpointsFile()} lists no gateway for ${org.id}`);
  return url;
}

function expectedProcesses(): string[] {
  return [
    ...ordererIndexes().map((i) => `orderer${i}`),
    ...PEER_ORGS.flatMap((o) => [
      `peer0.${o.id}`,
      `gateway.${o.id}`,
      `ipfs.${o.id}`,
      ...CHAINCODES.map((cc) => `cc.${cc.name}.${o.id}`),
    ]),
    'postgres',
  ];
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await gatewayFetch(`${url}/health`, { signal: AbortSignal.timeout(3000) })).ok;
  } catch {
    return false;
  }
}

/** Throws a UserError naming what is missing unless the network, off-chain nodes and gateways are all up. */
export async function assertStackUp(): Promise<Endpoints> {
  const where = `in ${runDir()} (COFFEE_PORT_OFFSET=${portOffset()})`;
  const hint =
    'start it with `npm start` (or point COFFEE_RUN_DIR / COFFEE_PORT_OFFSET at the stack you started)';
  const missing = expectedProcesses().filter((name) => !running(name));
  if (missing.length > 0 || !existsSync(endpointsFile())) {
    const what = missing.length > 0 ? `not running: ${missing.slice(0, 6).join(', ')}` : 'no endpoints.json';
    const more = missing.length > 6 ? ` and ${missing.length - 6} more` : '';
    throw new UserError(`the stack is not up ${where} (${what}${more}); ${hint}`);
  }
  const endpoints = readEndpoints();
  const down: string[] = [];
  for (const org of PEER_ORGS) {
    const url = endpoints.gateways[org.id]?.url;
    if (!url || !(await healthy(url))) down.push(`${org.id} (${url ?? 'no URL'})`);
  }
  if (down.length > 0) {
    throw new UserError(
      `the stack is not up ${where}: gateway not answering /health: ${down.join(', ')}; ${hint}`,
    );
  }
  return endpoints;
}
