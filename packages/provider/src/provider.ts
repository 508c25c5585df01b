import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { CachedStore, type NonceTable, WriteBehindNonces } from './stores/cache.js';
import { changeFeedFor } from './stores/change_feed.js';
import { type OpenStore, openStore } from './stores/open.js';
import type { SqlStore } from './stores/sql.js';
import type { LoginLimits } from './web/pages.js';
import { RedisFailureLimiter } from './web/rate_limit.js';

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
  options: { readonly logger?: Logger | undefined; readonly now?: () => number } = {},
): Promise<Provider> {
  const now = options.now ?? Date.now;
  const storage = await openStore(config, { now });
  const feed = await changeFeedFor(config.database, (e) =>
    options.logger?.warn({ err: e }, 'database change feed interrupted'),
  );
  const sql = storage.store;
  // One process owns a SQLite file, so memory can be the nonce authority there; PostgreSQL
  // instances share nonces through the database (or Redis, which the store already uses).
  const nonces =
    config.database.kind === 'sqlite' && config.redisUrl === undefined
      ? await WriteBehindNonces.open(sqlNonceTable(sql), now)
      : undefined;
  const cached = new CachedStore(sql, feed, nonces);
  // Several instances share Redis; their login limits must too.
  const redis = config.redisUrl === undefined ? undefined : await redisLimits(config.redisUrl);
  const app = await buildApp({
    config,
    storage,
    oauthStore: cached,
    onRevoke: () => cached.invalidate(),
    ...(redis !== undefined && { loginLimits: redis.limits }),
    logger: options.logger,
    now,
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

async function redisLimits(url: string): Promise<{ limits: LoginLimits; close(): Promise<void> }> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  const windowMs = 15 * 60_000;
  return {
    limits: {
      perUser: new RedisFailureLimiter(redis, {
        limit: 10,
        windowMs,
        prefix: 'signet:login-user:',
      }),
      perAddress: new RedisFailureLimiter(redis, {
        limit: 100,
        windowMs,
        prefix: 'signet:login-addr:',
      }),
    },
    close: async () => {
      await redis.quit();
    },
  };
}

// SQLite allows 32766 bound values per statement; two per row, with room to spare.
const NONCE_BATCH = 1000;

/** The `nonces` table as the write-behind nonce store sees it. */
function sqlNonceTable(sql: SqlStore): NonceTable {
  return {
    async load(now) {
      const rows = await sql.db
        .selectFrom('nonces')
        .select(['key', 'expires_at'])
        .where('expires_at', '>', now)
        .execute();
      return rows.map((r) => [r.key, Number(r.expires_at)] as const);
    },
    async save(batch) {
      await sql.db.transaction().execute(async (tx) => {
        for (let i = 0; i < batch.length; i += NONCE_BATCH) {
          const values = batch
            .slice(i, i + NONCE_BATCH)
            .map(([key, expires_at]) => ({ key, expires_at }));
          await tx
            .insertInto('nonces')
            .values(values)
            .onConflict((oc) => oc.column('key').doNothing())
            .execute();
        }
      });
    },
  };
}
