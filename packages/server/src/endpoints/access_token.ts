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
import type { AccessToken, Consumer, RequestToken } from '../store.js';
import { authenticate, checkProtocol, recordNonce, run, verifierMatches } from '../validate.js';

/**
 * What the access-token endpoint just issued, for `extraCredentials` and `formatAnswer`.
 *
 * @see RFC 5849 §2.3
 */
export interface IssuedAccessToken {
  /** The stored access token. */
  readonly accessToken: AccessToken;
  /** The request token it replaced (now retired). */
  readonly requestToken: RequestToken;
  /** The consumer it was issued to. */
  readonly consumer: Consumer;
  /** The request that asked for it. */
  readonly request: OAuthRequest;
}

/**
 * Options of {@link createAccessTokenEndpoint}.
 *
 * @see RFC 5849 §2.3
 */
export interface AccessTokenEndpointOptions extends EndpointOptions {
  /** Makes token keys and secrets; 128 CSPRNG bits in hex by default. */
  readonly generateToken?: TokenGenerator | undefined;
  /** Makes token secrets; `generateToken` by default (Launchpad's secrets are longer). */
  readonly generateSecret?: TokenGenerator | undefined;
  /** The permission that means "refused"; `UNAUTHORIZED` (Launchpad's) by default. */
  readonly refusedPermission?: string | undefined;
  /**
   * The form the stored and the given verifier are compared in (see `readableVerifiers`);
   * exact comparison by default.
   */
  readonly normalizeVerifier?: ((verifier: string) => string) | undefined;
  /** Further credentials to add to the answer (oauthlib's `credentials`). */
  readonly extraCredentials?:
    | ((issued: IssuedAccessToken) => Iterable<Param> | Promise<Iterable<Param>>)
    | undefined;
  /** Writes the answer instead of the default form; `undefined` keeps the default. */
  readonly formatAnswer?:
    | ((
        issued: IssuedAccessToken,
      ) => OAuthResponse | undefined | Promise<OAuthResponse | undefined>)
    | undefined;
}

/**
 * The token-credentials (access-token) endpoint: exchanges a reviewed request token, once.
 * Answers `oauth_token`, `oauth_token_secret`, `oauth_authorized_realms` (space-separated)
 * when realms were granted, `lp.context` in the `launchpad` flavour (the context or `None`),
 * then any extra credentials. Of concurrent exchanges of one request token exactly one
 * succeeds (the store's atomic `consumeRequestToken`); the others get 401
 * `No request token specified.`
 *
 * @see RFC 5849 §2.3
 * @example
 * ```ts
 * const accessToken = createAccessTokenEndpoint({ store, publicUrl: 'https://example.com' });
 * const response = await accessToken(request);
 * ```
 */
export function createAccessTokenEndpoint(options: AccessTokenEndpointOptions): Endpoint {
  const config = resolveConfig(options, tokenMessages);
  const generate = options.generateToken ?? defaultTokenGenerator;
  const generateSecret = options.generateSecret ?? generate;
  const refused = options.refusedPermission ?? 'UNAUTHORIZED';
  const { extraCredentials, formatAnswer } = options;
  const m = config.messages;

  return (request) =>
    run(config, request, async (p) => {
      const launchpad = config.flavour === 'launchpad';
      const c = checkProtocol(config, p, { token: launchpad ? 'optional' : 'required' });
      // Launchpad answers a missing token as it answers an unknown one.
      if (c.token === '') {
        throw reject('ERR_OAUTH_TOKEN', m.unknownToken(''), 401, 'parameter_absent');
      }
      const verifier = p.oauth.get('oauth_verifier');
      if (config.flavour === 'rfc5849' && (verifier === undefined || verifier === '')) {
        throw reject(
          'ERR_OAUTH_PARAMETER_ABSENT',
          'Missing OAuth parameter oauth_verifier.',
          400,
          'parameter_absent',
        );
      }
      const auth = await authenticate(config, p, c, {
        lookupToken: (key) => config.store.getRequestToken(key),
      });
      await recordNonce(config, c);
      const requestToken = auth.token!;
      const { consumer } = auth;
      const now = config.clock();
      const grant = requestToken.grant;
      if (
        now >= requestToken.expiresAt ||
        (grant?.expiresAt !== undefined && grant.expiresAt <= now)
      ) {
        throw reject('ERR_OAUTH_TOKEN', m.expiredToken(c.token), 403, 'token_expired');
      }
      if (grant === undefined) {
        throw reject('ERR_OAUTH_AUTHORIZATION', m.notReviewed(c.token), 401, 'permission_unknown');
      }
      if (grant.permission === refused) {
        throw reject('ERR_OAUTH_AUTHORIZATION', m.refused(c.token), 403, 'permission_denied');
      }
      const given = verifier !== undefined && verifier !== '';
      // A token issued by an RFC 5849 endpoint keeps its rules wherever it is exchanged:
      // skipping the verifier at a Launchpad endpoint would undo §2.3's binding to the person.
      if (!given && requestToken.protocol === 'rfc5849') {
        throw reject(
          'ERR_OAUTH_PARAMETER_ABSENT',
          'Missing OAuth parameter oauth_verifier.',
          400,
          'parameter_absent',
        );
      }
      if (given && !verifierMatches(requestToken.verifier, verifier, options.normalizeVerifier)) {
        throw reject('ERR_OAUTH_VERIFIER', m.invalidVerifier(c.token), 401, 'verifier_invalid');
      }
      // Granted realms only: what the client asked for is no grant.
      const realms = grant.realms;
      const accessToken: AccessToken = {
        token: generate(),
        secret: generateSecret(),
        consumerKey: consumer.key,
        userId: grant.userId,
        permission: grant.permission,
        context: grant.context,
        realms,
        createdAt: now,
        expiresAt: grant.expiresAt,
      };
      if (!(await config.store.consumeRequestToken(requestToken.token, accessToken))) {
        throw reject('ERR_OAUTH_TOKEN', m.unknownToken(c.token), 401, 'token_used');
      }
      const issued: IssuedAccessToken = { accessToken, requestToken, consumer, request };
      if (formatAnswer !== undefined) {
        const custom = await formatAnswer(issued);
        if (custom !== undefined) return custom;
      }
      const answer: Param[] = [
        ['oauth_token', accessToken.token],
        ['oauth_token_secret', accessToken.secret],
      ];
      if (realms !== undefined && realms.length > 0) {
        answer.push(['oauth_authorized_realms', realms.join(' ')]);
      }
      if (config.flavour === 'launchpad') answer.push(['lp.context', grant.context ?? 'None']);
      if (extraCredentials !== undefined) {
        for (const extra of await extraCredentials(issued)) answer.push(extra);
      }
      return formResponse(answer);
    });
}
