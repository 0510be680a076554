import { describe, expect, it } from 'vitest';
import { EMPTY_WIZARD, WIZARD_STEPS, type WizardValues, toCreateBody, validateWizard } from './wizardModel';

const NOW = Date.UTC(2026, 10, 21, 12);
const VALID: WizardValues = {
  contractedGrade: 'G2',
  quantityKg: '19200',
  originRegion: 'SIDAMA',
  buyerName: 'Hamburg Coffee GmbH',
  destinationCountry: 'DE',
  contractNumber: 'SC-2026-001',
  incoterm: 'FOB',
  unitPriceUsdPerKg: '4.25',
  contractValueUsd: '81600.00',
  paymentMethod: 'LC',
  paymentTerms: '',
  shipEarliest: '2026-12-01',
  shipLatest: '2027-01-31',
};

function stepErrors(id: string, over: Partial<WizardValues>): Record<string, string | undefined> {
  const step = WIZARD_STEPS.find((s) => s.id === id);
  if (!step) throw new Error(id);
  return step.validate({ ...VALID, ...over }, NOW);
}

describe('create wizard validation', () => {
  it('accepts a complete, consistent request', () => {
    expect(validateWizard(VALID, NOW)).toEqual({});
  });

  it('reports every required field of an empty request', () => {
    const errors = validateWizard(EMPTY_WIZARD, NOW);
    expect(Object.keys(errors).sort()).toEqual(
      [
        'buyerName',
        'contractNumber',
        'contractValueUsd',
        'contractedGrade',
        'destinationCountry',
        'incoterm',
        'originRegion',
        'paymentMethod',
        'quantityKg',
        'shipEarliest',
        'shipLatest',
        'unitPriceUsdPerKg',
      ].sort(),
    );
  });

  it.each([
    ['coffee', { contractedGrade: 'G10' }, 'contractedGrade', /Choose/],
    ['coffee', { quantityKg: '0' }, 'quantityKg', /between 1 and/],
    ['coffee', { quantityKg: '12.5' }, 'quantityKg', /whole number/],
    ['coffee', { quantityKg: '10000001' }, 'quantityKg', /between/],
    ['coffee', { originRegion: 'sidama' }, 'originRegion', /UPPER_SNAKE/],
    ['buyer', { buyerName: '' }, 'buyerName', /required/],
    ['buyer', { buyerName: 'x'.repeat(201) }, 'buyerName', /at most 200/],
    ['buyer', { destinationCountry: 'Germany' }, 'destinationCountry', /2-letter/],
    ['terms', { contractNumber: ' SC' }, 'contractNumber', /letters, digits/],
    ['terms', { incoterm: 'EXW' }, 'incoterm', /Choose/],
    ['terms', { unitPriceUsdPerKg: '4.12345' }, 'unitPriceUsdPerKg', /4 decimals/],
    ['terms', { unitPriceUsdPerKg: '1000.5' }, 'unitPriceUsdPerKg', /between/],
    ['terms', { contractValueUsd: '81600.001' }, 'contractValueUsd', /2 decimals/],
    ['terms', { contractValueUsd: '81000' }, 'contractValueUsd', /unit price × quantity \(81600\.00 USD\)/],
    ['terms', { paymentMethod: 'CASH' }, 'paymentMethod', /Choose/],
    ['terms', { paymentTerms: 'bad\u0001' }, 'paymentTerms', /control characters/],
    ['window', { shipEarliest: '2026-11-01' }, 'shipEarliest', /past/],
    ['window', { shipEarliest: 'soon' }, 'shipEarliest', /valid date/],
    ['window', { shipLatest: '2026-11-30' }, 'shipLatest', /before the earliest/],
    ['window', { shipLatest: '2029-01-01' }, 'shipLatest', /within 730 days/],
  ] as const)('step %s refuses %j (%s)', (step, over, field, message) => {
    const errors = stepErrors(step, over);
    expect(errors[field]).toMatch(message);
  });

  it('builds the POST /exports body with trade terms apart from the public contract, without a salt', () => {
    const body = toCreateBody({ ...VALID, destinationCountry: 'de', paymentTerms: ' 30 days ' }, 'EXP-1', []);
    expect(body).toEqual({
      exportId: 'EXP-1',
      contract: {
        contractNumber: 'SC-2026-001',
        buyerName: 'Hamburg Coffee GmbH',
        destinationCountry: 'DE',
        contractedGrade: 'G2',
        quantityKg: 19200,
        originRegion: 'SIDAMA',
        incoterm: 'FOB',
      },
      tradeTerms: {
        unitPriceUsdPerKg: 4.25,
        contractValueUsd: 81600,
        paymentMethod: 'LC',
        paymentTerms: '30 days',
      },
      documents: [],
      details: { shipEarliest: '2026-12-01', shipLatest: '2027-01-31' },
    });
  });
});
