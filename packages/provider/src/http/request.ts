import type { OAuthRequest } from '@signet/server';
import type { FastifyRequest } from 'fastify';
import { oauthRequestOf } from '../app.js';

/**
 * The request as the endpoints take it, with every Authorization header it carried. node:http
 * keeps the first of repeated Authorization headers and silently drops the rest, so a request
 * whose credentials are ambiguous would be judged on one of them; given them all, the
 * endpoints refuse it (400 `More than one Authorization header.`).
 */
export function signedRequestOf(req: FastifyRequest): OAuthRequest {
  const request = oauthRequestOf(req);
  const raw = req.raw.rawHeaders;
  const all: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.length === 13 && raw[i]!.toLowerCase() === 'authorization') all.push(raw[i + 1]!);
  }
  if (all.length < 2) return request;
  return { ...request, headers: { ...request.headers, authorization: all } };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A raw body as text: `''` when there is none, `undefined` when it is not valid UTF-8 (which
 * a lenient decoding would silently turn into U+FFFD and store).
 */
export function utf8Body(body: unknown): string | undefined {
  if (!(body instanceof Uint8Array)) return '';
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}
