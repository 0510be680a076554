/**
 * Who acts: the caller's MSP and the `role` attribute of the enrollment certificate, confirmed by the
 * caller's on-chain user record. The record must be ACTIVE and carry the same role; exporter users carry the
 * exporter id they act for. The record is read from this chaincode's copy of the registry, which
 * user-management writes in the same transaction as every change (chaincode-common registry.ts); a caller or
 * exporter the copy lacks is looked up in user-management itself (cross-chaincode query, same channel).
 */
import type { Context } from 'fabric-contract-api';
import type { Permission } from '@coffee/consortium';
import {
  Fields,
  ID_PATTERN,
  commonNameFromId,
  eligibilityOf,
  exporterStandingKey,
  parseExporterStanding,
  parseJsonBytes,
  parseUserEntry,
  readState,
  txMillis,
  userEntryKey,
  writeState,
} from '@coffee/chaincode-common';
import { MSP_IDS, type MspId, ROLES, type Role, asMspId, asRole } from '@coffee/consortium';
import { type ErrorCode, codeIn, fail } from './errors';
import type { Actor } from '../model/common';

export const USER_MANAGEMENT = 'user-management';

export type { Permission };

/** Whose eligibility to check with the caller's record (users:GetCallerWithEligibility). */
export interface EligibilityRequest {
  purpose: 'EXPORT' | 'FX';
  /** Default: the caller's own exporter. */
  exporterId?: string;
}

export interface Eligibility {
  exporterId: string;
  eligible: boolean;
  code?: 'LICENSE_INVALID' | 'EXPORTER_DELINQUENT';
  reason?: string;
}

export interface AuthorizedActor extends Actor {
  exporterId?: string;
  /** Present when identify() was asked for it and the exporter is known. */
  eligibility?: Eligibility;
}

/** Calls user-management on the same channel; relays its refusal code or fails with UPSTREAM_ERROR. */
export async function callUserManagement(ctx: Context, args: string[]): Promise<unknown> {
  let response: { status: number; message?: string; payload?: Uint8Array };
  try {
    response = await ctx.stub.invokeChaincode(USER_MANAGEMENT, args, '');
  } catch (e: unknown) {
    response = { status: 500, message: e instanceof Error ? e.message : String(e) };
  }
  if (response.status !== 200) {
    const message = response.message ?? '';
    const code: ErrorCode = codeIn(message) ?? 'UPSTREAM_ERROR';
    const detail = message.slice(message.indexOf(`${code}: `) + code.length + 2);
    return fail(
      code,
      code === 'UPSTREAM_ERROR' ? `user-management ${args[0] ?? ''} failed: ${message}` : detail,
    );
  }
  return parseJsonBytes(response.payload ?? new Uint8Array(), 'user-management response', 'UPSTREAM_ERROR');
}

interface UserView {
  userId: string;
  mspId: MspId;
  role: Role;
  status: 'ACTIVE' | 'SUSPENDED';
  exporterId?: string;
  eligibility?: Eligibility;
}

function parseEligibility(value: Fields): Eligibility {
  return {
    exporterId: value.str('exporterId', { max: 64, pattern: ID_PATTERN }),
    eligible: value.bool('eligible'),
    code: value.optOneOf('code', ['LICENSE_INVALID', 'EXPORTER_DELINQUENT'] as const),
    reason: value.optStr('reason', { max: 1000 }),
  };
}

function parseUserView(value: unknown): UserView {
  const f = Fields.of(value, 'user', 'UPSTREAM_ERROR');
  const eligibility = f.optObj('eligibility');
  return {
    userId: f.str('userId', { max: 200 }),
    mspId: f.oneOf('mspId', MSP_IDS),
    role: f.oneOf('role', ROLES),
    status: f.oneOf('status', ['ACTIVE', 'SUSPENDED'] as const),
    exporterId: f.optStr('exporterId', { max: 64, pattern: ID_PATTERN }),
    eligibility: eligibility && parseEligibility(eligibility),
  };
}

