/** config.ts fails fast with a clear message; production refuses development defaults. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('config', () => {
  it('names the problem when ORG is missing or unknown', () => {
    assert.throws(
      () => loadConfig({}),
      (e: unknown) => e instanceof ConfigError && /ORG: must be one of commercial-bank/.test(e.message),
    );
    assert.throws(() => loadConfig({ ORG: 'acme' }), ConfigError);
  });

  it('refuses an access-token lifetime over 24 h and a bad port', () => {
    assert.throws(
      () => loadConfig({ ORG: 'ecta', ACCESS_TOKEN_TTL_SECONDS: '90000' }),
      /ACCESS_TOKEN_TTL_SECONDS: must be between 60 and 86400/,
    );
    assert.throws(() => loadConfig({ ORG: 'ecta', PORT: 'eighty' }), /PORT/);
  });

  it('production requires every secret from the environment and refuses weak defaults', () => {
    assert.throws(
      () => loadConfig({ ORG: 'ecta', NODE_ENV: 'production' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        ['DATABASE_URL', 'JWT_PRIVATE_KEY_FILE', 'CUSTODY_KEY', 'ADMIN_INITIAL_PASSWORD'].every((k) =>
          e.message.includes(k),
        ),
    );
    assert.throws(
      () =>
        loadConfig({
          ORG: 'ecta',
          NODE_ENV: 'production',
          DATABASE_URL: 'postgres://u:p@db/x',
          IPFS_API_URL: 'http://127.0.0.1:5001',
          JWT_PRIVATE_KEY_FILE: '/k',
          JWT_PUBLIC_KEY_FILE: '/p',
          CUSTODY_KEY: Buffer.alloc(32).toString('base64'),
          ADMIN_INITIAL_PASSWORD: 'admin',
        }),
      /ADMIN_INITIAL_PASSWORD must be at least 12 characters/,
    );
  });
});
