import type { Endpoints, FetchLike } from './client.js';
import { ClientError, OAuthProtocolError } from './errors.js';
import { argError } from './params.js';

/**
 * Link relations of pump.io-style discovery.
 *
 * @example
 * ```ts
 * links.find((l) => l.rel === LinkRelations.requestToken)?.href
 * ```
 */
export const LinkRelations = {
  /** pump.io dynamic client registration. */
  registration: 'registration_endpoint',
  /** Temporary credential request URI. */
  requestToken: 'http://apinamespace.org/oauth/request_token',
  /** Resource owner authorization URI. */
  authorize: 'http://apinamespace.org/oauth/authorize',
  /** Token request URI. */
  accessToken: 'http://apinamespace.org/oauth/access_token',
} as const;

/** One link of a host-meta (XRD or JSON) or WebFinger (JRD) document. */
export interface Link {
  /** Relation. */
  readonly rel: string;
  /** Target, when the link has one. */
  readonly href?: string;
  /** URI template (LRDD), when the link has one. */
  readonly template?: string;
  /** Media type, when given. */
  readonly type?: string;
}

/** What discovery found. */
export interface Discovery {
  /** The server's origin, `https://host[:port]`. */
  readonly origin: string;
  /** The account asked about, for `user@host` targets. */
  readonly account: string | undefined;
  /** The OAuth endpoints found (any may be missing). */
  readonly endpoints: Endpoints;
  /** pump.io registration endpoint, if any. */
  readonly registrationEndpoint: string | undefined;
  /** Every link found. */
  readonly links: readonly Link[];
}

/** Options of the discovery functions. */
export interface DiscoveryOptions {
  /** The `fetch` to call. */
  readonly fetch?: FetchLike;
  /** Abort the requests. */
  readonly signal?: AbortSignal;
}

/** A parsed discovery target. */
export interface ServerTarget {
  /** `scheme://host[:port]`. */
  readonly origin: string;
  /** `user@host` for account targets. */
  readonly account: string | undefined;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;

/**
 * Parses what a user types to name a server: a URL (`https://example.com`), a host
 * (`example.com`, `localhost:8080`) or an account (`alice@example.com`). Hosts without a
 * scheme are `https`, except loopback ones, which are `http`.
 *
 * @throws {TypeError} `ERR_INVALID_ARG_VALUE` for anything else.
 * @example
 * ```ts
 * parseServerTarget('alice@identi.ca') // { origin: 'https://identi.ca', account: 'alice@identi.ca' }
 * ```
 */
export function parseServerTarget(target: string): ServerTarget {
  const text = target.trim();
  if (/^https?:\/\//i.test(text)) {
    try {
      return { origin: new URL(text).origin, account: undefined };
    } catch {
      throw argError(`Not a valid server URL: ${text}`);
    }
  }
  const at = text.lastIndexOf('@');
  const host = at === -1 ? text : text.slice(at + 1);
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d+)?$/i.test(host) || (at !== -1 && at === 0)) {
    throw argError(`Not a server, URL or user@host: ${text}`);
  }
  const scheme = LOOPBACK.test(host) ? 'http' : 'https';
  const origin = new URL(`${scheme}://${host}`).origin;
  return { origin, account: at === -1 ? undefined : `${text.slice(0, at)}@${host}` };
}

/**
 * Discovers a server's OAuth endpoints: WebFinger for `user@host` targets, then
 * `/.well-known/host-meta` (XRD or JSON) and `/.well-known/host-meta.json`.
 *
 * @see RFC 6415 (host-meta), RFC 7033 (WebFinger)
 * @throws {ClientError} `ERR_DISCOVERY` when no document names an OAuth endpoint,
 *   `ERR_NETWORK` when the server cannot be reached at all.
 * @example
 * ```ts
 * const { endpoints, registrationEndpoint } = await discover('alice@pump.example')
 * ```
 */
export async function discover(target: string, options: DiscoveryOptions = {}): Promise<Discovery> {
  const { origin, account } = parseServerTarget(target);
  const links: Link[] = [];
  const failures: ClientError[] = [];
  if (account !== undefined) {
    try {
      links.push(...(await webfinger(origin, `acct:${account}`, options)));
    } catch (e) {
      if (!(e instanceof ClientError)) throw e;
      failures.push(e);
    }
  }
  if (!hasOAuthLinks(links)) {
    try {
      links.push(...(await hostMeta(origin, options)));
    } catch (e) {
      if (!(e instanceof ClientError)) throw e;
      failures.push(e);
    }
  }
  if (!hasOAuthLinks(links)) {
    // A server that could not be reached at all is a network failure, not a server without
    // discovery: the advice differs (is it running?), and so does a script's exit code.
    if (failures.length > 0 && failures.every((f) => f.code === 'ERR_NETWORK')) {
      throw new ClientError('ERR_NETWORK', `Cannot reach ${origin}: ${failures[0]!.message}`, {
        cause: failures[0],
      });
    }
    throw new ClientError(
      'ERR_DISCOVERY',
      `No OAuth endpoints found for ${target}` +
        (failures.length > 0 ? ` (${failures.map((f) => f.message).join('; ')})` : '.'),
    );
  }
  const find = (rel: string) => links.find((l) => l.rel === rel && l.href)?.href;
  const requestToken = find(LinkRelations.requestToken);
  const authorize = find(LinkRelations.authorize);
  const accessToken = find(LinkRelations.accessToken);
  return {
    origin,
    account,
    endpoints: {
      ...(requestToken === undefined ? {} : { requestToken }),
      ...(authorize === undefined ? {} : { authorize }),
      ...(accessToken === undefined ? {} : { accessToken }),
    },
    registrationEndpoint: find(LinkRelations.registration),
    links,
  };
}

