import { digestBase64, type HashAlgorithm, timingSafeEqualString } from './crypto.js';

/**
 * `oauth_body_hash`: base64 of the hash of the raw body bytes (empty for no body). Sent with
 * requests whose body is not form-encoded, so that the signature covers it; never with a
 * form-encoded body, whose parameters are signed directly.
 *
 * @see OAuth Request Body Hash 1.0, §3.1 and §3.2
 * @example
 * ```ts
 * bodyHash('Hello World!', 'sha1') // 'Lve95gjOVATpfV8EL5X4nxwjKHE='
 * ```
 */
export function bodyHash(
  body: string | Uint8Array | null | undefined,
  algorithm: HashAlgorithm,
): string {
  return digestBase64(algorithm, body ?? '');
}

/**
 * Checks an `oauth_body_hash` against the body received, in constant time.
 *
 * @see OAuth Request Body Hash 1.0, §4.1
 */
export function verifyBodyHash(
  body: string | Uint8Array | null | undefined,
  algorithm: HashAlgorithm,
  expected: string,
): boolean {
  return timingSafeEqualString(bodyHash(body, algorithm), expected);
}
