/**
 * Public verification (no login): an export's state, step times, document types and hashes as proven by the
 * ledger (workflow.md "Who sees what"). No CIDs, transaction ids, user names or private values are shown.
 */
import { type FormEvent, type ReactElement, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { verifyExport } from '../../api/client';
import type { VerifyResult } from '../../api/types';
import { QrCode } from '../../components/QrCode';
import { Field } from '../../components/Field';
import { Loading, ProblemMessage, StatusBadge } from '../../components/ui';
import { docLabel, formatBytes, formatDateTime, humanize } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { usePageTitle } from '../../lib/usePageTitle';
import { rules } from '../../lib/validation';
import { STATUS_LABELS } from '../../lib/workflow';
import { sha256Hex } from '../detail/DocumentsTable';

export function verifyUrl(exportId: string): string {
  return `${window.location.origin}/verify/${encodeURIComponent(exportId)}`;
}

export function VerifyLink({ exportId }: { exportId: string }): ReactElement {
  const url = verifyUrl(exportId);
  return (
    <div className="verify-link">
      <QrCode value={url} label={`QR code linking to the public verification page of export ${exportId}`} />
      <div>
        <p>
          Anyone (a foreign buyer, a port) can check this export’s state and document hashes without signing
          in:
        </p>
        <p>
          <a href={url} data-testid="verify-url">
            {url}
          </a>
        </p>
      </div>
    </div>
  );
}

function Lookup(): ReactElement {
  const navigate = useNavigate();
  const [id, setId] = useState('');
  const [error, setError] = useState<string>();
  function onSubmit(e: FormEvent): void {
    e.preventDefault();
    const err = rules.exportId(id.trim());
    setError(err);
    if (!err) navigate(`/verify/${encodeURIComponent(id.trim())}`);
  }
  return (
    <form onSubmit={onSubmit} className="card" noValidate aria-label="Look up an export">
      <Field
        label="Export id"
        name="exportId"
        value={id}
        onChange={setId}
        error={error}
        required
        hint="Printed on the export documents, e.g. EXP-20260101-ABC123"
      />
      <button type="submit">Verify</button>
    </form>
  );
}

/** Which listed documents (type, version) a file's SHA-256 matches. */
export function matchesOf(sha256: string, documents: VerifyResult['documents']): string[] {
  return documents.filter((d) => d.sha256 === sha256).map((d) => `${docLabel(d.type)} v${d.version}`);
}

/** A buyer holding a file checks it in the browser (crypto.subtle); the file never leaves the machine. */
function FileCheck({ documents }: { documents: VerifyResult['documents'] }): ReactElement {
  const [result, setResult] = useState<{ ok: boolean; text: string }>();
  return (
    <div className="field">
      <label htmlFor="file-check">Check a file you received against the ledger</label>
      <input
        id="file-check"
        type="file"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (!f) return;
          setResult({ ok: false, text: 'Computing…' });
          sha256Hex(f).then(
            (h) => {
              const found = matchesOf(h, documents);
              setResult(
                found.length > 0
                  ? { ok: true, text: `✔ Matches ${found.join(', ')} on the ledger.` }
                  : { ok: false, text: '✘ This file matches no document recorded for this export.' },
              );
            },
            () => setResult({ ok: false, text: '✘ The file could not be read.' }),
          );
        }}
      />
      <small className="hint">The file is hashed in your browser (SHA-256); it is not uploaded.</small>
      {result && (
        <p role="status" className={result.ok ? 'verified' : 'error'} data-testid="file-check-result">
          {result.text}
        </p>
      )}
    </div>
  );
}

function Result({ exportId }: { exportId: string }): ReactElement {
  const state = useAsync(() => verifyExport(exportId), [exportId]);
  if (state.loading) return <Loading label="Asking the ledger…" />;
  if (state.error || !state.data) return <ProblemMessage error={state.error} onRetry={state.reload} />;
  // Only the public members are read here (the client already dropped anything else).
  const { status, steps, documents, verifiedAt } = state.data;
  const id = state.data.exportId;
  return (
    <>
      <section className="card" aria-labelledby="v-state">
        <h2 id="v-state">
          Export {id} <StatusBadge status={status} />
        </h2>
        {verifiedAt && <p className="muted small">Checked against the ledger {formatDateTime(verifiedAt)}</p>}
        {state.data.eudr && (
          <p data-testid="verify-eudr">
            EU deforestation due diligence:{' '}
            {state.data.eudr.required
              ? `needed; package ${state.data.eudr.packageStatus ? humanize(state.data.eudr.packageStatus) : 'not assembled yet'}`
              : 'not needed (destination outside the EU)'}
          </p>
        )}
        {steps.length > 0 && (
          <ol className="timeline" aria-label="Steps">
            {steps.map((st, i) => (
              <li key={`${st.status}-${st.at}-${i}`}>
                <div className="tl-head">{STATUS_LABELS[st.status] ?? humanize(st.status)}</div>
                <div className="tl-meta">
                  <time dateTime={st.at}>{formatDateTime(st.at)}</time>
                </div>
              </li>
            ))}
          </ol>
        )}
      </section>
      <section className="card" aria-labelledby="v-docs">
        <h2 id="v-docs">Document fingerprints on the ledger</h2>
        {documents.length === 0 ? (
          <p className="empty">No documents recorded.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Document hashes</caption>
              <thead>
                <tr>
                  <th scope="col">Document</th>
                  <th scope="col">Version</th>
                  <th scope="col">SHA-256</th>
                  <th scope="col">Type / size</th>
                  <th scope="col">Recorded</th>
                </tr>
              </thead>
              <tbody>
                {documents.map((d) => (
                  <tr key={`${d.type}-${d.version}`}>
                    <td data-label="Document">{docLabel(d.type)}</td>
                    <td data-label="Version">v{d.version}</td>
                    <td data-label="SHA-256">
                      <code className="hash">{d.sha256}</code>
                    </td>
                    <td className="small" data-label="Type / size">
                      {d.mediaType ?? '—'} · {formatBytes(d.sizeBytes)}
                    </td>
                    <td className="small" data-label="Recorded">
                      {formatDateTime(d.uploadedAt)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <FileCheck documents={documents} />
      </section>
      <section className="card">
        <VerifyLink exportId={id} />
      </section>
    </>
  );
}

export function VerifyPage(): ReactElement {
  const { id } = useParams();
  usePageTitle(id ? `Verify export ${id}` : 'Verify an export');
  return (
    <section aria-labelledby="verify-title" className="verify-page">
      <h1 id="verify-title">Verify a coffee export</h1>
      <p className="muted">Public proof from the consortium ledger. No private contract terms are shown.</p>
      {id ? <Result exportId={id} /> : <Lookup />}
      <p className="small">
        <Link to="/">Portal sign-in</Link>
      </p>
    </section>
  );
}
