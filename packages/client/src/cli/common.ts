// What every `signet` command shares: exit codes, argument parsing, items and bodies,
// saved credentials.
import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { defaultSignatureMethods, type Param } from '@signet/core';
import {
  OAuth1Client,
  type OAuth1ClientOptions,
  type Placement,
  type SignOptions,
} from '../client.js';
import type { CredentialStore, StoredCredentials } from '../store.js';

/** Exit codes, for scripts. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  network: 3,
  refused: 4,
  declined: 5,
  noCredentials: 6,
} as const;

/** A mistake in the command line: exit 2, with a message saying what to type instead. */
export class UsageError extends Error {}
/** No saved credentials fit: exit 6. */
export class NoCredentialsError extends Error {}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/**
 * `parseArgs`, with its errors said plainly: `unknown option --no-browsr (did you mean
 * --no-browser?)` instead of Node's sentence with an unclosed quote.
 */
export function parse<const O extends OptionsConfig>(
  args: string[],
  options: O,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(parseErrorMessage(e, options));
  }
}

function parseErrorMessage(e: unknown, options: OptionsConfig): string {
  const code = (e as { code?: string }).code;
  const message = (e as Error).message;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const given = /'(-[^'\s]*)/.exec(message)?.[1] ?? '';
    const flag = given.split('=')[0]!;
    const names = Object.keys(options).map((n) => `--${n}`);
    const near = closest(flag, names);
    return `unknown option ${flag}${near === undefined ? '' : ` (did you mean ${near}?)`}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /--?[\w-]+/.exec(message)?.[0];
    if (flag !== undefined && /argument missing/.test(message)) return `${flag} needs a value`;
    if (flag !== undefined) return `${flag} takes no value`;
  }
  return message.replace(/'/g, '');
}

/** The candidate within two edits of `word` (the nearest), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length]!;
}

export function placementOf(value: string | undefined): Placement | undefined {
  if (value === undefined) return undefined;
  if (value === 'header' || value === 'query' || value === 'body') return value;
  throw new UsageError('--placement must be header, query or body.');
}

/** Checks a signature method name before anything is sent or registered. */
export function signatureMethodOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const name = value.toUpperCase();
  if (defaultSignatureMethods.get(name) === undefined) {
    throw new UsageError(
      `Unknown signature method ${value}: use one of ${defaultSignatureMethods.names().join(', ')}.`,
    );
  }
  return name;
}

/** The RSA methods need a key; the others must not be given one by mistake. */
export function checkKeyFor(method: string | undefined, key: string | undefined): void {
  const rsa = method?.startsWith('RSA-') === true;
  if (rsa && key === undefined) throw new UsageError(`${method} needs --rsa-key FILE.`);
  if (!rsa && key !== undefined && method !== undefined) {
    throw new UsageError(`--rsa-key is for the RSA methods, not ${method}.`);
  }
}

export function readKey(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read the key file ${file}: ${reason(e)}`);
  }
}

/** `--data TEXT` or `--data @FILE`. */
export function readData(value: string): string | Uint8Array {
  if (!value.startsWith('@')) return value;
  const file = value.slice(1);
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new UsageError(`Cannot read --data file ${file}: ${reason(e)}`);
  }
}

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file.';
  if (code === 'EACCES') return 'permission denied.';
  if (code === 'EISDIR') return 'it is a directory.';
  return (e as Error).message;
}

// ---------------------------------------------------------------------------------------
// Requests: METHOD URL [ITEM ...]

const HTTP_METHODS = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|TRACE)$/;

interface Items {
  query: Param[];
  fields: Param[];
  json: Record<string, unknown>;
}

function parseItems(items: readonly string[]): Items {
  const out: Items = { query: [], fields: [], json: {} };
  for (const item of items) {
    const m = /^([^=:]+)(==|:=|=)(.*)$/s.exec(item);
    if (!m) throw new UsageError(`Not a name=value item: ${item}`);
    const [, name, op, value] = m as unknown as [string, string, string, string];
    if (op === '==') out.query.push([name, value]);
    else if (op === ':=') {
      try {
        out.json[name] = JSON.parse(value);
      } catch {
        throw new UsageError(`Not JSON: ${item}`);
      }
    } else {
      out.fields.push([name, value]);
      out.json[name] = value;
    }
  }
  return out;
}

