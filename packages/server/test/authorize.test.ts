// The resource-owner authorization helpers, RFC 5849 §2.2.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError } from '@signet/core';
import { callbackRedirect, createAuthorizationEndpoint } from '../src/endpoints/authorize.js';
import { callbackFits, isValidCallback } from '../src/validate.js';
import { CONSUMER, NOW, seededStore } from './helpers.js';

async function setup(callback: string | undefined, now = () => NOW) {
  const store = seededStore();
  await store.createRequestToken({
    token: 'rt1',
    secret: 'rs1',
    consumerKey: CONSUMER.key,
    callback,
    createdAt: NOW,
    expiresAt: NOW + 1000,
  });
  return { store, authorize: createAuthorizationEndpoint({ store, clock: now }) };
}

describe('authorization helpers (§2.2)', () => {
  it('looks up the request token and its consumer for the page', async () => {
    const { authorize } = await setup('oob');
    const page = await authorize.lookup('rt1');
    assert.ok(page.ok);
    assert.equal(page.consumer.name, CONSUMER.name);
    assert.equal(page.requestToken.token, 'rt1');
  });
  it('reports an unknown, expired or reviewed token', async () => {
    let now = NOW;
    const { authorize } = await setup('oob', () => now);
    const unknown = await authorize.lookup('nope');
    assert.ok(!unknown.ok && unknown.error.message === 'Unknown request token.');
    const empty = await authorize.lookup('');
    assert.ok(!empty.ok && empty.error.status === 400);
    assert.ok(
      (await authorize.decide({ token: 'rt1', userId: 'a', permission: 'READ_PUBLIC' })).ok,
    );
    const reviewed = await authorize.lookup('rt1');
    assert.ok(
      !reviewed.ok && reviewed.error.message === 'This request token has already been reviewed.',
    );
    const second = await authorize.decide({
      token: 'rt1',
      userId: 'b',
      permission: 'WRITE_PRIVATE',
    });
    assert.ok(!second.ok);
    now = NOW + 1000;
    const { authorize: late } = await setup('oob', () => now);
    const expired = await late.lookup('rt1');
    assert.ok(!expired.ok && expired.error.message === 'This request token has expired.');
  });
  it('records the decision and redirects to the callback, keeping its query and fragment', async () => {
    const { store, authorize } = await setup('https://client.example/cb?state=a%20b#frag');
    const done = await authorize.decide({
      token: 'rt1',
      userId: 'alice',
      permission: 'READ_PRIVATE',
      context: 'firefox',
      realms: ['photos'],
      expiresAt: NOW + 3_600_000,
    });
    assert.ok(done.ok);
    assert.match(done.verifier, /^[0-9a-f]{32}$/);
    assert.equal(
      done.redirect,
      `https://client.example/cb?state=a%20b&oauth_token=rt1&oauth_verifier=${done.verifier}#frag`,
    );
    const stored = await store.getRequestToken('rt1');
    assert.equal(stored?.verifier, done.verifier);
    assert.deepEqual(
      { ...stored?.grant },
      {
        userId: 'alice',
        permission: 'READ_PRIVATE',
        context: 'firefox',
        realms: ['photos'],
        expiresAt: NOW + 3_600_000,
      },
    );
    assert.equal(stored?.reviewedAt, NOW);
  });
  it('gives the verifier and no redirect for oob', async () => {
    const { authorize } = await setup('oob');
    const done = await authorize.decide({
      token: 'rt1',
      userId: 'alice',
      permission: 'READ_PUBLIC',
    });
    assert.ok(done.ok);
    assert.equal(done.redirect, undefined);
    assert.equal(done.verifier.length, 32);
  });
  it('draws a different verifier each time', async () => {
    const a = await (await setup('oob')).authorize.decide({
      token: 'rt1',
      userId: 'x',
      permission: 'READ_PUBLIC',
    });
    const b = await (await setup('oob')).authorize.decide({
      token: 'rt1',
      userId: 'x',
      permission: 'READ_PUBLIC',
    });
    assert.ok(a.ok && b.ok);
    assert.notEqual(a.verifier, b.verifier);
  });
  it("uses the page's callback for a Launchpad token without one, and validates it", async () => {
    const { authorize } = await setup(undefined);
    const bad = await authorize.decide({
      token: 'rt1',
      userId: 'x',
      permission: 'READ_PUBLIC',
      callback: 'javascript:alert(1)',
    });
    assert.ok(!bad.ok && bad.error.status === 400);
    const done = await authorize.decide({
      token: 'rt1',
      userId: 'x',
      permission: 'READ_PUBLIC',
      callback: 'http://localhost:9/done?',
    });
    assert.ok(done.ok);
    assert.equal(
      done.redirect,
      `http://localhost:9/done?oauth_token=rt1&oauth_verifier=${done.verifier}`,
    );
  });
  it('never throws on nonsense', async () => {
    const { authorize } = await setup('oob');
    const r = await authorize.decide(null as never);
    assert.equal(r.ok, false);
    assert.equal((await authorize.lookup(42 as never)).ok, false);
  });
});

