/** Stable codes of {@link ProviderError}. The code is the contract; messages may be reworded. */
export type ProviderErrorCode =
  /** An environment variable has a value that cannot be used. */
  | 'ERR_CONFIG'
  /** The database cannot be opened or migrated. */
  | 'ERR_DATABASE'
  /** Another provider process serves the same SQLite database. */
  | 'ERR_LOCKED'
  /** The key that encrypts secrets at rest is missing, unreadable or unsafe. */
  | 'ERR_SECRET_KEY'
  /** A stored secret does not decrypt under the configured key (wrong key or tampering). */
  | 'ERR_DECRYPT'
  /** A value given to a store method is not acceptable (bad name, bad permission ...). */
  | 'ERR_INVALID'
  /** The thing to create exists already. */
  | 'ERR_EXISTS'
  /** The thing named does not exist. */
  | 'ERR_NOT_FOUND'
  /** The request token cannot be reviewed (expired, already reviewed or exchanged). */
  | 'ERR_TOKEN_STATE'
  /** A wrong client secret on a pump.io registration update. */
  | 'ERR_FORBIDDEN';

/**
 * The one error class of the provider's own layer (configuration, storage, CLI). `message`
 * never contains a secret, so it may be shown to an administrator or logged.
 *
 * @example
 * try { await store.createUser({ name: 'alice' }); }
 * catch (e) { if (e instanceof ProviderError && e.code === 'ERR_EXISTS') { ... } }
 */
export class ProviderError extends Error {
  /** Stable code. */
  readonly code: ProviderErrorCode;

  constructor(code: ProviderErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderError';
    this.code = code;
  }
}
