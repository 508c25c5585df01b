import { percentEncode } from '@signet/core';
import { generateVerifier } from './credentials.js';
import { ProviderError } from './errors.js';
import { isPermission, type Permission } from './permissions.js';
import type { RequestToken } from './stores/contract.js';
import type { SqlStore } from './stores/sql.js';

/** A decision on a request token, as the authorization page or `token review` makes it. */
export interface Review {
  readonly token: string;
  readonly userId: string;
  readonly permission: Permission;
  readonly context?: string | undefined;
  /** Seconds the access token will live; unlimited when absent. */
  readonly expiresIn?: number | undefined;
  /**
   * Where to send the person, for the Launchpad flavour, whose callback comes to the
   * authorization page rather than with the request token. The token's own callback wins.
   */
  readonly callback?: string | undefined;
  readonly now: number;
}

/** What a recorded decision gives the client. */
export interface ReviewResult {
  readonly token: RequestToken;
  readonly verifier: string;
  /** The callback with `oauth_token` and `oauth_verifier` added, when the token has a URL callback. */
  readonly redirect: string | undefined;
}

/**
 * The URL to send the person back to: the callback with `oauth_token` and `oauth_verifier`
 * appended to whatever query it had (RFC 5849 §2.2). `undefined` for `oob` or no callback.
 *
 * @example callbackRedirect('https://app/cb?x=1', 'T', 'V') // 'https://app/cb?x=1&oauth_token=T&oauth_verifier=V'
 */
export function callbackRedirect(
  callback: string | undefined,
  token: string,
  verifier: string,
): string | undefined {
  if (callback === undefined || callback === 'oob') return undefined;
  const url = new URL(callback);
  // Appended by hand: URLSearchParams would re-encode the query the client registered.
  const added = `oauth_token=${percentEncode(token)}&oauth_verifier=${percentEncode(verifier)}`;
  url.search = url.search.length > 1 ? `${url.search}&${added}` : `?${added}`;
  return url.href;
}

/**
 * Records a person's decision on a request token with a fresh verifier. Checks what the
 * store contract leaves to the caller: the person, the permission and the context exist.
 * Throws `ERR_NOT_FOUND` (token, person, context), `ERR_INVALID` or `ERR_TOKEN_STATE`.
 *
 * @example const { verifier, redirect } = await reviewToken(store, { token, userId: 'alice', permission: 'READ_PUBLIC', now: Date.now() });
 */
export async function reviewToken(store: SqlStore, review: Review): Promise<ReviewResult> {
  if (!isPermission(review.permission)) {
    throw new ProviderError(
      'ERR_INVALID',
      `Unknown permission ${JSON.stringify(review.permission)}.`,
    );
  }
  if (
    review.expiresIn !== undefined &&
    !(Number.isInteger(review.expiresIn) && review.expiresIn > 0)
  ) {
    throw new ProviderError('ERR_INVALID', 'The lifetime is a positive whole number of seconds.');
  }
  const existing = await store.getRequestToken(review.token);
  if (existing === undefined) {
    throw new ProviderError('ERR_NOT_FOUND', `Unknown request token ${review.token}.`);
  }
  if ((await store.getUser(review.userId)) === undefined) {
    throw new ProviderError('ERR_NOT_FOUND', `Unknown user ${review.userId}.`);
  }
  if (review.context !== undefined && (await store.getContext(review.context)) === undefined) {
    throw new ProviderError(
      'ERR_NOT_FOUND',
      `Unknown context ${review.context}; add it with \`context add ${review.context}\`.`,
    );
  }
  const verifier = generateVerifier();
  const token = await store.reviewRequestToken(review.token, {
    grant: {
      userId: review.userId,
      permission: review.permission,
      ...(review.context !== undefined && { context: review.context }),
      ...(review.expiresIn !== undefined && { expiresAt: review.now + review.expiresIn * 1000 }),
    },
    verifier,
    now: review.now,
  });
  if (token === undefined) {
    const why = existing.grant !== undefined ? 'was already reviewed' : 'has expired';
    throw new ProviderError('ERR_TOKEN_STATE', `Request token ${review.token} ${why}.`);
  }
  return {
    token,
    verifier,
    redirect: callbackRedirect(token.callback ?? review.callback, token.token, verifier),
  };
}
