/**
 * `npm run bench`: against the running stack, in this order —
 *   1. checks the stack is up; deploys the yardstick chaincode if needed; creates the bench's users;
 *   2. creates (bare client) the SUBMITTED exports the transition rounds consume, one per transaction;
 *   3. Caliper: create, transition closed loop + fixed-rate steps, yardstick closed loop + steps, get;
 *   4. autocannon through the gateways: create (with uploads), register-contract, get, list;
 *   5. commit → read model freshness;
 * then prints and writes the report (report.ts).
 */
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { ensureBinaries, type Binaries } from '../../src/binaries.ts';
import { CHANNEL, CHAINCODES, findOrg, portOffset } from '../../src/orgs.ts';
import { queryCommitted } from '../../src/lifecycle.ts';
import { info, step, UserError } from '../../src/log.ts';
import { runDir } from '../../src/paths.ts';
import { closedLoop, fixedRate, runCaliper, type PlannedRound } from './caliper/run.ts';
import type { RoundRecord } from './caliper/observer.ts';
import { snapshot, usage, type CpuUsage } from './cpu.ts';
import { commitToReadModel } from './freshness.ts';
import { getStatus, refresh, type Session } from './gateway-client.ts';
import { httpAction, httpCreate, httpRead } from './http-load.ts';
import {
  CREATE_ENDORSERS,
  REGISTER_ENDORSERS,
  createExports,
  everyPeerCaughtUp,
  type Actor,
} from './ledger.ts';
import { transitionPoolSize, type Profile } from './profile.ts';
import { kneeOf, ratio, writeReport, type Report } from './report.ts';
import { closeActors, gatewaySessions, ledgerActors, type LedgerActors } from './setup.ts';
import { assertStackUp } from './stack.ts';
import { summarize, type WorkloadResult } from './stats.ts';
import { ensureYardstick } from './yardstick.ts';

const ids = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);

interface Pools {
  readonly transition: string[];
  readonly freshness: string[];
  readonly read: string[];
}

function pools(run: string, p: Profile): Pools {
  const transition = ids(`${run}-t`, transitionPoolSize(p));
  return { transition, freshness: ids(`${run}-f`, p.freshnessSamples), read: transition.slice(0, p.readIds) };
}

function plan(run: string, p: Profile, a: LedgerActors, pool: Pools): PlannedRound[] {
  const cb = a.exporter.identity.mspId;
  const ecta = {
    invokerMspId: a.ecta.identity.mspId,
    invokerIdentity: 'ecta',
    endorsers: REGISTER_ENDORSERS,
  };
  const bank = { invokerMspId: cb, invokerIdentity: 'bank' };
  let used = 0;
  const take = (n: number): string[] => pool.transition.slice(used, (used += n));
  const transition = (n: number): PlannedRound['arguments'] => ({
    kind: 'transition',
    prefix: run,
    fn: 'export:RegisterContract',
    ids: take(n),
    ...ecta,
  });
  return [
    {
      label: 'create',
      rateControl: closedLoop(p.clients),
      txDuration: p.createSeconds,
      arguments: {
        kind: 'create',
        prefix: `${run}-c`,
        invokerMspId: cb,
        invokerIdentity: 'exporter',
        endorsers: CREATE_ENDORSERS,
        documents: a.documents,
      },
    },
    {
      label: 'transition',
      rateControl: closedLoop(p.clients),
      txNumber: p.closedLoopTxs,
      arguments: transition(p.closedLoopTxs),
    },
    ...p.transitionSteps.map((tps) => ({
      label: `transition-${tps}tps`,
      rateControl: fixedRate(tps),
      txNumber: tps * p.stepSeconds,
      arguments: transition(tps * p.stepSeconds),
    })),
    {
      label: 'yardstick',
      rateControl: closedLoop(p.clients),
      txDuration: p.readSeconds,
      arguments: { kind: 'yardstick', prefix: `${run}-y`, ...bank },
    },
    ...p.yardstickSteps.map((tps) => ({
      label: `yardstick-${tps}tps`,
      rateControl: fixedRate(tps),
      txDuration: p.stepSeconds,
      arguments: { kind: 'yardstick' as const, prefix: `${run}-y${tps}`, ...bank },
    })),
    {
      label: 'get',
      rateControl: closedLoop(p.clients),
      txDuration: p.readSeconds,
      arguments: { kind: 'get', prefix: run, ids: pool.read, ...bank },
    },
  ];
}

