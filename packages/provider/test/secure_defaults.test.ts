// Defaults a careful operator expects: no PLAINTEXT over plain http outside the Launchpad
// endpoints (unless SIGNET_ALLOW_INSECURE_PLAINTEXT), nosniff on every answer, HSTS when the
// public URL is https, and SIGNET_REQUIRE_BODY_HASH.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { bodyHash, signRequest } from '@signet/core';
import {
  type Answer,
  type Creds,
  call,
  form,
  grantAccess,
  type Running,
  review,
  seed,
  signed,
  signedCall,
  startProvider,
} from './http_harness.js';

/** GET with the path sent exactly as given (fetch would encode it). */
function getRaw(
  port: number,
  path: string,
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

// URLs that do not decode: Fastify's own answer was JSON that echoed the path, without nosniff.
const MALFORMED = [
  '/%',
  '/%3Cscript%3Ealert(1)%3C/script%3E%',
  '/api/%',
  '/login?next=x&%',
  '/%zz/x',
];

/** A form POST to the provider's notes, signed, sent with extra or replaced headers. */
function postForm(r: Running, creds: Creds, headers: Record<string, string>): Promise<Answer> {
  const s = signed(`${r.base}/api/1.0/notes`, creds, {
    method: 'POST',
    params: [['title', 'encoded']],
  });
  return call(s.url, {
    ...s.init,
    headers: { ...(s.init.headers as Record<string, string>), ...headers },
  });
}

const PLAINTEXT_NEEDS_HTTPS = /PLAINTEXT needs https/;

function refusedPlaintext(a: Answer, what: string): void {
  assert.equal(a.status, 400, `${what}: ${a.status} ${a.text}`);
  const f = form(a.text);
  assert.match(f['error_description'] ?? '', PLAINTEXT_NEEDS_HTTPS, what);
  assert.equal(f['oauth_problem'], 'signature_method_rejected', what);
}

describe('PLAINTEXT over plain http (sqlite)', () => {
  let r: Running;
  let creds: Required<Creds>;
  let consumer: { key: string; secret: string };

  before(async () => {
    r = await startProvider();
    await seed(r.store);
    consumer = await r.store.createConsumer({ name: 'plain app' });
    creds = await grantAccess(r, consumer, 'READ_PUBLIC');
  });
  after(() => r?.close());

  it('is refused on /oauth/request_token, /oauth/access_token and the API with a clear 400', async () => {
    const c = { consumerKey: consumer.key, consumerSecret: consumer.secret };
    refusedPlaintext(
      await signedCall(`${r.base}/oauth/request_token`, c, {
        method: 'POST',
        callback: 'oob',
        signatureMethod: 'PLAINTEXT',
      }),
      'request_token',
    );
    // A request token got with HMAC, exchanged with PLAINTEXT.
    const rt = await signedCall(`${r.base}/oauth/request_token`, c, {
      method: 'POST',
      callback: 'oob',
    });
    assert.equal(rt.status, 200, rt.text);
    const t = form(rt.text);
    const { verifier } = await review(r, t['oauth_token']!, 'READ_PUBLIC');
    const at = { ...c, token: t['oauth_token']!, tokenSecret: t['oauth_token_secret']! };
    refusedPlaintext(
      await signedCall(`${r.base}/oauth/access_token`, at, {
        method: 'POST',
        verifier,
        signatureMethod: 'PLAINTEXT',
      }),
      'access_token',
    );
    for (const placement of ['header', 'query'] as const) {
      refusedPlaintext(
        await signedCall(`${r.base}/api/1.0/whoami`, creds, {
          signatureMethod: 'PLAINTEXT',
          placement,
        }),
        `whoami, oauth parameters in the ${placement}`,
      );
    }
    refusedPlaintext(
      await signedCall(`${r.base}/api/1.0/notes`, creds, {
        method: 'POST',
        params: [['title', 't']],
        placement: 'body',
        signatureMethod: 'PLAINTEXT',
      }),
      'notes, oauth parameters in the body',
    );
    // The same token with HMAC-SHA1 is fine.
    const ok = await signedCall(`${r.base}/api/1.0/whoami`, creds);
    assert.equal(ok.status, 200, ok.text);
  });

  it('is refused when the method name is percent-encoded, too', async () => {
    const s = signRequest({
      method: 'GET',
      url: `${r.base}/api/1.0/whoami`,
      consumerKey: creds.consumerKey,
      consumerSecret: creds.consumerSecret,
      token: creds.token,
      tokenSecret: creds.tokenSecret,
      signatureMethod: 'PLAINTEXT',
    });
    const a = await call(`${r.base}/api/1.0/whoami`, {
      headers: { authorization: s.authorization.replace('"PLAINTEXT"', '"PLAIN%54EXT"') },
    });
    assert.equal(a.status, 400, a.text);
    assert.equal(form(a.text)['oauth_problem'], 'signature_method_rejected');
  });

  it('stays allowed on the Launchpad endpoints, which launchpadlib needs', async () => {
    const plaintext = (key: string, token?: [string, string]) =>
      new URLSearchParams({
        oauth_consumer_key: key,
        oauth_signature_method: 'PLAINTEXT',
        oauth_signature: `&${token?.[1] ?? ''}`,
        ...(token && { oauth_token: token[0] }),
      }).toString();
    const rt = await call(`${r.base}/+request-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: plaintext('launchpad-script'),
    });
    assert.equal(rt.status, 200, rt.text);
    const t = form(rt.text);
    await review(r, t['oauth_token']!, 'READ_PUBLIC');
    const at = await call(`${r.base}/+access-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: plaintext('launchpad-script', [t['oauth_token']!, t['oauth_token_secret']!]),
    });
    assert.equal(at.status, 200, at.text);
  });

  it('says nosniff on every answer (200, 400, 401, 404) and no HSTS over http', async () => {
    const answers = [
      await signedCall(`${r.base}/api/1.0/whoami`, creds),
      await signedCall(`${r.base}/api/1.0/whoami`, creds, { signatureMethod: 'PLAINTEXT' }),
      await signedCall(`${r.base}/api/1.0/whoami`, { ...creds, tokenSecret: 'wrong' }),
      await call(`${r.base}/no/such/page`),
      await call(`${r.base}/healthz`),
    ];
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 400, 401, 404, 200],
    );
    for (const a of answers) {
      assert.equal(a.headers.get('x-content-type-options'), 'nosniff', `${a.status}`);
      assert.equal(a.headers.get('strict-transport-security'), null);
    }
  });

  it('answers a malformed URL with a plain-text 400 that echoes nothing and says nosniff', async () => {
    for (const path of MALFORMED) {
      const a = await getRaw(r.port, path);
      if (path === '/login?next=x&%') {
        // A bad query is the page's business: no framework error, still nosniff.
        assert.notEqual(a.status, 500, a.text);
      } else {
        assert.equal(a.status, 400, `${path}: ${a.text}`);
        assert.equal(a.text, 'Bad request: malformed URL.', path);
        assert.match(String(a.headers['content-type']), /^text\/plain/, path);
      }
      assert.equal(a.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(a.headers['strict-transport-security'], undefined, path);
      assert.doesNotMatch(a.text, /script|FST_|%/, path);
    }
  });

  it("answers a path parameter past Fastify's length limit with a plain-text 414 and nosniff", async () => {
    const a = await getRaw(r.port, `/api/1.0/notes/${'9'.repeat(300)}`);
    assert.equal(a.status, 414, a.text);
    assert.equal(a.text, 'Bad request: a URL segment is too long.');
    assert.equal(a.headers['x-content-type-options'], 'nosniff');
  });

  it('refuses a content-coded body without oauth_body_hash on the API with a plain-text 415', async () => {
    for (const coding of ['gzip', 'deflate', 'br', 'identity, gzip', 'GZIP']) {
      const a = await postForm(r, creds, { 'content-encoding': coding });
      assert.equal(a.status, 415, `${coding}: ${a.text}`);
      assert.match(a.headers.get('content-type') ?? '', /^text\/plain/);
      assert.match(a.text, /Content-Encoding/);
      assert.equal(a.headers.get('x-content-type-options'), 'nosniff');
    }
    // identity is no coding at all: the request goes on to the permission check.
    const plain = await postForm(r, creds, { 'content-encoding': 'identity' });
    assert.equal(plain.status, 403, plain.text);
  });
});

