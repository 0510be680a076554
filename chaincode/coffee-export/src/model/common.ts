/** Value shapes shared by the coffee-export models. */
import { CODE_PATTERN, Fields, ID_PATTERN, parseIsoMillis } from '@coffee/chaincode-common';
import { MSP_IDS, type MspId, ROLES, type Role } from '@coffee/consortium';
import { fail } from '../lib/errors';

import { GRADES } from '@coffee/consortium';

export { GRADES };
import type { Grade } from '@coffee/consortium';
export type { Grade };

/** G1 is the best grade; "grade ≥ contracted" means a rank number ≤ the contracted one. */
export function gradeRank(grade: Grade): number {
  return GRADES.indexOf(grade) + 1;
}

export const REGION_PATTERN = /^[A-Z][A-Z0-9_]{1,63}$/;
export const REFERENCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9/._-]{0,63}$/;
export const COUNTRY_PATTERN = /^[A-Z]{2}$/;
export const UNLOCODE_PATTERN = /^[A-Z]{2}[A-Z2-9]{3}$/;
export const CONTAINER_PATTERN = /^[A-Z]{3}U\d{7}$/;
/** A salt of at least 128 bits (22 base64url characters), fresh for every commitment (the gateway draws it). */
export const SALT_PATTERN = /^[A-Za-z0-9_-]{22,128}$/;
export const MAX_QUANTITY_KG = 10_000_000;
export const MAX_USD = 1_000_000_000;
export const MAX_USD_PER_KG = 1000;

export { CODE_PATTERN, ID_PATTERN };

export interface Actor {
  mspId: MspId;
  userId: string;
  role: Role;
}

export function parseActor(f: Fields): Actor {
  return {
    mspId: f.oneOf('mspId', MSP_IDS),
    userId: f.str('userId', { max: 200 }),
    role: f.oneOf('role', ROLES),
  };
}

/** Reads an ISO-8601 UTC timestamp member and returns [normalized text, epoch ms]. */
export function readInstant(f: Fields, name: string): [string, number] {
  const text = f.str(name, { max: 32 });
  const millis = parseIsoMillis(text);
  if (millis === undefined) {
    return fail(
      'VALIDATION_FAILED',
      `${name} must be an ISO-8601 UTC date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.mmm]Z)`,
    );
  }
  return [text, millis];
}

/** Money as integer cents (values carry at most 2 decimals, so this is exact). */
export function toCents(usd: number): number {
  return Math.round(usd * 100);
}

/** Only the identifying facts of an actor are stored (never extra members of a richer object). */
export function actorOf(actor: Actor): Actor {
  return { mspId: actor.mspId, userId: actor.userId, role: actor.role };
}
