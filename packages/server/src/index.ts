/**
 * @signet/server: a framework-agnostic OAuth 1.0a (RFC 5849) provider toolkit. Endpoints take
 * a plain `{method, url, headers, body}` and answer `{status, headers, body}`, over a small
 * store interface. Framework adapters are separate entries (`@signet/server/node`,
 * `/express`, `/fastify`, `/fetch`) so that only they pull in a framework; the store
 * contract suite is `@signet/server/testing`.
 * @packageDocumentation
 */
export type {
  AccessTokenEndpointOptions,
  IssuedAccessToken,
} from './endpoints/access_token.js';
export { createAccessTokenEndpoint } from './endpoints/access_token.js';
export type {
  AuthorizationDecision,
  AuthorizationEndpoint,
  AuthorizationFailure,
  AuthorizationOptions,
  AuthorizationRecorded,
  PendingAuthorization,
} from './endpoints/authorize.js';
export { callbackRedirect, createAuthorizationEndpoint } from './endpoints/authorize.js';
export type {
  IssuedRequestToken,
  RequestTokenEndpointOptions,
} from './endpoints/request_token.js';
export { createRequestTokenEndpoint } from './endpoints/request_token.js';
export type {
  ResourceAccess,
  ResourceDenied,
  ResourceEndpoint,
  ResourceEndpointOptions,
  ResourceResult,
} from './endpoints/resource.js';
export { createResourceEndpoint } from './endpoints/resource.js';
export type {
  SignatureOnlyEndpoint,
  SignatureOnlyEndpointOptions,
  SignatureOnlyResult,
} from './endpoints/signature_only.js';
export { createSignatureOnlyEndpoint } from './endpoints/signature_only.js';
export { isStoreUnavailable, StoreUnavailableError } from './errors.js';
export type { Endpoint, OAuthHeaders, OAuthRequest, OAuthResponse } from './http.js';
export { acceptsJson } from './http.js';
export type { MessageOf, Messages } from './messages.js';
export { resourceMessages, tokenMessages } from './messages.js';
export type {
  EndpointOptions,
  ErrorFormat,
  Flavour,
  Limits,
  TokenGenerator,
} from './options.js';
export { formResponse, jsonResponse } from './response.js';
export type {
  AccessToken,
  Consumer,
  Grant,
  NonceUse,
  OAuthStore,
  RequestToken,
} from './store.js';
export type { MemoryStoreOptions } from './stores/memory.js';
export { MemoryStore } from './stores/memory.js';
export { callbackFits, isValidCallback, parseCallback, registeredCallbacks } from './validate.js';
export type { VerifierPolicy } from './verifier.js';
export { readableVerifiers } from './verifier.js';
