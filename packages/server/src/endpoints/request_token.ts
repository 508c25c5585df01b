import type { Param } from '@signet/core';
import type { Endpoint, OAuthRequest, OAuthResponse } from '../http.js';
import { tokenMessages } from '../messages.js';
import {
  defaultTokenGenerator,
  type EndpointOptions,
  resolveConfig,
  type TokenGenerator,
} from '../options.js';
import { formResponse, reject } from '../response.js';
import type { Consumer, RequestToken } from '../store.js';
import {
  authenticate,
  callbackFits,
  checkProtocol,
  isValidCallback,
  recordNonce,
  registeredCallbacks,
  run,
} from '../validate.js';

/**
 * What the request-token endpoint just issued, for `formatAnswer`.
 *
 * @see RFC 5849 §2.1
 */
export interface IssuedRequestToken {
  /** The stored request token. */
  readonly requestToken: RequestToken;
  /** The consumer it was issued to. */
  readonly consumer: Consumer;
  /** The request that asked for it. */
  readonly request: OAuthRequest;
}

/**
 * Options of {@link createRequestTokenEndpoint}.
 *
 * @see RFC 5849 §2.1
 */
export interface RequestTokenEndpointOptions extends EndpointOptions {
  /** How long an unreviewed request token lives, in seconds. Default 7200 (two hours). */
  readonly requestTokenLifetime?: number | undefined;
  /** Makes token keys and secrets; 128 CSPRNG bits in hex by default. */
  readonly generateToken?: TokenGenerator | undefined;
  /** Makes token secrets; `generateToken` by default (Launchpad's secrets are longer). */
  readonly generateSecret?: TokenGenerator | undefined;
  /**
   * Called for an unknown consumer key, before the signature is checked. Return a consumer
   * to go on with it, or `undefined` to answer 401. This is how a provider implements
   * Launchpad's open consumers: a key with an empty secret. The consumer should be stored
   * only by `onUnknownConsumerVerified`, once a request has proved it; without that hook it
   * must be stored already.
   */
  readonly onUnknownConsumer?:
    | ((consumerKey: string, request: OAuthRequest) => Promise<Consumer | undefined>)
    | undefined;
  /**
   * Called when the request signed by a consumer from `onUnknownConsumer` has passed every
   * check (signature, nonce), before a token is issued: stores it and returns the stored
   * consumer, or `undefined` to answer 401 as for an unknown key. It may throw an
   * `OAuthError` (its status is the answer's) or a `StoreUnavailableError`.
   */
  readonly onUnknownConsumerVerified?:
    | ((consumer: Consumer, request: OAuthRequest) => Promise<Consumer | undefined>)
    | undefined;
  /**
   * Further policy on `oauth_callback` (after the syntax check and the consumer's registered
   * callbacks, see `callbackFits`); `false` answers 400.
   */
  readonly validateCallback?:
    | ((callback: string, consumer: Consumer) => boolean | Promise<boolean>)
    | undefined;
  /**
   * Writes the answer instead of the default form (for Launchpad's JSON answer to
   * `Accept: application/json`, see `acceptsJson`); return `undefined` to keep the default.
   */
  readonly formatAnswer?:
    | ((
        issued: IssuedRequestToken,
      ) => OAuthResponse | undefined | Promise<OAuthResponse | undefined>)
    | undefined;
}

/**
 * The temporary-credentials (request-token) endpoint. In the `rfc5849` flavour it requires
 * `oauth_callback` (an absolute URI or `oob`) and answers
 * `oauth_token=..&oauth_token_secret=..&oauth_callback_confirmed=true`; in the `launchpad`
 * flavour the callback is optional and the answer is the token and secret only.
 *
 * @see RFC 5849 §2.1
 * @example
 * ```ts
 * const requestToken = createRequestTokenEndpoint({ store, publicUrl: 'https://example.com' });
 * const { status, headers, body } = await requestToken({ method, url, headers, body });
 * ```
 */
export function createRequestTokenEndpoint(options: RequestTokenEndpointOptions): Endpoint {
  const config = resolveConfig(options, tokenMessages);
  const lifetimeMs = (options.requestTokenLifetime ?? 7200) * 1000;
  if (!(lifetimeMs > 0)) throw new TypeError('requestTokenLifetime must be positive.');
  const generate = options.generateToken ?? defaultTokenGenerator;
  const generateSecret = options.generateSecret ?? generate;
  const { onUnknownConsumer, onUnknownConsumerVerified, validateCallback, formatAnswer } = options;

  return (request) =>
    run(config, request, async (p) => {
      const c = checkProtocol(config, p, { token: 'forbidden' });
      const callback = p.oauth.get('oauth_callback');
      if (callback === undefined || callback === '') {
        if (config.flavour === 'rfc5849') {
          throw reject(
            'ERR_OAUTH_PARAMETER_ABSENT',
            'Missing OAuth parameter oauth_callback.',
            400,
            'parameter_absent',
          );
        }
      } else if (!isValidCallback(callback)) {
        throw reject(
          'ERR_OAUTH_CALLBACK',
          'oauth_callback must be an absolute URL or "oob".',
          400,
          'parameter_rejected',
        );
      }
      let provisional: Consumer | undefined;
      const authenticated = await authenticate(config, p, c, {
        onUnknownConsumer:
          onUnknownConsumer === undefined
            ? undefined
            : async (key) => (provisional = await onUnknownConsumer(key, request)),
      });
      await recordNonce(config, c);
      let consumer = authenticated.consumer;
      if (consumer === provisional && onUnknownConsumerVerified !== undefined) {
        const stored = await onUnknownConsumerVerified(consumer, request);
        if (stored === undefined) {
          throw reject(
            'ERR_OAUTH_CONSUMER',
            config.messages.unknownConsumer(c.consumerKey),
            401,
            'consumer_key_unknown',
          );
        }
        consumer = stored;
      }
      const cb = callback === '' ? undefined : callback;
      if (
        cb !== undefined &&
        (!callbackFits(cb, registeredCallbacks(consumer)) ||
          (validateCallback !== undefined && !(await validateCallback(cb, consumer))))
      ) {
        throw reject(
          'ERR_OAUTH_CALLBACK',
          config.messages.callbackRejected(consumer.key),
          400,
          'parameter_rejected',
        );
      }
      // Kept as asked, for the page; granting them is the person's decision alone.
      const realms = p.headerRealm?.split(/\s+/).filter((r) => r !== '');
      const now = config.clock();
      const requestToken: RequestToken = {
        token: generate(),
        secret: generateSecret(),
        consumerKey: consumer.key,
        callback: cb,
        realms: realms !== undefined && realms.length > 0 ? realms : undefined,
        protocol: config.flavour,
        createdAt: now,
        expiresAt: now + lifetimeMs,
      };
      await config.store.createRequestToken(requestToken);
      if (formatAnswer !== undefined) {
        const custom = await formatAnswer({ requestToken, consumer, request });
        if (custom !== undefined) return custom;
      }
      const answer: Param[] = [
        ['oauth_token', requestToken.token],
        ['oauth_token_secret', requestToken.secret],
      ];
      if (config.flavour === 'rfc5849') answer.push(['oauth_callback_confirmed', 'true']);
      return formResponse(answer);
    });
}
