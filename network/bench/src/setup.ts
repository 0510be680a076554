/**
 * Who the bench acts as. Bare clients (Caliper and the bench's own setup): an ECTA officer, an exporter and a
 * bank officer of the CommercialBank, enrolled at their CAs and registered on-chain; ECTA licenses the
 * exporter and publishes the minimum price for its grade and region. Through the gateways: the same roles,
 * created by each org's admin with the gateways' own user API.
 */
import type { Binaries } from '../../src/binaries.ts';
import { findOrg } from '../../src/orgs.ts';
import { adminSession, gatewayUser, type Session } from './gateway-client.ts';
import {
  addBenchDocuments,
  type BenchDocuments,
  everyPeerCaughtUp,
  MINIMUM_PRICE_USD_PER_KG,
  newActor,
  submit,
  type Actor,
} from './ledger.ts';

const DAY_MS = 86_400_000;
const iso = (offsetMs: number): string => new Date(Date.now() + offsetMs).toISOString();

export interface LedgerActors {
  readonly exporterId: string;
  /** The documents every export of this run names (real content on the CommercialBank's kubo node). */
  readonly documents: BenchDocuments;
  readonly ecta: Actor;
  readonly exporter: Actor;
  readonly bank: Actor;
}

export async function ledgerActors(bins: Binaries, run: string): Promise<LedgerActors> {
  const exporterId = `EXP-${run.toUpperCase()}`;
  const ecta = await newActor(bins, 'ecta', `bench-ecta-${run}`, 'ecta_officer');
  // Discovery may pick any org's peer to endorse the next transactions: all must know the new user.
  await everyPeerCaughtUp(ecta);
  await submit(ecta, 'user-management', 'exporters:RegisterExporter', {
    exporterId,
    legalName: `Bench Coffee Exporters ${run}`,
    tin: '0012345678',
    licenceNumber: `LIC-${run}`,
    licenceValidUntil: iso(365 * DAY_MS),
  });
  await submit(ecta, 'coffee-export', 'minprice:PublishMinimumPrice', {
    grade: 'G2',
    originRegion: 'SIDAMA',
    usdPerKg: MINIMUM_PRICE_USD_PER_KG,
    effectiveFrom: iso(-DAY_MS),
  });
  const [exporter, bank] = await Promise.all([
    newActor(bins, 'commercial-bank', `bench-exporter-${run}`, 'exporter', exporterId),
    newActor(bins, 'commercial-bank', `bench-bank-${run}`, 'bank_officer'),
  ]);
  await everyPeerCaughtUp(exporter);
  return { exporterId, documents: await addBenchDocuments(run), ecta, exporter, bank };
}

export function closeActors(a: LedgerActors): void {
  for (const actor of [a.ecta, a.exporter, a.bank]) actor.conn.close();
}

export interface GatewaySessions {
  readonly exporter: Session;
  readonly bank: Session;
  readonly ecta: Session;
}

export async function gatewaySessions(run: string, exporterId: string): Promise<GatewaySessions> {
  const [cb, ecta] = await Promise.all([
    adminSession(findOrg('commercial-bank')),
    adminSession(findOrg('ecta')),
  ]);
  const [exporter, bank, officer] = await Promise.all([
    gatewayUser(cb, `bench-hx-${run}`, 'exporter', exporterId),
    gatewayUser(cb, `bench-hb-${run}`, 'bank_officer'),
    gatewayUser(ecta, `bench-he-${run}`, 'ecta_officer'),
  ]);
  return { exporter, bank, ecta: officer };
}
