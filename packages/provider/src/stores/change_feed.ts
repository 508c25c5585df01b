import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import { endianness } from 'node:os';
import BetterSqlite3 from 'better-sqlite3';
import type { DatabaseConfig } from '../config.js';
import type { ChangeFeed } from './cache.js';

// The WAL-index header (https://www.sqlite.org/walformat.html): the first 48 bytes of the
// `-shm` file, in the host's byte order. iVersion (bytes 0-3) is 3007000; isInit (byte 12) is
// 1 once the header is valid.
const WAL_INDEX_HEADER = 48;
const WAL_INDEX_VERSION = 3007000;

/**
 * SQLite: tells when any connection (the server's own, the admin CLI's, another process)
 * committed since the last call.
 *
 * In WAL mode every commit rewrites the WAL-index header at the start of the `-shm` file,
 * which all connections share: its change counter (iChange), last frame, checksums and, when
 * the log starts over, its salts. The commit updates it before it returns, so a commit that
 * finished before a request arrived is in the header that request's check reads. Reading
 * those 48 bytes is one `pread`; `PRAGMA data_version`, which answers the same question,
 * opens and ends a read transaction: a statement run and four lock calls, about ten times
 * the cost, on every cached read. The feed's own read-only connection stays open, so the
 * `-shm` file is never removed under it (SQLite deletes it only when the last connection
 * closes).
 *
 * Where the header cannot be read as expected (not WAL mode, no `-shm` file, another
 * layout), it falls back to `PRAGMA data_version`.
 */
export class SqliteChangeFeed implements ChangeFeed {
  readonly #db: BetterSqlite3.Database;
  readonly #version: BetterSqlite3.Statement;
  #last: number;
  /** The `-shm` file, when its header is read instead of `PRAGMA data_version`. */
  #shm: number | undefined;
  readonly #header = Buffer.alloc(WAL_INDEX_HEADER);
  readonly #seen = Buffer.alloc(WAL_INDEX_HEADER);

  constructor(path: string) {
    this.#db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    this.#version = this.#db.prepare('PRAGMA data_version').pluck();
    // A read transaction: opens (and so maps) the -shm file of a WAL database.
    this.#last = this.#version.get() as number;
    this.#shm = this.#openShm(path);
  }

