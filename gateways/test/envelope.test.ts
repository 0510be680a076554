/** Document envelopes: only recipients open them, nothing of the plaintext shows, any tampering is refused. */
import assert from 'node:assert/strict';
import { generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OrgKeyring } from '../src/crypto/org-keys.ts';
import {
  ENVELOPE_MAGIC,
  ENVELOPE_OVERHEAD_MAX,
  EnvelopeFormatError,
  EnvelopeIntegrityError,
  NotARecipientError,
  decryptDocument,
  encryptDocument,
  envelopeRecipients,
  isEnvelope,
  type Recipient,
  type RecipientKeys,
} from '../src/ipfs/envelope.ts';

interface Org {
  recipient: Recipient;
  keys: RecipientKeys;
  privateKey: KeyObject;
}

function org(mspId: string, kid: string): Org {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    recipient: { mspId, kid, publicKeyPem },
    keys: { mspId, privateKeys: new Map([[kid, privateKey]]) },
    privateKey,
  };
}

// Four key pairs for the whole file (RSA generation is the slow part).
const ecta = org('ECTAMSP', 'ecta-k1');
const bank = org('CommercialBankMSP', 'bank-k1');
const customs = org('CustomsMSP', 'customs-k1');
const shipping = org('ShippingLineMSP', 'ship-k1');
const three = [ecta, bank, customs];

const MARKER = 'CONFIDENTIAL-SALES-CONTRACT-';
const PLAINTEXT = Buffer.from(MARKER.repeat(Math.ceil(1024 / MARKER.length)).slice(0, 1024));

interface Parts {
  header: Record<string, unknown> & { recipients: Record<string, unknown>[] };
  ciphertext: Buffer;
}

function split(envelope: Buffer): Parts {
  const length = envelope.readUInt32BE(ENVELOPE_MAGIC.length);
  const start = ENVELOPE_MAGIC.length + 4;
  return {
    header: JSON.parse(envelope.subarray(start, start + length).toString('utf8')) as Parts['header'],
    ciphertext: Buffer.from(envelope.subarray(start + length)),
  };
}

function join_(header: unknown, ciphertext: Buffer, headerBytes?: Buffer): Buffer {
  const json = headerBytes ?? Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([ENVELOPE_MAGIC, length, json, ciphertext]);
}

/** The envelope with its header or ciphertext changed by `edit`. */
function edited(envelope: Buffer, edit: (p: Parts) => void): Buffer {
  const parts = split(envelope);
  edit(parts);
  return join_(parts.header, parts.ciphertext);
}

function flipBase64(value: unknown): string {
  const b = Buffer.from(value as string, 'base64');
  b[0]! ^= 0x01;
  return b.toString('base64');
}

