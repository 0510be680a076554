/**
 * The gateway's only door to the ledger: one long-lived gRPC connection to the org's own peer (TLS pinned to
 * the org's TLS CA), one fabric-gateway Gateway per user identity (cached), per-call deadlines, and ONE typed
 * wrapper (Ledger) over every chaincode function the services use. Nothing else calls submit or evaluate.
 *
 * Submit = endorse, submit, wait for the commit status. An MVCC_READ_CONFLICT is retried with a NEW transaction
 * (fresh simulation); after a commit-status timeout the SAME transaction id is re-checked, never re-submitted.
 */
import * as grpc from '@grpc/grpc-js';
import {
  connect,
  hash,
  CommitError,
  CommitStatusError,
  StatusCode,
  type Gateway,
  type Network,
  type Status,
  type SubmittedTransaction,
  type Transaction,
} from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import { createHash } from 'node:crypto';
import { type ExportFunction, endorsersNeedStatus, exportEndorsers } from '@coffee/consortium';
import type { Config } from '../config.ts';
import { AppError, appErrorOf, fromFabricError } from '../errors.ts';
import {
  GrpcStatus,
  grpcStatusOf,
  isEndorsementFailure,
  parseFabricError,
  type LedgerObserver,
} from './chaincode-error.ts';
import { newNodeCryptoSigner } from './signer.ts';
import { ResubmitWindow } from './resubmit.ts';

export const CHANNEL = 'coffee-export-channel';

/** A Fabric identity the gateway signs with (a user's custodial key, or the org admin's). */
export interface FabricIdentity {
  /** Cache key: the on-chain user id `<mspId>::<CN>`. */
  readonly id: string;
  readonly mspId: string;
  readonly certificate: string;
  readonly privateKey: string;
}

export interface SubmitResult {
  readonly result: string;
  readonly txId: string;
  readonly blockNumber: bigint;
}

type Chaincode = 'coffee-export' | 'user-management' | 'qscc';

/** Several positional arguments for one submit (most functions take one JSON input; e.g. eudr:ReviewPlot three). */
export class ChaincodeArgs {
  constructor(readonly list: readonly string[]) {}
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * How long a transaction the ordering service refused as UNAVAILABLE is submitted again: longer than a Raft
 * election (1.2-2.4 s with the network's 200 ms tick and 6-tick election timeout), short enough to refuse fast.
 */
export const ORDERING_RETRY_MS = 5_000;

export class Ledger {
  readonly #client: grpc.Client;
  readonly #gateways = new Map<string, { gateway: Gateway; certHash: string }>();
  readonly #deadlines: Config['deadlines'];
  readonly #maxMvccRetries: number;
  /** The highest block height seen at each org's peer (named endorsers must reach this org's). */
  readonly #heights = new Map<string, bigint>();
  /** The first wait for a commit before the same signed transaction is submitted again (see #commitStatus). */
  readonly #resubmit = new ResubmitWindow();
  /** Told of every submit's duration, MVCC retries and endorsement failures (the gateway's /metrics, metrics.ts). */
  observer: LedgerObserver | undefined;

  constructor(peer: Config['peer'], deadlines: Config['deadlines'], opts: { maxMvccRetries?: number } = {}) {
    this.#client = new grpc.Client(peer.endpoint, grpc.credentials.createSsl(peer.tlsCaCert), {
      'grpc.ssl_target_name_override': peer.hostAlias,
      'grpc.keepalive_time_ms': 60_000,
    });
    this.#deadlines = deadlines;
    this.#maxMvccRetries = opts.maxMvccRetries ?? 3;
  }

