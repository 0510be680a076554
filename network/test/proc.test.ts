import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { assertPortFree, killProcess, readRecord, running, startProcess, stopProcess } from '../src/proc.ts';

describe('process records', () => {
  it('records a started process by pid and stops it by that pid', async () => {
    const rec = await startProcess({ name: 'test-sleeper', command: 'sleep', args: ['30'] });
    assert.ok(rec.pid > 0);
    assert.equal(running('test-sleeper')?.pid, rec.pid);
    assert.equal(await stopProcess('test-sleeper'), true);
    assert.equal(running('test-sleeper'), undefined);
    assert.equal(readRecord('test-sleeper'), undefined, 'record removed');
  });

  it('treats the record of a crashed process as stale and cleans it', async () => {
    await startProcess({ name: 'test-crash', command: 'sleep', args: ['30'] });
    killProcess('test-crash');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(running('test-crash'), undefined, 'a dead pid is not reported as running');
    assert.equal(readRecord('test-crash'), undefined, 'stale record removed');
    assert.equal(await stopProcess('test-crash'), false, 'nothing left to stop');
  });

  it('names the node whose port is busy instead of failing with a stack trace', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      await assert.rejects(assertPortFree(port, 'peer0.ecta listener'), (e: Error) => {
        assert.equal(e.name, 'UserError');
        assert.match(e.message, new RegExp(`port ${port} \\(peer0\\.ecta listener\\) is already in use`));
        return true;
      });
    } finally {
      server.close();
    }
  });
});

describe('stopping a multithreaded process', () => {
  it('waits until its last thread is gone, not only its main thread, so its ports are free', async (t) => {
    const python = spawnSync('python3', ['--version']);
    if (python.status !== 0) return t.skip('python3 is not installed');
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as { port: number }).port;
    await new Promise<void>((r) => holder.close(() => r()));
    // The main thread exits (it shows as a zombie) while a second thread keeps the listening socket for 1.5 s,
    // as a Go node's threads do for a moment after SIGTERM.
    const script = [
      'import ctypes, socket, sys, threading, time',
      's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
      `s.bind(('127.0.0.1', ${port})); s.listen()`,
      'threading.Thread(target=lambda: time.sleep(1.5)).start()',
      'ctypes.CDLL(None).pthread_exit(None)',
    ].join('\n');
    await startProcess({ name: 'test-threads', command: 'python3', args: ['-c', script] });
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(running('test-threads'), 'alive while a thread runs, though its main thread is a zombie');
    await stopProcess('test-threads', 5000, 'SIGCONT');
    await assertPortFree(port, 'the threads test');
  });
});
