// Faults injected for real into the provider on its SQLite default, run as `npm start` runs
// it (dist/src/main.js in a child process): SIGKILL right after answering, a full disk (a
// tmpfs of its own), another process holding the write lock, a second provider on the same
// file, a stop held up by a slow client, and the bound on remembered nonces.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { signRequest } from '@signet/core';
import BetterSqlite3 from 'better-sqlite3';
import { loadConfig } from '../src/config.js';
import { ProviderError } from '../src/errors.js';
import { openProvider } from '../src/provider.js';
import { reviewToken } from '../src/review.js';
import { openStore } from '../src/stores/open.js';
import { tempDir } from './helpers.js';
import { grantAccess, seed, signedCall, startProvider } from './http_harness.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
// Clients sign for the public URL (as behind a proxy), so that a restart on another port
// still sees the very same signed requests.
const PUBLIC_URL = 'http://provider.test';
const WHOAMI = '/api/1.0/whoami';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A provider process. */
interface Child {
  readonly proc: ChildProcess;
  readonly base: string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** What it wrote so far (pino JSON lines, and stderr). */
  output(): string;
}

function spawnProvider(env: Record<string, string>, port: number): Child {
  const proc = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      SIGNET_PUBLIC_URL: PUBLIC_URL,
      SIGNET_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { proc, base: `http://127.0.0.1:${port}`, exited, output: () => out };
}

