// The demo provider on Express.
//   node packages/server/dist/examples/express.js   (PORT=8080 by default)
import type { Server } from 'node:http';
import express from 'express';
import { expressEndpoint, expressProtect } from '../src/adapters/express.js';
import type { MemoryStore, ResourceAccess } from '../src/index.js';
import { createDemo, type Demo, isMain } from './demo_provider.js';
import type { Started } from './node_http.js';

export async function start(port = 0, store?: MemoryStore): Promise<Started> {
  const app = express();
  // The endpoints need the URL they are reached at, known once listening: route through it.
  let demo: Demo | undefined;
  const late =
    (pick: (d: Demo) => Parameters<typeof expressEndpoint>[0]) =>
    (req: express.Request, res: express.Response, next: express.NextFunction) =>
      expressEndpoint(pick(demo!))(req, res, next);
  app.post(
    '/oauth/request_token',
    late((d) => d.requestToken),
  );
  app.get(
    '/oauth/authorize',
    late((d) => d.authorize),
  );
  app.post(
    '/oauth/access_token',
    late((d) => d.accessToken),
  );
  app.all(
    '/api/whoami',
    (req, res, next) => expressProtect(demo!.protect)(req, res, next),
    (_req, res) => {
      const access = res.locals['oauth'] as ResourceAccess;
      res.json({
        consumer: access.consumer.key,
        person: access.userId,
        permission: access.grant?.permission,
        context: access.grant?.context ?? null,
      });
    },
  );
  const server: Server = await new Promise((ok) => {
    const s = app.listen(port, '127.0.0.1', () => ok(s));
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  demo = createDemo(url, store);
  return { url, demo, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

if (isMain(import.meta.url)) {
  const { url } = await start(Number(process.env['PORT'] ?? 8080));
  console.log(`OAuth provider (Express) on ${url} (consumer demo-key / demo-secret)`);
}
