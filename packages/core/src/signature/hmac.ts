import {
  type HashAlgorithm,
  hmacBase64,
  hmacBase64Async,
  timingSafeEqualString,
} from '../crypto.js';
import type { SignatureMethod } from './method.js';
import { signingKey } from './plaintext.js';

function hmacMethod(name: string, algorithm: HashAlgorithm): SignatureMethod {
  return {
    name,
    usesBaseString: true,
    bodyHashAlgorithm: algorithm,
    sign: (baseString, keys) => hmacBase64(algorithm, signingKey(keys), baseString),
    verify: (baseString, signature, keys) =>
      timingSafeEqualString(hmacBase64(algorithm, signingKey(keys), baseString), signature),
    signAsync: (baseString, keys) => hmacBase64Async(algorithm, signingKey(keys), baseString),
    verifyAsync: async (baseString, signature, keys) =>
      timingSafeEqualString(
        await hmacBase64Async(algorithm, signingKey(keys), baseString),
        signature,
      ),
  };
}

/**
 * HMAC-SHA1: base64 of HMAC-SHA1(signing key, base string).
 * @see RFC 5849 §3.4.2
 */
export const HMAC_SHA1: SignatureMethod = hmacMethod('HMAC-SHA1', 'sha1');
/** HMAC-SHA256, as RFC 5849 §3.4.2 with SHA-256 (oauthlib, Twitter Ads, NetSuite). */
export const HMAC_SHA256: SignatureMethod = hmacMethod('HMAC-SHA256', 'sha256');
/** HMAC-SHA512, as RFC 5849 §3.4.2 with SHA-512 (oauthlib). */
export const HMAC_SHA512: SignatureMethod = hmacMethod('HMAC-SHA512', 'sha512');
