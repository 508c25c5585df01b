// Gateway mode under attack: correctly signed requests whose paths try to leave
// <upstream>/api/ in every spelling, and headers that try to pass for the provider's identity
// or forwarding headers, sent over real HTTP to a real upstream that records exactly what
// reaches it. Nothing may ever arrive outside /base/api/, nor any identity header the
// provider did not set. Also: timeouts, a dead upstream, streaming, pass-through.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { bodyHash, signRequest } from '@signet/core';
import { type Creds, grantAccess, type Running, seed, startProvider } from './http_harness.js';

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  text: string;
}

/** Sends a request with a path and headers exactly as given (fetch would normalise them). */
function send(
  port: number,
  method: string,
  path: string,
  headers: readonly [string, string][],
  body?: Buffer | string | ((req: import('node:http').ClientRequest) => void),
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        // An array keeps names as spelt; node then adds no Host of its own.
        headers: [['host', `127.0.0.1:${port}`], ...headers].flat(),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    if (typeof body === 'function') body(req);
    else req.end(body);
  });
}

/** The Authorization header of a request to `path`, signed as the provider will check it. */
function authorization(
  base: string,
  method: string,
  path: string,
  creds: Creds,
  extra: { bodyHash?: string; params?: [string, string][] } = {},
): string {
  return signRequest({
    method,
    url: `${base}${path}`,
    consumerKey: creds.consumerKey,
    consumerSecret: creds.consumerSecret,
    ...(creds.token !== undefined && { token: creds.token }),
    ...(creds.tokenSecret !== undefined && { tokenSecret: creds.tokenSecret }),
    signatureMethod: 'HMAC-SHA1',
    ...(extra.bodyHash !== undefined && { bodyHash: extra.bodyHash }),
    ...(extra.params !== undefined && { params: extra.params }),
  }).authorization;
}

/** A header name as CGI/WSGI make it an environment variable. */
const cgi = (name: string): string => `HTTP_${name.toUpperCase().replace(/-/g, '_')}`;

// Every spelling of a way out of /api/ we know of: the issue's, and our own variants.
const ESCAPES = [
  '/api/%2E%2E/%2e%2e/internal/admin',
  '/api/../admin',
  '/api/..\\..\\admin',
  '/api/./../x',
  '/api/%2e%2E/x',
  '/api/%2E./x',
  '/api/.%2e/x',
  '/api/a/b/%2e%2e/%2e%2e/%2e%2e/x',
  '/api/a/../../../../internal',
  '/api/..',
  '/api/x/..',
  '/api/x/.',
  '/api/.',
  '/api/%2e',
  '/api/..%2fadmin',
  '/api/..%2Fadmin',
  '/api/%2e%2e%2fadmin',
  '/api/a%2F..%2F..%2Fx',
  '/api/%2e%2e%2f%2e%2e%2finternal',
  '/api/..%5cadmin',
  '/api/%2e%2e%5Cadmin',
  '/api/%5C..%5Cx',
  '/api/\\..\\x',
  '/api/a\\b',
  '/api/%252e%252e/x',
  '/api/%252E%252E%252Fx',
  '/api/%25252e%25252e/x',
  '/api/a%252fb',
  '/api/..;/admin',
  '/api/.;x/admin',
  '/api/%2e%2e;jsessionid=1/x',
  '/api/..%3b/x',
  '/api/%c0%ae%c0%ae/x',
  '/api/%e0%80%ae%e0%80%ae/x',
  '/api/%c0%af..%c0%afx',
  '/api/%c1%9c',
  '/api/%ef%bc%8e%ef%bc%8e/x',
  '/api/%e2%80%a5/x',
  '/api/a%ef%bc%8fb',
  '/api/a%ef%bc%bcb',
  '/api/.../x',
  '/api/..%20/x',
  '/api/..%09/x',
  '/api/..../x',
  '/api/..%00/x',
  '/api/x%00.json',
  '/api/%00',
  '/api/a%0d%0aX-Signet-User:%20root',
  '/api//../x',
  '/api//internal',
  '/api/%2fetc',
  '/api/%',
  '/api/%zz',
  '/api/caf\u00e9',
  '/api/..%3F/x',
  '/api/..%3fx',
  '/api/..%23/x',
  '/api/%u002e%u002e/x',
  '/api/%25u002e%25u002e/x',
  '/api/%e2%88%95..%e2%88%95x',
  '/api/..%c2%a5..%c2%a5x',
  '/api/%e2%80%a4%e2%80%a4/x',
  '/api/.%c2%ad./x',
  '/api/.%e2%80%8b./x',
  '/api/%c2%85',
  '/api/%ef%b9%92%ef%b9%92/x',
];

