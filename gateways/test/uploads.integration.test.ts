/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- HTTP response bodies are untyped JSON here */
/**
 * Uploads on the real stack (issue 10): authentication comes before any body. An anonymous 10 MB upload is
 * answered 401 while the client still holds most of its body, and the connection is closed rather than drained;
 * 50 such uploads in parallel leave the gateway's memory flat (its RSS, read from /proc by the pid the launcher
 * recorded). A user past the upload quota (files, then bytes, per hour) gets 429 with Retry-After, before the
 * upload is read; /verify stays rate-limited. The quota gateway (ECX) runs with small quotas for this file and
 * is restarted with the usual test settings afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.COFFEE_RUN_DIR ??= join(REPO, '.run', 'test');
process.env.COFFEE_PORT_OFFSET ??= '20000';

const {
  TEST_GATEWAY_ENV,
  adminOf,
  bringUp,
  expectStatus,
  gatewayCa,
  gatewayNode,
  gatewayUrl,
  http,
  newUser,
  nodePid,
  org,
  pdf,
  startGateway,
  stopGateway,
  upload,
} = await import('./support/stack.ts');
const { rawRequest } = await import('./support/raw-http.ts');

const MB = 1024 * 1024;
const RUN = randomBytes(3).toString('hex');
/** The gateway whose memory is watched (left with its usual settings). */
const MEMORY_ORG = org('ecta');
/** The gateway restarted with small quotas for this file. */
const QUOTA_ORG = org('ecx');
const QUOTA_SETTINGS = {
  ...TEST_GATEWAY_ENV,
  UPLOAD_QUOTA_FILES_PER_HOUR: '3',
  UPLOAD_QUOTA_BYTES_PER_HOUR: String(1536 * 1024),
  VERIFY_RATE_LIMIT_MAX: '5',
};
const PARALLEL = 50;
/** Far below 50 × 10 MB: what 50 connections' socket buffers and request objects may cost, and no body. */
const FLAT_RSS_BYTES = 64 * MB;

const caOf = (url: string): Buffer | undefined => (url.startsWith('https:') ? gatewayCa() : undefined);

/** An anonymous multipart upload of `bytes` to the org's gateway: only its head and what fits before the answer. */
function anonymousUpload(
  url: string,
  bytes: number,
  opts: { headers?: string; sendBody?: boolean } = {},
): ReturnType<typeof rawRequest> {
  const head =
    `POST /api/v1/documents HTTP/1.1\r\nHost: ${new URL(url).host}\r\n` +
    `Content-Type: multipart/form-data; boundary=coffee${RUN}\r\nContent-Length: ${bytes}\r\n${opts.headers ?? ''}\r\n`;
  return rawRequest(url, head, {
    bodyBytes: bytes,
    sendBody: opts.sendBody,
    ca: caOf(url),
    timeoutMs: 30_000,
    closeWithinMs: 3000,
  });
}

/** VmRSS / VmHWM of a process, in bytes. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Resets the process's peak RSS (VmHWM) to its current RSS, where the kernel lets us (our own process). */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

const mib = (n: number): string => `${(n / MB).toFixed(1)} MiB`;

before(async () => {
  await bringUp();
  await stopGateway(QUOTA_ORG);
  await startGateway(QUOTA_ORG, QUOTA_SETTINGS);
});

after(async () => {
  // The next test files expect the usual settings (`gateways up` keeps a running gateway as it is).
  await stopGateway(QUOTA_ORG);
  await startGateway(QUOTA_ORG, TEST_GATEWAY_ENV);
});

