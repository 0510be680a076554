/* eslint-disable @typescript-eslint/no-unsafe-member-access -- HTTP response bodies are untyped JSON here */
/**
 * Fault cases of the services around the ledger (issue 12: 6, 8, 10, 15 and 17): one org's chaincode server, the
 * projector killed mid-block, one org's kubo node, overload past the admission limit, and the whole stack restarted.
 * Each runs under the steady load of load.ts (harness.ts's underLoad), checks every expectation of its row, and
 * heals in `finally`, so a failing case never leaves a node down for the next.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { CHAINCODES, findOrg, peerName } from '../../src/orgs.ts';
import { queryCommitted } from '../../src/lifecycle.ts';
import { serverName, startChaincodeServer } from '../../src/nodes/chaincode-server.ts';
import { databaseUrl } from '../../src/nodes/postgres.ts';
import { ipfsApiUrl } from '../../src/nodes/ipfs.ts';
import { allRecords, isAlive, logFile, readRecord } from '../../src/proc.ts';
import {
  bringUp,
  gatewayConfig,
  gatewayRunning,
  http,
  launcher,
  org,
  pdf,
  statuses,
  upload,
  type Session,
} from '../../../gateways/test/support/stack.ts';
import { check, sleep, underLoad, type CaseContext, type Check, type FaultCase } from './harness.ts';
import {
  bins,
  chainInfo,
  ensureIpfs,
  kill,
  killGatewayOf,
  lostWrites,
  pidOf,
  projected,
  restartGateway,
  stopIpfs,
} from './nodes.ts';

const s1 = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The p-th percentile (0..100) of the values (0 for none). */
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const summary = (by: ReadonlyMap<number, number>): string =>
  [...by]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${n}×${status}`)
    .join(' ');

/** HTTP statuses this process saw from index `from` on, by status. */
function answersSince(from: number): Map<number, number> {
  const by = new Map<number, number>();
  for (const st of statuses.slice(from)) by.set(st, (by.get(st) ?? 0) + 1);
  return by;
}

/** A query against one org's gateway database (the read model, the projector checkpoint). */
async function sql<R extends pg.QueryResultRow>(
  orgId: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl(orgId) });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A fresh export (two staged documents and a create, as the load does it), its id once `viewer`'s peer sees it. */
async function freshExport(ctx: CaseContext, tag: string, viewer: Session = ctx.world.ecta): Promise<string> {
  const ex = ctx.world.exporters[0]!;
  const sc = (await upload(ex.session, 'SALES_CONTRACT', `contract ${tag}`)) as { cid: string };
  const pi = (await upload(ex.session, 'PROFORMA_INVOICE', `proforma ${tag}`)) as { cid: string };
  const created = await http(ex.session.org, 'POST', '/api/v1/exports', {
    token: ex.session.token,
    body: ctx.world.exportBody(tag, sc.cid, pi.cid),
    headers: { 'Idempotency-Key': `c-${tag}` },
  });
  if (created.status !== 201) throw new Error(`export ${tag}: HTTP ${created.status}`);
  const id = created.body.id as string;
  for (let i = 0; i < 80; i++) {
    const r = await http(viewer.org, 'GET', `/api/v1/exports/${id}?source=ledger`, { token: viewer.token });
    if (r.status === 200) return id;
    await sleep(250);
  }
  throw new Error(`${viewer.org.id}'s peer never saw ${id}`);
}

// ------------------------------------------------------------------------------------------------ 6

/** The org whose coffee-export chaincode server case 6 kills: the load's registrations need its endorsement. */
const CC_ORG = 'national-bank';

const chaincodeIdOf = (name: string): string | undefined =>
  readRecord(name)
    ?.command.find((a) => a.startsWith('--chaincode-id='))
    ?.slice('--chaincode-id='.length);

