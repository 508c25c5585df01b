import type { Param } from '@signet/core';

/**
 * Request parameters in any of the usual shapes: a record (an array value repeats the name),
 * `URLSearchParams`, or a list of `[name, value]` pairs (order and repeats kept, as OAuth
 * signs them).
 *
 * @example
 * ```ts
 * const a: ParamsInit = { status: 'hello', tag: ['a', 'b'] }
 * const b: ParamsInit = [['tag', 'a'], ['tag', 'b']]
 * ```
 */
export type ParamsInit =
  | Readonly<Record<string, string | number | boolean | readonly string[]>>
  | URLSearchParams
  | Iterable<readonly [string, string]>;

/**
 * Normalises {@link ParamsInit} to a list of pairs.
 *
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` for anything else.
 */
export function toParams(init: ParamsInit | undefined): Param[] {
  const out: Param[] = [];
  if (init === undefined) return out;
  if (init instanceof URLSearchParams || isIterable(init)) {
    for (const pair of init as Iterable<readonly [string, string]>) {
      if (!Array.isArray(pair) || pair.length !== 2) throw badParams();
      out.push([String(pair[0]), String(pair[1])]);
    }
    return out;
  }
  if (typeof init !== 'object' || init === null) throw badParams();
  for (const [name, value] of Object.entries(init)) {
    if (Array.isArray(value)) for (const v of value) out.push([name, String(v)]);
    else out.push([name, String(value)]);
  }
  return out;
}

function isIterable(x: unknown): x is Iterable<unknown> {
  return typeof x === 'object' && x !== null && Symbol.iterator in x;
}

function badParams(): TypeError {
  return Object.assign(
    new TypeError('Parameters must be a record, URLSearchParams or [name, value] pairs.'),
    { code: 'ERR_INVALID_ARG_TYPE' },
  );
}

/** @internal a `TypeError` with a Node-style code. */
export function argError(message: string, code = 'ERR_INVALID_ARG_VALUE'): TypeError {
  return Object.assign(new TypeError(message), { code });
}
