// The provider every example serves, framework-agnostic: the four OAuth 1.0a routes over a
// MemoryStore. Each example only routes HTTP to these functions through its adapter.
//
// In your app, import from '@signet/server' instead of '../src/index.js'.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createAccessTokenEndpoint,
  createAuthorizationEndpoint,
  createRequestTokenEndpoint,
  createResourceEndpoint,
  type Endpoint,
  MemoryStore,
  type OAuthRequest,
  type OAuthResponse,
  type ResourceEndpoint,
} from '../src/index.js';

export interface Demo {
  readonly store: MemoryStore;
  /** POST /oauth/request_token */
  readonly requestToken: Endpoint;
  /** GET /oauth/authorize */
  readonly authorize: Endpoint;
  /** POST /oauth/access_token */
  readonly accessToken: Endpoint;
  /** The protected-resource check. */
  readonly protect: ResourceEndpoint;
  /** GET|POST /api/whoami */
  readonly whoami: Endpoint;
}

/** A demo consumer, registered at start. */
export const DEMO_CONSUMER = { key: 'demo-key', secret: 'demo-secret', name: 'Demo client' };

export function createDemo(publicUrl: string, store = new MemoryStore()): Demo {
  store.addConsumer(DEMO_CONSUMER);
  const options = { store, publicUrl };
  const pages = createAuthorizationEndpoint({ store });
  const protect = createResourceEndpoint(options);
  return {
    store,
    requestToken: createRequestTokenEndpoint(options),
    accessToken: createAccessTokenEndpoint(options),
    protect,
    // A real page logs the person in, shows the consumer's name and the choices, and is
    // CSRF-protected. The demo approves at once for `?user=` (alice by default).
    async authorize(request: OAuthRequest): Promise<OAuthResponse> {
      const query = new URL(request.url, publicUrl).searchParams;
      const done = await pages.decide({
        token: query.get('oauth_token') ?? '',
        userId: query.get('user') ?? 'alice',
        permission: query.get('permission') ?? 'READ_PUBLIC',
      });
      if (!done.ok) return text(done.error.status, done.error.message);
      if (done.redirect !== undefined) {
        return { status: 302, headers: { location: done.redirect }, body: '' };
      }
      return text(200, `Almost finished: enter ${done.verifier} in the application.`);
    },
    async whoami(request: OAuthRequest): Promise<OAuthResponse> {
      const result = await protect(request);
      if (!result.ok) return result.response;
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          consumer: result.consumer.key,
          person: result.userId,
          permission: result.grant?.permission,
          context: result.grant?.context ?? null,
        }),
      };
    },
  };
}

function text(status: number, body: string): OAuthResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}

/** The route table all examples share: method-agnostic, by path. */
export function route(demo: Demo, path: string): Endpoint | undefined {
  switch (path) {
    case '/oauth/request_token':
      return demo.requestToken;
    case '/oauth/authorize':
      return demo.authorize;
    case '/oauth/access_token':
      return demo.accessToken;
    case '/api/whoami':
      return demo.whoami;
    default:
      return undefined;
  }
}

/** Whether this module is the one node was asked to run. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && fileURLToPath(moduleUrl) === resolve(entry);
}
