/** Exporter licences (ECTA writes, all read) and minimum prices (ECTA writes, all read), on the ledger. */
import { withTx } from '../db/pool.ts';
import { dbReachable } from '../db/pool.ts';
import { UnavailableError } from '../errors.ts';
import { audit, auditQuietly } from './audit.ts';
import type { Caller, Deps } from './deps.ts';
import type { UserService } from './users.ts';

export class RegistryService {
  readonly #deps: Deps;
  readonly #users: UserService;

  constructor(deps: Deps, users: UserService) {
    this.#deps = deps;
    this.#users = users;
  }

  async #write(
    caller: Caller,
    action: string,
    target: string,
    run: () => Promise<{ result: string; txId: string; blockNumber: bigint }>,
  ): Promise<{ record: unknown; txId: string; blockNumber: string }> {
    if (!(await dbReachable(this.#deps.pool))) throw new UnavailableError('the database');
    try {
      const tx = await run();
      await withTx(this.#deps.pool, (c) =>
        audit(c, caller, { action, target, txId: tx.txId, outcome: 'OK' }),
      );
      return {
        record: JSON.parse(tx.result) as unknown,
        txId: tx.txId,
        blockNumber: tx.blockNumber.toString(),
      };
    } catch (e: unknown) {
      await auditQuietly(this.#deps.pool, caller, { action, target, outcome: 'REFUSED' });
      throw e;
    }
  }

  async registerExporter(
    caller: Caller,
    input: Record<string, unknown>,
  ): Promise<{ record: unknown; txId: string; blockNumber: string }> {
    const id = await this.#users.identityOf(caller.userId);
    return this.#write(caller, 'exporters.create', String(input.exporterId), () =>
      this.#deps.ledger.registerExporter(id, input),
    );
  }

  async updateExporter(
    caller: Caller,
    exporterId: string,
    input: Record<string, unknown>,
  ): Promise<{ record: unknown; txId: string; blockNumber: string }> {
    const id = await this.#users.identityOf(caller.userId);
    return this.#write(caller, 'exporters.update', exporterId, () =>
      this.#deps.ledger.updateExporter(id, { ...input, exporterId }),
    );
  }

  async getExporter(caller: Caller, exporterId: string): Promise<unknown> {
    return this.#deps.ledger.getExporter(await this.#users.identityOf(caller.userId), exporterId);
  }

  async listExporters(caller: Caller, page: { pageSize?: number; bookmark?: string }): Promise<unknown> {
    return this.#deps.ledger.listExporters(await this.#users.identityOf(caller.userId), page);
  }

  async publishMinimumPrice(
    caller: Caller,
    input: Record<string, unknown>,
  ): Promise<{ record: unknown; txId: string; blockNumber: string }> {
    const id = await this.#users.identityOf(caller.userId);
    return this.#write(caller, 'minimum-prices.create', String(input.grade), () =>
      this.#deps.ledger.publishMinimumPrice(id, input),
    );
  }

  async listMinimumPrices(caller: Caller, grade?: string): Promise<unknown> {
    return this.#deps.ledger.listMinimumPrices(
      await this.#users.identityOf(caller.userId),
      grade ? { grade } : {},
    );
  }

  /** ECTA or the National Bank proposes new deadlines; nothing changes until the other approves. */
  async proposeWorkflowConfig(
    caller: Caller,
    input: Record<string, unknown>,
  ): Promise<{ record: unknown; txId: string; blockNumber: string }> {
    const id = await this.#users.identityOf(caller.userId);
    return this.#write(caller, 'workflow-config.propose', 'config', () =>
      this.#deps.ledger.proposeWorkflowConfig(id, input),
    );
  }

  /** The other regulator approves the open proposal (its version, so nobody approves what they did not see). */
  async approveWorkflowConfig(
    caller: Caller,
    input: { version: number },
  ): Promise<{ record: unknown; txId: string; blockNumber: string }> {
    const id = await this.#users.identityOf(caller.userId);
    return this.#write(caller, 'workflow-config.approve', 'config', () =>
      this.#deps.ledger.approveWorkflowConfig(id, input),
    );
  }

  async getWorkflowConfig(caller: Caller): Promise<unknown> {
    return this.#deps.ledger.getWorkflowConfig(await this.#users.identityOf(caller.userId));
  }
}
