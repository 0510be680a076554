/** The node:crypto P-256 signer: low-S, verifiable, and measured against fabric-gateway's default signer. */
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, generateKeyPairSync, sign as nodeSign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { signers } from '@hyperledger/fabric-gateway';
import {
  decodeDerSignature,
  encodeDerSignature,
  isLowS,
  newNodeCryptoSigner,
  normalizeLowS,
} from '../src/fabric/signer.ts';

const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('node:crypto P-256 signer', () => {
  it('produces low-S signatures that verify over the message', async () => {
    const sign = newNodeCryptoSigner(pem);
    for (let i = 0; i < 200; i++) {
      const msg = Buffer.from(`message ${i}`);
      const sig = await sign(msg);
      assert.ok(isLowS(sig), `signature ${i} is low-S`);
      assert.ok(verify('sha256', msg, publicKey, Buffer.from(sig)), `signature ${i} verifies`);
    }
  });

  it('normalizes a high-S signature to n - s (still valid) and leaves a low-S one alone', () => {
    const msg = Buffer.from('high-s');
    const sig = normalizeLowS(require_sign(msg));
    const { r, s } = decodeDerSignature(sig);
    const high = encodeDerSignature(r, N - s);
    assert.equal(isLowS(high), false);
    assert.ok(verify('sha256', msg, publicKey, high), 'the high-S twin is valid ECDSA too');
    const fixed = normalizeLowS(high);
    assert.ok(isLowS(fixed));
    assert.deepEqual(Buffer.from(fixed), Buffer.from(sig));
    assert.equal(normalizeLowS(sig), sig);
  });

  it('is faster than signers.newPrivateKeySigner (prints µs per signature)', async () => {
    const nodeSigner = newNodeCryptoSigner(pem);
    const jsSigner = signers.newPrivateKeySigner(createPrivateKey(pem));
    const msg = Buffer.alloc(1500, 1); // about a proposal's size
    const digest = createHash('sha256').update(msg).digest();
    const rounds = 500;
    for (let i = 0; i < 50; i++) {
      await nodeSigner(msg);
      await jsSigner(digest);
    }
    let t = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) await jsSigner(digest);
    const jsUs = Number(process.hrtime.bigint() - t) / 1000 / rounds;
    t = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) await nodeSigner(msg);
    const nodeUs = Number(process.hrtime.bigint() - t) / 1000 / rounds;
    console.log(
      `signer: fabric-gateway newPrivateKeySigner ${jsUs.toFixed(1)} µs/signature; node:crypto + low-S ${nodeUs.toFixed(1)} µs/signature (hash included)`,
    );
    const jsSig = await jsSigner(digest);
    assert.ok(verify('sha256', msg, publicKey, Buffer.from(jsSig)), 'both sign the same thing');
    assert.ok(nodeUs < jsUs, 'the node:crypto signer is the faster one');
  });
});

function require_sign(msg: Buffer): Buffer {
  return nodeSign('sha256', msg, privateKey);
}
