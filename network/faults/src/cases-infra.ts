/**
 * Faults of the machine under a peer: its ledger disk fills up (case 11), and its TLS certificate expires and is
 * rotated (case 16). Both act on the shipping line's peer, which the load's writes do not need, so the consortium's
 * writes must go on while that org's peer suffers.
 */
import 'reflect-metadata'; // @peculiar/x509 needs the Reflect metadata API first
import * as x509 from '@peculiar/x509';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, webcrypto } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { cryptoPaths } from '../../src/crypto.ts';
import { peerHost, peerName, peerPorts, PEER_ORGS } from '../../src/orgs.ts';
import { paths } from '../../src/paths.ts';
import { logFile, stopProcess } from '../../src/proc.ts';
import { http, org } from '../../../gateways/test/support/stack.ts';
import { check, sleep, underLoad, type Check, type FaultCase } from './harness.ts';
import { pidOf, restartFabricNode } from './nodes.ts';

const SL = PEER_ORGS.find((o) => o.id === 'shipping-line')!;
const PEER = peerName(SL);

/** The shipping line's gateway's /ready status, polled until `want` or the timeout; the last status seen. */
async function readiness(want: number, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const r = await http(org(SL.id), 'GET', '/ready').catch(() => ({ status: 0 }));
    if (r.status === want || Date.now() - t0 > timeoutMs) return r.status;
    await sleep(500);
  }
}

function sh(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? bytesUnder(p) : statSync(p).size;
  }
  return total;
}

const logSize = (name: string): number => (existsSync(logFile(name)) ? statSync(logFile(name)).size : 0);

/** What a node logged since its log was `offset` bytes long (never an earlier run's lines). */
function logSince(name: string, offset: number): string {
  const file = logFile(name);
  if (!existsSync(file)) return '';
  return readFileSync(file).subarray(offset).toString('utf8');
}

export const case11: FaultCase = {
  id: 11,
  title: "disk nearly full on one peer's ledger dir",
  expected: 'clear failure and alert, no corruption; recovers when space returns',
  run: (ctx) =>
    underLoad(ctx, async () => {
      const ledger = join(paths.data, PEER, 'ledger');
      const outside = `${ledger}.outside`;
      const checks: Check[] = [];
      let mounted = false;
      await stopProcess(PEER);
      const used = bytesUnder(ledger);
      // Room to start and for a few hundred blocks more, then the disk is full.
      const size = used + 1536 * 1024;
      renameSync(ledger, outside);
      mkdirSync(ledger);
      try {
        const m = sh('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', ledger]);
        if (!m.ok) {
          checks.push(check('a small filesystem for the ledger (mount tmpfs: needs root)', false, m.out));
          return { fault: `could not mount a ${size} B tmpfs`, checks };
        }
        mounted = true;
        cpSync(outside, ledger, { recursive: true });
        const logFrom = logSize(PEER);
        const t0 = Date.now();
        // It may already fail while starting (LevelDB writes on open): that is the same loud failure.
        await restartFabricNode(PEER).catch(() => undefined);
        // The load's blocks fill the disk: the peer must fail loudly, not corrupt its ledger.
        let failed = false;
        while (Date.now() - t0 < 240_000) {
          if (/no space left on device/i.test(logSince(PEER, logFrom))) {
            failed = true;
            break;
          }
          await sleep(1_000);
        }
        const fullAfter = (Date.now() - t0) / 1000;
        checks.push(
          check(
            "the peer says 'no space left on device' in its log",
            failed,
            failed ? `after ${fullAfter.toFixed(0)} s of blocks into ${size} B` : 'not within 240 s',
          ),
        );
        const ready = await readiness(503, 30_000);
        checks.push(
          check(
            "the shipping line's gateway answers /ready with 503 (the alert)",
            ready === 503,
            `HTTP ${ready}`,
          ),
        );
        // Space returns.
        const grow = sh('mount', ['-o', `remount,size=${512 * 1024 * 1024}`, ledger]);
        checks.push(check('space returns (tmpfs grown to 512 MiB)', grow.ok, grow.out));
        if (pidOf(PEER) !== undefined) await stopProcess(PEER);
        await restartFabricNode(PEER);
        const back = await readiness(200, 120_000);
        checks.push(
          check('the gateway is ready again once the peer restarted', back === 200, `HTTP ${back}`),
        );
        return {
          fault: `${PEER}'s ledger on a ${(size / 1024).toFixed(0)} KiB tmpfs, full after ${fullAfter.toFixed(0)} s`,
          checks,
          // converge() then proves no corruption: the peer catches up to the same height and block hash.
        };
      } finally {
        // Back onto the real disk: the ledger as the peer left it (it has caught up by now, or will on restart).
        if (pidOf(PEER) !== undefined) await stopProcess(PEER);
        if (mounted) {
          rmSync(outside, { recursive: true, force: true });
          cpSync(ledger, outside, { recursive: true });
          sh('umount', [ledger]);
        }
        rmSync(ledger, { recursive: true, force: true });
        renameSync(outside, ledger);
        await restartFabricNode(PEER);
      }
    }),
};

