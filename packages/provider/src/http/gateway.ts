/**
 * Gateway mode (`SIGNET_UPSTREAM`): a verified request for `/api/<rest>` goes to
 * `<upstream>/api/<rest>` and never elsewhere, with the caller's identity in `X-Signet-*`
 * headers the provider alone sets, and without any credential of the caller. Headers an
 * upstream may trust for who the caller is or how it was reached (the client's address,
 * scheme, host, path or method, an authenticating proxy's user) are dropped by family,
 * compared as CGI reads names (`X_Remote_User` is `X-Remote-User`): see `DROP_FAMILIES`.
 * The provider sets `X-Forwarded-For`, `-Proto` and `-Host` itself and adds `1.1 signet` to
 * `Via`. A request body in a Content-Encoding other than identity goes only under
 * `oauth_body_hash` (see `encodingRefusal`).
 */
import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { formEncode, isFormContentType, parseFormEncoded } from '@signet/core';
import type { OAuthRequest, ResourceAccess } from '@signet/server';
import { fromFastifyRequest } from '@signet/server/fastify';
import { nodeHeaders } from '@signet/server/node';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { sendJson } from './reply.js';
import { hasOAuthParam } from './signing_rules.js';

/** What {@link registerGateway} needs. */
export interface GatewayOptions {
  /** `SIGNET_UPSTREAM`, without a trailing slash. */
  readonly upstream: string;
  /** How long to wait for the upstream's answer (and, after it, between two of its reads). */
  readonly timeoutMs: number;
  /** `SIGNET_PUBLIC_URL`: `X-Forwarded-Proto` and `-Host` come from it, not from the client. */
  readonly publicUrl: string;
  /** With `SIGNET_REQUIRE_BODY_HASH` every body is read first, to be checked. */
  readonly requireBodyHash: boolean;
  /** Largest body read into memory (form bodies, bodies covered by `oauth_body_hash`). */
  readonly bodyLimit: number;
  /** The API's OAuth check; answers the refusal itself and returns undefined. */
  readonly authorize: (
    req: FastifyRequest,
    reply: FastifyReply,
    request: OAuthRequest,
  ) => Promise<ResourceAccess | undefined>;
  readonly logger: Logger | undefined;
}

/** Why a request path may not be forwarded, or `undefined` when it may. */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/api/')) return 'The path must start with /api/.';
  // RFC 3986: anything outside printable ASCII must be percent-encoded; and a backslash is a
  // separator to many servers (and to WHATWG URL parsing, fetch's).
  if (!/^[\x21-\x7e]*$/.test(path)) return 'The path has characters that must be encoded.';
  if (path.includes('\\')) return 'The path must not contain a backslash.';
  const segments = path.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const raw = segments[i]!;
    // `//` collapses to `/` on some servers and not others; only a trailing `/` is kept.
    if (raw === '' && i !== segments.length - 1) return 'The path has an empty segment.';
    const problem = segmentProblem(raw, false);
    if (problem !== undefined) return problem;
    if (!raw.includes('%')) continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // Invalid UTF-8 included: overlong forms such as %c0%ae read as `.` to lax decoders.
      return 'The path has an invalid percent-encoding.';
    }
    const again = segmentProblem(decoded, true);
    if (again !== undefined) return again;
  }
  return undefined;
}

// Characters that Windows' best-fit code pages turn into `/`, `\` or `.` (and that NFKC
// leaves alone), read as what they would become.
const BEST_FIT: Readonly<Record<string, string>> = {
  '\u2215': '/',
  '\u2044': '/',
  '\u29f8': '/',
  '\u2216': '\\',
  '\u29f5': '\\',
  '\u29f9': '\\',
  '\u00a5': '\\',
  '\u20a9': '\\',
  '\u2024': '.',
};
const BEST_FIT_CHARS = new RegExp(`[${Object.keys(BEST_FIT).join('')}]`, 'g');
// Invisible characters some normalisations drop (soft hyphen, zero-width space, ...).
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

