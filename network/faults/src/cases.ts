/* eslint-disable @typescript-eslint/no-unsafe-member-access -- HTTP response bodies are untyped JSON here */
/**
 * The fault cases (issue 12's table), each injected under the steady load of load.ts and measured by harness.ts.
 * `fast` marks the subset npm test runs.
 */
import { randomBytes } from 'node:crypto';
import { ORDERER_ORG, ordererName, peerName, PEER_ORGS } from '../../src/orgs.ts';
import { status } from '../../src/network.ts';
import { http, org, upload } from '../../../gateways/test/support/stack.ts';
import { check, sleep, underLoad, type Check, type FaultCase } from './harness.ts';
import {
  bins,
  ensurePostgres,
  kill,
  killGatewayOf,
  leader,
  restartFabricNode,
  restartGateway,
  stopPostgres,
} from './nodes.ts';
import type { World } from './world.ts';
import { case12, case13, case3, case4 } from './cases-ordering.ts';
import { case10, case15, case17, case6, case8 } from './cases-services.ts';
import { case11, case16 } from './cases-infra.ts';

/** Every orderer at one height (after a restart: it caught up), waiting up to a minute; how long it took. */
async function orderersAgree(timeoutMs = 60_000): Promise<Check> {
  const t0 = Date.now();
  for (;;) {
    const s = await status(await bins());
    const orderers = s.nodes.filter((n) => n.kind === 'orderer');
    const values = new Set(orderers.map((n) => n.height));
    const heights = orderers.map((n) => `${n.name}=${n.height ?? 'down'}`).join(' ');
    if (values.size === 1 && !values.has(undefined)) {
      return check(
        'every orderer at the same height',
        true,
        `${heights}, after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
    if (Date.now() - t0 > timeoutMs) return check('every orderer at the same height', false, heights);
    await sleep(500);
  }
}

const followerOf = (l: number): number =>
  Array.from({ length: ORDERER_ORG.ordererCount }, (_, i) => i + 1).find((i) => i !== l)!;

/** The exporters' exports as the read model lists them, by contract number (duplicates: more than one). */
async function contractCounts(world: World): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const ex of world.exporters) {
    let cursor: string | undefined;
    do {
      const q = `/api/v1/exports?exporterId=${ex.exporterId}&limit=100${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await http(ex.session.org, 'GET', q, { token: ex.session.token });
      if (r.status !== 200) throw new Error(`list of ${ex.exporterId}: HTTP ${r.status}`);
      for (const item of r.body.items as { contract?: { contractNumber?: string } }[]) {
        const n = item.contract?.contractNumber ?? '?';
        counts.set(n, (counts.get(n) ?? 0) + 1);
      }
      cursor = (r.body.nextCursor as string | null) ?? undefined;
    } while (cursor);
  }
  return counts;
}

export const CASES: readonly FaultCase[] = [
  {
    id: 1,
    title: 'SIGKILL a Raft follower, restart it',
    expected: 'no write gap beyond noise; the follower catches up to the same height and hash',
    fast: true,
    run: (ctx) =>
      underLoad(
        ctx,
        async () => {
          const f = followerOf(await leader());
          await kill(ordererName(f));
          await sleep(5_000);
          await restartFabricNode(ordererName(f));
          return {
            fault: `${ordererName(f)} killed for 5 s`,
            checks: [],
            afterwards: async () => [await orderersAgree()],
          };
        },
        { maxGapMs: 5_000 },
      ),
  },
  {
    id: 2,
    title: 'SIGKILL the Raft leader, restart it',
    expected: 'gap ≤ 5 s; 0 acknowledged writes lost',
    fast: true,
    run: (ctx) =>
      underLoad(
        ctx,
        async () => {
          const l = await leader();
          await kill(ordererName(l));
          const next = await leader(30_000);
          await sleep(3_000);
          await restartFabricNode(ordererName(l));
          return {
            fault: `leader ${ordererName(l)} killed; ${ordererName(next)} leads`,
            checks: [check('another orderer leads', next !== l, ordererName(next))],
            afterwards: async () => [await orderersAgree()],
          };
        },
        { maxGapMs: 5_000 },
      ),
  },
  case3,
  case4,
  {
    id: 5,
    title: "SIGKILL one org's peer",
    expected:
      "that org's gateway reports not ready; other orgs go on where policies allow; the peer catches up",
    fast: true,
    run: (ctx) =>
      underLoad(
        ctx,
        async () => {
          // The shipping line's peer: the load's creates (bank + ECTA) and registrations (ECTA + National Bank)
          // do not need it, so writes must go on.
          const sl = PEER_ORGS.find((o) => o.id === 'shipping-line')!;
          const name = peerName(sl);
          await kill(name);
          const t = Date.now();
          let ready = 0;
          for (;;) {
            const r = await http(org(sl.id), 'GET', '/ready').catch(() => ({ status: 0 }));
            ready = r.status;
            if (ready === 503 || Date.now() - t > 15_000) break;
            await sleep(250);
          }
          await sleep(8_000);
          const writesWhileDown = ctx.load.writesBetween(t, Date.now());
          await restartFabricNode(name);
          return {
            fault: `${name} killed for about 10 s`,
            checks: [
              check("the shipping line's gateway answers /ready with 503", ready === 503, `HTTP ${ready}`),
              check(
                'the other orgs went on writing',
                writesWhileDown > 0,
                `${writesWhileDown} writes while it was down`,
              ),
            ],
          };
        },
        { maxGapMs: 5_000 },
      ),
  },
  case6,
  {
    id: 7,
    title: 'SIGKILL a gateway mid-request',
    expected: 'the retry with the same Idempotency-Key gives exactly one effect',
    fast: true,
    run: (ctx) =>
      underLoad(ctx, async () => {
        // The commercial bank's gateway serves every create: the writers are mid-request (uploads, creates).
        killGatewayOf('commercial-bank');
        await sleep(2_000);
        await restartGateway('commercial-bank');
        await ctx.load.flowing(3, 120_000);
        const counts = await contractCounts(ctx.world);
        const twice = [...counts].filter(([, n]) => n > 1).map(([c, n]) => `${c}×${n}`);
        return {
          fault: 'gateway.commercial-bank killed mid-request, restarted after 2 s',
          checks: [
            check(
              'no create took effect twice (one export per Idempotency-Key)',
              twice.length === 0,
              twice.join(' '),
            ),
          ],
        };
      }),
  },
  case8,
  {
    id: 9,
    title: 'Postgres down 30 s',
    expected: '503 on writes that need it; nothing half-written; the projector resumes',
    fast: true,
    run: (ctx) =>
      underLoad(ctx, async () => {
        const before = ctx.load.stats();
        await stopPostgres();
        const t = Date.now();
        await sleep(30_000);
        const during = ctx.load.stats();
        const okDuring = ctx.load.writesBetween(t + 2_000, Date.now());
        await ensurePostgres();
        const refused = (during.answers['503'] ?? 0) - (before.answers['503'] ?? 0);
        const unexpected = during.serverErrors - before.serverErrors;
        return {
          fault: 'PostgreSQL stopped for 30 s',
          checks: [
            check('writes refused with 503 while it is down', refused > 0, `${refused} × 503`),
            check('no write acknowledged while it is down', okDuring === 0, `${okDuring}`),
            check('no 500 (only deliberate refusals)', unexpected === 0, `${unexpected}`),
          ],
        };
      }),
  },
  case10,
  case11,
  case12,
  case13,
  {
    id: 14,
    title: 'hot key: 20 clients act on one export at once',
    expected: 'exactly the valid transitions commit; the rest get clear conflicts, not 500s',
    fast: true,
    run: (ctx) =>
      underLoad(ctx, async () => {
        const ex = ctx.world.exporters[0]!;
        const tag = `HOT-${randomBytes(3).toString('hex')}`;
        const sc = (await upload(ex.session, 'SALES_CONTRACT', `contract ${tag}`)) as { cid: string };
        const pi = (await upload(ex.session, 'PROFORMA_INVOICE', `proforma ${tag}`)) as { cid: string };
        const created = await http(ex.session.org, 'POST', '/api/v1/exports', {
          token: ex.session.token,
          body: ctx.world.exportBody(tag, sc.cid, pi.cid),
          headers: { 'Idempotency-Key': `c-${tag}` },
        });
        if (created.status !== 201) throw new Error(`hot key export: HTTP ${created.status}`);
        const id = created.body.id as string;
        const ecta = ctx.world.ecta;
        // ECTA's peer must know the export before the race starts (else all 20 see "not found").
        for (let i = 0; i < 80; i++) {
          const r = await http(ecta.org, 'GET', `/api/v1/exports/${id}`, { token: ecta.token });
          if (r.status === 200) break;
          await sleep(250);
        }
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            http(ecta.org, 'POST', `/api/v1/exports/${id}/actions/register-contract`, {
              token: ecta.token,
              body: { registrationNumber: `REG-${tag}-${i}` },
              headers: { 'Idempotency-Key': `hot-${tag}-${i}` },
            }).catch(() => ({ status: 0, body: undefined })),
          ),
        );
        const by = new Map<number, number>();
        for (const a of answers) by.set(a.status, (by.get(a.status) ?? 0) + 1);
        const summary = [...by].map(([s, n]) => `${n}×${s}`).join(' ');
        const clear = answers.every((a) => a.status === 200 || a.status === 409 || a.status === 503);
        const history = await http(ecta.org, 'GET', `/api/v1/exports/${id}/history`, { token: ecta.token });
        const entries = (history.body?.entries ?? []) as { record?: { status?: string } }[];
        const registrations = entries.filter((h) => h.record?.status === 'CONTRACT_REGISTERED').length;
        return {
          fault: `20 concurrent register-contract on ${id}`,
          checks: [
            check(
              'exactly one registration committed',
              (by.get(200) ?? 0) === 1 && registrations === 1,
              `${summary}; history ${registrations}`,
            ),
            check('the others: clear conflicts (409) or busy (503), never 500', clear, summary),
          ],
        };
      }),
  },
  case15,
  case16,
  case17,
];
