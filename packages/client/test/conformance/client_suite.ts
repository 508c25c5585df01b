// The end-to-end client flow of the conformance suite, runtime-neutral (no `node:` import):
// OAuth1Client over a `fetch` that hands each Request to @signet/server's Fetch adapter in
// the same process (request token, authorization, access token, protected resource), for
// an HMAC and an RSA consumer. packages/core/test/runtimes runs it on every runtime.
import type * as Server from '@signet/server';
import type * as Fetch from '@signet/server/fetch';
import type * as Client from '../../src/portable.js';

interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
}

class CheckFailed extends Error {}

function equal(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) {
    throw new CheckFailed(
      `${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`,
    );
  }
}

const BASE = 'https://photos.example.net';
const CALLBACK = 'https://printer.example.com/ready';

/** Runs the client flows against a Signet server in the same process. */
export async function clientSuite(
  client: typeof Client,
  server: typeof Server,
  fetchAdapter: typeof Fetch,
  input: { readonly keys: { readonly pkcs8: string; readonly certificate: string } },
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const check = async (name: string, body: () => Promise<void>) => {
    try {
      await body();
      results.push({ name, ok: true });
    } catch (e) {
      results.push({ name, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  };

  const store = new server.MemoryStore();
  store.addConsumer({ key: 'hmac-consumer', secret: 'kd94hf93k423kf44', name: 'HMAC' });
  store.addConsumer({
    key: 'rsa-consumer',
    secret: '',
    name: 'RSA',
    rsaPublicKey: input.keys.certificate,
  });
  const options = { store, publicUrl: BASE };
  const requestToken = fetchAdapter.fetchEndpoint(server.createRequestTokenEndpoint(options));
  const accessToken = fetchAdapter.fetchEndpoint(server.createAccessTokenEndpoint(options));
  const authorize = server.createAuthorizationEndpoint({ store });
  const resource = server.createResourceEndpoint(options);
  // The provider's routes, as a fetch: no network, the same Request and Response objects.
  const serve = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    if (path === '/initiate') return requestToken(request);
    if (path === '/token') return accessToken(request);
    if (path.startsWith('/api/')) {
      const { result, request: read } = await fetchAdapter.fetchAuthenticate(resource, request);
      if (!result.ok) return fetchAdapter.toFetchResponse(result.response);
      const body = typeof read.body === 'string' ? read.body : new TextDecoder().decode(read.body);
      return Response.json({ user: result.userId, consumer: result.consumer.key, body });
    }
    return new Response('not found', { status: 404 });
  };
  const fetch = (url: string, init: RequestInit) => serve(new Request(url, init));

  for (const [consumerKey, signatureMethod, secrets] of [
    ['hmac-consumer', 'HMAC-SHA1', { consumerSecret: 'kd94hf93k423kf44' }],
    ['hmac-consumer', 'HMAC-SHA512', { consumerSecret: 'kd94hf93k423kf44' }],
    ['rsa-consumer', 'RSA-SHA256', { privateKey: input.keys.pkcs8 }],
  ] as const) {
    await check(`client: the three-legged flow and an API call, ${signatureMethod}`, async () => {
      const consumer = new client.OAuth1Client({
        consumerKey,
        ...secrets,
        signatureMethod,
        callback: CALLBACK,
        endpoints: {
          requestToken: `${BASE}/initiate`,
          authorize: `${BASE}/authorize`,
          accessToken: `${BASE}/token`,
        },
        fetch,
      });
      const rt = await consumer.requestToken();
      const decided = await authorize.decide({
        token: rt.token,
        userId: 'user-7',
        permission: 'WRITE_PRIVATE',
      });
      if (!decided.ok) throw new CheckFailed(`authorization refused: ${decided.error.message}`);
      const redirect = decided.redirect ?? '';
      equal(redirect.startsWith(CALLBACK), true, 'redirected to the callback');
      const { token, verifier } = client.parseAuthorizationResponse(redirect);
      equal(token, rt.token, 'token in the callback');
      const at = await consumer.accessToken(rt, verifier);
      const api = consumer.withToken(at);
      const res = await api.request(`${BASE}/api/me?fields=name%20and%20id`, {
        method: 'POST',
        form: { note: 'Hello Ladies + Gentlemen', emoji: '😀' },
      });
      const body = (await res.json()) as { user: string; consumer: string; body: string };
      equal(body.user, 'user-7', 'user');
      equal(body.consumer, consumerKey, 'consumer');
      // signAsync's result is a fetch init as it is: no cast, no copying of fields.
      const signed = await api.signAsync(`${BASE}/api/me`, { method: 'PUT', json: { a: 1 } });
      const init: RequestInit = signed;
      const direct = await serve(new Request(signed.url, init));
      equal(direct.status, 200, 'signed request sent as its own fetch init');
    });
  }

  await check(
    'client: parseAuthorizationResponse refuses a denial and a missing verifier',
    async () => {
      const code = (url: string) => {
        try {
          client.parseAuthorizationResponse(url);
          return 'none';
        } catch (e) {
          return e instanceof client.ClientError ? e.code : String(e);
        }
      };
      equal(code(`${CALLBACK}?denied=abc`), 'ERR_OAUTH_DECLINED', 'denied');
      equal(code(`${CALLBACK}?oauth_token=t`), 'ERR_OAUTH_VERIFIER', 'no verifier');
      equal(
        code(`${CALLBACK}?oauth_token=t&oauth_token=u&oauth_verifier=v`),
        'ERR_OAUTH_VERIFIER',
        'repeated',
      );
    },
  );

  return results;
}
