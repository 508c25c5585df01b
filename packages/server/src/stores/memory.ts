import { type Clock, systemClock } from '@signet/core';
import type { AccessToken, Consumer, Grant, NonceUse, OAuthStore, RequestToken } from '../store.js';

/**
 * Options of {@link MemoryStore}.
 *
 * @see RFC 5849 §3.3
 */
export interface MemoryStoreOptions {
  /** The clock used to expire nonces (epoch milliseconds). */
  readonly clock?: Clock | undefined;
  /** Sweep expired nonces every this many `useNonce` calls. Default 1000. */
  readonly sweepEvery?: number | undefined;
  /**
   * How long an expired request token is kept (so the exchange can still answer "expired"
   * rather than "unknown") before a sweep drops it, in milliseconds. Default one day.
   */
  readonly requestTokenRetention?: number | undefined;
}

/**
 * The in-memory reference store: what every other store must behave like. Single process,
 * nothing persisted; for tests, examples and small deployments.
 *
 * Atomicity comes from JavaScript itself: every method does its check and its write with no
 * `await` in between, so no other call can run between them.
 *
 * @see RFC 5849 §2
 * @example
 * ```ts
 * const store = new MemoryStore();
 * store.addConsumer({ key: 'k', secret: 's', name: 'Example' });
 * ```
 */
export class MemoryStore implements OAuthStore {
  readonly #consumers = new Map<string, Consumer>();
  readonly #requestTokens = new Map<string, RequestToken>();
  readonly #accessTokens = new Map<string, AccessToken>();
  // Nonce key -> expiry (epoch ms).
  readonly #nonces = new Map<string, number>();
  readonly #clock: Clock;
  readonly #sweepEvery: number;
  readonly #retention: number;
  #sinceSweep = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#sweepEvery = Math.max(1, options.sweepEvery ?? 1000);
    this.#retention = options.requestTokenRetention ?? 86_400_000;
  }

  /** Registers (or replaces) a consumer. Not part of `OAuthStore`: providers register their way. */
  addConsumer(consumer: Consumer): void {
    this.#consumers.set(consumer.key, { ...consumer });
  }

  /** Removes a consumer; returns whether it existed. */
  removeConsumer(key: string): boolean {
    return this.#consumers.delete(key);
  }

  /** The access tokens of a person, for an "applications" page. */
  listAccessTokens(userId: string): AccessToken[] {
    const out: AccessToken[] = [];
    for (const t of this.#accessTokens.values()) if (t.userId === userId) out.push({ ...t });
    return out;
  }

  /** How many nonces are remembered (for tests of the sweep). */
  get nonceCount(): number {
    return this.#nonces.size;
  }

  /**
   * Forgets nonces whose expiry has passed and request tokens expired for longer than the
   * retention. Runs by itself every `sweepEvery` nonces.
   */
  sweep(now: number = this.#clock()): void {
    for (const [key, expiresAt] of this.#nonces) if (expiresAt <= now) this.#nonces.delete(key);
    for (const [key, t] of this.#requestTokens) {
      if (t.expiresAt + this.#retention <= now) this.#requestTokens.delete(key);
    }
    this.#sinceSweep = 0;
  }

  async getConsumer(key: string): Promise<Consumer | undefined> {
    const c = this.#consumers.get(key);
    return c === undefined ? undefined : { ...c };
  }

  async createRequestToken(token: RequestToken): Promise<void> {
    if (this.#requestTokens.has(token.token)) throw new Error('Request token key collision.');
    this.#requestTokens.set(token.token, copyRequestToken(token));
  }

  async getRequestToken(token: string): Promise<RequestToken | undefined> {
    const t = this.#requestTokens.get(token);
    return t === undefined ? undefined : copyRequestToken(t);
  }

  async reviewRequestToken(
    token: string,
    review: { readonly grant: Grant; readonly verifier: string; readonly now: number },
  ): Promise<RequestToken | undefined> {
    const t = this.#requestTokens.get(token);
    if (t === undefined || t.grant !== undefined || review.now >= t.expiresAt) return undefined;
    const reviewed: RequestToken = {
      ...t,
      grant: copyGrant(review.grant),
      verifier: review.verifier,
      reviewedAt: review.now,
    };
    this.#requestTokens.set(token, reviewed);
    return copyRequestToken(reviewed);
  }

  async consumeRequestToken(requestToken: string, accessToken: AccessToken): Promise<boolean> {
    if (!this.#requestTokens.delete(requestToken)) return false;
    this.#accessTokens.set(accessToken.token, copyAccessToken(accessToken));
    return true;
  }

  async getAccessToken(token: string): Promise<AccessToken | undefined> {
    const t = this.#accessTokens.get(token);
    return t === undefined ? undefined : copyAccessToken(t);
  }

  async revokeAccessToken(token: string, now: number): Promise<boolean> {
    const t = this.#accessTokens.get(token);
    if (t === undefined || t.revokedAt !== undefined) return false;
    this.#accessTokens.set(token, { ...t, revokedAt: now });
    return true;
  }

  async useNonce(nonce: NonceUse, expiresAt: number): Promise<boolean> {
    if (++this.#sinceSweep >= this.#sweepEvery) this.sweep();
    // JSON keeps the four parts apart whatever characters they hold.
    const key = JSON.stringify([nonce.consumerKey, nonce.token, nonce.timestamp, nonce.nonce]);
    const seen = this.#nonces.get(key);
    if (seen !== undefined && seen > this.#clock()) return false;
    this.#nonces.set(key, Math.max(expiresAt, seen ?? 0));
    return true;
  }
}

const copyGrant = (g: Grant): Grant => ({
  ...g,
  realms: g.realms === undefined ? undefined : [...g.realms],
});

const copyRequestToken = (t: RequestToken): RequestToken => ({
  ...t,
  realms: t.realms === undefined ? undefined : [...t.realms],
  grant: t.grant === undefined ? undefined : copyGrant(t.grant),
});

const copyAccessToken = (t: AccessToken): AccessToken => ({
  ...t,
  realms: t.realms === undefined ? undefined : [...t.realms],
});
