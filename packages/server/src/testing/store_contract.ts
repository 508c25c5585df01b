/**
 * The contract every `OAuthStore` must pass, as a `node:test` suite. Store-agnostic and
 * self-cleaning: every test uses fresh random keys, so it can run against a shared database.
 *
 * @example
 * ```ts
 * import { storeContract } from '@signet/server/testing';
 * storeContract('SqliteStore', () => openStore(':memory:'), {
 *   addConsumer: (store, consumer) => (store as SqliteStore).addConsumer(consumer),
 *   release: (store) => (store as SqliteStore).close(),
 * });
 * ```
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateNonce } from '@signet/core';
import type { AccessToken, Consumer, Grant, NonceUse, OAuthStore, RequestToken } from '../store.js';

/**
 * Options of {@link storeContract}.
 *
 * @see RFC 5849 §2
 */
export interface StoreContractOptions {
  /**
   * Registers a consumer the way the store's owner does (registration is not part of
   * `OAuthStore`). Without it, only the unknown-consumer case of `getConsumer` is tested.
   */
  readonly addConsumer?:
    | ((store: OAuthStore, consumer: Consumer) => Promise<void> | void)
    | undefined;
  /** Called once after the suite (close connections, drop files). */
  readonly release?: ((store: OAuthStore) => Promise<void> | void) | undefined;
  /** How many concurrent calls the race tests make. Default 128 (at least 100). */
  readonly concurrency?: number | undefined;
}

const HOUR = 3_600_000;
const unique = (label: string): string => `${label}-${generateNonce()}`;

// Optional fields may come back absent or `undefined`, never `null` or anything else.
function assertFields(actual: object | undefined, expected: object, what: string): void {
  assert.ok(actual !== undefined, `${what}: expected a value, got undefined`);
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
    if (e[key] === undefined) {
      assert.equal(a[key], undefined, `${what}.${key} should be undefined`);
    } else {
      assert.deepEqual(a[key], e[key], `${what}.${key}`);
    }
  }
}

function requestToken(consumerKey: string, fields: Partial<RequestToken> = {}): RequestToken {
  const now = Date.now();
  return {
    token: unique('rt'),
    secret: unique('rs'),
    consumerKey,
    callback: 'https://client.example/cb?x=1',
    createdAt: now,
    expiresAt: now + 2 * HOUR,
    ...fields,
  };
}

function accessToken(consumerKey: string, fields: Partial<AccessToken> = {}): AccessToken {
  return {
    token: unique('at'),
    secret: unique('as'),
    consumerKey,
    userId: 'alice',
    permission: 'READ_PUBLIC',
    createdAt: Date.now(),
    ...fields,
  };
}

const grant: Grant = { userId: 'alice', permission: 'WRITE_PRIVATE' };

/**
 * Declares the store contract suite for one store. `makeStore` is called once, before the
 * tests. Covers every `OAuthStore` method, including the atomicity of `reviewRequestToken`,
 * `consumeRequestToken` and `useNonce` under concurrent calls.
 *
 * @see RFC 5849 §2, §3.3
 * @example
 * ```ts
 * storeContract('MemoryStore', () => new MemoryStore(), {
 *   addConsumer: (s, c) => (s as MemoryStore).addConsumer(c),
 * });
 * ```
 */
