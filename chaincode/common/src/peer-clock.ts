/**
 * The endorsing peer's wall clock: the ONE clock read in chaincode sources (the determinism guard exempts this
 * file and nothing else). It is safe because it only decides WHETHER this peer endorses a write (clock-skew.ts),
 * never WHAT the write contains: the read-write set and every stored timestamp still come from the transaction's
 * own timestamp (time.ts). A proposal near the skew limit may be endorsed by one peer and refused by another;
 * the client then gets an endorsement failure, never a divergent write.
 *
 * The chaincode server runs next to its peer (chaincode as a service, same host), so its clock is the peer's.
 * A stub that knows its peer's time answers it instead (the unit tests' in-memory peer, with its fixed 2026
 * clock); Fabric's own stub does not.
 */
import type { Context } from 'fabric-contract-api';

/** A stub that can tell its peer's time (epoch milliseconds). */
export interface PeerClock {
  peerTimeMillis(): number;
}

/** The endorsing peer's time now, in epoch milliseconds. */
export function peerTimeMillis(ctx: Context): number {
  const own = (ctx.stub as unknown as Partial<PeerClock>).peerTimeMillis;
  if (typeof own === 'function') {
    return own.call(ctx.stub);
  }
  // eslint-disable-next-line no-restricted-globals -- the sanctioned clock read: it gates endorsement only (above)
  return Date.now();
}
