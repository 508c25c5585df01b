// The floor of the load run: node:http answering "hello" and nothing else. Run as a child
// process; reports its port over IPC and ends when the bench disconnects.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FromServer } from './server_messages.js';

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '5' });
  res.end('hello');
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const message: FromServer = { type: 'listening', port: (server.address() as AddressInfo).port };
  process.send?.(message);
});
process.on('disconnect', () => process.exit(0));
