/**
 * The checks every endpoint shares, in the order they run:
 *
 * 1. `prepare`: limits, the signed URL, parameter collection, where the protocol parameters
 *    are (one place only, each once). Malformed input stops here with a 400.
 * 2. `checkProtocol`: required parameters, `oauth_version`, the signature method, the
 *    timestamp window. All syntax or cheap arithmetic, answered before any lookup, so that
 *    nothing about stored keys can be learnt from them.
 * 3. `authenticate`: consumer and token lookups, then the signature, always computed, with a
 *    dummy secret (or dummy RSA key) standing in for an unknown consumer or token so that an
 *    unknown key costs the same time as a known one; only then is the outcome reported.
 * 4. `recordNonce`: only after the signature verified, so that nobody without the secrets can
 *    burn a legitimate client's nonces; before any state change, so a replay changes nothing.
 * 5. The endpoint's own state checks (expiry, revocation, review, verifier) and effect.
 *
 * @internal
 */
import {
  type CollectedParameters,
  collectParameters,
  cryptoBackendName,
  isFormContentType,
  OAuthError,
  type Param,
  type SignatureKeys,
  type SignatureMethod,
  signedParameters,
  timingSafeEqualString,
  verifyBodyHash,
  verifySignature,
  verifySignatureAsync,
} from '@signet/core';
import { dummyPublicKey } from './dummy_key.js';
import { isStoreUnavailable } from './errors.js';
import { headerValue, type OAuthRequest, type OAuthResponse } from './http.js';
import { ABSOLUTE, type Config, originRealm } from './options.js';
import { errorResponse, internalErrorResponse, reject, unavailableResponse } from './response.js';
import type { Consumer } from './store.js';

/**
 * A request that passed `prepare`.
 *
 * @internal
 */
export interface Prepared {
  readonly request: OAuthRequest;
  /** Upper-case method. */
  readonly method: string;
  /** The absolute URL the signature is checked against. */
  readonly url: string;
  /** `realm` for challenges. */
  readonly realm: string;
  /** `realm` of the Authorization header, if any. */
  readonly headerRealm: string | undefined;
  readonly collected: CollectedParameters;
  /** Every signed parameter. */
  readonly params: Param[];
  /** The protocol parameters, each present once. */
  readonly oauth: ReadonlyMap<string, string>;
  readonly isForm: boolean;
  readonly body: string | Uint8Array | undefined;
}

/**
 * What `checkProtocol` learnt.
 *
 * @internal
 */
export interface Checked {
  readonly consumerKey: string;
  /** `''` when the request carries no token. */
  readonly token: string;
  readonly method: SignatureMethod;
  readonly signature: string;
  /** Launchpad PLAINTEXT: no timestamp or nonce check. */
  readonly relaxed: boolean;
  readonly timestamp: string;
  readonly nonce: string;
}

/**
 * What the token rules of an endpoint are.
 *
 * @internal
 */
export type TokenRule = 'required' | 'forbidden' | 'optional';