  /** The identity's Gateway (one per identity, cached; a renewed certificate replaces it). */
  #gateway(who: FabricIdentity): Gateway {
    const certHash = createHash('sha256').update(who.certificate).digest('hex');
    const cached = this.#gateways.get(who.id);
    if (cached?.certHash === certHash) return cached.gateway;
    cached?.gateway.close();
    const d = this.#deadlines;
    const gateway = connect({
      client: this.#client,
      identity: { mspId: who.mspId, credentials: Buffer.from(who.certificate) },
      signer: newNodeCryptoSigner(who.privateKey),
      hash: hash.none,
      evaluateOptions: () => ({ deadline: Date.now() + d.evaluateMs }),
      endorseOptions: () => ({ deadline: Date.now() + d.endorseMs }),
      submitOptions: () => ({ deadline: Date.now() + d.submitMs }),
      commitStatusOptions: () => ({ deadline: Date.now() + d.commitMs }),
    });
    this.#gateways.set(who.id, { gateway, certHash });
    return gateway;
  }

  network(who: FabricIdentity): Network {
    return this.#gateway(who).getNetwork(CHANNEL);
  }

  /** Is the peer reachable (gRPC channel ready within the timeout)? */
  async ping(timeoutMs = 2000): Promise<boolean> {
    return new Promise((resolve) => {
      this.#client.waitForReady(Date.now() + timeoutMs, (err) => resolve(!err));
    });
  }

  async evaluateBytes(
    who: FabricIdentity,
    cc: Chaincode,
    fn: string,
    args: string[] = [],
  ): Promise<Uint8Array> {
    try {
      return await this.network(who)
        .getContract(cc)
        .evaluateTransaction(fn, ...args);
    } catch (e: unknown) {
      throw fromFabricError(e) ?? e;
    }
  }

  async evaluate(who: FabricIdentity, cc: Chaincode, fn: string, args: string[] = []): Promise<string> {
    return Buffer.from(await this.evaluateBytes(who, cc, fn, args)).toString('utf8');
  }

  async evaluateJson<T>(who: FabricIdentity, cc: Chaincode, fn: string, args: string[] = []): Promise<T> {
    return JSON.parse(await this.evaluate(who, cc, fn, args)) as T;
  }

  /** Endorse, submit and wait for the commit; retries MVCC conflicts with a new transaction. */
  async submit(
    who: FabricIdentity,
    cc: Chaincode,
    fn: string,
    input: unknown,
    transient?: Record<string, unknown>,
    endorsingOrganizations?: () => Promise<string[] | undefined>,
  ): Promise<SubmitResult> {
    const contract = this.network(who).getContract(cc);
    const transientData = transient
      ? Object.fromEntries(
          Object.entries(transient)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, Buffer.from(JSON.stringify(v))]),
        )
      : undefined;
    const args =
      input instanceof ChaincodeArgs
        ? [...input.list]
        : typeof input === 'string'
          ? [input]
          : [JSON.stringify(input)];
    const started = performance.now();
    const took = (): number => (performance.now() - started) / 1000;
    for (let attempt = 0; ; attempt++) {
      try {
        // Endorsers are re-planned on every attempt: after an MVCC conflict the record may have moved on.
        const orgs = endorsingOrganizations ? await endorsingOrganizations() : undefined;
        if (orgs) await this.#awaitPeers(who, orgs);
        const endorsed = await contract
          .newProposal(fn, {
            arguments: args,
            transientData,
            ...(orgs ? { endorsingOrganizations: orgs } : {}),
          })
          .endorse();
        const submitted = await this.#submitEndorsed(endorsed);
        const status = await this.#commitStatus(endorsed, submitted);
        if (!status.successful) {
          throw new CommitError({
            code: status.code,
            transactionId: status.transactionId,
            message: `transaction ${status.transactionId} failed with status code ${status.code}`,
          });
        }
        this.observer?.submitted(fn, took(), 'ok');
        return {
          result: Buffer.from(submitted.getResult()).toString('utf8'),
          txId: status.transactionId,
          blockNumber: status.blockNumber,
        };
      } catch (e: unknown) {
        const failure = parseFabricError(e);
        // A policy failure on the first attempt: the named endorsers were planned from a status that had moved on
        // (a read model a block behind); once more, planned afresh.
        const replan =
          failure?.validationCode === StatusCode.ENDORSEMENT_POLICY_FAILURE &&
          endorsingOrganizations !== undefined &&
          attempt === 0;
        if (replan || (failure?.kind === 'conflict' && attempt < this.#maxMvccRetries)) {
          if (failure?.kind === 'conflict') this.observer?.mvccRetry(fn);
          await sleep(50 * 2 ** attempt + Math.random() * 50);
          continue;
        }
        this.observer?.submitted(fn, took(), 'error');
        if (isEndorsementFailure(failure)) this.observer?.endorsementFailed(fn);
        throw failure ? appErrorOf(failure, e) : e;
      }
    }
  }

  /**
   * Named endorsers must have committed every block this org's peer has, or they would simulate on older state
   * (a step submitted right after the previous one was refused as EXPORT_NOT_FOUND by a lagging peer). Heights
   * come from qscc on each peer; a peer known to be far enough is not asked again.
   */
  async #awaitPeers(who: FabricIdentity, orgs: readonly string[]): Promise<void> {
    const others = orgs.filter((o) => o !== who.mspId);
    if (others.length === 0) return;
    const target = await this.#peerHeight(who);
    const deadline = Date.now() + this.#deadlines.endorseMs;
    await Promise.all(
      others.map(async (org) => {
        while ((this.#heights.get(org) ?? 0n) < target && Date.now() < deadline) {
          const height = await this.#peerHeight(who, org).catch(() => 0n);
          if (height > (this.#heights.get(org) ?? 0n)) this.#heights.set(org, height);
          if (height < target) await sleep(20);
        }
      }),
    );
  }

  async #peerHeight(who: FabricIdentity, org?: string): Promise<bigint> {
    const bytes = await this.network(who)
      .getContract('qscc')
      .evaluate('GetChainInfo', { arguments: [CHANNEL], ...(org ? { endorsingOrganizations: [org] } : {}) });
    return BigInt(common.BlockchainInfo.deserializeBinary(bytes).getHeight());
  }

  /**
   * The ordering service answers UNAVAILABLE during a Raft election: resubmit the same signed transaction, for up
   * to ORDERING_RETRY_MS. Past that, the UNAVAILABLE is the answer (503 with Retry-After): without a quorum no
   * election ends, and a client must not be held for the whole submit deadline to learn it.
   */
  async #submitEndorsed(tx: Transaction): Promise<SubmittedTransaction> {
    const deadline = Date.now() + Math.min(this.#deadlines.submitMs, ORDERING_RETRY_MS);
    for (;;) {
      try {
        return await tx.submit();
      } catch (e: unknown) {
        if (grpcStatusOf(e) !== GrpcStatus.UNAVAILABLE || Date.now() > deadline) throw e;
        await sleep(200);
      }
    }
  }

  /**
   * Waits for the commit, in windows of growing length (the first from ResubmitWindow: 1.5-3 s, then doubling,
   * within the commit deadline). A window
   * without a commit may mean the transaction died with the orderer that took it (a Raft leader killed before it
   * replicated): the same signed transaction is submitted again. That never doubles its effect — peers invalidate a
   * second copy of a committed transaction id as DUPLICATE_TXID, and the status asked for is the first copy's.
   */
  async #commitStatus(tx: Transaction, submitted: SubmittedTransaction): Promise<Status> {
    const started = Date.now();
    const deadline = started + this.#deadlines.commitMs;
    let current = submitted;
    for (let window = this.#resubmit.firstWait(); ; window *= 2) {
      try {
        const status = await current.getStatus({ deadline: Math.min(deadline, Date.now() + window) });
        this.#resubmit.record(Date.now() - started);
        return status;
      } catch (e: unknown) {
        if (!(e instanceof CommitStatusError) || Date.now() >= deadline) throw e;
        current = await this.#submitEndorsed(tx).catch(() => current);
      }
    }
  }

  close(): void {
    for (const { gateway } of this.#gateways.values()) gateway.close();
    this.#gateways.clear();
    this.#client.close();
  }
}

