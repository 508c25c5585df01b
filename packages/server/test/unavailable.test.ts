// A store that cannot answer (database down, locked, full; Redis down) is a 503 with
// Retry-After at every endpoint; any other failure stays a bare 500.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthorizationEndpoint } from '../src/endpoints/authorize.js';
import { createRequestTokenEndpoint } from '../src/endpoints/request_token.js';
import { createResourceEndpoint } from '../src/endpoints/resource.js';
import { StoreUnavailableError } from '../src/errors.js';
import { BASE, clock, issueAccessToken, seededStore, signed } from './helpers.js';

function failing(
  store: ReturnType<typeof seededStore>,
  method: 'getConsumer' | 'useNonce',
  error: Error,
) {
  const original = store[method].bind(store);
  let armed = false;
  (store as unknown as Record<string, unknown>)[method] = async (...args: never[]) => {
    if (armed) throw error;
    return (original as (...a: never[]) => unknown)(...args);
  };
  return () => {
    armed = true;
  };
}

describe('a store that is unavailable', () => {
  const down = () => new StoreUnavailableError('The database is unavailable.', { retryAfter: 5 });

  it('is a 503 with Retry-After at the request-token endpoint', async () => {
    const store = seededStore();
    failing(store, 'getConsumer', down())();
    const endpoint = createRequestTokenEndpoint({ store, publicUrl: BASE, clock });
    const res = await endpoint(signed({ path: '/request_token', callback: 'oob' }));
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '5');
    assert.equal(res.body, 'The database is unavailable.');
  });

  it('is a 503 at the resource endpoint when the nonce store is down, never an admission', async () => {
    const store = seededStore();
    const { token, secret } = await issueAccessToken(store);
    const arm = failing(store, 'useNonce', down());
    arm();
    const endpoint = createResourceEndpoint({ store, publicUrl: BASE, clock });
    const result = await endpoint(
      signed({ method: 'GET', path: '/api/x', token, tokenSecret: secret }),
    );
    assert.ok(!result.ok);
    assert.equal(result.response.status, 503);
    assert.equal(result.response.headers['retry-after'], '5');
  });

  it('is still a bare 500 for any other failure, its message unshown', async () => {
    const store = seededStore();
    failing(store, 'getConsumer', new Error('secret connection string'))();
    const endpoint = createRequestTokenEndpoint({ store, publicUrl: BASE, clock });
    const res = await endpoint(signed({ path: '/request_token', callback: 'oob' }));
    assert.equal(res.status, 500);
    assert.equal(res.headers['retry-after'], undefined);
    assert.doesNotMatch(res.body, /secret/);
  });

  it('is a 503 failure from the authorization helpers', async () => {
    const store = seededStore();
    failing(store, 'getConsumer', down())();
    await store.createRequestToken({
      token: 'rt',
      secret: 's',
      consumerKey: 'app-key',
      createdAt: clock(),
      expiresAt: clock() + 1000,
    });
    const authorize = createAuthorizationEndpoint({ store, clock });
    const r = await authorize.lookup('rt');
    assert.ok(!r.ok);
    assert.equal(r.error.status, 503);
    assert.equal(r.error.message, 'The database is unavailable.');
  });
});
