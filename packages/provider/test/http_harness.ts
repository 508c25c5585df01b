// The HTTP acceptance tests' harness: a real provider listening on loopback, on a fresh
// SQLite file or PostgreSQL schema, plus the clients that talk to it (signed fetch, raw
// sockets, the admin CLI, the Python peers).
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { formEncode, type Param, parseFormEncoded, signRequest } from '@signet/core';
import type { Logger } from 'pino';
import { type Env, loadConfig } from '../src/config.js';
import { openProvider, type Provider } from '../src/provider.js';
import { reviewToken } from '../src/review.js';
import type { SqlStore } from '../src/stores/sql.js';
import { pgSchema, tempDir } from './helpers.js';

/** Debian's Python, the one with launchpadlib, oauthlib and requests-oauthlib. */
export const PYTHON = process.env['SIGNET_PYTHON'] ?? '/usr/bin/python3';
/** packages/provider/test/fixtures, from dist/test. */
export const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

export type Dialect = 'sqlite' | 'postgres';
export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgres'];

/** A provider listening on 127.0.0.1. */
export interface Running {
  /** `http://127.0.0.1:PORT`, also its `SIGNET_PUBLIC_URL`. */
  readonly base: string;
  readonly port: number;
  readonly provider: Provider;
  /** The SQL store itself (what pages and the CLI use). */
  readonly store: SqlStore;
  /** The environment the provider was configured from, for the CLI. */
  readonly env: Record<string, string>;
  /** Stops the provider and deletes its data. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly dialect?: Dialect;
  readonly env?: Env;
  readonly now?: () => number;
  readonly logger?: Logger;
  /** Prefix of the rate limits' Redis keys (with `SIGNET_REDIS_URL`). */
  readonly redisKeyPrefix?: string;
}

/** A port the kernel just handed out and took back. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts a provider on an ephemeral loopback port with `SIGNET_PUBLIC_URL` set to that very
 * address (signatures are checked against it, so the port must be known before the app is
 * built): the kernel picks a free port, and a lost race for it is retried.
 */
export async function startProvider(options: StartOptions = {}): Promise<Running> {
  const dialect = options.dialect ?? 'sqlite';
  const tmp = tempDir(`http-${dialect}`);
  const pgs = dialect === 'postgres' ? await pgSchema() : undefined;
  const database = pgs ? pgs.url : `sqlite:${join(tmp.dir, 'signet.db')}`;
  const cleanup = async () => {
    tmp.remove();
    await pgs?.drop();
  };
  let lastError: unknown;
  for (let attempt = 0; attempt < 8; attempt++) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      HOST: '127.0.0.1',
      PORT: String(port),
      SIGNET_PUBLIC_URL: base,
      SIGNET_DATABASE_URL: database,
      SIGNET_SECRET_KEY: randomBytes(32).toString('base64'),
      ...(Object.fromEntries(
        Object.entries(options.env ?? {}).filter(([, v]) => v !== undefined),
      ) as Record<string, string>),
    };
    const config = loadConfig(env, { cwd: tmp.dir });
    const provider = await openProvider(config, {
      ...(options.now !== undefined && { now: options.now }),
      ...(options.logger !== undefined && { logger: options.logger }),
      ...(options.redisKeyPrefix !== undefined && { redisKeyPrefix: options.redisKeyPrefix }),
    });
    try {
      await provider.app.listen({ port, host: '127.0.0.1' });
    } catch (e) {
      lastError = e;
      await provider.close();
      if ((e as { code?: string }).code === 'EADDRINUSE') continue;
      await cleanup();
      throw e;
    }
    return {
      base,
      port,
      provider,
      store: provider.storage.store,
      env,
      async close() {
        await provider.close();
        await cleanup();
      },
    };
  }
  await cleanup();
  throw lastError;
}

/** Users, contexts and a consumer most tests need. */
export async function seed(store: SqlStore): Promise<void> {
  // No passwords: nobody logs in here, and the memory-hard KDF would cost a second.
  await store.createUser({ name: 'alice', displayName: 'Alice' });
  await store.createUser({ name: 'bob', displayName: 'Bob' });
  await store.createContext({ name: 'firefox', title: 'Mozilla Firefox' });
  await store.createContext({ name: 'thunderbird' });
}

