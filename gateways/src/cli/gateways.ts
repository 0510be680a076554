/**
 * Off-chain nodes and gateways next to a running network:
 *   up    PostgreSQL, the six kubo nodes, the six gateways; writes RUN_DIR/endpoints.json
 *   down  stops them (by pid), leaving the network running
 */
import { ensureIpfsAll, stopIpfsAll } from '../../../network/src/nodes/ipfs.ts';
import { ensurePostgres, stopPostgres } from '../../../network/src/nodes/postgres.ts';
import { info, step } from '../../../network/src/log.ts';
import { startGateways, stopGateways } from '../launch.ts';

async function main(command: string | undefined): Promise<void> {
  if (command === 'up') {
    await step('PostgreSQL (one database per org)', ensurePostgres);
    await step('IPFS (six kubo nodes, private swarm)', ensureIpfsAll);
    const { endpointsFile } = await step('gateways (six, one per org)', () => startGateways());
    info(`endpoints: ${endpointsFile}`);
  } else if (command === 'down') {
    const stopped = await stopGateways();
    await stopIpfsAll();
    await stopPostgres();
    info(`stopped gateways: ${stopped.join(', ') || 'none'}; IPFS and PostgreSQL stopped`);
  } else {
    process.stderr.write('usage: gateways.ts up|down\n');
    process.exit(2);
  }
}

main(process.argv[2]).catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
