import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { composeDocument } from '../src/compose.ts';
import { CHAINCODES, PEER_ORGS } from '../src/orgs.ts';
import { REPO_ROOT } from '../src/paths.ts';

describe('docker-compose.yaml', () => {
  it('is exactly what the generator produces from the org configuration (no drift)', () => {
    const committed = readFileSync(join(REPO_ROOT, 'docker-compose.yaml'), 'utf8');
    // Generated in a fresh process with the default port layout (this test may run with COFFEE_PORT_OFFSET).
    const generated = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        "import('./network/src/compose.ts').then((m) => process.stdout.write(m.composeDocument()))",
      ],
      { cwd: REPO_ROOT, env: { ...process.env, COFFEE_PORT_OFFSET: '0' }, encoding: 'utf8' },
    );
    assert.equal(committed, generated, 'run `npm run compose:generate` and commit the result');
  });

  it('has the native topology: 6 CAs, 3 orderers, 6 peers, 12 chaincode servers, 6 IPFS nodes, Postgres', () => {
    const doc = parse(composeDocument()) as { services: Record<string, { image: string }> };
    const names = Object.keys(doc.services);
    const count = (prefix: string): number => names.filter((n) => n.startsWith(prefix)).length;
    assert.equal(count('ca.'), PEER_ORGS.length);
    assert.equal(count('orderer'), 3);
    assert.equal(count('peer0.'), PEER_ORGS.length);
    assert.equal(count('cc.'), PEER_ORGS.length * CHAINCODES.length);
    assert.equal(count('ipfs.'), PEER_ORGS.length);
    assert.ok(doc.services.postgres);
    assert.match(doc.services['peer0.ecta']!.image, /^hyperledger\/fabric-peer:2\.5\./);
  });

  it('carries no machine-specific path and no secret', () => {
    const text = composeDocument();
    assert.ok(!text.includes(REPO_ROOT), 'no absolute path of this checkout');
    assert.ok(!text.includes('.cache/coffee-export'), 'no path into the binary cache');
    assert.doesNotMatch(text, /PASSWORD: [^$]/, 'passwords come from the environment');
  });
});
