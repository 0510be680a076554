/** Users' Fabric private keys at rest: AES-256-GCM under the gateway's custody key, the user id as AAD. */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface SealedKey {
  ciphertext: Buffer;
  iv: Buffer;
  tag: Buffer;
}

export function sealKey(custodyKey: Buffer, aad: string, privateKeyPem: string): SealedKey {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', custodyKey, iv);
  cipher.setAAD(Buffer.from(aad));
  const ciphertext = Buffer.concat([cipher.update(privateKeyPem, 'utf8'), cipher.final()]);
  return { ciphertext, iv, tag: cipher.getAuthTag() };
}

export function openKey(custodyKey: Buffer, aad: string, sealed: SealedKey): string {
  const decipher = createDecipheriv('aes-256-gcm', custodyKey, sealed.iv);
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(sealed.tag);
  return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
}
