/**
 * The bench's own bare fabric-gateway clients (no HTTP): its users, enrolled at their org's Fabric CA with a
 * role attribute and registered on-chain (network/src/identities.ts createUser), and the transactions it needs
 * for its setup — licensing an exporter, publishing a minimum price, creating the exports the transition
 * workloads consume — submitted the way network/test/workflow.integration.test.ts does.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Binaries } from '../../src/binaries.ts';
import { exportEndorsers } from '@coffee/consortium';
import {
  connectOrg,
  identityCredentials,
  peerHeight,
  submitWithRetry,
  waitForBlock,
  type OrgConnection,
} from '../../src/gateway.ts';
import { createUser, type EnrolledIdentity } from '../../src/identities.ts';
import { ipfsApiUrl } from '../../src/nodes/ipfs.ts';
import { CHANNEL, PEER_ORGS, findOrg } from '../../src/orgs.ts';

type Json = Record<string, unknown>;

export interface Actor {
  readonly identity: EnrolledIdentity;
  readonly conn: OrgConnection;
}

export async function newActor(
  bins: Binaries,
  orgId: string,
  username: string,
  role: string,
  exporterId?: string,
): Promise<Actor> {
  const org = findOrg(orgId);
  const identity = await createUser(bins, org, { username, role, exporterId });
  return { identity, conn: connectOrg(org, identityCredentials(identity)) };
}

/** A transaction the peers committed as invalid (its validation code, e.g. 11 = MVCC read conflict). */
export class TxInvalidError extends Error {
  readonly transactionId: string;
  readonly code: number;

  constructor(fn: string, who: string, transactionId: string, code: number) {
    super(`${fn} by ${who}: transaction ${transactionId} invalid, validation code ${code}`);
    this.name = 'TxInvalidError';
    this.transactionId = transactionId;
    this.code = code;
  }
}

/** MVCC_READ_CONFLICT, PHANTOM_READ_CONFLICT: another transaction won; a new one may succeed. */
const CONFLICTS = new Set([11, 12]);

export interface Submitted {
  readonly txId: string;
  readonly blockNumber: bigint;
}

export interface TxOptions {
  readonly transient?: Readonly<Record<string, Json>>;
  readonly endorsers?: readonly string[];
}

/** Submits `contract:Function` with one JSON argument and waits for its commit; throws if it is invalid. */
export async function submit(
  a: Actor,
  chaincode: string,
  fn: string,
  input: Json,
  opts: TxOptions = {},
): Promise<Submitted> {
  const [name, method] = fn.split(':') as [string, string];
  const contract = a.conn.gateway.getNetwork(CHANNEL).getContract(chaincode, name);
  const transientData = opts.transient
    ? Object.fromEntries(Object.entries(opts.transient).map(([k, v]) => [k, JSON.stringify(v)]))
    : undefined;
  const commit = await submitWithRetry(contract, method, {
    arguments: [JSON.stringify(input)],
    transientData,
    endorsingOrganizations: opts.endorsers ? [...opts.endorsers] : undefined,
  });
  const status = await commit.getStatus();
  if (!status.successful) {
    throw new Error(
      `${fn} by ${a.identity.username}: transaction ${status.transactionId} code ${status.code}`,
    );
  }
  return { txId: status.transactionId, blockNumber: status.blockNumber };
}

/** Waits until every org's peer has committed the block the connection's own peer is at now. */
export async function everyPeerCaughtUp(a: Actor): Promise<void> {
  const height = await peerHeight(a.conn.gateway, a.identity.mspId);
  await Promise.all(PEER_ORGS.map((o) => waitForBlock(a.conn.gateway, o.mspId, height - 1, 30_000)));
}

export const salt = (): string => randomBytes(24).toString('base64url');

/** The two documents a create names (SALES_CONTRACT, PROFORMA_INVOICE): their references as the chaincode takes them. */
export interface BenchDocuments {
  readonly salesContract: Json;
  readonly proformaInvoice: Json;
}

/**
 * Stores the two documents every bench export names on the CommercialBank's kubo node (pinned), once per run.
 * Made-up CIDs, as before, named content no node holds: every audience org's document replicator then kept
 * retrying those pins (two per export, hundreds per run) and its kubo node kept searching the swarm for them,
 * CPU that landed in the rounds after the pools were created. Real content is pinned once by each replicator.
 */
