import type { Redis } from 'ioredis';

/** Whether one more attempt is allowed, and if not, for how long it is not. */
export interface Allowance {
  readonly allowed: boolean;
  readonly retryAfterSeconds: number;
}

/**
 * Counts failures per key in a fixed window. Used for login attempts: per user name (so a
 * password cannot be guessed) and per client address (so many names cannot be sprayed).
 */
export interface FailureLimiter {
  /** Whether `key` may try again now. */
  check(key: string): Promise<Allowance>;
  /** Counts a failure of `key`. */
  fail(key: string): Promise<void>;
  /** Forgets `key`'s failures (after a success). */
  reset(key: string): Promise<void>;
}

/** Limits of a {@link FailureLimiter}. */
export interface LimiterOptions {
  /** Failures allowed per window. */
  readonly limit: number;
  /** Window length, in milliseconds. */
  readonly windowMs: number;
  readonly now?: () => number;
}

/** In process memory: for a single provider process (the SQLite default). */
export class MemoryFailureLimiter implements FailureLimiter {
  readonly #entries = new Map<string, { count: number; resetAt: number }>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: LimiterOptions) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#now = options.now ?? Date.now;
  }

  async check(key: string): Promise<Allowance> {
    const e = this.#live(key);
    if (e === undefined || e.count < this.#limit) return { allowed: true, retryAfterSeconds: 0 };
    return { allowed: false, retryAfterSeconds: Math.ceil((e.resetAt - this.#now()) / 1000) };
  }

  async fail(key: string): Promise<void> {
    const e = this.#live(key);
    if (e !== undefined) {
      e.count++;
      return;
    }
    // Expired entries go when the map grows, so a flood of names cannot hold memory.
    if (this.#entries.size >= 100_000) this.#sweep();
    this.#entries.set(key, { count: 1, resetAt: this.#now() + this.#windowMs });
  }

  async reset(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  #live(key: string) {
    const e = this.#entries.get(key);
    if (e !== undefined && e.resetAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, e] of this.#entries) if (e.resetAt <= now) this.#entries.delete(k);
    if (this.#entries.size >= 100_000) this.#entries.clear();
  }
}

/** In Redis (`SIGNET_REDIS_URL`): shared by every provider instance. */
export class RedisFailureLimiter implements FailureLimiter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #limit: number;
  readonly #windowMs: number;

  constructor(redis: Redis, options: LimiterOptions & { readonly prefix?: string }) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? 'signet:login-failures:';
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
  }

  async check(key: string): Promise<Allowance> {
    const k = this.#prefix + key;
    const [count, ttl] = await Promise.all([this.#redis.get(k), this.#redis.pttl(k)]);
    if (count === null || Number(count) < this.#limit)
      return { allowed: true, retryAfterSeconds: 0 };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)) };
  }

  async fail(key: string): Promise<void> {
    const k = this.#prefix + key;
    // The window starts at the first failure: NX sets the expiry only on a new key.
    await this.#redis.multi().incr(k).pexpire(k, this.#windowMs, 'NX').exec();
  }

  async reset(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key);
  }
}
