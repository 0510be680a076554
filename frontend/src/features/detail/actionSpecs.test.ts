import { describe, expect, it } from 'vitest';
import type { ActionName, DocumentRef, ExportRecord } from '../../api/types';
import { sampleExport } from '../../test/helpers';
import { actionsFor } from '../../lib/workflow';
import { ACTION_SPECS, type Values, initialValues, validateAction } from './actionSpecs';

const doc = (type: DocumentRef['type']): DocumentRef => ({ type, cid: 'QmCid' });
const past = '2020-01-01T10:00';

interface Case {
  action: ActionName;
  record?: Partial<ExportRecord>;
  values: Values;
  docs?: DocumentRef[];
  body: Record<string, unknown>;
  posts?: ActionName;
}

const VALID: Case[] = [
  {
    action: 'register-contract',
    values: { registrationNumber: 'ECTA/REG/1' },
    body: { registrationNumber: 'ECTA/REG/1' },
  },
  {
    action: 'certify-quality',
    record: { status: 'CONTRACT_REGISTERED' },
    values: {
      lotNumber: 'LOT-1',
      warehouseReceiptNumber: 'WR-1',
      certifiedGrade: 'G1',
      cupScore: '86.5',
      moisturePercent: '10.5',
      defectsPer300g: '0',
      certifiedQuantityKg: '19200',
    },
    docs: [doc('QUALITY_CERTIFICATE')],
    body: {
      lotNumber: 'LOT-1',
      warehouseReceiptNumber: 'WR-1',
      certifiedGrade: 'G1',
      cupScore: 86.5,
      moisturePercent: 10.5,
      defectsPer300g: 0,
      certifiedQuantityKg: 19200,
      documents: [doc('QUALITY_CERTIFICATE')],
    },
  },
  {
    action: 'submit-fx',
    record: { status: 'QUALITY_CERTIFIED' },
    values: { paymentMethod: 'LC', evidenceReference: 'LC-778', amountUsd: '81600' },
    docs: [doc('LC_OR_ADVANCE_ADVICE')],
    body: {
      documents: [doc('LC_OR_ADVANCE_ADVICE')],
      fxApplication: { paymentMethod: 'LC', evidenceReference: 'LC-778', amountUsd: 81600 },
    },
  },
  { action: 'approve-fx', record: { status: 'FX_SUBMITTED' }, values: {}, body: {} },
  {
    action: 'book-shipment',
    record: {
      status: 'FX_APPROVED',
      registration: {
        registrationNumber: 'R',
        minimumPriceId: 'MP-000001',
        minimumUsdPerKg: 3,
        registeredAt: '2026-01-01T00:00:00Z',
        shipBy: '2099-01-01T00:00:00Z',
      },
    },
    values: {
      bookingNumber: 'BK-1',
      vesselName: 'MSC Aurora',
      voyageNumber: 'V12',
      containerNumbers: 'mscu1234567, MSKU7654321',
      portOfLoading: 'DJJIB',
      portOfDischarge: 'DEHAM',
      etd: '2098-12-01',
    },
    docs: [doc('BOOKING_CONFIRMATION')],
    body: {
      bookingNumber: 'BK-1',
      vesselName: 'MSC Aurora',
      voyageNumber: 'V12',
      containerNumbers: ['MSCU1234567', 'MSKU7654321'],
      portOfLoading: 'DJJIB',
      portOfDischarge: 'DEHAM',
      etd: '2098-12-01',
      documents: [doc('BOOKING_CONFIRMATION')],
    },
  },
  {
    action: 'clear-customs',
    record: {
      status: 'SHIPMENT_BOOKED',
      documents: (
        [
          'SALES_CONTRACT',
          'PROFORMA_INVOICE',
          'QUALITY_CERTIFICATE',
          'LC_OR_ADVANCE_ADVICE',
          'BOOKING_CONFIRMATION',
          'COMMERCIAL_INVOICE',
          'PACKING_LIST',
          'CERTIFICATE_OF_ORIGIN',
          'PHYTOSANITARY_CERTIFICATE',
        ] as const
      ).map((t) => ({
        ...doc(t),
        sha256: 'a'.repeat(64),
        sizeBytes: 10,
        mediaType: 'application/pdf',
        version: 1,
        uploadedBy: { mspId: 'M', userId: 'u', role: 'r' },
        uploadedAt: '2026-01-01T00:00:00Z',
        txId: 't',
      })),
    },
    values: {
      declarationNumber: 'DEC-1',
      permitNumber: 'FXP-EXP-1-ABCDEF12',
      declaredQuantityKg: '19200',
      declaredGrade: 'G2',
      riskLane: 'GREEN',
      declaredValueUsd: '81600',
    },
    docs: [doc('EXPORT_DECLARATION')],
    body: {
      declarationNumber: 'DEC-1',
      permitNumber: 'FXP-EXP-1-ABCDEF12',
      declaredQuantityKg: 19200,
      declaredGrade: 'G2',
      riskLane: 'GREEN',
      documents: [doc('EXPORT_DECLARATION')],
      customsValue: { declaredValueUsd: 81600 },
    },
    posts: 'clear-customs',
  },
  {
    action: 'clear-customs',
    record: { status: 'UNDER_INSPECTION' },
    values: { findings: 'Seals intact; sample matches.' },
    body: { findings: 'Seals intact; sample matches.' },
    posts: 'complete-inspection',
  },
  {
    action: 'ship',
    record: { status: 'CUSTOMS_CLEARED' },
    values: { billOfLadingNumber: 'BL-1', onBoardDate: past },
    docs: [doc('BILL_OF_LADING')],
    body: {
      billOfLadingNumber: 'BL-1',
      onBoardDate: new Date(past).toISOString().replace('.000Z', 'Z'),
      documents: [doc('BILL_OF_LADING')],
    },
  },
  {
    action: 'add-tracking-event',
    record: { status: 'SHIPPED' },
    values: { location: 'Suez Canal', status: 'IN_TRANSIT', eventTime: past },
    body: {
      location: 'Suez Canal',
      status: 'IN_TRANSIT',
      eventTime: new Date(past).toISOString().replace('.000Z', 'Z'),
    },
  },
  {
    action: 'confirm-payment',
    record: { status: 'SHIPPED' },
    values: { paymentReference: 'SWIFT-1', amountUsd: '81600.00' },
    docs: [doc('PAYMENT_ADVICE')],
    body: {
      paymentReference: 'SWIFT-1',
      documents: [doc('PAYMENT_ADVICE')],
      paymentProceeds: { amountUsd: 81600 },
    },
  },
  { action: 'confirm-repatriation', record: { status: 'PAYMENT_RECEIVED' }, values: {}, body: {} },
  {
    action: 'request-amendment',
    values: { reasonCode: 'DOCUMENT_ILLEGIBLE', reason: 'Page 2 is unreadable' },
    body: { reasonCode: 'DOCUMENT_ILLEGIBLE', reason: 'Page 2 is unreadable' },
  },
  {
    action: 'reject',
    values: { reasonCode: 'PRICE_BELOW_MINIMUM', reason: 'Below minimum' },
    body: { reasonCode: 'PRICE_BELOW_MINIMUM', reason: 'Below minimum' },
  },
  { action: 'cancel', values: { reason: 'Buyer withdrew' }, body: { reason: 'Buyer withdrew' } },
  {
    action: 'attach-documents',
    record: { status: 'FX_APPROVED' },
    values: { invoiceQuantityKg: '19200', invoiceGrade: 'G2', packingQuantityKg: '19200' },
    docs: [doc('COMMERCIAL_INVOICE')],
    body: { documents: [doc('COMMERCIAL_INVOICE')] },
  },
];

