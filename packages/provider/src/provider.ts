import type { FastifyInstance } from 'fastify';
import { CompiledQuery } from 'kysely';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { lockDatabase } from './db/lock.js';
import { CachedStore, type ChangeFeed, DurableNonces, type NonceTable } from './stores/cache.js';
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
  /** Stops the app, waits for nonce commits under way and closes the database. */
  close(): Promise<void>;
}

/** Options of {@link openProvider}. */
export interface ProviderOptions {
  readonly logger?: Logger | undefined;
  readonly now?: () => number;
  /** Prefix of the rate limits' Redis keys; `signet:` by default. Tests give their own. */
  readonly redisKeyPrefix?: string;
}

/**
 * Opens storage and builds the app as `config` says. The protocol endpoints read through
 * caches: consumers and access tokens from memory (invalidated by the change feed), and, on
 * SQLite without Redis, nonces checked in memory and committed to the database before the
 * requests they admit are answered.
 */
export async function openProvider(
  config: Config,
  options: ProviderOptions = {},
): Promise<Provider> {
  // One provider per SQLite file: nonces are checked in its memory. Before the migrations.
  const lock =
    config.database.kind === 'sqlite' && config.database.path !== ':memory:'
      ? lockDatabase(config.database.path)
      : undefined;
  try {
    const provider = await open(config, options);
    return {
      ...provider,
      async close() {
        try {
          await provider.close();
        } finally {
          lock?.release();
        }
      },
    };
  } catch (e) {
    lock?.release();
    throw e;
  }
}

async function open(config: Config, options: ProviderOptions): Promise<Provider> {
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
      ? await DurableNonces.open(sqlNonceTable(sql, feed), { now, max: config.maxNonces })
      : undefined;
  const cached = new CachedStore(sql, feed, nonces);
  if (nonces !== undefined) countNonces(metrics, nonces);
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

/** The nonce store's size and refusals in `/metrics`. */
function countNonces(metrics: Metrics, nonces: DurableNonces): void {
  new Gauge({
    name: 'signet_nonces',
    help: 'Nonces kept in memory to refuse replays (bounded by SIGNET_MAX_NONCES).',
    registers: [metrics.registry],
    collect() {
      this.set(nonces.size);
    },
  });
  let counted = 0;
  const refused = new Counter({
    name: 'signet_nonces_refused_total',
    help: 'Requests answered 503 because SIGNET_MAX_NONCES nonces were in the replay window.',
    registers: [metrics.registry],
    collect() {
      refused.inc(nonces.refused - counted);
      counted = nonces.refused;
    },
  });
}

// Expired batches are deleted about once a minute, by a commit that notices.
const PRUNE_EVERY_MS = 60_000;

const INSERT_BATCH = 'insert into nonce_batches (keys, expires_at) values (?, ?)';
// Batches come in time order, so the expired ones are those before the first one that is
// not (a batch with a later clock's expiry may keep a few after it a little longer). No
// index: the walk stops at the first live batch, after the rows it deletes anyway.
const PRUNE_BATCHES = `delete from nonce_batches where rowid < coalesce(
  (select rowid from nonce_batches where expires_at > ? order by rowid limit 1),
  (select max(rowid) from nonce_batches) + 1)`;

/**
 * The nonce store's table: one row per group commit, its keys as 16-byte hashes end to end,
 * with the batch's latest expiry. One insert per turn of the event loop that admitted
 * requests, whatever their number. SQLite runs in WAL mode with `synchronous = NORMAL`: when
 * the insert returns, the commit is in the write-ahead log, in the operating system's hands.
 */
function sqlNonceTable(sql: SqlStore, feed: ChangeFeed): NonceTable {
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
      // A nonce changes nothing the caches hold: without this, each commit would empty them.
      const mark = feed.beforeOwnCommit?.();
      // Compiled once: this runs for most requests.
      await sql.db.executeQuery(CompiledQuery.raw(INSERT_BATCH, [keys, expiresAt]));
      feed.afterOwnCommit?.(mark);
      if (now - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = now;
        // Housekeeping: its failure must not fail the requests whose nonces are stored.
        await sql.db.executeQuery(CompiledQuery.raw(PRUNE_BATCHES, [now])).catch(() => undefined);
      }
    },
  };
}
