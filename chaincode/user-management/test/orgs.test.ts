import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Identity } from '@coffee/chaincode-common/dist/test-support/fakes';
import { UM, admins, newLedger, officers } from './helpers/setup';

const ectaAdmin = admins.ECTAMSP as Identity;
const customsAdmin = admins.CustomsMSP as Identity;

function spki(): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

const KEY1 = spki();
const KEY2 = spki();

interface OrgKeys {
  mspId: string;
  keys: { kid: string; publicKeySpki: string }[];
}

async function keys(ledger: ReturnType<typeof newLedger>): Promise<OrgKeys[]> {
  const out = JSON.parse(await ledger.evaluate(officers.ecta, UM, 'orgs:GetEncryptionKeys')) as {
    orgs: OrgKeys[];
  };
  return out.orgs;
}

describe('orgs: document-encryption public keys', () => {
  it('an org admin publishes its own org key; republishing the current key changes nothing; rotation appends', async () => {
    const ledger = newLedger();
    const publish = (who: Identity, kid: string, key: string): Promise<string> =>
      ledger.submit(who, UM, 'orgs:PublishEncryptionKey', [JSON.stringify({ kid, publicKeySpki: key })]);
    await publish(ectaAdmin, '0123456789abcdef', KEY1);
    assert.equal(ledger.lastEvent()?.name, 'OrgKeyPublished');
    await publish(ectaAdmin, '0123456789abcdef', KEY1);
    let all = await keys(ledger);
    assert.deepEqual(
      all.map((o) => [o.mspId, o.keys.map((k) => k.kid)]),
      [['ECTAMSP', ['0123456789abcdef']]],
    );
    await publish(ectaAdmin, 'fedcba9876543210', KEY2);
    all = await keys(ledger);
    assert.deepEqual(
      all[0]?.keys.map((k) => k.kid),
      ['0123456789abcdef', 'fedcba9876543210'],
    );
    // The org is the caller's MSP, never an argument: customs' admin publishes for customs only.
    await publish(customsAdmin, '1111111111111111', KEY2);
    all = await keys(ledger);
    assert.deepEqual(all.map((o) => o.mspId).sort(), ['CustomsMSP', 'ECTAMSP']);
    assert.deepEqual(all.find((o) => o.mspId === 'ECTAMSP')?.keys.length, 2);
  });

  const refusals: [name: string, who: Identity, input: Record<string, unknown>, code: RegExp][] = [
    [
      'an officer, not an admin',
      officers.ecta,
      { kid: '0123456789abcdef', publicKeySpki: KEY1 },
      /FORBIDDEN_ROLE/,
    ],
    ['a kid that is not 16 hex', ectaAdmin, { kid: 'xyz', publicKeySpki: KEY1 }, /VALIDATION_FAILED/],
    [
      'a PEM with line breaks',
      ectaAdmin,
      { kid: '0123456789abcdef', publicKeySpki: 'a\nb' },
      /VALIDATION_FAILED/,
    ],
    [
      'an extra field naming another org',
      ectaAdmin,
      { kid: '0123456789abcdef', publicKeySpki: KEY1, mspId: 'CustomsMSP' },
      /VALIDATION_FAILED/,
    ],
  ];
  for (const [name, who, input, code] of refusals) {
    it(`refuses ${name}`, async () => {
      const ledger = newLedger();
      await assert.rejects(
        ledger.submit(who, UM, 'orgs:PublishEncryptionKey', [JSON.stringify(input)]),
        code,
      );
      assert.deepEqual(await keys(ledger), []);
    });
  }

  it('a key once replaced cannot come back as current', async () => {
    const ledger = newLedger();
    const publish = (kid: string, key: string): Promise<string> =>
      ledger.submit(ectaAdmin, UM, 'orgs:PublishEncryptionKey', [
        JSON.stringify({ kid, publicKeySpki: key }),
      ]);
    await publish('0123456789abcdef', KEY1);
    await publish('fedcba9876543210', KEY2);
    await assert.rejects(publish('0123456789abcdef', KEY1), /INVALID_TRANSITION/);
  });
});
