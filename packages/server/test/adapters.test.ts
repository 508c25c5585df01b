// The whole OAuth 1.0a flow (request token -> authorize -> access token -> protected call)
// over real HTTP on 127.0.0.1, once per adapter, through the examples.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  bodyHash,
  formEncode,
  type Param,
  serializeAuthorizationHeader,
  signRequest,
} from '@signet/core';
import { start as startExpress } from '../examples/express.js';
import { start as startFastify } from '../examples/fastify.js';
import { start as startFetch } from '../examples/fetch.js';
import { type Started, start as startNode } from '../examples/node_http.js';

const KEY = 'demo-key';
const SECRET = 'demo-secret';

interface Call {
  readonly method: string;
  readonly path: string;
  readonly token?: string;
  readonly tokenSecret?: string;
  readonly callback?: string;
  readonly verifier?: string;
  readonly form?: Param[];
  readonly json?: string;
}

async function send(base: string, c: Call): Promise<Response> {
  const url = base + c.path;
  const signed = signRequest({
    method: c.method,
    url,
    consumerKey: KEY,
    consumerSecret: SECRET,
    ...(c.token !== undefined ? { token: c.token, tokenSecret: c.tokenSecret ?? '' } : {}),
    ...(c.callback !== undefined ? { callback: c.callback } : {}),
    ...(c.verifier !== undefined ? { verifier: c.verifier } : {}),
    ...(c.json !== undefined ? { bodyHash: bodyHash(c.json, 'sha1') } : {}),
    params: c.form ?? [],
  });
  const headers: Record<string, string> = {
    authorization: serializeAuthorizationHeader(signed.oauthParams),
  };
  let body: string | undefined;
  if (c.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = formEncode(c.form);
  } else if (c.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = c.json;
  }
  return fetch(url, {
    method: c.method,
    headers,
    ...(body !== undefined ? { body } : {}),
    redirect: 'manual',
  });
}

async function flow(base: string): Promise<void> {
  const rt = await send(base, {
    method: 'POST',
    path: '/oauth/request_token',
    callback: 'http://127.0.0.1:1/cb?state=xyz',
  });
  assert.equal(rt.status, 200, await rt.clone().text());
  const temp = new URLSearchParams(await rt.text());
  assert.equal(temp.get('oauth_callback_confirmed'), 'true');
  const token = temp.get('oauth_token')!;

  const page = await fetch(
    `${base}/oauth/authorize?oauth_token=${token}&user=bob&permission=WRITE_PUBLIC`,
    { redirect: 'manual' },
  );
  assert.equal(page.status, 302);
  const location = new URL(page.headers.get('location')!);
  assert.equal(location.searchParams.get('state'), 'xyz');
  assert.equal(location.searchParams.get('oauth_token'), token);
  const verifier = location.searchParams.get('oauth_verifier')!;

  const wrong = await send(base, {
    method: 'POST',
    path: '/oauth/access_token',
    token,
    tokenSecret: temp.get('oauth_token_secret')!,
    verifier: 'nope',
  });
  assert.equal(wrong.status, 401);
  assert.equal(await wrong.text(), 'Invalid verifier.');
  assert.match(
    wrong.headers.get('www-authenticate') ?? '',
    /^OAuth realm="http:\/\/127\.0\.0\.1:\d+\/", oauth_problem="verifier_invalid"$/,
  );

  const at = await send(base, {
    method: 'POST',
    path: '/oauth/access_token',
    token,
    tokenSecret: temp.get('oauth_token_secret')!,
    verifier,
  });
  assert.equal(at.status, 200, await at.clone().text());
  const creds = new URLSearchParams(await at.text());
  const access = {
    token: creds.get('oauth_token')!,
    tokenSecret: creds.get('oauth_token_secret')!,
  };

  const again = await send(base, {
    method: 'POST',
    path: '/oauth/access_token',
    token,
    tokenSecret: temp.get('oauth_token_secret')!,
    verifier,
  });
  assert.equal(again.status, 401);
  assert.equal(await again.text(), 'No request token specified.');

  const me = await send(base, { method: 'GET', path: '/api/whoami?x=1', ...access });
  assert.equal(me.status, 200, await me.clone().text());
  assert.deepEqual(await me.json(), {
    consumer: KEY,
    person: 'bob',
    permission: 'WRITE_PUBLIC',
    context: null,
  });

  const posted = await send(base, {
    method: 'POST',
    path: '/api/whoami',
    ...access,
    form: [['title', 'a b&c']],
  });
  assert.equal(posted.status, 200, await posted.clone().text());

  const json = await send(base, {
    method: 'POST',
    path: '/api/whoami',
    ...access,
    json: '{"a":1}',
  });
  assert.equal(json.status, 200, await json.clone().text());

  const forged = await send(base, {
    method: 'GET',
    path: '/api/whoami',
    token: access.token,
    tokenSecret: 'guess',
  });
  assert.equal(forged.status, 401);
  assert.equal(await forged.text(), 'Invalid signature.');
}

