// Fault injection against the real services: the provider runs as `npm start` does, on a
// PostgreSQL database and a Redis server of the test's own, while the test terminates its
// backends, refuses its connections, locks its tables and stops its Redis. A dependency that
// fails must give 503 with Retry-After (never a 500, a hang or a crash), a replay must never
// be accepted, and everything must come back without a restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Child,
  dependencyFailures,
  exchange,
  type OwnDatabase,
  type OwnRedis,
  ownDatabase,
  ownRedis,
  type Seeded,
  seed,
  sleep,
  startChild,
} from './fault_harness.js';
import { type Answer, type Creds, call, signed, signedCall } from './http_harness.js';

const whoami = (child: Child, creds: Creds) => signedCall(`${child.base}/api/1.0/whoami`, creds);

/** A 503 as the contract says: Retry-After, and a one-line body. */
function assertUnavailable(a: Answer, what: string): void {
  assert.equal(a.status, 503, `${what}: ${a.status} ${a.text}`);
  assert.match(a.headers.get('retry-after') ?? '', /^\d+$/, `${what}: Retry-After`);
  assert.ok(a.text.length > 0 && !a.text.includes('\n'), `${what}: body ${JSON.stringify(a.text)}`);
}

/** Calls `f` and how long it took, in milliseconds. */
async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await f();
  return [value, performance.now() - start];
}

/** Retries `f` until it gives a 200, for at most `ms`; the last answer. */
async function until200(f: () => Promise<Answer>, ms: number): Promise<Answer> {
  const deadline = Date.now() + ms;
  for (;;) {
    const a = await f();
    if (a.status === 200 || Date.now() > deadline) return a;
    await sleep(100);
  }
}

/** A login attempt through the form, as a fresh browser makes it. */
async function login(child: Child, username: string, password: string): Promise<Answer> {
  const page = await fetch(`${child.base}/login`);
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  return call(`${child.base}/login`, {
    method: 'POST',
    headers: { cookie },
    body: new URLSearchParams({ csrf, username, password, next: '/' }),
  });
}

async function granted(child: Child, seeded: Seeded): Promise<Required<Creds>> {
  const r = await exchange(child, seeded);
  assert.ok('creds' in r, 'failed' in r ? `${r.failed.status} ${r.failed.text}` : '');
  return r.creds;
}

