/**
 * The consortium's organizations, as data: ids, MSP ids, display names, default ports and the roles each
 * organization's CA may issue. The chaincodes, the launcher, the gateways and the portal all read this table;
 * adding an organization is a change here, never a copied list.
 */

export const MSP = {
  CommercialBank: 'CommercialBankMSP',
  NationalBank: 'NationalBankMSP',
  ECTA: 'ECTAMSP',
  ECX: 'ECXMSP',
  ShippingLine: 'ShippingLineMSP',
  Customs: 'CustomsMSP',
} as const;

export type MspId = (typeof MSP)[keyof typeof MSP];

export const ROLES = [
  'exporter',
  'bank_officer',
  'fx_officer',
  'ecta_officer',
  'grader',
  'shipping_agent',
  'customs_officer',
  'admin',
  'auditor',
] as const;

export type Role = (typeof ROLES)[number];

/** The roles that take part in (or audit) exports; org admins manage users and read no exports. */
export const WORKFLOW_ROLES: readonly Role[] = ROLES.filter((r) => r !== 'admin');

/** The org ids used in paths, URLs (`/gw/<id>`), host names and npm script arguments. */
export const ORG_IDS = [
  'commercial-bank',
  'national-bank',
  'ecta',
  'ecx',
  'shipping-line',
  'customs',
] as const;

export type OrgId = (typeof ORG_IDS)[number];

export interface OrgDefinition {
  readonly id: OrgId;
  readonly mspId: MspId;
  /** The name people see (portal, docs, logs). */
  readonly displayName: string;
  /** DNS-style domain used in certificate names and as host names. */
  readonly domain: string;
  /**
   * First port of the org's block of 100 on a single machine, before the launcher's port offset
   * (COFFEE_PORT_OFFSET); the layout inside the block is the launcher's (network/src/orgs.ts).
   */
  readonly defaultPortBase: number;
  /** Port of the org's gateway (gateways.md), before the port offset. */
  readonly defaultGatewayPort: number;
  /** The `role` attribute values the org's CA issues (workflow.md, "Actors"). */
  readonly roles: readonly Role[];
}

export const ORGS: readonly OrgDefinition[] = [
  {
    id: 'commercial-bank',
    mspId: MSP.CommercialBank,
    displayName: 'Commercial Bank',
    domain: 'commercial-bank.coffee.local',
    defaultPortBase: 7100,
    defaultGatewayPort: 3001,
    roles: ['exporter', 'bank_officer', 'admin', 'auditor'],
  },
  {
    id: 'national-bank',
    mspId: MSP.NationalBank,
    displayName: 'National Bank',
    domain: 'national-bank.coffee.local',
    defaultPortBase: 7200,
    defaultGatewayPort: 3002,
    roles: ['fx_officer', 'admin', 'auditor'],
  },
  {
    id: 'ecta',
    mspId: MSP.ECTA,
    displayName: 'ECTA (Coffee & Tea Authority)',
    domain: 'ecta.coffee.local',
    defaultPortBase: 7300,
    defaultGatewayPort: 3003,
    roles: ['ecta_officer', 'admin', 'auditor'],
  },
  {
    id: 'ecx',
    mspId: MSP.ECX,
    displayName: 'ECX (Commodity Exchange)',
    domain: 'ecx.coffee.local',
    defaultPortBase: 7400,
    defaultGatewayPort: 3004,
    roles: ['grader', 'admin', 'auditor'],
  },
  {
    id: 'shipping-line',
    mspId: MSP.ShippingLine,
    displayName: 'Shipping Line',
    domain: 'shipping-line.coffee.local',
    defaultPortBase: 7500,
    defaultGatewayPort: 3005,
    roles: ['shipping_agent', 'admin', 'auditor'],
  },
  {
    id: 'customs',
    mspId: MSP.Customs,
    displayName: 'Customs',
    domain: 'customs.coffee.local',
    defaultPortBase: 7600,
    defaultGatewayPort: 3006,
    roles: ['customs_officer', 'admin', 'auditor'],
  },
];

/** The ordering service's organization: three Raft orderers (network.md). */
export const ORDERER_ORG = {
  id: 'orderer',
  mspId: 'OrdererMSP',
  domain: 'orderer.coffee.local',
  defaultPortBase: 7000,
  ordererCount: 3,
} as const;

export const CHANNEL = 'coffee-export-channel';

/** The chaincodes on the channel. */
export const CHAINCODE = { exports: 'coffee-export', users: 'user-management' } as const;

export const MSP_IDS: readonly MspId[] = ORGS.map((o) => o.mspId);

/** A table with one entry per org, keyed by MSP id. */
export function byMsp<T>(value: (org: OrgDefinition) => T): Readonly<Record<MspId, T>> {
  return Object.fromEntries(ORGS.map((o) => [o.mspId, value(o)])) as Record<MspId, T>;
}

/** Which roles exist in which organization (workflow.md, "Actors"). */
export const ROLES_BY_MSP: Readonly<Record<MspId, readonly Role[]>> = byMsp((o) => o.roles);

/** Which roles exist in which organization, by org id. */
export const ROLES_BY_ORG: Readonly<Record<OrgId, readonly Role[]>> = Object.fromEntries(
  ORGS.map((o) => [o.id, o.roles]),
) as Record<OrgId, readonly Role[]>;

export function asMspId(value: string): MspId | undefined {
  return MSP_IDS.find((id) => id === value);
}

export function asRole(value: string | null | undefined): Role | undefined {
  return ROLES.find((role) => role === value);
}

export function isOrgId(value: unknown): value is OrgId {
  return ORG_IDS.some((id) => id === value);
}

/** The org with this id or MSP id; throws with the known ids otherwise. */
export function orgOf(idOrMsp: string): OrgDefinition {
  const org = ORGS.find((o) => o.id === idOrMsp || o.mspId === idOrMsp);
  if (org === undefined) {
    throw new Error(`unknown organization '${idOrMsp}' (known: ${ORG_IDS.join(', ')})`);
  }
  return org;
}

/** "ECTA (Coffee & Tea Authority)" for ECTAMSP; an unknown MSP id is shown as it is. */
export function displayNameOf(mspOrId: string): string {
  return ORGS.find((o) => o.mspId === mspOrId || o.id === mspOrId)?.displayName ?? mspOrId;
}
