/**
 * The gateway's business and health metrics on /metrics (docs/operations.md, "Monitoring"), next to the HTTP
 * histogram app.ts keeps. What the alert rules (network/monitoring/alerts.yml) and the portal's Operations page
 * read:
 *
 * - coffee_exports{status}: exports by status in this org's read model (one GROUP BY on scrape);
 * - coffee_transitions_total{action}, coffee_time_in_state_seconds{agency,state}: workflow steps this gateway
 *   committed, and how long the export had waited in the step it left (from the read model's updated_at, read just
 *   before the submit);
 * - gateway_submit_duration_seconds{fn,outcome}, gateway_mvcc_retries_total{fn},
 *   gateway_endorsement_failures_total{fn}: every ledger submit (fabric/ledger.ts tells the LedgerObserver);
 * - coffee_projector_height, coffee_projector_lag_blocks, coffee_projector_errors_total: the read model's progress
 *   against the org's peer (qscc on scrape) and the projector's failed rounds;
 * - gateway_ipfs_errors_total, gateway_postgres_errors_total, gateway_failed_logins_total{code}: from the errors
 *   requests end with (classified by classifyError);
 * - gateway_cert_expiry_timestamp_seconds{cert}: the notAfter of the certificates the gateway uses — its HTTPS
 *   certificate, its org's TLS CA (peer connection) and the org admin's enrollment; Fabric exports none;
 * - gateway_disk_free_bytes, gateway_disk_size_bytes: the filesystem of the gateway's configuration directory (in
 *   the launcher's layout the run directory, where ledgers, Postgres, kubo and logs live too).
 */
import { X509Certificate } from 'node:crypto';
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type pg from 'pg';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { AppError, UnavailableError } from './errors.ts';
import type { LedgerObserver } from './fabric/chaincode-error.ts';
import { CHANNEL } from '@coffee/consortium';
import { checkpoint, projectorErrorsCounter } from './events/projector.ts';
import type { Deps } from './services/deps.ts';

/** What services/exports.ts reports about each workflow step: the state left and since when, then the commit. */
export interface TransitionObserver {
  before(exportId: string): Promise<StateSince | undefined>;
  committed(action: string, left: StateSince | undefined, now?: number): void;
}

export interface StateSince {
  readonly status: string;
  /** Epoch milliseconds of the export's last step (the read model's updated_at). */
  readonly since: number;
}

export type ErrorClass = 'ipfs' | 'postgres' | 'failed-login' | undefined;

const FAILED_LOGIN_CODES = new Set([
  'INVALID_CREDENTIALS',
  'ACCOUNT_LOCKED',
  'MFA_CODE_INVALID',
  'MFA_CHALLENGE_INVALID',
]);

/**
 * Which health counter an error a request ended with feeds. `login` says whether the request was a sign-in
 * (a wrong current password on a password change is not a failed login).
 */
export function classifyError(e: unknown, login: boolean): ErrorClass {
  if (e instanceof UnavailableError) {
    if (e.message.startsWith('the IPFS node')) return 'ipfs';
    if (e.message.startsWith('the database')) return 'postgres';
    return undefined;
  }
  if (login && e instanceof AppError && FAILED_LOGIN_CODES.has(e.code)) return 'failed-login';
  if (e instanceof AppError) return undefined;
  // node-postgres' DatabaseError: a SQLSTATE code and a severity (a constraint, a syntax error, a deadlock …).
  const pgErr = e as { code?: unknown; severity?: unknown };
  if (
    typeof pgErr?.severity === 'string' &&
    typeof pgErr.code === 'string' &&
    /^[0-9A-Z]{5}$/.test(pgErr.code)
  )
    return 'postgres';
  return undefined;
}

/** Seconds since the epoch of a PEM certificate's notAfter, or undefined if it cannot be read. */
export function certExpiry(pem: string | Buffer | undefined): number | undefined {
  if (!pem) return undefined;
  try {
    return Math.floor(Date.parse(new X509Certificate(pem).validTo) / 1000);
  } catch {
    return undefined;
  }
}

/** Blocks the read model trails the peer by (never negative: the peer's answer may be a scrape older). */
export function projectorLag(peerHeight: bigint, nextBlock: bigint): number {
  return peerHeight > nextBlock ? Number(peerHeight - nextBlock) : 0;
}

/** The seconds an export spent in the step it left, or undefined without a usable start. */
export function timeInState(left: StateSince | undefined, now: number): number | undefined {
  if (!left || !Number.isFinite(left.since) || now < left.since) return undefined;
  return (now - left.since) / 1000;
}

export interface GatewayMetrics {
  readonly ledger: LedgerObserver;
  readonly transitions: TransitionObserver;
  /** Counts an error a request ended with (app.ts' error handler). */
  requestFailed(e: unknown, login: boolean): void;
  readonly projectorErrors: Counter;
}

