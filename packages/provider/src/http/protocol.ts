import { OAuthError } from '@signet/core';
import {
  acceptsJson,
  type Consumer,
  createAccessTokenEndpoint,
  createRequestTokenEndpoint,
  type Endpoint,
  type EndpointOptions,
  isStoreUnavailable,
  jsonResponse,
  type OAuthRequest,
  type OAuthStore,
  readableVerifiers,
} from '@signet/server';
import { fromFastifyRequest, sendFastifyResponse } from '@signet/server/fastify';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../app.js';
import { generateKey, generateSecret } from '../credentials.js';
import { ProviderError } from '../errors.js';
import { PERMISSIONS } from '../permissions.js';
import { addressKey } from '../web/rate_limit.js';
import { refusingInsecurePlaintext, signatureMethodOptions } from './signing_rules.js';

/**
 * The token endpoints: Launchpad's (`/+request-token`, `/+access-token`; OAuth 1.0, any
 * method, no callback or verifier, PLAINTEXT without timestamp and nonce checks) and
 * RFC 5849's (`/oauth/request_token`, `/oauth/access_token`; callback and verifier required,
 * every check enforced).
 */
export function registerTokenRoutes(
  api: FastifyInstance,
  ctx: RouteContext,
  store: OAuthStore,
): void {
  const sql = ctx.storage.store;
  const base: EndpointOptions = {
    store,
    publicUrl: ctx.config.publicUrl,
    clock: ctx.now,
    // A dependency failure is a 503 that its store logged already (throttled).
    onError: (error) => {
      if (!isStoreUnavailable(error)) ctx.logger?.error({ err: error }, 'token endpoint failed');
    },
  };
  // Launchpad's lengths: 20-character keys, 80-character secrets.
  // Verifiers are typed by hand (oob): compared case-insensitively, without their dashes.
  const tokens = {
    generateToken: generateKey,
    generateSecret,
    normalizeVerifier: readableVerifiers.normalize,
  };

  // Launchpad's open consumers: an unknown key registers itself with an empty secret, so a
  // script can identify itself by name without a registration step. It is stored only once
  // its request has verified (a wrongly signed request creates nothing), and each address
  // may create only so many (SIGNET_OPEN_CONSUMER_LIMIT): keys are free to invent.
  const onUnknownConsumer = ctx.config.openConsumers
    ? async (key: string): Promise<Consumer> => ({ key, secret: '', name: key })
    : undefined;
  const onUnknownConsumerVerified = async (
    consumer: Consumer,
    request: OAuthRequest,
  ): Promise<Consumer | undefined> => {
    const limiter = ctx.writeLimits.openConsumers;
    const address = clientAddresses.get(request);
    if (limiter !== undefined && address !== undefined) {
      const allowance = await limiter.take(addressKey(address));
      if (!allowance.allowed) {
        retryAfter.set(request, allowance.retryAfterSeconds);
        throw new OAuthError(
          'ERR_OAUTH_CONSUMER',
          'Too many new consumer keys from this address; try again later, or reuse a key.',
          { status: 429 },
        );
      }
    }
    let stored: Consumer | undefined;
    try {
      stored = await sql.createConsumer({ key: consumer.key, secret: '', origin: 'open' });
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      if (e.code === 'ERR_INVALID') return undefined;
      if (e.code !== 'ERR_EXISTS') throw e;
      // Created meanwhile, by a parallel request (or otherwise: then the empty secret that
      // verified is not its secret).
      stored = await sql.getConsumer(consumer.key);
      if (stored?.secret !== '' || stored.rsaPublicKey || stored.disabled) return undefined;
    }
    return stored;
  };
  // The 429 above, with its Retry-After.
  const withRetryAfter =
    (endpoint: Endpoint): Endpoint =>
    async (request) => {
      const response = await endpoint(request);
      const wait = retryAfter.get(request);
      if (response.status !== 429 || wait === undefined) return response;
      return { ...response, headers: { ...response.headers, 'retry-after': String(wait) } };
    };

  const countIssued = (kind: 'request' | 'access', endpoint: Endpoint): Endpoint => {
    return async (request) => {
      const response = await endpoint(request);
      if (response.status === 200) ctx.metrics.tokensIssued.inc({ kind });
      else countFailure(ctx, response.headers['www-authenticate'], response.status, 'token');
      return response;
    };
  };

  const launchpadRequestToken = countIssued(
    'request',
    createRequestTokenEndpoint({
      ...base,
      ...tokens,
      flavour: 'launchpad',
      onUnknownConsumer,
      onUnknownConsumerVerified,
      formatAnswer: ({ requestToken, consumer, request }) =>
        acceptsJson(request)
          ? jsonResponse({
              oauth_token: requestToken.token,
              oauth_token_secret: requestToken.secret,
              oauth_token_consumer: consumer.key,
              access_levels: PERMISSIONS.map(({ value, title }) => ({ value, title })),
            })
          : undefined,
    }),
  );
  const launchpadAccessToken = countIssued(
    'access',
    createAccessTokenEndpoint({ ...base, ...tokens, flavour: 'launchpad' }),
  );
  // PLAINTEXT over plain http only on the Launchpad endpoints, which launchpadlib needs.
  const rfc = {
    ...base,
    ...tokens,
    ...signatureMethodOptions(ctx.config),
    flavour: 'rfc5849',
  } as const;
  const rfcRequestToken = countIssued(
    'request',
    refusingInsecurePlaintext(ctx.config, createRequestTokenEndpoint(rfc)),
  );
  const rfcAccessToken = countIssued(
    'access',
    refusingInsecurePlaintext(
      ctx.config,
      createAccessTokenEndpoint({
        ...rfc,
        // Who granted what, so that a client can say it ("Logged in as alice with
        // READ_PUBLIC"); extra answer fields are ignored by clients that do not know them.
        // Launchpad's answer stays exactly Launchpad's.
        extraCredentials: ({ accessToken }) => [
          ['x_signet_person', accessToken.userId],
          ['x_signet_permission', accessToken.permission],
        ],
      }),
    ),
  );

  const mount = (
    methods: ('GET' | 'POST')[],
    path: string,
    endpoint: Endpoint,
    adapt: (request: OAuthRequest) => OAuthRequest = (request) => request,
  ) => {
    api.route({
      method: methods,
      url: path,
      handler: async (req, reply) => {
        const request = adapt(fromFastifyRequest(req));
        clientAddresses.set(request, req.ip);
        return sendFastifyResponse(reply, await endpoint(request));
      },
    });
  };
  mount(['GET', 'POST'], '/+request-token', withRetryAfter(launchpadRequestToken), formByDefault);
  mount(['GET', 'POST'], '/+access-token', launchpadAccessToken, formByDefault);
  // RFC 5849 §2.1 asks for POST and lets a server take other methods: Twitter and oauthlib
  // take GET, which the most used Go client (mrjones/oauth) sends by default.
  mount(['GET', 'POST'], '/oauth/request_token', rfcRequestToken);
  mount(['GET', 'POST'], '/oauth/access_token', rfcAccessToken);
}

