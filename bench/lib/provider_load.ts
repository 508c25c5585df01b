// Section "provider": HTTP load on the provider as `npm start` runs it (SQLite, pino logging
// at info level, metrics), from a load generator in a process of its own, over loopback.
// Four servers, each in its own process, all in one run:
//
//   - signed `GET /api/1.0/whoami` on the provider (HMAC-SHA1, a fresh nonce and the current
//     time on every request; each must answer 200, a replay would be a 401);
//   - the same provider's `/healthz`;
//   - a bare node:http "hello";
//   - Express + passport-http-oauth answering the same signed whoami (secrets and nonces in
//     memory).
//
// Every case gets the same connections, warm-up and duration; the cases are interleaved in
// rounds (rotated, every other round reversed) and the median round is reported. Any answer
// outside 2xx, any socket error or timeout fails the section: a refused request is not a
// fast one.

import { type ChildProcess, execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FromLoader, LoadJob, LoadResult, SigningCredentials } from './load/messages.js';
import { Children, messageFrom } from './load/processes.js';
import {
  BASELINE_DIST,
  BENCH_PERMISSION,
  BENCH_USER,
  PROVIDER_DIST,
  type RunningProvider,
  startProvider,
} from './load/provider_process.js';
import { CREDENTIALS_ENV, type FromServer, type PeerCredentials } from './load/server_messages.js';
import { authorizationFor } from './load/sign.js';
import type { Ratio, Row, RunOptions, Section, SectionResult } from './section.js';

/**
 * Targets of issue 14, which replaced issue 4's 0.8 of /healthz for the provider (out of reach
 * on 2 cores, the load generator sharing them); the toolkit's case is its floor.
 */
export const TARGETS = {
  signedVsHealthz: 0.5,
  toolkitSignedVsHealthz: 0.6,
  healthzVsBare: 0.8,
  signedVsPassport: 4,
} as const;

/** How the load runs go; the command line sets them (see run.ts). */
export interface LoadOptions {
  readonly rounds: number;
  /** Timed part of each run. */
  readonly durationMs: number;
  /** Untimed load before each timed part (after another case ran, the server sat idle). */
  readonly warmupMs: number;
  readonly connections: number;
  readonly pipelining: number;
  /**
   * A fixed request rate instead of saturation: a diagnostic, to compare the servers' CPU
   * time per request at equal load (the targets are about saturation rates).
   */
  readonly rate?: number | undefined;
  /** Extra node options for the provider process, e.g. `--cpu-prof --cpu-prof-dir=...`. */
  readonly providerNodeArgs: readonly string[];
}

export const LOAD_DEFAULTS: LoadOptions = {
  rounds: 3,
  durationMs: 8000,
  warmupMs: 2000,
  connections: 50,
  pipelining: 1,
  providerNodeArgs: [],
};

const WHOAMI = '/api/1.0/whoami';
const here = (file: string): string => fileURLToPath(new URL(`./load/${file}`, import.meta.url));

/** One measured server and request. */
interface LoadCase {
  readonly id: string;
  readonly subject: string;
  readonly task: string;
  readonly measures: string;
  readonly url: string;
  readonly signing?: SigningCredentials;
  /** The server process, whose CPU time per request is reported. */
  readonly pid: number | undefined;
}

/** What a correctness check expects of a signed whoami answer. */
interface Whoami {
  readonly person: unknown;
  readonly permission: unknown;
}

async function expectStatus(
  url: string,
  status: number,
  what: string,
  authorization?: string,
): Promise<string> {
  const res = await fetch(url, {
    headers: authorization === undefined ? {} : { authorization, accept: 'application/json' },
  });
  const body = await res.text();
  if (res.status !== status) {
    throw new Error(`bench: ${what}: expected ${status}, got ${res.status}: ${body.slice(0, 200)}`);
  }
  return body;
}

/**
 * Before any timing: every server answers its request; both whoami servers accept a fresh
 * signed call for the bench person, refuse its replay and refuse a wrong signature.
 */
