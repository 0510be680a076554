/**
 * The EUDR facts of @coffee/consortium: who calls each `eudr` write, whose peers endorse it, who reads plots,
 * and the EUDR error codes (coffee-export's, never user-management's). Deny cases first.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EUDR_ACTORS,
  EUDR_ENDORSERS,
  EUDR_FUNCTIONS,
  EUDR_KEY_ENDORSERS,
  EXPORT_ERROR_CODES,
  ROLES_BY_MSP,
  USER_ERROR_CODES,
  canReadEudrDetails,
  canSeePlot,
  eudrEndorsers,
  httpStatusOf,
  isEuDestination,
  mayCallEudr,
} from '../src/index.js';

describe('eudr: who calls, who endorses', () => {
  it('refuses every org and role outside each function’s actors', () => {
    assert.ok(!mayCallEudr('RegisterPlot', 'CommercialBankMSP', 'bank_officer'));
    assert.ok(!mayCallEudr('RegisterPlot', 'ECTAMSP', 'exporter'));
    assert.ok(!mayCallEudr('ReviewPlot', 'ECTAMSP', 'auditor'));
    assert.ok(!mayCallEudr('ReviewPlot', 'ECTAMSP', 'admin'));
    assert.ok(!mayCallEudr('FlagPlot', 'ECTAMSP', 'auditor'));
    assert.ok(!mayCallEudr('FlagPlot', 'CommercialBankMSP', 'exporter'));
    assert.ok(mayCallEudr('FlagPlot', 'ECTAMSP', 'ecta_officer'));
    assert.ok(!mayCallEudr('LinkLotPlots', 'ECTAMSP', 'ecta_officer'));
    assert.ok(!mayCallEudr('ApproveDdsPackage', 'CustomsMSP', 'customs_officer'));
    assert.ok(mayCallEudr('SetForestLayer', 'ECTAMSP', 'admin'));
    assert.ok(mayCallEudr('LinkLotPlots', 'ECXMSP', 'grader'));
    assert.ok(mayCallEudr('AssembleDdsPackage', 'CommercialBankMSP', 'exporter'));
    for (const fn of EUDR_FUNCTIONS) {
      for (const p of EUDR_ACTORS[fn]) {
        for (const role of p.roles) assert.ok(ROLES_BY_MSP[p.msp].includes(role), `${fn}: ${p.msp} ${role}`);
      }
    }
  });

  it('every write names ECTA and at least one other peer (the chaincode-level policy of new keys)', () => {
    assert.throws(() => eudrEndorsers('NoSuchFunction'), /unknown eudr function/);
    for (const fn of EUDR_FUNCTIONS) {
      const orgs = eudrEndorsers(fn);
      assert.ok(orgs.includes('ECTAMSP') && orgs.length >= 2, fn);
    }
    assert.deepEqual(eudrEndorsers('RegisterPlot'), ['CommercialBankMSP', 'ECTAMSP']);
    assert.deepEqual(eudrEndorsers('LinkLotPlots'), ['ECXMSP', 'ECTAMSP']);
    assert.deepEqual(eudrEndorsers('ApproveDdsPackage'), ['CommercialBankMSP', 'ECTAMSP']);
    assert.deepEqual([...EUDR_KEY_ENDORSERS.layer], ['ECTAMSP']);
    // Each function's endorsers satisfy the key-level policy of the key it writes.
    for (const [fn, kind] of [
      ['RegisterPlot', 'plot'],
      ['ReviewPlot', 'plot'],
      ['FlagPlot', 'plot'],
      ['LinkLotPlots', 'lots'],
      ['AssembleDdsPackage', 'package'],
      ['ApproveDdsPackage', 'package'],
      ['RecordDdsReference', 'package'],
      ['SetForestLayer', 'layer'],
    ] as const) {
      for (const org of EUDR_KEY_ENDORSERS[kind]) assert.ok(EUDR_ENDORSERS[fn].includes(org), `${fn} ${org}`);
    }
  });
});

describe('eudr: who reads plots', () => {
  const plot = { exporterId: 'EXP-001' };
  it('hides a plot from another exporter, the National Bank, the shipping line and other orgs’ admins', () => {
    assert.ok(!canSeePlot({ mspId: 'CommercialBankMSP', role: 'exporter', exporterId: 'EXP-002' }, plot));
    assert.ok(!canSeePlot({ mspId: 'CommercialBankMSP', role: 'exporter' }, plot));
    assert.ok(!canSeePlot({ mspId: 'NationalBankMSP', role: 'fx_officer' }, plot));
    assert.ok(!canSeePlot({ mspId: 'NationalBankMSP', role: 'auditor' }, plot));
    assert.ok(!canSeePlot({ mspId: 'ShippingLineMSP', role: 'shipping_agent' }, plot));
    assert.ok(!canSeePlot({ mspId: 'ECTAMSP', role: 'admin' }, plot));
    assert.ok(!canSeePlot({ mspId: 'OtherMSP', role: 'grader' }, plot));
    assert.ok(!canReadEudrDetails({ mspId: 'NationalBankMSP', role: 'fx_officer' }));
    assert.ok(!canReadEudrDetails({ mspId: 'ShippingLineMSP', role: 'shipping_agent' }));
  });

  it('shows it to its exporter, the exporter’s bank, ECTA, ECX and Customs', () => {
    assert.ok(canSeePlot({ mspId: 'CommercialBankMSP', role: 'exporter', exporterId: 'EXP-001' }, plot));
    for (const [mspId, role] of [
      ['CommercialBankMSP', 'bank_officer'],
      ['CommercialBankMSP', 'admin'],
      ['CommercialBankMSP', 'auditor'],
      ['ECTAMSP', 'ecta_officer'],
      ['ECXMSP', 'grader'],
      ['CustomsMSP', 'customs_officer'],
      ['CustomsMSP', 'auditor'],
    ] as const) {
      assert.ok(canSeePlot({ mspId, role }, plot), `${mspId} ${role}`);
    }
    assert.ok(canReadEudrDetails({ mspId: 'CustomsMSP', role: 'customs_officer' }));
  });
});

describe('eudr: destinations and error codes', () => {
  it('the EU is its member states (Greece also as EL), nowhere else', () => {
    for (const c of ['US', 'GB', 'CH', 'NO', 'JP', 'ET', '']) assert.ok(!isEuDestination(c), c);
    for (const c of ['DE', 'de', ' NL ', 'EL', 'GR']) assert.ok(isEuDestination(c), c);
  });

  it('EUDR codes are coffee-export’s only, with their HTTP classes', () => {
    const eudr = EXPORT_ERROR_CODES.filter((c) => c.startsWith('EUDR_'));
    assert.ok(eudr.length >= 10);
    for (const c of eudr) assert.ok(!(USER_ERROR_CODES as readonly string[]).includes(c), c);
    assert.equal(httpStatusOf('EUDR_PLOT_NOT_FOUND'), 404);
    assert.equal(httpStatusOf('EUDR_PLOT_EXISTS'), 409);
    assert.equal(httpStatusOf('EUDR_PACKAGE_REQUIRED'), 422);
    assert.equal(httpStatusOf('EUDR_PLOT_NOT_CLEARED'), 422);
  });
});
