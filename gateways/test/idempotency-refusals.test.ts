/**
 * When a refused request frees its Idempotency-Key at once (the retry may come right away) and when the claim
 * stays until its lease expires: overload is refused before the key is claimed; an endorsement that could not be
 * had (the endorser's chaincode server down) frees a fresh claim; an ambiguous failure keeps it.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import express, { type ErrorRequestHandler } from 'express';
import { AppError, ChaincodeUnavailableError, toProblem, UnavailableError } from '../src/errors.ts';
import { apiRoutes, type Services } from '../src/routes/api.ts';
import { mount } from '../src/routes/http.ts';
import { AdmissionLimiter } from '../src/services/admission.ts';
import type { Caller } from '../src/services/deps.ts';
import type { Claim, IdempotencyService } from '../src/services/idempotency.ts';
import { testConfig } from './helpers.ts';

const caller: Caller = { userId: 'u-1', username: 'ecta-officer', role: 'ecta_officer', requestId: 'r' };
const log: string[] = [];
let claimKind: Claim['kind'] = 'new';
/** What the next action does: answer, throw, or wait until released. */
let behaviour: () => Promise<unknown> = () => Promise.resolve({ ok: true });

const services = {
  exports: { action: () => behaviour() },
  // No two-factor here: the step-up check lets every action through.
  mfa: { requireStepUp: () => Promise.resolve() },
} as unknown as Services;

const idempotency = {
  pool: undefined,
  claim: (_c: Caller, key: string) => {
    log.push(`claim ${key}`);
    return Promise.resolve(
      claimKind === 'replay'
        ? { kind: 'replay', status: 200, body: { replayed: true } }
        : { kind: claimKind, key, resourceId: null },
    );
  },
  release: (_c: Caller, key: string) => {
    log.push(`release ${key}`);
    return Promise.resolve();
  },
  complete: (_p: unknown, _c: Caller, key: string) => {
    log.push(`complete ${key}`);
    return Promise.resolve();
  },
} as unknown as IdempotencyService;

const admission = new AdmissionLimiter(1);
const app = express();
app.use(express.json());
const api = express.Router();
const pass: express.RequestHandler = (_q, _s, n) => n();
mount(api, apiRoutes(testConfig('ecta'), services, pass, pass), {
  orgId: 'ecta',
  auth: () => Promise.resolve(caller),
  idempotency,
  admission,
});
app.use('/api/v1', api);
const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
  const p = toProblem(err);
  res.status(p.status).json(p);
};
app.use(onError);

let base = '';
let server: ReturnType<typeof app.listen>;
before(async () => {
  server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());
beforeEach(() => {
  log.length = 0;
  claimKind = 'new';
  behaviour = () => Promise.resolve({ ok: true });
});

async function register(key: string): Promise<{ status: number; code?: string; retryAfter: string | null }> {
  const res = await fetch(`${base}/api/v1/exports/EX-1/actions/register-contract`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ registrationNumber: 'REG-1' }),
  });
  const body = (await res.json()) as { code?: string };
  return { status: res.status, code: body.code, retryAfter: res.headers.get('retry-after') };
}

describe('Idempotency-Key after a refusal', () => {
  it('overload (GATEWAY_BUSY) is refused before the key is claimed', async () => {
    let finish: () => void = () => undefined;
    behaviour = () => new Promise((r) => (finish = () => r({ ok: true })));
    const first = register('key-busy-0001');
    while (admission.inFlight === 0) await new Promise((r) => setTimeout(r, 5));
    const refused = await register('key-busy-0002');
    assert.deepEqual(refused, { status: 503, code: 'GATEWAY_BUSY', retryAfter: '1' });
    finish();
    assert.equal((await first).status, 200);
    assert.deepEqual(
      log,
      ['claim key-busy-0001', 'complete key-busy-0001'],
      'the busy request claimed nothing',
    );
    assert.equal(admission.inFlight, 0);
  });

  it("an endorser's chaincode down (503 CHAINCODE_UNAVAILABLE) frees a fresh claim at once", async () => {
    behaviour = () =>
      Promise.reject(
        new ChaincodeUnavailableError('endorsement unavailable: NationalBankMSP cannot reach it'),
      );
    const r = await register('key-ccdown-01');
    assert.deepEqual(r, { status: 503, code: 'CHAINCODE_UNAVAILABLE', retryAfter: '5' });
    assert.deepEqual(log, ['claim key-ccdown-01', 'release key-ccdown-01']);
  });

  it('…but not a recovering claim, which stands for an earlier attempt of unknown outcome', async () => {
    claimKind = 'recover';
    behaviour = () => Promise.reject(new ChaincodeUnavailableError('endorsement unavailable'));
    assert.equal((await register('key-ccdown-02')).status, 503);
    assert.deepEqual(log, ['claim key-ccdown-02']);
  });

  it('an ambiguous failure (peer or orderer unavailable) keeps the claim; a 4xx frees it', async () => {
    behaviour = () => Promise.reject(new UnavailableError('the organization peer or the ordering service'));
    assert.equal((await register('key-ambig-001')).status, 503);
    assert.deepEqual(log, ['claim key-ambig-001']);
    log.length = 0;
    behaviour = () => Promise.reject(new AppError(409, 'INVALID_TRANSITION', 'not now'));
    assert.equal((await register('key-refuse-01')).status, 409);
    assert.deepEqual(log, ['claim key-refuse-01', 'release key-refuse-01']);
  });

  it('a replay still answers, and frees its admission slot', async () => {
    claimKind = 'replay';
    const r = await register('key-replay-01');
    assert.equal(r.status, 200);
    assert.equal(admission.inFlight, 0);
  });
});
