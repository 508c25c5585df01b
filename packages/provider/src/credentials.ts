import { randomBytes } from 'node:crypto';
import { readableVerifiers } from '@signet/server';

/** Launchpad's length of consumer and token keys. */
export const KEY_LENGTH = 20;
/** Launchpad's length of consumer and token secrets. */
export const SECRET_LENGTH = 80;

// Letters and digits only: the values travel unescaped in URLs, form bodies and headers,
// and some clients mishandle percent-encoded credentials.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// The largest multiple of the alphabet size below 256: bytes at or above it are dropped so
// that every character is equally likely (no modulo bias).
const LIMIT = 256 - (256 % ALPHABET.length);

/**
 * A string of `length` characters from `[A-Za-z0-9]`, drawn from the CSPRNG without bias.
 *
 * @example randomToken(20) // 'q2Lk0...'
 */
export function randomToken(length: number): string {
  if (!Number.isInteger(length) || length < 1) {
    throw new TypeError(`length must be a positive integer, got ${length}`);
  }
  let out = '';
  while (out.length < length) {
    const bytes = randomBytes(Math.ceil((length - out.length) * 1.25) + 4);
    for (const b of bytes) {
      if (b < LIMIT) {
        out += ALPHABET[b % ALPHABET.length];
        if (out.length === length) break;
      }
    }
  }
  return out;
}

/** A new consumer or token key (20 characters, about 119 bits). */
export function generateKey(): string {
  return randomToken(KEY_LENGTH);
}

/** A new consumer or token secret (80 characters, about 476 bits). */
export function generateSecret(): string {
  return randomToken(SECRET_LENGTH);
}

/**
 * A new `oauth_verifier` (RFC 5849 §2.2): 16 characters a person can read and type without
 * confusing any two, grouped by four (`7KQ2-M9XD-04RT-HJ3B`); the token endpoints compare
 * it case-insensitively and without the dashes.
 */
export function generateVerifier(): string {
  return readableVerifiers.generate();
}
