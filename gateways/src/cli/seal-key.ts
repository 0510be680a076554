/**
 * Seals a private key for a production gateway (ORG_ADMIN_KEY_FILE, CA_REGISTRAR_KEY_FILE): reads the PEM key and
 * its certificate, writes the sealed key file (auth/sealed-key-file.ts) under the gateway's CUSTODY_KEY (from
 * the environment or the COFFEE_GATEWAY_CONFIG file), mode 0600.
 *
 *   CUSTODY_KEY=... npm run gateways:seal-key -- <certificate.pem> <private-key.pem> <out.sealed.json>
 *
 * Then delete the plaintext key. Keys are never taken from the command line, only paths.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { sealKeyFile } from '../auth/sealed-key-file.ts';
import { configSource } from '../config.ts';

function main(argv: string[]): number {
  const [certFile, keyFile, outFile] = argv;
  if (!certFile || !keyFile || !outFile) {
    process.stderr.write('usage: seal-key <certificate.pem> <private-key.pem> <out.sealed.json>\n');
    return 2;
  }
  const custody = configSource(process.env).values.CUSTODY_KEY;
  const key = custody ? Buffer.from(custody, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) {
    process.stderr.write(
      'seal-key: CUSTODY_KEY (32 bytes, base64) must be set in the environment or configuration\n',
    );
    return 78;
  }
  const sealed = sealKeyFile(key, readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'));
  writeFileSync(outFile, sealed, { mode: 0o600 });
  process.stdout.write(`sealed ${keyFile} into ${outFile}; delete the plaintext key\n`);
  return 0;
}

process.exit(main(process.argv.slice(2)));