async function checkServers(cases: readonly LoadCase[]): Promise<void> {
  for (const c of cases) {
    if (c.signing === undefined) {
      await expectStatus(c.url, 200, c.id);
      continue;
    }
    const header = authorizationFor(c.signing, c.url);
    const who = JSON.parse(await expectStatus(c.url, 200, `${c.id} signed call`, header)) as Whoami;
    if (who.person !== BENCH_USER || who.permission !== BENCH_PERMISSION) {
      throw new Error(`bench: ${c.id} answered ${JSON.stringify(who)}`);
    }
    await expectStatus(c.url, 401, `${c.id} replay`, header);
    const forged = authorizationFor(c.signing, c.url).replace(
      /oauth_signature="[^"]*"/,
      'oauth_signature="AAAA"',
    );
    await expectStatus(c.url, 401, `${c.id} wrong signature`, forged);
  }
}

async function startServer(
  children: Children,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; origin: string }> {
  const child = children.fork(here(file), [], {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await messageFrom(
    child,
    (m) => ((m as FromServer).type === 'listening' ? (m as FromServer).port : undefined),
    15_000,
    file,
  );
  return { child, origin: `http://127.0.0.1:${port}` };
}

/** Nonces kept in memory for the measure of their cost. */
const NONCE_SAMPLE = 1_000_000;

/**
 * Memory per remembered nonce in the provider's SQLite nonce store (`SIGNET_MAX_NONCES`
 * times this is what the bound costs), measured in a process of its own.
 */
async function nonceBytes(): Promise<number | undefined> {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', here('nonce_memory.js'), PROVIDER_DIST, String(NONCE_SAMPLE)],
      { timeout: 120_000 },
    );
    return (JSON.parse(stdout) as { bytesPerNonce: number }).bytesPerNonce;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) of a process so far, in µs; undefined where /proc is missing. */
function cpuUsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15 of proc(5)), in clock ticks of 10 ms (USER_HZ 100).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/** A load run's result, with the server's CPU time per answered request during the timed part. */
interface Measured extends LoadResult {
  readonly serverCpuUsPerRequest: number | undefined;
}