export function registerGatewayMetrics(registry: Registry, deps: Deps): GatewayMetrics {
  const { pool, config } = deps;
  const org = config.org.id;

  new Gauge({
    name: 'coffee_exports',
    help: "Exports by status in this org's read model",
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await pool
        .query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM rm_exports GROUP BY status')
        .then((r) => r.rows)
        .catch(() => undefined);
      this.reset();
      for (const row of rows ?? []) this.set({ status: row.status }, Number(row.n));
    },
  });

  const transitions = new Counter({
    name: 'coffee_transitions_total',
    help: 'Workflow steps this gateway committed, by action',
    labelNames: ['action'],
    registers: [registry],
  });
  const timeInStateHist = new Histogram({
    name: 'coffee_time_in_state_seconds',
    help: 'How long an export waited in a step before this agency moved it on (by the agency and the step left)',
    labelNames: ['agency', 'state'],
    buckets: [60, 300, 900, 3600, 4 * 3600, 86_400, 3 * 86_400, 7 * 86_400, 30 * 86_400],
    registers: [registry],
  });

  const submitDuration = new Histogram({
    name: 'gateway_submit_duration_seconds',
    help: 'Ledger submits (endorse, order, commit), by chaincode function and outcome',
    labelNames: ['fn', 'outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32],
    registers: [registry],
  });
  const mvccRetries = new Counter({
    name: 'gateway_mvcc_retries_total',
    help: 'Submits retried as a new transaction after an MVCC read conflict, by chaincode function',
    labelNames: ['fn'],
    registers: [registry],
  });
  const endorsementFailures = new Counter({
    name: 'gateway_endorsement_failures_total',
    help: 'Submits whose endorsement could not be had (not chaincode refusals), by chaincode function',
    labelNames: ['fn'],
    registers: [registry],
  });

  new Gauge({
    name: 'coffee_projector_height',
    help: 'Blocks applied to the read model (the next block the projector reads)',
    // Labelled so that "no answer" renders as no sample (a label-less gauge would read 0).
    labelNames: ['channel'],
    registers: [registry],
    async collect() {
      const next = await checkpoint(pool).catch(() => undefined);
      this.reset();
      if (next !== undefined) this.set({ channel: CHANNEL }, Number(next));
    },
  });
  new Gauge({
    name: 'coffee_projector_lag_blocks',
    help: "Blocks the read model trails the org's peer by",
    labelNames: ['channel'],
    registers: [registry],
    async collect() {
      const [peer, next] = await Promise.all([
        deps.ledger.chainHeight(deps.orgAdmin).catch(() => undefined),
        checkpoint(pool).catch(() => undefined),
      ]);
      // No answer, no number: an unreachable peer is FabricNodeDown's business, not a lag of 0.
      this.reset();
      if (peer !== undefined && next !== undefined) this.set({ channel: CHANNEL }, projectorLag(peer, next));
    },
  });
  const projectorErrors = projectorErrorsCounter(registry);

  const ipfsErrors = new Counter({
    name: 'gateway_ipfs_errors_total',
    help: 'Requests that failed because the IPFS node was unavailable',
    registers: [registry],
  });
  const postgresErrors = new Counter({
    name: 'gateway_postgres_errors_total',
    help: 'Requests that failed on a Postgres error (unreachable, or an error from the database)',
    registers: [registry],
  });
  const failedLogins = new Counter({
    name: 'gateway_failed_logins_total',
    help: 'Sign-ins refused (wrong password, locked account, wrong second factor), by problem code',
    labelNames: ['code'],
    registers: [registry],
  });

  new Gauge({
    name: 'gateway_cert_expiry_timestamp_seconds',
    help: 'notAfter (seconds since the epoch) of the certificates the gateway uses',
    labelNames: ['cert'],
    registers: [registry],
    collect() {
      this.reset();
      const certs: Record<string, string | Buffer | undefined> = {
        'https-server': config.tls?.cert,
        'peer-tls-ca': config.peer.tlsCaCert,
        enrollment: deps.orgAdmin.certificate,
      };
      for (const [cert, pem] of Object.entries(certs)) {
        const t = certExpiry(pem);
        if (t !== undefined) this.set({ cert }, t);
      }
    },
  });

  const diskDir = process.env.COFFEE_GATEWAY_CONFIG
    ? dirname(process.env.COFFEE_GATEWAY_CONFIG)
    : process.cwd();
  const disk = (): { free: number; size: number } | undefined => {
    try {
      const s = statfsSync(diskDir);
      return { free: s.bavail * s.bsize, size: s.blocks * s.bsize };
    } catch {
      return undefined;
    }
  };
  new Gauge({
    name: 'gateway_disk_free_bytes',
    help: "Bytes available to the gateway on the filesystem of its configuration directory (the run directory's)",
    registers: [registry],
    collect() {
      const d = disk();
      if (d) this.set(d.free);
    },
  });
  new Gauge({
    name: 'gateway_disk_size_bytes',
    help: "Size of the filesystem of the gateway's configuration directory",
    registers: [registry],
    collect() {
      const d = disk();
      if (d) this.set(d.size);
    },
  });

  return {
    ledger: {
      submitted: (fn, seconds, outcome) => submitDuration.observe({ fn, outcome }, seconds),
      mvccRetry: (fn) => mvccRetries.inc({ fn }),
      endorsementFailed: (fn) => endorsementFailures.inc({ fn }),
    },
    transitions: {
      before: (exportId) => stateSince(pool, exportId),
      committed(action, left, now = Date.now()) {
        transitions.inc({ action });
        const seconds = timeInState(left, now);
        if (seconds !== undefined && left)
          timeInStateHist.observe({ agency: org, state: left.status }, seconds);
      },
    },
    requestFailed(e, login) {
      const cls = classifyError(e, login);
      if (cls === 'ipfs') ipfsErrors.inc();
      else if (cls === 'postgres') postgresErrors.inc();
      else if (cls === 'failed-login') failedLogins.inc({ code: (e as AppError).code });
    },
    projectorErrors,
  };
}

/** The export's step in the read model and since when; undefined if unknown (or on any error: metrics only). */
async function stateSince(pool: pg.Pool, exportId: string): Promise<StateSince | undefined> {
  try {
    const r = await pool.query<{ status: string; updated_at: string }>(
      'SELECT status, updated_at FROM rm_exports WHERE export_id = $1',
      [exportId],
    );
    const row = r.rows[0];
    return row ? { status: row.status, since: Date.parse(row.updated_at) } : undefined;
  } catch {
    return undefined;
  }
}
