/**
 * Problems of the OAuth Problem Reporting extension, as they appear in `oauth_problem`.
 * @see https://wiki.oauth.net/w/page/12238543/ProblemReporting
 */
export type OAuthProblem =
  | 'version_rejected'
  | 'parameter_absent'
  | 'parameter_rejected'
  | 'timestamp_refused'
  | 'nonce_used'
  | 'signature_method_rejected'
  | 'signature_invalid'
  | 'consumer_key_unknown'
  | 'consumer_key_rejected'
  | 'consumer_key_refused'
  | 'token_used'
  | 'token_expired'
  | 'token_revoked'
  | 'token_rejected'
  | 'verifier_invalid'
  | 'permission_denied'
  | 'permission_unknown'
  | 'user_refused';

/**
 * Stable error codes. Code is the contract; messages may be reworded.
 *
 * Core raises the syntax codes; `@signet/server` raises the rest through the same class so
 * that one `instanceof OAuthError` check covers every failure of the protocol.
 */
export type OAuthErrorCode =
  /** Malformed percent-encoding, or bytes that are not UTF-8 (§3.6). */
  | 'ERR_OAUTH_ENCODING'
  /** An Authorization header that is not a valid `OAuth` credentials string (§3.5.1). */
  | 'ERR_OAUTH_HEADER'
  /** A URL that cannot give a base string URI (§3.4.1.2). */
  | 'ERR_OAUTH_URL'
  /** A request the protocol does not allow (duplicated or misplaced parameters ...). */
  | 'ERR_OAUTH_INVALID_REQUEST'
  /** A required parameter is absent. */
  | 'ERR_OAUTH_PARAMETER_ABSENT'
  /** A signature method that is not registered or not allowed (§3.4). */
  | 'ERR_OAUTH_SIGNATURE_METHOD'
  /** A key a signature method needs was not given (RSA without a key ...). */
  | 'ERR_OAUTH_KEY'
  /** `oauth_version` is present and not 1.0. */
  | 'ERR_OAUTH_VERSION'
  /** Timestamp outside the window (§3.3). */
  | 'ERR_OAUTH_TIMESTAMP'
  /** Nonce already used with this consumer, token and timestamp (§3.3). */
  | 'ERR_OAUTH_NONCE'
  /** The signature does not verify (§3.2). */
  | 'ERR_OAUTH_SIGNATURE'
  /** Unknown, disabled or refused consumer key. */
  | 'ERR_OAUTH_CONSUMER'
  /** Unknown, used, expired or revoked token. */
  | 'ERR_OAUTH_TOKEN'
  /** Wrong or missing verifier (§2.3). */
  | 'ERR_OAUTH_VERIFIER'
  /** A callback that is not an absolute URL or `oob` (§2.1). */
  | 'ERR_OAUTH_CALLBACK'
  /** The resource owner refused, or has not yet decided. */
  | 'ERR_OAUTH_AUTHORIZATION'
  /** The grant does not allow the action. */
  | 'ERR_OAUTH_PERMISSION';

/** Options of {@link OAuthError}. */
export interface OAuthErrorOptions {
  /** HTTP status a server should answer with. */
  readonly status?: number;
  /** The `oauth_problem` to report, if any. */
  readonly problem?: OAuthProblem;
  /** What caused it. */
  readonly cause?: unknown;
}

/**
 * The one error class of Signet's protocol layer.
 *
 * `message` is safe to show to the other party: it never contains a secret.
 *
 * @example
 * ```ts
 * try { parseAuthorizationHeader(h) } catch (e) {
 *   if (e instanceof OAuthError) reply(e.status, e.message)
 * }
 * ```
 */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  /** Stable, machine-readable code. */
  readonly code: OAuthErrorCode;
  /** HTTP status (400 for syntax, 401 for authentication, 403 for refusals). */
  readonly status: number;
  /** `oauth_problem` of the Problem Reporting extension, when one applies. */
  readonly problem: OAuthProblem | undefined;

  constructor(code: OAuthErrorCode, message: string, options: OAuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? 400;
    this.problem = options.problem;
  }
}
