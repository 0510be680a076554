import './quiet';
/**
 * In-memory stand-ins for the peer: a ledger with namespaces, private collections (with hashes and
 * member-only read/write), composite keys, pagination, history, key-level validation parameters, events,
 * transient data and chaincode-to-chaincode calls. Like a peer, reads see committed state only (no
 * read-your-writes) and a failed transaction commits nothing.
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import type { Context, Contract } from 'fabric-contract-api';
import Long from 'long';

export const CHANNEL = 'coffee-export-channel';
const NS = '\u0000';

export interface Identity {
  mspId: string;
  commonName: string;
  role?: string;
}

export interface Collection {
  name: string;
  members: string[];
}

interface Modification {
  txId: string;
  seconds: number;
  value: Uint8Array;
  isDelete: boolean;
}

interface TxContext {
  txId: string;
  seconds: number;
  identity: Identity;
  transient: Map<string, Uint8Array>;
  proposalInput: Uint8Array;
  writes: Map<string, Map<string, Uint8Array | null>>;
  privateWrites: Map<string, Map<string, Uint8Array | null>>;
  validationWrites: Map<string, Map<string, Uint8Array>>;
  event: { name: string; payload: Uint8Array } | undefined;
  /** Events set earlier in this transaction and replaced by a later setEvent (Fabric keeps only the last). */
  replacedEvents: string[];
  depth: number;
  /** The chaincodes executing this transaction, outermost first (a peer refuses to re-enter one of them). */
  running: string[];
}

export interface RecordedEvent {
  txId: string;
  name: string;
  payload: Record<string, unknown>;
  raw: string;
}

type Invocable = Record<string, ((ctx: Context, ...args: string[]) => Promise<string>) | undefined>;

// --- minimal protobuf writer for the signed proposal's ChaincodeInvocationSpec ---------------------
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

export function protoBytesField(field: number, bytes: Uint8Array): Uint8Array {
  return Uint8Array.from([...varint(field * 8 + 2), ...varint(bytes.length), ...bytes]);
}

