import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  collectParameters,
  type Param,
  parseAuthorizationHeader,
  signedParameters,
  verifySignature,
} from '@signet/core';
import { ClientError, OAuth1Client, OAuthProtocolError } from '../src/index.js';
import { send, startFake } from './helpers.js';

const rfcClient = (extra = {}) =>
  new OAuth1Client({
    consumerKey: 'dpf43f3p2l4k3l03',
    consumerSecret: 'kd94hf93k423kf44',
    token: { token: 'nnch734d00sl2jdk', tokenSecret: 'pfkkdhi9sl3r4s00' },
    version: false,
    clock: () => 137131202_000,
    nonce: () => 'chapoH', // RFC 5849 §1.2 as corrected by its erratum
    ...extra,
  });

test('sign is pure and matches RFC 5849 §1.2 (GET photos, HMAC-SHA1)', () => {
  const client = rfcClient();
  const url = 'http://photos.example.net/photos?file=vacation.jpg&size=original';
  const a = client.sign(url);
  const b = client.sign(url);
  assert.deepEqual(a, b);
  assert.equal(a.url, url);
  assert.equal(a.body, undefined);
  const header = parseAuthorizationHeader(a.headers['authorization']!);
  assert.deepEqual(
    header.params.find(([n]) => n === 'oauth_signature'),
    ['oauth_signature', 'MdpQcU8iPSUjWoN/UDMsK2sui9I='],
  );
});

test('realm goes first in the header and is not signed', () => {
  const withRealm = rfcClient({ realm: 'Photos' }).sign('http://photos.example.net/photos');
  const without = rfcClient().sign('http://photos.example.net/photos');
  assert.match(withRealm.headers['authorization']!, /^OAuth realm="Photos", oauth_consumer_key=/);
  assert.deepEqual(withRealm.oauthParams, without.oauthParams);
});

test('header modes: alternate (header only), none (query only), full (both)', () => {
  const url = 'http://example.com/r?x=1';
  const alt = rfcClient().sign(url);
  assert.ok(alt.headers['authorization']);
  assert.equal(alt.url, url);

  const none = rfcClient({ placement: 'query' }).sign(url);
  assert.equal(none.headers['authorization'], undefined);
  assert.match(none.url, /^http:\/\/example\.com\/r\?x=1&oauth_consumer_key=dpf43f3p2l4k3l03&/);

  const full = rfcClient({ placement: 'body', headerMode: 'full' }).sign(url, {
    method: 'POST',
    form: { a: 'b' },
  });
  assert.ok(full.headers['authorization']);
  assert.match(String(full.body), /^a=b&oauth_consumer_key=/);
  const sig = (params: readonly Param[]) => params.find(([n]) => n === 'oauth_signature')?.[1];
  assert.equal(
    sig(parseAuthorizationHeader(full.headers['authorization']!).params),
    sig([...new URLSearchParams(String(full.body))]),
  );
  // Header mode none with the default placement: the query carries the parameters.
  const noHeader = rfcClient({ headerMode: 'none' }).sign(url);
  assert.equal(noHeader.headers['authorization'], undefined);
  assert.match(noHeader.url, /&oauth_signature=/);
});