describe('action specs: valid input → the JSON the gateway receives', () => {
  it.each(VALID.map((c) => [c.action, c.record?.status ?? 'SUBMITTED', c] as const))(
    '%s at %s',
    (_a, _s, c) => {
      const spec = ACTION_SPECS[c.action];
      const record = sampleExport(c.record);
      const chosen = (c.docs ?? []).map((d) => d.type);
      expect(validateAction(spec, c.values, record, chosen)).toEqual({});
      expect(spec.body(c.values, c.docs ?? [], record)).toEqual(c.body);
      expect(spec.resolve?.(c.values, record) ?? spec.action).toBe(c.posts ?? c.action);
    },
  );
});

describe('action specs: invalid input is refused with the chaincode’s reason', () => {
  it.each([
    ['register-contract', {}, { registrationNumber: '' }, 'registrationNumber', /required/],
    [
      'certify-quality',
      { status: 'CONTRACT_REGISTERED' },
      { certifiedGrade: 'G3' },
      'certifiedGrade',
      /below the contracted G2/,
    ],
    [
      'certify-quality',
      { status: 'CONTRACT_REGISTERED' },
      { certifiedQuantityKg: '100' },
      'certifiedQuantityKg',
      /cover the contracted 19200/,
    ],
    [
      'certify-quality',
      { status: 'CONTRACT_REGISTERED' },
      { cupScore: '101' },
      'cupScore',
      /between 0 and 100/,
    ],
    [
      'certify-quality',
      { status: 'CONTRACT_REGISTERED' },
      { moisturePercent: '10.555' },
      'moisturePercent',
      /2 decimals/,
    ],
    [
      'certify-quality',
      { status: 'CONTRACT_REGISTERED' },
      { defectsPer300g: '2.5' },
      'defectsPer300g',
      /whole number/,
    ],
    ['submit-fx', { status: 'QUALITY_CERTIFIED' }, { amountUsd: '0' }, 'amountUsd', /between 0.01/],
    [
      'book-shipment',
      { status: 'FX_APPROVED' },
      { containerNumbers: 'ABC123' },
      'containerNumbers',
      /MSCU1234567/,
    ],
    [
      'book-shipment',
      { status: 'FX_APPROVED' },
      { portOfDischarge: 'Hamburg' },
      'portOfDischarge',
      /UN\/LOCODE/,
    ],
    [
      'clear-customs',
      { status: 'SHIPMENT_BOOKED' },
      { declaredValueUsd: '' },
      'declaredValueUsd',
      /required/,
    ],
    ['clear-customs', { status: 'SHIPMENT_BOOKED' }, { riskLane: 'BLUE' }, 'riskLane', /Choose/],
    ['clear-customs', { status: 'SHIPMENT_BOOKED' }, {}, '_form', /document set is incomplete/],
    ['ship', { status: 'CUSTOMS_CLEARED' }, { onBoardDate: '2999-01-01T00:00' }, 'onBoardDate', /future/],
    ['add-tracking-event', { status: 'SHIPPED' }, { status: 'in transit' }, 'status', /UPPER_SNAKE/],
    ['request-amendment', {}, { reasonCode: 'bad code' }, 'reasonCode', /UPPER_SNAKE/],
    ['reject', {}, { reason: '' }, 'reason', /required/],
    ['cancel', {}, { reason: ' ' }, 'reason', /required/],
    ['attach-documents', { status: 'FX_APPROVED' }, {}, '_form', /at least one document/],
  ] as const)('%s %j with %j → %s', (action, rec, values, field, message) => {
    const spec = ACTION_SPECS[action];
    const record = sampleExport(rec);
    const errors = validateAction(spec, { ...initialValues(spec, record), ...values }, record, []);
    expect(errors[field]).toMatch(message);
  });

  it('requires invoice facts when a commercial invoice is attached', () => {
    const spec = ACTION_SPECS['attach-documents'];
    const errors = validateAction(
      spec,
      { invoiceQuantityKg: '', invoiceGrade: '', packingQuantityKg: '' },
      sampleExport(),
      ['COMMERCIAL_INVOICE', 'PACKING_LIST'],
    );
    expect(errors.invoiceQuantityKg).toMatch(/quantity/);
    expect(errors.invoiceGrade).toMatch(/grade/);
    expect(errors.packingQuantityKg).toMatch(/quantity/);
  });

  it('sends YELLOW/RED declarations to inspection', () => {
    const spec = ACTION_SPECS['clear-customs'];
    const record = sampleExport({ status: 'SHIPMENT_BOOKED' });
    expect(spec.resolve?.({ riskLane: 'YELLOW' }, record)).toBe('start-inspection');
    expect(spec.resolve?.({ riskLane: 'RED' }, record)).toBe('start-inspection');
    expect(spec.resolve?.({ riskLane: 'GREEN' }, record)).toBe('clear-customs');
  });

  it('amends the FX application only as a whole, with the bank officer allowed to act', () => {
    const record = sampleExport({
      status: 'AMENDMENT_REQUESTED',
      amendment: {
        returnTo: 'FX_SUBMITTED',
        step: 5,
        reasonCode: 'AMOUNT_MISMATCH',
        reason: 'x',
        requestedBy: { mspId: 'NationalBankMSP', userId: 'fx', role: 'fx_officer' },
        requestedAt: '2026-01-01T00:00:00Z',
      },
    });
    const spec = ACTION_SPECS.amend;
    expect(
      validateAction(spec, { paymentMethod: 'LC', evidenceReference: '', amountUsd: '' }, record, [])._form,
    ).toMatch(/together/);
    expect(
      spec.body({ paymentMethod: 'LC', evidenceReference: 'LC-9', amountUsd: '81600' }, [], record),
    ).toEqual({ fxApplication: { paymentMethod: 'LC', evidenceReference: 'LC-9', amountUsd: 81600 } });
    expect(actionsFor('bank_officer', record)).toContain('amend');
    expect(actionsFor('exporter', record)).toContain('amend');
  });
});