describe('PostgreSQL faults (provider as a child process)', () => {
  let db: OwnDatabase;
  let seeded: Seeded;
  let child: Child;
  before(async () => {
    db = await ownDatabase();
    seeded = await seed(db);
    child = await startChild({
      ...seeded.env,
      SIGNET_DB_STATEMENT_TIMEOUT_MS: '500',
      SIGNET_DB_ACQUIRE_TIMEOUT_MS: '2000',
      SIGNET_REQUEST_TIMEOUT_MS: '4000',
    });
  });
  after(async () => {
    await child?.stop();
    await seeded?.storage.close();
    await db?.drop();
  });

  it('survives its idle connections being terminated', async () => {
    const creds = await granted(child, seeded);
    assert.equal((await whoami(child, creds)).status, 200);
    // What a restart, a failover, PgBouncer or an idle-session timeout does to a pool.
    assert.ok((await db.terminate()) > 0, 'the provider had connections to terminate');
    await sleep(300);
    assert.ok(child.alive(), `the process ended:\n${child.stderr()}`);
    // The pool dropped the dead connections as they were closed: no request pays for them.
    const next = await whoami(child, creds);
    assert.equal(next.status, 200, next.text);
  });

  it('sees revocations by another process after its change feed connection was terminated', async () => {
    const creds = await granted(child, seeded);
    // Cached now: consumer and token come from memory while the feed says nothing changed.
    assert.equal((await whoami(child, creds)).status, 200);
    assert.equal((await whoami(child, creds)).status, 200);
    await db.terminate();
    await sleep(1500); // the feed reconnects (a retry every second)
    assert.equal((await until200(() => whoami(child, creds), 3000)).status, 200);
    assert.ok(await seeded.storage.store.revokeAccessToken(creds.token, Date.now()));
    const deadline = Date.now() + 2000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await whoami(child, creds)).status;
      if (status === 200) await sleep(50);
    }
    assert.equal(status, 401, 'a revoked token still accepted');
  });

  it('survives terminations under a stream of signed calls and exchanges, losing only requests in flight', async (t) => {
    const creds = await granted(child, seeded);
    const issued: Required<Creds>[] = [];
    const statuses = new Map<number, number>();
    const count = (a: Answer) => {
      statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      if (a.status !== 200) assertUnavailable(a, 'a failed request');
    };
    let running = true;
    const calls = async () => {
      while (running) count(await whoami(child, creds));
    };
    const exchanges = async () => {
      while (running) {
        const r = await exchange(child, seeded).catch((e: unknown) => ({ error: e }));
        if ('creds' in r) {
          issued.push(r.creds);
          count({ status: 200, headers: new Headers(), text: '' });
        } else if ('failed' in r) count(r.failed);
        // else: the test's own review failed; not the provider's business.
      }
    };
    const load = [calls(), calls(), calls(), exchanges(), exchanges()];
    let terminated = 0;
    for (let i = 0; i < 8; i++) {
      await sleep(400);
      terminated += await db.terminate();
    }
    await sleep(400);
    running = false;
    await Promise.all(load);

    t.diagnostic(
      `terminated ${terminated} backends; statuses ${JSON.stringify([...statuses])}; ${issued.length} exchanges`,
    );
    assert.ok(child.alive(), `the process ended:\n${child.stderr()}`);
    assert.ok(terminated >= 8, `terminated ${terminated} backends`);
    const ok = statuses.get(200) ?? 0;
    const failed = [...statuses].filter(([s]) => s !== 200).reduce((n, [, k]) => n + k, 0);
    assert.deepEqual(
      [...statuses.keys()].filter((s) => s !== 200 && s !== 503),
      [],
      `statuses: ${JSON.stringify([...statuses])}`,
    );
    // Only requests in flight when a backend died may fail: each termination hits at most
    // the pool's 10 connections and the change feed's.
    assert.ok(failed <= terminated, `${failed} failed for ${terminated} terminated backends`);
    assert.ok(ok > 20, `only ${ok} answered 200`);
    assert.ok(issued.length > 0, 'no exchange completed');
    // Recovery without a restart, and every token answered 200 is a working token.
    for (const t of issued) assert.equal((await whoami(child, t)).status, 200);
    assert.ok((await dependencyFailures(child, 'database', 'connection')) >= failed);
  });

  it('answers 503 with Retry-After while the database refuses connections, then recovers', async () => {
    const creds = await granted(child, seeded);
    await db.allowConnections(false);
    try {
      await db.terminate();
      const until = Date.now() + 3000;
      let seen = 0;
      while (Date.now() < until) {
        const [a, ms] = await timed(() => whoami(child, creds));
        assertUnavailable(a, 'whoami');
        assert.ok(ms < 3000, `answered after ${ms} ms`);
        seen++;
        await sleep(100);
      }
      assert.ok(seen >= 5);
      const ready = await call(`${child.base}/readyz`);
      assert.equal(ready.status, 503, ready.text);
      assert.match(ready.headers.get('retry-after') ?? '', /^\d+$/);
      assert.deepEqual(JSON.parse(ready.text), {
        status: 'unavailable',
        down: ['database'],
        checks: { database: 'connection' },
      });
      assert.equal((await call(`${child.base}/healthz`)).status, 200, 'liveness is not readiness');
      // People pages too: a session is looked up in the database.
      const page = await call(`${child.base}/account/applications`, {
        headers: { cookie: 'signet_session=whatever' },
      });
      assertUnavailable(page, 'a page');
    } finally {
      await db.allowConnections(true);
    }
    assert.equal((await until200(() => whoami(child, creds), 5000)).status, 200);
    assert.equal((await call(`${child.base}/readyz`)).status, 200);
    assert.ok(child.alive());
    const lines = child.logs().filter((l) => l['msg'] === 'database unavailable');
    assert.ok(lines.length > 0, 'the failure is logged');
    assert.ok(
      lines.every((l) => typeof l['cause'] === 'string' && l['cause'] !== ''),
      'with its cause',
    );
  });

  it('answers 503 within the deadline when a table stays locked past the statement timeout', async () => {
    const creds = await granted(child, seeded);
    const before = await dependencyFailures(child, 'database', 'timeout');
    // Every signed call records its nonce: lock that table for longer than any deadline.
    const release = await db.lock('nonces');
    let answers: [Answer, number][];
    try {
      answers = await Promise.all(
        Array.from({ length: 20 }, () => timed(() => whoami(child, creds))),
      );
    } finally {
      await release();
    }
    for (const [a, ms] of answers) {
      assertUnavailable(a, 'whoami behind a lock');
      assert.ok(ms < 4500, `answered after ${Math.round(ms)} ms`);
    }
    assert.ok((await dependencyFailures(child, 'database', 'timeout')) > before);
    assert.equal((await whoami(child, creds)).status, 200);
  });

  it('a lock on notes does not starve whoami of connections', async () => {
    const creds = await granted(child, seeded);
    const release = await db.lock('notes');
    let who: [Answer, number];
    let notes: Answer[];
    try {
      const stuck = Array.from({ length: 10 }, () =>
        signedCall(`${child.base}/api/1.0/notes`, creds),
      );
      await sleep(100);
      who = await timed(() => whoami(child, creds));
      notes = await Promise.all(stuck);
    } finally {
      await release();
    }
    assert.equal(who[0].status, 200, who[0].text);
    assert.ok(who[1] < 3500, `whoami took ${Math.round(who[1])} ms`);
    for (const n of notes) assertUnavailable(n, 'notes behind a lock');
  });
});

