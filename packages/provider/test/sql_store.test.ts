import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { generateKey, generateSecret } from '../src/credentials.js';
import type { Dialect } from '../src/db/schema.js';
import { ProviderError } from '../src/errors.js';
import { reviewToken } from '../src/review.js';
import type { AccessToken, RequestToken } from '../src/stores/contract.js';
import { openTestStore, type TestStore } from './helpers.js';

const HOUR = 3_600_000;
const CONCURRENCY = 128;
const uid = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

const rejectsWith = (code: string) => (e: unknown) => {
  assert.ok(e instanceof ProviderError, `expected a ProviderError, got ${String(e)}`);
  assert.equal(e.code, code);
  return true;
};

for (const dialect of ['sqlite', 'postgres'] as const satisfies readonly Dialect[]) {
  describe(`SqlStore on ${dialect}`, () => {
    let t: TestStore;
    // A clock the tests move by hand; the store reads it for nonces, sessions and records.
    let clock = Date.now();
    before(async () => {
      t = await openTestStore(dialect, { now: () => clock });
    });
    after(async () => {
      await t.dispose();
    });

    const requestToken = (fields: Partial<RequestToken> = {}): RequestToken => ({
      token: generateKey(),
      secret: generateSecret(),
      consumerKey: 'ck',
      callback: 'https://client.example/cb?x=1',
      createdAt: clock,
      expiresAt: clock + 2 * HOUR,
      ...fields,
    });
    const accessToken = (fields: Partial<AccessToken> = {}): AccessToken => ({
      token: generateKey(),
      secret: generateSecret(),
      consumerKey: 'ck',
      userId: 'alice',
      permission: 'READ_PUBLIC',
      createdAt: clock,
      ...fields,
    });

    describe('consumers', () => {
      it('returns undefined for an unknown key', async () => {
        assert.equal(await t.store.getConsumer(uid('nobody')), undefined);
      });
      it('creates a consumer with every field and gives back its secret', async () => {
        const key = uid('app');
        const created = await t.store.createConsumer({
          key,
          name: 'Example app',
          secret: 'the-secret',
          callbackUrl: 'https://app.example/cb',
          rsaPublicKey: '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n',
        });
        assert.equal(created.secret, 'the-secret');
        assert.deepEqual(await t.store.getConsumer(key), {
          key,
          secret: 'the-secret',
          name: 'Example app',
          callbackUrl: 'https://app.example/cb',
          rsaPublicKey: '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n',
        });
      });
      it('generates an 80-character secret and names the consumer after its key by default', async () => {
        const key = `System-wide: Ubuntu (${uid('box')})`;
        const created = await t.store.createConsumer({ key });
        assert.match(created.secret, /^[A-Za-z0-9]{80}$/);
        const got = await t.store.getConsumer(key);
        assert.equal(got?.name, key);
        assert.equal(got?.secret, created.secret);
      });
      it('keeps an empty secret (Launchpad open consumers)', async () => {
        const key = uid('open');
        await t.store.createConsumer({ key, secret: '', origin: 'open' });
        assert.deepEqual(await t.store.getConsumer(key), { key, secret: '', name: key });
      });
      it('generates a 20-character key when none is given', async () => {
        const created = await t.store.createConsumer({ name: 'Nameless' });
        assert.match(created.key, /^[A-Za-z0-9]{20}$/);
      });
      it('refuses a duplicate key and a key with control characters', async () => {
        const key = uid('dup');
        await t.store.createConsumer({ key });
        await assert.rejects(t.store.createConsumer({ key }), rejectsWith('ERR_EXISTS'));
        await assert.rejects(t.store.createConsumer({ key: 'a\nb' }), rejectsWith('ERR_INVALID'));
        await assert.rejects(
          t.store.createConsumer({ key: uid('k'), callbackUrl: 'not a url' }),
          rejectsWith('ERR_INVALID'),
        );
      });
      it('disables a consumer once; getConsumer then says disabled', async () => {
        const key = uid('off');
        await t.store.createConsumer({ key });
        assert.equal((await t.store.getConsumer(key))?.disabled, undefined);
        assert.equal(await t.store.disableConsumer(key), true);
        assert.equal(await t.store.disableConsumer(key), false);
        assert.equal(await t.store.disableConsumer(uid('unknown')), false);
        assert.equal((await t.store.getConsumer(key))?.disabled, true);
        assert.equal((await t.store.getConsumerInfo(key))?.disabledAt, clock);
      });
      it('lists consumers without their secrets', async () => {
        const key = uid('listed');
        const { secret } = await t.store.createConsumer({ key, callbackUrl: 'https://l.example/' });
        const listed = (await t.store.listConsumers()).find((c) => c.key === key);
        assert.deepEqual(listed, {
          key,
          name: key,
          origin: 'admin',
          createdAt: clock,
          callbackUrl: 'https://l.example/',
        });
        assert.ok(!JSON.stringify(await t.store.listConsumers()).includes(secret));
      });
    });

    describe('pump.io registration', () => {
      it('registers a client with its metadata and a working secret', async () => {
        const r = await t.store.registerClient({
          applicationName: 'Pumpkin',
          applicationType: 'native',
          redirectUris: ['https://p.example/a', 'https://p.example/b'],
          logoUrl: 'https://p.example/logo.png',
          contacts: ['me@p.example'],
        });
        assert.match(r.clientId, /^[A-Za-z0-9]{20}$/);
        assert.match(r.clientSecret, /^[A-Za-z0-9]{80}$/);
        assert.equal(r.expiresAt, 0);
        assert.equal((await t.store.getConsumer(r.clientId))?.secret, r.clientSecret);
        assert.deepEqual(await t.store.getConsumerInfo(r.clientId), {
          key: r.clientId,
          name: 'Pumpkin',
          origin: 'dynamic',
          createdAt: clock,
          applicationType: 'native',
          redirectUris: ['https://p.example/a', 'https://p.example/b'],
          logoUrl: 'https://p.example/logo.png',
          contacts: ['me@p.example'],
        });
      });
      it('updates a client given its secret, and replaces the metadata', async () => {
        const r = await t.store.registerClient({ applicationName: 'Before', contacts: ['a@x'] });
        const u = await t.store.updateClient(r.clientId, r.clientSecret, {
          applicationName: 'After',
          applicationType: 'web',
        });
        assert.deepEqual(u, r);
        const info = await t.store.getConsumerInfo(r.clientId);
        assert.equal(info?.name, 'After');
        assert.equal(info?.applicationType, 'web');
        assert.equal(info?.contacts, undefined);
      });
      it('refuses an update with a wrong secret, an unknown id, or for an admin consumer', async () => {
        const r = await t.store.registerClient({});
        await assert.rejects(
          t.store.updateClient(r.clientId, `${r.clientSecret}x`, {}),
          rejectsWith('ERR_FORBIDDEN'),
        );
        await assert.rejects(
          t.store.updateClient(uid('none'), 'x', {}),
          rejectsWith('ERR_NOT_FOUND'),
        );
        const admin = await t.store.createConsumer({ key: uid('adm') });
        await assert.rejects(
          t.store.updateClient(admin.key, admin.secret, {}),
          rejectsWith('ERR_NOT_FOUND'),
        );
      });
      it('refuses a bad application_type, redirect URI or logo URL, and keeps no consumer', async () => {
        const before = (await t.store.listConsumers()).length;
        await assert.rejects(
          t.store.registerClient({ applicationType: 'desktop' as 'web' }),
          rejectsWith('ERR_INVALID'),
        );
        await assert.rejects(
          t.store.registerClient({ redirectUris: ['javascript:alert(1)'] }),
          rejectsWith('ERR_INVALID'),
        );
        await assert.rejects(
          t.store.registerClient({ logoUrl: 'not a URL' }),
          rejectsWith('ERR_INVALID'),
        );
        // A refused registration must not leave a consumer behind, credentials nobody got.
        assert.equal((await t.store.listConsumers()).length, before);
      });
    });

    describe('request tokens', () => {
      it('stores and returns a request token with every field', async () => {
        const rt = requestToken({ realms: ['photos', 'videos'] });
        await t.store.createRequestToken(rt);
        assert.deepEqual(await t.store.getRequestToken(rt.token), rt);
      });
      it('stores a Launchpad token without callback or realms: the fields stay absent', async () => {
        const { callback: _c, ...rt } = requestToken();
        await t.store.createRequestToken(rt);
        assert.deepEqual(await t.store.getRequestToken(rt.token), rt);
      });
      it('returns undefined for an unknown token', async () => {
        assert.equal(await t.store.getRequestToken(uid('rt')), undefined);
      });
      it('returns an expired token, so that the exchange can say it expired', async () => {
        const rt = requestToken({ createdAt: clock - 3 * HOUR, expiresAt: clock - HOUR });
        await t.store.createRequestToken(rt);
        assert.equal((await t.store.getRequestToken(rt.token))?.expiresAt, clock - HOUR);
      });
    });

    describe('reviewRequestToken', () => {
      it('records grant, verifier and reviewedAt, and returns the updated token', async () => {
        const rt = requestToken();
        await t.store.createRequestToken(rt);
        const now = rt.createdAt + 1000;
        const grant = {
          userId: 'bob',
          permission: 'READ_PRIVATE',
          context: 'firefox',
          realms: ['photos'],
          expiresAt: now + HOUR,
        };
        const reviewed = await t.store.reviewRequestToken(rt.token, { grant, verifier: 'v1', now });
        const expected = { ...rt, grant, verifier: 'v1', reviewedAt: now };
        assert.deepEqual(reviewed, expected);
        assert.deepEqual(await t.store.getRequestToken(rt.token), expected);
      });
      it('records a refusal (UNAUTHORIZED) like any other decision', async () => {
        const rt = requestToken();
        await t.store.createRequestToken(rt);
        const r = await t.store.reviewRequestToken(rt.token, {
          grant: { userId: 'bob', permission: 'UNAUTHORIZED' },
          verifier: 'v',
          now: clock,
        });
        assert.deepEqual(r?.grant, { userId: 'bob', permission: 'UNAUTHORIZED' });
      });
      it('reviews a token at most once', async () => {
        const rt = requestToken();
        await t.store.createRequestToken(rt);
        const grant = { userId: 'alice', permission: 'WRITE_PUBLIC' };
        assert.ok(
          await t.store.reviewRequestToken(rt.token, { grant, verifier: 'first', now: clock }),
        );
        const again = await t.store.reviewRequestToken(rt.token, {
          grant: { userId: 'mallory', permission: 'DESKTOP_INTEGRATION' },
          verifier: 'second',
          now: clock + 1,
        });
        assert.equal(again, undefined);
        const stored = await t.store.getRequestToken(rt.token);
        assert.equal(stored?.verifier, 'first');
        assert.equal(stored?.grant?.userId, 'alice');
      });
      it('refuses an expired token (at its expiry time) and an unknown one', async () => {
        const rt = requestToken();
        await t.store.createRequestToken(rt);
        const grant = { userId: 'alice', permission: 'READ_PUBLIC' };
        assert.equal(
          await t.store.reviewRequestToken(rt.token, { grant, verifier: 'v', now: rt.expiresAt }),
          undefined,
        );
        assert.equal((await t.store.getRequestToken(rt.token))?.grant, undefined);
        assert.equal(
          await t.store.reviewRequestToken(uid('rt'), { grant, verifier: 'v', now: clock }),
          undefined,
        );
      });
      it('refuses an unknown permission', async () => {
        const rt = requestToken();
        await t.store.createRequestToken(rt);
        await assert.rejects(
          t.store.reviewRequestToken(rt.token, {
            grant: { userId: 'alice', permission: 'ROOT' },
            verifier: 'v',
            now: clock,
          }),
          rejectsWith('ERR_INVALID'),
        );
      });
      it(`of ${CONCURRENCY} concurrent reviews, exactly one is recorded`, async () => {
        const rt = requestToken();
        await t.store.createRequestToken(rt);
        const results = await Promise.all(
          Array.from({ length: CONCURRENCY }, (_, i) =>
            t.store.reviewRequestToken(rt.token, {
              grant: { userId: `user${i}`, permission: 'READ_PUBLIC' },
              verifier: `v${i}`,
              now: clock,
            }),
          ),
        );
        const winners = results.filter((r) => r !== undefined);
        assert.equal(winners.length, 1);
        const stored = await t.store.getRequestToken(rt.token);
        assert.equal(stored?.verifier, winners[0]?.verifier);
        assert.equal(stored?.grant?.userId, winners[0]?.grant?.userId);
      });
    });

    describe('consumeRequestToken', () => {
      it('retires the request token and stores the access token with every field', async () => {
        const rt = requestToken();
        await t.store.createRequestToken(rt);
        const at = accessToken({
          permission: 'WRITE_PRIVATE',
          context: 'ubuntu/firefox',
          realms: ['photos'],
          expiresAt: clock + HOUR,
        });
        assert.equal(await t.store.consumeRequestToken(rt.token, at), true);
        assert.equal(await t.store.getRequestToken(rt.token), undefined);
        assert.deepEqual(await t.store.getAccessToken(at.token), at);
      });
      it('refuses a second exchange and stores nothing for it', async () => {
        const rt = requestToken();
        await t.store.createRequestToken(rt);
        assert.equal(await t.store.consumeRequestToken(rt.token, accessToken()), true);
        const second = accessToken();
        assert.equal(await t.store.consumeRequestToken(rt.token, second), false);
        assert.equal(await t.store.getAccessToken(second.token), undefined);
      });
      it('refuses an unknown request token and stores nothing', async () => {
        const at = accessToken();
        assert.equal(await t.store.consumeRequestToken(uid('rt'), at), false);
        assert.equal(await t.store.getAccessToken(at.token), undefined);
      });
      it('leaves the request token in place when the access token cannot be stored', async () => {
        const rt = requestToken();
        await t.store.createRequestToken(rt);
        await assert.rejects(
          t.store.consumeRequestToken(rt.token, accessToken({ permission: 'ROOT' })),
          rejectsWith('ERR_INVALID'),
        );
        // A key collision fails inside the transaction: the retirement must roll back with it.
        const taken = requestToken();
        await t.store.createRequestToken(taken);
        const at = accessToken();
        assert.equal(await t.store.consumeRequestToken(taken.token, at), true);
        await assert.rejects(t.store.consumeRequestToken(rt.token, { ...at, secret: 'other' }));
        assert.ok(await t.store.getRequestToken(rt.token), 'the failed exchange rolled back');
      });
      it(`of ${CONCURRENCY} concurrent exchanges of one request token, exactly one succeeds`, async () => {
        const rt = requestToken();
        await t.store.createRequestToken(rt);
        await t.store.reviewRequestToken(rt.token, {
          grant: { userId: 'alice', permission: 'READ_PUBLIC' },
          verifier: 'v',
          now: clock,
        });
        const candidates = Array.from({ length: CONCURRENCY }, () => accessToken());
        const results = await Promise.all(
          candidates.map((a) => t.store.consumeRequestToken(rt.token, a)),
        );
        assert.equal(results.filter((r) => r).length, 1);
        const winner = results.indexOf(true);
        const stored = await Promise.all(candidates.map((a) => t.store.getAccessToken(a.token)));
        stored.forEach((s, i) => {
          if (i === winner) assert.equal(s?.token, candidates[i]!.token);
          else assert.equal(s, undefined, `loser ${i} must store nothing`);
        });
        const count = await t.store.db
          .selectFrom('access_tokens')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where(
            'token',
            'in',
            candidates.map((c) => c.token),
          )
          .executeTakeFirstOrThrow();
        assert.equal(Number(count.n), 1);
      });
    });

    describe('access tokens', () => {
      const issue = async (fields: Partial<AccessToken> = {}) => {
        const rt = requestToken();
        await t.store.createRequestToken(rt);
        const at = accessToken(fields);
        assert.equal(await t.store.consumeRequestToken(rt.token, at), true);
        return at;
      };
      it('returns undefined for an unknown token and a token without optional fields as such', async () => {
        assert.equal(await t.store.getAccessToken(uid('at')), undefined);
        const at = await issue();
        assert.deepEqual(await t.store.getAccessToken(at.token), at);
      });
      it('revokes a live token once, and keeps it with revokedAt', async () => {
        const at = await issue();
        assert.equal(await t.store.revokeAccessToken(at.token, clock + 5), true);
        assert.deepEqual(await t.store.getAccessToken(at.token), { ...at, revokedAt: clock + 5 });
        assert.equal(await t.store.revokeAccessToken(at.token, clock + 6), false);
        assert.equal((await t.store.getAccessToken(at.token))?.revokedAt, clock + 5);
        assert.equal(await t.store.revokeAccessToken(uid('at'), clock), false);
      });
      it('does not revoke an expired token (it is not live)', async () => {
        const at = await issue({ expiresAt: clock - 1 });
        assert.equal(await t.store.revokeAccessToken(at.token, clock), false);
      });
    });

    describe('useNonce', () => {
      const nonce = () => ({
        consumerKey: uid('ck'),
        token: uid('tk'),
        timestamp: String(Math.floor(clock / 1000)),
        nonce: uid('n'),
      });
      it('accepts a nonce once and refuses the replay', async () => {
        const n = nonce();
        assert.equal(await t.store.useNonce(n, clock + HOUR), true);
        assert.equal(await t.store.useNonce({ ...n }, clock + HOUR), false);
      });
      it('tells nonces apart by consumer, token, timestamp and nonce, whatever they contain', async () => {
        const n = nonce();
        assert.equal(await t.store.useNonce(n, clock + HOUR), true);
        assert.equal(await t.store.useNonce({ ...n, consumerKey: uid('ck') }, clock + HOUR), true);
        assert.equal(await t.store.useNonce({ ...n, token: '' }, clock + HOUR), true);
        assert.equal(await t.store.useNonce({ ...n, timestamp: '1' }, clock + HOUR), true);
        assert.equal(await t.store.useNonce({ ...n, nonce: uid('n') }, clock + HOUR), true);
        const base = uid('x');
        assert.equal(
          await t.store.useNonce(
            { consumerKey: `${base}:a`, token: 'b', timestamp: '1', nonce: 'c' },
            clock + HOUR,
          ),
          true,
        );
        assert.equal(
          await t.store.useNonce(
            { consumerKey: base, token: 'a:b', timestamp: '1', nonce: 'c' },
            clock + HOUR,
          ),
          true,
        );
      });
      it('accepts a huge client-chosen nonce (the key is a fixed-size hash)', async () => {
        const n = { ...nonce(), nonce: 'n'.repeat(100_000) };
        assert.equal(await t.store.useNonce(n, clock + HOUR), true);
        assert.equal(await t.store.useNonce(n, clock + HOUR), false);
      });
      it('refuses the replay until expiry, then may take the nonce again; cleanup deletes it', async () => {
        const n = nonce();
        assert.equal(await t.store.useNonce(n, clock + 1000), true);
        assert.equal(await t.store.useNonce(n, clock + 1000), false);
        clock += 1000;
        assert.equal(await t.store.useNonce(n, clock + 1000), true);
        const other = nonce();
        await t.store.useNonce(other, clock + 10);
        const deleted = await t.store.deleteExpiredNonces(clock + 10);
        assert.ok(deleted >= 1);
        assert.equal(await t.store.useNonce(other, clock + 1000), true);
      });
      it(`of ${CONCURRENCY} concurrent uses of one nonce, exactly one is accepted`, async () => {
        const n = nonce();
        const results = await Promise.all(
          Array.from({ length: CONCURRENCY }, () => t.store.useNonce({ ...n }, clock + HOUR)),
        );
        assert.equal(results.filter((r) => r).length, 1);
      });
    });

    describe('people', () => {
      it('creates a person, finds them and lists them', async () => {
        const name = uid('alice');
        const user = await t.store.createUser({ name, displayName: 'Alice A.' });
        assert.deepEqual(user, {
          name,
          displayName: 'Alice A.',
          hasPassword: false,
          createdAt: clock,
        });
        assert.deepEqual(await t.store.getUser(name), user);
        assert.ok((await t.store.listUsers()).some((u) => u.name === name));
        assert.equal(await t.store.getUser(uid('nobody')), undefined);
      });
      it('refuses a duplicate, an invalid name and a too-short password', async () => {
        const name = uid('dup');
        await t.store.createUser({ name });
        await assert.rejects(t.store.createUser({ name }), rejectsWith('ERR_EXISTS'));
        await assert.rejects(t.store.createUser({ name: 'Bad Name' }), rejectsWith('ERR_INVALID'));
        await assert.rejects(t.store.createUser({ name: '-x' }), rejectsWith('ERR_INVALID'));
        await assert.rejects(
          t.store.createUser({ name: uid('short'), password: 'short' }),
          rejectsWith('ERR_INVALID'),
        );
      });
      it('verifies passwords: right, wrong, unknown person, no password', async () => {
        const name = uid('pw');
        await t.store.createUser({ name, password: 'correct horse battery' });
        assert.equal((await t.store.verifyPassword(name, 'correct horse battery'))?.name, name);
        assert.equal(await t.store.verifyPassword(name, 'correct horse batterY'), undefined);
        assert.equal(
          await t.store.verifyPassword(uid('nobody'), 'correct horse battery'),
          undefined,
        );
        const nopw = uid('nopw');
        await t.store.createUser({ name: nopw });
        assert.equal(await t.store.verifyPassword(nopw, ''), undefined);
      });
      it('changes and removes a password', async () => {
        const name = uid('chg');
        await t.store.createUser({ name, password: 'first password' });
        assert.equal(await t.store.setPassword(name, 'second password'), true);
        assert.equal(await t.store.verifyPassword(name, 'first password'), undefined);
        assert.ok(await t.store.verifyPassword(name, 'second password'));
        assert.equal(await t.store.setPassword(name, null), true);
        assert.equal(await t.store.verifyPassword(name, 'second password'), undefined);
        assert.equal(await t.store.setPassword(uid('nobody'), 'whatever123'), false);
      });
      it('stores a scrypt hash, not the password', async () => {
        const name = uid('hash');
        await t.store.createUser({ name, password: 'plain-text-password' });
        const row = await t.store.db
          .selectFrom('users')
          .select('password_hash')
          .where('name', '=', name)
          .executeTakeFirstOrThrow();
        assert.match(row.password_hash ?? '', /^\$scrypt\$ln=15,r=8,p=1\$/);
        assert.ok(!row.password_hash?.includes('plain-text-password'));
      });
    });

    describe('contexts', () => {
      it('creates, finds and lists contexts; the title defaults to the name', async () => {
        const name = uid('firefox');
        assert.deepEqual(await t.store.createContext({ name, title: 'Mozilla Firefox' }), {
          name,
          title: 'Mozilla Firefox',
          createdAt: clock,
        });
        const pkg = `${uid('ubuntu')}/firefox`;
        assert.equal((await t.store.createContext({ name: pkg })).title, pkg);
        assert.equal((await t.store.getContext(name))?.title, 'Mozilla Firefox');
        assert.equal(await t.store.getContext(uid('none')), undefined);
        const names = (await t.store.listContexts()).map((c) => c.name);
        assert.ok(names.includes(name) && names.includes(pkg));
      });
      it('refuses a duplicate and an invalid name', async () => {
        const name = uid('ctx');
        await t.store.createContext({ name });
        await assert.rejects(t.store.createContext({ name }), rejectsWith('ERR_EXISTS'));
        await assert.rejects(t.store.createContext({ name: 'a/b/c' }), rejectsWith('ERR_INVALID'));
        await assert.rejects(
          t.store.createContext({ name: 'Has Space' }),
          rejectsWith('ERR_INVALID'),
        );
      });
    });

    describe('listings and revocation', () => {
      it("lists a person's access and reviewed request tokens, without secrets", async () => {
        const user = uid('lister');
        const consumer = await t.store.createConsumer({ key: uid('lc'), name: 'Listed App' });
        const rt1 = requestToken({ consumerKey: consumer.key });
        await t.store.createRequestToken(rt1);
        const at = accessToken({ consumerKey: consumer.key, userId: user, context: 'firefox' });
        await t.store.consumeRequestToken(rt1.token, at);
        const rt2 = requestToken({ consumerKey: consumer.key, createdAt: clock + 1 });
        await t.store.createRequestToken(rt2);
        await t.store.reviewRequestToken(rt2.token, {
          grant: { userId: user, permission: 'READ_PRIVATE' },
          verifier: 'secret-verifier',
          now: clock,
        });
        const pending = requestToken({ consumerKey: consumer.key });
        await t.store.createRequestToken(pending);

        const { secret: _s, ...atInfo } = at;
        assert.deepEqual(await t.store.listAccessTokens({ userId: user }), [
          { ...atInfo, consumerName: 'Listed App' },
        ]);
        const requests = await t.store.listRequestTokens({ userId: user });
        assert.equal(requests.length, 1);
        assert.equal(requests[0]?.token, rt2.token);
        assert.equal(requests[0]?.consumerName, 'Listed App');
        assert.deepEqual(requests[0]?.grant, { userId: user, permission: 'READ_PRIVATE' });
        const text = JSON.stringify([requests, await t.store.listAccessTokens()]);
        assert.ok(
          !text.includes(rt2.secret) &&
            !text.includes('secret-verifier') &&
            !text.includes(at.secret),
        );
        assert.ok((await t.store.listRequestTokens()).some((r) => r.token === pending.token));
        assert.equal(
          (await t.store.listRequestTokens({ live: rt2.expiresAt })).some(
            (r) => r.token === rt2.token,
          ),
          false,
        );
      });
      it("revokes only the person's own tokens", async () => {
        const owner = uid('owner');
        const rt = requestToken();
        await t.store.createRequestToken(rt);
        const at = accessToken({ userId: owner });
        await t.store.consumeRequestToken(rt.token, at);
        assert.equal(await t.store.revokeTokenOf(uid('other'), at.token, clock), false);
        assert.equal((await t.store.getAccessToken(at.token))?.revokedAt, undefined);
        assert.equal(await t.store.revokeTokenOf(owner, at.token, clock), true);
        assert.equal((await t.store.getAccessToken(at.token))?.revokedAt, clock);

        const pending = requestToken();
        await t.store.createRequestToken(pending);
        await t.store.reviewRequestToken(pending.token, {
          grant: { userId: owner, permission: 'READ_PUBLIC' },
          verifier: 'v',
          now: clock,
        });
        assert.equal(await t.store.revokeTokenOf(uid('other'), pending.token, clock), false);
        assert.equal(await t.store.revokeTokenOf(owner, pending.token, clock), true);
        assert.equal(await t.store.getRequestToken(pending.token), undefined);
        assert.equal(await t.store.consumeRequestToken(pending.token, accessToken()), false);
      });
      it('revokes a request token before its exchange', async () => {
        const rt = requestToken();
        await t.store.createRequestToken(rt);
        assert.equal(await t.store.revokeRequestToken(rt.token, clock), true);
        assert.equal(await t.store.revokeRequestToken(rt.token, clock), false);
        assert.equal(await t.store.getRequestToken(rt.token), undefined);
      });
      it('cleans up request tokens a day past expiry, and expired sessions', async () => {
        const old = requestToken({ createdAt: clock - 30 * HOUR, expiresAt: clock - 25 * HOUR });
        const recent = requestToken({ createdAt: clock - 3 * HOUR, expiresAt: clock - HOUR });
        await t.store.createRequestToken(old);
        await t.store.createRequestToken(recent);
        await t.store.createSession(uid('sid'), { userId: 'x', expiresAt: clock - 1 });
        const r = await t.store.cleanup(clock);
        assert.ok(r.requestTokens >= 1 && r.sessions >= 1);
        assert.equal(await t.store.getRequestToken(old.token), undefined);
        assert.ok(await t.store.getRequestToken(recent.token));
      });
    });

    describe('reviewToken (the decision, as the page and the CLI record it)', () => {
      // The decision goes through @signet/server's createAuthorizationEndpoint, which refuses
      // tokens of unknown or disabled consumers: these tokens belong to a registered one.
      const reviewedConsumer = uid('rck');
      const reviewable = (fields: Partial<RequestToken> = {}) =>
        requestToken({ consumerKey: reviewedConsumer, ...fields });
      before(async () => {
        await t.store.createConsumer({ key: reviewedConsumer, secret: '' });
      });
      it('checks person and context, records a fresh verifier, builds the redirect', async () => {
        const user = uid('rev');
        await t.store.createUser({ name: user });
        const ctx = uid('ctx');
        await t.store.createContext({ name: ctx });
        const rt = reviewable({ callback: 'https://c.example/done?state=a%20b#frag' });
        await t.store.createRequestToken(rt);
        const r = await reviewToken(t.store, {
          token: rt.token,
          userId: user,
          permission: 'DESKTOP_INTEGRATION',
          context: ctx,
          expiresIn: 3600,
          now: clock,
        });
        assert.match(r.verifier, /^[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
        assert.equal(
          r.redirect,
          `https://c.example/done?state=a%20b&oauth_token=${rt.token}&oauth_verifier=${r.verifier}#frag`,
        );
        assert.deepEqual(r.token.grant, {
          userId: user,
          permission: 'DESKTOP_INTEGRATION',
          context: ctx,
          expiresAt: clock + 3600_000,
        });
        assert.equal((await t.store.getRequestToken(rt.token))?.verifier, r.verifier);
        await assert.rejects(
          reviewToken(t.store, {
            token: rt.token,
            userId: user,
            permission: 'READ_PUBLIC',
            now: clock,
          }),
          rejectsWith('ERR_TOKEN_STATE'),
        );
      });
      it('refuses an unknown token, person or context, and an expired token', async () => {
        const user = uid('rev');
        await t.store.createUser({ name: user });
        const rt = reviewable({ callback: 'oob' });
        await t.store.createRequestToken(rt);
        const base = {
          token: rt.token,
          userId: user,
          permission: 'READ_PUBLIC' as const,
          now: clock,
        };
        await assert.rejects(
          reviewToken(t.store, { ...base, token: uid('x') }),
          rejectsWith('ERR_NOT_FOUND'),
        );
        await assert.rejects(
          reviewToken(t.store, { ...base, userId: uid('x') }),
          rejectsWith('ERR_NOT_FOUND'),
        );
        await assert.rejects(
          reviewToken(t.store, { ...base, context: uid('x') }),
          rejectsWith('ERR_NOT_FOUND'),
        );
        await assert.rejects(
          reviewToken(t.store, { ...base, now: rt.expiresAt }),
          rejectsWith('ERR_TOKEN_STATE'),
        );
        const ok = await reviewToken(t.store, base);
        assert.equal(ok.redirect, undefined, 'oob has no redirect');
      });
      it('refuses a token of an unknown or disabled consumer', async () => {
        const user = uid('rev');
        await t.store.createUser({ name: user });
        const orphan = requestToken({ consumerKey: uid('gone'), callback: 'oob' });
        await t.store.createRequestToken(orphan);
        const off = uid('off');
        await t.store.createConsumer({ key: off, secret: '' });
        await t.store.disableConsumer(off);
        const disabled = requestToken({ consumerKey: off, callback: 'oob' });
        await t.store.createRequestToken(disabled);
        for (const rt of [orphan, disabled]) {
          await assert.rejects(
            reviewToken(t.store, {
              token: rt.token,
              userId: user,
              permission: 'READ_PUBLIC',
              now: clock,
            }),
            rejectsWith('ERR_FORBIDDEN'),
          );
          assert.equal((await t.store.getRequestToken(rt.token))?.grant, undefined);
        }
      });
    });

    describe('sessions', () => {
      it('creates, finds, expires and destroys sessions', async () => {
        const id = uid('sid');
        await t.store.createSession(id, { userId: 'sam', expiresAt: clock + HOUR });
        assert.deepEqual(await t.store.getSession(id), { userId: 'sam', expiresAt: clock + HOUR });
        await t.store.destroySession(id);
        assert.equal(await t.store.getSession(id), undefined);
        const expired = uid('sid');
        await t.store.createSession(expired, { userId: 'sam', expiresAt: clock });
        assert.equal(await t.store.getSession(expired), undefined);
        const user = uid('many');
        await t.store.createSession(uid('a'), { userId: user, expiresAt: clock + HOUR });
        await t.store.createSession(uid('b'), { userId: user, expiresAt: clock + HOUR });
        assert.equal(await t.store.destroySessionsOf(user), 2);
      });
    });

    describe('notes', () => {
      it('creates, reads, updates and deletes a note', async () => {
        const owner = uid('writer');
        const n = await t.store.createNote({ owner, title: 'T', body: 'B', visibility: 'public' });
        assert.ok(Number.isInteger(n.id) && n.id > 0);
        assert.deepEqual(n, {
          id: n.id,
          owner,
          title: 'T',
          body: 'B',
          visibility: 'public',
          createdAt: clock,
          updatedAt: clock,
        });
        assert.deepEqual(await t.store.getNote(n.id), n);
        clock += 10;
        const u = await t.store.updateNote(n.id, {
          body: 'B2',
          visibility: 'private',
          context: 'firefox',
        });
        assert.deepEqual(u, {
          ...n,
          body: 'B2',
          visibility: 'private',
          context: 'firefox',
          updatedAt: clock,
        });
        const cleared = await t.store.updateNote(n.id, { context: null });
        assert.equal(cleared?.context, undefined);
        assert.equal(await t.store.deleteNote(n.id), true);
        assert.equal(await t.store.deleteNote(n.id), false);
        assert.equal(await t.store.getNote(n.id), undefined);
        assert.equal(await t.store.updateNote(n.id, { title: 'x' }), undefined);
      });
      it("lists public notes, plus one person's private notes when asked", async () => {
        const a = uid('a');
        const b = uid('b');
        const pubA = await t.store.createNote({
          owner: a,
          title: 'pa',
          body: '',
          visibility: 'public',
        });
        const privA = await t.store.createNote({
          owner: a,
          title: 'sa',
          body: '',
          visibility: 'private',
        });
        const privB = await t.store.createNote({
          owner: b,
          title: 'sb',
          body: '',
          visibility: 'private',
        });
        const ids = (notes: { id: number }[]) => notes.map((n) => n.id);
        const anonymous = ids(await t.store.listNotes());
        assert.ok(anonymous.includes(pubA.id));
        assert.ok(!anonymous.includes(privA.id) && !anonymous.includes(privB.id));
        const ofA = ids(await t.store.listNotes({ privateOf: a }));
        assert.ok(ofA.includes(pubA.id) && ofA.includes(privA.id) && !ofA.includes(privB.id));
      });
      it('refuses a visibility other than public or private', async () => {
        await assert.rejects(
          t.store.createNote({ owner: 'x', title: '', body: '', visibility: 'secret' as 'public' }),
          rejectsWith('ERR_INVALID'),
        );
      });
    });

    describe('secrets at rest', () => {
      it('stores no consumer, token or verifier secret in the clear', async () => {
        const marks = {
          consumer: `consumersecret${randomBytes(8).toString('hex')}`,
          request: `requestsecret${randomBytes(8).toString('hex')}`,
          verifier: `verifiersecret${randomBytes(8).toString('hex')}`,
          access: `accesssecret${randomBytes(8).toString('hex')}`,
        };
        const consumer = await t.store.createConsumer({ key: uid('sec'), secret: marks.consumer });
        const rt = requestToken({ consumerKey: consumer.key, secret: marks.request });
        await t.store.createRequestToken(rt);
        await t.store.reviewRequestToken(rt.token, {
          grant: { userId: 'alice', permission: 'READ_PUBLIC' },
          verifier: marks.verifier,
          now: clock,
        });
        // A second token stays reviewed but unexchanged, so its verifier remains stored.
        const kept = requestToken({ consumerKey: consumer.key, secret: marks.request });
        await t.store.createRequestToken(kept);
        await t.store.reviewRequestToken(kept.token, {
          grant: { userId: 'alice', permission: 'READ_PUBLIC' },
          verifier: marks.verifier,
          now: clock,
        });
        const at = accessToken({ consumerKey: consumer.key, secret: marks.access });
        await t.store.consumeRequestToken(rt.token, at);
        // The secrets do round-trip ...
        assert.equal((await t.store.getConsumer(consumer.key))?.secret, marks.consumer);
        assert.equal((await t.store.getAccessToken(at.token))?.secret, marks.access);
        assert.equal((await t.store.getRequestToken(kept.token))?.verifier, marks.verifier);
        // ... but no row holds them in the clear.
        const dump = JSON.stringify(
          await Promise.all(
            (['consumers', 'request_tokens', 'access_tokens'] as const).map((table) =>
              t.store.db.selectFrom(table).selectAll().execute(),
            ),
          ),
        );
        assert.ok(dump.includes(consumer.key) && dump.includes(at.token), 'keys are stored as is');
        for (const [what, mark] of Object.entries(marks)) {
          assert.ok(!dump.includes(mark), `${what} secret found in the clear`);
        }
        if (dialect === 'sqlite') {
          // And not in any byte of the database files either (main file, WAL, journal).
          await t.close();
          const bytes = Buffer.concat(
            readdirSync(t.location).map((f) => readFileSync(join(t.location, f))),
          ).toString('latin1');
          assert.ok(bytes.includes(consumer.key), 'the file dump does hold the data');
          for (const [what, mark] of Object.entries(marks)) {
            assert.ok(!bytes.includes(mark), `${what} secret found in the database file`);
          }
        }
      });
    });
  });
}

describe('migrations', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`create every table and index on a fresh ${dialect} database, and are idempotent`, async () => {
      const t = await openTestStore(dialect);
      try {
        const tables = await t.store.db.introspection.getTables();
        const names = tables.map((x) => x.name).sort();
        for (const table of [
          'access_tokens',
          'consumers',
          'contexts',
          'nonces',
          'notes',
          'request_tokens',
          'sessions',
          'users',
        ]) {
          assert.ok(names.includes(table), `${table} exists`);
        }
        const { migrateToLatest } = await import('../src/db/connect.js');
        assert.deepEqual(await migrateToLatest(t.store.db, dialect), []);
        const indexQuery =
          dialect === 'sqlite'
            ? sql<{ name: string }>`select name from sqlite_master where type = 'index'`
            : sql<{
                name: string;
              }>`select indexname as name from pg_indexes where schemaname = current_schema()`;
        const indexes = (await indexQuery.execute(t.store.db)).rows.map((r) => r.name);
        for (const index of [
          'access_tokens_user_idx',
          'request_tokens_user_idx',
          'nonces_expires_idx',
          'notes_owner_idx',
        ]) {
          assert.ok(indexes.includes(index), `${index} exists`);
        }
        if (dialect === 'postgres') {
          // Everything went into this run's schema, nothing into public.
          const r = await sql<{ n: string }>`select count(*) as n from information_schema.tables
            where table_schema = ${t.location}`.execute(t.store.db);
          assert.ok(Number(r.rows[0]?.n) >= 8);
        }
      } finally {
        await t.dispose();
      }
    });
  }
});
