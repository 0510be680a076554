/**
 * Rotates an org's document-encryption key pair: a new RSA key becomes current, the old ones stay (older
 * documents name them and still decrypt). Then, unless --no-publish, it publishes the new public key on the
 * ledger with the org admin's identity, so from the next upload every gateway wraps new documents for it.
 * A running gateway of the org must be restarted afterwards: it keeps its key ring in memory and would not
 * decrypt documents wrapped for the new key until then (docs/confidentiality.md, "Key rotation").
 *
 * It reads the gateway's own configuration (the environment and the file COFFEE_GATEWAY_CONFIG names, config.ts):
 *
 *   COFFEE_GATEWAY_CONFIG=<gateway.json> node --import tsx gateways/src/cli/rotate-document-key.ts [--no-publish]
 *   npm run gateways:rotate-document-key -- <org> [--no-publish]   (a gateway the launcher started)
 */
import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { OrgKeyring } from '../crypto/org-keys.ts';
import { buildDeps } from '../server.ts';

export async function rotateDocumentKey(
  config: Config,
  publish: boolean,
): Promise<{ previous: string; current: string; published: boolean }> {
  const keyring = await OrgKeyring.open(config.documentKeys.dir, {
    passphrase: config.documentKeys.passphrase,
    create: false,
  });
  const previous = keyring.current.kid;
  const next = await keyring.rotate();
  if (!publish) return { previous, current: next.kid, published: false };
  const deps = await buildDeps(config, pino({ level: 'warn', base: { org: config.org.id } }));
  try {
    await deps.documentKeys.publishOwnKey();
  } finally {
    deps.ledger.ledger.close();
    await deps.pool.end();
  }
  return { previous, current: next.kid, published: true };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const flags = process.argv.slice(2);
  if (flags.some((f) => f !== '--no-publish')) {
    process.stderr.write(
      'usage: COFFEE_GATEWAY_CONFIG=<gateway.json> rotate-document-key.ts [--no-publish]   (or npm run gateways:rotate-document-key -- <org>)\n',
    );
    process.exit(2);
  }
  Promise.resolve()
    .then(() => loadConfig())
    .then(async (config) => ({
      org: config.org.id,
      ...(await rotateDocumentKey(config, !flags.includes('--no-publish'))),
    }))
    .then(
      (r) => {
        process.stdout.write(
          `${r.org}: document key ${r.previous} → ${r.current}${r.published ? ', published on the ledger' : ' (not published)'}\n` +
            `restart the ${r.org} gateway so it decrypts documents wrapped for the new key\n`,
        );
      },
      (e: unknown) => {
        process.stderr.write(`rotate-document-key: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(e instanceof ConfigError ? 78 : 1);
      },
    );
}
