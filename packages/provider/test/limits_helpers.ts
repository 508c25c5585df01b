// Shared by the rate-limit tests: logins through the real form, password checks counted,
// Redis keys of one run, and a Redis server of a test's own (to stop it).

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import type { SqlStore } from '../src/stores/sql.js';
import { REDIS_URL } from './helpers.js';
import { type Answer, call, type Running } from './http_harness.js';

export const PASSWORD = 'a long enough password';

/** A login form fetched (CSRF cookie and token), ready to be posted. */
export interface LoginForm {
  post(username: string, password: string, ip?: string): Promise<LoginAnswer>;
}

export interface LoginAnswer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly text: string;
}

/** A fresh browser: fetches the form, so that posting it later can be done in parallel. */
export async function loginForm(base: string): Promise<LoginForm> {
  const page = await fetch(`${base}/login`);
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  return {
    async post(username, password, ip) {
      const res = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { cookie, ...(ip !== undefined && { 'x-forwarded-for': ip }) },
        body: new URLSearchParams({ csrf, username, password, next: '/' }),
        redirect: 'manual',
      });
      return {
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        text: await res.text(),
      };
    },
  };
}

/** One login from a fresh browser. */
export async function login(
  base: string,
  username: string,
  password: string,
  ip?: string,
): Promise<LoginAnswer> {
  return (await loginForm(base)).post(username, password, ip);
}

/** `n` logins in parallel (forms fetched first): their statuses, in order. */
export async function burst(
  base: string,
  attempts: readonly { username: string; password: string; ip?: string }[],
): Promise<number[]> {
  const forms = await Promise.all(attempts.map(() => loginForm(base)));
  const answers = await Promise.all(
    attempts.map((a, i) => forms[i]!.post(a.username, a.password, a.ip)),
  );
  return answers.map((a) => a.status);
}

/** Counts the passwords the store actually checks, per name. */
export function countPasswordChecks(store: SqlStore): { count(name?: string): number } {
  const counts = new Map<string, number>();
  const original = store.verifyPassword.bind(store);
  store.verifyPassword = async (name, password) => {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return original(name, password);
  };
  return {
    count: (name) =>
      name === undefined
        ? [...counts.values()].reduce((a, b) => a + b, 0)
        : (counts.get(name) ?? 0),
  };
}

export function tally(statuses: readonly number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

/** A key prefix of this run on the shared Redis, and how to delete its keys. */
export function redisPrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `signet:test:${process.pid}:${randomBytes(4).toString('hex')}:`;
  return {
    prefix,
    async cleanup() {
      const redis = new Redis(REDIS_URL);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        await redis.quit();
      }
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject()));
    });
  });
}

/** A redis-server of this test's own, on a free loopback port. */
export async function ownRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => 50 });
  probe.on('error', () => {});
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      probe.disconnect();
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  probe.disconnect();
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

export function register(
  r: Running,
  body: unknown,
  options: { readonly ip?: string; readonly type?: string } = {},
): Promise<Answer> {
  return call(`${r.base}/api/client/register`, {
    method: 'POST',
    headers: {
      'content-type': options.type ?? 'application/json',
      ...(options.ip !== undefined && { 'x-forwarded-for': options.ip }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Launchpad's open-consumer request: PLAINTEXT, empty consumer secret, `&` signature. */
export function openRequestToken(
  r: Running,
  key: string,
  options: { readonly ip?: string; readonly signature?: string } = {},
): Promise<Answer> {
  return call(`${r.base}/+request-token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(options.ip !== undefined && { 'x-forwarded-for': options.ip }),
    },
    body: new URLSearchParams([
      ['oauth_consumer_key', key],
      ['oauth_signature_method', 'PLAINTEXT'],
      ['oauth_signature', options.signature ?? '&'],
    ]).toString(),
  });
}

export function jsonError(a: Answer, status: number, includes: string): void {
  assert.equal(a.status, status, a.text);
  assert.match(a.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(a.text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ['error']);
  assert.ok(String(body['error']).includes(includes), `${body['error']} mentions ${includes}`);
}
