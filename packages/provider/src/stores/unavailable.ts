import { isStoreUnavailable, StoreUnavailableError } from '@signet/server';
import type {
  DatabaseConnection,
  Driver,
  Dialect as KyselyDialect,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import type { Logger } from 'pino';

/** A dependency the provider cannot answer without. */
export type Dependency = 'database' | 'redis';

/**
 * How a dependency failed, for metrics and for the answer: `connection` (refused, reset,
 * terminated, not accepting connections), `timeout` (a statement, a lock wait, a pool wait
 * or a Redis command ran out of time), `busy` (locked, too many connections, a serialization
 * conflict), `full` (disk or memory), `io` (the file cannot be read or written).
 */
export type FailureKind = 'connection' | 'timeout' | 'busy' | 'full' | 'io';

/** Told of every dependency failure that a request saw: metrics and logs. */
export interface DependencyMonitor {
  failed(dependency: Dependency, kind: FailureKind, error: unknown): void;
}

const NODE_CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// PostgreSQL error codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const PG_CODES: Readonly<Record<string, FailureKind>> = {
  '57P01': 'connection', // admin_shutdown: pg_terminate_backend, a restart, a failover
  '57P02': 'connection', // crash_shutdown
  '57P03': 'connection', // cannot_connect_now: starting up or in recovery
  '57P05': 'connection', // idle_session_timeout
  '25P03': 'connection', // idle_in_transaction_session_timeout
  '57014': 'timeout', // query_canceled: statement_timeout
  '55P03': 'timeout', // lock_not_available: lock_timeout
  '40001': 'busy', // serialization_failure
  '40P01': 'busy', // deadlock_detected
  '53100': 'full', // disk_full
  '53200': 'full', // out_of_memory
  '53300': 'busy', // too_many_connections
  '53400': 'busy', // configuration_limit_exceeded
};

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null
    ? (error as Record<string, unknown>)[name]
    : undefined;
}

/**
 * Whether `error` (from pg, better-sqlite3 or the pool) says the database is unavailable,
 * and how; `undefined` for anything else (a constraint, a bad query: a bug or bad input).
 */
export function classifyDatabaseError(error: unknown): FailureKind | undefined {
  const code = field(error, 'code');
  if (typeof code === 'string') {
    const pg = PG_CODES[code];
    if (pg !== undefined) return pg;
    if (code.startsWith('08')) return 'connection'; // connection_exception class
    if (code.startsWith('53')) return 'busy'; // insufficient_resources class
    if (NODE_CONNECTION_CODES.has(code)) return 'connection';
    if (code.startsWith('SQLITE_')) {
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
      if (code === 'SQLITE_PROTOCOL') return 'busy';
      if (code === 'SQLITE_FULL') return 'full';
      if (
        code.startsWith('SQLITE_IOERR') ||
        code.startsWith('SQLITE_CANTOPEN') ||
        code.startsWith('SQLITE_READONLY')
      ) {
        return 'io';
      }
    }
  }
  // pg and pg-pool report these with a message only.
  const message = error instanceof Error ? error.message : '';
  if (/^Connection terminated|not queryable|^Client was closed/i.test(message)) {
    return 'connection';
  }
  if (
    /timeout exceeded when trying to connect|connection timeout|Query read timeout/i.test(message)
  ) {
    return 'timeout';
  }
  // An AggregateError (a connection refused on every address of a host) has no code of its own.
  if (error instanceof AggregateError) {
    for (const e of error.errors) if (classifyDatabaseError(e) !== undefined) return 'connection';
  }
  return undefined;
}

/**
 * Whether `error` (from ioredis) says Redis is unavailable, and how. Every ioredis error
 * is about the server or the connection: its replies to our commands never fail otherwise.
 */
export function classifyRedisError(error: unknown): FailureKind {
  const message = error instanceof Error ? error.message : String(error);
  if (/timed out|timeout/i.test(message)) return 'timeout';
  if (/^(OOM|MISCONF)/.test(message)) return 'full';
  if (/^(BUSY|LOADING|TRYAGAIN|MASTERDOWN|READONLY)/.test(message)) return 'busy';
  return 'connection';
}

