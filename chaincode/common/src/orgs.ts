/** The consortium's MSP ids and the `role` attribute values each organization's CA may issue. */
export const MSP = {
  CommercialBank: 'CommercialBankMSP',
  NationalBank: 'NationalBankMSP',
  ECTA: 'ECTAMSP',
  ECX: 'ECXMSP',
  ShippingLine: 'ShippingLineMSP',
  Customs: 'CustomsMSP',
} as const;

export type MspId = (typeof MSP)[keyof typeof MSP];

export const MSP_IDS: readonly MspId[] = [
  MSP.CommercialBank,
  MSP.NationalBank,
  MSP.ECTA,
  MSP.ECX,
  MSP.ShippingLine,
  MSP.Customs,
];

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

/** Which roles exist in which organization (workflow.md, "Actors"). */
export const ROLES_BY_MSP: Readonly<Record<MspId, readonly Role[]>> = {
  CommercialBankMSP: ['exporter', 'bank_officer', 'admin', 'auditor'],
  NationalBankMSP: ['fx_officer', 'admin', 'auditor'],
  ECTAMSP: ['ecta_officer', 'admin', 'auditor'],
  ECXMSP: ['grader', 'admin', 'auditor'],
  ShippingLineMSP: ['shipping_agent', 'admin', 'auditor'],
  CustomsMSP: ['customs_officer', 'admin', 'auditor'],
};

export function asMspId(value: string): MspId | undefined {
  return MSP_IDS.find((id) => id === value);
}

export function asRole(value: string | null): Role | undefined {
  return ROLES.find((role) => role === value);
}
