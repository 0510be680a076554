/**
 * The EUDR calls of the portal (gateway routes/eudr.ts), typed, through the client's authenticated transport.
 * The gateway decides who sees which plot; the portal shows what it is sent.
 */
import { authedCall } from '../../api/client';
import type { Geometry } from 'geojson';

export type ScreeningStatus = 'PENDING' | 'CLEAR' | 'FLAGGED' | 'REVIEW_CLEARED' | 'REVIEW_REJECTED';

export interface PlotDetails {
  plotId: string;
  exporterId: string;
  kind: 'Point' | 'Polygon';
  geometry: Geometry;
  areaHa: number;
  declaredAreaHa: number;
  region: string;
  woreda: string;
  producerRef: string;
  harvestFrom: string;
  harvestTo: string;
}

export interface Plot {
  plotId: string;
  exporterId: string;
  commitment: string;
  kind: 'Point' | 'Polygon';
  screening: { status: ScreeningStatus; layerSha256: string; overlapHa: number };
  /** Set when ECTA's re-screening against a newer forest-loss layer flagged a plot registered CLEAR. */
  rescreen?: { fromLayerSha256: string; at: string | null } | null;
  review: { outcome: string; note: string } | null;
  registeredAt: string | null;
  /** Decrypted by the gateway for entitled viewers (?geometry=true, one plot, the review queue). */
  details?: PlotDetails;
  detailsError?: { code: string; detail: string };
}

export interface NewPlot {
  geometry: unknown;
  declaredAreaHa: number;
  region: string;
  woreda: string;
  producerRef: string;
  harvestFrom: string;
  harvestTo: string;
}

export interface RegisteredPlot {
  plotId: string;
  kind: 'Point' | 'Polygon';
  areaHa: number | null;
  screening: { status: 'CLEAR' | 'FLAGGED'; overlapHa: number; featureIds: (string | number)[] };
}

export interface LotLink {
  lotId: string;
  plots: { plotId: string; quantityKg: number }[];
}

export interface ExportEudr {
  required: boolean;
  lots: { lots: LotLink[] } | null;
  package: {
    status: 'ASSEMBLED' | 'APPROVED' | 'REFERENCED';
    packageSha256?: string;
    plotIds?: string[];
    summary?: Record<string, unknown>;
    reference?: { reference: string; verificationNumber?: string } | string;
  } | null;
}

export interface ForestLayerView {
  name: string;
  sha256: string;
  featureCount: number;
  /** 1 for the first layer loaded, then one more per replacement. */
  version?: number;
  setAt?: string;
  setBy?: { userId?: string; mspId?: string };
  features?: {
    type: 'Feature';
    id?: string | number;
    geometry: Geometry;
    properties?: Record<string, unknown>;
  }[];
}

const enc = encodeURIComponent;

export async function listPlots(withGeometry = true): Promise<Plot[]> {
  return (await authedCall<{ items: Plot[] }>(`/eudr/plots?geometry=${String(withGeometry)}`)).items;
}

export function getPlot(plotId: string): Promise<Plot> {
  return authedCall<Plot>(`/eudr/plots/${enc(plotId)}`);
}

export function registerPlot(body: NewPlot): Promise<RegisteredPlot> {
  return authedCall<RegisteredPlot>('/eudr/plots', { method: 'POST', body });
}

export async function reviewQueue(): Promise<Plot[]> {
  return (await authedCall<{ items: Plot[] }>('/eudr/review-queue')).items;
}

export function reviewPlot(
  plotId: string,
  body: { outcome: 'REVIEW_CLEARED' | 'REVIEW_REJECTED'; note: string },
): Promise<unknown> {
  return authedCall(`/eudr/plots/${enc(plotId)}/review`, { method: 'POST', body });
}

export function getForestLayer(withFeatures: boolean): Promise<ForestLayerView> {
  return authedCall<ForestLayerView>(`/eudr/forest-layer?features=${String(withFeatures)}`);
}

/** What loading a layer answers: the ledger's record of it. */
export interface LoadedLayer {
  name: string;
  sha256: string;
  cid: string;
  featureCount: number;
  txId: string;
}

/** ECTA loads a forest-loss layer (a GeoJSON FeatureCollection): in force for screening from now on. */
export function loadForestLayer(geojson: unknown): Promise<LoadedLayer> {
  return authedCall<LoadedLayer>('/eudr/forest-layer', { method: 'POST', body: geojson });
}

export function exportEudr(exportId: string): Promise<ExportEudr> {
  return authedCall<ExportEudr>(`/exports/${enc(exportId)}/eudr`);
}

export function linkLots(exportId: string, lots: LotLink[]): Promise<unknown> {
  return authedCall(`/exports/${enc(exportId)}/eudr/lots`, { method: 'POST', body: { lots } });
}

export function assemblePackage(exportId: string): Promise<unknown> {
  return authedCall(`/exports/${enc(exportId)}/eudr/package`, {
    method: 'POST',
    body: { legalityDeclared: true },
  });
}

export function approvePackage(exportId: string): Promise<unknown> {
  return authedCall(`/exports/${enc(exportId)}/eudr/approve`, { method: 'POST' });
}

export function recordReference(exportId: string, reference: string): Promise<unknown> {
  return authedCall(`/exports/${enc(exportId)}/eudr/reference`, { method: 'POST', body: { reference } });
}

export function downloadPackage(exportId: string): Promise<Record<string, unknown>> {
  return authedCall<Record<string, unknown>>(`/exports/${enc(exportId)}/eudr/package`);
}