test('oauth_body_hash covers JSON and binary bodies, never form bodies or PLAINTEXT', () => {
  const url = 'http://example.com/r';
  const has = (r: { headers: Record<string, string> }) =>
    /oauth_body_hash="/.test(r.headers['authorization']!);
  const json = rfcClient().sign(url, { method: 'POST', json: { a: 1 } });
  // base64(sha1('{"a":1}'))
  assert.match(json.headers['authorization']!, /oauth_body_hash="n4nHQM60bXQYySSnisV5QdXpZSA%3D"/);
  assert.equal(json.headers['content-type'], 'application/json');
  const bin = rfcClient({ signatureMethod: 'HMAC-SHA256' }).sign(url, {
    method: 'PUT',
    body: new Uint8Array([0, 1, 2]),
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.ok(has(bin));
  assert.ok(!has(rfcClient().sign(url, { method: 'POST', form: { a: '1' } })));
  assert.ok(
    !has(rfcClient({ signatureMethod: 'PLAINTEXT' }).sign(url, { method: 'POST', json: 1 })),
  );
  assert.ok(!has(rfcClient().sign(url, { method: 'POST' })));
  assert.ok(has(rfcClient().sign(url, { method: 'POST', bodyHash: true })));
  assert.throws(() => rfcClient().sign(url, { form: { a: '1' } }), {
    code: 'ERR_INVALID_ARG_VALUE',
    message: /GET request has no body/,
  });
});

test('makeSecret and parseQS are overridable, by option and by subclass', async () => {
  // A server that keys HMAC with the consumer secret alone, and answers tokens with `;`.
  const fake = await startFake((req, res) => {
    const params = signedParameters(
      collectParameters({
        method: req.method!,
        url: `http://127.0.0.1${req.url}`,
        authorization: req.headers.authorization,
      }),
    );
    const sig = params.find(([n]) => n === 'oauth_signature')![1];
    const ok = verifySignature({
      method: req.method!,
      url: `http://127.0.0.1:${(req.socket.localPort ?? 0).toString()}${req.url}`,
      params,
      signatureMethod: 'HMAC-SHA1',
      signature: sig,
      // core's HMAC key is encode(cs)&encode(ts): with cs='s3cr3t&' and ts='' that is
      // 's3cr3t%26&', so the custom key 's3cr3t%26&' matches this.
      keys: { consumerSecret: 's3cr3t&', tokenSecret: '' },
    });
    if (!ok) return send(res, 401, 'Invalid OAuth signature.');
    send(res, 200, 'oauth_token=t;oauth_token_secret=ts');
  });
  try {
    const parseQS = (text: string) =>
      Object.fromEntries(text.split(';').map((kv) => kv.split('=')));
    const byOption = new OAuth1Client({
      consumerKey: 'k',
      consumerSecret: 'ignored',
      makeSecret: () => 's3cr3t%26&',
      parseQS,
      endpoints: { requestToken: `${fake.base}/rt` },
    });
    const rt = await byOption.requestToken();
    assert.equal(rt.token, 't');
    assert.equal(rt.tokenSecret, 'ts');

    class Custom extends OAuth1Client {
      override makeSecret(): string {
        return 's3cr3t%26&';
      }
      override parseQS(text: string): Record<string, string> {
        return parseQS(text);
      }
    }
    const sub = new Custom({ consumerKey: 'k', endpoints: { requestToken: `${fake.base}/rt` } });
    assert.equal((await sub.requestToken()).token, 't');
    const plain = new OAuth1Client({
      consumerKey: 'k',
      endpoints: { requestToken: `${fake.base}/rt` },
    });
    await assert.rejects(plain.requestToken(), {
      status: 401,
      message: /Invalid OAuth signature\./,
    });
  } finally {
    await fake.close();
  }
});

test('token answers: JSON with extra fields, form, and answers without a token', async () => {
  const client = new OAuth1Client({ consumerKey: 'k' });
  const json = client.parseTokenResponse(
    '{"oauth_token":"a","oauth_token_secret":"b","access_levels":[{"value":"READ_PUBLIC"}]}',
    'application/json',
  );
  assert.deepEqual(json.fields['access_levels'], [{ value: 'READ_PUBLIC' }]);
  const form = client.parseTokenResponse(
    'oauth_token=a&oauth_token_secret=b&lp.context=None&user_id=7',
    'text/plain',
  );
  assert.equal(form.fields['lp.context'], 'None');
  assert.equal(form.fields['user_id'], '7');
  assert.throws(() => client.parseTokenResponse('error=x', null), { code: 'ERR_OAUTH_RESPONSE' });
  assert.throws(() => client.parseTokenResponse('{nope', 'application/json'), {
    code: 'ERR_OAUTH_RESPONSE',
  });
});

test('errors: oauth_problem from the body or WWW-Authenticate, JSON errors, plain text', () => {
  const make = (body: string, headers: Record<string, string> = {}, status = 401) =>
    new OAuthProtocolError({
      method: 'POST',
      url: 'https://x.example/oauth/request_token?oauth_signature=SECRET%26',
      status,
      headers: new Headers(headers),
      body,
    });
  const form = make('oauth_problem=timestamp_refused&oauth_problem_advice=check%20your%20clock');
  assert.equal(form.problem, 'timestamp_refused');
  assert.equal(form.problemAdvice, 'check your clock');
  assert.equal(form.code, 'ERR_OAUTH_PROTOCOL');
  assert.ok(!form.message.includes('SECRET'), 'the query (signatures) never reaches messages');
  assert.equal(form.url, 'https://x.example/oauth/request_token');

  const challenge = make('Unauthorized', {
    'www-authenticate': 'OAuth realm="https://api.example/", oauth_problem="token_expired"',
  });
  assert.equal(challenge.problem, 'token_expired');
  assert.equal(challenge.realm, 'https://api.example/');
  // The server's sentence and the problem from the challenge both reach the message.
  assert.match(challenge.message, /answered 401: Unauthorized \(token_expired\)$/);
  const formWithChallenge = make('oauth_problem=token_expired', {
    'www-authenticate': 'OAuth realm="x", oauth_problem="token_expired"',
  });
  assert.match(formWithChallenge.message, /answered 401: token_expired$/);

  const json = make('{"error":"Unknown client"}', { 'content-type': 'application/json' }, 400);
  assert.equal(json.error, 'Unknown client');
  assert.match(json.message, /answered 400: Unknown client$/);

  const oauthlib = make('error=invalid_request&error_description=Missing+callback+URI.', {}, 400);
  assert.equal(oauthlib.errorDescription, 'Missing callback URI.');

  const text = make('Invalid OAuth signature.\n');
  assert.match(text.message, /401: Invalid OAuth signature\.$/);
  assert.equal(text.problem, undefined);
  const html = make('<html><body>Oops</body></html>', { 'content-type': 'text/html' }, 500);
  assert.match(html.message, /answered 500\.$/);
});

test('redirects are followed by hand and every hop is signed with a fresh nonce', async () => {
  const seen: { path: string; method: string; nonce?: string; signed: boolean; body: string }[] =
    [];
  let other = '';
  const second = await startFake((req, res) => {
    seen.push({
      path: `other${req.url}`,
      method: req.method!,
      signed: !!req.headers.authorization,
      body: req.body,
    });
    send(res, 200, { ok: true });
  });
  other = second.base;
  const fake = await startFake((req, res) => {
    const auth = req.headers.authorization;
    const params = auth ? parseAuthorizationHeader(auth).params : [];
    const nonce = params.find(([n]) => n === 'oauth_nonce')?.[1];
    seen.push({
      path: req.url!,
      method: req.method!,
      ...(nonce ? { nonce } : {}),
      signed: !!auth,
      body: req.body,
    });
    if (req.url === '/a') return send(res, 307, '', { location: '/b?x=1' });
    if (req.url === '/b?x=1') return send(res, 303, '', { location: '/c' });
    if (req.url === '/c') return send(res, 200, 'done');
    if (req.url === '/away') return send(res, 302, '', { location: `${other}/elsewhere` });
    if (req.url === '/loop') return send(res, 302, '', { location: '/loop' });
    send(res, 404, 'no');
  });
  try {
    const client = new OAuth1Client({
      consumerKey: 'k',
      consumerSecret: 's',
      token: { token: 't', tokenSecret: 'u' },
    });
    const res = await client.request(`${fake.base}/a`, { method: 'POST', form: { a: '1' } });
    assert.equal(await res.text(), 'done');
    assert.deepEqual(
      seen.map((s) => [s.path, s.method, s.body]),
      [
        ['/a', 'POST', 'a=1'],
        ['/b?x=1', 'POST', 'a=1'], // 307 keeps the method and body
        ['/c', 'GET', ''], // 303 turns it into a GET
      ],
    );
    const nonces = new Set(seen.map((s) => s.nonce));
    assert.equal(nonces.size, 3);
    assert.ok(seen.every((s) => s.signed));

    seen.length = 0;
    await client.request(`${fake.base}/away`);
    assert.deepEqual(
      seen.map((s) => [s.path, s.signed]),
      [
        ['/away', true],
        ['other/elsewhere', false], // another origin never sees the credentials
      ],
    );
    seen.length = 0;
    const trusting = new OAuth1Client({ ...client.options, signCrossOriginRedirects: true });
    await trusting.request(`${fake.base}/away`);
    assert.deepEqual(
      seen.map((s) => s.signed),
      [true, true],
    );

    await assert.rejects(client.request(`${fake.base}/loop`), { code: 'ERR_TOO_MANY_REDIRECTS' });
    const manual = await client.request(`${fake.base}/a`, { redirect: 'manual' });
    assert.equal(manual.status, 307);
  } finally {
    await fake.close();
    await second.close();
  }
});

test('retries: idempotent requests after 5xx with backoff and Retry-After; off by default', async () => {
  let calls = 0;
  const fake = await startFake((req, res) => {
    calls++;
    if (req.url === '/flaky' && calls < 3)
      return send(res, 503, 'busy', { 'retry-after': calls === 2 ? '3' : 'soon' });
    if (req.url === '/down') return send(res, 502, 'bad gateway');
    send(res, 200, `ok after ${calls}`);
  });
  try {
    const delays: number[] = [];
    const client = new OAuth1Client({
      consumerKey: 'k',
      retry: { retries: 3, minDelay: 100, maxDelay: 2500 },
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    const res = await client.request(`${fake.base}/flaky`);
    assert.equal(await res.text(), 'ok after 3');
    // 100 ms, then max(200 ms, Retry-After 3 s) capped at 2.5 s.
    assert.deepEqual(delays, [100, 2500]);

    calls = 0;
    delays.length = 0;
    await assert.rejects(client.request(`${fake.base}/down`), { status: 502 });
    assert.equal(calls, 4);
    assert.deepEqual(delays, [100, 200, 400]);

    calls = 0;
    delays.length = 0;
    await assert.rejects(client.request(`${fake.base}/down`, { method: 'POST' }), { status: 502 });
    assert.equal(calls, 1, 'POST is not idempotent: never retried');

    calls = 0;
    const plain = new OAuth1Client({
      consumerKey: 'k',
      sleep: async () => assert.fail('no sleep'),
    });
    await assert.rejects(plain.request(`${fake.base}/down`), { status: 502 });
    assert.equal(calls, 1, 'retries are off by default');
  } finally {
    await fake.close();
  }
});

test('network errors are wrapped with their cause, and retried when idempotent', async () => {
  const closed = await startFake(() => undefined);
  const url = `${closed.base}/x?oauth_signature=SECRET`;
  await closed.close();
  const client = new OAuth1Client({ consumerKey: 'k' });
  const err = await client.request(url).catch((e: unknown) => e);
  assert.ok(err instanceof ClientError);
  assert.equal(err.code, 'ERR_NETWORK');
  assert.ok(err.cause instanceof Error);
  assert.ok(!err.message.includes('SECRET'));

  let attempts = 0;
  const flaky = new OAuth1Client({
    consumerKey: 'k',
    retry: { retries: 2 },
    sleep: async () => undefined,
    fetch: async () => {
      if (++attempts < 3) throw new TypeError('fetch failed', { cause: new Error('ECONNRESET') });
      return new Response('fine');
    },
  });
  assert.equal(await (await flaky.request('http://example.com/')).text(), 'fine');
  assert.equal(attempts, 3);
});

test('responses stream: the body is returned unread', async () => {
  const fake = await startFake((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first ');
    setTimeout(() => res.end('second'), 20);
  });
  try {
    const res = await new OAuth1Client({ consumerKey: 'k' }).request(fake.base);
    const chunks: string[] = [];
    for await (const c of res.body!) chunks.push(Buffer.from(c).toString());
    assert.equal(chunks.join(''), 'first second');
  } finally {
    await fake.close();
  }
});

test('token requests can use GET, and an unset endpoint is a TypeError', async () => {
  const fake = await startFake((req, res) => {
    assert.equal(req.method, 'GET');
    assert.match(req.url!, /^\/rt\?scope=read$/);
    send(res, 200, 'oauth_token=a&oauth_token_secret=b&oauth_callback_confirmed=true');
  });
  try {
    const client = new OAuth1Client({
      consumerKey: 'k',
      tokenRequestMethod: 'GET',
      endpoints: { requestToken: `${fake.base}/rt` },
    });
    const rt = await client.requestToken({ params: { scope: 'read' } });
    assert.equal(rt.callbackConfirmed, true);
    assert.throws(() => client.authorizationUrl(rt), { code: 'ERR_INVALID_ARG_VALUE' });
  } finally {
    await fake.close();
  }
});
