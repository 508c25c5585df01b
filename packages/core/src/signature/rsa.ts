import {
  type HashAlgorithm,
  type KeyLike,
  rsaSignBase64,
  rsaSignBase64Async,
  rsaVerifyBase64,
  rsaVerifyBase64Async,
} from '../crypto.js';
import { OAuthError } from '../errors.js';
import type { SignatureKeys, SignatureMethod } from './method.js';

function rsaMethod(name: string, algorithm: HashAlgorithm): SignatureMethod {
  const privateKey = (keys: SignatureKeys): KeyLike => {
    if (keys.privateKey === undefined) {
      throw new OAuthError('ERR_OAUTH_KEY', `${name} needs a private key to sign.`);
    }
    return keys.privateKey;
  };
  const publicKey = (keys: SignatureKeys): KeyLike => {
    if (keys.publicKey === undefined) {
      throw new OAuthError('ERR_OAUTH_KEY', `${name} needs the consumer's public key.`);
    }
    return keys.publicKey;
  };
  return {
    name,
    usesBaseString: true,
    bodyHashAlgorithm: algorithm,
    sign: (baseString, keys) => rsaSignBase64(algorithm, privateKey(keys), baseString),
    verify: (baseString, signature, keys) =>
      rsaVerifyBase64(algorithm, publicKey(keys), baseString, signature),
    signAsync: async (baseString, keys) =>
      rsaSignBase64Async(algorithm, privateKey(keys), baseString),
    verifyAsync: async (baseString, signature, keys) =>
      rsaVerifyBase64Async(algorithm, publicKey(keys), baseString, signature),
  };
}

/**
 * RSA-SHA1: RSASSA-PKCS1-v1_5 with SHA-1 over the base string.
 * @see RFC 5849 §3.4.3
 */
export const RSA_SHA1: SignatureMethod = rsaMethod('RSA-SHA1', 'sha1');
/** RSA-SHA256, as RFC 5849 §3.4.3 with SHA-256. */
export const RSA_SHA256: SignatureMethod = rsaMethod('RSA-SHA256', 'sha256');
/** RSA-SHA512, as RFC 5849 §3.4.3 with SHA-512. */
export const RSA_SHA512: SignatureMethod = rsaMethod('RSA-SHA512', 'sha512');
