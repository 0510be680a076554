import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { skipDisabledLogLines } from '../src/shim-logging';

// The winston fabric-shim loads, as the chaincode servers get it.
const winston = createRequire(require.resolve('fabric-shim'))('winston') as typeof import('winston');

function countingLogger(level: string): {
  logger: import('winston').Logger;
  formatted: string[];
  written: string[];
} {
  const formatted: string[] = [];
  const written: string[] = [];
  const count = winston.format((info) => {
    formatted.push(String(info.message));
    return info;
  });
  const sink = new Writable({
    objectMode: true,
    write(info: { message: string }, _enc, done) {
      written.push(info.message);
      done();
    },
  });
  const logger = winston.createLogger({
    level,
    format: count(),
    transports: [new winston.transports.Stream({ stream: sink })],
  });
  return { logger, formatted, written };
}

describe('fabric-shim logging: lines below the level are dropped before winston formats them', () => {
  it('unpatched, winston formats a debug line at level warn and then drops it (the cost this removes)', () => {
    // Runs first (node:test keeps the order), before anything in this process patched winston.
    const { logger, formatted } = countingLogger('warn');
    logger.log('debug', 'formatted for nothing');
    assert.deepEqual(formatted, ['formatted for nothing']);
  });

  it('patched: a debug line at level warn is never formatted; warn and error lines are formatted and written', () => {
    assert.equal(skipDisabledLogLines(), true, 'found the winston fabric-shim uses');
    assert.equal(skipDisabledLogLines(), true, 'a second call is harmless');
    const { logger, formatted, written } = countingLogger('warn');
    logger.debug('per-transaction detail');
    logger.log('info', 'also below');
    logger.info({ message: 'below as an object' });
    logger.warn('kept');
    logger.error('kept too');
    assert.deepEqual(formatted, ['kept', 'kept too']);
    assert.deepEqual(written, ['kept', 'kept too']);
  });

  it('patched: a logger at debug still formats and writes debug lines, and a level change takes effect', () => {
    skipDisabledLogLines();
    const { logger, written } = countingLogger('debug');
    logger.debug('wanted');
    logger.level = 'error';
    logger.debug('not any more');
    logger.error('still');
    assert.deepEqual(written, ['wanted', 'still']);
  });
});