describe('SIGNET_ALLOW_INSECURE_PLAINTEXT=true (sqlite)', () => {
  let r: Running;
  let consumer: { key: string; secret: string };

  before(async () => {
    r = await startProvider({ env: { SIGNET_ALLOW_INSECURE_PLAINTEXT: 'true' } });
    await seed(r.store);
    consumer = await r.store.createConsumer({ name: 'plain app' });
  });
  after(() => r?.close());

  it('lifts the refusal on the RFC 5849 endpoints and the API', async () => {
    const c = { consumerKey: consumer.key, consumerSecret: consumer.secret };
    const rt = await signedCall(`${r.base}/oauth/request_token`, c, {
      method: 'POST',
      callback: 'oob',
      signatureMethod: 'PLAINTEXT',
    });
    assert.equal(rt.status, 200, rt.text);
    const t = form(rt.text);
    const { verifier } = await review(r, t['oauth_token']!, 'READ_PUBLIC');
    const at = await signedCall(
      `${r.base}/oauth/access_token`,
      { ...c, token: t['oauth_token']!, tokenSecret: t['oauth_token_secret']! },
      { method: 'POST', verifier, signatureMethod: 'PLAINTEXT' },
    );
    assert.equal(at.status, 200, at.text);
    const a = form(at.text);
    const who = await signedCall(
      `${r.base}/api/1.0/whoami`,
      { ...c, token: a['oauth_token']!, tokenSecret: a['oauth_token_secret']! },
      { signatureMethod: 'PLAINTEXT' },
    );
    assert.equal(who.status, 200, who.text);
  });
});

