import { type Clock, formEncode, OAuthError, type Param, systemClock } from '@signet/core';
import { isStoreUnavailable } from '../errors.js';
import { defaultTokenGenerator, type TokenGenerator } from '../options.js';
import { reject } from '../response.js';
import type { Consumer, Grant, OAuthStore, RequestToken } from '../store.js';
import { callbackFits, isValidCallback } from '../validate.js';

/**
 * Options of {@link createAuthorizationEndpoint}.
 *
 * @see RFC 5849 §2.2
 */
export interface AuthorizationOptions {
  /** Where request tokens and consumers live. */
  readonly store: OAuthStore;
  /** The clock (epoch milliseconds). */
  readonly clock?: Clock | undefined;
  /** Makes verifiers; 128 CSPRNG bits in hex by default. */
  readonly generateVerifier?: TokenGenerator | undefined;
}

/**
 * A request token awaiting the person's decision, for the authorization page.
 *
 * @see RFC 5849 §2.2
 */
export interface PendingAuthorization {
  readonly ok: true;
  readonly requestToken: RequestToken;
  /** The consumer that asked (its `name` is what the page shows). */
  readonly consumer: Consumer;
}

/**
 * Why the page cannot go on; `error.status` and `error.message` are safe to show.
 *
 * @see RFC 5849 §2.2
 */
export interface AuthorizationFailure {
  readonly ok: false;
  readonly error: OAuthError;
}

/**
 * The person's decision.
 *
 * @see RFC 5849 §2.2
 */
export interface AuthorizationDecision {
  /** The request token (`oauth_token` of the page). */
  readonly token: string;
  /** Who decided. */
  readonly userId: string;
  /** The level granted; the refusal level (`UNAUTHORIZED`) when the person said no. */
  readonly permission: string;
  /** The context the grant is limited to (Launchpad's `lp.context`). */
  readonly context?: string | undefined;
  /** Realms granted (answered as `oauth_authorized_realms`). */
  readonly realms?: readonly string[] | undefined;
  /** When the access token will expire, if it does. */
  readonly expiresAt?: number | undefined;
  /**
   * Where to send the person when the request token has no callback: Launchpad passes
   * `oauth_callback` to the authorization page instead of the request-token step.
   */
  readonly callback?: string | undefined;
}

/**
 * A recorded decision.
 *
 * @see RFC 5849 §2.2
 */
export interface AuthorizationRecorded {
  readonly ok: true;
  /** The request token, now reviewed. */
  readonly requestToken: RequestToken;
  readonly consumer: Consumer;
  /** `oauth_verifier`, to show when there is no redirect (`oob`). */
  readonly verifier: string;
  /**
   * The callback with `oauth_token` and `oauth_verifier` added (its own query and fragment
   * kept), or `undefined` for `oob` and for a token without a callback.
   */
  readonly redirect: string | undefined;
}

/**
 * The authorization helpers.
 *
 * @see RFC 5849 §2.2
 */
export interface AuthorizationEndpoint {
  /** Looks up the request token the authorization page is about, with its consumer. */
  lookup(token: string): Promise<PendingAuthorization | AuthorizationFailure>;
  /** Records the person's decision and says where to go next. */
  decide(decision: AuthorizationDecision): Promise<AuthorizationRecorded | AuthorizationFailure>;
}

/**
 * The resource-owner authorization helpers: look up the request token for the page, then
 * record the decision through the store's `reviewRequestToken` with a fresh verifier and
 * return the redirect to the callback or the out-of-band verifier. The page itself (login,
 * CSRF, the buttons) is the application's.
 *
 * @see RFC 5849 §2.2
 * @example
 * ```ts
 * const authorize = createAuthorizationEndpoint({ store });
 * const pending = await authorize.lookup(query.oauth_token);
 * // ...after the person clicks:
 * const done = await authorize.decide({ token, userId: 'alice', permission: 'READ_PUBLIC' });
 * if (done.ok && done.redirect) redirect(done.redirect); else show(done.verifier);
 * ```
 */
