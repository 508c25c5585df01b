import type { AccessToken, Consumer, NonceUse, OAuthStore, RequestToken } from '@signet/server';
import type { NonceStore } from './nonces.js';
import { nonceKey } from './nonces.js';

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
 * Where {@link WriteBehindNonces} persists nonces, and loads them back at start. Keys are
 * {@link WriteBehindNonces.keyOf}: 32 hex digits (128 bits of the nonce's SHA-256).
 */
export interface NonceTable {
  /** Unexpired nonce keys with their expiry. */
  load(now: number): Promise<Iterable<readonly [key: string, expiresAt: number]>>;
  /** Stores a batch; keys already present are left as they are. */
  save(batch: readonly (readonly [key: string, expiresAt: number])[], now: number): Promise<void>;
}

/**
 * Nonces for a single-process provider (SQLite): checked against memory, which is atomic in
 * one event loop, and written to the database in batches so that a restart still refuses
 * replays of requests signed before it. A crash loses at most one flush interval of nonces.
 */
export class WriteBehindNonces implements NonceStore {
  readonly #seen = new Map<string, number>();
  #pending: [string, number][] = [];
  readonly #table: NonceTable;
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout;
  #lastSweep = 0;
  #flushing: Promise<void> = Promise.resolve();

  private constructor(table: NonceTable, now: () => number, flushMs: number) {
    this.#table = table;
    this.#now = now;
    this.#timer = setInterval(() => void this.flush(), flushMs);
    this.#timer.unref();
  }

  /**
   * The key of a nonce here and in the table: 128 bits of its SHA-256, plenty against
   * collisions among one window's nonces, and half the memory and disk of the whole digest.
   */
  static keyOf(nonce: NonceUse): string {
    return nonceKey(nonce).slice(0, 32);
  }

  /** Loads the unexpired nonces and starts flushing every `flushMs`. */
  static async open(
    table: NonceTable,
    now: () => number = Date.now,
    flushMs = 200,
  ): Promise<WriteBehindNonces> {
    const store = new WriteBehindNonces(table, now, flushMs);
    for (const [k, e] of await table.load(now())) store.#seen.set(k, e);
    return store;
  }

  async useNonce(nonce: NonceUse, expiresAt: number): Promise<boolean> {
    const now = this.#now();
    this.#sweep(now);
    const key = WriteBehindNonces.keyOf(nonce);
    const known = this.#seen.get(key);
    if (known !== undefined) {
      if (known > now) return false;
      // Re-inserted at the end, so that the map stays in about expiry order (see #sweep).
      this.#seen.delete(key);
    }
    this.#seen.set(key, expiresAt);
    this.#pending.push([key, expiresAt]);
    return true;
  }

  // Expired entries go every few seconds, so memory holds about one window of traffic. The
  // map keeps insertion order, which is about expiry order (a nonce is kept until its
  // timestamp plus the window, and accepted timestamps are about now), so the sweep stops at
  // the first live entry: its cost follows what expired, not the size of the map, which at
  // thousands of requests a second holds millions of entries that a full walk would stall
  // the event loop on every time. An expired entry behind a later-expiring one (a client
  // clock ahead) goes at a later sweep; until then it only takes memory, since an expired
  // entry counts as unseen. Memory stays within the window plus the allowed clock skew.
  #sweep(now: number): void {
    if (now - this.#lastSweep < 5000) return;
    this.#lastSweep = now;
    for (const [k, e] of this.#seen) {
      if (e > now) break;
      this.#seen.delete(k);
    }
  }

  /** Writes what is pending; resolves when it is on disk. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      if (this.#pending.length === 0) return;
      const batch = this.#pending;
      this.#pending = [];
      try {
        await this.#table.save(batch, this.#now());
      } catch {
        // Keep them for the next attempt: losing nonces would reopen a replay window.
        this.#pending = batch.concat(this.#pending);
      }
    });
    return this.#flushing;
  }

  /** Stops the timer and writes what is pending. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
