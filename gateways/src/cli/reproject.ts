/**
 * Rebuilds a gateway's read model from block 0: empties it (and its checkpoint) in one transaction, replays
 * every block up to the current height, prints the row counts. Safe while the gateway runs (the projector
 * there follows the checkpoint). It reads the gateway's own configuration (the environment and the file
 * COFFEE_GATEWAY_CONFIG names, config.ts):
 *
 *   COFFEE_GATEWAY_CONFIG=<gateway.json> node --import tsx gateways/src/cli/reproject.ts
 *   npm run gateways:reproject -- <org>     (a gateway the launcher started: it passes that gateway's file)
 */
import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { Projector, resetReadModel } from '../events/projector.ts';
import { buildDeps } from '../server.ts';

export async function reproject(
  config: Config,
): Promise<{ height: bigint; exports: number; events: number }> {
  const logger = pino({ level: 'warn', base: { org: config.org.id } });
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
  if (process.argv.length > 2) {
    process.stderr.write(
      'usage: COFFEE_GATEWAY_CONFIG=<gateway.json> reproject.ts   (or npm run gateways:reproject -- <org>)\n',
    );
    process.exit(2);
  }
  Promise.resolve()
    .then(() => loadConfig())
    .then(async (config) => ({ org: config.org.id, ...(await reproject(config)) }))
    .then(
      (r) => {
        process.stdout.write(
          `reprojected ${r.org} from block 0 to height ${r.height}: ${r.exports} exports, ${r.events} events\n`,
        );
        process.exit(0);
      },
      (e: unknown) => {
        process.stderr.write(`reproject: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(e instanceof ConfigError ? 78 : 1);
      },
    );
}
