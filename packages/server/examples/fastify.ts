// The demo provider on Fastify.
//   node packages/server/dist/examples/fastify.js   (PORT=8080 by default)
import Fastify from 'fastify';
import { fastifyEndpoint, fastifyProtect, oauthOf, useRawBodies } from '../src/adapters/fastify.js';
import type { MemoryStore, ResourceAccess } from '../src/index.js';
import { createDemo, type Demo, isMain } from './demo_provider.js';
import type { Started } from './node_http.js';

export async function start(port = 0, store?: MemoryStore): Promise<Started> {
  const app = Fastify();
  let demo: Demo | undefined;
  await app.register(async (oauth) => {
    useRawBodies(oauth);
    oauth.post('/oauth/request_token', (req, reply) =>
      fastifyEndpoint(demo!.requestToken)(req, reply),
    );
    oauth.get('/oauth/authorize', (req, reply) => fastifyEndpoint(demo!.authorize)(req, reply));
    oauth.post('/oauth/access_token', (req, reply) =>
      fastifyEndpoint(demo!.accessToken)(req, reply),
    );
    oauth.route({
      method: ['GET', 'POST'],
      url: '/api/whoami',
      preHandler: (req, reply) => fastifyProtect(demo!.protect)(req, reply),
      handler: async (req) => {
        const access = oauthOf<ResourceAccess>(req)!;
        return {
          consumer: access.consumer.key,
          person: access.userId,
          permission: access.grant?.permission,
          context: access.grant?.context ?? null,
        };
      },
    });
  });
  const address = await app.listen({ port, host: '127.0.0.1' });
  const url = address.replace('localhost', '127.0.0.1');
  demo = createDemo(url, store);
  return { url, demo, close: () => app.close() };
}

if (isMain(import.meta.url)) {
  const { url } = await start(Number(process.env['PORT'] ?? 8080));
  console.log(`OAuth provider (Fastify) on ${url} (consumer demo-key / demo-secret)`);
}
