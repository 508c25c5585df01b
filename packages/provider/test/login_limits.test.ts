// Password guessing at /login is limited per address, per (name, address) and per name, in
// memory or in Redis; every attempt is counted before its password is checked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisAttemptLimiter } from '../src/web/rate_limit.js';
import { REDIS_URL } from './helpers.js';
import { type Running, startProvider } from './http_harness.js';
import {
  burst,
  countPasswordChecks,
  login,
  ownRedis,
  PASSWORD,
  redisPrefix,
  tally,
} from './limits_helpers.js';

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'];

for (const backend of ['memory', 'redis'] as const) {
  describe(`login limits (${backend})`, () => {
    let r: Running;
    let checks: ReturnType<typeof countPasswordChecks>;
    const keys = redisPrefix();
    before(async () => {
      r = await startProvider({
        // Each test speaks from addresses of its own, through the trusted loopback proxy.
        env: {
          SIGNET_TRUST_PROXY: '127.0.0.1',
          // Bursts of memory-hard password checks queue for seconds on a busy machine; the
          // request deadline is not what these tests are about.
          SIGNET_REQUEST_TIMEOUT_MS: '0',
          ...(backend === 'redis' && { SIGNET_REDIS_URL: REDIS_URL }),
        },
        ...(backend === 'redis' && { redisKeyPrefix: keys.prefix }),
      });
      for (const name of USERS) await r.store.createUser({ name, password: PASSWORD });
      checks = countPasswordChecks(r.store);
    });
    after(async () => {
      await r?.close();
      if (backend === 'redis') await keys.cleanup();
    });

    it('past ten failures even the right password is refused for a while; other people are not', async () => {
      const ip = '10.0.1.1';
      for (let i = 0; i < 10; i++) {
        assert.equal((await login(r.base, 'alice', `wrong ${i}`, ip)).status, 401);
      }
      const blocked = await login(r.base, 'ALICE', PASSWORD, ip);
      assert.equal(blocked.status, 429, 'the name is compared without case');
      assert.match(blocked.text, /Too many failed attempts/);
      assert.ok(
        Number(blocked.retryAfter) > 0 && Number(blocked.retryAfter) <= 900,
        String(blocked.retryAfter),
      );
      assert.equal((await login(r.base, 'bob', PASSWORD, ip)).status, 303, 'bob is not affected');
    });

    it('a success forgets earlier failures', async () => {
      const ip = '10.0.2.1';
      for (let i = 0; i < 9; i++)
        assert.equal((await login(r.base, 'bob', 'wrong', ip)).status, 401);
      assert.equal((await login(r.base, 'bob', PASSWORD, ip)).status, 303);
      for (let i = 0; i < 9; i++)
        assert.equal((await login(r.base, 'bob', 'wrong', ip)).status, 401);
      assert.equal((await login(r.base, 'bob', PASSWORD, ip)).status, 303);
    });

    it('forty wrong passwords in parallel: ten are checked, thirty refused unchecked', async () => {
      const before = checks.count('carol');
      const statuses = await burst(
        r.base,
        Array.from({ length: 40 }, (_, i) => ({
          username: 'carol',
          password: `wrong ${i}`,
          ip: '10.0.3.1',
        })),
      );
      assert.deepEqual(tally(statuses), { 401: 10, 429: 30 });
      assert.equal(checks.count('carol') - before, 10);
    });

    it('39 wrong and 1 right in parallel: at most ten are checked, and the name stays closed', async () => {
      const before = checks.count('dave');
      const attempts = Array.from({ length: 40 }, (_, i) => ({
        username: 'dave',
        password: i === 20 ? PASSWORD : `wrong ${i}`,
        ip: '10.0.4.1',
      }));
      const statuses = await burst(r.base, attempts);
      assert.ok(checks.count('dave') - before <= 10, `${checks.count('dave') - before} checked`);
      assert.ok((tally(statuses)[429] ?? 0) >= 30, JSON.stringify(tally(statuses)));
      // A success in the burst forgave only what was counted before it: the rest stays.
      assert.equal((await login(r.base, 'dave', 'wrong again', '10.0.4.1')).status, 429);
    });

    it('a flood from one address is stopped; the right password from another still logs in', async () => {
      const before = checks.count('erin');
      const statuses = await burst(
        r.base,
        Array.from({ length: 40 }, (_, i) => ({
          username: i % 2 ? 'erin' : 'Erin',
          password: `wrong ${i}`,
          ip: '10.0.5.1',
        })),
      );
      assert.deepEqual(tally(statuses), { 401: 10, 429: 30 });
      assert.equal(checks.count('erin') + checks.count('Erin') - before, 10);
      assert.equal((await login(r.base, 'erin', PASSWORD, '10.0.5.1')).status, 429);
      assert.equal((await login(r.base, 'erin', PASSWORD, '10.0.5.2')).status, 303);
      assert.equal((await login(r.base, 'erin', PASSWORD, '2001:db8:5::1')).status, 303);
    });

    // A hundred password checks: memory only, the counting is the same in Redis.
    const sprayIt = backend === 'memory' ? it : undefined;
    sprayIt?.('one address trying many names is stopped after a hundred attempts', async () => {
      const ip = '10.0.6.1';
      const statuses: number[] = [];
      for (let round = 0; round < 4; round++) {
        statuses.push(
          ...(await burst(
            r.base,
            Array.from({ length: 30 }, (_, i) => ({
              username: `nobody${round * 30 + i}`,
              password: 'guess',
              ip,
            })),
          )),
        );
      }
      assert.deepEqual(tally(statuses), { 401: 100, 429: 20 });
      // Someone else's right password from there waits too: the address is flooding.
      assert.equal((await login(r.base, 'grace', PASSWORD, ip)).status, 429);
      assert.equal((await login(r.base, 'grace', PASSWORD, '10.0.6.2')).status, 303);
    });

    it('many addresses guessing one name close it to new addresses, not to one it logged in from', async () => {
      assert.equal((await login(r.base, 'frank', PASSWORD, '10.0.7.1')).status, 303);
      const before = checks.count('frank');
      const statuses = await burst(
        r.base,
        Array.from({ length: 70 }, (_, i) => ({
          username: 'frank',
          password: `wrong ${i}`,
          ip: `10.0.8.${i % 7}`,
        })),
      );
      assert.deepEqual(tally(statuses), { 401: 50, 429: 20 });
      assert.equal(checks.count('frank') - before, 50);
      assert.equal((await login(r.base, 'frank', PASSWORD, '10.0.9.1')).status, 429);
      assert.equal((await login(r.base, 'frank', PASSWORD, '10.0.7.1')).status, 303);
    });
  });
}

