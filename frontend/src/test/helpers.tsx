/** Test helpers: a signed-in session, a fetch stub that records calls, a sample export record. */
import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router-dom';
import { vi } from 'vitest';
import { reloadSession, type Session } from '../api/client';
import type { ExportRecord, Role } from '../api/types';
import { progressOf } from '../lib/access';

export function signIn(
  role: Role,
  org: Session['org'] = 'commercial-bank',
  extra: Partial<Session['user']> = {},
): Session {
  const s: Session = {
    org,
    accessToken: 'access-1',
    refreshToken: 'refresh-1',
    expiresAt: Date.now() + 15 * 60_000,
    user: { id: `u-${role}`, username: role, role, ...extra },
  };
  sessionStorage.setItem('coffee-portal.session', JSON.stringify(s));
  reloadSession();
  return s;
}

export interface Call {
  url: string;
  method: string;
  body: unknown;
  headers: Record<string, string>;
}

type Route = (call: Call) => { status: number; body?: unknown } | undefined;

/** Stubs global fetch; `route` answers each call (default 404 problem). Returns the recorded calls. */
export function stubFetch(route: Route): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init: RequestInit = {}) => {
      const call: Call = {
        url,
        method: init.method ?? 'GET',
        body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
        headers: (init.headers ?? {}) as Record<string, string>,
      };
      calls.push(call);
      const r = route(call) ?? { status: 404, body: { code: 'NOT_FOUND', title: 'Not found' } };
      const text = r.body === undefined ? '' : JSON.stringify(r.body);
      return Promise.resolve(
        new Response(r.status === 204 ? null : text, {
          status: r.status,
          headers: { 'Content-Type': r.status >= 400 ? 'application/problem+json' : 'application/json' },
        }),
      );
    }),
  );
  return calls;
}

export function renderAt(ui: ReactElement, path = '/'): RenderResult {
  return render(
    <MemoryRouter initialEntries={[path]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      {ui}
    </MemoryRouter>,
  );
}

/** A sample export; `reached` follows `status` unless given (an exception status ranks as DRAFT then). */
export function sampleExport(over: Partial<ExportRecord> = {}): ExportRecord {
  const actor = { mspId: 'CommercialBankMSP', userId: 'exporter1', role: 'exporter' };
  return {
    exportId: 'EXP-1',
    exporterId: 'EXPORTER-1',
    status: 'SUBMITTED',
    reached: progressOf(undefined, over.status ?? 'SUBMITTED'),
    contract: {
      contractNumber: 'SC-2026-001',
      buyerName: 'Hamburg Coffee GmbH',
      destinationCountry: 'DE',
      contractedGrade: 'G2',
      quantityKg: 19200,
      originRegion: 'SIDAMA',
      incoterm: 'FOB',
    },
    documents: [],
    tracking: [],
    amendmentCount: 0,
    createdAt: '2026-01-01T00:00:00Z',
    createdBy: actor,
    updatedAt: '2026-01-01T00:00:00Z',
    lastAction: { action: 'SubmitExport', by: actor, at: '2026-01-01T00:00:00Z', txId: 'tx1' },
    ...over,
  };
}
