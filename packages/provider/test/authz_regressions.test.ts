// Regression tests of issue #9's authorization findings, one per finding, each through real
// HTTP on loopback: the provider decides through @signet/server's policy and nowhere else.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Answer,
  type Creds,
  call,
  expectText,
  form,
  type Running,
  review,
  signed,
  signedCall,
  startProvider,
} from './http_harness.js';
import { PAGE_PASSWORD, PageSession } from './page_session.js';

const postForm = (url: string, params: [string, string][]) =>
  call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });

describe('authorization findings of issue #9', () => {
  let r: Running;
  const alice = new PageSession();
  const secret = 'registered-secret';
  const reg: Creds = { consumerKey: 'registered-app', consumerSecret: secret };

  before(async () => {
    r = await startProvider();
    await r.store.createUser({ name: 'alice', password: PAGE_PASSWORD });
    await r.store.createContext({ name: 'firefox', title: 'Mozilla Firefox' });
    await r.store.createConsumer({
      key: reg.consumerKey,
      secret,
      name: 'Registered App',
      callbackUrl: 'https://cb.example/cb',
    });
    await alice.login(r.base, 'alice');
  });
  after(() => r.close());

  const rfcRequestToken = async (creds: Creds, callback: string, headers = {}) =>
    signedCall(`${r.base}/oauth/request_token`, creds, { method: 'POST', callback, headers });
  async function rfcToken(creds: Creds, callback: string) {
    const a = await rfcRequestToken(creds, callback);
    assert.equal(a.status, 200, a.text);
    const f = form(a.text);
    return { token: f['oauth_token']!, secret: f['oauth_token_secret']! };
  }

  it('finding 4: an RFC 5849 request token is not exchanged at /+access-token without its verifier', async () => {
    const t = await rfcToken(reg, 'oob');
    await review(r, t.token, 'WRITE_PRIVATE');
    const tokenCreds = { ...reg, token: t.token, tokenSecret: t.secret };
    // Launchpad's exchange: PLAINTEXT, no verifier. Before the fix: 200 and an access token.
    const skipped = await signedCall(`${r.base}/+access-token`, tokenCreds, {
      method: 'POST',
      signatureMethod: 'PLAINTEXT',
    });
    assert.equal(skipped.status, 400, skipped.text);
    assert.equal(
      form(skipped.text)['error_description'],
      'Missing OAuth parameter oauth_verifier.',
    );
    // The refusal did not spend the token: with its verifier it is exchanged.
    const verifier = (await r.store.getRequestToken(t.token))!.verifier!;
    const ok = await signedCall(`${r.base}/+access-token`, tokenCreds, {
      method: 'POST',
      signatureMethod: 'PLAINTEXT',
      verifier,
    });
    assert.equal(ok.status, 200, ok.text);
  });

  it('finding 5: a callback with encoded dot segments does not escape the registered path', async () => {
    const a = await rfcRequestToken(reg, 'https://cb.example/cb/%2e%2e/%2e%2e/evil');
    assert.equal(a.status, 400, a.text);
    // Nor by the page, for a Launchpad token.
    const lp = await postForm(`${r.base}/+request-token`, [
      ['oauth_consumer_key', reg.consumerKey],
      ['oauth_signature_method', 'PLAINTEXT'],
      ['oauth_signature', `${secret}&`],
    ]);
    const token = form(lp.text)['oauth_token']!;
    const cb = encodeURIComponent('https://cb.example/cb/%2e%2e/%2e%2e/evil');
    const page = await alice.request(
      `${r.base}/+authorize-token?oauth_token=${token}&oauth_callback=${cb}`,
    );
    assert.equal(page.status, 400, page.text);
    // A path below the registered one by whole segments still goes through.
    const fine = await rfcToken(reg, 'https://cb.example/cb/done');
    const { posted } = await alice.decide(r.base, `/oauth/authorize?oauth_token=${fine.token}`, {
      permission: 'READ_PUBLIC',
    });
    assert.equal(posted?.status, 303, posted?.text);
    assert.match(
      posted!.headers.get('location')!,
      /^https:\/\/cb\.example\/cb\/done\?oauth_token=/,
    );
  });

  async function openToken(key: string): Promise<string> {
    const a = await postForm(`${r.base}/+request-token`, [
      ['oauth_consumer_key', key],
      ['oauth_signature_method', 'PLAINTEXT'],
      ['oauth_signature', '&'],
    ]);
    assert.equal(a.status, 200, a.text);
    return form(a.text)['oauth_token']!;
  }

  it('finding 6: "No Access" on /+authorize-token does not redirect to an unregistered callback', async () => {
    const token = await openToken('open-app');
    const cb = encodeURIComponent('https://evil.example/x');
    const { shown, posted } = await alice.decide(
      r.base,
      `/+authorize-token?oauth_token=${token}&oauth_callback=${cb}`,
      { permission: 'UNAUTHORIZED' },
    );
    // The person sees where a grant would send them, before the buttons.
    const host = shown.text.indexOf('evil.example');
    assert.ok(host > 0 && host < shown.text.indexOf('name="permission"'), 'host shown first');
    assert.equal(posted?.status, 200, 'no redirect after No Access');
    assert.equal(posted?.headers.get('location'), null);
    assert.match(posted!.text, /Access not granted/);
    // Spellings that read as another host are refused outright.
    for (const bad of ['http:evil.example', 'https:\\\\evil.example', 'https:/\\evil.example']) {
      const t = await openToken('open-app');
      const page = await alice.request(
        `${r.base}/+authorize-token?oauth_token=${t}&oauth_callback=${encodeURIComponent(bad)}`,
      );
      assert.equal(page.status, 400, `${bad}: ${page.text}`);
    }
  });

  it('finding 7: a registered client’s redirect_uris are its only callbacks', async () => {
    const reg7 = await call(`${r.base}/api/client/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'client_associate',
        application_name: 'Legit',
        redirect_uris: 'https://legit.example/cb https://legit.example/other',
      }),
    });
    assert.equal(reg7.status, 200, reg7.text);
    const { client_id, client_secret } = JSON.parse(reg7.text) as Record<string, string>;
    const creds = { consumerKey: client_id!, consumerSecret: client_secret! };
    const stolen = await rfcRequestToken(creds, 'https://evil.example/steal');
    assert.equal(stolen.status, 400, stolen.text);
    assert.equal(
      form(stolen.text)['error_description'],
      'Callback URL not allowed for this consumer.',
    );
    assert.equal((await rfcRequestToken(creds, 'https://legit.example/cb')).status, 200);
    assert.equal((await rfcRequestToken(creds, 'https://legit.example/other/x')).status, 200);
  });

  it('finding 8: a realm sent with the request token is not granted by the exchange', async () => {
    // The realm is not signed: anyone on the path could have added it.
    const s = await headerWithRealm(reg, 'admin everything');
    assert.equal(s.status, 200, s.text);
    const t = form(s.text);
    const { verifier } = await review(r, t['oauth_token']!, 'READ_PUBLIC');
    const x = await signedCall(
      `${r.base}/oauth/access_token`,
      { ...reg, token: t['oauth_token']!, tokenSecret: t['oauth_token_secret']! },
      { method: 'POST', verifier },
    );
    assert.equal(x.status, 200, x.text);
    assert.equal(form(x.text)['oauth_authorized_realms'], undefined, x.text);
  });

  async function headerWithRealm(creds: Creds, realm: string): Promise<Answer> {
    const s = signed(`${r.base}/oauth/request_token`, creds, { method: 'POST', callback: 'oob' });
    const headers = s.init.headers as Record<string, string>;
    headers['authorization'] = headers['authorization']!.replace(
      /^OAuth /,
      `OAuth realm="${realm}", `,
    );
    return call(s.url, s.init);
  }

  it('finding 9: /+access-token without oauth_token answers 401 No request token specified.', async () => {
    const token = await openToken('just testing');
    await review(r, token, 'READ_PUBLIC');
    const a = await postForm(`${r.base}/+access-token`, [
      ['oauth_consumer_key', 'just testing'],
      ['oauth_signature_method', 'PLAINTEXT'],
      ['oauth_signature', '&secret'],
    ]);
    expectText(a, 401, 'No request token specified.');
    assert.match(a.headers.get('www-authenticate') ?? '', /^OAuth realm=/);
  });
  it('finding 16: the page shows who asks, where it returns and what each level allows; applications show last use and key', async () => {
    // An application that registered itself is marked unverified; an administrator's is not.
    const open = await openToken('self-named app');
    const openPage = await alice.request(
      `${r.base}/+authorize-token?oauth_token=${open}&lp.context=firefox&oauth_callback=${encodeURIComponent('https://return.example/done')}`,
    );
    assert.equal(openPage.status, 200, openPage.text);
    const buttons = openPage.text.indexOf('name="permission"');
    for (const shown of [
      'Unverified application',
      'return.example',
      'Mozilla Firefox',
      'Read Non-Private Data</strong>: ',
      'Change Anything</strong>: ',
      'No Access</strong>: ',
    ]) {
      const at = openPage.text.indexOf(shown);
      assert.ok(at > 0 && at < buttons, `${shown} shown before the buttons`);
    }
    const admin = await rfcToken(reg, 'https://cb.example/cb');
    const adminPage = await alice.request(`${r.base}/oauth/authorize?oauth_token=${admin.token}`);
    assert.equal(adminPage.status, 200);
    assert.doesNotMatch(adminPage.text, /Unverified application/);
    assert.match(adminPage.text, /cb\.example/);

    // Two grants to one application: told apart by key, and by when each was last used.
    const grants: Creds[] = [];
    for (let i = 0; i < 2; i++) {
      const t = await rfcToken(reg, 'oob');
      const { verifier } = await review(r, t.token, 'READ_PUBLIC');
      const x = await signedCall(
        `${r.base}/oauth/access_token`,
        { ...reg, token: t.token, tokenSecret: t.secret },
        { method: 'POST', verifier },
      );
      const f = form(x.text);
      grants.push({ ...reg, token: f['oauth_token']!, tokenSecret: f['oauth_token_secret']! });
    }
    const used = await signedCall(`${r.base}/api/1.0/whoami`, grants[0]!);
    assert.equal(used.status, 200, used.text);
    const rowOf = (html: string, token: string) => {
      const at = html.indexOf(`Key ${token.slice(0, 6)}`);
      assert.ok(at > 0, `a row shows the key prefix of ${token}`);
      return html.slice(html.lastIndexOf('<tr', at), html.indexOf('</tr>', at));
    };
    let page = '';
    for (let i = 0; i < 50; i++) {
      page = (await alice.request(`${r.base}/account/applications`)).text;
      if (/data-label="Last used"><time/.test(rowOf(page, grants[0]!.token!))) break;
      await new Promise((done) => setTimeout(done, 200));
    }
    assert.match(rowOf(page, grants[0]!.token!), /data-label="Last used"><time datetime="/);
    assert.match(rowOf(page, grants[1]!.token!), /data-label="Last used">Never/);
    assert.doesNotMatch(page, new RegExp(grants[0]!.token!), 'the whole key is not shown');
  });
});