/**
 * The typed contract wrapper: one method per chaincode function the gateway uses. Inputs are the
 * chaincode's JSON input objects; results are parsed JSON.
 */
export class CoffeeLedger {
  constructor(readonly ledger: Ledger) {}

  // user-management: users
  registerUser(
    admin: FabricIdentity,
    input: { commonName: string; role: string; exporterId?: string },
  ): Promise<SubmitResult> {
    return this.ledger.submit(admin, 'user-management', 'users:RegisterUser', input);
  }
  suspendUser(admin: FabricIdentity, input: { userId: string; reason: string }): Promise<SubmitResult> {
    return this.ledger.submit(admin, 'user-management', 'users:SuspendUser', input);
  }
  reactivateUser(admin: FabricIdentity, input: { userId: string; reason?: string }): Promise<SubmitResult> {
    return this.ledger.submit(admin, 'user-management', 'users:ReactivateUser', input);
  }
  // user-management: exporters
  registerExporter(who: FabricIdentity, input: Record<string, unknown>): Promise<SubmitResult> {
    return this.ledger.submit(who, 'user-management', 'exporters:RegisterExporter', input);
  }
  updateExporter(who: FabricIdentity, input: Record<string, unknown>): Promise<SubmitResult> {
    return this.ledger.submit(who, 'user-management', 'exporters:UpdateExporter', input);
  }
  getExporter(who: FabricIdentity, exporterId: string): Promise<Record<string, unknown>> {
    return this.ledger.evaluateJson(who, 'user-management', 'exporters:GetExporter', [exporterId]);
  }
  listExporters(
    who: FabricIdentity,
    input: { pageSize?: number; bookmark?: string },
  ): Promise<{ records: unknown[]; bookmark: string }> {
    return this.ledger.evaluateJson(who, 'user-management', 'exporters:ListExporters', [
      JSON.stringify(input),
    ]);
  }
  // coffee-export: minimum prices and config
  publishMinimumPrice(who: FabricIdentity, input: Record<string, unknown>): Promise<SubmitResult> {
    return this.ledger.submit(who, 'coffee-export', 'minprice:PublishMinimumPrice', input);
  }
  listMinimumPrices(who: FabricIdentity, input: { grade?: string }): Promise<{ records: unknown[] }> {
    return this.ledger.evaluateJson(who, 'coffee-export', 'minprice:ListMinimumPrices', [
      JSON.stringify(input),
    ]);
  }
  proposeWorkflowConfig(who: FabricIdentity, input: Record<string, unknown>): Promise<SubmitResult> {
    return this.ledger.submit(who, 'coffee-export', 'config:ProposeWorkflowConfig', input);
  }
  approveWorkflowConfig(who: FabricIdentity, input: { version: number }): Promise<SubmitResult> {
    return this.ledger.submit(who, 'coffee-export', 'config:ApproveWorkflowConfig', input);
  }
  getWorkflowConfig(who: FabricIdentity): Promise<Record<string, unknown>> {
    return this.ledger.evaluateJson(who, 'coffee-export', 'config:GetWorkflowConfig');
  }
  // user-management: the orgs' document-encryption public keys
  publishEncryptionKey(
    admin: FabricIdentity,
    input: { kid: string; publicKeySpki: string },
  ): Promise<SubmitResult> {
    return this.ledger.submit(admin, 'user-management', 'orgs:PublishEncryptionKey', input);
  }
  getEncryptionKeys(who: FabricIdentity): Promise<{
    orgs: { mspId: string; keys: { kid: string; publicKeySpki: string; publishedAt: string }[] }[];
  }> {
    return this.ledger.evaluateJson(who, 'user-management', 'orgs:GetEncryptionKeys');
  }
  // coffee-export: exports
  /**
   * A transition names its endorsers from the record's key-level policy (the peers validation needs; discovery
   * cannot plan transactions that carry private data), a creation the CommercialBank and ECTA peers; the
   * transitions that also write user-management's registry are left to discovery.
   */
  exportTransition(
    who: FabricIdentity,
    fn: ExportFunction,
    input: Record<string, unknown>,
    transient?: Record<string, unknown>,
    statusHint?: () => Promise<string | undefined>,
  ): Promise<SubmitResult> {
    const exportId = String(input.exportId);
    // The first plan may come from the read model's status (no chaincode execution); every later one (after a
    // conflict, or a policy failure because the record had moved on) from the ledger itself.
    let hint = statusHint;
    const endorsers = async (): Promise<string[] | undefined> => {
      if (!endorsersNeedStatus(fn)) return exportEndorsers('', fn);
      const known = hint ? await hint().catch(() => undefined) : undefined;
      hint = undefined;
      return exportEndorsers(known ?? (await this.getExport(who, exportId)).status, fn);
    };
    return this.ledger.submit(who, 'coffee-export', `export:${fn}`, input, transient, endorsers);
  }
  getExport(who: FabricIdentity, exportId: string): Promise<ExportRecord> {
    return this.ledger.evaluateJson(who, 'coffee-export', 'export:GetExport', [exportId]);
  }
  /** Evaluate only: private data must never be written into a block by a submitted read. */
  getTradeTerms(who: FabricIdentity, exportId: string): Promise<Record<string, unknown>> {
    return this.ledger.evaluateJson(who, 'coffee-export', 'export:GetTradeTerms', [exportId]);
  }
  getPublicView(who: FabricIdentity, exportId: string): Promise<Record<string, unknown>> {
    return this.ledger.evaluateJson(who, 'coffee-export', 'export:GetPublicView', [exportId]);
  }
  getPermit(who: FabricIdentity, permitNumber: string): Promise<Record<string, unknown>> {
    return this.ledger.evaluateJson(who, 'coffee-export', 'export:GetPermit', [permitNumber]);
  }
  getExportHistory(who: FabricIdentity, exportId: string): Promise<{ exportId: string; entries: unknown[] }> {
    return this.ledger.evaluateJson(who, 'coffee-export', 'export:GetExportHistory', [exportId]);
  }
  listExportsByStatus(
    who: FabricIdentity,
    input: { status: string; pageSize?: number; bookmark?: string },
  ): Promise<{ records: ExportRecord[]; bookmark: string }> {
    return this.ledger.evaluateJson(who, 'coffee-export', 'export:ListExportsByStatus', [
      JSON.stringify(input),
    ]);
  }
  listExportsByExporter(
    who: FabricIdentity,
    input: { exporterId: string; pageSize?: number; bookmark?: string },
  ): Promise<{ records: ExportRecord[]; bookmark: string }> {
    return this.ledger.evaluateJson(who, 'coffee-export', 'export:ListExportsByExporter', [
      JSON.stringify(input),
    ]);
  }
  /** The channel's block height seen by the org's peer (qscc GetChainInfo). */
  async chainHeight(who: FabricIdentity): Promise<bigint> {
    const bytes = await this.ledger.evaluateBytes(who, 'qscc', 'GetChainInfo', [CHANNEL]);
    return BigInt(common.BlockchainInfo.deserializeBinary(bytes).getHeight());
  }
  ping(who: FabricIdentity): Promise<string> {
    return this.ledger.evaluate(who, 'coffee-export', 'health:Ping');
  }
}

export type { ExportFunction };

export interface LedgerDocument {
  type: string;
  version: number;
  cid?: string;
  sha256: string;
  sizeBytes: number;
  mediaType: string;
  uploadedAt: string;
  txId: string;
  uploadedBy?: unknown;
  /** Set (and cid absent) when the viewer's org is outside the document type's audience. */
  restricted?: boolean;
}

export interface ExportRecord {
  exportId: string;
  exporterId: string;
  status: string;
  reached: string;
  contract: Record<string, unknown>;
  documents: LedgerDocument[];
  permit?: { permitNumber: string; status: string };
  updatedAt: string;
  createdAt: string;
  lastAction: { action: string; at: string; txId: string };
  [key: string]: unknown;
}

export function isUnavailable(e: unknown): boolean {
  return e instanceof AppError && e.status === 503;
}
