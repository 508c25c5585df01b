// #13 item 8: the RFC token endpoints take GET as well as POST (as Twitter and oauthlib do,
// and as Go's mrjones/oauth asks by default); any other method on a known path is a plain
// 405 with Allow; an unknown path is a plain 404, never the framework's JSON.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Creds,
  call,
  form,
  type Running,
  review,
  signedCall,
  startProvider,
} from './http_harness.js';

describe('methods and unknown paths', () => {
  let r: Running;
  const app: Creds = { consumerKey: 'go-app', consumerSecret: 'go-secret' };
  before(async () => {
    r = await startProvider();
    await r.store.createUser({ name: 'alice', displayName: 'Alice' });
    await r.store.createConsumer({
      key: app.consumerKey,
      secret: app.consumerSecret,
      name: 'Go app',
    });
  });
  after(() => r.close());

  it('asks for request and access tokens with GET, answers not to be cached', async () => {
    const rt = await signedCall(`${r.base}/oauth/request_token`, app, {
      method: 'GET',
      callback: 'oob',
    });
    assert.equal(rt.status, 200, rt.text);
    assert.equal(rt.headers.get('cache-control'), 'no-store');
    const t = form(rt.text);
    assert.equal(t['oauth_callback_confirmed'], 'true');
    const { verifier } = await review(r, t['oauth_token']!, 'READ_PUBLIC');
    const at = await signedCall(
      `${r.base}/oauth/access_token`,
      { ...app, token: t['oauth_token']!, tokenSecret: t['oauth_token_secret']! },
      { method: 'GET', verifier },
    );
    assert.equal(at.status, 200, at.text);
    assert.equal(at.headers.get('cache-control'), 'no-store');
    assert.ok(form(at.text)['oauth_token_secret']);
  });

  for (const [method, path, allow] of [
    ['DELETE', '/oauth/request_token', 'GET, HEAD, POST'],
    ['PUT', '/oauth/access_token', 'GET, HEAD, POST'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['PATCH', '/api/1.0/notes/42', 'DELETE, GET, HEAD, PUT'],
  ] as const) {
    it(`${method} ${path} is a plain 405 with Allow: ${allow}`, async () => {
      const a = await call(`${r.base}${path}`, { method });
      assert.equal(a.status, 405, a.text);
      assert.equal(a.headers.get('allow'), allow);
      assert.match(a.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal(a.text, `Method ${method} is not allowed here; use ${allow}.`);
    });
  }

  for (const path of ['/nope', '/oauth/request_token/extra', '/api/2.0/whoami', '/%2e%2e/etc']) {
    it(`${path} is a plain 404`, async () => {
      const a = await call(`${r.base}${path}`);
      assert.equal(a.status, 404, a.text);
      assert.match(a.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal(a.text, 'Not found.');
      assert.equal(a.headers.get('x-content-type-options'), 'nosniff');
    });
  }
});
