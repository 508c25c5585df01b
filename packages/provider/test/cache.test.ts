// The protocol side reads consumers, tokens and nonces from memory; these tests prove it
// never serves a stale answer: revocations from another connection are seen, and nonces
// survive a restart.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { signRequest } from '@signet/core';
import { isStoreUnavailable } from '@signet/server';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { SecretBox } from '../src/crypto/secret_box.js';
import { openDatabase } from '../src/db/connect.js';
import { openProvider, type Provider } from '../src/provider.js';
import { DurableNonces } from '../src/stores/cache.js';
import { nonceKey } from '../src/stores/nonces.js';
import { SqlStore } from '../src/stores/sql.js';
import { pgSchema, tempDir } from './helpers.js';
import {
  call as fetchAnswer,
  grantAccess,
  seed,
  signed,
  signedCall,
  startProvider,
} from './http_harness.js';

const SECRET_KEY = randomBytes(32).toString('base64url');

interface Setup {
  readonly databaseUrl: string;
  readonly database: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
  cleanup(): Promise<void>;
}

async function sqliteSetup(): Promise<Setup> {
  const { dir, remove } = tempDir('cache');
  const path = join(dir, 'signet.db');
  return {
    databaseUrl: `sqlite:${path}`,
    database: { kind: 'sqlite', path },
    cleanup: async () => remove(),
  };
}

async function postgresSetup(): Promise<Setup> {
  const { url, drop } = await pgSchema();
  return { databaseUrl: url, database: { kind: 'postgres', url }, cleanup: drop };
}

// Clients sign for the public URL, as behind a proxy; requests go to the ephemeral port.
const PUBLIC_URL = 'http://provider.test';

async function start(setup: Setup): Promise<{ provider: Provider; base: string }> {
  const config = loadConfig({
    SIGNET_DATABASE_URL: setup.databaseUrl,
    SIGNET_SECRET_KEY: SECRET_KEY,
    SIGNET_PUBLIC_URL: PUBLIC_URL,
  });
  const provider = await openProvider(config);
  await provider.app.listen({ port: 0, host: '127.0.0.1' });
  const address = provider.app.server.address();
  assert.ok(address && typeof address === 'object');
  return { provider, base: `http://127.0.0.1:${address.port}` };
}

// A person, a consumer and an access token with READ_PUBLIC, made through the store.
async function grant(
  store: SqlStore,
): Promise<{ key: string; secret: string; token: string; tokenSecret: string }> {
  const user = `u${randomBytes(4).toString('hex')}`;
  await store.createUser({ name: user, password: 'a long enough password' });
  const consumer = await store.createConsumer({ name: 'cache test' });
  const now = Date.now();
  const rt = `rt${randomBytes(8).toString('hex')}`;
  await store.createRequestToken({
    token: rt,
    secret: 's',
    consumerKey: consumer.key,
    callback: 'oob',
    createdAt: now,
    expiresAt: now + 60_000,
  });
  await store.reviewRequestToken(rt, {
    grant: { userId: user, permission: 'READ_PUBLIC' },
    verifier: 'v',
    now,
  });
  const token = `at${randomBytes(8).toString('hex')}`;
  const tokenSecret = randomBytes(12).toString('hex');
  const ok = await store.consumeRequestToken(rt, {
    token,
    secret: tokenSecret,
    consumerKey: consumer.key,
    userId: user,
    permission: 'READ_PUBLIC',
    createdAt: now,
  });
  assert.equal(ok, true);
  return { key: consumer.key, secret: consumer.secret, token, tokenSecret };
}

function whoami(
  base: string,
  g: { key: string; secret: string; token: string; tokenSecret: string },
  nonce?: string,
) {
  const url = `${base}/api/1.0/whoami`;
  const { authorization } = signRequest({
    method: 'GET',
    url: `${PUBLIC_URL}/api/1.0/whoami`,
    consumerKey: g.key,
    consumerSecret: g.secret,
    token: g.token,
    tokenSecret: g.tokenSecret,
    ...(nonce === undefined ? {} : { nonce }),
  });
  return { url, authorization };
}

async function call(req: {
  url: string;
  authorization: string;
}): Promise<{ status: number; body: string }> {
  const res = await fetch(req.url, { headers: { authorization: req.authorization } });
  return { status: res.status, body: await res.text() };
}

// A second, independent connection: what the admin CLI or another instance would use.
async function otherConnection(
  setup: Setup,
): Promise<{ store: SqlStore; close: () => Promise<void> }> {
  const { db, dialect, close } = await openDatabase(setup.database);
  const store = new SqlStore({ db, dialect, box: SecretBox.fromMasterKey(SECRET_KEY) });
  return { store, close };
}

