/**
 * Rotates an org's document-encryption key pair: a new RSA key becomes current, the old ones stay (older
 * documents name them and still decrypt). Then, unless --no-publish, it publishes the new public key on the
 * ledger with the org admin's identity, so from the next upload every gateway wraps new documents for it.
 * A running gateway of the org must be restarted afterwards: it keeps its key ring in memory and would not
 * decrypt documents wrapped for the new key until then (docs/confidentiality.md, "Key rotation").
 *
 *   npm run gateways:rotate-document-key -- <org> [--no-publish]
 */
import { pino } from 'pino';
import { findOrg } from '../../../network/src/orgs.ts';
import { loadConfig } from '../config.ts';
import { OrgKeyring } from '../crypto/org-keys.ts';
import { buildDeps } from '../server.ts';

export async function rotateDocumentKey(
  orgId: string,
  publish: boolean,
): Promise<{ previous: string; current: string; published: boolean }> {
  const org = findOrg(orgId);
  const config = loadConfig({ ...process.env, ORG: org.id });
  const keyring = await OrgKeyring.open(config.documentKeys.dir, {
    passphrase: config.documentKeys.passphrase,
    create: false,
  });
  const previous = keyring.current.kid;
  const next = await keyring.rotate();
  if (!publish) return { previous, current: next.kid, published: false };
  const deps = await buildDeps(config, pino({ level: 'warn', base: { org: org.id } }));
  try {
    await deps.documentKeys.publishOwnKey();
  } finally {
    deps.ledger.ledger.close();
    await deps.pool.end();
  }
  return { previous, current: next.kid, published: true };
}

if (process.argv[1]?.endsWith('rotate-document-key.ts')) {
  const [orgId, ...flags] = process.argv.slice(2);
  if (!orgId || flags.some((f) => f !== '--no-publish')) {
    process.stderr.write('usage: npm run gateways:rotate-document-key -- <org> [--no-publish]\n');
    process.exit(2);
  }
  rotateDocumentKey(orgId, !flags.includes('--no-publish')).then(
    (r) => {
      process.stdout.write(
        `${orgId}: document key ${r.previous} → ${r.current}${r.published ? ', published on the ledger' : ' (not published)'}\n` +
          `restart the ${orgId} gateway so it decrypts documents wrapped for the new key\n`,
      );
    },
    (e: unknown) => {
      process.stderr.write(`rotate-document-key: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