/** The flags of every command that makes a request. */
export const requestFlags = {
  profile: { type: 'string' },
  json: { type: 'boolean' },
  data: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
} as const;

export function requestOptions(
  method: string,
  items: readonly string[],
  values: { json?: boolean | undefined; data?: string | undefined; header?: string[] | undefined },
): SignOptions & { method: string } {
  const parsed = parseItems(items);
  const headers = new Headers();
  for (const h of values.header ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`Not a header: ${h}`);
    headers.append(h.slice(0, colon).trim(), h.slice(colon + 1).trim());
  }
  const bodyless = method === 'GET' || method === 'HEAD';
  const query = [...parsed.query];
  const out: { -readonly [K in keyof SignOptions]: SignOptions[K] } & { method: string } = {
    method,
    headers,
  };
  if (values.data !== undefined) {
    if (parsed.fields.length > 0 || values.json) {
      throw new UsageError('--data cannot be mixed with name=value items or --json.');
    }
    out.body = readData(values.data);
    if (!headers.has('content-type')) headers.set('content-type', 'application/octet-stream');
  } else if (values.json) {
    if (bodyless) throw new UsageError(`--json needs a method with a body, not ${method}.`);
    out.json = parsed.json;
    if (!headers.has('accept')) headers.set('accept', 'application/json');
  } else if (Object.keys(parsed.json).length > parsed.fields.length) {
    throw new UsageError('name:=json items need --json.');
  } else if (bodyless) {
    query.push(...parsed.fields);
  } else if (parsed.fields.length > 0) {
    out.form = parsed.fields;
  }
  if (query.length > 0) out.query = query;
  return out;
}

export function splitMethod(positionals: readonly string[], required: boolean) {
  const [first, ...rest] = positionals;
  if (first !== undefined && HTTP_METHODS.test(first.toUpperCase()) && rest.length > 0) {
    return { method: first.toUpperCase(), url: rest[0]!, items: rest.slice(1) };
  }
  if (required) throw new UsageError('Give a METHOD and a URL.');
  if (first === undefined) throw new UsageError('Give a URL.');
  return { method: 'GET', url: first, items: rest };
}

export function checkUrl(url: string): URL {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    return u;
  } catch {
    throw new UsageError(`Not an http(s) URL: ${url}`);
  }
}

// ---------------------------------------------------------------------------------------
// Saved credentials

export async function findCredentials(
  store: CredentialStore,
  url: URL,
  profile: string | undefined,
): Promise<StoredCredentials> {
  const all = await store.list();
  const newest = (list: StoredCredentials[]) =>
    list.sort((a, b) => b.savedAt.localeCompare(a.savedAt))[0];
  if (profile !== undefined) {
    const found = newest(all.filter((c) => c.profile === profile || c.server === profile));
    if (!found) throw new NoCredentialsError(`No saved profile "${profile}".`);
    return found;
  }
  const found = newest(all.filter((c) => c.origins.includes(url.origin)));
  if (!found) {
    throw new NoCredentialsError(
      `No saved credentials for ${url.origin}: run signet login ${url.origin} first, or give --profile.`,
    );
  }
  return found;
}

/** The client options of saved credentials. */
export function optionsOf(c: StoredCredentials): OAuth1ClientOptions {
  return {
    consumerKey: c.consumerKey,
    consumerSecret: c.consumerSecret,
    signatureMethod: c.signatureMethod,
    token: { token: c.token, tokenSecret: c.tokenSecret },
    ...(c.placement === undefined ? {} : { placement: c.placement }),
    ...(c.realm === undefined ? {} : { realm: c.realm }),
    ...(c.privateKeyFile === undefined ? {} : { privateKey: readKey(c.privateKeyFile) }),
  };
}

export function clientOf(c: StoredCredentials): OAuth1Client {
  return new OAuth1Client(optionsOf(c));
}