describe('uploads: authentication before any body (real stack)', () => {
  it('an anonymous 10 MB upload is refused before it is buffered: 401 at once, the connection closed', async () => {
    const url = gatewayUrl(MEMORY_ORG);
    const a = await anonymousUpload(url, 10 * MB);
    assert.equal(a.status, 401, a.body);
    assert.match(a.headers['content-type'] ?? '', /^application\/problem\+json/);
    assert.equal(a.headers.connection, 'close');
    assert.ok(a.sentWhenAnswered < 10 * MB, `answered after ${a.sentWhenAnswered} of ${10 * MB} bytes`);
    assert.ok(a.answeredMs < 3000, `answered in ${a.answeredMs} ms`);
    assert.ok(a.closed, 'the gateway closed the connection instead of reading the rest of the body');
    console.log(
      `[uploads] anonymous 10 MB upload: 401 in ${a.answeredMs} ms, the client having written ${mib(a.sentWhenAnswered)} into its socket`,
    );
  });

  it(`the gateway's memory stays flat over ${PARALLEL} parallel anonymous 10 MB uploads`, async (t) => {
    const pid = nodePid(gatewayNode(MEMORY_ORG));
    assert.ok(pid, `the ${MEMORY_ORG.id} gateway runs`);
    const url = gatewayUrl(MEMORY_ORG);
    const peakReset = resetPeak(pid);
    const before = memoryOf(pid);
    let sampledPeak = before.rss;
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, memoryOf(pid).rss);
    }, 20);
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, () => anonymousUpload(url, 10 * MB)),
    ).finally(() => clearInterval(sampler));
    const elapsed = Date.now() - started;
    const afterAll = memoryOf(pid);
    for (const a of answers) {
      assert.equal(a.status, 401);
      assert.ok(a.sentWhenAnswered < 10 * MB, `one answered after ${a.sentWhenAnswered} bytes`);
    }
    const peak = Math.max(sampledPeak, afterAll.rss, peakReset ? afterAll.hwm : 0);
    const growth = peak - before.rss;
    const sent = answers.reduce((s, a) => s + a.sentWhenAnswered, 0);
    const slowest = Math.max(...answers.map((a) => a.answeredMs));
    const report =
      `[uploads] ${PARALLEL} × 10 MB anonymous uploads in ${elapsed} ms (slowest answer ${slowest} ms; ` +
      `${mib(sent)} of ${mib(PARALLEL * 10 * MB)} written by the clients into their sockets before the answers): gateway RSS ${mib(before.rss)} → ` +
      `${mib(afterAll.rss)}, peak ${mib(peak)} (${peakReset ? 'VmHWM reset before, ' : ''}sampled every 20 ms), ` +
      `growth ${mib(growth)} (limit ${mib(FLAT_RSS_BYTES)})`;
    console.log(report);
    t.diagnostic(report);
    assert.ok(growth < FLAT_RSS_BYTES, report);
  });

  it('a user past the upload quota gets 429 with Retry-After, before the upload is read; others are not', async () => {
    const admin = await adminOf(QUOTA_ORG);
    const [first, second] = await Promise.all([
      newUser(admin, `grader-qa-${RUN}`, 'grader'),
      newUser(admin, `grader-qb-${RUN}`, 'grader'),
    ]);
    // Files: 3 per hour.
    for (let i = 1; i <= 3; i++) await upload(first, 'QUALITY_CERTIFICATE', `certificate ${i} ${RUN}`);
    const form = new FormData();
    form.set('type', 'QUALITY_CERTIFICATE');
    form.set('file', new Blob([pdf(`certificate 4 ${RUN}`)], { type: 'application/pdf' }), 'q.pdf');
    const refused = await http(QUOTA_ORG, 'POST', '/api/v1/documents', { token: first.token, form });
    expectStatus(refused, 429, 'the fourth upload in the hour');
    assert.equal(refused.body.code, 'UPLOAD_QUOTA_EXCEEDED');
    assert.match(refused.body.detail, /3 files per hour/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter > 3500 && retryAfter <= 3600,
      `Retry-After ${retryAfter}`,
    );
    // Refused at the door: a 1 MB upload whose body is never sent still gets its answer.
    const url = gatewayUrl(QUOTA_ORG);
    const door = await anonymousUpload(url, MB, {
      headers: `Authorization: Bearer ${first.token}\r\n`,
      sendBody: false,
    });
    assert.equal(door.status, 429);
    assert.ok(door.headers['retry-after']);
    assert.equal(door.headers.connection, 'close');

    // Bytes: 1.5 MiB per hour; the other user's quota is untouched by the first one's.
    const big = 'x'.repeat(900 * 1024);
    await upload(second, 'QUALITY_CERTIFICATE', `big 1 ${RUN} ${big}`);
    const form2 = new FormData();
    form2.set('type', 'QUALITY_CERTIFICATE');
    form2.set('file', new Blob([pdf(`big 2 ${RUN} ${big}`)], { type: 'application/pdf' }), 'q.pdf');
    const overBytes = await http(QUOTA_ORG, 'POST', '/api/v1/documents', {
      token: second.token,
      form: form2,
    });
    expectStatus(overBytes, 429, 'a second 900 KiB upload in the hour');
    assert.match(overBytes.body.detail, new RegExp(`${1536 * 1024} bytes per hour`));
    assert.ok(Number(overBytes.headers.get('retry-after')) > 0);
    console.log(
      `[uploads] quota: 4th file → 429 Retry-After ${retryAfter} s; 2nd 900 KiB → 429 Retry-After ${overBytes.headers.get('retry-after')} s`,
    );
  });

  it('/verify is rate-limited per client', async () => {
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) seen.push((await http(QUOTA_ORG, 'GET', '/api/v1/verify/bad%20id')).status);
    assert.deepEqual(seen, [400, 400, 400, 400, 400, 429]);
  });
});
