// #13 item 5: a verifier a person types by hand. It reads unambiguously, in groups; the token
// endpoints take it in any case and without the grouping; an approved request token that
// is never exchanged leaves the person's applications when it expires.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Creds,
  form,
  type Running,
  review,
  signedCall,
  startProvider,
} from './http_harness.js';
import { PAGE_PASSWORD, PageSession } from './page_session.js';

const READABLE = /^[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}$/;

describe('verifiers typed by hand', () => {
  let r: Running;
  let now = Date.now();
  const alice = new PageSession();
  const app: Creds = { consumerKey: 'typing-app', consumerSecret: 'typing-secret' };

  before(async () => {
    r = await startProvider({ now: () => now });
    await r.store.createUser({ name: 'alice', password: PAGE_PASSWORD });
    await r.store.createConsumer({
      key: app.consumerKey,
      secret: app.consumerSecret,
      name: 'Typing app',
    });
    await alice.login(r.base, 'alice');
  });
  after(() => r.close());

  async function approvedToken() {
    const a = await signedCall(`${r.base}/oauth/request_token`, app, {
      method: 'POST',
      callback: 'oob',
      clock: () => now,
    });
    assert.equal(a.status, 200, a.text);
    const f = form(a.text);
    const { verifier } = await review(r, f['oauth_token']!, 'READ_PUBLIC', { now });
    return {
      creds: { ...app, token: f['oauth_token']!, tokenSecret: f['oauth_token_secret']! },
      verifier,
    };
  }

  it('reads unambiguously: Crockford base32 in four groups of four', async () => {
    const { verifier } = await approvedToken();
    assert.match(verifier, READABLE);
  });

  for (const [what, typed] of [
    ['in lower case', (v: string) => v.toLowerCase()],
    ['without its dashes', (v: string) => v.replaceAll('-', '')],
    [
      'with spaces for dashes, O for 0 and l for 1',
      (v: string) => v.replaceAll('-', ' ').replaceAll('0', 'O').replaceAll('1', 'l'),
    ],
  ] as const) {
    it(`is exchanged when typed ${what}`, async () => {
      const { creds, verifier } = await approvedToken();
      const x = await signedCall(`${r.base}/oauth/access_token`, creds, {
        method: 'POST',
        verifier: typed(verifier),
        clock: () => now,
      });
      assert.equal(x.status, 200, x.text);
      assert.ok(form(x.text)['oauth_token']);
    });
  }

  it('still refuses a wrong verifier, and the request token survives for a second try', async () => {
    const { creds, verifier } = await approvedToken();
    const wrong = verifier.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    const refused = await signedCall(`${r.base}/oauth/access_token`, creds, {
      method: 'POST',
      verifier: wrong,
      clock: () => now,
    });
    assert.equal(refused.status, 401);
    assert.match(refused.text, /Invalid verifier\./);
    const again = await signedCall(`${r.base}/oauth/access_token`, creds, {
      method: 'POST',
      verifier,
      clock: () => now,
    });
    assert.equal(again.status, 200, again.text);
  });

  it('an approved request token never exchanged leaves the applications page when it expires', async () => {
    const { creds } = await approvedToken();
    const key = creds.token.slice(0, 6);
    const listed = (await alice.request(`${r.base}/account/applications`)).text;
    assert.match(listed, new RegExp(`Key ${key}`));
    now += 2 * 3600_000 + 1000; // past a request token's two hours
    const later = (await alice.request(`${r.base}/account/applications`)).text;
    assert.doesNotMatch(later, new RegExp(`Key ${key}`));
  });
});
