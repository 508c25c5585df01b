import type { Generated } from 'kysely';

// Times are epoch milliseconds (bigint columns, read back as numbers). Lists are JSON text,
// the one representation both dialects store and compare the same way.

/** People with a local account. The name is their id everywhere (`Grant.userId`). */
export interface UsersTable {
  name: string;
  display_name: string;
  /** PHC-format scrypt hash; null: the account cannot log in. */
  password_hash: string | null;
  created_at: number;
}

/** Registered clients. */
export interface ConsumersTable {
  key: string;
  /** AES-256-GCM, see `SecretBox`, bound to `consumer:KEY`. */
  secret_enc: string;
  name: string;
  rsa_public_key: string | null;
  callback_url: string | null;
  disabled_at: number | null;
  created_at: number;
  /** How it came to be: `admin` (CLI), `open` (Launchpad open consumer), `dynamic` (pump.io). */
  origin: string;
  application_type: string | null;
  /** JSON array of strings. */
  redirect_uris: string | null;
  logo_url: string | null;
  /** JSON array of strings. */
  contacts: string | null;
  /** pump.io's `expires_at` (ms); null: never. */
  expires_at: number | null;
}

/** Named resources a grant may be limited to (Launchpad's `lp.context`). */
export interface ContextsTable {
  name: string;
  title: string;
  created_at: number;
}

/** Temporary credentials, their review and their one-time exchange. */
export interface RequestTokensTable {
  token: string;
  /** Bound to `request_token:TOKEN`. */
  secret_enc: string;
  consumer_key: string;
  callback: string | null;
  /** JSON array of the realms the client asked for. */
  realms: string | null;
  created_at: number;
  expires_at: number;
  user_name: string | null;
  permission: string | null;
  context: string | null;
  /** JSON array of the realms granted. */
  grant_realms: string | null;
  grant_expires_at: number | null;
  /** Bound to `verifier:TOKEN`. */
  verifier_enc: string | null;
  reviewed_at: number | null;
  /** Set once, by the exchange (or a revocation): the token is then gone for every caller. */
  consumed_at: number | null;
  /** `rfc5849` or `launchpad`: the endpoint that issued it (migration 0004); null before. */
  protocol: string | null;
}

/** Token credentials. */
export interface AccessTokensTable {
  token: string;
  /** Bound to `access_token:TOKEN`. */
  secret_enc: string;
  consumer_key: string;
  user_name: string;
  permission: string;
  context: string | null;
  realms: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  /** When a signed request last used it, to the minute (migration 0004). */
  last_used_at: number | null;
}

/** Nonces seen, keyed by a hash of (consumer, token, timestamp, nonce). */
export interface NoncesTable {
  key: string;
  expires_at: number;
}

/** A group commit of the nonce store (SQLite): 16-byte nonce hashes, end to end. */
export interface NonceBatchesTable {
  keys: Uint8Array;
  /** The latest expiry of the batch: every key in it is refused until then. */
  expires_at: number;
}

/** The protected API's sample resource. */
export interface NotesTable {
  id: Generated<number>;
  owner: string;
  title: string;
  body: string;
  visibility: string;
  context: string | null;
  created_at: number;
  updated_at: number;
}

/** Logged-in browsers, keyed by a hash of the cookie's session id. */
export interface SessionsTable {
  id_hash: string;
  user_name: string;
  created_at: number;
  expires_at: number;
}

/** The provider's database, as Kysely sees it. */
export interface Database {
  users: UsersTable;
  consumers: ConsumersTable;
  contexts: ContextsTable;
  request_tokens: RequestTokensTable;
  access_tokens: AccessTokensTable;
  nonces: NoncesTable;
  nonce_batches: NonceBatchesTable;
  notes: NotesTable;
  sessions: SessionsTable;
}

/** The SQL dialects the provider speaks. */
export type Dialect = 'sqlite' | 'postgres';
