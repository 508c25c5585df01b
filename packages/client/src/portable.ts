/**
 * @signet/client, portable build: an OAuth 1.0a (RFC 5849) consumer over the runtime's
 * `fetch`, with discovery, dynamic registration and the Launchpad flavour; no `node:`
 * import. The package's `browser`, `workerd`, `deno` and `default` conditions load it.
 * The Node-only parts (the file credential store, the Launchpad desktop defaults, the CLI)
 * are in `@signet/client/node`; on Node the main entry (index.ts) has them too.
 * @packageDocumentation
 */
export type { AuthorizationResponse } from './callback.js';
export { parseAuthorizationResponse } from './callback.js';
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
} from './launchpad_portable.js';
export {
  desktopConsumerName,
  isDesktopConsumerName,
  LAUNCHPAD_REALM,
  launchpadClient,
  waitForAccessToken,
} from './launchpad_portable.js';
export type { LoginOptions, LoginResult } from './login.js';
export { login } from './login.js';
export type {
  CredentialStore,
  StoredCredentials,
  StoredRegistration,
} from './memory_store.js';
export { MemoryCredentialStore } from './memory_store.js';
export type { ParamsInit } from './params.js';
export type { ClientMetadata, ClientRegistration, RegistrationOptions } from './registration.js';
export { registerClient, updateClient } from './registration.js';