export function createAuthorizationEndpoint(options: AuthorizationOptions): AuthorizationEndpoint {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const generateVerifier = options.generateVerifier ?? defaultTokenGenerator;

  const pending = async (token: unknown): Promise<PendingAuthorization> => {
    if (typeof token !== 'string' || token === '') {
      throw reject(
        'ERR_OAUTH_PARAMETER_ABSENT',
        'No request token specified.',
        400,
        'parameter_absent',
      );
    }
    const requestToken = await store.getRequestToken(token);
    if (requestToken === undefined) {
      throw reject('ERR_OAUTH_TOKEN', 'Unknown request token.', 400, 'token_rejected');
    }
    if (clock() >= requestToken.expiresAt) {
      throw reject('ERR_OAUTH_TOKEN', 'This request token has expired.', 400, 'token_expired');
    }
    if (requestToken.grant !== undefined) {
      throw reject(
        'ERR_OAUTH_TOKEN',
        'This request token has already been reviewed.',
        400,
        'token_used',
      );
    }
    const consumer = await store.getConsumer(requestToken.consumerKey);
    if (consumer === undefined || consumer.disabled === true) {
      throw reject(
        'ERR_OAUTH_CONSUMER',
        'This application is not allowed.',
        403,
        'consumer_key_refused',
      );
    }
    return { ok: true, requestToken, consumer };
  };

  return {
    async lookup(token) {
      try {
        return await pending(token);
      } catch (error) {
        return failure(error);
      }
    },
    async decide(decision) {
      try {
        if (decision === null || typeof decision !== 'object') {
          throw new TypeError('decide() needs a decision.');
        }
        const { requestToken, consumer } = await pending(decision.token);
        const callback = requestToken.callback ?? decision.callback;
        if (
          callback !== undefined &&
          requestToken.callback === undefined &&
          (!isValidCallback(callback) || !callbackFits(callback, consumer.callbackUrl))
        ) {
          throw reject(
            'ERR_OAUTH_CALLBACK',
            'Callback URL not allowed.',
            400,
            'parameter_rejected',
          );
        }
        const grant: Grant = {
          userId: decision.userId,
          permission: decision.permission,
          context: decision.context,
          realms: decision.realms,
          expiresAt: decision.expiresAt,
        };
        const verifier = generateVerifier();
        const reviewed = await store.reviewRequestToken(requestToken.token, {
          grant,
          verifier,
          now: clock(),
        });
        if (reviewed === undefined) {
          // Another tab, or the token expired between the lookup and now.
          throw reject(
            'ERR_OAUTH_TOKEN',
            'This request token has already been reviewed.',
            400,
            'token_used',
          );
        }
        const redirect =
          callback === undefined || callback === 'oob'
            ? undefined
            : addQuery(callback, [
                ['oauth_token', reviewed.token],
                ['oauth_verifier', verifier],
              ]);
        return { ok: true, requestToken: reviewed, consumer, verifier, redirect };
      } catch (error) {
        return failure(error);
      }
    },
  };
}

function failure(error: unknown): AuthorizationFailure {
  if (error instanceof OAuthError) return { ok: false, error };
  if (isStoreUnavailable(error)) {
    return {
      ok: false,
      error: new OAuthError('ERR_OAUTH_AUTHORIZATION', error.message, {
        status: 503,
        cause: error,
      }),
    };
  }
  // The store failed: nothing the person can fix, and nothing to show of the cause.
  return {
    ok: false,
    error: new OAuthError('ERR_OAUTH_AUTHORIZATION', 'The decision could not be recorded.', {
      status: 500,
      cause: error,
    }),
  };
}

/**
 * Adds parameters to a URL's query, keeping its own query and fragment.
 *
 * @see RFC 5849 §2.2
 */
function addQuery(url: string, params: readonly Param[]): string {
  const hash = url.indexOf('#');
  const fragment = hash === -1 ? '' : url.slice(hash);
  const base = hash === -1 ? url : url.slice(0, hash);
  const q = base.indexOf('?');
  const sep = q === -1 ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return base + sep + formEncode(params) + fragment;
}
