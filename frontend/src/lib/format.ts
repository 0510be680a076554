/** Display helpers (dates in UTC so every org reads the same instant). */

export function formatDateTime(iso: string | undefined): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d{2}(\.\d+)?Z$/, ' UTC');
}

export function formatDate(iso: string | undefined): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().slice(0, 10);
}

/** "3 d 4 h", "5 h 12 min", "4 min", "< 1 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const min = Math.floor(ms / 60_000);
  if (min < 1) return '< 1 min';
  const h = Math.floor(min / 60);
  const d = Math.floor(h / 24);
  if (d > 0) return `${d} d ${h % 24} h`;
  if (h > 0) return `${h} h ${min % 60} min`;
  return `${min} min`;
}

export function ageOf(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? '—' : formatDuration(now - ms);
}

export function formatUsd(n: number | undefined): string {
  return n === undefined
    ? '—'
    : n.toLocaleString('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 4 });
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function humanize(code: string): string {
  const t = code.replace(/[_-]+/g, ' ').toLowerCase();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

export function shortHash(h: string | undefined, n = 10): string {
  if (!h) return '—';
  return h.length > n + 2 ? `${h.slice(0, n)}…` : h;
}

const DOC_LABELS: Record<string, string> = {
  SALES_CONTRACT: 'Sales contract',
  PROFORMA_INVOICE: 'Proforma invoice',
  QUALITY_CERTIFICATE: 'Quality certificate',
  LC_OR_ADVANCE_ADVICE: 'LC or advance advice',
  BOOKING_CONFIRMATION: 'Booking confirmation',
  EXPORT_DECLARATION: 'Export declaration',
  COMMERCIAL_INVOICE: 'Commercial invoice',
  PACKING_LIST: 'Packing list',
  CERTIFICATE_OF_ORIGIN: 'Certificate of origin',
  PHYTOSANITARY_CERTIFICATE: 'Phytosanitary certificate',
  BILL_OF_LADING: 'Bill of lading',
  PAYMENT_ADVICE: 'Payment advice',
};

export function docLabel(type: string): string {
  return DOC_LABELS[type] ?? humanize(type);
}