describe('login limits when Redis is down', () => {
  it('answers 503 with Retry-After and checks no password', async () => {
    const redis = await ownRedis();
    const r = await startProvider({ env: { SIGNET_REDIS_URL: redis.url } });
    try {
      await r.store.createUser({ name: 'alice', password: PASSWORD });
      const checks = countPasswordChecks(r.store);
      assert.equal((await login(r.base, 'alice', PASSWORD)).status, 303);
      await redis.stop();
      const down = await login(r.base, 'alice', PASSWORD);
      assert.equal(down.status, 503, down.text);
      assert.ok(Number(down.retryAfter) > 0, String(down.retryAfter));
      assert.match(down.text, /unavailable/);
      assert.equal(checks.count(), 1, 'only the login before Redis stopped was checked');
    } finally {
      await r.close();
      await redis.stop();
    }
  });
});

describe('RedisAttemptLimiter, against the real Redis', () => {
  const redis = new Redis(REDIS_URL);
  const keys = redisPrefix();
  const prefix = keys.prefix;
  after(async () => {
    await keys.cleanup();
    await redis.quit();
  });

  it('counts attempts in a window that starts at the first, and forgives', async () => {
    const limiter = new RedisAttemptLimiter(redis, { limit: 3, windowMs: 60_000, prefix });
    for (let i = 1; i <= 3; i++) assert.deepEqual((await limiter.take('k')).count, i);
    const blocked = await limiter.take('k');
    assert.equal(blocked.allowed, false);
    assert.ok(blocked.retryAfterSeconds > 0 && blocked.retryAfterSeconds <= 60);
    const ttl = await redis.pttl(`${prefix}k`);
    assert.ok(ttl > 0 && ttl <= 60_000, 'the window is set once, not pushed back');
    assert.equal((await limiter.take('other')).allowed, true);
    await limiter.forgive('k', 10);
    assert.equal(await redis.get(`${prefix}k`), '0', 'never below zero');
    assert.equal((await limiter.take('k')).allowed, true);
    await limiter.forgive('missing', 1);
    assert.equal(await redis.exists(`${prefix}missing`), 0, 'forgiving creates no key');
  });

  it('is atomic: of 50 parallel attempts, exactly the limit is allowed', async () => {
    const a = new RedisAttemptLimiter(redis, { limit: 7, windowMs: 60_000, prefix });
    const b = new RedisAttemptLimiter(redis, { limit: 7, windowMs: 60_000, prefix });
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).take('shared')),
    );
    assert.equal(answers.filter((x) => x.allowed).length, 7);
  });
});
