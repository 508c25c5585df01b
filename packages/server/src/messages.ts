/**
 * The human messages of error answers. The defaults are the ones of the Signet contract
 * (DESIGN.md), which are Launchpad's; every one can be replaced per endpoint.
 */

/**
 * Makes a message; `key` is the consumer or token key concerned, when there is one.
 *
 * @see RFC 5849 §3.2
 */
export type MessageOf = (key: string) => string;

/**
 * Every message an endpoint may answer with, by situation.
 *
 * @see RFC 5849 §3.2
 */
export interface Messages {
  /** The consumer key is not registered (401 `consumer_key_unknown`). */
  readonly unknownConsumer: MessageOf;
  /** The consumer is disabled (401 `consumer_key_refused`). */
  readonly consumerDisabled: MessageOf;
  /** The token is unknown, belongs to another consumer, or was already exchanged. */
  readonly unknownToken: MessageOf;
  /** The token expired. */
  readonly expiredToken: MessageOf;
  /** The access token was revoked. */
  readonly revokedToken: MessageOf;
  /** The signature does not verify (401 `signature_invalid`). */
  readonly invalidSignature: MessageOf;
  /** `oauth_body_hash` does not match the body. */
  readonly invalidBodyHash: MessageOf;
  /** The timestamp is outside the window (401 `timestamp_refused`). */
  readonly timestampRefused: MessageOf;
  /** The nonce was seen before (401 `nonce_used`). */
  readonly nonceUsed: MessageOf;
  /** The request token was not reviewed yet (access-token endpoint). */
  readonly notReviewed: MessageOf;
  /** The person refused (access-token endpoint, 403 `user_refused`). */
  readonly refused: MessageOf;
  /** Wrong verifier (access-token endpoint, 401 `verifier_invalid`). */
  readonly invalidVerifier: MessageOf;
  /** The callback is not allowed for this consumer (request-token endpoint). */
  readonly callbackRejected: MessageOf;
}

// Keys come from the other party: keep what is echoed short and printable.
const printable = (key: string): string => {
  const clipped = key.length > 64 ? key.slice(0, 64) + '...' : key;
  return clipped.replace(/[^\x20-\x7e]/g, '?');
};

const common: Messages = {
  unknownConsumer: (k) => `Unknown consumer (${printable(k)}).`,
  consumerDisabled: (k) => `Consumer disabled (${printable(k)}).`,
  unknownToken: (k) => `Unknown access token (${printable(k)}).`,
  expiredToken: (k) => `Expired token (${printable(k)}).`,
  // The contract names no revoked message; a revoked token is as unknown as a deleted one.
  revokedToken: (k) => `Unknown access token (${printable(k)}).`,
  invalidSignature: () => 'Invalid signature.',
  invalidBodyHash: () => 'Invalid body hash.',
  timestampRefused: () => 'Timestamp outside the allowed window.',
  nonceUsed: () => 'Nonce already used.',
  notReviewed: () => 'Request token has not yet been reviewed. Try again later.',
  refused: () => 'End-user refused to authorize request token.',
  invalidVerifier: () => 'Invalid verifier.',
  callbackRejected: () => 'Callback URL not allowed for this consumer.',
};

/**
 * Default messages of the protected-resource and signature-only endpoints.
 *
 * @see RFC 5849 §3.2
 */
export const resourceMessages: Messages = common;

/**
 * Default messages of the request-token and access-token endpoints (Launchpad's wording).
 *
 * @see RFC 5849 §2.1, §2.3
 */
export const tokenMessages: Messages = {
  ...common,
  unknownToken: () => 'No request token specified.',
  expiredToken: () =>
    'This request token has expired and can no longer be exchanged for an access token.',
  revokedToken: () => 'No request token specified.',
  invalidSignature: () => 'Invalid OAuth signature.',
};