describe('the request deadline (provider as a child process)', () => {
  let db: OwnDatabase;
  let seeded: Seeded;
  let child: Child;
  before(async () => {
    db = await ownDatabase();
    seeded = await seed(db);
    // No statement timeout: only the request deadline stands between a lock and the client.
    child = await startChild({
      ...seeded.env,
      SIGNET_DB_STATEMENT_TIMEOUT_MS: '0',
      SIGNET_REQUEST_TIMEOUT_MS: '1500',
    });
  });
  after(async () => {
    await child?.stop();
    await seeded?.storage.close();
    await db?.drop();
  });

  it('answers 503 with Retry-After when a request runs past SIGNET_REQUEST_TIMEOUT_MS', async () => {
    const creds = await granted(child, seeded);
    const release = await db.lock('nonces');
    let answers: [Answer, number][];
    try {
      answers = await Promise.all(
        Array.from({ length: 5 }, () => timed(() => whoami(child, creds))),
      );
    } finally {
      await release();
    }
    for (const [a, ms] of answers) {
      assertUnavailable(a, 'whoami past the deadline');
      assert.ok(ms < 3000, `answered after ${Math.round(ms)} ms`);
    }
    // The work that was cut off finishes once the lock is gone; its late answer goes nowhere.
    await sleep(300);
    assert.equal((await whoami(child, creds)).status, 200);
    assert.ok(child.alive());
    assert.doesNotMatch(child.stdout(), /already sent/);
    const metrics = await (await fetch(`${child.base}/metrics`)).text();
    assert.match(metrics, /^signet_request_deadline_exceeded_total [1-9]/m);
  });
});

