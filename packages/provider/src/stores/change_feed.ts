import BetterSqlite3 from 'better-sqlite3';
import type { DatabaseConfig } from '../config.js';
import type { ChangeFeed } from './cache.js';

/**
 * SQLite: `PRAGMA data_version` on a connection of our own changes whenever another
 * connection commits (the server's own, or the admin CLI's). Reading it costs a look at
 * the WAL index in shared memory, so it can run before every cached read.
 */
export class SqliteChangeFeed implements ChangeFeed {
  readonly #db: BetterSqlite3.Database;
  readonly #version: BetterSqlite3.Statement;
  #last: number;

  constructor(path: string) {
    this.#db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    this.#version = this.#db.prepare('PRAGMA data_version').pluck();
    this.#last = this.#version.get() as number;
  }

  changed(): boolean {
    const v = this.#version.get() as number;
    if (v === this.#last) return false;
    this.#last = v;
    return true;
  }

  async close(): Promise<void> {
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
    const client = new pg.Client({ connectionString: this.#url });
    client.on('notification', () => {
      this.#dirty = true;
    });
    client.on('error', (e) => this.#lost(e));
    client.on('end', () => this.#lost(undefined));
    await client.connect();
    await client.query('LISTEN signet_changes');
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
    await this.#client?.end();
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