function rawRequest(
  base: string,
  headers: [string, string][],
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const url = new URL(`${base}/api/whoami`);
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: [['host', url.host], ...headers].flat(),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => ok({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

const adapters: [string, (port?: number) => Promise<Started>][] = [
  ['node:http', startNode],
  ['Express', startExpress],
  ['Fastify', startFastify],
  ['Fetch API', startFetch],
];

for (const [name, start] of adapters) {
  describe(`${name} adapter over HTTP`, () => {
    let server: Started;
    before(async () => {
      server = await start(0);
    });
    after(() => server.close());

    it('runs the whole 1.0a flow', async () => {
      await flow(server.url);
    });
    it('answers 400 to malformed input without falling over', async () => {
      const broken = await rawRequest(server.url, [
        ['authorization', 'OAuth oauth_token="unterminated'],
      ]);
      assert.equal(broken.status, 400);
      assert.match(
        broken.body,
        /^error=invalid_request&error_description=Malformed%20Authorization%20header/,
      );
      const badForm = await rawRequest(
        server.url,
        [['content-type', 'application/x-www-form-urlencoded']],
        'a=%ZZ',
      );
      assert.equal(badForm.status, 400);
      assert.match(badForm.body, /Malformed%20percent-encoding/);
      const huge = await rawRequest(
        server.url,
        [['content-type', 'application/x-www-form-urlencoded']],
        'a='.padEnd(1024 * 1024 + 10, 'x'),
      );
      assert.ok(huge.status === 400 || huge.status === 413, String(huge.status));
    });
    it('refuses two Authorization headers', async () => {
      const two = await rawRequest(server.url, [
        ['authorization', 'OAuth oauth_consumer_key="a"'],
        ['authorization', 'OAuth oauth_consumer_key="b"'],
      ]);
      assert.equal(two.status, 400);
    });
  });
}

describe('Express adapter behind express.urlencoded()', () => {
  it('re-encodes the parsed form so the signature still verifies', async () => {
    const { default: express } = await import('express');
    const { expressProtect } = await import('../src/adapters/express.js');
    const { createResourceEndpoint, MemoryStore } = await import('../src/index.js');
    const store = new MemoryStore();
    store.addConsumer({ key: KEY, secret: SECRET, name: 'x' });
    await store.createRequestToken({
      token: 'r',
      secret: 's',
      consumerKey: KEY,
      createdAt: 0,
      expiresAt: Date.now() + 60_000,
    });
    await store.consumeRequestToken('r', {
      token: 'tok',
      secret: 'tsec',
      consumerKey: KEY,
      userId: 'u',
      permission: 'READ_PUBLIC',
      createdAt: 0,
    });
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    let protect: ReturnType<typeof createResourceEndpoint> | undefined;
    app.post(
      '/api/notes',
      (req, res, next) => expressProtect(protect!)(req, res, next),
      (req, res) => {
        res.json({ title: (req.body as Record<string, string>)['title'] });
      },
    );
    const server = await new Promise<import('node:http').Server>((ok) => {
      const s = app.listen(0, '127.0.0.1', () => ok(s));
    });
    try {
      const address = server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      protect = createResourceEndpoint({ store, publicUrl: base });
      const r = await send(base, {
        method: 'POST',
        path: '/api/notes',
        token: 'tok',
        tokenSecret: 'tsec',
        form: [
          ['title', 'a b+c'],
          ['tag', 'x'],
        ],
      });
      assert.equal(r.status, 200, await r.clone().text());
      assert.deepEqual(await r.json(), { title: 'a b+c' });
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });
});