describe('Redis faults (provider as a child process)', () => {
  let db: OwnDatabase;
  let redis: OwnRedis;
  let seeded: Seeded;
  let child: Child;
  before(async () => {
    db = await ownDatabase();
    redis = await ownRedis();
    seeded = await seed(db);
    child = await startChild({ ...seeded.env, SIGNET_REDIS_URL: redis.url });
    // Anything signed in the second the provider first met this Redis counts as older.
    await sleep(1100);
  });
  after(async () => {
    await child?.stop();
    await seeded?.storage.close();
    await redis?.stop();
    await db?.drop();
  });

  it('answers 503 within a second while Redis is down, and never accepts a replay across a restart without persistence', async () => {
    const creds = await granted(child, seeded);
    const first = signed(`${child.base}/api/1.0/whoami`, creds);
    const accepted = await call(first.url, first.init);
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal((await call(first.url, first.init)).status, 401, 'replay refused');

    await redis.stop();
    for (let i = 0; i < 5; i++) {
      const [a, ms] = await timed(() => whoami(child, creds));
      assertUnavailable(a, 'whoami with Redis down');
      assert.ok(ms < 1000, `answered after ${Math.round(ms)} ms`);
      const [replay, ms2] = await timed(() => call(first.url, first.init));
      assert.notEqual(replay.status, 200, 'a replay accepted with Redis down');
      assert.ok(ms2 < 1000);
    }
    const ready = await call(`${child.base}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(JSON.parse(ready.text), {
      status: 'unavailable',
      down: ['redis'],
      checks: { database: 'ok', redis: 'connection' },
    });
    // Logins count failures in Redis: a 503 too, not a 500 and not an unlimited guess.
    const [refused, loginMs] = await timed(() => login(child, 'alice', 'a wrong password'));
    // A person gets the login page again, saying so, with the 503 and Retry-After.
    assert.equal(refused.status, 503, refused.text);
    assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
    assert.match(refused.text, /Logging in is unavailable right now/);
    assert.ok(loginMs < 1000, `login answered after ${Math.round(loginMs)} ms`);
    assert.ok((await dependencyFailures(child, 'redis', 'connection')) > 0);

    // Back, empty: the nonce of `first` is forgotten, but not its timestamp.
    await redis.start();
    const back = await until200(() => whoami(child, creds), 5000);
    assert.equal(back.status, 200, back.text);
    const replay = await call(first.url, first.init);
    assert.equal(replay.status, 401, `the replay after the restart: ${replay.text}`);
    assert.equal((await call(`${child.base}/readyz`)).status, 200);

    // A Redis that hangs with its connections open: commands time out instead.
    redis.pause();
    try {
      const [a, ms] = await timed(() => whoami(child, creds));
      assertUnavailable(a, 'whoami with Redis hung');
      assert.ok(ms < 1500, `answered after ${Math.round(ms)} ms`);
    } finally {
      redis.resume();
    }
    assert.equal((await until200(() => whoami(child, creds), 5000)).status, 200);
    assert.ok((await dependencyFailures(child, 'redis', 'timeout')) > 0);

    assert.ok(child.alive());
    assert.doesNotMatch(child.stderr(), /Unhandled error event/);
    assert.ok(
      child.logs().some((l) => l['dependency'] === 'redis' && typeof l['cause'] === 'string'),
      'Redis errors are logged, with their cause',
    );
  });
});

describe('Redis down when the provider starts (provider as a child process)', () => {
  let db: OwnDatabase;
  let redis: OwnRedis;
  let seeded: Seeded;
  let child: Child;
  before(async () => {
    db = await ownDatabase();
    redis = await ownRedis({ started: false });
    seeded = await seed(db);
    child = await startChild({ ...seeded.env, SIGNET_REDIS_URL: redis.url });
  });
  after(async () => {
    await child?.stop();
    await seeded?.storage.close();
    await redis?.stop();
    await db?.drop();
  });

  it('starts, answers 503 until Redis is there, then serves without a restart', async () => {
    const rt = await signedCall(`${child.base}/oauth/request_token`, seeded.consumer, {
      method: 'POST',
      callback: 'oob',
    });
    assertUnavailable(rt, 'a request token with no Redis');
    assert.equal((await call(`${child.base}/readyz`)).status, 503);
    await redis.start();
    const ready = await until200(() => call(`${child.base}/readyz`), 5000);
    assert.equal(ready.status, 200, ready.text);
    await sleep(1100); // anything signed in the second Redis was first seen counts as older
    const creds = await granted(child, seeded);
    assert.equal((await whoami(child, creds)).status, 200);
    assert.ok(child.alive());
    assert.doesNotMatch(child.stderr(), /Unhandled error event/);
  });
});