// What the open-consumer hooks need to know of a request beyond the OAuthRequest.
const clientAddresses = new WeakMap<OAuthRequest, string>();
const retryAfter = new WeakMap<OAuthRequest, number>();

/**
 * launchpadlib POSTs its form-encoded token requests without a Content-Type (httplib2 adds
 * none), and Launchpad reads such a body as a form, as CGI does. The Launchpad endpoints do
 * the same; the RFC 5849 ones keep §3.4.1.3.1's rule (a form only when declared).
 */
function formByDefault(request: OAuthRequest): OAuthRequest {
  const body = request.body;
  if (
    request.method !== 'POST' ||
    request.headers['content-type'] !== undefined ||
    body === undefined ||
    body === null ||
    body.length === 0
  ) {
    return request;
  }
  return {
    ...request,
    headers: { ...request.headers, 'content-type': 'application/x-www-form-urlencoded' },
  };
}

/** Counts a refusal by its `oauth_problem`, and signature failures apart. */
export function countFailure(
  ctx: RouteContext,
  challenge: string | undefined,
  status: number,
  endpoint: string,
): void {
  const problem = challenge ? /oauth_problem="([^"]*)"/.exec(challenge)?.[1] : undefined;
  const label = problem ?? (status === 400 ? 'invalid_request' : `status_${status}`);
  ctx.metrics.oauthFailures.inc({ problem: label });
  if (problem === 'signature_invalid') ctx.metrics.signatureFailures.inc({ endpoint });
}
