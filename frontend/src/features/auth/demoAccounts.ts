/**
 * The development seeder's accounts, as the portal server publishes them at /demo-accounts.json (only in
 * development: see ../../../demo-accounts.ts). Anything else (404, not JSON, another mode) means no demo, and
 * entries that do not fit the consortium (unknown org, a role the org does not have) are dropped.
 */
import { ROLES, type Role } from '../../api/types';
import { ORGS, type OrgKey, isOrgKey } from '../../config';
import { ORG_ROLES } from '../../lib/workflow';

export const DEMO_ACCOUNTS_URL = '/demo-accounts.json';

export interface DemoAccount {
  org: OrgKey;
  role: Role;
  username: string;
  password: string;
  exporterId?: string;
}

/** An export the seeder left at some step, and whose queue shows it next (none once nobody acts). */
export interface DemoExport {
  exportId: string;
  queue?: { org: OrgKey; role: Role };
  /** The exporter it belongs to, when the seeder says (an exporter's queue holds only its own exports). */
  exporterId?: string;
}

export interface Demo {
  accounts: DemoAccount[];
  exports: DemoExport[];
}

export const NO_DEMO: Demo = { accounts: [], exports: [] };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shortText(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '' && v.length <= 200;
}

function isRole(v: unknown): v is Role {
  return ROLES.some((r) => r === v);
}

/** The org's portal key; the seeder may also name it by its MSP id. */
function orgKeyOf(v: unknown): OrgKey | undefined {
  if (isOrgKey(v)) return v;
  return ORGS.find((o) => o.msp === v)?.key;
}

function account(raw: unknown): DemoAccount | undefined {
  if (!isRecord(raw)) return undefined;
  const { role, username, password, exporterId } = raw;
  const org = orgKeyOf(raw.org);
  if (org === undefined || !isRole(role) || !(ORG_ROLES[org] ?? []).includes(role)) return undefined;
  if (!shortText(username) || !shortText(password)) return undefined;
  if (exporterId !== undefined && !shortText(exporterId)) return undefined;
  return { org, role, username, password, ...(exporterId !== undefined ? { exporterId } : {}) };
}

function demoExport(raw: unknown): DemoExport | undefined {
  if (!isRecord(raw) || !shortText(raw.exportId)) return undefined;
  const q = raw.queue;
  const org = isRecord(q) ? orgKeyOf(q.org) : undefined;
  const role = isRecord(q) ? q.role : undefined;
  const queue = org !== undefined && isRole(role) ? { org, role } : undefined;
  return {
    exportId: raw.exportId,
    ...(queue ? { queue } : {}),
    ...(shortText(raw.exporterId) ? { exporterId: raw.exporterId } : {}),
  };
}

/** Orgs in the consortium's order, then roles in the org's order, then usernames; one entry per org and username. */
function byOrgAndRole(a: DemoAccount, b: DemoAccount): number {
  const org = (x: DemoAccount): number => ORGS.findIndex((o) => o.key === x.org);
  const role = (x: DemoAccount): number => (ORG_ROLES[x.org] ?? []).indexOf(x.role);
  return org(a) - org(b) || role(a) - role(b) || a.username.localeCompare(b.username);
}

export function parseDemo(raw: unknown): Demo {
  if (!isRecord(raw) || raw.mode !== 'development' || !Array.isArray(raw.accounts)) return NO_DEMO;
  const seen = new Set<string>();
  const accounts: DemoAccount[] = [];
  for (const entry of raw.accounts as unknown[]) {
    const a = account(entry);
    if (!a || seen.has(`${a.org}/${a.username}`)) continue;
    seen.add(`${a.org}/${a.username}`);
    accounts.push(a);
  }
  accounts.sort(byOrgAndRole);
  const exports = Array.isArray(raw.exports)
    ? (raw.exports as unknown[]).map(demoExport).filter((x): x is DemoExport => x !== undefined)
    : [];
  return { accounts, exports };
}

/** How many demo exports wait in this account's queue (an exporter's only when they are known to be its own). */
export function waitingInQueue(demo: Demo, a: DemoAccount): number {
  return demo.exports.filter(
    (x) =>
      x.queue?.org === a.org &&
      x.queue.role === a.role &&
      (a.role !== 'exporter' || (x.exporterId !== undefined && x.exporterId === a.exporterId)),
  ).length;
}

/** Asks the portal server (same origin); never throws: no demo is the production answer. */
export async function loadDemo(): Promise<Demo> {
  try {
    const res = await fetch(DEMO_ACCOUNTS_URL, {
      cache: 'no-store',
      headers: { Accept: 'application/json' },
    });
    if (!res.ok) return NO_DEMO;
    return parseDemo(await res.json());
  } catch {
    return NO_DEMO;
  }
}

/** The accounts grouped per organization, in the consortium's order. */
export function groupByOrg(
  accounts: readonly DemoAccount[],
): Array<{ org: OrgKey; accounts: DemoAccount[] }> {
  return ORGS.map((o) => ({ org: o.key, accounts: accounts.filter((a) => a.org === o.key) })).filter(
    (g) => g.accounts.length > 0,
  );
}
