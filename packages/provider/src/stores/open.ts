import type { Config } from '../config.js';
import { loadMasterKey } from '../crypto/key_file.js';
import { SecretBox } from '../crypto/secret_box.js';
import { migrateToLatest, openDatabase } from '../db/connect.js';
import type { RedisNonceStore } from './redis_nonces.js';
import { SqlStore } from './sql.js';
import type { DependencyEvents } from './unavailable.js';

/** What {@link openStore} opened. */
export interface OpenStore {
  readonly store: SqlStore;
  /** Migrations applied while opening (empty when the database was up to date). */
  readonly migrated: readonly string[];
  /** The master key, for deriving other keys (session cookies ...) with `deriveKey`. */
  readonly masterKey: string;
  /** The Redis nonce store, with `SIGNET_REDIS_URL` (for readiness checks). */
  readonly redisNonces: RedisNonceStore | undefined;
  /** Closes the database and Redis connections. */
  close(): Promise<void>;
}

/**
 * Opens the provider's storage as `config` says: the database (created and migrated), the
 * secret key (generated on first start when `SIGNET_SECRET_KEY` is unset) and, with
 * `SIGNET_REDIS_URL`, the Redis nonce store.
 *
 * @example
 * const { store, close } = await openStore(loadConfig(process.env));
 */
export async function openStore(
  config: Config,
  options: { readonly now?: () => number; readonly events?: DependencyEvents } = {},
): Promise<OpenStore> {
  const masterKey = loadMasterKey(config.secretKey, config.dataDir);
  const { events } = options;
  const {
    db,
    dialect,
    close: closeDb,
  } = await openDatabase(config.database, {
    statementTimeoutMs: config.timeouts.statementMs,
    acquireTimeoutMs: config.timeouts.acquireMs,
    busyTimeoutMs: config.sqliteBusyTimeoutMs,
    monitor: events,
    onConnectionError: events?.connectionError('database'),
  });
  let nonces: RedisNonceStore | undefined;
  try {
    const migrated = await migrateToLatest(db, dialect);
    if (config.redisUrl !== undefined) {
      // ioredis is loaded only when configured, like pg.
      const { RedisNonceStore } = await import('./redis_nonces.js');
      nonces = RedisNonceStore.connect(config.redisUrl, {
        timeoutMs: config.timeouts.redisMs,
        monitor: events,
        ...(options.now !== undefined && { now: options.now }),
        ...(events !== undefined && { onError: events.connectionError('redis') }),
      });
      await nonces.start();
    }
    const store = new SqlStore({
      db,
      dialect,
      box: SecretBox.fromMasterKey(masterKey),
      nonces,
      ...(options.now !== undefined && { now: options.now }),
    });
    return {
      store,
      migrated,
      masterKey,
      redisNonces: nonces,
      async close() {
        await Promise.all([closeDb(), nonces?.close()]);
      },
    };
  } catch (e) {
    await closeDb();
    throw e;
  }
}
