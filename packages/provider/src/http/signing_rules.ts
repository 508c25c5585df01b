/**
 * Rules on how requests are signed that the provider adds to RFC 5849's: no PLAINTEXT over
 * plain http (`SIGNET_ALLOW_INSECURE_PLAINTEXT`), `oauth_body_hash` on every body that is not
 * a signed form (`SIGNET_REQUIRE_BODY_HASH`), and no content-coded body without it.
 */
import {
  collectParameters,
  defaultSignatureMethods,
  isFormContentType,
  type Param,
} from '@signet/core';
import { type Endpoint, formResponse, type OAuthRequest, type OAuthResponse } from '@signet/server';
import type { Config } from '../config.js';

/** Whether PLAINTEXT is refused: the public URL is http: and the operator did not allow it. */
export function refusesPlaintext(config: Config): boolean {
  return !config.allowInsecurePlaintext && !config.publicUrl.startsWith('https:');
}

/**
 * Endpoint options that take PLAINTEXT out of the accepted methods when it is refused: the
 * endpoint's own check, on the parameters it parsed, backs up {@link plaintextRefusal}.
 */
export function signatureMethodOptions(config: Config): {
  allowedSignatureMethods?: readonly string[];
} {
  if (!refusesPlaintext(config)) return {};
  return {
    allowedSignatureMethods: defaultSignatureMethods.names().filter((n) => n !== 'PLAINTEXT'),
  };
}

const badRequest = (description: string, problem: string): OAuthResponse =>
  formResponse(
    [
      ['error', 'invalid_request'],
      ['error_description', description],
      ['oauth_problem', problem],
    ],
    400,
  );

const PLAINTEXT_REFUSED = badRequest(
  'PLAINTEXT needs https: over plain http it sends the secrets in the clear. Sign with HMAC-SHA1 or another method, or use https.',
  'signature_method_rejected',
);

const BODY_HASH_REQUIRED = badRequest(
  'This API needs oauth_body_hash for a body that is not a form in UTF-8 without Content-Encoding (the OAuth Request Body Hash extension).',
  'parameter_absent',
);

const ENCODING_REFUSED: OAuthResponse = {
  status: 415,
  headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  body: 'A request body with a Content-Encoding other than identity needs oauth_body_hash: no signature covers what it decodes to. Send it unencoded, or with oauth_body_hash.',
};

const header = (request: OAuthRequest, name: string): string | undefined => {
  const v = request.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : undefined;
};

/** Whether the body is content-coded: a Content-Encoding other than `identity`. */
function contentCoded(request: OAuthRequest): boolean {
  const coding = header(request, 'content-encoding');
  if (coding === undefined) return false;
  return coding.split(',').some((c) => {
    const t = c.trim().toLowerCase();
    return t !== '' && t !== 'identity';
  });
}

/**
 * Whether the body's parameters are what the signature covers and what the upstream reads:
 * a form (RFC 5849 §3.4.1.3.1) in UTF-8 (no charset, or `utf-8`) and not content-coded.
 * In another charset, or compressed, the provider checks other parameters than the upstream
 * decodes: such a body is a non-form body.
 */
export function isSignedForm(request: OAuthRequest): boolean {
  const type = header(request, 'content-type');
  if (!isFormContentType(type) || contentCoded(request)) return false;
  for (const param of type!.split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (
      param
        .slice(0, eq === -1 ? undefined : eq)
        .trim()
        .toLowerCase() !== 'charset'
    )
      continue;
    const charset = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return false;
  }
  return true;
}

/** Whether the request has a body, read or still to come. */
function hasBody(request: OAuthRequest): boolean {
  const body = request.body;
  if (body !== undefined && body !== null && body.length > 0) return true;
  const length = header(request, 'content-length');
  return (
    header(request, 'transfer-encoding') !== undefined ||
    (length !== undefined && length.trim() !== '0')
  );
}

/** The OAuth parameters of a request, or `undefined` when they cannot be read (the endpoint answers that). */
function oauthParams(request: OAuthRequest, publicUrl: string): Param[] | undefined {
  const header = request.headers['authorization'];
  const type = request.headers['content-type'];
  try {
    const c = collectParameters({
      method: request.method,
      url: publicUrl + request.url,
      authorization: typeof header === 'string' ? header : undefined,
      contentType: typeof type === 'string' ? type : undefined,
      body: request.body,
    });
    return [...(c.header?.params ?? []), ...c.query, ...c.body];
  } catch {
    return undefined;
  }
}

/** Whether the header or query (or a form body) carries the OAuth parameter `name`. */
export function hasOAuthParam(request: OAuthRequest, publicUrl: string, name: string): boolean {
  return oauthParams(request, publicUrl)?.some(([k]) => k === name) ?? false;
}

function mentions(request: OAuthRequest, text: string): boolean {
  const h = request.headers['authorization'];
  if (typeof h === 'string' && h.includes(text)) return true;
  if (request.url.includes(text)) return true;
  const body = request.body;
  if (typeof body === 'string') return body.includes(text);
  if (!(body instanceof Uint8Array)) return false;
  const bytes = Buffer.isBuffer(body)
    ? body
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return bytes.includes(text);
}

/**
 * The 400 for a PLAINTEXT request over plain http, or `undefined`. The endpoint's
 * `allowedSignatureMethods` refuses what this misses (an encoded method name), with a
 * terser message.
 */
export function plaintextRefusal(config: Config, request: OAuthRequest): OAuthResponse | undefined {
  if (!refusesPlaintext(config) || !mentions(request, 'PLAINTEXT')) return undefined;
  const params = oauthParams(request, config.publicUrl);
  return params?.some(([k, v]) => k === 'oauth_signature_method' && v === 'PLAINTEXT')
    ? PLAINTEXT_REFUSED
    : undefined;
}

/**
 * The 415 for a content-coded body that `oauth_body_hash` does not cover, whatever
 * `SIGNET_REQUIRE_BODY_HASH` says: the upstream (or a parser) would decode bytes no signature
 * covers. Judged on the headers, so it also holds for a body still to be streamed.
 */
export function encodingRefusal(config: Config, request: OAuthRequest): OAuthResponse | undefined {
  if (!contentCoded(request) || !hasBody(request)) return undefined;
  return hasOAuthParam(request, config.publicUrl, 'oauth_body_hash') ? undefined : ENCODING_REFUSED;
}

/**
 * The 400 for a non-empty body without `oauth_body_hash` that is not a signed form (see
 * {@link isSignedForm}), when one is required.
 */
export function bodyHashRefusal(config: Config, request: OAuthRequest): OAuthResponse | undefined {
  if (!config.requireBodyHash) return undefined;
  const body = request.body;
  if (body === undefined || body === null || body.length === 0) return undefined;
  if (isSignedForm(request)) return undefined;
  const params = oauthParams(request, config.publicUrl);
  // Unreadable parameters: the endpoint's own answer says why.
  if (params === undefined || params.some(([k]) => k === 'oauth_body_hash')) return undefined;
  return BODY_HASH_REQUIRED;
}

/** An endpoint that refuses PLAINTEXT over plain http before anything else. */
export function refusingInsecurePlaintext(config: Config, endpoint: Endpoint): Endpoint {
  if (!refusesPlaintext(config)) return endpoint;
  return async (request) => plaintextRefusal(config, request) ?? endpoint(request);
}
