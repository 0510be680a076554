import '@coffee/chaincode-common/dist/test-support/quiet';
import { resolve } from 'node:path';
import { contractLayout, determinismGuard } from '@coffee/chaincode-common/dist/test-support/structure';
import { contracts } from '../src/index';

// Compiled to dist/test: this chaincode's own sources sit two levels up (the shared ones are scanned by
// chaincode/common's own structure test).
const SRC = resolve(__dirname, '../../src');

determinismGuard(SRC);
contractLayout(SRC, contracts);