/** What the authorization page does: records a decision on a request token. */
export async function review(
  r: Running,
  token: string,
  permission: string,
  extra: {
    readonly user?: string;
    readonly context?: string;
    readonly expiresIn?: number;
    readonly now?: number;
  } = {},
): Promise<{ verifier: string; redirect: string | undefined }> {
  const { verifier, redirect } = await reviewToken(r.store, {
    token,
    userId: extra.user ?? 'alice',
    permission: permission as Parameters<typeof reviewToken>[1]['permission'],
    context: extra.context,
    expiresIn: extra.expiresIn,
    now: extra.now ?? Date.now(),
  });
  return { verifier, redirect };
}

/** A fetch answer read to the end. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The form-encoded answer of a token endpoint as an object. */
export function form(text: string): Record<string, string> {
  return Object.fromEntries(parseFormEncoded(text));
}

/** Credentials a signed call is made with. */
export interface Creds {
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly token?: string;
  readonly tokenSecret?: string;
}

export interface SignedCall {
  readonly method?: string;
  /** Extra form parameters (signed; sent in the body for POST/PUT, the query otherwise). */
  readonly params?: readonly Param[];
  readonly signatureMethod?: string;
  /** Where the oauth parameters go. */
  readonly placement?: 'header' | 'query' | 'body';
  readonly clock?: () => number;
  readonly nonce?: string;
  readonly timestamp?: string;
  readonly headers?: Record<string, string>;
  readonly callback?: string;
  readonly verifier?: string;
}

/** A request signed with @signet/core, ready for fetch. */
export function signed(
  url: string,
  creds: Creds,
  opts: SignedCall = {},
): { url: string; init: RequestInit } {
  const method = opts.method ?? 'GET';
  const params = opts.params ?? [];
  const inBody = method === 'POST' || method === 'PUT';
  const target = new URL(url);
  if (!inBody) for (const [k, v] of params) target.searchParams.append(k, v);
  const target2 = target.href;
  const s = signRequest({
    method,
    url: target2,
    consumerKey: creds.consumerKey,
    consumerSecret: creds.consumerSecret,
    ...(creds.token !== undefined && { token: creds.token }),
    ...(creds.tokenSecret !== undefined && { tokenSecret: creds.tokenSecret }),
    ...(inBody && { params }),
    signatureMethod: opts.signatureMethod ?? 'HMAC-SHA1',
    ...(opts.clock !== undefined && { clock: opts.clock }),
    ...(opts.nonce !== undefined && { nonce: opts.nonce }),
    ...(opts.timestamp !== undefined && { timestamp: opts.timestamp }),
    ...(opts.callback !== undefined && { callback: opts.callback }),
    ...(opts.verifier !== undefined && { verifier: opts.verifier }),
  });
  const headers: Record<string, string> = { ...opts.headers };
  const placement = opts.placement ?? 'header';
  let finalUrl = target2;
  let body: string | undefined = inBody ? formEncode(params) : undefined;
  if (placement === 'header') headers['authorization'] = s.authorization;
  else if (placement === 'query') {
    const q = formEncode(s.oauthParams);
    finalUrl += (finalUrl.includes('?') ? '&' : '?') + q;
  } else {
    body = formEncode([...params, ...s.oauthParams]);
  }
  if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  return {
    url: finalUrl,
    init: { method, headers, ...(body !== undefined && { body }) },
  };
}

/** Signs and sends. */
export function signedCall(url: string, creds: Creds, opts: SignedCall = {}): Promise<Answer> {
  const s = signed(url, creds, opts);
  return call(s.url, s.init);
}

/** Asserts an answer's status and plain-text body. */
export function expectText(a: Answer, status: number, text: string, what = ''): void {
  assert.equal(a.status, status, `${what} status ${a.status}: ${a.text}`);
  assert.equal(a.text, text, what);
}

/**
 * Sends raw bytes over a socket and returns what came back until the server closed it (or
 * `Connection: close` finished the answer): for requests fetch refuses to send.
 */
export function rawRequest(port: number, bytes: Buffer | string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(parseRaw(Buffer.concat(chunks))));
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')));
    socket.end(bytes);
  });
}

