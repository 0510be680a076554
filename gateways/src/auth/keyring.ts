/**
 * The gateway's access-token signing keys (RS256) as a key ring, so the signing key can be rotated without
 * logging anyone out: the current key signs; a key that stopped being current keeps verifying until the last
 * token it signed has expired (its retirement + the access-token lifetime + a minute of clock slack), then it is
 * dropped. Every token names its key in the JWS header's `kid`: the RFC 7638 JWK thumbprint of the public key,
 * which anyone holding the JWKS can recompute.
 *
 * On disk (a directory of its own, mode 0700):
 *   keyring.json   {"current": kid, "keys": [{"kid", "createdAt", "retiredAt"?}]}: the ring's state, replaced
 *                  atomically (temp file + rename) after the key files it names are written
 *   <kid>.key      PKCS#8 PEM private key, mode 0600
 *   <kid>.pub      SPKI PEM public key
 *
 * A running gateway notices a rotation without a restart: before signing it stats keyring.json (cheap next to the
 * scrypt of a login) and reloads when the file changed, so the new key signs at once; verification checks the file
 * at most once a second, and at once for a token with a kid it does not know. Rotating one directory from two processes at the same moment is not
 * supported (the last rename wins; both keys stay on disk).
 *
 * JWT_PRIVATE_KEY_FILE / JWT_PUBLIC_KEY_FILE alone make a static one-key ring (StaticKeyring): it cannot rotate.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/** How long past its tokens' lifetime a retired key still verifies (clock differences between processes). */
export const CLOCK_SLACK_SECONDS = 60;
const MANIFEST = 'keyring.json';
const KID = /^[A-Za-z0-9_-]{43}$/;

/** A public key as a JWK of the JWKS (RFC 7517): RS256 signature keys only. */
export interface PublicJwk {
  kty: 'RSA';
  kid: string;
  use: 'sig';
  alg: 'RS256';
  n: string;
  e: string;
}

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

/** What tokens.ts needs of a key ring: the key that signs now, a verifying key by kid, and the JWKS. */
export interface KeySource {
  signingKey(): SigningKey;
  /** The public key named `kid` if it still verifies; undefined for an unknown or dropped key. */
  verificationKey(kid: string): KeyObject | undefined;
  jwks(): { keys: PublicJwk[] };
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an RSA public key: members e, kty, n in that order. */
export function jwkThumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string')
    throw new Error('JWT signing keys must be RSA keys');
  const canonical = JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n });
  return createHash('sha256').update(canonical).digest('base64url');
}

function publicJwk(kid: string, publicKey: KeyObject): PublicJwk {
  const jwk = publicKey.export({ format: 'jwk' });
  return { kty: 'RSA', kid, use: 'sig', alg: 'RS256', n: String(jwk.n), e: String(jwk.e) };
}

interface LoadedKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Epoch ms after which it no longer verifies (retired keys only). */
  verifiesUntil?: number;
}

/** JWT_PRIVATE_KEY_FILE + JWT_PUBLIC_KEY_FILE: one key, signing and verifying, never rotated. */
export class StaticKeyring implements KeySource {
  readonly #key: LoadedKey;

  constructor(privateKey: string | KeyObject, publicKey: string | KeyObject) {
    const pub = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
    const priv = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
    this.#key = { kid: jwkThumbprint(pub), privateKey: priv, publicKey: pub };
  }

  signingKey(): SigningKey {
    return this.#key;
  }

  verificationKey(kid: string): KeyObject | undefined {
    return kid === this.#key.kid ? this.#key.publicKey : undefined;
  }

