import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { ProviderError } from '../errors.js';
import { type DependencyMonitor, guardDialect } from '../stores/unavailable.js';
import { migrationProvider } from './migrations.js';
import type { Database, Dialect } from './schema.js';
import { DEFAULT_BUSY_TIMEOUT_MS, ResilientSqliteDialect, sqliteUnavailable } from './sqlite.js';

/** An open database and what the stores need to know about it. */
export interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Closes the connection(s). */
  close(): Promise<void>;
}

const INT8_OID = 20;

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /**
   * PostgreSQL: milliseconds a statement (lock waits included) may run before the server
   * cancels it; 0 for no limit. 5000 by default.
   */
  readonly statementTimeoutMs?: number;
  /**
   * PostgreSQL: milliseconds a query may wait for a pooled connection (or for a new one to
   * connect) before it fails; 0 for no limit. 2000 by default.
   */
  readonly acquireTimeoutMs?: number;
  /** Told of every failure of the database that a query saw. */
  readonly monitor?: DependencyMonitor | undefined;
  /**
   * Told of errors outside any query: a pooled connection that was lost while idle or between
   * two queries, a failed rollback. Without a listener pg would crash the process on these.
   */
  readonly onConnectionError?: ((error: unknown) => void) | undefined;
  /** SQLite: how long a statement waits for another process's lock before a 503. */
  readonly busyTimeoutMs?: number | undefined;
}

/**
 * Opens the database of `config`: a better-sqlite3 file (its folder is created) or a pg pool.
 * Does not migrate; see {@link migrateToLatest}.
 *
 * @example const { db, dialect, close } = await openDatabase(config.database);
 */
export async function openDatabase(
  config: DatabaseConfig,
  options: OpenDatabaseOptions = {},
): Promise<OpenDatabase> {
  const onConnectionError = options.onConnectionError ?? (() => {});
  const guard = { monitor: options.monitor, onRollbackFailure: onConnectionError };
  if (config.kind === 'sqlite') {
    if (config.path !== ':memory:') {
      // Password hashes and encrypted secrets are nobody else's business: a private folder
      // and a 0600 file (SQLite gives its -wal and -shm files the same mode).
      mkdirSync(dirname(config.path), { recursive: true, mode: 0o700 });
      closeSync(openSync(config.path, 'a', 0o600));
    }
    // better-sqlite3's own wait for a lock (5 s by default) would block the event loop: the
    // dialect's driver waits on timers instead, for `busyTimeoutMs`.
    const sqlite = new BetterSqlite3(config.path, { timeout: 0 });
    try {
      // WAL lets the CLI read and write while the server holds the file open. NORMAL: a
      // commit is in the operating system's hands when it returns (a crash of the process
      // loses nothing; a power cut may lose the last commits, never the file).
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
    } catch (e) {
      sqlite.close();
      throw sqliteUnavailable(e) ?? e;
    }
    const db = new Kysely<Database>({
      dialect: guardDialect(
        new ResilientSqliteDialect(sqlite, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS),
        guard,
      ),
    });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  // Loaded only for PostgreSQL: the CLI on the SQLite default starts faster without it.
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: config.url,
    max: 10,
    // A lock or a slow query answers 503 after this long instead of holding a connection
    // (and the requests queued behind it) for as long as it lasts.
    statement_timeout: options.statementTimeoutMs ?? 5000,
    // Waiting for a connection of the pool (all busy) or for a new one to connect.
    connectionTimeoutMillis: options.acquireTimeoutMs ?? 2000,
    // A peer that vanished without closing (a failover, a cut link) is noticed.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    // Times are bigint epoch milliseconds, well inside 2^53: read them as numbers, for this
    // pool only (the global pg.types would change it for everyone in the process).
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // pg emits 'error' on a pooled connection that the server closed (pg_terminate_backend, a
  // restart, a failover, an idle timeout): on the pool while the connection is idle, on the
  // connection itself while it is checked out between two queries. An 'error' event nobody
  // listens to ends the process, so both always have a listener; the pool drops the broken
  // connection and opens a new one on the next query.
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => {
    client.on('error', onConnectionError);
  });
  const db = new Kysely<Database>({
    dialect: guardDialect(new PostgresDialect({ pool }), guard),
  });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

/**
 * Applies every pending migration; returns the names applied (empty when up to date).
 *
 * @example const applied = await migrateToLatest(db, 'sqlite');
 */
export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  if (dialect === 'sqlite') return migrate(db, dialect, undefined);
  // On one connection, without the pool's statement timeout: a migration may rewrite a big
  // table for longer than any request should wait. RESET goes back to the connection's own.
  return db.connection().execute(async (conn) => {
    await sql`set statement_timeout = 0`.execute(conn);
    try {
      // Kysely looks for its bookkeeping tables in every schema it can see; where two schemas
      // of one database hold providers (tests, staging beside production), it would find the
      // other one's and then fail on its own search_path. Name the schema outright.
      const schema = (
        await sql<{ schema: string }>`select current_schema() as schema`.execute(conn)
      ).rows[0]?.schema;
      return await migrate(conn, dialect, schema);
    } finally {
      await sql`reset statement_timeout`.execute(conn).catch(() => {});
    }
  });
}

async function migrate(
  db: Kysely<Database>,
  dialect: Dialect,
  schema: string | undefined,
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider(dialect),
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new ProviderError(
      'ERR_DATABASE',
      `Database migration ${failed} failed: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
