import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { StoreUnavailableError } from '@signet/server';
import type { Redis } from 'ioredis';

/** Whether one more attempt is allowed, and if not, for how long it is not. */
export interface Allowance {
  readonly allowed: boolean;
  readonly retryAfterSeconds: number;
  /** Attempts counted in this window, this one included. */
  readonly count: number;
}

/**
 * Counts attempts per key in a fixed window that starts at the first one. An attempt is
 * counted *before* the work it guards (an `INCR` first), so that parallel attempts cannot
 * all pass one check: of N simultaneous attempts, at most `limit` are allowed. Refused
 * attempts are counted too; that does not lengthen the window.
 */
export interface AttemptLimiter {
  /** Counts one attempt of `key` and says whether it is within the limit. */
  take(key: string): Promise<Allowance>;
  /** Takes back up to `n` counted attempts of `key` (never below zero). */
  forgive(key: string, n: number): Promise<void>;
}

/** Remembers keys for a while: the (name, address) pairs that logged in recently. */
export interface RecentSet {
  add(key: string): Promise<void>;
  has(key: string): Promise<boolean>;
}

/** Limits of an {@link AttemptLimiter}. */
export interface LimiterOptions {
  /** Attempts allowed per window. */
  readonly limit: number;
  /** Window length, in milliseconds. */
  readonly windowMs: number;
  readonly now?: () => number;
}

// Memory stores evict their oldest entries past this size, so a flood of keys cannot hold
// memory. Each key needs an allowed attempt of an address first, so evicting a victim's
// counter this way takes thousands of addresses.
const MAX_ENTRIES = 200_000;

function evict<V>(map: Map<string, V>, expired: (v: V) => boolean): void {
  for (const [k, v] of map) if (expired(v)) map.delete(k);
  if (map.size < MAX_ENTRIES) return;
  let drop = map.size - MAX_ENTRIES * 0.9;
  for (const k of map.keys()) {
    if (drop-- <= 0) break;
    map.delete(k);
  }
}

/** In process memory: for a single provider process (the SQLite default). */
export class MemoryAttemptLimiter implements AttemptLimiter {
  readonly #entries = new Map<string, { count: number; resetAt: number }>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: LimiterOptions) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#now = options.now ?? Date.now;
  }

  // Synchronous from the read to the write: that is what makes it atomic in one process.
  async take(key: string): Promise<Allowance> {
    const now = this.#now();
    let e = this.#entries.get(key);
    if (e === undefined || e.resetAt <= now) {
      if (e === undefined && this.#entries.size >= MAX_ENTRIES) {
        evict(this.#entries, (x) => x.resetAt <= now);
      }
      e = { count: 0, resetAt: now + this.#windowMs };
      this.#entries.set(key, e);
    }
    e.count++;
    return {
      allowed: e.count <= this.#limit,
      retryAfterSeconds: Math.max(1, Math.ceil((e.resetAt - now) / 1000)),
      count: e.count,
    };
  }

  async forgive(key: string, n: number): Promise<void> {
    const e = this.#entries.get(key);
    if (e !== undefined) e.count = Math.max(0, e.count - n);
  }
}

/** In process memory, for as long as `ttlMs`. */
export class MemoryRecentSet implements RecentSet {
  readonly #entries = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  async add(key: string): Promise<void> {
    const now = this.#now();
    this.#entries.delete(key);
    if (this.#entries.size >= MAX_ENTRIES) evict(this.#entries, (until) => until <= now);
    this.#entries.set(key, now + this.#ttlMs);
  }

  async has(key: string): Promise<boolean> {
    const until = this.#entries.get(key);
    return until !== undefined && until > this.#now();
  }
}

// INCR first; the expiry is set when the key has none (a new window), in the same script,
// so that no key can be left without one.
const TAKE = `local c = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {c, ttl}`;
// DECRBY on a missing key would create one without an expiry.
const FORGIVE = `local c = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = math.min(c, tonumber(ARGV[1]))
if n > 0 then redis.call('DECRBY', KEYS[1], n) end
return n`;

function unavailable(e: unknown): StoreUnavailableError {
  return new StoreUnavailableError('The rate limiter (Redis) is unavailable.', {
    cause: e,
    retryAfter: 5,
    dependency: 'redis',
  });
}

/** In Redis (`SIGNET_REDIS_URL`): shared by every provider instance. */
export class RedisAttemptLimiter implements AttemptLimiter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #limit: number;
  readonly #windowMs: number;

  constructor(redis: Redis, options: LimiterOptions & { readonly prefix: string }) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
  }

  /** @throws StoreUnavailableError when Redis does not answer. */
  async take(key: string): Promise<Allowance> {
    let answer: unknown;
    try {
      answer = await this.#redis.eval(TAKE, 1, this.#prefix + key, this.#windowMs);
    } catch (e) {
      throw unavailable(e);
    }
    const [count, ttl] = (answer as [number, number]).map(Number) as [number, number];
    return {
      allowed: count <= this.#limit,
      retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)),
      count,
    };
  }

  async forgive(key: string, n: number): Promise<void> {
    try {
      await this.#redis.eval(FORGIVE, 1, this.#prefix + key, n);
    } catch (e) {
      throw unavailable(e);
    }
  }
}