describe('a public URL that is https (sqlite)', () => {
  const publicUrl = 'https://signet.example';
  let r: Running;
  let creds: Creds;

  before(async () => {
    r = await startProvider({ env: { SIGNET_PUBLIC_URL: publicUrl } });
    await seed(r.store);
    // Consumer-only (Launchpad's anonymous access): no token step through the proxy needed.
    const consumer = await r.store.createConsumer({ name: 'tls app' });
    creds = { consumerKey: consumer.key, consumerSecret: consumer.secret };
  });
  after(() => r?.close());

  /** Signed for the public URL, sent to the loopback address (as a TLS proxy would). */
  function viaProxy(path: string, signatureMethod: string, consumerSecret = creds.consumerSecret) {
    const s = signRequest({
      method: 'GET',
      url: `${publicUrl}${path}`,
      consumerKey: creds.consumerKey,
      consumerSecret,
      signatureMethod,
    });
    return call(`${r.base}${path}`, { headers: { authorization: s.authorization } });
  }

  it('accepts PLAINTEXT on the API and says Strict-Transport-Security on every answer', async () => {
    const answers = [
      await viaProxy('/api/1.0/whoami', 'PLAINTEXT'),
      await viaProxy('/api/1.0/whoami', 'HMAC-SHA1', 'wrong'),
      await call(`${r.base}/nowhere`),
    ];
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 401, 404],
      answers.map((a) => a.text).join(' | '),
    );
    for (const a of answers) {
      assert.match(a.headers.get('strict-transport-security') ?? '', /^max-age=\d{7,}/);
      assert.equal(a.headers.get('x-content-type-options'), 'nosniff');
    }
  });

  it('says Strict-Transport-Security on the answer to a malformed URL, too', async () => {
    const a = await getRaw(r.port, '/%');
    assert.equal(a.status, 400, a.text);
    assert.equal(a.text, 'Bad request: malformed URL.');
    assert.match(String(a.headers['strict-transport-security']), /^max-age=\d{7,}/);
    assert.equal(a.headers['x-content-type-options'], 'nosniff');
  });
});

