// Every check of DESIGN.md, each through an endpoint: where the protocol parameters are,
// which are required, version, method, timestamp, nonce, consumer, token, signature, body
// hash. RFC 5849 §3.2 lists what a server must verify; §3.5 says parameters come from one
// place only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyHash, HMAC_SHA1, type Param, SignatureMethodRegistry } from '@signet/core';
import { createRequestTokenEndpoint } from '../src/endpoints/request_token.js';
import { createResourceEndpoint, type ResourceResult } from '../src/endpoints/resource.js';
import { createSignatureOnlyEndpoint } from '../src/endpoints/signature_only.js';
import type { OAuthResponse } from '../src/http.js';
import {
  BASE,
  CONSUMER,
  clock,
  form,
  issueAccessToken,
  NOW,
  RSA_PRIVATE,
  seededStore,
  signed,
} from './helpers.js';

function denied(result: ResourceResult): OAuthResponse {
  assert.equal(result.ok, false, 'expected the request to be refused');
  return (result as { response: OAuthResponse }).response;
}

function assert400(r: OAuthResponse, fragment: string, problem?: string): void {
  assert.equal(r.status, 400, r.body);
  const f = form(r);
  assert.equal(f['error'], 'invalid_request');
  assert.ok(
    f['error_description']?.includes(fragment),
    `"${f['error_description']}" lacks "${fragment}"`,
  );
  if (problem !== undefined) assert.equal(f['oauth_problem'], problem);
}

function assert401(r: OAuthResponse, message: string, problem: string): void {
  assert.equal(r.status, 401, r.body);
  assert.equal(r.body, message);
  const challenge = r.headers['www-authenticate'] ?? '';
  assert.match(challenge, /^OAuth realm="https:\/\/api\.example\.com\/"/);
  assert.ok(challenge.includes(`oauth_problem="${problem}"`), challenge);
}

async function setup() {
  const store = seededStore();
  const resource = createResourceEndpoint({ store, publicUrl: BASE, clock });
  const at = await issueAccessToken(store);
  const call = (o: Partial<Parameters<typeof signed>[0]> = {}) =>
    resource(
      signed({
        method: 'GET',
        path: '/api/1.0/whoami',
        token: at.token,
        tokenSecret: at.secret,
        ...o,
      }),
    );
  return { store, resource, at, call };
}

