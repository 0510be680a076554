/** Search the read model: by status, exporter, free text; cursor pagination. */
import { type FormEvent, type ReactElement, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { listExports } from '../../api/client';
import { EXPORT_STATUSES, type ExportStatus } from '../../api/types';
import { Field } from '../../components/Field';
import { Empty, Loading, ProblemMessage } from '../../components/ui';
import { NO_EXPORTS_MATCH, noExportsYet } from '../../lib/guidance';
import { useAsync } from '../../lib/useAsync';
import { usePageTitle } from '../../lib/usePageTitle';
import { STATUS_LABELS } from '../../lib/workflow';
import { useSession } from '../auth/session';
import { ExportTable } from './Dashboard';

export function ExportsList(): ReactElement {
  usePageTitle('Exports');
  const session = useSession();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const q = params.get('q') ?? '';
  const cursor = params.get('cursor') ?? undefined;
  const [draft, setDraft] = useState({ status, q });
  const own = session?.user.role === 'exporter' ? session.user.exporterId : undefined;
  const state = useAsync(
    () =>
      listExports({
        status: (status || undefined) as ExportStatus | undefined,
        q: q || undefined,
        exporterId: own,
        cursor,
        limit: 50,
      }),
    [status, q, cursor, own],
  );
  function onSubmit(e: FormEvent): void {
    e.preventDefault();
    const next = new URLSearchParams();
    if (draft.status) next.set('status', draft.status);
    if (draft.q.trim()) next.set('q', draft.q.trim());
    setParams(next);
  }
  return (
    <section aria-labelledby="exports-title">
      <h1 id="exports-title">Exports</h1>
      <form className="filters" onSubmit={onSubmit} role="search">
        <Field
          label="Status"
          name="status"
          type="select"
          value={draft.status}
          onChange={(v) => setDraft((d) => ({ ...d, status: v }))}
          options={EXPORT_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] }))}
        />
        <Field
          label="Search"
          name="q"
          value={draft.q}
          onChange={(v) => setDraft((d) => ({ ...d, q: v }))}
          hint="Export id, buyer, contract number"
        />
        <button type="submit">Search</button>
      </form>
      {state.loading && <Loading />}
      <ProblemMessage error={state.error} onRetry={state.reload} />
      {state.data && state.data.items.length === 0 && (
        <Empty>
          {status || q || cursor ? (
            <>
              {NO_EXPORTS_MATCH} Change the status or the search text, or{' '}
              <Link to="/exports">list every export you may see</Link>.
            </>
          ) : (
            noExportsYet(session?.user.role)
          )}
        </Empty>
      )}
      {state.data && state.data.items.length > 0 && <ExportTable rows={state.data.items} caption="Exports" />}
      {state.data?.nextCursor && (
        <button
          type="button"
          className="secondary"
          onClick={() => {
            const next = new URLSearchParams(params);
            next.set('cursor', state.data?.nextCursor ?? '');
            setParams(next);
          }}
        >
          Next page
        </button>
      )}
    </section>
  );
}
