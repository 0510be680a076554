/**
 * The secret the portal's proxy shares with the gateways: the portal sends it with every proxied request
 * (X-Portal-Proxy-Secret, frontend/server/server.ts) and a gateway believes that request's X-Forwarded-For only
 * when it matches (gateways/src/auth/client-ip.ts): everything listens on 127.0.0.1, so the portal cannot be told
 * apart by its address. PORTAL_PROXY_SECRET in the launcher's environment gives it; otherwise one is generated
 * once per run directory (runDir()/portal-proxy.secret, mode 0600), like the other development secrets. The
 * launcher hands it to the gateways in their configuration files and to the portal in its environment, never on
 * a command line.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDir } from './paths.ts';

export const portalProxySecretFile = (): string => join(runDir(), 'portal-proxy.secret');

export function portalProxySecret(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PORTAL_PROXY_SECRET) return env.PORTAL_PROXY_SECRET;
  const file = portalProxySecretFile();
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if (saved.length >= 16) return saved;
  }
  const secret = randomBytes(24).toString('base64url');
  mkdirSync(runDir(), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}