function hasOAuthLinks(links: readonly Link[]): boolean {
  return links.some(
    (l) => l.rel === LinkRelations.requestToken || l.rel === LinkRelations.registration,
  );
}

/**
 * Reads a host's host-meta: `/.well-known/host-meta` (JSON when the server offers it, XRD
 * otherwise), then `/.well-known/host-meta.json` if that failed.
 *
 * @see RFC 6415 §2, §3
 * @throws {ClientError} `ERR_DISCOVERY`, `ERR_NETWORK`.
 * @example
 * ```ts
 * const links = await hostMeta('https://pump.example')
 * ```
 */
export async function hostMeta(origin: string, options: DiscoveryOptions = {}): Promise<Link[]> {
  const first = await getLinks(`${origin}/.well-known/host-meta`, options).catch((e: unknown) => e);
  if (Array.isArray(first)) return first;
  const second = await getLinks(`${origin}/.well-known/host-meta.json`, options).catch(
    (e: unknown) => e,
  );
  if (Array.isArray(second)) return second;
  throw first;
}

/**
 * Asks a host's WebFinger endpoint about a resource (`acct:user@host`).
 *
 * @see RFC 7033 §4
 * @throws {ClientError} `ERR_DISCOVERY`, `ERR_NETWORK`.
 * @example
 * ```ts
 * const links = await webfinger('https://pump.example', 'acct:alice@pump.example')
 * ```
 */
export async function webfinger(
  origin: string,
  resource: string,
  options: DiscoveryOptions = {},
): Promise<Link[]> {
  const url = `${origin}/.well-known/webfinger?resource=${encodeURIComponent(resource)}`;
  return getLinks(url, options);
}

async function getLinks(url: string, options: DiscoveryOptions): Promise<Link[]> {
  const doFetch = options.fetch ?? ((u: string, i: RequestInit) => fetch(u, i));
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: {
        accept: 'application/jrd+json, application/json;q=0.9, application/xrd+xml;q=0.8',
      },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (cause) {
    if (options.signal?.aborted) throw cause;
    const reason = cause instanceof Error ? ((cause.cause as Error)?.message ?? cause.message) : '';
    throw new ClientError('ERR_NETWORK', `GET ${url.split('?')[0]} failed: ${reason}`, { cause });
  }
  if (!response.ok) {
    const err = await OAuthProtocolError.fromResponse(response, 'GET', url);
    throw new ClientError('ERR_DISCOVERY', err.message, { cause: err });
  }
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  if (/json/i.test(type) || text.trimStart().startsWith('{')) return parseJrd(text, url);
  return parseXrd(text);
}

/**
 * Links of a JRD (JSON host-meta or WebFinger) document.
 *
 * @see RFC 6415 Appendix A, RFC 7033 §4.4
 * @throws {ClientError} `ERR_DISCOVERY` for a document that is not a JSON object.
 * @example
 * ```ts
 * parseJrd('{"links":[{"rel":"registration_endpoint","href":"https://a/reg"}]}')
 * // [{ rel: 'registration_endpoint', href: 'https://a/reg' }]
 * ```
 */
export function parseJrd(text: string, source = 'document'): Link[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ClientError('ERR_DISCOVERY', `${source} is not valid JSON.`, { cause });
  }
  const raw = (json as { links?: unknown } | null)?.links;
  if (!Array.isArray(raw)) return [];
  const out: Link[] = [];
  for (const l of raw) {
    if (l === null || typeof l !== 'object' || typeof l.rel !== 'string') continue;
    out.push({
      rel: l.rel,
      ...(typeof l.href === 'string' ? { href: l.href } : {}),
      ...(typeof l.template === 'string' ? { template: l.template } : {}),
      ...(typeof l.type === 'string' ? { type: l.type } : {}),
    });
  }
  return out;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Links of an XRD document: every `<Link>` element's `rel`, `href`, `template` and `type`.
 * Enough XML for host-meta; not a general parser.
 *
 * @see RFC 6415 §3.1, XRD 1.0
 * @example
 * ```ts
 * parseXrd('<XRD><Link rel="lrdd" template="https://a/wf?uri={uri}"/></XRD>')
 * // [{ rel: 'lrdd', template: 'https://a/wf?uri={uri}' }]
 * ```
 */
export function parseXrd(xml: string): Link[] {
  const out: Link[] = [];
  for (const m of xml.matchAll(/<(?:[\w-]+:)?Link\b([^>]*)>/g)) {
    const attrs: Record<string, string> = {};
    for (const a of m[1]!.matchAll(/([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      attrs[a[1]!] = decodeEntities(a[2] ?? a[3] ?? '');
    }
    const rel = attrs['rel'];
    if (rel === undefined) continue;
    out.push({
      rel,
      ...(attrs['href'] === undefined ? {} : { href: attrs['href'] }),
      ...(attrs['template'] === undefined ? {} : { template: attrs['template'] }),
      ...(attrs['type'] === undefined ? {} : { type: attrs['type'] }),
    });
  }
  return out;
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, e: string) => {
    if (e[0] === '#') {
      const code =
        e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : all;
    }
    return ENTITIES[e] ?? all;
  });
}