/**
 * The caller's record and the eligibility asked for, from this chaincode's copy of the registry; undefined
 * when the copy lacks the caller or the exporter (registered before the copy existed), and user-management
 * is asked instead. The copy is exact, never stale: it changes in the registry's own transactions.
 */
async function fromRegistryCopy(
  ctx: Context,
  mspId: MspId,
  eligibility: EligibilityRequest | undefined,
): Promise<UserView | undefined> {
  const commonName = commonNameFromId(ctx.clientIdentity.getID());
  if (commonName === undefined) {
    return undefined;
  }
  const entry = await readState(ctx, userEntryKey(ctx, mspId, commonName), parseUserEntry);
  if (entry === undefined) {
    return undefined;
  }
  const exporterId = eligibility && (eligibility.exporterId ?? entry.exporterId);
  if (eligibility === undefined || exporterId === undefined) {
    return entry;
  }
  const standing = await readState(ctx, exporterStandingKey(ctx, exporterId), parseExporterStanding);
  return (
    standing && {
      ...entry,
      eligibility: eligibilityOf(standing, exporterId, eligibility.purpose, txMillis(ctx)),
    }
  );
}

/**
 * Who is calling: a consortium MSP (FORBIDDEN_ORG otherwise), confirmed by the caller's on-chain record, which must
 * be ACTIVE and carry the certificate's role (USER_NOT_REGISTERED, USER_SUSPENDED, FORBIDDEN_ROLE). Says nothing
 * yet about what the caller may do: transitions first check that the caller may see the export (a caller who may
 * not is told it does not exist), then permit() checks the org and role, so a refusal never reveals existence.
 */
export async function identify(ctx: Context, eligibility?: EligibilityRequest): Promise<AuthorizedActor> {
  const rawMsp = ctx.clientIdentity.getMSPID();
  const mspId = asMspId(rawMsp);
  if (mspId === undefined) {
    return fail('FORBIDDEN_ORG', `MSP ${rawMsp} is not a member of the consortium`);
  }
  const rawRole = ctx.clientIdentity.getAttributeValue('role');
  const role = asRole(rawRole);
  // The copy answers without a second chaincode; otherwise one cross-chaincode call: the caller's record, with
  // the exporter's eligibility when asked.
  const user =
    (await fromRegistryCopy(ctx, mspId, eligibility)) ??
    parseUserView(
      await callUserManagement(
        ctx,
        eligibility ? ['users:GetCallerWithEligibility', JSON.stringify(eligibility)] : ['users:GetCaller'],
      ),
    );
  if (user.mspId !== mspId) {
    fail('INVALID_IDENTITY', `user record ${user.userId} belongs to ${user.mspId}, not ${mspId}`);
  }
  if (user.status !== 'ACTIVE') {
    fail('USER_SUSPENDED', `${user.userId} is suspended`);
  }
  if (role === undefined || user.role !== role) {
    fail(
      'FORBIDDEN_ROLE',
      `certificate role '${rawRole ?? 'none'}' differs from the registered role '${user.role}'`,
    );
  }
  return { mspId, userId: user.userId, role, exporterId: user.exporterId, eligibility: user.eligibility };
}

/** Refuses an actor outside `permissions` (any org/role if 'ANY'): FORBIDDEN_ORG, then FORBIDDEN_ROLE. */
export function permit(actor: AuthorizedActor, permissions: readonly Permission[] | 'ANY'): void {
  if (permissions === 'ANY') {
    return;
  }
  const forOrg = permissions.filter((p) => p.msp === actor.mspId);
  if (forOrg.length === 0) {
    fail(
      'FORBIDDEN_ORG',
      `${actor.mspId} may not perform this action (allowed: ${[...new Set(permissions.map((p) => p.msp))].join(', ')})`,
    );
  }
  if (!forOrg.some((p) => p.roles.includes(actor.role))) {
    fail('FORBIDDEN_ROLE', `role '${actor.role}' of ${actor.mspId} may not perform this action`);
  }
}

