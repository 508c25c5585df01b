import { OAuthError } from './errors.js';

// 1 for the RFC 3986 unreserved set: ALPHA / DIGIT / "-" / "." / "_" / "~".
const UNRESERVED = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-._~]/.test(ch)) UNRESERVED[c] = 1;
}

// How each ASCII character is written: itself when unreserved, `%XX` otherwise.
const ASCII_ENCODED: string[] = [];
for (let c = 0; c < 128; c++) {
  ASCII_ENCODED.push(
    UNRESERVED[c] === 1
      ? String.fromCharCode(c)
      : `%${c.toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

// The same, encoded once more for the base string (§3.4.1.1): `%XX` becomes `%25XX`.
const ASCII_ENCODED_TWICE = ASCII_ENCODED.map((e) => (e.length === 1 ? e : `%25${e.slice(1)}`));

// encodeURIComponent leaves these five unencoded; RFC 3986 reserves them.
const SUB_DELIMS = /[!'()*]/g;
const SUB_DELIM_ENCODED: Record<string, string> = {
  '!': '%21',
  "'": '%27',
  '(': '%28',
  ')': '%29',
  '*': '%2A',
};
const encodeSubDelim = (c: string): string => SUB_DELIM_ENCODED[c] ?? c;

/**
 * Percent-encodes a string as OAuth requires: UTF-8, every byte outside the RFC 3986
 * unreserved set as `%XX` with upper-case hex.
 *
 * @see RFC 5849 §3.6
 * @throws {OAuthError} `ERR_OAUTH_ENCODING` for a string with a lone surrogate (not Unicode).
 * @example
 * ```ts
 * percentEncode('Ladies + Gentlemen') // 'Ladies%20%2B%20Gentlemen'
 * ```
 */
export function percentEncode(value: string): string {
  return encodeWith(value, ASCII_ENCODED);
}

/**
 * `percentEncode(percentEncode(value))` in one pass: how a request parameter appears in the
 * signature base string, where the normalised parameters are encoded a second time.
 * @internal
 */
export function percentEncodeTwice(value: string): string {
  return encodeWith(value, ASCII_ENCODED_TWICE);
}

function encodeWith(value: string, table: readonly string[]): string {
  // ASCII (URLs, base64 signatures): unreserved runs are copied whole, the rest from a
  // table; faster than encodeURIComponent plus a regex pass over its result.
  let out = '';
  let run = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128) {
      const once = encodeUnicode(value);
      return table === ASCII_ENCODED ? once : once.replaceAll('%', '%25');
    }
    if (UNRESERVED[c] === 0) {
      out += value.slice(run, i) + table[c]!;
      run = i + 1;
    }
  }
  // Most protocol values (keys, nonces, timestamps) are already unreserved: the very same
  // string comes back, which callers may test for with ===.
  return run === 0 ? value : out + value.slice(run);
}

function encodeUnicode(value: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch (cause) {
    throw new OAuthError('ERR_OAUTH_ENCODING', 'Value is not valid Unicode text.', { cause });
  }
  return encoded.replace(SUB_DELIMS, encodeSubDelim);
}

/**
 * Decodes `%XX` escapes. Strict: a `%` not followed by two hex digits, or bytes that are not
 * UTF-8, are errors rather than guesses, because a guessed value signs differently.
 *
 * @see RFC 5849 §3.6
 * @param plusIsSpace - `true` for `application/x-www-form-urlencoded` data (query and form
 *   body), where `+` stands for a space; `false` for the Authorization header.
 * @throws {OAuthError} `ERR_OAUTH_ENCODING`
 * @example
 * ```ts
 * percentDecode('a%20b+c', true) // 'a b c'
 * ```
 */
export function percentDecode(value: string, plusIsSpace = false): string {
  let s = value;
  if (plusIsSpace && s.includes('+')) s = s.replaceAll('+', ' ');
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch (cause) {
    throw new OAuthError('ERR_OAUTH_ENCODING', 'Malformed percent-encoding or non-UTF-8 data.', {
      cause,
    });
  }
}