const DATABASE_MESSAGES: Readonly<Record<FailureKind, readonly [string, number]>> = {
  connection: ['The database is unreachable; try again shortly.', 2],
  timeout: ['The database did not answer in time; try again shortly.', 2],
  busy: ['The database is busy; try again shortly.', 1],
  full: ['The database is out of space; try again later.', 30],
  io: ['The database cannot be read or written; try again later.', 10],
};

/** A {@link StoreUnavailableError} that knows how its dependency failed. */
export class DependencyUnavailableError extends StoreUnavailableError {
  readonly kind: FailureKind;

  constructor(
    message: string,
    options: {
      readonly cause: unknown;
      readonly retryAfter: number;
      readonly dependency: Dependency;
      readonly kind: FailureKind;
    },
  ) {
    super(message, options);
    this.kind = options.kind;
  }
}

/** The 503 for a database failure of `kind`, with `cause` kept for the logs. */
export function databaseUnavailable(kind: FailureKind, cause: unknown): StoreUnavailableError {
  const [message, retryAfter] = DATABASE_MESSAGES[kind];
  return new DependencyUnavailableError(message, {
    cause,
    retryAfter,
    dependency: 'database',
    kind,
  });
}

/** The 503 for a Redis failure, with `cause` kept for the logs. */
export function redisUnavailable(kind: FailureKind, cause: unknown): StoreUnavailableError {
  const message =
    kind === 'timeout'
      ? 'The replay cache (Redis) did not answer in time; try again shortly.'
      : 'The replay cache (Redis) is unavailable; try again shortly.';
  return new DependencyUnavailableError(message, {
    cause,
    retryAfter: 2,
    dependency: 'redis',
    kind,
  });
}

/**
 * Turns whatever a dependency threw into a {@link StoreUnavailableError} when it is a
 * dependency failure (telling `monitor`), and returns anything else as it was.
 */
export function translateDatabaseError(error: unknown, monitor?: DependencyMonitor): unknown {
  if (isStoreUnavailable(error)) return error;
  const kind = classifyDatabaseError(error);
  if (kind === undefined) return error;
  monitor?.failed('database', kind, error);
  return databaseUnavailable(kind, error);
}

class GuardedConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;
  readonly #monitor: DependencyMonitor | undefined;

  constructor(inner: DatabaseConnection, monitor: DependencyMonitor | undefined) {
    this.inner = inner;
    this.#monitor = monitor;
  }

  async executeQuery<R>(
    query: Parameters<DatabaseConnection['executeQuery']>[0],
  ): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(query);
    } catch (e) {
      throw translateDatabaseError(e, this.#monitor);
    }
  }

  async *streamQuery<R>(
    query: Parameters<DatabaseConnection['streamQuery']>[0],
    chunkSize?: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (e) {
      throw translateDatabaseError(e, this.#monitor);
    }
  }
}

/** Options of {@link guardDialect}. */
export interface GuardOptions {
  readonly monitor?: DependencyMonitor | undefined;
  /** Told of a rollback that failed (its error), after a failure that is still the one thrown. */
  readonly onRollbackFailure?: ((error: unknown) => void) | undefined;
}

class GuardedDriver implements Driver {
  readonly #inner: Driver;
  readonly #options: GuardOptions;

  constructor(inner: Driver, options: GuardOptions) {
    this.#inner = inner;
    this.#options = options;
  }

  #translate(e: unknown): unknown {
    return translateDatabaseError(e, this.#options.monitor);
  }

  async init(): Promise<void> {
    try {
      await this.#inner.init();
    } catch (e) {
      throw this.#translate(e);
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    let connection: DatabaseConnection;
    try {
      connection = await this.#inner.acquireConnection();
    } catch (e) {
      // Whatever stops a connection from being had (refused, not accepting connections, the
      // pool wait timing out) makes the database unavailable to this request.
      const translated = this.#translate(e);
      if (isStoreUnavailable(translated)) throw translated;
      this.#options.monitor?.failed('database', 'connection', e);
      throw databaseUnavailable('connection', e);
    }
    return new GuardedConnection(connection, this.#options.monitor);
  }

  async beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    try {
      await this.#inner.beginTransaction((c as GuardedConnection).inner, settings);
    } catch (e) {
      throw this.#translate(e);
    }
  }

  async commitTransaction(c: DatabaseConnection): Promise<void> {
    try {
      await this.#inner.commitTransaction((c as GuardedConnection).inner);
    } catch (e) {
      throw this.#translate(e);
    }
  }

  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    // Kysely rolls back after a failure and throws what the rollback threw, if anything: the
    // cause (a lost connection, a full disk) would be replaced by "cannot rollback - no
    // transaction is active" or "Connection terminated". A rollback that fails leaves nothing
    // to undo (SQLite rolled back already; a dead pg connection is dropped by the pool, which
    // never reuses one that is not queryable), so the original failure is what is thrown.
    try {
      await this.#inner.rollbackTransaction((c as GuardedConnection).inner);
    } catch (e) {
      this.#options.onRollbackFailure?.(e);
    }
  }

