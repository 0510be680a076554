/**
 * Documents are encrypted before they leave the gateway (workflow.md, "Who sees what"): a fresh AES-256-GCM data
 * key per document, wrapped for the current public key of every org in the document type's audience (policy.ts).
 * Each org's public keys are on the ledger (user-management `orgs`), published by that org's own gateway with
 * its admin identity; its private keys stay in its gateway (OrgKeyring, encrypted at rest). IPFS holds only
 * envelopes, so a CID, fetched from any kubo node of the swarm, gives nothing to an org outside the audience.
 */
import { createPublicKey } from 'node:crypto';
import type { Logger } from 'pino';
import { documentAudience } from '@coffee/consortium';
import { type OrgKeyring, keyId } from '../crypto/org-keys.ts';
import { AppError, UnavailableError } from '../errors.ts';
import type { CoffeeLedger, FabricIdentity } from '../fabric/ledger.ts';
import {
  ENVELOPE_OVERHEAD_MAX,
  NotARecipientError,
  type Recipient,
  decryptDocument,
  encryptDocument,
} from '../ipfs/envelope.ts';

/** How long the orgs' published keys are trusted before re-reading (a rotation reaches uploaders within it). */
const CACHE_MS = 10_000;

export class DocumentKeys {
  #keyring: OrgKeyring;
  readonly #reload: (() => Promise<OrgKeyring>) | undefined;
  readonly #ledger: CoffeeLedger;
  readonly #admin: FabricIdentity;
  readonly #mspId: string;
  #cache: { at: number; keys: Map<string, Recipient> } | undefined;

  /** `reload` re-reads the key ring from disk (after a rotation by `gateways:rotate-document-key`). */
  constructor(
    keyring: OrgKeyring,
    ledger: CoffeeLedger,
    admin: FabricIdentity,
    mspId: string,
    reload?: () => Promise<OrgKeyring>,
  ) {
    this.#keyring = keyring;
    this.#reload = reload;
    this.#ledger = ledger;
    this.#admin = admin;
    this.#mspId = mspId;
  }

  /** Publishes this org's current public key on the ledger unless it is already the current one there. */
  async publishOwnKey(logger?: Logger): Promise<void> {
    const current = this.#keyring.current;
    const published = (await this.#recipients(true)).get(this.#mspId);
    if (published?.kid === current.kid) return;
    const spki = createPublicKey(current.publicKeyPem).export({ type: 'spki', format: 'der' });
    await this.#ledger.publishEncryptionKey(this.#admin, {
      kid: current.kid,
      publicKeySpki: spki.toString('base64'),
    });
    this.#cache = undefined;
    logger?.info({ kid: current.kid }, 'document encryption key published on the ledger');
  }

  /** Each org's current key, from the ledger (cached for a minute; `fresh` re-reads). */
  async #recipients(fresh = false): Promise<Map<string, Recipient>> {
    if (!fresh && this.#cache && Date.now() - this.#cache.at < CACHE_MS) return this.#cache.keys;
    const { orgs } = await this.#ledger.getEncryptionKeys(this.#admin);
    const keys = new Map<string, Recipient>();
    for (const org of orgs) {
      const last = org.keys[org.keys.length - 1];
      if (!last) continue;
      const publicKeyPem = createPublicKey({
        key: Buffer.from(last.publicKeySpki, 'base64'),
        format: 'der',
        type: 'spki',
      })
        .export({ type: 'spki', format: 'pem' })
        .toString();
      // The kid must be the key's own fingerprint: a mislabelled key is never used.
      if (keyId(publicKeyPem) !== last.kid) continue;
      keys.set(org.mspId, { mspId: org.mspId, kid: last.kid, publicKeyPem });
    }
    this.#cache = { at: Date.now(), keys };
    return keys;
  }

  /**
   * The recipients of a document type: every org of its audience (or of `audience`, for documents outside the
   * export document types, e.g. EUDR plots), each by its current published key.
   */
  async recipientsFor(
    docType: string,
    audience: readonly string[] = documentAudience(docType),
  ): Promise<Recipient[]> {
    if (audience.length === 0)
      throw new AppError(400, 'VALIDATION_FAILED', `unknown document type ${docType}`);
    let keys = await this.#recipients();
    if (audience.some((m) => !keys.has(m))) keys = await this.#recipients(true);
    const missing = audience.filter((m) => !keys.has(m));
    if (missing.length > 0)
      throw new UnavailableError(
        `the document keys of ${missing.join(', ')} (their gateways have not published one)`,
      );
    return audience.map((m) => keys.get(m)!);
  }

  async seal(
    plaintext: Uint8Array,
    docType: string,
    audience?: readonly string[],
  ): Promise<{ envelope: Buffer; recipients: string[] }> {
    const recipients = await this.recipientsFor(docType, audience);
    return {
      envelope: encryptDocument(plaintext, recipients, { docType }),
      recipients: recipients.map((r) => r.mspId),
    };
  }

  /**
   * Decrypts with this org's private keys; a document not wrapped for this org is refused. A document wrapped for
   * a key of this org that this process does not hold yet (rotated while it ran) reloads the key ring once.
   */
  async open(envelope: Uint8Array, docType: string): Promise<Buffer> {
    try {
      return this.#decrypt(envelope, docType);
    } catch (e: unknown) {
      if (!(e instanceof NotARecipientError) || e.kids.length === 0 || !this.#reload) throw this.#problem(e);
      this.#keyring = await this.#reload();
      try {
        return this.#decrypt(envelope, docType);
      } catch (again: unknown) {
        throw this.#problem(again);
      }
    }
  }

  #decrypt(envelope: Uint8Array, docType: string): Buffer {
    const out = decryptDocument(envelope, { mspId: this.#mspId, privateKeys: this.#keyring.privateKeys() });
    if (out.docType !== docType)
      throw new AppError(502, 'DOCUMENT_HASH_MISMATCH', 'the stored document is of another type');
    return out.plaintext;
  }

  #problem(e: unknown): AppError {
    if (e instanceof AppError) return e;
    if (e instanceof NotARecipientError)
      return new AppError(403, 'DOCUMENT_NOT_SHARED', `this document was not encrypted for ${this.#mspId}`);
    return new AppError(502, 'DOCUMENT_HASH_MISMATCH', 'the stored document could not be decrypted');
  }

  /** The largest envelope a document of `plainSize` bytes can have (download size limit). */
  static maxEnvelopeSize(plainSize: number, docType: string): number {
    return plainSize + ENVELOPE_OVERHEAD_MAX(Math.max(1, documentAudience(docType).length));
  }
}
