import { Redis } from 'ioredis';
import type { NonceUse } from './contract.js';
import { type NonceStore, nonceKey } from './nonces.js';

/** Options of {@link RedisNonceStore}. */
export interface RedisNonceStoreOptions {
  /** Prefix of the keys; `signet:nonce:` by default. Tests give each run its own. */
  readonly prefix?: string;
  /** Milliseconds since the epoch; injected by tests. */
  readonly now?: () => number;
}

/**
 * Nonces in Redis, for when several provider processes share one replay window
 * (`SIGNET_REDIS_URL`). `SET key 1 NX PX ttl` is the atomic test-and-set; Redis drops the key
 * when the window is over, so no cleanup is needed.
 *
 * @example
 * const nonces = RedisNonceStore.connect(config.redisUrl);
 * const store = new SqlStore({ db, dialect, box, nonces });
 */
export class RedisNonceStore implements NonceStore {
  readonly redis: Redis;
  readonly #prefix: string;
  readonly #now: () => number;

  constructor(redis: Redis, options: RedisNonceStoreOptions = {}) {
    this.redis = redis;
    this.#prefix = options.prefix ?? 'signet:nonce:';
    this.#now = options.now ?? Date.now;
  }

  /** Connects to `url` (`redis://` or `rediss://`). */
  static connect(url: string, options: RedisNonceStoreOptions = {}): RedisNonceStore {
    // Fail a command rather than queue it for ever while Redis is down: a nonce check that
    // cannot be made must refuse the request, not hang it.
    const redis = new Redis(url, {
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      lazyConnect: false,
    });
    return new RedisNonceStore(redis, options);
  }

  /** @inheritdoc */
  async useNonce(nonce: NonceUse, expiresAt: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(expiresAt - this.#now()));
    const answer = await this.redis.set(this.#prefix + nonceKey(nonce), '1', 'PX', ttl, 'NX');
    return answer === 'OK';
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.redis.quit();
  }
}
