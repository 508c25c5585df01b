import {
  bodyHash,
  type Clock,
  cryptoBackendName,
  defaultSignatureMethods,
  formEncode,
  hmacBase64,
  hmacBase64Async,
  isFormContentType,
  type KeyLike,
  type NonceGenerator,
  type Param,
  parseFormEncoded,
  percentEncode,
  type SignatureMethod,
  SignatureMethodRegistry,
  type SignedRequest,
  type SignRequestOptions,
  serializeAuthorizationHeader,
  signRequest,
  signRequestAsync,
} from '@signet/core';
import { ClientError, OAuthProtocolError, withoutQuery } from './errors.js';
import { argError, type ParamsInit, toParams } from './params.js';

/** The `fetch` the client calls; inject one for tests, proxies or other runtimes. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Headers in any shape `new Headers()` accepts. */
export type HeadersLike = ConstructorParameters<typeof Headers>[0];

/** Where the oauth protocol parameters travel. @see RFC 5849 §3.5 */
export type Placement = 'header' | 'query' | 'body';

/**
 * Whether the `Authorization` header carries the oauth parameters (Falcon's modes):
 * `none` (only the query or body does), `alternate` (only the header does) or `full` (both
 * the header and the query or body, for servers that read one and log the other).
 */
export type HeaderMode = 'none' | 'alternate' | 'full';

/** A token and its secret: temporary credentials or token credentials. @see RFC 5849 §1.1 */
export interface TokenCredentials {
  /** `oauth_token`. */
  readonly token: string;
  /** `oauth_token_secret`. */
  readonly tokenSecret: string;
}

