import { parseAuthorizationHeader, parseFormEncoded } from '@signet/core';

/**
 * Stable codes of the client's errors. The code is the contract; messages may be reworded.
 */
export type ClientErrorCode =
  /** The server answered a non-success status (see {@link OAuthProtocolError}). */
  | 'ERR_OAUTH_PROTOCOL'
  /** The resource owner refused to authorize the request token (Launchpad: 403). */
  | 'ERR_OAUTH_DECLINED'
  /** The request token expired before it was exchanged. */
  | 'ERR_OAUTH_EXPIRED'
  /** Waiting for the resource owner's decision took longer than allowed. */
  | 'ERR_OAUTH_TIMEOUT'
  /** The user gave no verifier, and the flow cannot go on without one. */
  | 'ERR_OAUTH_VERIFIER'
  /** A success answer that does not hold what the protocol promises (no `oauth_token` ...). */
  | 'ERR_OAUTH_RESPONSE'
  /** The server could not be reached, or the connection broke. */
  | 'ERR_NETWORK'
  /** More redirects than allowed. */
  | 'ERR_TOO_MANY_REDIRECTS'
  /** Discovery found no usable document or no OAuth endpoints. */
  | 'ERR_DISCOVERY'
  /** A credential store could not be read or written. */
  | 'ERR_STORE';

/** Options of {@link ClientError}. */
export interface ClientErrorOptions {
  /** What caused it. */
  readonly cause?: unknown;
}

/**
 * The base class of every error `@signet/client` throws on purpose. Argument mistakes are
 * `TypeError`s instead, as in Node.
 *
 * @example
 * ```ts
 * try { await client.request(url) } catch (e) {
 *   if (e instanceof ClientError && e.code === 'ERR_NETWORK') retryLater()
 * }
 * ```
 */
export class ClientError extends Error {
  override readonly name: string = 'ClientError';
  /** Stable, machine-readable code. */
  readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string, options: ClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** What {@link OAuthProtocolError} is made from. */
export interface OAuthProtocolErrorInit {
  /** Code; `ERR_OAUTH_PROTOCOL` unless a more precise one applies. */
  readonly code?: ClientErrorCode;
  /** HTTP method of the failed request. */
  readonly method: string;
  /** URL of the failed request. Its query is never shown: it may hold signatures. */
  readonly url: string;
  /** HTTP status. */
  readonly status: number;
  /** HTTP status text. */
  readonly statusText?: string;
  /** Response headers. */
  readonly headers: Headers;
  /** Response body as text. */
  readonly body: string;
}

/**
 * A server refused a request: the HTTP status, the body, and what the body or the
 * `WWW-Authenticate` header said in the OAuth Problem Reporting extension's terms
 * (`oauth_problem`, `oauth_problem_advice`) or in oauthlib's and pump.io's (`error`,
 * `error_description`).
 *
 * @see https://wiki.oauth.net/w/page/12238543/ProblemReporting
 * @example
 * ```ts
 * try { await client.accessToken(requestToken, verifier) } catch (e) {
 *   if (e instanceof OAuthProtocolError && e.problem === 'token_expired') startOver()
 * }
 * ```
 */
export class OAuthProtocolError extends ClientError {
  override readonly name: string = 'OAuthProtocolError';
  /** HTTP status. */
  readonly status: number;
  /** The response body, as text. */
  readonly body: string;
  /** Response headers. */
  readonly headers: Headers;
  /** HTTP method of the failed request. */
  readonly method: string;
  /** URL of the failed request, without its query. */
  readonly url: string;
  /** `oauth_problem`, from the body or from `WWW-Authenticate`. */
  readonly problem: string | undefined;
  /** `oauth_problem_advice`, when the server gave one. */
  readonly problemAdvice: string | undefined;
  /** `error` (oauthlib, pump.io), when the body had one. */
  readonly error: string | undefined;
  /** `error_description`, when the body had one. */
  readonly errorDescription: string | undefined;
  /** `realm` of an OAuth `WWW-Authenticate` challenge. */
  readonly realm: string | undefined;

