// The signed call of the load run: `GET <url>` with an access token, HMAC-SHA1, a fresh nonce
// from @signet/core's CSPRNG pool and the current time.
import { signRequest } from '@signet/core';
import type { SigningCredentials } from './messages.js';

/** An Authorization header for one `method url` request, never signed before. */
export function authorizationFor(
  credentials: SigningCredentials,
  url: string,
  method = 'GET',
): string {
  return signRequest({
    method,
    url,
    consumerKey: credentials.consumerKey,
    consumerSecret: credentials.consumerSecret,
    token: credentials.token,
    tokenSecret: credentials.tokenSecret,
    signatureMethod: 'HMAC-SHA1',
  }).authorization;
}
