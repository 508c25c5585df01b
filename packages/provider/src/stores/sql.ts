import { timingSafeEqualString } from '@signet/core';
import { isValidCallback } from '@signet/server';
import type { Kysely, Selectable } from 'kysely';
import { generateKey, generateSecret } from '../credentials.js';
import {
  hashPassword,
  verifyPasswordAgainstDummy,
  verifyPassword as verifyPasswordHash,
} from '../crypto/password.js';
import type { SecretBox } from '../crypto/secret_box.js';
import type {
  AccessTokensTable,
  ConsumersTable,
  Database,
  Dialect,
  NotesTable,
  RequestTokensTable,
  UsersTable,
} from '../db/schema.js';
import { ProviderError } from '../errors.js';
import { isPermission } from '../permissions.js';
import type {
  AccessToken,
  Consumer,
  Grant,
  NonceUse,
  OAuthStore,
  RequestToken,
} from './contract.js';
import { type NonceStore, nonceKey } from './nonces.js';

/** A person with a local account. `name` is the `userId` of grants and tokens. */
export interface User {
  readonly name: string;
  readonly displayName: string;
  /** Whether the account can log in (has a password). */
  readonly hasPassword: boolean;
  readonly createdAt: number;
}

/** How a consumer came to be registered. */
export type ConsumerOrigin = 'admin' | 'open' | 'dynamic';

/** A consumer as administrators see it: everything but the secret. */
export interface ConsumerInfo {
  readonly key: string;
  readonly name: string;
  readonly origin: ConsumerOrigin;
  readonly createdAt: number;
  readonly disabledAt?: number;
  readonly callbackUrl?: string;
  readonly rsaPublicKey?: string;
  readonly applicationType?: string;
  readonly redirectUris?: readonly string[];
  readonly logoUrl?: string;
  readonly contacts?: readonly string[];
  readonly expiresAt?: number;
}

/** Input of {@link SqlStore.createConsumer}. */
export interface NewConsumer {
  /** `oauth_consumer_key`; generated (20 characters) when absent. */
  readonly key?: string;
  /** Name shown to people; the key when absent. */
  readonly name?: string;
  /** Shared secret; generated (80 characters) when absent. `''` for an open consumer. */
  readonly secret?: string;
  readonly callbackUrl?: string;
  readonly rsaPublicKey?: string;
  readonly origin?: ConsumerOrigin;
}

/** pump.io client registration fields (`client_associate` / `client_update`). */
export interface ClientRegistration {
  readonly applicationName?: string;
  readonly applicationType?: 'web' | 'native';
  readonly redirectUris?: readonly string[];
  readonly logoUrl?: string;
  readonly contacts?: readonly string[];
}

/** The answer of a pump.io registration. */
export interface RegisteredClient {
  readonly clientId: string;
  readonly clientSecret: string;
  /** pump.io's `expires_at`, in seconds; 0: never. */
  readonly expiresAt: number;
}

/** A named resource a grant may be limited to. */
export interface Context {
  readonly name: string;
  readonly title: string;
  readonly createdAt: number;
}

/** An access token as listings show it: no secret, with the consumer's name. */
export type AccessTokenInfo = Omit<AccessToken, 'secret'> & {
  readonly consumerName: string;
  /** When a signed request last used it (to the minute), if one did. */
  readonly lastUsedAt?: number;
};

/** A request token as listings show it: no secret, no verifier, with the consumer's name. */
export type RequestTokenInfo = Omit<RequestToken, 'secret' | 'verifier'> & {
  readonly consumerName: string;
};

/** A note's visibility. */
export type Visibility = 'public' | 'private';

