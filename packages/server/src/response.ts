import {
  formEncode,
  OAuthError,
  type OAuthErrorCode,
  type OAuthProblem,
  type Param,
} from '@signet/core';
import type { StoreUnavailableError } from './errors.js';
import type { OAuthResponse } from './http.js';
import type { Config } from './options.js';

const NO_STORE = 'no-store';

/**
 * A form-encoded success answer, as the token endpoints give credentials.
 *
 * @see RFC 5849 §2.1, §2.3
 * @example
 * ```ts
 * formResponse([['oauth_token', 't'], ['oauth_token_secret', 's']])
 * // { status: 200, headers: {...}, body: 'oauth_token=t&oauth_token_secret=s' }
 * ```
 */
export function formResponse(params: Iterable<Param>, status = 200): OAuthResponse {
  return {
    status,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'cache-control': NO_STORE,
    },
    body: formEncode(params),
  };
}

/**
 * A JSON answer (Launchpad's `/+request-token` with `Accept: application/json`).
 *
 * @see RFC 5849 §2.1
 * @example
 * ```ts
 * jsonResponse({ oauth_token: 't' })
 * ```
 */
export function jsonResponse(value: unknown, status = 200): OAuthResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': NO_STORE },
    body: JSON.stringify(value),
  };
}

// Header values: printable ASCII only, whatever the realm or key was made of.
const quote = (s: string): string =>
  '"' + s.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, '\\$&') + '"';

/**
 * The answer for an error: the status it names; for 400 a form body
 * `error=invalid_request&error_description=...&oauth_problem=...`; for 401 and 403 the bare
 * message (or a form body with `errorFormat: 'form'`) and `WWW-Authenticate: OAuth realm=...`
 * carrying `oauth_problem`.
 *
 * @see RFC 5849 §3.2
 * @internal
 */
export function errorResponse(error: OAuthError, config: Config, realm: string): OAuthResponse {
  const headers: Record<string, string> = { 'cache-control': NO_STORE };
  const problem: Param[] = [];
  if (error.problem !== undefined) problem.push(['oauth_problem', error.problem]);
  if (error.problem === 'timestamp_refused') {
    const now = config.clock();
    const low = Math.max(0, Math.floor((now - config.windowMs) / 1000));
    problem.push([
      'oauth_acceptable_timestamps',
      `${low}-${Math.floor((now + config.windowMs) / 1000)}`,
    ]);
  }
  if (error.status === 400) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return {
      status: 400,
      headers,
      body: formEncode([
        ['error', 'invalid_request'],
        ['error_description', error.message],
        ...problem,
      ]),
    };
  }
  if (error.status === 401 || error.status === 403) {
    // RFC 7235 §4.1 allows the challenge on a 403 too: other credentials may succeed.
    let challenge = `OAuth realm=${quote(realm)}`;
    for (const [name, value] of problem) challenge += `, ${name}=${quote(value)}`;
    headers['www-authenticate'] = challenge;
  }
  if (config.errorFormat === 'form') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return {
      status: error.status,
      headers,
      body: formEncode([...problem, ['oauth_problem_advice', error.message]]),
    };
  }
  headers['content-type'] = 'text/plain; charset=utf-8';
  return { status: error.status, headers, body: error.message };
}

/**
 * @internal A 503 for a dependency that is down: the request may succeed when retried.
 * The message is the error's own, which stores keep to one safe line.
 */
export function unavailableResponse(error: StoreUnavailableError): OAuthResponse {
  return {
    status: 503,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': NO_STORE,
      'retry-after': String(Math.max(1, Math.ceil(error.retryAfter))),
    },
    body: error.message,
  };
}

/** @internal A 500 that says nothing about its cause. */
export function internalErrorResponse(): OAuthResponse {
  return {
    status: 500,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': NO_STORE },
    body: 'Internal server error.',
  };
}

/**
 * Shorthand for the errors the endpoints raise.
 * @internal
 */
export function reject(
  code: OAuthErrorCode,
  message: string,
  status: number,
  problem?: OAuthProblem,
): OAuthError {
  return new OAuthError(code, message, problem === undefined ? { status } : { status, problem });
}