/** ChaincodeInvocationSpec{chaincode_spec{type=2, chaincode_id{name}, input{args}}} as a client builds it. */
export function invocationSpec(chaincode: string, args: string[]): Uint8Array {
  const chaincodeId = protoBytesField(2, Buffer.from(chaincode));
  const input = args
    .map((a) => protoBytesField(1, Buffer.from(a)))
    .reduce((acc, b) => Uint8Array.from([...acc, ...b]), new Uint8Array());
  const spec = Uint8Array.from([8, 2, ...protoBytesField(2, chaincodeId), ...protoBytesField(3, input)]);
  return protoBytesField(1, spec);
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

class FakeIterator<T> {
  readonly #items: T[];
  #pos = 0;
  closed = false;

  constructor(items: T[]) {
    this.#items = items;
  }

  next(): Promise<{ value: T; done: false } | { value: undefined; done: true }> {
    const item = this.#items[this.#pos];
    this.#pos += 1;
    return Promise.resolve(
      item === undefined ? { value: undefined, done: true } : { value: item, done: false },
    );
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

export class FakeClientIdentity {
  readonly #identity: Identity;

  constructor(identity: Identity) {
    this.#identity = identity;
  }

  getMSPID(): string {
    return this.#identity.mspId;
  }

  getID(): string {
    const org = this.#identity.mspId.replace(/MSP$/, '');
    return `x509::/C=ET/ST=Addis Ababa/O=${org}/OU=client/CN=${this.#identity.commonName}::/C=ET/O=${org}/CN=ca.${org.toLowerCase()}`;
  }

  getIDBytes(): Uint8Array {
    return Buffer.from(this.getID());
  }

  getAttributeValue(name: string): string | null {
    return name === 'role' && this.#identity.role !== undefined ? this.#identity.role : null;
  }

  assertAttributeValue(name: string, value: string): boolean {
    return this.getAttributeValue(name) === value;
  }
}

export class FakeStub {
  readonly #ledger: FakeLedger;
  readonly #tx: TxContext;
  readonly #ns: string;
  readonly #call: { fcn: string; params: string[] };

  constructor(
    ledger: FakeLedger,
    tx: TxContext,
    namespace: string,
    call: { fcn: string; params: string[] } = { fcn: '', params: [] },
  ) {
    this.#ledger = ledger;
    this.#tx = tx;
    this.#ns = namespace;
    this.#call = call;
  }

  /** The function this chaincode was invoked with (`contract:Fn`) and its arguments, as the shim gives them. */
  getFunctionAndParameters(): { fcn: string; params: string[] } {
    return { fcn: this.#call.fcn, params: [...this.#call.params] };
  }

  /** The endorsing peer's clock (PeerClock): the transaction's own time, moved by the ledger's peerClockSkewSeconds. */
  peerTimeMillis(): number {
    return (this.#tx.seconds + this.#ledger.peerClockSkewSeconds) * 1000;
  }

  getTxID(): string {
    return this.#tx.txId;
  }

  getChannelID(): string {
    return CHANNEL;
  }

  getMspID(): string {
    return 'PeerOrgMSP';
  }

  getCreator(): { mspid: string; idBytes: Uint8Array } {
    return {
      mspid: this.#tx.identity.mspId,
      idBytes: new FakeClientIdentity(this.#tx.identity).getIDBytes(),
    };
  }

  getTxTimestamp(): { seconds: Long; nanos: number } {
    return { seconds: Long.fromNumber(this.#tx.seconds, true), nanos: 0 };
  }

  getTransient(): Map<string, Uint8Array> {
    return new Map(this.#tx.transient);
  }

  getSignedProposal(): unknown {
    return {
      proposal: { payload: { input: this.#tx.proposalInput, transientMap: this.#tx.transient } },
      signature: new Uint8Array(),
    };
  }

  getState(key: string): Promise<Uint8Array> {
    this.#checkKey(key);
    return Promise.resolve(this.#ledger.committed(this.#ns).get(key) ?? new Uint8Array());
  }

  putState(key: string, value: Uint8Array): Promise<void> {
    this.#checkKey(key);
    if (!(value instanceof Uint8Array)) {
      throw new Error('putState value must be bytes');
    }
    mapOf(this.#tx.writes, this.#ns).set(key, Uint8Array.from(value));
    return Promise.resolve();
  }

  deleteState(key: string): Promise<void> {
    this.#checkKey(key);
    mapOf(this.#tx.writes, this.#ns).set(key, null);
    return Promise.resolve();
  }

  setStateValidationParameter(key: string, ep: Uint8Array): Promise<void> {
    mapOf(this.#tx.validationWrites, this.#ns).set(key, Uint8Array.from(ep));
    return Promise.resolve();
  }

  getStateValidationParameter(key: string): Promise<Uint8Array> {
    return Promise.resolve(this.#ledger.validationParameter(this.#ns, key) ?? new Uint8Array());
  }

  createCompositeKey(objectType: string, attributes: string[]): string {
    for (const part of [objectType, ...attributes]) {
      if (typeof part !== 'string' || part.length === 0) {
        throw new Error('object type or attribute not a non-zero length string');
      }
    }
    return `${NS}${objectType}${NS}${attributes.map((a) => `${a}${NS}`).join('')}`;
  }

  splitCompositeKey(key: string): { objectType: string; attributes: string[] } {
    const parts = key.split(NS).slice(1, -1);
    return { objectType: parts[0] ?? '', attributes: parts.slice(1) };
  }

  #range(objectType: string, attributes: string[]): { key: string; value: Uint8Array }[] {
    this.#ledger.rangeQueries.push({ txId: this.#tx.txId, namespace: this.#ns, objectType });
    const prefix = this.createCompositeKey(objectType, attributes);
    return [...this.#ledger.committed(this.#ns).entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => compare(a, b))
      .map(([key, value]) => ({ key, value, namespace: this.#ns }));
  }

  getStateByPartialCompositeKey(
    objectType: string,
    attributes: string[],
  ): Promise<FakeIterator<{ key: string; value: Uint8Array }>> {
    return Promise.resolve(new FakeIterator(this.#range(objectType, attributes)));
  }

  getStateByPartialCompositeKeyWithPagination(
    objectType: string,
    attributes: string[],
    pageSize: number,
    bookmark = '',
  ): Promise<{
    iterator: FakeIterator<{ key: string; value: Uint8Array }>;
    metadata?: { fetchedRecordsCount: number; bookmark: string };
  }> {
    if (this.#ledger.inSubmit) {
      throw new Error('Paginated queries are only supported in read-only transactions');
    }
    const all = this.#range(objectType, attributes).filter((kv) => bookmark === '' || kv.key >= bookmark);
    const page = all.slice(0, pageSize);
    const next = all[pageSize];
    // As the peer and fabric-shim do: all-default metadata (an empty last page) encodes to no bytes, so none.
    const metadata = { fetchedRecordsCount: page.length, bookmark: next === undefined ? '' : next.key };
    return Promise.resolve({
      iterator: new FakeIterator(page),
      ...(metadata.fetchedRecordsCount === 0 && metadata.bookmark === '' ? {} : { metadata }),
    });
  }

  getHistoryForKey(key: string): Promise<
    FakeIterator<{
      txId: string;
      value: Uint8Array;
      isDelete: boolean;
      timestamp: { seconds: number; nanos: number };
    }>
  > {
    const entries = [...this.#ledger.historyOf(this.#ns, key)].reverse();
    return Promise.resolve(
      new FakeIterator(
        entries.map((m) => ({
          txId: m.txId,
          value: m.value,
          isDelete: m.isDelete,
          timestamp: { seconds: m.seconds, nanos: 0 },
        })),
      ),
    );
  }

  setEvent(name: string, payload: Uint8Array): void {
    if (this.#tx.depth === 0) {
      if (this.#tx.event !== undefined) {
        this.#tx.replacedEvents.push(this.#tx.event.name);
      }
      this.#tx.event = { name, payload: Uint8Array.from(payload) };
    }
  }

  async invokeChaincode(
    chaincode: string,
    args: string[],
    channel: string,
  ): Promise<{ status: number; message: string; payload: Uint8Array }> {
    if (channel !== '' && channel !== CHANNEL) {
      throw new Error(`channel ${channel} is not joined`);
    }
    return this.#ledger.invokeNested(this.#tx, chaincode, args);
  }

  #collection(name: string): Collection {
    const collection = this.#ledger.collection(this.#ns, name);
    if (collection === undefined) {
      throw new Error(`collection ${name} not defined for ${this.#ns}`);
    }
    return collection;
  }

  getPrivateData(collection: string, key: string): Promise<Uint8Array> {
    const c = this.#collection(collection);
    if (!c.members.includes(this.#tx.identity.mspId)) {
      throw new Error(
        `tx creator does not have read access permission on privatedata in chaincodeName:${this.#ns} collectionName: ${collection}`,
      );
    }
    return Promise.resolve(this.#ledger.privateCommitted(this.#ns, collection).get(key) ?? new Uint8Array());
  }

  getPrivateDataHash(collection: string, key: string): Promise<Uint8Array> {
    this.#collection(collection);
    const value = this.#ledger.privateCommitted(this.#ns, collection).get(key);
    return Promise.resolve(
      value === undefined ? new Uint8Array() : createHash('sha256').update(value).digest(),
    );
  }

  putPrivateData(collection: string, key: string, value: Uint8Array): Promise<void> {
    const c = this.#collection(collection);
    if (!c.members.includes(this.#tx.identity.mspId)) {
      throw new Error(
        `tx creator does not have write access permission on privatedata in chaincodeName:${this.#ns} collectionName: ${collection}`,
      );
    }
    mapOf(this.#tx.privateWrites, `${this.#ns}/${collection}`).set(key, Uint8Array.from(value));
    return Promise.resolve();
  }

  deletePrivateData(collection: string, key: string): Promise<void> {
    this.#collection(collection);
    mapOf(this.#tx.privateWrites, `${this.#ns}/${collection}`).set(key, null);
    return Promise.resolve();
  }

  #checkKey(key: string): void {
    if (typeof key !== 'string' || key.length === 0) {
      throw new Error('key must be a non-empty string');
    }
  }
}

function mapOf<K, V>(outer: Map<string, Map<K, V>>, name: string): Map<K, V> {
  let inner = outer.get(name);
  if (inner === undefined) {
    inner = new Map();
    outer.set(name, inner);
  }
  return inner;
}

export interface SubmitOptions {
  transient?: Record<string, string | object>;
}

/** What a seeded transaction writes: public state (null deletes) and key-level validation parameters. */
export interface SeedWrites {
  state?: [string, Uint8Array | null][];
  policies?: [string, Uint8Array][];
}

/** The creator of seeded transactions: no contract runs, so no identity is checked. */
const SEEDER: Identity = { mspId: 'SeedMSP', commonName: 'seed' };

export class FakeLedger {
  readonly #state = new Map<string, Map<string, Uint8Array>>();
  readonly #private = new Map<string, Map<string, Uint8Array>>();
  readonly #validation = new Map<string, Map<string, Uint8Array>>();
  readonly #history = new Map<string, Map<string, Modification[]>>();
  readonly #chaincodes = new Map<string, Contract[]>();
  readonly #collections = new Map<string, Collection[]>();
  readonly events: RecordedEvent[] = [];
  /** Every chaincode-to-chaincode call, endorsed or not (what a peer would execute). */
  readonly nestedCalls: { txId: string; chaincode: string; fn: string }[] = [];
  /** Key-level policies written by committed transactions (each a metadata write every peer validates). */
  readonly policyWrites: { txId: string; namespace: string; key: string }[] = [];
  /** Every range read (a range a peer re-scans when it validates a submitted transaction). */
  readonly rangeQueries: { txId: string; namespace: string; objectType: string }[] = [];
  /** Responses of committed transactions (they land in blocks, visible to every channel member). */
  readonly responses: string[] = [];
  /** Events of committed transactions that a later setEvent of the same transaction replaced (and Fabric lost). */
  readonly replacedEvents: { txId: string; name: string }[] = [];
  seconds = 1_767_225_600; // 2026-01-01T00:00:00Z
  /** How far the endorsing peer's clock is ahead of the transactions' timestamps (0: in sync). */
  peerClockSkewSeconds = 0;
  #counter = 0;
  inSubmit = false;

  deploy(name: string, contracts: Contract[], collections: Collection[] = []): this {
    this.#chaincodes.set(name, contracts);
    this.#collections.set(name, collections);
    return this;
  }

  advance(seconds: number): void {
    this.seconds += seconds;
  }

  committed(ns: string): Map<string, Uint8Array> {
    return mapOf(this.#state, ns);
  }

  privateCommitted(ns: string, collection: string): Map<string, Uint8Array> {
    return mapOf(this.#private, `${ns}/${collection}`);
  }

  validationParameter(ns: string, key: string): Uint8Array | undefined {
    return this.#validation.get(ns)?.get(key);
  }

  historyOf(ns: string, key: string): Modification[] {
    return this.#history.get(ns)?.get(key) ?? [];
  }

  collection(ns: string, name: string): Collection | undefined {
    return this.#collections.get(ns)?.find((c) => c.name === name);
  }

  /** Committed public state of a namespace as text (to assert what non-members can see). */
  publicText(ns: string): string {
    return [...this.committed(ns).entries()]
      .map(([k, v]) => `${k}=${Buffer.from(v).toString('utf8')}`)
      .join('\n');
  }

  /** A snapshot of everything committed, to prove a refused transaction changed nothing. */
  snapshot(): string {
    const dump = (m: Map<string, Map<string, Uint8Array>>): string =>
      [...m.entries()]
        .flatMap(([ns, inner]) =>
          [...inner.entries()].map(([k, v]) => `${ns}|${k}|${Buffer.from(v).toString('hex')}`),
        )
        .sort()
        .join('\n');
    return [dump(this.#state), dump(this.#private), dump(this.#validation), String(this.events.length)].join(
      '\n--\n',
    );
  }

  #newTx(identity: Identity, chaincode: string, args: string[], options: SubmitOptions): TxContext {
    this.#counter += 1;
    const transient = new Map<string, Uint8Array>();
    for (const [key, value] of Object.entries(options.transient ?? {})) {
      transient.set(key, Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));
    }
    return {
      txId: sha256(`tx-${this.#counter}`),
      seconds: this.seconds,
      identity,
      transient,
      proposalInput: invocationSpec(chaincode, args),
      writes: new Map(),
      privateWrites: new Map(),
      validationWrites: new Map(),
      event: undefined,
      replacedEvents: [],
      depth: 0,
      running: [chaincode],
    };
  }

  async #run(tx: TxContext, chaincode: string, fn: string, args: string[]): Promise<string> {
    const contracts = this.#chaincodes.get(chaincode);
    if (contracts === undefined) {
      throw new Error(`chaincode ${chaincode} is not deployed`);
    }
    const [contractName, method] = fn.includes(':') ? fn.split(':') : [contracts[0]?.getName() ?? '', fn];
    const contract = contracts.find((c) => c.getName() === contractName);
    if (contract === undefined || method === undefined) {
      throw new Error(`contract ${contractName} not found in ${chaincode}`);
    }
    const meta: unknown = Reflect.getMetadata(
      'fabric:transactions',
      Object.getPrototypeOf(contract) as object,
    );
    const described = Array.isArray(meta)
      ? (meta as { name: string; parameters?: unknown[] }[]).find((t) => t.name === method)
      : undefined;
    if (described === undefined) {
      throw new Error(`You've asked to invoke a function that does not exist: ${method}`);
    }
    if ((described.parameters ?? []).length !== args.length) {
      throw new Error(
        `Expected ${(described.parameters ?? []).length} parameters, but ${args.length} have been supplied`,
      );
    }
    const ctx = {
      stub: new FakeStub(this, tx, chaincode, { fcn: fn, params: args }),
      clientIdentity: new FakeClientIdentity(tx.identity),
    } as unknown as Context;
    const target = (contract as unknown as Invocable)[method];
    if (typeof target !== 'function') {
      throw new Error(`${method} is not a function`);
    }
    // Like fabric-contract-api's router: the contract's beforeTransaction first (the clock-skew check).
    await contract.beforeTransaction(ctx);
    return target.call(contract, ctx, ...args);
  }

  async invokeNested(
    parent: TxContext,
    chaincode: string,
    args: string[],
  ): Promise<{ status: number; message: string; payload: Uint8Array }> {
    const [fn, ...rest] = args;
    this.nestedCalls.push({ txId: parent.txId, chaincode, fn: fn ?? '' });
    if (parent.running.includes(chaincode)) {
      // Like the peer: a chaincode already executing this transaction cannot be called again within it.
      return { status: 500, message: `txid: ${parent.txId}(${CHANNEL}) exists`, payload: new Uint8Array() };
    }
    const nested: TxContext = { ...parent, depth: parent.depth + 1, running: [...parent.running, chaincode] };
    try {
      const result = await this.#run(nested, chaincode, fn ?? '', rest);
      return { status: 200, message: '', payload: Buffer.from(result) };
    } catch (e: unknown) {
      return { status: 500, message: e instanceof Error ? e.message : String(e), payload: new Uint8Array() };
    }
  }

  #commit(tx: TxContext): void {
    for (const [ns, writes] of tx.writes) {
      for (const [key, value] of writes) {
        const list = mapOf(this.#history, ns).get(key) ?? [];
        list.push({
          txId: tx.txId,
          seconds: tx.seconds,
          value: value ?? new Uint8Array(),
          isDelete: value === null,
        });
        mapOf(this.#history, ns).set(key, list);
        if (value === null) {
          this.committed(ns).delete(key);
        } else {
          this.committed(ns).set(key, value);
        }
      }
    }
    for (const [nsCollection, writes] of tx.privateWrites) {
      for (const [key, value] of writes) {
        const target = mapOf(this.#private, nsCollection);
        if (value === null) {
          target.delete(key);
        } else {
          target.set(key, value);
        }
      }
    }
    for (const [ns, params] of tx.validationWrites) {
      for (const [key, value] of params) {
        mapOf(this.#validation, ns).set(key, value);
        this.policyWrites.push({ txId: tx.txId, namespace: ns, key });
      }
    }
    this.replacedEvents.push(...tx.replacedEvents.map((name) => ({ txId: tx.txId, name })));
    if (tx.event !== undefined) {
      const raw = Buffer.from(tx.event.payload).toString('utf8');
      this.events.push({
        txId: tx.txId,
        name: tx.event.name,
        payload: JSON.parse(raw) as Record<string, unknown>,
        raw,
      });
    }
  }

  /** Endorses and commits (all or nothing). Resolves with the response, rejects with the chaincode error. */
  async submit(
    identity: Identity,
    chaincode: string,
    fn: string,
    args: string[] = [],
    options: SubmitOptions = {},
  ): Promise<string> {
    const tx = this.#newTx(identity, chaincode, [fn, ...args], options);
    this.inSubmit = true;
    try {
      const result = await this.#run(tx, chaincode, fn, args);
      this.#commit(tx);
      this.responses.push(result);
      this.seconds += 1;
      return result;
    } finally {
      this.inSubmit = false;
    }
  }

  /** Runs a query; nothing is committed. */
  async evaluate(
    identity: Identity,
    chaincode: string,
    fn: string,
    args: string[] = [],
    options: SubmitOptions = {},
  ): Promise<string> {
    const tx = this.#newTx(identity, chaincode, [fn, ...args], options);
    return this.#run(tx, chaincode, fn, args);
  }

  /**
   * Commits a transaction whose signed proposal addresses `originChaincode`/`originFn` but which calls
   * `args` on `chaincode` (what a chaincode-to-chaincode call looks like to the callee).
   */
  async invokeNestedForTest(
    identity: Identity,
    originChaincode: string,
    originFn: string,
    chaincode: string,
    args: string[],
  ): Promise<string> {
    const tx = this.#newTx(identity, originChaincode, [originFn], {});
    this.inSubmit = true;
    try {
      const response = await this.invokeNested(tx, chaincode, args);
      if (response.status !== 200) {
        throw new Error(response.message);
      }
      this.#commit(tx);
      this.seconds += 1;
      return Buffer.from(response.payload).toString('utf8');
    } finally {
      this.inSubmit = false;
    }
  }

  /**
   * Commits, as one transaction of its own that runs no contract, public writes that today's chaincode does not
   * make: records of an earlier chaincode version, or entries forged by one org's peer. `build` gets the
   * transaction's id and time (to stamp them like the chaincode would); the writes land in history like any
   * commit. Returns the transaction id.
   */
  seed(ns: string, build: (tx: { txId: string; seconds: number }) => SeedWrites): string {
    const tx = this.#newTx(SEEDER, ns, [], {});
    const { state = [], policies = [] } = build({ txId: tx.txId, seconds: tx.seconds });
    for (const [key, value] of state) {
      mapOf(tx.writes, ns).set(key, value === null ? null : Uint8Array.from(value));
    }
    for (const [key, ep] of policies) {
      mapOf(tx.validationWrites, ns).set(key, Uint8Array.from(ep));
    }
    this.#commit(tx);
    this.seconds += 1;
    return tx.txId;
  }

  lastEvent(): RecordedEvent | undefined {
    return this.events[this.events.length - 1];
  }
}
