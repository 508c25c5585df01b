// The runtime-neutral conformance checks of @signet/server's Fetch adapter with the memory
// store: Web Request in, the check's outcome out, no network and no `node:` import, so that
// workerd, Deno, Bun and Chromium run it as Node does (see packages/core/test/runtimes).
import type * as Core from '@signet/core';
import type * as Fetch from '../../src/adapters/fetch.js';
import type * as Server from '../../src/index.js';

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

const BASE = 'https://api.example.com';
const CONSUMER = { key: 'edge-consumer', secret: 'edge secret ✈', name: 'Edge' };
const TOKEN = 'edge-token';
const RSA_CONSUMER = 'edge-rsa-consumer';
const TOKEN_SECRET = 'edge token secret';

/** Runs the server checks: two-legged with a form body, and the protected resource. */
export async function serverSuite(
  core: typeof Core,
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
  store.addConsumer(CONSUMER);
  store.addConsumer({
    key: RSA_CONSUMER,
    secret: '',
    name: 'RSA',
    rsaPublicKey: input.keys.certificate,
  });
  // The memory store issues access tokens only through the token flow; this suite checks
  // the resource endpoint alone, so it hands one out directly.
  const getAccessToken = store.getAccessToken.bind(store);
  store.getAccessToken = async (token) =>
    token === TOKEN
      ? {
          token: TOKEN,
          secret: TOKEN_SECRET,
          consumerKey: CONSUMER.key,
          userId: 'user-1',
          permission: 'WRITE_PRIVATE',
          createdAt: Date.now(),
        }
      : getAccessToken(token);
  const twoLegged = server.createSignatureOnlyEndpoint({ store, publicUrl: BASE });
  const resource = server.createResourceEndpoint({ store, publicUrl: BASE });

  const form: [string, string][] = [
    ['status', 'Hello Ladies + Gentlemen, a signed OAuth request!'],
    ['emoji', '😀'],
  ];
  const formRequest = async (method: string, body: string) => {
    const url = `${BASE}/1/statuses/update.json?include_entities=true`;
    const { authorization } = await core.signRequestAsync({
      method,
      url,
      params: form,
      consumerKey: CONSUMER.key,
      consumerSecret: CONSUMER.secret,
      signatureMethod: 'HMAC-SHA256',
    });
    return new Request(url, {
      method,
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
  };

  await check('server: two-legged check of a form body through the Fetch adapter', async () => {
    const request = await formRequest('POST', core.formEncode(form));
    const { result } = await fetchAdapter.fetchAuthenticate(twoLegged, request);
    if (!result.ok)
      throw new CheckFailed(`refused: ${result.response.status} ${result.response.body}`);
    equal(result.consumer.key, CONSUMER.key, 'consumer');
  });

  await check('server: a two-legged request whose form body changed is a 401', async () => {
    const request = await formRequest('POST', core.formEncode([...form, ['extra', '1']]));
    const { result } = await fetchAdapter.fetchAuthenticate(twoLegged, request);
    equal(result.ok, false, 'refused');
    if (!result.ok) {
      equal(result.response.status, 401, 'status');
      // One instance of the core: the server checked with the build this run is about.
      equal(result.error instanceof core.OAuthError, true, "the server's core is the suite's");
      const response = fetchAdapter.toFetchResponse(result.response);
      equal(response.headers.get('www-authenticate')?.startsWith('OAuth'), true, 'challenge');
    }
  });

  const rsaRequest = async (consumerKey: string, signatureMethod: string) => {
    const url = `${BASE}/1/upload`;
    const { authorization } = await core.signRequestAsync({
      method: 'POST',
      url,
      params: form,
      consumerKey,
      privateKey: input.keys.pkcs8,
      signatureMethod,
    });
    return new Request(url, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: core.formEncode(form),
    });
  };

  for (const method of ['RSA-SHA1', 'RSA-SHA256', 'RSA-SHA512']) {
    await check(
      `server: two-legged ${method} check (certificate on file) through the async path`,
      async () => {
        const request = await rsaRequest(RSA_CONSUMER, method);
        const { result } = await fetchAdapter.fetchAuthenticate(twoLegged, request);
        if (!result.ok)
          throw new CheckFailed(`refused: ${result.response.status} ${result.response.body}`);
        equal(result.consumer.key, RSA_CONSUMER, 'consumer');
      },
    );
  }

  await check('server: an RSA request from an unknown consumer is a 401, not a 500', async () => {
    const request = await rsaRequest('nobody', 'RSA-SHA256');
    const { result } = await fetchAdapter.fetchAuthenticate(twoLegged, request);
    equal(result.ok, false, 'refused');
    if (!result.ok) equal(result.response.status, 401, 'status');
  });

  const resourceRequest = async () => {
    const url = `${BASE}/photos?file=vacation.jpg&size=original`;
    const { authorization } = await core.signRequestAsync({
      method: 'GET',
      url,
      consumerKey: CONSUMER.key,
      consumerSecret: CONSUMER.secret,
      token: TOKEN,
      tokenSecret: TOKEN_SECRET,
    });
    return () => new Request(url, { headers: { authorization } });
  };

  await check('server: protected resource check through the Fetch adapter', async () => {
    const request = await resourceRequest();
    const { result } = await fetchAdapter.fetchAuthenticate(resource, request());
    if (!result.ok)
      throw new CheckFailed(`refused: ${result.response.status} ${result.response.body}`);
    equal(result.token?.token, TOKEN, 'token');
    equal(result.userId, 'user-1', 'user');
    // The same request again is a replay.
    const again = await fetchAdapter.fetchAuthenticate(resource, request());
    equal(again.result.ok, false, 'replay refused');
  });

  await check('server: a resource request with the wrong token secret is a 401', async () => {
    const url = `${BASE}/photos`;
    const { authorization } = await core.signRequestAsync({
      method: 'GET',
      url,
      consumerKey: CONSUMER.key,
      consumerSecret: CONSUMER.secret,
      token: TOKEN,
      tokenSecret: 'not the secret',
    });
    const { result } = await fetchAdapter.fetchAuthenticate(
      resource,
      new Request(url, { headers: { authorization } }),
    );
    equal(result.ok, false, 'refused');
    if (!result.ok) equal(result.response.status, 401, 'status');
  });

  return results;
}
