import { percentDecode, percentEncode } from './encoding.js';

/**
 * One request parameter. Requests are lists of these, not maps: OAuth signs repeated names
 * (`a=1&a=2`) as they are.
 */
export type Param = readonly [name: string, value: string];

/**
 * Parses `application/x-www-form-urlencoded` data (a URL query or a form body) into
 * parameters, in order, repeated names kept. `+` is a space. Empty segments are skipped and a
 * segment without `=` is a name with an empty value.
 *
 * @see RFC 5849 §3.4.1.3.1
 * @throws {OAuthError} `ERR_OAUTH_ENCODING` for malformed percent-encoding.
 * @example
 * ```ts
 * parseFormEncoded('a=1&a=2&b=x+y') // [['a','1'],['a','2'],['b','x y']]
 * ```
 */
export function parseFormEncoded(data: string): Param[] {
  const out: Param[] = [];
  if (data === '') return out;
  let start = 0;
  const n = data.length;
  while (start <= n) {
    let end = data.indexOf('&', start);
    if (end === -1) end = n;
    if (end > start) {
      const eq = data.indexOf('=', start);
      if (eq === -1 || eq > end) {
        out.push([percentDecode(data.slice(start, end), true), '']);
      } else {
        out.push([
          percentDecode(data.slice(start, eq), true),
          percentDecode(data.slice(eq + 1, end), true),
        ]);
      }
    }
    start = end + 1;
  }
  return out;
}

/**
 * Serialises parameters as `application/x-www-form-urlencoded` with OAuth's encoding (spaces
 * as `%20`, which every form decoder accepts), so the receiver decodes exactly what was signed.
 *
 * @see RFC 5849 §3.5.2, §3.5.3
 * @example
 * ```ts
 * formEncode([['status', 'a b']]) // 'status=a%20b'
 * ```
 */
export function formEncode(params: Iterable<Param>): string {
  let out = '';
  for (const [name, value] of params) {
    if (out !== '') out += '&';
    out += percentEncode(name) + '=' + percentEncode(value);
  }
  return out;
}

/**
 * Whether a Content-Type is `application/x-www-form-urlencoded` (any parameters such as
 * `charset` allowed, any case), the only body whose parameters OAuth signs.
 *
 * @see RFC 5849 §3.4.1.3.1
 */
export function isFormContentType(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  const semi = contentType.indexOf(';');
  const media = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return media === 'application/x-www-form-urlencoded';
}

/**
 * Normalises parameters for the signature base string: each name and value percent-encoded,
 * sorted by encoded name then encoded value (byte order), joined as `name=value` with `&`.
 * `oauth_signature` must already be left out; callers decide (see {@link signatureBaseString}).
 *
 * @see RFC 5849 §3.4.1.3.2
 * @example
 * ```ts
 * normalizeParameters([['b','2'],['a','x y']]) // 'a=x%20y&b=2'
 * ```
 */
export function normalizeParameters(params: Iterable<Param>): string {
  return joinSorted(encodePairs(params, false), '&', '=');
}

// Encoded pairs as `name\0value`: NUL sorts below every character an encoded name can hold,
// so the engine's native string sort orders by name first, then value, without a comparator.
function encodePairs(params: Iterable<Param>, skipSignature: boolean): string[] {
  const keys: string[] = [];
  for (const [name, value] of params) {
    if (skipSignature && name === 'oauth_signature') continue;
    keys.push(percentEncode(name) + '\u0000' + percentEncode(value ?? ''));
  }
  return keys;
}

function joinSorted(keys: string[], amp: string, eq: string): string {
  keys.sort();
  return keys.join(amp).replaceAll('\u0000', eq);
}

/** @internal normalised parameters, already percent-encoded once more for the base string. */
export function encodedNormalizedParameters(params: Iterable<Param>): string {
  // A second encoding of the normalised string only turns `%` into `%25` inside pairs and
  // the separators into `%26` / `%3D`: cheaper than encoding the joined string.
  const keys = encodePairs(params, true);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k.includes('%')) keys[i] = k.replaceAll('%', '%25');
  }
  return joinSorted(keys, '%26', '%3D');
}
