import type { OAuthStore } from '@signet/server';
import { useRawBodies } from '@signet/server/fastify';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { deriveKey } from './crypto/secret_box.js';
import { registerApiRoutes } from './http/api.js';
import { answerUnrouted } from './http/methods.js';
import { isDataException, refuseNul } from './http/nul.js';
import { registerTokenRoutes } from './http/protocol.js';
import { registerRegistrationRoutes } from './http/registration.js';
import type { OpenStore } from './stores/open.js';
import { SqlSessionStore } from './stores/sql_sessions.js';
import {
  asUnavailable,
  classifyDatabaseError,
  classifyRedisError,
  type DependencyMonitor,
  DependencyUnavailableError,
  describeCause,
  ThrottledLog,
} from './stores/unavailable.js';
import { sqlPagesBackend } from './web/backend.js';
import { registerDiscovery } from './web/discovery.js';
import { Metrics } from './web/metrics.js';
import { type LoginLimits, registerPages } from './web/pages.js';
import { memoryWriteLimits, type WriteLimits } from './web/rate_limit.js';
import type { SessionStore } from './web/session.js';

/** Options of {@link buildApp}. */
export interface AppOptions {
  readonly config: Config;
  readonly storage: OpenStore;
  /**
   * What the protocol endpoints read: the SQL store behind caches (see `openProvider`).
   * Pages and the CLI go to the SQL store itself.
   */
  readonly oauthStore: OAuthStore;
  /** Called after a write of this process that cached reads must not miss (a revocation). */
  readonly onRevoke?: () => void;
  /** Structured logger; none in tests that do not look at logs. */
  readonly logger?: Logger | undefined;
  readonly now?: () => number;
  readonly sessions?: SessionStore;
  /** Failed-login limits; in memory when absent. */
  readonly loginLimits?: LoginLimits;
  /** Registration and open-consumer limits; in memory when absent. */
  readonly writeLimits?: WriteLimits;
  readonly metrics?: Metrics;
  /** Told of dependency failures that reached the HTTP layer untranslated. */
  readonly monitor?: DependencyMonitor;
  /**
   * What `/readyz` checks besides the database (`SELECT 1`): e.g. `redis`, a `PING` on each
   * Redis connection. Each rejects when its dependency is down.
   */
  readonly readiness?: Readonly<Record<string, () => Promise<unknown>>>;
}

/** What every route module of the protocol side gets. */
export interface RouteContext {
  readonly config: Config;
  readonly storage: OpenStore;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly logger: Logger | undefined;
  readonly writeLimits: WriteLimits;
}

/** Body limit of protocol and API requests. */
export const API_BODY_LIMIT = 1024 * 1024;

/** How long `/readyz` waits for each dependency. */
const READY_TIMEOUT_MS = 1000;

/** A 503 a client may retry: what is down, in one line, and when to come back. */
function sendUnavailable(reply: FastifyReply, retryAfter: number, message: string): FastifyReply {
  return reply
    .code(503)
    .header('retry-after', String(Math.max(1, Math.ceil(retryAfter))))
    .header('cache-control', 'no-store')
    .type('text/plain; charset=utf-8')
    .send(message);
}

/** Rejects with a timeout when `promise` takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** What `/readyz` says of a failed check: a kind, never an address or a query. */
function downBecause(name: string, error: unknown): string {
  if (error instanceof Error && error.message.startsWith('no answer within')) return 'timeout';
  if (error instanceof DependencyUnavailableError) return error.kind;
  const cause = (error as { cause?: unknown }).cause ?? error;
  return (
    (name === 'database' ? classifyDatabaseError(cause) : classifyRedisError(cause)) ?? 'error'
  );
}

