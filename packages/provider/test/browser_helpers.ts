// What the browser tests share: a real provider on loopback, small side servers (another
// origin), headless Chromium from Debian, and the client side of the two protocols.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { signRequest } from '@signet/core';
import {
  type Browser,
  chromium,
  type Locator,
  type Page,
  type Response as PwResponse,
} from 'playwright-core';
import { loadConfig } from '../src/config.js';
import { openProvider, type Provider } from '../src/provider.js';
import { tempDir } from './helpers.js';

/** Debian's Chromium; playwright-core never downloads one. */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless Chromium as root on a machine without a GPU or network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A provider listening on 127.0.0.1 over a temporary SQLite file. */
export interface RunningProvider {
  readonly provider: Provider;
  /** `http://127.0.0.1:PORT`, which is also its public URL (signatures are checked against it). */
  readonly base: string;
  close(): Promise<void>;
}

// The public URL must name the port before the app is built, so the port is found first;
// another process could take it in between, hence the retries.
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function startProvider(): Promise<RunningProvider> {
  const tmp = tempDir('browser');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: String(port),
      SIGNET_DATABASE_URL: `sqlite:${join(tmp.dir, 'signet.db')}`,
      SIGNET_SECRET_KEY: randomBytes(32).toString('base64url'),
      SIGNET_OPEN_CONSUMERS: 'true',
    });
    const provider = await openProvider(config);
    try {
      await provider.app.listen({ port, host: '127.0.0.1' });
    } catch (e) {
      await provider.close();
      if (attempt < 3 && (e as { code?: unknown }).code === 'EADDRINUSE') continue;
      tmp.remove();
      throw e;
    }
    return {
      provider,
      base: config.publicUrl,
      async close() {
        await provider.close();
        tmp.remove();
      },
    };
  }
}

/** A request a side server received. */
export interface Received {
  readonly method: string;
  readonly url: URL;
}

/** A node:http server on another loopback port: another origin than the provider. */
export interface SideServer {
  readonly origin: string;
  readonly received: Received[];
  /** Serves `html` at `path`. */
  page(path: string, html: string): void;
  close(): Promise<void>;
}

export async function startSideServer(): Promise<SideServer> {
  const pages = new Map<string, string>();
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    received.push({ method: req.method ?? 'GET', url });
    const html = pages.get(url.pathname) ?? '<!doctype html><title>Callback</title><h1>Back</h1>';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', connection: 'close' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    received,
    page: (path, html) => pages.set(path, html),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/** A status and body. */
export interface Answer {
  readonly status: number;
  readonly body: string;
}

async function answer(response: Response): Promise<Answer> {
  return { status: response.status, body: await response.text() };
}

function form(params: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  };
}

/** Token and secret of a form-encoded token answer; fails the test on anything else. */
export function tokenPair(a: Answer): { token: string; secret: string; params: URLSearchParams } {
  assert.equal(a.status, 200, a.body);
  const params = new URLSearchParams(a.body);
  const token = params.get('oauth_token');
  const secret = params.get('oauth_token_secret');
  assert.ok(token && secret, a.body);
  return { token, secret, params };
}

/** Launchpad's `/+request-token` for an open consumer (PLAINTEXT, empty secret). */
export async function lpRequestToken(
  base: string,
  consumerKey: string,
): Promise<{ token: string; secret: string }> {
  const a = await answer(
    await fetch(
      `${base}/+request-token`,
      form({
        oauth_consumer_key: consumerKey,
        oauth_signature_method: 'PLAINTEXT',
        oauth_signature: '&',
      }),
    ),
  );
  return tokenPair(a);
}

/** Launchpad's `/+access-token` (PLAINTEXT, empty consumer secret). */
export async function lpAccessToken(
  base: string,
  consumerKey: string,
  request: { token: string; secret: string },
): Promise<Answer> {
  return answer(
    await fetch(
      `${base}/+access-token`,
      form({
        oauth_consumer_key: consumerKey,
        oauth_token: request.token,
        oauth_signature_method: 'PLAINTEXT',
        oauth_signature: `&${request.secret}`,
      }),
    ),
  );
}

/** A consumer's credentials, and a token's when there is one. */
export interface Signer {
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly token?: string;
  readonly tokenSecret?: string;
}

/** An HMAC-SHA1 signed request, oauth parameters in the Authorization header. */
export async function signedFetch(
  signer: Signer,
  method: string,
  url: string,
  extra: { callback?: string; verifier?: string } = {},
): Promise<Answer> {
  const { authorization } = signRequest({
    method,
    url,
    consumerKey: signer.consumerKey,
    consumerSecret: signer.consumerSecret,
    ...(signer.token !== undefined && { token: signer.token }),
    ...(signer.tokenSecret !== undefined && { tokenSecret: signer.tokenSecret }),
    ...(extra.callback !== undefined && { callback: extra.callback }),
    ...(extra.verifier !== undefined && { verifier: extra.verifier }),
  });
  return answer(await fetch(url, { method, headers: { authorization } }));
}

/** What `/api/1.0/whoami` answers. */
export interface WhoAmI {
  readonly person: string | null;
  readonly consumer: string;
  readonly permission: string;
  readonly context: string | null;
  readonly expires: string | null;
}

/** `/api/1.0/whoami` with an access token; fails the test unless it answers 200. */
export async function whoami(base: string, signer: Signer): Promise<WhoAmI> {
  const a = await signedFetch(signer, 'GET', `${base}/api/1.0/whoami`);
  assert.equal(a.status, 200, a.body);
  return JSON.parse(a.body) as WhoAmI;
}

/** Fills and submits the login form the page is on. */
export async function fillLogin(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Log in', exact: true }).click(),
  ]);
}

/** Logs in through the login page, then goes to `next`. */
export async function logIn(
  page: Page,
  base: string,
  username: string,
  password: string,
  next = '/account/applications',
): Promise<void> {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await fillLogin(page, username, password);
  assert.equal(new URL(page.url()).pathname, new URL(next, base).pathname);
}

/**
 * Clicks a submit button of the page and waits for the page it leads to; returns the
 * response of that page (after redirects).
 */
export async function clickAndWait(page: Page, name: string): Promise<PwResponse> {
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name, exact: true }).click(),
  ]);
  assert.ok(response, `no response after clicking ${name}`);
  return response;
}

/** The text of the one element `locator` finds, with white space collapsed. */
export async function text(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}
