// The fault tests' harness: a PostgreSQL database and a Redis server of the test's own (the
// machine's shared ones are never stopped, locked or refused), and the provider as a real
// child process (`npm start`'s dist/src/main.js), whose survival is what is tested.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { reviewToken } from '../src/review.js';
import { type OpenStore, openStore } from '../src/stores/open.js';
import { PG_URL } from './helpers.js';
import { type Answer, type Creds, form, signedCall } from './http_harness.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
/** The provider's connections carry this name: only they are terminated. */
export const PROVIDER_APP = 'signet-provider';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port the kernel just handed out and took back. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

async function admin<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/** A database of the test's own on the shared server, dropped by {@link OwnDatabase.drop}. */
export interface OwnDatabase {
  readonly name: string;
  /** For the provider: its connections are named {@link PROVIDER_APP}. */
  readonly url: string;
  /** For the test's own connections, which are never terminated. */
  readonly testUrl: string;
  /** Terminates every backend of the provider; returns how many. */
  terminate(): Promise<number>;
  allowConnections(allow: boolean): Promise<void>;
  /**
   * Takes an ACCESS EXCLUSIVE lock on `table` in a transaction of its own; resolves once it
   * is held, with the function that releases it.
   */
  lock(table: string): Promise<() => Promise<void>>;
  drop(): Promise<void>;
}

export async function ownDatabase(): Promise<OwnDatabase> {
  const name = `signet_fault_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  const base = new URL(PG_URL);
  base.pathname = `/${name}`;
  const withApp = (app: string) => {
    const u = new URL(base);
    u.searchParams.set('application_name', app);
    return u.href;
  };
  const terminate = () =>
    admin(async (c) => {
      const r = await c.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where datname = $1 and application_name = $2 and pid <> pg_backend_pid()`,
        [name, PROVIDER_APP],
      );
      return r.rowCount ?? 0;
    });
  return {
    name,
    url: withApp(PROVIDER_APP),
    testUrl: withApp('signet-fault-test'),
    terminate,
    async allowConnections(allow) {
      await admin((c) => c.query(`alter database ${name} allow_connections ${allow}`));
    },
    async lock(table) {
      const c = new pg.Client({ connectionString: withApp('signet-fault-locker') });
      await c.connect();
      await c.query('begin');
      await c.query(`lock table ${table} in access exclusive mode`);
      return async () => {
        await c.query('rollback');
        await c.end();
      };
    },
    async drop() {
      await admin(async (c) => {
        await c.query(`alter database ${name} allow_connections true`);
        await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [
          name,
        ]);
        await c.query(`drop database if exists ${name}`);
      });
    },
  };
}

/** A redis-server of the test's own, without persistence (as CI and many deployments run it). */
export interface OwnRedis {
  readonly url: string;
  /** Stops the server (its data is lost: no persistence). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that hangs with its connections open. */
  pause(): void;
  resume(): void;
}

export async function ownRedis(options: { readonly started?: boolean } = {}): Promise<OwnRedis> {
  const port = await freePort();
  let server: ChildProcess | undefined;
  const start = async () => {
    const child = spawn(
      '/usr/bin/redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server = child;
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    const deadline = Date.now() + 10_000;
    while (!out.includes('Ready to accept connections')) {
      assert.ok(child.exitCode === null, `redis-server exited: ${out}`);
      assert.ok(Date.now() < deadline, `redis-server did not start: ${out}`);
      await sleep(20);
    }
  };
  if (options.started !== false) await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const s = server;
      server = undefined;
      if (s === undefined || s.exitCode !== null) return;
      const exited = once(s, 'exit');
      s.kill('SIGCONT');
      s.kill('SIGKILL');
      await exited;
    },
    start,
    pause: () => server?.kill('SIGSTOP'),
    resume: () => server?.kill('SIGCONT'),
  };
}

/** The provider running as `node dist/src/main.js`. */
export interface Child {
  readonly base: string;
  /** Whether the process is still running. */
  alive(): boolean;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** The JSON log lines so far. */
  logs(): Record<string, unknown>[];
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

export async function startChild(env: Record<string, string>): Promise<Child> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env['PATH'] ?? '',
        HOST: '127.0.0.1',
        PORT: String(port),
        SIGNET_PUBLIC_URL: base,
        SIGNET_LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const deadline = Date.now() + 20_000;
    let up = false;
    while (child.exitCode === null && Date.now() < deadline) {
      up = await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      await sleep(50);
    }
    if (!up) {
      child.kill('SIGKILL');
      if (attempt < 3 && stdout.includes('EADDRINUSE')) continue;
      assert.fail(`the provider did not start:\n${stdout}\n${stderr}`);
    }
    return {
      base,
      alive: () => child.exitCode === null && child.signalCode === null,
      stdout: () => stdout,
      stderr: () => stderr,
      logs: () =>
        stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        const [code] = await exited;
        clearTimeout(timer);
        return code as number | null;
      },
    };
  }
}

/** The test's own view of the provider's data: seeds it and reviews request tokens. */
export interface Seeded {
  readonly storage: OpenStore;
  /** The environment that configures the child (database, key). */
  readonly env: Record<string, string>;
  readonly consumer: { readonly consumerKey: string; readonly consumerSecret: string };
}

/** Migrates the database, creates alice and a consumer. */
export async function seed(db: OwnDatabase, extra: Record<string, string> = {}): Promise<Seeded> {
  const env = {
    SIGNET_DATABASE_URL: db.url,
    SIGNET_SECRET_KEY: randomBytes(32).toString('base64'),
    ...extra,
  };
  const storage = await openStore(
    loadConfig({ ...env, SIGNET_DATABASE_URL: db.testUrl, SIGNET_REDIS_URL: undefined }),
  );
  await storage.store.createUser({ name: 'alice' });
  const consumerKey = `fault-${randomBytes(4).toString('hex')}`;
  const consumerSecret = randomBytes(16).toString('hex');
  await storage.store.createConsumer({ key: consumerKey, secret: consumerSecret });
  return { storage, env, consumer: { consumerKey, consumerSecret } };
}

/**
 * One RFC 5849 exchange: request token, review (by the test, as the authorization page
 * would), access token. The access credentials, or the first answer that was not a 200.
 */
export async function exchange(
  child: Child,
  seeded: Seeded,
): Promise<{ creds: Required<Creds> } | { failed: Answer }> {
  const c = seeded.consumer;
  const rt = await signedCall(`${child.base}/oauth/request_token`, c, {
    method: 'POST',
    callback: 'oob',
  });
  if (rt.status !== 200) return { failed: rt };
  const t = form(rt.text);
  const { verifier } = await reviewToken(seeded.storage.store, {
    token: t['oauth_token']!,
    userId: 'alice',
    permission: 'READ_PRIVATE',
    now: Date.now(),
  });
  const at = await signedCall(
    `${child.base}/oauth/access_token`,
    { ...c, token: t['oauth_token']!, tokenSecret: t['oauth_token_secret']! },
    { method: 'POST', verifier },
  );
  if (at.status !== 200) return { failed: at };
  const a = form(at.text);
  return { creds: { ...c, token: a['oauth_token']!, tokenSecret: a['oauth_token_secret']! } };
}

/** `/metrics`' value of `signet_dependency_failures_total` for a dependency and kind. */
export async function dependencyFailures(
  child: Child,
  dependency: string,
  kind: string,
): Promise<number> {
  const text = await (await fetch(`${child.base}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith(`signet_dependency_failures_total{dependency="${dependency}",kind="${kind}"} `),
    );
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}
