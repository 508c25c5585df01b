/**
 * @signet/client: an OAuth 1.0a (RFC 5849) consumer over fetch, with discovery, dynamic
 * registration, the Launchpad flavour, credential stores and the `signet` CLI.
 * @packageDocumentation
 */
export type {
  AccessToken,
  Endpoints,
  FetchLike,
  HeaderMode,
  HeadersLike,
  OAuth1ClientOptions,
  Placement,
  RequestOptions,
  RequestToken,
  RetryOptions,
  SignedHttpRequest,
  SignOptions,
  TokenCredentials,
  TokenRequestOptions,
  TokenSet,
} from './client.js';
export { OAuth1Client } from './client.js';
export type { ClientErrorCode, ClientErrorOptions, OAuthProtocolErrorInit } from './errors.js';
export { ClientError, OAuthProtocolError } from './errors.js';
export type { ParamsInit } from './params.js';