export interface RawAnswer {
  readonly status: number;
  readonly head: string;
  readonly body: string;
}

function parseRaw(buf: Buffer): RawAnswer {
  const text = buf.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const body = end === -1 ? '' : text.slice(end + 4);
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  return { status: m ? Number(m[1]) : 0, head, body };
}

/** Runs the admin CLI against the provider's database; its parsed `--json` output. */
export function cli(
  r: Running,
  args: readonly string[],
): Promise<{ status: number | null; json: unknown; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '--json'], {
      env: { PATH: process.env['PATH'] ?? '', ...r.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ status, json, stderr });
    });
  });
}

/**
 * A Python fixture that speaks JSON lines: one command in, one answer out. Its stderr is
 * kept for failure messages.
 */
export class PythonPeer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #waiting: ((line: string | undefined) => void)[] = [];
  readonly #queued: string[] = [];
  #stderr = '';
  #closed = false;

  constructor(script: string, args: readonly string[] = []) {
    this.#child = spawn(PYTHON, [join(FIXTURES, script), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: process.env['HOME'] ?? '/tmp' },
    });
    this.#child.stderr.setEncoding('utf8').on('data', (d: string) => (this.#stderr += d));
    this.#lines = createInterface({ input: this.#child.stdout });
    this.#lines.on('line', (line) => {
      const w = this.#waiting.shift();
      if (w) w(line);
      else this.#queued.push(line);
    });
    this.#lines.on('close', () => {
      this.#closed = true;
      for (const w of this.#waiting.splice(0)) w(undefined);
    });
  }

  /** The next line the fixture prints, parsed. */
  async next<T = Record<string, unknown>>(): Promise<T> {
    const queued = this.#queued.shift();
    const line =
      queued ??
      (this.#closed
        ? undefined
        : await new Promise<string | undefined>((resolve) => this.#waiting.push(resolve)));
    if (line === undefined) {
      throw new Error(`${PYTHON} fixture ended early; stderr:\n${this.#stderr}`);
    }
    return JSON.parse(line) as T;
  }

  send(value: unknown): void {
    this.#child.stdin.write(`${JSON.stringify(value)}\n`);
  }

  /** Sends a command and returns its answer. */
  async ask<T = Record<string, unknown>>(value: unknown): Promise<T> {
    this.send(value);
    const answer = await this.next<T & { error?: string }>();
    if (answer.error !== undefined) {
      throw new Error(`fixture error: ${answer.error}\nstderr:\n${this.#stderr}`);
    }
    return answer;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Closes stdin and waits for the exit status. */
  async end(): Promise<number | null> {
    this.#child.stdin.end();
    if (this.#child.exitCode !== null) return this.#child.exitCode;
    return new Promise((resolve) => this.#child.on('close', (code) => resolve(code)));
  }
}

/** Access credentials obtained through the RFC 5849 endpoints, signed with @signet/core. */
export async function grantAccess(
  r: Running,
  consumer: { readonly key: string; readonly secret: string },
  permission: string,
  extra: {
    readonly user?: string;
    readonly context?: string;
    readonly expiresIn?: number;
    readonly clock?: () => number;
  } = {},
): Promise<Required<Creds>> {
  const clock = extra.clock ?? Date.now;
  const c = { consumerKey: consumer.key, consumerSecret: consumer.secret };
  const rt = await signedCall(`${r.base}/oauth/request_token`, c, {
    method: 'POST',
    callback: 'oob',
    clock,
  });
  assert.equal(rt.status, 200, rt.text);
  const t = form(rt.text);
  const { verifier } = await review(r, t['oauth_token']!, permission, {
    ...(extra.user !== undefined && { user: extra.user }),
    ...(extra.context !== undefined && { context: extra.context }),
    ...(extra.expiresIn !== undefined && { expiresIn: extra.expiresIn }),
    now: clock(),
  });
  const at = await signedCall(
    `${r.base}/oauth/access_token`,
    { ...c, token: t['oauth_token']!, tokenSecret: t['oauth_token_secret']! },
    { method: 'POST', verifier, clock },
  );
  assert.equal(at.status, 200, at.text);
  const a = form(at.text);
  return { ...c, token: a['oauth_token']!, tokenSecret: a['oauth_token_secret']! };
}