/** Starts a provider and waits until `/healthz` answers. */
async function startChild(env: Record<string, string>): Promise<Child> {
  const child = spawnProvider(env, await freePort());
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.proc.exitCode !== null) {
      throw new Error(`the provider exited while starting:\n${child.output()}`);
    }
    const ok = await fetch(`${child.base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    assert.ok(Date.now() < deadline, `the provider did not start:\n${child.output()}`);
    await sleep(50);
  }
}

async function stop(child: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill(signal);
  return child.exited;
}

interface Creds {
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly token?: string;
  readonly tokenSecret?: string;
}

/** A signed request: signed for the public URL, sent to `base`. */
interface Signed {
  readonly path: string;
  readonly method: string;
  readonly authorization: string;
}

function sign(path: string, creds: Creds, extra: { method?: string; verifier?: string } = {}) {
  const method = extra.method ?? 'GET';
  const s = signRequest({
    method,
    url: PUBLIC_URL + path,
    consumerKey: creds.consumerKey,
    consumerSecret: creds.consumerSecret,
    ...(creds.token !== undefined && { token: creds.token }),
    ...(creds.tokenSecret !== undefined && { tokenSecret: creds.tokenSecret }),
    ...(path === '/oauth/request_token' && { callback: 'oob' }),
    ...(extra.verifier !== undefined && { verifier: extra.verifier }),
  });
  return { path, method, authorization: s.authorization } satisfies Signed;
}

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly text: string;
}

async function send(base: string, req: Signed): Promise<Answer> {
  const res = await fetch(base + req.path, {
    method: req.method,
    headers: { authorization: req.authorization, accept: 'application/json' },
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() };
}

/** An access token for alice, through the endpoints (the review is what the page does). */
async function issueToken(env: Record<string, string>, base: string): Promise<Creds> {
  const opened = await openStore(loadConfig(env));
  try {
    const store = opened.store;
    await store.createUser({ name: 'alice', displayName: 'Alice' }).catch((e: unknown) => {
      if (!(e instanceof ProviderError && e.code === 'ERR_EXISTS')) throw e;
    });
    const consumer = await store.createConsumer({ name: 'faults' });
    const c = { consumerKey: consumer.key, consumerSecret: consumer.secret };
    const rt = await send(base, sign('/oauth/request_token', c, { method: 'POST' }));
    assert.equal(rt.status, 200, rt.text);
    const t = new URLSearchParams(rt.text);
    const { verifier } = await reviewToken(store, {
      token: t.get('oauth_token')!,
      userId: 'alice',
      permission: 'READ_PRIVATE',
      context: undefined,
      expiresIn: undefined,
      now: Date.now(),
    });
    const rc = { ...c, token: t.get('oauth_token')!, tokenSecret: t.get('oauth_token_secret')! };
    const at = await send(base, sign('/oauth/access_token', rc, { method: 'POST', verifier }));
    assert.equal(at.status, 200, at.text);
    const a = new URLSearchParams(at.text);
    return { ...c, token: a.get('oauth_token')!, tokenSecret: a.get('oauth_token_secret')! };
  } finally {
    await opened.close();
  }
}

/** Replays every request; each must be refused as a replay. Returns how many were accepted. */
async function replayAll(base: string, answered: readonly Signed[]): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < answered.length; i += 50) {
    const answers = await Promise.all(answered.slice(i, i + 50).map((r) => send(base, r)));
    for (const a of answers) {
      if (a.status === 200) accepted++;
      else {
        assert.equal(a.status, 401, a.text);
        assert.match(a.text, /Nonce already used/);
      }
    }
  }
  return accepted;
}

function envFor(path: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SIGNET_DATABASE_URL: `sqlite:${path}`,
    SIGNET_SECRET_KEY: randomBytes(32).toString('base64'),
    ...extra,
  };
}

describe('SQLite faults, provider as a process', () => {
  const tmp = tempDir('faults');
  const children: Child[] = [];
  const track = (c: Child): Child => {
    children.push(c);
    return c;
  };
  after(async () => {
    for (const c of children) await stop(c, 'SIGKILL');
    tmp.remove();
  });

  it('no replay is accepted after SIGKILL right after answering, three rounds on the same data', async () => {
    const env = envFor(join(tmp.dir, 'kill', 'signet.db'));
    let child = track(await startChild(env));
    const tokens: Creds[] = [await issueToken(env, child.base)];
    const answered: Signed[] = [];
    for (let round = 1; round <= 3; round++) {
      // A burst of signed calls over every token issued so far, then SIGKILL the moment
      // the last answer is in (write-behind nonces used to lose the last 200 ms).
      const burst = Array.from({ length: 150 }, (_, i) => sign(WHOAMI, tokens[i % tokens.length]!));
      const answers = await Promise.all(burst.map((r) => send(child.base, r)));
      for (const a of answers) assert.equal(a.status, 200, a.text);
      tokens.push(await issueToken(env, child.base));
      child.proc.kill('SIGKILL');
      assert.equal(await child.exited, 'SIGKILL');
      answered.push(...burst);

      child = track(await startChild(env));
      const accepted = await replayAll(child.base, answered);
      assert.equal(accepted, 0, `round ${round}: replays accepted after the restart`);
      for (const t of tokens) {
        const fresh = await send(child.base, sign(WHOAMI, t));
        assert.equal(fresh.status, 200, `round ${round}: an issued token stopped working`);
      }
    }
    assert.equal(await stop(child), 0);
  });

  it('a second provider on the same file refuses to start, and a SIGKILL leaves no stale lock', async () => {
    const env = envFor(join(tmp.dir, 'twice', 'signet.db'));
    const first = track(await startChild(env));
    const second = track(spawnProvider(env, await freePort()));
    const code = await Promise.race([second.exited, sleep(15_000).then(() => 'still running')]);
    assert.equal(code, 75, `the second provider: ${second.output()}`);
    assert.match(second.output(), /Another Signet provider is running on .*signet\.db/);
    // The same file under another name.
    const link = join(tmp.dir, 'twice-link.db');
    symlinkSync(join(tmp.dir, 'twice', 'signet.db'), link);
    const aliased = track(spawnProvider({ ...env, SIGNET_DATABASE_URL: `sqlite:${link}` }, 0));
    assert.equal(await aliased.exited, 75, `through a symbolic link: ${aliased.output()}`);
    assert.equal((await fetch(`${first.base}/healthz`)).status, 200, 'the first one still serves');

    first.proc.kill('SIGKILL');
    await first.exited;
    const third = track(await startChild(env));
    assert.equal(await stop(third), 0);
  });

  it('another process holding the write lock: /healthz answers, writes get 503 with Retry-After', async () => {
    const path = join(tmp.dir, 'locked', 'signet.db');
    const env = envFor(path, { SIGNET_SQLITE_BUSY_TIMEOUT: '1' });
    const child = track(await startChild(env));
    const creds = await issueToken(env, child.base);
    assert.equal((await send(child.base, sign(WHOAMI, creds))).status, 200);

    // What the admin CLI or a backup does: a write transaction, here held for 4 s.
    const holder = new BetterSqlite3(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      const blocked = sign(WHOAMI, creds);
      const call = send(child.base, blocked).then((a) => ({ ...a, ms: Date.now() - started }));
      const request = send(
        child.base,
        sign(
          '/oauth/request_token',
          { consumerKey: creds.consumerKey, consumerSecret: creds.consumerSecret },
          { method: 'POST' },
        ),
      );
      while (Date.now() - started < 3000) {
        const t0 = Date.now();
        const res = await fetch(`${child.base}/healthz`);
        assert.equal(res.status, 200);
        await res.text();
        assert.ok(Date.now() - t0 < 1000, `/healthz took ${Date.now() - t0} ms under the lock`);
        await sleep(100);
      }
      const answer = await call;
      assert.equal(answer.status, 503, answer.text);
      assert.ok(Number(answer.retryAfter) >= 1, 'Retry-After');
      assert.ok(answer.ms < 4000, `the deadline is 1 s; answered after ${answer.ms} ms`);
      const rt = await request;
      assert.equal(rt.status, 503, rt.text);
      assert.ok(Number(rt.retryAfter) >= 1);
      holder.exec('COMMIT');
      // The refused request was not admitted: sent again, it is now answered.
      assert.equal((await send(child.base, blocked)).status, 200);
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
    }
    assert.equal((await send(child.base, sign(WHOAMI, creds))).status, 200);
    assert.equal(await stop(child), 0);
  });

  it('SIGTERM with a slowloris connection exits within SIGNET_SHUTDOWN_GRACE', async () => {
    const env = envFor(join(tmp.dir, 'slow', 'signet.db'), { SIGNET_SHUTDOWN_GRACE: '1' });
    const child = track(await startChild(env));
    const socket = connect(Number(new URL(child.base).port), '127.0.0.1');
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // A header line now and then, never the end of the request.
    const drip = setInterval(() => socket.write('X-Slow: 1\r\n'), 200);
    try {
      await sleep(300);
      const started = Date.now();
      child.proc.kill('SIGTERM');
      const code = await Promise.race([child.exited, sleep(10_000).then(() => 'still running')]);
      assert.equal(code, 0, child.output());
      assert.ok(Date.now() - started < 8000);
      assert.match(child.output(), /grace period over/);
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
  });
});

describe('SQLite disk full (a tmpfs of its own)', () => {
  const tmp = tempDir('full');
  const mountPoint = join(tmp.dir, 'disk');
  let mounted = false;
  const children: Child[] = [];

  before(() => {
    mkdirSync(mountPoint);
    const mount = ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mountPoint];
    if (process.getuid?.() === 0) execFileSync('mount', mount);
    else execFileSync('sudo', ['-n', 'mount', ...mount]);
    mounted = true;
  });
  after(async () => {
    for (const c of children) await stop(c, 'SIGKILL');
    if (mounted) {
      const umount = ['umount', mountPoint];
      if (process.getuid?.() === 0) execFileSync(umount[0]!, umount.slice(1));
      else execFileSync('sudo', ['-n', ...umount]);
    }
    tmp.remove();
  });

  it('writes answer 503, replays stay refused, nothing is lost once space is back', async () => {
    const path = join(mountPoint, 'signet.db');
    const env = envFor(path);
    let child = await startChild(env);
    children.push(child);
    const creds = await issueToken(env, child.base);
    const answered: Signed[] = [];
    for (let i = 0; i < 20; i++) {
      const r = sign(WHOAMI, creds);
      assert.equal((await send(child.base, r)).status, 200);
      answered.push(r);
    }

    // Fill the disk to the last page.
    const filler = join(mountPoint, 'filler');
    const fd = openSync(filler, 'w');
    for (const size of [65536, 4096, 512]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
      }
    }
    closeSync(fd);

    const statuses = new Map<number, number>();
    let unavailable: Answer | undefined;
    for (let i = 0; i < 400 && unavailable === undefined; i++) {
      const r = sign(WHOAMI, creds);
      const a = await send(child.base, r);
      statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      assert.ok(a.status === 200 || a.status === 503, `${a.status}: ${a.text}`);
      if (a.status === 200) answered.push(r);
      else unavailable = a;
    }
    assert.ok(unavailable !== undefined, `no 503 on a full disk: ${JSON.stringify([...statuses])}`);
    assert.ok(Number(unavailable.retryAfter) >= 1, 'Retry-After');
    assert.match(unavailable.text, /disk is full/);
    // Still refused: what is in memory was committed before it was answered.
    assert.equal(await replayAll(child.base, answered.slice(0, 5)), 0);
    assert.equal((await fetch(`${child.base}/healthz`)).status, 200);
    // A stop on a full disk loses nothing either.
    assert.equal(await stop(child), 0, child.output());

    rmSync(filler);
    child = await startChild(env);
    children.push(child);
    assert.equal(
      await replayAll(child.base, answered),
      0,
      'replays accepted after the disk filled',
    );
    for (let i = 0; i < 5; i++) {
      const r = sign(WHOAMI, creds);
      assert.equal((await send(child.base, r)).status, 200, 'space is back');
      answered.push(r);
    }
    child.proc.kill('SIGKILL');
    await child.exited;
    child = await startChild(env);
    children.push(child);
    assert.equal(await replayAll(child.base, answered), 0);
    assert.equal(await stop(child), 0);

    const db = new BetterSqlite3(path, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  });
});

describe('one provider per SQLite file, in one process too', () => {
  it('openProvider on a file another provider serves fails with ERR_LOCKED, and works once it closed', async () => {
    const { dir, remove } = tempDir('locked');
    try {
      const config = loadConfig(envFor(join(dir, 'signet.db')));
      const first = await openProvider(config);
      try {
        await assert.rejects(
          openProvider(config),
          (e: unknown) => e instanceof ProviderError && e.code === 'ERR_LOCKED',
        );
      } finally {
        await first.close();
      }
      const again = await openProvider(config);
      await again.close();
    } finally {
      remove();
    }
  });
});

describe('the bound on remembered nonces', () => {
  it('past SIGNET_MAX_NONCES a signed call gets 503 with Retry-After, counted in /metrics', async () => {
    const r = await startProvider({ env: { SIGNET_MAX_NONCES: '5' } });
    try {
      await seed(r.store);
      const consumer = await r.store.createConsumer({ name: 'bounded' });
      // Two nonces: the request token and the access token.
      const creds = await grantAccess(r, consumer, 'READ_PRIVATE');
      for (let i = 0; i < 3; i++) {
        assert.equal((await signedCall(`${r.base}${WHOAMI}`, creds)).status, 200);
      }
      const refused = await signedCall(`${r.base}${WHOAMI}`, creds);
      assert.equal(refused.status, 503, refused.text);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      const metrics = await (await fetch(`${r.base}/metrics`)).text();
      assert.match(metrics, /^signet_nonces 5$/m);
      assert.match(metrics, /^signet_nonces_refused_total 1$/m);
    } finally {
      await r.close();
    }
  });
});
