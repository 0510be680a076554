/**
 * The launcher's side of key custody: the org admin's and the CA registrar's private keys are kept under .run/
 * sealed with the org gateway's custody key (gateways/src/auth/sealed-key-file.ts), never as plaintext PEM, so
 * the gateway opens them with the key it already holds for its users' keys.
 *
 * Whose custody key: CUSTODY_KEY_<ORG> or CUSTODY_KEY from this launcher's environment (what it passes on to
 * the gateway, nodes/gateway.ts OPERATOR_SETTINGS); else, in development only, the one the gateway generates
 * in its SECRETS_DIR (runDir()/gateways/<org>/secrets.json, created here first if the gateway has not started
 * yet — the same function writes it). Production without one is refused.
 */
import { join } from 'node:path';
import { devSecrets } from '../../gateways/src/config.ts';
import { modeOf } from '../../gateways/src/mode.ts';
import { UserError } from './log.ts';
import type { PeerOrg } from './orgs.ts';
import { runDir } from './paths.ts';

const envSuffix = (org: PeerOrg): string => org.id.toUpperCase().replace(/-/g, '_');

/** The gateway's directory (its configuration and development secrets); nodes/gateway.ts uses the same. */
export const gatewaySecretsDir = (org: PeerOrg): string => join(runDir(), 'gateways', org.id);

/** The org gateway's custody key (32 bytes). */
export function orgCustodyKey(org: PeerOrg, env: NodeJS.ProcessEnv = process.env): Buffer {
  const name = `CUSTODY_KEY_${envSuffix(org)}`;
  const configured = env[name] ?? env.CUSTODY_KEY;
  if (configured !== undefined) {
    const key = Buffer.from(configured, 'base64');
    if (key.length !== 32)
      throw new UserError(
        `${env[name] !== undefined ? name : 'CUSTODY_KEY'} must be 32 bytes, base64-encoded`,
      );
    return key;
  }
  if (modeOf(env) === 'production')
    throw new UserError(
      `CUSTODY_KEY (or ${name}) is required in production: it seals the org admin's and the CA registrar's keys`,
    );
  return Buffer.from(devSecrets(gatewaySecretsDir(org)).custodyKey, 'base64');
}