/** Runs one job on the load generator and waits for its result. */
async function runJob(
  loader: ChildProcess,
  job: LoadJob,
  serverPid: number | undefined,
): Promise<Measured> {
  loader.send({ type: 'run', job });
  const wait = (type: 'timed' | 'result') =>
    messageFrom(
      loader,
      (m) => {
        const msg = m as FromLoader;
        if (msg.type === 'error' && msg.id === job.id) return msg;
        if (msg.type === 'timed' && type === 'timed' && msg.id === job.id) return msg;
        if (msg.type === 'result' && type === 'result' && msg.result.id === job.id) return msg;
        return undefined;
      },
      job.warmupMs + job.durationMs + 120_000,
      `load generator (${job.id})`,
    );
  const started = await wait('timed');
  if (started.type === 'error') throw new Error(`bench: load generator failed: ${started.message}`);
  const cpuBefore = cpuUsOf(serverPid);
  const answer = await wait('result');
  const cpuAfter = cpuUsOf(serverPid);
  if (answer.type !== 'result') {
    throw new Error(`bench: load generator failed: ${'message' in answer ? answer.message : ''}`);
  }
  const { result } = answer;
  return {
    ...result,
    serverCpuUsPerRequest:
      cpuBefore === undefined || cpuAfter === undefined
        ? undefined
        : (cpuAfter - cpuBefore) / Math.max(result.responses, 1),
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const us = (x: number | undefined): string => (x === undefined ? '?' : `${Math.round(x)} µs`);

const failures = (r: LoadResult): number => r.non2xx + r.errors + r.timeouts + r.warmupFailures;

/** The last `lines` lines of the provider's log that are not a request answered 200. */
function tail(file: string, lines: number): string {
  try {
    const all = readFileSync(file, 'utf8').trimEnd().split('\n');
    const telling = all.filter(
      (l) => !l.includes('"msg":"request"') || !l.includes('"status":200'),
    );
    return (telling.length > 0 ? telling : all).slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The sum of the Prometheus counter lines for `route` with status 200. */
function countedOk(metrics: string, route: string): number {
  let sum = 0;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('signet_http_requests_total{')) continue;
    if (!line.includes(`route="${route}"`) || !line.includes('status="200"')) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function runSection(load: LoadOptions, options: RunOptions): Promise<SectionResult> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-'));
  const children = new Children();
  let provider: RunningProvider | undefined;
  try {
    options.log('  starting the provider (SQLite in a temporary folder) and getting a token');
    provider = await startProvider(dir, children, load.providerNodeArgs);
    let baseline: RunningProvider | undefined;
    if (BASELINE_DIST !== undefined) {
      options.log(`  starting the baseline provider from ${BASELINE_DIST}`);
      const baselineDir = join(dir, 'baseline');
      mkdirSync(baselineDir);
      baseline = await startProvider(baselineDir, children, [], BASELINE_DIST);
    }
    const credentials = provider.credentials;
    const peerCredentials: PeerCredentials = {
      ...credentials,
      userId: BENCH_USER,
      permission: BENCH_PERMISSION,
    };
    const bare = await startServer(children, 'bare_server.js');
    const toolkit = await startServer(children, 'toolkit_server.js', {
      ...process.env,
      [CREDENTIALS_ENV]: JSON.stringify(peerCredentials),
    });
    const passport = await startServer(children, 'passport_server.js', {
      ...process.env,
      NODE_ENV: 'production',
      [CREDENTIALS_ENV]: JSON.stringify(peerCredentials),
    });

    const all: LoadCase[] = [
      {
        id: 'provider.whoami-signed',
        subject: '@signet/provider',
        task: 'GET /api/1.0/whoami',
        measures:
          'Fastify + @signet/server resource endpoint via CachedStore (SQLite), HMAC-SHA1, fresh nonce each, pino info log + metrics per request',
        url: provider.origin + WHOAMI,
        signing: credentials,
        pid: provider.child.pid,
      },
      ...(baseline === undefined
        ? []
        : [
            {
              id: 'provider.whoami-signed-baseline',
              subject: '@signet/provider (baseline)',
              task: 'GET /api/1.0/whoami',
              measures: `the same as provider.whoami-signed, on the build in ${BASELINE_DIST}`,
              url: baseline.origin + WHOAMI,
              signing: baseline.credentials,
              pid: baseline.child.pid,
            },
          ]),
      {
        id: 'provider.healthz',
        subject: '@signet/provider',
        task: 'GET /healthz',
        measures: 'the same provider process: Fastify route + onResponse hook (metrics)',
        url: `${provider.origin}/healthz`,
        pid: provider.child.pid,
      },
      {
        id: 'provider.node-http-hello',
        subject: 'node:http',
        task: 'GET / hello',
        measures: 'bare createServer handler writing "hello"',
        url: `${bare.origin}/`,
        pid: bare.child.pid,
      },
      {
        id: 'toolkit.whoami-signed',
        subject: '@signet/server on node:http',
        task: 'GET /api/1.0/whoami',
        measures:
          'createResourceEndpoint + nodeAuthenticate, MemoryStore, HMAC-SHA1, no framework, no log',
        url: `${toolkit.origin}${WHOAMI}`,
        signing: credentials,
        pid: toolkit.child.pid,
      },
      {
        id: 'toolkit.healthz',
        subject: '@signet/server on node:http',
        task: 'GET /healthz',
        measures: 'the same node:http process answering {"status":"ok"}',
        url: `${toolkit.origin}/healthz`,
        pid: toolkit.child.pid,
      },
      {
        id: 'provider.passport-whoami-signed',
        subject: 'express + passport-http-oauth',
        task: 'GET /api/1.0/whoami',
        measures:
          'Express 5 + passport TokenStrategy, HMAC-SHA1, secrets and nonces in memory, no logging',
        url: passport.origin + WHOAMI,
        signing: credentials,
        pid: passport.child.pid,
      },
    ];
    const cases = all.filter(
      (c) => options.cases.length === 0 || options.cases.some((s) => c.id.includes(s)),
    );
    if (cases.length === 0) throw new Error('bench: --case matches no provider case');
    await checkServers(cases);

    const loader = children.fork(here('loader.js'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await messageFrom(
      loader,
      (m) => ((m as FromLoader).type === 'ready' ? true : undefined),
      15_000,
      'load generator',
    );

    const results = new Map<string, Measured[]>(cases.map((c) => [c.id, []]));
    for (let r = 0; r < load.rounds; r++) {
      const order = cases.map((_, i) => cases[(i + r) % cases.length]!);
      if (r % 2 === 1) order.reverse();
      for (const c of order) {
        const previous = results.get(c.id)!.at(-1);
        const result = await runJob(
          loader,
          {
            id: c.id,
            url: c.url,
            connections: load.connections,
            pipelining: load.pipelining,
            warmupMs: load.warmupMs,
            durationMs: load.durationMs,
            ...(c.signing !== undefined && { signing: c.signing }),
            ...(load.rate !== undefined && { rate: load.rate }),
            poolSize:
              previous === undefined
                ? 0
                : Math.ceil(previous.requestsPerSec * (load.durationMs / 1000) * 1.5),
          },
          c.pid,
        );
        if (failures(result) > 0) {
          const log = c.id.startsWith('provider.whoami') || c.id === 'provider.healthz';
          throw new Error(
            `bench: ${c.id} had ${result.non2xx} non-2xx answers, ${result.errors} errors, ` +
              `${result.timeouts} timeouts (${result.warmupFailures} failures in the warm-up); ` +
              `statuses ${JSON.stringify(result.statusCodes)}` +
              (log ? `\nprovider log, last lines:\n${tail(provider.logFile, 5)}` : ''),
          );
        }
        results.get(c.id)!.push(result);
        options.log(
          `  round ${r + 1}/${load.rounds} ${c.id}: ${Math.round(result.requestsPerSec)} req/s` +
            ` (p50 ${result.latencyP50Ms} ms, p99 ${result.latencyP99Ms} ms;` +
            ` CPU per request: server ${us(result.serverCpuUsPerRequest)}, generator ${us(result.generatorCpuUsPerRequest)})`,
        );
      }
    }

    // Every answered request must show in the provider's own metrics: the hook counts them.
    const signedRuns = results.get('provider.whoami-signed') ?? [];
    const answered = signedRuns.reduce((n, r) => n + (r.statusCodes['200'] ?? 0), 0);
    const metrics = await (await fetch(`${provider.origin}/metrics`)).text();
    const counted = countedOk(metrics, WHOAMI) - 1; // minus the correctness check's call
    // A run's end can cut off answers in flight: at most one per connection per autocannon run.
    const cutOff = load.connections * load.pipelining * 2 * signedRuns.length;
    if (signedRuns.length > 0 && (counted < answered || counted > answered + cutOff)) {
      throw new Error(
        `bench: the provider counted ${counted} whoami 200s, the generator saw ${answered}`,
      );
    }

    const rows: Row[] = cases.map((c) => {
      const rs = results.get(c.id)!;
      return {
        id: c.id,
        subject: c.subject,
        task: c.task,
        measures: c.measures,
        opsPerSec: median(rs.map((r) => r.requestsPerSec)),
        rounds: rs.map((r) => r.requestsPerSec),
      };
    });
    const rate = (id: string): number | undefined => rows.find((r) => r.id === id)?.opsPerSec;
    const ratio = (name: string, a: string, b: string, target: number): Ratio[] => {
      const x = rate(a);
      const y = rate(b);
      if (x === undefined || y === undefined) return [];
      const value = x / y;
      return [{ name, value, target, met: value >= target }];
    };
    const ratios: Ratio[] = [
      ...ratio(
        'signed whoami / provider /healthz',
        'provider.whoami-signed',
        'provider.healthz',
        TARGETS.signedVsHealthz,
      ),
      ...ratio(
        'provider /healthz / bare node:http',
        'provider.healthz',
        'provider.node-http-hello',
        TARGETS.healthzVsBare,
      ),
      ...ratio(
        'toolkit on node:http: signed whoami / its /healthz',
        'toolkit.whoami-signed',
        'toolkit.healthz',
        TARGETS.toolkitSignedVsHealthz,
      ),
      ...ratio(
        'signed whoami: provider / passport-http-oauth',
        'provider.whoami-signed',
        'provider.passport-whoami-signed',
        TARGETS.signedVsPassport,
      ),
    ];

    // No target: how much a change costs or gains.
    const thisBuild = rate('provider.whoami-signed');
    const baselineBuild = rate('provider.whoami-signed-baseline');
    if (thisBuild !== undefined && baselineBuild !== undefined) {
      ratios.push({
        name: 'signed whoami: this build / baseline',
        value: thisBuild / baselineBuild,
      });
    }

    const latency = cases.map((c) => {
      const rs = results.get(c.id)!;
      return `${c.id} ${median(rs.map((r) => r.latencyP50Ms))}/${median(rs.map((r) => r.latencyP99Ms))}`;
    });
    const cpu = cases.map((c) => {
      const rs = results.get(c.id)!;
      const server = rs.map((r) => r.serverCpuUsPerRequest);
      const known = server.filter((x): x is number => x !== undefined);
      return `${c.id} ${known.length === server.length ? us(median(known)) : '?'} / ${us(median(rs.map((r) => r.generatorCpuUsPerRequest)))}`;
    });
    const live = [...results.values()].flat().reduce((n, r) => n + r.signedLive, 0);
    const perNonce = await nonceBytes();
    const notes = [
      `autocannon in a child process; ${load.connections} connections, pipelining ${load.pipelining}, ` +
        (load.rate === undefined
          ? ''
          : `FIXED RATE ${load.rate} req/s (diagnostic, not a saturation rate), `) +
        `${load.warmupMs / 1000} s warm-up + ${load.durationMs / 1000} s timed per run, ${load.rounds} interleaved rounds, median reported; loopback, servers in their own processes`,
      'every case goes through autocannon setupRequest (same generator cost per request); signed cases take each header from a pool signed with @signet/core just before the warm-up and another just before the timed part, each used once' +
        (live > 0 ? ` (${live} signed on the fly when the pool ran dry)` : ''),
      'provider: packages/provider/dist/src/main.js as `npm start` runs it, SQLite in a fresh temporary folder, SIGNET_LOG_LEVEL=info (one JSON line per request, to a file); token from /oauth/request_token, `signet-provider token review`, /oauth/access_token',
      `median latency p50/p99 in ms: ${latency.join('; ')}`,
      `median CPU time per request, server process / load generator (from /proc and process.cpuUsage; steadier than req/s on a busy machine): ${cpu.join('; ')}`,
      `nonce memory (SQLite, DurableNonces): ${perNonce === undefined ? '?' : Math.round(perNonce)} bytes per nonce (${NONCE_SAMPLE} nonces, heap + external after gc); SIGNET_MAX_NONCES (default 2,000,000) times this bounds it`,
      ...(signedRuns.length > 0
        ? [
            `every request answered 200; the provider's /metrics counted ${counted} signed calls, the generator saw ${answered} answers`,
          ]
        : []),
    ];
    return {
      section: 'provider',
      description:
        'provider HTTP load: signed whoami vs /healthz vs node:http vs passport-http-oauth',
      rows,
      ratios,
      notes,
    };
  } finally {
    await children.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The section, with its load settings. */
export function providerLoadSection(load: LoadOptions = LOAD_DEFAULTS): Section {
  return {
    name: 'provider',
    description: 'provider HTTP load run (issue 4)',
    run: (options) => runSection(load, options),
  };
}
