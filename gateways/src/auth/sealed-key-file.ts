/**
 * A private key kept in a file, encrypted at rest like the users' keys in the database (custody.ts: AES-256-GCM
 * under the gateway's custody key). The launcher writes the org admin's and the CA registrar's keys in this form;
 * the gateway opens them with its custody key at start. The additional data binds the key to its certificate
 * (SHA-256 fingerprint), so a sealed key cannot be swapped under another identity's certificate unnoticed.
 *
 *   {"format": "coffee-export/sealed-private-key/v1", "certificateSha256": "...", "iv": b64, "tag": b64,
 *    "ciphertext": b64}
 *
 * No dependencies beyond node:crypto: the launcher imports this file too.
 */
import { X509Certificate } from 'node:crypto';
import { openKey, sealKey } from './custody.ts';

export const SEALED_KEY_FORMAT = 'coffee-export/sealed-private-key/v1';

interface SealedKeyFile {
  format: typeof SEALED_KEY_FORMAT;
  certificateSha256: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

export class SealedKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedKeyError';
  }
}

/** The certificate's SHA-256 fingerprint, lower-case hex without colons. */
function fingerprint(certificatePem: string): string {
  return new X509Certificate(certificatePem).fingerprint256.replace(/:/g, '').toLowerCase();
}

const aad = (certSha256: string): string => `${SEALED_KEY_FORMAT}:${certSha256}`;

/** The text of a sealed key file for `privateKeyPem`, the key of `certificatePem`. */
export function sealKeyFile(custodyKey: Buffer, certificatePem: string, privateKeyPem: string): string {
  const certificateSha256 = fingerprint(certificatePem);
  const sealed = sealKey(custodyKey, aad(certificateSha256), privateKeyPem);
  const file: SealedKeyFile = {
    format: SEALED_KEY_FORMAT,
    certificateSha256,
    iv: sealed.iv.toString('base64'),
    tag: sealed.tag.toString('base64'),
    ciphertext: sealed.ciphertext.toString('base64'),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Whether a key file's text is a sealed key (else it should be a PEM). */
export function isSealedKeyFile(text: string): boolean {
  if (!text.trimStart().startsWith('{')) return false;
  try {
    return (JSON.parse(text) as { format?: unknown }).format === SEALED_KEY_FORMAT;
  } catch {
    return false;
  }
}

/** The PEM private key in a sealed key file; a SealedKeyError says why it cannot be opened. */
export function openKeyFile(custodyKey: Buffer, certificatePem: string, text: string): string {
  let file: Partial<SealedKeyFile>;
  try {
    file = JSON.parse(text) as Partial<SealedKeyFile>;
  } catch {
    throw new SealedKeyError('is not a sealed key file (not JSON)');
  }
  if (file.format !== SEALED_KEY_FORMAT) throw new SealedKeyError(`is not a ${SEALED_KEY_FORMAT} file`);
  const expected = fingerprint(certificatePem);
  if (file.certificateSha256 !== expected) throw new SealedKeyError('was sealed for another certificate');
  if (!file.iv || !file.tag || !file.ciphertext) throw new SealedKeyError('lacks iv, tag or ciphertext');
  try {
    return openKey(custodyKey, aad(expected), {
      iv: Buffer.from(file.iv, 'base64'),
      tag: Buffer.from(file.tag, 'base64'),
      ciphertext: Buffer.from(file.ciphertext, 'base64'),
    });
  } catch {
    throw new SealedKeyError('cannot be opened with this CUSTODY_KEY (sealed under another custody key?)');
  }
}
