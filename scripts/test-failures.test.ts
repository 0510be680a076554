import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { failureReport, gatewayErrors, tapFailures } from './test-failures.mjs';

const dir = mkdtempSync(join(tmpdir(), 'coffee-test-failures-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A real TAP report from node's runner: one passing, one assertion failure, one thrown error, in a suite. */
function realTap(): string {
  const file = join(dir, 'sample.test.mjs');
  writeFileSync(
    file,
    `import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
describe('outer', () => {
  it('passes', () => {});
  it('compares', () => assert.deepEqual(['viewer x: 503 != 200'], []));
  it('throws', () => { throw new Error('boom at step 3'); });
});
`,
  );
  // Without the parent runner's context variable, or the child would report to this runner, not print TAP.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { encoding: 'utf8', env })
    .stdout;
}

describe('the failure report npm test prints last', () => {
  it('lists each failing test with the lines of its error, not the suite around it nor the passing test', () => {
    const failed = tapFailures(realTap());
    assert.deepEqual(
      failed.map((f) => f.name),
      ['compares', 'throws'],
    );
    assert.ok(
      failed[0]!.details.some((d) => d.includes('viewer x: 503 != 200')),
      failed[0]!.details.join('\n'),
    );
    assert.ok(failed[1]!.details.some((d) => d.includes('boom at step 3')));
    assert.ok(!failed[1]!.details.some((d) => d.startsWith('stack:')));
  });

  it('finds the gateways error lines written since the file started, oldest first, from every run dir', () => {
    const logs = join(dir, 'run', 'test', 'logs');
    mkdirSync(logs, { recursive: true });
    const line = (time: number, level: number, url: string): string =>
      JSON.stringify({
        level,
        time,
        msg: 'request failed',
        code: 'SERVICE_UNAVAILABLE',
        req: { method: 'GET', url },
        err: { type: 'UnavailableError', message: 'the IPFS node is unavailable' },
      });
    writeFileSync(
      join(logs, 'gateway.ecta.log'),
      [
        line(1000, 50, '/old'),
        line(3000, 50, '/late'),
        line(2000, 50, '/early'),
        line(2500, 40, '/warn'),
        'not json',
      ].join('\n'),
    );
    writeFileSync(join(logs, 'peer0.ecta.log'), line(2000, 50, '/not-a-gateway'));
    const found = gatewayErrors(join(dir, 'run'), 1500);
    assert.equal(found.length, 2);
    assert.match(found[0]!, /gateway\.ecta .*GET \/early UnavailableError: the IPFS node is unavailable/);
    assert.match(found[1]!, /GET \/late/);
  });

  it('is empty when nothing failed, and names the file otherwise', () => {
    assert.equal(failureReport([]), '');
    const text = failureReport([
      {
        file: 'gateways/test/x.integration.test.ts',
        tests: [{ name: 'a', details: ['error: x'] }],
        gatewayErrors: ['g'],
      },
    ]);
    assert.match(
      text,
      /✖ gateways\/test\/x\.integration\.test\.ts\n {2}✖ a\n {6}error: x\n {2}gateway errors/,
    );
  });
});
