import { percentDecode, percentEncode } from './encoding.js';
import { OAuthError } from './errors.js';
import { type Param, rememberClean } from './parameters.js';

/** An `Authorization: OAuth ...` header, parsed. */
export interface AuthorizationHeader {
  /** The `realm` parameter, unquoted, if present. It is not signed (§3.4.1.3.1). */
  readonly realm: string | undefined;
  /** Every other parameter, percent-decoded, in order, duplicates kept. */
  readonly params: Param[];
}

/** Longest header we parse; a longer one is an attack or a bug, not a credential. */
const MAX_HEADER_LENGTH = 16 * 1024;

const fail = (message: string): OAuthError =>
  new OAuthError('ERR_OAUTH_HEADER', `Malformed Authorization header: ${message}`, {
    problem: 'parameter_rejected',
  });

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09;
// RFC 7230 token characters, without the separators that end a name: a table, since every
// character of every name and unquoted value is tested.
const TOKEN = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) {
  if (c !== 0x2c && c !== 0x3d && c !== 0x22 && c !== 0x3b) TOKEN[c] = 1;
}
const isTokenChar = (c: number): boolean => c < 128 && TOKEN[c] === 1;

/**
 * Whether an Authorization header value uses the `OAuth` scheme (case-insensitive).
 *
 * @see RFC 5849 §3.5.1
 */
export function isOAuthAuthorization(header: string | null | undefined): header is string {
  if (!header || header.length < 5) return false;
  let i = 0;
  while (i < header.length && isSpace(header.charCodeAt(i))) i++;
  // "OAuth" in any case, compared by code unit: every request passes here.
  if (
    (header.charCodeAt(i) | 0x20) !== 0x6f ||
    (header.charCodeAt(i + 1) | 0x20) !== 0x61 ||
    (header.charCodeAt(i + 2) | 0x20) !== 0x75 ||
    (header.charCodeAt(i + 3) | 0x20) !== 0x74 ||
    (header.charCodeAt(i + 4) | 0x20) !== 0x68
  ) {
    return false;
  }
  const next = header.charCodeAt(i + 5);
  return Number.isNaN(next) || isSpace(next);
}

/**
 * Parses an `OAuth` Authorization header. Tolerant of what real clients send (any spacing
 * around `,` and `=`, empty values, unquoted values, `realm` anywhere, quoted-pair escapes),
 * strict about everything else. Parameter names and values are percent-decoded; `realm` is
 * a plain quoted-string and is only unquoted.
 *
 * @see RFC 5849 §3.5.1
 * @throws {OAuthError} `ERR_OAUTH_HEADER` for anything that is not an OAuth header, and
 *   `ERR_OAUTH_ENCODING` for bad percent-encoding. Nothing else, whatever the input.
 * @example
 * ```ts
 * parseAuthorizationHeader('OAuth realm="Example", oauth_token="a%20b"')
 * // { realm: 'Example', params: [['oauth_token', 'a b']] }
 * ```
 */
export function parseAuthorizationHeader(header: string): AuthorizationHeader {
  if (typeof header !== 'string') throw fail('not a string.');
  if (!isOAuthAuthorization(header)) throw fail('scheme is not OAuth.');
  return parseOAuthCredentials(header);
}

/**
 * {@link parseAuthorizationHeader} for a header already known to use the `OAuth` scheme.
 * @internal
 */
export function parseOAuthCredentials(header: string): AuthorizationHeader {
  if (header.length > MAX_HEADER_LENGTH) throw fail('too long.');
  return CANONICAL.test(header) ? parseCanonical(header) : parseGeneral(header);
}

// What nearly every client sends: unreserved names, values of unreserved characters and
// escapes, commas with optional spaces, perhaps a plain realm. A regular expression checks
// that in one native pass, far cheaper than looking at each character from JavaScript; the
// same header through parseGeneral gives the same result, only slower.
const CANONICAL_PARAM =
  /(?:realm="[^"\\\u0000-\u001f\u007f]*"|[A-Za-z0-9._~-]+="[A-Za-z0-9._~%-]*")/.source;
const CANONICAL = new RegExp(
  `^[ \\t]*[Oo][Aa][Uu][Tt][Hh][ \\t]+${CANONICAL_PARAM}(?:[ \\t]*,[ \\t]*${CANONICAL_PARAM})*[ \\t]*$`,
);

function parseCanonical(s: string): AuthorizationHeader {
  let realm: string | undefined;
  const params: Param[] = [];
  const cleanNames: (string | undefined)[] = [];
  const cleanValues: (string | undefined)[] = [];
  let i = 0;
  while (isSpace(s.charCodeAt(i))) i++;
  i += 5;
  for (;;) {
    while (isSpace(s.charCodeAt(i))) i++;
    const eq = s.indexOf('=', i);
    const name = s.slice(i, eq);
    const close = s.indexOf('"', eq + 2);
    const raw = s.slice(eq + 2, close);
    if (name.length === 5 && name.toLowerCase() === 'realm') {
      if (realm !== undefined) throw fail('realm appears twice.');
      realm = raw;
    } else if (raw.includes('%')) {
      params.push([name, percentDecode(raw)]);
      cleanNames.push(name);
      cleanValues.push(undefined);
    } else {
      params.push([name, raw]);
      cleanNames.push(name);
      cleanValues.push(raw);
    }
    const comma = s.indexOf(',', close);
    if (comma === -1) break;
    i = comma + 1;
  }
  rememberClean(params, { names: cleanNames, values: cleanValues });
  return { realm, params };
}

