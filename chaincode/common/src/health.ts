import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { ClockCheckedContract } from './clock-skew';
import { emitEvent, readState, toJson, writeState } from './ledger';
import { txIso } from './time';
import { Fields } from './validate';

/** Liveness of the deployed chaincode, used by operators and the network tests. */
export interface Heartbeat {
  chaincode: string;
  mspId: string;
  txId: string;
  recordedAt: string;
}

/** The health contract's one event; each chaincode's EVENTS map spreads this in. */
export const HEALTH_EVENTS = {
  heartbeatRecorded: 'HeartbeatRecorded',
} as const;

/** The transactions of the `health` contract, the same in every chaincode. */
export interface HealthTransactions {
  Ping(ctx: Context): Promise<string>;
  RecordHeartbeat(ctx: Context): Promise<string>;
  GetHeartbeat(ctx: Context, mspId: string): Promise<string>;
}

export type HealthContractClass = new () => Contract & HealthTransactions;

function parseHeartbeat(value: unknown): Heartbeat {
  const f = Fields.of(value, 'heartbeat', 'CORRUPT_STATE');
  return {
    chaincode: f.str('chaincode', { max: 64 }),
    mspId: f.str('mspId', { max: 64 }),
    txId: f.str('txId', { max: 128 }),
    recordedAt: f.str('recordedAt', { max: 32 }),
  };
}

/**
 * The `health` contract of the chaincode named `chaincode`. A factory rather than a base class: the
 * decorators must sit on the contract's own prototype, where fabric-contract-api and the layout test
 * look for them. Call it once per chaincode (src/contracts/health.ts).
 */
export function healthContract(chaincode: string): HealthContractClass {
  @Info({
    title: 'Health',
    description: `Liveness and per-organization heartbeat of the ${chaincode} chaincode`,
  })
  class HealthContract extends ClockCheckedContract implements HealthTransactions {
    constructor() {
      super('health');
    }

    /** Answers without touching the ledger: proves the chaincode server is reachable. */
    @Transaction(false)
    @Returns('string')
    public Ping(ctx: Context): Promise<string> {
      return Promise.resolve(JSON.stringify({ chaincode, mspId: ctx.clientIdentity.getMSPID() }));
    }

    /** Records the calling organization's heartbeat; keyed by the caller's MSP, never by an argument. */
    @Transaction()
    @Returns('string')
    public async RecordHeartbeat(ctx: Context): Promise<string> {
      const mspId = ctx.clientIdentity.getMSPID();
      const heartbeat: Heartbeat = {
        chaincode,
        mspId,
        txId: ctx.stub.getTxID(),
        recordedAt: txIso(ctx),
      };
      await writeState(ctx, ctx.stub.createCompositeKey('heartbeat', [mspId]), heartbeat);
      emitEvent(ctx, HEALTH_EVENTS.heartbeatRecorded, heartbeat);
      return toJson(heartbeat);
    }

    @Transaction(false)
    @Returns('string')
    public async GetHeartbeat(ctx: Context, mspId: string): Promise<string> {
      const heartbeat = await readState(
        ctx,
        ctx.stub.createCompositeKey('heartbeat', [mspId]),
        parseHeartbeat,
      );
      if (heartbeat === undefined) {
        throw new Error(`HEARTBEAT_NOT_FOUND: no heartbeat recorded for ${mspId}`);
      }
      return toJson(heartbeat);
    }
  }
  return HealthContract;
}
