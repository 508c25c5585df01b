import { OAuthError } from '../errors.js';
import { HMAC_SHA1, HMAC_SHA256, HMAC_SHA512 } from './hmac.js';
import type { SignatureMethod } from './method.js';
import { PLAINTEXT } from './plaintext.js';
import { RSA_SHA1, RSA_SHA256, RSA_SHA512 } from './rsa.js';

/**
 * The signature methods a signer or verifier knows, by name.
 *
 * @see RFC 5849 §3.4
 * @example
 * ```ts
 * const registry = new SignatureMethodRegistry([HMAC_SHA1]).register(myMethod)
 * ```
 */
export class SignatureMethodRegistry {
  readonly #methods = new Map<string, SignatureMethod>();

  constructor(methods: Iterable<SignatureMethod> = BUILT_IN) {
    for (const m of methods) this.register(m);
  }

  /** Adds or replaces a method; returns the registry. */
  register(method: SignatureMethod): this {
    this.#methods.set(method.name, method);
    return this;
  }

  /** The method of that name, or `undefined`. Names are case-sensitive, as on the wire. */
  get(name: string): SignatureMethod | undefined {
    return this.#methods.get(name);
  }

  /** The method of that name. @throws {OAuthError} `ERR_OAUTH_SIGNATURE_METHOD` */
  require(name: string): SignatureMethod {
    const m = this.#methods.get(name);
    if (m === undefined) {
      throw new OAuthError(
        'ERR_OAUTH_SIGNATURE_METHOD',
        `Unsupported signature method "${name.slice(0, 40)}".`,
        { problem: 'signature_method_rejected' },
      );
    }
    return m;
  }

  /** Names of the registered methods. */
  names(): string[] {
    return [...this.#methods.keys()];
  }
}

const BUILT_IN: readonly SignatureMethod[] = [
  PLAINTEXT,
  HMAC_SHA1,
  HMAC_SHA256,
  HMAC_SHA512,
  RSA_SHA1,
  RSA_SHA256,
  RSA_SHA512,
];

/** The default registry: every method RFC 5849 and its common extensions define. */
export const defaultSignatureMethods: SignatureMethodRegistry = new SignatureMethodRegistry();
