#!/usr/bin/env node
// `npm start`: the provider with the configuration of the environment (DESIGN.md).
import { pino } from 'pino';
import { loadConfig } from './config.js';
import { ProviderError } from './errors.js';
import { openProvider } from './provider.js';

// Buffered, asynchronous writes: a synchronous write per request line cost more than the
// request's signature check. Every exit below flushes first, so nothing is lost there.
const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
const logger = pino(
  {
    level: process.env['SIGNET_LOG_LEVEL'] ?? 'info',
    // Belt and braces: nothing that can hold a credential is ever written out.
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.secret',
        '*.password',
        '*.oauth_signature',
      ],
      censor: '[redacted]',
    },
  },
  destination,
);

/** Exit status when another provider holds the SQLite database (EX_TEMPFAIL). */
const EXIT_LOCKED = 75;

function exit(code: number): never {
  destination.flushSync();
  process.exit(code);
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  // On SQLite, this takes the database's lock file (ERR_LOCKED when another provider has it).
  const { app, storage, close } = await openProvider(config, { logger });
  if (storage.migrated.length > 0) {
    logger.info({ migrations: storage.migrated }, 'database migrated');
  }
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    // Requests under way get the grace period to finish; then their connections are cut
    // (a client that never finishes its request must not hold the stop for ever).
    const grace = setTimeout(() => {
      logger.warn(
        { graceMs: config.shutdownGraceMs },
        'grace period over: closing the connections still open',
      );
      app.server.closeAllConnections();
    }, config.shutdownGraceMs);
    // Past this, something hangs that cutting connections did not end: stop regardless.
    // Nothing is lost: every admitted nonce is committed before its request is answered.
    const backstop = setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting');
      exit(1);
    }, config.shutdownGraceMs + 10_000);
    try {
      await close();
    } catch (e) {
      logger.error({ err: e }, 'shutdown failed');
      exit(1);
    }
    clearTimeout(grace);
    clearTimeout(backstop);
    exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ port: config.port, host: config.host });
  logger.info(
    { url: config.publicUrl, database: config.database.kind, redis: config.redisUrl !== undefined },
    `Signet provider listening on http://${config.host}:${config.port}`,
  );
}

main().catch((e: unknown) => {
  if (e instanceof ProviderError) {
    logger.fatal({ code: e.code }, e.message);
    // Also where an operator starting it by hand looks.
    if (e.code === 'ERR_LOCKED') process.stderr.write(`signet-provider: ${e.message}\n`);
  } else {
    logger.fatal({ err: e }, 'failed to start');
  }
  exit(e instanceof ProviderError && e.code === 'ERR_LOCKED' ? EXIT_LOCKED : 1);
});