describe('gateway attacks (sqlite)', () => {
  let upstream: Server;
  let upstreamPort: number;
  const seen: Seen[] = [];
  const everything: Seen[] = [];
  /** Called when a streamed request's first bytes reach the upstream. */
  let onFirstBytes: (() => void) | undefined;
  let r: Running;
  let creds: Required<Creds>;
  let open: Creds;

  before(async () => {
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        if (chunks.length === 0) onFirstBytes?.();
        chunks.push(c);
      });
      req.on('end', () => {
        const s: Seen = {
          method: req.method ?? '',
          url: req.url ?? '',
          rawHeaders: req.rawHeaders,
          body: Buffer.concat(chunks),
        };
        seen.push(s);
        everything.push(s);
        const path = req.url ?? '';
        if (path.startsWith('/base/api/slow')) return; // never answers
        if (path.startsWith('/base/api/down')) {
          res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '7' });
          res.end('upstream maintenance');
          return;
        }
        if (path.startsWith('/base/api/moved')) {
          res.writeHead(201, {
            location: `http://127.0.0.1:${upstreamPort}/base/api/notes/9`,
            'content-location': 'https://elsewhere.example/base/api/x',
          });
          res.end();
          return;
        }
        if (path.startsWith('/base/api/empty')) {
          res.writeHead(204, { 'x-upstream': 'yes' });
          res.end();
          return;
        }
        res.writeHead(200, [
          ['content-type', 'application/json'],
          ['connection', 'X-Up-Hop'],
          ['x-up-hop', 'secret'],
          ['keep-alive', 'timeout=5'],
          ['set-cookie', 'signet_session=fixed; Path=/'],
          ['link', '<a>; rel=a'],
          ['link', '<b>; rel=b'],
        ]);
        res.end(
          JSON.stringify({
            path,
            bytes: s.body.length,
            sha256: createHash('sha256').update(s.body).digest('hex'),
          }),
        );
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as AddressInfo).port;
    r = await startProvider({
      env: {
        SIGNET_UPSTREAM: `http://127.0.0.1:${upstreamPort}/base`,
        SIGNET_UPSTREAM_TIMEOUT: '1',
      },
    });
    await seed(r.store);
    const consumer = await r.store.createConsumer({ name: 'gateway app' });
    creds = await grantAccess(r, consumer, 'READ_PUBLIC');
    // Launchpad's open consumer: registered by anyone, empty secret, anonymous (empty token).
    await r.store.createConsumer({ key: 'anyone', secret: '', origin: 'open' });
    open = { consumerKey: 'anyone', consumerSecret: '', token: '', tokenSecret: '' };
  });
  after(async () => {
    await r?.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
    // The invariant over the whole run, whatever each test looked at.
    for (const s of everything) {
      assert.ok(
        s.url.startsWith('/base/api/'),
        `reached the upstream outside /base/api/: ${s.url}`,
      );
    }
  });
  beforeEach(() => {
    seen.length = 0;
    onFirstBytes = undefined;
  });

  const signedSend = (
    method: string,
    path: string,
    who: Creds,
    headers: [string, string][] = [],
    body?: Parameters<typeof send>[4],
  ) =>
    send(
      r.port,
      method,
      path,
      [['authorization', authorization(r.base, method, path, who)], ...headers],
      body,
    );

  it('refuses every path-escape spelling with a 400, signed by an open consumer or a token', async () => {
    for (const path of ESCAPES) {
      for (const [who, method] of [
        [open, 'DELETE'],
        [creds, 'GET'],
      ] as const) {
        const a = await signedSend(method, path, who);
        assert.equal(a.status, 400, `${method} ${path}: ${a.text}`);
      }
    }
    assert.deepEqual(
      seen.map((s) => s.url),
      [],
      'no escape attempt reached the upstream',
    );
  });

  it('answers the issue example with a clear 400 and without reaching the upstream', async () => {
    const a = await signedSend('DELETE', '/api/%2E%2E/%2e%2e/internal/admin', open);
    assert.equal(a.status, 400, a.text);
    assert.match(a.text, /dot segments/);
    assert.equal(seen.length, 0);
  });

  it('forwards harmless paths exactly under <base>/api/', async () => {
    const fine = [
      '/api/projects/7/bugs',
      '/api/files/a%20b',
      '/api/items/',
      '/api/report.v2.json',
      '/api/...x',
      '/api/x..y',
      '/api/100%25',
      '/api/a%2Bb',
      '/api/matrix;v=1',
      '/api/caf%C3%A9',
      '/api/',
    ];
    for (const path of fine) {
      const a = await signedSend('GET', path, open);
      assert.equal(a.status, 200, `${path}: ${a.text}`);
      assert.equal(seen.at(-1)!.url, `/base${path}`);
    }
  });

  it('drops forged identity and forwarding headers in every spelling, underscores included', async () => {
    const forged: [string, string][] = [
      ['X-Signet-User', 'root'],
      ['X_Signet_User', 'root'],
      ['x_signet_user', 'root'],
      ['X-SIGNET_USER', 'root'],
      ['x.signet.user', 'root'],
      ['X_Signet_Consumer', 'trusted-app'],
      ['X-Signet-Permission', 'WRITE_PRIVATE'],
      ['X_Signet_Permission', 'DESKTOP_INTEGRATION'],
      ['X_Signet_Context', 'everything'],
      ['X-Signet-Admin', 'yes'],
      ['X-Forwarded-For', '10.0.0.1'],
      ['X_Forwarded_For', '10.0.0.2'],
      ['X-Forwarded-Host', 'evil.example'],
      ['X_Forwarded_Proto', 'https'],
      ['X-Forwarded-Prefix', '/internal'],
      ['Forwarded', 'for=10.0.0.3;proto=https'],
      ['X-Real-IP', '10.0.0.4'],
      ['X_Real_IP', '10.0.0.5'],
      ['True-Client-IP', '10.0.0.6'],
      ['Proxy', 'http://evil.example:3128'],
      ['X-Original-URL', '/internal/admin'],
      ['X_Rewrite_URL', '/internal/admin'],
      ['X-HTTP-Method-Override', 'DELETE'],
      ['Cookie', 'signet_session=stolen'],
      ['Connection', 'keep-alive, X-Hop-Secret, X_Other_Hop'],
      ['X-Hop-Secret', 'hop'],
      ['X-Other-Hop', 'hop'],
      ['Keep-Alive', 'timeout=1'],
      ['X-Custom', 'kept'],
    ];
    for (const who of [creds, open]) {
      seen.length = 0;
      const a = await signedSend('GET', '/api/whoareyou', who, forged);
      assert.equal(a.status, 200, a.text);
      assert.equal(seen.length, 1);
      const raw = seen[0]!.rawHeaders;
      const env = new Map<string, string[]>();
      for (let i = 0; i < raw.length; i += 2) {
        const k = cgi(raw[i]!);
        env.set(k, [...(env.get(k) ?? []), raw[i + 1]!]);
      }
      // What a CGI/WSGI upstream sees: one value each, the provider's.
      const identity = [...env.keys()].filter((k) => k.startsWith('HTTP_X_SIGNET_')).sort();
      const expected =
        who === creds
          ? ['HTTP_X_SIGNET_CONSUMER', 'HTTP_X_SIGNET_PERMISSION', 'HTTP_X_SIGNET_USER']
          : ['HTTP_X_SIGNET_CONSUMER', 'HTTP_X_SIGNET_PERMISSION'];
      assert.deepEqual(identity, expected, JSON.stringify(raw));
      assert.deepEqual(env.get('HTTP_X_SIGNET_CONSUMER'), [who.consumerKey]);
      assert.deepEqual(env.get('HTTP_X_SIGNET_PERMISSION'), ['READ_PUBLIC']);
      if (who === creds) assert.deepEqual(env.get('HTTP_X_SIGNET_USER'), ['alice']);
      assert.deepEqual(env.get('HTTP_X_FORWARDED_FOR'), ['127.0.0.1']);
      assert.deepEqual(env.get('HTTP_X_FORWARDED_PROTO'), ['http']);
      assert.deepEqual(env.get('HTTP_X_FORWARDED_HOST'), [new URL(r.base).host]);
      for (const k of [
        'HTTP_X_FORWARDED_PREFIX',
        'HTTP_FORWARDED',
        'HTTP_X_REAL_IP',
        'HTTP_TRUE_CLIENT_IP',
        'HTTP_PROXY',
        'HTTP_X_ORIGINAL_URL',
        'HTTP_X_REWRITE_URL',
        'HTTP_X_HTTP_METHOD_OVERRIDE',
        'HTTP_COOKIE',
        'HTTP_AUTHORIZATION',
        'HTTP_X_HOP_SECRET',
        'HTTP_X_OTHER_HOP',
        'HTTP_KEEP_ALIVE',
      ]) {
        assert.equal(env.get(k), undefined, `${k} reached the upstream`);
      }
      assert.deepEqual(env.get('HTTP_X_CUSTOM'), ['kept']);
      assert.doesNotMatch(JSON.stringify(raw), /root|trusted-app|10\.0\.0|evil|stolen|hop"/);
    }
  });

  it('drops every header family an upstream may trust for who or where the caller is, in any spelling', async () => {
    // Address, scheme, host, path and method as proxies pass them on, and the user as
    // authenticating proxies say it: none may come from the caller.
    const names = [
      'X-Forwarded',
      'Forwarded-For',
      'X-Forwarded-Server',
      'X-Forwarded-Ssl',
      'X-Forwarded-Client-Cert',
      'X-Original-Forwarded-For',
      'X-Original-URL',
      'X-Original-Uri',
      'X-Original-Host',
      'X-Original-Method',
      'X-Rewrite-URL',
      'X-Remote-User',
      'X-Remote-Addr',
      'Remote-User',
      'Remote-Addr',
      'X-Host',
      'X-Http-Host',
      'X-Envoy-Original-Path',
      'X-Envoy-External-Address',
      'X-Auth-Request-User',
      'X-Auth-Request-Email',
      'X-Auth-User',
      'X-Url-Scheme',
      'X-Scheme',
      'Front-End-Https',
      'X-Client-IP',
      'Client-IP',
      'True-Client-IP',
      'CF-Connecting-IP',
      'CF-Visitor',
      'Fastly-Client-IP',
      'X-Cluster-Client-IP',
      'X-ProxyUser-Ip',
      'X-Real-IP',
      'X-User',
      'X-User-Id',
      'X-Email',
      'X-Webauth-User',
      'X-Amzn-Oidc-Identity',
      'X-Goog-Authenticated-User-Email',
      'X-Ms-Client-Principal-Name',
      'X-SSL-Client-DN',
      'X-HTTP-Method',
      'X-Method-Override',
    ];
    const spellings = (n: string) => [
      n,
      n.replace(/-/g, '_'),
      n.toUpperCase(),
      n.toLowerCase().replace(/-/g, '_'),
    ];
    const forged: [string, string][] = names.flatMap((n) =>
      spellings(n).map((s, i): [string, string] => [s, `forged${i}`]),
    );
    const a = await signedSend('GET', '/api/trusting', creds, [
      ...forged,
      ['X-Kept-Header', 'kept'],
    ]);
    assert.equal(a.status, 200, a.text);
    assert.equal(seen.length, 1);
    const raw = seen[0]!.rawHeaders;
    const arrived = new Set<string>();
    for (let i = 0; i < raw.length; i += 2) arrived.add(cgi(raw[i]!));
    for (const n of names) {
      assert.ok(!arrived.has(cgi(n)), `${n} reached the upstream: ${JSON.stringify(raw)}`);
    }
    assert.doesNotMatch(JSON.stringify(raw), /forged/);
    assert.ok(arrived.has('HTTP_X_KEPT_HEADER'));
  });

  it("adds its own entry to Via after the caller's, as a proxy does", async () => {
    const a = await signedSend('GET', '/api/via', creds, [['Via', '1.0 client-proxy']]);
    assert.equal(a.status, 200, a.text);
    const b = await signedSend('GET', '/api/via', creds);
    assert.equal(b.status, 200, b.text);
    const via = seen.map((s) =>
      s.rawHeaders.filter((_, i) => i % 2 === 1 && s.rawHeaders[i - 1]!.toLowerCase() === 'via'),
    );
    assert.deepEqual(via, [['1.0 client-proxy, 1.1 signet'], ['1.1 signet']]);
  });

  it('refuses a content-coded body without oauth_body_hash with a 415, before the upstream', async () => {
    const path = '/api/upload';
    const body = 'a=1';
    for (const [type, coding] of [
      ['application/json', 'gzip'],
      ['application/x-www-form-urlencoded', 'gzip'],
      ['application/octet-stream', 'deflate, identity'],
      ['text/plain', 'BR'],
    ] as const) {
      const params: [string, string][] = type.includes('form') ? [['a', '1']] : [];
      const a = await send(
        r.port,
        'POST',
        path,
        [
          ['authorization', authorization(r.base, 'POST', path, creds, { params })],
          ['content-type', type],
          ['content-encoding', coding],
        ],
        body,
      );
      assert.equal(a.status, 415, `${type} ${coding}: ${a.text}`);
      assert.match(a.headers['content-type'] ?? '', /^text\/plain/);
      assert.match(a.text, /Content-Encoding/);
    }
    assert.equal(seen.length, 0);
    // Covered by oauth_body_hash, the coded bytes are what was signed: they go on as they are.
    const hashed = authorization(r.base, 'POST', path, creds, { bodyHash: bodyHash(body, 'sha1') });
    const ok = await send(
      r.port,
      'POST',
      path,
      [
        ['authorization', hashed],
        ['content-type', 'application/json'],
        ['content-encoding', 'gzip'],
      ],
      body,
    );
    assert.equal(ok.status, 200, ok.text);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.body.toString(), body);
  });

  it('strips hop-by-hop and cookie headers from the answer, keeps the rest', async () => {
    const a = await signedSend('GET', '/api/headers', creds);
    assert.equal(a.status, 200, a.text);
    assert.equal(a.headers['x-up-hop'], undefined);
    assert.equal(a.headers['keep-alive'], undefined);
    assert.equal(a.headers['set-cookie'], undefined);
    assert.equal(a.headers['link'], '<a>; rel=a, <b>; rel=b');
    assert.equal(a.headers['x-content-type-options'], 'nosniff');
    assert.equal(JSON.parse(a.text).path, '/base/api/headers');
  });

  it("passes the upstream's errors through: status, body and headers", async () => {
    const a = await signedSend('GET', '/api/down', creds);
    assert.equal(a.status, 503);
    assert.equal(a.text, 'upstream maintenance');
    assert.equal(a.headers['retry-after'], '7');
    const empty = await signedSend('DELETE', '/api/empty', creds);
    assert.equal(empty.status, 204);
    assert.equal(empty.headers['x-upstream'], 'yes');
    const head = await signedSend('HEAD', '/api/headers', creds);
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
  });

  it("rewrites a Location on the upstream's own address to the public URL", async () => {
    const a = await signedSend('POST', '/api/moved', creds);
    assert.equal(a.status, 201, a.text);
    assert.equal(a.headers['location'], `${r.base}/api/notes/9`);
    assert.equal(a.headers['content-location'], 'https://elsewhere.example/base/api/x');
  });

  it('answers a badly signed streamed upload without waiting for its body', async () => {
    const path = '/api/uploads';
    const forged = authorization(r.base, 'PUT', path, { ...creds, tokenSecret: 'wrong' });
    const a = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: r.port,
          method: 'PUT',
          path,
          headers: { authorization: forged, 'content-type': 'application/octet-stream' },
          agent: false,
        },
        (res) => {
          res.resume();
          req.destroy();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', () => {});
      // Only the first bytes; the end never comes.
      req.write(Buffer.alloc(64 * 1024, 'x'));
      setTimeout(() => reject(new Error('no answer within 3 s')), 3000).unref();
    });
    assert.equal(a, 401);
    assert.equal(seen.length, 0);
  });

  it('answers 504 when the upstream does not answer within SIGNET_UPSTREAM_TIMEOUT', async () => {
    const started = Date.now();
    const a = await signedSend('GET', '/api/slow', creds);
    assert.equal(a.status, 504, a.text);
    assert.match(a.text, /did not answer within 1 s/);
    assert.ok(Date.now() - started < 5000, 'answered within 5 s');
  });

  it('answers 413 for a form body (read, to be verified) over 1 MiB', async () => {
    const big = `title=${'x'.repeat(1024 * 1024 + 10)}`;
    const a = await signedSend(
      'POST',
      '/api/forms',
      creds,
      [['content-type', 'application/x-www-form-urlencoded']],
      big,
    ).catch((e: Error) => ({ status: -1, text: e.message }));
    // The provider may close the connection before the client finished sending.
    assert.ok(a.status === 413 || a.status === -1, `${a.status} ${a.text}`);
    assert.equal(seen.length, 0);
  });

  it('lets a streamed upload take longer than the timeout as long as it keeps moving', async () => {
    const a = await signedSend(
      'POST',
      '/api/uploads',
      creds,
      [['content-type', 'application/octet-stream']],
      (req) => {
        let n = 0;
        const tick = () => {
          n++;
          if (n < 4) {
            req.write(`part ${n};`);
            setTimeout(tick, 500);
          } else req.end('end');
        };
        tick();
      },
    );
    // 1.5 s of upload against a 1 s timeout, never idle for 1 s.
    assert.equal(a.status, 200, a.text);
    assert.equal(seen.at(-1)!.body.toString(), 'part 1;part 2;part 3;end');
  });

  it('streams a body it does not need to read, beyond the 1 MiB limit of read bodies', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'x');
    const a = await signedSend(
      'PUT',
      '/api/blobs/1',
      creds,
      [
        ['content-type', 'application/octet-stream'],
        ['content-length', String(big.length)],
      ],
      big,
    );
    assert.equal(a.status, 200, a.text);
    const got = JSON.parse(a.text) as { bytes: number; sha256: string };
    assert.equal(got.bytes, big.length);
    assert.equal(got.sha256, createHash('sha256').update(big).digest('hex'));
  });

  it('hands the first bytes of a streamed body to the upstream before the rest is sent', async () => {
    const firstBytes = new Promise<void>((resolve) => {
      onFirstBytes = resolve;
    });
    const a = await signedSend(
      'POST',
      '/api/uploads',
      creds,
      [['content-type', 'application/octet-stream']],
      (req) => {
        req.write('first chunk;');
        // With a buffering gateway the upstream would see nothing until the end: fail, not hang.
        const deadline = new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('upstream saw nothing within 3 s')), 3000).unref(),
        );
        Promise.race([firstBytes, deadline]).then(
          () => req.end('second chunk'),
          (e: Error) => req.destroy(e),
        );
      },
    );
    assert.equal(a.status, 200, a.text);
    assert.equal(seen.at(-1)!.body.toString(), 'first chunk;second chunk');
  });

  it('reads and verifies a body covered by oauth_body_hash before forwarding it', async () => {
    const body = JSON.stringify({ title: 'x' });
    const path = '/api/notes';
    const good = authorization(r.base, 'POST', path, creds, {
      bodyHash: bodyHash(body, 'sha1'),
    });
    const ok = await send(
      r.port,
      'POST',
      path,
      [
        ['authorization', good],
        ['content-type', 'application/json'],
      ],
      body,
    );
    assert.equal(ok.status, 200, ok.text);
    assert.equal(seen.at(-1)!.body.toString(), body);
    const count = seen.length;
    const bad = authorization(r.base, 'POST', path, creds, {
      bodyHash: bodyHash('something else', 'sha1'),
    });
    const refused = await send(
      r.port,
      'POST',
      path,
      [
        ['authorization', bad],
        ['content-type', 'application/json'],
      ],
      body,
    );
    assert.equal(refused.status, 401, refused.text);
    assert.equal(seen.length, count, 'the forged body never reached the upstream');
  });

  it('finds oauth_body_hash however its name is encoded, and checks the body against it', async () => {
    // The hash of an empty body, under a percent-encoded name: were the body streamed
    // unread, the check would compare it with no body and let any body through.
    const path = '/api/notes';
    const header = authorization(r.base, 'POST', path, creds, {
      bodyHash: bodyHash('', 'sha1'),
    }).replace('oauth_body_hash=', 'oauth%5Fbody%5Fhash=');
    assert.match(header, /oauth%5Fbody%5Fhash=/);
    const a = await send(
      r.port,
      'POST',
      path,
      [
        ['authorization', header],
        ['content-type', 'application/json'],
      ],
      JSON.stringify({ title: 'smuggled' }),
    );
    assert.equal(a.status, 401, a.text);
    assert.equal(seen.length, 0);
  });
});

