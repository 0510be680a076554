/**
 * The pure parts of live events, webhooks and the audit trail: who receives which event (the reads' policy),
 * the SSE wire format, the webhook signature and backoff schedule, the URLs webhooks may call, and CSV escaping.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type FeedEvent, feedEventOf, parseEventId } from '../src/events/feed.ts';
import { filterFor, sseMessage } from '../src/events/sse.ts';
import { RotatingFile } from '../src/log-file.ts';
import { auditLink, csvField, decodeCursor, encodeCursor } from '../src/services/audit-trail.ts';
import {
  DEFAULT_BACKOFF,
  backoffMs,
  signatureHeader,
  verifySignature,
  webhookUrlProblem,
} from '../src/services/webhooks.ts';

const event = (exportId: string, exporterId: string, reached: string, status = reached): FeedEvent =>
  feedEventOf({
    block_number: '42',
    tx_index: 3,
    tx_id: 'a'.repeat(64),
    event_name: 'ExportTransitioned',
    export_id: exportId,
    payload: {
      exportId,
      exporterId,
      reached,
      toStatus: status,
      fromStatus: 'SUBMITTED',
      action: 'RegisterContract',
      at: '2026-01-01T00:00:00Z',
      // Never sent on: private or internal fields of the chaincode event.
      actor: 'CommercialBankMSP::alice',
      contract: { buyerName: 'secret' },
    },
    exporter_id: null,
    reached: null,
  });

describe('SSE filtering: the reads’ need-to-know policy', () => {
  const submitted = event('E1', 'EXP-A', 'SUBMITTED');
  const registered = event('E2', 'EXP-B', 'CONTRACT_REGISTERED');
  const cases: [who: string, viewer: { mspId: string; role: string; exporterId?: string }, ids: string[]][] =
    [
      // Deny cases first.
      ['ECX grader before the contract is registered', { mspId: 'ECXMSP', role: 'grader' }, ['E2']],
      ['an org admin (reads no exports)', { mspId: 'ECTAMSP', role: 'admin' }, []],
      ['another exporter', { mspId: 'CommercialBankMSP', role: 'exporter', exporterId: 'EXP-C' }, []],
      ['an exporter without an exporter id', { mspId: 'CommercialBankMSP', role: 'exporter' }, []],
      ['customs before a booking', { mspId: 'CustomsMSP', role: 'customs_officer' }, []],
      ['a role of another org', { mspId: 'ECXMSP', role: 'ecta_officer' }, []],
      ['an unknown MSP', { mspId: 'EvilMSP', role: 'auditor' }, []],
      // Allowed.
      ['the exporter itself', { mspId: 'CommercialBankMSP', role: 'exporter', exporterId: 'EXP-A' }, ['E1']],
      ['ECTA officer', { mspId: 'ECTAMSP', role: 'ecta_officer' }, ['E1', 'E2']],
      ['ECTA auditor', { mspId: 'ECTAMSP', role: 'auditor' }, ['E1', 'E2']],
      ['bank officer', { mspId: 'CommercialBankMSP', role: 'bank_officer' }, ['E1', 'E2']],
    ];
  for (const [who, viewer, ids] of cases)
    it(who, () => {
      assert.deepEqual(
        filterFor(viewer, [submitted, registered]).map((e) => e.exportId),
        ids,
      );
    });

  it('sends only the event fields anyone who sees the export reads', () => {
    const [e] = filterFor({ mspId: 'ECTAMSP', role: 'ecta_officer' }, [submitted]);
    assert.deepEqual(e, {
      id: '42-3',
      exportId: 'E1',
      status: 'SUBMITTED',
      previousStatus: 'SUBMITTED',
      action: 'RegisterContract',
      txId: 'a'.repeat(64),
      blockNumber: '42',
      at: '2026-01-01T00:00:00Z',
    });
  });

  it("takes the read model's facts when the event has none (tracking events carry no `reached`)", () => {
    const e = feedEventOf({
      block_number: '7',
      tx_index: 0,
      tx_id: 'b'.repeat(64),
      event_name: 'TrackingEventAdded',
      export_id: 'E3',
      payload: { exportId: 'E3', action: 'AddTrackingEvent' },
      exporter_id: 'EXP-A',
      reached: 'SHIPPED',
    });
    assert.deepEqual(e.facts, { exporterId: 'EXP-A', reached: 'SHIPPED' });
    assert.equal(filterFor({ mspId: 'CustomsMSP', role: 'customs_officer' }, [e]).length, 1);
  });

  it('event ids: `<block>-<txIndex>`, anything else is no resume point', () => {
    assert.deepEqual(parseEventId('42-3'), { block: 42n, txIndex: 3 });
    for (const bad of [undefined, '', '42', '42-', 'x-1', '1-2-3', '-1-2', '42-3 ; drop'])
      assert.equal(parseEventId(bad), undefined, String(bad));
  });

  it('the SSE wire format', () => {
    assert.equal(sseMessage('export', { a: 1 }, '5-0'), 'id: 5-0\nevent: export\ndata: {"a":1}\n\n');
    assert.equal(sseMessage('reauth', { reason: 'x\ny' }), 'event: reauth\ndata: {"reason":"x\\ny"}\n\n');
  });
});

describe('webhook signatures (HMAC-SHA256 over "<t>.<body>")', () => {
  const secret = 'whsec-unit-test-secret-0123456789';
  const body = '{"id":"1-0","exportId":"E1"}';

  it('is the HMAC a receiver computes with node:crypto', () => {
    const h = signatureHeader(secret, 1_700_000_000, body);
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    assert.equal(h, `t=1700000000,v1=${expected}`);
  });

  it('verifies; refuses another body, another secret, an old or garbled header', () => {
    const h = signatureHeader(secret, 1000, body);
    assert.equal(verifySignature(secret, h, body, 1000), true);
    assert.equal(verifySignature(secret, h, body.replace('E1', 'E2'), 1000), false);
    assert.equal(verifySignature(`${secret}x`, h, body, 1000), false);
    assert.equal(verifySignature(secret, h, body, 1000 + 301), false, 'replayed after 5 min');
    assert.equal(verifySignature(secret, 't=1000,v1=zz', body, 1000), false);
    assert.equal(verifySignature(secret, '', body, 1000), false);
  });
});

describe('webhook retries: exponential backoff', () => {
  it('doubles from 1 s and caps at an hour; jitter only shortens, by at most 20 %', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 10, 12, 13, 40].map((n) => backoffMs(n)),
      [1000, 2000, 4000, 8000, 16_000, 512_000, 2_048_000, 3_600_000, 3_600_000],
    );
    for (let n = 1; n <= DEFAULT_BACKOFF.maxAttempts; n++) {
      const full = backoffMs(n, DEFAULT_BACKOFF, 0);
      const least = backoffMs(n, DEFAULT_BACKOFF, 0.999_999);
      assert.ok(least <= full && least >= Math.floor(full * 0.8), `attempt ${n}`);
    }
  });
});

describe('webhook URLs', () => {
  const refused = [
    'http://example.com/hook',
    'http://10.0.0.1/hook',
    'http://127.0.0.1.evil.example/hook',
    'ftp://127.0.0.1/hook',
    'file:///etc/passwd',
    'https://user:pw@example.com/hook',
    'https://example.com/hook#frag',
    'not a url',
  ];
  for (const url of refused) it(`refuses ${url}`, () => assert.ok(webhookUrlProblem(url)));
  for (const url of [
    'https://hooks.example.com/coffee',
    'http://127.0.0.1:8080/x',
    'http://127.8.9.10/x',
    'http://localhost:9/x',
    'http://[::1]:9/x',
  ])
    it(`accepts ${url}`, () => assert.equal(webhookUrlProblem(url), undefined));
});

describe('the audit trail', () => {
  it('CSV fields: RFC 4180 quoting, formulas defused', () => {
    const cases: [string | null, string][] = [
      [null, ''],
      ['plain', 'plain'],
      ['a,b', '"a,b"'],
      ['say "hi"', '"say ""hi"""'],
      ['two\nlines', '"two\nlines"'],
      ['cr\rhere', '"cr\rhere"'],
      ['=1+2', "'=1+2"],
      ['+cmd', "'+cmd"],
      ['-1', "'-1"],
      ['@SUM(A1)', "'@SUM(A1)"],
      ['=a,"b"', `"'=a,""b"""`],
    ];
    for (const [value, expected] of cases) assert.equal(csvField(value), expected, String(value));
  });

  it('links an entry to its transaction: the export page for export actions', () => {
    assert.equal(auditLink('exports.register-contract', 'E1', 'ab'), '/exports/E1?tx=ab');
    assert.equal(auditLink('users.create', 'ECTAMSP::bob', 'cd'), '/audit?txId=cd');
    assert.equal(auditLink('auth.login', 'bob', null), null);
  });

  it('cursors round-trip; a forged one is refused with 400', () => {
    assert.equal(decodeCursor(encodeCursor('123')), '123');
    for (const bad of ['', 'bm9wZQ', Buffer.from('a:1;DROP').toString('base64url')])
      assert.throws(
        () => decodeCursor(bad),
        (e: { status?: number }) => e.status === 400,
      );
  });
});

describe('log rotation by size', () => {
  it('keeps whole lines, rotates past the limit, keeps maxFiles old files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-log-'));
    const path = join(dir, 'gateway.ecta.log');
    const f = new RotatingFile(path, { maxBytes: 100, maxFiles: 2 });
    const line = (i: number): string => `{"n":${String(i).padStart(3, '0')},"msg":"0123456789012345678"}\n`; // 40 bytes
    for (let i = 0; i < 12; i++) f.write(line(i));
    f.close();
    assert.deepEqual(readdirSync(dir).sort(), [
      'gateway.ecta.log',
      'gateway.ecta.log.1',
      'gateway.ecta.log.2',
    ]);
    // 2 lines (80 bytes) per file: the newest in the live file, older ones shifted; the oldest dropped.
    assert.equal(readFileSync(path, 'utf8'), line(10) + line(11));
    assert.equal(readFileSync(`${path}.1`, 'utf8'), line(8) + line(9));
    assert.equal(readFileSync(`${path}.2`, 'utf8'), line(6) + line(7));
    // A restart appends to the live file and counts what is there.
    const g = new RotatingFile(path, { maxBytes: 100, maxFiles: 2 });
    g.write(line(12));
    g.close();
    assert.equal(readFileSync(path, 'utf8'), line(12));
    assert.equal(readFileSync(`${path}.1`, 'utf8'), line(10) + line(11));
  });
});
