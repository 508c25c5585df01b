// Variants of the issue 9 attacks on the limits (findings 10-12): bursts mixing right and
// wrong passwords under spellings of one name, forged X-Forwarded-For, oversized and
// ill-typed registrations, floods of open-consumer keys.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Answer, call, type Running, startProvider } from './http_harness.js';
import {
  burst,
  countPasswordChecks,
  jsonError,
  login,
  openRequestToken,
  PASSWORD,
  register,
  tally,
} from './limits_helpers.js';

describe('login bursts against one person', () => {
  let r: Running;
  let checks: ReturnType<typeof countPasswordChecks>;
  before(async () => {
    r = await startProvider({ env: { SIGNET_TRUST_PROXY: '127.0.0.1' } });
    for (const name of ['alice', 'bob']) await r.store.createUser({ name, password: PASSWORD });
    checks = countPasswordChecks(r.store);
  });
  after(() => r.close());

  it('spellings of one name share its limit: at most ten passwords checked in a burst of 60', async () => {
    const spellings = ['alice', 'ALICE', ' Alice ', 'ａｌｉｃｅ', 'aLiCe'];
    const statuses = await burst(
      r.base,
      Array.from({ length: 60 }, (_, i) => ({
        username: spellings[i % spellings.length]!,
        password: i % 7 === 3 ? PASSWORD : `wrong ${i}`,
        ip: '10.4.0.1',
      })),
    );
    assert.ok(checks.count() <= 10, `${checks.count()} passwords checked`);
    assert.ok((tally(statuses)[429] ?? 0) >= 50, JSON.stringify(tally(statuses)));
  });

  it('bursts from a second and third address do not lock out the person at a fourth', async () => {
    const before = checks.count();
    await Promise.all(
      ['10.4.1.1', '10.4.1.2'].map((ip) =>
        burst(
          r.base,
          Array.from({ length: 25 }, (_, i) => ({ username: 'bob', password: `w${i}`, ip })),
        ),
      ),
    );
    assert.equal(checks.count() - before, 20, 'ten per address');
    assert.equal((await login(r.base, 'bob', PASSWORD, '10.4.1.4')).status, 303);
  });

  it('forged hops before the proxy-appended address do not rotate the address', async () => {
    const before = checks.count();
    const statuses = await burst(
      r.base,
      Array.from({ length: 30 }, (_, i) => ({
        username: 'nobody-forged',
        password: 'guess',
        // The client sent the first entries; the trusted proxy appended the last.
        ip: `203.0.113.${i}, 10.4.2.1`,
      })),
    );
    assert.deepEqual(tally(statuses), { 401: 10, 429: 20 });
    assert.equal(checks.count() - before, 10);
  });
});

describe('X-Forwarded-For without SIGNET_TRUST_PROXY', () => {
  let r: Running;
  let checks: ReturnType<typeof countPasswordChecks>;
  before(async () => {
    r = await startProvider();
    await r.store.createUser({ name: 'carol', password: PASSWORD });
    checks = countPasswordChecks(r.store);
  });
  after(() => r.close());

  it('is ignored: a fresh forged address per guess still stops at ten checks', async () => {
    const statuses = await burst(
      r.base,
      Array.from({ length: 30 }, (_, i) => ({
        username: 'carol',
        password: `wrong ${i}`,
        ip: `198.51.100.${i}`,
      })),
    );
    assert.deepEqual(tally(statuses), { 401: 10, 429: 20 });
    assert.equal(checks.count('carol'), 10);
  });

  it('is ignored by the registration limit too', async () => {
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        register(r, { type: 'client_associate' }, { ip: `198.51.100.${i}` }),
      ),
    );
    assert.deepEqual(tally(answers.map((a) => a.status)), { 200: 20, 429: 4 }, 'the default');
  });
});

describe('SIGNET_TRUST_PROXY as a hop count', () => {
  let r: Running;
  before(async () => {
    r = await startProvider({
      env: { SIGNET_TRUST_PROXY: '1', SIGNET_REGISTRATION_LIMIT: '2/minute' },
    });
  });
  after(() => r.close());

  it('takes the address the nearest proxy saw', async () => {
    const from = (ip: string) => register(r, { type: 'client_associate' }, { ip });
    // The client's own entry (first) is not believed with one hop: only the last one is.
    const statuses = [
      (await from('1.1.1.1, 10.5.0.1')).status,
      (await from('2.2.2.2, 10.5.0.1')).status,
      (await from('3.3.3.3, 10.5.0.1')).status,
      (await from('10.5.0.2')).status,
    ];
    assert.deepEqual(statuses, [200, 200, 429, 200]);
  });
});

