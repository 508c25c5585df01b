/**
 * The storage contract of @signet/server. Endpoints call only these methods; the comment on
 * each names which endpoint calls it and what it must guarantee. Times are epoch milliseconds.
 *
 * Stores: `MemoryStore` (reference), the provider's SQLite and PostgreSQL stores. Every store
 * must pass the contract suite exported as `storeContract` from `@signet/server/testing`.
 */

/**
 * A registered client (consumer).
 *
 * @see RFC 5849 §2
 */
export interface Consumer {
  /** `oauth_consumer_key`. */
  readonly key: string;
  /** Shared secret; `''` for Launchpad's open consumers and RSA-only consumers. */
  readonly secret: string;
  /** Application name shown to people on the authorization page. */
  readonly name: string;
  /** PEM public key or certificate, for the RSA signature methods. */
  readonly rsaPublicKey?: string | undefined;
  /**
   * Registered callback URL; when set (or `callbackUrls` is), an `oauth_callback` must fit
   * one of them (see `callbackFits`).
   */
  readonly callbackUrl?: string | undefined;
  /** Further registered callbacks (a dynamically registered client's `redirect_uris`). */
  readonly callbackUrls?: readonly string[] | undefined;
  /** A disabled consumer is refused everywhere (401 `consumer_key_refused`). */
  readonly disabled?: boolean | undefined;
}

/**
 * What a person decided on the authorization page.
 *
 * @see RFC 5849 §2.2
 */
export interface Grant {
  /** Who decided. */
  readonly userId: string;
  /**
   * The access level granted, as the provider names it (`READ_PUBLIC` ...).
   * `UNAUTHORIZED` means the person refused.
   */
  readonly permission: string;
  /** The context the grant is limited to, if any (Launchpad's `lp.context`). */
  readonly context?: string | undefined;
  /** Realms granted, answered as `oauth_authorized_realms`. */
  readonly realms?: readonly string[] | undefined;
  /** When the access token will expire, if it does (desktop integration grants). */
  readonly expiresAt?: number | undefined;
}

/**
 * Temporary credentials (§2.1).
 *
 * @see RFC 5849 §2.1
 */
export interface RequestToken {
  readonly token: string;
  readonly secret: string;
  readonly consumerKey: string;
  /** `oauth_callback` as sent (a URL or `oob`); undefined in the Launchpad 1.0 flavour. */
  readonly callback?: string | undefined;
  /**
   * Realms the client asked for. Only asked: they are granted by the person's decision
   * (`Grant.realms`), never copied from here.
   */
  readonly realms?: readonly string[] | undefined;
  /**
   * The protocol of the endpoint that issued it. A token issued in the `rfc5849` flavour is
   * exchanged only with its `oauth_verifier`, at any access-token endpoint.
   */
  readonly protocol?: 'rfc5849' | 'launchpad' | undefined;
  readonly createdAt: number;
  /** After this the token can be neither reviewed nor exchanged. */
  readonly expiresAt: number;
  /** Set once the person has decided; a token is reviewed at most once. */
  readonly grant?: Grant | undefined;
  /** `oauth_verifier`, set with the grant (§2.2). */
  readonly verifier?: string | undefined;
  readonly reviewedAt?: number | undefined;
}

/**
 * Token credentials (§2.3).
 *
 * @see RFC 5849 §2.3
 */
export interface AccessToken {
  readonly token: string;
  readonly secret: string;
  readonly consumerKey: string;
  readonly userId: string;
  readonly permission: string;
  readonly context?: string | undefined;
  readonly realms?: readonly string[] | undefined;
  readonly createdAt: number;
  readonly expiresAt?: number | undefined;
  /** Set when the person or an administrator revoked it; a revoked token is refused at once. */
  readonly revokedAt?: number | undefined;
}

/**
 * A nonce as the replay check sees it (§3.3).
 *
 * @see RFC 5849 §3.3
 */
export interface NonceUse {
  readonly consumerKey: string;
  /** `''` when the request carried no token. */
  readonly token: string;
  readonly timestamp: string;
  readonly nonce: string;
}

/**
 * What the endpoints need from storage.
 *
 * @see RFC 5849 §2
 */
export interface OAuthStore {
  /**
   * The consumer with that key, or `undefined`. Called by every endpoint. Return disabled
   * consumers too (with `disabled: true`), so the answer can say so.
   */
  getConsumer(key: string): Promise<Consumer | undefined>;

  /** Stores a new request token. Called by the request-token endpoint. */
  createRequestToken(token: RequestToken): Promise<void>;

  /**
   * The request token with that key, reviewed or not, or `undefined` when unknown or already
   * exchanged. Called by the authorization helpers and the access-token endpoint.
   */
  getRequestToken(token: string): Promise<RequestToken | undefined>;

  /**
   * Records the person's decision: sets `grant`, `verifier` and `reviewedAt` only if the
   * token exists, is not expired at `now`, and was not reviewed before. Returns the updated
   * token, or `undefined` when nothing was recorded. Called by the authorization helpers.
   */
  reviewRequestToken(
    token: string,
    review: { readonly grant: Grant; readonly verifier: string; readonly now: number },
  ): Promise<RequestToken | undefined>;

  /**
   * Atomically retires the request token and stores the access token issued for it. Of any
   * number of concurrent calls for one request token, exactly one returns `true`; the others
   * store nothing and return `false`. Called by the access-token endpoint, after every check.
   */
  consumeRequestToken(requestToken: string, accessToken: AccessToken): Promise<boolean>;

  /**
   * The access token with that key, or `undefined`. Revoked and expired tokens are returned
   * with `revokedAt` / `expiresAt` so the answer can say why. Called by the protected-resource
   * endpoint on every request, so it should be fast.
   */
  getAccessToken(token: string): Promise<AccessToken | undefined>;

  /** Marks an access token revoked at `now`. Returns whether it existed and was live. */
  revokeAccessToken(token: string, now: number): Promise<boolean>;

  /**
   * Records a nonce; `true` if it was not seen before, `false` for a replay. The same
   * (consumer, token, timestamp, nonce) must be refused until `expiresAt` at least. Atomic:
   * of concurrent calls with the same nonce exactly one returns `true`. Called by every
   * endpoint that checks nonces, before the signature is accepted.
   */
  useNonce(nonce: NonceUse, expiresAt: number): Promise<boolean>;
}
