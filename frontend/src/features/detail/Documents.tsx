/** The export's documents, every version; view a file and check its SHA-256 against the ledger. */
import { type ReactElement, useState } from 'react';
import { fetchDocument } from '../../api/client';
import type { DocumentRecord } from '../../api/types';
import { orgNameOfMsp } from '../../config';
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

/** SHA-256 of a file, in the browser (what the ledger records for every document). */
export async function sha256Hex(blob: Blob): Promise<string> {
  const buf = new Uint8Array(await bytesOf(blob));
  const digest = await crypto.subtle.digest('SHA-256', buf);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

type Check =
  | { state: 'loading' }
  | { state: 'ok'; url: string }
  | { state: 'mismatch'; url: string; got: string }
  | { state: 'error'; message: string };

export function DocumentsTable({
  documents,
  exportId,
}: {
  documents: DocumentRecord[];
  exportId?: string;
}): ReactElement {
  const [checks, setChecks] = useState<Record<string, Check>>({});
  const sorted = [...documents].sort((a, b) => a.type.localeCompare(b.type) || b.version - a.version);
  const latest = new Map<string, number>();
  for (const d of documents) latest.set(d.type, Math.max(latest.get(d.type) ?? 0, d.version));

  async function view(d: DocumentRecord): Promise<void> {
    const key = `${d.type}-${d.version}`;
    setChecks((c) => ({ ...c, [key]: { state: 'loading' } }));
    try {
      const blob = await fetchDocument(d.cid, exportId);
      const got = await sha256Hex(blob);
      const url = URL.createObjectURL(blob.type ? blob : new Blob([blob], { type: d.mediaType }));
      setChecks((c) => ({
        ...c,
        [key]: got === d.sha256 ? { state: 'ok', url } : { state: 'mismatch', url, got },
      }));
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
            return (
              <tr key={key} className={superseded ? 'superseded' : undefined}>
                <td>{docLabel(d.type)}</td>
                <td>
                  v{d.version}
                  {superseded && <span className="muted small"> (superseded)</span>}
                </td>
                <td>
                  {orgNameOfMsp(d.uploadedBy.mspId)} · {d.uploadedBy.userId}
                  <br />
                  <span className="muted small">{formatDateTime(d.uploadedAt)}</span>
                </td>
                <td>
                  <code title={d.sha256}>{shortHash(d.sha256, 12)}</code>
                </td>
                <td>{formatBytes(d.sizeBytes)}</td>
                <td>
                  {!check && (
                    <button
                      type="button"
                      className="secondary small"
                      onClick={() => void view(d)}
                      aria-label={`View ${docLabel(d.type)} version ${d.version} and verify its hash`}
                    >
                      View &amp; verify
                    </button>
                  )}
                  {check?.state === 'loading' && <span role="status">Checking…</span>}
                  {check?.state === 'ok' && (
                    <>
                      <span className="verified" data-testid="hash-verified">
                        ✔ Hash verified
                      </span>{' '}
                      <a href={check.url} target="_blank" rel="noreferrer">
                        Open file
                      </a>
                    </>
                  )}
                  {check?.state === 'mismatch' && (
                    <span className="error" role="alert">
                      ✘ Hash mismatch (file {shortHash(check.got)})
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