/** identify() and permit() together, for calls on no existing export (creation, configuration). */
export async function authorize(
  ctx: Context,
  permissions: readonly Permission[] | 'ANY',
  eligibility?: EligibilityRequest,
): Promise<AuthorizedActor> {
  const rawMsp = ctx.clientIdentity.getMSPID();
  const mspId = asMspId(rawMsp);
  if (mspId === undefined) {
    return fail('FORBIDDEN_ORG', `MSP ${rawMsp} is not a member of the consortium`);
  }
  // The cheap certificate checks first: a wrong org or role is refused without the cross-chaincode lookup.
  const role = asRole(ctx.clientIdentity.getAttributeValue('role'));
  if (permissions !== 'ANY') {
    permit({ mspId, role: role ?? ('none' as Role), userId: '' }, permissions);
  }
  const actor = await identify(ctx, eligibility);
  permit(actor, permissions);
  return actor;
}

/**
 * Refuses with the registry's code (LICENSE_INVALID, EXPORTER_DELINQUENT) unless `exporterId` may act, from the
 * eligibility identify() fetched with the caller's record.
 */
export function requireEligible(actor: AuthorizedActor, exporterId: string): void {
  const e = actor.eligibility;
  if (e === undefined || e.exporterId !== exporterId) {
    return fail('UPSTREAM_ERROR', `no eligibility of exporter ${exporterId} was fetched with the caller`);
  }
  if (!e.eligible) {
    fail(e.code ?? 'LICENSE_INVALID', e.reason ?? `exporter ${exporterId} may not act`);
  }
}

export interface PenaltyView {
  outcome: string;
  warningsAfter: number;
  statusAfter: string;
}

/** Applies ECTA's penalty ladder in user-management (a cross-chaincode write in the same transaction). */
export async function applyDefaultPenalty(
  ctx: Context,
  exporterId: string,
  exportId: string,
): Promise<PenaltyView> {
  const f = Fields.of(
    await callUserManagement(ctx, [
      'exporters:ApplyDefaultPenalty',
      JSON.stringify({ exporterId, exportId }),
    ]),
    'penalty',
    'UPSTREAM_ERROR',
  );
  await copyStanding(ctx, f.obj('standing'));
  return {
    outcome: f.oneOf('outcome', ['WARNING', 'SUSPENDED', 'RECORDED'] as const),
    warningsAfter: f.int('warningsAfter', 0, 1000),
    statusAfter: f.str('statusAfter', { max: 32 }),
  };
}

/**
 * Records (or clears) in user-management that this export's proceeds are overdue; user-management accepts it
 * only from coffee-export (origin check), after MarkDelinquent / ClearDelinquency proved it from the record.
 */
export async function setDelinquency(
  ctx: Context,
  exporterId: string,
  exportId: string,
  delinquent: boolean,
): Promise<void> {
  const answer = await callUserManagement(ctx, [
    'exporters:SetDelinquency',
    JSON.stringify({ exporterId, exportId, delinquent }),
  ]);
  await copyStanding(ctx, Fields.of(answer, 'exporter', 'UPSTREAM_ERROR'));
}

/**
 * The exporter's standing after user-management changed it at this chaincode's request: written into the copy
 * of the registry here, since user-management cannot call back into the chaincode that called it.
 */
async function copyStanding(ctx: Context, fields: Fields): Promise<void> {
  const standing = parseExporterStanding(
    {
      exporterId: fields.str('exporterId', { max: 64, pattern: ID_PATTERN }),
      status: fields.str('status', { max: 32 }),
      licenceValidUntil: fields.str('licenceValidUntil', { max: 32 }),
      delinquent: fields.bool('delinquent'),
    },
    'UPSTREAM_ERROR',
  );
  await writeState(ctx, exporterStandingKey(ctx, standing.exporterId), standing);
}