const VERSIONS = new Set(['1.0', '1.0a', '1.0A']);
const METHOD = /^[A-Za-z]{1,20}$/;
const HOST = /^[A-Za-z0-9.\-_~%!$&'()*+,;=:[\]]{1,255}$/;
const TIMESTAMP = /^[0-9]{1,12}$/;
const MAX_NONCE = 255;
const CONTROL = /[\x00-\x1f\x7f]/;

const invalid = (message: string, problem?: 'parameter_absent' | 'parameter_rejected') =>
  reject(
    problem === 'parameter_absent' ? 'ERR_OAUTH_PARAMETER_ABSENT' : 'ERR_OAUTH_INVALID_REQUEST',
    message,
    400,
    problem,
  );

/** Parameter names in messages come from the client: clip them. */
const clip = (s: string): string =>
  (s.length > 40 ? s.slice(0, 40) + '...' : s).replace(/[^\x20-\x7e]/g, '?');

/**
 * Runs an endpoint body: prepares the request, turns every `OAuthError` into its answer and
 * a {@link StoreUnavailableError} into a 503 with `Retry-After`, and anything else into a
 * bare 500 (each after `onError`). Nothing escapes.
 *
 * @internal
 */
export async function run(
  config: Config,
  request: OAuthRequest,
  body: (prepared: Prepared) => Promise<OAuthResponse>,
): Promise<OAuthResponse> {
  let realm = config.realm ?? config.publicUrl ?? '';
  try {
    const prepared = prepare(config, request);
    realm = prepared.realm;
    return await body(prepared);
  } catch (error) {
    return answerError(config, realm, error);
  }
}

/**
 * The answer for anything thrown.
 *
 * @internal
 */
export function answerError(config: Config, realm: string, error: unknown): OAuthResponse {
  if (error instanceof OAuthError) return errorResponse(error, config, realm);
  try {
    config.onError?.(error);
  } catch {
    // A failing logger must not turn into an unanswered request.
  }
  return isStoreUnavailable(error) ? unavailableResponse(error) : internalErrorResponse();
}

/**
 * Step 1: limits, signed URL, parameters and where the protocol parameters are.
 *
 * @internal
 */
export function prepare(config: Config, request: OAuthRequest): Prepared {
  if (request === null || typeof request !== 'object') throw invalid('Not a request.');
  const { method: rawMethod, url: target, headers } = request;
  if (typeof rawMethod !== 'string' || !METHOD.test(rawMethod)) {
    throw invalid('Invalid HTTP method.');
  }
  if (typeof target !== 'string' || target.length === 0) throw invalid('Missing request URL.');
  if (target.length > config.limits.maxUrlLength) throw invalid('Request URL too long.');
  if (headers === null || typeof headers !== 'object') throw invalid('Invalid headers.');
  let headerBytes = 0;
  for (const name of Object.keys(headers)) {
    const v: unknown = headers[name];
    headerBytes += name.length;
    if (typeof v === 'string') headerBytes += v.length;
    else if (Array.isArray(v)) {
      for (const item of v as unknown[]) {
        if (typeof item !== 'string') throw invalid('Invalid header value.');
        headerBytes += item.length;
      }
    } else if (v !== undefined) throw invalid('Invalid header value.');
    if (headerBytes > config.limits.maxHeaderBytes) throw invalid('Request headers too large.');
  }
  const auth = headers['authorization'];
  if (Array.isArray(auth) && auth.length > 1) throw invalid('More than one Authorization header.');
  const contentTypeRaw = headers['content-type'];
  if (Array.isArray(contentTypeRaw) && contentTypeRaw.length > 1) {
    throw invalid('More than one Content-Type header.');
  }
  const authorization = headerValue(headers, 'authorization');
  const contentType = headerValue(headers, 'content-type');

  const rawBody: unknown = request.body;
  let body: string | Uint8Array | undefined;
  if (rawBody === undefined || rawBody === null) body = undefined;
  else if (typeof rawBody === 'string' || rawBody instanceof Uint8Array) body = rawBody;
  else throw invalid('Invalid request body.');
  if (body !== undefined && body.length > config.limits.maxBodyBytes) {
    throw invalid('Request body too large.');
  }

  const url = signedUrl(config, target, headerValue(headers, 'host'));
  const realm = config.fixedRealm ?? originRealm(url);
  const collected = collectParameters({
    method: rawMethod,
    url,
    authorization,
    contentType,
    body,
  });

  const oauth = new Map<string, string>();
  let where: string | undefined;
  if (collected.header) where = scanOAuth(oauth, collected.header.params, HEADER, where);
  where = scanOAuth(oauth, collected.query, 'the query', where);
  scanOAuth(oauth, collected.body, 'the body', where);

  return {
    request,
    method: rawMethod.toUpperCase(),
    url,
    realm,
    headerRealm: collected.header?.realm,
    collected,
    params: signedParameters(collected),
    oauth,
    isForm: body !== undefined && isFormContentType(contentType),
    body,
  };
}

const HEADER = 'the Authorization header';

/**
 * Adds the `oauth_*` parameters found in `place` to `oauth`, refusing duplicates and a second
 * place; returns where protocol parameters have been found so far.
 */
function scanOAuth(
  oauth: Map<string, string>,
  params: readonly Param[],
  place: string,
  where: string | undefined,
): string | undefined {
  for (const [name, value] of params) {
    if (!name.startsWith('oauth_')) continue;
    if (where !== undefined && where !== place) {
      throw invalid(`OAuth parameters must be in one place only (found in ${where} and ${place}).`);
    }
    where = place;
    if (oauth.has(name)) throw invalid(`Duplicated OAuth parameter ${clip(name)}.`);
    // No protocol value is ever legitimately a control character, and stores refuse some
    // (PostgreSQL text cannot hold U+0000): refuse them here, once, for every endpoint.
    if (CONTROL.test(value)) {
      throw invalid(
        `OAuth parameter ${clip(name)} contains a control character.`,
        'parameter_rejected',
      );
    }
    oauth.set(name, value);
  }
  return where;
}

/** The absolute URL a client signed: the public base URL plus the request's path and query. */
function signedUrl(config: Config, target: string, host: string | undefined): string {
  let origin: string | undefined;
  let pathAndQuery = target;
  if (!target.startsWith('/')) {
    const m = ABSOLUTE.exec(target);
    if (m === null) throw invalid('Request URL must be a path or an absolute URL.');
    origin = m[0];
    pathAndQuery = target.slice(origin.length);
    if (!pathAndQuery.startsWith('/')) pathAndQuery = '/' + pathAndQuery;
  }
  const hash = pathAndQuery.indexOf('#');
  if (hash !== -1) pathAndQuery = pathAndQuery.slice(0, hash);
  if (config.publicUrl !== undefined) return config.publicUrl + pathAndQuery;
  if (origin !== undefined) {
    if (!/^https?:\/\/[^/?#]+$/i.test(origin)) throw invalid('Request URL must be http(s).');
    return origin + pathAndQuery;
  }
  if (host === undefined || !HOST.test(host)) throw invalid('Missing or invalid Host header.');
  return 'http://' + host + pathAndQuery;
}

/**
 * The rules `checkProtocol` applies, by endpoint.
 *
 * @internal
 */
export interface ProtocolRules {
  readonly token: TokenRule;
}

/**
 * Step 2: required parameters, version, signature method, timestamp.
 *
 * @internal
 */
export function checkProtocol(config: Config, p: Prepared, rules: ProtocolRules): Checked {
  const o = p.oauth;
  const need = (name: string): string => {
    const v = o.get(name);
    if (v === undefined || v === '') {
      throw invalid(`Missing OAuth parameter ${name}.`, 'parameter_absent');
    }
    return v;
  };
  const consumerKey = need('oauth_consumer_key');
  const methodName = need('oauth_signature_method');
  const signature = o.get('oauth_signature');
  if (signature === undefined) {
    throw invalid('Missing OAuth parameter oauth_signature.', 'parameter_absent');
  }
  const version = o.get('oauth_version');
  if (version !== undefined && !VERSIONS.has(version)) {
    throw reject(
      'ERR_OAUTH_VERSION',
      `Unsupported oauth_version "${clip(version)}".`,
      400,
      'version_rejected',
    );
  }
  const method = config.registry.get(methodName);
  if (method === undefined || (config.allowed !== undefined && !config.allowed.has(methodName))) {
    throw reject(
      'ERR_OAUTH_SIGNATURE_METHOD',
      `Unsupported signature method "${clip(methodName)}".`,
      400,
      'signature_method_rejected',
    );
  }
  const token = o.get('oauth_token') ?? '';
  if (rules.token === 'required' && token === '') {
    throw invalid('Missing OAuth parameter oauth_token.', 'parameter_absent');
  }
  if (rules.token === 'forbidden' && token !== '') {
    throw invalid('oauth_token is not expected here.', 'parameter_rejected');
  }
  const relaxed = config.flavour === 'launchpad' && methodName === 'PLAINTEXT';
  let timestamp = o.get('oauth_timestamp') ?? '';
  let nonce = o.get('oauth_nonce') ?? '';
  if (!relaxed) {
    timestamp = need('oauth_timestamp');
    nonce = need('oauth_nonce');
    if (!TIMESTAMP.test(timestamp)) {
      throw invalid('oauth_timestamp must be a whole number of seconds.', 'parameter_rejected');
    }
    if (nonce.length > MAX_NONCE) throw invalid('oauth_nonce is too long.', 'parameter_rejected');
    const skew = Math.abs(config.clock() - Number(timestamp) * 1000);
    if (!(skew <= config.windowMs)) {
      throw reject(
        'ERR_OAUTH_TIMESTAMP',
        config.messages.timestampRefused(timestamp),
        401,
        'timestamp_refused',
      );
    }
  }
  const bodyHash = o.get('oauth_body_hash');
  if (bodyHash !== undefined) {
    if (p.isForm) {
      throw invalid(
        'oauth_body_hash must not be sent with a form-encoded body.',
        'parameter_rejected',
      );
    }
    if (method.bodyHashAlgorithm === undefined) {
      throw invalid(`oauth_body_hash is not defined for ${method.name}.`, 'parameter_rejected');
    }
  }
  return { consumerKey, token, method, signature, relaxed, timestamp, nonce };
}

/**
 * A token as the signature check needs it.
 *
 * @internal
 */
export interface TokenLike {
  readonly secret: string;
  readonly consumerKey: string;
}

/**
 * What `authenticate` needs from the endpoint.
 *
 * @internal
 */
export interface AuthenticateHooks<T extends TokenLike> {
  /** Looks the token up (only called for a non-empty `oauth_token`). */
  readonly lookupToken?: (key: string) => Promise<T | undefined>;
  /** Called for an unknown consumer key; may return a consumer to use (open consumers). */
  readonly onUnknownConsumer?: ((key: string) => Promise<Consumer | undefined>) | undefined;
}

/**
 * The authenticated parties.
 *
 * @internal
 */
export interface Authenticated<T> {
  readonly consumer: Consumer;
  readonly token: T | undefined;
}

// Stand-in for unknown keys: the work done with it is the work done with real ones. The RSA
// stand-in is generated at start (see dummy_key.ts).
const DUMMY_SECRET = 'signet-dummy-secret-0123456789abcdef';

/**
 * Step 3: looks up the consumer and token, verifies the signature with their secrets or
 * with dummies, and only then reports, in this order: unknown consumer, unknown token, bad
 * signature, disabled consumer, bad body hash.
 *
 * @internal
 */
export async function authenticate<T extends TokenLike>(
  config: Config,
  p: Prepared,
  c: Checked,
  hooks: AuthenticateHooks<T>,
): Promise<Authenticated<T>> {
  let consumer = await config.store.getConsumer(c.consumerKey);
  if (consumer === undefined && hooks.onUnknownConsumer !== undefined) {
    consumer = await hooks.onUnknownConsumer(c.consumerKey);
  }
  let token: T | undefined;
  if (c.token !== '' && hooks.lookupToken !== undefined) {
    token = await hooks.lookupToken(c.token);
    // A token of another consumer is as unknown as a missing one.
    if (token !== undefined && (consumer === undefined || token.consumerKey !== consumer.key)) {
      token = undefined;
    }
  }
  // RSA for a consumer without a key of its own (or an unknown one) is verified against the
  // stand-in all the same, so that the refusal takes the time a real check takes, and then
  // refused whatever the outcome.
  const rsa = c.method.name.startsWith('RSA-');
  const standIn = rsa ? await dummyPublicKey() : undefined;
  const ownKey = consumer?.rsaPublicKey || undefined;
  const publicKey = ownKey ?? standIn;
  const keys: SignatureKeys = {
    consumerSecret: consumer?.secret ?? DUMMY_SECRET,
    tokenSecret: c.token === '' ? '' : (token?.secret ?? DUMMY_SECRET),
    ...(publicKey !== undefined && { publicKey }),
  };
  const valid = (await verify(config, p, c, keys)) && (!rsa || ownKey !== undefined);
  const m = config.messages;
  if (consumer === undefined) {
    throw reject(
      'ERR_OAUTH_CONSUMER',
      m.unknownConsumer(c.consumerKey),
      401,
      'consumer_key_unknown',
    );
  }
  if (c.token !== '' && token === undefined) {
    throw reject('ERR_OAUTH_TOKEN', m.unknownToken(c.token), 401, 'token_rejected');
  }
  if (!valid) {
    throw reject(
      'ERR_OAUTH_SIGNATURE',
      m.invalidSignature(c.consumerKey),
      401,
      'signature_invalid',
    );
  }
  if (consumer.disabled === true) {
    throw reject(
      'ERR_OAUTH_CONSUMER',
      m.consumerDisabled(c.consumerKey),
      401,
      'consumer_key_refused',
    );
  }
  const bodyHash = p.oauth.get('oauth_body_hash');
  if (bodyHash !== undefined && c.method.bodyHashAlgorithm !== undefined) {
    if (!verifyBodyHash(p.body, c.method.bodyHashAlgorithm, bodyHash)) {
      throw reject(
        'ERR_OAUTH_SIGNATURE',
        m.invalidBodyHash(c.consumerKey),
        401,
        'signature_invalid',
      );
    }
  }
  return { consumer, token };
}

// On Node the synchronous node:crypto path, fastest and unchanged; elsewhere (workers,
// Deno, Bun on the portable build, browsers) the asynchronous one, Web Crypto, which is
// the only one with RSA there.
async function verify(
  config: Config,
  p: Prepared,
  c: Checked,
  keys: SignatureKeys,
): Promise<boolean> {
  const options = {
    method: p.method,
    url: p.url,
    params: p.params,
    signatureMethod: c.method.name,
    signature: c.signature,
    keys,
    registry: config.registry,
  };
  try {
    return cryptoBackendName === 'node'
      ? verifySignature(options)
      : await verifySignatureAsync(options);
  } catch (error) {
    // A stored RSA key that cannot be read fails the check; anything else (text that cannot
    // be percent-encoded for the base string) is the client's fault and answers 400.
    if (error instanceof OAuthError && error.code === 'ERR_OAUTH_KEY') return false;
    throw error;
  }
}

/**
 * Step 4: the replay check, after the signature verified.
 *
 * @internal
 */
export async function recordNonce(config: Config, c: Checked): Promise<void> {
  if (c.relaxed) return;
  // The timestamp check refuses this request after timestamp + window; remember it until then.
  const expiresAt = Number(c.timestamp) * 1000 + config.windowMs + 1000;
  const fresh = await config.store.useNonce(
    { consumerKey: c.consumerKey, token: c.token, timestamp: c.timestamp, nonce: c.nonce },
    expiresAt,
  );
  if (!fresh) {
    throw reject('ERR_OAUTH_NONCE', config.messages.nonceUsed(c.nonce), 401, 'nonce_used');
  }
}

/**
 * Constant-time verifier comparison.
 *
 * @internal
 */
export function verifierMatches(
  expected: string | undefined,
  given: string,
  normalize: (verifier: string) => string = (v) => v,
): boolean {
  return (
    timingSafeEqualString(normalize(expected ?? DUMMY_SECRET), normalize(given)) &&
    expected !== undefined
  );
}

const DENIED_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:']);
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const PRINTABLE = /^[\x21-\x7e]+$/;
const MAX_CALLBACK = 2048;

/**
 * The one parse of a callback every decision about it uses, or `undefined` when it is not
 * acceptable: a WHATWG URL, spelt so that every reader finds the same host and path. Refused:
 * spaces, controls and raw non-ASCII (it becomes a Location header); backslashes anywhere; an
 * http(s) URL not written `scheme://host`; userinfo; dot segments in the path, plain or
 * percent-encoded (in any case, even encoded twice, even with `;params`), and encoded slashes,
 * backslashes, `%u` escapes, NUL or overlong UTF-8 in the path, which some servers decode into
 * a different path than the one compared here.
 *
 * @see RFC 5849 §2.1
 * @example parseCallback('https://app.example/cb/%2e%2e/x') // undefined
 */
export function parseCallback(callback: string): URL | undefined {
  if (typeof callback !== 'string' || callback.length > MAX_CALLBACK) return undefined;
  if (!SCHEME.test(callback) || !PRINTABLE.test(callback) || callback.includes('\\')) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(callback);
  } catch {
    return undefined;
  }
  if (DENIED_SCHEMES.has(url.protocol)) return undefined;
  const special = url.protocol === 'http:' || url.protocol === 'https:';
  const afterScheme = callback.slice(callback.indexOf(':') + 1);
  let rest = afterScheme;
  if (afterScheme.startsWith('//')) {
    const end = afterScheme.slice(2).search(/[/?#]/);
    const authority = end === -1 ? afterScheme.slice(2) : afterScheme.slice(2, end + 2);
    if (authority.includes('@')) return undefined;
    rest = end === -1 ? '' : afterScheme.slice(end + 2);
  } else if (special) {
    return undefined;
  }
  if (special && url.hostname === '') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  const pathEnd = rest.search(/[?#]/);
  if (!pathIsPlain(pathEnd === -1 ? rest : rest.slice(0, pathEnd))) return undefined;
  return url;
}

/** Whether a raw path has no dot segment and no encoded slash or backslash, in any spelling. */
function pathIsPlain(rawPath: string): boolean {
  let path = rawPath.toLowerCase();
  // `%252e` is `%2e` to a server that decodes twice.
  for (let i = 0; i < 4 && path.includes('%25'); i++) path = path.replaceAll('%25', '%');
  // Encoded slashes and backslashes, IIS's %u escapes, NUL (truncates in some servers) and
  // overlong UTF-8 (%c0%ae is "." to old decoders) all hide a path from this comparison.
  for (const hidden of ['%2f', '%5c', '%u', '%00', '%c0', '%c1']) {
    if (path.includes(hidden)) return false;
  }
  path = path.replaceAll('%2e', '.').replaceAll('%3b', ';');
  for (const segment of path.split('/')) {
    const bare = segment.split(';', 1)[0];
    if (bare === '.' || bare === '..') return false;
  }
  return true;
}

/**
 * Whether `oauth_callback` is acceptable: `oob`, or an absolute URI (any scheme but the ones
 * a browser would run or read locally) that {@link parseCallback} accepts, at most 2048
 * characters.
 *
 * @see RFC 5849 §2.1
 * @example isValidCallback('https://app.example/cb') // true
 */
export function isValidCallback(callback: string): boolean {
  return callback === 'oob' || parseCallback(callback) !== undefined;
}

/**
 * The callbacks a consumer registered: `callbackUrls`, then `callbackUrl`, without blanks.
 *
 * @see RFC 5849 §2.1
 * @example registeredCallbacks({ key, secret, name, callbackUrls: ['https://a.example/cb'] })
 */
export function registeredCallbacks(consumer: Consumer): readonly string[] {
  const out: string[] = [];
  for (const c of consumer.callbackUrls ?? []) if (c !== '') out.push(c);
  if (consumer.callbackUrl !== undefined && consumer.callbackUrl !== '') {
    out.push(consumer.callbackUrl);
  }
  return out;
}

/**
 * Whether a callback fits one of a consumer's registered callbacks (always, when there are
 * none, and for `oob`). Both are parsed as WHATWG URLs; scheme, host and port must be equal,
 * and the path must be the registered one or go below it by whole segments (`/cb` admits
 * `/cb` and `/cb/x`, never `/cbx`); a registered query must be kept. A callback that
 * {@link parseCallback} refuses fits nothing.
 *
 * @see RFC 5849 §2.1
 * @example callbackFits('https://app.example/cb/done', 'https://app.example/cb') // true
 */
export function callbackFits(
  callback: string,
  registered: string | readonly string[] | undefined,
): boolean {
  const list = (typeof registered === 'string' ? [registered] : (registered ?? [])).filter(
    (r) => r !== '',
  );
  if (callback === 'oob') return true;
  const url = parseCallback(callback);
  if (url === undefined) return false;
  if (list.length === 0) return true;
  return list.some((r) => fitsOne(url, r));
}

function fitsOne(url: URL, registered: string): boolean {
  let r: URL;
  try {
    r = new URL(registered);
  } catch {
    return false;
  }
  if (r.protocol !== url.protocol || r.hostname !== url.hostname || r.port !== url.port) {
    return false;
  }
  if (r.search !== '' && url.search !== r.search && !url.search.startsWith(r.search + '&')) {
    return false;
  }
  const base = r.pathname;
  if (url.pathname === base) return true;
  return url.pathname.startsWith(base.endsWith('/') ? base : base + '/');
}
