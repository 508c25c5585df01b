import { quoteRealm } from './authorization_header.js';
import { baseStringPrefix, signatureBaseString } from './base_string.js';
import type { KeyLike } from './crypto.js';
import { percentDecode, percentEncode, percentEncodeTwice } from './encoding.js';
import {
  type Clock,
  generateNonce,
  type NonceGenerator,
  systemClock,
  timestampOf,
} from './nonce.js';
import { encodeAgain, joinEncoded, type Param, parseFormEncoded } from './parameters.js';
import { queryOf } from './request.js';
import type { SignatureKeys, SignatureMethod } from './signature/method.js';
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
  /** `realm` of the Authorization header; not signed (§3.4.1.3.1). */
  readonly realm?: string;
}

/** The result of {@link signRequest}. */
export interface SignedRequest {
  /** The protocol parameters to send, `oauth_signature` last. */
  readonly oauthParams: Param[];
  /** `oauth_signature`. */
  readonly signature: string;
  /**
   * The Authorization header value carrying `oauthParams` (and `realm`, when given), built
   * from the same encodings the base string used.
   */
  readonly authorization: string;
  /** The base string that was signed (`''` for PLAINTEXT, which signs none). */
  readonly baseString: string;
}

/**
 * Signs a request: builds the protocol parameters (consumer key, token, method, timestamp,
 * nonce, version, callback, verifier, body hash), the base string over them plus the URL
 * query and form parameters, and the signature. Pure apart from the clock and nonce.
 *
 * Send `authorization` as the Authorization header, or put `oauthParams` in the query or
 * form body.
 *
 * @see RFC 5849 §3.1
 * @throws {OAuthError} `ERR_OAUTH_SIGNATURE_METHOD`, `ERR_OAUTH_KEY`, `ERR_OAUTH_URL`,
 *   `ERR_OAUTH_ENCODING`.
 * @example
 * ```ts
 * const { authorization } = signRequest({
 *   method: 'GET', url: 'https://api.example.com/1/me?x=1',
 *   consumerKey: 'key', consumerSecret: 'secret', token: 't', tokenSecret: 'ts',
 * })
 * fetch(url, { headers: { authorization } })
 * ```
 */
export function signRequest(options: SignRequestOptions): SignedRequest {
  const p = prepare(options);
  return finish(p, p.method.sign(p.baseString, options), options.realm);
}

/**
 * {@link signRequest} through the method's asynchronous path (`signAsync`): Web Crypto on
 * browsers, workers, Deno and Bun, where RSA has no synchronous path; node:crypto on Node.
 * Same options, same result.
 *
 * @see RFC 5849 §3.1
 * @throws {OAuthError} as {@link signRequest} (the promise rejects).
 * @example
 * ```ts
 * const { authorization } = await signRequestAsync({ method: 'GET', url, consumerKey, privateKey, signatureMethod: 'RSA-SHA256' })
 * ```
 */
export async function signRequestAsync(options: SignRequestOptions): Promise<SignedRequest> {
  const p = prepare(options);
  const signature =
    p.method.signAsync === undefined
      ? p.method.sign(p.baseString, options)
      : await p.method.signAsync(p.baseString, options);
  return finish(p, signature, options.realm);
}

/** What signing needs once the signature is known. */
interface Prepared {
  readonly method: SignatureMethod;
  readonly names: string[];
  readonly values: string[];
  readonly encoded: string[];
  readonly builtIn: number;
  readonly baseString: string;
}

function prepare(options: SignRequestOptions): Prepared {
  const methodName = options.signatureMethod ?? 'HMAC-SHA1';
  const method = (options.registry ?? defaultSignatureMethods).require(methodName);
  // Protocol parameters: names (already encoded) and values, each value encoded once and
  // used twice, in the base string and in the header.
  const names = ['oauth_consumer_key', 'oauth_signature_method', 'oauth_timestamp', 'oauth_nonce'];
  const values = [
    options.consumerKey,
    methodName,
    options.timestamp ?? timestampOf(options.clock ?? systemClock),
    options.nonce ?? (options.nonceGenerator ?? generateNonce)(),
  ];
  if (options.version !== false) add(names, values, 'oauth_version', '1.0');
  if (options.token !== undefined) add(names, values, 'oauth_token', options.token);
  if (options.callback !== undefined) add(names, values, 'oauth_callback', options.callback);
  if (options.verifier !== undefined) add(names, values, 'oauth_verifier', options.verifier);
  if (options.bodyHash !== undefined) add(names, values, 'oauth_body_hash', options.bodyHash);
  // Names before this index are ours, constant and unreserved; the extras' are encoded.
  const builtIn = names.length;
  if (options.extraOAuthParams !== undefined) {
    for (const [n, v] of options.extraOAuthParams) add(names, values, percentEncode(n), v);
  }
  // One pass over the protocol parameters: encode each value once, for the header, and
  // (with % as %25) for the base string; built-in names need neither step.
  const count = names.length;
  const encoded = new Array<string>(count);
  const baseNames: string[] = new Array(count);
  const baseValues: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    const e = percentEncode(v);
    encoded[i] = e;
    baseValues[i] = e === v ? e : e.replaceAll('%', '%25');
    baseNames[i] = i < builtIn ? names[i]! : encodeAgain(names[i]!);
  }

  let baseString = '';
  if (method.usesBaseString) {
    const query = queryOf(options.url);
    if (query !== '') {
      for (const [n, v] of parseFormEncoded(query)) {
        add(baseNames, baseValues, percentEncodeTwice(n), percentEncodeTwice(v));
      }
    }
    if (options.params !== undefined) {
      for (const [n, v] of options.params) {
        add(baseNames, baseValues, percentEncodeTwice(n), percentEncodeTwice(v));
      }
    }
    baseString =
      baseStringPrefix(options.method, options.url) + joinEncoded(baseNames, baseValues, true);
  }
  return { method, names, values, encoded, builtIn, baseString };
}

function finish(p: Prepared, signature: string, realm: string | undefined): SignedRequest {
  const { names, values, encoded, builtIn, baseString } = p;
  const count = names.length;
  let authorization = realm === undefined ? 'OAuth ' : `OAuth ${quoteRealm(realm)}, `;
  const oauthParams: Param[] = new Array(count + 1);
  for (let i = 0; i < count; i++) {
    authorization += `${names[i]!}="${encoded[i]!}", `;
    oauthParams[i] = [i < builtIn ? names[i]! : percentDecode(names[i]!), values[i]!];
  }
  authorization += `oauth_signature="${percentEncode(signature)}"`;
  oauthParams[count] = ['oauth_signature', signature];
  return { oauthParams, signature, baseString, authorization };
}

function add(names: string[], values: string[], name: string, value: string): void {
  names.push(name);
  values.push(value);
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

/**
 * {@link verifySignature} through the method's asynchronous path (`verifyAsync`): Web Crypto
 * on browsers, workers, Deno and Bun; node:crypto on Node.
 *
 * @see RFC 5849 §3.2
 * @throws {OAuthError} as {@link verifySignature} (the promise rejects).
 */
export async function verifySignatureAsync(options: VerifySignatureOptions): Promise<boolean> {
  const method = (options.registry ?? defaultSignatureMethods).require(options.signatureMethod);
  const baseString = method.usesBaseString
    ? signatureBaseString(options.method, options.url, options.params)
    : '';
  return method.verifyAsync === undefined
    ? method.verify(baseString, options.signature, options.keys)
    : method.verifyAsync(baseString, options.signature, options.keys);
}
