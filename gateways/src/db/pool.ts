/** The org's Postgres pool; a failure to reach Postgres becomes a 503 (nothing written). */
import pg from 'pg';
import { AppError, UnavailableError } from '../errors.ts';

export function createPool(databaseUrl: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
  });
  // A client losing its server must not crash the process: the pool listens on idle clients only, and a client
  // checked out when Postgres stops (a projector's block transaction, a request's) would emit an unheard 'error'.
  // Its pending query still fails and is answered as 503.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);

export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  const msg = e instanceof Error ? e.message : '';
  return (
    msg.includes('Connection terminated') ||
    msg.includes('timeout exceeded when trying to connect') ||
    msg.includes('Client has encountered a connection error')
  );
}

/** Wraps database errors: connection problems → 503; anything else stays as is. */
export function dbError(e: unknown): unknown {
  if (e instanceof AppError) return e;
  if (isConnectionError(e)) return new UnavailableError('the database', e);
  return e;
}

export async function withTx<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e: unknown) {
    throw dbError(e);
  }
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e: unknown) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw dbError(e);
  } finally {
    client.release();
  }
}

export async function query<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(text, values);
  } catch (e: unknown) {
    throw dbError(e);
  }
}

export async function dbReachable(pool: pg.Pool): Promise<boolean> {
  try {
    await pool.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
