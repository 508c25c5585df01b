// The load generator: a child process of the bench (so that it never shares an event loop
// with a server under test) that runs autocannon jobs on request over IPC.
//
// Every case goes through the same autocannon `setupRequest` path, so the generator spends
// the same per-request work whatever the case; for signed cases it hands out headers from a
// pool signed just before the warm-up and another just before the timed part, each header
// used once.
import autocannon, { type RequestParams, type Result } from 'autocannon';
import type { FromLoader, LoadJob, LoadResult, ToLoader } from './messages.js';
import { authorizationFor } from './sign.js';

/** At most this many pre-signed headers (about 160 MB); beyond, requests are signed live. */
const MAX_POOL = 400_000;

/**
 * Warm-up pool per second of warm-up when no earlier run tells the rate: above what the
 * servers here answer, so that the warm-up, like the timed part, measures the server and not
 * the generator signing on the fly (which made it slower, and the pool sized from its rate
 * too small).
 */
const WARMUP_POOL_PER_SEC = 40_000;

const send = (message: FromLoader): void => {
  process.send?.(message);
};

/** Hands out Authorization headers: pooled first, then signed on the spot. */
class HeaderSource {
  #pool: string[] = [];
  #next = 0;
  live = 0;

  constructor(private readonly job: LoadJob) {}

  fill(count: number): void {
    const { signing } = this.job;
    this.#pool = new Array<string>(count);
    this.#next = 0;
    this.live = 0;
    if (signing === undefined) return;
    for (let i = 0; i < count; i++) this.#pool[i] = authorizationFor(signing, this.job.url);
  }

  take(): string {
    if (this.#next < this.#pool.length) return this.#pool[this.#next++]!;
    this.live++;
    return authorizationFor(this.job.signing!, this.job.url);
  }
}

function statusCounts(into: Record<string, number>, result: Result): void {
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) {
    into[code] = (into[code] ?? 0) + count;
  }
}

async function run(job: LoadJob): Promise<LoadResult> {
  const url = new URL(job.url);
  const headers = new HeaderSource(job);
  const template: RequestParams = {
    method: 'GET',
    path: url.pathname + url.search,
    headers: { accept: 'application/json' },
    setupRequest:
      job.signing === undefined
        ? (request) => request
        : (request) => {
            // autocannon hands a fresh copy of the template (headers included) every time.
            request.headers!['authorization'] = headers.take();
            return request;
          },
  };
  const options = {
    url: job.url,
    connections: job.connections,
    pipelining: job.pipelining,
    timeout: 10,
    requests: [template],
    ...(job.rate !== undefined && { overallRate: job.rate }),
  };
  const statusCodes: Record<string, number> = {};

  const seconds = job.durationMs / 1000;
  const warmSeconds = job.warmupMs / 1000;
  if (job.signing !== undefined) {
    const expected = Math.max(
      (job.poolSize / seconds) * warmSeconds,
      WARMUP_POOL_PER_SEC * warmSeconds,
    );
    headers.fill(Math.min(Math.ceil(expected), MAX_POOL));
  }
  const warm = await autocannon({ ...options, duration: warmSeconds });
  statusCounts(statusCodes, warm);
  const warmupPerSec = warm.requests.total / Math.max(warm.duration, 1e-3);

  if (job.signing !== undefined) {
    // The warm-up starts cold, so the timed part may run faster: size the pool well above
    // its rate, within what memory allows (about 400 bytes each).
    const wanted = Math.max(job.poolSize, Math.ceil(warmupPerSec * seconds * 2.5));
    headers.fill(Math.min(wanted, MAX_POOL));
  }
  send({ type: 'timed', id: job.id });
  const cpuBefore = process.cpuUsage();
  const timed = await autocannon({ ...options, duration: seconds });
  const cpu = process.cpuUsage(cpuBefore);
  statusCounts(statusCodes, timed);
  const signedLive = headers.live;
  headers.fill(0);

  return {
    id: job.id,
    requestsPerSec: timed.requests.total / timed.duration,
    responses: timed.requests.total,
    non2xx: timed.non2xx,
    errors: timed.errors,
    timeouts: timed.timeouts,
    statusCodes,
    warmupFailures: warm.non2xx + warm.errors + warm.timeouts,
    latencyP50Ms: timed.latency.p50,
    latencyP99Ms: timed.latency.p99,
    seconds: timed.duration,
    signedLive,
    warmupPerSec,
    generatorCpuUsPerRequest: (cpu.user + cpu.system) / Math.max(timed.requests.total, 1),
  };
}

process.on('message', (message: ToLoader) => {
  if (message.type === 'exit') {
    process.disconnect();
    return;
  }
  run(message.job).then(
    (result) => send({ type: 'result', result }),
    (error: unknown) =>
      send({
        type: 'error',
        id: message.job.id,
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});
// The parent going away ends this process.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