describe('the callback policy (issue #9: callbacks compared as raw text)', () => {
  const REGISTERED = 'https://cb.example/cb';
  for (const fits of [
    'https://cb.example/cb',
    'https://cb.example/cb/',
    'https://cb.example/cb/done?x=1',
    'https://CB.EXAMPLE/cb/x',
    'https://cb.example:443/cb',
    'https://cb.example/cb#frag',
    'oob',
  ]) {
    it(`admits ${fits}`, () => assert.equal(callbackFits(fits, REGISTERED), true));
  }
  for (const bad of [
    'https://cb.example/cb/%2e%2e/%2e%2e/evil',
    'https://cb.example/cb/%2E%2e/evil',
    'https://cb.example/cb/../evil',
    'https://cb.example/cb/./x',
    'https://cb.example/cb/..;/evil',
    'https://cb.example/cb/%252e%252e/evil',
    'https://cb.example/cb\\..\\evil',
    'https://cb.example/cb/%5c..%5cevil',
    'https://cb.example/cb%2f..%2fevil',
    'https://cb.example/cb/%u002e%u002e/evil',
    'https://cb.example/cb/%C0%AE%C0%AE/evil',
    'https://cb.example/cb/..%00/evil',
    'https://cb.example/cb/..%3B/evil',
    'https://cb.example/cbx',
    'https://cb.example/c',
    'https://cb.example@evil.example/cb',
    'https://user@cb.example/cb',
    'https://cb.example:8443/cb',
    'http://cb.example/cb',
    'https://cb.example.evil.example/cb',
    'https://evil.example/cb#https://cb.example/cb',
    'https://cb.еxample/cb',
    'http:evil.example',
    'https:\\\\evil.example',
    'https:/cb.example/cb',
    'javascript://cb.example/cb',
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.equal(callbackFits(bad, REGISTERED), false));
  }
  it('admits a callback that fits any of several registered ones, by whole segments', () => {
    const list = ['https://a.example/one', 'https://b.example/two/'];
    assert.equal(callbackFits('https://b.example/two/x', list), true);
    assert.equal(callbackFits('https://a.example/one/x', list), true);
    assert.equal(callbackFits('https://a.example/onex', list), false);
    assert.equal(callbackFits('https://c.example/one', list), false);
  });
  it('refuses unreadable spellings even for a consumer without registered callbacks', () => {
    assert.equal(isValidCallback('https://evil.example/x'), true);
    for (const bad of ['http:evil.example', 'https:\\\\evil.example', 'https://a@evil.example/']) {
      assert.equal(isValidCallback(bad), false, bad);
    }
  });
  it('builds the redirect from the parsed URL, keeping its query and fragment', () => {
    assert.equal(
      callbackRedirect('https://app.example/cb?a=%7Eb&c=d+e#f', 'T', 'V'),
      'https://app.example/cb?a=%7Eb&c=d+e&oauth_token=T&oauth_verifier=V#f',
    );
    assert.equal(
      callbackRedirect('https://APP.example/cb', 'T', 'V'),
      'https://app.example/cb?oauth_token=T&oauth_verifier=V',
    );
  });
});

describe('decisions (issue #9)', () => {
  it('never redirects a refusal to a callback the consumer did not register', async () => {
    const store = seededStore();
    store.addConsumer({ key: 'open', secret: '', name: 'Open' });
    await store.createRequestToken({
      token: 'rt-open',
      secret: 's',
      consumerKey: 'open',
      createdAt: NOW,
      expiresAt: NOW + 1000,
    });
    const authorize = createAuthorizationEndpoint({ store, clock: () => NOW });
    const page = await authorize.lookup('rt-open', 'https://elsewhere.example/x');
    assert.ok(page.ok);
    assert.equal(page.callbackHost, 'elsewhere.example');
    assert.equal(page.callbackRegistered, false);
    const done = await authorize.decide({
      token: 'rt-open',
      userId: 'a',
      permission: 'UNAUTHORIZED',
      callback: 'https://elsewhere.example/x',
    });
    assert.ok(done.ok);
    assert.equal(done.redirect, undefined);
  });
  it('refuses unknown permissions and what checkDecision refuses, recording nothing', async () => {
    const { store } = await setup('oob');
    const authorize = createAuthorizationEndpoint({
      store,
      clock: () => NOW,
      permissions: ['UNAUTHORIZED', 'READ_PUBLIC'],
      checkDecision: (d) => {
        if (d.userId !== 'alice') throw new OAuthError('ERR_OAUTH_AUTHORIZATION', 'Who?');
      },
    });
    const odd = await authorize.decide({ token: 'rt1', userId: 'alice', permission: 'ROOT' });
    assert.ok(!odd.ok && odd.error.status === 400);
    const who = await authorize.decide({ token: 'rt1', userId: 'eve', permission: 'READ_PUBLIC' });
    assert.ok(!who.ok && who.error.message === 'Who?');
    assert.equal((await store.getRequestToken('rt1'))?.grant, undefined);
  });
});
