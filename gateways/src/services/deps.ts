/** What the services need, built once by server.ts (or by a test) and passed to createApp(). */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { CoffeeLedger, FabricIdentity } from '../fabric/ledger.ts';
import type { ProjectionWatch } from '../events/projector.ts';
import type { DocumentStore } from '../ipfs/store.ts';
import type { DocumentKeys } from './document-keys.ts';

/** Issues a Fabric CA identity (registered with its role attribute, enrolled). */
export type Enroller = (
  username: string,
  role: string,
) => Promise<{ certificate: string; privateKey: string }>;

export interface Deps {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly ledger: CoffeeLedger;
  readonly store: DocumentStore;
  /** Encrypts documents for their audience and decrypts those shared with this org. */
  readonly documentKeys: DocumentKeys;
  readonly logger: Logger;
  /** The org admin's identity: registers users on-chain, serves public reads and the projector. */
  readonly orgAdmin: FabricIdentity;
  readonly enroll: Enroller;
  /** The in-process projector's progress, when it runs in this process (server.ts); else Postgres is polled. */
  readonly projection?: ProjectionWatch;
}

/** The authenticated caller of a request. */
export interface Caller {
  readonly userId: string;
  readonly username: string;
  readonly role: string;
  readonly requestId: string;
  /** When the caller last proved a second factor (seconds since the epoch, the token's `mfaAt`). */
  readonly mfaAt?: number;
  /** The org's policy requires a second factor of this role and the user has none yet: only enrollment is open. */
  readonly mfaEnrollmentOnly?: boolean;
  /** The access token of the request (its id and expiry, epoch seconds): logout revokes it (auth/revocation.ts). */
  readonly token?: { readonly jti: string; readonly exp: number };
}
