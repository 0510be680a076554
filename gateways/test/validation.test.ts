/** Request validation: hostile or malformed input is refused by the schemas, before any service runs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from '../src/routes/http.ts';
import {
  ActionBody,
  CreateExportBody,
  CreateUserBody,
  ID,
  ListExportsQuery,
  LoginBody,
} from '../src/routes/schemas.ts';
import { AppError } from '../src/errors.ts';

function rejects(schema: Parameters<typeof parse>[0], value: unknown): AppError {
  try {
    parse(schema, value, 'body');
  } catch (e: unknown) {
    assert.ok(e instanceof AppError);
    assert.equal(e.status, 400);
    assert.equal(e.code, 'VALIDATION_FAILED');
    return e;
  }
  assert.fail(`accepted ${JSON.stringify(value)}`);
}

const goodExport = {
  contract: {
    contractNumber: 'SC-1',
    buyerName: 'Buyer GmbH',
    destinationCountry: 'DE',
    contractedGrade: 'G2',
    quantityKg: 19200,
    originRegion: 'SIDAMA',
    incoterm: 'FOB',
  },
  documents: [{ type: 'SALES_CONTRACT', cid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' }],
  tradeTerms: { unitPriceUsdPerKg: 5.5, contractValueUsd: 105600, paymentMethod: 'LC' },
};

describe('schemas', () => {
  it('ids refuse SQL-looking and path-looking input', () => {
    for (const v of ["EXP-1' OR '1'='1", 'a;DROP TABLE users', '../etc/passwd', '', 'x'.repeat(65), 'EXP 1'])
      rejects(ID, v);
    assert.equal(parse(ID, 'EXP-20261121-AB12', 'id'), 'EXP-20261121-AB12');
  });

  it('login needs both fields and nothing else', () => {
    rejects(LoginBody, { username: 'a' });
    rejects(LoginBody, { username: 'a', password: 'b', role: 'admin' });
    rejects(LoginBody, { username: { $ne: null }, password: 'x' });
  });

  it('user creation enforces username pattern and password length', () => {
    rejects(CreateUserBody, { username: "admin'--", password: 'x'.repeat(12), role: 'admin' });
    rejects(CreateUserBody, { username: 'bob', password: 'short', role: 'admin' });
    parse(CreateUserBody, { username: 'bob', password: 'x'.repeat(12), role: 'grader' }, 'body');
  });

  it('export creation: valid body passes, unknown fields / bad enums / bad CIDs do not', () => {
    parse(CreateExportBody, goodExport, 'body');
    rejects(CreateExportBody, { ...goodExport, exporterId: 'EXP-OTHER' });
    rejects(CreateExportBody, { ...goodExport, contract: { ...goodExport.contract, incoterm: 'EXW' } });
    rejects(CreateExportBody, { ...goodExport, documents: [{ type: 'SALES_CONTRACT', cid: 'not-a-cid' }] });
    rejects(CreateExportBody, { ...goodExport, documents: [] });
    const e = rejects(CreateExportBody, {
      ...goodExport,
      contract: { ...goodExport.contract, quantityKg: -5 },
    });
    assert.ok(e.errors?.some((x) => x.path === 'body.contract.quantityKg'));
  });

  it('list query coerces limit and bounds it', () => {
    assert.equal(parse(ListExportsQuery, {}, 'query').limit, 20);
    assert.equal(parse(ListExportsQuery, { limit: '5' }, 'query').limit, 5);
    rejects(ListExportsQuery, { limit: '1000' });
    rejects(ListExportsQuery, { limit: 'abc' });
    rejects(ListExportsQuery, { status: "SUBMITTED' OR 1=1" });
    rejects(ListExportsQuery, { sort: 'x' });
    parse(ListExportsQuery, { q: "'; DROP TABLE rm_exports; --" }, 'query');
  });

  it('action bodies take scalar fields, private objects and documents, not deep structures', () => {
    parse(ActionBody, { registrationNumber: 'REG-1' }, 'body');
    parse(
      ActionBody,
      { fxApplication: { paymentMethod: 'LC', evidenceReference: 'LC-1', amountUsd: 100 } },
      'body',
    );
    rejects(ActionBody, { deep: { a: { b: 1 } } });
    rejects(ActionBody, { documents: [{ type: 'X', cid: 'nope' }] });
  });
});
