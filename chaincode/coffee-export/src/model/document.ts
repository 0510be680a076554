/** Document records: metadata on-chain (CID, SHA-256, ...), the file itself in the org's IPFS node. */
import { Fields } from '@coffee/chaincode-common';
import { type Actor, GRADES, type Grade, MAX_QUANTITY_KG, parseActor } from './common';

import {
  CUSTOMS_DOCUMENT_SET,
  DOCUMENT_TYPES,
  type DocumentType,
  EXPORTER_SHIPPING_DOCUMENTS,
} from '@coffee/consortium';

export { CUSTOMS_DOCUMENT_SET, DOCUMENT_TYPES, type DocumentType, EXPORTER_SHIPPING_DOCUMENTS };

// CIDv0 (base58btc multihash) or CIDv1 in base32 (b...).
export const CID_PATTERN = /^(?:Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{50,120})$/;
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
export const MEDIA_TYPE_PATTERN = /^[a-z]+\/[a-z0-9][a-z0-9.+-]{0,99}$/;
export const MAX_DOCUMENT_BYTES = 1024 * 1024 * 1024;
export const MAX_DOCUMENTS = 200;

export interface DocumentInput {
  type: DocumentType;
  cid: string;
  sha256: string;
  sizeBytes: number;
  mediaType: string;
  /** Facts a document states, compared across documents at customs. */
  quantityKg?: number;
  grade?: Grade;
}

export interface DocumentRecord extends DocumentInput {
  version: number;
  uploadedBy: Actor;
  uploadedAt: string;
  txId: string;
}

function readDocumentFields(f: Fields): DocumentInput {
  return {
    type: f.oneOf('type', DOCUMENT_TYPES),
    cid: f.str('cid', { max: 128, pattern: CID_PATTERN }),
    sha256: f.str('sha256', { pattern: SHA256_PATTERN }),
    sizeBytes: f.int('sizeBytes', 1, MAX_DOCUMENT_BYTES),
    mediaType: f.str('mediaType', { max: 128, pattern: MEDIA_TYPE_PATTERN }),
    quantityKg: f.optInt('quantityKg', 1, MAX_QUANTITY_KG),
    grade: f.optOneOf('grade', GRADES),
  };
}

export function parseDocumentInput(f: Fields): DocumentInput {
  const doc = readDocumentFields(f);
  f.end();
  return doc;
}

export function parseDocumentRecord(f: Fields): DocumentRecord {
  return {
    ...readDocumentFields(f),
    version: f.int('version', 1, MAX_DOCUMENTS),
    uploadedBy: parseActor(f.obj('uploadedBy')),
    uploadedAt: f.str('uploadedAt', { max: 32 }),
    txId: f.str('txId', { max: 128 }),
  };
}

/** The latest version of each document type. */
export function latestDocuments(documents: readonly DocumentRecord[]): Map<DocumentType, DocumentRecord> {
  const latest = new Map<DocumentType, DocumentRecord>();
  for (const doc of documents) {
    const current = latest.get(doc.type);
    if (current === undefined || doc.version > current.version) {
      latest.set(doc.type, doc);
    }
  }
  return latest;
}
