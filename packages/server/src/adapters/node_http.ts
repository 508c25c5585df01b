/**
 * The node:http adapter: turns an `IncomingMessage` into an `OAuthRequest` and an
 * `OAuthResponse` into a `ServerResponse`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint, OAuthHeaders, OAuthRequest, OAuthResponse } from '../http.js';
import { joinChunks } from '../http.js';

/**
 * Options of the node:http adapter.
 *
 * @see RFC 5849 §3.4.1
 */
export interface NodeAdapterOptions {
  /**
   * Most body bytes read; a longer body is cut at one byte more, so that the endpoint
   * answers 400, and the rest is discarded unread. Default 1 MiB, the endpoints' default.
   */
  readonly maxBodyBytes?: number | undefined;
}

const DEFAULT_MAX_BODY = 1024 * 1024;

/**
 * Reads a node:http request (headers and body) into the plain request endpoints take.
 *
 * @see RFC 5849 §3.4.1
 * @example
 * ```ts
 * http.createServer(async (req, res) => {
 *   const request = await fromNodeRequest(req);
 *   sendNodeResponse(res, await requestToken(request));
 * });
 * ```
 */
export async function fromNodeRequest(
  req: IncomingMessage,
  options: NodeAdapterOptions = {},
): Promise<OAuthRequest> {
  const body = await readBody(req, options.maxBodyBytes ?? DEFAULT_MAX_BODY);
  return { method: req.method ?? 'GET', url: req.url ?? '/', headers: nodeHeaders(req), body };
}

/**
 * The headers of a node:http request. node keeps only the first of repeated
 * `Authorization` and `Content-Type` headers; they come back here as lists so that the
 * endpoint can refuse the ambiguity.
 * @internal
 */
export function nodeHeaders(req: IncomingMessage): OAuthHeaders {
  // A scan of the raw list is cheaper than `headersDistinct`, which builds a map of every
  // header; and when nothing repeats, as almost always, node's own object serves as is.
  const raw = req.rawHeaders;
  const auth: string[] = [];
  const type: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') auth.push(raw[i + 1]!);
    else if (name.length === 12 && name.toLowerCase() === 'content-type') type.push(raw[i + 1]!);
  }
  if (auth.length < 2 && type.length < 2) return req.headers;
  const headers: Record<string, string | readonly string[] | undefined> = { ...req.headers };
  if (auth.length > 1) headers['authorization'] = auth;
  if (type.length > 1) headers['content-type'] = type;
  return headers;
}

/** @internal Reads a body stream, stopping one byte past the limit. */
export async function readBody(
  stream: AsyncIterable<unknown> & { resume?: () => unknown },
  limit: number,
): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes =
      typeof chunk === 'string' ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
    if (size + bytes.length > limit) {
      chunks.push(bytes.subarray(0, limit + 1 - size));
      size = limit + 1;
      // Let the rest drain unread so that the answer can still be sent.
      stream.resume?.();
      break;
    }
    chunks.push(bytes);
    size += bytes.length;
  }
  return joinChunks(chunks, size);
}

/**
 * Writes an endpoint's answer to a node:http response.
 *
 * @see RFC 5849 §2
 * @example
 * ```ts
 * sendNodeResponse(res, await accessToken(await fromNodeRequest(req)));
 * ```
 */
export function sendNodeResponse(res: ServerResponse, response: OAuthResponse): void {
  res.writeHead(response.status, response.headers);
  res.end(response.body);
}

/**
 * A node:http request listener for one endpoint.
 *
 * @see RFC 5849 §2
 * @example
 * ```ts
 * http.createServer(nodeEndpoint(createRequestTokenEndpoint({ store, publicUrl })));
 * ```
 */
export function nodeEndpoint(
  endpoint: Endpoint,
  options: NodeAdapterOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    fromNodeRequest(req, options)
      .then(endpoint)
      .then(
        (response) => sendNodeResponse(res, response),
        () => {
          // Only the socket can fail here (the endpoint never throws).
          if (!res.headersSent) res.writeHead(400).end();
        },
      );
  };
}

/**
 * Checks a node:http request with the protected-resource or signature-only check, and
 * returns the outcome together with the request read (so the application can use its body).
 *
 * @see RFC 5849 §3.2
 * @example
 * ```ts
 * const { result, request } = await nodeAuthenticate(protect, req);
 * if (!result.ok) return sendNodeResponse(res, result.response);
 * ```
 */
export async function nodeAuthenticate<R>(
  check: (request: OAuthRequest) => Promise<R>,
  req: IncomingMessage,
  options: NodeAdapterOptions = {},
): Promise<{ readonly result: R; readonly request: OAuthRequest }> {
  const request = await fromNodeRequest(req, options);
  return { result: await check(request), request };
}