const DOTS = /^[\s.]*\.[\s.]*$/;
const ESCAPE = /%(?:[0-9A-Fa-f]{2}|[uU][0-9A-Fa-f]{4})/;
// `..;x` is `..` to servlet containers, `..?x` to a server that decodes before it splits off
// the query.
const nameOf = (s: string): string => s.split(/[;?#]/, 1)[0]!;

/**
 * A segment that would move, split or end the path: as written, and as NFKC, best-fit
 * mappings, and the removal of invisible characters would read it; once `decoded`, also as
 * a second decoding, or code units cut to their low byte, would.
 */
function segmentProblem(segment: string, decoded: boolean): string | undefined {
  const nfkc = segment.normalize('NFKC');
  if (decoded) {
    // `(byte) c` casts and latin1 writes: U+012F is `/`, U+2025 is `%`.
    for (const text of [segment, nfkc]) {
      const cut = text.replace(/[^\x00-\xff]/g, (c) => String.fromCharCode(c.charCodeAt(0) & 0xff));
      // Decoded again by a second layer, %252e would be a dot (and %25u002e, to IIS).
      if (ESCAPE.test(text) || ESCAPE.test(cut)) return 'The path is percent-encoded twice.';
      if (cut.split(/[/\\\x00]/).some((piece) => DOTS.test(nameOf(piece)))) {
        return 'The path must not contain dot segments.';
      }
    }
  }
  const readings = [
    segment,
    nfkc,
    nfkc.replace(BEST_FIT_CHARS, (c) => BEST_FIT[c]!).replace(IGNORABLE, ''),
  ];
  for (const s of readings) {
    if (s.includes('/')) return 'The path must not contain an encoded slash.';
    if (s.includes('\\')) return 'The path must not contain a backslash.';
    // NUL and the other controls: some servers stop at NUL, others log or split on CR LF.
    if (/[\x00-\x1f\x7f-\x9f]/.test(s)) return 'The path must not contain control characters.';
    // Trailing dots and spaces vanish on Windows: `.. ` and `...` are `..` there.
    if (DOTS.test(nameOf(s))) return 'The path must not contain dot segments.';
  }
  return undefined;
}

// Hop-by-hop headers (RFC 9110 §7.6.1), what carries the caller's credentials, and what
// only the provider may say about the caller, the connection or the request: an upstream may
// trust a header for the client's address or identity, the scheme, host or path it was
// reached by, or the method, so every family of them is dropped, whatever the suffix. Names
// are compared as CGI reads them (see `normal`): `X_Remote_User` is `x-remote-user`.
const DROP_REQUEST = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'cookie2',
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  // httpoxy: CGI turns `Proxy` into HTTP_PROXY.
  'proxy',
  'client-ip',
  'front-end-https',
  'x-url-scheme',
  'x-scheme',
  'x-https',
  'x-user',
  'x-email',
  'x-username',
  'x-proxyuser-ip',
]);
/** Families: a name that is one of these, or starts with one and `-`. */
const DROP_FAMILIES = [
  // The provider's own identity headers.
  'x-signet',
  // The client's address, scheme, host and path prefix as proxies pass them on.
  'forwarded',
  'x-forwarded',
  'x-original',
  'x-real',
  'x-client-ip',
  'x-cluster-client',
  'true-client',
  'cf',
  'fastly',
  'x-host',
  'x-http-host',
  'x-envoy',
  'x-ssl',
  'ssl-client',
  'x-client-cert',
  'x-arr',
  // Another URL or method than the one signed and checked (IIS, Symfony, Rails ...).
  'x-rewrite',
  'x-http-method',
  'x-method-override',
  // Who the caller is, as authenticating proxies say it (oauth2-proxy, Apache, ALB, IAP ...).
  'remote',
  'x-remote',
  'x-auth',
  'x-user',
  'x-email',
  'x-webauth',
  'x-proxy-user',
  'x-amzn-oidc',
  'x-goog-authenticated',
  'x-goog-iap',
  'x-ms-client-principal',
];

