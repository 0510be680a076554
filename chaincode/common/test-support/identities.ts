/** The consortium's bootstrap admins as the unit tests' fake CAs issue them (one per org, no record yet). */
import type { Identity } from './fakes';

export const admins: Readonly<Record<string, Identity>> = {
  CommercialBankMSP: { mspId: 'CommercialBankMSP', commonName: 'cb-admin', role: 'admin' },
  NationalBankMSP: { mspId: 'NationalBankMSP', commonName: 'nbe-admin', role: 'admin' },
  ECTAMSP: { mspId: 'ECTAMSP', commonName: 'ecta-admin', role: 'admin' },
  ECXMSP: { mspId: 'ECXMSP', commonName: 'ecx-admin', role: 'admin' },
  ShippingLineMSP: { mspId: 'ShippingLineMSP', commonName: 'sl-admin', role: 'admin' },
  CustomsMSP: { mspId: 'CustomsMSP', commonName: 'customs-admin', role: 'admin' },
};
