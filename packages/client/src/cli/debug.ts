// What `sign --base-string` and `call -v` show to debug an "invalid signature": the base
// string as a server rebuilds it from the request, and the key's shape, never the secrets.
import {
  collectParameters,
  percentEncode,
  signatureBaseString,
  signedParameters,
} from '@signet/core';
import type { SignedHttpRequest } from '../client.js';

/** The signature base string a server computes from this request (RFC 5849 §3.4.1). */
export function baseStringOf(signed: SignedHttpRequest): string {
  const collected = collectParameters({
    method: signed.method,
    url: signed.url,
    authorization: signed.headers['authorization'],
    contentType: signed.headers['content-type'],
    body: signed.body,
  });
  return signatureBaseString(signed.method, signed.url, signedParameters(collected));
}

/**
 * The signing key's shape: `consumer-secret(N chars)&token-secret(M chars)` for HMAC, the
 * key type for RSA. The secrets themselves are never printed.
 */
export function keyShape(method: string, consumerSecret: string, tokenSecret: string): string {
  if (method.startsWith('RSA-')) return 'the RSA private key (--rsa-key)';
  const part = (name: string, s: string) =>
    `${name}(${s.length} chars${s.length > 0 && percentEncode(s) !== s ? ', percent-encoded' : ''})`;
  return `${part('consumer-secret', consumerSecret)}&${part('token-secret', tokenSecret)}`;
}

/** The Authorization header with its signature (and PLAINTEXT's secrets) blanked out. */
export function redactedAuthorization(header: string): string {
  return header.replace(/oauth_signature="[^"]*"/, 'oauth_signature="[redacted]"');
}

/** A URL or form body with its `oauth_signature` blanked out. */
export function redactedForm(text: string): string {
  return text.replace(/(^|[?&])oauth_signature=[^&#]*/, '$1oauth_signature=[redacted]');
}
