// The temporary-credentials endpoint, RFC 5849 §2.1, in both flavours.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRequestTokenEndpoint } from '../src/endpoints/request_token.js';
import { acceptsJson } from '../src/http.js';
import { jsonResponse } from '../src/response.js';
import { BASE, CONSUMER, clock, form, NOW, RSA_PRIVATE, seededStore, signed } from './helpers.js';

const path = '/oauth/request_token';

describe('request-token endpoint, RFC 5849 flavour (§2.1)', () => {
  it('issues temporary credentials and confirms the callback', async () => {
    const store = seededStore();
    const endpoint = createRequestTokenEndpoint({ store, publicUrl: BASE, clock });
    const r = await endpoint(signed({ path, callback: 'https://client.example/cb?state=1' }));
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(r.headers['cache-control'], 'no-store');
    const f = form(r);
    assert.equal(f['oauth_callback_confirmed'], 'true');
    assert.match(f['oauth_token'] ?? '', /^[0-9a-f]{32}$/);
    const stored = await store.getRequestToken(f['oauth_token']!);
    assert.equal(stored?.secret, f['oauth_token_secret']);
    assert.equal(stored?.callback, 'https://client.example/cb?state=1');
    assert.equal(stored?.consumerKey, CONSUMER.key);
    assert.equal(stored?.expiresAt, NOW + 7_200_000);
  });
  it('honours requestTokenLifetime', async () => {
    const store = seededStore();
    const endpoint = createRequestTokenEndpoint({
      store,
      publicUrl: BASE,
      clock,
      requestTokenLifetime: 60,
    });
    const f = form(await endpoint(signed({ path, callback: 'oob' })));
    assert.equal((await store.getRequestToken(f['oauth_token']!))?.expiresAt, NOW + 60_000);
  });
  it('uses generateToken and generateSecret', async () => {
    const store = seededStore();
    let n = 0;
    const endpoint = createRequestTokenEndpoint({
      store,
      publicUrl: BASE,
      clock,
      generateToken: () => `key${++n}`,
      generateSecret: () => 's'.repeat(80),
    });
    const f = form(await endpoint(signed({ path, callback: 'oob' })));
    assert.equal(f['oauth_token'], 'key1');
    assert.equal(f['oauth_token_secret'], 's'.repeat(80));
  });
  it('takes the requested realms from the Authorization header', async () => {
    const store = seededStore();
    const endpoint = createRequestTokenEndpoint({ store, publicUrl: BASE, clock });
    const req = signed({ path, callback: 'oob' });
    const auth = String(req.headers['authorization']).replace(
      /^OAuth /,
      'OAuth realm="photos videos", ',
    );
    const f = form(await endpoint({ ...req, headers: { ...req.headers, authorization: auth } }));
    assert.deepEqual((await store.getRequestToken(f['oauth_token']!))?.realms, [
      'photos',
      'videos',
    ]);
  });
  it('requires oauth_callback', async () => {
    const endpoint = createRequestTokenEndpoint({ store: seededStore(), publicUrl: BASE, clock });
    const r = await endpoint(signed({ path }));
    assert.equal(r.status, 400);
    assert.equal(form(r)['error_description'], 'Missing OAuth parameter oauth_callback.');
    assert.equal(form(r)['oauth_problem'], 'parameter_absent');
  });
  for (const bad of [
    'javascript:alert(1)',
    'not a url',
    '/relative/path',
    'data:text/html,hi',
    'http://',
  ]) {
    it(`refuses the callback ${JSON.stringify(bad)}`, async () => {
      const endpoint = createRequestTokenEndpoint({ store: seededStore(), publicUrl: BASE, clock });
      const r = await endpoint(signed({ path, callback: bad }));
      assert.equal(r.status, 400);
      assert.equal(
        form(r)['error_description'],
        'oauth_callback must be an absolute URL or "oob".',
      );
    });
  }
  it("refuses a callback outside the consumer's registered one", async () => {
    const endpoint = createRequestTokenEndpoint({ store: seededStore(), publicUrl: BASE, clock });
    const fenced = { consumerKey: 'fenced-key', consumerSecret: 'fenced-secret', path };
    assert.equal(
      (await endpoint(signed({ ...fenced, callback: 'https://client.example/cb/x?y=1' }))).status,
      200,
    );
    assert.equal((await endpoint(signed({ ...fenced, callback: 'oob' }))).status, 200);
    for (const cb of ['https://client.example/cbevil', 'https://evil.example/cb']) {
      const r = await endpoint(signed({ ...fenced, callback: cb }));
      assert.equal(r.status, 400, cb);
      assert.equal(form(r)['error_description'], 'Callback URL not allowed for this consumer.');
    }
  });
  it('applies validateCallback', async () => {
    const endpoint = createRequestTokenEndpoint({
      store: seededStore(),
      publicUrl: BASE,
      clock,
      validateCallback: (cb) => cb.startsWith('https:'),
    });
    assert.equal((await endpoint(signed({ path, callback: 'https://ok.example/' }))).status, 200);
    assert.equal((await endpoint(signed({ path, callback: 'http://plain.example/' }))).status, 400);
  });
  it('refuses an oauth_token at this step', async () => {
    const endpoint = createRequestTokenEndpoint({ store: seededStore(), publicUrl: BASE, clock });
    const r = await endpoint(signed({ path, callback: 'oob', token: 'x', tokenSecret: 'y' }));
    assert.equal(r.status, 400);
  });
  it('refuses a wrong signature with the contract message', async () => {
    const endpoint = createRequestTokenEndpoint({ store: seededStore(), publicUrl: BASE, clock });
    const r = await endpoint(signed({ path, callback: 'oob', consumerSecret: 'nope' }));
    assert.equal(r.status, 401);
    assert.equal(r.body, 'Invalid OAuth signature.');
  });
  it('issues to an RSA consumer', async () => {
    const endpoint = createRequestTokenEndpoint({ store: seededStore(), publicUrl: BASE, clock });
    const r = await endpoint(
      signed({
        path,
        callback: 'oob',
        consumerKey: 'rsa-key',
        consumerSecret: '',
        signatureMethod: 'RSA-SHA1',
        privateKey: RSA_PRIVATE,
      }),
    );
    assert.equal(r.status, 200, r.body);
  });
  it('refuses an unknown RSA consumer without error', async () => {
    const endpoint = createRequestTokenEndpoint({ store: seededStore(), publicUrl: BASE, clock });
    const r = await endpoint(
      signed({
        path,
        callback: 'oob',
        consumerKey: 'ghost',
        signatureMethod: 'RSA-SHA1',
        privateKey: RSA_PRIVATE,
      }),
    );
    assert.equal(r.status, 401);
    assert.equal(r.body, 'Unknown consumer (ghost).');
  });
  it('lets formatAnswer write the answer', async () => {
    const endpoint = createRequestTokenEndpoint({
      store: seededStore(),
      publicUrl: BASE,
      clock,
      formatAnswer: ({ requestToken }) => jsonResponse({ token: requestToken.token }),
    });
    const r = await endpoint(signed({ path, callback: 'oob' }));
    assert.equal(r.headers['content-type'], 'application/json');
    assert.match(JSON.parse(r.body).token, /^[0-9a-f]{32}$/);
  });
});

