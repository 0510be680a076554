/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access -- HTTP response bodies are untyped JSON here */
/**
 * The steady load every fault runs under: exporters create exports (two staged documents and a create, each with an
 * Idempotency-Key a well-behaved client retries with), an ECTA officer registers their contracts, and readers list
 * and open exports. Every write the API acknowledged is remembered, so a case can prove afterwards that none was
 * lost; every successful write's completion time is kept, so a case can measure the write gap.
 *
 * Bounded: a few clients, loopback only, and it stops when told (or at its deadline).
 */
import { randomBytes } from 'node:crypto';
import { http, upload, type Session } from '../../../gateways/test/support/stack.ts';
import type { World } from './world.ts';

/** A write the API acknowledged (2xx): the export must be at least this far along for ever after. */
export interface Ack {
  readonly exportId: string;
  readonly status: string;
  readonly at: number;
}

export interface LoadStats {
  readonly writesOk: number;
  readonly readsOk: number;
  /** Answers by HTTP status (0: no answer: connection refused, reset, timeout). */
  readonly answers: Readonly<Record<string, number>>;
  /** 5xx other than 503/504 (an unexpected failure, never a deliberate refusal). */
  readonly serverErrors: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A status that tells a well-behaved client to try again with the same key. */
const RETRYABLE = new Set([0, 409, 429, 502, 503, 504]);

export class Load {
  readonly acks: Ack[] = [];
  /** Completion times (ms since epoch) of successful writes. */
  readonly writeTimes: number[] = [];
  readonly #answers = new Map<number, number>();
  #readsOk = 0;
  #running = false;
  #opts: { writers?: number; readers?: number; maxMs?: number } = {};
  #loops: Promise<void>[] = [];
  #deadline = 0;
  readonly #world: World;
  readonly #tag = randomBytes(3).toString('hex').toUpperCase();
  #seq = 0;

  constructor(world: World) {
    this.#world = world;
  }

