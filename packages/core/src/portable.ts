/**
 * @signet/core, portable build: the whole API over Web Crypto and plain JavaScript, with no
 * `node:` import. The package's `default`, `browser`, `workerd` and `deno` conditions load
 * this module; `node` loads index.ts, the same API with node:crypto underneath.
 * @packageDocumentation
 */
export type { AuthorizationHeader } from './authorization_header.js';
export {
  isOAuthAuthorization,
  parseAuthorizationHeader,
  serializeAuthorizationHeader,
} from './authorization_header.js';
export { baseStringUri, signatureBaseString } from './base_string.js';
export { bodyHash, verifyBodyHash } from './body_hash.js';
export type { HashAlgorithm, KeyLike, NodeKeyObject } from './crypto.js';
export {
  cryptoBackendName,
  hmacBase64,
  hmacBase64Async,
  timingSafeEqualString,
} from './crypto.js';
export { percentDecode, percentEncode } from './encoding.js';
export type { OAuthErrorCode, OAuthErrorOptions, OAuthProblem } from './errors.js';
export { OAuthError } from './errors.js';
export type { Clock, NonceGenerator } from './nonce.js';
export { generateNonce, systemClock, timestampOf } from './nonce.js';
export type { Param } from './parameters.js';
export {
  formEncode,
  isFormContentType,
  normalizeParameters,
  parseFormEncoded,
} from './parameters.js';
export type { CollectedParameters, RequestParts } from './request.js';
export { collectParameters, signedParameters } from './request.js';
export type {
  OAuthCredentials,
  SignedRequest,
  SignRequestOptions,
  VerifySignatureOptions,
} from './sign.js';
export {
  signRequest,
  signRequestAsync,
  verifySignature,
  verifySignatureAsync,
} from './sign.js';
export { HMAC_SHA1, HMAC_SHA256, HMAC_SHA512 } from './signature/hmac.js';
export type { SignatureKeys, SignatureMethod } from './signature/method.js';
export { PLAINTEXT, signingKey } from './signature/plaintext.js';
export { defaultSignatureMethods, SignatureMethodRegistry } from './signature/registry.js';
export { RSA_SHA1, RSA_SHA256, RSA_SHA512 } from './signature/rsa.js';
