/**
 * The single read/write path to the world state. Writes go through the canonical serializer; reads are
 * parsed and handed to a model parser, so no ledger bytes are ever trusted by a type cast.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'fabric-contract-api';
import type { Iterators } from 'fabric-shim-api';
import { canonicalJson, toBytes } from './serialize';
import { ChaincodeError } from './errors';
import { Fields, parseJsonBytes } from './validate';

export type Parser<T> = (value: unknown) => T;

export async function readState<T>(ctx: Context, key: string, parse: Parser<T>): Promise<T | undefined> {
  const bytes = await ctx.stub.getState(key);
  if (!bytes || bytes.length === 0) {
    return undefined;
  }
  return parse(parseJsonBytes(bytes, 'state', 'CORRUPT_STATE'));
}

export async function writeState(ctx: Context, key: string, value: object): Promise<void> {
  await ctx.stub.putState(key, toBytes(value));
}

/** Emits the transaction's one chaincode event (payload serialized like every write). */
export function emitEvent(ctx: Context, name: string, payload: object): void {
  ctx.stub.setEvent(name, toBytes(payload));
}

export function toJson(value: object): string {
  return canonicalJson(value);
}

export interface Page<T> {
  records: T[];
  fetchedCount: number;
  bookmark: string;
}

export interface PageRequest {
  pageSize: number;
  bookmark: string;
}

export const MAX_PAGE_SIZE = 100;

/**
 * Reads `pageSize` (1-100, default 20) and `bookmark` from a query's input. Bookmarks are handed to
 * clients hex-encoded (Fabric's are raw composite keys with U+0000 separators) and decoded here.
 */
export function readPageRequest(input: Fields): PageRequest {
  return {
    pageSize: input.optInt('pageSize', 1, MAX_PAGE_SIZE) ?? 20,
    bookmark: Buffer.from(
      input.optStr('bookmark', { min: 0, max: 2048, pattern: /^(?:[0-9a-f]{2})*$/ }) ?? '',
      'hex',
    ).toString('utf8'),
  };
}

async function drain(iterator: Iterators.StateQueryIterator): Promise<Iterators.KV[]> {
  const out: Iterators.KV[] = [];
  try {
    for (;;) {
      const result = await iterator.next();
      if (result.value) {
        out.push(result.value);
      }
      if (result.done) {
        break;
      }
    }
  } finally {
    await iterator.close();
  }
  return out;
}

/** One page of a partial composite key range (read-only transactions only, as Fabric requires). */
export async function readPage<T>(
  ctx: Context,
  objectType: string,
  attributes: string[],
  request: PageRequest,
  parse: Parser<T>,
): Promise<Page<T>> {
  const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(
    objectType,
    attributes,
    request.pageSize,
    request.bookmark,
  );
  const kvs = await drain(iterator);
  // An empty last page has all-default metadata, which protobuf encodes as no bytes: fabric-shim then gives none.
  return {
    records: kvs.map((kv) => parse(parseJsonBytes(kv.value, 'state', 'CORRUPT_STATE'))),
    fetchedCount: metadata?.fetchedRecordsCount ?? 0,
    bookmark: Buffer.from(metadata?.bookmark ?? '', 'utf8').toString('hex'),
  };
}

/**
 * One page of a partial composite key range with each entry's key, starting at `startKey` (a raw key inside the
 * range, '' for its beginning); `nextKey` is '' when the range is exhausted. For callers that filter what they
 * return and must continue after a key of their own choosing (never revealing one they did not return).
 * Entries that do not parse are skipped and counted, never fatal for the page.
 */
export async function readKeyedPage<T>(
  ctx: Context,
  objectType: string,
  attributes: string[],
  pageSize: number,
  startKey: string,
  parse: Parser<T>,
): Promise<{ entries: { key: string; value: T }[]; nextKey: string; malformed: number }> {
  const prefix = ctx.stub.createCompositeKey(objectType, attributes);
  if (startKey !== '' && !startKey.startsWith(prefix)) {
    throw new ChaincodeError('VALIDATION_FAILED', 'the bookmark does not belong to this list');
  }
  const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(
    objectType,
    attributes,
    pageSize,
    startKey,
  );
  const entries: { key: string; value: T }[] = [];
  let malformed = 0;
  for (const kv of await drain(iterator)) {
    try {
      entries.push({ key: kv.key, value: parse(parseJsonBytes(kv.value, 'state', 'CORRUPT_STATE')) });
    } catch {
      malformed += 1;
    }
  }
  // No metadata: an empty last page (see readPage).
  return { entries, nextKey: metadata?.bookmark ?? '', malformed };
}

/** Every entry under a partial composite key (small registries only). */
export async function readAll<T>(
  ctx: Context,
  objectType: string,
  attributes: string[],
  parse: Parser<T>,
): Promise<T[]> {
  const kvs = await drain(await ctx.stub.getStateByPartialCompositeKey(objectType, attributes));
  return kvs.map((kv) => parse(parseJsonBytes(kv.value, 'state', 'CORRUPT_STATE')));
}

/** Private data goes through the same serializer; returns the bytes' sha256 (what peers keep on-chain). */
export async function writePrivate(
  ctx: Context,
  collection: string,
  key: string,
  value: object,
): Promise<string> {
  const bytes = toBytes(value);
  await ctx.stub.putPrivateData(collection, key, bytes);
  return sha256Hex(bytes);
}

/** A private value with the sha256 of its stored bytes (to compare with the hash the public record keeps). */
export async function readPrivate<T>(
  ctx: Context,
  collection: string,
  key: string,
  parse: Parser<T>,
): Promise<{ value: T; hash: string } | undefined> {
  const bytes = await ctx.stub.getPrivateData(collection, key);
  if (!bytes || bytes.length === 0) {
    return undefined;
  }
  return { value: parse(parseJsonBytes(bytes, 'private data', 'CORRUPT_STATE')), hash: sha256Hex(bytes) };
}

/** Hex sha256 of a private value as every peer (member or not) holds it; '' if absent. */
export async function privateHash(ctx: Context, collection: string, key: string): Promise<string> {
  const bytes = await ctx.stub.getPrivateDataHash(collection, key);
  return bytes && bytes.length > 0 ? Buffer.from(bytes).toString('hex') : '';
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
