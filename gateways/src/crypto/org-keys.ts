/**
 * Each organization's document-encryption key pairs (RSA 3072), named by key id, with rotation: the current key
 * wraps new documents, older keys stay to open older documents.
 *
 * On disk (directory mode 0700):
 *   <kid>.key.pem   the private key, encrypted PKCS#8 PEM (aes-256-cbc under the passphrase), mode 0600
 *   <kid>.pub.pem   the public key, SPKI PEM
 *   current         the current kid; replaced atomically (temp file + rename). The very first one is created
 *                   with link(2), which fails if `current` exists, so two processes creating the same fresh
 *                   keyring agree on one key (the loser removes its own); within one process, creations of the
 *                   same directory are also serialized, so the second open() generates nothing.
 *   history         the kids oldest first, replaced atomically, written before `current` moves. Every key pair
 *                   on disk is loaded, never silently dropped: those history does not list (a crash before it
 *                   was written, a hand-restored key) come after the listed ones, by file modification time.
 *
 * Rotations of one keyring are serialized within a process; rotating the same directory from two processes at
 * once is not supported (both keys would be kept, the last rename picks the current one).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { chmod, link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface OrgPublicKey {
  readonly kid: string;
  readonly publicKeyPem: string;
}

/** The keyring cannot be opened or written: carries the file involved, never key material. */
export class KeyringError extends Error {
  readonly file: string;
  constructor(file: string, message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'KeyringError';
    this.file = file;
  }
}

const RSA_BITS = 3072;
const PEM_CIPHER = 'aes-256-cbc';
const CURRENT = 'current';
const HISTORY = 'history';
const KID = /^[0-9a-f]{16}$/;
const KEY_FILE = /^([0-9a-f]{16})\.key\.pem$/;

/** First creations in progress in this process, by resolved directory. */
const creating = new Map<string, Promise<void>>();

/** First 16 hex characters of SHA-256 over the key's SPKI DER. */
export function keyId(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

interface KeyEntry {
  readonly kid: string;
  readonly publicKeyPem: string;
  readonly privateKey: KeyObject;
}

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
}

function generateRsa(): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      { modulusLength: RSA_BITS, publicExponent: 0x10001 },
      (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey })),
    );
  });
}

/** Writes a new file (never overwrites), flushed to disk, with the given mode. */
async function writeNewFile(file: string, data: string, mode: number): Promise<void> {
  const fh = await open(file, 'wx', mode);
  try {
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await chmod(file, mode);
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // not every platform can fsync a directory; the rename itself is still atomic
  }
}

function tempName(dir: string, name: string): string {
  return join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Replaces dir/name atomically (temp file + rename). */
async function replaceFile(dir: string, name: string, data: string): Promise<void> {
  const tmp = tempName(dir, name);
  try {
    await writeNewFile(tmp, data, 0o600);
    await rename(tmp, join(dir, name));
  } catch (e: unknown) {
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dir);
}

/** Creates dir/name only if it does not exist yet (temp file + link); false if another writer got there first. */
async function createFileOnce(dir: string, name: string, data: string, mode = 0o600): Promise<boolean> {
  const tmp = tempName(dir, name);
  try {
    await writeNewFile(tmp, data, mode);
    await link(tmp, join(dir, name));
    await syncDir(dir);
    return true;
  } catch (e: unknown) {
    if (errorCode(e) === 'EEXIST') return false;
    throw e;
  } finally {
    await rm(tmp, { force: true });
  }
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e: unknown) {
    if (errorCode(e) === 'ENOENT') return undefined;
    throw new KeyringError(file, `cannot read ${file} (${errorCode(e) ?? 'error'})`, e);
  }
}

async function readRequired(file: string): Promise<string> {
  const text = await readOptional(file);
  if (text === undefined) throw new KeyringError(file, `${file} is missing`);
  return text;
}

