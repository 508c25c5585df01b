// Dependency failures as the stores report them: a StoreUnavailableError (503) for what is
// the database's or Redis's fault, the error itself for anything else (a bug: 500), and a
// failed transaction's own error rather than that of the rollback after it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isStoreUnavailable } from '@signet/server';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../src/db/connect.js';
import {
  asUnavailable,
  classifyDatabaseError,
  classifyRedisError,
} from '../src/stores/unavailable.js';
import { PG_URL, pgSchema, tempDir } from './helpers.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('classifyDatabaseError', () => {
  it('names what the database did', () => {
    const cases: [unknown, string | undefined][] = [
      [coded('57P01', 'terminating connection due to administrator command'), 'connection'],
      [coded('57P03', 'the database system is starting up'), 'connection'],
      [coded('08006'), 'connection'],
      [coded('ECONNREFUSED'), 'connection'],
      [coded('ECONNRESET'), 'connection'],
      [new Error('Connection terminated unexpectedly'), 'connection'],
      [new Error('Client has encountered a connection error and is not queryable'), 'connection'],
      [new Error('timeout exceeded when trying to connect'), 'timeout'],
      [coded('57014', 'canceling statement due to statement timeout'), 'timeout'],
      [coded('55P03', 'could not obtain lock'), 'timeout'],
      [coded('53300', 'sorry, too many clients already'), 'busy'],
      [coded('53100', 'could not extend file: No space left on device'), 'full'],
      [coded('40P01', 'deadlock detected'), 'busy'],
      [coded('SQLITE_BUSY'), 'busy'],
      [coded('SQLITE_BUSY_SNAPSHOT'), 'busy'],
      [coded('SQLITE_LOCKED'), 'busy'],
      [coded('SQLITE_FULL'), 'full'],
      [coded('SQLITE_IOERR_WRITE'), 'io'],
      [coded('SQLITE_CANTOPEN'), 'io'],
      [new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]), 'connection'],
      // Bugs and bad input stay what they are.
      [coded('23505', 'duplicate key value violates unique constraint'), undefined],
      [coded('42P01', 'relation "x" does not exist'), undefined],
      [coded('SQLITE_CONSTRAINT_UNIQUE'), undefined],
      [coded('SQLITE_ERROR', 'no such table: x'), undefined],
      [new TypeError('x is not a function'), undefined],
    ];
    for (const [error, kind] of cases) {
      assert.equal(classifyDatabaseError(error), kind, String(error));
    }
  });

  it('takes ioredis errors for Redis failures, and leaves bugs alone', () => {
    const offline = new Error("Stream isn't writeable and enableOfflineQueue options is false");
    assert.equal(asUnavailable(offline)?.dependency, 'redis');
    assert.equal(classifyRedisError(new Error('Command timed out')), 'timeout');
    assert.equal(asUnavailable(new Error('Command timed out'))?.dependency, 'redis');
    assert.equal(asUnavailable(coded('57P01'))?.dependency, 'database');
    assert.equal(asUnavailable(new TypeError('undefined is not a function')), undefined);
  });
});

describe('transactions that fail', () => {
  const dir = tempDir('unavailable');
  after(() => dir.remove());

  it("SQLite: throw their own error, not the failed rollback's", async () => {
    const { db, close } = await openDatabase({ kind: 'sqlite', path: join(dir.dir, 'x.db') });
    try {
      // SQLite ends the transaction itself on some failures (a full disk, an I/O error);
      // Kysely's rollback then fails with "cannot rollback - no transaction is active".
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await sql`commit`.execute(trx);
          throw new Error('the real cause');
        }),
        /the real cause/,
      );
      // And the connection is still usable.
      assert.equal((await sql<{ one: number }>`select 1 as one`.execute(db)).rows[0]?.one, 1);
    } finally {
      await close();
    }
  });

  it('PostgreSQL: a backend terminated mid-transaction is a 503, and the process lives', async () => {
    const schema = await pgSchema();
    const { db, close } = await openDatabase({ kind: 'postgres', url: schema.url });
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const error = await db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
          // The termination arrives while the connection is checked out and idle.
          await new Promise((r) => setTimeout(r, 200));
          await sql`select 1`.execute(trx);
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.ok(isStoreUnavailable(error), `got ${String(error)}`);
      assert.equal(error.dependency, 'database');
      // The pool replaced the dead connection.
      assert.equal((await sql<{ one: number }>`select 1 as one`.execute(db)).rows[0]?.one, 1);
    } finally {
      await admin.end();
      await close();
      await schema.drop();
    }
  });
});
