/**
 * @signet/provider: the ready-to-run OAuth 1.0a authorization server, Launchpad-compatible,
 * on SQLite or PostgreSQL. This entry exposes its configuration and storage, for embedding
 * and for tools; the server itself starts with `npm start`, the admin CLI is `signet-provider`.
 * @packageDocumentation
 */
export type { Config, DatabaseConfig, Env, LoadConfigOptions, Timeouts } from './config.js';
export { loadConfig, MIN_SECRET_KEY_LENGTH } from './config.js';
export {
  generateKey,
  generateSecret,
  generateVerifier,
  KEY_LENGTH,
  randomToken,
  SECRET_LENGTH,
} from './credentials.js';
export { KEY_FILE_NAME, loadMasterKey } from './crypto/key_file.js';
export { hashPassword, verifyPassword } from './crypto/password.js';
export { deriveKey, SecretBox } from './crypto/secret_box.js';
export type { OpenDatabase, OpenDatabaseOptions } from './db/connect.js';
export { migrateToLatest, openDatabase } from './db/connect.js';
export { migrationProvider } from './db/migrations.js';
export type { Database, Dialect } from './db/schema.js';
export type { ProviderErrorCode } from './errors.js';
export { ProviderError } from './errors.js';
export type { Permission } from './permissions.js';
export { isPermission, PERMISSIONS, permissionTitle } from './permissions.js';
export type { Review, ReviewResult } from './review.js';
export { providerAuthorization, reviewToken } from './review.js';
export type { NonceStore } from './stores/nonces.js';
export { nonceKey } from './stores/nonces.js';
export type { OpenStore } from './stores/open.js';
export { openStore } from './stores/open.js';
export type { RedisNonceStoreOptions } from './stores/redis_nonces.js';
export { RedisNonceStore } from './stores/redis_nonces.js';
export type {
  AccessTokenInfo,
  ClientRegistration,
  ConsumerInfo,
  ConsumerOrigin,
  Context,
  NewConsumer,
  NewNote,
  Note,
  NoteChanges,
  RegisteredClient,
  RequestTokenInfo,
  SqlStoreOptions,
  User,
  Visibility,
} from './stores/sql.js';
export { SqlStore } from './stores/sql.js';
export { SqlSessionStore } from './stores/sql_sessions.js';
