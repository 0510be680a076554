/**
 * Rebuilds an org's read model from block 0: empties it (and its checkpoint) in one transaction, replays
 * every block up to the current height, prints the row counts. Safe while the gateway runs (the projector
 * there follows the checkpoint).
 *
 *   npm run gateways:reproject -- <org>
 */
import { pino } from 'pino';
import { findOrg } from '../../../network/src/orgs.ts';
import { loadConfig } from '../config.ts';
import { Projector, resetReadModel } from '../events/projector.ts';
import { buildDeps } from '../server.ts';

export async function reproject(orgId: string): Promise<{ height: bigint; exports: number; events: number }> {
  const org = findOrg(orgId);
  const config = loadConfig({ ...process.env, ORG: org.id });
  const logger = pino({ level: 'warn', base: { org: org.id } });
  const deps = await buildDeps(config, logger);
  try {
    await resetReadModel(deps.pool);
    const height = await deps.ledger.chainHeight(deps.orgAdmin);
    const projector = new Projector({
      pool: deps.pool,
      ledger: deps.ledger,
      identity: deps.orgAdmin,
      logger,
    });
    projector.start();
    try {
      await projector.waitFor(height, 300_000);
    } finally {
      await projector.stop();
    }
    const counts = await deps.pool.query<{ exports: string; events: string }>(
      'SELECT (SELECT count(*) FROM rm_exports) AS exports, (SELECT count(*) FROM rm_events) AS events',
    );
    return { height, exports: Number(counts.rows[0]!.exports), events: Number(counts.rows[0]!.events) };
  } finally {
    deps.ledger.ledger.close();
    await deps.pool.end();
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const orgId = process.argv[2];
  if (!orgId) {
    process.stderr.write('usage: npm run gateways:reproject -- <org>\n');
    process.exit(2);
  }
  reproject(orgId).then(
    (r) => {
      process.stdout.write(
        `reprojected ${orgId} from block 0 to height ${r.height}: ${r.exports} exports, ${r.events} events\n`,
      );
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`reproject: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
