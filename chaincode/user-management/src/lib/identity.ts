/**
 * User ids come from the caller's X.509 identity only: `<mspId>::<CN of the certificate subject>`.
 * fabric-shim exposes the subject as `x509::/C=../O=../CN=name::/C=../CN=issuer` (`/` inside a value is
 * escaped as `\/`). Fabric CA puts the enrollment id in the CN, and enrollment ids are unique per CA,
 * so the pair (MSP, CN) names one user for the lifetime of the org's CA, across certificate renewals.
 */
import type { Context } from 'fabric-contract-api';
import { COMMON_NAME_PATTERN, USER_ID_SEPARATOR, commonNameFromId, userIdOf } from '@coffee/chaincode-common';
import { type MspId, type Role, asMspId, asRole } from '@coffee/consortium';
import { fail } from './errors';

export { COMMON_NAME_PATTERN, USER_ID_SEPARATOR, commonNameFromId, userIdOf };

export interface CallerIdentity {
  userId: string;
  mspId: MspId;
  commonName: string;
  /** The `role` attribute of the enrollment certificate, if it names a known role. */
  role: Role | undefined;
}

/** Splits `<mspId>::<cn>`; undefined if the text is not a well-formed user id. */
export function splitUserId(userId: string): { mspId: MspId; commonName: string } | undefined {
  const at = userId.indexOf(USER_ID_SEPARATOR);
  if (at < 0) {
    return undefined;
  }
  const mspId = asMspId(userId.slice(0, at));
  const commonName = userId.slice(at + USER_ID_SEPARATOR.length);
  if (mspId === undefined || !COMMON_NAME_PATTERN.test(commonName)) {
    return undefined;
  }
  return { mspId, commonName };
}

/** The caller as the certificate states it: MSP, CN-derived user id and `role` attribute. */
export function callerIdentity(ctx: Context): CallerIdentity {
  const rawMsp = ctx.clientIdentity.getMSPID();
  const mspId = asMspId(rawMsp);
  if (mspId === undefined) {
    return fail('FORBIDDEN_ORG', `MSP ${rawMsp} is not a member of the consortium`);
  }
  const commonName = commonNameFromId(ctx.clientIdentity.getID());
  if (commonName === undefined || !COMMON_NAME_PATTERN.test(commonName)) {
    return fail('INVALID_IDENTITY', 'the certificate subject carries no usable common name (CN)');
  }
  return {
    userId: userIdOf(mspId, commonName),
    mspId,
    commonName,
    role: asRole(ctx.clientIdentity.getAttributeValue('role')),
  };
}
