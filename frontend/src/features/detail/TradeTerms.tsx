/**
 * The private data of an export this viewer may read (policy.ts PRIVATE_AUDIENCE): trade terms, FX application,
 * proceeds, and the contract value customs checks. Rendered only for the groups the policy grants, from named
 * members only (never a spread of what the gateway sent), so a stray key or salt is never shown.
 */
import type { ReactElement } from 'react';
import type { TradeTermsView } from '../../api/types';
import { Loading, ProblemMessage } from '../../components/ui';
import { type PrivateGroup, TRADE_TERMS_KEY } from '../../lib/access';
import { formatUsd } from '../../lib/format';
import type { AsyncState } from '../../lib/useAsync';

type Row = [string, string | undefined];

function rowsOf(group: PrivateGroup, t: TradeTermsView): Row[] | undefined {
  switch (group) {
    case 'tradeTerms':
      return (
        t.terms && [
          ['Unit price', `${formatUsd(t.terms.unitPriceUsdPerKg)}/kg`],
          ['Contract value', formatUsd(t.terms.contractValueUsd)],
          ['Payment method', t.terms.paymentMethod],
          ['Payment terms', t.terms.paymentTerms],
        ]
      );
    case 'fxApplication':
      return (
        t.fxApplication && [
          ['FX application: payment method', t.fxApplication.paymentMethod],
          ['FX application: LC / advance reference', t.fxApplication.evidenceReference],
          ['FX application: amount', formatUsd(t.fxApplication.amountUsd)],
        ]
      );
    case 'proceeds':
      return (
        t.proceeds && [
          ['Proceeds received', formatUsd(t.proceeds.amountUsd)],
          ['Proceeds reference', t.proceeds.paymentReference],
        ]
      );
    case 'customsValue':
      return (
        t.customsValue && [
          ['Customs value (registered contract value)', formatUsd(t.customsValue.contractValueUsd)],
        ]
      );
  }
}

/**
 * `groups` are the private groups the viewer may read of this export (lib/access.ts); with none, nothing is
 * rendered at all, not even an error.
 */
export function TradeTermsPanel({
  groups,
  state,
}: {
  groups: readonly PrivateGroup[];
  state: AsyncState<TradeTermsView | undefined>;
}): ReactElement | null {
  if (groups.length === 0) return null;
  const t = state.data;
  const rows = t ? groups.flatMap((g) => (t[TRADE_TERMS_KEY[g]] ? (rowsOf(g, t) ?? []) : [])) : [];
  return (
    <section className="card facts-card" aria-labelledby="terms-title" data-testid="trade-terms">
      <h2 id="terms-title">Trade terms</h2>
      <p className="muted small">
        Private to the organizations that need them; not on the public ledger record.
      </p>
      {state.loading && !t && <Loading label="Loading the private terms…" />}
      <ProblemMessage error={state.error} onRetry={state.reload} />
      {t && rows.length === 0 && <p className="empty">No private terms recorded yet.</p>}
      {rows.length > 0 && (
        <dl className="facts">
          {rows.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v === undefined || v === '' ? '—' : v}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}
