// The token-credentials endpoint, RFC 5849 §2.3, and the contract's exact error answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAccessTokenEndpoint } from '../src/endpoints/access_token.js';
import { createAuthorizationEndpoint } from '../src/endpoints/authorize.js';
import { createRequestTokenEndpoint } from '../src/endpoints/request_token.js';
import type { Flavour } from '../src/options.js';
import { BASE, clock, form, NOW, seededStore, signed } from './helpers.js';

const path = '/oauth/access_token';

async function setup(flavour: Flavour = 'rfc5849', now: () => number = clock) {
  const store = seededStore();
  const common = { store, publicUrl: BASE, clock: now, flavour };
  const requestTokens = createRequestTokenEndpoint(common);
  const authorize = createAuthorizationEndpoint({ store, clock: now });
  const exchange = createAccessTokenEndpoint({
    ...common,
    extraCredentials: ({ accessToken }) => [['x_user', accessToken.userId]],
  });
  const issued = form(
    await requestTokens(
      signed({
        path: '/rt',
        ...(flavour === 'rfc5849' ? { callback: 'https://client.example/cb' } : {}),
      }),
    ),
  );
  const token = issued['oauth_token']!;
  const tokenSecret = issued['oauth_token_secret']!;
  return { store, authorize, exchange, token, tokenSecret };
}

