// Shared by the test files: fresh databases that never collide with another run or file.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseConfig } from '../src/config.js';
import { SecretBox } from '../src/crypto/secret_box.js';
import { migrateToLatest, openDatabase } from '../src/db/connect.js';
import type { Dialect } from '../src/db/schema.js';
import { SqlStore } from '../src/stores/sql.js';

export const PG_URL =
  process.env['SIGNET_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env['SIGNET_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A temporary folder, removed by the returned function. */
export function tempDir(label: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `signet-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A PostgreSQL schema of its own on the `test` database: the URL sets `search_path` to it,
 * so the migrations and every query of this run land there and nowhere else.
 */
export async function pgSchema(): Promise<{
  url: string;
  schema: string;
  drop: () => Promise<void>;
}> {
  const schema = `signet_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
  } finally {
    await admin.end();
  }
  const url = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    schema,
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A migrated store on a fresh database of `dialect`, and how to dispose of it. */
export interface TestStore {
  readonly store: SqlStore;
  readonly dialect: Dialect;
  /** Where the data lives: the SQLite folder, or the PostgreSQL schema. */
  readonly location: string;
  readonly box: SecretBox;
  /** Closes the connection, keeping the data (to inspect the file). */
  close(): Promise<void>;
  /** Closes and deletes everything. */
  dispose(): Promise<void>;
}

export async function openTestStore(
  dialect: Dialect,
  options: { readonly now?: () => number } = {},
): Promise<TestStore> {
  const box = SecretBox.fromMasterKey(randomBytes(32));
  let location: string;
  let config: DatabaseConfig;
  let remove: () => unknown;
  if (dialect === 'sqlite') {
    const dir = tempDir('sqlite');
    location = dir.dir;
    config = { kind: 'sqlite', path: join(dir.dir, 'signet.db') };
    remove = dir.remove;
  } else {
    const { url, schema, drop } = await pgSchema();
    location = schema;
    config = { kind: 'postgres', url };
    remove = drop;
  }
  const { db, close } = await openDatabase(config);
  await migrateToLatest(db, dialect);
  const store = new SqlStore({ db, dialect, box, ...options });
  let closed = false;
  const closeOnce = async () => {
    if (!closed) await close();
    closed = true;
  };
  return {
    store,
    dialect,
    location,
    box,
    close: closeOnce,
    async dispose() {
      await closeOnce();
      await remove();
    },
  };
}
