import { type Clock, formEncode, OAuthError, systemClock } from '@signet/core';
import { isStoreUnavailable } from '../errors.js';
import { defaultTokenGenerator, type TokenGenerator } from '../options.js';
import { reject } from '../response.js';
import type { Consumer, Grant, OAuthStore, RequestToken } from '../store.js';
import { callbackFits, parseCallback, registeredCallbacks } from '../validate.js';

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
  /** The permission that means "refused"; `UNAUTHORIZED` (Launchpad's) by default. */
  readonly refusedPermission?: string | undefined;
  /**
   * The permissions a decision may record, the refusal included; any when absent. Another
   * is refused with 400 before anything is recorded.
   */
  readonly permissions?: readonly string[] | undefined;
  /**
   * The application's own checks of a decision (the person exists, the context exists, the
   * level suits the consumer ...), run before anything is recorded. Throw an `OAuthError`
   * (its status and message are shown) to refuse it.
   */
  readonly checkDecision?:
    | ((decision: AuthorizationDecision, pending: PendingAuthorization) => void | Promise<void>)
    | undefined;
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
  /**
   * Where the person will be sent: the request token's callback, else the one given to the
   * page; `undefined` when there is none. `oob` stays `oob`.
   */
  readonly callback: string | undefined;
  /** The host (with port, if any) of a URL callback, as the browser will read it. */
  readonly callbackHost: string | undefined;
  /**
   * Whether the callback fits one of the consumer's registered callbacks. An unregistered
   * one (a consumer that registered none) is used after a grant only, and should be shown
   * to the person before the decision.
   */
  readonly callbackRegistered: boolean;
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
  /**
   * Looks up the request token the authorization page is about, with its consumer and where
   * the person will be sent. `callback` is one given to the page (Launchpad's flavour); it is
   * checked as the decision will check it, and ignored when the token has its own.
   */
  lookup(
    token: string,
    callback?: string | undefined,
  ): Promise<PendingAuthorization | AuthorizationFailure>;
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

  const refusedPermission = options.refusedPermission ?? 'UNAUTHORIZED';
  const permissions = options.permissions === undefined ? undefined : new Set(options.permissions);
  const { checkDecision } = options;

  const pending = async (token: unknown, pageCallback: unknown): Promise<PendingAuthorization> => {
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
    // The token's own callback (signed by the client) wins; one given to the page is
    // Launchpad's way, and never `oob` there (the page shows the outcome itself).
    let callback = requestToken.callback;
    if (callback === undefined && typeof pageCallback === 'string' && pageCallback !== '') {
      if (pageCallback === 'oob') throw callbackRefused();
      callback = pageCallback;
    }
    if (callback === undefined || callback === 'oob') {
      return {
        ok: true,
        requestToken,
        consumer,
        callback,
        callbackHost: undefined,
        callbackRegistered: false,
      };
    }
    // Checked again at every step, with the consumer's callbacks as they are now.
    const url = parseCallback(callback);
    const registered = registeredCallbacks(consumer);
    if (url === undefined || !callbackFits(callback, registered)) throw callbackRefused();
    return {
      ok: true,
      requestToken,
      consumer,
      callback,
      callbackHost: url.host !== '' ? url.host : url.protocol,
      callbackRegistered: registered.length > 0,
    };
  };

  return {
    async lookup(token, callback) {
      try {
        return await pending(token, callback);
      } catch (error) {
        return failure(error);
      }
    },
    async decide(decision) {
      try {
        if (decision === null || typeof decision !== 'object') {
          throw new TypeError('decide() needs a decision.');
        }
        const found = await pending(decision.token, decision.callback);
        const { requestToken, consumer, callback } = found;
        if (typeof decision.permission !== 'string' || decision.permission === '') {
          throw reject('ERR_OAUTH_AUTHORIZATION', 'No permission chosen.', 400, 'parameter_absent');
        }
        if (permissions !== undefined && !permissions.has(decision.permission)) {
          throw reject(
            'ERR_OAUTH_AUTHORIZATION',
            `Unknown permission ${JSON.stringify(decision.permission.slice(0, 40))}.`,
            400,
            'parameter_rejected',
          );
        }
        if (checkDecision !== undefined) await checkDecision(decision, found);
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
        // A refusal goes back only to a registered callback: an unregistered one was chosen
        // by whoever made the link, and "No Access" must not be a way to reach it.
        const refused = decision.permission === refusedPermission;
        const redirect =
          callback === undefined || callback === 'oob' || (refused && !found.callbackRegistered)
            ? undefined
            : callbackRedirect(callback, reviewed.token, verifier);
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

function callbackRefused(): OAuthError {
  return reject('ERR_OAUTH_CALLBACK', 'Callback URL not allowed.', 400, 'parameter_rejected');
}

/**
 * The one redirect builder: the callback as WHATWG URL reads it (so the browser goes where
 * the policy looked), with `oauth_token` and `oauth_verifier` added to its own query and its
 * fragment kept.
 *
 * @see RFC 5849 §2.2
 * @example callbackRedirect('https://app/cb?x=1', 'T', 'V') // 'https://app/cb?x=1&oauth_token=T&oauth_verifier=V'
 */
export function callbackRedirect(callback: string, token: string, verifier: string): string {
  const url = parseCallback(callback);
  if (url === undefined) throw callbackRefused();
  const fragment = url.hash;
  url.hash = '';
  const base = url.href.endsWith('#') ? url.href.slice(0, -1) : url.href;
  const q = base.indexOf('?');
  const sep = q === -1 ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return (
    base +
    sep +
    formEncode([
      ['oauth_token', token],
      ['oauth_verifier', verifier],
    ]) +
    fragment
  );
}