/** In Redis, as keys that expire. */
export class RedisRecentSet implements RecentSet {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlMs: number;

  constructor(redis: Redis, options: { readonly prefix: string; readonly ttlMs: number }) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#ttlMs = options.ttlMs;
  }

  async add(key: string): Promise<void> {
    try {
      await this.#redis.set(this.#prefix + key, '1', 'PX', this.#ttlMs);
    } catch (e) {
      throw unavailable(e);
    }
  }

  async has(key: string): Promise<boolean> {
    try {
      return (await this.#redis.exists(this.#prefix + key)) === 1;
    } catch (e) {
      throw unavailable(e);
    }
  }
}

/**
 * The key of a client address: IPv4 as is (also when IPv4-mapped), IPv6 by its /64, the
 * smallest block one subscriber usually gets (anyone has 2^64 addresses of their own).
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** Stable, bounded key of a login name: compared without case or Unicode width. */
export function nameKey(username: string): string {
  const normal = username.normalize('NFKC').trim().toLowerCase();
  return createHash('sha256').update(normal).digest('base64url').slice(0, 22);
}

/**
 * Login attempt limits. Each attempt is counted before the password is checked, by these
 * counters, in this order (a refusal stops there, so later counters do not see it):
 *
 * 1. per address, any name (`perAddress`, 100 per 15 min): stops one address spraying
 *    names. A success gives back only its own attempt, so an attacker logging in to their
 *    own account cannot wipe the failures they made on others.
 * 2. per (name, address) (`perNameAddress`, 10 per 15 min): stops guessing one password
 *    from one address. A success forgives the attempts counted up to it (the person proved
 *    the password from there); attempts counted after it, still in flight, stay counted, so
 *    a burst checks at most 10 wrong passwords whatever it mixes in.
 * 3. per name, from addresses where this name has not logged in during the last 30 days
 *    (`perName`, 50 per 15 min): stops guessing one password from many addresses. A
 *    flood from one address reaches this counter at most 10 times (counter 2 stops the
 *    rest), so it cannot lock the person out; to do that takes at least five addresses,
 *    and even then only logins from addresses the person has not used recently are
 *    refused, never those from a known address.
 */
export interface LoginLimits {
  readonly perAddress: AttemptLimiter;
  readonly perNameAddress: AttemptLimiter;
  readonly perName: AttemptLimiter;
  /** (name, address) pairs that logged in recently, exempt from `perName`. */
  readonly recentLogins: RecentSet;
}

const LOGIN_WINDOW_MS = 15 * 60_000;
/** How long a successful login exempts its (name, address) from the per-name limit. */
export const RECENT_LOGIN_MS = 30 * 24 * 3600_000;
/** The login limits' sizes, per {@link LOGIN_WINDOW_MS}. */
export const LOGIN_LIMITS = { perAddress: 100, perNameAddress: 10, perName: 50 } as const;

