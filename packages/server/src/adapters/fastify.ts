/**
 * The Fastify adapter (Fastify 4 and 5). Register OAuth routes in a plugin that calls
 * {@link useRawBodies} first: signatures cover the body as sent, so it must reach the
 * endpoint as bytes, not as Fastify's parsed JSON or form.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Endpoint, OAuthRequest, OAuthResponse } from '../http.js';
import { nodeHeaders } from './node_http.js';

/**
 * Makes every body in this Fastify context (plugin) arrive as a `Buffer`, whatever its
 * content type. Call it inside the plugin that registers the OAuth routes, so the rest of
 * the app keeps its parsers.
 *
 * @see RFC 5849 §3.4.1.3.1
 * @example
 * ```ts
 * app.register(async (oauth) => {
 *   useRawBodies(oauth);
 *   oauth.post('/oauth/request_token', fastifyEndpoint(requestToken));
 * });
 * ```
 */
export function useRawBodies(
  instance: FastifyInstance,
  options: { bodyLimit?: number } = {},
): void {
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: options.bodyLimit ?? 1024 * 1024 },
    (
      _req: FastifyRequest,
      body: Buffer | string,
      done: (err: Error | null, body?: unknown) => void,
    ) => {
      done(null, body);
    },
  );
}

/**
 * Reads a Fastify request into the plain request endpoints take.
 *
 * @see RFC 5849 §3.4.1
 * @example
 * ```ts
 * const request = fromFastifyRequest(req);
 * ```
 */
export function fromFastifyRequest(req: FastifyRequest): OAuthRequest {
  const parsed: unknown = req.body;
  let body: string | Uint8Array | undefined;
  if (typeof parsed === 'string' || parsed instanceof Uint8Array) body = parsed;
  else if (parsed !== undefined && parsed !== null) body = JSON.stringify(parsed);
  return { method: req.method, url: req.raw.url ?? req.url, headers: nodeHeaders(req.raw), body };
}

/**
 * Sends an endpoint's answer with Fastify.
 *
 * @see RFC 5849 §2
 * @example
 * ```ts
 * return sendFastifyResponse(reply, await accessToken(fromFastifyRequest(req)));
 * ```
 */
export function sendFastifyResponse(reply: FastifyReply, response: OAuthResponse): FastifyReply {
  return reply.code(response.status).headers(response.headers).send(response.body);
}

/**
 * A Fastify route handler for one endpoint.
 *
 * @see RFC 5849 §2
 * @example
 * ```ts
 * oauth.post('/oauth/access_token', fastifyEndpoint(createAccessTokenEndpoint({ store, publicUrl })));
 * ```
 */
export function fastifyEndpoint(
  endpoint: Endpoint,
): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  return async (req, reply) => sendFastifyResponse(reply, await endpoint(fromFastifyRequest(req)));
}

const outcomes = new WeakMap<FastifyRequest, unknown>();

/**
 * A Fastify `preHandler` hook that lets through only requests the check accepts; read the
 * outcome in the handler with {@link oauthOf}. A refused request gets the check's answer.
 *
 * @see RFC 5849 §3.2
 * @example
 * ```ts
 * oauth.get('/api/whoami', { preHandler: fastifyProtect(protect) }, async (req) => {
 *   return { user: oauthOf<ResourceAccess>(req)?.userId };
 * });
 * ```
 */
export function fastifyProtect<
  R extends { readonly ok: boolean } & (
    | { readonly ok: true }
    | { readonly response: OAuthResponse }
  ),
>(
  check: (request: OAuthRequest) => Promise<R>,
): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (req, reply) => {
    const result = await check(fromFastifyRequest(req));
    if (result.ok) outcomes.set(req, result);
    else if ('response' in result) await sendFastifyResponse(reply, result.response);
  };
}

/**
 * The accepted outcome {@link fastifyProtect} recorded for a request, or `undefined`.
 *
 * @see RFC 5849 §3.2
 * @example
 * ```ts
 * const access = oauthOf<ResourceAccess>(req);
 * ```
 */
export function oauthOf<R>(req: FastifyRequest): R | undefined {
  return outcomes.get(req) as R | undefined;
}