/** A TLS certificate for the peer from its org's TLS CA, valid [notBefore, notAfter]; PEM cert and key. */
async function peerTlsCert(notBefore: Date, notAfter: Date): Promise<{ cert: string; key: string }> {
  x509.cryptoProvider.set(webcrypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const caKeyPem = readFileSync(cryptoPaths.tlsCaKey(SL), 'utf8');
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    createPrivateKey(caKeyPem).export({ type: 'pkcs8', format: 'der' }),
    alg,
    false,
    ['sign'],
  );
  const caCert = new x509.X509Certificate(readFileSync(cryptoPaths.tlsCaCert(SL), 'utf8'));
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const host = peerHost(SL);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Date.now().toString(16),
    subject: `CN=${host}, O=${SL.domain}`,
    issuer: caCert.subject,
    notBefore,
    notAfter,
    signingAlgorithm: alg,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: host },
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return {
    cert: cert.toString('pem'),
    key: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`,
  };
}

/** What a TLS client trusting the org's TLS CA gets from the peer: 'ok' with the serial, or the error code. */
function handshake(): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port: peerPorts(SL).listen,
      servername: peerHost(SL),
      ca: readFileSync(cryptoPaths.tlsCaCert(SL)),
      ALPNProtocols: ['h2'],
    });
    socket.setTimeout(5_000, () => {
      socket.destroy();
      resolve('TIMEOUT');
    });
    socket.once('secureConnect', () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(`ok ${serial}`);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

export const case16: FaultCase = {
  id: 16,
  title: 'TLS certificate of one peer expires, then is rotated',
  expected:
    'an expired certificate gives a clear error; rotation restores service with no loss (org downtime = one peer restart)',
  run: (ctx) =>
    underLoad(ctx, async () => {
      const tls = join(cryptoPaths.peer(SL), 'tls');
      const original = {
        cert: readFileSync(join(tls, 'server.crt'), 'utf8'),
        key: readFileSync(join(tls, 'server.key'), 'utf8'),
      };
      const checks: Check[] = [];
      const install = async (c: { cert: string; key: string }, readyWithinMs: number): Promise<void> => {
        await stopProcess(PEER);
        writeFileSync(join(tls, 'server.crt'), c.cert);
        writeFileSync(join(tls, 'server.key'), c.key, { mode: 0o600 });
        await restartFabricNode(PEER, readyWithinMs);
      };
      let rotated = false;
      try {
        const day = 24 * 3600_000;
        // Expired: the peer may start and present it (clients refuse it), or refuse to start (its log says why).
        const logFrom = logSize(PEER);
        await install(await peerTlsCert(new Date(Date.now() - 30 * day), new Date(Date.now() - day)), 0);
        await sleep(3_000);
        const expired = await handshake();
        const ready = await readiness(503, 30_000);
        const logSays = /expire/i.test(logSince(PEER, logFrom));
        checks.push(
          check(
            'a clear error: clients refuse it with CERT_HAS_EXPIRED, or the peer names the expiry',
            expired === 'CERT_HAS_EXPIRED' || (pidOf(PEER) === undefined && logSays),
            `handshake: ${expired}; peer ${pidOf(PEER) === undefined ? 'exited' : 'running'}${logSays ? ', log mentions the expiry' : ''}`,
          ),
          check("the shipping line's gateway answers /ready with 503", ready === 503, `HTTP ${ready}`),
        );
        const t0 = Date.now();
        await install(
          await peerTlsCert(new Date(Date.now() - 60_000), new Date(Date.now() + 365 * day)),
          60_000,
        );
        rotated = true;
        const back = await readiness(200, 120_000);
        const downtime = (Date.now() - t0) / 1000;
        const now = await handshake();
        checks.push(
          check('after rotation a client connects with the new certificate', now.startsWith('ok'), now),
          check('the gateway is ready again', back === 200, `HTTP ${back} after ${downtime.toFixed(1)} s`),
        );
        return {
          fault: `${PEER}: expired certificate, then rotated (org ready again after ${downtime.toFixed(1)} s)`,
          checks,
        };
      } finally {
        if (!rotated) await install(original, 60_000);
      }
    }),
};
