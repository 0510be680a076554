/**
 * Need-to-know confidentiality of documents: every document is encrypted before it leaves the gateway, so IPFS
 * (a swarm shared by all six organizations) holds only envelopes.
 *
 * A fresh AES-256-GCM data key and a fresh 12-byte IV per document; the data key is wrapped for each recipient
 * organization with RSA-OAEP (SHA-256 for the OAEP hash and MGF1) under that org's public key.
 *
 * Layout:   MAGIC | header length (uint32, big-endian) | header (UTF-8 JSON) | ciphertext
 * Header:   { v: 1, alg: 'A256GCM', iv, tag, docType, recipients: [{ mspId, kid, alg: 'RSA-OAEP-256', wrappedKey }] }
 *           (iv, tag and wrappedKey in canonical base64). The GCM tag sits in the header, so the ciphertext is
 *           exactly as long as the plaintext.
 * AAD:      'CXENV1 aad ' + JSON.stringify([v, alg, iv, docType, sorted recipient mspIds]): changing the document
 *           type or the list of organizations in the header makes decryption fail.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

export interface Recipient {
  readonly mspId: string;
  readonly kid: string;
  readonly publicKeyPem: string;
}

export interface RecipientKeys {
  readonly mspId: string;
  /** kid -> PKCS#8 private key PEM (unencrypted) or a KeyObject */
  readonly privateKeys: ReadonlyMap<string, string | KeyObject>;
}

export const ENVELOPE_MAGIC: Buffer = Buffer.from('CXENV1\n', 'latin1');

const VERSION = 1;
const ALG = 'A256GCM';
const WRAP_ALG = 'RSA-OAEP-256';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;
const MAX_HEADER_BYTES = 64 * 1024;
const MAX_RECIPIENTS = 16;
/** RSA moduli from 2048 to 4096 bits: the wrapped key is as long as the modulus. */
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 4096;
const MIN_WRAPPED_BYTES = MIN_RSA_BITS / 8;
const MAX_WRAPPED_BYTES = MAX_RSA_BITS / 8;
/** MSP ids, key ids and document types: short ASCII identifiers (nothing to escape in JSON). */
const IDENTIFIER = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PREFIX_BYTES = ENVELOPE_MAGIC.length + 4;

/** Not an envelope, or a malformed one (bad header, unknown version or algorithm, truncated). */
export class EnvelopeFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeFormatError';
  }
}

/** This organization cannot open the envelope: it is not a recipient, or it holds none of the wrapping keys. */
export class NotARecipientError extends Error {
  readonly mspId: string;
  /** The key ids the envelope is wrapped under for this organization (empty when it is not a recipient). */
  readonly kids: readonly string[];
  /** The organizations the envelope is wrapped for. */
  readonly recipients: readonly string[];
  constructor(mspId: string, kids: readonly string[], recipients: readonly string[]) {
    super(
      kids.length === 0
        ? `${mspId} is not a recipient of this document (recipients: ${recipients.join(', ')})`
        : `${mspId} holds no private key for key id ${kids.join(', ')} under which this document is wrapped`,
    );
    this.name = 'NotARecipientError';
    this.mspId = mspId;
    this.kids = kids;
    this.recipients = recipients;
  }
}

/** The wrapped key or the ciphertext does not authenticate: wrong key, or the envelope was altered. */
export class EnvelopeIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeIntegrityError';
  }
}

interface HeaderRecipient {
  mspId: string;
  kid: string;
  alg: typeof WRAP_ALG;
  wrappedKey: string;
}

interface Header {
  v: typeof VERSION;
  alg: typeof ALG;
  iv: string;
  tag: string;
  docType: string;
  recipients: HeaderRecipient[];
}

function additionalData(h: Pick<Header, 'v' | 'alg' | 'iv' | 'docType'>, mspIds: readonly string[]): Buffer {
  const bound = [h.v, h.alg, h.iv, h.docType, [...mspIds].sort()];
  return Buffer.from(`CXENV1 aad ${JSON.stringify(bound)}`, 'utf8');
}

function rsaPublicKey(r: Recipient): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(r.publicKeyPem);
  } catch {
    throw new RangeError(`recipient ${r.mspId}: the public key is not a valid PEM public key`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS || bits > MAX_RSA_BITS)
    throw new RangeError(
      `recipient ${r.mspId}: the public key must be RSA of ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits`,
    );
  return key;
}