describe('document envelope', () => {
  it('round-trips for one and for three recipients, each with its own key', () => {
    for (const recipients of [[bank], three]) {
      const envelope = encryptDocument(
        PLAINTEXT,
        recipients.map((o) => o.recipient),
        { docType: 'SALES_CONTRACT' },
      );
      assert.ok(isEnvelope(envelope));
      assert.deepEqual(
        envelopeRecipients(envelope),
        recipients.map((o) => ({ mspId: o.recipient.mspId, kid: o.recipient.kid })),
      );
      for (const o of recipients) {
        const opened = decryptDocument(envelope, o.keys);
        assert.deepEqual(opened.plaintext, PLAINTEXT, `${o.recipient.mspId} reads the document`);
        assert.equal(opened.docType, 'SALES_CONTRACT');
      }
    }
  });

  it('accepts the private key as an unencrypted PKCS#8 PEM too, and an empty document', () => {
    const envelope = encryptDocument(new Uint8Array(0), [bank.recipient], { docType: 'PACKING_LIST' });
    const pem = bank.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const opened = decryptDocument(envelope, {
      mspId: 'CommercialBankMSP',
      privateKeys: new Map([['bank-k1', pem]]),
    });
    assert.equal(opened.plaintext.length, 0);
  });

  it('refuses an organization that is not a recipient, or holds none of the wrapping keys', () => {
    const envelope = encryptDocument(
      PLAINTEXT,
      three.map((o) => o.recipient),
      { docType: 'SALES_CONTRACT' },
    );
    assert.throws(
      () => decryptDocument(envelope, shipping.keys),
      (e: unknown) =>
        e instanceof NotARecipientError &&
        e.name === 'NotARecipientError' &&
        e.mspId === 'ShippingLineMSP' &&
        e.kids.length === 0 &&
        e.recipients.includes('ECTAMSP'),
    );
    const rotatedAway = { mspId: 'CustomsMSP', privateKeys: new Map([['customs-k2', customs.privateKey]]) };
    assert.throws(
      () => decryptDocument(envelope, rotatedAway),
      (e: unknown) => e instanceof NotARecipientError && e.kids.join() === 'customs-k1',
    );
    // the right kid but another org's key: the wrapped key does not unwrap
    const wrongKey = { mspId: 'CustomsMSP', privateKeys: new Map([['customs-k1', shipping.privateKey]]) };
    assert.throws(() => decryptDocument(envelope, wrongKey), EnvelopeIntegrityError);
  });

  it('shows nothing of the plaintext, and never encrypts the same document the same way twice', () => {
    const recipients = three.map((o) => o.recipient);
    const a = encryptDocument(PLAINTEXT, recipients, { docType: 'SALES_CONTRACT' });
    const b = encryptDocument(PLAINTEXT, recipients, { docType: 'SALES_CONTRACT' });
    for (const envelope of [a, b]) {
      assert.equal(envelope.indexOf(MARKER), -1, 'the marker text does not appear');
      assert.equal(
        envelope.indexOf(PLAINTEXT.subarray(100, 116)),
        -1,
        'no 16-byte run of the plaintext appears',
      );
      assert.ok(!envelope.toString('latin1').includes('CONFIDENTIAL'));
    }
    const [pa, pb] = [split(a), split(b)];
    assert.notEqual(pa.header.iv, pb.header.iv, 'fresh IV');
    assert.notDeepEqual(pa.ciphertext, pb.ciphertext, 'fresh data key');
    for (let i = 0; i < recipients.length; i++)
      assert.notEqual(pa.header.recipients[i]!.wrappedKey, pb.header.recipients[i]!.wrappedKey);
    assert.equal(pa.ciphertext.length, PLAINTEXT.length, 'GCM adds no bytes to the ciphertext');
  });

  it('writes the documented format (checked independently with WebCrypto: RSA-OAEP SHA-256, AES-256-GCM)', async () => {
    const envelope = encryptDocument(PLAINTEXT, [ecta.recipient, bank.recipient], {
      docType: 'COMMERCIAL_INVOICE',
    });
    assert.deepEqual(envelope.subarray(0, 7), Buffer.from('CXENV1\n'));
    const { header, ciphertext } = split(envelope);
    assert.deepEqual(Object.keys(header).sort(), ['alg', 'docType', 'iv', 'recipients', 'tag', 'v']);
    assert.equal(header.v, 1);
    assert.equal(header.alg, 'A256GCM');
    assert.equal(header.recipients[0]!.alg, 'RSA-OAEP-256');
    const subtle = webcrypto.subtle;
    const pkcs8 = ecta.privateKey.export({ type: 'pkcs8', format: 'der' });
    const unwrapKey = await subtle.importKey('pkcs8', pkcs8, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, [
      'decrypt',
    ]);
    const mine = header.recipients.find((r) => r.mspId === 'ECTAMSP')!;
    const raw = await subtle.decrypt(
      { name: 'RSA-OAEP' },
      unwrapKey,
      Buffer.from(mine.wrappedKey as string, 'base64'),
    );
    assert.equal(raw.byteLength, 32);
    const aesKey = await subtle.importKey('raw', raw, 'AES-GCM', false, ['decrypt']);
    const aad = `CXENV1 aad ${JSON.stringify([1, 'A256GCM', header.iv, 'COMMERCIAL_INVOICE', ['CommercialBankMSP', 'ECTAMSP']])}`;
    const plain = await subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: Buffer.from(header.iv as string, 'base64'),
        additionalData: Buffer.from(aad),
        tagLength: 128,
      },
      aesKey,
      Buffer.concat([ciphertext, Buffer.from(header.tag as string, 'base64')]),
    );
    assert.deepEqual(Buffer.from(plain), PLAINTEXT);
  });

  it('refuses every kind of tampering', () => {
    const envelope = encryptDocument(
      PLAINTEXT,
      three.map((o) => o.recipient),
      { docType: 'SALES_CONTRACT' },
    );
    const cases: { name: string; edit: (p: Parts) => void; error: new (m: string) => Error }[] = [
      {
        name: 'a ciphertext byte',
        edit: (p) => void (p.ciphertext[500]! ^= 0x01),
        error: EnvelopeIntegrityError,
      },
      {
        name: 'a dropped ciphertext byte',
        edit: (p) => void (p.ciphertext = p.ciphertext.subarray(1)),
        error: EnvelopeIntegrityError,
      },
      {
        name: 'an appended ciphertext byte',
        edit: (p) => void (p.ciphertext = Buffer.concat([p.ciphertext, Buffer.from([0])])),
        error: EnvelopeIntegrityError,
      },
      {
        name: 'the tag',
        edit: (p) => void (p.header.tag = flipBase64(p.header.tag)),
        error: EnvelopeIntegrityError,
      },
      {
        name: 'the iv',
        edit: (p) => void (p.header.iv = flipBase64(p.header.iv)),
        error: EnvelopeIntegrityError,
      },
      {
        name: 'the docType',
        edit: (p) => void (p.header.docType = 'PACKING_LIST'),
        error: EnvelopeIntegrityError,
      },
      {
        name: 'a recipient removed',
        edit: (p) => void (p.header.recipients = p.header.recipients.filter((r) => r.mspId !== 'CustomsMSP')),
        error: EnvelopeIntegrityError,
      },
      {
        name: 'a recipient added (a copy of ECTA wrapped key under another mspId)',
        edit: (p) => void p.header.recipients.push({ ...p.header.recipients[1]!, mspId: 'ShippingLineMSP' }),
        error: EnvelopeIntegrityError,
      },
      {
        name: 'a recipient renamed',
        edit: (p) => void (p.header.recipients[0]!.mspId = 'ShippingLineMSP'),
        error: EnvelopeIntegrityError,
      },
      {
        name: 'the wrapped key of the reader',
        edit: (p) =>
          void (p.header.recipients[1]!.wrappedKey = flipBase64(p.header.recipients[1]!.wrappedKey)),
        error: EnvelopeIntegrityError,
      },
      { name: 'the version', edit: (p) => void (p.header.v = 2), error: EnvelopeFormatError },
      {
        name: 'the content algorithm',
        edit: (p) => void (p.header.alg = 'A128GCM'),
        error: EnvelopeFormatError,
      },
      { name: 'an unknown header field', edit: (p) => void (p.header.extra = 1), error: EnvelopeFormatError },
      {
        name: 'a duplicated recipient',
        edit: (p) => void p.header.recipients.push(p.header.recipients[0]!),
        error: EnvelopeFormatError,
      },
      {
        name: 'the wrapping algorithm',
        edit: (p) => void (p.header.recipients[0]!.alg = 'RSA1_5'),
        error: EnvelopeFormatError,
      },
    ];
    // the reader is the bank (recipient index 1); the reference envelope opens
    assert.deepEqual(decryptDocument(envelope, bank.keys).plaintext, PLAINTEXT);
    for (const c of cases) {
      assert.throws(
        () => decryptDocument(edited(envelope, c.edit), bank.keys),
        (e: unknown) => e instanceof c.error && e.name === c.error.name && !/PRIVATE KEY/.test(e.message),
        c.name,
      );
    }
  });

  it('refuses truncated, garbage and malformed input as EnvelopeFormatError', () => {
    const envelope = encryptDocument(PLAINTEXT, [bank.recipient], { docType: 'SALES_CONTRACT' });
    const { header, ciphertext } = split(envelope);
    const headerLength = envelope.readUInt32BE(ENVELOPE_MAGIC.length);
    const withLength = (n: number): Buffer => {
      const b = Buffer.from(envelope);
      b.writeUInt32BE(n, ENVELOPE_MAGIC.length);
      return b;
    };
    const cases: { name: string; bytes: Uint8Array }[] = [
      { name: 'empty', bytes: new Uint8Array(0) },
      { name: 'magic only', bytes: ENVELOPE_MAGIC },
      { name: 'garbage', bytes: Buffer.from('%PDF-1.7 this is not an envelope at all') },
      { name: 'truncated inside the header', bytes: envelope.subarray(0, ENVELOPE_MAGIC.length + 4 + 20) },
      { name: 'header length 0', bytes: withLength(0) },
      { name: 'header length past the end', bytes: withLength(envelope.length) },
      { name: 'header length over 64 KiB', bytes: withLength(64 * 1024 + 1) },
      { name: 'header length shorter than the JSON', bytes: withLength(headerLength - 1) },
      { name: 'header not JSON', bytes: join_(undefined, ciphertext, Buffer.from('not json')) },
      {
        name: 'header not UTF-8',
        bytes: join_(undefined, ciphertext, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
      },
      { name: 'header a JSON array', bytes: join_([header], ciphertext) },
      { name: 'no recipients', bytes: join_({ ...header, recipients: [] }, ciphertext) },
      {
        name: '17 recipients',
        bytes: join_(
          {
            ...header,
            recipients: Array.from({ length: 17 }, (_, i) => ({
              ...header.recipients[0]!,
              mspId: `Org${i}MSP`,
            })),
          },
          ciphertext,
        ),
      },
      { name: 'a short iv', bytes: join_({ ...header, iv: Buffer.alloc(8).toString('base64') }, ciphertext) },
      {
        name: 'a long tag',
        bytes: join_({ ...header, tag: Buffer.alloc(32).toString('base64') }, ciphertext),
      },
      { name: 'iv not base64', bytes: join_({ ...header, iv: 'not base64 at all!' }, ciphertext) },
      {
        name: 'iv with stray padding',
        bytes: join_({ ...header, iv: (header.iv as string) + '=' }, ciphertext),
      },
      { name: 'docType not an identifier', bytes: join_({ ...header, docType: '<script>' }, ciphertext) },
      {
        name: 'a short wrapped key',
        bytes: join_(
          {
            ...header,
            recipients: [{ ...header.recipients[0]!, wrappedKey: Buffer.alloc(64).toString('base64') }],
          },
          ciphertext,
        ),
      },
    ];
    for (const c of cases) {
      assert.throws(() => decryptDocument(c.bytes, bank.keys), EnvelopeFormatError, c.name);
      if (c.name !== 'empty' && c.name !== 'magic only' && c.name !== 'garbage')
        assert.throws(() => envelopeRecipients(c.bytes), EnvelopeFormatError, `${c.name} (recipients)`);
    }
    assert.equal(isEnvelope(Buffer.from('%PDF-1.7')), false);
    assert.equal(isEnvelope(ENVELOPE_MAGIC), false, 'too short for a header length');
    assert.equal(isEnvelope(envelope.subarray(3)), false);
    assert.equal(isEnvelope(new Uint8Array(envelope)), true);
  });

  it('refuses bad encryption arguments', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    const cases: { name: string; recipients: Recipient[]; docType?: string }[] = [
      { name: 'no recipients', recipients: [] },
      {
        name: 'a duplicated mspId',
        recipients: [bank.recipient, { ...ecta.recipient, mspId: 'CommercialBankMSP' }],
      },
      {
        name: '17 recipients',
        recipients: Array.from({ length: 17 }, (_, i) => ({ ...bank.recipient, mspId: `Org${i}MSP` })),
      },
      { name: 'an EC key', recipients: [{ ...bank.recipient, publicKeyPem: ec.toString() }] },
      { name: 'not a PEM', recipients: [{ ...bank.recipient, publicKeyPem: 'hello' }] },
      { name: 'a bad mspId', recipients: [{ ...bank.recipient, mspId: 'Bank MSP' }] },
      { name: 'a bad docType', recipients: [bank.recipient], docType: 'a/b' },
    ];
    for (const c of cases)
      assert.throws(
        () => encryptDocument(PLAINTEXT, c.recipients, { docType: c.docType ?? 'SALES_CONTRACT' }),
        RangeError,
        c.name,
      );
  });

  it('bounds the overhead exactly for the longest identifiers and a 4096-bit key', () => {
    const id = 'x'.repeat(64);
    for (const n of [1, 3, 16]) {
      const recipients = Array.from({ length: n }, (_, i) => ({
        ...bank.recipient,
        mspId: `${i}`.padStart(64, 'M'),
        kid: id,
      }));
      const envelope = encryptDocument(PLAINTEXT, recipients, { docType: id });
      const overhead = envelope.length - PLAINTEXT.length;
      // a 2048-bit key wraps to 256 bytes (344 base64 characters), a 4096-bit one to 512 (684 characters)
      assert.equal(ENVELOPE_OVERHEAD_MAX(n) - overhead, n * (684 - 344), `${n} recipients`);
    }
    const small = encryptDocument(PLAINTEXT, [bank.recipient], { docType: 'SALES_CONTRACT' });
    assert.ok(small.length - PLAINTEXT.length <= ENVELOPE_OVERHEAD_MAX(1));
    assert.ok(ENVELOPE_OVERHEAD_MAX(2) > ENVELOPE_OVERHEAD_MAX(1));
    assert.throws(() => ENVELOPE_OVERHEAD_MAX(0), RangeError);
    assert.throws(() => ENVELOPE_OVERHEAD_MAX(17), RangeError);
  });

  describe('with an org keyring that rotates', () => {
    let dir = '';
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cx-envelope-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('still opens documents wrapped for the old key after rotate(); new ones use the new key', async () => {
      const ring = await OrgKeyring.open(dir, { passphrase: 'test passphrase', create: true });
      const old = ring.current;
      const oldDoc = encryptDocument(PLAINTEXT, [{ mspId: 'ECTAMSP', ...old }, bank.recipient], {
        docType: 'QUALITY_CERTIFICATE',
      });
      const fresh = await ring.rotate();
      assert.notEqual(fresh.kid, old.kid);
      const me = { mspId: 'ECTAMSP', privateKeys: ring.privateKeys() };
      assert.deepEqual(decryptDocument(oldDoc, me).plaintext, PLAINTEXT, 'the old document still opens');
      const newDoc = encryptDocument(PLAINTEXT, [{ mspId: 'ECTAMSP', ...ring.current }], {
        docType: 'QUALITY_CERTIFICATE',
      });
      assert.deepEqual(envelopeRecipients(newDoc), [{ mspId: 'ECTAMSP', kid: fresh.kid }]);
      assert.deepEqual(decryptDocument(newDoc, me).plaintext, PLAINTEXT);
      const onlyNew = {
        mspId: 'ECTAMSP',
        privateKeys: new Map([[fresh.kid, ring.privateKeys().get(fresh.kid)!]]),
      };
      assert.throws(
        () => decryptDocument(oldDoc, onlyNew),
        NotARecipientError,
        'the old key is what opens it',
      );
    });
  });
});