  #openShm(path: string): number | undefined {
    if (this.#db.pragma('journal_mode', { simple: true }) !== 'wal') return undefined;
    let fd: number;
    try {
      // SQLite names the file after the database's full path with symbolic links resolved;
      // beside a link, a `-shm` file left from before would hold a header that never moves.
      fd = openSync(`${realpathSync(path)}-shm`, 'r');
    } catch {
      return undefined;
    }
    const h = this.#header;
    if (
      readSync(fd, h, 0, WAL_INDEX_HEADER, 0) !== WAL_INDEX_HEADER ||
      (endianness() === 'LE' ? h.readUInt32LE(0) : h.readUInt32BE(0)) !== WAL_INDEX_VERSION ||
      h[12] !== 1
    ) {
      closeSync(fd);
      return undefined;
    }
    h.copy(this.#seen);
    return fd;
  }

  /** Whether the `-shm` header is what `changed` reads (else `PRAGMA data_version`). */
  get readsWalIndex(): boolean {
    return this.#shm !== undefined;
  }

  changed(): boolean {
    if (this.#shm !== undefined) {
      const read = readSync(this.#shm, this.#header, 0, WAL_INDEX_HEADER, 0);
      // A short read or a header caught mid-write counts as a change: a spurious
      // invalidation costs a few database reads, a missed one would serve a revoked token.
      if (read === WAL_INDEX_HEADER && this.#header.equals(this.#seen)) return false;
      this.#header.copy(this.#seen);
      return true;
    }
    const v = this.#version.get() as number;
    if (v === this.#last) return false;
    this.#last = v;
    return true;
  }

  // iChange, the header's transaction counter (bytes 8-11).
  #iChange(h: Buffer): number {
    return endianness() === 'LE' ? h.readUInt32LE(8) : h.readUInt32BE(8);
  }

  /**
   * The header before a commit of this process, or `undefined` when a change is already
   * unseen (then the commit must not hide it).
   */
  beforeOwnCommit(): Buffer | undefined {
    if (this.#shm === undefined) return undefined;
    const h = Buffer.allocUnsafe(WAL_INDEX_HEADER);
    if (readSync(this.#shm, h, 0, WAL_INDEX_HEADER, 0) !== WAL_INDEX_HEADER) return undefined;
    return h.equals(this.#seen) ? h : undefined;
  }

  /**
   * After the commit: one transaction more than before means it was the only one (a writer
   * holds the lock until its commit is in the header), so its header is taken as seen.
   * Anything else counts as a change, as it would have.
   */
  afterOwnCommit(mark: unknown): void {
    if (this.#shm === undefined || !Buffer.isBuffer(mark)) return;
    const h = this.#header;
    if (readSync(this.#shm, h, 0, WAL_INDEX_HEADER, 0) !== WAL_INDEX_HEADER) return;
    if (this.#iChange(h) === (this.#iChange(mark) + 1) >>> 0) h.copy(this.#seen);
  }

  async close(): Promise<void> {
    if (this.#shm !== undefined) closeSync(this.#shm);
    this.#shm = undefined;
    this.#db.close();
  }
}

/** A database nobody else can write (`:memory:`): nothing changes behind the cache. */
export const noChanges: ChangeFeed = { changed: () => false, close: async () => {} };

/**
 * PostgreSQL: LISTEN on `signet_changes`, which triggers on consumers and access tokens
 * notify (migration 0002). While the listening connection is down, nothing is known, so
 * every read counts as changed (no caching) until it is back.
 */
export class PostgresChangeFeed implements ChangeFeed {
  #dirty = true;
  #connected = false;
  #closed = false;
  #client: import('pg').Client | undefined;
  readonly #url: string;
  readonly #onError: (error: unknown) => void;

  private constructor(url: string, onError: (error: unknown) => void) {
    this.#url = url;
    this.#onError = onError;
  }

  /** Connects and listens; resolves once notifications flow. */
  static async open(
    url: string,
    onError: (error: unknown) => void = () => {},
  ): Promise<PostgresChangeFeed> {
    const feed = new PostgresChangeFeed(url, onError);
    await feed.#connect();
    return feed;
  }

  async #connect(): Promise<void> {
    const { default: pg } = await import('pg');
    // keepAlive: a server that vanished without closing (a failover) is noticed, and caching
    // stops, instead of trusting a feed that will never speak again.
    const client = new pg.Client({
      connectionString: this.#url,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on('notification', () => {
      this.#dirty = true;
    });
    // Always listened to: an 'error' event without a listener would end the process.
    client.on('error', (e) => this.#lost(e));
    client.on('end', () => this.#lost(undefined));
    try {
      await client.connect();
      await client.query('LISTEN signet_changes');
    } catch (e) {
      // Connected but not listening is of no use: close it rather than leak it.
      await client.end().catch(() => {});
      throw e;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#connected = true;
    // Anything may have changed while no one was listening.
    this.#dirty = true;
  }

  #lost(error: unknown): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#client = undefined;
    if (error !== undefined) this.#onError(error);
    if (this.#closed) return;
    const retry = () => {
      if (this.#closed) return;
      this.#connect().catch((e: unknown) => {
        this.#onError(e);
        setTimeout(retry, 1000).unref();
      });
    };
    setTimeout(retry, 200).unref();
  }

  changed(): boolean {
    if (!this.#connected) return true;
    if (!this.#dirty) return false;
    this.#dirty = false;
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#connected = false;
    await this.#client?.end().catch(() => {});
  }
}

/** The change feed for a database configuration. */
export async function changeFeedFor(
  database: DatabaseConfig,
  onError?: (error: unknown) => void,
): Promise<ChangeFeed> {
  if (database.kind === 'sqlite') {
    return database.path === ':memory:' ? noChanges : new SqliteChangeFeed(database.path);
  }
  return PostgresChangeFeed.open(database.url, onError);
}