function checkRecipients(recipients: readonly Recipient[]): void {
  if (recipients.length === 0) throw new RangeError('a document needs at least one recipient');
  if (recipients.length > MAX_RECIPIENTS)
    throw new RangeError(`a document has at most ${MAX_RECIPIENTS} recipients`);
  const seen = new Set<string>();
  for (const r of recipients) {
    if (!IDENTIFIER.test(r.mspId) || !IDENTIFIER.test(r.kid))
      throw new RangeError('recipient mspId and kid must be 1-64 characters of [A-Za-z0-9._-]');
    if (seen.has(r.mspId)) throw new RangeError(`recipient ${r.mspId} is listed twice`);
    seen.add(r.mspId);
  }
}

/** Encrypts the document for the given organizations; the result is the envelope to store in IPFS. */
export function encryptDocument(
  plaintext: Uint8Array,
  recipients: readonly Recipient[],
  context: { docType: string },
): Buffer {
  if (!IDENTIFIER.test(context.docType))
    throw new RangeError('docType must be 1-64 characters of [A-Za-z0-9._-]');
  checkRecipients(recipients);
  const keys = recipients.map(rsaPublicKey);
  const dataKey = randomBytes(DATA_KEY_BYTES);
  try {
    const iv = randomBytes(IV_BYTES).toString('base64');
    const base = { v: VERSION, alg: ALG, iv, docType: context.docType } as const;
    const cipher = createCipheriv('aes-256-gcm', dataKey, Buffer.from(iv, 'base64'), {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(
      additionalData(
        base,
        recipients.map((r) => r.mspId),
      ),
    );
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const header: Header = {
      ...base,
      tag: cipher.getAuthTag().toString('base64'),
      recipients: recipients.map((r, i) => ({
        mspId: r.mspId,
        kid: r.kid,
        alg: WRAP_ALG,
        wrappedKey: publicEncrypt(
          { key: keys[i]!, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
          dataKey,
        ).toString('base64'),
      })),
    };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(json.length);
    return Buffer.concat([ENVELOPE_MAGIC, length, json, ciphertext]);
  } finally {
    dataKey.fill(0);
  }
}

/** Does it start like an envelope? (Magic bytes only; decryptDocument validates the rest.) */
export function isEnvelope(bytes: Uint8Array): boolean {
  return (
    bytes.length >= PREFIX_BYTES &&
    Buffer.from(bytes.buffer, bytes.byteOffset, ENVELOPE_MAGIC.length).equals(ENVELOPE_MAGIC)
  );
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function hasExactly(o: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(o);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(o, k));
}

function base64Field(value: unknown, what: string, min: number, max: number): string {
  if (typeof value !== 'string' || !BASE64.test(value))
    throw new EnvelopeFormatError(`envelope header: ${what} is not base64`);
  const n = Buffer.from(value, 'base64').length;
  if (n < min || n > max)
    throw new EnvelopeFormatError(`envelope header: ${what} has ${n} bytes, expected ${min}-${max}`);
  return value;
}

function identifierField(value: unknown, what: string): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value))
    throw new EnvelopeFormatError(`envelope header: ${what} is missing or not an identifier`);
  return value;
}

function parseRecipient(value: unknown): HeaderRecipient {
  if (!isRecord(value) || !hasExactly(value, ['mspId', 'kid', 'alg', 'wrappedKey']))
    throw new EnvelopeFormatError('envelope header: a recipient has missing or unknown fields');
  if (value.alg !== WRAP_ALG)
    throw new EnvelopeFormatError('envelope header: unknown key wrapping algorithm');
  return {
    mspId: identifierField(value.mspId, 'recipient mspId'),
    kid: identifierField(value.kid, 'recipient kid'),
    alg: WRAP_ALG,
    wrappedKey: base64Field(value.wrappedKey, 'wrappedKey', MIN_WRAPPED_BYTES, MAX_WRAPPED_BYTES),
  };
}

function parseHeader(value: unknown): Header {
  if (!isRecord(value) || !hasExactly(value, ['v', 'alg', 'iv', 'tag', 'docType', 'recipients']))
    throw new EnvelopeFormatError('envelope header has missing or unknown fields');
  if (value.v !== VERSION) throw new EnvelopeFormatError('unknown envelope version');
  if (value.alg !== ALG) throw new EnvelopeFormatError('unknown envelope content algorithm');
  const list = value.recipients;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_RECIPIENTS)
    throw new EnvelopeFormatError(`envelope header: recipients must be a list of 1 to ${MAX_RECIPIENTS}`);
  const recipients = list.map(parseRecipient);
  if (new Set(recipients.map((r) => r.mspId)).size !== recipients.length)
    throw new EnvelopeFormatError('envelope header: a recipient is listed twice');
  return {
    v: VERSION,
    alg: ALG,
    iv: base64Field(value.iv, 'iv', IV_BYTES, IV_BYTES),
    tag: base64Field(value.tag, 'tag', TAG_BYTES, TAG_BYTES),
    docType: identifierField(value.docType, 'docType'),
    recipients,
  };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function parseEnvelope(envelope: Uint8Array): { header: Header; ciphertext: Buffer } {
  const bytes = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  if (!isEnvelope(bytes)) throw new EnvelopeFormatError('not a document envelope');
  const length = bytes.readUInt32BE(ENVELOPE_MAGIC.length);
  if (length === 0 || length > MAX_HEADER_BYTES)
    throw new EnvelopeFormatError(`envelope header length ${length} is out of bounds`);
  if (PREFIX_BYTES + length > bytes.length) throw new EnvelopeFormatError('envelope is truncated');
  let json: unknown;
  try {
    json = JSON.parse(UTF8.decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + length)));
  } catch {
    throw new EnvelopeFormatError('envelope header is not UTF-8 JSON');
  }
  return { header: parseHeader(json), ciphertext: bytes.subarray(PREFIX_BYTES + length) };
}