const case6: FaultCase = {
  id: 6,
  title: "SIGKILL one org's chaincode server",
  expected: 'endorsements from that org fail with a clear error; recovery after restart without a redeploy',
  run: (ctx) => {
    const cc = CHAINCODES.find((c) => c.name === 'coffee-export')!;
    const o = findOrg(CC_ORG);
    const name = serverName(o, cc);
    const packageId = chaincodeIdOf(name);
    const restart = async (): Promise<void> => {
      if (pidOf(name) === undefined && packageId) await startChaincodeServer(o, cc, packageId);
    };
    return underLoad(ctx, async () => {
      if (!packageId) throw new Error(`${name}: no recorded chaincode id`);
      const before = await queryCommitted(await bins(), cc.name);
      const tag = `CC-${Date.now().toString(36).toUpperCase()}`;
      const probeId = await freshExport(ctx, tag);
      const ecta = ctx.world.ecta;
      const register = (): Promise<{
        status: number;
        body: { code?: string; detail?: string } | undefined;
        headers: Headers;
        ms: number;
      }> => {
        const t = Date.now();
        return http(ecta.org, 'POST', `/api/v1/exports/${probeId}/actions/register-contract`, {
          token: ecta.token,
          body: { registrationNumber: `REG-${tag}` },
          headers: { 'Idempotency-Key': `r-${tag}` },
        }).then(
          (r) => ({ ...r, ms: Date.now() - t }),
          () => ({ status: 0, body: undefined, headers: new Headers(), ms: Date.now() - t }),
        );
      };
      const statsBefore = ctx.load.stats();
      const from = statuses.length;
      let refused: Awaited<ReturnType<typeof register>> = {
        status: -1,
        body: undefined,
        headers: new Headers(),
        ms: 0,
      };
      let down = 0;
      let recovered = { status: -1, ms: 0, after: 0 };
      try {
        await kill(name);
        const killedAt = Date.now();
        refused = await register();
        // The load keeps trying its registrations (503 + Retry-After: it waits and retries with the same key).
        await sleep(Math.max(0, 10_000 - (Date.now() - killedAt)));
        down = Date.now() - killedAt;
        await restart();
        // The peer reconnects to the server at its next invocation: the refused request, retried with its key.
        const t = Date.now();
        let r = await register();
        while (r.status !== 200 && Date.now() - t < 60_000) {
          await sleep(500);
          r = await register();
        }
        recovered = { status: r.status, ms: r.ms, after: Date.now() - t };
      } finally {
        await restart();
      }
      const during = ctx.load.stats();
      const seen = answersSince(from);
      const unexpected = during.serverErrors - statsBefore.serverErrors;
      const detail = String(refused.body?.detail ?? '');
      return {
        fault: `${name} SIGKILLed for ${s1(down)} (register-contract needs ECTA + ${o.mspId}), restarted with the same package id`,
        checks: [
          check(
            `a registration is refused with 503 CHAINCODE_UNAVAILABLE naming ${o.mspId}, with Retry-After`,
            refused.status === 503 &&
              refused.body?.code === 'CHAINCODE_UNAVAILABLE' &&
              detail.includes(o.mspId) &&
              refused.headers.get('retry-after') !== null,
            `HTTP ${refused.status} ${String(refused.body?.code ?? '')} in ${refused.ms} ms, Retry-After ${refused.headers.get('retry-after') ?? 'none'}: ${detail}`,
          ),
          check('refused at once, not hanging (≤ 5 s)', refused.ms <= 5_000, `${refused.ms} ms`),
          check(
            'no 500 and no other unexpected 5xx while it was down',
            unexpected === 0 && !seen.has(500),
            `answers in the case: ${summary(seen)}`,
          ),
          check(
            'after the restart the refused request, retried with its Idempotency-Key, commits',
            recovered.status === 200,
            `HTTP ${recovered.status} ${s1(recovered.after)} after the restart`,
          ),
        ],
        afterwards: async () => {
          const after = await queryCommitted(await bins(), cc.name);
          return [
            check(
              'no redeploy: the same definition (version, sequence) and the same package id',
              before !== undefined &&
                after?.version === before.version &&
                after.sequence === before.sequence &&
                chaincodeIdOf(name) === packageId,
              `${cc.name} ${before?.version} sequence ${before?.sequence} → ${after?.version} sequence ${after?.sequence}; package ${packageId.split(':')[1]?.slice(0, 12)}…`,
            ),
          ];
        },
      };
    });
  },
};

// ------------------------------------------------------------------------------------------------ 8

/** The gateway whose projector case 8 kills: no client of the load uses it, so its database serves only the projector. */
const PROJECTOR_ORG = 'national-bank';

/** The projector's block transaction, seen open in pg_stat_activity (the checkpoint locked, rows being written). */
const PROJECTOR_TX = String.raw`(projector_checkpoint.*FOR UPDATE|INSERT INTO rm_events|INSERT INTO rm_exports|INSERT INTO projector_checkpoint)`;

