/**
 * The organizations (from @coffee/consortium, never a copy) and where their gateways live: runtime /config.json >
 * VITE_ env > the portal server's same-origin proxy at /gw/<org>.
 */
import { ORGS as CONSORTIUM_ORGS, type OrgId } from '@coffee/consortium';

export const ORGS = CONSORTIUM_ORGS.map((o) => ({ key: o.id, name: o.displayName, msp: o.mspId }));

export type OrgKey = OrgId;
export type Org = (typeof ORGS)[number];

export function isOrgKey(value: unknown): value is OrgKey {
  return ORGS.some((o) => o.key === value);
}

export function orgByKey(key: OrgKey): Org {
  const org = ORGS.find((o) => o.key === key);
  if (org === undefined) throw new Error(`unknown organization ${key}`);
  return org;
}

export function orgNameOfMsp(msp: string): string {
  return ORGS.find((o) => o.msp === msp)?.name ?? msp;
}

export interface RuntimeConfig {
  gateways: Record<OrgKey, string>;
  /** The gateway the public verification page asks (any org can prove the ledger state). */
  verifyOrg: OrgKey;
}

function envName(key: OrgKey): string {
  return `VITE_GATEWAY_${key.toUpperCase().replace(/-/g, '_')}`;
}

export function defaultConfig(env: Record<string, string | undefined> = import.meta.env): RuntimeConfig {
  const gateways = {} as Record<OrgKey, string>;
  for (const org of ORGS) {
    gateways[org.key] = env[envName(org.key)] ?? `/gw/${org.key}`;
  }
  const verifyOrg = env.VITE_VERIFY_ORG;
  return { gateways, verifyOrg: isOrgKey(verifyOrg) ? verifyOrg : 'ecta' };
}

/** Merges a parsed /config.json over the defaults, ignoring anything malformed. */
export function mergeConfig(base: RuntimeConfig, raw: unknown): RuntimeConfig {
  if (typeof raw !== 'object' || raw === null) return base;
  const out: RuntimeConfig = { gateways: { ...base.gateways }, verifyOrg: base.verifyOrg };
  const r = raw as { gateways?: unknown; verifyOrg?: unknown };
  if (typeof r.gateways === 'object' && r.gateways !== null) {
    for (const [key, url] of Object.entries(r.gateways as Record<string, unknown>)) {
      // An absolute http(s) URL, or a same-origin path such as /gw/ecta (the portal server's proxy).
      if (isOrgKey(key) && typeof url === 'string' && /^(https?:\/\/|\/(?!\/))/.test(url)) {
        out.gateways[key] = url.replace(/\/+$/, '');
      }
    }
  }
  if (isOrgKey(r.verifyOrg)) out.verifyOrg = r.verifyOrg;
  return out;
}

let current: RuntimeConfig = defaultConfig();

export async function loadRuntimeConfig(): Promise<RuntimeConfig> {
  try {
    const res = await fetch('/config.json', { cache: 'no-store' });
    if (res.ok) current = mergeConfig(defaultConfig(), await res.json());
  } catch {
    // No runtime file: keep env/defaults.
  }
  return current;
}

export function runtimeConfig(): RuntimeConfig {
  return current;
}

export function setRuntimeConfig(config: RuntimeConfig): void {
  current = config;
}