describe('registration bodies built to hurt', () => {
  let r: Running;
  before(async () => {
    r = await startProvider({ env: { SIGNET_REGISTRATION_LIMIT: 'off' } });
  });
  after(() => r.close());
  const form = (fields: Record<string, string>) =>
    register(r, new URLSearchParams(fields).toString(), {
      type: 'application/x-www-form-urlencoded',
    });

  it('oversized bodies are JSON 413s, whatever the field or content type', async () => {
    const big = 'y'.repeat(70 * 1024);
    for (const a of [
      await register(r, { type: 'client_associate', application_name: big }),
      await register(r, { type: 'client_associate', junk: big }),
      await form({ type: 'client_associate', redirect_uris: big }),
      await register(r, big, { type: 'text/plain' }),
    ]) {
      jsonError(a, 413, 'too large');
    }
  });

  it('lists as JSON arrays are capped like space-separated ones', async () => {
    const contacts = Array.from({ length: 11 }, (_, i) => `c${i}@example.org`);
    jsonError(await register(r, { type: 'client_associate', contacts }), 400, 'contacts');
    const uris = Array.from({ length: 500 }, (_, i) => `https://a.example/${i}`);
    jsonError(
      await register(r, { type: 'client_associate', redirect_uris: uris }),
      400,
      'redirect',
    );
    jsonError(
      await form({ type: 'client_associate', redirect_uris: uris.slice(0, 30).join(' ') }),
      400,
      'redirect',
    );
  });

  it('ill-typed and malformed bodies are 400s, not 500s', async () => {
    const bodies: unknown[] = [
      { type: 'client_associate', application_name: { $gt: '' } },
      { type: 'client_associate', contacts: [{ a: 1 }] },
      { type: 'client_associate', redirect_uris: [['https://a.example/']] },
      { type: 'client_associate', logo_url: 12 },
      { type: ['client_associate'] },
      '{"type": "client_associate", "contacts": ',
      '[]',
      `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
    ];
    for (const body of bodies) {
      const a: Answer = await register(r, body);
      assert.equal(a.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${a.text}`);
      jsonError(a, 400, '');
    }
  });
});

describe('floods of open-consumer keys', () => {
  let r: Running;
  before(async () => {
    r = await startProvider({ env: { SIGNET_TRUST_PROXY: '127.0.0.1' } });
  });
  after(() => r.close());
  const count = async (prefix: string) =>
    (await r.store.listConsumers()).filter((c) => c.key.startsWith(prefix)).length;

  it('random keys from one address stop at the default of 60 an hour', async () => {
    const prefix = `rnd-${randomBytes(3).toString('hex')}-`;
    const answers = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        openRequestToken(r, `${prefix}${i}`, { ip: '10.6.0.1' }),
      ),
    );
    assert.deepEqual(tally(answers.map((a) => a.status)), { 200: 60, 429: 20 });
    assert.equal(await count(prefix), 60);
  });

  it('wrongly signed requests for fresh keys create nothing and use up no allowance', async () => {
    const prefix = `bad-${randomBytes(3).toString('hex')}-`;
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        openRequestToken(r, `${prefix}${i}`, { ip: '10.6.0.2', signature: `x${i}&` }),
      ),
    );
    assert.deepEqual(tally(answers.map((a) => a.status)), { 401: 40 });
    assert.equal(await count(prefix), 0);
    // HMAC with the empty secret but a broken signature, in the Authorization header.
    const hmac = await call(`${r.base}/+request-token`, {
      method: 'POST',
      headers: {
        'x-forwarded-for': '10.6.0.2',
        authorization: `OAuth oauth_consumer_key="${prefix}hmac", oauth_signature_method="HMAC-SHA1", oauth_timestamp="${Math.floor(Date.now() / 1000)}", oauth_nonce="n1", oauth_signature="AAAA"`,
      },
    });
    assert.equal(hmac.status, 401, hmac.text);
    assert.equal(await count(prefix), 0);
    assert.equal((await openRequestToken(r, `${prefix}ok`, { ip: '10.6.0.2' })).status, 200);
  });

  it('the same new key requested in parallel is stored once and works for all', async () => {
    const key = `same-${randomBytes(3).toString('hex')}`;
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => openRequestToken(r, key, { ip: '10.6.0.3' })),
    );
    assert.deepEqual(tally(answers.map((a) => a.status)), { 200: 10 });
    assert.equal(await count(key), 1);
  });
});
