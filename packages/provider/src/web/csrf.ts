import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * CSRF tokens for every form: a random per-browser cookie, and a form token that is an HMAC
 * of that cookie and the session id under a server key. A site that can plant cookies still
 * cannot mint a token for the victim's session, and logging in changes the session, so a
 * token from before login is useless after it.
 */
export class Csrf {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** A new value for the per-browser cookie. */
  static newCookieValue(): string {
    return randomBytes(18).toString('base64url');
  }

  /** The token forms carry for that cookie and session. */
  token(cookie: string, sessionId: string): string {
    return createHmac('sha256', this.#key).update(`${cookie}|${sessionId}`).digest('base64url');
  }

  /** Whether a submitted token is right, in constant time. */
  verify(cookie: string | undefined, sessionId: string, submitted: unknown): boolean {
    if (!cookie || typeof submitted !== 'string') return false;
    const expected = Buffer.from(this.token(cookie, sessionId));
    const got = Buffer.from(submitted);
    return expected.length === got.length && timingSafeEqual(expected, got);
  }
}
