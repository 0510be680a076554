import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACTIONS,
  ACTION_NAMES,
  CREATE_ENDORSERS,
  ENDORSERS_BY_STATUS,
  ERROR_HTTP_STATUS,
  EXPORT_ERROR_CODES,
  EXPORT_STATUSES,
  MSP_IDS,
  ORGS,
  PRIVATE_INPUTS,
  REVIEWERS,
  REVIEW_STATUSES,
  ROLES,
  ROLES_BY_MSP,
  TRANSITIONS,
  USER_ERROR_CODES,
  displayNameOf,
  endorsersNeedStatus,
  exportEndorsers,
  httpStatusOf,
  isActionName,
  mayCall,
  orgOf,
  parseChaincodeMessage,
  pendingReview,
  rolesOf,
  startsFrom,
  type ExportFunction,
  type Permission,
} from '../src';

const transitions = Object.entries(TRANSITIONS) as [ExportFunction, (typeof TRANSITIONS)[ExportFunction]][];

describe('the org table', () => {
  it('ids, MSP ids, domains, port blocks and gateway ports are unique', () => {
    for (const key of ['id', 'mspId', 'domain', 'defaultPortBase', 'defaultGatewayPort'] as const) {
      assert.equal(new Set(ORGS.map((o) => o[key])).size, ORGS.length, key);
    }
    assert.deepEqual(
      MSP_IDS,
      ORGS.map((o) => o.mspId),
    );
  });

  it('every org issues admin and auditor, and every role of the vocabulary exists in some org', () => {
    for (const o of ORGS) assert.ok(o.roles.includes('admin') && o.roles.includes('auditor'), o.id);
    for (const r of ROLES)
      assert.ok(
        ORGS.some((o) => o.roles.includes(r)),
        r,
      );
    assert.deepEqual(ROLES_BY_MSP.ECTAMSP, ['ecta_officer', 'admin', 'auditor']);
  });

  it('looks orgs up by id or MSP id and refuses unknown ones with the known ids', () => {
    assert.equal(orgOf('ecx').mspId, 'ECXMSP');
    assert.equal(orgOf('CustomsMSP').id, 'customs');
    assert.throws(
      () => orgOf('bank-of-nowhere'),
      /unknown organization 'bank-of-nowhere' \(known: commercial-bank,/,
    );
    assert.equal(displayNameOf('ECTAMSP'), 'ECTA (Coffee & Tea Authority)');
    assert.equal(displayNameOf('OtherMSP'), 'OtherMSP');
  });
});

describe('who may do what', () => {
  it("every actor's role is one its org's CA issues", () => {
    for (const [fn, t] of transitions) {
      if (t.actors === 'ANY') continue;
      for (const p of t.actors as readonly Permission[]) {
        for (const r of p.roles) assert.ok(ROLES_BY_MSP[p.msp].includes(r), `${fn}: ${p.msp} ${r}`);
      }
    }
  });

  it('every transition starts from known states and takes only known private inputs', () => {
    for (const [fn, t] of transitions) {
      for (const s of t.from)
        assert.ok((EXPORT_STATUSES as readonly string[]).includes(s), `${fn} from ${s}`);
      for (const k of t.transient) assert.ok(PRIVATE_INPUTS.includes(k), `${fn} takes ${k}`);
    }
    assert.deepEqual(TRANSITIONS.CreateExport.from, []);
  });

  it('every API action calls a transition, and every transition but CreateExport has an action', () => {
    const called = new Set(Object.values(ACTIONS));
    for (const fn of Object.keys(TRANSITIONS)) {
      if (fn !== 'CreateExport') assert.ok((called as Set<string>).has(fn), `${fn} has no API action`);
    }
    assert.ok(isActionName('approve-fx'));
    assert.ok(!isActionName('toString'));
    assert.equal(ACTION_NAMES.length, Object.keys(ACTIONS).length);
  });

  it('deny cases: the wrong org, the wrong role, an auditor, an admin', () => {
    assert.ok(mayCall('ApproveFx', 'NationalBankMSP', 'fx_officer'));
    assert.ok(!mayCall('ApproveFx', 'CommercialBankMSP', 'fx_officer'));
    assert.ok(!mayCall('ApproveFx', 'NationalBankMSP', 'auditor'));
    assert.ok(!mayCall('RecordDefault', 'ECTAMSP', 'auditor'));
    assert.ok(!mayCall('RecordDefault', 'ECTAMSP', 'admin'));
    assert.ok(mayCall('RecordDefault', 'ECTAMSP', 'ecta_officer'));
    assert.ok(!rolesOf('RecordDefault').includes('auditor'));
    assert.deepEqual(rolesOf('SubmitAmendment'), ['exporter', 'bank_officer']);
  });

  it('reviews: each review state has its reviewer; inspection is customs’ review; amendments return', () => {
    for (const s of REVIEW_STATUSES) assert.equal(pendingReview(s), s);
    assert.equal(pendingReview('UNDER_INSPECTION'), 'SHIPMENT_BOOKED');
    assert.equal(pendingReview('AMENDMENT_REQUESTED', 'FX_SUBMITTED'), 'FX_SUBMITTED');
    assert.equal(pendingReview('SHIPPED'), undefined);
    assert.equal(REVIEWERS.SHIPMENT_BOOKED.msp, 'CustomsMSP');
    assert.ok(startsFrom('RequestAmendment', 'UNDER_INSPECTION'));
    assert.ok(!startsFrom('RequestAmendment', 'AMENDMENT_REQUESTED'));
    assert.ok(startsFrom('RejectExport', 'AMENDMENT_REQUESTED'));
  });
});

describe('endorsers', () => {
  it('every status names at least two orgs, always ECTA; a create is the bank and ECTA', () => {
    for (const s of EXPORT_STATUSES) {
      const orgs = ENDORSERS_BY_STATUS[s];
      assert.ok(orgs.length >= 2 && orgs.includes('ECTAMSP'), s);
    }
    assert.deepEqual(exportEndorsers('', 'CreateExport'), [...CREATE_ENDORSERS]);
    assert.deepEqual(exportEndorsers('FX_SUBMITTED', 'ApproveFx'), ['NationalBankMSP', 'ECTAMSP']);
    assert.equal(exportEndorsers('SHIPPED', 'MarkDelinquent'), undefined);
    assert.throws(() => exportEndorsers('NOT_A_STATUS', 'ApproveFx'), /unknown export status/);
    assert.ok(endorsersNeedStatus('ApproveFx') && !endorsersNeedStatus('CreateExport'));
  });
});

describe('error codes', () => {
  it('each chaincode refuses with a subset of the table, and both share the common codes', () => {
    for (const c of [...EXPORT_ERROR_CODES, ...USER_ERROR_CODES]) assert.ok(c in ERROR_HTTP_STATUS, c);
    assert.ok(
      EXPORT_ERROR_CODES.includes('EXPORT_NOT_FOUND') && !EXPORT_ERROR_CODES.includes('USER_EXISTS' as never),
    );
    assert.ok(
      USER_ERROR_CODES.includes('USER_EXISTS') && !USER_ERROR_CODES.includes('EXPORT_NOT_FOUND' as never),
    );
    assert.ok(
      EXPORT_ERROR_CODES.includes('VALIDATION_FAILED') && USER_ERROR_CODES.includes('VALIDATION_FAILED'),
    );
  });

  it('maps codes to HTTP classes; an unknown code is an upstream fault', () => {
    assert.equal(httpStatusOf('VALIDATION_FAILED'), 400);
    assert.equal(httpStatusOf('FORBIDDEN_ROLE'), 403);
    assert.equal(httpStatusOf('EXPORT_NOT_FOUND'), 404);
    assert.equal(httpStatusOf('INVALID_TRANSITION'), 409);
    assert.equal(httpStatusOf('BELOW_MINIMUM_PRICE'), 422);
    assert.equal(httpStatusOf('UPSTREAM_ERROR'), 502);
    assert.equal(httpStatusOf('SOMETHING_ELSE'), 502);
    assert.equal(httpStatusOf('constructor'), 502);
  });

  it('finds the first known code in a wrapped message, skipping unknown upper-case words', () => {
    assert.deepEqual(parseChaincodeMessage('EXPORT_NOT_FOUND: export E1 does not exist'), {
      code: 'EXPORT_NOT_FOUND',
      detail: 'export E1 does not exist',
    });
    assert.deepEqual(
      parseChaincodeMessage('chaincode response 500, NOTE: relayed LICENSE_INVALID: licence expired'),
      { code: 'LICENSE_INVALID', detail: 'licence expired' },
    );
    assert.equal(parseChaincodeMessage('connection refused'), undefined);
  });
});