/** Whether a request header stays with the provider; `n` is its normalised name. */
function dropped(n: string): boolean {
  return DROP_REQUEST.has(n) || DROP_FAMILIES.some((f) => n === f || n.startsWith(`${f}-`));
}

const DROP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'te',
  'proxy-authenticate',
  // The upstream shares the provider's origin: its cookies could shadow the provider's
  // session cookie, and no cookie is ever forwarded to it.
  'set-cookie',
  'set-cookie2',
]);

/**
 * A header name as CGI, WSGI and other servers that fold `_` and `-` read it: lower case,
 * every character but letters and digits as `-`. `X_Signet_User` is `x-signet-user`.
 */
function normal(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '-');
}

/** The normalised names a `Connection` header lists, which are hop-by-hop too. */
function connectionNames(values: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const v of values) {
    for (const token of v.split(',')) {
      const t = token.trim();
      if (t !== '') out.add(normal(t));
    }
  }
  return out;
}

/** The raw header list as name/value pairs. */
function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** Removes oauth_* parameters from a query or form: with PLAINTEXT the signature is the secret. */
function withoutOAuth(encoded: string): string {
  const params = parseFormEncoded(encoded);
  if (!params.some(([k]) => k.startsWith('oauth_'))) return encoded;
  return formEncode(params.filter(([k]) => !k.startsWith('oauth_')));
}

/**
 * A header value the upstream reads back as the same text: node writes header strings as
 * latin1, so non-ASCII text goes as its UTF-8 bytes.
 */
function headerText(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : Buffer.from(value, 'utf8').toString('latin1');
}

class BodyTooLarge extends Error {
  readonly statusCode = 413;
  constructor(limit: number) {
    super(`The request body is larger than ${limit} bytes.`);
  }
}

