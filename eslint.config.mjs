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
    files: ['chaincode/*/src/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...nondeterministic],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Randomness breaks endorsement agreement.' },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'child_process', 'node:child_process',
            'http', 'https', 'node:http', 'node:https', 'net', 'node:net', 'crypto', 'os', 'node:os', 'uuid'],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
