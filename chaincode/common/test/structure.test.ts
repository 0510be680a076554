import '../test-support/quiet';
import { resolve } from 'node:path';
import { describe } from 'node:test';
import { healthContract } from '../src/health';
import { determinismGuard, transactionsDecorated } from '../test-support/structure';

// Compiled to dist/test: the sources sit two levels up.
determinismGuard(resolve(__dirname, '../../src'));

describe('contract layout', () => {
  transactionsDecorated([healthContract('any-chaincode')]);
});