export function storeContract(
  name: string,
  makeStore: () => OAuthStore | Promise<OAuthStore>,
  options: StoreContractOptions = {},
): void {
  const n = Math.max(100, options.concurrency ?? 128);

  describe(`OAuthStore contract: ${name}`, () => {
    let store: OAuthStore;
    before(async () => {
      store = await makeStore();
    });
    after(async () => {
      await options.release?.(store);
    });

    describe('getConsumer', () => {
      it('returns undefined for an unknown key', async () => {
        assert.equal(await store.getConsumer(unique('nobody')), undefined);
      });
      const add = options.addConsumer;
      if (add !== undefined) {
        it('returns a registered consumer with every field', async () => {
          const consumer: Consumer = {
            key: unique('ck'),
            secret: unique('cs'),
            name: 'Contract test app',
            callbackUrl: 'https://client.example/cb',
            rsaPublicKey: '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n',
          };
          await add(store, consumer);
          assertFields(await store.getConsumer(consumer.key), consumer, 'consumer');
        });
        it('returns a consumer with an empty secret (open consumers) and no optional fields', async () => {
          const consumer: Consumer = { key: unique('ck'), secret: '', name: 'Open' };
          await add(store, consumer);
          assertFields(await store.getConsumer(consumer.key), consumer, 'consumer');
        });
        it('returns a disabled consumer, marked disabled', async () => {
          const consumer: Consumer = {
            key: unique('ck'),
            secret: 's',
            name: 'Off',
            disabled: true,
          };
          await add(store, consumer);
          const got = await store.getConsumer(consumer.key);
          assert.equal(got?.disabled, true);
        });
      }
    });

    describe('request tokens', () => {
      it('stores and returns a request token with every field', async () => {
        const t = requestToken(unique('ck'), { realms: ['photos', 'videos'], protocol: 'rfc5849' });
        await store.createRequestToken(t);
        assertFields(await store.getRequestToken(t.token), t, 'requestToken');
      });
      it('stores a Launchpad token without callback or realms', async () => {
        const t = requestToken(unique('ck'), { callback: undefined, protocol: 'launchpad' });
        await store.createRequestToken(t);
        assertFields(await store.getRequestToken(t.token), t, 'requestToken');
      });
      it('returns undefined for an unknown request token', async () => {
        assert.equal(await store.getRequestToken(unique('rt')), undefined);
      });
    });

    describe('reviewRequestToken', () => {
      it('records grant, verifier and reviewedAt, and returns the updated token', async () => {
        const t = requestToken(unique('ck'));
        await store.createRequestToken(t);
        const now = t.createdAt + 1000;
        const g: Grant = {
          userId: 'bob',
          permission: 'READ_PRIVATE',
          context: 'firefox',
          realms: ['photos'],
          expiresAt: now + HOUR,
        };
        const reviewed = await store.reviewRequestToken(t.token, { grant: g, verifier: 'v1', now });
        const expected = { ...t, grant: g, verifier: 'v1', reviewedAt: now };
        assertFields(reviewed, expected, 'reviewed');
        const stored = await store.getRequestToken(t.token);
        assertFields(stored, expected, 'stored');
        assertFields(stored?.grant, g, 'stored.grant');
      });
      it('records a refusal like any other decision', async () => {
        const t = requestToken(unique('ck'));
        await store.createRequestToken(t);
        const g: Grant = { userId: 'bob', permission: 'UNAUTHORIZED' };
        const r = await store.reviewRequestToken(t.token, {
          grant: g,
          verifier: 'v',
          now: t.createdAt,
        });
        assert.equal(r?.grant?.permission, 'UNAUTHORIZED');
      });
      it('reviews a token at most once', async () => {
        const t = requestToken(unique('ck'));
        await store.createRequestToken(t);
        assert.ok(
          await store.reviewRequestToken(t.token, { grant, verifier: 'first', now: t.createdAt }),
        );
        const again = await store.reviewRequestToken(t.token, {
          grant: { userId: 'mallory', permission: 'DESKTOP_INTEGRATION' },
          verifier: 'second',
          now: t.createdAt + 1,
        });
        assert.equal(again, undefined);
        const stored = await store.getRequestToken(t.token);
        assert.equal(stored?.verifier, 'first');
        assert.equal(stored?.grant?.userId, 'alice');
      });
      it('refuses to review an expired token', async () => {
        const t = requestToken(unique('ck'));
        await store.createRequestToken(t);
        const r = await store.reviewRequestToken(t.token, {
          grant,
          verifier: 'v',
          now: t.expiresAt,
        });
        assert.equal(r, undefined);
        assert.equal((await store.getRequestToken(t.token))?.grant, undefined);
      });
      it('returns undefined for an unknown token', async () => {
        const r = await store.reviewRequestToken(unique('rt'), {
          grant,
          verifier: 'v',
          now: Date.now(),
        });
        assert.equal(r, undefined);
      });
      it(`of ${n} concurrent reviews, exactly one is recorded`, async () => {
        const t = requestToken(unique('ck'));
        await store.createRequestToken(t);
        const results = await Promise.all(
          Array.from({ length: n }, (_, i) =>
            store.reviewRequestToken(t.token, {
              grant: { userId: `user${i}`, permission: 'READ_PUBLIC' },
              verifier: `v${i}`,
              now: t.createdAt,
            }),
          ),
        );
        const winners = results.filter((r) => r !== undefined);
        assert.equal(winners.length, 1);
        const stored = await store.getRequestToken(t.token);
        assert.equal(stored?.verifier, winners[0]?.verifier);
        assert.equal(stored?.grant?.userId, winners[0]?.grant?.userId);
      });
    });

    describe('consumeRequestToken', () => {
      it('retires the request token and stores the access token', async () => {
        const ck = unique('ck');
        const t = requestToken(ck);
        await store.createRequestToken(t);
        await store.reviewRequestToken(t.token, { grant, verifier: 'v', now: t.createdAt });
        const a = accessToken(ck, {
          permission: 'WRITE_PRIVATE',
          context: 'ubuntu/firefox',
          realms: ['photos'],
          expiresAt: Date.now() + HOUR,
        });
        assert.equal(await store.consumeRequestToken(t.token, a), true);
        assert.equal(await store.getRequestToken(t.token), undefined);
        assertFields(await store.getAccessToken(a.token), a, 'accessToken');
      });
      it('refuses a second exchange and stores nothing for it', async () => {
        const ck = unique('ck');
        const t = requestToken(ck);
        await store.createRequestToken(t);
        assert.equal(await store.consumeRequestToken(t.token, accessToken(ck)), true);
        const second = accessToken(ck);
        assert.equal(await store.consumeRequestToken(t.token, second), false);
        assert.equal(await store.getAccessToken(second.token), undefined);
      });
      it('refuses an unknown request token and stores nothing', async () => {
        const a = accessToken(unique('ck'));
        assert.equal(await store.consumeRequestToken(unique('rt'), a), false);
        assert.equal(await store.getAccessToken(a.token), undefined);
      });
      it(`of ${n} concurrent exchanges of one request token, exactly one succeeds`, async () => {
        const ck = unique('ck');
        const t = requestToken(ck);
        await store.createRequestToken(t);
        await store.reviewRequestToken(t.token, { grant, verifier: 'v', now: t.createdAt });
        const candidates = Array.from({ length: n }, () => accessToken(ck));
        const results = await Promise.all(
          candidates.map((a) => store.consumeRequestToken(t.token, a)),
        );
        assert.equal(results.filter((r) => r).length, 1);
        const stored = await Promise.all(candidates.map((a) => store.getAccessToken(a.token)));
        const winner = results.indexOf(true);
        stored.forEach((s, i) => {
          if (i === winner) assert.equal(s?.token, candidates[i]!.token);
          else assert.equal(s, undefined, `loser ${i} must store nothing`);
        });
      });
    });

    describe('access tokens', () => {
      it('returns undefined for an unknown access token', async () => {
        assert.equal(await store.getAccessToken(unique('at')), undefined);
      });
      it('returns a token without optional fields as such', async () => {
        const ck = unique('ck');
        const t = requestToken(ck);
        await store.createRequestToken(t);
        const a = accessToken(ck);
        assert.equal(await store.consumeRequestToken(t.token, a), true);
        assertFields(await store.getAccessToken(a.token), a, 'accessToken');
      });
      it('revokes a live token once, and keeps it with revokedAt', async () => {
        const ck = unique('ck');
        const t = requestToken(ck);
        await store.createRequestToken(t);
        const a = accessToken(ck);
        await store.consumeRequestToken(t.token, a);
        const now = Date.now() + 5000;
        assert.equal(await store.revokeAccessToken(a.token, now), true);
        assertFields(await store.getAccessToken(a.token), { ...a, revokedAt: now }, 'revoked');
        assert.equal(await store.revokeAccessToken(a.token, now + 1), false);
        assert.equal((await store.getAccessToken(a.token))?.revokedAt, now);
      });
      it('does not revoke an unknown token', async () => {
        assert.equal(await store.revokeAccessToken(unique('at'), Date.now()), false);
      });
    });

    describe('useNonce', () => {
      const later = () => Date.now() + HOUR;
      const nonce = (): NonceUse => ({
        consumerKey: unique('ck'),
        token: unique('tk'),
        timestamp: String(Math.floor(Date.now() / 1000)),
        nonce: unique('n'),
      });
      it('accepts a nonce once and refuses the replay', async () => {
        const u = nonce();
        assert.equal(await store.useNonce(u, later()), true);
        assert.equal(await store.useNonce({ ...u }, later()), false);
      });
      it('tells nonces apart by consumer, token, timestamp and nonce', async () => {
        const u = nonce();
        assert.equal(await store.useNonce(u, later()), true);
        assert.equal(await store.useNonce({ ...u, consumerKey: unique('ck') }, later()), true);
        assert.equal(await store.useNonce({ ...u, token: '' }, later()), true);
        assert.equal(
          await store.useNonce({ ...u, timestamp: String(Number(u.timestamp) + 1) }, later()),
          true,
        );
        assert.equal(await store.useNonce({ ...u, nonce: unique('n') }, later()), true);
      });
      it('keeps parts apart whatever they contain', async () => {
        const base = unique('x');
        const a: NonceUse = { consumerKey: `${base}:a`, token: 'b', timestamp: '1', nonce: 'c' };
        const b: NonceUse = { consumerKey: base, token: 'a:b', timestamp: '1', nonce: 'c' };
        assert.equal(await store.useNonce(a, later()), true);
        assert.equal(await store.useNonce(b, later()), true);
      });
      it(`of ${n} concurrent uses of one nonce, exactly one is accepted`, async () => {
        const u = nonce();
        const results = await Promise.all(
          Array.from({ length: n }, () => store.useNonce({ ...u }, later())),
        );
        assert.equal(results.filter((r) => r).length, 1);
      });
    });
  });
}
