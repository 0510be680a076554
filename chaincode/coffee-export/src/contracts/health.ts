import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { EVENTS } from '../lib/events';
import { emitEvent, readState, toJson, writeState } from '../lib/ledger';
import { txIso } from '../lib/time';
import { Fields } from '../lib/validate';

/** Liveness of the deployed chaincode, used by operators and the network tests. */
export interface Heartbeat {
  chaincode: string;
  mspId: string;
  txId: string;
  recordedAt: string;
}

const CHAINCODE = 'coffee-export';

function parseHeartbeat(value: unknown): Heartbeat {
  const f = Fields.of(value, 'heartbeat', 'CORRUPT_STATE');
  return {
    chaincode: f.str('chaincode', { max: 64 }),
    mspId: f.str('mspId', { max: 64 }),
    txId: f.str('txId', { max: 128 }),
    recordedAt: f.str('recordedAt', { max: 32 }),
  };
}

@Info({
  title: 'Health',
  description: 'Liveness and per-organization heartbeat of the coffee-export chaincode',
})
export class HealthContract extends Contract {
  constructor() {
    super('health');
  }

  /** Answers without touching the ledger: proves the chaincode server is reachable. */
  @Transaction(false)
  @Returns('string')
  public Ping(ctx: Context): Promise<string> {
    return Promise.resolve(JSON.stringify({ chaincode: CHAINCODE, mspId: ctx.clientIdentity.getMSPID() }));
  }

  /** Records the calling organization's heartbeat; keyed by the caller's MSP, never by an argument. */
  @Transaction()
  @Returns('string')
  public async RecordHeartbeat(ctx: Context): Promise<string> {
    const mspId = ctx.clientIdentity.getMSPID();
    const heartbeat: Heartbeat = {
      chaincode: CHAINCODE,
      mspId,
      txId: ctx.stub.getTxID(),
      recordedAt: txIso(ctx),
    };
    await writeState(ctx, ctx.stub.createCompositeKey('heartbeat', [mspId]), heartbeat);
    emitEvent(ctx, EVENTS.heartbeatRecorded, heartbeat);
    return toJson(heartbeat);
  }

  @Transaction(false)
  @Returns('string')
  public async GetHeartbeat(ctx: Context, mspId: string): Promise<string> {
    const heartbeat = await readState(ctx, ctx.stub.createCompositeKey('heartbeat', [mspId]), parseHeartbeat);
    if (heartbeat === undefined) {
      throw new Error(`HEARTBEAT_NOT_FOUND: no heartbeat recorded for ${mspId}`);
    }
    return toJson(heartbeat);
  }
}
