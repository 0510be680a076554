/**
 * Demo consortium seeding (development only): `npm start` calls seedDemo() once the gateways are up, and
 * `npm run demo:seed` seeds a running stack by hand. Everything goes through the gateways' HTTP API, as the
 * orgs' users would do it: each org admin creates the org's users, an ECTA officer licenses two exporters and
 * publishes minimum prices, and eleven exports are walked to their statuses by the users of the right orgs,
 * with generated PDF documents (plan.ts says what, documents.ts writes them).
 *
 * Idempotent and resumable: runDir()/demo/seed.json records the passwords before any user exists and the
 * completion at the end, so a second run does nothing; an interrupted run finds users, exporters and prices by
 * asking the gateways, and each export's position from the ledger, and every write carries a deterministic
 * Idempotency-Key, so nothing is created twice.
 */
import { pathToFileURL } from 'node:url';
import type { DocumentType } from '@coffee/consortium';
import { info, UserError } from '../../network/src/log.ts';
import { runDir as defaultRunDir } from '../../network/src/paths.ts';
import { expectStatus, Gateway, GatewayError, Session } from './client.ts';
import { documentContent, renderPdf } from './documents.ts';
import {
  contractValueUsd,
  DEMO_EXPORTERS,
  DEMO_EXPORTS,
  DEMO_MINIMUM_PRICES,
  demoUsers,
  firstPendingStep,
  stepsOf,
  userOf,
  type DemoExport,
  type DemoUser,
  type LedgerView,
  type Step,
  type Upload,
} from './plan.ts';
import {
  assertDevelopment,
  decide,
  demoAccounts,
  endpointsFile,
  passwordKey,
  publishAccounts,
  readEndpoints,
  readState,
  writeState,
  type DemoAccounts,
  type Endpoints,
  type SeedState,
} from './state.ts';

export type { DemoAccounts } from './state.ts';

export interface SeedOptions {
  /** Default: runDir() (COFFEE_RUN_DIR). */
  readonly runDir?: string;
  /** Progress lines (default: the launcher's timestamped output). */
  readonly log?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Exports walked at the same time (default 3). */
  readonly concurrency?: number;
  /** Tests: stop after this many export steps, as an interrupted run would. */
  readonly interruptAfterSteps?: number;
}

