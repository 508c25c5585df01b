// Password guessing at /login is limited per user name and per address, in memory or Redis.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisFailureLimiter } from '../src/web/rate_limit.js';
import { REDIS_URL } from './helpers.js';
import { type Running, startProvider } from './http_harness.js';

const PASSWORD = 'a long enough password';

async function login(base: string, username: string, password: string) {
  // A fresh browser each time: the CSRF cookie and token come with the form.
  const page = await fetch(`${base}/login`);
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { cookie },
    body: new URLSearchParams({ csrf, username, password, next: '/' }),
    redirect: 'manual',
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() };
}

describe('failed logins are limited', () => {
  let r: Running;
  before(async () => {
    r = await startProvider();
    await r.store.createUser({ name: 'alice', password: PASSWORD });
    await r.store.createUser({ name: 'bob', password: PASSWORD });
  });
  after(() => r.close());

  it('past ten failures even the right password is refused for a while; other people are not', async () => {
    for (let i = 0; i < 10; i++) {
      assert.equal((await login(r.base, 'alice', `wrong ${i}`)).status, 401);
    }
    const blocked = await login(r.base, 'ALICE', PASSWORD);
    assert.equal(blocked.status, 429, 'the name is compared without case');
    assert.match(blocked.text, /Too many failed attempts/);
    assert.ok(
      Number(blocked.retryAfter) > 0 && Number(blocked.retryAfter) <= 900,
      String(blocked.retryAfter),
    );
    assert.equal((await login(r.base, 'bob', PASSWORD)).status, 303, 'bob is not affected');
  });

  it('a success forgets earlier failures', async () => {
    for (let i = 0; i < 9; i++) assert.equal((await login(r.base, 'bob', 'wrong')).status, 401);
    assert.equal((await login(r.base, 'bob', PASSWORD)).status, 303);
    for (let i = 0; i < 9; i++) assert.equal((await login(r.base, 'bob', 'wrong')).status, 401);
    assert.equal((await login(r.base, 'bob', PASSWORD)).status, 303);
  });
});

describe('RedisFailureLimiter, against the real Redis', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = `signet:test:${process.pid}:${randomBytes(4).toString('hex')}:`;
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('counts failures in a window that starts at the first, and resets', async () => {
    const limiter = new RedisFailureLimiter(redis, { limit: 3, windowMs: 60_000, prefix });
    for (let i = 0; i < 3; i++) {
      assert.equal((await limiter.check('k')).allowed, true);
      await limiter.fail('k');
    }
    const blocked = await limiter.check('k');
    assert.equal(blocked.allowed, false);
    assert.ok(blocked.retryAfterSeconds > 0 && blocked.retryAfterSeconds <= 60);
    const ttl = await redis.pttl(`${prefix}k`);
    assert.ok(ttl > 0 && ttl <= 60_000, 'the window is set once, not pushed back by each failure');
    assert.equal((await limiter.check('other')).allowed, true);
    await limiter.reset('k');
    assert.equal((await limiter.check('k')).allowed, true);
  });

  it('is shared by two limiters on the same Redis (two provider instances)', async () => {
    const a = new RedisFailureLimiter(redis, { limit: 2, windowMs: 60_000, prefix });
    const b = new RedisFailureLimiter(redis, { limit: 2, windowMs: 60_000, prefix });
    await a.fail('shared');
    await b.fail('shared');
    assert.equal((await a.check('shared')).allowed, false);
  });
});
