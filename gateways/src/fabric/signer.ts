/**
 * A P-256 ECDSA signer on node:crypto (OpenSSL), with low-S normalization as Fabric requires.
 *
 * fabric-gateway hands a signer the SHA-256 digest of the message; node:crypto cannot sign a bare digest
 * with ECDSA, so the connection uses `hash: hash.none` and this signer hashes and signs the message in one
 * OpenSSL call. Measured against signers.newPrivateKeySigner (pure-JS curve) in test/signer.test.ts.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { Signer } from '@hyperledger/fabric-gateway';

const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const HALF_N = P256_N >> 1n;

function readInt(der: Uint8Array, offset: number): { value: bigint; next: number } {
  if (der[offset] !== 0x02) throw new Error('not a DER INTEGER');
  const len = der[offset + 1]!;
  const bytes = der.subarray(offset + 2, offset + 2 + len);
  return { value: BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`), next: offset + 2 + len };
}

function encodeInt(n: bigint): Buffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** Parses a DER ECDSA signature into r and s. */
export function decodeDerSignature(der: Uint8Array): { r: bigint; s: bigint } {
  if (der[0] !== 0x30) throw new Error('not a DER SEQUENCE');
  const r = readInt(der, 2);
  const s = readInt(der, r.next);
  return { r: r.value, s: s.value };
}

export function encodeDerSignature(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([encodeInt(r), encodeInt(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** Rewrites s to n - s when s is in the upper half (Fabric rejects high-S signatures). */
export function normalizeLowS(der: Uint8Array): Uint8Array {
  const { r, s } = decodeDerSignature(der);
  return s > HALF_N ? encodeDerSignature(r, P256_N - s) : der;
}

export function isLowS(der: Uint8Array): boolean {
  return decodeDerSignature(der).s <= HALF_N;
}

/** A signer for connections made with `hash: hash.none`: it receives the whole message. */
export function newNodeCryptoSigner(privateKey: KeyObject | string): Signer {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return (message: Uint8Array): Promise<Uint8Array> =>
    Promise.resolve(normalizeLowS(sign('sha256', message, key)));
}
