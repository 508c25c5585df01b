// The portable main entry on its own (as browsers and workers load it): what has no default
// without Node says so, @signet/client/node brings the defaults, a signed request is a fetch
// init as it is (over real HTTP on loopback), and parseAuthorizationResponse.
// This file imports portable.js first and index.js never, so the Node defaults are absent
// until node.js is imported.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  collectParameters,
  type Param,
  signedParameters,
  verifySignature,
  verifySignatureAsync,
} from '@signet/core';
import {
  ClientError,
  desktopConsumerName,
  launchpadClient,
  OAuth1Client,
  parseAuthorizationResponse,
} from '../src/portable.js';
import { RSA_PRIVATE, send, startFake } from './helpers.js';

test('without @signet/client/node, the Launchpad desktop defaults are a clear argument error', async () => {
  const isArgError = (e: unknown) =>
    e instanceof TypeError &&
    (e as TypeError & { code?: string }).code === 'ERR_INVALID_ARG_VALUE' &&
    /no default on this runtime/.test(e.message);
  assert.throws(() => desktopConsumerName(), isArgError);
  assert.throws(() => launchpadClient({ server: 'https://launchpad.test' }), isArgError);
  assert.equal(
    desktopConsumerName({ desktop: 'Debian', computer: 'box' }),
    'System-wide: Debian (box)',
  );
  assert.ok(launchpadClient({ server: 'https://launchpad.test', consumerKey: 'app' }));
  // Importing the Node entry installs them.
  await import('../src/node.js');
  assert.match(desktopConsumerName(), /^System-wide: .+ \(.+\)$/);
});

test('a signed request is its own fetch init: fetch(signed.url, signed), verified by the server', async () => {
  const seen: boolean[] = [];
  const fake = await startFake(async (req, res) => {
    const url = `http://127.0.0.1${req.url}`;
    const collected = collectParameters({
      method: req.method ?? '',
      url,
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      body: req.body,
    });
    const params = signedParameters(collected);
    const oauth = new Map<string, string>(
      params.filter(([n]) => n.startsWith('oauth_')) as Param[],
    );
    const options = {
      method: req.method ?? '',
      url: `http://127.0.0.1:${(req.socket.localPort ?? 0).toString()}${req.url}`,
      params,
      signatureMethod: oauth.get('oauth_signature_method') ?? '',
      signature: oauth.get('oauth_signature') ?? '',
      keys: { consumerSecret: 'cs', tokenSecret: 'ts', publicKey: RSA_PRIVATE },
    };
    seen.push(await verifySignatureAsync(options), verifySignature(options));
    send(res, 200, { body: req.body });
  });
  try {
    for (const signatureMethod of ['HMAC-SHA256', 'RSA-SHA1']) {
      const client = new OAuth1Client({
        consumerKey: 'ck',
        consumerSecret: 'cs',
        privateKey: RSA_PRIVATE,
        signatureMethod,
        token: { token: 'tk', tokenSecret: 'ts' },
      });
      for (const signed of [
        client.sign(`${fake.base}/notes?x=1`, { method: 'POST', form: { a: 'b c' } }),
        await client.signAsync(`${fake.base}/notes`, { method: 'PUT', json: { a: 1 } }),
        await client.signAsync(`${fake.base}/notes`, {
          method: 'POST',
          body: new TextEncoder().encode('raw bytes'),
          headers: { 'content-type': 'application/octet-stream' },
        }),
        client.sign(`${fake.base}/notes`),
      ]) {
        // The point: no cast, no picking of fields.
        const init: RequestInit = signed;
        const res = await fetch(signed.url, init);
        assert.equal(res.status, 200, signatureMethod);
        await res.text();
      }
    }
    assert.equal(seen.length, 16);
    assert.ok(seen.every(Boolean), JSON.stringify(seen));
  } finally {
    await fake.close();
  }
});

test('parseAuthorizationResponse reads the callback, and refuses what cannot go on', () => {
  assert.deepEqual(
    parseAuthorizationResponse('https://app.example/cb?oauth_token=t%2B1&oauth_verifier=v%20w'),
    { token: 't+1', verifier: 'v w' },
  );
  assert.deepEqual(
    parseAuthorizationResponse(new URL('https://app.example/cb?oauth_verifier=v&oauth_token=t')),
    { token: 't', verifier: 'v' },
  );
  const code = (url: string) => {
    try {
      parseAuthorizationResponse(url);
      return 'none';
    } catch (e) {
      return e instanceof ClientError ? e.code : String(e);
    }
  };
  assert.equal(code('https://app.example/cb?denied=t'), 'ERR_OAUTH_DECLINED');
  assert.equal(code('https://app.example/cb?oauth_problem=user_refused'), 'ERR_OAUTH_DECLINED');
  assert.equal(code('https://app.example/cb?oauth_token=t'), 'ERR_OAUTH_VERIFIER');
  assert.equal(code('https://app.example/cb?oauth_token=t&oauth_verifier='), 'ERR_OAUTH_VERIFIER');
  assert.equal(code('https://app.example/cb?oauth_verifier=v'), 'ERR_OAUTH_VERIFIER');
  assert.equal(
    code('https://app.example/cb?oauth_token=t&oauth_verifier=v&oauth_verifier=w'),
    'ERR_OAUTH_VERIFIER',
  );
  assert.equal(code('/cb?oauth_token=t&oauth_verifier=v'), 'ERR_OAUTH_VERIFIER');
});
