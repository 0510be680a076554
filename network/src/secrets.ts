import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { caAdminPasswordVariable, launcherMode } from './mode.ts';
import { PEER_ORGS } from './orgs.ts';
import { runDir } from './paths.ts';

export interface Secrets {
  caAdmins: Record<string, string>;
}

const secretsFile = (): string => join(runDir(), 'secrets.json');

/**
 * The CAs' bootstrap passwords. Development: generated once and kept in .run/secrets.json (mode 0600).
 * Production: CA_ADMIN_PASSWORD_<ORG> from the environment (mode.ts refuses missing, weak or development ones);
 * nothing is generated or written.
 */
export function secrets(env: NodeJS.ProcessEnv = process.env): Secrets {
  if (launcherMode(env) === 'production') {
    const caAdmins: Record<string, string> = {};
    for (const org of PEER_ORGS) {
      const value = env[caAdminPasswordVariable(org)];
      if (value) caAdmins[org.id] = value;
    }
    return { caAdmins };
  }
  if (existsSync(secretsFile())) {
    return JSON.parse(readFileSync(secretsFile(), 'utf8')) as Secrets;
  }
  const s: Secrets = { caAdmins: {} };
  for (const org of PEER_ORGS) s.caAdmins[org.id] = randomBytes(18).toString('base64url');
  mkdirSync(runDir(), { recursive: true });
  writeFileSync(secretsFile(), JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}