/** A token answer: the token, its secret and every field the server sent. */
export interface TokenSet extends TokenCredentials {
  /**
   * Every field of the answer as received, `oauth_token` and `oauth_token_secret` included:
   * strings for form-encoded answers, JSON values for JSON ones (`lp.context`, `user_id`,
   * `screen_name`, `oauth_authorized_realms`, `access_levels` ...).
   */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Temporary credentials. @see RFC 5849 §2.1 */
export interface RequestToken extends TokenSet {
  /** Whether the server confirmed the callback (`oauth_callback_confirmed=true`; OAuth 1.0a). */
  readonly callbackConfirmed: boolean;
}

/** Token credentials. @see RFC 5849 §2.3 */
export interface AccessToken extends TokenSet {
  /** `oauth_authorized_realms`, split on spaces, when the server sent it (oauthlib). */
  readonly authorizedRealms: readonly string[] | undefined;
}

/** Retries of idempotent requests after 5xx answers and network errors. */
export interface RetryOptions {
  /** How many times to retry after the first attempt. `0` turns retrying off. */
  readonly retries: number;
  /** Delay before the first retry, in ms (doubled each time). Default 500. */
  readonly minDelay?: number;
  /** Longest delay, in ms, `Retry-After` included. Default 30 000. */
  readonly maxDelay?: number;
}

/** The three endpoints of the redirection-based flow. @see RFC 5849 §2 */
export interface Endpoints {
  /** Temporary credential request URI. */
  readonly requestToken?: string;
  /** Resource owner authorization URI. */
  readonly authorize?: string;
  /** Token request URI. */
  readonly accessToken?: string;
}

/** Options of {@link OAuth1Client}. */
export interface OAuth1ClientOptions {
  /** `oauth_consumer_key`. */
  readonly consumerKey: string;
  /** Client shared secret (HMAC, PLAINTEXT); empty by default, as Launchpad's open consumers. */
  readonly consumerSecret?: string;
  /** RSA private key (PEM or `KeyObject`) for the RSA methods. */
  readonly privateKey?: KeyLike;
  /** `oauth_signature_method`: any name of the registry. Default `HMAC-SHA1`. */
  readonly signatureMethod?: string;
  /** Where signature methods are looked up; add your own there. */
  readonly registry?: SignatureMethodRegistry;
  /** Token credentials to sign API calls with. */
  readonly token?: TokenCredentials;
  /** Where the oauth parameters go. Default `header`. */
  readonly placement?: Placement;
  /** Header mode; default `alternate` for header placement and `none` otherwise. */
  readonly headerMode?: HeaderMode;
  /** Placement for the token requests only (Launchpad: `body`). Default: `placement`. */
  readonly tokenPlacement?: Placement;
  /** `realm` of the Authorization header (not signed). */
  readonly realm?: string;
  /** Send `oauth_version="1.0"`. Default `true`. */
  readonly version?: boolean;
  /** The flow's endpoints. */
  readonly endpoints?: Endpoints;
  /** HTTP method of the token requests. Default `POST`; some servers want `GET`. */
  readonly tokenRequestMethod?: 'POST' | 'GET';
  /** Extra headers of the token requests (Launchpad: `Accept: application/json`). */
  readonly tokenHeaders?: HeadersLike;
  /** `oauth_callback` of the request-token step. Default `oob`. */
  readonly callback?: string;
  /** The `fetch` to call. Default: the global one. */
  readonly fetch?: FetchLike;
  /** Clock for timestamps and retry decisions. */
  readonly clock?: Clock;
  /** Nonce source. */
  readonly nonce?: NonceGenerator;
  /** How to wait between retries; inject one in tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Retries of idempotent requests; off by default. */
  readonly retry?: RetryOptions;
  /** Most redirects followed by {@link OAuth1Client.request}. Default 5. */
  readonly maxRedirects?: number;
  /**
   * Sign requests redirected to another origin too. Off by default: a signed request tells
   * the other host the token, and with PLAINTEXT the secrets.
   */
  readonly signCrossOriginRedirects?: boolean;
  /** Overrides {@link OAuth1Client.makeSecret}. */
  readonly makeSecret?: (consumerSecret: string, tokenSecret: string) => string;
  /** Overrides {@link OAuth1Client.parseQS}. */
  readonly parseQS?: (text: string) => Record<string, string>;
}

/** What to sign; see {@link OAuth1Client.sign}. */
export interface SignOptions {
  /** HTTP method. Default `GET`. */
  readonly method?: string;
  /** Query parameters appended to the URL (signed). */
  readonly query?: ParamsInit;
  /** Form body parameters (signed, sent `application/x-www-form-urlencoded`). */
  readonly form?: ParamsInit;
  /** JSON body (covered by `oauth_body_hash`). */
  readonly json?: unknown;
  /** Any other body (covered by `oauth_body_hash`); set its `content-type` in `headers`. */
  readonly body?: string | Uint8Array | ArrayBuffer;
  /** Request headers. */
  readonly headers?: HeadersLike;
  /** Token to sign with; `null` signs with the consumer only (two-legged). */
  readonly token?: TokenCredentials | null;
  /** `oauth_callback`. */
  readonly callback?: string;
  /** `oauth_verifier`. */
  readonly verifier?: string;
  /** More protocol parameters (`xoauth_*`, `oauth_session_handle` ...). */
  readonly oauthParams?: ParamsInit;
  /** Placement for this request. */
  readonly placement?: Placement;
  /** Header mode for this request. */
  readonly headerMode?: HeaderMode;
  /** `realm` for this request. */
  readonly realm?: string;
  /**
   * Send `oauth_body_hash`. By default it is sent with non-form bodies when the signature
   * method has a hash (not PLAINTEXT); `true` sends it even for an empty body.
   */
  readonly bodyHash?: boolean;
}

/** A signed request, ready for any HTTP client. */
export interface SignedHttpRequest {
  /** HTTP method, upper case. */
  readonly method: string;
  /** URL to call, with the query (and oauth parameters, for query placement). */
  readonly url: string;
  /** Headers to send (lower-case names), `authorization` included for header placement. */
  readonly headers: Record<string, string>;
  /**
   * Body to send; absent when there is none, so that the whole object is a `fetch` init as
   * it is (`fetch(signed.url, signed)`), even under `exactOptionalPropertyTypes`.
   */
  readonly body?: string | Uint8Array<ArrayBuffer>;
  /** The `oauth_*` parameters that were sent, `oauth_signature` last. */
  readonly oauthParams: readonly Param[];
}

/** Options of {@link OAuth1Client.request}. */
export interface RequestOptions extends SignOptions {
  /** Abort the request. */
  readonly signal?: AbortSignal;
  /** Retries for this request; overrides the client's. */
  readonly retry?: RetryOptions;
  /** Throw {@link OAuthProtocolError} for a non-2xx answer. Default `true`. */
  readonly throwHttpErrors?: boolean;
  /** `follow` (default, re-signing each hop) or `manual` (return the 3xx answer). */
  readonly redirect?: 'follow' | 'manual';
}

/** Options of the token steps. */
export interface TokenRequestOptions {
  /** Extra parameters (a `scope`, an `x_auth_access_type` ...), signed. */
  readonly params?: ParamsInit;
  /** More protocol parameters. */
  readonly oauthParams?: ParamsInit;
  /** Abort the request. */
  readonly signal?: AbortSignal;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * An OAuth 1.0a consumer over `fetch`: the redirection-based flow (request token,
 * authorization URL, access token) and signed API calls, with every signature method of
 * `@signet/core`.
 *
 * @see RFC 5849 §2, §3
 * @example
 * ```ts
 * const client = new OAuth1Client({
 *   consumerKey: 'key', consumerSecret: 'secret',
 *   endpoints: {
 *     requestToken: 'https://api.x.com/oauth/request_token',
 *     authorize: 'https://api.x.com/oauth/authorize',
 *     accessToken: 'https://api.x.com/oauth/access_token',
 *   },
 * })
 * const rt = await client.requestToken()
 * console.log('Visit', client.authorizationUrl(rt))
 * const at = await client.accessToken(rt, await askUser('Verifier? '))
 * const me = await client.withToken(at).request('https://api.x.com/1.1/account/verify_credentials.json')
 * console.log(await me.json())
 * ```
 */
export class OAuth1Client {
  /** The options this client was made with. */
  readonly options: OAuth1ClientOptions;
  readonly #fetch: FetchLike;
  readonly #sleep: (ms: number) => Promise<void>;
  #signingRegistry: SignatureMethodRegistry | undefined;

