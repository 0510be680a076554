/**
 * Live export events from the session's gateway (`GET /api/v1/events`, Server-Sent Events), read with fetch
 * streaming so the access token travels in the Authorization header (client.ts openEventStream). One connection
 * per tab, shared by every subscriber and open while one listens (and a few seconds after, so going from page to
 * page keeps it); it reconnects with backoff and
 * `Last-Event-ID`, and at once (with a fresh token) when the gateway ends it at token expiry (`reauth`).
 */
import type { LiveEvent } from '@coffee/consortium';
import { onSessionChange, openEventStream } from './client';

/** What the gateway sends for an export the user may see (@coffee/consortium, as gateways/src/events/feed.ts). */
export type { LiveEvent };

export interface SseMessage {
  event: string;
  id?: string;
  data: string;
}

/**
 * An incremental SSE parser (the WHATWG event-stream format): feed it text chunks as they arrive, it returns the
 * complete messages. Comments (`:`) are skipped; a message without `event:` is `message`.
 */
export class SseParser {
  #buf = '';

  push(chunk: string): SseMessage[] {
    this.#buf += chunk;
    const out: SseMessage[] = [];
    const blocks = this.#buf.split(/\r\n\r\n|\n\n|\r\r/);
    this.#buf = blocks.pop() ?? '';
    for (const block of blocks) {
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split(/\r\n|\n|\r/)) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'id') id = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0 || event !== 'message')
        out.push({ event, ...(id ? { id } : {}), data: data.join('\n') });
    }
    return out;
  }
}

/** A listener hears each event; `reset` when events may have been missed (reload what is shown). */
export interface EventListener {
  onEvent(e: LiveEvent): void;
  onReset?(): void;
}

const listeners = new Set<EventListener>();
let controller: AbortController | undefined;
let lastEventId: string | undefined;
/** The connection outlives its last listener this long: moving from page to page keeps one stream. */
const LINGER_MS = 5000;
let lingering: ReturnType<typeof setTimeout> | undefined;

/** Reconnection waits: 1 s doubling to 30 s (pure). */
export function reconnectDelayMs(failures: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, failures - 1));
}

async function readStream(signal: AbortSignal): Promise<'reauth' | 'ended'> {
  const res = await openEventStream(lastEventId, signal);
  const reader = res.body?.getReader();
  if (!reader) return 'ended';
  const decoder = new TextDecoder();
  const parser = new SseParser();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return 'ended';
    for (const m of parser.push(decoder.decode(value, { stream: true }))) {
      if (m.event === 'export') {
        if (m.id) lastEventId = m.id;
        const e = JSON.parse(m.data) as LiveEvent;
        for (const l of [...listeners]) l.onEvent(e);
      } else if (m.event === 'reset') {
        for (const l of [...listeners]) l.onReset?.();
      } else if (m.event === 'reauth') {
        return 'reauth';
      }
    }
  }
}

async function run(ctl: AbortController): Promise<void> {
  let failures = 0;
  while (!ctl.signal.aborted) {
    try {
      const how = await readStream(ctl.signal);
      failures = how === 'reauth' ? 0 : failures + 1;
    } catch {
      failures += 1;
      // A refused stream (signed out, a role without exports) is not retried in a loop: it waits like any failure.
    }
    if (ctl.signal.aborted) return;
    if (failures > 0) {
      // Events may have been missed while disconnected (resumed by Last-Event-ID when the gateway still has them).
      await new Promise((r) => setTimeout(r, reconnectDelayMs(failures)));
    }
  }
}

function connect(): void {
  const ctl = new AbortController();
  controller = ctl;
  void run(ctl);
}

function disconnect(): void {
  if (lingering) clearTimeout(lingering);
  lingering = undefined;
  controller?.abort();
  controller = undefined;
}

// Another user (or none) from now on: the stream of the previous session ends; a new one starts if anyone listens.
onSessionChange((session, reason) => {
  if (reason === 'refresh') return;
  disconnect();
  lastEventId = undefined;
  if (session && listeners.size > 0) connect();
});

/** Listens to the session's live export events until the returned function is called. */
export function subscribeExportEvents(listener: EventListener): () => void {
  listeners.add(listener);
  if (lingering) clearTimeout(lingering);
  lingering = undefined;
  if (!controller) connect();
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && !lingering)
      lingering = setTimeout(() => {
        lingering = undefined;
        if (listeners.size === 0) disconnect();
      }, LINGER_MS);
  };
}
