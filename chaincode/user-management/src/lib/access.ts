/**
 * Who may act: decided from the caller's MSP, the `role` attribute of the enrollment certificate, and the
 * caller's user record on this ledger. Nothing about the actor is ever taken from arguments.
 */
import type { Context } from 'fabric-contract-api';
import { readState } from '@coffee/chaincode-common';
import { type MspId, type Role } from '@coffee/consortium';
import { fail } from './errors';
import { type CallerIdentity, callerIdentity } from './identity';
import { parseUser, type UserRecord, userKey } from '../model/user';

export interface Actor extends CallerIdentity {
  role: Role;
  /** The on-chain record; absent only for a bootstrap org admin not yet registered. */
  record: UserRecord | undefined;
}

export async function readUser(
  ctx: Context,
  mspId: MspId,
  commonName: string,
): Promise<UserRecord | undefined> {
  return readState(ctx, userKey(ctx, mspId, commonName), parseUser);
}

/**
 * Requires the caller's MSP in `msps` and certificate role in `roles`; then an ACTIVE on-chain record
 * with that same role. An org `admin` certificate is trusted without a record (its CA issued it; this is
 * how the first users get registered), but a registered admin must be ACTIVE.
 */
export async function authorize(
  ctx: Context,
  msps: readonly MspId[],
  roles: readonly Role[],
): Promise<Actor> {
  const caller = callerIdentity(ctx);
  if (!msps.includes(caller.mspId)) {
    fail('FORBIDDEN_ORG', `${caller.mspId} may not perform this action`);
  }
  const role = caller.role;
  if (role === undefined || !roles.includes(role)) {
    return fail(
      'FORBIDDEN_ROLE',
      `role '${role ?? 'none'}' may not perform this action (needs ${roles.join(' or ')})`,
    );
  }
  const record = await readUser(ctx, caller.mspId, caller.commonName);
  if (record === undefined) {
    if (role === 'admin') {
      return { ...caller, role, record };
    }
    return fail('USER_NOT_REGISTERED', `${caller.userId} is not registered`);
  }
  if (record.status !== 'ACTIVE') {
    fail('USER_SUSPENDED', `${caller.userId} is suspended`);
  }
  if (record.role !== role) {
    fail('FORBIDDEN_ROLE', `certificate role '${role}' differs from the registered role '${record.role}'`);
  }
  return { ...caller, role, record };
}
