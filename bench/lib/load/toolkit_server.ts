// The toolkit's floor: @signet/server's resource endpoint behind a bare node:http server,
// with the MemoryStore (no Fastify, no log, no SQL), serving the same signed
// `GET /api/1.0/whoami`, and its own `/healthz` to compare against (issue #14). Run as a
// child process; reports its port over IPC and ends when the bench disconnects.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createResourceEndpoint, MemoryStore } from '@signet/server';
import { nodeAuthenticate, sendNodeResponse } from '@signet/server/node';
import { CREDENTIALS_ENV, type FromServer, type PeerCredentials } from './server_messages.js';

const credentials = JSON.parse(process.env[CREDENTIALS_ENV] ?? 'null') as PeerCredentials | null;
if (credentials === null) throw new Error(`${CREDENTIALS_ENV} is not set`);

const store = new MemoryStore();
store.addConsumer({
  key: credentials.consumerKey,
  secret: credentials.consumerSecret,
  name: 'bench',
});
const now = Date.now();
await store.createRequestToken({
  token: 'bench-request-token',
  secret: 'unused',
  consumerKey: credentials.consumerKey,
  createdAt: now,
  expiresAt: now + 3_600_000,
});
await store.consumeRequestToken('bench-request-token', {
  token: credentials.token,
  secret: credentials.tokenSecret,
  consumerKey: credentials.consumerKey,
  userId: credentials.userId,
  permission: credentials.permission,
  createdAt: now,
});

const HEALTHY = JSON.stringify({ status: 'ok' });
let protect: ReturnType<typeof createResourceEndpoint> | undefined;

const server = createServer(async (req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': String(HEALTHY.length),
    });
    res.end(HEALTHY);
    return;
  }
  if (protect === undefined || !req.url?.startsWith('/api/1.0/whoami')) {
    res.writeHead(404).end();
    return;
  }
  const { result } = await nodeAuthenticate(protect, req);
  if (!result.ok) return sendNodeResponse(res, result.response);
  const body = JSON.stringify({
    person: result.userId,
    consumer: result.consumer.key,
    permission: result.grant?.permission ?? null,
  });
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  // Signatures are checked against the URL the client addressed, known once listening.
  protect = createResourceEndpoint({ store, publicUrl: `http://127.0.0.1:${port}` });
  const message: FromServer = { type: 'listening', port };
  process.send?.(message);
});
process.on('disconnect', () => process.exit(0));