/** Reads a body into memory, up to `limit` bytes. */
function readBody(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.removeAllListeners('data');
        stream.resume();
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Why the upstream did not answer. */
type Failure = 'timeout' | 'unreachable' | 'aborted';

/**
 * Registers `/api/*` as a gateway to `options.upstream`, in a plugin of its own: bodies the
 * signature covers (forms) or `oauth_body_hash` covers are read first, to be verified; any
 * other body is streamed to the upstream as it arrives.
 */
export function registerGateway(api: FastifyInstance, options: GatewayOptions): void {
  const base = new URL(options.upstream);
  const basePath = base.pathname.replace(/\/+$/, '');
  const prefix = `${basePath}/api/`;
  const secure = base.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const send = secure ? httpsRequest : httpRequest;
  const publicUrl = new URL(options.publicUrl);
  const forwardedProto = publicUrl.protocol.slice(0, -1);
  const forwardedHost = publicUrl.host;
  const seconds = options.timeoutMs / 1000;
  const upstreamBase = `${base.origin}${basePath}/`;
  const publicBase = `${options.publicUrl}/`;

  // Whether a body must be read before the request is checked: a form's parameters are
  // signed, and oauth_body_hash can only be verified over the whole body. A quick look here;
  // the handler parses the parameters as the check does and reads what this missed.
  const mustRead = (req: FastifyRequest): boolean =>
    options.requireBodyHash ||
    isFormContentType(req.headers['content-type']) ||
    /oauth_body(?:_|%5f)hash/i.test(`${req.headers['authorization'] ?? ''} ${req.raw.url ?? ''}`);

  api.register(async (gw) => {
    gw.removeAllContentTypeParsers();
    gw.addContentTypeParser('*', (req, payload, done) => {
      if (!mustRead(req)) {
        done(null, payload);
        return;
      }
      const declared = Number(req.headers['content-length']);
      if (declared > options.bodyLimit) {
        done(new BodyTooLarge(options.bodyLimit));
        return;
      }
      readBody(payload, options.bodyLimit).then(
        (body) => done(null, body),
        (e: unknown) => done(e as Error),
      );
    });
    gw.addHook('onClose', async () => agent.destroy());

    gw.all('/api/*', async (req, reply) => {
      const target = req.raw.url ?? req.url;
      const q = target.indexOf('?');
      const path = q === -1 ? target : target.slice(0, q);
      let streamed = req.body instanceof Readable ? req.body : undefined;
      // A refusal does not read an unchecked body to its end: the connection closes instead.
      const refuse = (status: number, error: string) => {
        if (streamed !== undefined) reply.header('connection', 'close');
        return sendJson(reply, status, { error });
      };
      const problem = pathProblem(path);
      // Refused before the OAuth check: no nonce is spent on a request that cannot go on.
      if (problem !== undefined) return refuse(400, problem);

      let request: OAuthRequest = streamed
        ? { method: req.method, url: target, headers: nodeHeaders(req.raw), body: undefined }
        : fromFastifyRequest(req);
      let read: Buffer | undefined =
        req.body instanceof Uint8Array
          ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength)
          : undefined;
      if (streamed !== undefined && hasOAuthParam(request, options.publicUrl, 'oauth_body_hash')) {
        read = await readBody(streamed, options.bodyLimit);
        streamed = undefined;
        request = { ...request, body: read };
      }
      // What is still streamed is covered by neither the signature nor a body hash: the
      // check goes without it.
      const access = await options.authorize(req, reply, request);
      if (!access) {
        if (streamed !== undefined) reply.header('connection', 'close');
        return reply;
      }

      let query = '';
      if (q !== -1) {
        try {
          query = withoutOAuth(target.slice(q + 1));
        } catch {
          return refuse(400, 'The query is not valid form encoding.');
        }
      }
      const url = new URL(`${base.origin}${basePath}${path}${query === '' ? '' : `?${query}`}`);
      // What goes out is what was checked: the same origin, under <base>/api/.
      if (url.origin !== base.origin || !url.pathname.startsWith(prefix)) {
        return refuse(400, 'The path must stay under /api/.');
      }

      const headers = forwardHeaders(req, access);
      let body: Buffer | Readable | undefined;
      if (read !== undefined) {
        body = read;
        if (isFormContentType(req.headers['content-type'])) {
          body = Buffer.from(withoutOAuth(body.toString('utf8')), 'utf8');
        }
        headers['content-length'] = String(body.length);
      } else if (streamed !== undefined) {
        body = streamed;
        const length = req.headers['content-length'];
        if (length !== undefined) headers['content-length'] = length;
      }

      let upstream: IncomingMessage;
      try {
        upstream = await exchange(url, req.method, headers, body, reply);
      } catch (e) {
        const failure = (e as { failure?: Failure }).failure ?? 'unreachable';
        if (failure === 'aborted') return reply;
        options.logger?.warn(
          { code: ((e as Error).cause as { code?: unknown } | undefined)?.code, failure },
          'upstream request failed',
        );
        if (streamed !== undefined) reply.header('connection', 'close');
        const message =
          failure === 'timeout'
            ? `The upstream API did not answer within ${seconds} s.`
            : 'The upstream API is unreachable.';
        return reply
          .code(failure === 'timeout' ? 504 : 502)
          .header('cache-control', 'no-store')
          .type('text/plain; charset=utf-8')
          .send(message);
      }

      reply.code(upstream.statusCode ?? 502);
      const hop = connectionNames(
        pairs(upstream.rawHeaders)
          .filter(([n]) => n.toLowerCase() === 'connection')
          .map(([, v]) => v),
      );
      const out = new Map<string, string[]>();
      for (const [name, raw] of pairs(upstream.rawHeaders)) {
        const lower = name.toLowerCase();
        if (DROP_RESPONSE.has(lower) || hop.has(normal(name))) continue;
        // The upstream's own address means nothing to the caller (nginx's proxy_redirect).
        const value =
          (lower === 'location' || lower === 'content-location') && raw.startsWith(upstreamBase)
            ? `${publicBase}${raw.slice(upstreamBase.length)}`
            : raw;
        const list = out.get(lower);
        if (list) list.push(value);
        else out.set(lower, [value]);
      }
      for (const [name, values] of out)
        reply.header(name, values.length === 1 ? values[0] : values);
      // A stalled body ends the answer rather than holding the connection forever.
      upstream.setTimeout(options.timeoutMs, () => upstream.destroy());
      return reply.send(upstream);
    });
  });

  /** The headers the upstream gets. */
  function forwardHeaders(req: FastifyRequest, access: ResourceAccess): OutgoingHttpHeaders {
    const raw = pairs(req.raw.rawHeaders);
    const hop = connectionNames(raw.filter(([n]) => normal(n) === 'connection').map(([, v]) => v));
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of raw) {
      const n = normal(name);
      if (dropped(n) || hop.has(n)) continue;
      const key = name.toLowerCase();
      const had = headers[key];
      if (had === undefined) headers[key] = value;
      else headers[key] = Array.isArray(had) ? [...had, value] : [had, value];
    }
    headers['x-signet-consumer'] = headerText(access.consumer.key);
    if (access.userId !== undefined) headers['x-signet-user'] = headerText(access.userId);
    headers['x-signet-permission'] = access.grant?.permission ?? 'READ_PUBLIC';
    if (access.grant?.context !== undefined) {
      headers['x-signet-context'] = headerText(access.grant.context);
    }
    headers['x-forwarded-for'] = req.ip;
    headers['x-forwarded-proto'] = forwardedProto;
    headers['x-forwarded-host'] = forwardedHost;
    // A proxy adds its own entry to Via, after the caller's (RFC 9110 §7.6.3).
    const via = headers['via'];
    const own = `${req.raw.httpVersion} signet`;
    headers['via'] =
      via === undefined ? own : [...(Array.isArray(via) ? via : [via]), own].join(', ');
    return headers;
  }

  /**
   * Sends the request and resolves with the upstream's answer head; rejects with a
   * `failure` of `timeout` (no answer in time), `unreachable`, or `aborted` (the caller
   * went away).
   */
  function exchange(
    url: URL,
    method: string,
    headers: OutgoingHttpHeaders,
    body: Buffer | Readable | undefined,
    reply: FastifyReply,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let out: ClientRequest;
      // The answer is due within the timeout once the request is sent; while it is being
      // sent (a slow upload), only a connection idle that long times out.
      let timer: NodeJS.Timeout | undefined;
      const fail = (failure: Failure, cause?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        out.destroy();
        reject(Object.assign(new Error(`upstream ${failure}`, { cause }), { failure }));
      };
      const attempt = (again: boolean) => {
        out = send(
          {
            protocol: url.protocol,
            hostname: url.hostname.replace(/^\[|\]$/g, ''),
            port: url.port,
            path: url.pathname + url.search,
            method,
            headers,
            agent,
          },
          (res) => {
            if (settled) {
              res.destroy();
              return;
            }
            settled = true;
            clearTimeout(timer);
            resolve(res);
          },
        );
        out.setTimeout(options.timeoutMs, () => fail('timeout'));
        out.on('finish', () => {
          clearTimeout(timer);
          timer = setTimeout(() => fail('timeout'), options.timeoutMs);
        });
        out.on('error', (e) => {
          // A kept-alive connection the upstream closed as it was reused: once more on a
          // fresh one, when the body can be sent again.
          const reset = (e as { code?: unknown }).code === 'ECONNRESET';
          if (!again && !settled && reset && out.reusedSocket && !(body instanceof Readable)) {
            attempt(true);
            return;
          }
          fail('unreachable', e);
        });
        if (body instanceof Readable) body.pipe(out);
        else out.end(body);
      };
      attempt(false);
      // The caller hung up before the answer: nobody is left to answer.
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) fail('aborted');
      });
      if (body instanceof Readable) {
        body.on('error', (e) => fail('aborted', e));
        body.on('aborted', () => fail('aborted'));
      }
    });
  }
}
