/**
 * Private trade terms (collection `tradeTerms`: CommercialBank, NationalBank, ECTA) and the registered contract
 * value customs checks declarations against (collection `customsValue`: the same three and Customs). Input
 * arrives only in the transient map; the public record keeps only the sha256 of what is stored, and every
 * stored value carries its own fresh salt of at least 128 bits, so no hash can be brute-forced from guesses
 * (a quantity and a minimum price narrow a contract value to a few million candidates).
 */
import type { Context } from 'fabric-contract-api';
import { Fields } from '@coffee/chaincode-common';
import { PRIVATE_INPUTS, type PrivateInput } from '@coffee/consortium';
import { fail } from '../lib/errors';
import { ID_PATTERN, MAX_USD, MAX_USD_PER_KG, REFERENCE_PATTERN, SALT_PATTERN, toCents } from './common';
import { PAYMENT_METHODS } from './export';

export const TRADE_TERMS_COLLECTION = 'tradeTerms';
export const CUSTOMS_VALUE_COLLECTION = 'customsValue';

/** Transient map keys, one per kind of private input. */
export const TRANSIENT = Object.fromEntries(PRIVATE_INPUTS.map((k) => [k, k])) as {
  readonly [K in PrivateInput]: K;
};

export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export interface TradeTerms {
  docType: 'tradeTerms';
  exportId: string;
  unitPriceUsdPerKg: number;
  contractValueUsd: number;
  contractValueCents: number;
  paymentMethod: PaymentMethod;
  paymentTerms?: string;
  /** Salt of this record's hash (termsHash). */
  salt: string;
  /** Salt of the separate contract-value commitment (valueCommitmentHash); never equal to `salt`. */
  valueSalt: string;
}

export interface FxApplication {
  docType: 'fxApplication';
  exportId: string;
  paymentMethod: PaymentMethod;
  evidenceReference: string;
  amountUsd: number;
  amountCents: number;
  salt: string;
}

export interface Proceeds {
  docType: 'proceeds';
  exportId: string;
  amountUsd: number;
  amountCents: number;
  paymentReference: string;
  salt: string;
}

/**
 * The registered contract value, stored in the customsValue collection (members: the tradeTerms orgs and
 * Customs), so customs checks a declared value against it without reading the trade terms and without any
 * out-of-band salt. Its hash is the record's valueCommitmentHash.
 */
export interface ValueCommitment {
  contractValueCents: number;
  salt: string;
}

export function termsKey(ctx: Context, exportId: string): string {
  return ctx.stub.createCompositeKey('terms', [exportId]);
}

export function valueKey(ctx: Context, exportId: string): string {
  return ctx.stub.createCompositeKey('termsValue', [exportId]);
}

export function fxKey(ctx: Context, exportId: string): string {
  return ctx.stub.createCompositeKey('fxApplication', [exportId]);
}

export function proceedsKey(ctx: Context, exportId: string): string {
  return ctx.stub.createCompositeKey('proceeds', [exportId]);
}

export function parseValueCommitment(value: unknown): ValueCommitment {
  const f = Fields.of(value, 'valueCommitment', 'CORRUPT_STATE');
  return {
    contractValueCents: f.int('contractValueCents', 1, MAX_USD * 100),
    salt: f.str('salt', { max: 128, pattern: SALT_PATTERN }),
  };
}

/** Refuses a salt that serves another commitment of the same export (each hash gets its own). */
export function requireDistinctSalts(...salts: string[]): void {
  if (new Set(salts).size !== salts.length) {
    fail('VALIDATION_FAILED', 'every private commitment needs its own salt; a salt was reused');
  }
}

const USD = { min: 0.01, max: MAX_USD, decimals: 2 };
const PRICE = { min: 0.0001, max: MAX_USD_PER_KG, decimals: 4 };

export function parseTradeTermsInput(f: Fields, exportId: string): TradeTerms {
  const unitPriceUsdPerKg = f.num('unitPriceUsdPerKg', PRICE);
  const contractValueUsd = f.num('contractValueUsd', USD);
  const terms: TradeTerms = {
    docType: 'tradeTerms',
    exportId,
    unitPriceUsdPerKg,
    contractValueUsd,
    contractValueCents: toCents(contractValueUsd),
    paymentMethod: f.oneOf('paymentMethod', PAYMENT_METHODS),
    paymentTerms: f.optStr('paymentTerms', { max: 1000, text: true }),
    salt: f.str('salt', { max: 128, pattern: SALT_PATTERN }),
    valueSalt: f.str('valueSalt', { max: 128, pattern: SALT_PATTERN }),
  };
  f.end();
  requireDistinctSalts(terms.salt, terms.valueSalt);
  return terms;
}