  constructor(options: OAuth1ClientOptions) {
    if (typeof options?.consumerKey !== 'string') {
      throw argError('consumerKey must be a string.', 'ERR_INVALID_ARG_TYPE');
    }
    this.options = options;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#sleep = options.sleep ?? realSleep;
    if (options.makeSecret !== undefined) this.makeSecret = options.makeSecret;
    if (options.parseQS !== undefined) this.parseQS = options.parseQS;
  }

  /** A client with the same options, signing with `token`. */
  withToken(token: TokenCredentials): OAuth1Client {
    return new (this.constructor as typeof OAuth1Client)({
      ...this.options,
      token: { token: token.token, tokenSecret: token.tokenSecret },
    });
  }

  /**
   * The signing key of HMAC and PLAINTEXT: `encode(consumerSecret) & encode(tokenSecret)`.
   * Override it (in a subclass or with the option) for servers that combine them otherwise.
   *
   * @see RFC 5849 §3.4.2, §3.4.4
   */
  makeSecret(consumerSecret: string, tokenSecret: string): string {
    return percentEncode(consumerSecret) + '&' + percentEncode(tokenSecret);
  }

  /**
   * Parses a form-encoded token answer into a record (the first of repeated names wins).
   * Override it for servers with odd answers.
   *
   * @see RFC 5849 §2.1
   */
  parseQS(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of parseFormEncoded(text)) {
      if (!Object.hasOwn(out, name)) out[name] = value;
    }
    return out;
  }

