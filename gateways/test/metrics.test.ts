/**
 * The gateway's business and health metrics (src/metrics.ts): what counts as an endorsement failure, a failed
 * login, an IPFS or Postgres error; certificate expiry, projector lag and time in state; and the /metrics text
 * the registry renders from a read model and a peer (faked here: the integration test scrapes real ones).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { StatusCode } from '@hyperledger/fabric-gateway';
import { Registry } from 'prom-client';
import { AppError, UnavailableError } from '../src/errors.ts';
import { isEndorsementFailure, type FabricFailure } from '../src/fabric/chaincode-error.ts';
import {
  certExpiry,
  classifyError,
  projectorLag,
  registerGatewayMetrics,
  timeInState,
} from '../src/metrics.ts';
import type { Deps } from '../src/services/deps.ts';

const failure = (f: Partial<FabricFailure>): FabricFailure => ({
  kind: 'upstream',
  code: 'X',
  detail: '',
  known: false,
  stage: 'endorse',
  ...f,
});

describe('gateway metrics: classification', () => {
  it('a chaincode refusal is not an endorsement failure; an unreachable endorser or an unmet policy is', () => {
    assert.equal(isEndorsementFailure(failure({ kind: 'chaincode', code: 'FORBIDDEN_ROLE' })), false);
    assert.equal(isEndorsementFailure(failure({ kind: 'conflict', stage: 'commit' })), false);
    assert.equal(isEndorsementFailure(failure({ kind: 'unavailable', stage: 'submit' })), false);
    assert.equal(isEndorsementFailure(undefined), false);
    assert.equal(isEndorsementFailure(failure({ kind: 'unavailable', code: 'CHAINCODE_UNAVAILABLE' })), true);
    assert.equal(isEndorsementFailure(failure({ kind: 'timeout', code: 'LEDGER_TIMEOUT' })), true);
    assert.equal(
      isEndorsementFailure(
        failure({ kind: 'invalid', stage: 'commit', validationCode: StatusCode.ENDORSEMENT_POLICY_FAILURE }),
      ),
      true,
    );
  });

  it('failed logins only on the sign-in routes; IPFS and Postgres by the dependency that failed', () => {
    const wrong = new AppError(401, 'INVALID_CREDENTIALS', 'wrong username or password');
    assert.equal(classifyError(wrong, false), undefined, 'a wrong current password is no failed login');
    assert.equal(classifyError(new AppError(403, 'FORBIDDEN_ROLE', 'no'), true), undefined);
    assert.equal(classifyError(wrong, true), 'failed-login');
    assert.equal(classifyError(new AppError(423, 'ACCOUNT_LOCKED', 'locked'), true), 'failed-login');
    assert.equal(classifyError(new UnavailableError('the IPFS node'), false), 'ipfs');
    assert.equal(classifyError(new UnavailableError('the database'), true), 'postgres');
    assert.equal(classifyError(new UnavailableError('the ordering service'), false), undefined);
    const pgError = Object.assign(new Error('duplicate key'), { code: '23505', severity: 'ERROR' });
    assert.equal(classifyError(pgError, false), 'postgres');
    assert.equal(classifyError(new Error('boom'), false), undefined);
  });

  it('projector lag and time in state', () => {
    assert.equal(projectorLag(120n, 100n), 20);
    assert.equal(projectorLag(100n, 100n), 0);
    assert.equal(projectorLag(99n, 100n), 0, 'a peer height read a moment earlier is no negative lag');
    assert.equal(timeInState({ status: 'QUALITY_CERTIFIED', since: 1_000 }, 61_000), 60);
    assert.equal(timeInState(undefined, 61_000), undefined);
    assert.equal(timeInState({ status: 'X', since: Number.NaN }, 61_000), undefined);
    assert.equal(timeInState({ status: 'X', since: 90_000 }, 61_000), undefined);
  });
});

describe('gateway metrics: the registry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrics-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    join(dir, 'k.pem'),
    '-out',
    join(dir, 'c.pem'),
    '-days',
    '20',
    '-subj',
    '/CN=metrics-test',
  ]);
  const pem = readFileSync(join(dir, 'c.pem'), 'utf8');

  it('reads a certificate notAfter (20 days ahead) and refuses garbage', () => {
    const t = certExpiry(pem)!;
    const days = (t - Date.now() / 1000) / 86_400;
    assert.ok(days > 19.9 && days <= 20, `expires in ${days} days`);
    assert.equal(certExpiry('not a certificate'), undefined);
    assert.equal(certExpiry(undefined), undefined);
  });

  const deps = (peerHeight: bigint | Error, queries: string[]): Deps =>
    ({
      config: { org: { id: 'ecta' }, peer: { tlsCaCert: Buffer.from(pem) }, tls: undefined },
      orgAdmin: { certificate: pem },
      ledger: {
        chainHeight: () =>
          peerHeight instanceof Error ? Promise.reject(peerHeight) : Promise.resolve(peerHeight),
      },
      pool: {
        query: (sql: string) =>
          Promise.resolve().then(() => {
            queries.push(sql);
            if (sql.includes('GROUP BY status'))
              return {
                rows: [
                  { status: 'CONTRACT_REGISTERED', n: '3' },
                  { status: 'SHIPPED', n: '1' },
                ],
              };
            if (sql.includes('projector_checkpoint')) return { rows: [{ next_block: '40' }] };
            if (sql.includes('FROM rm_exports WHERE export_id'))
              return {
                rows: [{ status: 'FX_APPROVED', updated_at: new Date(Date.now() - 7200_000).toISOString() }],
              };
            throw new Error(`unexpected query ${sql}`);
          }),
      },
    }) as unknown as Deps;

  it('renders exports by status, projector height and lag, certificates and disk', async () => {
    const registry = new Registry();
    const queries: string[] = [];
    registerGatewayMetrics(registry, deps(52n, queries));
    const text = await registry.metrics();
    assert.match(text, /^coffee_exports\{status="CONTRACT_REGISTERED"\} 3$/m);
    assert.match(text, /^coffee_exports\{status="SHIPPED"\} 1$/m);
    assert.match(text, /^coffee_projector_height\{channel="coffee-export-channel"\} 40$/m);
    assert.match(text, /^coffee_projector_lag_blocks\{channel="coffee-export-channel"\} 12$/m);
    assert.match(text, /^gateway_cert_expiry_timestamp_seconds\{cert="enrollment"\} \d+$/m);
    assert.match(text, /^gateway_cert_expiry_timestamp_seconds\{cert="peer-tls-ca"\} \d+$/m);
    assert.doesNotMatch(text, /cert="https-server"/, 'no HTTPS certificate configured, none reported');
    assert.match(text, /^gateway_disk_free_bytes \d+$/m);
    assert.match(text, /^gateway_disk_size_bytes [1-9]\d*$/m);
  });

  it('reports no lag when the peer does not answer (not a lag of 0)', async () => {
    const registry = new Registry();
    registerGatewayMetrics(registry, deps(new Error('UNAVAILABLE'), []));
    const text = await registry.metrics();
    assert.doesNotMatch(text, /^coffee_projector_lag_blocks/m);
    assert.match(text, /^coffee_projector_height\{channel="coffee-export-channel"\} 40$/m);
  });

  it('counts submits, retries, endorsement failures, steps, time in state and request failures', async () => {
    const registry = new Registry();
    const m = registerGatewayMetrics(registry, deps(40n, []));
    m.ledger.submitted('export:SubmitFx', 0.3, 'ok');
    m.ledger.mvccRetry('export:SubmitFx');
    m.ledger.endorsementFailed('export:Ship');
    const left = await m.transitions.before('EXP-1');
    assert.equal(left?.status, 'FX_APPROVED');
    m.transitions.committed('book-shipment', left);
    m.transitions.committed('create', undefined);
    m.requestFailed(new AppError(401, 'INVALID_CREDENTIALS', 'wrong'), true);
    m.requestFailed(new AppError(401, 'INVALID_CREDENTIALS', 'wrong'), false);
    m.requestFailed(new UnavailableError('the IPFS node'), false);
    const text = await registry.metrics();
    assert.match(text, /^gateway_submit_duration_seconds_count\{fn="export:SubmitFx",outcome="ok"\} 1$/m);
    assert.match(text, /^gateway_mvcc_retries_total\{fn="export:SubmitFx"\} 1$/m);
    assert.match(text, /^gateway_endorsement_failures_total\{fn="export:Ship"\} 1$/m);
    assert.match(text, /^coffee_transitions_total\{action="book-shipment"\} 1$/m);
    assert.match(text, /^coffee_transitions_total\{action="create"\} 1$/m);
    // Two hours in FX_APPROVED: above the 1 h bucket, within the 4 h one.
    assert.match(
      text,
      /^coffee_time_in_state_seconds_bucket\{le="3600",agency="ecta",state="FX_APPROVED"\} 0$/m,
    );
    assert.match(
      text,
      /^coffee_time_in_state_seconds_bucket\{le="14400",agency="ecta",state="FX_APPROVED"\} 1$/m,
    );
    assert.match(text, /^gateway_failed_logins_total\{code="INVALID_CREDENTIALS"\} 1$/m);
    assert.match(text, /^gateway_ipfs_errors_total 1$/m);
    assert.match(text, /^gateway_postgres_errors_total 0$/m);
  });
});
