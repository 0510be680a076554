/* eslint-disable @typescript-eslint/no-unsafe-member-access -- HTTP response bodies are untyped JSON here */
/**
 * The restore drill (issue 11): on the real stack, exports with documents are created and a backup is taken
 * (`npm run backup`, as a child process); one more export is created after it; then one org loses its peer's
 * ledger, its Postgres database and its kubo repository, and `npm run restore -- <org>` brings it back. Then the
 * org's read model equals the ledger (the fault suite's comparison, read through another org's peer), every
 * document downloads through the org's gateway and matches the bytes uploaded, and the RTO is printed.
 * Refusals first: a restore of an unknown org, and one whose read model would be behind the peer's snapshot.
 *
 * Runs on COFFEE_RUN_DIR / COFFEE_PORT_OFFSET like the other integration tests.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { readModelMatchesLedger } from '../faults/src/cases-services.ts';
import { World } from '../faults/src/world.ts';
import {
  REPO,
  bringUp,
  runDir,
  http,
  launcher,
  pdf,
  upload,
  type Session,
} from '../../gateways/test/support/stack.ts';
import { backupRoot, listBackups, readManifest } from '../src/backup/manifest.ts';
import { PEER_ORGS, findOrg, peerName } from '../src/orgs.ts';
import { stopProcess } from '../src/proc.ts';
import { databaseName, databaseUrl } from '../src/nodes/postgres.ts';
import { ipfsApiUrl, ipfsRepo } from '../src/nodes/ipfs.ts';
import { ledgerDir } from '../src/backup/fabric.ts';

const ORG = 'commercial-bank';
const CLI = join(REPO, 'network', 'src', 'backup', 'cli.ts');

/** The backup command line as `npm run backup` / `npm run restore` runs it; exit code and output. */
function backupCli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: REPO,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

interface Doc {
  exportId: string;
  cid: string;
  sha256: string;
  bytes: string;
}