describe('protocol parameter placement (RFC 5849 §3.5)', () => {
  for (const placement of ['header', 'query', 'body'] as const) {
    it(`accepts parameters in the ${placement}`, async () => {
      const { call } = await setup();
      const r = await call({ placement, method: placement === 'body' ? 'POST' : 'GET' });
      assert.equal(r.ok, true);
    });
  }

  it('refuses parameters split between the header and the query', async () => {
    const { resource, at } = await setup();
    const req = signed({
      method: 'GET',
      path: '/api/1.0/whoami',
      token: at.token,
      tokenSecret: at.secret,
      tamper: (o) => o.filter(([n]) => n !== 'oauth_nonce'),
    });
    const r = denied(await resource({ ...req, url: req.url + '?oauth_nonce=abc' }));
    assert400(r, 'one place only');
  });

  it('refuses parameters split between the query and the body', async () => {
    const { resource, at } = await setup();
    const req = signed({
      method: 'POST',
      path: '/api/1.0/whoami',
      token: at.token,
      tokenSecret: at.secret,
      placement: 'query',
    });
    const r = denied(
      await resource({
        ...req,
        headers: { ...req.headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'oauth_foo=1',
      }),
    );
    assert400(r, 'one place only');
  });

  it('refuses a duplicated protocol parameter', async () => {
    const { call } = await setup();
    const r = denied(await call({ tamper: (o) => [...o, ['oauth_nonce', 'second']] }));
    assert400(r, 'Duplicated OAuth parameter oauth_nonce');
  });

  it('refuses a protocol parameter duplicated in the query', async () => {
    const { call } = await setup();
    const r = denied(
      await call({ placement: 'query', tamper: (o) => [...o, ['oauth_token', 'x']] }),
    );
    assert400(r, 'Duplicated OAuth parameter oauth_token');
  });
});

describe('required parameters (RFC 5849 §3.1)', () => {
  for (const name of [
    'oauth_consumer_key',
    'oauth_signature_method',
    'oauth_signature',
    'oauth_timestamp',
    'oauth_nonce',
    'oauth_token',
  ]) {
    it(`refuses a request without ${name}`, async () => {
      const { call } = await setup();
      const r = denied(await call({ tamper: (o) => o.filter(([n]) => n !== name) }));
      assert400(r, `Missing OAuth parameter ${name}`, 'parameter_absent');
    });
  }
});

describe('oauth_version', () => {
  for (const version of ['1.0', '1.0a', '1.0A']) {
    it(`accepts ${version}`, async () => {
      const { call } = await setup();
      const r = await call({
        version: false,
        extraOAuthParams: [['oauth_version', version]],
      });
      assert.equal(r.ok, true);
    });
  }
  it('accepts a request without oauth_version (it is optional)', async () => {
    const { call } = await setup();
    assert.equal((await call({ version: false })).ok, true);
  });
  for (const version of ['2.0', '1.1', '']) {
    it(`refuses "${version}" with version_rejected`, async () => {
      const { call } = await setup();
      const r = denied(
        await call({ version: false, extraOAuthParams: [['oauth_version', version]] }),
      );
      assert400(r, 'Unsupported oauth_version', 'version_rejected');
    });
  }
});

describe('signature method', () => {
  it('refuses an unknown method', async () => {
    const { call } = await setup();
    const r = denied(
      await call({
        tamper: (o) =>
          o.map(([n, v]): Param => [n, n === 'oauth_signature_method' ? 'HMAC-MD5' : v]),
      }),
    );
    assert400(r, 'Unsupported signature method "HMAC-MD5"', 'signature_method_rejected');
  });
  it('refuses a registered method outside the allow-list', async () => {
    const store = seededStore();
    const at = await issueAccessToken(store);
    const resource = createResourceEndpoint({
      store,
      publicUrl: BASE,
      clock,
      allowedSignatureMethods: ['HMAC-SHA256'],
    });
    const ok = await resource(
      signed({
        method: 'GET',
        path: '/x',
        token: at.token,
        tokenSecret: at.secret,
        signatureMethod: 'HMAC-SHA256',
      }),
    );
    assert.equal(ok.ok, true);
    const r = denied(
      await resource(
        signed({
          method: 'GET',
          path: '/x',
          token: at.token,
          tokenSecret: at.secret,
          signatureMethod: 'PLAINTEXT',
        }),
      ),
    );
    assert400(r, 'Unsupported signature method "PLAINTEXT"', 'signature_method_rejected');
  });
  it('uses the registry it is given', async () => {
    const store = seededStore();
    const at = await issueAccessToken(store);
    const resource = createResourceEndpoint({
      store,
      publicUrl: BASE,
      clock,
      signatureMethods: new SignatureMethodRegistry([HMAC_SHA1]),
    });
    const r = denied(
      await resource(
        signed({
          method: 'GET',
          path: '/x',
          token: at.token,
          tokenSecret: at.secret,
          signatureMethod: 'HMAC-SHA512',
        }),
      ),
    );
    assert400(r, 'Unsupported signature method', 'signature_method_rejected');
  });
  for (const method of ['PLAINTEXT', 'HMAC-SHA1', 'HMAC-SHA256', 'HMAC-SHA512']) {
    it(`verifies ${method}`, async () => {
      const { call } = await setup();
      assert.equal((await call({ signatureMethod: method })).ok, true);
      const bad = denied(await call({ signatureMethod: method, tokenSecret: 'wrong' }));
      assert401(bad, 'Invalid signature.', 'signature_invalid');
    });
  }
  for (const method of ['RSA-SHA1', 'RSA-SHA256']) {
    it(`verifies ${method} with the consumer's public key`, async () => {
      const store = seededStore();
      const at = await issueAccessToken(store, { consumerKey: 'rsa-key' });
      const resource = createResourceEndpoint({ store, publicUrl: BASE, clock });
      const req = (path: string) =>
        signed({
          method: 'GET',
          path,
          consumerKey: 'rsa-key',
          consumerSecret: '',
          token: at.token,
          tokenSecret: at.secret,
          signatureMethod: method,
          privateKey: RSA_PRIVATE,
        });
      assert.equal((await resource(req('/x'))).ok, true);
      const tampered = req('/x');
      const r = denied(await resource({ ...tampered, url: '/y' }));
      assert401(r, 'Invalid signature.', 'signature_invalid');
    });
  }
  it('refuses RSA against an unreadable stored key as a bad signature, not a 500', async () => {
    const store = seededStore();
    store.addConsumer({ key: 'broken-rsa', secret: '', name: 'Broken', rsaPublicKey: 'not a key' });
    const at = await issueAccessToken(store, { consumerKey: 'broken-rsa' });
    const resource = createResourceEndpoint({ store, publicUrl: BASE, clock });
    const r = denied(
      await resource(
        signed({
          method: 'GET',
          path: '/x',
          consumerKey: 'broken-rsa',
          consumerSecret: '',
          token: at.token,
          tokenSecret: at.secret,
          signatureMethod: 'RSA-SHA1',
          privateKey: RSA_PRIVATE,
        }),
      ),
    );
    assert401(r, 'Invalid signature.', 'signature_invalid');
  });
  it('refuses RSA from a consumer without a public key as a bad signature', async () => {
    const { call } = await setup();
    const r = denied(await call({ signatureMethod: 'RSA-SHA1', privateKey: RSA_PRIVATE }));
    assert401(r, 'Invalid signature.', 'signature_invalid');
  });
});

describe('timestamp window (RFC 5849 §3.3)', () => {
  const ts = (offset: number) => String(Math.floor(NOW / 1000) + offset);
  it('accepts timestamps at the edges of the 600 s window', async () => {
    const { call } = await setup();
    assert.equal((await call({ timestamp: ts(600) })).ok, true);
    assert.equal((await call({ timestamp: ts(-600) })).ok, true);
  });
  for (const offset of [601, -601, -86400]) {
    it(`refuses a timestamp ${offset} s off, with the acceptable range`, async () => {
      const { call } = await setup();
      const r = denied(await call({ timestamp: ts(offset) }));
      assert401(r, 'Timestamp outside the allowed window.', 'timestamp_refused');
      const low = Math.floor(NOW / 1000) - 600;
      assert.ok(
        r.headers['www-authenticate']?.includes(
          `oauth_acceptable_timestamps="${low}-${low + 1200}"`,
        ),
      );
    });
  }
  it('honours a configured window', async () => {
    const store = seededStore();
    const at = await issueAccessToken(store);
    const resource = createResourceEndpoint({ store, publicUrl: BASE, clock, timestampWindow: 30 });
    const r = denied(
      await resource(
        signed({
          method: 'GET',
          path: '/x',
          token: at.token,
          tokenSecret: at.secret,
          timestamp: ts(31),
        }),
      ),
    );
    assert.equal(r.status, 401);
  });
  for (const bad of ['abc', '1.5', '-5', '12345678901234']) {
    it(`refuses the malformed timestamp "${bad}" as a 400`, async () => {
      const { call } = await setup();
      const r = denied(await call({ timestamp: bad }));
      assert400(r, 'oauth_timestamp must be a whole number', 'parameter_rejected');
    });
  }
});

describe('nonce (RFC 5849 §3.3)', () => {
  it('refuses a replayed request', async () => {
    const { resource, at } = await setup();
    const req = signed({ method: 'GET', path: '/x', token: at.token, tokenSecret: at.secret });
    assert.equal((await resource(req)).ok, true);
    assert401(denied(await resource(req)), 'Nonce already used.', 'nonce_used');
  });
  it('scopes a nonce to (consumer, token, timestamp, nonce)', async () => {
    const { store, resource, at } = await setup();
    const other = await issueAccessToken(store);
    const base = { method: 'GET', path: '/x', nonce: 'same-nonce' };
    assert.equal(
      (await resource(signed({ ...base, token: at.token, tokenSecret: at.secret }))).ok,
      true,
    );
    assert.equal(
      (await resource(signed({ ...base, token: other.token, tokenSecret: other.secret }))).ok,
      true,
    );
    const later = String(Math.floor(NOW / 1000) + 1);
    assert.equal(
      (
        await resource(
          signed({ ...base, token: at.token, tokenSecret: at.secret, timestamp: later }),
        )
      ).ok,
      true,
    );
    assert401(
      denied(await resource(signed({ ...base, token: at.token, tokenSecret: at.secret }))),
      'Nonce already used.',
      'nonce_used',
    );
  });
  it('does not burn a nonce when the signature is wrong', async () => {
    const { call } = await setup();
    const bad = denied(await call({ nonce: 'precious', tokenSecret: 'wrong' }));
    assert.equal(bad.status, 401);
    assert.equal((await call({ nonce: 'precious' })).ok, true);
  });
  it('does not burn a nonce for an unknown consumer', async () => {
    const { store, call } = await setup();
    await call({ nonce: 'n1', consumerKey: 'ghost' });
    assert.equal(store.nonceCount, 0);
  });
  it('refuses an absurdly long nonce', async () => {
    const { call } = await setup();
    assert400(denied(await call({ nonce: 'n'.repeat(300) })), 'oauth_nonce is too long');
  });
});

describe('consumer and token', () => {
  it('refuses an unknown consumer', async () => {
    const { call } = await setup();
    const r = denied(await call({ consumerKey: 'ghost' }));
    assert401(r, 'Unknown consumer (ghost).', 'consumer_key_unknown');
  });
  it('refuses a disabled consumer', async () => {
    const store = seededStore();
    const at = await issueAccessToken(store, { consumerKey: 'off-key' });
    const resource = createResourceEndpoint({ store, publicUrl: BASE, clock });
    const r = denied(
      await resource(
        signed({
          method: 'GET',
          path: '/x',
          consumerKey: 'off-key',
          consumerSecret: 'off-secret',
          token: at.token,
          tokenSecret: at.secret,
        }),
      ),
    );
    assert401(r, 'Consumer disabled (off-key).', 'consumer_key_refused');
  });
  it('refuses an unknown access token', async () => {
    const { call } = await setup();
    const r = denied(await call({ token: 'nope' }));
    assert401(r, 'Unknown access token (nope).', 'token_rejected');
  });
  it("refuses another consumer's token as unknown", async () => {
    const store = seededStore();
    const at = await issueAccessToken(store, { consumerKey: 'fenced-key' });
    const resource = createResourceEndpoint({ store, publicUrl: BASE, clock });
    const r = denied(
      await resource(
        signed({ method: 'GET', path: '/x', token: at.token, tokenSecret: at.secret }),
      ),
    );
    assert401(r, `Unknown access token (${at.token}).`, 'token_rejected');
  });
  it('refuses an expired access token', async () => {
    const store = seededStore();
    const at = await issueAccessToken(store, { expiresAt: NOW - 1 });
    const resource = createResourceEndpoint({ store, publicUrl: BASE, clock });
    const r = denied(
      await resource(
        signed({ method: 'GET', path: '/x', token: at.token, tokenSecret: at.secret }),
      ),
    );
    assert401(r, `Expired token (${at.token}).`, 'token_expired');
  });
  it('refuses a revoked access token at once', async () => {
    const { store, call, at } = await setup();
    assert.equal((await call()).ok, true);
    await store.revokeAccessToken(at.token, NOW);
    const r = denied(await call());
    assert401(r, `Unknown access token (${at.token}).`, 'token_revoked');
  });
  it('refuses a wrong signature', async () => {
    const { call } = await setup();
    assert401(
      denied(await call({ consumerSecret: 'wrong' })),
      'Invalid signature.',
      'signature_invalid',
    );
  });
  it('returns the consumer, token, user and grant', async () => {
    const { call, at } = await setup();
    const r = await call();
    assert.ok(r.ok);
    assert.equal(r.consumer.key, CONSUMER.key);
    assert.equal(r.token?.token, at.token);
    assert.equal(r.userId, 'alice');
    assert.deepEqual(
      { ...r.grant },
      {
        userId: 'alice',
        permission: 'READ_PRIVATE',
        context: 'firefox',
        realms: undefined,
        expiresAt: undefined,
      },
    );
  });
  it('checks an unknown consumer and token with a dummy secret, not by skipping the work', async () => {
    // A counting method shows the signature is computed for unknown keys too.
    const seen: (string | undefined)[] = [];
    const counting = {
      ...HMAC_SHA1,
      verify: (b: string, s: string, k: { consumerSecret?: string; tokenSecret?: string }) => {
        seen.push(k.consumerSecret, k.tokenSecret);
        return HMAC_SHA1.verify(b, s, k);
      },
    };
    const store = seededStore();
    const resource = createResourceEndpoint({
      store,
      publicUrl: BASE,
      clock,
      signatureMethods: new SignatureMethodRegistry([counting]),
    });
    const r = denied(
      await resource(
        signed({
          method: 'GET',
          path: '/x',
          consumerKey: 'ghost',
          token: 'ghost-token',
          tokenSecret: 't',
        }),
      ),
    );
    assert.equal(r.status, 401);
    assert.equal(seen.length, 2);
    assert.ok(typeof seen[0] === 'string' && seen[0].length >= 16, 'a dummy consumer secret');
    assert.ok(typeof seen[1] === 'string' && seen[1].length >= 16, 'a dummy token secret');
  });
  it('refuses a request with no token unless anonymous access is on', async () => {
    const store = seededStore();
    const strict = createResourceEndpoint({ store, publicUrl: BASE, clock });
    assert400(
      denied(await strict(signed({ method: 'GET', path: '/x' }))),
      'Missing OAuth parameter oauth_token',
    );
    const open = createResourceEndpoint({ store, publicUrl: BASE, clock, anonymous: true });
    const r = await open(
      signed({ method: 'GET', path: '/x', extraOAuthParams: [['oauth_token', '']] }),
    );
    assert.ok(r.ok);
    assert.equal(r.token, undefined);
    assert.equal(r.consumer.key, CONSUMER.key);
  });
});

describe('the signed URL', () => {
  it('checks signatures against publicUrl, not the Host header', async () => {
    const { resource, at } = await setup();
    const good = signed({
      method: 'GET',
      path: '/x?a=1',
      token: at.token,
      tokenSecret: at.secret,
      headers: { host: 'internal:8080' },
    });
    assert.equal((await resource(good)).ok, true);
    const wrongBase = signed({
      method: 'GET',
      path: '/x?a=2',
      base: 'http://internal:8080',
      token: at.token,
      tokenSecret: at.secret,
    });
    assert401(denied(await resource(wrongBase)), 'Invalid signature.', 'signature_invalid');
  });
  it('signs the query: changing it breaks the signature', async () => {
    const { resource, at } = await setup();
    const req = signed({ method: 'GET', path: '/x?a=1', token: at.token, tokenSecret: at.secret });
    assert401(
      denied(await resource({ ...req, url: '/x?a=2' })),
      'Invalid signature.',
      'signature_invalid',
    );
  });
  it('without publicUrl, uses the Host header over http', async () => {
    const store = seededStore();
    const at = await issueAccessToken(store);
    const resource = createResourceEndpoint({ store, clock });
    const req = signed({
      method: 'GET',
      path: '/x',
      base: 'http://127.0.0.1:9999',
      token: at.token,
      tokenSecret: at.secret,
      headers: { host: '127.0.0.1:9999' },
    });
    assert.equal((await resource(req)).ok, true);
  });
  it('signs the form body parameters', async () => {
    const { resource, at } = await setup();
    const req = signed({
      method: 'POST',
      path: '/x',
      params: [['title', 'a b']],
      token: at.token,
      tokenSecret: at.secret,
    });
    assert.equal((await resource(req)).ok, true);
    const again = signed({
      method: 'POST',
      path: '/x',
      params: [['title', 'a b']],
      token: at.token,
      tokenSecret: at.secret,
    });
    assert401(
      denied(await resource({ ...again, body: 'title=a+c' })),
      'Invalid signature.',
      'signature_invalid',
    );
  });
});

describe('oauth_body_hash', () => {
  const json = '{"title":"hello"}';
  const hash = (body: string) => bodyHash(body, 'sha1');
  it('accepts a JSON body whose hash matches', async () => {
    const { call } = await setup();
    const r = await call({
      method: 'POST',
      rawBody: { contentType: 'application/json', body: json },
      bodyHash: hash(json),
    });
    assert.equal(r.ok, true);
  });
  it('refuses a body that does not match its hash', async () => {
    const { resource, at } = await setup();
    const req = signed({
      method: 'POST',
      path: '/x',
      token: at.token,
      tokenSecret: at.secret,
      rawBody: { contentType: 'application/json', body: json },
      bodyHash: hash(json),
    });
    const r = denied(await resource({ ...req, body: '{"title":"evil"}' }));
    assert401(r, 'Invalid body hash.', 'signature_invalid');
  });
  it('refuses oauth_body_hash on a form body', async () => {
    const { call } = await setup();
    const r = denied(await call({ method: 'POST', params: [['a', '1']], bodyHash: hash('a=1') }));
    assert400(r, 'must not be sent with a form-encoded body');
  });
});

describe('signature-only (two-legged) endpoint', () => {
  it('accepts a consumer-signed request', async () => {
    const store = seededStore();
    const twoLegged = createSignatureOnlyEndpoint({ store, publicUrl: BASE, clock });
    const r = await twoLegged(signed({ method: 'GET', path: '/2l' }));
    assert.ok(r.ok);
    assert.equal(r.consumer.key, CONSUMER.key);
  });
  it('refuses a token, a bad signature and a replay', async () => {
    const store = seededStore();
    const twoLegged = createSignatureOnlyEndpoint({ store, publicUrl: BASE, clock });
    const withToken = await twoLegged(
      signed({ method: 'GET', path: '/2l', token: 't', tokenSecret: 's' }),
    );
    assert.ok(!withToken.ok && withToken.response.status === 400);
    const bad = await twoLegged(signed({ method: 'GET', path: '/2l', consumerSecret: 'x' }));
    assert.ok(!bad.ok && bad.response.status === 401 && bad.response.body === 'Invalid signature.');
    const req = signed({ method: 'GET', path: '/2l' });
    assert.ok((await twoLegged(req)).ok);
    const replay = await twoLegged(req);
    assert.ok(!replay.ok && replay.response.body === 'Nonce already used.');
  });
});

describe('error answers', () => {
  it("can be form-encoded with errorFormat 'form'", async () => {
    const store = seededStore();
    const endpoint = createRequestTokenEndpoint({
      store,
      publicUrl: BASE,
      clock,
      errorFormat: 'form',
    });
    const r = await endpoint(signed({ path: '/rt', callback: 'oob', consumerSecret: 'bad' }));
    assert.equal(r.status, 401);
    assert.deepEqual(form(r), {
      oauth_problem: 'signature_invalid',
      oauth_problem_advice: 'Invalid OAuth signature.',
    });
  });
  it('take replacement messages', async () => {
    const store = seededStore();
    const endpoint = createRequestTokenEndpoint({
      store,
      publicUrl: BASE,
      clock,
      messages: { unknownConsumer: (k) => `Who is ${k}?` },
    });
    const r = await endpoint(signed({ path: '/rt', callback: 'oob', consumerKey: 'zed' }));
    assert.equal(r.body, 'Who is zed?');
  });
  it('echo keys short and printable only', async () => {
    const { call } = await setup();
    const r = denied(await call({ consumerKey: `evil${'k'.repeat(200)}` }));
    assert.equal(r.status, 401);
    assert.ok(r.body.length < 100);
    // A control character is refused before any lookup, and not echoed either.
    const c = denied(await call({ consumerKey: `evil\n${'k'.repeat(200)}` }));
    assert.equal(c.status, 400);
    assert.ok(c.body.length < 150);
    assert.doesNotMatch(c.body, /\n/);
  });
  it('keep the challenge a valid header value whatever the realm', async () => {
    const store = seededStore();
    const resource = createResourceEndpoint({
      store,
      publicUrl: BASE,
      clock,
      realm: 'R\u00e9\r\nalm"',
    });
    const r = denied(
      await resource(signed({ method: 'GET', path: '/x', consumerKey: 'ghost', token: 't' })),
    );
    assert.equal(r.status, 401);
    assert.equal(
      r.headers['www-authenticate'],
      'OAuth realm="R???alm\\"", oauth_problem="consumer_key_unknown"',
    );
  });
  it("name the public URL's origin, in lower case, as the realm", async () => {
    // A path in publicUrl (an app mounted under a prefix) is not part of the realm.
    const store = seededStore();
    const resource = createResourceEndpoint({
      store,
      publicUrl: 'https://API.Example.com/base',
      clock,
    });
    const r = denied(
      await resource(signed({ method: 'GET', path: '/x', consumerKey: 'ghost', token: 't' })),
    );
    assert.equal(
      r.headers['www-authenticate'],
      'OAuth realm="https://api.example.com/", oauth_problem="consumer_key_unknown"',
    );
  });
  it('turn a failing store into a bare 500 and report it', async () => {
    const store = seededStore();
    const errors: unknown[] = [];
    store.getConsumer = async () => {
      throw new Error('database is down, password=hunter2');
    };
    const endpoint = createRequestTokenEndpoint({
      store,
      publicUrl: BASE,
      clock,
      onError: (e) => errors.push(e),
    });
    const r = await endpoint(signed({ path: '/rt', callback: 'oob' }));
    assert.equal(r.status, 500);
    assert.doesNotMatch(r.body, /hunter2/);
    assert.equal(errors.length, 1);
  });
});
