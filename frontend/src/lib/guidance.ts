/**
 * What an empty page means and what happens next: who acts, and where in the portal. One place for these texts so
 * the pages say the same thing about the same workflow (workflow.md).
 */
import type { ExportStatus, Role } from '../api/types';
import { HOLDER, ORG_ROLES, roleDuty } from './workflow';

/** How exports come into being, and who makes the exporter users that create them. */
const WHERE_EXPORTS_COME_FROM =
  'Exporters create them from ‘New export’, signed in at the Commercial Bank; the Commercial Bank’s administrator creates those exporter users, for exporters ECTA has licensed.';

/** When an export first reaches each role (need-to-know: from the step at which its org takes part). */
const REACHES_YOU: Partial<Record<Role, string>> = {
  ecta_officer: 'Each new request comes to you first, to register its sales contract.',
  grader: 'Each reaches you once ECTA has registered its sales contract.',
  bank_officer: 'Each reaches you once ECX has certified its quality, to file the FX application.',
  fx_officer: 'Each reaches you once the Commercial Bank has filed its FX application.',
  shipping_agent: 'Each reaches you once the National Bank has approved its FX application.',
  customs_officer: 'Each reaches you once the shipping line has booked its shipment.',
  auditor: 'You see them, read-only, from the step at which your organization takes part.',
};

/** The dashboard's overview, the export list and the turnaround page when no export exists yet. */
export function noExportsYet(role: Role | undefined): string {
  if (role === 'exporter')
    return 'You have no export requests yet. Start one from ‘New export’: you need the sales contract with your buyer and your proforma invoice.';
  const reaches = role ? REACHES_YOU[role] : undefined;
  return ['No exports yet.', WHERE_EXPORTS_COME_FROM, reaches].filter(Boolean).join(' ');
}

/** The export list when filters hide everything (the e2e walk waits for the first sentence). */
export const NO_EXPORTS_MATCH = 'No exports match.';

export function turnaroundEmpty(role: Role | undefined): string {
  return `${noExportsYet(role)} Times appear here as each agency acts on them.`;
}

/** The exporter registry: ECTA (officers and administrators) licenses; everyone else waits for it. */
export function noExportersYet(canLicense: boolean): string {
  return canLicense
    ? 'No exporters are licensed yet. License the first one with the form above; the Commercial Bank’s administrator can then create its exporter user, who creates export requests.'
    : 'No exporters are licensed yet. ECTA’s officers license them; until then nobody can create an export request.';
}

export function noMinimumPricesYet(canPublish: boolean): string {
  return canPublish
    ? 'ECTA has not published any minimum price yet. Publish one per grade with the form above: a sales contract cannot be registered until a price for its grade is in force.'
    : 'ECTA has not published any minimum price yet; contracts cannot be registered until it does. ECTA’s officers publish them on this page.';
}

/** The users page while the administrator is alone: which roles to create, and what each does. */
export function usersToCreate(org: string): { intro: string; roles: string[]; note?: string } {
  const roles = (ORG_ROLES[org] ?? []).filter((r) => r !== 'admin').map((r) => roleDuty(org, r));
  return {
    intro:
      'You are the only user of your organization so far. Create a user for each role it needs with the form above:',
    roles,
    ...(org === 'commercial-bank'
      ? {
          note: 'An exporter user acts for one exporter: give the exporter id ECTA licensed (see ‘Exporter licences’).',
        }
      : {}),
  };
}

const THE: Record<string, string> = {
  Exporter: 'the exporter',
  'Commercial Bank': 'the Commercial Bank',
  'National Bank': 'the National Bank',
  'Shipping Line': 'the shipping line',
};

/** An export page that offers this viewer no action: whose turn it is. */
export function waitingFor(status: ExportStatus, role: Role | undefined): string {
  const holder = HOLDER[status];
  if (!holder) return 'This export is closed; nobody acts on it any more.';
  const who = THE[holder] ?? holder;
  return role === 'auditor'
    ? `You follow this export read-only. It is waiting for ${who}.`
    : `Nothing for you to do on this export now: it is waiting for ${who}.`;
}