describe('SIGNET_REQUIRE_BODY_HASH=true (sqlite)', () => {
  let r: Running;
  let creds: Required<Creds>;

  before(async () => {
    r = await startProvider({ env: { SIGNET_REQUIRE_BODY_HASH: 'true' } });
    await seed(r.store);
    const consumer = await r.store.createConsumer({ name: 'hashing app' });
    creds = await grantAccess(r, consumer, 'WRITE_PUBLIC');
  });
  after(() => r?.close());

  function postJson(body: string, hash: string | undefined): Promise<Answer> {
    const url = `${r.base}/api/1.0/notes`;
    const s = signRequest({
      method: 'POST',
      url,
      consumerKey: creds.consumerKey,
      consumerSecret: creds.consumerSecret,
      token: creds.token,
      tokenSecret: creds.tokenSecret,
      signatureMethod: 'HMAC-SHA1',
      ...(hash !== undefined && { bodyHash: hash }),
    });
    return call(url, {
      method: 'POST',
      headers: { authorization: s.authorization, 'content-type': 'application/json' },
      body,
    });
  }

  it('refuses a JSON body without oauth_body_hash with a clear 400', async () => {
    const a = await postJson(JSON.stringify({ title: 'no hash' }), undefined);
    assert.equal(a.status, 400, a.text);
    const f = form(a.text);
    assert.match(f['error_description'] ?? '', /oauth_body_hash/);
    assert.equal(f['oauth_problem'], 'parameter_absent');
    const notes = await signedCall(`${r.base}/api/1.0/notes`, creds);
    assert.equal((JSON.parse(notes.text) as { notes: unknown[] }).notes.length, 0);
  });

  it('accepts a JSON body with its hash, a form body, and no body', async () => {
    const body = JSON.stringify({ title: 'hashed' });
    const hashed = await postJson(body, bodyHash(body, 'sha1'));
    assert.equal(hashed.status, 201, hashed.text);
    const viaForm = await signedCall(`${r.base}/api/1.0/notes`, creds, {
      method: 'POST',
      params: [['title', 'form']],
    });
    assert.equal(viaForm.status, 201, viaForm.text);
    const id = (JSON.parse(viaForm.text) as { id: number }).id;
    const del = await signedCall(`${r.base}/api/1.0/notes/${id}`, creds, { method: 'DELETE' });
    assert.equal(del.status, 204, del.text);
  });

  it('counts only a UTF-8 form without Content-Encoding as a form: others need oauth_body_hash', async () => {
    const formType = 'application/x-www-form-urlencoded';
    const count = async () =>
      (
        JSON.parse((await signedCall(`${r.base}/api/1.0/notes`, creds)).text) as {
          notes: unknown[];
        }
      ).notes.length;
    const before = await count();
    const charsets = [
      `${formType}; charset=utf-16`,
      `${formType};charset="UTF-16LE"`,
      `${formType}; charset=latin1`,
    ];
    for (const type of charsets) {
      const a = await postForm(r, creds, { 'content-type': type });
      assert.equal(a.status, 400, `${type}: ${a.text}`);
      assert.match(form(a.text)['error_description'] ?? '', /oauth_body_hash/, type);
    }
    const coded = await postForm(r, creds, { 'content-encoding': 'gzip' });
    assert.equal(coded.status, 415, coded.text);
    assert.equal(await count(), before, 'no refused body became a note');
    for (const type of [`${formType}; charset=utf-8`, `${formType}; charset="UTF-8"`]) {
      const ok = await postForm(r, creds, { 'content-type': type, 'content-encoding': 'identity' });
      assert.equal(ok.status, 201, `${type}: ${ok.text}`);
      const id = (JSON.parse(ok.text) as { id: number }).id;
      const del = await signedCall(`${r.base}/api/1.0/notes/${id}`, creds, { method: 'DELETE' });
      assert.equal(del.status, 204, del.text);
    }
  });
});
