/**
 * The plain request and response every endpoint speaks. Adapters translate their framework's
 * objects to and from these, so that the protocol code never sees a framework.
 */

/**
 * Request headers keyed by lower-case name, as `node:http` gives them.
 *
 * @see RFC 5849 §3.5.1
 */
export type OAuthHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * A request as an endpoint sees it.
 *
 * @see RFC 5849 §3.4.1
 * @example
 * ```ts
 * const request: OAuthRequest = {
 *   method: 'POST',
 *   url: '/oauth/request_token',
 *   headers: { authorization: 'OAuth oauth_consumer_key="k", ...' },
 *   body: '',
 * };
 * ```
 */
export interface OAuthRequest {
  /** HTTP method, any case. */
  readonly method: string;
  /**
   * The request target: a path with its query (`/api/x?y=1`, what `node:http` gives) or an
   * absolute URL. Only its path and query are signed against the endpoint's `publicUrl`.
   */
  readonly url: string;
  /** Headers, names in lower case. */
  readonly headers: OAuthHeaders;
  /** The raw body. Only a form-encoded body contributes parameters (§3.4.1.3.1). */
  readonly body?: string | Uint8Array | null | undefined;
}

/**
 * What an endpoint answers. `body` is always text: form-encoded credentials, JSON, or an
 * error message.
 *
 * @see RFC 5849 §2
 */
export interface OAuthResponse {
  /** HTTP status. */
  readonly status: number;
  /** Response headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** Response body. */
  readonly body: string;
}

/**
 * The first value of a header, or `undefined`.
 * @internal
 */
export function headerValue(headers: OAuthHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  return v[0];
}

/**
 * Whether the request prefers a JSON answer (`Accept: application/json`), as Launchpad's
 * `/+request-token` clients ask.
 *
 * @see RFC 5849 §2.1
 * @example
 * ```ts
 * acceptsJson({ method: 'GET', url: '/', headers: { accept: 'application/json' } }) // true
 * ```
 */
export function acceptsJson(request: OAuthRequest): boolean {
  const accept = headerValue(request.headers, 'accept');
  if (typeof accept !== 'string') return false;
  return accept.toLowerCase().includes('application/json');
}

/**
 * An endpoint: takes a plain request and always answers; it never throws.
 *
 * @see RFC 5849 §2
 */
export type Endpoint = (request: OAuthRequest) => Promise<OAuthResponse>;

/**
 * The chunks of a body read by an adapter as one array; `undefined` for no body.
 * @internal
 */
export function joinChunks(chunks: readonly Uint8Array[], size: number): Uint8Array | undefined {
  if (size === 0) return undefined;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
