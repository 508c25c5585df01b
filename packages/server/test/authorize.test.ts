// The resource-owner authorization helpers, RFC 5849 §2.2.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthorizationEndpoint } from '../src/endpoints/authorize.js';
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
