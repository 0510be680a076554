/**
 * The EUDR routes (issue 15) under /api/v1: plots and the forest-loss layer, ECX's lot links, ECTA's review queue,
 * the DDS package per export. Mounted from routes/api.ts, so each is in the OpenAPI document like every other.
 * The route's access says who may call at all (refused before the body is read); the service applies the
 * per-object policy (whose plot, which export).
 */
import { EUDR_PLOT_AUDIENCE, ROLES_BY_MSP, WORKFLOW_ROLES } from '@coffee/consortium';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { EudrService } from '../services/eudr.ts';
import { newPlotId } from '../services/eudr.ts';
import { route, type RouteDef } from './http.ts';
import { ID } from './schemas.ts';

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  description:
    'a retry with the same key (8-128 of A-Z a-z 0-9 . _ : -) has exactly one effect: the first answer is replayed',
};

const DATE = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const TEXT = (max: number) => z.string().trim().min(1).max(max);

/** The geometry is checked by the domain validator (eudr/geometry.ts), which names each bad case on its own. */
export const RegisterPlotBody = z
  .object({
    // An object, or GeoJSON text: parsed JSON numbers lose trailing zeros (38.500000 reads as 38.5), so a client
    // whose coordinates end in zeros sends the text and the validator counts the decimals as written.
    geometry: z.union([z.record(z.unknown()), z.string().min(2).max(1_000_000)]),
    declaredAreaHa: z.number().positive().max(100_000),
    region: TEXT(100),
    woreda: TEXT(100),
    producerRef: TEXT(200),
    harvestFrom: DATE,
    harvestTo: DATE,
    legalityDocuments: z
      .array(
        z
          .object({
            name: TEXT(200),
            reference: TEXT(300),
            sha256: z
              .string()
              .regex(/^[0-9a-f]{64}$/)
              .optional(),
          })
          .strict(),
      )
      .max(20)
      .optional(),
  })
  .strict();

export const ForestLayerBody = z
  .object({
    type: z.enum(['FeatureCollection']),
    name: z.string().max(200).optional(),
    features: z.array(z.record(z.unknown())).min(1).max(100_000),
  })
  .passthrough();

export const ReviewPlotBody = z
  .object({ outcome: z.enum(['REVIEW_CLEARED', 'REVIEW_REJECTED']), note: TEXT(1000) })
  .strict();

export const LinkLotsBody = z
  .object({
    lots: z
      .array(
        z
          .object({
            lotId: ID,
            plots: z
              .array(
                z.object({ plotId: ID, quantityKg: z.number().int().positive().max(10_000_000) }).strict(),
              )
              .min(1)
              .max(500),
          })
          .strict(),
      )
      .min(1)
      .max(200),
  })
  .strict();

export const AssemblePackageBody = z.object({ legalityDeclared: z.boolean() }).strict();

export const ReferenceBody = z
  .object({
    reference: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{2,63}$/, '3-64 letters, digits, . _ / -'),
    verificationNumber: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/)
      .optional(),
  })
  .strict();

export const PlotsQuery = z
  .object({
    exporterId: ID.optional(),
    status: z.enum(['PENDING', 'CLEAR', 'FLAGGED', 'REVIEW_CLEARED', 'REVIEW_REJECTED']).optional(),
    geometry: z.enum(['true', 'false']).default('false'),
    limit: z.coerce.number().int().min(1).max(500).default(200),
  })
  .strict();

export const LayerQuery = z.object({ features: z.enum(['true', 'false']).default('false') }).strict();

/** Who reads plots (the service narrows further per plot): every reader role of the entitled orgs. */
const PLOT_READERS = [...new Set(EUDR_PLOT_AUDIENCE.flatMap((msp) => ROLES_BY_MSP[msp]))];

