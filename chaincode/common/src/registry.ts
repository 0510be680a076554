/**
 * The registry's entries as coffee-export checks them on every endorsement, and how they reach it.
 *
 * user-management keeps the registry (users, exporter licences and standing). coffee-export needs, on every
 * transaction, the caller's record and sometimes an exporter's eligibility. A cross-chaincode query per
 * endorsement cost a second chaincode execution and an ACL check (a signature verification) on the peer
 * (docs/bench.md). Instead user-management writes a copy of what access needs into coffee-export's namespace
 * in the SAME transaction as every change of a user or an exporter (`registry:SyncUser` /
 * `registry:SyncExporter`, accepted only from a proposal addressed to user-management), so the copy can never
 * lag: both writes commit or neither does. coffee-export reads its copy with one getState; only a caller or
 * exporter without a copy (registered before the copy existed) is looked up with the cross-chaincode query.
 *
 * The two exceptions run the other way: coffee-export's own default and delinquency steps change an
 * exporter's standing through user-management (a chaincode cannot be called back within its own
 * transaction), so they write the copy themselves from user-management's answer.
 */
import type { Context } from 'fabric-contract-api';
import { MSP_IDS, type MspId, ROLES, type Role } from '@coffee/consortium';
import { type CommonErrorCode, fail } from './errors';
import { isoFromMillis, parseIsoMillis } from './time';
import { Fields, ID_PATTERN } from './validate';

/** What an enrollment id may look like on-chain (Fabric CA allows more; we keep ids printable). */
export const COMMON_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
export const USER_ID_SEPARATOR = '::';

export function userIdOf(mspId: MspId, commonName: string): string {
  return `${mspId}${USER_ID_SEPARATOR}${commonName}`;
}

/** The CN of the subject in a fabric-shim identity string (`x509::/C=../CN=name::/C=../CN=issuer`). */
export function commonNameFromId(id: string): string | undefined {
  if (!id.startsWith('x509::')) {
    return undefined;
  }
  const rest = id.slice('x509::'.length);
  const end = rest.indexOf('::/');
  const subject = end < 0 ? rest : rest.slice(0, end);
  let commonName: string | undefined;
  for (const match of subject.matchAll(/\/([A-Za-z0-9.]+)=((?:\\\/|[^/])*)/g)) {
    if (match[1] === 'CN' && match[2] !== undefined) {
      commonName = match[2].replace(/\\\//g, '/');
    }
  }
  return commonName;
}

export const USER_STATUSES = ['ACTIVE', 'SUSPENDED'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const EXPORTER_STATUSES = ['ACTIVE', 'SUSPENDED', 'REVOKED', 'BANNED'] as const;
export type ExporterStatus = (typeof EXPORTER_STATUSES)[number];

/** Where the copy lives and who writes it. */
export const REGISTRY_COPY = {
  /** The chaincode that keeps the copy, and the one whose proposals may write it. */
  holder: 'coffee-export',
  origin: 'user-management',
  syncUser: 'registry:SyncUser',
  syncExporter: 'registry:SyncExporter',
  /** Composite-key object types in coffee-export's namespace. */
  userKey: 'registryUser',
  exporterKey: 'registryExporter',
} as const;

/** The part of a user record access needs. */
export interface UserEntry {
  userId: string;
  mspId: MspId;
  commonName: string;
  role: Role;
  status: UserStatus;
  exporterId?: string;
}

/** The part of an exporter record eligibility needs. */
export interface ExporterStanding {
  exporterId: string;
  status: ExporterStatus;
  licenceValidUntil: string;
  delinquent: boolean;
}

export function userEntryOf(record: UserEntry): UserEntry {
  const { userId, mspId, commonName, role, status, exporterId } = record;
  return { userId, mspId, commonName, role, status, ...(exporterId === undefined ? {} : { exporterId }) };
}

export function exporterStandingOf(record: ExporterStanding): ExporterStanding {
  const { exporterId, status, licenceValidUntil, delinquent } = record;
  return { exporterId, status, licenceValidUntil, delinquent };
}

export function parseUserEntry(value: unknown, code: CommonErrorCode = 'CORRUPT_STATE'): UserEntry {
  const f = Fields.of(value, 'user entry', code);
  const entry: UserEntry = {
    userId: f.str('userId', { max: 200 }),
    mspId: f.oneOf('mspId', MSP_IDS),
    commonName: f.str('commonName', { max: 128, pattern: COMMON_NAME_PATTERN }),
    role: f.oneOf('role', ROLES),
    status: f.oneOf('status', USER_STATUSES),
  };
  const exporterId = f.optStr('exporterId', { max: 64, pattern: ID_PATTERN });
  f.end();
  if (entry.userId !== userIdOf(entry.mspId, entry.commonName)) {
    fail(code, `user entry ${entry.userId} does not match its MSP and common name`);
  }
  return exporterId === undefined ? entry : { ...entry, exporterId };
}

export function parseExporterStanding(
  value: unknown,
  code: CommonErrorCode = 'CORRUPT_STATE',
): ExporterStanding {
  const f = Fields.of(value, 'exporter standing', code);
  const standing: ExporterStanding = {
    exporterId: f.str('exporterId', { max: 64, pattern: ID_PATTERN }),
    status: f.oneOf('status', EXPORTER_STATUSES),
    licenceValidUntil: f.str('licenceValidUntil', { max: 32 }),
    delinquent: f.bool('delinquent'),
  };
  f.end();
  return standing;
}

export function userEntryKey(ctx: Context, mspId: MspId, commonName: string): string {
  return ctx.stub.createCompositeKey(REGISTRY_COPY.userKey, [mspId, commonName]);
}

export function exporterStandingKey(ctx: Context, exporterId: string): string {
  return ctx.stub.createCompositeKey(REGISTRY_COPY.exporterKey, [exporterId]);
}

export type EligibilityPurpose = 'EXPORT' | 'FX';

/** Whether an exporter may act now: the answer both chaincodes give (data, so the caller refuses at its step). */
export interface Eligibility {
  exporterId: string;
  purpose: EligibilityPurpose;
  eligible: boolean;
  code?: 'LICENSE_INVALID' | 'EXPORTER_DELINQUENT';
  reason?: string;
  checkedAt: string;
}

export function eligibilityOf(
  standing: ExporterStanding | undefined,
  exporterId: string,
  purpose: EligibilityPurpose,
  nowMillis: number,
): Eligibility {
  const checkedAt = isoFromMillis(nowMillis);
  const refuse = (code: 'LICENSE_INVALID' | 'EXPORTER_DELINQUENT', reason: string): Eligibility => ({
    exporterId,
    purpose,
    eligible: false,
    code,
    reason,
    checkedAt,
  });
  if (standing === undefined) {
    return refuse('LICENSE_INVALID', `exporter ${exporterId} holds no ECTA licence`);
  }
  if (standing.status !== 'ACTIVE') {
    return refuse('LICENSE_INVALID', `exporter ${exporterId} licence is ${standing.status}`);
  }
  if ((parseIsoMillis(standing.licenceValidUntil) ?? 0) <= nowMillis) {
    return refuse(
      'LICENSE_INVALID',
      `exporter ${exporterId} licence expired on ${standing.licenceValidUntil}`,
    );
  }
  if (purpose === 'FX' && standing.delinquent) {
    return refuse('EXPORTER_DELINQUENT', `exporter ${exporterId} is marked delinquent by the National Bank`);
  }
  return { exporterId, purpose, eligible: true, checkedAt };
}
