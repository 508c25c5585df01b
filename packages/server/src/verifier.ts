/**
 * How verifiers are made and read back. A person copies an out-of-band verifier by hand, so
 * one that is easy to read and forgiving to type costs no security when it is compared as
 * the same normalised value on both sides.
 *
 * @see RFC 5849 §2.2
 */
export interface VerifierPolicy {
  /** A new verifier, as the person will see it. */
  generate(): string;
  /** The form both the stored and the typed verifier are compared in. */
  normalize(verifier: string): string;
}

// Crockford's base32: digits and upper-case letters without I, L, O and U, so that nothing
// reads as something else; 5 bits a character.
const READABLE = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUPS = 4;
const GROUP = 4;

/**
 * Verifiers of 16 characters of Crockford's base32 (80 bits) in groups of four,
 * `7KQ2-M9XD-04RT-HJ3B`, read back case-insensitively, without the dashes or spaces, and
 * with `I`/`L` read as `1` and `O` as `0`. 80 bits are plenty: a guess also needs the
 * request token and a valid signature of the consumer that holds it, and the request token
 * dies with its first successful exchange.
 *
 * @example
 * ```ts
 * createAuthorizationEndpoint({ store, generateVerifier: readableVerifiers.generate })
 * createAccessTokenEndpoint({ store, normalizeVerifier: readableVerifiers.normalize })
 * ```
 */
export const readableVerifiers: VerifierPolicy = {
  generate() {
    const bytes = new Uint8Array(GROUPS * GROUP);
    crypto.getRandomValues(bytes);
    let out = '';
    for (let i = 0; i < bytes.length; i++) {
      if (i > 0 && i % GROUP === 0) out += '-';
      // 256 is a multiple of 32: the low five bits of a uniform byte are uniform.
      out += READABLE[bytes[i]! & 31];
    }
    return out;
  },
  normalize(verifier) {
    return verifier
      .replace(/[\s-]+/g, '')
      .toUpperCase()
      .replace(/[IL]/g, '1')
      .replace(/O/g, '0');
  },
};
