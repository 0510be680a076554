/**
 * Private trade terms (collection `tradeTerms`: CommercialBank, NationalBank, ECTA). Input arrives only in
 * the transient map; the public record keeps only the sha256 of what is stored here.
 */
import type { Context } from 'fabric-contract-api';
import { Fields, canonicalJson } from '@coffee/chaincode-common';
import { ID_PATTERN, MAX_USD, MAX_USD_PER_KG, REFERENCE_PATTERN, SALT_PATTERN, toCents } from './common';
import { PAYMENT_METHODS } from './export';

export const TRADE_TERMS_COLLECTION = 'tradeTerms';

/** Transient map keys, one per kind of private input. */
export const TRANSIENT = {
  tradeTerms: 'tradeTerms',
  fxApplication: 'fxApplication',
  customsValue: 'customsValue',
  paymentProceeds: 'paymentProceeds',
} as const;

export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export interface TradeTerms {
  docType: 'tradeTerms';
  exportId: string;
  unitPriceUsdPerKg: number;
  contractValueUsd: number;
  contractValueCents: number;
  paymentMethod: PaymentMethod;
  paymentTerms?: string;
  /** Random text chosen by the exporter so the on-chain hashes cannot be brute-forced from guesses. */
  salt: string;
}

export interface FxApplication {
  docType: 'fxApplication';
  exportId: string;
  paymentMethod: PaymentMethod;
  evidenceReference: string;
  amountUsd: number;
  amountCents: number;
}

export interface Proceeds {
  docType: 'proceeds';
  exportId: string;
  amountUsd: number;
  amountCents: number;
  paymentReference: string;
}

/**
 * The canonical contract value stored under its own key, so a non-member (Customs) can check a declared
 * value against the peer-held hash (getPrivateDataHash) without ever reading the private terms.
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

/** Exactly the bytes written under valueKey: canonical JSON of the commitment. */
export function valueCommitmentText(commitment: ValueCommitment): string {
  return canonicalJson(commitment);
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
  };
  f.end();
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
  };
}

export function parseProceedsInput(f: Fields, exportId: string, paymentReference: string): Proceeds {
  const amountUsd = f.num('amountUsd', USD);
  f.end();
  return { docType: 'proceeds', exportId, amountUsd, amountCents: toCents(amountUsd), paymentReference };
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
  };
}

export function parseCustomsValueInput(f: Fields): ValueCommitment {
  const declaredValueUsd = f.num('declaredValueUsd', USD);
  const salt = f.str('salt', { max: 128, pattern: SALT_PATTERN });
  f.end();
  return { contractValueCents: toCents(declaredValueUsd), salt };
}
