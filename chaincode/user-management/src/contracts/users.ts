import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import {
  ClockCheckedContract,
  Fields,
  ID_PATTERN,
  checkId,
  eligibilityOf,
  emitEvent,
  readPage,
  readPageRequest,
  readState,
  toJson,
  txIso,
  txMillis,
  writeState,
} from '@coffee/chaincode-common';
import { MSP_IDS, ROLES, ROLES_BY_MSP } from '@coffee/consortium';
import { authorize, readUser } from '../lib/access';
import { fail } from '../lib/errors';
import { copyUser } from '../lib/registry-copy';
import { EVENTS } from '../lib/events';
import { COMMON_NAME_PATTERN, callerIdentity, splitUserId, userIdOf } from '../lib/identity';
import { exporterKey, parseExporter } from '../model/exporter';
import { USER_KEY, type UserRecord, type UserStatus, parseUser, userKey } from '../model/user';

const USER_ID_PATTERN = /^[A-Za-z]+MSP::[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

function userEvent(record: UserRecord, txId: string): object {
  return {
    userId: record.userId,
    mspId: record.mspId,
    role: record.role,
    status: record.status,
    exporterId: record.exporterId,
    txId,
    at: record.updatedAt,
  };
}

/**
 * Users of every organization. An org `admin` registers, suspends and reactivates users of its own org
 * (the org is the admin's MSP, never an argument). User ids are `<mspId>::<certificate CN>`.
 */
@Info({
  title: 'Users',
  description: 'Registry of the consortium users: org, role and status, no personal data',
})
export class UserContract extends ClockCheckedContract {
  constructor() {
    super('users');
  }

  /** input: {"commonName": "<enrollment id>", "role": "<role>", "exporterId"?: "<id, exporter role only>"} */
  @Transaction()
  @Returns('string')
  public async RegisterUser(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const commonName = f.str('commonName', { max: 128, pattern: COMMON_NAME_PATTERN });
    const role = f.oneOf('role', ROLES);
    const exporterId = f.optStr('exporterId', { max: 64, pattern: ID_PATTERN });
    f.end();
    const admin = await authorize(ctx, MSP_IDS, ['admin']);
    if (!ROLES_BY_MSP[admin.mspId].includes(role)) {
      fail('VALIDATION_FAILED', `role '${role}' does not exist in ${admin.mspId}`);
    }
    if (role === 'exporter' && exporterId === undefined) {
      fail('VALIDATION_FAILED', 'an exporter user must name the exporterId it acts for');
    }
    if (role !== 'exporter' && exporterId !== undefined) {
      fail('VALIDATION_FAILED', 'only exporter users are linked to an exporter');
    }
    if (
      exporterId !== undefined &&
      (await readState(ctx, exporterKey(ctx, exporterId), parseExporter)) === undefined
    ) {
      fail('EXPORTER_NOT_FOUND', `exporter ${exporterId} is not registered by ECTA`);
    }
    if ((await readUser(ctx, admin.mspId, commonName)) !== undefined) {
      fail('USER_EXISTS', `${userIdOf(admin.mspId, commonName)} is already registered`);
    }
    const now = txIso(ctx);
    const record: UserRecord = {
      docType: 'user',
      userId: userIdOf(admin.mspId, commonName),
      mspId: admin.mspId,
      commonName,
      role,
      status: 'ACTIVE',
      exporterId,
      createdAt: now,
      createdBy: admin.userId,
      updatedAt: now,
      updatedBy: admin.userId,
    };
    await writeState(ctx, userKey(ctx, admin.mspId, commonName), record);
    await copyUser(ctx, record);
    emitEvent(ctx, EVENTS.userRegistered, userEvent(record, ctx.stub.getTxID()));
    return toJson(record);
  }

  /** input: {"userId": "<mspId>::<cn>", "reason": "<text>"} — same org as the admin only. */
  @Transaction()
  @Returns('string')
  public async SuspendUser(ctx: Context, input: string): Promise<string> {
    return this.#setStatus(ctx, input, 'SUSPENDED');
  }

  /** input: {"userId": "<mspId>::<cn>", "reason"?: "<text>"} — same org as the admin only. */
  @Transaction()
  @Returns('string')
  public async ReactivateUser(ctx: Context, input: string): Promise<string> {
    return this.#setStatus(ctx, input, 'ACTIVE');
  }

  /** The user record of `userId` (`<mspId>::<cn>`). */
  @Transaction(false)
  @Returns('string')
  public async GetUser(ctx: Context, userId: string): Promise<string> {
    callerIdentity(ctx);
    const id = checkId(userId, 'userId', USER_ID_PATTERN);
    const parts = splitUserId(id);
    const record = parts && (await readUser(ctx, parts.mspId, parts.commonName));
    if (record === undefined) {
      return fail('USER_NOT_FOUND', `${id} is not registered`);
    }
    return toJson(record);
  }

  /** The caller's own record, derived from the calling certificate (used by coffee-export). */
  @Transaction(false)
  @Returns('string')
  public async GetCaller(ctx: Context): Promise<string> {
    const caller = callerIdentity(ctx);
    const record = await readUser(ctx, caller.mspId, caller.commonName);
    if (record === undefined) {
      return fail('USER_NOT_REGISTERED', `${caller.userId} is not registered`);
    }
    return toJson(record);
  }

  /**
   * The caller's record and, in the same call, an exporter's eligibility: input {"purpose": "EXPORT"|"FX",
   * "exporterId"?: "<id, default the caller's own; none if the caller acts for no exporter>"}. coffee-export needs both on its creates and on the steps
   * that check the licence; one cross-chaincode call instead of two per endorsement (docs/bench.md). The
   * eligibility is data here (`eligible: false` with a code), so coffee-export refuses at its own step.
   */
  @Transaction(false)
  @Returns('string')
  public async GetCallerWithEligibility(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const purpose = f.oneOf('purpose', ['EXPORT', 'FX'] as const);
    const requested = f.optStr('exporterId', { max: 64, pattern: ID_PATTERN });
    f.end();
    const caller = callerIdentity(ctx);
    const record = await readUser(ctx, caller.mspId, caller.commonName);
    if (record === undefined) {
      return fail('USER_NOT_REGISTERED', `${caller.userId} is not registered`);
    }
    const exporterId = requested ?? record.exporterId;
    if (exporterId === undefined) {
      // A caller linked to no exporter: no eligibility to give (coffee-export refuses such a caller itself).
      return toJson(record);
    }
    const exporter = await readState(ctx, exporterKey(ctx, exporterId), parseExporter);
    return toJson({ ...record, eligibility: eligibilityOf(exporter, exporterId, purpose, txMillis(ctx)) });
  }

  /** input: {"mspId"?: "<MSP, default the caller's>", "pageSize"?: 1-100, "bookmark"?: "..."} */
  @Transaction(false)
  @Returns('string')
  public async ListUsers(ctx: Context, input: string): Promise<string> {
    const caller = callerIdentity(ctx);
    const f = Fields.parse(input, 'input');
    const mspId = f.optOneOf('mspId', MSP_IDS) ?? caller.mspId;
    const page = readPageRequest(f);
    f.end();
    return toJson(await readPage(ctx, USER_KEY, [mspId], page, parseUser));
  }

  async #setStatus(ctx: Context, input: string, status: UserStatus): Promise<string> {
    const f = Fields.parse(input, 'input');
    const userId = f.str('userId', { max: 200, pattern: USER_ID_PATTERN });
    const reason =
      status === 'SUSPENDED'
        ? f.str('reason', { max: 1000, text: true })
        : f.optStr('reason', { max: 1000, text: true });
    f.end();
    const admin = await authorize(ctx, MSP_IDS, ['admin']);
    const target = splitUserId(userId);
    if (target === undefined) {
      return fail('VALIDATION_FAILED', `input.userId ${userId} is not <mspId>::<cn>`);
    }
    if (target.mspId !== admin.mspId) {
      fail('FORBIDDEN_ORG', `an admin of ${admin.mspId} may not manage users of ${target.mspId}`);
    }
    if (userId === admin.userId) {
      fail('VALIDATION_FAILED', 'an admin may not change their own status');
    }
    const record = await readUser(ctx, target.mspId, target.commonName);
    if (record === undefined) {
      return fail('USER_NOT_FOUND', `${userId} is not registered`);
    }
    if (record.status === status) {
      fail('INVALID_TRANSITION', `${userId} is already ${status}`);
    }
    const updated: UserRecord = {
      ...record,
      status,
      statusReason: reason,
      updatedAt: txIso(ctx),
      updatedBy: admin.userId,
    };
    await writeState(ctx, userKey(ctx, target.mspId, target.commonName), updated);
    await copyUser(ctx, updated);
    emitEvent(
      ctx,
      status === 'SUSPENDED' ? EVENTS.userSuspended : EVENTS.userReactivated,
      userEvent(updated, ctx.stub.getTxID()),
    );
    return toJson(updated);
  }
}
