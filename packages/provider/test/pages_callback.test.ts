// The Launchpad flavour hands the callback to the authorization page, which then redirects
// there: it must be a real http(s) URL within what the consumer registered.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, form, type Running, startProvider } from './http_harness.js';
import { PAGE_PASSWORD as PASSWORD, PageSession } from './page_session.js';

describe('a callback given to the authorization page', () => {
  let r: Running;
  const session = new PageSession();

  before(async () => {
    r = await startProvider();
    await r.store.createUser({ name: 'alice', password: PASSWORD });
    await r.store.createConsumer({
      key: 'registered',
      secret: '',
      callbackUrl: 'https://app.example/cb',
    });
    await session.login(r.base, 'alice');
  });
  after(() => r.close());

  async function requestToken(consumer: string): Promise<string> {
    const body = `oauth_consumer_key=${consumer}&oauth_signature_method=PLAINTEXT&oauth_signature=%26`;
    const res = await call(`${r.base}/+request-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    assert.equal(res.status, 200, res.text);
    return form(res.text)['oauth_token']!;
  }

  const page = (token: string, callback: string) =>
    session.request(
      `${r.base}/+authorize-token?oauth_token=${token}&oauth_callback=${encodeURIComponent(callback)}`,
    );

  for (const bad of [
    'javascript:alert(1)',
    'oob',
    'https://app.example/cb\r\nx: y',
    'not a url',
    'data:text/html,x',
  ]) {
    it(`refuses ${JSON.stringify(bad)} on the page`, async () => {
      const res = await page(await requestToken('open-consumer'), bad);
      assert.equal(res.status, 400, res.text);
      assert.match(res.text, /not a valid web address/);
    });
  }

  it('refuses a callback outside the consumer’s registered one, on the page and on the POST', async () => {
    const token = await requestToken('registered');
    const res = await page(token, 'https://evil.example/cb');
    assert.equal(res.status, 400, res.text);
    // The form could be posted with another callback than the page showed.
    const good = await page(token, 'https://app.example/cb/done');
    assert.equal(good.status, 200, good.text);
    const post = await session.request(`${r.base}/+authorize-token`, {
      method: 'POST',
      body: new URLSearchParams({
        csrf: session.csrfOf(good.text),
        oauth_token: token,
        oauth_callback: 'https://evil.example/cb',
        permission: 'READ_PUBLIC',
      }),
    });
    assert.equal(post.status, 400, post.text);
    assert.equal((await r.store.getRequestToken(token))?.grant, undefined, 'nothing recorded');
  });

  it('redirects to a callback within the registered one, with the token and verifier', async () => {
    const token = await requestToken('registered');
    const shown = await page(token, 'https://app.example/cb/done?x=1');
    assert.equal(shown.status, 200, shown.text);
    const post = await session.request(`${r.base}/+authorize-token`, {
      method: 'POST',
      body: new URLSearchParams({
        csrf: session.csrfOf(shown.text),
        oauth_token: token,
        oauth_callback: 'https://app.example/cb/done?x=1',
        permission: 'READ_PUBLIC',
      }),
    });
    assert.equal(post.status, 303, post.text);
    const to = new URL(post.headers.get('location')!);
    assert.equal(`${to.origin}${to.pathname}`, 'https://app.example/cb/done');
    assert.equal(to.searchParams.get('x'), '1');
    assert.equal(to.searchParams.get('oauth_token'), token);
    assert.ok(to.searchParams.get('oauth_verifier'));
  });
});
