/**
 * Versioned schema migrations, applied in order at start-up inside one transaction each, recorded in
 * schema_migrations. A migration is never edited once released: add a new version instead.
 */
import type pg from 'pg';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users and credentials',
    sql: `
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username text NOT NULL UNIQUE,
        display_name text,
        email text,
        role text NOT NULL,
        exporter_id text,
        status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED')),
        fabric_user_id text NOT NULL UNIQUE,
        password_hash text NOT NULL,
        certificate text NOT NULL,
        key_ciphertext bytea NOT NULL,
        key_iv bytea NOT NULL,
        key_tag bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );`,
  },
  {
    version: 2,
    name: 'refresh tokens',
    sql: `
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        token_hash text NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        replaced_by uuid,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);`,
  },
  {
    version: 3,
    name: 'audit log',
    sql: `
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        user_id uuid,
        username text,
        action text NOT NULL,
        target text,
        tx_id text,
        outcome text NOT NULL,
        request_id text
      );
      CREATE INDEX audit_log_target ON audit_log(target);`,
  },
  {
    version: 4,
    name: 'off-chain export details and documents',
    sql: `
      CREATE TABLE export_details (
        export_id text PRIMARY KEY,
        created_by uuid NOT NULL REFERENCES users(id),
        tx_id text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE documents (
        cid text PRIMARY KEY,
        sha256 text NOT NULL,
        size_bytes bigint NOT NULL,
        media_type text NOT NULL,
        file_name text,
        doc_type text NOT NULL,
        export_id text,
        uploaded_by uuid NOT NULL REFERENCES users(id),
        uploaded_at timestamptz NOT NULL DEFAULT now(),
        tx_id text
      );
      CREATE INDEX documents_export ON documents(export_id);`,
  },
  {
    version: 5,
    name: 'read model and projector checkpoint',
    sql: `
      CREATE TABLE rm_exports (
        export_id text PRIMARY KEY,
        exporter_id text NOT NULL,
        status text NOT NULL,
        contract jsonb,
        permit_number text,
        created_at text NOT NULL,
        updated_at text NOT NULL,
        last_action text NOT NULL,
        last_tx_id text NOT NULL,
        last_block bigint NOT NULL,
        event_count integer NOT NULL
      );
      CREATE INDEX rm_exports_status ON rm_exports(status, export_id);
      CREATE INDEX rm_exports_exporter ON rm_exports(exporter_id, export_id);
      CREATE TABLE rm_events (
        block_number bigint NOT NULL,
        tx_index integer NOT NULL,
        tx_id text NOT NULL UNIQUE,
        chaincode text NOT NULL,
        event_name text NOT NULL,
        export_id text,
        payload jsonb NOT NULL,
        PRIMARY KEY (block_number, tx_index)
      );
      CREATE TABLE projector_checkpoint (
        name text PRIMARY KEY,
        next_block bigint NOT NULL
      );`,
  },
  {
    version: 6,
    name: 'idempotency keys',
    sql: `
      CREATE TABLE idempotency_keys (
        user_id uuid NOT NULL,
        key text NOT NULL,
        route text NOT NULL,
        request_hash text NOT NULL,
        status_code integer,
        response jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      );`,
  },
  {
    version: 7,
    name: 'need-to-know: progress, delinquency, encrypted documents',
    sql: `
      ALTER TABLE rm_exports ADD COLUMN reached text NOT NULL DEFAULT 'DRAFT';
      ALTER TABLE rm_exports ADD COLUMN repatriation_due_at text;
      ALTER TABLE rm_exports ADD COLUMN delinquent boolean NOT NULL DEFAULT false;
      CREATE INDEX rm_exports_reached ON rm_exports(reached, export_id);
      ALTER TABLE documents ADD COLUMN encrypted_size bigint;
      ALTER TABLE documents ADD COLUMN recipients text[];`,
  },
  {
    version: 8,
    name: 'idempotency leases and resource ids; full records in the read model',
    sql: `
      ALTER TABLE idempotency_keys ADD COLUMN resource_id text;
      ALTER TABLE idempotency_keys ADD COLUMN lease_until timestamptz NOT NULL DEFAULT now();
      ALTER TABLE rm_exports ADD COLUMN record jsonb;
      ALTER TABLE rm_exports ADD COLUMN tracking jsonb;
      -- The records come from the blocks' write sets: rebuild the read model from block 0 (the projector does).
      DELETE FROM rm_exports;
      DELETE FROM rm_events;
      UPDATE projector_checkpoint SET next_block = 0;`,
  },
  {
    version: 9,
    name: 'access-token revocation, token generations, failed-login counts',
    sql: `
      -- Access tokens revoked before their expiry (logout); a row is useless once expires_at has passed.
      CREATE TABLE revoked_access_tokens (
        jti text PRIMARY KEY,
        user_id uuid,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz NOT NULL DEFAULT now(),
        seq bigserial NOT NULL UNIQUE
      );
      CREATE INDEX revoked_access_tokens_expiry ON revoked_access_tokens(expires_at);
      -- A password change moves it on: access tokens issued with an older generation are refused.
      ALTER TABLE users ADD COLUMN token_generation integer NOT NULL DEFAULT 0;
      -- Failed logins per username as typed (existing or not), and the lock they earned.
      CREATE TABLE login_attempts (
        username text PRIMARY KEY,
        failures integer NOT NULL,
        last_failure_at timestamptz NOT NULL,
        locked_until timestamptz
      );
      CREATE INDEX login_attempts_last_failure ON login_attempts(last_failure_at);`,
  },
  {
    version: 10,
    name: 'two-factor authentication: TOTP secrets, recovery codes, login challenges',
    sql: `
      -- The TOTP secret is sealed with the custody key (AES-256-GCM, like users' Fabric keys). last_step is the
      -- newest time step accepted: a code is taken only by UPDATE ... WHERE last_step < its step (no replay).
      CREATE TABLE user_mfa (
        user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        secret_ciphertext bytea NOT NULL,
        secret_iv bytea NOT NULL,
        secret_tag bytea NOT NULL,
        enabled_at timestamptz,
        last_step bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE mfa_recovery_codes (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        code_hash text NOT NULL,
        used_at timestamptz,
        PRIMARY KEY (user_id, code_hash)
      );
      CREATE TABLE mfa_challenges (
        token_hash text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        used_at timestamptz
      );
      CREATE INDEX mfa_challenges_user ON mfa_challenges(user_id);
      -- When the family's login proved a second factor (seconds since the epoch): refreshed tokens keep it.
      ALTER TABLE refresh_tokens ADD COLUMN mfa_at bigint;`,
  },
  {
    version: 11,
    name: 'webhooks, their outbox and delivery log; audit log browsing',
    sql: `
      -- services/webhooks.ts. The secret is sealed with the custody key (AES-256-GCM, the webhook id as AAD).
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY,
        url text NOT NULL,
        description text,
        secret_ciphertext bytea NOT NULL,
        secret_iv bytea NOT NULL,
        secret_tag bytea NOT NULL,
        active boolean NOT NULL DEFAULT true,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- One row per (webhook, event): written with the cursor below in one transaction; delivered at most once.
      CREATE TABLE webhook_outbox (
        id bigserial PRIMARY KEY,
        webhook_id uuid NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        event_id text NOT NULL,
        payload jsonb NOT NULL,
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (webhook_id, event_id)
      );
      CREATE INDEX webhook_outbox_due ON webhook_outbox(next_attempt_at) WHERE state = 'pending';
      CREATE TABLE webhook_deliveries (
        id bigserial PRIMARY KEY,
        outbox_id bigint NOT NULL REFERENCES webhook_outbox(id) ON DELETE CASCADE,
        webhook_id uuid NOT NULL,
        event_id text NOT NULL,
        attempt integer NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        status_code integer,
        error text,
        duration_ms integer NOT NULL,
        outcome text NOT NULL
      );
      CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, id DESC);
      -- The outbox writer's own position in the read model (the next block to write rows for).
      CREATE TABLE webhook_cursor (
        name text PRIMARY KEY,
        next_block bigint NOT NULL
      );
      -- GET /audit filters by these (newest first by id).
      CREATE INDEX audit_log_username ON audit_log(username, id DESC);
      CREATE INDEX audit_log_action ON audit_log(action, id DESC);
      CREATE INDEX audit_log_tx ON audit_log(tx_id) WHERE tx_id IS NOT NULL;`,
  },
  {
    version: 12,
    name: 'EUDR read model: plots, lot links, DDS packages',
    sql: `
      -- Projected from the eudr contract's events and write sets (events/eudr-projection.ts); no geometry here:
      -- plots are commitments, their details stay encrypted in IPFS.
      CREATE TABLE eudr_plots (
        plot_id text PRIMARY KEY,
        exporter_id text NOT NULL,
        screening_status text NOT NULL,
        registered_at timestamptz,
        record jsonb NOT NULL,
        last_tx_id text NOT NULL,
        last_block bigint NOT NULL
      );
      CREATE INDEX eudr_plots_exporter ON eudr_plots(exporter_id, plot_id);
      CREATE INDEX eudr_plots_status ON eudr_plots(screening_status, plot_id);
      CREATE TABLE eudr_lots (
        export_id text PRIMARY KEY,
        record jsonb NOT NULL,
        last_tx_id text NOT NULL,
        last_block bigint NOT NULL
      );
      CREATE TABLE eudr_packages (
        export_id text PRIMARY KEY,
        exporter_id text NOT NULL,
        status text NOT NULL,
        record jsonb NOT NULL,
        last_tx_id text NOT NULL,
        last_block bigint NOT NULL
      );
      CREATE INDEX eudr_packages_status ON eudr_packages(status, export_id);`,
  },
];

/** Checks the list itself: versions strictly increasing from 1 without gaps. */
export function checkMigrations(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migration #${i} has version ${m.version}; expected ${i + 1} (ordered, no gaps)`);
  });
}

/** Applies every pending migration in order; returns the versions applied now. */
export async function migrate(pool: pg.Pool, list: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  checkMigrations(list);
  const client = await pool.connect();
  try {
    // One gateway at a time (several instances may share a database).
    await client.query('SELECT pg_advisory_lock(712001)');
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    const maxKnown = list.length;
    const newer = [...done].filter((v) => v > maxKnown);
    if (newer.length > 0)
      throw new Error(
        `the database has migrations ${newer.join(', ')} that this gateway does not know; upgrade the gateway`,
      );
    const applied: number[] = [];
    for (const m of list) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations(version, name) VALUES ($1, $2)', [
          m.version,
          m.name,
        ]);
        await client.query('COMMIT');
        applied.push(m.version);
      } catch (e: unknown) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(e as Error).message}`);
      }
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock(712001)').catch(() => undefined);
    client.release();
  }
}
