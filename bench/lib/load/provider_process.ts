// The provider under test: `packages/provider/dist/src/main.js` (what `npm start` runs) in a
// child process, on SQLite in a fresh temporary folder, with a person, a consumer and an
// access token made the way an administrator and a client would: the admin CLI adds the
// person and the consumer, the client gets a request token at `/oauth/request_token`, the
// CLI reviews it, and the client exchanges it at `/oauth/access_token`.
import { type ChildProcess, execFile } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { signRequest } from '@signet/core';
import type { SigningCredentials } from './messages.js';
import type { Children } from './processes.js';

const run = promisify(execFile);

// `SIGNET_BENCH_PROVIDER_DIST` points at another build of the provider (`.../dist/src/`), to
// compare two builds with the same load; `SIGNET_BENCH_PROVIDER_LOG_LEVEL` overrides `info`.
export const PROVIDER_DIST =
  process.env['SIGNET_BENCH_PROVIDER_DIST'] ??
  fileURLToPath(new URL('../../../../packages/provider/dist/src/', import.meta.url));
// `SIGNET_BENCH_BASELINE_DIST`, when set, is a second build run side by side with the first
// (case `provider.whoami-signed-baseline`), to compare a change in one run.
export const BASELINE_DIST = process.env['SIGNET_BENCH_BASELINE_DIST'];
const LOG_LEVEL = process.env['SIGNET_BENCH_PROVIDER_LOG_LEVEL'] ?? 'info';

/** The person and permission the bench's access token is granted for. */
export const BENCH_USER = 'bench';
export const BENCH_PERMISSION = 'READ_PRIVATE';

/** A running provider and what the load run needs of it. */
export interface RunningProvider {
  readonly child: ChildProcess;
  readonly origin: string;
  readonly credentials: SigningCredentials;
  /** Where its stdout and stderr (pino's JSON lines) go. */
  readonly logFile: string;
}

/** A port free on 127.0.0.1 right now (the provider signs against its configured port). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The process environment without any Signet setting, plus the bench's own. */
function providerEnv(dir: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('SIGNET_') && name !== 'PORT' && name !== 'HOST') env[name] = value;
  }
  return {
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
    SIGNET_DATABASE_URL: `sqlite:${join(dir, 'signet.db')}`,
    SIGNET_LOG_LEVEL: LOG_LEVEL,
  };
}

async function cli(
  CLI: string,
  env: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [CLI, ...args, '--json'], { env });
  return JSON.parse(stdout) as Record<string, unknown>;
}

const field = (record: Record<string, unknown> | URLSearchParams, name: string): string => {
  const value = record instanceof URLSearchParams ? record.get(name) : record[name];
  if (typeof value !== 'string' || value === '') throw new Error(`bench: no ${name} in answer`);
  return value;
};

async function waitHealthy(origin: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`bench: the provider exited while starting; see ${logFile}`);
    }
    try {
      const res = await fetch(`${origin}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('bench: the provider did not become healthy');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function postSigned(url: string, authorization: string): Promise<URLSearchParams> {
  const res = await fetch(url, { method: 'POST', headers: { authorization } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`bench: POST ${url} answered ${res.status}: ${text}`);
  return new URLSearchParams(text);
}

/**
 * Sets up and starts the provider in `dir`. `nodeArgs` go before the script (e.g.
 * `--cpu-prof`). The caller stops it through `children`.
 */
export async function startProvider(
  dir: string,
  children: Children,
  nodeArgs: readonly string[] = [],
  dist: string = PROVIDER_DIST,
): Promise<RunningProvider> {
  const MAIN = join(dist, 'main.js');
  const CLI = join(dist, 'cli.js');
  if (!existsSync(MAIN) || !existsSync(CLI)) {
    throw new Error(`bench: ${MAIN} is missing; build first (npx tsc -b)`);
  }
  const port = await freePort();
  const env = providerEnv(dir, port);
  const origin = `http://127.0.0.1:${port}`;

  await cli(CLI, env, 'user', 'add', BENCH_USER, '--display-name', 'Bench');
  const consumer = await cli(CLI, env, 'consumer', 'add', 'signet-bench');
  const consumerKey = field(consumer, 'key');
  const consumerSecret = field(consumer, 'secret');

  const logFile = join(dir, 'provider.log');
  const log = openSync(logFile, 'a');
  const child = children.spawn(process.execPath, [...nodeArgs, MAIN], {
    env,
    cwd: dir,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  await waitHealthy(origin, child, logFile);

  const requestUrl = `${origin}/oauth/request_token`;
  const request = await postSigned(
    requestUrl,
    signRequestHeader(requestUrl, { consumerKey, consumerSecret, callback: 'oob' }),
  );
  const requestToken = field(request, 'oauth_token');
  const requestSecret = field(request, 'oauth_token_secret');
  const review = await cli(
    CLI,
    env,
    'token',
    'review',
    requestToken,
    '--user',
    BENCH_USER,
    '--permission',
    BENCH_PERMISSION,
  );
  const accessUrl = `${origin}/oauth/access_token`;
  const access = await postSigned(
    accessUrl,
    signRequestHeader(accessUrl, {
      consumerKey,
      consumerSecret,
      token: requestToken,
      tokenSecret: requestSecret,
      verifier: field(review, 'verifier'),
    }),
  );
  const credentials: SigningCredentials = {
    consumerKey,
    consumerSecret,
    token: field(access, 'oauth_token'),
    tokenSecret: field(access, 'oauth_token_secret'),
  };
  return { child, origin, credentials, logFile };
}

/** A POST to a token endpoint, signed with HMAC-SHA1. */
function signRequestHeader(
  url: string,
  p: {
    readonly consumerKey: string;
    readonly consumerSecret: string;
    readonly token?: string;
    readonly tokenSecret?: string;
    readonly callback?: string;
    readonly verifier?: string;
  },
): string {
  return signRequest({ method: 'POST', url, ...p }).authorization;
}
