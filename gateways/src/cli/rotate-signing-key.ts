/**
 * Rotates a gateway's access-token signing key (auth/keyring.ts): a new RSA key becomes current and signs every
 * token from now on — the running gateway notices the ring changed before its next signature, no restart — while
 * the previous key keeps verifying until the tokens it signed have expired (the access-token lifetime plus a
 * minute), so nobody is logged out. Retired keys past that are dropped (files deleted); /.well-known/jwks.json
 * lists exactly the keys that still verify.
 *
 * It reads the gateway's own configuration (the environment and the file COFFEE_GATEWAY_CONFIG names, config.ts);
 * the ring is JWT_KEYRING_DIR (development default: SECRETS_DIR/jwt-keys):
 *
 *   COFFEE_GATEWAY_CONFIG=<gateway.json> node --import tsx gateways/src/cli/rotate-signing-key.ts
 *   npm run gateways:rotate-signing-key -- [<org> ...]   (gateways the launcher started; every org without one)
 */
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { initKeyring, rotateSigningKey } from '../auth/keyring.ts';

export function rotateGatewaySigningKey(config: Config): ReturnType<typeof rotateSigningKey> {
  const dir = config.jwt.keyringDir;
  if (!dir)
    throw new ConfigError(
      'the signing key is a fixed pair (JWT_PRIVATE_KEY_FILE / JWT_PUBLIC_KEY_FILE): set JWT_KEYRING_DIR to rotate it',
    );
  // A gateway that never started yet has no ring: its first key is the configured pair, as the gateway would do.
  initKeyring(dir, { privateKey: config.jwt.privateKey, publicKey: config.jwt.publicKey });
  return rotateSigningKey(dir, config.jwt.accessTtlSeconds);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  if (process.argv.length > 2) {
    process.stderr.write(
      'usage: COFFEE_GATEWAY_CONFIG=<gateway.json> rotate-signing-key.ts   (or npm run gateways:rotate-signing-key -- [<org> ...])\n',
    );
    process.exit(2);
  }
  try {
    const config = loadConfig();
    const r = rotateGatewaySigningKey(config);
    process.stdout.write(
      `${config.org.id}: signing key ${r.previous} → ${r.current}; ${r.previous} verifies until ${r.previousVerifiesUntil.toISOString()}` +
        (r.dropped.length > 0 ? `; dropped ${r.dropped.join(', ')}` : '') +
        '\n',
    );
  } catch (e: unknown) {
    process.stderr.write(`rotate-signing-key: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof ConfigError ? 78 : 1);
  }
}
