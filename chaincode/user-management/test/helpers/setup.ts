import '@coffee/chaincode-common/dist/test-support/quiet';
import type { Contract } from 'fabric-contract-api';
import { REGISTRY_COPY, RegistryContract } from '@coffee/chaincode-common';
import { contracts } from '../../src/index';
import { FakeLedger, type Identity } from '@coffee/chaincode-common/dist/test-support/fakes';
import { admins } from '@coffee/chaincode-common/dist/test-support/identities';

export { admins };

export const UM = 'user-management';

export function umContracts(): Contract[] {
  return contracts.map((C) => new C());
}

/**
 * user-management, and beside it the `registry` contract coffee-export runs (chaincode-common): every registry
 * change copies the record there in the same transaction.
 */
export function newLedger(): FakeLedger {
  return new FakeLedger().deploy(UM, umContracts()).deploy(REGISTRY_COPY.holder, [new RegistryContract()]);
}

export const officers = {
  ecta: { mspId: 'ECTAMSP', commonName: 'ecta-officer1', role: 'ecta_officer' },
  fx: { mspId: 'NationalBankMSP', commonName: 'fx-officer1', role: 'fx_officer' },
  bank: { mspId: 'CommercialBankMSP', commonName: 'bank-officer1', role: 'bank_officer' },
  grader: { mspId: 'ECXMSP', commonName: 'grader1', role: 'grader' },
  shipping: { mspId: 'ShippingLineMSP', commonName: 'agent1', role: 'shipping_agent' },
  customs: { mspId: 'CustomsMSP', commonName: 'customs1', role: 'customs_officer' },
} satisfies Record<string, Identity>;

export const exporterUser: Identity = {
  mspId: 'CommercialBankMSP',
  commonName: 'exporter1',
  role: 'exporter',
};

export function exporterInput(exporterId = 'EXP-001', overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    exporterId,
    legalName: 'Yirga Coffee Export PLC',
    tin: '0012345678',
    licenceNumber: 'ECTA/EXP/2025/001',
    licenceValidUntil: '2027-12-31',
    ...overrides,
  });
}

export async function register(
  ledger: FakeLedger,
  user: Identity,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const admin = admins[user.mspId];
  if (admin === undefined) {
    throw new Error(`no admin for ${user.mspId}`);
  }
  await ledger.submit(admin, UM, 'users:RegisterUser', [
    JSON.stringify({ commonName: user.commonName, role: user.role, ...extra }),
  ]);
}

/** Registers every officer, one licensed exporter EXP-001 and its exporter user. */
export async function bootstrap(ledger: FakeLedger): Promise<void> {
  for (const officer of Object.values(officers)) {
    await register(ledger, officer);
  }
  await ledger.submit(officers.ecta, UM, 'exporters:RegisterExporter', [exporterInput()]);
  await register(ledger, exporterUser, { exporterId: 'EXP-001' });
}
