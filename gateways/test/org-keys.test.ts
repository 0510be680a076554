/** The org encryption keyring on disk: creation, reopening, passphrase, file modes, one key under a race, rotation. */
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KeyringError, OrgKeyring, keyId } from '../src/crypto/org-keys.ts';

const PASSPHRASE = 'correct horse battery staple';
const KID = /^[0-9a-f]{16}$/;

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('org keyring', () => {
  let root = '';
  let dir = ''; // one keyring created once and reused (RSA 3072 generation is slow)
  let ring: OrgKeyring;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'cx-org-keys-'));
    dir = join(root, 'ecta', 'doc-keys'); // does not exist yet
    ring = await OrgKeyring.open(dir, { passphrase: PASSPHRASE, create: true });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates the first key: 3072-bit RSA, its kid from the SPKI, encrypted at rest, 0600 in a 0700 directory', async () => {
    const { kid, publicKeyPem } = ring.current;
    assert.match(kid, KID);
    const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
    assert.equal(kid, createHash('sha256').update(der).digest('hex').slice(0, 16));
    assert.equal(keyId(publicKeyPem), kid);
    assert.deepEqual(ring.publicKeys(), [{ kid, publicKeyPem }]);
    const priv = ring.privateKeys().get(kid);
    assert.equal(priv?.type, 'private');
    assert.equal(priv.asymmetricKeyDetails?.modulusLength, 3072);

    const files = (await readdir(dir)).sort();
    assert.deepEqual(files, ['current', 'history', `${kid}.key.pem`, `${kid}.pub.pem`].sort());
    const keyPem = await readFile(join(dir, `${kid}.key.pem`), 'utf8');
    assert.match(keyPem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    assert.equal(await readFile(join(dir, `${kid}.pub.pem`), 'utf8'), publicKeyPem);
    assert.equal((await readFile(join(dir, 'current'), 'utf8')).trim(), kid);
    assert.equal(await mode(dir), 0o700);
    assert.equal(await mode(join(dir, `${kid}.key.pem`)), 0o600);
    assert.equal(await mode(join(dir, 'current')), 0o600);
  });

  it('reopens to the same key, with the passphrase as a string or a Buffer', async () => {
    for (const passphrase of [PASSPHRASE, Buffer.from(PASSPHRASE)]) {
      const again = await OrgKeyring.open(dir, { passphrase, create: false });
      assert.deepEqual(again.current, ring.current);
      assert.deepEqual(again.publicKeys(), ring.publicKeys());
      const kid = ring.current.kid;
      const a = again.privateKeys().get(kid)!.export({ type: 'pkcs8', format: 'der' });
      const b = ring.privateKeys().get(kid)!.export({ type: 'pkcs8', format: 'der' });
      assert.ok(a.equals(b));
    }
    const withCreate = await OrgKeyring.open(dir, { passphrase: PASSPHRASE, create: true });
    assert.equal(withCreate.current.kid, ring.current.kid, 'create: true does not replace an existing key');
  });

  it('refuses a wrong passphrase with an error naming the key file and nothing of OpenSSL', async () => {
    const keyFile = join(dir, `${ring.current.kid}.key.pem`);
    await assert.rejects(
      OrgKeyring.open(dir, { passphrase: 'not the passphrase', create: false }),
      (e: unknown) =>
        e instanceof KeyringError &&
        e.name === 'KeyringError' &&
        e.file === keyFile &&
        e.message.includes(keyFile) &&
        /wrong passphrase/.test(e.message) &&
        !/error:|routines|BEGIN/.test(e.message),
    );
    await assert.rejects(OrgKeyring.open(dir, { passphrase: '', create: false }), TypeError);
  });

  it('refuses to open a missing or empty keyring without create, and a corrupt one', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty);
    for (const d of [join(root, 'missing'), empty])
      await assert.rejects(
        OrgKeyring.open(d, { passphrase: PASSPHRASE, create: false }),
        (e: unknown) =>
          e instanceof KeyringError && /create/.test(e.message) && e.file === join(d, 'current'),
      );
    assert.deepEqual(await readdir(empty), [], 'nothing was created');

    const cases: { name: string; corrupt: (d: string) => Promise<void> }[] = [
      { name: 'current is not a kid', corrupt: (d) => writeFile(join(d, 'current'), 'hello\n') },
      {
        name: 'current names a missing key',
        corrupt: (d) => writeFile(join(d, 'current'), '0123456789abcdef\n'),
      },
      {
        name: 'the public key belongs to another key',
        corrupt: (d) =>
          writeFile(join(d, `${ring.current.kid}.pub.pem`), ring.current.publicKeyPem.replace(/A/, 'B')),
      },
    ];
    for (const c of cases) {
      const copy = join(root, `corrupt-${cases.indexOf(c)}`);
      await cp(dir, copy, { recursive: true });
      await c.corrupt(copy);
      await assert.rejects(
        OrgKeyring.open(copy, { passphrase: PASSPHRASE, create: false }),
        KeyringError,
        c.name,
      );
    }
  });

  it('agrees on one current key when two open() calls create the same fresh keyring at once', async () => {
    const fresh = join(root, 'race');
    const [a, b] = await Promise.all([
      OrgKeyring.open(fresh, { passphrase: PASSPHRASE, create: true }),
      OrgKeyring.open(fresh, { passphrase: PASSPHRASE, create: true }),
    ]);
    assert.equal(a.current.kid, b.current.kid);
    assert.deepEqual(a.publicKeys(), b.publicKeys());
    assert.equal(a.publicKeys().length, 1);
    const files = await readdir(fresh);
    assert.deepEqual(
      files.filter((f) => f.endsWith('.pem')).sort(),
      [`${a.current.kid}.key.pem`, `${a.current.kid}.pub.pem`],
      'the losing key was removed',
    );
    assert.deepEqual(
      files.filter((f) => f.endsWith('.tmp')),
      [],
      'no temp files left',
    );
    const reopened = await OrgKeyring.open(fresh, { passphrase: PASSPHRASE, create: false });
    assert.equal(reopened.current.kid, a.current.kid);
  });

  it('rotates: the new key becomes current, old keys stay (oldest first), also after reopening', async () => {
    const old = ring.current;
    const fresh = await ring.rotate();
    assert.match(fresh.kid, KID);
    assert.notEqual(fresh.kid, old.kid);
    assert.deepEqual(ring.current, fresh);
    assert.deepEqual(
      ring.publicKeys().map((k) => k.kid),
      [old.kid, fresh.kid],
    );
    assert.deepEqual([...ring.privateKeys().keys()], [old.kid, fresh.kid]);
    assert.equal(await mode(join(dir, `${fresh.kid}.key.pem`)), 0o600);
    assert.equal((await readFile(join(dir, 'current'), 'utf8')).trim(), fresh.kid);

    const reopened = await OrgKeyring.open(dir, { passphrase: PASSPHRASE, create: false });
    assert.deepEqual(reopened.current, fresh);
    assert.deepEqual(reopened.publicKeys(), ring.publicKeys());
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.tmp')),
      [],
    );

    // history lost: every key pair on disk still loads, oldest first by file time
    const noHistory = join(root, 'no-history');
    await cp(dir, noHistory, { recursive: true, preserveTimestamps: true });
    await rm(join(noHistory, 'history'));
    const recovered = await OrgKeyring.open(noHistory, { passphrase: PASSPHRASE, create: false });
    assert.equal(recovered.current.kid, fresh.kid);
    assert.deepEqual(
      recovered.publicKeys().map((k) => k.kid),
      [old.kid, fresh.kid],
    );
  });

  it('loads a key pair that history does not list (a crash mid-rotation) after the listed ones', async () => {
    const copy = join(root, 'unlisted');
    await cp(dir, copy, { recursive: true });
    const race = await OrgKeyring.open(join(root, 'race'), { passphrase: PASSPHRASE, create: false });
    const stray = race.current.kid; // same passphrase, never listed in this keyring's history
    for (const f of [`${stray}.key.pem`, `${stray}.pub.pem`]) await cp(join(root, 'race', f), join(copy, f));
    const loaded = await OrgKeyring.open(copy, { passphrase: PASSPHRASE, create: false });
    assert.deepEqual(
      loaded.publicKeys().map((k) => k.kid),
      [...ring.publicKeys().map((k) => k.kid), stray],
    );
    assert.equal(loaded.current.kid, ring.current.kid, 'an unlisted key never becomes current by itself');
    assert.ok(loaded.privateKeys().has(stray));
  });
});
