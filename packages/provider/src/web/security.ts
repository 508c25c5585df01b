import type { FastifyReply } from 'fastify';

/**
 * Headers every HTML page carries. The authorization page must never be framed
 * (clickjacking would let a site click "Change Anything" for the user), pages hold tokens
 * in their URLs (so no Referer leaves them) and are personal (so nothing caches them).
 *
 * `formTargets` are origins a form on this page may end up at: Chromium applies CSP
 * `form-action` to the redirect after a POST, so the authorization page must name the
 * client's callback origin or the final redirect is blocked.
 */
export function setPageSecurityHeaders(
  reply: FastifyReply,
  formTargets: readonly string[] = [],
): void {
  const formAction = ["'self'", ...formTargets].join(' ');
  reply.header(
    'content-security-policy',
    `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${formAction}; ` +
      "frame-ancestors 'none'; base-uri 'none'",
  );
  reply.header('x-frame-options', 'DENY');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cache-control', 'no-store');
}

/** The origin of an http(s) URL, for `form-action`, or `undefined` for anything else. */
export function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where to go after logging in: only a path on this site, never `//host` or a scheme, so the
 * login form cannot be turned into an open redirect; always plain ASCII, so it fits a header.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//')) return '/';
  if (next.includes('\\') || /[\u0000-\u001f]/.test(next)) return '/';
  // A Location header holds Latin-1 at most (Node refuses more with ERR_INVALID_CHAR, after
  // the login succeeded): percent-encode what is not printable ASCII, as a browser would.
  try {
    return next.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
  } catch {
    return '/'; // A lone surrogate has no UTF-8 form.
  }
}
