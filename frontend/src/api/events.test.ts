/**
 * The live event stream's client: the SSE parser over arbitrary chunks, the reconnection schedule, and the shared
 * connection (the token in the Authorization header, never in the URL; Last-Event-ID on a reconnect).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signIn } from '../test/helpers';

// setup.ts replaces the subscription for page tests; this file tests the real one.
const events = await vi.importActual<typeof import('./events')>('./events');
const { SseParser, reconnectDelayMs, subscribeExportEvents } = events;

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('SseParser', () => {
  it('parses messages split anywhere, skips comments, joins data lines', () => {
    const text =
      'retry: 3000\n: connected\n\nid: 5-0\nevent: export\ndata: {"a":\ndata: 1}\n\n: hb\n\r\nevent: reauth\r\ndata: {}\r\n\r\n';
    for (const size of [1, 2, 3, 7, text.length]) {
      const p = new SseParser();
      const out = [];
      for (let i = 0; i < text.length; i += size) out.push(...p.push(text.slice(i, i + size)));
      expect(out, `chunks of ${size}`).toEqual([
        { event: 'export', id: '5-0', data: '{"a":\n1}' },
        { event: 'reauth', data: '{}' },
      ]);
    }
  });

  it('keeps an unfinished message for the next chunk', () => {
    const p = new SseParser();
    expect(p.push('event: export\ndata: {"x":1}\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'export', data: '{"x":1}' }]);
  });
});

describe('reconnection', () => {
  it('waits 1 s doubling to 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(reconnectDelayMs)).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
  });
});

function sseResponse(chunks: string[]): Response {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

describe('subscribeExportEvents', () => {
  it('sends the token in a header, hands events to listeners, resumes with Last-Event-ID', async () => {
    signIn('ecta_officer', 'ecta');
    const calls: { url: string; headers: Record<string, string> }[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string, init: RequestInit = {}) => {
        calls.push({ url, headers: (init.headers ?? {}) as Record<string, string> });
        const n = calls.length;
        return Promise.resolve(
          n === 1
            ? sseResponse([
                ': connected\n\n',
                'id: 7-0\nevent: export\ndata: {"id":"7-0","exportId":"E1","status":"SUBMITTED"}\n\n',
                'event: reauth\ndata: {"reason":"reauth"}\n\n',
              ])
            : new Promise<Response>(() => undefined),
        );
      }),
    );
    const seen: string[] = [];
    const stop = subscribeExportEvents({ onEvent: (e) => seen.push(`${e.exportId}:${e.status ?? ''}`) });
    await vi.waitFor(() => expect(calls.length).toBe(2));
    stop();
    expect(seen).toEqual(['E1:SUBMITTED']);
    for (const c of calls) {
      expect(c.url).toMatch(/\/api\/v1\/events$/);
      expect(c.url).not.toContain('access-1');
      expect(c.headers.Authorization).toBe('Bearer access-1');
    }
    expect(calls[0]!.headers['Last-Event-ID']).toBeUndefined();
    // After `reauth` it reconnects at once, from the last event it saw.
    expect(calls[1]!.headers['Last-Event-ID']).toBe('7-0');
  });
});
