import {
  type AuthorizationHeader,
  isOAuthAuthorization,
  parseOAuthCredentials,
} from './authorization_header.js';
import { OAuthError } from './errors.js';
import {
  cleanOf,
  isFormContentType,
  type Param,
  parseFormEncoded,
  rememberClean,
} from './parameters.js';

/** The parts of an HTTP request that OAuth signs. */
export interface RequestParts {
  /** HTTP method. */
  readonly method: string;
  /** Absolute URL as the client addressed it, query included. */
  readonly url: string | URL;
  /** The Authorization header value, if any. */
  readonly authorization?: string | null | undefined;
  /** The Content-Type header value, if any. */
  readonly contentType?: string | null | undefined;
  /** The raw body. Only a form-encoded body contributes parameters. */
  readonly body?: string | Uint8Array | null | undefined;
}

/** A request's parameters, by where they were found. */
export interface CollectedParameters {
  /** The `OAuth` Authorization header, or `undefined` when there was none. */
  readonly header: AuthorizationHeader | undefined;
  /** Parameters of the URL query. */
  readonly query: Param[];
  /** Parameters of a form-encoded body; empty for any other body. */
  readonly body: Param[];
}

/**
 * The query of a URL, without `?` and fragment, or `''`.
 * @internal
 */
export function queryOf(url: string | URL): string {
  if (typeof url !== 'string') return url.search.slice(1);
  const hash = url.indexOf('#');
  const q = url.indexOf('?');
  if (q === -1 || (hash !== -1 && hash < q)) return '';
  return hash === -1 ? url.slice(q + 1) : url.slice(q + 1, hash);
}

/**
 * Collects a request's parameters from its three sources: the Authorization header (when
 * its scheme is `OAuth`), the query, and a form-encoded body (any `charset`).
 *
 * @see RFC 5849 §3.4.1.3.1
 * @throws {OAuthError} `ERR_OAUTH_HEADER` or `ERR_OAUTH_ENCODING` for malformed input.
 */
export function collectParameters(request: RequestParts): CollectedParameters {
  const header = isOAuthAuthorization(request.authorization)
    ? parseOAuthCredentials(request.authorization)
    : undefined;
  const query = parseFormEncoded(queryOf(request.url));
  let body: Param[] = [];
  if (request.body != null && isFormContentType(request.contentType)) {
    body = parseFormEncoded(
      typeof request.body === 'string' ? request.body : decodeUtf8(request.body),
    );
  }
  return { header, query, body };
}

/**
 * Every parameter the signature covers, in a single list: header (without `realm`), query,
 * then body. `oauth_signature` stays in; the base string leaves it out.
 *
 * @see RFC 5849 §3.4.1.3.1
 */
export function signedParameters(collected: CollectedParameters): Param[] {
  const header = collected.header?.params;
  const out: Param[] = header !== undefined ? header.slice() : [];
  for (const p of collected.query) out.push(p);
  for (const p of collected.body) out.push(p);
  // The header's parameters keep their positions, and what the parser learnt of them.
  const clean = header !== undefined ? cleanOf(header) : undefined;
  if (clean !== undefined) rememberClean(out, clean);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// Clients that skip escaping send raw UTF-8 in forms; anything that is not UTF-8 is a 400.
function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch (cause) {
    throw new OAuthError('ERR_OAUTH_ENCODING', 'Form body is not UTF-8.', { cause });
  }
}
