import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { createPool } from '../src/db/pool.ts';

describe('database pool', () => {
  it('a checked-out client whose server goes away does not crash the process', () => {
    const pool = createPool('postgres://nobody@127.0.0.1:1/none');
    // What pg does for every new connection; the client then may be checked out when Postgres stops (57P01).
    const client = new EventEmitter();
    pool.emit('connect', client);
    assert.ok(client.listenerCount('error') > 0, 'every client has an error listener');
    assert.doesNotThrow(() =>
      client.emit('error', Object.assign(new Error('terminating connection'), { code: '57P01' })),
    );
    // Without the listener, EventEmitter throws an unheard 'error' (what crashed two gateways in fault case 9).
    const bare = new EventEmitter();
    assert.throws(() => bare.emit('error', new Error('terminating connection')));
    void pool.end();
  });
});
