// Shared by the tests: a frozen clock, a seeded store, and a signer that places the protocol
// parameters where a client would (header, query or form body).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formEncode, type Param, serializeAuthorizationHeader, signRequest } from '@signet/core';
import type { OAuthRequest, OAuthResponse } from '../src/http.js';
import { MemoryStore } from '../src/stores/memory.js';

/** packages/server/test/fixtures, from dist/test. */
export const FIXTURES = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'test',
  'fixtures',
);
export const RSA_PRIVATE = readFileSync(join(FIXTURES, 'rsa-private.pem'), 'utf8');
export const RSA_PUBLIC = readFileSync(join(FIXTURES, 'rsa-public.pem'), 'utf8');

export const BASE = 'https://api.example.com';
export const NOW = 1_700_000_000_000;
export const clock = (): number => NOW;

export const CONSUMER = { key: 'app-key', secret: 'app-secret', name: 'Test app' };

/** A store with the test consumers: a plain one, an RSA one, a disabled one, a fenced one. */
export function seededStore(
  options: ConstructorParameters<typeof MemoryStore>[0] = {},
): MemoryStore {
  const store = new MemoryStore({ clock, ...options });
  store.addConsumer(CONSUMER);
  store.addConsumer({ key: 'rsa-key', secret: '', name: 'RSA app', rsaPublicKey: RSA_PUBLIC });
  store.addConsumer({ key: 'off-key', secret: 'off-secret', name: 'Off', disabled: true });
  store.addConsumer({
    key: 'fenced-key',
    secret: 'fenced-secret',
    name: 'Fenced',
    callbackUrl: 'https://client.example/cb',
  });
  return store;
}

export type Placement = 'header' | 'query' | 'body';

export interface SignOptions {
  readonly method?: string;
  /** Path and query, signed against `base`. */
  readonly path: string;
  readonly base?: string;
  readonly consumerKey?: string;
  readonly consumerSecret?: string;
  readonly token?: string;
  readonly tokenSecret?: string;
  readonly signatureMethod?: string;
  readonly callback?: string;
  readonly verifier?: string;
  readonly placement?: Placement;
  /** Form parameters (sent as a form body; with `placement: 'body'` the oauth ones join). */
  readonly params?: Param[];
  readonly timestamp?: string;
  readonly nonce?: string;
  readonly privateKey?: string;
  /** A non-form body, covered by oauth_body_hash when `bodyHash` is set. */
  readonly rawBody?: { readonly contentType: string; readonly body: string };
  readonly bodyHash?: string;
  readonly extraOAuthParams?: Param[];
  readonly headers?: Record<string, string>;
  readonly version?: boolean;
  /** Change the protocol parameters after signing (for tampering tests). */
  readonly tamper?: (oauth: Param[]) => Param[];
}

let counter = 0;

/** A signed request, as a client would send it. */
export function signed(o: SignOptions): OAuthRequest {
  const method = o.method ?? 'POST';
  const base = o.base ?? BASE;
  const s = signRequest({
    method,
    url: base + o.path,
    consumerKey: o.consumerKey ?? CONSUMER.key,
    consumerSecret: o.consumerSecret ?? CONSUMER.secret,
    ...(o.token !== undefined ? { token: o.token } : {}),
    ...(o.tokenSecret !== undefined ? { tokenSecret: o.tokenSecret } : {}),
    ...(o.callback !== undefined ? { callback: o.callback } : {}),
    ...(o.verifier !== undefined ? { verifier: o.verifier } : {}),
    ...(o.privateKey !== undefined ? { privateKey: o.privateKey } : {}),
    ...(o.bodyHash !== undefined ? { bodyHash: o.bodyHash } : {}),
    ...(o.extraOAuthParams !== undefined ? { extraOAuthParams: o.extraOAuthParams } : {}),
    ...(o.version !== undefined ? { version: o.version } : {}),
    signatureMethod: o.signatureMethod ?? 'HMAC-SHA1',
    params: o.params ?? [],
    timestamp: o.timestamp ?? String(Math.floor(NOW / 1000)),
    nonce: o.nonce ?? `nonce-${++counter}-${Math.random().toString(36).slice(2)}`,
  });
  const oauth = o.tamper ? o.tamper(s.oauthParams) : s.oauthParams;
  const headers: Record<string, string> = { host: 'api.example.com', ...o.headers };
  let path = o.path;
  let body: string | undefined;
  const placement = o.placement ?? 'header';
  if (placement === 'header') headers['authorization'] = serializeAuthorizationHeader(oauth);
  if (placement === 'query') path += (path.includes('?') ? '&' : '?') + formEncode(oauth);
  const form = placement === 'body' ? [...(o.params ?? []), ...oauth] : (o.params ?? []);
  if (o.rawBody !== undefined) {
    headers['content-type'] = o.rawBody.contentType;
    body = o.rawBody.body;
  } else if (form.length > 0 || placement === 'body') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = formEncode(form);
  }
  return { method, url: path, headers, body };
}

/** Parses a form-encoded answer. */
export function form(response: OAuthResponse): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(response.body));
}

/** Puts a live access token for `consumerKey` straight into the store. */
export async function issueAccessToken(
  store: MemoryStore,
  fields: { consumerKey?: string; expiresAt?: number; permission?: string } = {},
): Promise<{ token: string; secret: string }> {
  const consumerKey = fields.consumerKey ?? CONSUMER.key;
  const rt = `rt-${++counter}`;
  await store.createRequestToken({
    token: rt,
    secret: 'rts',
    consumerKey,
    createdAt: NOW,
    expiresAt: NOW + 7_200_000,
  });
  const token = `at-${counter}`;
  const secret = `ats-${counter}`;
  await store.consumeRequestToken(rt, {
    token,
    secret,
    consumerKey,
    userId: 'alice',
    permission: fields.permission ?? 'READ_PRIVATE',
    context: 'firefox',
    createdAt: NOW,
    expiresAt: fields.expiresAt,
  });
  return { token, secret };
}
