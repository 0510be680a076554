/**
 * Everything a reviewer needs to decide, the timeline, and the forms for the user's next actions. What is shown
 * is what the gateway returned for this viewer (absent field groups are simply not shown); the private trade
 * terms are asked for only when policy.ts says the viewer may read one of their groups.
 */
import { type ReactElement, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { getExport, getHistory, getTradeTerms } from '../../api/client';
import type { ActionName, ActionResult, ExportRecord, TradeTermsView } from '../../api/types';
import { Loading, ProblemMessage, StatusBadge, Success } from '../../components/ui';
import { orgNameOfMsp } from '../../config';
import { canReadDocument, factsOf, readablePrivateGroups, readsExports, viewerOf } from '../../lib/access';
import { formatDate, formatDateTime, formatUsd, humanize } from '../../lib/format';
import { waitingFor } from '../../lib/guidance';
import { useAsync } from '../../lib/useAsync';
import { useExportEvents } from '../../lib/useExportEvents';
import { usePageTitle } from '../../lib/usePageTitle';
import { ROLE_LABELS, actionsFor } from '../../lib/workflow';
import { useSession } from '../auth/session';
import { VerifyLink } from '../verify/VerifyPage';
import { ExportEudrPanel } from '../eudr/ExportEudrPanel';
import { ACTION_SPECS } from './actionSpecs';
import { ActionForm } from './ActionForm';
import { DocumentsTable } from './DocumentsTable';
import { Timeline, TrackingList } from './Timeline';
import { TradeTermsPanel } from './TradeTerms';

type Fact = [string, string | number | undefined];

function Facts({ title, facts }: { title: string; facts: Fact[] }): ReactElement {
  return (
    <section className="card facts-card" aria-label={title}>
      <h2>{title}</h2>
      <dl className="facts">
        {facts.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v === undefined || v === '' ? '—' : String(v)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function sections(r: ExportRecord): Array<{ title: string; facts: Fact[] }> {
  const out: Array<{ title: string; facts: Fact[] }> = [
    {
      title: 'Contract',
      facts: [
        ['Contract number', r.contract.contractNumber],
        ['Buyer', r.contract.buyerName],
        ['Destination', r.contract.destinationCountry],
        ['Contracted grade', r.contract.contractedGrade],
        ['Quantity (kg)', r.contract.quantityKg.toLocaleString('en-US')],
        ['Origin region', r.contract.originRegion],
        ['Incoterm', r.contract.incoterm],
        ['Exporter', r.exporterId],
        ['Submitted', formatDateTime(r.createdAt)],
        ['Amendments so far', r.amendmentCount],
      ],
    },
  ];
  if (r.registration)
    out.push({
      title: 'ECTA registration',
      facts: [
        ['Registration number', r.registration.registrationNumber],
        [
          'Minimum price applied',
          `${r.registration.minimumPriceId} (${formatUsd(r.registration.minimumUsdPerKg)}/kg)`,
        ],
        ['Registered', formatDateTime(r.registration.registeredAt)],
        ['Ship by', formatDate(r.registration.shipBy)],
      ],
    });
  if (r.quality)
    out.push({
      title: 'ECX quality certificate',
      facts: [
        ['Lot number', r.quality.lotNumber],
        ['Warehouse receipt', r.quality.warehouseReceiptNumber],
        ['Certified grade', r.quality.certifiedGrade],
        ['Cup score', r.quality.cupScore],
        ['Moisture (%)', r.quality.moisturePercent],
        ['Defects / 300 g', r.quality.defectsPer300g],
        ['Certified quantity (kg)', r.quality.certifiedQuantityKg],
        ['Certified', formatDateTime(r.quality.certifiedAt)],
      ],
    });
  if (r.fx || r.permit)
    out.push({
      title: 'Foreign exchange',
      facts: [
        ['Application submitted', formatDateTime(r.fx?.submittedAt)],
        ['Approved', formatDateTime(r.fx?.approvedAt)],
        ['Permit', r.permit?.permitNumber],
        ['Permit status', r.permit?.status],
      ],
    });
  if (r.booking)
    out.push({
      title: 'Shipment booking',
      facts: [
        ['Booking number', r.booking.bookingNumber],
        ['Vessel / voyage', `${r.booking.vesselName} / ${r.booking.voyageNumber}`],
        ['Containers', r.booking.containerNumbers.join(', ')],
        ['Route', `${r.booking.portOfLoading} → ${r.booking.portOfDischarge}`],
        ['ETD', formatDate(r.booking.etd)],
      ],
    });
  if (r.customs)
    out.push({
      title: 'Customs',
      facts: [
        ['Declaration', r.customs.declarationNumber],
        ['Declared quantity (kg)', r.customs.declaredQuantityKg],
        ['Declared grade', r.customs.declaredGrade],
        ['Risk lane', r.customs.riskLane],
        ['Value verified against ledger', r.customs.valueVerified ? 'Yes' : 'No'],
        ['Inspection findings', r.customs.inspectionFindings],
        ['Cleared', formatDateTime(r.customs.clearedAt)],
      ],
    });
  if (r.shipment)
    out.push({
      title: 'Shipment',
      facts: [
        ['Bill of lading', r.shipment.billOfLadingNumber],
        ['On board', formatDateTime(r.shipment.onBoardDate)],
        ['Repatriation due', formatDate(r.shipment.repatriationDueAt)],
      ],
    });
  if (r.payment)
    out.push({
      title: 'Payment',
      facts: [
        ['Payment reference', r.payment.paymentReference],
        ['Received', formatDateTime(r.payment.receivedAt)],
        ['Completed', formatDateTime(r.completedAt)],
      ],
    });
  if (r.delinquency)
    out.push({
      title: 'Delinquency',
      facts: [
        ['Status', r.delinquency.clearedAt ? 'Cleared' : 'Delinquent: proceeds overdue'],
        [
          'Repatriation was due',
          formatDateTime(r.delinquency.repatriationDueAt ?? r.shipment?.repatriationDueAt),
        ],
        [
          'Marked',
          `${formatDateTime(r.delinquency.markedAt)} · ${orgNameOfMsp(r.delinquency.markedBy.mspId)}`,
        ],
        ['Cleared', formatDateTime(r.delinquency.clearedAt)],
      ],
    });
  if (r.closure)
    out.push({
      title: 'Closure',
      facts: [
        ['By', `${orgNameOfMsp(r.closure.by.mspId)} · ${r.closure.by.userId}`],
        ['When', formatDateTime(r.closure.at)],
        ['Reason code', r.closure.reasonCode],
        ['Reason', r.closure.reason],
        ['Penalty', r.closure.penaltyOutcome],
      ],
    });
  return out;
}

export function ExportDetail(): ReactElement {
  const { id = '' } = useParams();
  usePageTitle(`Export ${id}`);
  const session = useSession();
  const record = useAsync(() => getExport(id), [id]);
  const history = useAsync(() => getHistory(id), [id]);
  const [open, setOpen] = useState<ActionName>();
  const [formKey, setFormKey] = useState(0);
  const [last, setLast] = useState<{ title: string; res: ActionResult }>();
  // The finished form is gone: keyboard focus moves to its outcome rather than falling back to the page top.
  const doneRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (last) doneRef.current?.focus();
  }, [last]);
  const viewer = session ? viewerOf(session) : undefined;
  const groups = record.data ? readablePrivateGroups(viewer, factsOf(record.data)) : [];
  const readsPrivate = groups.length > 0;
  // Only for viewers the policy lets read a private group: everyone else never asks (and sees no error).
  const terms = useAsync<TradeTermsView | undefined>(
    () => (readsPrivate ? getTradeTerms(id) : Promise.resolve(undefined)),
    [id, readsPrivate],
  );
  // Live: another user's step on this export (or a reconnection that missed events) reloads it in place.
  useExportEvents(
    session ? readsExports(session) : false,
    (e) => e.exportId === id,
    () => {
      record.refresh();
      history.refresh();
      if (readsPrivate) terms.refresh();
    },
  );

  if (record.loading && !record.data) return <Loading label="Loading export…" />;
  if (record.error || !record.data)
    return (
      <section>
        <h1>Export {id}</h1>
        <ProblemMessage error={record.error} onRetry={record.reload} />
      </section>
    );
  const r = record.data;
  const role = session?.user.role;
  const available = role ? actionsFor(role, r) : [];

  const facts = factsOf(r);
  const readable = (type: string): boolean => viewer !== undefined && canReadDocument(viewer, facts, type);

  const refresh = (): void => {
    record.reload();
    history.reload();
    if (readsPrivate) terms.reload();
  };

  return (
    <section aria-labelledby="detail-title" className="detail">
      <p>
        <Link to="/">← Back to my queue</Link>
      </p>
      <h1 id="detail-title">
        Export {r.exportId} <StatusBadge status={r.status} />
      </h1>
      <p className="muted">
        Last change: {humanize(r.lastAction.action.replace(/([a-z])([A-Z])/g, '$1_$2'))} by{' '}
        {orgNameOfMsp(r.lastAction.by.mspId)} · {formatDateTime(r.lastAction.at)}
      </p>
      {r.status === 'AMENDMENT_REQUESTED' && r.amendment && (
        <div className="notice" role="note">
          <strong>Amendment requested at step {r.amendment.step}</strong> by{' '}
          {orgNameOfMsp(r.amendment.requestedBy.mspId)} (
          {ROLE_LABELS[r.amendment.requestedBy.role as keyof typeof ROLE_LABELS] ??
            r.amendment.requestedBy.role}
          ): <code>{r.amendment.reasonCode}</code> — {r.amendment.reason}
        </div>
      )}

      {last && (
        <div ref={doneRef} tabIndex={-1}>
          <Success>
            <p>
              {last.title}: done. The export is now{' '}
              <strong data-testid="last-action-status">{last.res.status}</strong>.
            </p>
            <p className="small">
              Transaction <code>{last.res.txId}</code>
              {last.res.blockNumber !== undefined && <> in block {String(last.res.blockNumber)}</>}
            </p>
          </Success>
        </div>
      )}
      {available.length > 0 && (
        <section className="card" aria-labelledby="actions-title">
          <h2 id="actions-title">Your next step</h2>
          <div className="action-buttons" role="group" aria-label="Available actions">
            {available.map((a) => (
              <button
                key={a}
                type="button"
                className={
                  open === a ? '' : ACTION_SPECS[a].danger ? 'secondary danger-outline' : 'secondary'
                }
                aria-expanded={open === a}
                aria-controls="action-panel"
                onClick={() => {
                  setLast(undefined);
                  setOpen(open === a ? undefined : a);
                  setFormKey((k) => k + 1);
                }}
              >
                {ACTION_SPECS[a].title}
              </button>
            ))}
          </div>
          <div id="action-panel">
            {open && available.includes(open) && (
              <ActionForm
                key={`${open}-${formKey}`}
                spec={ACTION_SPECS[open]}
                record={r}
                terms={terms.data}
                onDone={(res) => {
                  setLast({ title: ACTION_SPECS[open].title, res });
                  setOpen(undefined);
                  refresh();
                }}
              />
            )}
          </div>
        </section>
      )}
      {available.length === 0 && !last && (
        <section className="card" aria-labelledby="actions-title">
          <h2 id="actions-title">Your next step</h2>
          <p data-testid="waiting-for">{waitingFor(r.status, role)}</p>
        </section>
      )}

      <div className="grid">
        {sections(r).map((s) => (
          <Facts key={s.title} title={s.title} facts={s.facts} />
        ))}
        <TradeTermsPanel groups={groups} state={terms} />
      </div>

      <section className="card" aria-labelledby="docs-title">
        <h2 id="docs-title">Documents</h2>
        <DocumentsTable documents={r.documents} exportId={r.exportId} readable={readable} />
      </section>

      <section className="card" aria-labelledby="tl-title">
        <h2 id="tl-title">Timeline</h2>
        {history.loading && <Loading label="Loading ledger history…" />}
        <ProblemMessage error={history.error} onRetry={history.reload} />
        {history.data && <Timeline history={history.data} />}
      </section>

      {(r.shipment || (r.tracking?.length ?? 0) > 0) && (
        <section className="card" aria-labelledby="trk-title">
          <h2 id="trk-title">Shipment tracking</h2>
          <TrackingList events={r.tracking ?? []} />
        </section>
      )}

      <ExportEudrPanel
        exportId={r.exportId}
        exporterId={r.exporterId}
        destinationCountry={
          typeof r.contract?.destinationCountry === 'string' ? r.contract.destinationCountry : undefined
        }
      />

      <section className="card" aria-labelledby="pub-title">
        <h2 id="pub-title">Public verification</h2>
        <VerifyLink exportId={r.exportId} />
      </section>
    </section>
  );
}
