import type { OAuthError } from '@signet/core';
import type { OAuthRequest, OAuthResponse } from '../http.js';
import { resourceMessages } from '../messages.js';
import { type Config, type EndpointOptions, resolveConfig } from '../options.js';
import { reject } from '../response.js';
import type { AccessToken, Consumer, Grant } from '../store.js';
import { answerError, authenticate, checkProtocol, prepare, recordNonce } from '../validate.js';

/**
 * Options of {@link createResourceEndpoint}.
 *
 * @see RFC 5849 §3
 */
export interface ResourceEndpointOptions extends EndpointOptions {
  /**
   * Accept requests without a token (or with an empty `oauth_token`, Launchpad's anonymous
   * access), signed by the consumer alone. The result then has no token and no grant; what
   * such a request may do is the application's decision. `false` by default.
   */
  readonly anonymous?: boolean | undefined;
}

/**
 * A request that passed every check.
 *
 * @see RFC 5849 §3.2
 */
export interface ResourceAccess {
  readonly ok: true;
  /** The consumer that signed. */
  readonly consumer: Consumer;
  /** The access token, or `undefined` for an anonymous request. */
  readonly token: AccessToken | undefined;
  /** The person the token acts for, or `undefined` for an anonymous request. */
  readonly userId: string | undefined;
  /** What the person granted, or `undefined` for an anonymous request. */
  readonly grant: Grant | undefined;
}

/**
 * A refused request, with the answer to send.
 *
 * @see RFC 5849 §3.2
 */
export interface ResourceDenied {
  readonly ok: false;
  /** The error answer: 400, 401 (with `WWW-Authenticate`) or 403. */
  readonly response: OAuthResponse;
  /** Why, when the request itself was at fault (absent for internal failures). */
  readonly error: OAuthError | undefined;
}

/**
 * The outcome of a protected-resource check.
 *
 * @see RFC 5849 §3.2
 */
export type ResourceResult = ResourceAccess | ResourceDenied;

/**
 * A protected-resource check: never throws.
 *
 * @see RFC 5849 §3.2
 */
export type ResourceEndpoint = (request: OAuthRequest) => Promise<ResourceResult>;

/**
 * The protected-resource check: verifies an access-token request and returns the consumer,
 * token, user and grant, or the error answer. Error messages default to the contract's:
 * `Unknown access token (K).`, `Expired token (K).`, `Invalid signature.`,
 * `Timestamp outside the allowed window.`, `Nonce already used.`, `Unknown consumer (K).`
 *
 * @see RFC 5849 §3.2
 * @example
 * ```ts
 * const protect = createResourceEndpoint({ store, publicUrl: 'https://api.example.com' });
 * const result = await protect(request);
 * if (!result.ok) return result.response;
 * console.log(result.userId, result.grant?.permission);
 * ```
 */
export function createResourceEndpoint(options: ResourceEndpointOptions): ResourceEndpoint {
  const config = resolveConfig(options, resourceMessages);
  const m = config.messages;
  const anonymous = options.anonymous === true;
  return async (request) => {
    let realm = config.realm ?? config.publicUrl ?? '';
    try {
      const p = prepare(config, request);
      realm = p.realm;
      const c = checkProtocol(config, p, { token: anonymous ? 'optional' : 'required' });
      const { consumer, token } = await authenticate(config, p, c, {
        lookupToken: (key) => config.store.getAccessToken(key),
      });
      await recordNonce(config, c);
      if (token === undefined) {
        return { ok: true, consumer, token: undefined, userId: undefined, grant: undefined };
      }
      const now = config.clock();
      if (token.revokedAt !== undefined) {
        throw reject('ERR_OAUTH_TOKEN', m.revokedToken(token.token), 401, 'token_revoked');
      }
      if (token.expiresAt !== undefined && token.expiresAt <= now) {
        throw reject('ERR_OAUTH_TOKEN', m.expiredToken(token.token), 401, 'token_expired');
      }
      const grant: Grant = {
        userId: token.userId,
        permission: token.permission,
        context: token.context,
        realms: token.realms,
        expiresAt: token.expiresAt,
      };
      return { ok: true, consumer, token, userId: token.userId, grant };
    } catch (error) {
      return denied(config, realm, error);
    }
  };
}

/**
 * The answer to a check that threw: the error's response, and the error itself when the
 * request was at fault.
 * @internal
 */
export function denied(config: Config, realm: string, error: unknown): ResourceDenied {
  const response = answerError(config, realm, error);
  return {
    ok: false,
    response,
    error: response.status < 500 ? (error as OAuthError) : undefined,
  };
}