/** The organizations (and their key ids) an envelope is wrapped for; validates the header, decrypts nothing. */
export function envelopeRecipients(envelope: Uint8Array): { mspId: string; kid: string }[] {
  return parseEnvelope(envelope).header.recipients.map(({ mspId, kid }) => ({ mspId, kid }));
}

function privateKeyObject(kid: string, key: string | KeyObject): KeyObject {
  let k: KeyObject;
  try {
    k = typeof key === 'string' ? createPrivateKey(key) : key;
  } catch {
    throw new TypeError(`private key ${kid} is not a valid unencrypted PKCS#8 PEM`);
  }
  if (k.type !== 'private' || k.asymmetricKeyType !== 'rsa')
    throw new TypeError(`private key ${kid} is not an RSA private key`);
  return k;
}

/** Opens an envelope with this organization's private keys. */
export function decryptDocument(
  envelope: Uint8Array,
  me: RecipientKeys,
): { plaintext: Buffer; docType: string } {
  const { header, ciphertext } = parseEnvelope(envelope);
  const mspIds = header.recipients.map((r) => r.mspId);
  const mine = header.recipients.find((r) => r.mspId === me.mspId);
  if (!mine) throw new NotARecipientError(me.mspId, [], mspIds);
  const key = me.privateKeys.get(mine.kid);
  if (key === undefined) throw new NotARecipientError(me.mspId, [mine.kid], mspIds);
  const privateKey = privateKeyObject(mine.kid, key);
  let dataKey: Buffer;
  try {
    dataKey = privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      Buffer.from(mine.wrappedKey, 'base64'),
    );
  } catch {
    throw new EnvelopeIntegrityError(
      `the data key wrapped for ${me.mspId} (key ${mine.kid}) does not unwrap`,
    );
  }
  try {
    if (dataKey.length !== DATA_KEY_BYTES)
      throw new EnvelopeIntegrityError(`the data key wrapped for ${me.mspId} has the wrong length`);
    const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(header.iv, 'base64'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(additionalData(header, mspIds));
    decipher.setAuthTag(Buffer.from(header.tag, 'base64'));
    const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    return { plaintext, docType: header.docType };
  } catch (e: unknown) {
    if (e instanceof EnvelopeIntegrityError) throw e;
    throw new EnvelopeIntegrityError(
      'the document does not authenticate: it was altered or the key is wrong',
    );
  } finally {
    dataKey.fill(0);
  }
}

/** The longest header encryptDocument can write for this many recipients (every field at its maximum). */
function maxHeaderBytes(recipientCount: number): number {
  const id = 'x'.repeat(64);
  const b64 = (n: number): string => 'A'.repeat(Math.ceil(n / 3) * 4);
  const header: Header = {
    v: VERSION,
    alg: ALG,
    iv: b64(IV_BYTES),
    tag: b64(TAG_BYTES),
    docType: id,
    recipients: Array.from({ length: recipientCount }, () => ({
      mspId: id,
      kid: id,
      alg: WRAP_ALG,
      wrappedKey: b64(MAX_WRAPPED_BYTES),
    })),
  };
  return Buffer.byteLength(JSON.stringify(header), 'utf8');
}

/**
 * Upper bound of (envelope size - plaintext size) for an envelope written by encryptDocument with this many
 * recipients: GCM adds no bytes to the ciphertext, so this is the magic, the length and the longest header.
 */
export const ENVELOPE_OVERHEAD_MAX = (recipientCount: number): number => {
  if (!Number.isInteger(recipientCount) || recipientCount < 1 || recipientCount > MAX_RECIPIENTS)
    throw new RangeError(`recipientCount must be an integer from 1 to ${MAX_RECIPIENTS}`);
  return PREFIX_BYTES + maxHeaderBytes(recipientCount);
};
