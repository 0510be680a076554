/**
 * Fabric's peers do not check a proposal's timestamp: a client with a wrong clock would have its writes stamped
 * with that time, and every `recordedAt`, deadline and price in force
 * is computed from it (time.ts). So every write is refused at endorsement when its timestamp is more than
 * MAX_CLOCK_SKEW_MS away from the endorsing peer's clock, with `CLOCK_SKEW`. Reads are never refused: they
 * store nothing, and a client with a wrong clock can still look.
 *
 * Writes are the transactions declared `@Transaction()` (tagged SUBMIT); queries, `@Transaction(false)`, are
 * tagged EVALUATE. Every contract of both chaincodes extends ClockCheckedContract (the layout test checks it),
 * whose beforeTransaction runs before each transaction function, also in a chaincode-to-chaincode call.
 */
import { Contract, type Context } from 'fabric-contract-api';
import { ChaincodeError } from './errors';
import { peerTimeMillis } from './peer-clock';
import { isoFromMillis, txMillis } from './time';

/** The largest accepted distance, either way, between a write's timestamp and the endorsing peer's clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** Why a write stamped `txMs` is refused by a peer whose clock reads `peerMs`; undefined when it is accepted. */
export function clockSkewRefusal(txMs: number, peerMs: number): string | undefined {
  const skew = txMs - peerMs;
  if (Math.abs(skew) <= MAX_CLOCK_SKEW_MS) {
    return undefined;
  }
  const minutes = (Math.abs(skew) / 60_000).toFixed(1);
  return (
    `the proposal's timestamp ${isoFromMillis(txMs)} is ${minutes} min ${skew < 0 ? 'behind' : 'ahead of'} ` +
    `the endorsing peer's clock (${isoFromMillis(peerMs)}); a write is accepted within ` +
    `${MAX_CLOCK_SKEW_MS / 60_000} min: check the client's clock`
  );
}

/** Refuses the transaction (CLOCK_SKEW) when its timestamp is too far from the peer's clock. */
export function refuseClockSkew(ctx: Context, peerMs: number = peerTimeMillis(ctx)): void {
  const refusal = clockSkewRefusal(txMillis(ctx), peerMs);
  if (refusal !== undefined) {
    throw new ChaincodeError('CLOCK_SKEW', refusal);
  }
}

interface TransactionMetadata {
  name: string;
  tag?: string[];
}

/** Is `fn` a transaction of `contract` declared to be submitted (`@Transaction()`), not a query? */
export function isSubmitTransaction(contract: object, fn: string): boolean {
  // fabric-contract-api loads reflect-metadata before any decorator runs; its metadata sits on the prototype.
  const reflect = Reflect as unknown as { getMetadata(key: string, target: object): unknown };
  const meta = reflect.getMetadata('fabric:transactions', contract);
  if (!Array.isArray(meta)) {
    return false;
  }
  const tx = (meta as TransactionMetadata[]).find((t) => t.name === fn);
  return tx?.tag?.includes('SUBMIT') === true;
}

/** The base of every contract: a write proposed with a skewed clock is refused before it runs. */
export class ClockCheckedContract extends Contract {
  override beforeTransaction(ctx: Context): Promise<void> {
    return new Promise<void>((resolve) => {
      const { fcn } = ctx.stub.getFunctionAndParameters();
      if (isSubmitTransaction(this, fcn.slice(fcn.indexOf(':') + 1))) {
        refuseClockSkew(ctx);
      }
      resolve();
    });
  }
}
