/**
 * What pushes events out of a gateway, built once per app: the feed that follows the projection, the SSE hub,
 * the webhooks (routes and their dispatcher) and the audit trail reader. server.ts starts it once the projector
 * runs and stops it on shutdown (streams first, so the HTTP server can close at once); an app built by a test
 * without start() still serves the routes (the feed then starts with the first stream).
 */
import { Gauge, type Registry } from 'prom-client';
import type { OpsServices } from '../routes/ops.ts';
import { AccessPolicy } from '../services/access.ts';
import { AuditTrail } from '../services/audit-trail.ts';
import type { Deps } from '../services/deps.ts';
import type { UserService } from '../services/users.ts';
import { type DispatcherOptions, WebhookDispatcher, WebhookService } from '../services/webhooks.ts';
import { EventFeed } from './feed.ts';
import { SseHub, type SseOptions } from './sse.ts';

export interface Live {
  readonly ops: OpsServices;
  /** Starts the feed and the webhook dispatcher. */
  start(): Promise<void>;
  /** Ends every open event stream and refuses new ones. */
  closeStreams(): void;
  /** Stops the dispatcher and the feed (after closeStreams). */
  stop(): Promise<void>;
}

export function createLive(
  deps: Deps,
  users: UserService,
  metrics: Registry,
  o: { sse?: Partial<SseOptions>; webhooks?: DispatcherOptions } = {},
): Live {
  const feed = new EventFeed(deps.pool, deps.projection, deps.logger);
  const sse = new SseHub(feed, deps.pool, o.sse);
  const webhooks = new WebhookService(deps);
  const dispatcher = new WebhookDispatcher(deps, feed, o.webhooks);
  webhooks.onChange = () => dispatcher.nudge();
  new Gauge({
    name: 'gateway_event_streams_open',
    help: 'Server-Sent Events streams open now (GET /api/v1/events)',
    registers: [metrics],
    collect() {
      this.set(sse.open);
    },
  });
  let started = false;
  return {
    ops: { sse, access: new AccessPolicy(deps, users), webhooks, auditTrail: new AuditTrail(deps.pool) },
    async start() {
      started = true;
      await dispatcher.start();
    },
    closeStreams: () => sse.closeAll(),
    async stop() {
      sse.closeAll();
      if (started) await dispatcher.stop();
      await feed.stop();
    },
  };
}