  /**
   * Signs a request without sending it: the URL, headers and body to send with any HTTP
   * client. Pure apart from the clock and the nonce.
   *
   * @see RFC 5849 §3.1, §3.5; OAuth Request Body Hash 1.0
   * @throws {TypeError} for a body that cannot carry oauth parameters in `body` placement.
   * @example
   * ```ts
   * const { url, headers, body } = client.sign('https://api.example.com/notes', {
   *   method: 'POST', json: { title: 'hi' },
   * })
   * ```
   */
  sign(url: string | URL, options: SignOptions = {}): SignedHttpRequest {
    const p = this.#prepare(url, options);
    return finishSigned(p, signRequest(p.request));
  }

  /**
   * {@link OAuth1Client.sign} through Web Crypto (`signRequestAsync`): the one that signs
   * RSA on browsers, workers, Deno and Bun. On Node it runs node:crypto, as `sign` does.
   *
   * @see RFC 5849 §3.1
   * @example
   * ```ts
   * const signed = await client.signAsync('https://api.example.com/me')
   * const res = await fetch(signed.url, signed)
   * ```
   */
  async signAsync(url: string | URL, options: SignOptions = {}): Promise<SignedHttpRequest> {
    const p = this.#prepare(url, options);
    return finishSigned(p, await signRequestAsync(p.request));
  }

  #prepare(url: string | URL, options: SignOptions): PreparedSign {
    const o = this.options;
    const method = (options.method ?? 'GET').toUpperCase();
    const placement = options.placement ?? o.placement ?? 'header';
    const headerMode =
      options.headerMode ?? o.headerMode ?? (placement === 'header' ? 'alternate' : 'none');
    const inHeader = headerMode !== 'none';
    // `none` and `full` with header placement still need a place besides the header: the
    // query, as Falcon does.
    let copyTo: Placement | undefined =
      headerMode === 'alternate' ? undefined : placement === 'header' ? 'query' : placement;
    // GET and HEAD have no body to carry the parameters: the query does, as oauthlib does.
    if (copyTo === 'body' && (method === 'GET' || method === 'HEAD')) copyTo = 'query';

    let target = typeof url === 'string' ? url : url.href;
    const hash = target.indexOf('#');
    if (hash !== -1) target = target.slice(0, hash);
    const query = toParams(options.query);
    if (query.length > 0) target += (target.includes('?') ? '&' : '?') + formEncode(query);

    const headers = new Headers(options.headers);
    const bodies =
      Number(options.form !== undefined) +
      Number(options.json !== undefined) +
      Number(options.body !== undefined);
    if (bodies > 1) throw argError('Give at most one of form, json and body.');
    if (bodies > 0 && (method === 'GET' || method === 'HEAD')) {
      // fetch would refuse it later, as a confusing network error.
      throw argError(`A ${method} request has no body: send its parameters as query.`);
    }

    let form: Param[] | undefined;
    let raw: string | Uint8Array | undefined;
    if (options.form !== undefined) {
      form = toParams(options.form);
      headers.set('content-type', 'application/x-www-form-urlencoded');
    } else if (options.json !== undefined) {
      raw = JSON.stringify(options.json);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    } else if (options.body !== undefined) {
      raw = options.body instanceof ArrayBuffer ? new Uint8Array(options.body) : options.body;
      if (isFormContentType(headers.get('content-type'))) {
        // A form body given as text is still form data: its parameters are signed.
        form = parseFormEncoded(typeof raw === 'string' ? raw : new TextDecoder().decode(raw));
        raw = undefined;
      }
    }
    if (copyTo === 'body') {
      if (raw !== undefined) {
        throw argError('Body placement needs a form body or none; this body is not a form.');
      }
      form ??= [];
      headers.set('content-type', 'application/x-www-form-urlencoded');
    }

