/**
 * The Express adapter (Express 4 and 5). Mount OAuth routes before any body parser, or
 * behind `express.raw({ type: '*\/*' })`: signatures cover the body as sent, and
 * `oauth_body_hash` needs its exact bytes. A form body already parsed by
 * `express.urlencoded()` is re-encoded from its fields, which keeps the parameters but not
 * the bytes.
 */
import { formEncode, type Param } from '@signet/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Endpoint, OAuthRequest, OAuthResponse } from '../http.js';
import { nodeHeaders, readBody } from './node_http.js';

/**
 * Options of the Express adapter.
 *
 * @see RFC 5849 §3.4.1
 */
export interface ExpressAdapterOptions {
  /** Most body bytes read when the adapter reads the body itself. Default 1 MiB. */
  readonly maxBodyBytes?: number | undefined;
}

/**
 * Reads an Express request into the plain request endpoints take. The URL is
 * `originalUrl`, the path the client addressed even under a mounted router.
 *
 * @see RFC 5849 §3.4.1
 * @example
 * ```ts
 * app.post('/oauth/request_token', async (req, res) => {
 *   sendExpressResponse(res, await requestToken(await fromExpressRequest(req)));
 * });
 * ```
 */
export async function fromExpressRequest(
  req: Request,
  options: ExpressAdapterOptions = {},
): Promise<OAuthRequest> {
  const parsed: unknown = req.body;
  let body: string | Uint8Array | undefined;
  if (typeof parsed === 'string' || parsed instanceof Uint8Array) {
    body = parsed;
  } else if (!req.readableEnded && parsed === undefined) {
    body = await readBody(req, options.maxBodyBytes ?? 1024 * 1024);
  } else if (parsed !== null && typeof parsed === 'object') {
    body = formEncode(flatten(parsed as Record<string, unknown>));
  }
  return { method: req.method, url: req.originalUrl, headers: nodeHeaders(req), body };
}

function flatten(fields: Record<string, unknown>): Param[] {
  const out: Param[] = [];
  for (const [name, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'string') out.push([name, v]);
    }
  }
  return out;
}

/**
 * Writes an endpoint's answer with Express.
 *
 * @see RFC 5849 §2
 * @example
 * ```ts
 * sendExpressResponse(res, await accessToken(await fromExpressRequest(req)));
 * ```
 */
export function sendExpressResponse(res: Response, response: OAuthResponse): void {
  res.status(response.status).set(response.headers).send(response.body);
}

/**
 * An Express handler for one endpoint.
 *
 * @see RFC 5849 §2
 * @example
 * ```ts
 * app.post('/oauth/request_token', expressEndpoint(createRequestTokenEndpoint({ store, publicUrl })));
 * ```
 */
export function expressEndpoint(
  endpoint: Endpoint,
  options: ExpressAdapterOptions = {},
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    fromExpressRequest(req, options)
      .then(endpoint)
      .then((response) => sendExpressResponse(res, response), next);
  };
}

/**
 * Express middleware that lets through only requests the check accepts: the outcome goes
 * to `res.locals.oauth` (with the request read at `res.locals.oauthRequest`), and a refused
 * request gets the check's error answer.
 *
 * @see RFC 5849 §3.2
 * @example
 * ```ts
 * app.get('/api/whoami', expressProtect(createResourceEndpoint({ store, publicUrl })), (req, res) => {
 *   res.json({ user: res.locals.oauth.userId });
 * });
 * ```
 */
export function expressProtect<
  R extends { readonly ok: boolean } & (
    | { readonly ok: true }
    | { readonly response: OAuthResponse }
  ),
>(
  check: (request: OAuthRequest) => Promise<R>,
  options: ExpressAdapterOptions = {},
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    fromExpressRequest(req, options)
      .then(async (request) => {
        const result = await check(request);
        if (result.ok) {
          res.locals['oauth'] = result;
          res.locals['oauthRequest'] = request;
          next();
        } else if ('response' in result) {
          sendExpressResponse(res, result.response);
        }
      })
      .catch(next);
  };
}
