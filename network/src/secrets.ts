import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PEER_ORGS } from './orgs.ts';
import { runDir } from './paths.ts';

export interface Secrets {
  caAdmins: Record<string, string>;
}

const secretsFile = (): string => join(runDir(), 'secrets.json');

/** Development secrets (CA bootstrap passwords), generated once and kept in .run/ with mode 0600. */
export function secrets(): Secrets {
  if (existsSync(secretsFile())) {
    return JSON.parse(readFileSync(secretsFile(), 'utf8')) as Secrets;
  }
  const s: Secrets = { caAdmins: {} };
  for (const org of PEER_ORGS) s.caAdmins[org.id] = randomBytes(18).toString('base64url');
  mkdirSync(runDir(), { recursive: true });
  writeFileSync(secretsFile(), JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}