/** The login limits in process memory. */
export function memoryLoginLimits(now: () => number = Date.now): LoginLimits {
  const windowMs = LOGIN_WINDOW_MS;
  return {
    perAddress: new MemoryAttemptLimiter({ limit: LOGIN_LIMITS.perAddress, windowMs, now }),
    perNameAddress: new MemoryAttemptLimiter({
      limit: LOGIN_LIMITS.perNameAddress,
      windowMs,
      now,
    }),
    perName: new MemoryAttemptLimiter({ limit: LOGIN_LIMITS.perName, windowMs, now }),
    recentLogins: new MemoryRecentSet(RECENT_LOGIN_MS, now),
  };
}

/** The login limits in Redis, under `prefix`. */
export function redisLoginLimits(redis: Redis, prefix = 'signet:'): LoginLimits {
  const windowMs = LOGIN_WINDOW_MS;
  const limiter = (name: keyof typeof LOGIN_LIMITS, key: string) =>
    new RedisAttemptLimiter(redis, {
      limit: LOGIN_LIMITS[name],
      windowMs,
      prefix: `${prefix}${key}:`,
    });
  return {
    perAddress: limiter('perAddress', 'login-addr'),
    perNameAddress: limiter('perNameAddress', 'login-name-addr'),
    perName: limiter('perName', 'login-name'),
    recentLogins: new RedisRecentSet(redis, {
      prefix: `${prefix}login-known:`,
      ttlMs: RECENT_LOGIN_MS,
    }),
  };
}

/** The outcome of {@link admitLogin}. */
export type LoginAdmission =
  | { readonly allowed: false; readonly retryAfterSeconds: number }
  | {
      readonly allowed: true;
      /** Records a success: see {@link LoginLimits} for what it forgives. */
      succeeded(): Promise<void>;
    };

/**
 * Counts a login attempt of `username` from `ip` and says whether its password may be
 * checked. Call it before the check, every time.
 *
 * @throws StoreUnavailableError when the counters are in Redis and it is down: the caller
 * answers 503 and does not check the password.
 */
export async function admitLogin(
  limits: LoginLimits,
  username: string,
  ip: string,
): Promise<LoginAdmission> {
  const address = addressKey(ip);
  const name = nameKey(username);
  const pair = `${name}|${address}`;
  const byAddress = await limits.perAddress.take(address);
  if (!byAddress.allowed) return { allowed: false, retryAfterSeconds: byAddress.retryAfterSeconds };
  const byPair = await limits.perNameAddress.take(pair);
  if (!byPair.allowed) return { allowed: false, retryAfterSeconds: byPair.retryAfterSeconds };
  const known = await limits.recentLogins.has(pair);
  if (!known) {
    const byName = await limits.perName.take(name);
    if (!byName.allowed) return { allowed: false, retryAfterSeconds: byName.retryAfterSeconds };
  }
  return {
    allowed: true,
    async succeeded() {
      await Promise.all([
        limits.perAddress.forgive(address, 1),
        limits.perNameAddress.forgive(pair, byPair.count),
        known ? undefined : limits.perName.forgive(name, 1),
        limits.recentLogins.add(pair),
      ]);
    },
  };
}

/** A rate: so many per window. */
export interface Rate {
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * Limits on what anyone may create without an account, per client address: dynamic
 * registrations and open consumers. `undefined` for no limit.
 */
export interface WriteLimits {
  readonly registrations: AttemptLimiter | undefined;
  readonly openConsumers: AttemptLimiter | undefined;
}

/** The write limits in process memory. */
export function memoryWriteLimits(
  rates: { readonly registrations: Rate | undefined; readonly openConsumers: Rate | undefined },
  now: () => number = Date.now,
): WriteLimits {
  const make = (rate: Rate | undefined) =>
    rate === undefined ? undefined : new MemoryAttemptLimiter({ ...rate, now });
  return { registrations: make(rates.registrations), openConsumers: make(rates.openConsumers) };
}

/** The write limits in Redis, under `prefix`. */
export function redisWriteLimits(
  redis: Redis,
  rates: { readonly registrations: Rate | undefined; readonly openConsumers: Rate | undefined },
  prefix = 'signet:',
): WriteLimits {
  const make = (rate: Rate | undefined, key: string) =>
    rate === undefined
      ? undefined
      : new RedisAttemptLimiter(redis, { ...rate, prefix: `${prefix}${key}:` });
  return {
    registrations: make(rates.registrations, 'registrations'),
    openConsumers: make(rates.openConsumers, 'open-consumers'),
  };
}