/**
 * Any header the grammar allows, one character at a time. The rare header that takes this
 * path leaves nothing for the base string to reuse (see rememberClean): it encodes afresh.
 * @internal
 */
export function parseGeneral(header: string): AuthorizationHeader {
  // Quoted-strings exclude controls but tab (RFC 7230 §3.2.6); one scan covers every value.
  if (CONTROL.test(header)) throw fail('control character in header.');
  const s = header;
  const n = s.length;
  let i = 0;
  while (isSpace(s.charCodeAt(i))) i++;
  i += 5; // past the scheme, checked above
  let realm: string | undefined;
  const params: Param[] = [];
  let expectComma = false;
  // Quoted-pairs are rare (realms, mostly): without a backslash, values end at the next quote.
  const escapes = s.includes('\\');
  for (;;) {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    if (i >= n) break;
    if (s.charCodeAt(i) === 0x2c) {
      // Empty list elements (`a="1",,b="2"`) are allowed by the list rule of RFC 7230 §7.
      i++;
      expectComma = false;
      continue;
    }
    if (expectComma) throw fail('expected a comma between parameters.');
    const nameStart = i;
    while (i < n && isTokenChar(s.charCodeAt(i))) i++;
    if (i === nameStart) throw fail(`unexpected character at position ${i}.`);
    const rawName = s.slice(nameStart, i);
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 0x3d) throw fail(`parameter "${safe(rawName)}" has no value.`);
    i++;
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    let rawValue: string;
    if (s.charCodeAt(i) === 0x22) {
      if (escapes) {
        [rawValue, i] = unquoteEscaped(s, i + 1);
      } else {
        const close = s.indexOf('"', i + 1);
        if (close === -1) throw fail('unterminated quoted value.');
        rawValue = s.slice(i + 1, close);
        i = close + 1;
      }
    } else {
      const valueStart = i;
      while (i < n && isTokenChar(s.charCodeAt(i))) i++;
      rawValue = s.slice(valueStart, i);
    }
    if (rawName.length === 5 && rawName.toLowerCase() === 'realm') {
      if (realm !== undefined) throw fail('realm appears twice.');
      realm = rawValue;
    } else {
      params.push([percentDecode(rawName), percentDecode(rawValue)]);
    }
    expectComma = true;
  }
  return { realm, params };
}

const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

// The rare quoted-string with quoted-pairs (`\"`): unescape it character by character.
// Returns the value and the index after the closing quote.
function unquoteEscaped(s: string, start: number): [string, number] {
  let value = '';
  let chunk = start;
  let i = start;
  for (;;) {
    if (i >= s.length) throw fail('unterminated quoted value.');
    const c = s.charCodeAt(i);
    if (c === 0x22) return [value + s.slice(chunk, i), i + 1];
    if (c === 0x5c) {
      if (i + 1 >= s.length) throw fail('unterminated quoted value.');
      value += s.slice(chunk, i);
      chunk = i + 1;
      i += 2;
      continue;
    }
    i++;
  }
}

// Names in messages come from the other party: keep them short and printable.
function safe(s: string): string {
  return s.length > 40 ? s.slice(0, 40) + '...' : s;
}

/**
 * `realm="..."`, with `"` and `\` escaped as quoted-pairs.
 * @internal
 */
export function quoteRealm(realm: string): string {
  return `realm="${realm.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Serialises protocol parameters as an `OAuth` Authorization header value: names and values
 * percent-encoded and double-quoted, separated by `, `. `realm` comes first when given.
 *
 * @see RFC 5849 §3.5.1
 * @example
 * ```ts
 * serializeAuthorizationHeader([['oauth_consumer_key', 'k']], 'Example')
 * // 'OAuth realm="Example", oauth_consumer_key="k"'
 * ```
 */
export function serializeAuthorizationHeader(params: Iterable<Param>, realm?: string): string {
  let out = 'OAuth ';
  let first = true;
  if (realm !== undefined) {
    out += quoteRealm(realm);
    first = false;
  }
  for (const [name, value] of params) {
    // What the parser would refuse or read as the realm must not be written.
    if (name === '' || (name.length === 5 && name.toLowerCase() === 'realm')) {
      throw new OAuthError(
        'ERR_OAUTH_HEADER',
        `Cannot send a parameter named "${name}" in the header.`,
      );
    }
    out += (first ? '' : ', ') + percentEncode(name) + '="' + percentEncode(value) + '"';
    first = false;
  }
  return out;
}