export function eudrRoutes(eudr: EudrService | undefined): RouteDef[] {
  const svc = (): EudrService => {
    if (!eudr) throw new AppError(503, 'SERVICE_UNAVAILABLE', 'EUDR is not configured at this gateway');
    return eudr;
  };
  return [
    route({
      method: 'post',
      path: '/eudr/forest-layer',
      tag: 'eudr',
      status: 201,
      summary:
        'Load the forest-loss-after-2020 layer (ECTA; GeoJSON FeatureCollection of polygons): stored in IPFS, its SHA-256 and CID recorded on the ledger',
      access: { kind: 'user', roles: ['ecta_officer', 'admin'], orgs: ['ecta'] },
      body: ForestLayerBody,
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body }) => svc().setForestLayer(caller, body),
    }),
    route({
      method: 'get',
      path: '/eudr/forest-layer',
      tag: 'eudr',
      summary:
        'The forest-loss layer in force (ledger record; ?features=true adds its polygons, hash-checked)',
      access: { kind: 'user' },
      query: LayerQuery,
      handler: async ({ caller, query }) => svc().getForestLayer(caller, query.features === 'true'),
    }),
    route({
      method: 'post',
      path: '/eudr/plots',
      tag: 'eudr',
      status: 201,
      summary:
        'Register a production plot (exporter): validated (422 with one code per bad geometry case), screened against the forest-loss layer, details encrypted in IPFS, a salted commitment on the ledger',
      access: { kind: 'user', roles: ['exporter'], orgs: ['commercial-bank'] },
      body: RegisterPlotBody,
      headers: [IDEMPOTENCY_HEADER],
      idempotent: { resourceId: () => newPlotId() },
      submits: true,
      handler: async ({ caller, body, idempotency }) => svc().registerPlot(caller, body, idempotency),
    }),
    route({
      method: 'get',
      path: '/eudr/plots',
      tag: 'eudr',
      summary:
        "The plots the caller may see (read model): an exporter its own; ?geometry=true decrypts each plot's details",
      access: { kind: 'user', roles: PLOT_READERS },
      query: PlotsQuery,
      handler: async ({ caller, query }) =>
        svc().listPlots(caller, {
          exporterId: query.exporterId,
          status: query.status,
          withGeometry: query.geometry === 'true',
          limit: query.limit,
        }),
    }),
    route({
      method: 'get',
      path: '/eudr/plots/:id',
      tag: 'eudr',
      summary: 'One plot with its decrypted details, checked against its commitment (404 if not visible)',
      access: { kind: 'user', roles: PLOT_READERS },
      params: { id: ID },
      handler: async ({ caller, params }) => svc().getPlot(caller, params.id),
    }),
    route({
      method: 'post',
      path: '/eudr/plots/:id/review',
      tag: 'eudr',
      summary: 'Record the reviewed outcome of a FLAGGED plot (ECTA officer)',
      access: { kind: 'user', roles: ['ecta_officer'], orgs: ['ecta'] },
      body: ReviewPlotBody,
      params: { id: ID },
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body, params }) => svc().reviewPlot(caller, params.id, body),
    }),
    route({
      method: 'get',
      path: '/eudr/review-queue',
      tag: 'eudr',
      summary: 'FLAGGED plots awaiting review, with their decrypted details (ECTA)',
      access: { kind: 'user', roles: ['ecta_officer', 'auditor'], orgs: ['ecta'] },
      handler: async ({ caller }) => svc().reviewQueue(caller),
    }),
    route({
      method: 'get',
      path: '/exports/:id/eudr',
      tag: 'eudr',
      summary:
        "An export's EUDR state: whether it needs a package and its status (whoever sees the export); ECX's lot links and the package details (the plot audience)",
      access: { kind: 'user', roles: WORKFLOW_ROLES },
      params: { id: ID },
      handler: async ({ caller, params }) => svc().exportEudr(caller, params.id),
    }),
    route({
      method: 'post',
      path: '/exports/:id/eudr/lots',
      tag: 'eudr',
      summary: 'Record which plots each certified lot came from, with quantities (ECX grader)',
      access: { kind: 'user', roles: ['grader'], orgs: ['ecx'] },
      body: LinkLotsBody,
      params: { id: ID },
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body, params }) => svc().linkLots(caller, params.id, body),
    }),
    route({
      method: 'post',
      path: '/exports/:id/eudr/package',
      tag: 'eudr',
      status: 201,
      summary:
        "Assemble the DDS package of an EU-bound export from the plots of ECX's lots (exporter): GeoJSON for the EU Information System and the summary, encrypted for the exporter's bank, ECTA and Customs",
      access: { kind: 'user', roles: ['exporter'], orgs: ['commercial-bank'] },
      body: AssemblePackageBody,
      params: { id: ID },
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body, params }) => svc().assemblePackage(caller, params.id, body),
    }),
    route({
      method: 'post',
      path: '/exports/:id/eudr/approve',
      tag: 'eudr',
      summary:
        "Co-endorse the package (ECTA officer) after re-checking every plot against its commitment and ECTA's own copy of the forest-loss layer",
      access: { kind: 'user', roles: ['ecta_officer'], orgs: ['ecta'] },
      params: { id: ID },
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, params }) => svc().approvePackage(caller, params.id),
    }),
    route({
      method: 'post',
      path: '/exports/:id/eudr/reference',
      tag: 'eudr',
      summary: 'Record the DDS reference number the importer obtained (exporter; approved packages)',
      access: { kind: 'user', roles: ['exporter'], orgs: ['commercial-bank'] },
      body: ReferenceBody,
      params: { id: ID },
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body, params }) => svc().recordReference(caller, params.id, body),
    }),
    route({
      method: 'get',
      path: '/exports/:id/eudr/package',
      tag: 'eudr',
      summary:
        'Download the package for the importer: the consolidated GeoJSON and the summary as one JSON document (hash-checked)',
      access: { kind: 'user', roles: PLOT_READERS },
      params: { id: ID },
      handler: async ({ caller, params, res }) => {
        const doc = await svc().downloadPackage(caller, params.id);
        res.setHeader('Content-Disposition', `attachment; filename="eudr-dds-${params.id}.json"`);
        return doc;
      },
    }),
  ];
}
