/**
 * Documents in the org's kubo node through kubo-rpc-client (the maintained successor of ipfs-http-client, same
 * API; ipfs-http-client is deprecated and unmaintained since 2023). Added and pinned (CIDv1), SHA-256 computed
 * here; a download re-hashes the bytes and refuses them unless they match the hash on the ledger.
 */
import { createHash } from 'node:crypto';
import { create, type KuboRPCClient } from 'kubo-rpc-client';
import { AppError, UnavailableError } from '../errors.ts';

/** CIDv0 (`Qm…`, base58btc) or CIDv1 in base32 (`b…`), the forms the chaincode accepts. */
export const CID_PATTERN = /^(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{20,100})$/;

export interface StoredFile {
  cid: string;
  sha256: string;
  size: number;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function unavailable(e: unknown): AppError {
  return e instanceof AppError ? e : new UnavailableError('the IPFS node', e);
}

export class DocumentStore {
  readonly #client: KuboRPCClient;

  constructor(apiUrl: string) {
    this.#client = create({ url: apiUrl, timeout: 30_000 });
  }

  async reachable(): Promise<boolean> {
    try {
      await this.#client.id({ timeout: 2000 });
      return true;
    } catch {
      return false;
    }
  }

  /** Adds and pins the bytes; returns CIDv1 (base32), SHA-256 and size. */
  async put(bytes: Uint8Array): Promise<StoredFile> {
    const sha256 = sha256Hex(bytes);
    try {
      const added = await this.#client.add(bytes, { pin: true, cidVersion: 1, rawLeaves: true });
      return { cid: added.cid.toString(), sha256, size: bytes.length };
    } catch (e: unknown) {
      throw unavailable(e);
    }
  }

  /** Is the CID pinned on this node? (Checked right before a ledger reference is written.) */
  async isPinned(cid: string): Promise<boolean> {
    try {
      for await (const pin of this.#client.pin.ls({ paths: [cid], timeout: 5000 })) {
        if (pin.cid.toString() === cid) return true;
      }
      return false;
    } catch (e: unknown) {
      if (String((e as Error).message).includes('not pinned')) return false;
      throw unavailable(e);
    }
  }

  /** The whole file (fetched from the private swarm if this node does not hold it), up to maxBytes. */
  async get(cid: string, maxBytes: number): Promise<Buffer> {
    if (!CID_PATTERN.test(cid)) throw new AppError(400, 'INVALID_CID', 'not a valid CID');
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const chunk of this.#client.cat(cid, { timeout: 30_000 })) {
        total += chunk.length;
        if (total > maxBytes)
          throw new AppError(502, 'DOCUMENT_TOO_LARGE', 'the stored document is larger than its ledger size');
        chunks.push(chunk);
      }
    } catch (e: unknown) {
      throw unavailable(e);
    }
    return Buffer.concat(chunks);
  }

  /**
   * Pins a CID here, fetching it from the private swarm if this node does not hold it (a replica of a document
   * another org uploaded); idempotent. Refused (UnavailableError) if it cannot be had within `timeoutMs`.
   */
  async pin(cid: string, timeoutMs = 15_000): Promise<void> {
    if (!CID_PATTERN.test(cid)) throw new AppError(400, 'INVALID_CID', 'not a valid CID');
    try {
      await this.#client.pin.add(cid, { timeout: timeoutMs });
    } catch (e: unknown) {
      throw unavailable(e);
    }
  }

  /** Unpins (tests and clean-up of staged documents never referenced). */
  async unpin(cid: string): Promise<void> {
    try {
      await this.#client.pin.rm(cid);
    } catch (e: unknown) {
      throw unavailable(e);
    }
  }
}
