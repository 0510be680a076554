/** Public verification (no login): an export's state and document hashes as proven by the ledger. */
import { type FormEvent, type ReactElement, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { verifyExport } from '../../api/client';
import { QrCode } from '../../components/QrCode';
import { Field } from '../../components/Field';
import { Loading, ProblemMessage, StatusBadge } from '../../components/ui';
import { docLabel, formatDateTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { rules } from '../../lib/validation';
import { sha256Hex } from '../detail/Documents';

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

function FileCheck({ hashes }: { hashes: Map<string, string> }): ReactElement {
  const [result, setResult] = useState<string>();
  return (
    <div className="field">
      <label htmlFor="file-check">Check a file you received against the ledger</label>
      <input
        id="file-check"
        type="file"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (!f) return;
          setResult('Computing…');
          void sha256Hex(f).then((h) => {
            const match = hashes.get(h);
            setResult(
              match
                ? `✔ Matches ${match} on the ledger.`
                : '✘ This file matches no document recorded for this export.',
            );
          });
        }}
      />
      {result && (
        <p role="status" className={result.startsWith('✔') ? 'verified' : 'error'}>
          {result}
        </p>
      )}
    </div>
  );
}

function Result({ exportId }: { exportId: string }): ReactElement {
  const state = useAsync(() => verifyExport(exportId), [exportId]);
  if (state.loading) return <Loading label="Asking the ledger…" />;
  if (state.error || !state.data) return <ProblemMessage error={state.error} onRetry={state.reload} />;
  const v = state.data;
  const hashes = new Map(v.documents.map((d) => [d.sha256, `${docLabel(d.type)} v${d.version}`]));
  return (
    <>
      <section className="card" aria-labelledby="v-state">
        <h2 id="v-state">
          Export {v.exportId} <StatusBadge status={v.status} />
        </h2>
        <dl className="facts">
          {v.exporterId && (
            <div>
              <dt>Exporter</dt>
              <dd>{v.exporterId}</dd>
            </div>
          )}
          {v.contract?.contractedGrade && (
            <div>
              <dt>Grade / quantity</dt>
              <dd>
                {v.contract.contractedGrade} · {v.contract.quantityKg?.toLocaleString('en-US')} kg
              </dd>
            </div>
          )}
          {(v.permit ?? v.permitStatus) && (
            <div>
              <dt>FX permit</dt>
              <dd>{v.permit ? `${v.permit.permitNumber} (${v.permit.status})` : v.permitStatus}</dd>
            </div>
          )}
          {v.shipment?.billOfLadingNumber && (
            <div>
              <dt>Bill of lading</dt>
              <dd>{v.shipment.billOfLadingNumber}</dd>
            </div>
          )}
          <div>
            <dt>Last updated</dt>
            <dd>{formatDateTime(v.updatedAt)}</dd>
          </div>
          {v.verifiedAt && (
            <div>
              <dt>Checked against the ledger</dt>
              <dd>{formatDateTime(v.verifiedAt)}</dd>
            </div>
          )}
          {(v.txId ?? v.lastTxId) && (
            <div>
              <dt>Proven by transaction</dt>
              <dd>
                <code>{v.txId ?? v.lastTxId}</code>
                {v.blockNumber !== undefined && <> in block {String(v.blockNumber)}</>}
              </dd>
            </div>
          )}
        </dl>
      </section>
      <section className="card" aria-labelledby="v-docs">
        <h2 id="v-docs">Document fingerprints on the ledger</h2>
        {v.documents.length === 0 ? (
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
                </tr>
              </thead>
              <tbody>
                {v.documents.map((d) => (
                  <tr key={`${d.type}-${d.version}`}>
                    <td>{docLabel(d.type)}</td>
                    <td>v{d.version}</td>
                    <td>
                      <code className="hash">{d.sha256}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <FileCheck hashes={hashes} />
      </section>
      <section className="card">
        <VerifyLink exportId={v.exportId} />
      </section>
    </>
  );
}

export function VerifyPage(): ReactElement {
  const { id } = useParams();
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
