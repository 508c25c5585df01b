import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type AccessToken,
  OAuth1Client,
  OAuthProtocolError,
  type Placement,
} from '../src/index.js';
import {
  CLIENT_KEY,
  CLIENT_SECRET,
  PLAIN_KEY,
  PLAIN_SECRET,
  type PythonServer,
  RSA_PRIVATE,
  startOAuthlibServer,
} from './helpers.js';

// The reference: oauthlib's WebApplicationServer (Debian python3-oauthlib), which we did not
// write, wrapped by test/fixtures/oauthlib_server.py.
let py: PythonServer;
before(async () => {
  py = await startOAuthlibServer();
});
after(() => py.stop());

const METHODS = [
  'HMAC-SHA1',
  'HMAC-SHA256',
  'HMAC-SHA512',
  'RSA-SHA1',
  'RSA-SHA256',
  'RSA-SHA512',
  'PLAINTEXT',
] as const;
const PLACEMENTS: Placement[] = ['header', 'query', 'body'];

interface Echo {
  method: string;
  query: [string, string][];
  form: [string, string][] | null;
  body: string;
  contentType: string;
  bodyHashOk: boolean | null;
  signatureMethod: string;
  where: string;
  realm: string | null;
  token: string;
}

function clientFor(signatureMethod: string, placement: Placement): OAuth1Client {
  // oauthlib decodes PLAINTEXT signatures of the query and body twice (see the fixture).
  const plain = signatureMethod === 'PLAINTEXT' && placement !== 'header';
  return new OAuth1Client({
    consumerKey: plain ? PLAIN_KEY : CLIENT_KEY,
    consumerSecret: plain ? PLAIN_SECRET : CLIENT_SECRET,
    ...(signatureMethod.startsWith('RSA') ? { privateKey: RSA_PRIVATE } : {}),
    signatureMethod,
    placement,
    endpoints: {
      requestToken: `${py.base}/oauth/request_token`,
      authorize: `${py.base}/oauth/authorize`,
      accessToken: `${py.base}/oauth/access_token`,
    },
  });
}

// What the user does in the browser: the fixture approves at once and shows the verifier.
async function authorize(url: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200, await res.clone().text());
  const verifier = new URLSearchParams(await res.text()).get('oauth_verifier');
  assert.ok(verifier);
  return verifier;
}

async function dance(client: OAuth1Client): Promise<AccessToken> {
  const rt = await client.requestToken();
  assert.equal(rt.callbackConfirmed, true);
  const verifier = await authorize(client.authorizationUrl(rt));
  return client.accessToken(rt, verifier);
}

for (const signatureMethod of METHODS) {
  for (const placement of PLACEMENTS) {
    describe(`oauthlib: ${signatureMethod}, ${placement} placement`, () => {
      let at: AccessToken;
      let api: OAuth1Client;
      before(async () => {
        const client = clientFor(signatureMethod, placement);
        at = await dance(client);
        api = client.withToken(at);
      });

      test('the access token answer keeps the extra fields', () => {
        assert.equal(at.fields['user_id'], '42');
        assert.equal(at.fields['screen_name'], 'alice');
        assert.deepEqual(at.authorizedRealms, ['photos']);
        assert.match(at.token, /^\w{30}$/);
      });

      test('GET with query parameters', async () => {
        const res = await api.request(`${py.base}/api/echo?a=1&a=2`, {
          query: { q: 'süß & co' },
        });
        const echo = (await res.json()) as Echo;
        // A GET has no body: body placement falls back to the query.
        assert.equal(echo.where, placement === 'body' ? 'query' : placement);
        assert.equal(echo.signatureMethod, signatureMethod);
        assert.equal(echo.token, at.token);
        const q = echo.query.filter(([n]) => !n.startsWith('oauth_'));
        assert.deepEqual(q, [
          ['a', '1'],
          ['a', '2'],
          ['q', 'süß & co'],
        ]);
      });

      for (const method of ['POST', 'PUT', 'DELETE']) {
        test(`${method} with a form body`, async () => {
          const res = await api.request(`${py.base}/api/echo`, {
            method,
            form: [
              ['title', 'Ladies + Gentlemen'],
              ['tag', 'a'],
              ['tag', 'b'],
            ],
          });
          const echo = (await res.json()) as Echo;
          assert.equal(echo.method, method);
          assert.deepEqual(
            echo.form?.filter(([n]) => !n.startsWith('oauth_')),
            [
              ['title', 'Ladies + Gentlemen'],
              ['tag', 'a'],
              ['tag', 'b'],
            ],
          );
          // Form bodies are signed parameter by parameter, never hashed.
          assert.equal(echo.bodyHashOk, null);
        });

        test(`${method} with an empty body`, async () => {
          const res = await api.request(`${py.base}/api/echo`, { method });
          const echo = (await res.json()) as Echo;
          assert.equal(echo.method, method);
          assert.equal(echo.where, placement);
        });

        if (placement !== 'body') {
          test(`${method} with a JSON body`, async () => {
            const res = await api.request(`${py.base}/api/echo`, {
              method,
              json: { title: 'hello', n: [1, 2] },
            });
            const echo = (await res.json()) as Echo;
            assert.deepEqual(JSON.parse(echo.body), { title: 'hello', n: [1, 2] });
            assert.equal(echo.contentType, 'application/json');
            // The JSON is covered through oauth_body_hash, except with PLAINTEXT (no hash).
            assert.equal(echo.bodyHashOk, signatureMethod === 'PLAINTEXT' ? null : true);
          });
        }
      }

      if (placement === 'body') {
        test('body placement refuses a JSON body rather than sending it unsigned', () => {
          assert.throws(() => api.sign(`${py.base}/api/echo`, { method: 'POST', json: { a: 1 } }), {
            name: 'TypeError',
            code: 'ERR_INVALID_ARG_VALUE',
          });
        });
      }
    });
  }
}