interface MidBlockKill {
  readonly backend?: number;
  readonly query?: string;
  /** Postgres logged that this backend's client vanished with its transaction open. */
  readonly rolledBack: boolean;
}

/**
 * Waits (≤ 20 s) until the org's projector has a block transaction open, then SIGKILLs its gateway at once; whether
 * the transaction was still open is what Postgres logs for that backend ("unexpected EOF on client connection with
 * an open transaction").
 */
async function killMidBlock(orgId: string): Promise<MidBlockKill> {
  const client = new pg.Client({ connectionString: databaseUrl(orgId) });
  await client.connect();
  let seen: { pid: number; query: string; state: string } | undefined;
  try {
    const deadline = Date.now() + 20_000;
    while (!seen && Date.now() < deadline) {
      const r = await client.query<{ pid: number; query: string; state: string }>(
        `SELECT pid, query, state FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
           AND state IN ('active', 'idle in transaction') AND query ~ $1`,
        [PROJECTOR_TX],
      );
      seen = r.rows[0];
      if (seen) killGatewayOf(orgId);
    }
  } finally {
    await client.end();
  }
  if (!seen) killGatewayOf(orgId);
  for (let i = 0; i < 200 && gatewayRunning(org(orgId)); i++) await sleep(25);
  if (!seen) return { rolledBack: false };
  await sleep(500);
  const log = readFileSync(logFile('postgres'), 'utf8');
  const rolledBack = log.includes(
    `[${seen.pid}] LOG:  unexpected EOF on client connection with an open transaction`,
  );
  const step = /FOR UPDATE/.test(seen.query)
    ? 'checkpoint locked'
    : (/INSERT INTO (\w+)/.exec(seen.query)?.[1] ?? 'writing');
  return { backend: seen.pid, query: `${seen.state}, ${step}`, rolledBack };
}

/**
 * The org's read model against the ledger for these exports: each has one row with the ledger's status and last
 * transaction, and one event per committed version of the record (its history); no transaction projected twice.
 */