describe('gateway to an upstream that is down (sqlite)', () => {
  let r: Running;
  let creds: Required<Creds>;

  before(async () => {
    // A port that was just free and is closed again: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    r = await startProvider({ env: { SIGNET_UPSTREAM: `http://127.0.0.1:${port}` } });
    await seed(r.store);
    creds = await grantAccess(r, await r.store.createConsumer({ name: 'app' }), 'READ_PUBLIC');
  });
  after(async () => {
    await r?.close();
  });

  it('answers a clear 502', async () => {
    const path = '/api/anything';
    const a = await send(r.port, 'GET', path, [
      ['authorization', authorization(r.base, 'GET', path, creds)],
    ]);
    assert.equal(a.status, 502, a.text);
    assert.equal(a.text, 'The upstream API is unreachable.');
  });
});

describe('gateway with SIGNET_REQUIRE_BODY_HASH=true (sqlite)', () => {
  let upstream: Server;
  const seen: string[] = [];
  let r: Running;
  let creds: Required<Creds>;

  before(async () => {
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push(Buffer.concat(chunks).toString());
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as AddressInfo).port;
    r = await startProvider({
      env: { SIGNET_UPSTREAM: `http://127.0.0.1:${port}`, SIGNET_REQUIRE_BODY_HASH: 'true' },
    });
    await seed(r.store);
    creds = await grantAccess(r, await r.store.createConsumer({ name: 'app' }), 'READ_PUBLIC');
  });
  after(async () => {
    await r?.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('refuses a JSON body without oauth_body_hash before the upstream, forwards one with it', async () => {
    const path = '/api/things';
    const body = JSON.stringify({ a: 1 });
    const json: [string, string] = ['content-type', 'application/json'];
    const without = await send(
      r.port,
      'PUT',
      path,
      [['authorization', authorization(r.base, 'PUT', path, creds)], json],
      body,
    );
    assert.equal(without.status, 400, without.text);
    assert.match(without.text, /oauth_body_hash/);
    assert.deepEqual(seen, []);
    const hashed = authorization(r.base, 'PUT', path, creds, { bodyHash: bodyHash(body, 'sha1') });
    const ok = await send(r.port, 'PUT', path, [['authorization', hashed], json], body);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(seen, [body]);
  });

  it('takes only a UTF-8 form without Content-Encoding as a form: a coded or other-charset one needs the hash', async () => {
    const path = '/api/things';
    const body = 'a=1';
    const formType = 'application/x-www-form-urlencoded';
    const post = (headers: [string, string][]) =>
      send(
        r.port,
        'POST',
        path,
        [
          ['authorization', authorization(r.base, 'POST', path, creds, { params: [['a', '1']] })],
          ...headers,
        ],
        body,
      );
    seen.length = 0;
    const gzip = await post([
      ['content-type', formType],
      ['content-encoding', 'gzip'],
    ]);
    assert.equal(gzip.status, 415, gzip.text);
    for (const type of [`${formType}; charset=utf-16`, `${formType}; Charset="ISO-8859-1"`]) {
      const a = await post([['content-type', type]]);
      assert.equal(a.status, 400, `${type}: ${a.text}`);
      assert.match(a.text, /oauth_body_hash/);
    }
    assert.deepEqual(seen, []);
    const ok = await post([
      ['content-type', `${formType}; charset=UTF-8`],
      ['content-encoding', 'identity'],
    ]);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(seen, [body]);
  });
});