async function query<R extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** The server's maintenance database, reached with the project's login (to drop an org's database). */
const adminUrl = (): string => databaseUrl(ORG).replace(/\/[^/]+$/, '/postgres');

describe(
  'restore drill: one org loses its ledger, database and kubo repository',
  { timeout: 20 * 60_000 },
  () => {
    let world: World;
    const ids: string[] = [];
    const docs: Doc[] = [];

    async function exportWithDocuments(tag: string): Promise<void> {
      const ex = world.exporters[0]!.session;
      const made: Doc[] = [];
      for (const type of ['SALES_CONTRACT', 'PROFORMA_INVOICE']) {
        const text = `${type} ${tag} ${Date.now()}`;
        const r = (await upload(ex, type, text)) as { cid: string; sha256: string };
        made.push({ exportId: '', cid: r.cid, sha256: r.sha256, bytes: pdf(text) });
      }
      const created = await http(ex.org, 'POST', '/api/v1/exports', {
        token: ex.token,
        body: world.exportBody(tag, made[0]!.cid, made[1]!.cid),
        headers: { 'Idempotency-Key': `drill-${tag}` },
      });
      assert.equal(created.status, 201, `create ${tag}: ${JSON.stringify(created.body)}`);
      const id = created.body.id as string;
      ids.push(id);
      for (const d of made) docs.push({ ...d, exportId: id });
      // Committed on the reader's (ECTA's) peer, which the comparison reads the ledger from.
      for (let i = 0; i < 120; i++) {
        const r = await http(world.ecta.org, 'GET', `/api/v1/exports/${id}?source=ledger`, {
          token: world.ecta.token,
        });
        if (r.status === 200) return;
        await new Promise((res) => setTimeout(res, 250));
      }
      assert.fail(`ECTA's peer never saw ${id}`);
    }

    before(async () => {
      await bringUp();
      world = await World.create(1);
    });

    after(async () => {
      // After a failed drill the org must not stay broken for the next file: `up` starts its peer again (an empty
      // ledger joins from the genesis block) and `gateways up` its kubo node and gateway.
      await launcher(['up']).catch(() => undefined);
      await launcher(['gateways', 'up']).catch(() => undefined);
    });

    it('backs up, destroys one org, restores it: read model == ledger, every document verifies', async () => {
      const t0 = Date.now();
      for (let i = 0; i < 3; i++) await exportWithDocuments(`BK${Date.now().toString(36).toUpperCase()}${i}`);
      const tCreate = Date.now();

      const backup = await backupCli(['run']);
      assert.equal(backup.code, 0, `npm run backup failed:\n${backup.out}`);
      const tBackup = Date.now();
      const latest = listBackups().at(-1)!;
      const manifest = readManifest(latest.dir);
      const rec = manifest.orgs[ORG]!;
      assert.ok(rec.checkpoint > rec.snapshotLastBlock, 'the read model was backed up past the snapshot');
      const backedUpCids = new Set(rec.cars.map((c) => c.cid));
      for (const d of docs) assert.ok(backedUpCids.has(d.cid), `${d.cid} is in the backup as a CAR file`);
      const verify = await backupCli(['verify', latest.name]);
      assert.equal(verify.code, 0, verify.out);

      // Written after the backup: the restored org gets it from the WAL archive, the orderers and the swarm.
      await exportWithDocuments(`AF${Date.now().toString(36).toUpperCase()}`);
      // Its documents survive the org's loss only through another org's replica (docs/operations.md, RPO): the
      // drill destroys the org once every one of them is pinned by another node of its audience, as it would be
      // a few seconds after an upload in production (the gateways' replicators).
      for (const d of docs.slice(-2)) {
        const deadline = Date.now() + 90_000;
        for (;;) {
          const holders: string[] = [];
          for (const other of PEER_ORGS.filter((x) => x.id !== ORG)) {
            const r = await fetch(
              `${ipfsApiUrl(other)}/api/v0/pin/ls?type=recursive&arg=${encodeURIComponent(d.cid)}`,
              { method: 'POST' },
            ).catch(() => undefined);
            if (r?.ok) holders.push(other.id);
          }
          if (holders.length > 0) break;
          assert.ok(Date.now() < deadline, `${d.cid} replicated to another org's node within 90 s`);
          await new Promise((r) => setTimeout(r, 500));
        }
      }

      // Refusals before anything is destroyed.
      const unknown = await backupCli(['restore', 'no-such-org']);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.out, /error: .*no-such-org/);
      assert.doesNotMatch(unknown.out, /\n\s+at /, 'one clear line, no stack trace');
      // A backup whose read model is behind its snapshot would leave blocks no peer can give the projector.
      const behind = join(backupRoot(), '20000101T000000Z');
      cpSync(latest.dir, behind, { recursive: true });
      try {
        const m = readManifest(behind);
        m.orgs[ORG]!.checkpoint = m.orgs[ORG]!.snapshotLastBlock;
        writeFileSync(join(behind, 'manifest.json'), JSON.stringify(m));
        const refused = await backupCli(['restore', ORG, '--from', '20000101T000000Z']);
        assert.notEqual(refused.code, 0, refused.out);
        assert.match(refused.out, /read model \(next block \d+\) is behind its snapshot/);
        // A tampered file is refused by the checksums.
        const car = join(behind, m.orgs[ORG]!.cars[0]!.file);
        writeFileSync(car, Buffer.concat([readFileSync(car), Buffer.from('x')]));
        m.orgs[ORG]!.checkpoint = rec.checkpoint;
        writeFileSync(join(behind, 'manifest.json'), JSON.stringify(m));
        const tampered = await backupCli(['restore', ORG, '--from', '20000101T000000Z']);
        assert.notEqual(tampered.code, 0);
        assert.match(tampered.out, /does not verify .*checksum differs/);
      } finally {
        rmSync(behind, { recursive: true, force: true });
      }
      assert.ok(existsSync(ledgerDir(findOrg(ORG))), 'the refused restores left the ledger alone');

      // The disaster: the org's gateway, peer and kubo node stop; its ledger, database and repository are gone.
      const o = findOrg(ORG);
      await launcher(['gateways', 'stop', ORG]);
      await stopProcess(peerName(o), 15_000);
      rmSync(ledgerDir(o), { recursive: true, force: true });
      await query(adminUrl(), `DROP DATABASE "${databaseName(ORG)}" WITH (FORCE)`);
      await launcher(['ipfs', 'stop', ORG]);
      rmSync(ipfsRepo(o), { recursive: true, force: true });
      // And the gateway's document key ring with its passphrase (secrets.json): without the encrypted archive
      // of the backup, no document of the org could be opened again.
      const gatewayDir = join(runDir(), 'gateways', ORG);
      rmSync(join(gatewayDir, 'document-keys'), { recursive: true, force: true });
      rmSync(join(gatewayDir, 'secrets.json'), { force: true });
      const dbs = await query<{ datname: string }>(adminUrl(), 'SELECT datname FROM pg_database');
      assert.ok(!dbs.some((d) => d.datname === databaseName(ORG)), 'the database is gone');
      assert.ok(
        !existsSync(ledgerDir(o)) && !existsSync(ipfsRepo(o)),
        'the ledger and the repository are gone',
      );

      const tRestore = Date.now();
      const restore = await backupCli(['restore', ORG]);
      const wall = (Date.now() - tRestore) / 1000;
      assert.equal(restore.code, 0, `npm run restore failed:\n${restore.out}`);
      const putBack = Number(/(\d+) missing files put back/.exec(restore.out)?.[1]);
      assert.ok(
        putBack >= 2,
        `the key ring and secrets.json came back from the encrypted archive (${putBack} files)`,
      );
      const rto = Number(/RTO (\d+(?:\.\d+)?) s/.exec(restore.out)?.[1]);
      assert.ok(rto > 0 && rto <= wall, `RTO ${rto} s reported (wall ${wall.toFixed(1)} s)`);
      process.stdout.write(
        `restore drill: RTO ${rto.toFixed(1)} s (org ${ORG}; wall ${wall.toFixed(1)} s; ${ids.length} exports, ${docs.length} documents; ` +
          `create ${((tCreate - t0) / 1000).toFixed(1)} s, backup ${((tBackup - tCreate) / 1000).toFixed(1)} s)\n`,
      );
      for (const line of restore.out.split('\n').filter((l) => /: done in /.test(l)))
        process.stdout.write(`  ${line.trim()}\n`);

      // The read model equals the ledger (as another org's peer has it), with no gap and no duplicate.
      await world.relogin(world.ecta);
      const checks = await readModelMatchesLedger(ORG, ids, world.ecta);
      for (const c of checks) assert.ok(c.ok, `${c.what}: ${c.detail ?? ''}`);

      // Every document, through the restored gateway, is the bytes uploaded (the gateway checks the ledger's hash).
      const ex: Session = world.exporters[0]!.session;
      await world.relogin(ex);
      for (const d of docs) {
        const r = await http(ex.org, 'GET', `/api/v1/documents/${d.cid}?exportId=${d.exportId}`, {
          token: ex.token,
        });
        assert.equal(r.status, 200, `download ${d.cid}: ${r.status} ${JSON.stringify(r.body)}`);
        assert.equal(r.headers.get('x-content-sha256'), d.sha256);
        assert.equal(createHash('sha256').update(r.bytes).digest('hex'), d.sha256);
        assert.equal(r.bytes.toString('utf8'), d.bytes);
      }
      // The backed-up documents are pinned again on the org's own node (from the CAR files, not only fetched).
      const pins = (await (
        await fetch(`${ipfsApiUrl(o)}/api/v0/pin/ls?type=recursive`, { method: 'POST' })
      ).json()) as { Keys?: Record<string, unknown> };
      for (const cid of backedUpCids) assert.ok(pins.Keys?.[cid], `${cid} pinned on ${ORG}'s kubo node`);
    });
  },
);
