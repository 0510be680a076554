/**
 * The Operations page's route (services/operations.ts): org admins and auditors only — every other role is
 * refused (403 FORBIDDEN_ROLE) before Prometheus is asked anything. The caller chooses a range, never a query.
 */
import { z } from 'zod';
import { RANGE_KEYS, type OperationsService } from '../services/operations.ts';
import { route, type RouteDef } from './http.ts';

export const OPERATIONS_READERS = ['admin', 'auditor'] as const;

export const OperationsQuery = z.object({ range: z.enum(RANGE_KEYS).default('1h') }).strict();

export function operationsRoutes(operations: Pick<OperationsService, 'panels'>): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/operations/panels',
      tag: 'operations',
      summary:
        "The Operations page's panels from Prometheus (fixed queries): block height per node, transactions per second, this org's gateway latency percentiles, projector lag, exports by status and turnaround, the alerts now firing; 503 MONITORING_UNAVAILABLE when Prometheus is not configured or does not answer",
      access: { kind: 'user', roles: OPERATIONS_READERS },
      query: OperationsQuery,
      handler: async ({ query }) => operations.panels(query.range),
    }),
  ];
}
