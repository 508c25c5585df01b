import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { CachedStore, type NonceTable, WriteBehindNonces } from './stores/cache.js';
import { changeFeedFor } from './stores/change_feed.js';
import { type OpenStore, openStore } from './stores/open.js';
import type { SqlStore } from './stores/sql.js';
import { DependencyEvents, describeCause, ThrottledLog } from './stores/unavailable.js';
import { Metrics } from './web/metrics.js';
import {
  type LoginLimits,
  redisLoginLimits,
  redisWriteLimits,
  type WriteLimits,
} from './web/rate_limit.js';

/** A running provider's parts. */
export interface Provider {
  readonly app: FastifyInstance;
  readonly storage: OpenStore;
  /** Stops the app, flushes nonces and closes the database. */
  close(): Promise<void>;
}

/**
 * Opens storage and builds the app as `config` says. The protocol endpoints read through
 * caches: consumers and access tokens from memory (invalidated by the change feed), and, on
 * SQLite without Redis, nonces from memory written behind to the database.
 */
export async function openProvider(
  config: Config,
  options: {
    readonly logger?: Logger | undefined;
    readonly now?: () => number;
    /** Prefix of the rate limits' Redis keys; `signet:` by default. Tests give their own. */
    readonly redisKeyPrefix?: string;
  } = {},
): Promise<Provider> {
  const now = options.now ?? Date.now;
  const metrics = new Metrics();
  const events = new DependencyEvents(options.logger, (d, k) =>
    metrics.countDependencyFailure(d, k),
  );
  const storage = await openStore(config, { now, events });
  // Throttled: while the database is down, the feed retries (and fails) every second.
  const feedLog = new ThrottledLog(options.logger);
  const feed = await changeFeedFor(config.database, (e) =>
    feedLog.warn('change-feed', describeCause(e), 'database change feed interrupted'),
  );
  const sql = storage.store;
  // One process owns a SQLite file, so memory can be the nonce authority there; PostgreSQL
  // instances share nonces through the database (or Redis, which the store already uses).
  const nonces =
    config.database.kind === 'sqlite' && config.redisUrl === undefined
      ? await WriteBehindNonces.open(sqlNonceTable(sql), now)
      : undefined;
  const cached = new CachedStore(sql, feed, nonces);
  // Several instances share Redis; their rate limits must too.
  const redis =
    config.redisUrl === undefined
      ? undefined
      : await redisLimits(
          config,
          options.redisKeyPrefix ?? 'signet:',
          events.connectionError('redis'),
        );
  const nonceRedis = storage.redisNonces?.redis;
  const app = await buildApp({
    config,
    storage,
    oauthStore: cached,
    onRevoke: () => cached.invalidate(),
    ...(redis !== undefined && { loginLimits: redis.login, writeLimits: redis.writes }),
    logger: options.logger,
    now,
    metrics,
    monitor: events,
    ...(redis !== undefined && {
      readiness: {
        redis: () => Promise.all([redis.ping(), nonceRedis?.ping()]),
      },
    }),
  });
  return {
    app,
    storage,
    async close() {
      await app.close();
      await nonces?.close();
      await feed.close();
      await redis?.close();
      await storage.close();
    },
  };
}

async function redisLimits(
  config: Config,
  prefix: string,
  onError: (error: unknown) => void,
): Promise<{
  login: LoginLimits;
  writes: WriteLimits;
  ping(): Promise<unknown>;
  close(): Promise<void>;
}> {
  const { Redis } = await import('ioredis');
  const { redisOptions, waitForReady } = await import('./stores/redis_nonces.js');
  // Fail fast: with Redis down a limit cannot be counted, and the request gets a 503 at once
  // rather than waiting in a queue (the limiters turn errors into StoreUnavailableError).
  const redis = new Redis(config.redisUrl!, redisOptions(config.timeouts.redisMs));
  redis.on('error', onError);
  await waitForReady(redis, 2000);
  return {
    login: redisLoginLimits(redis, prefix),
    writes: redisWriteLimits(
      redis,
      { registrations: config.registrationLimit, openConsumers: config.openConsumerLimit },
      prefix,
    ),
    ping: () => redis.ping(),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

// Expired batches are deleted about once a minute, by the flush that notices.
const PRUNE_EVERY_MS = 60_000;

/**
 * The write-behind nonce store's table: one row per flush, its keys as 16-byte hashes end to
 * end, with the batch's latest expiry. One insert every 200 ms, whatever the request rate.
 */
function sqlNonceTable(sql: SqlStore): NonceTable {
  let lastPrune = 0;
  return {
    async load(now) {
      const rows = await sql.db
        .selectFrom('nonce_batches')
        .select(['keys', 'expires_at'])
        .where('expires_at', '>', now)
        .execute();
      const out: (readonly [string, number])[] = [];
      for (const row of rows) {
        const keys = Buffer.from(row.keys);
        for (let i = 0; i + 16 <= keys.length; i += 16) {
          out.push([keys.toString('latin1', i, i + 16), Number(row.expires_at)]);
        }
      }
      return out;
    },
    async save(batch, now) {
      const keys = Buffer.allocUnsafe(batch.length * 16);
      let expiresAt = 0;
      batch.forEach(([key, expires], i) => {
        keys.write(key, i * 16, 16, 'latin1');
        if (expires > expiresAt) expiresAt = expires;
      });
      await sql.db.insertInto('nonce_batches').values({ keys, expires_at: expiresAt }).execute();
      if (now - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = now;
        await sql.db.deleteFrom('nonce_batches').where('expires_at', '<=', now).execute();
      }
    },
  };
}
