import { closeSync, mkdirSync, openSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ProviderError } from '../errors.js';

/** A held {@link lockDatabase} lock. */
export interface DatabaseLock {
  /** The lock file's path. */
  readonly path: string;
  /** Lets go of the lock (the process's exit does too). */
  release(): void;
}

/**
 * Makes sure one provider process at a time serves a SQLite database: nonces are checked in
 * its memory, so a second process on the same file would accept the first one's replays.
 * Throws a {@link ProviderError} `ERR_LOCKED` when another process holds the lock.
 *
 * The lock is SQLite's own on a small database beside the data, `<path>.lock`, held in
 * exclusive locking mode for the life of the connection: a POSIX lock of the operating
 * system, which ends with the process however it ends (a SIGKILL or a crash leaves no stale
 * lock to clean up), and which SQLite also keeps between connections of one process. The
 * admin CLI does not take it: it writes through the database, whose changes the provider sees.
 *
 * @example const lock = lockDatabase('/srv/signet/data/signet.db'); ... lock.release();
 */
export function lockDatabase(path: string): DatabaseLock {
  let lockPath = `${path}.lock`;
  let db: BetterSqlite3.Database | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'a', 0o600));
    // Beside the file itself: a symbolic link to the database is the same database.
    lockPath = `${realpathSync(path)}.lock`;
    db = new BetterSqlite3(lockPath, { timeout: 0 });
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock, and exclusive mode keeps it.
    db.exec(
      'create table if not exists holder (id integer primary key, pid integer, since integer)',
    );
    db.prepare('insert or replace into holder values (1, ?, ?)').run(process.pid, Date.now());
  } catch (e) {
    db?.close();
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) {
      throw new ProviderError(
        'ERR_LOCKED',
        `Another Signet provider is running on ${path} (it holds ${lockPath}). ` +
          'Stop it first, or give this one another SIGNET_DATABASE_URL.',
        { cause: e },
      );
    }
    throw new ProviderError('ERR_DATABASE', `Cannot open the lock file ${lockPath}: ${String(e)}`, {
      cause: e,
    });
  }
  const held = db;
  return {
    path: lockPath,
    release: () => {
      if (held.open) held.close();
    },
  };
}