  /** Starts the clients; they stop at stop() or after `maxMs`. */
  start(opts: { writers?: number; readers?: number; maxMs?: number } = this.#opts): void {
    if (this.#running) return;
    this.#opts = opts;
    this.#running = true;
    this.#deadline = Date.now() + (opts.maxMs ?? 10 * 60_000);
    const writers = Math.min(opts.writers ?? 3, this.#world.exporters.length);
    for (let i = 0; i < writers; i++) this.#loops.push(this.#writer(i));
    for (let i = 0; i < (opts.readers ?? 1); i++) this.#loops.push(this.#reader());
  }

  async stop(): Promise<LoadStats> {
    this.#running = false;
    await Promise.all(this.#loops);
    this.#loops = [];
    return this.stats();
  }

  stats(): LoadStats {
    const answers: Record<string, number> = {};
    let serverErrors = 0;
    for (const [status, n] of this.#answers) {
      answers[String(status)] = n;
      if (status >= 500 && status !== 503 && status !== 504) serverErrors += n;
    }
    return { writesOk: this.writeTimes.length, readsOk: this.#readsOk, answers, serverErrors };
  }

  /** Successful writes completed in [from, to]. */
  writesBetween(from: number, to: number): number {
    return this.writeTimes.filter((t) => t >= from && t <= to).length;
  }

  /**
   * The longest time in [from, to] with no successful write: between `from` and the first completion, between
   * completions, and from the last one to `to`.
   */
  writeGap(from: number, to: number): number {
    const inside = this.writeTimes.filter((t) => t > from && t <= to).sort((a, b) => a - b);
    let last = from;
    let gap = 0;
    for (const t of inside) {
      gap = Math.max(gap, t - last);
      last = t;
    }
    return Math.max(gap, to - last);
  }

  /** Waits until `n` more writes than now have succeeded (the load is flowing), or throws after `timeoutMs`. */
  async flowing(n = 2, timeoutMs = 120_000): Promise<number> {
    const target = this.writeTimes.length + n;
    const deadline = Date.now() + timeoutMs;
    while (this.writeTimes.length < target) {
      if (Date.now() > deadline) {
        throw new Error(
          `the load did not write ${n} times in ${timeoutMs / 1000} s: ${JSON.stringify(this.stats())}`,
        );
      }
      await sleep(100);
    }
    return Date.now();
  }

  #count(status: number): void {
    this.#answers.set(status, (this.#answers.get(status) ?? 0) + 1);
  }

  #live(): boolean {
    return this.#running && Date.now() < this.#deadline;
  }

  /**
   * One request as a well-behaved client sends it: the same key on every retry, waiting as Retry-After says, until
   * an answer that is not "try again" (or the load stops). Undefined when it never got one.
   */
  async #send(
    s: Session,
    method: string,
    path: string,
    body: unknown,
    key: string,
    notYetSeenRetries = 0,
  ): Promise<{ status: number; body: any } | undefined> {
    let notYetSeen = 0;
    while (this.#live()) {
      const r = await http(s.org, method, path, {
        token: s.token,
        body,
        headers: { 'Idempotency-Key': key },
      }).catch(() => ({ status: 0, body: undefined, headers: new Headers() }));
      this.#count(r.status);
      if (r.status === 401) {
        await this.#world.relogin(s);
        continue;
      }
      // The acting org's peer may not have committed the previous step yet: the export is not there for it.
      if (r.status === 404 && notYetSeen++ < notYetSeenRetries) {
        await sleep(250);
        continue;
      }
      if (r.status === 409 && r.body?.code !== 'REQUEST_IN_PROGRESS') return r;
      if (!RETRYABLE.has(r.status)) return r;
      const retryAfter = Number(r.headers.get('retry-after') ?? '0');
      await sleep(Math.min(5000, Math.max(250, retryAfter * 1000)));
    }
    return undefined;
  }

  async #writer(i: number): Promise<void> {
    const ex = this.#world.exporters[i]!;
    const ecta = this.#world.ecta;
    while (this.#live()) {
      const n = ++this.#seq;
      const tag = `${this.#tag}-${i}-${n}`;
      let sc: string;
      let pi: string;
      try {
        sc = ((await upload(ex.session, 'SALES_CONTRACT', `contract ${tag}`)) as { cid: string }).cid;
        pi = ((await upload(ex.session, 'PROFORMA_INVOICE', `proforma ${tag}`)) as { cid: string }).cid;
      } catch {
        // Uploads fail while IPFS or the gateway is down: the client waits and tries again.
        this.#count(0);
        await sleep(500);
        continue;
      }
      const created = await this.#send(
        ex.session,
        'POST',
        '/api/v1/exports',
        this.#world.exportBody(tag, sc, pi),
        `c-${tag}`,
      );
      if (!created) return;
      if (created.status !== 201 && created.status !== 200) continue;
      const exportId = created.body.id as string;
      this.#ack(exportId, 'SUBMITTED');
      const registered = await this.#send(
        ecta,
        'POST',
        `/api/v1/exports/${exportId}/actions/register-contract`,
        { registrationNumber: `REG-${tag}` },
        `r-${tag}`,
        40,
      );
      if (registered?.status === 200) this.#ack(exportId, 'CONTRACT_REGISTERED');
    }
  }

  #ack(exportId: string, status: string): void {
    const at = Date.now();
    this.acks.push({ exportId, status, at });
    this.writeTimes.push(at);
  }

  async #reader(): Promise<void> {
    const s = this.#world.ecta;
    while (this.#live()) {
      const r = await http(s.org, 'GET', '/api/v1/exports?limit=20', { token: s.token }).catch(() => ({
        status: 0,
        body: undefined,
      }));
      this.#count(r.status);
      if (r.status === 200) this.#readsOk += 1;
      if (r.status === 401) await this.#world.relogin(s);
      const last = this.acks.at(-1);
      if (last) {
        const one = await http(s.org, 'GET', `/api/v1/exports/${last.exportId}`, { token: s.token }).catch(
          () => ({
            status: 0,
          }),
        );
        this.#count(one.status);
        if (one.status === 200) this.#readsOk += 1;
      }
      await sleep(200);
    }
  }
}
