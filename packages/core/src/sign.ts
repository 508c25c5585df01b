import { signatureBaseString } from './base_string.js';
import type { KeyLike } from './crypto.js';
import {
  type Clock,
  generateNonce,
  type NonceGenerator,
  systemClock,
  timestampOf,
} from './nonce.js';
import { type Param, parseFormEncoded } from './parameters.js';
import { queryOf } from './request.js';
import type { SignatureKeys } from './signature/method.js';
import { defaultSignatureMethods, type SignatureMethodRegistry } from './signature/registry.js';

/** Who signs: the client credentials and, once there is one, the token. */
export interface OAuthCredentials {
  /** `oauth_consumer_key`. */
  readonly consumerKey: string;
  /** The client shared secret (HMAC, PLAINTEXT). */
  readonly consumerSecret?: string;
  /** `oauth_token`: a request token or an access token. Omit for two-legged calls. */
  readonly token?: string;
  /** The token shared secret. */
  readonly tokenSecret?: string;
  /** RSA private key, for the RSA methods. */
  readonly privateKey?: KeyLike;
}

/** Options of {@link signRequest}. */
export interface SignRequestOptions extends OAuthCredentials {
  /** HTTP method. */
  readonly method: string;
  /** Absolute URL, query included; the query is signed. */
  readonly url: string | URL;
  /** Form-encoded body parameters (only those; other bodies are covered by `bodyHash`). */
  readonly params?: Iterable<Param>;
  /** `oauth_signature_method`; `HMAC-SHA1` by default. */
  readonly signatureMethod?: string;
  /** `oauth_callback` (request-token step). */
  readonly callback?: string;
  /** `oauth_verifier` (access-token step). */
  readonly verifier?: string;
  /** `oauth_body_hash`, see {@link bodyHash}. */
  readonly bodyHash?: string;
  /** Send `oauth_version="1.0"` (optional on the wire, §3.1); `true` by default. */
  readonly version?: boolean;
  /** Further protocol parameters to sign and send (`xoauth_*`, `oauth_session_handle` ...). */
  readonly extraOAuthParams?: Iterable<Param>;
  /** Fixed `oauth_nonce`, for tests. */
  readonly nonce?: string;
  /** Fixed `oauth_timestamp`, for tests. */
  readonly timestamp?: string;
  /** Clock for the timestamp. */
  readonly clock?: Clock;
  /** Nonce source. */
  readonly nonceGenerator?: NonceGenerator;
  /** Where signature methods are looked up. */
  readonly registry?: SignatureMethodRegistry;
}

/** The result of {@link signRequest}. */
export interface SignedRequest {
  /** The protocol parameters to send, `oauth_signature` last. */
  readonly oauthParams: Param[];
  /** `oauth_signature`. */
  readonly signature: string;
  /** The base string that was signed (`''` for PLAINTEXT, which signs none). */
  readonly baseString: string;
}

/**
 * Signs a request: builds the protocol parameters (consumer key, token, method, timestamp,
 * nonce, version, callback, verifier, body hash), the base string over them plus the URL
 * query and form parameters, and the signature. Pure apart from the clock and nonce.
 *
 * Send the result with {@link serializeAuthorizationHeader}, or put `oauthParams` in the
 * query or form body.
 *
 * @see RFC 5849 §3.1
 * @throws {OAuthError} `ERR_OAUTH_SIGNATURE_METHOD`, `ERR_OAUTH_KEY`, `ERR_OAUTH_URL`,
 *   `ERR_OAUTH_ENCODING`.
 * @example
 * ```ts
 * const { oauthParams } = signRequest({
 *   method: 'GET', url: 'https://api.example.com/1/me?x=1',
 *   consumerKey: 'key', consumerSecret: 'secret', token: 't', tokenSecret: 'ts',
 * })
 * fetch(url, { headers: { authorization: serializeAuthorizationHeader(oauthParams) } })
 * ```
 */
export function signRequest(options: SignRequestOptions): SignedRequest {
  const methodName = options.signatureMethod ?? 'HMAC-SHA1';
  const method = (options.registry ?? defaultSignatureMethods).require(methodName);
  const oauthParams: Param[] = [
    ['oauth_consumer_key', options.consumerKey],
    ['oauth_signature_method', methodName],
    ['oauth_timestamp', options.timestamp ?? timestampOf(options.clock ?? systemClock)],
    ['oauth_nonce', options.nonce ?? (options.nonceGenerator ?? generateNonce)()],
  ];
  if (options.version !== false) oauthParams.push(['oauth_version', '1.0']);
  if (options.token !== undefined) oauthParams.push(['oauth_token', options.token]);
  if (options.callback !== undefined) oauthParams.push(['oauth_callback', options.callback]);
  if (options.verifier !== undefined) oauthParams.push(['oauth_verifier', options.verifier]);
  if (options.bodyHash !== undefined) oauthParams.push(['oauth_body_hash', options.bodyHash]);
  if (options.extraOAuthParams !== undefined) {
    for (const p of options.extraOAuthParams) oauthParams.push(p);
  }
  const keys: SignatureKeys = options;
  let baseString = '';
  if (method.usesBaseString) {
    const all = oauthParams.slice();
    const query = queryOf(options.url);
    if (query !== '') for (const p of parseFormEncoded(query)) all.push(p);
    if (options.params !== undefined) for (const p of options.params) all.push(p);
    baseString = signatureBaseString(options.method, options.url, all);
  }
  const signature = method.sign(baseString, keys);
  oauthParams.push(['oauth_signature', signature]);
  return { oauthParams, signature, baseString };
}

/** Options of {@link verifySignature}. */
export interface VerifySignatureOptions {
  /** HTTP method. */
  readonly method: string;
  /** Absolute URL the client addressed (as the provider is known publicly). */
  readonly url: string | URL;
  /**
   * Every signed parameter: protocol parameters, query and form body (see
   * {@link signedParameters}). Do not add the URL's query again.
   */
  readonly params: Iterable<Param>;
  /** `oauth_signature_method` the client named. */
  readonly signatureMethod: string;
  /** `oauth_signature` the client sent. */
  readonly signature: string;
  /** Secrets or public key to verify with. */
  readonly keys: SignatureKeys;
  /** Where signature methods are looked up. */
  readonly registry?: SignatureMethodRegistry;
}

/**
 * Verifies a request's signature. HMAC and PLAINTEXT compare in constant time.
 *
 * @see RFC 5849 §3.2
 * @throws {OAuthError} `ERR_OAUTH_SIGNATURE_METHOD` for an unknown method, `ERR_OAUTH_URL`
 *   for a URL without a base string URI, `ERR_OAUTH_KEY` for RSA without a public key.
 */
export function verifySignature(options: VerifySignatureOptions): boolean {
  const method = (options.registry ?? defaultSignatureMethods).require(options.signatureMethod);
  const baseString = method.usesBaseString
    ? signatureBaseString(options.method, options.url, options.params)
    : '';
  return method.verify(baseString, options.signature, options.keys);
}
