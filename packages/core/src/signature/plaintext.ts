import { timingSafeEqualString } from '../crypto.js';
import { percentEncode } from '../encoding.js';
import type { SignatureKeys, SignatureMethod } from './method.js';

/**
 * The PLAINTEXT signing key: `encode(consumer secret) & encode(token secret)`. It is also the
 * HMAC key (§3.4.2).
 *
 * @see RFC 5849 §3.4.4
 * @example
 * ```ts
 * signingKey({ consumerSecret: 'kd94hf93k423kf44' }) // 'kd94hf93k423kf44&'
 * ```
 */
export function signingKey(keys: SignatureKeys): string {
  const cs = keys.consumerSecret ?? '';
  const ts = keys.tokenSecret ?? '';
  // Clients sign with the same secrets call after call, servers see a few hot tokens:
  // remember the last key instead of encoding and joining the secrets again.
  if (cs === lastConsumerSecret && ts === lastTokenSecret) return lastKey;
  lastKey = percentEncode(cs) + '&' + percentEncode(ts);
  lastConsumerSecret = cs;
  lastTokenSecret = ts;
  return lastKey;
}

let lastConsumerSecret = '';
let lastTokenSecret = '';
let lastKey = '&';

/**
 * PLAINTEXT: the signature is the signing key itself. Only safe over TLS.
 *
 * @see RFC 5849 §3.4.4
 */
export const PLAINTEXT: SignatureMethod = {
  name: 'PLAINTEXT',
  usesBaseString: false,
  bodyHashAlgorithm: undefined,
  sign: (_baseString, keys) => signingKey(keys),
  verify: (_baseString, signature, keys) => timingSafeEqualString(signingKey(keys), signature),
  signAsync: async (_baseString, keys) => signingKey(keys),
  verifyAsync: async (_baseString, signature, keys) =>
    timingSafeEqualString(signingKey(keys), signature),
};