export async function addBenchDocuments(run: string): Promise<BenchDocuments> {
  const add = async (type: string): Promise<Json> => {
    const bytes = Buffer.from(`%PDF-1.7\n% bench ${run} ${type}\n%%EOF\n`);
    const form = new FormData();
    form.append('file', new Blob([bytes]), `${type}.pdf`);
    const url = `${ipfsApiUrl(findOrg('commercial-bank'))}/api/v0/add?pin=true&cid-version=0&quieter=true`;
    const res = await fetch(url, { method: 'POST', body: form, signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`kubo add at ${url}: HTTP ${res.status} ${await res.text()}`);
    const { Hash: cid } = (await res.json()) as { Hash?: string };
    if (!cid) throw new Error(`kubo add at ${url} returned no CID`);
    return {
      type,
      cid,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sizeBytes: bytes.length,
      mediaType: 'application/pdf',
    };
  };
  return { salesContract: await add('SALES_CONTRACT'), proformaInvoice: await add('PROFORMA_INVOICE') };
}

export const QUANTITY_KG = 19_200;
export const PRICE_USD_PER_KG = 5.25;
export const MINIMUM_PRICE_USD_PER_KG = 4;

/** export:CreateExport's argument and transient map (one transaction; chaincode contracts/export.ts). */
export function createExportInput(
  exportId: string,
  documents: BenchDocuments,
): { input: Json; transient: Record<string, Json> } {
  return {
    input: {
      exportId,
      contract: {
        contractNumber: `SC-${exportId}`,
        buyerName: 'Hamburg Coffee Importers GmbH',
        destinationCountry: 'DE',
        contractedGrade: 'G2',
        quantityKg: QUANTITY_KG,
        originRegion: 'SIDAMA',
        incoterm: 'FOB',
      },
      documents: [documents.salesContract, documents.proformaInvoice],
    },
    transient: {
      tradeTerms: {
        unitPriceUsdPerKg: PRICE_USD_PER_KG,
        contractValueUsd: PRICE_USD_PER_KG * QUANTITY_KG,
        paymentMethod: 'LC',
        salt: salt(),
        valueSalt: salt(),
      },
    },
  };
}

export const CREATE_ENDORSERS: readonly string[] = exportEndorsers('DRAFT', 'CreateExport') ?? [];
export const REGISTER_ENDORSERS: readonly string[] = exportEndorsers('SUBMITTED', 'RegisterContract') ?? [];

/** Creates the export; a create that lost an MVCC race is sent again as a new transaction (twice at most). */
export async function createExport(
  exporter: Actor,
  exportId: string,
  documents: BenchDocuments,
): Promise<Submitted> {
  for (let attempt = 1; ; attempt++) {
    const { input, transient } = createExportInput(exportId, documents);
    try {
      return await submit(exporter, 'coffee-export', 'export:CreateExport', input, {
        transient,
        endorsers: CREATE_ENDORSERS,
      });
    } catch (e: unknown) {
      if (!(e instanceof TxInvalidError && CONFLICTS.has(e.code)) || attempt >= 3) throw e;
    }
  }
}

export function registerContract(ecta: Actor, exportId: string): Promise<Submitted> {
  return submit(
    ecta,
    'coffee-export',
    'export:RegisterContract',
    { exportId, registrationNumber: `ECTA-${exportId}` },
    { endorsers: REGISTER_ENDORSERS },
  );
}

/**
 * Creates the exports with `concurrency` creates in flight, printing progress; resolves once the peers of
 * `then` (the endorsers of the transition that will consume them) have committed all of them.
 */
export async function createExports(
  exporter: Actor,
  documents: BenchDocuments,
  ids: readonly string[],
  concurrency: number,
  then: readonly string[],
  progress: (done: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  let last = 0n;
  const lane = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const { blockNumber } = await createExport(exporter, id, documents);
      if (blockNumber > last) last = blockNumber;
      if (++done % 50 === 0) progress(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, lane));
  progress(done);
  await Promise.all(then.map((msp) => waitForBlock(exporter.conn.gateway, msp, last, 30_000)));
}