/** The protected API's sample resource. */
export interface Note {
  readonly id: number;
  readonly owner: string;
  readonly title: string;
  readonly body: string;
  readonly visibility: Visibility;
  readonly context?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Input of {@link SqlStore.createNote}. */
export interface NewNote {
  readonly owner: string;
  readonly title: string;
  readonly body: string;
  readonly visibility: Visibility;
  readonly context?: string | undefined;
}

/** Changes of {@link SqlStore.updateNote}; `context: null` removes the context. */
export interface NoteChanges {
  readonly title?: string;
  readonly body?: string;
  readonly visibility?: Visibility;
  readonly context?: string | null;
}

/** Options of {@link SqlStore}. */
export interface SqlStoreOptions {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Encrypts the secrets at rest. */
  readonly box: SecretBox;
  /** Where nonces go instead of the `nonces` table (Redis). */
  readonly nonces?: NonceStore | undefined;
  /** Milliseconds since the epoch; injected by tests. */
  readonly now?: () => number;
}

const NAME = /^[a-z0-9][a-z0-9+.-]{0,63}$/;
const CONTEXT_PART = '[a-z0-9][a-z0-9+._-]{0,99}';
const CONTEXT = new RegExp(`^${CONTEXT_PART}(/${CONTEXT_PART})?$`);
// Keys travel in headers and URLs; Launchpad's desktop keys have spaces and parentheses.
const CONSUMER_KEY = /^[^\p{Cc}]{1,255}$/u;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;
// How long expired request tokens stay, so that a late exchange hears "expired", not "unknown".
const REQUEST_TOKEN_RETENTION_MS = 24 * 3600 * 1000;
const NONCE_CLEANUP_INTERVAL_MS = 60 * 1000;

const json = (v: readonly string[] | undefined): string | null =>
  v === undefined ? null : JSON.stringify(v);
const list = (v: string | null): string[] | undefined =>
  v === null ? undefined : (JSON.parse(v) as string[]);

/** Copies the defined entries only: absent values stay absent rather than `undefined`. */
function defined<T extends object>(o: { [K in keyof T]: T[K] | null | undefined }): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v;
  return out as T;
}

/**
 * The provider's store on SQLite or PostgreSQL through Kysely: the @signet/server contract
 * (`OAuthStore`) plus what the provider's pages, API and CLI need (people, consumers,
 * contexts, token listings, notes). Secrets are encrypted with `box` before they are written;
 * keys are stored in the clear, since they are identifiers that every request carries.
 *
 * @example
 * const { db, dialect } = openDatabase(config.database);
 * await migrateToLatest(db, dialect);
 * const store = new SqlStore({ db, dialect, box: SecretBox.fromMasterKey(master) });
 */
export class SqlStore implements OAuthStore {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly #box: SecretBox;
  readonly #nonces: NonceStore | undefined;
  readonly #now: () => number;
  #lastNonceCleanup = 0;

  constructor(options: SqlStoreOptions) {
    this.db = options.db;
    this.dialect = options.dialect;
    this.#box = options.box;
    this.#nonces = options.nonces;
    this.#now = options.now ?? Date.now;
  }

  // ---------------------------------------------------------------- OAuthStore contract

  /** @inheritdoc */
  async getConsumer(key: string): Promise<Consumer | undefined> {
    const row = await this.db
      .selectFrom('consumers')
      .selectAll()
      .where('key', '=', key)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return defined<Consumer>({
      key: row.key,
      secret: this.#box.open(row.secret_enc, `consumer:${row.key}`),
      name: row.name,
      rsaPublicKey: row.rsa_public_key,
      callbackUrl: row.callback_url,
      // A registered client's redirect_uris are its callbacks (pump.io registration).
      callbackUrls: list(row.redirect_uris),
      disabled: row.disabled_at !== null ? true : undefined,
    });
  }

  /** @inheritdoc */
  async createRequestToken(token: RequestToken): Promise<void> {
    await this.db
      .insertInto('request_tokens')
      .values({
        token: token.token,
        secret_enc: this.#box.seal(token.secret, `request_token:${token.token}`),
        consumer_key: token.consumerKey,
        callback: token.callback ?? null,
        realms: json(token.realms),
        protocol: token.protocol ?? null,
        created_at: token.createdAt,
        expires_at: token.expiresAt,
        ...this.#grantColumns(token.token, token.grant, token.verifier, token.reviewedAt),
        consumed_at: null,
      })
      .execute();
  }

