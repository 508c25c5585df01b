/**
 * The Fetch API adapter: Web `Request` in, Web `Response` out, for runtimes that speak them
 * (Deno, Bun, workers, Hono, Next.js route handlers). Imports nothing from `node:`.
 */

import type { Endpoint, OAuthRequest, OAuthResponse } from '../http.js';
import { joinChunks } from '../http.js';

/**
 * Options of the Fetch API adapter.
 *
 * @see RFC 5849 §3.4.1
 */
export interface FetchAdapterOptions {
  /** Most body bytes read; a longer body is cut at one byte more (the endpoint answers 400). */
  readonly maxBodyBytes?: number | undefined;
}

/**
 * Reads a Fetch API `Request` into the plain request endpoints take. The URL stays
 * absolute; endpoints with a `publicUrl` sign against it instead of the request's origin.
 *
 * @see RFC 5849 §3.4.1
 * @example
 * ```ts
 * const response = toFetchResponse(await requestToken(await fromFetchRequest(request)));
 * ```
 */
export async function fromFetchRequest(
  request: Request,
  options: FetchAdapterOptions = {},
): Promise<OAuthRequest> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = await readBody(request, options.maxBodyBytes ?? 1024 * 1024);
  return { method: request.method, url: request.url, headers, body };
}

async function readBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  if (request.body === null) return undefined;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > limit) {
      chunks.push(value.subarray(0, limit + 1 - size));
      size = limit + 1;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  return joinChunks(chunks, size);
}

/**
 * Turns an endpoint's answer into a Fetch API `Response`.
 *
 * @see RFC 5849 §2
 * @example
 * ```ts
 * return toFetchResponse(await accessToken(await fromFetchRequest(request)));
 * ```
 */
export function toFetchResponse(response: OAuthResponse): Response {
  return new Response(response.body, { status: response.status, headers: response.headers });
}

/**
 * A `(Request) => Promise<Response>` handler for one endpoint.
 *
 * @see RFC 5849 §2
 * @example
 * ```ts
 * export default { fetch: fetchEndpoint(createRequestTokenEndpoint({ store, publicUrl })) };
 * ```
 */
export function fetchEndpoint(
  endpoint: Endpoint,
  options: FetchAdapterOptions = {},
): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      return toFetchResponse(await endpoint(await fromFetchRequest(request, options)));
    } catch {
      // Only reading the body can fail here (the client went away).
      return new Response('Could not read the request.', { status: 400 });
    }
  };
}

/**
 * Checks a Fetch API request with the protected-resource or signature-only check, and
 * returns the outcome with the request read (its body is consumed; use `request.body`).
 *
 * @see RFC 5849 §3.2
 * @example
 * ```ts
 * const { result } = await fetchAuthenticate(protect, request);
 * if (!result.ok) return toFetchResponse(result.response);
 * ```
 */
export async function fetchAuthenticate<R>(
  check: (request: OAuthRequest) => Promise<R>,
  request: Request,
  options: FetchAdapterOptions = {},
): Promise<{ readonly result: R; readonly request: OAuthRequest }> {
  const read = await fromFetchRequest(request, options);
  return { result: await check(read), request: read };
}
