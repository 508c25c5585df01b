// The attack review registered a web client named like a desktop ("System-wide: Ubuntu
// (alice-laptop)") with a web callback, and got the desktop-integration page: one click for
// DESKTOP_INTEGRATION, then a redirect with the verifier to its site. That variant is for
// desktop clients, which take no callback.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Creds, call, form, type Running, signedCall, startProvider } from './http_harness.js';
import { PAGE_PASSWORD, PageSession } from './page_session.js';

const DESKTOP = 'System-wide: Ubuntu (alice-laptop)';

describe('the desktop-integration page', () => {
  let r: Running;
  const alice = new PageSession();
  before(async () => {
    r = await startProvider();
    await r.store.createUser({ name: 'alice', password: PAGE_PASSWORD });
    await alice.login(r.base, 'alice');
  });
  after(() => r.close());

  async function register(redirect: string): Promise<Creds> {
    const a = await call(`${r.base}/api/client/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'client_associate',
        application_name: DESKTOP,
        application_type: 'web',
        redirect_uris: redirect,
      }),
    });
    assert.equal(a.status, 200, a.text);
    const j = JSON.parse(a.text) as { client_id: string; client_secret: string };
    return { consumerKey: j.client_id, consumerSecret: j.client_secret };
  }

  async function requestToken(creds: Creds, callback: string): Promise<string> {
    const a = await signedCall(`${r.base}/oauth/request_token`, creds, {
      method: 'POST',
      callback,
    });
    assert.equal(a.status, 200, a.text);
    return form(a.text)['oauth_token']!;
  }

  it('is not shown to a client with a web callback, and cannot grant DESKTOP_INTEGRATION', async () => {
    const creds = await register('https://evil.example/cb');
    const token = await requestToken(creds, 'https://evil.example/cb');
    const { shown, posted } = await alice.decide(r.base, `/oauth/authorize?oauth_token=${token}`, {
      duration: 'forever',
    });
    assert.equal(shown.status, 200);
    assert.doesNotMatch(shown.text, /computer called/);
    assert.match(shown.text, /Unverified/i);
    // The desktop form's own field, posted anyway: no level was chosen, nothing is granted.
    assert.equal(posted?.status, 400, posted?.text);
    assert.equal(posted?.headers.get('location'), null);
    const stored = await r.store.getRequestToken(token);
    assert.equal(stored?.grant, undefined);
  });

  it('is still the page of a desktop client asking out of band', async () => {
    const creds = await register('https://desk.example/cb');
    const token = await requestToken(creds, 'oob');
    const { shown, posted } = await alice.decide(r.base, `/oauth/authorize?oauth_token=${token}`, {
      duration: 'hour',
    });
    assert.match(
      shown.text,
      /The <strong>Ubuntu<\/strong> computer called <strong>alice-laptop<\/strong>/,
    );
    assert.equal(posted?.status, 200, posted?.text);
    assert.equal((await r.store.getRequestToken(token))?.grant?.permission, 'DESKTOP_INTEGRATION');
  });
});
