/**
 * The export's documents, every version. A readable file is fetched, its SHA-256 checked against the ledger and
 * then only saved (octet-stream download, lib/download.ts), never shown in the portal. Documents not shared with
 * the viewer's organization are listed (type, version, hash, time) without a download.
 */
import { type ReactElement, useState } from 'react';
import { fetchDocument } from '../../api/client';
import type { DocumentRecord } from '../../api/types';
import { orgNameOfMsp } from '../../config';
import { downloadName, saveBlob } from '../../lib/download';
import { docLabel, formatBytes, formatDateTime, shortHash } from '../../lib/format';
import { describeError } from '../../lib/problems';

function bytesOf(blob: Blob): Promise<ArrayBuffer> {
  if (typeof blob.arrayBuffer === 'function') return blob.arrayBuffer();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as ArrayBuffer);
    reader.onerror = () => reject(reader.error ?? new Error('unreadable file'));
    reader.readAsArrayBuffer(blob);
  });
}

async function sha256OfBytes(bytes: ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new Uint8Array(bytes));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** SHA-256 of a file, in the browser (what the ledger records for every document). */
export async function sha256Hex(blob: Blob): Promise<string> {
  return sha256OfBytes(await bytesOf(blob));
}

type Check =
  | { state: 'loading' }
  | { state: 'ok' }
  | { state: 'mismatch'; got: string }
  | { state: 'error'; message: string };

/** Restricted by the gateway (no CID) or, as a second check, outside the viewer's audience by policy.ts. */
function isRestricted(d: DocumentRecord, readable?: (type: string) => boolean): boolean {
  return d.restricted === true || !d.cid || (readable !== undefined && !readable(d.type));
}

export function DocumentsTable({
  documents,
  exportId,
  readable,
}: {
  documents: DocumentRecord[];
  exportId?: string;
  /** policy.ts canReadDocument for this viewer and export. */
  readable?: (type: string) => boolean;
}): ReactElement {
  const [checks, setChecks] = useState<Record<string, Check>>({});
  const sorted = [...documents].sort((a, b) => a.type.localeCompare(b.type) || b.version - a.version);
  const latest = new Map<string, number>();
  for (const d of documents) latest.set(d.type, Math.max(latest.get(d.type) ?? 0, d.version));

  async function download(d: DocumentRecord, cid: string): Promise<void> {
    const key = `${d.type}-${d.version}`;
    setChecks((c) => ({ ...c, [key]: { state: 'loading' } }));
    try {
      const bytes = await bytesOf(await fetchDocument(cid, exportId));
      const got = await sha256OfBytes(bytes);
      if (got !== d.sha256) {
        // Not what the ledger recorded: not saved.
        setChecks((c) => ({ ...c, [key]: { state: 'mismatch', got } }));
        return;
      }
      saveBlob(bytes, downloadName([exportId, d.type, `v${d.version}`], d.mediaType));
      setChecks((c) => ({ ...c, [key]: { state: 'ok' } }));
    } catch (e: unknown) {
      const p = describeError(e);
      setChecks((c) => ({
        ...c,
        [key]: { state: 'error', message: [p.title, p.detail].filter(Boolean).join(' ') },
      }));
    }
  }

  if (documents.length === 0) return <p className="empty">No documents yet.</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">Documents and their versions</caption>
        <thead>
          <tr>
            <th scope="col">Document</th>
            <th scope="col">Version</th>
            <th scope="col">Uploaded</th>
            <th scope="col">SHA-256 (ledger)</th>
            <th scope="col">Size</th>
            <th scope="col">File</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((d) => {
            const key = `${d.type}-${d.version}`;
            const check = checks[key];
            const superseded = (latest.get(d.type) ?? 0) > d.version;
            const restricted = isRestricted(d, readable);
            const cid = restricted ? undefined : d.cid;
            return (
              <tr key={key} className={superseded ? 'superseded' : undefined}>
                <td data-label="Document">{docLabel(d.type)}</td>
                <td data-label="Version">
                  v{d.version}
                  {superseded && <span className="muted small"> (superseded)</span>}
                </td>
                <td data-label="Uploaded">
                  {orgNameOfMsp(d.uploadedBy.mspId)} · {d.uploadedBy.userId}
                  <br />
                  <span className="muted small">{formatDateTime(d.uploadedAt)}</span>
                </td>
                <td data-label="SHA-256 (ledger)">
                  <code title={d.sha256}>{shortHash(d.sha256, 12)}</code>
                </td>
                <td data-label="Size">{formatBytes(d.sizeBytes)}</td>
                <td data-label="File">
                  {restricted && (
                    <span className="muted small restricted" data-testid="document-restricted">
                      Not shared with your organization
                    </span>
                  )}
                  {cid && !check && (
                    <button type="button" className="secondary small" onClick={() => void download(d, cid)}>
                      Download
                      <span className="sr-only">
                        {' '}
                        {docLabel(d.type)} version {d.version}
                      </span>{' '}
                      &amp; verify
                    </button>
                  )}
                  {check?.state === 'loading' && <span role="status">Checking…</span>}
                  {check?.state === 'ok' && (
                    <span className="verified" data-testid="hash-verified">
                      ✔ Hash verified · saved
                    </span>
                  )}
                  {check?.state === 'mismatch' && (
                    <span className="error" role="alert">
                      ✘ Hash mismatch (file {shortHash(check.got)}); not saved
                    </span>
                  )}
                  {check?.state === 'error' && (
                    <span className="error" role="alert">
                      {check.message}
                    </span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
