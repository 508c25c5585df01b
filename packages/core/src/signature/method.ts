import type { HashAlgorithm, KeyLike } from '../crypto.js';

/**
 * What a signature method is given to sign or verify with. HMAC and PLAINTEXT use the two
 * shared secrets; RSA uses `privateKey` to sign and `publicKey` (the consumer's registered
 * key or certificate) to verify.
 */
export interface SignatureKeys {
  /** The client (consumer) shared secret; empty for RSA-only consumers. */
  readonly consumerSecret?: string;
  /** The token shared secret; empty before a token exists. */
  readonly tokenSecret?: string;
  /** RSA private key, to sign. */
  readonly privateKey?: KeyLike;
  /** RSA public key or certificate, to verify. */
  readonly publicKey?: KeyLike;
}

/**
 * A signature method (`oauth_signature_method`). Register custom ones in a
 * {@link SignatureMethodRegistry}.
 *
 * @see RFC 5849 §3.4
 */
export interface SignatureMethod {
  /** The name sent in `oauth_signature_method`, for example `HMAC-SHA1`. */
  readonly name: string;
  /**
   * Whether the signature covers the base string. PLAINTEXT does not, so verifiers skip the
   * work of building one.
   */
  readonly usesBaseString: boolean;
  /** Hash for oauth_body_hash with this method, or `undefined` where the extension has none. */
  readonly bodyHashAlgorithm: HashAlgorithm | undefined;
  /** Signs a base string (ignored where `usesBaseString` is false). */
  sign(baseString: string, keys: SignatureKeys): string;
  /** Verifies a signature; must not leak, through timing, how much of a MAC matched. */
  verify(baseString: string, signature: string, keys: SignatureKeys): boolean;
  /**
   * Signs asynchronously (Web Crypto), for `signRequestAsync`. Methods without it are
   * signed with `sign`. The built-in methods have it, and it works on every runtime. A method
   * made by spreading a built-in one and replacing `sign` or `verify` should replace these
   * two as well (or set them to `undefined`), or the asynchronous path keeps the original.
   */
  signAsync?(baseString: string, keys: SignatureKeys): Promise<string>;
  /** Verifies asynchronously, for `verifySignatureAsync`; as `verify` otherwise. */
  verifyAsync?(baseString: string, signature: string, keys: SignatureKeys): Promise<boolean>;
}
