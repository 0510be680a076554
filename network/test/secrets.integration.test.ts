/**
 * Production-grade secret handling on the REAL stack (issue 10), under COFFEE_RUN_DIR (npm test: .run/test, ports
 * +20000; a running stack there is reused): the network, PostgreSQL, kubo, the six gateways and the portal, as the
 * launcher and `npm start` start them (the portal is stopped again at the end).
 *
 * - No process of the stack has a secret on its command line: /proc/<pid>/cmdline of every process the launcher
 *   recorded (pids/*.json) and of their children, against every secret the run directory knows
 *   (test/support/secret-scan.ts); a finding names the process and the kind of secret, never the value.
 * - The org admin's and the CA registrar's private keys are sealed at rest (the custody key), nowhere plaintext.
 * - Enrollment secrets are single-use: the CA bootstrap identity, a user the gateway's enroller registers, and
 *   an identity registered with the CA's default limit each enroll once; a gateway restarts without enrolling.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.COFFEE_RUN_DIR ??= join(REPO, '.run', 'test');
process.env.COFFEE_PORT_OFFSET ??= '20000';

const { bringUp, gatewayConfig, gatewaySettings, org, PEER_ORGS, runDir, startGateway, stopGateway } =
  await import('../../gateways/test/support/stack.ts');
const { CaError, FabricCaClient, UserEnroller } = await import('../../gateways/src/fabric/ca-client.ts');
const { isSealedKeyFile } = await import('../../gateways/src/auth/sealed-key-file.ts');
const { knownSecrets, secretsOnCommandLines, stackProcesses } = await import('./support/secret-scan.ts');
const { startPortal } = await import('../../scripts/stack.mts');
const { stopProcess } = await import('../src/proc.ts');
const { endpoints } = await import('../../gateways/test/support/stack.ts');

const ECTA = org('ecta');
const RUN = randomBytes(3).toString('hex');

const PORTAL = 'portal.secrets-test';

before(
  async () => {
    await bringUp();
    const urls = Object.fromEntries(Object.entries(endpoints().gateways).map(([id, g]) => [id, g.url]));
    // The portal as `npm start` runs it (its proxy secret in its environment), beside the stack's own.
    await startPortal(urls, { name: PORTAL, port: 3099 + Number(process.env.COFFEE_PORT_OFFSET) });
  },
  { timeout: 900_000 },
);
after(() => stopProcess(PORTAL));

const describeFindings = (findings: { process: string; pid: number; kind: string }[]): string =>
  findings.map((f) => `${f.process} (pid ${f.pid}) has the ${f.kind} on its command line`).join('\n');

describe('secrets never on a command line', { timeout: 120_000 }, () => {
  it('the scan finds a secret on a command line (a decoy child holding the CA bootstrap password)', async () => {
    const secrets = knownSecrets(runDir());
    const ca = secrets.find((s) => s.kind.startsWith('CA bootstrap password'));
    assert.ok(ca, 'the run directory knows a CA bootstrap password');
    const decoy = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)', `admin:${ca.value}`], {
      stdio: 'ignore',
    });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const findings = secretsOnCommandLines(new Map([[decoy.pid!, 'decoy']]), secrets);
      assert.deepEqual(
        findings.map((f) => `${f.process}: ${f.kind}`),
        [`decoy: ${ca.kind}`],
      );
    } finally {
      decoy.kill('SIGKILL');
    }
  });

  it('no process of the stack (nor any child) has a secret on its command line', () => {
    const dir = runDir();
    const secrets = knownSecrets(dir);
    const kinds = new Set(secrets.map((s) => s.kind.replace(/ \(.*$/, '')));
    for (const kind of [
      'CA bootstrap password',
      'PostgreSQL password',
      'custody key',
      'portal proxy secret',
      'private key',
    ])
      assert.ok(kinds.has(kind), `the scan knows the ${kind}s (${[...kinds].join(', ')})`);
    const processes = stackProcesses(dir);
    const names = [...processes.values()];
    for (const prefix of ['ca.', 'orderer', 'peer0.', 'cc.', 'ipfs.', 'postgres', 'gateway.', 'portal'])
      assert.ok(
        names.some((n) => n.startsWith(prefix)),
        `a ${prefix}* process is scanned (${names.length} in all)`,
      );
    const findings = secretsOnCommandLines(processes, secrets);
    assert.equal(findings.length, 0, describeFindings(findings));
    // What the launcher records of each command (pids/*.json, `network:status`) holds none either.
    const recorded = names.filter((n) => !n.includes('(child'));
    for (const name of recorded) {
      const rec = JSON.parse(readFileSync(join(dir, 'pids', `${name}.json`), 'utf8')) as {
        command: string[];
      };
      const line = rec.command.join(' ');
      const hit = secrets.find((s) => line.includes(s.value));
      assert.equal(hit?.kind, undefined, `pids/${name}.json records the ${hit?.kind} in its command`);
    }
  });

  it('the CAs keep their bootstrap password out of their logs; their configuration files are 0600', () => {
    const dir = runDir();
    const secrets = knownSecrets(dir).filter((s) => s.kind.startsWith('CA bootstrap password'));
    assert.equal(secrets.length >= PEER_ORGS.length, true);
    for (const o of PEER_ORGS) {
      const log = readFileSync(join(dir, 'logs', `ca.${o.id}.log`), 'utf8');
      const hit = secrets.find((s) => log.includes(s.value));
      assert.equal(hit?.kind, undefined, `logs/ca.${o.id}.log holds the ${hit?.kind}`);
      const config = join(dir, 'data', `ca.${o.id}`, 'fabric-ca-server-config.yaml');
      assert.equal(statSync(config).mode & 0o077, 0, `${config} is readable by its owner only`);
    }
  });
});

describe('private keys sealed at rest', () => {
  it("the org admin's and the CA registrar's keys are sealed with the custody key, nowhere plaintext", () => {
    const dir = runDir();
    for (const o of PEER_ORGS) {
      const settings = gatewaySettings(o);
      for (const key of ['ORG_ADMIN_KEY_FILE', 'CA_REGISTRAR_KEY_FILE']) {
        const text = readFileSync(settings[key]!, 'utf8');
        assert.ok(isSealedKeyFile(text), `${o.id} ${key} is a sealed key file`);
        assert.ok(!text.includes('PRIVATE KEY'), `${o.id} ${key} holds no PEM`);
      }
      for (const gone of ['CA_REGISTRAR_SECRET', 'ORG_ADMIN_ENROLLMENT_SECRET'])
        assert.equal(settings[gone], undefined, `${o.id} gateway.json has no ${gone}`);
      assert.ok(!existsSync(join(dir, 'gateways', o.id, 'org-admin', 'key.pem')), 'no plaintext key.pem');
      for (const name of ['org-admin', 'ca-registrar']) {
        const saved = readFileSync(join(dir, 'identities', o.id, `${name}.json`), 'utf8');
        assert.ok(!saved.includes('PRIVATE KEY'), `identities/${o.id}/${name}.json holds no plaintext key`);
      }
      assert.ok(
        !existsSync(join(dir, 'identities', o.id, 'ca-registrar', 'msp')),
        'no plaintext registrar MSP',
      );
      // The gateway opens them: its configuration loads, with the keys of its certificates.
      const config = gatewayConfig(o);
      assert.ok('certificate' in config.orgAdmin && config.orgAdmin.privateKey.includes('PRIVATE KEY'));
    }
  });
});

describe('enrollment secrets are single-use', { timeout: 180_000 }, () => {
  const refused = (e: unknown): boolean => e instanceof CaError && e.status === 401;

  it('the CA bootstrap identity, enrolled once by the launcher, cannot enroll again', async () => {
    const password = (
      JSON.parse(readFileSync(join(runDir(), 'secrets.json'), 'utf8')) as {
        caAdmins: Record<string, string>;
      }
    ).caAdmins[ECTA.id]!;
    await assert.rejects(new FabricCaClient(gatewayConfig(ECTA).ca).enroll('admin', password), refused);
  });

  it("a user the gateway's enroller registers enrolls once; its secret is refused the second time", async () => {
    const config = gatewayConfig(ECTA);
    assert.ok(config.ca.registrar && 'certificate' in config.ca.registrar, 'the registrar is given as files');
    const ca = new FabricCaClient(config.ca);
    const enroller = new UserEnroller(ca, config.ca.registrar);
    const secret = randomBytes(18).toString('base64url');
    const username = `once-${RUN}`;
    const first = await enroller.enroll(username, 'auditor', secret);
    assert.ok(first.certificate.includes('BEGIN CERTIFICATE'));
    await assert.rejects(ca.enroll(username, secret), refused);
  });

  it("an identity registered without a limit gets the CA's default: one enrollment", async () => {
    const config = gatewayConfig(ECTA);
    const ca = new FabricCaClient(config.ca);
    const registrar = config.ca.registrar as { certificate: string; privateKey: string };
    const username = `default-${RUN}`;
    const secret = await ca.register(registrar, { enrollmentId: username, type: 'client' });
    await ca.enroll(username, secret);
    await assert.rejects(ca.enroll(username, secret), refused);
  });

  it('a gateway restarts from its sealed files without enrolling anything again', async () => {
    const log = join(runDir(), 'logs', `ca.${ECTA.id}.log`);
    const enrollments = (): number =>
      (readFileSync(log, 'utf8').match(/POST \/api\/v1\/enroll/g) ?? []).length;
    const before = enrollments();
    await stopGateway(ECTA);
    await startGateway(ECTA);
    assert.equal(enrollments(), before, 'no enrollment at the CA while the gateway restarted');
  });
});