    const methodName = o.signatureMethod ?? 'HMAC-SHA1';
    const registry = this.#registry();
    const signatureMethod = registry.require(methodName);
    let hash64: string | undefined;
    const wantHash =
      options.bodyHash ?? (raw !== undefined && signatureMethod.bodyHashAlgorithm !== undefined);
    if (wantHash && form === undefined) {
      const alg = signatureMethod.bodyHashAlgorithm;
      if (alg === undefined) throw argError(`${methodName} has no body hash algorithm.`);
      hash64 = bodyHash(raw ?? '', alg);
    }

    const token = options.token === undefined ? o.token : (options.token ?? undefined);
    const request: SignRequestOptions = {
      method,
      url: target,
      consumerKey: o.consumerKey,
      consumerSecret: o.consumerSecret ?? '',
      ...(token ? { token: token.token, tokenSecret: token.tokenSecret } : {}),
      ...(o.privateKey === undefined ? {} : { privateKey: o.privateKey }),
      ...(form === undefined ? {} : { params: form }),
      signatureMethod: methodName,
      ...(options.callback === undefined ? {} : { callback: options.callback }),
      ...(options.verifier === undefined ? {} : { verifier: options.verifier }),
      ...(hash64 === undefined ? {} : { bodyHash: hash64 }),
      version: o.version ?? true,
      ...(options.oauthParams === undefined
        ? {}
        : { extraOAuthParams: toParams(options.oauthParams) }),
      ...(o.clock === undefined ? {} : { clock: o.clock }),
      ...(o.nonce === undefined ? {} : { nonceGenerator: o.nonce }),
      registry,
    };
    return {
      request,
      options: this.options,
      signOptions: options,
      inHeader,
      copyTo,
      target,
      headers,
      form,
      raw,
    };
  }

  /**
   * Sends a signed request and returns the `Response`, its body unread so that it can be
   * streamed. Redirects are followed by hand and each hop is signed anew (fresh nonce);
   * idempotent requests are retried after 5xx answers and network errors when retries are on.
   *
   * @see RFC 5849 §3
   * @throws {OAuthProtocolError} for a non-2xx answer (unless `throwHttpErrors: false`).
   * @throws {ClientError} `ERR_NETWORK` (with `cause`), `ERR_TOO_MANY_REDIRECTS`.
   * @example
   * ```ts
   * const res = await client.request('https://api.example.com/notes', {
   *   method: 'POST', json: { title: 'hello' },
   * })
   * console.log(res.status, await res.json())
   * ```
   */
  async request(url: string | URL, options: RequestOptions = {}): Promise<Response> {
    const retry = options.retry ?? this.options.retry;
    const retries = Math.max(0, retry?.retries ?? 0);
    const maxRedirects = this.options.maxRedirects ?? 5;
    let current: SignOptions & { method: string } = {
      ...options,
      method: (options.method ?? 'GET').toUpperCase(),
    };
    let target = typeof url === 'string' ? url : url.href;
    let sign = true;
    let attempt = 0;
    let redirects = 0;
    for (;;) {
      // Node signs synchronously (node:crypto); elsewhere Web Crypto, the only path with RSA.
      const req: SignedHttpRequest = !sign
        ? unsigned(target, current)
        : cryptoBackendName === 'node'
          ? this.sign(target, current)
          : await this.signAsync(target, current);
      const idempotent = IDEMPOTENT.has(req.method);
      let response: Response;
      try {
        response = await this.#fetch(req.url, {
          method: req.method,
          headers: req.headers,
          ...(req.body === undefined ? {} : { body: req.body }),
          redirect: 'manual',
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
      } catch (cause) {
        if (options.signal?.aborted) throw cause;
        if (idempotent && attempt < retries) {
          await this.#sleep(backoff(retry, attempt++, null));
          continue;
        }
        throw networkError(req.method, req.url, cause);
      }
      if (response.status >= 500 && idempotent && attempt < retries) {
        const wait = backoff(retry, attempt++, response.headers.get('retry-after'));
        await discard(response);
        await this.#sleep(wait);
        continue;
      }
      const location = response.headers.get('location');
      if (REDIRECTS.has(response.status) && location !== null && options.redirect !== 'manual') {
        if (++redirects > maxRedirects) {
          await discard(response);
          throw new ClientError(
            'ERR_TOO_MANY_REDIRECTS',
            `More than ${maxRedirects} redirects from ${withoutQuery(target)}.`,
          );
        }
        await discard(response);
        const next: URL = new URL(location, req.url);
        const sameOrigin: boolean = next.origin === new URL(target).origin;
        // Each hop gets a fresh signature: the URL is part of the base string, and a nonce
        // is for one request only.
        sign = sign && (sameOrigin || this.options.signCrossOriginRedirects === true);
        const toGet =
          response.status === 303 ||
          ((response.status === 301 || response.status === 302) && req.method === 'POST');
        const { query: _q, form, json, body, ...rest } = current;
        current = toGet
          ? { ...rest, method: req.method === 'HEAD' ? 'HEAD' : 'GET' }
          : {
              ...rest,
              ...(form === undefined ? {} : { form }),
              ...(json === undefined ? {} : { json }),
              ...(body === undefined ? {} : { body }),
            };
        if (toGet) {
          const h = new Headers(current.headers);
          h.delete('content-type');
          current = { ...current, headers: h };
        }
        target = next.href;
        continue;
      }
      if (!response.ok && !REDIRECTS.has(response.status) && options.throwHttpErrors !== false) {
        throw await OAuthProtocolError.fromResponse(response, req.method, req.url);
      }
      return response;
    }
  }