  /** @inheritdoc */
  async getRequestToken(token: string): Promise<RequestToken | undefined> {
    const row = await this.db
      .selectFrom('request_tokens')
      .selectAll()
      .where('token', '=', token)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return row === undefined ? undefined : this.#requestToken(row);
  }

  /** @inheritdoc */
  async reviewRequestToken(
    token: string,
    review: { readonly grant: Grant; readonly verifier: string; readonly now: number },
  ): Promise<RequestToken | undefined> {
    // One conditional UPDATE: of two concurrent reviews only one matches `reviewed_at IS NULL`.
    const row = await this.db
      .updateTable('request_tokens')
      .set(this.#grantColumns(token, review.grant, review.verifier, review.now))
      .where('token', '=', token)
      .where('reviewed_at', 'is', null)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', review.now)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : this.#requestToken(row);
  }

  /** @inheritdoc */
  async consumeRequestToken(requestToken: string, accessToken: AccessToken): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // The row lock taken by this UPDATE makes concurrent exchanges queue behind it; once it
      // commits they re-check `consumed_at IS NULL`, match nothing and insert nothing.
      const retired = await trx
        .updateTable('request_tokens')
        .set({ consumed_at: accessToken.createdAt })
        .where('token', '=', requestToken)
        .where('consumed_at', 'is', null)
        .executeTakeFirst();
      if (retired.numUpdatedRows === 0n) return false;
      await trx.insertInto('access_tokens').values(this.#accessTokenRow(accessToken)).execute();
      return true;
    });
  }

  /** @inheritdoc */
  async getAccessToken(token: string): Promise<AccessToken | undefined> {
    const row = await this.db
      .selectFrom('access_tokens')
      .selectAll()
      .where('token', '=', token)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      ...this.#accessTokenInfo(row),
      secret: this.#box.open(row.secret_enc, `access_token:${row.token}`),
    };
  }

  /** @inheritdoc */
  async revokeAccessToken(token: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('access_tokens')
      .set({ revoked_at: now })
      .where('token', '=', token)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** @inheritdoc */
  async useNonce(nonce: NonceUse, expiresAt: number): Promise<boolean> {
    if (this.#nonces !== undefined) return this.#nonces.useNonce(nonce, expiresAt);
    const now = this.#now();
    if (now - this.#lastNonceCleanup >= NONCE_CLEANUP_INTERVAL_MS) {
      this.#lastNonceCleanup = now;
      await this.deleteExpiredNonces(now);
    }
    // A unique key makes the insert the atomic test-and-set; a row whose time is up may be
    // taken over, anything else is a replay.
    const result = await this.db
      .insertInto('nonces')
      .values({ key: nonceKey(nonce), expires_at: expiresAt })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({ expires_at: expiresAt })
          .where('nonces.expires_at', '<=', now),
      )
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  // ---------------------------------------------------------------- maintenance

  /** Deletes nonces whose replay window is over; returns how many. */
  async deleteExpiredNonces(now: number = this.#now()): Promise<number> {
    const r = await this.db.deleteFrom('nonces').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /**
   * Deletes what can no longer be used: expired nonces and sessions, and request tokens a day
   * past their expiry (exchanged or not). Access tokens stay, for the record.
   */
  async cleanup(
    now: number = this.#now(),
  ): Promise<{ nonces: number; requestTokens: number; sessions: number }> {
    const nonces = await this.deleteExpiredNonces(now);
    const r = await this.db
      .deleteFrom('request_tokens')
      .where('expires_at', '<=', now - REQUEST_TOKEN_RETENTION_MS)
      .executeTakeFirst();
    const s = await this.db
      .deleteFrom('sessions')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return { nonces, requestTokens: Number(r.numDeletedRows), sessions: Number(s.numDeletedRows) };
  }

  // ---------------------------------------------------------------- people

  /**
   * Creates a local account. Names follow Launchpad's rule (lower-case letters, digits,
   * `+ - .`, starting with a letter or digit). Without a password the account cannot log in.
   */
  async createUser(input: {
    readonly name: string;
    readonly displayName?: string | undefined;
    readonly password?: string | undefined;
  }): Promise<User> {
    if (!NAME.test(input.name)) {
      throw new ProviderError(
        'ERR_INVALID',
        `Invalid user name ${JSON.stringify(input.name)}: use 1-64 lower-case letters, digits, "+", "-" or ".", starting with a letter or digit.`,
      );
    }
    const hash =
      input.password === undefined ? null : await hashPassword(checkPassword(input.password));
    const createdAt = this.#now();
    const inserted = await this.db
      .insertInto('users')
      .values({
        name: input.name,
        display_name: input.displayName?.trim() || input.name,
        password_hash: hash,
        created_at: createdAt,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) {
      throw new ProviderError('ERR_EXISTS', `User ${input.name} already exists.`);
    }
    return (await this.getUser(input.name))!;
  }

  /** The person with that name, or `undefined`. */
  async getUser(name: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row === undefined ? undefined : user(row);
  }

  /** Every person, by name. */
  async listUsers(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('name').execute();
    return rows.map(user);
  }

  /** Sets (or, with `null`, removes) a person's password; `false` if there is no such person. */
  async setPassword(name: string, password: string | null): Promise<boolean> {
    const hash = password === null ? null : await hashPassword(checkPassword(password));
    const r = await this.db
      .updateTable('users')
      .set({ password_hash: hash })
      .where('name', '=', name)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /**
   * The person if `password` is theirs, else `undefined`. Takes the same time whether or not
   * the name exists.
   */
  async verifyPassword(name: string, password: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    if (row?.password_hash == null || password.length > MAX_PASSWORD) {
      await verifyPasswordAgainstDummy(password.slice(0, MAX_PASSWORD));
      return undefined;
    }
    return (await verifyPasswordHash(password, row.password_hash)) ? user(row) : undefined;
  }

  // ---------------------------------------------------------------- consumers

  /** Registers a consumer; returns it with its secret (the only time it is shown). */
  async createConsumer(input: NewConsumer): Promise<Consumer> {
    const key = input.key ?? generateKey();
    if (!CONSUMER_KEY.test(key)) {
      throw new ProviderError(
        'ERR_INVALID',
        'A consumer key is 1-255 characters, no control characters.',
      );
    }
    if (input.callbackUrl !== undefined) checkCallback(input.callbackUrl, 'callback URL');
    const secret = input.secret ?? generateSecret();
    const inserted = await this.db
      .insertInto('consumers')
      .values({
        key,
        secret_enc: this.#box.seal(secret, `consumer:${key}`),
        name: input.name ?? key,
        rsa_public_key: input.rsaPublicKey ?? null,
        callback_url: input.callbackUrl ?? null,
        disabled_at: null,
        created_at: this.#now(),
        origin: input.origin ?? 'admin',
        application_type: null,
        redirect_uris: null,
        logo_url: null,
        contacts: null,
        expires_at: null,
      })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) {
      throw new ProviderError('ERR_EXISTS', `Consumer ${key} already exists.`);
    }
    return defined<Consumer>({
      key,
      secret,
      name: input.name ?? key,
      rsaPublicKey: input.rsaPublicKey,
      callbackUrl: input.callbackUrl,
    });
  }

  /** Every consumer, oldest first, without secrets. */
  async listConsumers(): Promise<ConsumerInfo[]> {
    const rows = await this.db
      .selectFrom('consumers')
      .selectAll()
      .orderBy('created_at')
      .orderBy('key')
      .execute();
    return rows.map(consumerInfo);
  }

  /** One consumer without its secret, or `undefined`. */
  async getConsumerInfo(key: string): Promise<ConsumerInfo | undefined> {
    const row = await this.db
      .selectFrom('consumers')
      .selectAll()
      .where('key', '=', key)
      .executeTakeFirst();
    return row === undefined ? undefined : consumerInfo(row);
  }

  /** Disables a consumer: it is refused everywhere from now on. `false` if unknown or already disabled. */
  async disableConsumer(key: string): Promise<boolean> {
    const r = await this.db
      .updateTable('consumers')
      .set({ disabled_at: this.#now() })
      .where('key', '=', key)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** pump.io `client_associate`: registers a new consumer with a generated id and secret. */
  async registerClient(registration: ClientRegistration): Promise<RegisteredClient> {
    // Checked before the consumer exists: a refused registration leaves no credentials behind.
    checkRegistration(registration);
    const clientSecret = generateSecret();
    const consumer = await this.createConsumer({
      secret: clientSecret,
      ...(registration.applicationName !== undefined && { name: registration.applicationName }),
      origin: 'dynamic',
    });
    await this.#applyRegistration(consumer.key, registration);
    return { clientId: consumer.key, clientSecret, expiresAt: 0 };
  }

  /**
   * pump.io `client_update`: replaces the registration metadata of a dynamically registered
   * client. Throws `ERR_NOT_FOUND` for an unknown id, `ERR_FORBIDDEN` for a wrong secret.
   */
  async updateClient(
    clientId: string,
    clientSecret: string,
    registration: ClientRegistration,
  ): Promise<RegisteredClient> {
    const row = await this.db
      .selectFrom('consumers')
      .selectAll()
      .where('key', '=', clientId)
      .executeTakeFirst();
    if (row === undefined || row.origin !== 'dynamic') {
      throw new ProviderError('ERR_NOT_FOUND', `Unknown client_id ${clientId}.`);
    }
    const secret = this.#box.open(row.secret_enc, `consumer:${row.key}`);
    if (!timingSafeEqualString(secret, clientSecret)) {
      throw new ProviderError('ERR_FORBIDDEN', 'Wrong client_secret.');
    }
    await this.#applyRegistration(clientId, registration);
    return { clientId, clientSecret: secret, expiresAt: 0 };
  }

  async #applyRegistration(key: string, r: ClientRegistration): Promise<void> {
    checkRegistration(r);
    await this.db
      .updateTable('consumers')
      .set({
        ...(r.applicationName !== undefined && { name: r.applicationName }),
        application_type: r.applicationType ?? null,
        redirect_uris: json(r.redirectUris),
        logo_url: r.logoUrl ?? null,
        contacts: json(r.contacts),
      })
      .where('key', '=', key)
      .execute();
  }

  // ---------------------------------------------------------------- contexts

  /** Registers a context (`firefox`, `ubuntu/firefox` ...); the title defaults to the name. */
  async createContext(input: {
    readonly name: string;
    readonly title?: string | undefined;
  }): Promise<Context> {
    if (!CONTEXT.test(input.name)) {
      throw new ProviderError(
        'ERR_INVALID',
        `Invalid context ${JSON.stringify(input.name)}: use a name or name/name of lower-case letters, digits, "+", ".", "_" or "-".`,
      );
    }
    const context = {
      name: input.name,
      title: input.title?.trim() || input.name,
      createdAt: this.#now(),
    };
    const r = await this.db
      .insertInto('contexts')
      .values({ name: context.name, title: context.title, created_at: context.createdAt })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    if ((r.numInsertedOrUpdatedRows ?? 0n) === 0n) {
      throw new ProviderError('ERR_EXISTS', `Context ${input.name} already exists.`);
    }
    return context;
  }

  /** The context with that name, or `undefined`. */
  async getContext(name: string): Promise<Context | undefined> {
    const row = await this.db
      .selectFrom('contexts')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : { name: row.name, title: row.title, createdAt: row.created_at };
  }

  /** Every context, by name. */
  async listContexts(): Promise<Context[]> {
    const rows = await this.db.selectFrom('contexts').selectAll().orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, title: r.title, createdAt: r.created_at }));
  }

  // ---------------------------------------------------------------- token listings

  /** Access tokens, newest first, without secrets; only `userId`'s when given. */
  async listAccessTokens(
    filter: { readonly userId?: string | undefined } = {},
  ): Promise<AccessTokenInfo[]> {
    let q = this.db
      .selectFrom('access_tokens')
      .leftJoin('consumers', 'consumers.key', 'access_tokens.consumer_key')
      .selectAll('access_tokens')
      .select('consumers.name as consumer_name');
    if (filter.userId !== undefined) q = q.where('access_tokens.user_name', '=', filter.userId);
    const rows = await q
      .orderBy('access_tokens.created_at', 'desc')
      .orderBy('access_tokens.token')
      .execute();
    return rows.map((r) => ({
      ...this.#accessTokenInfo(r),
      consumerName: r.consumer_name ?? r.consumer_key,
      ...(r.last_used_at !== null && { lastUsedAt: Number(r.last_used_at) }),
    }));
  }

  /** Records that these access tokens were used at `at` (see `LastUseRecorder`). */
  async touchAccessTokens(tokens: readonly string[], at: number): Promise<void> {
    for (let i = 0; i < tokens.length; i += 500) {
      await this.db
        .updateTable('access_tokens')
        .set({ last_used_at: at })
        .where('token', 'in', tokens.slice(i, i + 500))
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
        .execute();
    }
  }

  /**
   * Request tokens not yet exchanged, newest first, without secrets or verifiers. With
   * `userId`, those that person reviewed (what `/account/applications` shows beside access
   * tokens); with `live`, only those not expired at that time.
   */
  async listRequestTokens(
    filter: { readonly userId?: string | undefined; readonly live?: number | undefined } = {},
  ): Promise<RequestTokenInfo[]> {
    let q = this.db
      .selectFrom('request_tokens')
      .leftJoin('consumers', 'consumers.key', 'request_tokens.consumer_key')
      .selectAll('request_tokens')
      .select('consumers.name as consumer_name')
      .where('request_tokens.consumed_at', 'is', null);
    if (filter.userId !== undefined) q = q.where('request_tokens.user_name', '=', filter.userId);
    if (filter.live !== undefined) q = q.where('request_tokens.expires_at', '>', filter.live);
    const rows = await q
      .orderBy('request_tokens.created_at', 'desc')
      .orderBy('request_tokens.token')
      .execute();
    return rows.map((r) => {
      const {
        secret: _s,
        verifier: _v,
        ...info
      } = this.#requestToken({ ...r, verifier_enc: null });
      return { ...info, consumerName: r.consumer_name ?? r.consumer_key };
    });
  }

  /** Retires a request token before its exchange; `false` if unknown or already gone. */
  async revokeRequestToken(token: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('request_tokens')
      .set({ consumed_at: now })
      .where('token', '=', token)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /**
   * Revokes one of `userId`'s tokens, access or request, as the Revoke button of
   * `/account/applications` does: someone else's token is left alone and answers `false`.
   */
  async revokeTokenOf(userId: string, token: string, now: number): Promise<boolean> {
    const access = await this.db
      .updateTable('access_tokens')
      .set({ revoked_at: now })
      .where('token', '=', token)
      .where('user_name', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (access.numUpdatedRows > 0n) return true;
    const request = await this.db
      .updateTable('request_tokens')
      .set({ consumed_at: now })
      .where('token', '=', token)
      .where('user_name', '=', userId)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return request.numUpdatedRows > 0n;
  }

  // ---------------------------------------------------------------- sessions

  /** Records a login; `idHash` is a hash of the cookie's id, never the id itself. */
  async createSession(
    idHash: string,
    session: { readonly userId: string; readonly expiresAt: number },
  ): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id_hash: idHash,
        user_name: session.userId,
        created_at: this.#now(),
        expires_at: session.expiresAt,
      })
      .execute();
  }

  /** The session, unless unknown or expired. */
  async getSession(idHash: string): Promise<{ userId: string; expiresAt: number } | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .select(['user_name', 'expires_at'])
      .where('id_hash', '=', idHash)
      .where('expires_at', '>', this.#now())
      .executeTakeFirst();
    return row === undefined ? undefined : { userId: row.user_name, expiresAt: row.expires_at };
  }

  /** Ends a session (logout). */
  async destroySession(idHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  }

  /** Ends every session of a person (after a password change, or by an administrator). */
  async destroySessionsOf(userId: string): Promise<number> {
    const r = await this.db
      .deleteFrom('sessions')
      .where('user_name', '=', userId)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  // ---------------------------------------------------------------- notes

  /** Creates a note; returns it with its id. */
  async createNote(input: NewNote): Promise<Note> {
    checkVisibility(input.visibility);
    const now = this.#now();
    const row = await this.db
      .insertInto('notes')
      .values({
        owner: input.owner,
        title: input.title,
        body: input.body,
        visibility: input.visibility,
        context: input.context ?? null,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return note(row);
  }

  /** The note with that id, or `undefined`. */
  async getNote(id: number): Promise<Note | undefined> {
    if (!Number.isSafeInteger(id)) return undefined;
    const row = await this.db
      .selectFrom('notes')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : note(row);
  }

  /**
   * Notes in id order: everyone's public notes, plus the private notes of `privateOf` when
   * given (the caller decides whether the grant allows reading private data).
   */
  async listNotes(filter: { readonly privateOf?: string | undefined } = {}): Promise<Note[]> {
    const { privateOf } = filter;
    const rows = await this.db
      .selectFrom('notes')
      .selectAll()
      .where((eb) =>
        privateOf === undefined
          ? eb('visibility', '=', 'public')
          : eb.or([eb('visibility', '=', 'public'), eb('owner', '=', privateOf)]),
      )
      .orderBy('id')
      .execute();
    return rows.map(note);
  }

  /** Applies `changes`; returns the updated note, or `undefined` if there is none. */
  async updateNote(id: number, changes: NoteChanges): Promise<Note | undefined> {
    if (!Number.isSafeInteger(id)) return undefined;
    if (changes.visibility !== undefined) checkVisibility(changes.visibility);
    const row = await this.db
      .updateTable('notes')
      .set({
        ...(changes.title !== undefined && { title: changes.title }),
        ...(changes.body !== undefined && { body: changes.body }),
        ...(changes.visibility !== undefined && { visibility: changes.visibility }),
        ...(changes.context !== undefined && { context: changes.context }),
        updated_at: this.#now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : note(row);
  }

  /** Deletes a note; `false` if there was none. */
  async deleteNote(id: number): Promise<boolean> {
    if (!Number.isSafeInteger(id)) return false;
    const r = await this.db.deleteFrom('notes').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  // ---------------------------------------------------------------- rows

  #grantColumns(
    token: string,
    grant: Grant | undefined,
    verifier: string | undefined,
    reviewedAt: number | undefined,
  ) {
    if (grant !== undefined && !isPermission(grant.permission)) {
      throw new ProviderError(
        'ERR_INVALID',
        `Unknown permission ${JSON.stringify(grant.permission)}.`,
      );
    }
    return {
      user_name: grant?.userId ?? null,
      permission: grant?.permission ?? null,
      context: grant?.context ?? null,
      grant_realms: json(grant?.realms),
      grant_expires_at: grant?.expiresAt ?? null,
      verifier_enc: verifier === undefined ? null : this.#box.seal(verifier, `verifier:${token}`),
      reviewed_at: grant === undefined ? null : (reviewedAt ?? null),
    };
  }

  #requestToken(row: Selectable<RequestTokensTable>): RequestToken {
    const grant =
      row.user_name === null || row.permission === null
        ? undefined
        : defined<Grant>({
            userId: row.user_name,
            permission: row.permission,
            context: row.context,
            realms: list(row.grant_realms),
            expiresAt: row.grant_expires_at,
          });
    return defined<RequestToken>({
      token: row.token,
      secret: this.#box.open(row.secret_enc, `request_token:${row.token}`),
      consumerKey: row.consumer_key,
      callback: row.callback,
      realms: list(row.realms),
      protocol:
        row.protocol === 'rfc5849' || row.protocol === 'launchpad' ? row.protocol : undefined,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      grant,
      verifier:
        row.verifier_enc === null
          ? undefined
          : this.#box.open(row.verifier_enc, `verifier:${row.token}`),
      reviewedAt: row.reviewed_at,
    });
  }

  #accessTokenRow(t: AccessToken): Selectable<AccessTokensTable> {
    if (!isPermission(t.permission)) {
      throw new ProviderError('ERR_INVALID', `Unknown permission ${JSON.stringify(t.permission)}.`);
    }
    return {
      token: t.token,
      secret_enc: this.#box.seal(t.secret, `access_token:${t.token}`),
      consumer_key: t.consumerKey,
      user_name: t.userId,
      permission: t.permission,
      context: t.context ?? null,
      realms: json(t.realms),
      created_at: t.createdAt,
      expires_at: t.expiresAt ?? null,
      revoked_at: t.revokedAt ?? null,
      last_used_at: null,
    };
  }

  #accessTokenInfo(row: Selectable<AccessTokensTable>): Omit<AccessToken, 'secret'> {
    return defined<Omit<AccessToken, 'secret'>>({
      token: row.token,
      consumerKey: row.consumer_key,
      userId: row.user_name,
      permission: row.permission,
      context: row.context,
      realms: list(row.realms),
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
    });
  }
}

function user(row: Selectable<UsersTable>): User {
  return {
    name: row.name,
    displayName: row.display_name,
    hasPassword: row.password_hash !== null,
    createdAt: row.created_at,
  };
}

function consumerInfo(row: Selectable<ConsumersTable>): ConsumerInfo {
  return defined<ConsumerInfo>({
    key: row.key,
    name: row.name,
    origin: row.origin as ConsumerOrigin,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
    callbackUrl: row.callback_url,
    rsaPublicKey: row.rsa_public_key,
    applicationType: row.application_type,
    redirectUris: list(row.redirect_uris),
    logoUrl: row.logo_url,
    contacts: list(row.contacts),
    expiresAt: row.expires_at,
  });
}

function note(row: Selectable<NotesTable>): Note {
  return defined<Note>({
    id: Number(row.id),
    owner: row.owner,
    title: row.title,
    body: row.body,
    visibility: row.visibility as Visibility,
    context: row.context,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}

function checkPassword(password: string): string {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw new ProviderError(
      'ERR_INVALID',
      `A password has ${MIN_PASSWORD} to ${MAX_PASSWORD} characters.`,
    );
  }
  return password;
}

function checkVisibility(v: string): void {
  if (v !== 'public' && v !== 'private') {
    throw new ProviderError('ERR_INVALID', 'visibility must be public or private.');
  }
}

function checkRegistration(r: ClientRegistration): void {
  if (
    r.applicationType !== undefined &&
    r.applicationType !== 'web' &&
    r.applicationType !== 'native'
  ) {
    throw new ProviderError('ERR_INVALID', 'application_type must be web or native.');
  }
  for (const uri of r.redirectUris ?? []) checkCallback(uri, 'redirect URI');
  if (r.logoUrl !== undefined) checkUrl(r.logoUrl, 'logo URL');
}

// A registered callback is what requests are compared with: it must read one way only.
function checkCallback(value: string, what: string): void {
  checkUrl(value, what);
  if (value === 'oob' || !isValidCallback(value)) {
    throw new ProviderError(
      'ERR_INVALID',
      `Invalid ${what}: use a plain absolute URL (no dot segments, backslashes, user names or spaces).`,
    );
  }
}

function checkUrl(value: string, what: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ProviderError('ERR_INVALID', `Invalid ${what}: not an absolute URL.`);
  }
  if (url.protocol === 'javascript:' || url.protocol === 'data:') {
    throw new ProviderError('ERR_INVALID', `Invalid ${what}: ${url.protocol} is not allowed.`);
  }
}
