/** The six organizations and where their gateways live (runtime /config.json > VITE_ env > defaults). */

export const ORGS = [
  { key: 'commercial-bank', name: 'Commercial Bank', msp: 'CommercialBankMSP', port: 3001 },
  { key: 'national-bank', name: 'National Bank', msp: 'NationalBankMSP', port: 3002 },
  { key: 'ecta', name: 'ECTA (Coffee & Tea Authority)', msp: 'ECTAMSP', port: 3003 },
  { key: 'ecx', name: 'ECX (Commodity Exchange)', msp: 'ECXMSP', port: 3004 },
  { key: 'shipping-line', name: 'Shipping Line', msp: 'ShippingLineMSP', port: 3005 },
  { key: 'customs', name: 'Customs', msp: 'CustomsMSP', port: 3006 },
] as const;

export type OrgKey = (typeof ORGS)[number]['key'];
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
    gateways[org.key] = env[envName(org.key)] ?? `http://127.0.0.1:${org.port}`;
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