  /**
   * Asks for temporary credentials (a request token).
   *
   * @see RFC 5849 §2.1
   * @throws {OAuthProtocolError} when the server refuses.
   * @throws {ClientError} `ERR_OAUTH_RESPONSE` when the answer has no token.
   * @example
   * ```ts
   * const rt = await client.requestToken({ params: { scope: 'read' } })
   * ```
   */
  async requestToken(
    options: TokenRequestOptions & { readonly callback?: string } = {},
  ): Promise<RequestToken> {
    const url = this.#endpoint('requestToken');
    const callback = options.callback ?? this.options.callback ?? 'oob';
    const set = await this.#tokenRequest(url, { ...options, callback, token: null });
    return { ...set, callbackConfirmed: set.fields['oauth_callback_confirmed'] === 'true' };
  }

  /**
   * The URL to send the resource owner to, with `oauth_token` and any extra parameters
   * (`oauth_callback` for OAuth 1.0 servers, `lp.context`, `allow_permission` ...).
   *
   * @see RFC 5849 §2.2
   * @example
   * ```ts
   * open(client.authorizationUrl(rt, { 'lp.context': 'firefox' }))
   * ```
   */
  authorizationUrl(requestToken: TokenCredentials | string, params?: ParamsInit): string {
    const url = new URL(this.#endpoint('authorize'));
    const token = typeof requestToken === 'string' ? requestToken : requestToken.token;
    url.searchParams.append('oauth_token', token);
    for (const [name, value] of toParams(params)) url.searchParams.append(name, value);
    return url.href;
  }

  /**
   * Exchanges authorized temporary credentials for token credentials.
   *
   * @see RFC 5849 §2.3
   * @param verifier - `oauth_verifier`; omit it for OAuth 1.0 servers such as Launchpad.
   * @throws {OAuthProtocolError} when the server refuses.
   * @example
   * ```ts
   * const at = await client.accessToken(rt, verifier)
   * ```
   */
  async accessToken(
    requestToken: TokenCredentials,
    verifier?: string,
    options: TokenRequestOptions = {},
  ): Promise<AccessToken> {
    const url = this.#endpoint('accessToken');
    const set = await this.#tokenRequest(url, {
      ...options,
      token: requestToken,
      ...(verifier === undefined ? {} : { verifier }),
    });
    const realms = set.fields['oauth_authorized_realms'];
    return {
      ...set,
      authorizedRealms: typeof realms === 'string' ? realms.split(' ').filter(Boolean) : undefined,
    };
  }

  /**
   * Parses a token answer, form-encoded or JSON, keeping every field.
   *
   * @throws {ClientError} `ERR_OAUTH_RESPONSE` when it holds no `oauth_token`.
   */
  parseTokenResponse(text: string, contentType: string | null): TokenSet {
    let fields: Record<string, unknown>;
    const trimmed = text.trim();
    if (/json/i.test(contentType ?? '') || trimmed.startsWith('{')) {
      let json: unknown;
      try {
        json = JSON.parse(trimmed);
      } catch (cause) {
        throw new ClientError('ERR_OAUTH_RESPONSE', 'The token answer is not valid JSON.', {
          cause,
        });
      }
      if (json === null || typeof json !== 'object' || Array.isArray(json)) {
        throw new ClientError('ERR_OAUTH_RESPONSE', 'The token answer is not a JSON object.');
      }
      fields = json as Record<string, unknown>;
    } else {
      try {
        fields = this.parseQS(trimmed);
      } catch (cause) {
        throw new ClientError('ERR_OAUTH_RESPONSE', 'The token answer is not form-encoded.', {
          cause,
        });
      }
    }
    const token = fields['oauth_token'];
    const tokenSecret = fields['oauth_token_secret'] ?? '';
    if (typeof token !== 'string' || token === '' || typeof tokenSecret !== 'string') {
      throw new ClientError(
        'ERR_OAUTH_RESPONSE',
        'The token answer has no oauth_token and oauth_token_secret.',
      );
    }
    return { token, tokenSecret, fields };
  }

  async #tokenRequest(url: string, options: TokenRequestOptions & SignOptions): Promise<TokenSet> {
    const method = this.options.tokenRequestMethod ?? 'POST';
    const params = toParams(options.params);
    let placement = this.options.tokenPlacement ?? this.options.placement ?? 'header';
    // A GET has no body to carry the parameters: the query does.
    if (method === 'GET' && placement === 'body') placement = 'query';
    // Token requests are never retried: a second exchange of the same request token is
    // refused, and the first may have succeeded.
    const response = await this.request(url, {
      method,
      ...(params.length === 0 ? {} : method === 'GET' ? { query: params } : { form: params }),
      headers: this.options.tokenHeaders ?? {},
      placement,
      token: options.token ?? null,
      ...(options.callback === undefined ? {} : { callback: options.callback }),
      ...(options.verifier === undefined ? {} : { verifier: options.verifier }),
      ...(options.oauthParams === undefined ? {} : { oauthParams: options.oauthParams }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      retry: { retries: 0 },
    });
    const text = await response.text();
    return this.parseTokenResponse(text, response.headers.get('content-type'));
  }

  #endpoint(name: keyof Endpoints): string {
    const url = this.options.endpoints?.[name];
    if (url === undefined) throw argError(`No ${name} endpoint configured.`);
    return url;
  }

  // Core's HMAC and PLAINTEXT derive their key themselves; when makeSecret is overridden,
  // sign those methods with the overriding key instead.
  #registry(): SignatureMethodRegistry {
    const base = this.options.registry ?? defaultSignatureMethods;
    if (this.makeSecret === OAuth1Client.prototype.makeSecret) return base;
    if (this.#signingRegistry !== undefined) return this.#signingRegistry;
    const registry = new SignatureMethodRegistry([]);
    for (const name of base.names()) {
      const method = base.get(name)!;
      registry.register(this.#withSecret(method));
    }
    this.#signingRegistry = registry;
    return registry;
  }

  #withSecret(method: SignatureMethod): SignatureMethod {
    const key = (keys: { consumerSecret?: string; tokenSecret?: string }) =>
      this.makeSecret(keys.consumerSecret ?? '', keys.tokenSecret ?? '');
    const alg = method.bodyHashAlgorithm;
    if (method.name === 'PLAINTEXT') {
      return { ...method, sign: (_b, keys) => key(keys), signAsync: async (_b, keys) => key(keys) };
    }
    if (method.name.startsWith('HMAC-') && alg !== undefined) {
      return {
        ...method,
        sign: (base, keys) => hmacBase64(alg, key(keys), base),
        signAsync: (base, keys) => hmacBase64Async(alg, key(keys), base),
      };
    }
    return method;
  }
}

