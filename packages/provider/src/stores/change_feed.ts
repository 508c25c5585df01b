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
 * Re-reads at most `ttlMs` after caching: for databases without a push feed.
 * TODO(provider): PostgreSQL LISTEN/NOTIFY from a trigger, so revocations reach every
 * instance at once instead of within `ttlMs`.
 */
export function timedFeed(ttlMs: number, now: () => number = Date.now): ChangeFeed {
  let last = now();
  return {
    changed() {
      const t = now();
      if (t - last < ttlMs) return false;
      last = t;
      return true;
    },
    close: async () => {},
  };
}

/** The change feed for a database configuration. */
export function changeFeedFor(database: DatabaseConfig): ChangeFeed {
  if (database.kind === 'sqlite') {
    return database.path === ':memory:' ? noChanges : new SqliteChangeFeed(database.path);
  }
  return timedFeed(1000);
}