/** Thrown by the interruptAfterSteps test hook. */
export class SeedInterrupted extends Error {
  constructor(steps: number) {
    super(`demo seeding interrupted after ${steps} export steps (test hook)`);
    this.name = 'SeedInterrupted';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `work` over `items`, at most `limit` at a time. After a failure no new item starts, and the failure is
 * thrown once the items already running have settled (nothing is left in flight behind the caller's back).
 */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (failures.length === 0 && next < items.length) {
      const item = items[next++]!;
      await work(item).catch((e: unknown) => {
        failures.push(e);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

/** Awaits every promise (none left running), then throws the first failure. */
async function all(promises: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** What one seeding run did (for the summary line). */
interface Tally {
  usersCreated: number;
  passwordsReset: number;
  exportersLicensed: number;
  pricesPublished: number;
  exportSteps: number;
  uploads: number;
}

class Seeder {
  readonly #state: SeedState;
  readonly #log: (line: string) => void;
  readonly #gateways = new Map<string, Gateway>();
  readonly #admins = new Map<string, Session>();
  readonly #sessions = new Map<string, Session>();
  readonly #interruptAfter: number | undefined;
  readonly #concurrency: number;
  readonly tally: Tally = {
    usersCreated: 0,
    passwordsReset: 0,
    exportersLicensed: 0,
    pricesPublished: 0,
    exportSteps: 0,
    uploads: 0,
  };

  constructor(
    endpoints: Endpoints,
    state: SeedState,
    log: (line: string) => void,
    opts: { concurrency?: number; interruptAfterSteps?: number },
  ) {
    this.#state = state;
    this.#log = log;
    this.#interruptAfter = opts.interruptAfterSteps;
    this.#concurrency = opts.concurrency ?? 3;
    for (const [org, g] of Object.entries(endpoints.gateways)) {
      const gateway = new Gateway(org, g.url, endpoints.caFile ? { caFile: endpoints.caFile } : {});
      this.#gateways.set(org, gateway);
      if (g.admin) this.#admins.set(org, new Session(gateway, g.admin.username, g.admin.password));
    }
  }

  #key(...parts: (string | number)[]): string {
    return ['demo', this.#state.runId, ...parts].join('-');
  }

  #gateway(org: string): Gateway {
    const g = this.#gateways.get(org);
    if (!g) throw new UserError(`endpoints.json lists no gateway for ${org}`);
    return g;
  }

  #admin(org: string): Session {
    const a = this.#admins.get(org);
    if (!a) throw new UserError(`endpoints.json has no development admin for ${org}`);
    return a;
  }

  /** The session of a planned user (its password from the state file). */
  #session(org: string, username: string): Session {
    const key = `${org}/${username}`;
    let s = this.#sessions.get(key);
    if (!s) {
      const password = this.#state.passwords[key];
      if (!password) throw new Error(`no password for ${key}`);
      s = new Session(this.#gateway(org), username, password);
      this.#sessions.set(key, s);
    }
    return s;
  }

  async run(): Promise<void> {
    const users = demoUsers();
    await all(
      [...this.#admins.values()].map(async (a) => {
        if (!(await a.login()))
          throw new UserError(
            `the ${a.org} admin's password in endpoints.json was refused (changed since?); demo seeding needs it`,
          );
      }),
    );
    // ECTA's officer first: it licenses the exporters, whom the bank's exporter users belong to.
    const staff = users.filter((u) => u.role !== 'exporter');
    await this.#users(staff.filter((u) => u.org === 'ecta' && u.role === 'ecta_officer'));
    await all([
      this.#users(staff.filter((u) => !(u.org === 'ecta' && u.role === 'ecta_officer'))),
      this.#registries(),
    ]);
    await this.#users(users.filter((u) => u.role === 'exporter'));
    this.#log(
      `demo: ${users.length} users of ${this.#gateways.size} orgs ready; walking ${DEMO_EXPORTS.length} exports …`,
    );
    await pool(DEMO_EXPORTS, this.#concurrency, (x) => this.#export(x));
  }

  /** Walks one export along its plan from where the ledger says it stands (advanceDemoExport). */
  async walk(x: DemoExport): Promise<void> {
    await this.#export(x);
  }

  /** Creates the users that do not exist yet: one at a time within an org, the orgs in parallel. */
  async #users(users: readonly DemoUser[]): Promise<void> {
    const byOrg = new Map<string, DemoUser[]>();
    for (const u of users) byOrg.set(u.org, [...(byOrg.get(u.org) ?? []), u]);
    await all(
      [...byOrg.entries()].map(async ([org, list]) => {
        const admin = this.#admin(org);
        const existing = expectStatus(
          await admin.call('GET', '/api/v1/users'),
          [200],
          `list users at ${org}`,
        );
        const items = Array.isArray(existing.items) ? (existing.items as Record<string, unknown>[]) : [];
        for (const u of list)
          await this.#user(
            admin,
            u,
            items.find((i) => i.username === u.username),
          );
      }),
    );
  }

  async #user(admin: Session, u: DemoUser, existing: Record<string, unknown> | undefined): Promise<void> {
    const password = this.#state.passwords[passwordKey(u)]!;
    const who = `${u.username}@${u.org}`;
    if (!existing) {
      expectStatus(
        await admin.call('POST', '/api/v1/users', {
          json: {
            username: u.username,
            password,
            role: u.role,
            displayName: u.displayName,
            ...(u.exporterId ? { exporterId: u.exporterId } : {}),
          },
          idempotencyKey: this.#key('user', u.org, u.username),
        }),
        [201],
        `create ${u.role} ${who}`,
      );
      this.tally.usersCreated++;
      this.#log(`demo: user ${who} (${u.role}${u.exporterId ? ` of ${u.exporterId}` : ''}) created`);
      return;
    }
    const role = typeof existing.role === 'string' ? existing.role : '?';
    const exporterId = typeof existing.exporterId === 'string' ? existing.exporterId : undefined;
    if (role !== u.role || exporterId !== u.exporterId) {
      throw new UserError(
        `${who} exists as ${role}${exporterId ? ` of ${exporterId}` : ''}; the demo needs ${u.role}${u.exporterId ? ` of ${u.exporterId}` : ''}`,
      );
    }
    // Created by an earlier run: its password is the state file's, unless that file was lost meanwhile.
    if (await this.#session(u.org, u.username).login()) return;
    expectStatus(
      await admin.call('PATCH', `/api/v1/users/${typeof existing.id === 'string' ? existing.id : ''}`, {
        json: { password },
        idempotencyKey: this.#key('password', u.org, u.username),
      }),
      [200],
      `reset the password of ${who}`,
    );
    this.tally.passwordsReset++;
    this.#log(`demo: user ${who} existed; password reset to the one in demo-accounts.json`);
  }

  /** ECTA's officer licenses the exporters and publishes the minimum prices (those missing). */
  async #registries(): Promise<void> {
    const ecta = this.#session('ecta', userOf('ecta', 'ecta_officer').username);
    const validUntil = `${new Date(this.#state.startedAt).getUTCFullYear() + 3}-12-31`;
    for (const x of DEMO_EXPORTERS) {
      const found = await ecta.call('GET', `/api/v1/exporters/${x.exporterId}`);
      expectStatus(found, [200, 404], `look up exporter ${x.exporterId}`);
      if (found.status === 200) continue;
      expectStatus(
        await ecta.call('POST', '/api/v1/exporters', {
          json: {
            exporterId: x.exporterId,
            legalName: x.legalName,
            tin: x.tin,
            licenceNumber: x.licenceNumber,
            licenceValidUntil: validUntil,
          },
          idempotencyKey: this.#key('exporter', x.exporterId),
        }),
        [201],
        `license exporter ${x.exporterId}`,
      );
      this.tally.exportersLicensed++;
      this.#log(`demo: exporter ${x.exporterId} (${x.legalName}) licensed by ECTA until ${validUntil}`);
    }
    const effectiveFrom = `${new Date(this.#state.startedAt).getUTCFullYear()}-01-01`;
    for (const p of DEMO_MINIMUM_PRICES) {
      const listed = expectStatus(
        await ecta.call('GET', `/api/v1/minimum-prices?grade=${p.grade}`),
        [200],
        `list minimum prices of ${p.grade}`,
      );
      const rows = Array.isArray(listed.records) ? (listed.records as Record<string, unknown>[]) : [];
      if (rows.some((r) => r.originRegion === p.originRegion && r.usdPerKg === p.usdPerKg)) continue;
      expectStatus(
        await ecta.call('POST', '/api/v1/minimum-prices', {
          json: { ...p, effectiveFrom },
          idempotencyKey: this.#key('price', p.grade, p.originRegion),
        }),
        [201],
        `publish the minimum price of ${p.grade} ${p.originRegion}`,
      );
      this.tally.pricesPublished++;
      this.#log(`demo: minimum price ${p.grade} ${p.originRegion} USD ${p.usdPerKg}/kg published by ECTA`);
    }
    // The bank registers exporter users on-chain against these licences: wait until its peer has them.
    const bank = this.#admin('commercial-bank');
    for (const x of DEMO_EXPORTERS) {
      await until(`the commercial bank sees exporter ${x.exporterId}`, async () => {
        const r = await bank.call('GET', `/api/v1/exporters/${x.exporterId}`);
        return r.status === 200;
      });
    }
  }

  /** The export as its exporter reads it from the ledger, or undefined if it does not exist yet. */
  async #ledgerView(x: DemoExport, exporter: Session): Promise<LedgerView | undefined> {
    const r = await exporter.call('GET', `/api/v1/exports/${x.exportId}?source=ledger`);
    if (r.status === 404) return undefined;
    const b = expectStatus(r, [200], `read ${x.exportId}`);
    return {
      status: b.status as LedgerView['status'],
      amendmentCount: typeof b.amendmentCount === 'number' ? b.amendmentCount : 0,
      documents: Array.isArray(b.documents) ? (b.documents as { type: string }[]) : [],
      tracking: Array.isArray(b.tracking) ? (b.tracking as unknown[]) : [],
    };
  }