describe('access-token endpoint, RFC 5849 flavour (§2.3)', () => {
  it('exchanges a reviewed request token once, with realms and extra credentials', async () => {
    const { store, authorize, exchange, token, tokenSecret } = await setup();
    const done = await authorize.decide({
      token,
      userId: 'alice',
      permission: 'WRITE_PUBLIC',
      realms: ['photos', 'videos'],
    });
    assert.ok(done.ok);
    const r = await exchange(signed({ path, token, tokenSecret, verifier: done.verifier }));
    assert.equal(r.status, 200, r.body);
    const f = form(r);
    assert.equal(f['oauth_authorized_realms'], 'photos videos');
    assert.equal(f['x_user'], 'alice');
    assert.equal(f['lp.context'], undefined);
    const at = await store.getAccessToken(f['oauth_token']!);
    assert.equal(at?.secret, f['oauth_token_secret']);
    assert.equal(at?.permission, 'WRITE_PUBLIC');
    assert.equal(at?.userId, 'alice');
    assert.equal(await store.getRequestToken(token), undefined);
  });
  it('answers no oauth_authorized_realms when none were granted', async () => {
    const { authorize, exchange, token, tokenSecret } = await setup();
    const done = await authorize.decide({ token, userId: 'alice', permission: 'READ_PUBLIC' });
    assert.ok(done.ok);
    const f = form(await exchange(signed({ path, token, tokenSecret, verifier: done.verifier })));
    assert.equal(f['oauth_authorized_realms'], undefined);
  });
  it('refuses a reused request token', async () => {
    const { authorize, exchange, token, tokenSecret } = await setup();
    const done = await authorize.decide({ token, userId: 'alice', permission: 'READ_PUBLIC' });
    assert.ok(done.ok);
    assert.equal(
      (await exchange(signed({ path, token, tokenSecret, verifier: done.verifier }))).status,
      200,
    );
    const again = await exchange(signed({ path, token, tokenSecret, verifier: done.verifier }));
    assert.equal(again.status, 401);
    assert.equal(again.body, 'No request token specified.');
  });
  it('requires oauth_verifier', async () => {
    const { authorize, exchange, token, tokenSecret } = await setup();
    await authorize.decide({ token, userId: 'alice', permission: 'READ_PUBLIC' });
    const r = await exchange(signed({ path, token, tokenSecret }));
    assert.equal(r.status, 400);
    assert.equal(form(r)['error_description'], 'Missing OAuth parameter oauth_verifier.');
  });
  it('refuses a wrong verifier', async () => {
    const { store, authorize, exchange, token, tokenSecret } = await setup();
    await authorize.decide({ token, userId: 'alice', permission: 'READ_PUBLIC' });
    const r = await exchange(signed({ path, token, tokenSecret, verifier: 'guess' }));
    assert.equal(r.status, 401);
    assert.equal(r.body, 'Invalid verifier.');
    assert.match(r.headers['www-authenticate'] ?? '', /oauth_problem="verifier_invalid"/);
    assert.ok(await store.getRequestToken(token), 'a wrong verifier does not retire the token');
  });
  it('refuses a missing request token', async () => {
    const { exchange } = await setup();
    const r = await exchange(signed({ path, token: 'unknown', tokenSecret: 'x', verifier: 'v' }));
    assert.equal(r.status, 401);
    assert.equal(r.body, 'No request token specified.');
  });
  it("refuses another consumer's request token", async () => {
    const { authorize, exchange, token, tokenSecret } = await setup();
    const done = await authorize.decide({ token, userId: 'alice', permission: 'READ_PUBLIC' });
    assert.ok(done.ok);
    const r = await exchange(
      signed({
        path,
        consumerKey: 'fenced-key',
        consumerSecret: 'fenced-secret',
        token,
        tokenSecret,
        verifier: done.verifier,
      }),
    );
    assert.equal(r.status, 401);
    assert.equal(r.body, 'No request token specified.');
  });
  it('refuses an unreviewed request token', async () => {
    const { exchange, token, tokenSecret } = await setup();
    const r = await exchange(signed({ path, token, tokenSecret, verifier: 'v' }));
    assert.equal(r.status, 401);
    assert.equal(r.body, 'Request token has not yet been reviewed. Try again later.');
  });
  it('refuses a token the person refused', async () => {
    const { authorize, exchange, token, tokenSecret } = await setup();
    const done = await authorize.decide({ token, userId: 'alice', permission: 'UNAUTHORIZED' });
    assert.ok(done.ok);
    const r = await exchange(signed({ path, token, tokenSecret, verifier: done.verifier }));
    assert.equal(r.status, 403);
    assert.equal(r.body, 'End-user refused to authorize request token.');
  });
  it('refuses an expired request token', async () => {
    let now = NOW;
    const { authorize, exchange, token, tokenSecret } = await setup('rfc5849', () => now);
    const done = await authorize.decide({ token, userId: 'alice', permission: 'READ_PUBLIC' });
    assert.ok(done.ok);
    now = NOW + 7_200_000;
    const r = await exchange(
      signed({ path, token, tokenSecret, verifier: done.verifier, timestamp: String(now / 1000) }),
    );
    assert.equal(r.status, 403);
    assert.equal(
      r.body,
      'This request token has expired and can no longer be exchanged for an access token.',
    );
  });
  it('refuses a token whose grant has already expired', async () => {
    const { authorize, exchange, token, tokenSecret } = await setup();
    const done = await authorize.decide({
      token,
      userId: 'alice',
      permission: 'DESKTOP_INTEGRATION',
      expiresAt: NOW,
    });
    assert.ok(done.ok);
    const r = await exchange(signed({ path, token, tokenSecret, verifier: done.verifier }));
    assert.equal(r.status, 403);
    assert.match(r.body, /^This request token has expired/);
  });
  it('refuses a wrong signature', async () => {
    const { authorize, exchange, token } = await setup();
    const done = await authorize.decide({ token, userId: 'alice', permission: 'READ_PUBLIC' });
    assert.ok(done.ok);
    const r = await exchange(
      signed({ path, token, tokenSecret: 'not-the-secret', verifier: done.verifier }),
    );
    assert.equal(r.status, 401);
    assert.equal(r.body, 'Invalid OAuth signature.');
    assert.match(
      r.headers['www-authenticate'] ?? '',
      /^OAuth realm="https:\/\/api.example.com\/", oauth_problem="signature_invalid"$/,
    );
  });
  it('of 120 concurrent exchanges of one request token, exactly one succeeds', async () => {
    const { store, authorize, exchange, token, tokenSecret } = await setup();
    const done = await authorize.decide({ token, userId: 'alice', permission: 'READ_PUBLIC' });
    assert.ok(done.ok);
    const answers = await Promise.all(
      Array.from({ length: 120 }, () =>
        exchange(signed({ path, token, tokenSecret, verifier: done.verifier })),
      ),
    );
    const winners = answers.filter((a) => a.status === 200);
    assert.equal(winners.length, 1);
    for (const a of answers)
      if (a.status !== 200) assert.equal(a.body, 'No request token specified.');
    assert.ok(await store.getAccessToken(form(winners[0]!)['oauth_token']!));
    assert.equal(store.listAccessTokens('alice').length, 1);
  });
});