  jwks(): { keys: PublicJwk[] } {
    return { keys: [publicJwk(this.#key.kid, this.#key.publicKey)] };
  }
}

interface ManifestEntry {
  kid: string;
  createdAt: string;
  retiredAt?: string;
}
interface Manifest {
  current: string;
  keys: ManifestEntry[];
}

function readManifest(dir: string): Manifest {
  const file = join(dir, MANIFEST);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Manifest>;
  if (
    typeof parsed.current !== 'string' ||
    !Array.isArray(parsed.keys) ||
    !parsed.keys.every((k) => typeof k?.kid === 'string' && KID.test(k.kid)) ||
    !parsed.keys.some((k) => k.kid === parsed.current)
  )
    throw new Error(`${file} is not a signing key ring (current and keys[].kid)`);
  return parsed as Manifest;
}

function writeManifest(dir: string, manifest: Manifest): void {
  const tmp = join(dir, `${MANIFEST}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, join(dir, MANIFEST));
}

/** Writes a key pair into the ring's directory (the private key 0600) and returns its kid. */
function writeKeyPair(dir: string, privateKey: KeyObject, publicKey: KeyObject): string {
  const kid = jwkThumbprint(publicKey);
  const keyFile = join(dir, `${kid}.key`);
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(join(dir, `${kid}.pub`), publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  return kid;
}

const verifiesUntil = (entry: ManifestEntry, accessTtlSeconds: number): number | undefined =>
  entry.retiredAt === undefined
    ? undefined
    : Date.parse(entry.retiredAt) + (accessTtlSeconds + CLOCK_SLACK_SECONDS) * 1000;

/** Creates the ring in `dir` unless it exists: its first key is `seed` (an existing key pair) or a new one. */
export function initKeyring(dir: string, seed?: { privateKey: string; publicKey: string }): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (existsSync(join(dir, MANIFEST))) return false;
  const pair = seed
    ? { privateKey: createPrivateKey(seed.privateKey), publicKey: createPublicKey(seed.publicKey) }
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = writeKeyPair(dir, pair.privateKey, pair.publicKey);
  writeManifest(dir, { current: kid, keys: [{ kid, createdAt: new Date().toISOString() }] });
  return true;
}

/** The ring in a directory, reloaded when keyring.json changes (see the file comment). */
export class DirectoryKeyring implements KeySource {
  readonly #dir: string;
  readonly #accessTtlSeconds: number;
  #keys: LoadedKey[] = [];
  #current!: LoadedKey;
  /** Identity of the keyring.json last loaded (a rename gives a new inode). */
  #stamp = '';
  /** When verification last checked keyring.json (at most once a second: it runs on every request). */
  #checkedAt = 0;

  /** Opens (and, the first time, creates: see initKeyring) the ring in `dir`. */
  static open(
    dir: string,
    opts: { accessTtlSeconds: number; seed?: { privateKey: string; publicKey: string } },
  ): DirectoryKeyring {
    initKeyring(dir, opts.seed);
    return new DirectoryKeyring(dir, opts.accessTtlSeconds);
  }

  private constructor(dir: string, accessTtlSeconds: number) {
    this.#dir = dir;
    this.#accessTtlSeconds = accessTtlSeconds;
    this.reload();
  }

  /** Reloads keyring.json and the keys it names if the file changed since the last load. */
  reload(): void {
    const st = statSync(join(this.#dir, MANIFEST));
    const stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
    if (stamp === this.#stamp) return;
    const manifest = readManifest(this.#dir);
    const known = new Map(this.#keys.map((k) => [k.kid, k]));
    const keys: LoadedKey[] = [];
    for (const entry of manifest.keys) {
      const until = verifiesUntil(entry, this.#accessTtlSeconds);
      if (entry.kid !== manifest.current && until !== undefined && until <= Date.now()) continue;
      const loaded = known.get(entry.kid) ?? {
        kid: entry.kid,
        privateKey: createPrivateKey(readFileSync(join(this.#dir, `${entry.kid}.key`), 'utf8')),
        publicKey: createPublicKey(readFileSync(join(this.#dir, `${entry.kid}.pub`), 'utf8')),
      };
      if (jwkThumbprint(loaded.publicKey) !== entry.kid)
        throw new Error(`${join(this.#dir, `${entry.kid}.pub`)} is not the key its name says`);
      keys.push({ ...loaded, ...(entry.kid === manifest.current ? {} : { verifiesUntil: until }) });
    }
    this.#keys = keys;
    this.#current = keys.find((k) => k.kid === manifest.current)!;
    this.#stamp = stamp;
  }

  /** Reload when keyring.json changed; a failed reload (a half-written directory) keeps the keys in memory. */
  #refresh(): void {
    try {
      this.reload();
    } catch {
      // the next call tries again
    }
  }

  #live(): LoadedKey[] {
    const now = Date.now();
    return this.#keys.filter((k) => k.verifiesUntil === undefined || k.verifiesUntil > now);
  }

  signingKey(): SigningKey {
    this.#refresh();
    return this.#current;
  }

  verificationKey(kid: string): KeyObject | undefined {
    if (Date.now() - this.#checkedAt > 1000) {
      this.#checkedAt = Date.now();
      this.#refresh();
    }
    let key = this.#live().find((k) => k.kid === kid);
    if (!key) {
      // A kid this process does not know yet: a rotation by another process (the CLI) since the last load.
      this.#refresh();
      key = this.#live().find((k) => k.kid === kid);
    }
    return key?.publicKey;
  }

  jwks(): { keys: PublicJwk[] } {
    this.#refresh();
    return { keys: this.#live().map((k) => publicJwk(k.kid, k.publicKey)) };
  }
}

/**
 * Rotates the ring in `dir`: a new key becomes current at once, the previous current key is retired (it verifies
 * for `accessTtlSeconds` + CLOCK_SLACK_SECONDS more), and retired keys past that are dropped, files included.
 */
export function rotateSigningKey(
  dir: string,
  accessTtlSeconds: number,
  now: Date = new Date(),
): { previous: string; current: string; previousVerifiesUntil: Date; dropped: string[] } {
  const manifest = readManifest(dir);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = writeKeyPair(dir, privateKey, publicKey);
  const dropped: string[] = [];
  const keys: ManifestEntry[] = [];
  for (const entry of manifest.keys) {
    if (entry.kid === kid) continue;
    const retired = entry.kid === manifest.current ? { ...entry, retiredAt: now.toISOString() } : entry;
    const until = verifiesUntil(retired, accessTtlSeconds);
    if (until !== undefined && until <= now.getTime()) dropped.push(entry.kid);
    else keys.push(retired);
  }
  keys.push({ kid, createdAt: now.toISOString() });
  writeManifest(dir, { current: kid, keys });
  for (const old of dropped) {
    rmSync(join(dir, `${old}.key`), { force: true });
    rmSync(join(dir, `${old}.pub`), { force: true });
  }
  return {
    previous: manifest.current,
    current: kid,
    previousVerifiesUntil: new Date(now.getTime() + (accessTtlSeconds + CLOCK_SLACK_SECONDS) * 1000),
    dropped,
  };
}

/** The configured signing keys: the ring in `keyringDir` (created from the pair the first time), else the pair. */
export function openSigningKeys(jwt: {
  privateKey: string;
  publicKey: string;
  keyringDir?: string;
  accessTtlSeconds: number;
}): KeySource {
  return jwt.keyringDir
    ? DirectoryKeyring.open(jwt.keyringDir, {
        accessTtlSeconds: jwt.accessTtlSeconds,
        seed: { privateKey: jwt.privateKey, publicKey: jwt.publicKey },
      })
    : new StaticKeyring(jwt.privateKey, jwt.publicKey);
}