describe('request-token endpoint, Launchpad flavour', () => {
  const lp = '/+request-token';
  it('needs no callback and answers without oauth_callback_confirmed', async () => {
    const endpoint = createRequestTokenEndpoint({
      store: seededStore(),
      publicUrl: BASE,
      clock,
      flavour: 'launchpad',
    });
    const r = await endpoint(signed({ path: lp }));
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(Object.keys(form(r)), ['oauth_token', 'oauth_token_secret']);
  });
  it('accepts PLAINTEXT with a fractional timestamp and no nonce, as launchpadlib sends', async () => {
    const endpoint = createRequestTokenEndpoint({
      store: seededStore(),
      publicUrl: BASE,
      clock,
      flavour: 'launchpad',
    });
    const body = `oauth_consumer_key=${CONSUMER.key}&oauth_signature_method=PLAINTEXT&oauth_signature=${CONSUMER.secret}%26&oauth_timestamp=1234.5`;
    const r = await endpoint({
      method: 'POST',
      url: lp,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    assert.equal(r.status, 200, r.body);
    // The same request again is not a replay in this flavour: PLAINTEXT has no nonce check.
    assert.equal(
      (
        await endpoint({
          method: 'POST',
          url: lp,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        })
      ).status,
      200,
    );
  });
  it('still checks timestamp and nonce for HMAC', async () => {
    const endpoint = createRequestTokenEndpoint({
      store: seededStore(),
      publicUrl: BASE,
      clock,
      flavour: 'launchpad',
    });
    const r = await endpoint(signed({ path: lp, timestamp: '1000' }));
    assert.equal(r.status, 401);
    assert.equal(r.body, 'Timestamp outside the allowed window.');
  });
  it('still checks the PLAINTEXT signature', async () => {
    const endpoint = createRequestTokenEndpoint({
      store: seededStore(),
      publicUrl: BASE,
      clock,
      flavour: 'launchpad',
    });
    const r = await endpoint({
      method: 'GET',
      url: `${lp}?oauth_consumer_key=${CONSUMER.key}&oauth_signature_method=PLAINTEXT&oauth_signature=%26`,
      headers: {},
    });
    assert.equal(r.status, 401);
    assert.equal(r.body, 'Invalid OAuth signature.');
  });
  it('registers open consumers through onUnknownConsumer, and answers JSON when asked', async () => {
    const store = seededStore();
    const endpoint = createRequestTokenEndpoint({
      store,
      publicUrl: BASE,
      clock,
      flavour: 'launchpad',
      onUnknownConsumer: async (key) => {
        const consumer = { key, secret: '', name: key };
        store.addConsumer(consumer);
        return consumer;
      },
      formatAnswer: ({ requestToken, request }) =>
        acceptsJson(request)
          ? jsonResponse({
              oauth_token: requestToken.token,
              oauth_token_secret: requestToken.secret,
              oauth_token_consumer: requestToken.consumerKey,
              access_levels: [{ value: 'READ_PUBLIC', title: 'Read Non-Private Data' }],
            })
          : undefined,
    });
    const url = `${lp}?oauth_consumer_key=my%20app&oauth_signature_method=PLAINTEXT&oauth_signature=%26`;
    const r = await endpoint({ method: 'GET', url, headers: { accept: 'application/json' } });
    assert.equal(r.status, 200, r.body);
    const json = JSON.parse(r.body);
    assert.equal(json.oauth_token_consumer, 'my app');
    assert.equal(json.access_levels[0].value, 'READ_PUBLIC');
    assert.equal((await store.getConsumer('my app'))?.secret, '');
    const plain = await endpoint({ method: 'GET', url, headers: {} });
    assert.ok('oauth_token' in form(plain));
  });
  it('stores a consumer from onUnknownConsumer only once its request verified', async () => {
    const store = seededStore();
    const stored: string[] = [];
    const endpoint = createRequestTokenEndpoint({
      store,
      publicUrl: BASE,
      clock,
      flavour: 'launchpad',
      onUnknownConsumer: async (key) => ({ key, secret: '', name: key }),
      onUnknownConsumerVerified: async (consumer) => {
        stored.push(consumer.key);
        store.addConsumer(consumer);
        return consumer.key === 'refused' ? undefined : consumer;
      },
    });
    const url = (key: string, signature: string) =>
      `${lp}?oauth_consumer_key=${encodeURIComponent(key)}&oauth_signature_method=PLAINTEXT&oauth_signature=${encodeURIComponent(signature)}`;
    const bad = await endpoint({ method: 'GET', url: url('new app', 'guess&'), headers: {} });
    assert.equal(bad.status, 401);
    assert.deepEqual(stored, [], 'a wrong signature stores nothing');
    const good = await endpoint({ method: 'GET', url: url('new app', '&'), headers: {} });
    assert.equal(good.status, 200, good.body);
    assert.deepEqual(stored, ['new app']);
    const refused = await endpoint({ method: 'GET', url: url('refused', '&'), headers: {} });
    assert.equal(refused.status, 401);
    assert.match(refused.body, /refused/);
  });
  it('validates a callback if one is sent', async () => {
    const endpoint = createRequestTokenEndpoint({
      store: seededStore(),
      publicUrl: BASE,
      clock,
      flavour: 'launchpad',
    });
    assert.equal((await endpoint(signed({ path: lp, callback: 'javascript:x' }))).status, 400);
  });
});