  async releaseConnection(c: DatabaseConnection): Promise<void> {
    await this.#inner.releaseConnection((c as GuardedConnection).inner);
  }

  async destroy(): Promise<void> {
    await this.#inner.destroy();
  }
}

/**
 * A Kysely dialect whose queries throw a {@link StoreUnavailableError} when the database is
 * unavailable (see {@link classifyDatabaseError}), and whose failed transactions throw the
 * failure itself, never the error of the rollback that followed.
 */
export function guardDialect(inner: KyselyDialect, options: GuardOptions = {}): KyselyDialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createDriver: () => new GuardedDriver(inner.createDriver(), options),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
  };
}

/**
 * Logs repeated failures of one kind once per interval, with how many were not logged:
 * a dependency that is down fails every request and every reconnection attempt.
 */
export class ThrottledLog {
  readonly #logger: Logger | undefined;
  readonly #intervalMs: number;
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(logger: Logger | undefined, intervalMs = 10_000) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  /** Logs `msg` at warn level for `key`, unless it was logged less than an interval ago. */
  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    if (this.#logger === undefined) return;
    const now = Date.now();
    const last = this.#last.get(key);
    if (last !== undefined && now - last.at < this.#intervalMs) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.#last.set(key, { at: now, suppressed: 0 });
    this.#logger.warn({ ...fields, ...(suppressed > 0 && { suppressed }) }, msg);
  }
}

/** What a log line says of a dependency's error: its code and message, never a query. */
export function describeCause(error: unknown): Record<string, unknown> {
  const code = field(error, 'code');
  const message = error instanceof Error ? error.message : String(error);
  return { ...(typeof code === 'string' && { code }), cause: message };
}

/**
 * Where the provider's dependency failures go: a count by dependency and kind (the
 * `/metrics` counter) and a log line naming the real cause, at most one per kind and
 * interval. Connection errors outside any request (a pooled connection lost while idle,
 * Redis reconnecting) are logged the same way.
 */
export class DependencyEvents implements DependencyMonitor {
  readonly #log: ThrottledLog;
  readonly #count: ((dependency: Dependency, kind: FailureKind) => void) | undefined;

  constructor(
    logger: Logger | undefined,
    count?: (dependency: Dependency, kind: FailureKind) => void,
  ) {
    this.#log = new ThrottledLog(logger);
    this.#count = count;
  }

  failed(dependency: Dependency, kind: FailureKind, error: unknown): void {
    this.#count?.(dependency, kind);
    this.#log.warn(
      `${dependency}:${kind}`,
      { dependency, kind, ...describeCause(error) },
      `${dependency} unavailable`,
    );
  }

  /** A listener for the connection errors of `dependency`. */
  connectionError(dependency: Dependency): (error: unknown) => void {
    return (error) =>
      this.#log.warn(
        `${dependency}:connection-error`,
        { dependency, ...describeCause(error) },
        `${dependency} connection error`,
      );
  }
}

/** Whether `error` comes from ioredis about the connection (down, closed, timed out). */
function isRedisConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    /enableOfflineQueue|^Command timed out|^Connection is closed/.test(error.message)
  );
}

/**
 * The {@link StoreUnavailableError} that `error` amounts to, if it is a dependency failure
 * that reached the HTTP layer untranslated (pages, the Redis login limits); else `undefined`.
 */
export function asUnavailable(
  error: unknown,
  monitor?: DependencyMonitor,
): StoreUnavailableError | undefined {
  if (isStoreUnavailable(error)) return error;
  if (isRedisConnectionError(error)) {
    const kind = classifyRedisError(error);
    monitor?.failed('redis', kind, error);
    return redisUnavailable(kind, error);
  }
  const translated = translateDatabaseError(error, monitor);
  return isStoreUnavailable(translated) ? translated : undefined;
}
