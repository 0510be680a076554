/** A whole gateway for page-level tests: every list the pages read, full or empty. */
import type { Call } from './helpers';
import { sampleExport } from './helpers';

const HOUR = 3_600_000;
const ago = (h: number): string => new Date(Date.now() - h * HOUR).toISOString();

export interface GatewayData {
  exports: ReturnType<typeof sampleExport>[];
  exporters: unknown[];
  prices: unknown[];
  users: unknown[];
  /** Who may sign in (username → role); any password. */
  logins?: Record<string, string>;
}

export function fullData(): GatewayData {
  const submitted = sampleExport({ exportId: 'EXP-1', updatedAt: ago(30) });
  const certified = sampleExport({
    exportId: 'EXP-2',
    exporterId: 'EXPORTER-2',
    status: 'QUALITY_CERTIFIED',
    updatedAt: ago(5),
    documents: [
      {
        type: 'SALES_CONTRACT',
        version: 1,
        cid: 'bafy-sales',
        sha256: 'a'.repeat(64),
        sizeBytes: 2048,
        mediaType: 'application/pdf',
        uploadedBy: { mspId: 'CommercialBankMSP', userId: 'exporter1', role: 'exporter' },
        uploadedAt: ago(40),
        txId: 'tx-doc-1',
      },
    ],
    registration: {
      registrationNumber: 'ECTA/1',
      minimumPriceId: 'MP-000001',
      minimumUsdPerKg: 3.5,
      registeredAt: ago(20),
      shipBy: new Date(Date.now() + 60 * 24 * HOUR).toISOString(),
    },
  });
  return {
    exports: [submitted, certified],
    exporters: [
      {
        exporterId: 'EXPORTER-1',
        legalName: 'Sidama Coffee PLC',
        tin: '0012345678',
        licenceNumber: 'LIC-1',
        licenceValidUntil: '2030-12-31',
        status: 'ACTIVE',
        warnings: 0,
        delinquent: false,
      },
    ],
    prices: [{ id: 'MP-000001', grade: 'G2', usdPerKg: 3.5, effectiveFrom: '2026-01-01' }],
    users: [
      { id: 'u-admin', username: 'admin', role: 'admin', status: 'ACTIVE' },
      { id: 'u-2', username: 'officer1', displayName: 'Officer One', role: 'ecta_officer', status: 'ACTIVE' },
    ],
  };
}

export function emptyData(): GatewayData {
  return { exports: [], exporters: [], prices: [], users: [] };
}

/** Answers a stubFetch call from `data` (undefined: the helper's 404). */
export function gateway(data: GatewayData): (c: Call) => { status: number; body?: unknown } | undefined {
  return (c) => {
    const url = new URL(c.url, 'http://portal.test');
    const path = url.pathname.replace(/^.*\/api\/v1/, '');
    if (c.method === 'POST' && path === '/auth/login') {
      const body = c.body as { username?: string };
      const role = data.logins?.[body.username ?? ''];
      if (!role) return { status: 401, body: { code: 'INVALID_CREDENTIALS', title: 'Unauthorized' } };
      return {
        status: 200,
        body: {
          accessToken: 'a',
          refreshToken: 'r',
          expiresIn: 900,
          user: { id: `u-${body.username}`, username: body.username, role },
        },
      };
    }
    const action = /^\/exports\/([^/]+)\/actions\/([a-z-]+)$/.exec(path);
    if (c.method === 'POST' && action) {
      const record = data.exports.find((e) => e.exportId === decodeURIComponent(action[1] ?? ''));
      if (!record) return { status: 404, body: { code: 'EXPORT_NOT_FOUND', title: 'Not found' } };
      return {
        status: 200,
        body: { id: record.exportId, status: record.status, txId: 'tx-action', blockNumber: 12 },
      };
    }
    if (c.method !== 'GET') return undefined;
    if (path === '/exports') {
      const status = url.searchParams.get('status');
      const exporterId = url.searchParams.get('exporterId');
      const items = data.exports.filter(
        (e) => (!status || e.status === status) && (!exporterId || e.exporterId === exporterId),
      );
      return { status: 200, body: { items } };
    }
    const m = /^\/exports\/([^/]+)(\/history|\/trade-terms)?$/.exec(path);
    if (m) {
      const record = data.exports.find((e) => e.exportId === decodeURIComponent(m[1] ?? ''));
      if (!record) return { status: 404, body: { code: 'EXPORT_NOT_FOUND', title: 'Not found' } };
      if (m[2] === '/history')
        return { status: 200, body: [{ txId: 'tx-1', timestamp: record.createdAt, blockNumber: 7, record }] };
      if (m[2] === '/trade-terms')
        return {
          status: 200,
          body: {
            exportId: record.exportId,
            terms: { unitPriceUsdPerKg: 4.25, contractValueUsd: 81600, paymentMethod: 'LC' },
          },
        };
      return { status: 200, body: record };
    }
    if (path === '/exporters') return { status: 200, body: { items: data.exporters } };
    if (path === '/minimum-prices') return { status: 200, body: { items: data.prices } };
    if (path === '/users') return { status: 200, body: { items: data.users } };
    if (path === '/workflow-config')
      return {
        status: 200,
        body: {
          current: { shipByWindowSeconds: 90 * 86_400, repatriationWindowSeconds: 120 * 86_400, version: 1 },
        },
      };
    const v = /^\/verify\/(.+)$/.exec(path);
    if (v) {
      const record = data.exports.find((e) => e.exportId === decodeURIComponent(v[1] ?? ''));
      if (!record) return { status: 404, body: { code: 'EXPORT_NOT_FOUND', title: 'Not found' } };
      return {
        status: 200,
        body: {
          exportId: record.exportId,
          status: record.status,
          steps: [{ status: 'SUBMITTED', at: record.createdAt }],
          documents: record.documents.map((d) => ({ ...d, cid: undefined })),
        },
      };
    }
    return undefined;
  };
}
