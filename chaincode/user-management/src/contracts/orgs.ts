import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import {
  ClockCheckedContract,
  Fields,
  emitEvent,
  readState,
  toJson,
  txIso,
  writeState,
} from '@coffee/chaincode-common';
import { MSP_IDS, type MspId } from '@coffee/consortium';
import { authorize } from '../lib/access';
import { fail } from '../lib/errors';
import { EVENTS } from '../lib/events';
import { callerIdentity } from '../lib/identity';

/** An org's document-encryption public keys, oldest first; the last one is current. */
export interface OrgKeysRecord {
  docType: 'orgKeys';
  mspId: MspId;
  keys: { kid: string; publicKeySpki: string; publishedAt: string; txId: string }[];
}

export const ORG_KEYS_KEY = 'orgKeys';
const MAX_KEYS = 32;
const KID_PATTERN = /^[0-9a-f]{16}$/;
/** The public key as base64 of its DER SubjectPublicKeyInfo (no line breaks to carry). */
const SPKI_PATTERN = /^[A-Za-z0-9+/]{100,2800}={0,2}$/;

function orgKeysKey(ctx: Context, mspId: string): string {
  return ctx.stub.createCompositeKey(ORG_KEYS_KEY, [mspId]);
}

function parseOrgKeys(value: unknown): OrgKeysRecord {
  const f = Fields.of(value, 'orgKeys', 'CORRUPT_STATE');
  f.oneOf('docType', ['orgKeys']);
  return {
    docType: 'orgKeys',
    mspId: f.oneOf('mspId', MSP_IDS),
    keys: f.objects('keys', MAX_KEYS).map((k) => ({
      kid: k.str('kid', { pattern: KID_PATTERN }),
      publicKeySpki: k.str('publicKeySpki', { max: 2804, pattern: SPKI_PATTERN }),
      publishedAt: k.str('publishedAt', { max: 32 }),
      txId: k.str('txId', { max: 128 }),
    })),
  };
}

/**
 * The public keys each organization's gateway encrypts documents for (workflow.md: documents are encrypted for
 * their audience before they reach IPFS). An org's admin publishes its own org's key (the org is the caller's
 * MSP, never an argument); a rotation appends a new key and keeps the old ones, so older documents still name a
 * key the org can find. Uploaders wrap each document's data key for the current key of every entitled org.
 */
@Info({ title: 'OrgKeys', description: "The organizations' document-encryption public keys" })
export class OrgKeysContract extends ClockCheckedContract {
  constructor() {
    super('orgs');
  }

  /** Org admin. input: {kid (16 hex: sha256 of the SPKI, truncated), publicKeySpki (base64 DER)}. Idempotent for the current key. */
  @Transaction()
  @Returns('string')
  public async PublishEncryptionKey(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const kid = f.str('kid', { pattern: KID_PATTERN });
    const publicKeySpki = f.str('publicKeySpki', { max: 2804, pattern: SPKI_PATTERN });
    f.end();
    const admin = await authorize(ctx, MSP_IDS, ['admin']);
    const key = orgKeysKey(ctx, admin.mspId);
    const existing = (await readState(ctx, key, parseOrgKeys)) ?? {
      docType: 'orgKeys' as const,
      mspId: admin.mspId,
      keys: [],
    };
    const current = existing.keys[existing.keys.length - 1];
    if (current?.kid === kid) {
      return toJson(existing);
    }
    if (existing.keys.some((k) => k.kid === kid)) {
      fail('INVALID_TRANSITION', `key ${kid} was published before; rotate to a new key instead`);
    }
    if (existing.keys.length >= MAX_KEYS) {
      fail('VALIDATION_FAILED', `${admin.mspId} has published ${MAX_KEYS} keys already`);
    }
    const record: OrgKeysRecord = {
      ...existing,
      keys: [...existing.keys, { kid, publicKeySpki, publishedAt: txIso(ctx), txId: ctx.stub.getTxID() }],
    };
    await writeState(ctx, key, record);
    emitEvent(ctx, EVENTS.orgKeyPublished, { mspId: admin.mspId, kid, txId: ctx.stub.getTxID() });
    return toJson(record);
  }

  /** Every org's keys: [{mspId, keys: [...]}] (any channel member; public keys only). */
  @Transaction(false)
  @Returns('string')
  public async GetEncryptionKeys(ctx: Context): Promise<string> {
    callerIdentity(ctx);
    const out: OrgKeysRecord[] = [];
    for (const mspId of MSP_IDS) {
      const record = await readState(ctx, orgKeysKey(ctx, mspId), parseOrgKeys);
      if (record !== undefined) {
        out.push(record);
      }
    }
    return toJson({ orgs: out });
  }
}
