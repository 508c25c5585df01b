import {
  type AccessToken,
  type Consumer,
  isStoreUnavailable,
  type NonceUse,
  type OAuthStore,
  type RequestToken,
  StoreUnavailableError,
} from '@signet/server';
import { type NonceStore, nonceKey } from './nonces.js';

/**
 * Tells caches that the database may have changed under them: another process (the admin
 * CLI revoking a token, another provider instance) wrote to it.
 */
export interface ChangeFeed {
  /**
   * Whether anything may have changed since the last call. Called on every cached read, so
   * it must be cheap: a read of SQLite's WAL-index header, or a flag set by PostgreSQL
   * LISTEN/NOTIFY.
   */
  changed(): boolean;
  /**
   * Around a commit of this process that changes nothing cached (a nonce): call before, and
   * pass what it returns after, so that the commit alone does not count as a change. A
   * change from elsewhere, before or meanwhile, still counts.
   */
  beforeOwnCommit?(): unknown;
  afterOwnCommit?(mark: unknown): void;
  close(): Promise<void>;
}

const CACHE_LIMIT = 10_000;

/**
 * An `OAuthStore` that serves consumers and access tokens from memory. The protected API
 * looks both up on every call; a cache turns a query, a row decode and an AES-GCM decryption
 * into a map look-up.
 *
 * Correctness: every read first asks the change feed, and any outside write clears both
 * caches, so a token revoked by the CLI or on another instance is refused on the next
 * request. Writes through this process call {@link CachedStore.invalidate}. Entries past their
 * expiry are still checked by the endpoint against the clock, as uncached ones are.
 */
export class CachedStore implements OAuthStore {
  readonly #inner: OAuthStore;
  readonly #feed: ChangeFeed;
  readonly #consumers = new Map<string, Consumer | undefined>();
  readonly #tokens = new Map<string, AccessToken | undefined>();
  readonly #nonces: NonceStore | undefined;

  constructor(inner: OAuthStore, feed: ChangeFeed, nonces?: NonceStore) {
    this.#inner = inner;
    this.#feed = feed;
    this.#nonces = nonces;
  }

  // Bumped by every invalidation: a read from the database that was under way meanwhile may
  // hold what was just changed, so it is answered but not remembered.
  #generation = 0;

  /** Forgets everything cached: call after a write that changes consumers or tokens. */
  invalidate(): void {
    this.#generation++;
    this.#consumers.clear();
    this.#tokens.clear();
  }

