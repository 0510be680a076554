/**
 * The EUDR part of the read model (migration 12): plots, an export's lot links and its DDS package, projected
 * from the `eudr` contract's transactions. Like the export records, each row is the record exactly as the
 * transaction wrote it (its write set), so the read model and the ledger cannot disagree; the event only says
 * that an EUDR write happened. Pure functions of the block: replaying from block 0 gives the same rows.
 */
import { ledger } from '@hyperledger/fabric-protos';
import type pg from 'pg';

/** The keys of the eudr contract the read model keeps (composite key type → row kind). */
const KINDS = { 'eudr-plot': 'plot', 'eudr-lots': 'lots', 'eudr-dds': 'package' } as const;
export type EudrWriteKind = (typeof KINDS)[keyof typeof KINDS];

export interface EudrWrite {
  kind: EudrWriteKind;
  /** The plot id (plots) or the export id (lots, packages). */
  id: string;
  value: Record<string, unknown>;
}

/** The read-model tables of this file (emptied by a reprojection). */
export const EUDR_READ_MODEL_TABLES = ['eudr_plots', 'eudr_lots', 'eudr_packages'] as const;

/** Chaincode events of the eudr contract (EudrPlotRegistered, EudrPackageApproved …). */
export function isEudrEvent(name: string): boolean {
  return name.startsWith('Eudr');
}

function compositeKey(key: string): [string, string] | undefined {
  const parts = key.split('\u0000');
  return parts.length === 4 && parts[0] === '' && parts[3] === '' ? [parts[1]!, parts[2]!] : undefined;
}

/** The plot, lot-link and package records a transaction wrote (reporting any that is not a JSON object). */
/** How an unreadable write is reported (the projector's BadPayloadReporter takes it; declared here, no cycle). */
export type WriteReporter = (bad: { part: 'write'; chaincode: string; reason: string }) => void;

export function eudrWrites(resultsBytes: Uint8Array, report: WriteReporter): EudrWrite[] {
  const out: EudrWrite[] = [];
  const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(resultsBytes);
  for (const ns of rwset.getNsRwsetList()) {
    if (ns.getNamespace() !== 'coffee-export') continue;
    const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
    for (const w of kv.getWritesList()) {
      if (w.getIsDelete()) continue;
      const [type, id] = compositeKey(w.getKey()) ?? [];
      const kind = type ? (KINDS as Record<string, EudrWriteKind>)[type] : undefined;
      if (!kind || !id) continue;
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(w.getValue_asU8()).toString('utf8'));
      } catch (e: unknown) {
        report({
          part: 'write',
          chaincode: 'coffee-export',
          reason: `${type} ${id}: not JSON (${(e as Error).message})`,
        });
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        report({ part: 'write', chaincode: 'coffee-export', reason: `${type} ${id}: not a JSON object` });
        continue;
      }
      out.push({ kind, id, value: value as Record<string, unknown> });
    }
  }
  return out;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Writes the rows of one EUDR transaction (inside the block's SQL transaction). */
export async function applyEudrWrites(
  c: pg.PoolClient,
  blockNumber: bigint,
  txId: string,
  writes: readonly EudrWrite[],
): Promise<void> {
  const block = blockNumber.toString();
  for (const w of writes) {
    const v = w.value;
    if (w.kind === 'plot') {
      const screening = (v.screening ?? {}) as Record<string, unknown>;
      await c.query(
        `INSERT INTO eudr_plots(plot_id, exporter_id, screening_status, registered_at, record, last_tx_id, last_block)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (plot_id) DO UPDATE SET exporter_id = $2, screening_status = $3,
           registered_at = COALESCE($4, eudr_plots.registered_at), record = $5, last_tx_id = $6, last_block = $7`,
        [
          w.id,
          str(v.exporterId) ?? '',
          str(screening.status) ?? 'PENDING',
          str(v.registeredAt),
          JSON.stringify(v),
          txId,
          block,
        ],
      );
    } else if (w.kind === 'lots') {
      await c.query(
        `INSERT INTO eudr_lots(export_id, record, last_tx_id, last_block) VALUES ($1, $2, $3, $4)
         ON CONFLICT (export_id) DO UPDATE SET record = $2, last_tx_id = $3, last_block = $4`,
        [w.id, JSON.stringify(v), txId, block],
      );
    } else {
      await c.query(
        `INSERT INTO eudr_packages(export_id, exporter_id, status, record, last_tx_id, last_block)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (export_id) DO UPDATE SET exporter_id = $2, status = $3, record = $4, last_tx_id = $5, last_block = $6`,
        [w.id, str(v.exporterId) ?? '', str(v.status) ?? 'ASSEMBLED', JSON.stringify(v), txId, block],
      );
    }
  }
}
