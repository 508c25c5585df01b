import { Redis } from 'ioredis';
import type { NonceUse } from './contract.js';
import { type NonceStore, nonceKey } from './nonces.js';
import { classifyRedisError, type DependencyMonitor, redisUnavailable } from './unavailable.js';

/** Options of {@link RedisNonceStore}. */
export interface RedisNonceStoreOptions {
  /** Prefix of the keys; `signet:nonce:` by default. Tests give each run its own. */
  readonly prefix?: string;
  /** Milliseconds since the epoch; injected by tests. */
  readonly now?: () => number;
  /** Told of every failed command. */
  readonly monitor?: DependencyMonitor | undefined;
}

/**
 * The connection options every Redis connection of the provider uses: a command fails within
 * `timeoutMs` while Redis is down or stalled, instead of waiting in ioredis's offline queue
 * (up to 15 s, then a flood of retries) for a reconnection.
 */
export function redisOptions(timeoutMs: number) {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    ...(timeoutMs > 0 && { commandTimeout: timeoutMs, connectTimeout: Math.max(timeoutMs, 1000) }),
    // Reconnect for ever, at most every 2 s: Redis coming back must need nothing from us.
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
  };
}

/**
 * Waits at most `waitMs` for `redis` to be connected: without an offline queue, a command
 * sent before then fails. Resolves either way (a Redis that is down means 503s, not a
 * provider that does not start).
 */
export async function waitForReady(redis: Redis, waitMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    redis.once('ready', done);
  });
}

// KEYS[1]: the epoch key, KEYS[2]: the nonce's key. ARGV: now (ms), the nonce's time to live
// (ms), its oauth_timestamp (ms). Answers 1 for a first use, 0 for a replay or a request
// signed before the epoch.
const USE_NONCE = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  redis.call('SET', KEYS[1], ARGV[1])
  epoch = ARGV[1]
end
if tonumber(ARGV[3]) <= tonumber(epoch) then return 0 end
if redis.call('SET', KEYS[2], '1', 'PX', ARGV[2], 'NX') then return 1 end
return 0
`;

/**
 * Nonces in Redis, for when several provider processes share one replay window
 * (`SIGNET_REDIS_URL`). `SET key 1 NX PX ttl` is the atomic test-and-set; Redis drops the key
 * when the window is over, so no cleanup is needed.
 *
 * A Redis that loses its data (restarted without persistence, flushed, failed over to an
 * empty replica) forgets the nonces of the current window, and a request accepted before
 * would be accepted again. An epoch key guards against it: written once with the time it was
 * created and never expiring, it is missing exactly when Redis lost its data. Each
 * (re)connection and each nonce check (one Lua script) re-creates it with the current time
 * if it is missing, and the check refuses every request whose `oauth_timestamp` is not after
 * it: nothing signed before the loss is accepted again. The
 * cost: for one timestamp window after a loss (or a first start), a request signed before
 * that moment, or by a client whose clock is behind by more than the time since, is refused
 * as a replay; clients that sign again succeed.
 *
 * @example
 * const nonces = RedisNonceStore.connect(config.redisUrl);
 * await nonces.start();
 * const store = new SqlStore({ db, dialect, box, nonces });
 */
export class RedisNonceStore implements NonceStore {
  readonly redis: Redis;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #monitor: DependencyMonitor | undefined;

  constructor(redis: Redis, options: RedisNonceStoreOptions = {}) {
    this.redis = redis;
    this.#prefix = options.prefix ?? 'signet:nonce:';
    this.#now = options.now ?? Date.now;
    this.#monitor = options.monitor;
    redis.defineCommand('signetUseNonce', { numberOfKeys: 2, lua: USE_NONCE });
    // On every (re)connection: a Redis that came back empty gets its epoch now, rather than
    // at the first request, which would then be refused for being signed in that second.
    redis.on('ready', () => void this.#writeEpoch());
  }

  async #writeEpoch(): Promise<void> {
    try {
      await this.redis.set(this.epochKey, String(this.#now()), 'NX');
    } catch {
      // Down again: the nonce check writes it when Redis is back.
    }
  }

  /**
   * Connects to `url` (`redis://` or `rediss://`). Commands fail within `timeoutMs`
   * (500 by default) while Redis is down; see {@link redisOptions}. `onError` hears the
   * connection's errors (ioredis would print each to stderr without a listener).
   */
  static connect(
    url: string,
    options: RedisNonceStoreOptions & {
      readonly timeoutMs?: number;
      readonly onError?: (error: unknown) => void;
    } = {},
  ): RedisNonceStore {
    const redis = new Redis(url, redisOptions(options.timeoutMs ?? 500));
    redis.on('error', options.onError ?? (() => {}));
    return new RedisNonceStore(redis, options);
  }

  /** The key whose absence tells that Redis lost its data. */
  get epochKey(): string {
    return `${this.#prefix}epoch`;
  }

  /**
   * Waits (at most `waitMs`) for the connection and writes the epoch key if there is none
   * (as every reconnection does).
   * A Redis that is down does not stop the start: requests get 503 until it is back.
   */
  async start(waitMs = 2000): Promise<void> {
    await waitForReady(this.redis, waitMs);
    await this.#writeEpoch();
  }

  /** @inheritdoc */
  async useNonce(nonce: NonceUse, expiresAt: number): Promise<boolean> {
    const now = this.#now();
    const ttl = Math.max(1, Math.ceil(expiresAt - now));
    const timestamp = Number(nonce.timestamp) * 1000;
    try {
      const answer = await (
        this.redis as unknown as {
          signetUseNonce(k1: string, k2: string, ...argv: string[]): Promise<number>;
        }
      ).signetUseNonce(
        this.epochKey,
        this.#prefix + nonceKey(nonce),
        String(now),
        String(ttl),
        // An empty or odd timestamp (Launchpad's PLAINTEXT has none checked) counts as 0:
        // before any epoch, so refused right after a loss, like every old request.
        String(Number.isFinite(timestamp) ? timestamp : 0),
      );
      return answer === 1;
    } catch (e) {
      const kind = classifyRedisError(e);
      this.#monitor?.failed('redis', kind, e);
      throw redisUnavailable(kind, e);
    }
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      // Down: nothing to say goodbye to.
      this.redis.disconnect();
    }
  }
}
