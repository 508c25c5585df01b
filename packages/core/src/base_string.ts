import { percentEncode } from './encoding.js';
import { OAuthError } from './errors.js';
import { encodedNormalizedParameters, type Param } from './parameters.js';

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
// RFC 9110 token: what an HTTP method may be. Keeps the base string ASCII.
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// The usual methods need no check, upper-casing or encoding: look their prefix up.
const COMMON_METHODS: Readonly<Record<string, string>> = Object.assign(Object.create(null), {
  GET: 'GET&',
  POST: 'POST&',
  PUT: 'PUT&',
  DELETE: 'DELETE&',
  PATCH: 'PATCH&',
  HEAD: 'HEAD&',
  get: 'GET&',
  post: 'POST&',
  put: 'PUT&',
  delete: 'DELETE&',
  patch: 'PATCH&',
  head: 'HEAD&',
});
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/**
 * The base string URI of a request: scheme and host in lower case, the port only when it is
 * not the scheme's default, the path as sent (empty becomes `/`), no query, no fragment, no
 * user information.
 *
 * The path is kept byte for byte: parsing through WHATWG `URL` would re-encode it and break
 * signatures made by clients that sent it otherwise.
 *
 * @see RFC 5849 §3.4.1.2
 * @throws {OAuthError} `ERR_OAUTH_URL` for a URL that is not absolute.
 * @example
 * ```ts
 * baseStringUri('HTTP://Example.com:80/r%20v/X?id=1') // 'http://example.com/r%20v/X'
 * ```
 */
export function baseStringUri(url: string | URL): string {
  const s = typeof url === 'string' ? url : url.href;
  const colon = s.indexOf('://');
  // http and https in lower case, nearly every URL, skip the scheme's check and lower-casing.
  let scheme: string;
  if (colon === 5 && s.startsWith('https')) scheme = 'https';
  else if (colon === 4 && s.startsWith('http')) scheme = 'http';
  else if (colon <= 0 || !SCHEME.test(s.slice(0, colon))) {
    throw new OAuthError('ERR_OAUTH_URL', 'Not an absolute URL.');
  } else scheme = s.slice(0, colon).toLowerCase();
  const start = colon + 3;
  // The authority ends at the first "/", "?" or "#"; the path at the first "?" or "#".
  let end = start;
  while (end < s.length) {
    const c = s.charCodeAt(end);
    if (c === 0x2f || c === 0x3f || c === 0x23) break;
    end++;
  }
  let pathEnd = end;
  while (pathEnd < s.length) {
    const c = s.charCodeAt(pathEnd);
    if (c === 0x3f || c === 0x23) break;
    pathEnd++;
  }
  let authority = s.slice(start, end);
  const at = authority.lastIndexOf('@');
  if (at !== -1) authority = authority.slice(at + 1);
  let host = authority;
  let port = '';
  // A colon after the closing bracket of an IPv6 literal, or any colon otherwise, starts a port.
  const portColon = authority.lastIndexOf(':');
  if (portColon !== -1 && portColon > authority.lastIndexOf(']')) {
    host = authority.slice(0, portColon);
    port = authority.slice(portColon + 1);
    if (!/^[0-9]*$/.test(port)) throw new OAuthError('ERR_OAUTH_URL', 'Invalid port in URL.');
    port = port.replace(/^0+(?=\d)/, '');
  }
  if (host === '') throw new OAuthError('ERR_OAUTH_URL', 'URL has no host.');
  host = host.toLowerCase();
  const path = pathEnd === end ? '/' : s.slice(end, pathEnd);
  if (port === '' || DEFAULT_PORTS[scheme] === port) return `${scheme}://${host}${path}`;
  return `${scheme}://${host}:${port}${path}`;
}

/**
 * The signature base string: `METHOD&encoded-base-uri&encoded-normalised-parameters`.
 *
 * `params` are all the request's parameters (query, form body, oauth protocol parameters);
 * `oauth_signature` is ignored if present, and `realm` must not be among them.
 *
 * @see RFC 5849 §3.4.1
 * @throws {OAuthError} `ERR_OAUTH_URL` for a URL that is not absolute,
 *   `ERR_OAUTH_INVALID_REQUEST` for a method that is not an HTTP token.
 * @example
 * ```ts
 * signatureBaseString('GET', 'http://example.com', [['n', 'v']])
 * // 'GET&http%3A%2F%2Fexample.com%2F&n%3Dv'
 * ```
 */
export function signatureBaseString(
  method: string,
  url: string | URL,
  params: Iterable<Param>,
): string {
  return baseStringPrefix(method, url) + encodedNormalizedParameters(params);
}

/**
 * `METHOD&encoded-base-uri&`: the base string up to its parameters.
 * @internal
 */
export function baseStringPrefix(method: string, url: string | URL): string {
  const common = COMMON_METHODS[method];
  if (common !== undefined) return common + encodedBaseStringUri(url) + '&';
  if (!METHOD_TOKEN.test(method)) {
    throw new OAuthError('ERR_OAUTH_INVALID_REQUEST', 'Invalid HTTP method.');
  }
  // §3.4.1.1: a custom method is encoded too; GET, POST ... come back from the fast path as is.
  return percentEncode(method.toUpperCase()) + '&' + encodedBaseStringUri(url) + '&';
}

// A client calls the same few endpoints over and over, and a server serves the same few
// paths: remember their encoded base string URIs, by the URL without query and fragment
// (which the base string URI leaves out, and which change from call to call). Bounded, so
// a flood of distinct URLs only costs a clear.
const URI_CACHE_LIMIT = 256;
const encodedUris = new Map<string, string>();

function encodedBaseStringUri(url: string | URL): string {
  if (typeof url !== 'string') return percentEncode(baseStringUri(url));
  let end = url.indexOf('?');
  const hash = url.indexOf('#');
  if (hash !== -1 && (end === -1 || hash < end)) end = hash;
  const key = end === -1 ? url : url.slice(0, end);
  let encoded = encodedUris.get(key);
  if (encoded === undefined) {
    encoded = percentEncode(baseStringUri(key));
    if (encodedUris.size >= URI_CACHE_LIMIT) encodedUris.clear();
    encodedUris.set(key, encoded);
  }
  return encoded;
}
