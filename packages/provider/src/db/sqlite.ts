import { StoreUnavailableError } from '@signet/server';
import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SelectQueryNode,
  SqliteDialect,
} from 'kysely';

/** How long a statement may wait for SQLite's write lock before it fails, by default. */
export const DEFAULT_BUSY_TIMEOUT_MS = 3000;

/**
 * The {@link StoreUnavailableError} a SQLite failure stands for, or `undefined` when it is not
 * about the database's availability (a constraint, a bug). Safe one-line messages: the
 * client sees them.
 *
 * @example
 * catch (e) { throw sqliteUnavailable(e) ?? e; }
 */
export function sqliteUnavailable(error: unknown): StoreUnavailableError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  if (code === 'SQLITE_FULL') {
    return new StoreUnavailableError('The database disk is full.', {
      cause: error,
      retryAfter: 10,
      dependency: 'disk',
    });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreUnavailableError('The database is locked by another process.', {
      cause: error,
      retryAfter: 1,
      dependency: 'database',
    });
  }
  if (
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_CORRUPT') ||
    code === 'SQLITE_NOMEM' ||
    code === 'SQLITE_PROTOCOL'
  ) {
    return new StoreUnavailableError('The database is unavailable.', {
      cause: error,
      retryAfter: 5,
      dependency: 'database',
    });
  }
  return undefined;
}

// SQLITE_BUSY_SNAPSHOT needs the whole transaction again, not the statement; every other
// BUSY clears once the other connection lets go.
const retriable = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_RECOVERY' || code === 'SQLITE_BUSY_TIMEOUT'
  );
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The transaction under way: its connection, and what those waiting for its end await. */
interface OpenTransaction {
  readonly owner: SqliteConnection;
  readonly ended: Promise<void>;
  readonly end: () => void;
}

const STATEMENT_CACHE = 256;

/**
 * A Kysely driver for better-sqlite3 that never blocks the event loop on another process's
 * lock. better-sqlite3 is synchronous: with SQLite's `busy_timeout`, a write that meets the
 * admin CLI's or a backup's lock sleeps in the thread, and every request (even `/healthz`)
 * waits with it. Here SQLite's own timeout is 0: a busy statement is retried on timers, with
 * a growing pause, until `busyTimeoutMs`, then fails with a {@link StoreUnavailableError}
 * (503 and Retry-After at the endpoints). Disk full and I/O errors are such errors too.
 *
 * Statements outside a transaction run as they come (each is atomic on the one connection);
 * only a transaction excludes the others, which wait for its end rather than join it.
 * Transactions begin IMMEDIATE: they take the write lock first, so a transaction that read
 * never fails to upgrade half-way.
 */
class ResilientSqliteDriver implements Driver {
  readonly #db: BetterSqlite3.Database;
  readonly #busyTimeoutMs: number;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  #transaction: OpenTransaction | undefined;

  constructor(db: BetterSqlite3.Database, busyTimeoutMs: number) {
    this.#db = db;
    this.#busyTimeoutMs = busyTimeoutMs;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SqliteConnection(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    while (this.#transaction !== undefined) await this.#transaction.ended;
    let end = (): void => {};
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    this.#transaction = { owner: connection as SqliteConnection, ended, end };
    try {
      await this.execute(connection as SqliteConnection, CompiledQuery.raw('begin immediate'));
    } catch (e) {
      this.#endTransaction();
      throw e;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    // A failed commit leaves the transaction open: Kysely rolls it back next.
    await this.execute(connection as SqliteConnection, CompiledQuery.raw('commit'));
    this.#endTransaction();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      // SQLite rolls back by itself after some errors (disk full, I/O).
      if (this.#db.inTransaction) {
        await this.execute(connection as SqliteConnection, CompiledQuery.raw('rollback'));
      }
    } finally {
      this.#endTransaction();
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // A transaction its owner left open would hold every other statement for ever.
    if (this.#transaction?.owner === connection) {
      if (this.#db.inTransaction) this.#db.exec('rollback');
      this.#endTransaction();
    }
  }

  async destroy(): Promise<void> {
    this.#statements.clear();
    this.#db.close();
  }

  #endTransaction(): void {
    const t = this.#transaction;
    this.#transaction = undefined;
    t?.end();
  }

  #prepare(sql: string): BetterSqlite3.Statement {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      if (this.#statements.size >= STATEMENT_CACHE) this.#statements.clear();
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #run(query: CompiledQuery): QueryResult<unknown> {
    const stmt = this.#prepare(query.sql);
    const parameters = query.parameters as unknown[];
    if (stmt.reader) return { rows: stmt.all(parameters) };
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return {
      numAffectedRows: BigInt(changes),
      insertId: BigInt(lastInsertRowid),
      rows: [],
    };
  }