describe('amending the trade terms', () => {
  it('sends corrected terms without any salt (the gateway salts the commitment)', () => {
    const record = sampleExport({
      status: 'AMENDMENT_REQUESTED',
      amendment: {
        returnTo: 'SUBMITTED',
        step: 2,
        reasonCode: 'PRICE_BELOW_MINIMUM',
        reason: 'x',
        requestedBy: { mspId: 'ECTAMSP', userId: 'e', role: 'ecta_officer' },
        requestedAt: '2026-01-01T00:00:00Z',
      },
    });
    const spec = ACTION_SPECS.amend;
    const v = {
      unitPriceUsdPerKg: '4.5',
      contractValueUsd: '86400',
      paymentMethod: 'CAD',
      paymentTerms: ' 60 days ',
    };
    expect(validateAction(spec, v, record, [])).toEqual({});
    expect(spec.body(v, [], record)).toEqual({
      tradeTerms: {
        unitPriceUsdPerKg: 4.5,
        contractValueUsd: 86400,
        paymentMethod: 'CAD',
        paymentTerms: '60 days',
      },
    });
    expect(validateAction(spec, { paymentTerms: '60 days' }, record, [])._form).toMatch(/together/);
    expect(spec.fields(record).map((f) => f.name)).not.toContain('salt');
  });

  it('no action asks for a salt', () => {
    for (const spec of Object.values(ACTION_SPECS)) {
      for (const status of ['SHIPMENT_BOOKED', 'UNDER_INSPECTION', 'AMENDMENT_REQUESTED'] as const) {
        const names = spec.fields(sampleExport({ status })).map((f) => `${f.name} ${f.label}`);
        expect(names.join(' ')).not.toMatch(/salt/i);
      }
    }
  });
});

