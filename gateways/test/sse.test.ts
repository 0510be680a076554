/**
 * The SSE hub over a real HTTP connection, with a stand-in feed: each stream gets only what its viewer may see,
 * a user's sixth stream is refused (429), the stream ends at the token's expiry (`reauth`) and on shutdown
 * (`shutdown`), and a closed client frees its slot.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import type pg from 'pg';
import type { Viewer } from '@coffee/consortium';
import { toProblem } from '../src/errors.ts';
import { type EventFeed, type FeedEvent, type FeedListener, feedEventOf } from '../src/events/feed.ts';
import { SseHub } from '../src/events/sse.ts';
import type { Caller } from '../src/services/deps.ts';

class FakeFeed {
  readonly listeners = new Set<FeedListener>();
  position = 10n;
  start(): Promise<void> {
    return Promise.resolve();
  }
  subscribe(l: FeedListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(events: FeedEvent[]): void {
    this.position += 1n;
    for (const l of this.listeners) l(events, this.position);
  }
}

const ev = (exportId: string, exporterId: string, reached: string, txIndex = 0): FeedEvent =>
  feedEventOf({
    block_number: '11',
    tx_index: txIndex,
    tx_id: 'c'.repeat(64),
    event_name: 'ExportSubmitted',
    export_id: exportId,
    payload: { exportId, exporterId, reached, toStatus: reached, action: 'CreateExport' },
    exporter_id: null,
    reached: null,
  });

const feed = new FakeFeed();
// The hub reads the pool only for a Last-Event-ID catch-up, which these tests do not send.
const hub = new SseHub(feed as unknown as EventFeed, {} as pg.Pool, {
  heartbeatMs: 50,
  maxPerUser: 5,
  recheckMs: 30,
});
/** Users a new authentication would refuse now (suspended, signed out, password changed). */
const refused = new Set<string>();
let server: Server;
let base: string;

before(async () => {
  const app = express();
  app.get('/events', (req, res) => {
    const q = (name: string): string => {
      const v = req.query[name];
      return typeof v === 'string' ? v : '';
    };
    const user = q('user');
    const expIn = Number(q('expIn') || 3600);
    const caller: Caller = {
      userId: user,
      username: user,
      role: q('role'),
      requestId: 'r',
      token: { jti: 'j', exp: Math.floor(Date.now() / 1000) + expIn },
    };
    const viewer: Viewer = {
      mspId: q('msp'),
      role: caller.role,
      ...(q('exporter') ? { exporterId: q('exporter') } : {}),
    };
    const recheck = (): Promise<boolean> =>
      refused.has(user) ? Promise.reject(new Error('USER_SUSPENDED')) : Promise.resolve(true);
    hub.serve(caller, viewer, res, undefined, recheck).catch((e: unknown) => {
      const p = toProblem(e);
      res.status(p.status).json(p);
    });
  });
  server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

interface Open {
  status: number;
  text: () => string;
  ended: Promise<void>;
  close: () => void;
}

async function open(q: string): Promise<Open> {
  const ctl = new AbortController();
  const res = await fetch(`${base}/events?${q}`, { signal: ctl.signal });
  let text = '';
  let ended: Promise<void> = Promise.resolve();
  if (res.status === 200) {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const dec = new TextDecoder();
    ended = (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          text += dec.decode(value, { stream: true });
        }
      } catch {
        // aborted by the test
      }
    })();
    while (!text.includes(': connected')) await new Promise((r) => setTimeout(r, 5));
  } else text = await res.text();
  return { status: res.status, text: () => text, ended, close: () => ctl.abort() };
}

const waitUntil = async (cond: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 3000;
  while (!cond()) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('SseHub', () => {
  it('filters per viewer: the exporter its own, ECX nothing before registration, ECTA both', async () => {
    const grader = await open('user=g&role=grader&msp=ECXMSP');
    const exporter = await open('user=x&role=exporter&msp=CommercialBankMSP&exporter=EXP-A');
    const officer = await open('user=o&role=ecta_officer&msp=ECTAMSP');
    feed.emit([ev('E-A', 'EXP-A', 'SUBMITTED', 0), ev('E-B', 'EXP-B', 'SUBMITTED', 1)]);
    await waitUntil(() => officer.text().includes('E-B'), 'the officer gets E-B');
    await waitUntil(() => exporter.text().includes('E-A'), 'the exporter gets E-A');
    await waitUntil(() => grader.text().includes(': hb'), 'a heartbeat reaches the grader');
    assert.ok(officer.text().includes('id: 11-0\nevent: export\n'));
    assert.ok(!exporter.text().includes('E-B'), 'not another exporter’s export');
    assert.ok(!grader.text().includes('event: export'), 'ECX sees nothing at SUBMITTED');
    for (const s of [grader, exporter, officer]) s.close();
    await waitUntil(() => hub.open === 0, 'closed clients free their slots');
  });

  it("refuses a user's sixth stream with 429, and takes one again once a stream closed", async () => {
    const five = await Promise.all([1, 2, 3, 4, 5].map(() => open('user=u&role=auditor&msp=ECTAMSP')));
    const sixth = await open('user=u&role=auditor&msp=ECTAMSP');
    assert.equal(sixth.status, 429);
    assert.match(sixth.text(), /TOO_MANY_STREAMS/);
    const otherUser = await open('user=v&role=auditor&msp=ECTAMSP');
    assert.equal(otherUser.status, 200, 'the limit is per user');
    five[0]!.close();
    await waitUntil(() => hub.open === 5, 'a slot freed');
    const again = await open('user=u&role=auditor&msp=ECTAMSP');
    assert.equal(again.status, 200);
    for (const s of [...five, otherUser, again]) s.close();
    await waitUntil(() => hub.open === 0, 'all closed');
  });

  it('ends the stream when the access token expires (reauth)', async () => {
    const s = await open('user=t&role=auditor&msp=ECTAMSP&expIn=1');
    await s.ended;
    assert.match(s.text(), /event: reauth\n/);
    assert.equal(hub.open, 0);
  });

  it('ends the stream within a recheck when its user would be refused now (suspended, signed out)', async () => {
    const kept = await open('user=k&role=auditor&msp=ECTAMSP');
    const gone = await open('user=s&role=auditor&msp=ECTAMSP');
    refused.add('s');
    await gone.ended;
    assert.match(gone.text(), /event: reauth\n/);
    // Several rechecks later the other user's stream is still open and still receives events.
    await new Promise((r) => setTimeout(r, 150));
    feed.emit([ev('E-K', 'EXP-K', 'SUBMITTED')]);
    await waitUntil(() => kept.text().includes('E-K'), 'the valid stream still receives events');
    assert.ok(!gone.text().includes('E-K'), 'nothing after the end');
    kept.close();
    await waitUntil(() => hub.open === 0, 'all closed');
  });

  it('ends every stream on shutdown and refuses new ones (503)', async () => {
    const a = await open('user=a&role=auditor&msp=ECTAMSP');
    const b = await open('user=b&role=ecta_officer&msp=ECTAMSP');
    hub.closeAll();
    await Promise.all([a.ended, b.ended]);
    for (const s of [a, b]) assert.match(s.text(), /event: shutdown\n/);
    const late = await open('user=c&role=auditor&msp=ECTAMSP');
    assert.equal(late.status, 503);
  });
});
