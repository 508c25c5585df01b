import { OAuthError } from '@signet/core';
import {
  type AuthorizationEndpoint,
  type AuthorizationFailure,
  createAuthorizationEndpoint,
  type OAuthStore,
} from '@signet/server';
import { generateVerifier } from './credentials.js';
import { ProviderError } from './errors.js';
import { isPermission, PERMISSIONS, type Permission } from './permissions.js';
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
  /** Where to send the person (the callback with `oauth_token` and `oauth_verifier`), if anywhere. */
  readonly redirect: string | undefined;
}

// Refusals of the provider's own checks carry these statuses, read back by `providerError`.
const NOT_FOUND = 404;

/**
 * The provider's authorization policy: @signet/server's authorization helpers (callback
 * policy, redirect, one review per token) with the provider's checks added: Launchpad's
 * permission levels, and that the person and the context exist. The pages and
 * `token review` both decide through it.
 *
 * @example const done = await providerAuthorization(store, Date.now).decide({ token, userId, permission: 'READ_PUBLIC' });
 */
export function providerAuthorization(
  store: SqlStore,
  now: () => number,
  oauthStore: OAuthStore = store,
): AuthorizationEndpoint {
  return createAuthorizationEndpoint({
    store: oauthStore,
    clock: now,
    generateVerifier,
    refusedPermission: 'UNAUTHORIZED',
    permissions: PERMISSIONS.map((p) => p.value),
    async checkDecision(decision) {
      if (decision.expiresAt !== undefined && !(decision.expiresAt > now())) {
        throw new OAuthError('ERR_OAUTH_AUTHORIZATION', 'The grant would expire at once.', {
          status: 400,
        });
      }
      if ((await store.getUser(decision.userId)) === undefined) {
        throw new OAuthError('ERR_OAUTH_AUTHORIZATION', `Unknown user ${decision.userId}.`, {
          status: NOT_FOUND,
        });
      }
      const context = decision.context;
      if (context !== undefined && (await store.getContext(context)) === undefined) {
        throw new OAuthError(
          'ERR_OAUTH_AUTHORIZATION',
          `Unknown context ${context}; add it with \`context add ${context}\`.`,
          { status: NOT_FOUND },
        );
      }
    },
  });
}

/**
 * The failure of the authorization helpers as a `ProviderError` (`ERR_NOT_FOUND`,
 * `ERR_TOKEN_STATE`, `ERR_INVALID`, `ERR_FORBIDDEN`); a failing store is thrown as it was.
 */
export function providerError(failure: AuthorizationFailure, token: string): Error {
  const e = failure.error;
  if (e.status !== undefined && e.status >= 500) return (e.cause as Error | undefined) ?? e;
  switch (e.problem) {
    case 'token_rejected':
    case 'parameter_absent':
      return new ProviderError('ERR_NOT_FOUND', `Unknown request token ${token}.`, { cause: e });
    case 'token_expired':
      return new ProviderError('ERR_TOKEN_STATE', `Request token ${token} has expired.`, {
        cause: e,
      });
    case 'token_used':
      return new ProviderError('ERR_TOKEN_STATE', `Request token ${token} was already reviewed.`, {
        cause: e,
      });
    case 'consumer_key_refused':
      return new ProviderError(
        'ERR_FORBIDDEN',
        `The application of request token ${token} is unknown or disabled.`,
        { cause: e },
      );
    default:
      return new ProviderError(
        e.status === NOT_FOUND ? 'ERR_NOT_FOUND' : 'ERR_INVALID',
        e.message,
        {
          cause: e,
        },
      );
  }
}

/**
 * Records a person's decision on a request token, through {@link providerAuthorization}:
 * what `token review` does. Throws `ERR_NOT_FOUND` (token, person, context), `ERR_INVALID`,
 * `ERR_FORBIDDEN` (unknown or disabled consumer) or `ERR_TOKEN_STATE`.
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
  const done = await providerAuthorization(store, () => review.now).decide({
    token: review.token,
    userId: review.userId,
    permission: review.permission,
    context: review.context,
    expiresAt: review.expiresIn === undefined ? undefined : review.now + review.expiresIn * 1000,
    callback: review.callback,
  });
  if (!done.ok) throw providerError(done, review.token);
  return { token: done.requestToken, verifier: done.verifier, redirect: done.redirect };
}
