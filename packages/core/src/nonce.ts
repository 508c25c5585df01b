import { randomHex } from './crypto.js';

/** Milliseconds since the epoch; inject a fixed one in tests. */
export type Clock = () => number;

/** Makes `oauth_nonce` values; inject a fixed one in tests. */
export type NonceGenerator = () => string;

/**
 * A fresh `oauth_nonce`: 128 bits from the system CSPRNG as 32 hex characters (all
 * unreserved, so they need no encoding anywhere).
 *
 * @see RFC 5849 §3.3
 */
export const generateNonce: NonceGenerator = () => randomHex(16);

/** The system clock. */
export const systemClock: Clock = Date.now;

/**
 * `oauth_timestamp` for a clock: whole seconds since the epoch, as a decimal string.
 *
 * @see RFC 5849 §3.3
 */
export function timestampOf(clock: Clock = systemClock): string {
  return Math.floor(clock() / 1000).toString();
}