export function parseTradeTerms(value: unknown): TradeTerms {
  const f = Fields.of(value, 'tradeTerms', 'CORRUPT_STATE');
  f.oneOf('docType', ['tradeTerms']);
  return {
    docType: 'tradeTerms',
    exportId: f.str('exportId', { max: 64, pattern: ID_PATTERN }),
    unitPriceUsdPerKg: f.num('unitPriceUsdPerKg', PRICE),
    contractValueUsd: f.num('contractValueUsd', USD),
    contractValueCents: f.int('contractValueCents', 1, MAX_USD * 100),
    paymentMethod: f.oneOf('paymentMethod', PAYMENT_METHODS),
    paymentTerms: f.optStr('paymentTerms', { max: 1000, text: true }),
    salt: f.str('salt', { max: 128, pattern: SALT_PATTERN }),
    valueSalt: f.str('valueSalt', { max: 128, pattern: SALT_PATTERN }),
  };
}

/** |unit price × quantity − contract value| must be under one cent (integer arithmetic in 1e-4 USD). */
export function valueMatchesQuantity(terms: TradeTerms, quantityKg: number): boolean {
  const priceBasis = Math.round(terms.unitPriceUsdPerKg * 10_000);
  return Math.abs(priceBasis * quantityKg - terms.contractValueCents * 100) < 100;
}

export function parseFxApplicationInput(f: Fields, exportId: string): FxApplication {
  const amountUsd = f.num('amountUsd', USD);
  const application: FxApplication = {
    docType: 'fxApplication',
    exportId,
    paymentMethod: f.oneOf('paymentMethod', PAYMENT_METHODS),
    evidenceReference: f.str('evidenceReference', { max: 64, pattern: REFERENCE_PATTERN }),
    amountUsd,
    amountCents: toCents(amountUsd),
    salt: f.str('salt', { max: 128, pattern: SALT_PATTERN }),
  };
  f.end();
  return application;
}

export function parseFxApplication(value: unknown): FxApplication {
  const f = Fields.of(value, 'fxApplication', 'CORRUPT_STATE');
  f.oneOf('docType', ['fxApplication']);
  return {
    docType: 'fxApplication',
    exportId: f.str('exportId', { max: 64, pattern: ID_PATTERN }),
    paymentMethod: f.oneOf('paymentMethod', PAYMENT_METHODS),
    evidenceReference: f.str('evidenceReference', { max: 64 }),
    amountUsd: f.num('amountUsd', USD),
    amountCents: f.int('amountCents', 1, MAX_USD * 100),
    salt: f.str('salt', { max: 128, pattern: SALT_PATTERN }),
  };
}

export function parseProceedsInput(f: Fields, exportId: string, paymentReference: string): Proceeds {
  const amountUsd = f.num('amountUsd', USD);
  const salt = f.str('salt', { max: 128, pattern: SALT_PATTERN });
  f.end();
  return {
    docType: 'proceeds',
    exportId,
    amountUsd,
    amountCents: toCents(amountUsd),
    paymentReference,
    salt,
  };
}

export function parseProceeds(value: unknown): Proceeds {
  const f = Fields.of(value, 'proceeds', 'CORRUPT_STATE');
  f.oneOf('docType', ['proceeds']);
  return {
    docType: 'proceeds',
    exportId: f.str('exportId', { max: 64, pattern: ID_PATTERN }),
    amountUsd: f.num('amountUsd', USD),
    amountCents: f.int('amountCents', 1, MAX_USD * 100),
    paymentReference: f.str('paymentReference', { max: 64 }),
    salt: f.str('salt', { max: 128, pattern: SALT_PATTERN }),
  };
}

/** Customs' declared value (transient `customsValue`): {declaredValueUsd}, in cents. */
export function parseCustomsValueInput(f: Fields): { declaredValueCents: number } {
  const declaredValueUsd = f.num('declaredValueUsd', USD);
  f.end();
  return { declaredValueCents: toCents(declaredValueUsd) };
}
