// The SQLite change feed tells the caches that another connection committed. It reads the
// WAL-index header instead of running `PRAGMA data_version`; these tests hold it to the same
// answers: every commit seen, by another connection or process, across a WAL restart.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteChangeFeed } from '../src/stores/change_feed.js';
import { tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups.reverse()) c();
});

/** A database in `mode` with a table, and a writer connection on it. */
function database(mode: 'wal' | 'delete'): { path: string; writer: BetterSqlite3.Database } {
  const { dir, remove } = tempDir('feed');
  cleanups.push(remove);
  const path = join(dir, 'feed.db');
  const writer = new BetterSqlite3(path);
  cleanups.unshift(() => writer.close());
  writer.pragma(`journal_mode = ${mode}`);
  writer.exec('CREATE TABLE t (x INTEGER)');
  return { path, writer };
}

function feedOn(path: string): SqliteChangeFeed {
  const feed = new SqliteChangeFeed(path);
  cleanups.unshift(() => void feed.close());
  return feed;
}

describe('SQLite change feed', () => {
  it('reads the WAL-index header and sees every commit of another connection', () => {
    const { path, writer } = database('wal');
    const feed = feedOn(path);
    assert.equal(feed.readsWalIndex, true);
    assert.equal(feed.changed(), false);
    for (let i = 0; i < 3; i++) {
      writer.prepare('INSERT INTO t VALUES (?)').run(i);
      assert.equal(feed.changed(), true, `commit ${i}`);
      assert.equal(feed.changed(), false, `nothing after commit ${i}`);
    }
    // A read changes nothing.
    writer.prepare('SELECT count(*) FROM t').get();
    assert.equal(feed.changed(), false);
  });

  it("a nonce commit of this process does not count as a change; another connection's still does", () => {
    const { path, writer } = database('wal');
    const other = new BetterSqlite3(path);
    cleanups.unshift(() => other.close());
    const feed = feedOn(path);
    assert.equal(feed.changed(), false);
    const insert = writer.prepare('INSERT INTO t VALUES (?)');

    let mark = feed.beforeOwnCommit();
    insert.run(1);
    feed.afterOwnCommit(mark);
    assert.equal(feed.changed(), false, 'our own commit alone');

    // Another connection commits while ours is under way: it must not be hidden.
    mark = feed.beforeOwnCommit();
    other.prepare('INSERT INTO t VALUES (?)').run(2);
    insert.run(3);
    feed.afterOwnCommit(mark);
    assert.equal(feed.changed(), true, 'a commit of another connection meanwhile');

    // ... or before it, unseen yet.
    other.prepare('INSERT INTO t VALUES (?)').run(4);
    mark = feed.beforeOwnCommit();
    insert.run(5);
    feed.afterOwnCommit(mark);
    assert.equal(feed.changed(), true, 'a commit of another connection before');
    assert.equal(feed.changed(), false);
  });

  it('sees a commit after a checkpoint has started the WAL over', () => {
    const { path, writer } = database('wal');
    const feed = feedOn(path);
    writer.prepare('INSERT INTO t VALUES (1)').run();
    assert.equal(feed.changed(), true);
    writer.pragma('wal_checkpoint(TRUNCATE)');
    feed.changed();
    // The next commit writes from the start of the log again, with new salts.
    writer.prepare('INSERT INTO t VALUES (2)').run();
    assert.equal(feed.changed(), true);
    assert.equal(feed.changed(), false);
  });

  it('sees a commit of another process', () => {
    const { path } = database('wal');
    const feed = feedOn(path);
    assert.equal(feed.changed(), false);
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    execFileSync(process.execPath, [
      '-e',
      `const D = require(${JSON.stringify(module)}); const db = new D(process.argv[1]);` +
        ` db.prepare('INSERT INTO t VALUES (1)').run(); db.close();`,
      path,
    ]);
    assert.equal(feed.changed(), true);
    assert.equal(feed.changed(), false);
  });

  it('reads the -shm file SQLite uses when the path is a symbolic link', () => {
    const { path, writer } = database('wal');
    const link = `${path}.link`;
    symlinkSync(path, link);
    // A stale -shm file beside the link, as a moved database could leave.
    copyFileSync(`${path}-shm`, `${link}-shm`);
    const feed = feedOn(link);
    assert.equal(feed.readsWalIndex, true);
    assert.equal(feed.changed(), false);
    writer.prepare('INSERT INTO t VALUES (1)').run();
    assert.equal(feed.changed(), true);
  });

  it('falls back to PRAGMA data_version outside WAL mode', () => {
    const { path, writer } = database('delete');
    const feed = feedOn(path);
    assert.equal(feed.readsWalIndex, false);
    assert.equal(feed.changed(), false);
    writer.prepare('INSERT INTO t VALUES (1)').run();
    assert.equal(feed.changed(), true);
    assert.equal(feed.changed(), false);
  });
});