export async function readModelMatchesLedger(
  orgId: string,
  exportIds: readonly string[],
  reader: Session,
): Promise<Check[]> {
  const rows = await sql<{ export_id: string; status: string; last_tx_id: string; event_count: number }>(
    orgId,
    'SELECT export_id, status, last_tx_id, event_count FROM rm_exports WHERE export_id = ANY($1)',
    [exportIds],
  );
  const events = await sql<{ export_id: string; n: string }>(
    orgId,
    'SELECT export_id, count(*) AS n FROM rm_events WHERE export_id = ANY($1) GROUP BY export_id',
    [exportIds],
  );
  const [dup] = await sql<{ dup: string }>(
    orgId,
    'SELECT count(*) - count(DISTINCT tx_id) AS dup FROM rm_events',
  );
  const row = new Map(rows.map((r) => [r.export_id, r]));
  const eventCount = new Map(events.map((e) => [e.export_id, Number(e.n)]));
  const missing: string[] = [];
  const wrong: string[] = [];
  const gaps: string[] = [];
  const twice: string[] = [];
  const queue = [...exportIds];
  const worker = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const r = row.get(id);
      if (!r) {
        missing.push(id);
        continue;
      }
      const ledger = await http(reader.org, 'GET', `/api/v1/exports/${id}?source=ledger`, {
        token: reader.token,
      });
      const history = await http(reader.org, 'GET', `/api/v1/exports/${id}/history`, { token: reader.token });
      if (ledger.status !== 200 || history.status !== 200) {
        wrong.push(`${id}: ledger HTTP ${ledger.status}/${history.status}`);
        continue;
      }
      if (r.status !== ledger.body.status || r.last_tx_id !== ledger.body.lastAction?.txId)
        wrong.push(`${id}: read model ${r.status}, ledger ${String(ledger.body.status)}`);
      const versions = (history.body.entries as unknown[]).length;
      const projectedEvents = eventCount.get(id) ?? 0;
      if (projectedEvents < versions) gaps.push(`${id}: ${projectedEvents} events of ${versions} versions`);
      if (projectedEvents > versions || r.event_count !== projectedEvents)
        twice.push(`${id}: ${projectedEvents} events, count ${r.event_count}, ${versions} versions`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const info = await chainInfo(findOrg(orgId));
  const next = await projected(findOrg(orgId));
  const first = (xs: string[]): string => (xs.length ? `: ${xs.slice(0, 3).join('; ')}` : '');
  return [
    check(
      `every acknowledged export has its row in ${orgId}'s read model, at the ledger's status and last transaction`,
      missing.length === 0 && wrong.length === 0,
      `${exportIds.length} exports; ${missing.length} missing, ${wrong.length} differ${first([...missing, ...wrong])}`,
    ),
    check(
      '0 gaps: one projected event per committed version',
      gaps.length === 0,
      `${gaps.length} gaps${first(gaps)}`,
    ),
    check(
      '0 duplicates: no transaction projected twice, event counts exact',
      Number(dup?.dup ?? 0) === 0 && twice.length === 0,
      `${dup?.dup ?? '?'} duplicate tx ids; ${twice.length} exports off${first(twice)}`,
    ),
    check(
      "the projector's checkpoint reached the peer's height",
      next >= info.height,
      `next block ${next}, height ${info.height}`,
    ),
  ];
}

const case8: FaultCase = {
  id: 8,
  title: "SIGKILL the projector's process mid-block",
  expected: 'read model equal to the ledger after restart; 0 gaps, 0 duplicates',
  run: (ctx) =>
    underLoad(ctx, async () => {
      const gw = `gateway.${PROJECTOR_ORG}`;
      const kills: MidBlockKill[] = [];
      try {
        // Under the load its projector applies a block every moment; after each restart it catches up on the
        // blocks it missed, back to back. Up to five kills, until two landed inside a block's transaction.
        for (let round = 0; round < 5 && kills.filter((k) => k.rolledBack).length < 2; round++) {
          kills.push(await killMidBlock(PROJECTOR_ORG));
          // The first time it stays down a while: blocks pile up for the catch-up the next kill interrupts.
          await sleep(round === 0 ? 8_000 : 1_000);
          await restartGateway(PROJECTOR_ORG);
        }
      } finally {
        await restartGateway(PROJECTOR_ORG);
      }
      const mid = kills.filter((k) => k.rolledBack);
      return {
        fault: `${gw} SIGKILLed ${kills.length}× while projecting (${mid.length} inside a block's transaction: ${mid.map((k) => k.query ?? '').join('; ')}), restarted each time`,
        checks: [
          check(
            "killed mid-block: Postgres rolled back the projector's open block transaction",
            mid.length > 0,
            `${mid.length} of ${kills.length} kills`,
          ),
        ],
        afterwards: async () => {
          const ids = [...new Set(ctx.load.acks.map((a) => a.exportId))];
          return readModelMatchesLedger(PROJECTOR_ORG, ids, ctx.world.ecta);
        },
      };
    }),
};

// ------------------------------------------------------------------------------------------------ 10

/** The org whose kubo node case 10 stops: every export's documents are uploaded there. */
const IPFS_ORG = 'commercial-bank';
/** An org of SALES_CONTRACT's and PROFORMA_INVOICE's audience that sees SUBMITTED exports. */
const READER_ORG = 'ecta';

/** Is the CID pinned on the org's kubo node (a replica its gateway made)? */
async function pinnedAt(orgId: string, cid: string): Promise<boolean> {
  const r = await fetch(`${ipfsApiUrl(findOrg(orgId))}/api/v0/pin/ls?arg=${cid}&type=recursive`, {
    method: 'POST',
    signal: AbortSignal.timeout(5_000),
  }).catch(() => undefined);
  return r?.ok ?? false;
}

const case10: FaultCase = {
  id: 10,
  title: "one org's kubo down",
  expected: 'uploads 503; documents already stored are served by the other entitled orgs; nothing is lost',
  run: (ctx) => {
    const cb = findOrg(IPFS_ORG);
    return underLoad(ctx, async () => {
      const ecta = ctx.world.ecta;
      // An export the load made just now: its documents, and how long ECTA's gateway took to replicate them.
      const id = ctx.load.acks.at(-1)!.exportId;
      const record = await http(ecta.org, 'GET', `/api/v1/exports/${id}?source=ledger`, {
        token: ecta.token,
      });
      // Its exporter (who reads every document of its own exports at the commercial bank).
      const ex =
        ctx.world.exporters.find((e) => e.exporterId === record.body?.exporterId) ?? ctx.world.exporters[0]!;
      const docs = (
        (record.body?.documents ?? []) as { type: string; cid?: string; sha256: string }[]
      ).filter((d) => d.cid);
      if (docs.length < 2) throw new Error(`${id}: ECTA sees ${docs.length} documents with a CID`);
      const t = Date.now();
      while (!(await Promise.all(docs.map((d) => pinnedAt(READER_ORG, d.cid!)))).every(Boolean)) {
        if (Date.now() - t > 30_000) break;
        await sleep(250);
      }
      const replicated = Date.now() - t;
      const from = statuses.length;
      const served: { type: string; status: number; ok: boolean; ms: number }[] = [];
      let refused: { status: number; code?: string; ms: number } = { status: -1, ms: 0 };
      let down = 0;
      try {
        await stopIpfs(cb);
        const stoppedAt = Date.now();
        const form = new FormData();
        form.set('type', 'SALES_CONTRACT');
        form.set('file', new Blob([pdf(`while kubo is down ${id}`)], { type: 'application/pdf' }), 'sc.pdf');
        const tu = Date.now();
        const u = await http(ex.session.org, 'POST', '/api/v1/documents', {
          token: ex.session.token,
          form,
        }).catch(() => ({ status: 0, body: undefined }));
        refused = { status: u.status, code: u.body?.code as string | undefined, ms: Date.now() - tu };
        for (const d of docs) {
          const td = Date.now();
          const r = await http(ecta.org, 'GET', `/api/v1/documents/${d.cid}?exportId=${id}`, {
            token: ecta.token,
          });
          served.push({
            type: d.type,
            status: r.status,
            ok: r.status === 200 && r.headers.get('x-content-sha256') === d.sha256,
            ms: Date.now() - td,
          });
        }
        await sleep(Math.max(0, 15_000 - (Date.now() - stoppedAt)));
        down = Date.now() - stoppedAt;
      } finally {
        await ensureIpfs(cb);
      }
      const seen = answersSince(from);
      return {
        fault: `ipfs.${IPFS_ORG} stopped for ${s1(down)} (replicas of export ${id}'s documents at ${READER_ORG} after ${s1(replicated)})`,
        checks: [
          check(
            `an upload to ${IPFS_ORG}'s gateway answers 503 (not 500)`,
            refused.status === 503,
            `HTTP ${refused.status} ${refused.code ?? ''} in ${refused.ms} ms`,
          ),
          check(
            `documents stored before are served by ${READER_ORG}'s gateway, hash checked`,
            served.length > 0 && served.every((d) => d.ok),
            served.map((d) => `${d.type} HTTP ${d.status} in ${d.ms} ms`).join(', '),
          ),
          check('no 500 while it was down', !seen.has(500), `answers in the case: ${summary(seen)}`),
        ],
        afterwards: async () => {
          const back = await Promise.all(
            docs.map((d) =>
              http(ex.session.org, 'GET', `/api/v1/documents/${d.cid}?exportId=${id}`, {
                token: ex.session.token,
              }),
            ),
          );
          const up = await upload(ex.session, 'SALES_CONTRACT', `after kubo restart ${id}`).then(
            () => 201,
            () => 0,
          );
          return [
            check(
              `after the restart ${IPFS_ORG}'s gateway serves the documents again and takes uploads`,
              back.every((r) => r.status === 200) && up === 201,
              `downloads ${back.map((r) => r.status).join('/')}, upload ${up}`,
            ),
          ];
        },
      };
    });
  },
};

// ------------------------------------------------------------------------------------------------ 15

/** The gateway case 15 overloads: it serves every create and the exporters' reads. */
const OVERLOAD_ORG = 'commercial-bank';
const OVERLOAD_MS = 60_000;
const RECOVERY_MS = 30_000;

interface Probe {
  readonly at: number;
  readonly ms: number;
  readonly status: number;
}

/** Every process the launcher recorded that is alive, by name → pid. */
function livePids(): Map<string, number> {
  return new Map(
    allRecords()
      .filter((r) => isAlive(r))
      .map((r) => [r.name, r.pid]),
  );
}

/**
 * The first time after `from` at which the p95 of the probes in the trailing `windowMs` is back within `limit`
 * (undefined: never in the probes).
 */
function backToNormal(
  probes: readonly Probe[],
  from: number,
  windowMs: number,
  limit: number,
): number | undefined {
  for (let end = from + windowMs; end <= (probes.at(-1)?.at ?? 0); end += 500) {
    const inWindow = probes.filter(
      (p) => p.at > end - windowMs && p.at <= end && p.at >= from && p.status === 200,
    );
    if (
      inWindow.length >= 5 &&
      percentile(
        inWindow.map((p) => p.ms),
        95,
      ) <= limit
    )
      return end;
  }
  return undefined;
}

const case15: FaultCase = {
  id: 15,
  title: 'overload at twice the knee for 60 s',
  expected: '429/503 with Retry-After; no crash; p95 back to normal within 30 s',
  run: (ctx) =>
    underLoad(ctx, async () => {
      const limit = gatewayConfig(org(OVERLOAD_ORG)).submitConcurrency;
      const clients = 2 * limit;
      const ex = ctx.world.exporters[0]!;
      // A reader of the overloaded gateway, every 200 ms, from before the overload until 30 s after it.
      const probes: Probe[] = [];
      let probing = true;
      const prober = (async () => {
        while (probing) {
          const t = Date.now();
          const r = await http(ex.session.org, 'GET', '/api/v1/exports?limit=20', {
            token: ex.session.token,
          }).catch(() => ({ status: 0 }));
          probes.push({ at: Date.now(), ms: Date.now() - t, status: r.status });
          if (r.status === 401) await ctx.world.relogin(ex.session);
          await sleep(200);
        }
      })();
      const pidsBefore = livePids();
      await sleep(15_000);
      const startedAt = Date.now();
      const baseline = percentile(
        probes.filter((p) => p.status === 200).map((p) => p.ms),
        95,
      );
      // 2 × SUBMIT_CONCURRENCY clients, half creating exports (two uploads and a create, each a submission), half
      // reading; a refused one waits 100 ms, not its Retry-After, to keep the pressure on.
      const answers: { status: number; ms: number; retryAfter: boolean; what: string }[] = [];
      const created: string[] = [];
      const stopAt = startedAt + OVERLOAD_MS;
      const client = async (i: number): Promise<void> => {
        const s = ctx.world.exporters[i % ctx.world.exporters.length]!.session;
        for (let n = 0; Date.now() < stopAt; n++) {
          const send = async (
            what: string,
            path: string,
            opts: Parameters<typeof http>[3],
          ): Promise<Record<string, unknown> | undefined> => {
            const t = Date.now();
            const r = await http(s.org, what === 'read' ? 'GET' : 'POST', path, {
              token: s.token,
              ...opts,
            }).catch(() => ({ status: 0, body: undefined, headers: new Headers() }));
            answers.push({
              status: r.status,
              ms: Date.now() - t,
              retryAfter: r.headers.has('retry-after'),
              what,
            });
            if (r.status === 401) await ctx.world.relogin(s);
            if (r.status === 429 || r.status === 503 || r.status === 0) await sleep(100);
            return r.status < 300 ? (r.body as Record<string, unknown>) : undefined;
          };
          if (i % 2 === 1) {
            await send('read', `/api/v1/exports?limit=20${n % 2 ? '&status=SUBMITTED' : ''}`, {});
            continue;
          }
          const tag = `OVL-${i}-${n}-${startedAt.toString(36)}`;
          const doc = (type: string): FormData => {
            const f = new FormData();
            f.set('type', type);
            f.set('file', new Blob([pdf(`${type} ${tag}`)], { type: 'application/pdf' }), `${type}.pdf`);
            return f;
          };
          const sc = await send('upload', '/api/v1/documents', { form: doc('SALES_CONTRACT') });
          if (!sc) continue;
          const pi = await send('upload', '/api/v1/documents', { form: doc('PROFORMA_INVOICE') });
          if (!pi) continue;
          const made = await send('create', '/api/v1/exports', {
            body: ctx.world.exportBody(tag, sc.cid as string, pi.cid as string),
            headers: { 'Idempotency-Key': `c-${tag}` },
          });
          if (made) created.push(made.id as string);
        }
      };
      await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
      const stoppedAt = Date.now();
      await sleep(RECOVERY_MS);
      probing = false;
      await prober;
      const pidsAfter = livePids();
      const crashed = [...pidsBefore].filter(([name, pid]) => pidsAfter.get(name) !== pid).map(([n]) => n);
      const by = new Map<number, number>();
      for (const a of answers) by.set(a.status, (by.get(a.status) ?? 0) + 1);
      const refusals = answers.filter((a) => a.status === 429 || a.status === 503);
      const during = probes.filter((p) => p.at > startedAt && p.at <= stoppedAt && p.status === 200);
      const normal = 2 * Math.max(baseline, 1);
      const back = backToNormal(probes, stoppedAt, 5_000, normal);
      const ok = answers.filter((a) => a.status >= 200 && a.status < 300).length;
      return {
        fault:
          `${clients} clients (2 × SUBMIT_CONCURRENCY ${limit}, the admission limit taken as the knee) on gateway.${OVERLOAD_ORG} ` +
          `for ${s1(stoppedAt - startedAt)}: ${answers.length} requests, ${ok} answered 2xx (${created.length} exports), ` +
          `${refusals.length} refused; read p95 ${baseline} ms before, ${percentile(
            during.map((p) => p.ms),
            95,
          )} ms during`,
        checks: [
          check(
            'past the limit: refused with 429/503 and Retry-After',
            refusals.length > 0 && refusals.every((a) => a.retryAfter),
            `${summary(by)}; refusals answered in p95 ${percentile(
              refusals.map((a) => a.ms),
              95,
            )} ms`,
          ),
          check(
            'no 500, no connection dropped',
            !by.has(500) && !by.has(0),
            `${by.get(500) ?? 0}×500, ${by.get(0) ?? 0} without an answer`,
          ),
          check(
            'no crash: every process the launcher started has the same pid',
            crashed.length === 0 && pidsAfter.size === pidsBefore.size,
            crashed.length ? crashed.join(', ') : `${pidsAfter.size} processes`,
          ),
          check(
            `read p95 back within 2× of before (≤ ${normal} ms over 5 s) within ${RECOVERY_MS / 1000} s`,
            back !== undefined && back - stoppedAt <= RECOVERY_MS,
            back === undefined ? 'not within the probes' : `after ${s1(back - stoppedAt)}`,
          ),
        ],
        afterwards: async () => {
          const lost = await lostWrites(
            created.map((exportId) => ({ exportId, status: 'SUBMITTED', at: 0 })),
            ctx.world.ecta,
          );
          return [
            check(
              "every export the overload's clients were answered 201 for exists",
              lost.length === 0,
              `${created.length} exports, ${lost.length} lost${lost.length ? `: ${lost.slice(0, 3).join('; ')}` : ''}`,
            ),
          ];
        },
      };
    }),
};

// ------------------------------------------------------------------------------------------------ 17

const case17: FaultCase = {
  id: 17,
  title: 'restart of the whole stack under load',
  expected: 'no acknowledged write lost; everything converges',
  run: (ctx) =>
    underLoad(ctx, async () => {
      const before = livePids();
      const t0 = Date.now();
      let stopped = 0;
      let upMs = 0;
      try {
        await launcher(['down']);
        stopped = before.size - livePids().size;
        const t1 = Date.now();
        await bringUp();
        upMs = Date.now() - t1;
      } finally {
        // Whatever failed above, the next case gets a whole stack.
        if ([...before.keys()].some((name) => pidOf(name) === undefined)) await bringUp();
      }
      const downMs = Date.now() - t0 - upMs;
      const after = livePids();
      const missing = [...before.keys()].filter((n) => !after.has(n));
      const peer = peerName(findOrg('ecta'));
      return {
        fault: `launcher down (${stopped} processes stopped in ${s1(downMs)}) under load, then up again (${s1(upMs)})`,
        checks: [
          check(
            'every process is running again (new pids)',
            missing.length === 0 && [...before].every(([n, pid]) => after.get(n) !== pid),
            missing.length
              ? `missing ${missing.join(', ')}`
              : `${after.size} processes (${peer} pid ${after.get(peer)})`,
          ),
        ],
        afterwards: async () => {
          const lost = await lostWrites(ctx.load.acks, ctx.world.ecta);
          return [
            check(
              'no acknowledged write of the whole run lost (ledger and read model)',
              lost.length === 0,
              `${new Set(ctx.load.acks.map((a) => a.exportId)).size} exports, ${ctx.load.acks.length} acknowledged writes; ${lost.length} lost`,
            ),
          ];
        },
      };
    }),
};

export { case6, case8, case10, case15, case17 };
