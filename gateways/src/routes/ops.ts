/**
 * Operations routes: the live event stream (SSE), the org's webhooks (org admins) and the audit trail (auditors
 * and org admins). Deny first: each route's roles are in the table (403 FORBIDDEN_ROLE before anything runs).
 */
import type { Request } from 'express';
import { z } from 'zod';
import type { SseHub } from '../events/sse.ts';
import type { AccessPolicy } from '../services/access.ts';
import type { AuditTrail } from '../services/audit-trail.ts';
import type { Caller } from '../services/deps.ts';
import type { WebhookService } from '../services/webhooks.ts';
import { route, type RouteDef } from './http.ts';

export interface OpsServices {
  sse: SseHub;
  access: AccessPolicy;
  webhooks: WebhookService;
  auditTrail: AuditTrail;
  /** Authenticates a request again (as every route does): an open event stream checks its caller with it. */
  reauthenticate?: (req: Request) => Promise<Caller>;
}

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  description: 'a retry with the same key (8-128 of A-Z a-z 0-9 . _ : -) has exactly one effect',
};

const ADMIN = { kind: 'user', roles: ['admin'] } as const;
const AUDIT_READERS = { kind: 'user', roles: ['admin', 'auditor'] } as const;

const Limit = z.coerce.number().int().min(1).max(500).default(50);
const Timestamp = z
  .string()
  .max(40)
  .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 date or date-time');

export const WebhookBody = z
  .object({
    url: z.string().min(8).max(2048),
    /** HMAC key; generated (and shown once) when absent. */
    secret: z.string().min(24).max(256).optional(),
    description: z.string().max(200).optional(),
  })
  .strict();
export const WebhookPatch = z.object({ active: z.boolean() }).strict();
export const DeliveriesQuery = z
  .object({
    limit: Limit,
    cursor: z
      .string()
      .regex(/^\d{1,19}$/)
      .optional(),
  })
  .strict();
export const AuditQuerySchema = z
  .object({
    user: z.string().min(1).max(64).optional(),
    action: z
      .string()
      .regex(/^[a-z][a-z0-9.-]{0,62}(\.\*)?$/, 'an action, or a prefix ending in .*')
      .optional(),
    outcome: z.enum(['OK', 'REFUSED', 'FAILED']).optional(),
    target: z.string().min(1).max(200).optional(),
    txId: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    from: Timestamp.optional(),
    to: Timestamp.optional(),
    cursor: z.string().max(64).optional(),
    limit: Limit,
    format: z.enum(['json', 'csv']).optional(),
  })
  .strict();

export function opsRoutes(s: OpsServices): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/events',
      tag: 'events',
      summary:
        'Server-Sent Events: export events the caller may see (event `export`: id, exportId, status, previousStatus, action, txId, blockNumber, at); Last-Event-ID resumes; the stream ends at token expiry (`reauth`)',
      access: { kind: 'user' },
      headers: [{ name: 'Last-Event-ID', description: 'resume after this event id (`<block>-<txIndex>`)' }],
      handler: async ({ caller, req, res }) => {
        const viewer = await s.access.viewer(caller);
        s.access.requireReader(viewer);
        const reauthenticate = s.reauthenticate;
        // Still the same user with the same role (a role change changes what the stream may carry).
        const recheck = reauthenticate
          ? async () => {
              const now = await reauthenticate(req);
              return now.userId === caller.userId && now.role === caller.role;
            }
          : undefined;
        await s.sse.serve(caller, viewer, res, req.get('last-event-id'), recheck);
        return undefined;
      },
    }),
    // ------------------------------------------------------------ webhooks (org admin)
    route({
      method: 'get',
      path: '/webhooks',
      tag: 'webhooks',
      summary: "The org's webhooks (secrets are never shown again)",
      access: ADMIN,
      handler: async () => s.webhooks.list(),
    }),
    route({
      method: 'post',
      path: '/webhooks',
      tag: 'webhooks',
      status: 201,
      summary:
        'Register a webhook: https:// (or http:// to loopback) URL and an HMAC secret (generated and returned once when absent)',
      access: ADMIN,
      body: WebhookBody,
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      handler: async ({ caller, body }) => s.webhooks.create(caller, body),
    }),
    route({
      method: 'patch',
      path: '/webhooks/:id',
      tag: 'webhooks',
      summary: 'Enable or disable a webhook (disabling drops its undelivered events)',
      access: ADMIN,
      body: WebhookPatch,
      params: { id: z.string().uuid() },
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      handler: async ({ caller, body, params }) => s.webhooks.setActive(caller, params.id, body.active),
    }),
    route({
      method: 'get',
      path: '/webhooks/:id/deliveries',
      tag: 'webhooks',
      summary:
        "A webhook's delivery log, newest first: each attempt's status code or error, duration, outcome",
      access: ADMIN,
      query: DeliveriesQuery,
      params: { id: z.string().uuid() },
      handler: async ({ params, query }) => s.webhooks.deliveries(params.id, query),
    }),
    // ------------------------------------------------------------ audit trail
    route({
      method: 'get',
      path: '/audit',
      tag: 'audit',
      summary:
        "The org's audit log, newest first: filters user, action (`exports.*` a prefix), outcome, target, txId, from, to; cursor paging; CSV with `Accept: text/csv` or `format=csv`",
      access: AUDIT_READERS,
      query: AuditQuerySchema,
      handler: async ({ query, req, res }) => {
        const { format, cursor, limit, ...filters } = query;
        const csv =
          format === 'csv' || (format === undefined && req.accepts(['json', 'text/csv']) === 'text/csv');
        if (!csv) return s.auditTrail.page({ ...filters, cursor, limit });
        const lines = s.auditTrail.csv(filters);
        // The first page is read before any header goes out, so a database failure is still a problem+json.
        const first = await lines.next();
        res.status(200);
        res.setHeader('Content-Type', 'text/csv; charset=utf-8; header=present');
        res.setHeader('Content-Disposition', 'attachment; filename="audit-log.csv"');
        if (!first.done) res.write(first.value);
        try {
          for await (const line of lines)
            if (!res.write(line)) await new Promise((r) => res.once('drain', r));
        } finally {
          res.end();
        }
        return undefined;
      },
    }),
  ];
}