for (const [name, makeSetup] of [
  ['SQLite', sqliteSetup],
  ['PostgreSQL', postgresSetup],
] as const) {
  describe(`caches on ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    it('a token revoked on another connection is refused', async () => {
      const setup = await makeSetup();
      cleanups.push(() => setup.cleanup());
      const { provider, base } = await start(setup);
      cleanups.push(() => provider.close());
      const g = await grant(provider.storage.store);
      const first = await call(whoami(base, g));
      assert.equal(first.status, 200, first.body);
      assert.equal((await call(whoami(base, g))).status, 200, 'served again, from the cache');

      const other = await otherConnection(setup);
      cleanups.push(() => other.close());
      assert.equal(await other.store.revokeAccessToken(g.token, Date.now()), true);

      if (name === 'SQLite') {
        // The other connection's commit rewrites the WAL-index header: the very next call knows.
        const res = await call(whoami(base, g));
        assert.equal(res.status, 401, res.body);
      } else {
        // NOTIFY arrives on the listening connection a moment after the commit.
        let status = 0;
        const deadline = Date.now() + 2000;
        while (Date.now() < deadline) {
          status = (await call(whoami(base, g))).status;
          if (status === 401) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.equal(status, 401);
      }
    });

    it('a consumer disabled on another connection is refused', async () => {
      const setup = await makeSetup();
      cleanups.push(() => setup.cleanup());
      const { provider, base } = await start(setup);
      cleanups.push(() => provider.close());
      const g = await grant(provider.storage.store);
      assert.equal((await call(whoami(base, g))).status, 200);
      const other = await otherConnection(setup);
      cleanups.push(() => other.close());
      assert.equal(await other.store.disableConsumer(g.key), true);
      let status = 0;
      const deadline = Date.now() + 2000;
      while (Date.now() < deadline) {
        status = (await call(whoami(base, g))).status;
        if (status === 401 || name === 'SQLite') break;
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(status, 401);
    });

    it('a nonce used before a restart is refused after it', async () => {
      const setup = await makeSetup();
      cleanups.push(() => setup.cleanup());
      const first = await start(setup);
      const g = await grant(first.provider.storage.store);
      const req = whoami(first.base, g, `n${randomBytes(8).toString('hex')}`);
      assert.equal((await call(req)).status, 200);
      const replay = await call(req);
      assert.equal(replay.status, 401);
      assert.match(replay.body, /Nonce already used/);
      await first.provider.close();

      const second = await start(setup);
      cleanups.push(() => second.provider.close());
      // The very same signed request, sent to the restarted server.
      const res = await call({
        url: `${second.base}/api/1.0/whoami`,
        authorization: req.authorization,
      });
      assert.equal(res.status, 401, res.body);
      assert.match(res.body, /Nonce already used/);
    });
  });
}

describe('durable nonces on SQLite', () => {
  it('expired batches are deleted, live ones kept, without an index', async () => {
    let clock = Date.now();
    const r = await startProvider({ now: () => clock });
    try {
      await seed(r.store);
      const consumer = await r.store.createConsumer({ name: 'prune' });
      const creds = await grantAccess(r, consumer, 'READ_PUBLIC', { clock: () => clock });
      const whoami = () => signedCall(`${r.base}/api/1.0/whoami`, creds, { clock: () => clock });
      for (let i = 0; i < 5; i++) assert.equal((await whoami()).status, 200);
      const count = async () =>
        Number(
          (
            await r.store.db
              .selectFrom('nonce_batches')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      assert.ok((await count()) >= 5);
      const indexes = await sql<{ name: string }>`pragma index_list(nonce_batches)`.execute(
        r.store.db,
      );
      assert.deepEqual(indexes.rows, []);
      // Past the window and the prune interval: the next commit deletes what expired.
      clock += 700_000;
      const last = signed(`${r.base}/api/1.0/whoami`, creds, { clock: () => clock });
      assert.equal((await fetchAnswer(last.url, last.init)).status, 200);
      assert.equal(await count(), 1);
      assert.equal((await fetchAnswer(last.url, last.init)).status, 401, 'the live one is kept');
    } finally {
      await r.close();
    }
  });
});

describe('durable nonces', () => {
  const use = { consumerKey: 'ck', token: 'tk', timestamp: '1700000000', nonce: 'abc' };

  it('keys are the 16 bytes the table has always stored: the start of the SHA-256', () => {
    // Batches written before an upgrade must still refuse replays after the restart.
    const key = DurableNonces.keyOf(use);
    assert.equal(key.length, 16);
    assert.equal(Buffer.from(key, 'latin1').toString('hex'), nonceKey(use).slice(0, 32));
  });

  it('loads saved keys, refuses them until they expire, and forgets them after', async () => {
    let now = 1_700_000_000_000;
    const saved: (readonly [string, number])[] = [];
    const table = {
      load: async () => saved.filter(([, e]) => e > now),
      save: async (batch: readonly (readonly [string, number])[]) => void saved.push(...batch),
    };
    const first = await DurableNonces.open(table, { now: () => now });
    assert.equal(await first.useNonce(use, now + 10_000), true);
    assert.equal(await first.useNonce(use, now + 10_000), false);
    await first.close();
    assert.equal(saved.length, 1);

    const second = await DurableNonces.open(table, { now: () => now });
    assert.equal(await second.useNonce(use, now + 10_000), false, 'refused after a restart');
    const other = { ...use, nonce: 'def' };
    assert.equal(await second.useNonce(other, now + 20_000), true);
    now += 15_000;
    // The sweep has dropped the first (expired), not the second.
    assert.equal(await second.useNonce(use, now + 10_000), true);
    assert.equal(await second.useNonce(other, now + 5_000), false);
    await second.close();
  });

  it('answers only once the nonce is saved, and a failed save refuses with 503 and keeps nothing', async () => {
    const saved: string[] = [];
    let fail = true;
    const table = {
      load: async () => [],
      save: async (batch: readonly (readonly [string, number])[]) => {
        if (fail) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
        saved.push(...batch.map(([k]) => k));
      },
    };
    const nonces = await DurableNonces.open(table);
    const expires = Date.now() + 60_000;
    const failed = await nonces.useNonce(use, expires).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isStoreUnavailable(failed), String(failed));
    fail = false;
    // The same request again, twice at once: admitted once, and only after the commit.
    const [a, b] = await Promise.all([
      nonces.useNonce(use, expires).then((ok) => [ok, saved.length] as const),
      nonces.useNonce(use, expires).then((ok) => [ok, saved.length] as const),
    ]);
    assert.deepEqual(
      [a, b],
      [
        [true, 1],
        [false, 0],
      ],
    );
    await nonces.close();
  });
});
