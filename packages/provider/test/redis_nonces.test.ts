import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SecretBox } from '../src/crypto/secret_box.js';
import { openDatabase } from '../src/db/connect.js';
import { RedisNonceStore } from '../src/stores/redis_nonces.js';
import { SqlStore } from '../src/stores/sql.js';
import { REDIS_URL } from './helpers.js';

describe('RedisNonceStore (real Redis)', () => {
  const prefix = `signet-test:${process.pid}:${randomBytes(4).toString('hex')}:`;
  const clock = Date.now();
  let nonces: RedisNonceStore;
  before(async () => {
    nonces = RedisNonceStore.connect(REDIS_URL, { prefix, now: () => clock });
    await nonces.start();
    // As if this Redis had kept its data for ten minutes: requests of the last minute pass.
    await nonces.redis.set(nonces.epochKey, String(clock - 600_000));
  });
  after(async () => {
    const keys = await nonces.redis.keys(`${prefix}*`);
    if (keys.length > 0) await nonces.redis.del(...keys);
    await nonces.close();
  });
  const second = String(Math.floor(clock / 1000));
  const nonce = () => ({
    consumerKey: `ck-${randomBytes(4).toString('hex')}`,
    token: 'tk',
    timestamp: String(Math.floor(clock / 1000)),
    nonce: randomBytes(8).toString('hex'),
  });

  it('accepts a nonce once and refuses the replay', async () => {
    const n = nonce();
    assert.equal(await nonces.useNonce(n, clock + 60_000), true);
    assert.equal(await nonces.useNonce({ ...n }, clock + 60_000), false);
    assert.equal(await nonces.useNonce({ ...n, token: '' }, clock + 60_000), true);
    assert.equal(await nonces.useNonce({ ...n, nonce: 'other' }, clock + 60_000), true);
  });
  it('keeps parts apart whatever they contain', async () => {
    const base = randomBytes(4).toString('hex');
    assert.equal(
      await nonces.useNonce(
        { consumerKey: `${base}:a`, token: 'b', timestamp: second, nonce: 'c' },
        clock + 60_000,
      ),
      true,
    );
    assert.equal(
      await nonces.useNonce(
        { consumerKey: base, token: 'a:b', timestamp: second, nonce: 'c' },
        clock + 60_000,
      ),
      true,
    );
  });
  it('lets Redis expire the key with the replay window', async () => {
    const n = nonce();
    assert.equal(await nonces.useNonce(n, clock + 60_000), true);
    const keys = (await nonces.redis.keys(`${prefix}*`)).filter((k) => k !== nonces.epochKey);
    const ttls = await Promise.all(keys.map((k) => nonces.redis.pttl(k)));
    assert.ok(
      ttls.every((t) => t > 0 && t <= 60_000),
      `TTLs ${ttls.join(',')}`,
    );
    // A window already over still takes the shortest TTL rather than an error or no expiry.
    const late = nonce();
    assert.equal(await nonces.useNonce(late, clock - 5), true);
  });
  it('of 128 concurrent uses of one nonce, exactly one is accepted', async () => {
    const n = nonce();
    const results = await Promise.all(
      Array.from({ length: 128 }, () => nonces.useNonce({ ...n }, clock + 60_000)),
    );
    assert.equal(results.filter((r) => r).length, 1);
  });
  it('serves SqlStore.useNonce when given to the store', async () => {
    const { db, dialect, close } = await openDatabase({ kind: 'sqlite', path: ':memory:' });
    try {
      // No migration: the nonces table does not even exist, so only Redis can answer.
      const store = new SqlStore({
        db,
        dialect,
        box: SecretBox.fromMasterKey(randomBytes(32)),
        nonces,
      });
      const n = nonce();
      assert.equal(await store.useNonce(n, clock + 60_000), true);
      assert.equal(await store.useNonce(n, clock + 60_000), false);
      assert.equal(await nonces.useNonce(n, clock + 60_000), false);
    } finally {
      await close();
    }
  });

  it('refuses what was signed before Redis lost its data, and accepts what comes after', async () => {
    // A Redis restarted without persistence: every key gone, the epoch key with them.
    let now = clock;
    const lossy = RedisNonceStore.connect(REDIS_URL, {
      prefix: `${prefix}lossy:`,
      now: () => now,
    });
    try {
      await lossy.start();
      await lossy.redis.set(lossy.epochKey, String(clock - 600_000));
      const before = { ...nonce(), timestamp: String(Math.floor(clock / 1000) - 5) };
      assert.equal(await lossy.useNonce(before, clock + 60_000), true);
      await lossy.redis.del(...(await lossy.redis.keys(`${prefix}lossy:*`)));
      now = clock + 2000;
      assert.equal(await lossy.useNonce(before, clock + 60_000), false, 'the replay');
      assert.equal(
        await lossy.useNonce(
          { ...nonce(), timestamp: String(Math.floor(clock / 1000)) },
          clock + 60_000,
        ),
        false,
        'anything signed before the loss was noticed',
      );
      const after = { ...nonce(), timestamp: String(Math.floor(clock / 1000) + 3) };
      assert.equal(await lossy.useNonce(after, clock + 60_000), true);
      assert.equal(await lossy.useNonce(after, clock + 60_000), false);
      assert.equal(await lossy.redis.get(lossy.epochKey), String(clock + 2000));
    } finally {
      await lossy.redis.del(...(await lossy.redis.keys(`${prefix}lossy:*`)));
      await lossy.close();
    }
  });
});
