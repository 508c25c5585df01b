// Anonymous writes are bounded (issue 9, finding 12): registrations and new open consumers
// per address, in memory or Redis; registration fields capped; an open consumer is stored
// only once its signature verifies.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { REDIS_URL } from './helpers.js';
import { type Running, startProvider } from './http_harness.js';
import {
  jsonError,
  openRequestToken,
  ownRedis,
  redisPrefix,
  register,
  tally,
} from './limits_helpers.js';

const associate = { type: 'client_associate', application_name: 'App' };

for (const backend of ['memory', 'redis'] as const) {
  describe(`registration and open-consumer limits (${backend})`, () => {
    let r: Running;
    const keys = redisPrefix();
    before(async () => {
      r = await startProvider({
        env: {
          SIGNET_TRUST_PROXY: 'loopback',
          SIGNET_REGISTRATION_LIMIT: '5/hour',
          SIGNET_OPEN_CONSUMER_LIMIT: '5/hour',
          ...(backend === 'redis' && { SIGNET_REDIS_URL: REDIS_URL }),
        },
        ...(backend === 'redis' && { redisKeyPrefix: keys.prefix }),
      });
    });
    after(async () => {
      await r?.close();
      if (backend === 'redis') await keys.cleanup();
    });

    it('registrations past the limit of an address get 429 with Retry-After; others still register', async () => {
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => register(r, associate, { ip: '10.1.0.1' })),
      );
      assert.deepEqual(tally(answers.map((a) => a.status)), { 200: 5, 429: 7 });
      const refused = answers.find((a) => a.status === 429)!;
      jsonError(refused, 429, 'Too many registrations');
      const wait = Number(refused.headers.get('retry-after'));
      assert.ok(wait > 0 && wait <= 3600, String(wait));
      assert.equal((await register(r, associate, { ip: '10.1.0.2' })).status, 200);
    });

    it('a wrongly signed /+request-token for a new key answers 401 and creates no consumer', async () => {
      const key = `never stored ${backend}`;
      const bad = await openRequestToken(r, key, { signature: 'guess&', ip: '10.2.0.9' });
      assert.equal(bad.status, 401, bad.text);
      assert.equal(await r.store.getConsumer(key), undefined);
      const good = await openRequestToken(r, key, { ip: '10.2.0.9' });
      assert.equal(good.status, 200, good.text);
      assert.equal((await r.store.getConsumer(key))?.secret, '');
    });

    it('new open consumers past the limit of an address get 429 with Retry-After; known keys still work', async () => {
      const ip = '10.2.0.1';
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => openRequestToken(r, `flood ${backend} ${i}`, { ip })),
      );
      assert.deepEqual(tally(answers.map((a) => a.status)), { 200: 5, 429: 7 });
      const refused = answers.find((a) => a.status === 429)!;
      assert.ok(Number(refused.headers.get('retry-after')) > 0, refused.text);
      const stored = (await r.store.listConsumers()).filter((c) =>
        c.key.startsWith(`flood ${backend} `),
      );
      assert.equal(stored.length, 5);
      // A key that exists costs nothing, from anywhere.
      const known = answers.findIndex((a) => a.status === 200);
      assert.equal((await openRequestToken(r, `flood ${backend} ${known}`, { ip })).status, 200);
      assert.equal(
        (await openRequestToken(r, `elsewhere ${backend}`, { ip: '10.2.0.2' })).status,
        200,
      );
    });
  });
}

describe('registration fields are capped', () => {
  let r: Running;
  before(async () => {
    r = await startProvider({ env: { SIGNET_REGISTRATION_LIMIT: 'off' } });
  });
  after(() => r.close());

  it('a 900 KB contacts field is refused with a JSON 413, as JSON and as a form', async () => {
    const contacts = 'x'.repeat(900 * 1024);
    jsonError(await register(r, { ...associate, contacts }), 413, 'too large');
    jsonError(
      await register(r, new URLSearchParams({ ...associate, contacts }).toString(), {
        type: 'application/x-www-form-urlencoded',
      }),
      413,
      'too large',
    );
  });

  it('10,000 redirect_uris, or 21, are refused; 20 are accepted', async () => {
    const uris = (n: number) => Array.from({ length: n }, (_, i) => `https://a.example/${i}`);
    const many = await register(r, { ...associate, redirect_uris: uris(10_000) });
    assert.ok(many.status === 413 || many.status === 400, many.text);
    jsonError(many, many.status, many.status === 413 ? 'too large' : 'redirect');
    jsonError(
      await register(r, { ...associate, redirect_uris: uris(21).join(' ') }),
      400,
      'at most 20 redirect URIs',
    );
    assert.equal(
      (await register(r, { ...associate, redirect_uris: uris(20).join(' ') })).status,
      200,
    );
  });

  it('long fields and too many contacts are clear 400s', async () => {
    jsonError(await register(r, { ...associate, contacts: 'a@b.c '.repeat(11) }), 400, 'contacts');
    jsonError(
      await register(r, { ...associate, contacts: `${'a'.repeat(400)}@b.c` }),
      400,
      'contact',
    );
    jsonError(
      await register(r, { ...associate, application_name: 'n'.repeat(201) }),
      400,
      'application_name',
    );
    jsonError(
      await register(r, { ...associate, logo_url: `https://a.example/${'l'.repeat(3000)}` }),
      400,
      'logo_url',
    );
    jsonError(
      await register(r, { ...associate, redirect_uris: `https://a.example/${'r'.repeat(3000)}` }),
      400,
      'redirect URI',
    );
  });
});

describe('registration and open consumers when the Redis of the limits is down', () => {
  it('answer 503 with Retry-After and write nothing', async () => {
    const redis = await ownRedis();
    const r = await startProvider({ env: { SIGNET_REDIS_URL: redis.url } });
    try {
      assert.equal((await register(r, associate)).status, 200);
      await redis.stop();
      const reg = await register(r, associate);
      jsonError(reg, 503, 'unavailable');
      assert.ok(Number(reg.headers.get('retry-after')) > 0);
      const before = (await r.store.listConsumers()).length;
      const open = await openRequestToken(r, 'while redis is down');
      assert.equal(open.status, 503, open.text);
      assert.ok(Number(open.headers.get('retry-after')) > 0);
      assert.equal((await r.store.listConsumers()).length, before);
    } finally {
      await r.close();
      await redis.stop();
    }
  });
});
