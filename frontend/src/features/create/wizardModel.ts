/** The create-request wizard's steps, fields and validation (mirrors SubmitExport's input rules). */
import { GRADES, INCOTERMS, PAYMENT_METHODS } from '../../api/types';
import type { CreateExportBody } from '../../api/client';
import {
  type Errors,
  type Validator,
  contractValue,
  oneOf,
  optional,
  parseInstant,
  rules,
  text,
  validateAll,
  valueMatchesQuantity,
} from '../../lib/validation';

export type WizardKey =
  | 'contractedGrade'
  | 'quantityKg'
  | 'originRegion'
  | 'buyerName'
  | 'destinationCountry'
  | 'contractNumber'
  | 'incoterm'
  | 'unitPriceUsdPerKg'
  | 'contractValueUsd'
  | 'paymentMethod'
  | 'paymentTerms'
  | 'shipEarliest'
  | 'shipLatest';

export type WizardValues = Record<WizardKey, string>;

export const EMPTY_WIZARD: WizardValues = {
  contractedGrade: '',
  quantityKg: '',
  originRegion: '',
  buyerName: '',
  destinationCountry: '',
  contractNumber: '',
  incoterm: '',
  unitPriceUsdPerKg: '',
  contractValueUsd: '',
  paymentMethod: '',
  paymentTerms: '',
  shipEarliest: '',
  shipLatest: '',
};

const DAY = 86_400_000;
/** The longest ship-by window ECTA can configure (730 days). */
export const MAX_WINDOW_DAYS = 730;

function todayStart(now: number): number {
  return Math.floor(now / DAY) * DAY;
}

export interface WizardStep {
  id: 'coffee' | 'buyer' | 'terms' | 'window' | 'documents' | 'review';
  title: string;
  fields: WizardKey[];
  validate: (v: WizardValues, now?: number) => Errors<WizardKey>;
}

const byField: Partial<Record<WizardKey, Validator>> = {
  contractedGrade: oneOf('Contracted grade', GRADES),
  quantityKg: rules.quantityKg(),
  originRegion: rules.region,
  buyerName: rules.buyerName,
  destinationCountry: rules.country,
  contractNumber: rules.reference('Contract number'),
  incoterm: oneOf('Incoterm', INCOTERMS),
  unitPriceUsdPerKg: rules.usdPerKg(),
  contractValueUsd: rules.usd('Contract value (USD)'),
  paymentMethod: oneOf('Payment method', PAYMENT_METHODS),
  paymentTerms: optional(text('Payment terms', 1000, { multiline: true })),
};

function pick(keys: WizardKey[]): Partial<Record<WizardKey, Validator>> {
  const out: Partial<Record<WizardKey, Validator>> = {};
  for (const k of keys) if (byField[k]) out[k] = byField[k];
  return out;
}

function validateTerms(v: WizardValues): Errors<WizardKey> {
  const errors = validateAll(
    v,
    pick([
      'contractNumber',
      'incoterm',
      'unitPriceUsdPerKg',
      'contractValueUsd',
      'paymentMethod',
      'paymentTerms',
    ]),
  );
  if (
    !errors.unitPriceUsdPerKg &&
    !errors.contractValueUsd &&
    rules.quantityKg()(v.quantityKg) === undefined
  ) {
    const price = Number(v.unitPriceUsdPerKg);
    const qty = Number(v.quantityKg);
    if (!valueMatchesQuantity(price, qty, Number(v.contractValueUsd))) {
      errors.contractValueUsd = `Contract value must equal unit price × quantity (${contractValue(price, qty).toFixed(2)} USD)`;
    }
  }
  return errors;
}

function validateWindow(v: WizardValues, now = Date.now()): Errors<WizardKey> {
  const today = todayStart(now);
  const errors: Errors<WizardKey> = {};
  const earliest = parseInstant(v.shipEarliest);
  if (v.shipEarliest.trim() === '') errors.shipEarliest = 'Earliest shipment is required';
  else if (earliest === undefined) errors.shipEarliest = 'Earliest shipment must be a valid date';
  else if (earliest < today) errors.shipEarliest = 'Earliest shipment cannot be in the past';
  const latest = parseInstant(v.shipLatest);
  if (v.shipLatest.trim() === '') errors.shipLatest = 'Latest shipment is required';
  else if (latest === undefined) errors.shipLatest = 'Latest shipment must be a valid date';
  else if (earliest !== undefined && latest < earliest)
    errors.shipLatest = 'Latest shipment must not be before the earliest shipment';
  else if (latest > today + MAX_WINDOW_DAYS * DAY)
    errors.shipLatest = `Latest shipment must be within ${MAX_WINDOW_DAYS} days from today`;
  return errors;
}

export const WIZARD_STEPS: WizardStep[] = [
  {
    id: 'coffee',
    title: 'Coffee',
    fields: ['contractedGrade', 'quantityKg', 'originRegion'],
    validate: (v) => validateAll(v, pick(['contractedGrade', 'quantityKg', 'originRegion'])),
  },
  {
    id: 'buyer',
    title: 'Buyer',
    fields: ['buyerName', 'destinationCountry'],
    validate: (v) => validateAll(v, pick(['buyerName', 'destinationCountry'])),
  },
  {
    id: 'terms',
    title: 'Contract terms',
    fields: [
      'contractNumber',
      'incoterm',
      'unitPriceUsdPerKg',
      'contractValueUsd',
      'paymentMethod',
      'paymentTerms',
    ],
    validate: validateTerms,
  },
  {
    id: 'window',
    title: 'Shipment window',
    fields: ['shipEarliest', 'shipLatest'],
    validate: validateWindow,
  },
  { id: 'documents', title: 'Documents', fields: [], validate: () => ({}) },
  { id: 'review', title: 'Review and submit', fields: [], validate: () => ({}) },
];

/** Every step's errors at once (the review step re-checks everything). */
export function validateWizard(v: WizardValues, now = Date.now()): Errors<WizardKey> {
  return WIZARD_STEPS.reduce<Errors<WizardKey>>((acc, s) => ({ ...acc, ...s.validate(v, now) }), {});
}

/**
 * The POST /exports body (trade terms go to the gateway, which passes them in the transient map and salts the
 * commitment itself).
 */
export function toCreateBody(
  v: WizardValues,
  exportId: string,
  documents: CreateExportBody['documents'],
): CreateExportBody {
  return {
    exportId,
    contract: {
      contractNumber: v.contractNumber.trim(),
      buyerName: v.buyerName.trim(),
      destinationCountry: v.destinationCountry.trim().toUpperCase(),
      contractedGrade: v.contractedGrade,
      quantityKg: Number(v.quantityKg),
      originRegion: v.originRegion.trim().toUpperCase(),
      incoterm: v.incoterm,
    },
    tradeTerms: {
      unitPriceUsdPerKg: Number(v.unitPriceUsdPerKg),
      contractValueUsd: Number(v.contractValueUsd),
      paymentMethod: v.paymentMethod,
      ...(v.paymentTerms.trim() ? { paymentTerms: v.paymentTerms.trim() } : {}),
    },
    documents,
    details: { shipEarliest: v.shipEarliest, shipLatest: v.shipLatest },
  };
}
