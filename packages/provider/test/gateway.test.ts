// Gateway mode (SIGNET_UPSTREAM): verified requests under /api/ reach a node:http upstream on
// loopback with the caller's identity and without any credential; unverified ones never do.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  type Creds,
  call,
  grantAccess,
  type Running,
  seed,
  signed,
  signedCall,
  startProvider,
} from './http_harness.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('gateway to an upstream API (sqlite)', () => {
  let upstream: Server;
  let upstreamUrl: string;
  const seen: Seen[] = [];
  let r: Running;
  let creds: Required<Creds>;
  let consumer: { key: string; secret: string };

  before(async () => {
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(req.url?.startsWith('/api/missing') ? 404 : 200, {
          'content-type': 'application/json',
          'x-upstream': 'yes',
        });
        res.end(JSON.stringify({ from: 'upstream', path: req.url }));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    r = await startProvider({ env: { SIGNET_UPSTREAM: upstreamUrl } });
    await seed(r.store);
    consumer = await r.store.createConsumer({ name: 'gateway app' });
    creds = await grantAccess(r, consumer, 'WRITE_PUBLIC', { context: 'firefox' });
  });
  after(async () => {
    await r?.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  /** Nothing that could authenticate the caller crossed over. */
  function clean(s: Seen): void {
    assert.equal(s.headers['authorization'], undefined);
    assert.doesNotMatch(s.url, /oauth_/);
    assert.doesNotMatch(s.body, /oauth_/);
    assert.doesNotMatch(JSON.stringify(s.headers), /oauth_|OAuth /);
    assert.ok(!JSON.stringify(s).includes(creds.tokenSecret));
    assert.ok(!JSON.stringify(s).includes(consumer.secret));
  }

  it('forwards a signed GET with its path and query, and the identity headers', async () => {
    const a = await signedCall(`${r.base}/api/projects/7/bugs`, creds, {
      params: [
        ['status', 'open'],
        ['q', 'two words & more'],
      ],
      headers: { 'x-signet-user': 'mallory', 'x-custom': 'kept' },
    });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.headers.get('x-upstream'), 'yes');
    assert.equal(seen.length, 1);
    const s = seen[0]!;
    assert.equal(s.method, 'GET');
    const u = new URL(s.url, upstreamUrl);
    assert.equal(u.pathname, '/api/projects/7/bugs');
    assert.deepEqual(
      [...u.searchParams],
      [
        ['status', 'open'],
        ['q', 'two words & more'],
      ],
    );
    assert.deepEqual(JSON.parse(a.text), { from: 'upstream', path: s.url });
    assert.equal(s.headers['x-signet-user'], 'alice');
    assert.equal(s.headers['x-signet-permission'], 'WRITE_PUBLIC');
    assert.equal(s.headers['x-signet-consumer'], consumer.key);
    assert.equal(s.headers['x-signet-context'], 'firefox');
    assert.equal(s.headers['x-custom'], 'kept');
    clean(s);
  });

  it('strips oauth_* from the query (query signing) and from a form body (body signing)', async () => {
    const q = await signedCall(`${r.base}/api/search`, creds, {
      params: [['term', 'a+b']],
      placement: 'query',
    });
    assert.equal(q.status, 200, q.text);
    const b = await signedCall(`${r.base}/api/notes`, creds, {
      method: 'POST',
      params: [
        ['title', 'hello world'],
        ['n', '1'],
      ],
      placement: 'body',
    });
    assert.equal(b.status, 200, b.text);
    assert.equal(seen.length, 2);
    assert.deepEqual([...new URL(seen[0]!.url, upstreamUrl).searchParams], [['term', 'a+b']]);
    const post = seen[1]!;
    assert.equal(post.method, 'POST');
    assert.match(post.headers['content-type'] ?? '', /^application\/x-www-form-urlencoded/);
    assert.deepEqual(
      [...new URLSearchParams(post.body)],
      [
        ['title', 'hello world'],
        ['n', '1'],
      ],
    );
    for (const s of seen) clean(s);
  });

  it('forwards PUT with a JSON body as is, DELETE, and the upstream status', async () => {
    const body = JSON.stringify({ title: 'changed', tags: ['a', 'b'] });
    const s = signed(`${r.base}/api/notes/3`, creds, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
    });
    const put = await call(s.url, {
      ...s.init,
      headers: {
        ...(s.init.headers as Record<string, string>),
        'content-type': 'application/json',
      },
      body,
    });
    assert.equal(put.status, 200, put.text);
    const del = await signedCall(`${r.base}/api/notes/3`, creds, { method: 'DELETE' });
    assert.equal(del.status, 200, del.text);
    const missing = await signedCall(`${r.base}/api/missing`, creds);
    assert.equal(missing.status, 404);
    assert.equal(seen.length, 3);
    assert.equal(seen[0]!.method, 'PUT');
    assert.equal(seen[0]!.body, body);
    assert.match(seen[0]!.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(seen[1]!.method, 'DELETE');
    assert.equal(seen[1]!.url, '/api/notes/3');
    for (const x of seen) clean(x);
  });

  it('refuses unsigned and badly signed requests without reaching the upstream', async () => {
    const unsigned = await call(`${r.base}/api/projects`);
    assert.ok(unsigned.status === 400 || unsigned.status === 401, unsigned.text);
    const bad = await signedCall(
      `${r.base}/api/projects`,
      { ...creds, tokenSecret: 'x' },
      {
        method: 'POST',
        params: [['a', 'b']],
      },
    );
    assert.equal(bad.status, 401);
    assert.equal(bad.text, 'Invalid signature.');
    const unknown = await signedCall(`${r.base}/api/projects`, { ...creds, token: 'nope' });
    assert.equal(unknown.status, 401);
    const s = signed(`${r.base}/api/projects`, creds);
    assert.equal((await call(s.url, s.init)).status, 200);
    const replay = await call(s.url, s.init);
    assert.equal(replay.status, 401);
    assert.equal(replay.text, 'Nonce already used.');
    assert.equal(seen.length, 1, 'only the one good request reached the upstream');
  });

  it('keeps /api/1.0/whoami on the provider', async () => {
    const a = await signedCall(`${r.base}/api/1.0/whoami`, creds);
    assert.equal(a.status, 200);
    assert.equal((JSON.parse(a.text) as { person: string }).person, 'alice');
    assert.equal(seen.length, 0);
  });
});