describe('access-token endpoint, Launchpad flavour', () => {
  it('needs no verifier and answers lp.context', async () => {
    const { authorize, exchange, token, tokenSecret } = await setup('launchpad');
    const done = await authorize.decide({
      token,
      userId: 'alice',
      permission: 'WRITE_PRIVATE',
      context: 'firefox',
    });
    assert.ok(done.ok);
    const r = await exchange(
      signed({ path: '/+access-token', token, tokenSecret, signatureMethod: 'PLAINTEXT' }),
    );
    assert.equal(r.status, 200, r.body);
    assert.equal(form(r)['lp.context'], 'firefox');
  });
  it('answers lp.context=None without a context', async () => {
    const { authorize, exchange, token, tokenSecret } = await setup('launchpad');
    await authorize.decide({ token, userId: 'alice', permission: 'READ_PUBLIC' });
    const body = `oauth_consumer_key=app-key&oauth_token=${token}&oauth_signature_method=PLAINTEXT&oauth_signature=app-secret%26${tokenSecret}`;
    const r = await exchange({
      method: 'POST',
      url: '/+access-token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    assert.equal(r.status, 200, r.body);
    assert.equal(form(r)['lp.context'], 'None');
  });
  it('still refuses a wrong verifier when one is sent', async () => {
    const { authorize, exchange, token, tokenSecret } = await setup('launchpad');
    await authorize.decide({ token, userId: 'alice', permission: 'READ_PUBLIC' });
    const r = await exchange(
      signed({ path: '/+access-token', token, tokenSecret, verifier: 'wrong' }),
    );
    assert.equal(r.body, 'Invalid verifier.');
  });
});

describe('issue #9: what an exchange may not skip or add', () => {
  it('an RFC 5849 request token needs its verifier at a Launchpad-flavour endpoint too', async () => {
    const { store, authorize, token, tokenSecret } = await setup('rfc5849');
    assert.equal((await store.getRequestToken(token))?.protocol, 'rfc5849');
    const done = await authorize.decide({ token, userId: 'alice', permission: 'READ_PUBLIC' });
    assert.ok(done.ok);
    const launchpad = createAccessTokenEndpoint({
      store,
      publicUrl: BASE,
      clock,
      flavour: 'launchpad',
    });
    const skipped = await launchpad(signed({ path: '/+access-token', token, tokenSecret }));
    assert.equal(skipped.status, 400, skipped.body);
    const ok = await launchpad(
      signed({ path: '/+access-token', token, tokenSecret, verifier: done.verifier }),
    );
    assert.equal(ok.status, 200, ok.body);
  });
  it('realms asked for with the request token are not granted by themselves', async () => {
    const { store, authorize, exchange, token, tokenSecret } = await setup();
    const stored = (await store.getRequestToken(token))!;
    await store.createRequestToken({ ...stored, token: `${token}-r`, realms: ['admin'] });
    const done = await authorize.decide({
      token: `${token}-r`,
      userId: 'alice',
      permission: 'READ_PUBLIC',
    });
    assert.ok(done.ok);
    const f = form(
      await exchange(signed({ path, token: `${token}-r`, tokenSecret, verifier: done.verifier })),
    );
    assert.equal(f['oauth_authorized_realms'], undefined);
  });
  it('a Launchpad exchange without oauth_token is 401 No request token specified.', async () => {
    const { exchange } = await setup('launchpad');
    const r = await exchange(signed({ path: '/+access-token' }));
    assert.equal(r.status, 401);
    assert.equal(r.body, 'No request token specified.');
  });
});