/** What {@link OAuth1Client.sign} has worked out before signing. */
interface PreparedSign {
  readonly request: SignRequestOptions;
  readonly options: OAuth1ClientOptions;
  readonly signOptions: SignOptions;
  readonly inHeader: boolean;
  readonly copyTo: Placement | undefined;
  readonly target: string;
  readonly headers: Headers;
  readonly form: Param[] | undefined;
  readonly raw: string | Uint8Array | undefined;
}

function finishSigned(p: PreparedSign, signed: SignedRequest): SignedHttpRequest {
  const { inHeader, copyTo, headers, form, raw } = p;
  let target = p.target;
  const o = p.options;
  const options = p.signOptions;

  const realm = options.realm ?? o.realm;
  if (inHeader) {
    headers.set('authorization', serializeAuthorizationHeader(signed.oauthParams, realm));
  }
  if (copyTo === 'query') {
    target += (target.includes('?') ? '&' : '?') + formEncode(signed.oauthParams);
  }
  let body: string | Uint8Array | undefined = raw;
  if (form !== undefined) {
    body = formEncode(copyTo === 'body' ? [...form, ...signed.oauthParams] : form);
  }
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return withBody(
    { method: p.request.method, url: target, headers: out, oauthParams: signed.oauthParams },
    body,
  );
}

