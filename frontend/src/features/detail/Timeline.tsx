/** Every step from the ledger history: who, org, when, tx id, block; and the shipment's tracking events. */
import type { ReactElement } from 'react';
import type { HistoryEntry, TrackingEvent } from '../../api/types';
import { orgNameOfMsp } from '../../config';
import { formatDateTime, humanize, shortHash } from '../../lib/format';
import { ROLE_LABELS, STATUS_LABELS } from '../../lib/workflow';

/** Oldest first: by time, then block, then the ledger's order (GetHistoryForKey returns newest first). */
export function orderedHistory(history: HistoryEntry[]): HistoryEntry[] {
  const time = (h: HistoryEntry): number => Date.parse(h.record?.lastAction.at ?? h.timestamp);
  return history
    .map((h, i) => ({ h, i }))
    .filter(({ h }) => h.record)
    .sort(
      (a, b) =>
        time(a.h) - time(b.h) || Number(a.h.blockNumber ?? 0) - Number(b.h.blockNumber ?? 0) || b.i - a.i,
    )
    .map(({ h }) => h);
}

export function Timeline({ history }: { history: HistoryEntry[] }): ReactElement {
  const entries = orderedHistory(history);
  if (entries.length === 0) return <p className="empty">No history yet.</p>;
  return (
    <ol className="timeline">
      {entries.map((h) => {
        const r = h.record;
        if (!r) return null;
        const a = r.lastAction;
        const role = a.by.role as keyof typeof ROLE_LABELS;
        return (
          <li key={h.txId}>
            <div className="tl-head">
              <strong>{humanize(a.action.replace(/([a-z])([A-Z])/g, '$1_$2'))}</strong> →{' '}
              {STATUS_LABELS[r.status] ?? r.status}
            </div>
            <div className="tl-meta">
              {orgNameOfMsp(a.by.mspId)} · {a.by.userId} ({ROLE_LABELS[role] ?? a.by.role}) ·{' '}
              <time dateTime={a.at}>{formatDateTime(a.at)}</time>
            </div>
            <div className="tl-meta small">
              tx <code title={h.txId}>{shortHash(h.txId, 16)}</code>
              {h.blockNumber !== undefined && <> · block {String(h.blockNumber)}</>}
            </div>
            {(a.reasonCode || a.reason) && (
              <div className="tl-reason">
                {a.reasonCode && <code>{a.reasonCode}</code>} {a.reason}
              </div>
            )}
          </li>
        );
      })}
    </ol>
  );
}

export function TrackingList({ events }: { events: TrackingEvent[] }): ReactElement {
  if (events.length === 0)
    return (
      <p className="empty">
        No tracking events yet. The shipping line posts them while the cargo is under way.
      </p>
    );
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">Shipment tracking events</caption>
        <thead>
          <tr>
            <th scope="col">Event time</th>
            <th scope="col">Event</th>
            <th scope="col">Location</th>
            <th scope="col">Recorded</th>
          </tr>
        </thead>
        <tbody>
          {[...events]
            .sort((a, b) => Date.parse(a.eventTime) - Date.parse(b.eventTime))
            .map((e) => (
              <tr key={`${e.eventTime}-${e.status}-${e.location}`}>
                <td data-label="Event time">{formatDateTime(e.eventTime)}</td>
                <td data-label="Event">{humanize(e.status)}</td>
                <td data-label="Location">{e.location}</td>
                <td className="small" data-label="Recorded">
                  {e.recordedBy} · {formatDateTime(e.recordedAt)}
                </td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}