/** Upper bound on Caliper's run time: every round's length (count-bounded ones at ≥ 1 tx/s) plus slack. */
function caliperBudgetMs(rounds: readonly PlannedRound[]): number {
  const seconds = rounds.reduce((s, r) => {
    if (r.txDuration !== undefined) return s + r.txDuration;
    const tps = 'tps' in r.rateControl.opts ? r.rateControl.opts.tps : 1;
    return s + (r.txNumber ?? 0) / Math.min(tps, 1) + 5;
  }, 0);
  return (seconds + 180) * 1000;
}

function loadOf(r: PlannedRound): string {
  const rc = r.rateControl;
  return 'tps' in rc.opts ? `fixed-rate ${rc.opts.tps} tps` : `${rc.opts.clients} clients, closed loop`;
}

function caliperResults(rounds: readonly PlannedRound[], records: readonly RoundRecord[]): WorkloadResult[] {
  return rounds.map((r, i) => {
    const mine = records.filter((rec) => rec.round === i);
    const samples = mine.flatMap((rec) => rec.samples);
    const cpu = mine.find((rec) => rec.cpu)?.cpu;
    const client = mine.reduce((s, rec) => s + rec.clientCpuSeconds, 0);
    return summarize(r.label, 'chaincode', loadOf(r), samples, cpu, client);
  });
}

async function waitVisible(s: Session, exportId: string, status: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await getStatus(s, exportId)) !== status) {
    if (Date.now() > deadline)
      throw new UserError(`${s.org.id}'s gateway does not show ${exportId} ${status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Exports for the HTTP action: those the HTTP create made, topped up by the bare client. */
async function httpActionPool(
  run: string,
  p: Profile,
  a: LedgerActors,
  created: readonly string[],
  expectedTps: number,
): Promise<string[]> {
  const target = Math.min(
    p.maxHttpActionPool,
    Math.max(p.clients * 2, Math.ceil(expectedTps * p.httpSeconds * 1.5)),
  );
  const extra = ids(`${run}-h`, Math.max(0, target - created.length));
  if (extra.length > 0) {
    await step(`create ${extra.length} more SUBMITTED exports for the HTTP action`, () =>
      createExports(a.exporter, a.documents, extra, Math.max(4, p.clients), REGISTER_ENDORSERS, (n) =>
        info(`  ${n}/${extra.length} created`),
      ),
    );
  }
  await everyPeerCaughtUp(a.exporter);
  return [...created, ...extra];
}

async function httpPhase(
  run: string,
  p: Profile,
  a: LedgerActors,
  sessions: { exporter: Session; bank: Session; ecta: Session },
  pool: Pools,
  expectedActionTps: number,
): Promise<WorkloadResult[]> {
  const [exporter, bank, ecta] = await Promise.all([
    refresh(sessions.exporter),
    refresh(sessions.bank),
    refresh(sessions.ecta),
  ]);
  const created: string[] = [];
  const results: WorkloadResult[] = [];
  results.push(
    ...(await step(`HTTP create (${p.clients} clients, ${p.httpSeconds} s)`, () =>
      httpCreate(exporter, p.clients, p.httpSeconds, `${run}-hc`, created),
    )),
  );
  const actionPool = await httpActionPool(run, p, a, created, expectedActionTps);
  const last = actionPool[actionPool.length - 1];
  if (last) await waitVisible(ecta, last, 'SUBMITTED');
  results.push(
    ...(await step(`HTTP register-contract at ECTA's gateway (${actionPool.length} exports)`, () =>
      httpAction(
        ecta,
        'register-contract',
        (id) => ({ registrationNumber: `ECTA-${id}` }),
        actionPool,
        p.clients,
        p.httpSeconds,
      ),
    )),
  );
  results.push(
    ...(await step('HTTP GET /api/v1/exports/{id}', () =>
      httpRead('http-get', bank, pool.read, p.clients, p.httpSeconds),
    )),
  );
  results.push(
    ...(await step('HTTP GET /api/v1/exports?limit=20', () =>
      httpRead('http-list', bank, [], p.clients, p.httpSeconds),
    )),
  );
  return results;
}

async function committedVersions(bins: Binaries): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of [...CHAINCODES.map((c) => c.name), 'yardstick']) {
    out[name] = (await queryCommitted(bins, name))?.version ?? 'not committed';
  }
  return out;
}