function withBody(
  request: Omit<SignedHttpRequest, 'body'>,
  body: string | Uint8Array | undefined,
): SignedHttpRequest {
  // Typed arrays over a SharedArrayBuffer never reach here from the public options, which
  // take string, Uint8Array or ArrayBuffer; fetch sends either kind.
  return body === undefined ? request : { ...request, body: body as Uint8Array<ArrayBuffer> };
}

function unsigned(url: string, options: SignOptions & { method: string }): SignedHttpRequest {
  const headers = new Headers(options.headers);
  headers.delete('authorization');
  let body: string | Uint8Array | undefined;
  if (options.form !== undefined) {
    body = formEncode(toParams(options.form));
    headers.set('content-type', 'application/x-www-form-urlencoded');
  } else if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  } else if (options.body !== undefined) {
    body = options.body instanceof ArrayBuffer ? new Uint8Array(options.body) : options.body;
  }
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return withBody({ method: options.method, url, headers: out, oauthParams: [] }, body);
}

function backoff(retry: RetryOptions | undefined, attempt: number, retryAfter: string | null) {
  const min = retry?.minDelay ?? 500;
  const max = retry?.maxDelay ?? 30_000;
  let delay = min * 2 ** attempt;
  if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) {
    delay = Math.max(delay, Number(retryAfter.trim()) * 1000);
  }
  return Math.min(delay, max);
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // Nothing to do about a body we are dropping anyway.
  }
}

function networkError(method: string, url: string, cause: unknown): ClientError {
  const reason =
    cause instanceof Error && cause.cause instanceof Error
      ? cause.cause.message
      : cause instanceof Error
        ? cause.message
        : String(cause);
  return new ClientError(
    'ERR_NETWORK',
    `${method} ${withoutQuery(url)} failed: ${reason.replace(/\?\S*/g, '')}`,
    { cause },
  );
}
