/** A user of one organization: who they are on-chain is their certificate; no personal data is kept. */
import type { Context } from 'fabric-contract-api';
import { Fields, ID_PATTERN, USER_STATUSES, type UserEntry, type UserStatus } from '@coffee/chaincode-common';
import { MSP_IDS, type MspId, ROLES } from '@coffee/consortium';
import { COMMON_NAME_PATTERN } from '../lib/identity';

export { USER_STATUSES, type UserStatus };

/** The registry's user record: what access needs (`UserEntry`, copied into coffee-export), and its history. */
export interface UserRecord extends UserEntry {
  docType: 'user';
  statusReason?: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export const USER_KEY = 'user';

export function userKey(ctx: Context, mspId: MspId, commonName: string): string {
  return ctx.stub.createCompositeKey(USER_KEY, [mspId, commonName]);
}

export function parseUser(value: unknown): UserRecord {
  const f = Fields.of(value, 'user', 'CORRUPT_STATE');
  f.oneOf('docType', ['user']);
  return {
    docType: 'user',
    userId: f.str('userId', { max: 200 }),
    mspId: f.oneOf('mspId', MSP_IDS),
    commonName: f.str('commonName', { max: 128, pattern: COMMON_NAME_PATTERN }),
    role: f.oneOf('role', ROLES),
    status: f.oneOf('status', USER_STATUSES),
    exporterId: f.optStr('exporterId', { max: 64, pattern: ID_PATTERN }),
    statusReason: f.optStr('statusReason', { max: 1000, text: true }),
    createdAt: f.str('createdAt', { max: 32 }),
    createdBy: f.str('createdBy', { max: 200 }),
    updatedAt: f.str('updatedAt', { max: 32 }),
    updatedBy: f.str('updatedBy', { max: 200 }),
  };
}
