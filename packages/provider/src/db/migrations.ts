import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';
import type { Dialect } from './schema.js';

// Migrations live in code, not in files the Migrator would look up at run time: the compiled
// package then works wherever it is installed. Never edit a migration that has shipped; add one.

function initial(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('consumers')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('secret_enc', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('rsa_public_key', 'text')
        .addColumn('callback_url', 'text')
        .addColumn('disabled_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull().defaultTo('admin'))
        .addColumn('application_type', 'text')
        .addColumn('redirect_uris', 'text')
        .addColumn('logo_url', 'text')
        .addColumn('contacts', 'text')
        .addColumn('expires_at', 'bigint')
        .execute();

      await db.schema
        .createTable('contexts')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      // No foreign keys from tokens to consumers or users: consumers and people are disabled,
      // never deleted, and the store contract lets a token name any consumer key.
      await db.schema
        .createTable('request_tokens')
        .addColumn('token', 'text', (c) => c.primaryKey())
        .addColumn('secret_enc', 'text', (c) => c.notNull())
        .addColumn('consumer_key', 'text', (c) => c.notNull())
        .addColumn('callback', 'text')
        .addColumn('realms', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('user_name', 'text')
        .addColumn('permission', 'text')
        .addColumn('context', 'text')
        .addColumn('grant_realms', 'text')
        .addColumn('grant_expires_at', 'bigint')
        .addColumn('verifier_enc', 'text')
        .addColumn('reviewed_at', 'bigint')
        .addColumn('consumed_at', 'bigint')
        .execute();
      // /account/applications and `token list --user` list by person; cleanup scans expiry.
      await db.schema
        .createIndex('request_tokens_user_idx')
        .on('request_tokens')
        .column('user_name')
        .execute();
      await db.schema
        .createIndex('request_tokens_expires_idx')
        .on('request_tokens')
        .column('expires_at')
        .execute();

      await db.schema
        .createTable('access_tokens')
        .addColumn('token', 'text', (c) => c.primaryKey())
        .addColumn('secret_enc', 'text', (c) => c.notNull())
        .addColumn('consumer_key', 'text', (c) => c.notNull())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('permission', 'text', (c) => c.notNull())
        .addColumn('context', 'text')
        .addColumn('realms', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('access_tokens_user_idx')
        .on('access_tokens')
        .column('user_name')
        .execute();
      await db.schema
        .createIndex('access_tokens_consumer_idx')
        .on('access_tokens')
        .column('consumer_key')
        .execute();

      await db.schema
        .createTable('nonces')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('nonces_expires_idx').on('nonces').column('expires_at').execute();

      await db.schema
        .createTable('notes')
        .addColumn('id', 'integer', (c) =>
          dialect === 'sqlite'
            ? c.primaryKey().autoIncrement()
            : c.primaryKey().generatedByDefaultAsIdentity(),
        )
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('visibility', 'text', (c) =>
          c.notNull().check(sql`visibility in ('public', 'private')`),
        )
        .addColumn('context', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('notes_owner_idx').on('notes').column('owner').execute();
      await db.schema
        .createIndex('notes_visibility_idx')
        .on('notes')
        .column('visibility')
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('sessions_expires_idx')
        .on('sessions')
        .column('expires_at')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of [
        'sessions',
        'notes',
        'nonces',
        'access_tokens',
        'request_tokens',
        'contexts',
        'consumers',
        'users',
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}

/**
 * PostgreSQL: every change to a consumer or an access token (a revocation, a disabled
 * consumer) notifies `signet_changes`, so that each provider instance drops its caches at
 * once, whoever made the change (another instance, the admin CLI, an operator's SQL).
 * SQLite needs nothing: its caches watch the WAL-index header every commit rewrites.
 */
function changeNotify(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect !== 'postgres') return;
      await sql`
        create or replace function signet_notify_change() returns trigger
        language plpgsql as $$
        begin
          perform pg_notify('signet_changes', tg_table_name);
          return null;
        end $$`.execute(db);
      for (const table of ['consumers', 'access_tokens']) {
        await sql`
          create trigger ${sql.raw(`${table}_notify_change`)}
          after update or delete on ${sql.table(table)}
          for each statement execute function signet_notify_change()`.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      if (dialect !== 'postgres') return;
      for (const table of ['consumers', 'access_tokens']) {
        await sql`drop trigger if exists ${sql.raw(`${table}_notify_change`)} on ${sql.table(table)}`.execute(
          db,
        );
      }
      await sql`drop function if exists signet_notify_change()`.execute(db);
    },
  };
}

/**
 * A row per flush of the write-behind nonce store instead of a row per nonce: at thousands
 * of signed calls a second, a row each (random 64-character keys, two B-trees) cost more
 * than the verification itself and stalled the event loop at every flush.
 */
function nonceBatches(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('nonce_batches')
        .addColumn('keys', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('nonce_batches_expires_idx')
        .on('nonce_batches')
        .column('expires_at')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('nonce_batches').ifExists().execute();
    },
  };
}

/**
 * Authorization policy: a request token remembers which protocol issued it (an RFC 5849
 * token is never exchanged without its verifier), and an access token when it was last used
 * (shown on /account/applications).
 */
function authzProtocolAndLastUse(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('request_tokens').addColumn('protocol', 'text').execute();
      // Tokens issued before: the RFC 5849 endpoint always took a callback, Launchpad's
      // clients never send one; a token with a callback keeps the stricter rule.
      await sql`update request_tokens set protocol = 'rfc5849' where callback is not null`.execute(
        db,
      );
      await db.schema.alterTable('access_tokens').addColumn('last_used_at', 'bigint').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('request_tokens').dropColumn('protocol').execute();
      await db.schema.alterTable('access_tokens').dropColumn('last_used_at').execute();
    },
  };
}

/**
 * SQLite: nonce batches lose their expiry index. Each is now committed before the requests
 * it admits are answered, many times a second, and the index's page doubled what every
 * commit writes (and the time it holds the event loop). Expired batches are found in
 * insertion order instead (see the provider's nonce table). PostgreSQL does not use the
 * table, so nothing changes there.
 */
function sqliteNonceBatchesUnindexed(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect !== 'sqlite') return;
      await db.schema.dropIndex('nonce_batches_expires_idx').ifExists().execute();
    },
    async down(db: Kysely<unknown>) {
      if (dialect !== 'sqlite') return;
      await db.schema
        .createIndex('nonce_batches_expires_idx')
        .ifNotExists()
        .on('nonce_batches')
        .column('expires_at')
        .execute();
    },
  };
}

/**
 * The provider's migrations, in order, for Kysely's `Migrator`.
 *
 * @example new Migrator({ db, provider: migrationProvider('sqlite') })
 */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations() {
      return {
        '0001_initial': initial(dialect),
        '0002_change_notify': changeNotify(dialect),
        '0003_nonce_batches': nonceBatches(dialect),
        '0004_authz_request_token_protocol': authzProtocolAndLastUse(),
        '0005_sqlite_nonce_batches_unindexed': sqliteNonceBatchesUnindexed(dialect),
      };
    },
  };
}