  // Set from the first feed check of an I/O callback until its ticks and promise jobs ran.
  #asked = false;
  readonly #forget = (): void => {
    this.#asked = false;
  };
  // A tick, then a promise job: promise jobs queued before the tick ran (the continuation
  // that reads the token after the consumer) still share the check.
  readonly #forgetSoon = (): void => queueMicrotask(this.#forget);

  /**
   * Asks the change feed once per I/O callback: a request's consumer read and the token read
   * that follows it without I/O in between share one change-feed read instead of
   * making one each. Requests read from a socket after another connection committed are
   * handled in a later callback, so they see that write; writes of this process call
   * {@link CachedStore.invalidate} themselves.
   */
  #fresh(): void {
    if (this.#asked) return;
    this.#asked = true;
    process.nextTick(this.#forgetSoon);
    if (this.#feed.changed()) this.invalidate();
  }

  async getConsumer(key: string): Promise<Consumer | undefined> {
    this.#fresh();
    if (this.#consumers.has(key)) return this.#consumers.get(key);
    const generation = this.#generation;
    const c = await this.#inner.getConsumer(key);
    // Unknown keys are not cached: open consumers register them a moment later, and a
    // flood of random keys must not fill memory.
    if (c !== undefined && generation === this.#generation) remember(this.#consumers, key, c);
    return c;
  }

  async getAccessToken(token: string): Promise<AccessToken | undefined> {
    this.#fresh();
    if (this.#tokens.has(token)) return this.#tokens.get(token);
    const generation = this.#generation;
    const t = await this.#inner.getAccessToken(token);
    if (t !== undefined && generation === this.#generation) remember(this.#tokens, token, t);
    return t;
  }

  async revokeAccessToken(token: string, now: number): Promise<boolean> {
    const ok = await this.#inner.revokeAccessToken(token, now);
    this.#generation++;
    this.#tokens.delete(token);
    return ok;
  }

  useNonce(nonce: NonceUse, expiresAt: number): Promise<boolean> {
    return (this.#nonces ?? this.#inner).useNonce(nonce, expiresAt);
  }

  createRequestToken(token: RequestToken): Promise<void> {
    return this.#inner.createRequestToken(token);
  }

  getRequestToken(token: string): Promise<RequestToken | undefined> {
    return this.#inner.getRequestToken(token);
  }

  reviewRequestToken(
    token: string,
    review: Parameters<OAuthStore['reviewRequestToken']>[1],
  ): Promise<RequestToken | undefined> {
    return this.#inner.reviewRequestToken(token, review);
  }

  consumeRequestToken(requestToken: string, accessToken: AccessToken): Promise<boolean> {
    return this.#inner.consumeRequestToken(requestToken, accessToken);
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  // Crude but bounded: a full cache starts over rather than tracking recency per hit.
  if (map.size >= CACHE_LIMIT) map.clear();
  map.set(key, value);
}

/**
 * Where {@link DurableNonces} stores nonces, and loads them back at start. Keys are
 * {@link DurableNonces.keyOf}: 16 characters, each one byte (0-255) of the nonce's SHA-256;
 * the table stores those 16 bytes.
 */
export interface NonceTable {
  /** Unexpired nonce keys with their expiry. */
  load(now: number): Promise<Iterable<readonly [key: string, expiresAt: number]>>;
  /**
   * Stores a batch, durably (at least in the operating system's hands) when it resolves;
   * keys already present are left as they are.
   */
  save(batch: readonly (readonly [key: string, expiresAt: number])[], now: number): Promise<void>;
}

/** Options of {@link DurableNonces.open}. */
export interface DurableNoncesOptions {
  readonly now?: () => number;
  /**
   * Nonces kept at most (`SIGNET_MAX_NONCES`); past it new requests get 503 until older ones
   * expire. Memory is about 110 bytes a nonce (the provider bench prints it).
   */
  readonly max?: number;
}

/** How often expired nonces are dropped from memory. */
const SWEEP_EVERY_MS = 5000;

/** A group of nonces committed together, and the answer its requests share. */
interface Batch {
  readonly entries: [string, number][];
  readonly done: Promise<boolean>;
  readonly settle: (error?: unknown) => void;
}

/**
 * Nonces for a single-process provider (SQLite): checked against memory, which is atomic in
 * one event loop, and committed to the database before any request they admit is answered,
 * so that no crash, kill or full disk can reopen a replay window.
 *
 * Group commit: the nonces admitted in one turn of the event loop share one insert, made
 * right after that turn (`setImmediate`); their requests are answered when it commits. While
 * one commit waits (for a lock), the next batch grows. A failed commit forgets its nonces
 * and fails their requests with the store's {@link StoreUnavailableError} (503): a request
 * is never admitted on a nonce that is not stored.
 *
 * @example
 * const nonces = await DurableNonces.open(table, { max: config.maxNonces });
 * if (!(await nonces.useNonce(use, expiresAt))) refuseAsReplay();
 */
export class DurableNonces implements NonceStore {
  // Every remembered key, and the same keys grouped by the second their memory ends (the
  // expiry rounded up), so that the sweep drops whole seconds at a time. Memory holds one
  // window of traffic: a key and a set slot each, where a map from key to expiry also kept a
  // boxed number per entry.
  readonly #seen = new Set<string>();
  readonly #bySecond = new Map<number, string[]>();
  readonly #table: NonceTable;
  readonly #now: () => number;
  readonly #max: number;
  #lastSweep = 0;
  #batch: Batch | undefined;
  #saving: Promise<void> | undefined;
  #refused = 0;

  private constructor(table: NonceTable, options: DurableNoncesOptions) {
    this.#table = table;
    this.#now = options.now ?? Date.now;
    this.#max = options.max ?? Number.POSITIVE_INFINITY;
  }

  /**
   * The key of a nonce here and in the table: the first 128 bits of its SHA-256 (plenty
   * against collisions among one window's nonces), as a 16-character one-byte string, which
   * costs less to make, hash and keep than hexadecimal digits. The bytes are those the table
   * has always stored.
   */
  static keyOf(nonce: NonceUse): string {
    return nonceKey(nonce, 'binary').slice(0, 16);
  }

  /** Loads the unexpired nonces. */
  static async open(table: NonceTable, options: DurableNoncesOptions = {}): Promise<DurableNonces> {
    const store = new DurableNonces(table, options);
    // Loaded whatever the bound: each is a replay to refuse.
    for (const [k, e] of await table.load(store.#now())) store.#remember(k, e);
    return store;
  }

  /** Nonces in memory now. */
  get size(): number {
    return this.#seen.size;
  }

  /** Requests refused since the start because {@link DurableNoncesOptions.max} was reached. */
  get refused(): number {
    return this.#refused;
  }

  #remember(key: string, expiresAt: number): void {
    this.#seen.add(key);
    const second = Math.ceil(expiresAt / 1000);
    const keys = this.#bySecond.get(second);
    if (keys === undefined) this.#bySecond.set(second, [key]);
    else keys.push(key);
  }

  useNonce(nonce: NonceUse, expiresAt: number): Promise<boolean> {
    const now = this.#now();
    if (now - this.#lastSweep >= SWEEP_EVERY_MS) this.#sweep(now);
    const key = DurableNonces.keyOf(nonce);
    // A key stays until the sweep after its expiry: a replay is refused at least until then,
    // as the store contract asks (and after it, its timestamp is outside the window anyway).
    // A key whose commit is still under way counts too: at most one request gets it.
    if (this.#seen.has(key)) return Promise.resolve(false);
    if (this.#seen.size >= this.#max) {
      // What expired since the last sweep makes room; a flood at the bound sweeps seldom.
      if (now - this.#lastSweep >= 100) this.#sweep(now);
      if (this.#seen.size >= this.#max) {
        this.#refused++;
        return Promise.reject(
          new StoreUnavailableError('Too many requests in the replay window; try again later.', {
            retryAfter: 5,
            dependency: 'nonces',
          }),
        );
      }
    }
    this.#remember(key, expiresAt);
    const batch = this.#batch ?? this.#open();
    batch.entries.push([key, expiresAt]);
    return batch.done;
  }

  #open(): Batch {
    let settle: (error?: unknown) => void = () => {};
    const done = new Promise<boolean>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve(true) : reject(error));
    });
    const batch: Batch = { entries: [], done, settle };
    this.#batch = batch;
    if (this.#saving === undefined) setImmediate(this.#commit);
    return batch;
  }

  // After the turn of the event loop that admitted the batch; or, while a commit is under
  // way, when it ends.
  readonly #commit = (): void => {
    const batch = this.#batch;
    if (batch === undefined || this.#saving !== undefined) return;
    this.#batch = undefined;
    this.#saving = this.#table.save(batch.entries, this.#now()).then(
      () => this.#saved(batch),
      (e: unknown) => this.#saved(batch, e),
    );
  };

  #saved(batch: Batch, error?: unknown): void {
    this.#saving = undefined;
    if (error !== undefined) {
      // Not stored, so not admitted: the same request may come again.
      for (const [key] of batch.entries) this.#seen.delete(key);
      batch.settle(
        isStoreUnavailable(error)
          ? error
          : new StoreUnavailableError('The database is unavailable.', {
              cause: error,
              dependency: 'database',
            }),
      );
    } else {
      batch.settle();
    }
    if (this.#batch !== undefined) setImmediate(this.#commit);
  }

  // Every few seconds, the seconds that ended go, with their keys: the cost follows what
  // expired, and the walk is over the seconds of one window (about a thousand), not over
  // the keys. A key's second is its own expiry rounded up, so no live key is dropped.
  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [second, keys] of this.#bySecond) {
      if (second * 1000 > now) continue;
      for (const k of keys) this.#seen.delete(k);
      this.#bySecond.delete(second);
    }
  }

  /** Waits for the commits under way: every admitted nonce is stored when it resolves. */
  async close(): Promise<void> {
    while (this.#saving !== undefined || this.#batch !== undefined) {
      if (this.#saving !== undefined) await this.#saving;
      else this.#commit();
    }
  }
}