function passphraseBuffer(passphrase: Buffer | string): Buffer {
  const b = Buffer.from(passphrase);
  if (b.length === 0) throw new TypeError('the keyring passphrase must not be empty');
  return b;
}

export class OrgKeyring {
  readonly #dir: string;
  readonly #passphrase: Buffer;
  #keys: KeyEntry[];
  #current: KeyEntry;
  #busy: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, passphrase: Buffer, keys: KeyEntry[], current: KeyEntry) {
    this.#dir = dir;
    this.#passphrase = passphrase;
    this.#keys = keys;
    this.#current = current;
  }

  /**
   * Opens the keyring in dir. With create: true a missing or empty keyring gets its first key; with create: false
   * it is an error (KeyringError). A wrong passphrase is a KeyringError naming the key file.
   */
  static async open(
    dir: string,
    opts: { passphrase: Buffer | string; create: boolean },
  ): Promise<OrgKeyring> {
    const passphrase = passphraseBuffer(opts.passphrase);
    const currentFile = join(dir, CURRENT);
    if ((await readOptional(currentFile)) === undefined) {
      if (!opts.create)
        throw new KeyringError(
          currentFile,
          `no encryption keyring in ${dir} (${currentFile} is missing); open it with create to generate the first key`,
        );
      const key = resolve(dir);
      let pending = creating.get(key);
      if (!pending) {
        pending = OrgKeyring.#create(dir, passphrase).finally(() => creating.delete(key));
        creating.set(key, pending);
      }
      await pending;
    }
    return OrgKeyring.#load(dir, passphrase);
  }

  static async #create(dir: string, passphrase: Buffer): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if ((await readOptional(join(dir, CURRENT))) !== undefined) return;
    await chmod(dir, 0o700);
    const first = await OrgKeyring.#writeKeyPair(dir, passphrase);
    if (await createFileOnce(dir, CURRENT, `${first.kid}\n`)) {
      await replaceFile(dir, HISTORY, `${first.kid}\n`);
    } else {
      // another process created this keyring meanwhile: its key is the current one, ours is dropped
      await rm(join(dir, `${first.kid}.key.pem`), { force: true });
      await rm(join(dir, `${first.kid}.pub.pem`), { force: true });
    }
  }

  static async #writeKeyPair(dir: string, passphrase: Buffer): Promise<OrgPublicKey> {
    const { publicKey, privateKey } = await generateRsa();
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const kid = keyId(publicKeyPem);
    const encrypted = privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: PEM_CIPHER, passphrase })
      .toString();
    // each file appears complete or not at all (temp + link), never half-written to a concurrent reader
    for (const [name, data, mode] of [
      [`${kid}.key.pem`, encrypted, 0o600],
      [`${kid}.pub.pem`, publicKeyPem, 0o644],
    ] as const) {
      if (!(await createFileOnce(dir, name, data, mode)))
        throw new KeyringError(join(dir, name), `${join(dir, name)} already exists`);
    }
    return { kid, publicKeyPem };
  }

  /** The key pair kid; undefined if a file is missing and ifPresent (else a KeyringError). */
  static async #readKey(
    dir: string,
    kid: string,
    passphrase: Buffer,
    ifPresent: boolean,
  ): Promise<KeyEntry | undefined> {
    const keyFile = join(dir, `${kid}.key.pem`);
    const pubFile = join(dir, `${kid}.pub.pem`);
    const read = ifPresent ? readOptional : readRequired;
    const [encrypted, publicKeyPem] = await Promise.all([read(keyFile), read(pubFile)]);
    if (encrypted === undefined || publicKeyPem === undefined) return undefined;
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: encrypted, format: 'pem', passphrase });
    } catch (e: unknown) {
      throw new KeyringError(keyFile, `cannot decrypt ${keyFile}: wrong passphrase or corrupt key file`, e);
    }
    let derivedPem: string;
    let fileKid: string;
    try {
      derivedPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
      fileKid = keyId(publicKeyPem);
    } catch (e: unknown) {
      throw new KeyringError(pubFile, `${pubFile} is not a valid public key`, e);
    }
    if (fileKid !== kid || keyId(derivedPem) !== kid)
      throw new KeyringError(keyFile, `${keyFile} and ${pubFile} do not match key id ${kid}`);
    if (privateKey.asymmetricKeyType !== 'rsa')
      throw new KeyringError(keyFile, `${keyFile} is not an RSA key`);
    return { kid, publicKeyPem, privateKey };
  }

  /** Key ids oldest first: those `history` lists, then the other key files on disk by modification time. */
  static async #kidsInOrder(dir: string): Promise<{ listed: string[]; unlisted: string[] }> {
    const listed = [
      ...new Set(
        ((await readOptional(join(dir, HISTORY))) ?? '')
          .split('\n')
          .map((s) => s.trim())
          .filter((s) => KID.test(s)),
      ),
    ];
    const onDisk = (await readdir(dir)).flatMap((f) => KEY_FILE.exec(f)?.[1] ?? []);
    const aged = await Promise.all(
      onDisk
        .filter((kid) => !listed.includes(kid))
        .map(async (kid) => ({
          kid,
          t: await stat(join(dir, `${kid}.key.pem`)).then(
            (st) => st.mtimeMs,
            () => Infinity,
          ),
        })),
    );
    aged.sort((x, y) => x.t - y.t || x.kid.localeCompare(y.kid));
    return { listed, unlisted: aged.map((x) => x.kid) };
  }

  static async #load(dir: string, passphrase: Buffer): Promise<OrgKeyring> {
    const currentFile = join(dir, CURRENT);
    const currentKid = (await readRequired(currentFile)).trim();
    if (!KID.test(currentKid)) throw new KeyringError(currentFile, `${currentFile} does not hold a key id`);
    const { listed, unlisted } = await OrgKeyring.#kidsInOrder(dir);
    const keys: KeyEntry[] = [];
    for (const kid of listed) keys.push((await OrgKeyring.#readKey(dir, kid, passphrase, false))!);
    // an unlisted key may vanish while we read it: the loser of a creation race in another process removes it
    for (const kid of unlisted) {
      const entry = await OrgKeyring.#readKey(dir, kid, passphrase, true);
      if (entry) keys.push(entry);
    }
    const current = keys.find((k) => k.kid === currentKid);
    if (!current)
      throw new KeyringError(currentFile, `the current key ${currentKid} has no key files in ${dir}`);
    return new OrgKeyring(dir, passphrase, keys, current);
  }

  /** The key new documents are wrapped for. */
  get current(): OrgPublicKey {
    return { kid: this.#current.kid, publicKeyPem: this.#current.publicKeyPem };
  }

  /** All public keys, oldest first. */
  publicKeys(): OrgPublicKey[] {
    return this.#keys.map(({ kid, publicKeyPem }) => ({ kid, publicKeyPem }));
  }

  /** kid -> private key, for decryptDocument. */
  privateKeys(): ReadonlyMap<string, KeyObject> {
    return new Map(this.#keys.map((k) => [k.kid, k.privateKey]));
  }

  /** Generates a new key and makes it current; the old keys stay for documents wrapped under them. */
  async rotate(): Promise<OrgPublicKey> {
    const next = this.#busy.then(() => this.#rotate());
    this.#busy = next.catch(() => undefined);
    return next;
  }

  async #rotate(): Promise<OrgPublicKey> {
    const created = await OrgKeyring.#writeKeyPair(this.#dir, this.#passphrase);
    const entry = (await OrgKeyring.#readKey(this.#dir, created.kid, this.#passphrase, false))!;
    const keys = [...this.#keys, entry];
    await replaceFile(this.#dir, HISTORY, keys.map((k) => `${k.kid}\n`).join(''));
    await replaceFile(this.#dir, CURRENT, `${entry.kid}\n`);
    this.#keys = keys;
    this.#current = entry;
    return this.current;
  }
}