describe('oauthlib: failures and redirects', () => {
  test('a wrong secret is refused with the status and parsed oauth_problem', async () => {
    const good = clientFor('HMAC-SHA1', 'header');
    const at = await dance(good);
    const bad = new OAuth1Client({
      consumerKey: CLIENT_KEY,
      consumerSecret: 'wrong',
      token: at,
    });
    const err = await bad.request(`${py.base}/api/echo`).then(
      () => assert.fail('should have thrown'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof OAuthProtocolError);
    assert.equal(err.status, 401);
    assert.equal(err.problem, 'signature_invalid');
    assert.equal(err.realm, 'signet-test');
  });

  test('the access token step refuses a wrong verifier', async () => {
    const client = clientFor('HMAC-SHA256', 'header');
    const rt = await client.requestToken();
    await authorize(client.authorizationUrl(rt));
    await assert.rejects(client.accessToken(rt, 'x'.repeat(30)), {
      name: 'OAuthProtocolError',
      status: 401,
    });
  });

  test('a realm outside the allowed ones is a 400 with oauthlib error fields', async () => {
    const client = new OAuth1Client({
      ...clientFor('HMAC-SHA1', 'header').options,
      realm: 'secrets',
    });
    const err = await client.requestToken().catch((e: unknown) => e);
    assert.ok(err instanceof OAuthProtocolError);
    assert.equal(err.status, 400);
    assert.equal(err.error, 'invalid_request');
    assert.match(err.message, /Invalid realm/);
  });

  test('a realm the server knows is granted', async () => {
    const client = new OAuth1Client({
      ...clientFor('HMAC-SHA1', 'header').options,
      realm: 'notes',
    });
    const at = await dance(client);
    assert.deepEqual(at.authorizedRealms, ['notes']);
  });

  for (const placement of PLACEMENTS) {
    test(`a 307 redirect is signed again with a fresh nonce (${placement})`, async () => {
      const client = clientFor('HMAC-SHA1', placement);
      const api = client.withToken(await dance(client));
      // oauthlib refuses a reused nonce, so the second hop only passes with a new signature.
      const res = await api.request(`${py.base}/api/redirect`, {
        method: 'POST',
        form: { a: 'b' },
      });
      const echo = (await res.json()) as Echo;
      assert.equal(echo.method, 'POST');
      assert.deepEqual(
        echo.query.filter(([n]) => !n.startsWith('oauth_')),
        [['redirected', '1']],
      );
      assert.deepEqual(
        echo.form?.filter(([n]) => !n.startsWith('oauth_')),
        [['a', 'b']],
      );
    });
  }
});
