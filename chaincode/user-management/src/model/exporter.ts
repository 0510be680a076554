/** An exporter's licence and standing: kept by ECTA, delinquency flag kept by the National Bank. */
import type { Context } from 'fabric-contract-api';
import {
  EXPORTER_STATUSES,
  type Eligibility,
  type ExporterStanding,
  type ExporterStatus,
  Fields,
  ID_PATTERN,
} from '@coffee/chaincode-common';

export { EXPORTER_STATUSES, type Eligibility, type ExporterStatus };

export const TIN_PATTERN = /^\d{10}$/;
export const LICENCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9/._-]{0,63}$/;
export const MAX_WARNINGS = 100;
export const MAX_DELINQUENT_EXPORTS = 500;

/** The registry's exporter record: its standing (`ExporterStanding`, copied into coffee-export), and the rest. */
export interface ExporterRecord extends ExporterStanding {
  docType: 'exporter';
  legalName: string;
  tin: string;
  licenceNumber: string;
  statusReason?: string;
  warnings: number;
  /** The exports whose proceeds are overdue (coffee-export MarkDelinquent); DELINQUENT while not empty. */
  delinquentExports?: string[];
  delinquencyReason?: string;
  delinquencyUpdatedAt?: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

export const EXPORTER_KEY = 'exporter';

export function exporterKey(ctx: Context, exporterId: string): string {
  return ctx.stub.createCompositeKey(EXPORTER_KEY, [exporterId]);
}

export function parseExporter(value: unknown): ExporterRecord {
  const f = Fields.of(value, 'exporter', 'CORRUPT_STATE');
  f.oneOf('docType', ['exporter']);
  return {
    docType: 'exporter',
    exporterId: f.str('exporterId', { max: 64, pattern: ID_PATTERN }),
    legalName: f.str('legalName', { max: 200 }),
    tin: f.str('tin', { pattern: TIN_PATTERN }),
    licenceNumber: f.str('licenceNumber', { max: 64, pattern: LICENCE_PATTERN }),
    licenceValidUntil: f.str('licenceValidUntil', { max: 32 }),
    status: f.oneOf('status', EXPORTER_STATUSES),
    statusReason: f.optStr('statusReason', { max: 1000, text: true }),
    warnings: f.int('warnings', 0, MAX_WARNINGS),
    delinquent: f.bool('delinquent'),
    delinquentExports: f.has('delinquentExports')
      ? f.strings('delinquentExports', MAX_DELINQUENT_EXPORTS, { max: 64, pattern: ID_PATTERN })
      : undefined,
    delinquencyReason: f.optStr('delinquencyReason', { max: 1000, text: true }),
    delinquencyUpdatedAt: f.optStr('delinquencyUpdatedAt', { max: 32 }),
    createdAt: f.str('createdAt', { max: 32 }),
    updatedAt: f.str('updatedAt', { max: 32 }),
    updatedBy: f.str('updatedBy', { max: 200 }),
  };
}

export const PENALTY_KEY = 'penalty';
export const PENALTY_OUTCOMES = ['WARNING', 'SUSPENDED', 'RECORDED'] as const;
export type PenaltyOutcome = (typeof PENALTY_OUTCOMES)[number];
/** Penalty ladder: this many warnings are given before a default suspends the exporter. */
export const WARNINGS_BEFORE_SUSPENSION = 1;

export interface PenaltyRecord {
  docType: 'penalty';
  exportId: string;
  exporterId: string;
  outcome: PenaltyOutcome;
  warningsAfter: number;
  statusAfter: ExporterStatus;
  appliedAt: string;
  txId: string;
}

export function penaltyKey(ctx: Context, exportId: string): string {
  return ctx.stub.createCompositeKey(PENALTY_KEY, [exportId]);
}

export function parsePenalty(value: unknown): PenaltyRecord {
  const f = Fields.of(value, 'penalty', 'CORRUPT_STATE');
  f.oneOf('docType', ['penalty']);
  return {
    docType: 'penalty',
    exportId: f.str('exportId', { max: 64, pattern: ID_PATTERN }),
    exporterId: f.str('exporterId', { max: 64, pattern: ID_PATTERN }),
    outcome: f.oneOf('outcome', PENALTY_OUTCOMES),
    warningsAfter: f.int('warningsAfter', 0, MAX_WARNINGS),
    statusAfter: f.oneOf('statusAfter', EXPORTER_STATUSES),
    appliedAt: f.str('appliedAt', { max: 32 }),
    txId: f.str('txId', { max: 128 }),
  };
}