describe('who may act', () => {
  it.each([
    ['ecta_officer', 'SUBMITTED', ['register-contract', 'request-amendment', 'reject']],
    ['grader', 'CONTRACT_REGISTERED', ['certify-quality', 'request-amendment', 'reject']],
    ['bank_officer', 'QUALITY_CERTIFIED', ['submit-fx', 'cancel']],
    ['fx_officer', 'FX_SUBMITTED', ['approve-fx', 'request-amendment', 'reject']],
    ['shipping_agent', 'FX_APPROVED', ['book-shipment']],
    ['customs_officer', 'SHIPMENT_BOOKED', ['clear-customs', 'request-amendment', 'reject']],
    ['shipping_agent', 'CUSTOMS_CLEARED', ['ship']],
    ['shipping_agent', 'SHIPPED', ['add-tracking-event']],
    ['bank_officer', 'SHIPPED', ['confirm-payment']],
    ['fx_officer', 'PAYMENT_RECEIVED', ['confirm-repatriation']],
    ['exporter', 'SUBMITTED', ['attach-documents', 'cancel']],
    ['exporter', 'COMPLETED', []],
    ['auditor', 'SUBMITTED', []],
    ['grader', 'SUBMITTED', []],
  ] as const)('%s at %s → %j', (role, status, expected) => {
    expect(actionsFor(role, sampleExport({ status }))).toEqual(expected);
  });

  it('offers mark-defaulted once the ship-by date has passed before shipment', () => {
    const r = sampleExport({
      status: 'FX_APPROVED',
      registration: {
        registrationNumber: 'R',
        minimumPriceId: 'MP-1',
        minimumUsdPerKg: 1,
        registeredAt: '2026-01-01T00:00:00Z',
        shipBy: '2026-02-01T00:00:00Z',
      },
    });
    expect(actionsFor('customs_officer', r, Date.UTC(2026, 2, 1))).toContain('mark-defaulted');
    expect(actionsFor('customs_officer', r, Date.UTC(2026, 0, 15))).not.toContain('mark-defaulted');
  });

  describe('National Bank delinquency, per export', () => {
    const shipment = {
      billOfLadingNumber: 'BL-1',
      onBoardDate: '2026-01-01T00:00:00Z',
      shippedAt: '2026-01-01T00:00:00Z',
      repatriationDueAt: '2026-04-01T00:00:00Z',
    };
    const marked = {
      markedAt: '2026-04-02T00:00:00Z',
      markedBy: { mspId: 'NationalBankMSP', userId: 'fx1', role: 'fx_officer' },
    };
    const after = Date.UTC(2026, 3, 2);
    const before = Date.UTC(2026, 2, 1);
    it.each([
      [
        'SHIPPED past due, not marked',
        'fx_officer',
        { status: 'SHIPPED', shipment },
        after,
        ['mark-delinquent'],
      ],
      ['SHIPPED before due', 'fx_officer', { status: 'SHIPPED', shipment }, before, []],
      [
        'SHIPPED past due, marked already',
        'fx_officer',
        { status: 'SHIPPED', shipment, delinquency: marked },
        after,
        [],
      ],
      [
        'SHIPPED past due, for the bank officer',
        'bank_officer',
        { status: 'SHIPPED', shipment },
        after,
        ['confirm-payment'],
      ],
      ['SHIPPED past due, for the NB auditor', 'auditor', { status: 'SHIPPED', shipment }, after, []],
      [
        'PAYMENT_RECEIVED, delinquent',
        'fx_officer',
        { status: 'PAYMENT_RECEIVED', shipment, delinquency: marked },
        after,
        ['confirm-repatriation', 'clear-delinquency'],
      ],
      [
        'COMPLETED, delinquent',
        'fx_officer',
        { status: 'COMPLETED', shipment, delinquency: marked },
        after,
        ['clear-delinquency'],
      ],
      [
        'COMPLETED, cleared',
        'fx_officer',
        { status: 'COMPLETED', shipment, delinquency: { ...marked, clearedAt: '2026-04-03T00:00:00Z' } },
        after,
        [],
      ],
      [
        'PAYMENT_RECEIVED, never delinquent',
        'fx_officer',
        { status: 'PAYMENT_RECEIVED', shipment },
        after,
        ['confirm-repatriation'],
      ],
    ] as const)('%s → %s: %j', (_label, role, over, now, expected) => {
      expect(actionsFor(role, sampleExport(over as Partial<ExportRecord>), now)).toEqual(expected);
    });

    it('posts an empty body for both', () => {
      const r = sampleExport({ status: 'SHIPPED', shipment });
      expect(ACTION_SPECS['mark-delinquent'].body({}, [], r)).toEqual({});
      expect(ACTION_SPECS['clear-delinquency'].body({}, [], r)).toEqual({});
      expect(ACTION_SPECS['mark-delinquent'].confirm).toBeTruthy();
    });
  });
});
