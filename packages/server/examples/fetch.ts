// The demo provider as a Fetch API handler `(Request) => Promise<Response>`, the shape of
// Deno.serve, Bun.serve and workers. Node has no built-in server for it, so the bottom of
// this file bridges node:http to Request/Response in a few lines (in Deno: Deno.serve(handler)).
//   node packages/server/dist/examples/fetch.js   (PORT=8080 by default)
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { fetchAuthenticate, fromFetchRequest, toFetchResponse } from '../src/adapters/fetch.js';
import type { MemoryStore } from '../src/index.js';
import { createDemo, type Demo, isMain, route } from './demo_provider.js';
import type { Started } from './node_http.js';

export function handler(demo: Demo): (request: Request) => Promise<Response> {
  return async (request) => {
    const path = new URL(request.url).pathname;
    if (path === '/api/whoami') {
      // The adapter-level check, as an application's own resource routes would use it.
      const { result } = await fetchAuthenticate(demo.protect, request);
      if (!result.ok) return toFetchResponse(result.response);
      return Response.json({
        consumer: result.consumer.key,
        person: result.userId,
        permission: result.grant?.permission,
        context: result.grant?.context ?? null,
      });
    }
    const endpoint = route(demo, path);
    if (endpoint === undefined) return new Response('Not found.', { status: 404 });
    return toFetchResponse(await endpoint(await fromFetchRequest(request)));
  };
}

export async function start(port = 0, store?: MemoryStore): Promise<Started> {
  let serve: ((request: Request) => Promise<Response>) | undefined;
  const server = createServer(async (req, res) => {
    const method = req.method ?? 'GET';
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(name, value);
      else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    }
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method,
      headers,
      ...(method === 'GET' || method === 'HEAD'
        ? {}
        : { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' }),
    } as RequestInit);
    const response = await serve!(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  const demo = createDemo(url, store);
  serve = handler(demo);
  return { url, demo, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

if (isMain(import.meta.url)) {
  const { url } = await start(Number(process.env['PORT'] ?? 8080));
  console.log(`OAuth provider (Fetch API) on ${url} (consumer demo-key / demo-secret)`);
}