/** One CreateAsset until the yardstick answers (its server connects to the peer on first use). */
async function warmYardstick(bank: Actor): Promise<void> {
  const contract = bank.conn.gateway.getNetwork(CHANNEL).getContract('yardstick', 'asset');
  const deadline = Date.now() + 60_000;
  for (let i = 0; ; i++) {
    try {
      await contract.submitTransaction('CreateAsset', `warm-${Date.now()}-${i}`, 'warm');
      return;
    } catch (e: unknown) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

const find = (results: readonly WorkloadResult[], name: string): WorkloadResult | undefined =>
  results.find((r) => r.name === name);

function steps(
  results: readonly WorkloadResult[],
  prefix: string,
  rates: readonly number[],
): { tps: number; result: WorkloadResult }[] {
  return rates.flatMap((tps) => {
    const result = find(results, `${prefix}-${tps}tps`);
    return result ? [{ tps, result }] : [];
  });
}

/** The stack's CPU with no load at all (gossip, Raft heartbeats, projectors, kubo). */
async function idleUsage(seconds: number): Promise<CpuUsage> {
  const before = snapshot();
  await sleep(seconds * 1000);
  return usage(before, snapshot());
}

export interface BenchRun {
  readonly report: Report;
  readonly markdown: string;
  readonly dir: string;
}

export async function runBench(p: Profile): Promise<BenchRun> {
  const startedAt = new Date().toISOString();
  await step('the stack is up', assertStackUp);
  const run = `b${Date.now().toString(36)}`;
  const dir = join(runDir(), 'bench', run);
  mkdirSync(dir, { recursive: true });
  info(`bench ${run} (${p.name}): results in ${dir}`);
  const bins = await ensureBinaries();
  await step('yardstick chaincode (build, server, approve, commit when changed)', () =>
    ensureYardstick(bins),
  );
  const actors = await step('bench users: CA enrollment + on-chain; exporter licensed, minimum price', () =>
    ledgerActors(bins, run),
  );
  try {
    const sessions = await step('gateway users (through the org admins)', () =>
      gatewaySessions(run, actors.exporterId),
    );
    await warmYardstick(actors.bank);
    const pool = pools(run, p);
    const toCreate = [...pool.transition, ...pool.freshness];
    await step(`create ${toCreate.length} SUBMITTED exports for the transition rounds`, () =>
      createExports(
        actors.exporter,
        actors.documents,
        toCreate,
        Math.max(4, p.clients),
        REGISTER_ENDORSERS,
        (n) => info(`  ${n}/${toCreate.length} created`),
      ),
    );
    const idle = await step(`idle baseline (${p.idleSeconds} s without load)`, () =>
      idleUsage(p.idleSeconds),
    );
    const rounds = plan(run, p, actors, pool);
    const caliper = await step(`Caliper: ${rounds.length} rounds`, () =>
      runCaliper(
        join(dir, 'caliper'),
        [findOrg('commercial-bank'), findOrg('ecta')],
        [
          { name: 'exporter', identity: actors.exporter.identity },
          { name: 'bank', identity: actors.bank.identity },
          { name: 'ecta', identity: actors.ecta.identity },
        ],
        rounds,
        caliperBudgetMs(rounds),
      ),
    );
    const chaincode = caliperResults(rounds, caliper.records);
    const transition = find(chaincode, 'transition');
    const http = await httpPhase(run, p, actors, sessions, pool, transition?.throughput ?? 10);
    const freshness = await step(
      `commit → read model (${pool.freshness.length} transitions, one at a time)`,
      () => commitToReadModel(actors.ecta, sessions.bank, pool.freshness),
    );
    const workloads = [...chaincode, ...http];
    const knees = {
      transition: kneeOf(steps(chaincode, 'transition', p.transitionSteps)),
      yardstick: kneeOf(steps(chaincode, 'yardstick', p.yardstickSteps)),
    };
    const report: Report = {
      run,
      profile: p.name,
      startedAt,
      finishedAt: new Date().toISOString(),
      runDir: runDir(),
      portOffset: portOffset(),
      chaincodes: await committedVersions(bins),
      workloads,
      knees,
      freshness,
      idle,
      ratios: {
        httpOverBareCreate: ratio(
          find(http, 'http-create')?.throughput,
          find(chaincode, 'create')?.throughput,
        ),
        httpOverBareTransition: ratio(
          find(http, 'http-register-contract')?.throughput,
          transition?.throughput,
        ),
        readModelOverEvaluate: ratio(find(http, 'http-get')?.throughput, find(chaincode, 'get')?.throughput),
        transitionOverYardstick: ratio(transition?.throughput, find(chaincode, 'yardstick')?.throughput),
        transitionKneeOverYardstickKnee: ratio(knees.transition.tps, knees.yardstick.tps),
        transitionPeakOverYardstickPeak: ratio(
          knees.transition.peakThroughput,
          knees.yardstick.peakThroughput,
        ),
        commitToReadModelP95Ms: freshness.latency.p95,
      },
      caliperReport: caliper.reportHtml,
    };
    const markdown = writeReport(dir, join(runDir(), 'bench'), report);
    return { report, markdown, dir };
  } finally {
    closeActors(actors);
  }
}
