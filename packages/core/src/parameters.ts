import { percentDecode, percentEncode, percentEncodeTwice } from './encoding.js';

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
  return normalize(params, false);
}

/**
 * Encodes, sorts and joins parameters; `twice` encodes the result once more for the base
 * string (see {@link joinEncoded}).
 */
function normalize(params: Iterable<Param>, twice: boolean): string {
  const names: string[] = [];
  const values: string[] = [];
  // Arrays, which callers nearly always pass, by index: no iterator, no destructuring.
  const list: readonly Param[] = Array.isArray(params) ? params : [...params];
  const clean = twice ? cleanOf(list) : undefined;
  const known = clean === undefined ? 0 : clean.names.length;
  for (let i = 0; i < list.length; i++) {
    const p = list[i]!;
    const name = p[0];
    if (twice && name === 'oauth_signature') continue;
    const v = p[1] ?? '';
    if (i < known) {
      // Compared by value, so a list changed since it was parsed is still encoded right.
      names.push(name === clean!.names[i] ? name : percentEncodeTwice(name));
      values.push(v === clean!.values[i] ? v : percentEncodeTwice(v));
    } else {
      names.push(twice ? percentEncodeTwice(name) : percentEncode(name));
      values.push(twice ? percentEncodeTwice(v) : percentEncode(v));
    }
  }
  return joinEncoded(names, values, twice);
}

/**
 * Names and values of a parsed list that are all unreserved characters, by position
 * (`undefined` where not): they encode to themselves.
 * @internal
 */
export interface CleanParameters {
  readonly names: readonly (string | undefined)[];
  readonly values: readonly (string | undefined)[];
}

// The header parser looks at every character once already; what it learnt spares the base
// string a second scan of the same values. Kept for the last few lists parsed, by identity:
// a request is verified soon after it is parsed, and a list the caller built itself simply
// has no entry. (A WeakMap costs more in the garbage collector than it saves.)
const RECENT = 8;
const recentLists: (readonly Param[] | undefined)[] = new Array(RECENT).fill(undefined);
const recentClean: (CleanParameters | undefined)[] = new Array(RECENT).fill(undefined);
let recentNext = 0;

/** Remembers what a parser learnt about `list`. @internal */
export function rememberClean(list: readonly Param[], clean: CleanParameters): void {
  recentLists[recentNext] = list;
  recentClean[recentNext] = clean;
  recentNext = (recentNext + 1) % RECENT;
}

/** What a parser learnt about `list`, if anything. @internal */
export function cleanOf(list: readonly Param[]): CleanParameters | undefined {
  for (let k = 0; k < RECENT; k++) if (recentLists[k] === list) return recentClean[k];
  return undefined;
}

/**
 * Sorts (§3.4.1.3.2: by name, then value, in byte order) and joins encoded parameters, in
 * two parallel arrays. With `forBaseString` the separators are encoded too (`%26`, `%3D`),
 * and the caller has already turned each `%` of the pairs into `%25`: that and nothing else
 * is what encoding the joined string once more would do. `%25` sorts as `%` would: both are
 * below `0-9A-Za-z`.
 * @internal
 */
export function joinEncoded(names: string[], values: string[], forBaseString: boolean): string {
  const count = names.length;
  // Insertion sort of indices: requests carry about ten parameters, where this beats
  // Array#sort with a comparator and needs no temporary pair objects. Encoded strings are
  // ASCII, so `<` is byte order.
  const order = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const n = names[i]!;
    const v = values[i]!;
    let j = i - 1;
    while (j >= 0) {
      const o = order[j]!;
      const on = names[o]!;
      if (on < n || (on === n && values[o]! <= v)) break;
      order[j + 1] = o;
      j--;
    }
    order[j + 1] = i;
  }
  const amp = forBaseString ? '%26' : '&';
  const eq = forBaseString ? '%3D' : '=';
  let out = '';
  for (let i = 0; i < count; i++) {
    const k = order[i]!;
    out += (i === 0 ? '' : amp) + names[k]! + eq + values[k]!;
  }
  return out;
}

/** `%` to `%25`: the second encoding of an already encoded value. @internal */
export function encodeAgain(encoded: string): string {
  return encoded.includes('%') ? encoded.replaceAll('%', '%25') : encoded;
}

/** @internal normalised parameters, already percent-encoded once more for the base string. */
export function encodedNormalizedParameters(params: Iterable<Param>): string {
  return normalize(params, true);
}
