import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** packages/client/test/fixtures, from dist/test or test. */
export const fixtures = join(here, '..', '..', 'test', 'fixtures');
export const CLIENT_KEY = 'signettestclientkey01';
export const CLIENT_SECRET = 'signet test secret&+%';
/** A client whose secret needs no percent-encoding; see the fixture on oauthlib's PLAINTEXT. */
export const PLAIN_KEY = 'signetplainclientkey';
export const PLAIN_SECRET = 'plain-secret_0123';
export const RSA_PRIVATE = readFileSync(join(fixtures, 'rsa-private.pem'), 'utf8');

/** The oauthlib reference server, running. */
export interface PythonServer {
  readonly base: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts test/fixtures/oauthlib_server.py with Debian's Python (the one with oauthlib). */
export async function startOAuthlibServer(): Promise<PythonServer> {
  const child = spawn('/usr/bin/python3', [join(fixtures, 'oauthlib_server.py')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`oauthlib server exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  child.removeAllListeners('exit');
  return {
    base: `http://127.0.0.1:${port}`,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/** A node:http server on 127.0.0.1 and an ephemeral port. */
export interface FakeServer {
  readonly base: string;
  readonly server: Server;
  close(): Promise<void>;
}

export type Handler = (
  req: IncomingMessage & { body: string },
  res: ServerResponse,
) => void | Promise<void>;

/** Starts a loopback HTTP server whose handler sees the request body as text. */
export async function startFake(handler: Handler): Promise<FakeServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = Object.assign(req, { body: Buffer.concat(chunks).toString('utf8') });
      Promise.resolve(handler(r, res)).catch((e: unknown) => {
        res.statusCode = 500;
        res.end(String(e));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Replies with a status, headers and body. */
export function send(
  res: ServerResponse,
  status: number,
  body: string | object = '',
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
    ...headers,
  });
  res.end(text);
}
