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
} from '@signet/server';
import { fromFastifyRequest, sendFastifyResponse } from '@signet/server/fastify';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../app.js';
import { generateKey, generateSecret } from '../credentials.js';
import { ProviderError } from '../errors.js';
import { PERMISSIONS } from '../permissions.js';
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
  const tokens = { generateToken: generateKey, generateSecret };

  // Launchpad's open consumers: an unknown key registers itself with an empty secret, so a
  // script can identify itself by name without a registration step.
  const onUnknownConsumer = ctx.config.openConsumers
    ? async (key: string): Promise<Consumer | undefined> => {
        try {
          return await sql.createConsumer({ key, secret: '', origin: 'open' });
        } catch (e) {
          if (e instanceof ProviderError && e.code === 'ERR_EXISTS') return sql.getConsumer(key);
          if (e instanceof ProviderError && e.code === 'ERR_INVALID') return undefined;
          throw e;
        }
      }
    : undefined;

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
    refusingInsecurePlaintext(ctx.config, createAccessTokenEndpoint(rfc)),
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
      handler: async (req, reply) =>
        sendFastifyResponse(reply, await endpoint(adapt(fromFastifyRequest(req)))),
    });
  };
  mount(['GET', 'POST'], '/+request-token', launchpadRequestToken, formByDefault);
  mount(['GET', 'POST'], '/+access-token', launchpadAccessToken, formByDefault);
  mount(['POST'], '/oauth/request_token', rfcRequestToken);
  mount(['POST'], '/oauth/access_token', rfcAccessToken);
}

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
