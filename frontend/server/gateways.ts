/**
 * Where the portal server sends /gw/<org>/... — one definition for the development server (vite.config.ts) and the
 * production server (server/server.ts), so both proxy the same paths to the same gateways.
 *
 * Targets default to each org's gateway port in @coffee/consortium (127.0.0.1:3001..3006); PORTAL_GATEWAY_<ORG>
 * (e.g. PORTAL_GATEWAY_SHIPPING_LINE) overrides one. The browser reaches them same-origin at "/gw/<org>" (the
 * portal's default, src/config.ts), so gateways need no CORS headers.
 */
import { ORGS, type OrgId } from '@coffee/consortium';

/** Each org's gateway port when nothing overrides it (the consortium's defaults, without a port offset). */
export const GATEWAY_PORTS: Readonly<Record<OrgId, number>> = Object.fromEntries(
  ORGS.map((o) => [o.id, o.defaultGatewayPort]),
) as Record<OrgId, number>;

export type GatewayOrg = OrgId;

export const GATEWAY_ORGS: readonly GatewayOrg[] = ORGS.map((o) => o.id);

/** The same-origin path prefix the portal uses for an org's gateway. */
export const gatewayPrefix = (org: string): string => `/gw/${org}`;

/** The environment variable that overrides an org's gateway URL: PORTAL_GATEWAY_SHIPPING_LINE for shipping-line. */
export const gatewayEnvName = (org: string): string =>
  `PORTAL_GATEWAY_${org.toUpperCase().replace(/-/g, '_')}`;

/**
 * Every org's gateway URL: its PORTAL_GATEWAY_<ORG> if set (non-empty), else https://127.0.0.1:<default port>
 * (the gateways serve HTTPS; the proxy verifies them against PORTAL_GATEWAY_CA_FILE).
 */
export function gatewayTargets(
  env: Record<string, string | undefined> = process.env,
): Record<GatewayOrg, string> {
  const out = {} as Record<GatewayOrg, string>;
  for (const org of GATEWAY_ORGS) {
    out[org] = env[gatewayEnvName(org)] || `https://127.0.0.1:${GATEWAY_PORTS[org]}`;
  }
  return out;
}

/** The environment that points the portal server at these gateway URLs (for a launcher). */
export function gatewayEnv(urls: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [org, url] of Object.entries(urls)) if (url) env[gatewayEnvName(org)] = url;
  return env;
}
