// Flat ESLint config for every workspace. Type-checked rules for TypeScript sources;
// chaincode sources additionally may not touch clocks, randomness, timers, env or I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nondeterministic = [
  { name: 'Date', message: 'Chaincode must use the transaction timestamp (ctx.stub.getTxTimestamp()).' },
  { name: 'setTimeout', message: 'Timers are non-deterministic in chaincode.' },
  { name: 'setInterval', message: 'Timers are non-deterministic in chaincode.' },
  { name: 'setImmediate', message: 'Timers are non-deterministic in chaincode.' },
  { name: 'process', message: 'Environment and process state differ between endorsers.' },
  { name: 'fetch', message: 'Network I/O is non-deterministic in chaincode.' },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.run/**', 'frontend/dist/**', '**/*.d.ts'] },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'error',
    },
  },
  {
    // chaincode/common/src runs inside both chaincodes: the same rules apply to it.
    files: ['chaincode/*/src/**/*.ts', 'chaincode/common/src/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...nondeterministic,
        { name: 'crypto', message: 'Web Crypto offers randomness; import { createHash } from node:crypto.' },
        { name: 'performance', message: 'Clocks are non-deterministic in chaincode.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Randomness breaks endorsement agreement.' },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...[
              'fs',
              'node:fs',
              'fs/promises',
              'node:fs/promises',
              'child_process',
              'node:child_process',
              'http',
              'https',
              'node:http',
              'node:https',
              'http2',
              'node:http2',
              'net',
              'node:net',
              'dgram',
              'node:dgram',
              'dns',
              'node:dns',
              'os',
              'node:os',
              'worker_threads',
              'node:worker_threads',
              'timers',
              'node:timers',
              'uuid',
            ].map((name) => ({ name, message: 'I/O, clocks and randomness differ between endorsers.' })),
            { name: 'crypto', message: "Import createHash from 'node:crypto' (hashing only)." },
            // Hashing is deterministic; everything random (randomBytes, randomUUID, keys, ...) is not.
            {
              name: 'node:crypto',
              allowImportNames: ['createHash'],
              message: 'Only createHash (sha256) is deterministic.',
            },
          ],
        },
      ],
      // Validation deliberately matches control characters (U+0000 etc.) to refuse them.
      'no-control-regex': 'off',
    },
  },
  {
    files: [
      'chaincode/*/test/**/*.ts',
      'chaincode/common/test/**/*.ts',
      'chaincode/common/test-support/**/*.ts',
      'network/test/**/*.ts',
      'network/bench/**/*.test.ts',
      'network/faults/**/*.test.ts',
      'gateways/test/**/*.ts',
      'frontend/e2e/*.integration.test.ts',
      'frontend/server/**/*.test.ts',
      'scripts/**/*.test.ts',
    ],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