  /** Runs `query` for `connection`: at once when nothing is in the way (the usual case). */
  execute(connection: SqliteConnection, query: CompiledQuery): Promise<QueryResult<unknown>> {
    if (this.#transaction === undefined || this.#transaction.owner === connection) {
      try {
        return Promise.resolve(this.#run(query));
      } catch (e) {
        if (!retriable(e)) return Promise.reject(this.#failure(e));
      }
    }
    return this.#executeLater(connection, query);
  }

  #lastCheckpoint = 0;

  /**
   * What a failed statement throws. On a full disk, the write-ahead log may be all that
   * fills it: SQLite checkpoints only after a commit that succeeded, so a log that cannot
   * grow would never shrink again. A checkpoint that truncates it (at most once a second)
   * gives that space back for the next request; this one still fails.
   */
  #failure(error: unknown): unknown {
    const unavailable = sqliteUnavailable(error);
    if (unavailable?.dependency === 'disk' && !this.#db.inTransaction) {
      const now = Date.now();
      if (now - this.#lastCheckpoint >= 1000) {
        this.#lastCheckpoint = now;
        try {
          this.#db.pragma('wal_checkpoint(TRUNCATE)');
        } catch {
          // Still full, or busy: the next failure tries again.
        }
      }
    }
    return unavailable ?? error;
  }

  async #executeLater(
    connection: SqliteConnection,
    query: CompiledQuery,
  ): Promise<QueryResult<unknown>> {
    const deadline = Date.now() + this.#busyTimeoutMs;
    let pause = 2;
    for (;;) {
      // Another caller's transaction: wait for its end (it is bounded by the same deadline).
      while (this.#transaction !== undefined && this.#transaction.owner !== connection) {
        await this.#transaction.ended;
      }
      let failure: unknown;
      try {
        return this.#run(query);
      } catch (e) {
        failure = e;
      }
      if (!retriable(failure) || Date.now() + pause > deadline) {
        throw this.#failure(failure);
      }
      await sleep(pause);
      pause = Math.min(pause * 2, 50);
    }
  }

  async *stream(query: CompiledQuery): AsyncIterableIterator<QueryResult<unknown>> {
    if (!SelectQueryNode.is(query.query)) {
      throw new Error('Sqlite driver only supports streaming of select queries');
    }
    // Its own statement: a cached one cannot run while it is being iterated.
    const stmt = this.#db.prepare(query.sql);
    for (const row of stmt.iterate(query.parameters as unknown[])) yield { rows: [row] };
  }
}

class SqliteConnection implements DatabaseConnection {
  readonly #driver: ResilientSqliteDriver;

  constructor(driver: ResilientSqliteDriver) {
    this.#driver = driver;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.#driver.execute(this, query) as Promise<QueryResult<R>>;
  }

  streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    return this.#driver.stream(query) as AsyncIterableIterator<QueryResult<R>>;
  }
}

/**
 * Kysely's SQLite dialect over {@link ResilientSqliteDriver}. The connection's own
 * `busy_timeout` must be 0: waiting is the driver's job.
 *
 * @example new Kysely<Database>({ dialect: new ResilientSqliteDialect(sqlite, 3000) })
 */
export class ResilientSqliteDialect extends SqliteDialect {
  readonly #db: BetterSqlite3.Database;
  readonly #busyTimeoutMs: number;

  constructor(db: BetterSqlite3.Database, busyTimeoutMs: number = DEFAULT_BUSY_TIMEOUT_MS) {
    super({ database: db });
    this.#db = db;
    this.#busyTimeoutMs = busyTimeoutMs;
  }

  override createDriver(): Driver {
    return new ResilientSqliteDriver(this.#db, this.#busyTimeoutMs);
  }
}
