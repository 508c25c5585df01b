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

function exit(code: number): never {
  destination.flushSync();
  process.exit(code);
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const { app, storage, close } = await openProvider(config, { logger });
  if (storage.migrated.length > 0) {
    logger.info({ migrations: storage.migrated }, 'database migrated');
  }
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await close();
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
  } else {
    logger.fatal({ err: e }, 'failed to start');
  }
  exit(1);
});