/**
 * The provider as a Fastify app: people pages (form bodies parsed), the OAuth protocol and
 * API (raw bodies, for signatures), discovery, health and metrics.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, storage } = options;
  const now = options.now ?? Date.now;
  const metrics = options.metrics ?? new Metrics();
  // On every answer (401s, 404s, errors, the gateway's and Fastify's own): no content
  // sniffing, and, when the public URL is https, HSTS.
  const hsts = config.publicUrl.startsWith('https:');
  const secure = (reply: FastifyReply): void => {
    reply.header('x-content-type-options', 'nosniff');
    if (hsts) reply.header('strict-transport-security', 'max-age=31536000');
  };
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps Fastify's default generics.
    ...(options.logger
      ? { loggerInstance: options.logger as FastifyBaseLogger }
      : { logger: false }),
    // One line per request is logged by the onResponse hook below, without headers (they
    // carry signatures and, with PLAINTEXT, secrets).
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify would make a pino child (with a request id binding, through the redaction
    // setup) for every request; nothing here logs through `req.log`, and the lines below
    // and the error handler log through the logger itself, so every request shares it.
    childLoggerFactory: (logger) => logger,
    bodyLimit: API_BODY_LIMIT,
    // `req.ip` is the client's address per SIGNET_TRUST_PROXY; the rate limits key on it.
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // A whole request (headers and body, at most 1 MiB here) must arrive within a minute,
    // or Node answers 408 and closes; Fastify's default is no limit. The gateway streams
    // uploads of any size and bounds them by idleness instead (see http/gateway.ts).
    requestTimeout: config.upstream === undefined ? 60_000 : 0,
    // Errors Fastify answers before any route or hook (a URL that does not decode, a path
    // segment too long): plain text that never echoes the input, with the headers the onSend
    // hook below gives every other answer (it does not run for these).
    frameworkErrors: (error, _req, generic) => {
      // The option's reply type is generic over the route's schema; there is none here.
      const reply = generic as unknown as FastifyReply;
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      secure(reply);
      reply
        .code(tooLong ? 414 : 400)
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send(
          error.code === 'FST_ERR_BAD_URL'
            ? 'Bad request: malformed URL.'
            : tooLong
              ? 'Bad request: a URL segment is too long.'
              : 'Bad request.',
        );
    },
  });

  answerUnrouted(app);
  // U+0000 in a query or form field: refused before any route takes it to the database.
  refuseNul(app, { protocol: true });

  // One count and one log line per request. A callback hook: Fastify runs it without the
  // promise an async hook costs.
  // The request line's fields (method, route pattern, status, duration) cannot hold a
  // credential, so a child without the redaction paths writes it: with wildcard paths, pino
  // runs every field of every line through redaction, which cost more than the rest of the
  // line. The line is the same, byte for byte; every other line is still redacted.
  const requestLog = options.logger?.child({}, { redact: [] });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.countRequest(route, status);
    if (
      requestLog !== undefined &&
      route !== '/healthz' &&
      route !== '/readyz' &&
      route !== '/metrics'
    ) {
      requestLog.info(
        { method: req.method, route, status, ms: Math.round(reply.elapsedTime) },
        'request',
      );
    }
    done();
  });

  app.addHook('onSend', (req, reply, payload, done) => {
    secure(reply);
    // Answered before the body was all in (a deadline, a refusal at the headers, a body too
    // large): close the connection after the answer, or a client trickling the rest of its
    // body would hold the socket for as long as it likes.
    const raw = req.raw;
    if (
      !raw.complete &&
      (raw.headers['transfer-encoding'] !== undefined ||
        (raw.headers['content-length'] !== undefined && raw.headers['content-length'] !== '0'))
    ) {
      reply.header('connection', 'close');
    }
    done(null, payload);
  });

  app.setErrorHandler((error: unknown, req, reply) => {
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Fastify's own 4xx (body too large, bad content): a message, never internals.
      const message = error instanceof Error ? error.message : 'Bad request.';
      return reply.code(status).type('text/plain; charset=utf-8').send(message);
    }
    // Input the database refused (PostgreSQL class 22) that no route check caught: the
    // client's fault, not a bug to retry or page anyone for.
    if (isDataException(error)) {
      return reply.code(400).type('text/plain; charset=utf-8').send('Bad request.');
    }
    // A dependency that failed (pages, the API's own queries, the Redis login limits) is a
    // 503 the client may retry; only a bug is a 500. The stores already logged the cause.
    const unavailable = asUnavailable(error, options.monitor);
    if (unavailable !== undefined) {
      return sendUnavailable(reply, unavailable.retryAfter, unavailable.message);
    }
    options.logger?.error({ err: error, route: req.routeOptions.url }, 'request failed');
    return reply.code(500).type('text/plain; charset=utf-8').send('Internal server error.');
  });

  // The request deadline: whatever a request waits for, its client hears within
  // SIGNET_REQUEST_TIMEOUT_MS. The work goes on until its own timeouts end it; its late
  // answer is dropped. The gateway's upstream call has its own limit.
  const deadlineMs = config.timeouts.requestMs;
  if (deadlineMs > 0) {
    // Fastify warns of a late answer on the reply's logger: expected after a deadline.
    const quiet = options.logger?.child({}, { level: 'error' });
    app.addHook('onRequest', (req, reply, done) => {
      if (config.upstream !== undefined && req.routeOptions.url === '/api/*') return done();
      const timer = setTimeout(() => {
        if (reply.sent || reply.raw.headersSent) return;
        metrics.requestDeadlines.inc();
        if (quiet !== undefined) reply.log = quiet;
        options.logger?.warn(
          { route: req.routeOptions.url, ms: deadlineMs },
          'request deadline exceeded',
        );
        sendUnavailable(reply, 1, 'The server did not finish in time; try again shortly.');
      }, deadlineMs);
      timer.unref();
      reply.raw.once('close', () => clearTimeout(timer));
      done();
    });
  }

  app.get('/healthz', async (_req, reply) => {
    // Liveness only: the process answers. Whether it can serve is /readyz's question.
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });

  const checks: Record<string, () => Promise<unknown>> = {
    database: () => sql`select 1`.execute(storage.store.db),
    ...options.readiness,
  };
  const readyLog = new ThrottledLog(options.logger);
  app.get('/readyz', async (_req, reply) => {
    const names = Object.keys(checks);
    const results = await Promise.allSettled(
      names.map((name) => within(Promise.resolve().then(checks[name]!), READY_TIMEOUT_MS)),
    );
    const report: Record<string, string> = {};
    const down: string[] = [];
    results.forEach((r, i) => {
      const name = names[i]!;
      if (r.status === 'fulfilled') {
        report[name] = 'ok';
        return;
      }
      report[name] = downBecause(name, r.reason);
      down.push(name);
      // Probes come every few seconds while a dependency is down: one line per interval.
      readyLog.warn(
        `readyz:${name}`,
        { dependency: name, ...describeCause((r.reason as { cause?: unknown }).cause ?? r.reason) },
        'not ready',
      );
    });
    reply.header('cache-control', 'no-store');
    if (down.length === 0) return { status: 'ok', checks: report };
    return reply
      .code(503)
      .header('retry-after', '2')
      .send({ status: 'unavailable', down, checks: report });
  });

  app.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });

  const pageKey = deriveKey(storage.masterKey, 'signet pages v1');
  await app.register(async (pages) => {
    // Pages take oauth_* parameters too (the authorization page), unsigned: all are checked.
    refuseNul(pages);
    await registerPages(pages, {
      backend: sqlPagesBackend(storage.store, pageKey, now, options.onRevoke),
      sessions: options.sessions ?? new SqlSessionStore(storage.store),
      csrfKey: pageKey,
      secureCookies: config.publicUrl.startsWith('https:'),
      ...(options.loginLimits !== undefined && { loginLimits: options.loginLimits }),
      now,
    });
  });

  registerDiscovery(app, {
    publicUrl: config.publicUrl,
    registration: config.dynamicRegistration,
    userExists: async (name) => (await storage.store.getUser(name)) !== undefined,
  });

  const writeLimits =
    options.writeLimits ??
    memoryWriteLimits(
      { registrations: config.registrationLimit, openConsumers: config.openConsumerLimit },
      now,
    );
  const context: RouteContext = {
    config,
    storage,
    metrics,
    now,
    logger: options.logger,
    writeLimits,
  };
  await app.register(async (api) => {
    // Signatures cover bytes: keep every body raw here, whatever its type.
    useRawBodies(api, { bodyLimit: API_BODY_LIMIT });
    registerTokenRoutes(api, context, options.oauthStore);
    registerApiRoutes(api, context, options.oauthStore);
    registerRegistrationRoutes(api, context);
  });

  return app;
}

/**
 * Fastify 5 now ignores a bare hop count (it cannot tell a proxy from a client sending its
 * own `X-Forwarded-For`); `SIGNET_TRUST_PROXY=N` keeps its old meaning, the N nearest hops,
 * the operator's promise that only the proxy can reach the provider.
 */
function fastifyTrustProxy(
  setting: Config['trustProxy'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return typeof setting === 'boolean' ? setting : [...setting];
}
