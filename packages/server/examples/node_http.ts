// The demo provider on plain node:http.
//   node packages/server/dist/examples/node_http.js   (PORT=8080 by default)
import { createServer, type Server } from 'node:http';
import { fromNodeRequest, sendNodeResponse } from '../src/adapters/node_http.js';
import type { MemoryStore } from '../src/index.js';
import { createDemo, type Demo, isMain, route } from './demo_provider.js';

export interface Started {
  readonly url: string;
  readonly demo: Demo;
  close(): Promise<void>;
}

export async function start(port = 0, store?: MemoryStore): Promise<Started> {
  let demo: Demo | undefined;
  const server: Server = createServer(async (req, res) => {
    const endpoint = demo && route(demo, new URL(req.url ?? '/', 'http://x').pathname);
    if (endpoint === undefined) {
      res.writeHead(404).end('Not found.');
      return;
    }
    sendNodeResponse(res, await endpoint(await fromNodeRequest(req)));
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  demo = createDemo(url, store);
  return {
    url,
    demo,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

if (isMain(import.meta.url)) {
  const { url } = await start(Number(process.env['PORT'] ?? 8080));
  console.log(`OAuth provider on ${url} (consumer demo-key / demo-secret)`);
}
