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
export type { Discovery, DiscoveryOptions, Link, ServerTarget } from './discovery.js';
export {
  discover,
  hostMeta,
  LinkRelations,
  parseJrd,
  parseServerTarget,
  parseXrd,
  webfinger,
} from './discovery.js';
export type { OAuthEchoHeaders, OAuthEchoOptions } from './echo.js';
export { oauthEcho } from './echo.js';
export type { ClientErrorCode, ClientErrorOptions, OAuthProtocolErrorInit } from './errors.js';
export { ClientError, OAuthProtocolError } from './errors.js';
export type {
  DesktopConsumerNameOptions,
  LaunchpadClientOptions,
  WaitOptions,
} from './launchpad.js';
export {
  desktopConsumerName,
  isDesktopConsumerName,
  LAUNCHPAD_REALM,
  launchpadClient,
  waitForAccessToken,
} from './launchpad.js';
export type { LoginOptions, LoginResult } from './login.js';
export { login } from './login.js';
export type { ParamsInit } from './params.js';
export type { ClientMetadata, ClientRegistration, RegistrationOptions } from './registration.js';
export { registerClient, updateClient } from './registration.js';
export type {
  CredentialStore,
  FileCredentialStoreOptions,
  StoredCredentials,
  StoredRegistration,
} from './store.js';
export {
  defaultConfigDir,
  FileCredentialStore,
  MemoryCredentialStore,
} from './store.js';
