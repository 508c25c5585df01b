import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { ProviderError } from '../errors.js';
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
      dialect: new ResilientSqliteDialect(sqlite, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS),
    });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  // Loaded only for PostgreSQL: the CLI on the SQLite default starts faster without it.
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: config.url,
    max: 10,
    // Times are bigint epoch milliseconds, well inside 2^53: read them as numbers, for this
    // pool only (the global pg.types would change it for everyone in the process).
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

/**
 * Applies every pending migration; returns the names applied (empty when up to date).
 *
 * @example const applied = await migrateToLatest(db, 'sqlite');
 */
export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in every schema it can see; where two schemas of
  // one database hold providers (tests, staging beside production), it would find the other
  // one's and then fail on its own search_path. Name the schema outright.
  const schema =
    dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]
          ?.schema
      : undefined;
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
