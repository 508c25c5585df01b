import type { OAuthStore } from '@signet/server';
import { useRawBodies } from '@signet/server/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { deriveKey } from './crypto/secret_box.js';
import { registerApiRoutes } from './http/api.js';
import { registerTokenRoutes } from './http/protocol.js';
import { registerRegistrationRoutes } from './http/registration.js';
import type { OpenStore } from './stores/open.js';
import { SqlSessionStore } from './stores/sql_sessions.js';
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
const API_BODY_LIMIT = 1024 * 1024;

/**
 * The provider as a Fastify app: people pages (form bodies parsed), the OAuth protocol and
 * API (raw bodies, for signatures), discovery, health and metrics.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, storage } = options;
  const now = options.now ?? Date.now;
  const metrics = options.metrics ?? new Metrics();
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
  });

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
    if (requestLog !== undefined && route !== '/healthz' && route !== '/metrics') {
      requestLog.info(
        { method: req.method, route, status, ms: Math.round(reply.elapsedTime) },
        'request',
      );
    }
    done();
  });

  app.setErrorHandler((error: unknown, req, reply) => {
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Fastify's own 4xx (body too large, bad content): a message, never internals.
      const message = error instanceof Error ? error.message : 'Bad request.';
      return reply.code(status).type('text/plain; charset=utf-8').send(message);
    }
    options.logger?.error({ err: error, route: req.routeOptions.url }, 'request failed');
    return reply.code(500).type('text/plain; charset=utf-8').send('Internal server error.');
  });

  app.get('/healthz', async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });

  app.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });

  const pageKey = deriveKey(storage.masterKey, 'signet pages v1');
  await app.register(async (pages) => {
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
