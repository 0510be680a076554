import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { Fields, MSP, emitEvent, toJson, txIso, writeState } from '@coffee/chaincode-common';
import { authorize } from '../lib/access';
import { fail } from '../lib/errors';
import { EVENTS } from '../lib/events';
import {
  CONFIG_KEY,
  MAX_REPATRIATION_WINDOW_SECONDS,
  MAX_SHIP_BY_WINDOW_SECONDS,
  type WorkflowConfig,
  readConfig,
} from '../model/config';

/**
 * Workflow deadlines: the ship-by window (registration time + window = ship-by date) and the
 * repatriation window (shipment time + window = proceeds due). Deadlines are computed from
 * transaction timestamps only.
 */
@Info({ title: 'WorkflowConfig', description: 'Ship-by and repatriation windows, set by ECTA' })
export class WorkflowConfigContract extends Contract {
  constructor() {
    super('config');
  }

  /** ECTA ecta_officer. input: {shipByWindowSeconds?, repatriationWindowSeconds?} (at least one). */
  @Transaction()
  @Returns('string')
  public async SetWorkflowConfig(ctx: Context, input: string): Promise<string> {
    const f = Fields.parse(input, 'input');
    const shipBy = f.optInt('shipByWindowSeconds', 1, MAX_SHIP_BY_WINDOW_SECONDS);
    const repatriation = f.optInt('repatriationWindowSeconds', 1, MAX_REPATRIATION_WINDOW_SECONDS);
    f.end();
    if (shipBy === undefined && repatriation === undefined) {
      return fail(
        'VALIDATION_FAILED',
        'input sets neither shipByWindowSeconds nor repatriationWindowSeconds',
      );
    }
    const actor = await authorize(ctx, [{ msp: MSP.ECTA, roles: ['ecta_officer'] }]);
    const current = await readConfig(ctx);
    const config: WorkflowConfig = {
      docType: 'workflowConfig',
      shipByWindowSeconds: shipBy ?? current.shipByWindowSeconds,
      repatriationWindowSeconds: repatriation ?? current.repatriationWindowSeconds,
      version: current.version + 1,
      updatedAt: txIso(ctx),
      updatedBy: actor.userId,
    };
    await writeState(ctx, CONFIG_KEY, config);
    emitEvent(ctx, EVENTS.workflowConfigUpdated, { ...config, txId: ctx.stub.getTxID() });
    return toJson(config);
  }

  @Transaction(false)
  @Returns('string')
  public async GetWorkflowConfig(ctx: Context): Promise<string> {
    return toJson(await readConfig(ctx));
  }
}
