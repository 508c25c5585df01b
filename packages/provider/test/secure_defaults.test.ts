// Defaults a careful operator expects: no PLAINTEXT over plain http outside the Launchpad
// endpoints (unless SIGNET_ALLOW_INSECURE_PLAINTEXT), nosniff on every answer, HSTS when the
// public URL is https, and SIGNET_REQUIRE_BODY_HASH.
import assert from 'node:assert/strict';
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
  signedCall,
  startProvider,
} from './http_harness.js';

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
});
