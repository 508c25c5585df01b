// Issue #9's authorization attacks replayed with variants, through real HTTP on loopback:
// callback spellings at every place a callback enters, verifier skipping at every exchange
// endpoint and method, realm smuggling, a missing token at Launchpad's exchange.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Answer,
  type Creds,
  call,
  form,
  type Running,
  review,
  signed,
  signedCall,
  startProvider,
} from './http_harness.js';
import { PAGE_PASSWORD, PageSession } from './page_session.js';

const REGISTERED = 'https://cb.example/cb';

// Spellings that read differently from one reader (browser, proxy, framework) to another,
// or hide a host: refused for every consumer, registered callbacks or not.
const UNREADABLE = [
  'https://cb.example/cb/%2e%2e/%2e%2e/evil',
  'https://cb.example/cb/%2e%2E/evil',
  'https://cb.example/cb/%2E%2E/evil',
  'https://cb.example/cb/.%2e/evil',
  'https://cb.example/cb/../evil',
  'https://cb.example/cb/..;/evil',
  'https://cb.example/cb/%2e%2e;x=1/evil',
  'https://cb.example/cb/%252e%252e/evil',
  'https://cb.example/cb/./../evil',
  'https://cb.example/cb\\..\\evil',
  'https://cb.example/cb/..%5cevil',
  'https://cb.example/cb/..%5Cevil',
  'https://cb.example/cb%2f..%2fevil',
  'https://cb.example/cb/%2F..%2Fevil',
  'https://cb.example/cb/%u002e%u002e/evil',
  'https://cb.example/cb/%c0%ae%c0%ae/evil',
  'https://cb.example/cb/..%00/evil',
  'https://cb.example/cb/..%3b/evil',
  'https://cb.example/cb/%2e%2e%3bx/evil',
  'https://cb.example@evil.example/cb',
  'https://cb.example:443@evil.example/cb',
  'https://user:pw@cb.example/cb',
  'https://cb.еxample/cb',
  'https://bücher.example/x',
  'http:evil.example',
  'https:evil.example/cb',
  'https:\\\\evil.example',
  'https:/\\evil.example/cb',
  'https:/evil.example/cb',
  '//evil.example/cb',
  'javascript://cb.example/cb%0aalert(1)',
  'data:text/html,https://cb.example/cb',
];
// Readable, but somewhere other than https://cb.example/cb.
const ELSEWHERE = [
  'https://cb.example/cbx',
  'https://cb.example/cb.evil',
  'https://cb.example:8443/cb',
  'http://cb.example/cb',
  'https://cb.example.evil.example/cb',
  'https://evil.example/cb#https://cb.example/cb',
  'https://evil.example/?https://cb.example/cb',
  'https://xn--cb-evil.example/cb',
];
const ESCAPES = [...UNREADABLE, ...ELSEWHERE];
// The same place, spelt otherwise: fine.
const FITS = [
  'https://cb.example/cb',
  'https://cb.example/cb/',
  'https://cb.example/cb/done?state=1',
  'https://CB.Example/cb/x',
  'https://cb.example:443/cb',
  'https://cb.example/cb?x=1#frag',
];

const postForm = (url: string, params: [string, string][]) =>
  call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });

describe('authorization attacks (issue #9 variants)', () => {
  let r: Running;
  const alice = new PageSession();
  const reg: Creds = { consumerKey: 'attacked-app', consumerSecret: 'attacked-secret' };

  before(async () => {
    r = await startProvider();
    await r.store.createUser({ name: 'alice', password: PAGE_PASSWORD });
    await r.store.createConsumer({
      key: reg.consumerKey,
      secret: reg.consumerSecret,
      name: 'Attacked App',
      callbackUrl: REGISTERED,
    });
    await alice.login(r.base, 'alice');
  });
  after(() => r.close());

  const rfcRequestToken = (creds: Creds, callback: string) =>
    signedCall(`${r.base}/oauth/request_token`, creds, { method: 'POST', callback });
  async function rfcToken(creds: Creds, callback: string) {
    const a = await rfcRequestToken(creds, callback);
    assert.equal(a.status, 200, a.text);
    const f = form(a.text);
    return { token: f['oauth_token']!, secret: f['oauth_token_secret']! };
  }
  async function launchpadToken(key: string, secret = ''): Promise<string> {
    const a = await postForm(`${r.base}/+request-token`, [
      ['oauth_consumer_key', key],
      ['oauth_signature_method', 'PLAINTEXT'],
      ['oauth_signature', `${secret}&`],
    ]);
    assert.equal(a.status, 200, a.text);
    return form(a.text)['oauth_token']!;
  }
  const pageWith = (token: string, callback: string) =>
    alice.request(
      `${r.base}/+authorize-token?oauth_token=${token}&oauth_callback=${encodeURIComponent(callback)}`,
    );

  describe('callback spellings', () => {
    it('the RFC 5849 request-token endpoint refuses every escape and admits every fit', async () => {
      for (const cb of ESCAPES) {
        const a = await rfcRequestToken(reg, cb);
        assert.equal(a.status, 400, `${cb}: ${a.status} ${a.text}`);
      }
      for (const cb of FITS) {
        const a = await rfcRequestToken(reg, cb);
        assert.equal(a.status, 200, `${cb}: ${a.text}`);
      }
    });

    it('the Launchpad request-token endpoint refuses them too', async () => {
      for (const cb of ESCAPES) {
        const a = await postForm(`${r.base}/+request-token`, [
          ['oauth_consumer_key', reg.consumerKey],
          ['oauth_signature_method', 'PLAINTEXT'],
          ['oauth_signature', `${reg.consumerSecret}&`],
          ['oauth_callback', cb],
        ]);
        assert.equal(a.status, 400, `${cb}: ${a.status} ${a.text}`);
      }
    });

    it('the authorization page refuses them, on the page and on a forged POST', async () => {
      for (const cb of ESCAPES) {
        const token = await launchpadToken(reg.consumerKey, reg.consumerSecret);
        const page = await pageWith(token, cb);
        assert.equal(page.status, 400, `${cb}: ${page.status}`);
        const good = await pageWith(token, `${REGISTERED}/ok`);
        assert.equal(good.status, 200, good.text);
        const post = await alice.request(`${r.base}/+authorize-token`, {
          method: 'POST',
          body: new URLSearchParams({
            csrf: alice.csrfOf(good.text),
            oauth_token: token,
            oauth_callback: cb,
            permission: 'READ_PUBLIC',
          }),
        });
        assert.equal(post.status, 400, `${cb}: ${post.status}`);
        assert.equal(post.headers.get('location'), null);
        assert.equal((await r.store.getRequestToken(token))?.grant, undefined, cb);
      }
    });

    it('every redirect goes to the registered host, whatever the admitted spelling', async () => {
      for (const cb of FITS) {
        const t = await rfcToken(reg, cb);
        const { posted } = await alice.decide(r.base, `/oauth/authorize?oauth_token=${t.token}`, {
          permission: 'READ_PUBLIC',
        });
        assert.equal(posted?.status, 303, cb);
        const to = new URL(posted!.headers.get('location')!);
        assert.equal(to.origin, 'https://cb.example', cb);
        assert.ok(to.pathname === '/cb' || to.pathname.startsWith('/cb/'), cb);
        assert.equal(to.searchParams.get('oauth_token'), t.token);
      }
    });

    it('an open consumer: unreadable spellings are refused; the host is shown; No Access stays here', async () => {
      for (const cb of UNREADABLE) {
        const page = await pageWith(await launchpadToken('open attacked'), cb);
        assert.equal(page.status, 400, `${cb}: ${page.status}`);
      }
      for (const [cb, host] of [
        ['https://evil.example/x', 'evil.example'],
        ['https://EVIL.example:8443/x', 'evil.example:8443'],
        ['https://xn--bcher-kva.example/x', 'xn--bcher-kva.example'],
      ] as const) {
        const refuse = await alice.decide(
          r.base,
          `/+authorize-token?oauth_token=${await launchpadToken('open attacked')}&oauth_callback=${encodeURIComponent(cb)}`,
          { permission: 'UNAUTHORIZED' },
        );
        assert.equal(refuse.shown.status, 200, `${cb}: ${refuse.shown.text}`);
        const shownAt = refuse.shown.text.indexOf(host);
        assert.ok(shownAt > 0 && shownAt < refuse.shown.text.indexOf('name="permission"'), cb);
        assert.equal(refuse.posted?.status, 200, cb);
        assert.equal(refuse.posted?.headers.get('location'), null, cb);
        // A grant, after the host was shown, goes there: to the host shown and no other.
        const grant = await alice.decide(
          r.base,
          `/+authorize-token?oauth_token=${await launchpadToken('open attacked')}&oauth_callback=${encodeURIComponent(cb)}`,
          { permission: 'READ_PUBLIC' },
        );
        assert.equal(grant.posted?.status, 303, cb);
        assert.equal(new URL(grant.posted!.headers.get('location')!).host, host);
      }
    });

    it('an RFC token of an open consumer: No Access does not go to its unregistered callback', async () => {
      const open: Creds = { consumerKey: 'open rfc', consumerSecret: '' };
      await r.store.createConsumer({ key: open.consumerKey, secret: '', origin: 'open' });
      const t = await rfcToken(open, 'https://evil.example/steal');
      const { shown, posted } = await alice.decide(
        r.base,
        `/oauth/authorize?oauth_token=${t.token}`,
        { permission: 'UNAUTHORIZED' },
      );
      assert.match(shown.text, /evil\.example/);
      assert.match(shown.text, /Unverified application/);
      assert.equal(posted?.status, 200);
      assert.equal(posted?.headers.get('location'), null);
    });

    it('a registered client’s redirect_uris: no prefix, host or dot-segment tricks', async () => {
      const a = await call(`${r.base}/api/client/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          type: 'client_associate',
          application_name: 'Legit',
          redirect_uris: 'https://legit.example/cb',
        }).toString(),
      });
      assert.equal(a.status, 200, a.text);
      const { client_id, client_secret } = JSON.parse(a.text) as Record<string, string>;
      const creds = { consumerKey: client_id!, consumerSecret: client_secret! };
      for (const cb of [
        'https://evil.example/steal',
        'https://legit.example/cbx',
        'https://legit.example.evil.example/cb',
        'https://legit.example/cb/%2e%2e/steal',
        'https://legit.example@evil.example/cb',
        'http://legit.example/cb',
      ]) {
        assert.equal((await rfcRequestToken(creds, cb)).status, 400, cb);
      }
      assert.equal((await rfcRequestToken(creds, 'https://legit.example/cb/x')).status, 200);
      // Registered callbacks must read one way too.
      for (const uri of ['https://legit.example/cb/../x', 'https://a@legit.example/cb']) {
        const bad = await call(`${r.base}/api/client/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'client_associate', redirect_uris: uri }),
        });
        assert.equal(bad.status, 400, `${uri}: ${bad.text}`);
      }
      assert.equal((await rfcRequestToken(creds, 'oob')).status, 200);
    });
  });

  describe('verifier skipping', () => {
    async function reviewedRfcToken() {
      const t = await rfcToken(reg, 'oob');
      const { verifier } = await review(r, t.token, 'WRITE_PRIVATE');
      return { ...t, verifier, creds: { ...reg, token: t.token, tokenSecret: t.secret } };
    }

    it('at /+access-token, by any method, signature method and placement', async () => {
      const t = await reviewedRfcToken();
      const attempts: [string, () => Promise<Answer>][] = [
        [
          'POST form PLAINTEXT',
          () =>
            signedCall(`${r.base}/+access-token`, t.creds, {
              method: 'POST',
              signatureMethod: 'PLAINTEXT',
              placement: 'body',
            }),
        ],
        [
          'GET query PLAINTEXT',
          () =>
            signedCall(`${r.base}/+access-token`, t.creds, {
              signatureMethod: 'PLAINTEXT',
              placement: 'query',
            }),
        ],
        [
          'GET header HMAC-SHA1',
          () => signedCall(`${r.base}/+access-token`, t.creds, { placement: 'header' }),
        ],
        [
          'POST header HMAC-SHA256',
          () =>
            signedCall(`${r.base}/+access-token`, t.creds, {
              method: 'POST',
              signatureMethod: 'HMAC-SHA256',
            }),
        ],
        [
          'POST empty verifier',
          () =>
            signedCall(`${r.base}/+access-token`, t.creds, {
              method: 'POST',
              signatureMethod: 'PLAINTEXT',
              verifier: '',
            }),
        ],
        [
          'POST wrong verifier',
          () =>
            signedCall(`${r.base}/+access-token`, t.creds, {
              method: 'POST',
              signatureMethod: 'PLAINTEXT',
              verifier: 'x'.repeat(t.verifier.length),
            }),
        ],
        [
          'launchpadlib-style bare PLAINTEXT form',
          () =>
            postForm(`${r.base}/+access-token`, [
              ['oauth_consumer_key', reg.consumerKey],
              ['oauth_token', t.token],
              ['oauth_signature_method', 'PLAINTEXT'],
              ['oauth_signature', `${reg.consumerSecret}&${t.secret}`],
            ]),
        ],
        [
          '/oauth/access_token without verifier',
          () => signedCall(`${r.base}/oauth/access_token`, t.creds, { method: 'POST' }),
        ],
        [
          '/oauth/access_token wrong verifier',
          () =>
            signedCall(`${r.base}/oauth/access_token`, t.creds, {
              method: 'POST',
              verifier: 'nope',
            }),
        ],
      ];
      for (const [what, attempt] of attempts) {
        const a = await attempt();
        assert.ok(a.status === 400 || a.status === 401, `${what}: ${a.status} ${a.text}`);
      }
      // None of them spent the token: the honest exchange still works, once.
      const ok = await signedCall(`${r.base}/oauth/access_token`, t.creds, {
        method: 'POST',
        verifier: t.verifier,
      });
      assert.equal(ok.status, 200, ok.text);
    });

    it('a Launchpad token still needs no verifier at /+access-token', async () => {
      const token = await launchpadToken(reg.consumerKey, reg.consumerSecret);
      await review(r, token, 'READ_PUBLIC');
      const secret = (await r.store.getRequestToken(token))!.secret;
      const a = await postForm(`${r.base}/+access-token`, [
        ['oauth_consumer_key', reg.consumerKey],
        ['oauth_token', token],
        ['oauth_signature_method', 'PLAINTEXT'],
        ['oauth_signature', `${reg.consumerSecret}&${secret}`],
      ]);
      assert.equal(a.status, 200, a.text);
    });
  });

  describe('realm smuggling', () => {
    const withRealm = (url: string, creds: Creds, realm: string, opts = {}) => {
      const s = signed(url, creds, { method: 'POST', ...opts });
      const headers = s.init.headers as Record<string, string>;
      headers['authorization'] = headers['authorization']!.replace(
        /^OAuth /,
        `OAuth realm="${realm}", `,
      );
      return call(s.url, s.init);
    };

    it('no realm asked for anywhere ends up granted', async () => {
      // In the request-token header, in the query (a plain signed parameter), and in the
      // header of the exchange itself.
      const viaHeader = await withRealm(`${r.base}/oauth/request_token`, reg, 'admin everything', {
        callback: 'oob',
      });
      const viaQuery = await signedCall(`${r.base}/oauth/request_token?realm=admin`, reg, {
        method: 'POST',
        callback: 'oob',
      });
      for (const a of [viaHeader, viaQuery]) {
        assert.equal(a.status, 200, a.text);
        const f = form(a.text);
        const { verifier } = await review(r, f['oauth_token']!, 'READ_PUBLIC');
        const x = await withRealm(
          `${r.base}/oauth/access_token`,
          { ...reg, token: f['oauth_token']!, tokenSecret: f['oauth_token_secret']! },
          'admin',
          { verifier },
        );
        assert.equal(x.status, 200, x.text);
        assert.equal(form(x.text)['oauth_authorized_realms'], undefined, x.text);
        const stored = await r.store.listAccessTokens({ userId: 'alice' });
        assert.ok(stored.every((s) => s.realms === undefined));
      }
      // Launchpad's endpoints, header realm.
      const lp = await withRealm(`${r.base}/+request-token`, reg, 'admin', {
        signatureMethod: 'PLAINTEXT',
      });
      assert.equal(lp.status, 200, lp.text);
      const lf = form(lp.text);
      await review(r, lf['oauth_token']!, 'READ_PUBLIC');
      const lx = await withRealm(
        `${r.base}/+access-token`,
        { ...reg, token: lf['oauth_token']!, tokenSecret: lf['oauth_token_secret']! },
        'admin',
        { signatureMethod: 'PLAINTEXT' },
      );
      assert.equal(lx.status, 200, lx.text);
      assert.equal(form(lx.text)['oauth_authorized_realms'], undefined);
    });
  });

  describe('Launchpad exchange without a token', () => {
    it('answers 401 No request token specified. however the token is left out', async () => {
      const base: [string, string][] = [
        ['oauth_consumer_key', reg.consumerKey],
        ['oauth_signature_method', 'PLAINTEXT'],
        ['oauth_signature', `${reg.consumerSecret}&`],
      ];
      const answers = [
        await postForm(`${r.base}/+access-token`, base),
        await postForm(`${r.base}/+access-token`, [...base, ['oauth_token', '']]),
        await call(`${r.base}/+access-token?${new URLSearchParams(base)}`),
        await call(`${r.base}/+access-token`, {
          headers: {
            authorization: `OAuth oauth_consumer_key="${encodeURIComponent(reg.consumerKey)}", oauth_signature_method="PLAINTEXT", oauth_signature="${reg.consumerSecret}%26"`,
          },
        }),
      ];
      for (const a of answers) {
        assert.equal(a.status, 401, a.text);
        assert.equal(a.text, 'No request token specified.');
      }
    });
  });
});
