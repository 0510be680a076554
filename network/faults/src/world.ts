/* eslint-disable @typescript-eslint/no-unsafe-member-access -- HTTP response bodies are untyped JSON here */
/**
 * The people the fault load acts as, created through the gateways' API on the stack under test: an ECTA officer
 * (who also licenses the exporters and publishes a minimum price), and exporters of the commercial bank.
 */
import { randomBytes } from 'node:crypto';
import {
  adminOf,
  expectStatus,
  http,
  login,
  org,
  type Org,
  type Session,
} from '../../../gateways/test/support/stack.ts';

export interface Exporter {
  readonly exporterId: string;
  readonly session: Session;
}

const QUANTITY = 6_000;
const PRICE = 6;

export class World {
  readonly ecta: Session;
  readonly exporters: readonly Exporter[];
  readonly #passwords = new Map<string, string>();

  private constructor(ecta: Session, exporters: Exporter[], passwords: Map<string, string>) {
    this.ecta = ecta;
    this.exporters = exporters;
    this.#passwords = passwords;
  }

  /** Creates the users (a few seconds per exporter: a licence, a CA enrollment and an on-chain record each). */
  static async create(exporterCount: number): Promise<World> {
    const run = randomBytes(3).toString('hex');
    const passwords = new Map<string, string>();
    const user = async (
      admin: Session,
      username: string,
      role: string,
      exporterId?: string,
    ): Promise<Session> => {
      const password = `pw-${randomBytes(9).toString('base64url')}`;
      const r = await http(admin.org, 'POST', '/api/v1/users', {
        token: admin.token,
        body: { username, password, role, exporterId },
      });
      expectStatus(r, 201, `create ${role} ${username}`);
      passwords.set(`${admin.org.id}/${username}`, password);
      return login(admin.org, username, password);
    };
    const ectaOrg = org('ecta');
    const cbAdmin = await adminOf(org('commercial-bank'));
    const ecta = await user(await adminOf(ectaOrg), `ecta-faults-${run}`, 'ecta_officer');
    const price = await http(ectaOrg, 'POST', '/api/v1/minimum-prices', {
      token: ecta.token,
      body: { grade: 'G2', usdPerKg: 3, effectiveFrom: '2020-01-01' },
    });
    expectStatus(price, 201, 'minimum price');
    const exporters: Exporter[] = [];
    for (let i = 0; i < exporterCount; i++) {
      const exporterId = `FLT-${run.toUpperCase()}-${i}`;
      const lic = await http(ectaOrg, 'POST', '/api/v1/exporters', {
        token: ecta.token,
        body: {
          exporterId,
          legalName: `Fault Tolerant Coffee ${i} ${run}`,
          tin: String(2000000000 + i),
          licenceNumber: `LIC-${exporterId}`,
          licenceValidUntil: '2031-12-31',
        },
      });
      expectStatus(lic, 201, `license ${exporterId}`);
      exporters.push({ exporterId, session: await user(cbAdmin, `flt-${run}-${i}`, 'exporter', exporterId) });
    }
    return new World(ecta, exporters, passwords);
  }

  /** Logs the session's user in again (an access token expired during a long case); keeps the same object. */
  async relogin(s: Session): Promise<void> {
    const password = this.#passwords.get(`${s.org.id}/${s.username}`);
    if (password === undefined) return;
    const r = await http(s.org, 'POST', '/api/v1/auth/login', {
      body: { username: s.username, password },
    }).catch(() => undefined);
    if (r?.status === 200) (s as { token: string }).token = r.body.accessToken as string;
  }

  /** A valid create body for contract `tag` with the two staged documents. */
  exportBody(tag: string, salesContractCid: string, proformaCid: string): Record<string, unknown> {
    return {
      contract: {
        contractNumber: `FLT-${tag}`,
        buyerName: 'Hamburg Roasters GmbH',
        destinationCountry: 'DE',
        contractedGrade: 'G2',
        quantityKg: QUANTITY,
        originRegion: 'SIDAMA',
        incoterm: 'FOB',
      },
      documents: [
        { type: 'SALES_CONTRACT', cid: salesContractCid },
        { type: 'PROFORMA_INVOICE', cid: proformaCid },
      ],
      tradeTerms: { unitPriceUsdPerKg: PRICE, contractValueUsd: PRICE * QUANTITY, paymentMethod: 'CAD' },
    };
  }

  /** The org whose gateway an exporter uses. */
  static readonly exporterOrg: Org = org('commercial-bank');
}