  constructor(init: OAuthProtocolErrorInit) {
    const url = withoutQuery(init.url);
    const wire = parseWireError(init.body, init.headers);
    const plain = plainText(init.body, init.headers);
    // A problem from the challenge alone (`signature_invalid`) says less than the server's
    // own sentence ("Invalid signature."): show both.
    const detail =
      wire.description ??
      (wire.problem !== undefined && plain !== undefined && !wire.fromBody
        ? `${plain} (${wire.problem})`
        : undefined) ??
      wire.problem ??
      wire.error ??
      plain;
    const status = `${init.status}${init.statusText ? ` ${init.statusText}` : ''}`;
    super(
      init.code ?? 'ERR_OAUTH_PROTOCOL',
      `${init.method} ${url} answered ${status}${detail ? `: ${detail}` : '.'}`,
    );
    this.status = init.status;
    this.body = init.body;
    this.headers = init.headers;
    this.method = init.method;
    this.url = url;
    this.problem = wire.problem;
    this.problemAdvice = wire.advice;
    this.error = wire.error;
    this.errorDescription = wire.description;
    this.realm = wire.realm;
  }

  /**
   * Reads a failed response's body and makes the error. The body is read in full: error
   * bodies are small, and a streaming caller asked for the error, not the stream.
   */
  static async fromResponse(
    response: Response,
    method: string,
    url: string,
    code?: ClientErrorCode,
  ): Promise<OAuthProtocolError> {
    let body = '';
    try {
      body = await response.text();
    } catch {
      // A body that breaks off still leaves the status, which is what matters here.
    }
    return new OAuthProtocolError({
      ...(code === undefined ? {} : { code }),
      method,
      url,
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      body,
    });
  }
}

/** `url` without query and fragment, for messages: a query may hold oauth_signature. */
export function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

interface WireError {
  problem?: string;
  advice?: string;
  error?: string;
  description?: string;
  realm?: string;
  /** Whether the body itself was structured (JSON or form-encoded). */
  fromBody?: boolean;
}

const FORM_LIKE = /^[A-Za-z0-9_.~%+-]+=[^\s]*$/;

function parseWireError(body: string, headers: Headers): WireError {
  const out: WireError = {};
  const challenge = headers.get('www-authenticate');
  if (challenge !== null && /^\s*oauth\b/i.test(challenge)) {
    try {
      const parsed = parseAuthorizationHeader(challenge);
      if (parsed.realm !== undefined) out.realm = parsed.realm;
      for (const [name, value] of parsed.params) pick(out, name, value);
    } catch {
      // A malformed challenge is no reason to hide the status and body.
    }
  }
  const text = body.trim();
  out.fromBody = text.startsWith('{') || FORM_LIKE.test(text);
  if (text.startsWith('{')) {
    try {
      const json: unknown = JSON.parse(text);
      if (json !== null && typeof json === 'object') {
        for (const [name, value] of Object.entries(json)) {
          if (typeof value === 'string') pick(out, name, value);
        }
      }
    } catch {
      // Not JSON after all: fall through to the plain-text message.
    }
  } else if (FORM_LIKE.test(text)) {
    try {
      for (const [name, value] of parseFormEncoded(text)) pick(out, name, value);
    } catch {
      // Not form data after all.
    }
  }
  return out;
}

function pick(out: WireError, name: string, value: string): void {
  if (value === '') return;
  if (name === 'oauth_problem') out.problem ??= value;
  else if (name === 'oauth_problem_advice') out.advice ??= value;
  else if (name === 'error') out.error ??= value;
  else if (name === 'error_description' || name === 'description') out.description ??= value;
}

// A short plain-text body ("Invalid OAuth signature.") is the best message there is; HTML
// pages and long bodies are not.
function plainText(body: string, headers: Headers): string | undefined {
  const type = headers.get('content-type') ?? '';
  if (/html|xml/i.test(type)) return undefined;
  const text = body.trim();
  if (text === '' || text.startsWith('<')) return undefined;
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > 200 ? line.slice(0, 200) + '...' : line;
}
