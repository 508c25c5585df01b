import { type HashAlgorithm, rsaSignBase64, rsaVerifyBase64 } from '../crypto.js';
import { OAuthError } from '../errors.js';
import type { SignatureMethod } from './method.js';

function rsaMethod(name: string, algorithm: HashAlgorithm): SignatureMethod {
  return {
    name,
    usesBaseString: true,
    bodyHashAlgorithm: algorithm,
    sign(baseString, keys) {
      if (keys.privateKey === undefined) {
        throw new OAuthError('ERR_OAUTH_KEY', `${name} needs a private key to sign.`);
      }
      return rsaSignBase64(algorithm, keys.privateKey, baseString);
    },
    verify(baseString, signature, keys) {
      if (keys.publicKey === undefined) {
        throw new OAuthError('ERR_OAUTH_KEY', `${name} needs the consumer's public key.`);
      }
      return rsaVerifyBase64(algorithm, keys.publicKey, baseString, signature);
    },
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