  async #export(x: DemoExport): Promise<void> {
    const steps = stepsOf(x);
    const exporter = this.#session(steps[0]!.org, steps[0]!.username);
    let first: number;
    try {
      first = firstPendingStep(steps, await this.#ledgerView(x, exporter));
    } catch (e: unknown) {
      throw new UserError(`demo export ${x.exportId}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (first === steps.length) {
      this.#log(`demo: ${x.exportId} already ${x.target}`);
      return;
    }
    if (first > 0) this.#log(`demo: ${x.exportId} resumes at step ${first + 1} of ${steps.length}`);
    for (let i = first; i < steps.length; i++) await this.#step(x, steps[i]!, i);
    this.#log(`demo: ${x.exportId} is ${x.target} — ${x.description}`);
  }

  async #step(x: DemoExport, s: Step, i: number): Promise<void> {
    const actor = this.#session(s.org, s.username);
    const seen = s.from.length > 0 ? await this.#waitFor(actor, x.exportId, s.from) : undefined;
    const permit = seen?.permit as { permitNumber?: unknown } | undefined;
    const permitNumber = typeof permit?.permitNumber === 'string' ? permit.permitNumber : undefined;
    if (s.needsPermit && !permitNumber) throw new UserError(`${x.exportId}: customs sees no FX permit`);
    const cids: Partial<Record<DocumentType, string>> = {};
    for (const [k, u] of s.uploads.entries()) {
      cids[u.type] = await this.#upload(actor, x, s, u, this.#key(x.exportId, i, 'doc', k), permitNumber);
    }
    const what = s.kind === 'create' ? 'create' : (s.action ?? 'attach');
    if (s.kind !== 'attach') {
      const body = s.body({ cids, permitNumber, startedAt: new Date(this.#state.startedAt) });
      const path =
        s.kind === 'create' ? '/api/v1/exports' : `/api/v1/exports/${x.exportId}/actions/${s.action!}`;
      const ok = s.kind === 'create' ? 201 : 200;
      let answer = await actor.call('POST', path, { json: body, idempotencyKey: this.#key(x.exportId, i) });
      // A peer a block behind may still refuse (and free the key): give it a moment, then the same request.
      for (let retry = 0; retry < 5 && isLag(answer.status, answer.body.code); retry++) {
        await sleep(1000);
        answer = await actor.call('POST', path, { json: body, idempotencyKey: this.#key(x.exportId, i) });
      }
      const result = expectStatus(answer, [ok], `${x.exportId} ${what} by ${actor.username}@${actor.org}`);
      if (result.status !== s.after.status) {
        throw new UserError(
          `${x.exportId} ${what}: the gateway answered ${String(result.status)}, the plan expected ${s.after.status}`,
        );
      }
    }
    this.tally.exportSteps++;
    const docs = s.uploads.map((u) => u.type).join(', ');
    this.#log(
      `demo: ${x.exportId} ${s.from.join('/') || 'new'} → ${s.after.status}: ${what} by ${actor.username}@${actor.org}${docs ? ` (${docs})` : ''}`,
    );
    if (this.#interruptAfter !== undefined && this.tally.exportSteps >= this.#interruptAfter) {
      throw new SeedInterrupted(this.tally.exportSteps);
    }
  }

  /** Uploads a generated PDF (staged, or for an exporter's shipping document attached at once); its CID. */
  async #upload(
    actor: Session,
    x: DemoExport,
    s: Step,
    u: Upload,
    key: string,
    permitNumber: string | undefined,
  ): Promise<string> {
    const exporter = DEMO_EXPORTERS.find((e) => e.exporterId === x.exporterId)!;
    const pdf = renderPdf(
      documentContent(u.type, {
        exportId: x.exportId,
        exporter,
        contract: x.contract,
        unitPriceUsdPerKg: x.unitPriceUsdPerKg,
        contractValueUsd: contractValueUsd(x),
        paymentMethod: 'LC',
        references: { ...(u.references ?? {}), ...(permitNumber ? { permitNumber } : {}) },
        startedAt: new Date(this.#state.startedAt),
        ...(u.revision ? { revision: u.revision } : {}),
      }),
    );
    const form = (): FormData => {
      const f = new FormData();
      f.set('type', u.type);
      if (u.quantityKg !== undefined) f.set('quantityKg', String(u.quantityKg));
      if (u.grade) f.set('grade', u.grade);
      f.set(
        'file',
        new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }),
        `${x.exportId.toLowerCase()}-${u.type.toLowerCase().replace(/_/g, '-')}.pdf`,
      );
      return f;
    };
    const path = s.kind === 'attach' ? `/api/v1/exports/${x.exportId}/documents` : '/api/v1/documents';
    const r = expectStatus(
      await actor.call('POST', path, { form, idempotencyKey: key }),
      [201],
      `${x.exportId}: upload ${u.type} as ${actor.username}@${actor.org}`,
    );
    if (typeof r.cid !== 'string')
      throw new UserError(`${x.exportId}: the upload of ${u.type} returned no CID`);
    this.tally.uploads++;
    return r.cid;
  }

  /** Waits until the acting org's gateway shows the export in one of `statuses` (its peer may lag a block). */
  async #waitFor(
    actor: Session,
    exportId: string,
    statuses: readonly string[],
  ): Promise<Record<string, unknown>> {
    let last = 'not visible';
    let record: Record<string, unknown> = {};
    await until(
      `${actor.org} sees ${exportId} at ${statuses.join('/')}`,
      async () => {
        const r = await actor.call('GET', `/api/v1/exports/${exportId}`);
        if (r.status !== 200) {
          if (r.status !== 404) expectStatus(r, [200], `${actor.org} reads ${exportId}`);
          return false;
        }
        last = String(r.body.status);
        record = r.body;
        return statuses.includes(last);
      },
      () => `last seen: ${last}`,
    );
    return record;
  }
}

/** A refusal that a lagging peer explains (the export not there yet, or not yet in the step's status). */
function isLag(status: number, code: unknown): boolean {
  return (status === 404 && code === 'EXPORT_NOT_FOUND') || (status === 409 && code === 'INVALID_TRANSITION');
}

async function until(
  what: string,
  check: () => Promise<boolean>,
  detail: () => string = () => '',
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const d = detail();
      throw new UserError(`timed out after ${timeoutMs / 1000} s waiting until ${what}${d ? ` (${d})` : ''}`);
    }
    await sleep(250);
  }
}

/**
 * Seeds the demo consortium on the stack of `runDir` (development mode only; refuses in production), or does
 * nothing if a previous run completed. Returns what runDir()/demo-accounts.json holds.
 */
export async function seedDemo(opts: SeedOptions = {}): Promise<DemoAccounts> {
  const runDir = opts.runDir ?? defaultRunDir();
  const env = opts.env ?? process.env;
  const log = opts.log ?? info;
  const endpoints = readEndpoints(runDir);
  assertDevelopment(env, endpoints);
  if (!endpoints) throw new UserError(`no ${endpointsFile(runDir)}: start the stack first (npm start)`);
  const users = demoUsers();
  const decision = decide(readState(runDir), users, new Date());
  if (decision.kind === 'done') {
    const accounts = demoAccounts(users, decision.state, endpoints);
    const file = publishAccounts(runDir, accounts);
    log(`demo: already seeded (${decision.state.completedAt}); nothing to do — accounts in ${file}`);
    return accounts;
  }
  // The passwords are on disk before any user exists: an interrupted run resumes with the same ones.
  writeState(runDir, decision.state);
  log(decision.resume ? 'demo: resuming an unfinished seeding …' : 'demo: seeding the demo consortium …');
  const t0 = Date.now();
  const seeder = new Seeder(endpoints, decision.state, log, opts);
  await seeder.run();
  const accounts = demoAccounts(users, decision.state, endpoints);
  const file = publishAccounts(runDir, accounts);
  writeState(runDir, { ...decision.state, completedAt: new Date().toISOString() });
  const t = seeder.tally;
  log(
    `demo: done in ${((Date.now() - t0) / 1000).toFixed(1)} s — created ${t.usersCreated} users${t.passwordsReset ? ` (${t.passwordsReset} passwords reset)` : ''}, ${t.exportersLicensed} exporters, ${t.pricesPublished} minimum prices; ${t.exportSteps} export steps with ${t.uploads} documents; ${accounts.accounts.length} accounts and ${accounts.exports.length} exports listed in ${file}`,
  );
  return accounts;
}

/**
 * Takes one demo export of a seeded stack further along its main line, to `target`, with the demo's own steps
 * and users (tests that need an export past a step they drove themselves, e.g. EUDR before customs).
 */
export async function advanceDemoExport(
  exportId: string,
  target: DemoExport['target'],
  opts: SeedOptions = {},
): Promise<void> {
  const runDir = opts.runDir ?? defaultRunDir();
  const endpoints = readEndpoints(runDir);
  const state = readState(runDir);
  if (!endpoints || !state?.completedAt)
    throw new UserError('advanceDemoExport: seed the demo consortium first');
  const x = DEMO_EXPORTS.find((e) => e.exportId === exportId);
  if (!x) throw new UserError(`advanceDemoExport: no demo export ${exportId}`);
  await new Seeder(endpoints, state, opts.log ?? info, opts).walk({ ...x, target });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  seedDemo().then(
    () => process.exit(0),
    (e: unknown) => {
      const message =
        e instanceof UserError || e instanceof GatewayError
          ? e.message
          : e instanceof Error
            ? (e.stack ?? e.message)
            : String(e);
      process.stderr.write(`error: ${message}\n`);
      process.exit(1);
    },
  );
}
