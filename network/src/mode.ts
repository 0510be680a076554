/**
 * The launcher's mode: the same switch as the gateway's (gateways/src/mode.ts, NODE_ENV exactly `development` or
 * `production`, unset = development; anything else refused with one line), and what production requires of the
 * secrets the launcher itself uses. In development the launcher generates them once into the run directory
 * (secrets.json: CA bootstrap passwords; secrets-postgres.json: the PostgreSQL password; the gateways' custody
 * keys in gateways/<org>/secrets.json). Production takes each from the operator's environment and refuses it when
 * missing, weak, or equal to what a development start generated in this run directory — each secret checked on
 * its own, with its own line:
 *
 *   CA_ADMIN_PASSWORD_<ORG>    the org CA's bootstrap (registrar) password       (development: secrets.json)
 *   POSTGRES_PASSWORD          the project's PostgreSQL login, unless every org has DATABASE_URL_<ORG>
 *   CUSTODY_KEY[_<ORG>]        seals the org admin's and registrar's keys; the gateway's custody key
 *   PORTAL_PROXY_SECRET        shared by the portal and the gateways (development: portal-proxy.secret)
 *
 * The gateways' own secrets (JWT keys, document keys, admin password, …) are checked by each gateway at start
 * (gateways/src/production.ts), whose refusal the launcher reports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModeError, parseMode, type Mode } from '../../gateways/src/mode.ts';
import { MIN_SECRET_LENGTH, WEAK_SECRETS } from '../../gateways/src/production.ts';
import { UserError } from './log.ts';
import { PEER_ORGS, type PeerOrg } from './orgs.ts';
import { runDir } from './paths.ts';

export type { Mode };

/** The mode this launcher runs in; a UserError (one line) for an unknown NODE_ENV. */
export function launcherMode(env: NodeJS.ProcessEnv = process.env): Mode {
  try {
    return parseMode(env.NODE_ENV);
  } catch (e: unknown) {
    if (e instanceof ModeError) throw new UserError(e.message);
    throw e;
  }
}

export const envSuffix = (org: PeerOrg): string => org.id.toUpperCase().replace(/-/g, '_');
export const caAdminPasswordVariable = (org: PeerOrg): string => `CA_ADMIN_PASSWORD_${envSuffix(org)}`;

const isWeak = (value: string): boolean =>
  value.length < MIN_SECRET_LENGTH || WEAK_SECRETS.has(value.toLowerCase()) || /^(.)\1*$/.test(value);

function readJson(file: string): Record<string, unknown> | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** What development starts generated in this run directory (nothing is created here). */
function generated(dir: string): {
  caAdmins: Record<string, unknown>;
  postgres?: unknown;
  custodyKeys: Record<string, unknown>;
  portalProxy?: string;
} {
  const caAdmins = (readJson(join(dir, 'secrets.json'))?.caAdmins ?? {}) as Record<string, unknown>;
  const postgres = readJson(join(dir, 'secrets-postgres.json'))?.password;
  const proxyFile = join(dir, 'portal-proxy.secret');
  const portalProxy = existsSync(proxyFile) ? readFileSync(proxyFile, 'utf8').trim() : undefined;
  const custodyKeys = Object.fromEntries(
    PEER_ORGS.map((o) => [o.id, readJson(join(dir, 'gateways', o.id, 'secrets.json'))?.custodyKey]),
  );
  return { caAdmins, postgres, custodyKeys, portalProxy };
}

/**
 * Every reason the launcher's secrets are not fit for production, one line each (empty in development).
 * `dir` is the run directory whose development secrets are compared.
 */
export function launcherProductionProblems(
  env: NodeJS.ProcessEnv = process.env,
  dir: string = runDir(),
): string[] {
  if (launcherMode(env) !== 'production') return [];
  const dev = generated(dir);
  const problems: string[] = [];
  for (const org of PEER_ORGS) {
    const name = caAdminPasswordVariable(org);
    const value = env[name];
    if (!value) problems.push(`${name} is required in production (the ${org.id} CA's bootstrap password)`);
    else if (value === dev.caAdmins[org.id])
      problems.push(
        `${name} is the development CA bootstrap password generated in ${join(dir, 'secrets.json')}`,
      );
    else if (isWeak(value))
      problems.push(`${name} must be at least ${MIN_SECRET_LENGTH} characters and not a well-known default`);
  }
  const ownDatabase = PEER_ORGS.some((o) => !env[`DATABASE_URL_${envSuffix(o)}`]);
  const pg = env.POSTGRES_PASSWORD;
  if (ownDatabase) {
    if (!pg)
      problems.push(
        'POSTGRES_PASSWORD is required in production (the PostgreSQL login), unless every org has DATABASE_URL_<ORG>',
      );
    else if (pg === dev.postgres)
      problems.push(
        `POSTGRES_PASSWORD is the development PostgreSQL password generated in ${join(dir, 'secrets-postgres.json')}`,
      );
    else if (isWeak(pg))
      problems.push(
        `POSTGRES_PASSWORD must be at least ${MIN_SECRET_LENGTH} characters and not a well-known default`,
      );
  }
  const proxy = env.PORTAL_PROXY_SECRET;
  if (!proxy)
    problems.push("PORTAL_PROXY_SECRET is required in production (the portal proxy's shared secret)");
  else if (proxy === dev.portalProxy)
    problems.push(
      `PORTAL_PROXY_SECRET is the development secret generated in ${join(dir, 'portal-proxy.secret')}`,
    );
  else if (isWeak(proxy))
    problems.push(
      `PORTAL_PROXY_SECRET must be at least ${MIN_SECRET_LENGTH} characters and not a well-known default`,
    );
  for (const org of PEER_ORGS) {
    const name = `CUSTODY_KEY_${envSuffix(org)}`;
    const value = env[name] ?? env.CUSTODY_KEY;
    const which = env[name] !== undefined ? name : 'CUSTODY_KEY';
    if (!value) {
      problems.push(
        `CUSTODY_KEY (or ${name}) is required in production (the ${org.id} gateway's custody key)`,
      );
      continue;
    }
    const bytes = Buffer.from(value, 'base64');
    const devKey = dev.custodyKeys[org.id];
    if (bytes.length !== 32) problems.push(`${which} must be 32 bytes, base64-encoded`);
    else if (typeof devKey === 'string' && bytes.equals(Buffer.from(devKey, 'base64')))
      problems.push(
        `${which} is the ${org.id} gateway's development custody key generated in ${join(dir, 'gateways', org.id, 'secrets.json')}`,
      );
  }
  return problems;
}

/** Refuses to go on in production with any development default: one UserError listing every problem. */
export function assertProductionReady(env: NodeJS.ProcessEnv = process.env, dir: string = runDir()): void {
  const problems = launcherProductionProblems(env, dir);
  if (problems.length > 0)
    throw new UserError(`production mode refuses to start:\n  ${problems.join('\n  ')}`);
}
