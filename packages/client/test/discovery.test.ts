import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectParameters, signedParameters, verifySignature } from '@signet/core';
import {
  discover,
  login,
  OAuth1Client,
  OAuthProtocolError,
  parseServerTarget,
  parseXrd,
  registerClient,
  updateClient,
} from '../src/index.js';
import { type FakeServer, send, startFake } from './helpers.js';

const RT = 'http://apinamespace.org/oauth/request_token';
const AZ = 'http://apinamespace.org/oauth/authorize';
const AT = 'http://apinamespace.org/oauth/access_token';

interface Registered {
  secret: string;
  name: string;
}

/**
 * A pump.io-style server as DESIGN.md describes it: host-meta in XRD and JSON, WebFinger,
 * dynamic registration, and the three OAuth endpoints, checking signatures with core.
 */
async function pumpServer(options: { xrdOnly?: boolean; webfingerOnly?: boolean } = {}) {
  const clients = new Map<string, Registered>();
  const requests: string[] = [];
  const tokens = new Map<string, { secret: string; verifier?: string }>();
  let n = 0;
  const fake: FakeServer = await startFake((req, res) => {
    const url = new URL(req.url!, fake.base);
    requests.push(`${req.method} ${url.pathname}`);
    const links = [
      { rel: 'registration_endpoint', href: `${fake.base}/api/client/register` },
      { rel: RT, href: `${fake.base}/oauth/request_token` },
      { rel: AZ, href: `${fake.base}/oauth/authorize` },
      { rel: AT, href: `${fake.base}/oauth/access_token` },
    ];
    if (url.pathname === '/.well-known/host-meta' && !options.webfingerOnly) {
      if (!options.xrdOnly && /json/.test(req.headers.accept ?? ''))
        return send(res, 200, { links });
      const xml =
        '<?xml version="1.0"?>\n<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n' +
        links
          .map((l) => `  <Link rel='${l.rel}' href="${l.href.replace('&', '&amp;')}" />`)
          .join('\n') +
        '\n</XRD>';
      return send(res, 200, xml, { 'content-type': 'application/xrd+xml' });
    }
    if (url.pathname === '/.well-known/webfinger') {
      if (url.searchParams.get('resource') !== `acct:alice@${url.host}`)
        return send(res, 404, 'no');
      return send(
        res,
        200,
        { subject: url.searchParams.get('resource'), links },
        {
          'content-type': 'application/jrd+json',
        },
      );
    }
    if (url.pathname === '/api/client/register') {
      const body = /json/.test(req.headers['content-type'] ?? '')
        ? (JSON.parse(req.body) as Record<string, string>)
        : Object.fromEntries(new URLSearchParams(req.body));
      if (body['type'] === 'client_associate') {
        if (!body['application_type']) return send(res, 400, { error: 'Missing application_type' });
        const id = `client${++n}`;
        clients.set(id, { secret: `secret${n}`, name: body['application_name'] ?? '' });
        return send(res, 200, { client_id: id, client_secret: `secret${n}`, expires_at: 0 });
      }
      if (body['type'] === 'client_update') {
        const c = clients.get(body['client_id'] ?? '');
        if (!c || c.secret !== body['client_secret'])
          return send(res, 403, { error: 'Bad secret' });
        c.name = body['application_name'] ?? c.name;
        return send(res, 200, {
          client_id: body['client_id'],
          client_secret: c.secret,
          expires_at: 0,
        });
      }
      return send(res, 400, { error: 'Unknown type' });
    }
    if (url.pathname.startsWith('/oauth/')) {
      const collected = collectParameters({
        method: req.method!,
        url: url.href,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: req.body,
      });
      const params = signedParameters(collected);
      const get = (k: string) => params.find(([name]) => name === k)?.[1];
      if (url.pathname === '/oauth/authorize') {
        const t = tokens.get(url.searchParams.get('oauth_token') ?? '');
        if (!t) return send(res, 400, 'unknown token');
        t.verifier = 'v' + url.searchParams.get('oauth_token');
        return send(res, 200, `Your verifier: ${t.verifier}`);
      }
      const client = clients.get(get('oauth_consumer_key') ?? '');
      const token = tokens.get(get('oauth_token') ?? '');
      const ok =
        client !== undefined &&
        verifySignature({
          method: req.method!,
          url: url.href,
          params,
          signatureMethod: get('oauth_signature_method')!,
          signature: get('oauth_signature')!,
          keys: { consumerSecret: client.secret, tokenSecret: token?.secret ?? '' },
        });
      if (!ok) return send(res, 401, 'oauth_problem=signature_invalid');
      if (url.pathname === '/oauth/request_token') {
        const key = `rt${++n}`;
        tokens.set(key, { secret: `rts${n}` });
        return send(
          res,
          200,
          `oauth_token=${key}&oauth_token_secret=rts${n}&oauth_callback_confirmed=true`,
        );
      }
      if (url.pathname === '/oauth/access_token') {
        if (!token?.verifier || token.verifier !== get('oauth_verifier')) {
          return send(res, 401, 'oauth_problem=verifier_invalid');
        }
        return send(res, 200, `oauth_token=at${n}&oauth_token_secret=ats${n}&nickname=alice`);
      }
    }
    send(res, 404, 'Not found');
  });
  return { fake, clients, requests };
}

test('parseServerTarget: URLs, hosts, accounts, loopback over http', () => {
  assert.deepEqual(parseServerTarget('https://Example.com/x'), {
    origin: 'https://example.com',
    account: undefined,
  });
  assert.deepEqual(parseServerTarget('identi.ca'), {
    origin: 'https://identi.ca',
    account: undefined,
  });
  assert.deepEqual(parseServerTarget('alice@pump.example:8443'), {
    origin: 'https://pump.example:8443',
    account: 'alice@pump.example:8443',
  });
  assert.equal(parseServerTarget('localhost:8080').origin, 'http://localhost:8080');
  assert.equal(parseServerTarget('127.0.0.1:9').origin, 'http://127.0.0.1:9');
  assert.throws(() => parseServerTarget('not a host'), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => parseServerTarget('@host'), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('parseXrd reads attributes in any order and quoting, with entities', () => {
  const links = parseXrd(
    `<XRD><Link type="text/html" href='https://a.example/x?a=1&amp;b=2' rel="lrdd"/>` +
      `<Link rel="registration_endpoint" href="https://a.example/reg"></Link><Link href="no-rel"/></XRD>`,
  );
  assert.deepEqual(links, [
    { rel: 'lrdd', href: 'https://a.example/x?a=1&b=2', type: 'text/html' },
    { rel: 'registration_endpoint', href: 'https://a.example/reg' },
  ]);
});

for (const [name, opts] of [
  ['JSON host-meta', {}],
  ['XRD host-meta', { xrdOnly: true }],
] as const) {
  test(`discover reads the endpoints from ${name}`, async () => {
    const { fake } = await pumpServer(opts);
    try {
      const found = await discover(fake.base);
      assert.equal(found.origin, fake.base);
      assert.deepEqual(found.endpoints, {
        requestToken: `${fake.base}/oauth/request_token`,
        authorize: `${fake.base}/oauth/authorize`,
        accessToken: `${fake.base}/oauth/access_token`,
      });
      assert.equal(found.registrationEndpoint, `${fake.base}/api/client/register`);
    } finally {
      await fake.close();
    }
  });
}

test('discover asks WebFinger for user@host first', async () => {
  const { fake, requests } = await pumpServer({ webfingerOnly: true });
  try {
    const host = new URL(fake.base).host;
    const found = await discover(`alice@${host}`);
    assert.equal(found.account, `alice@${host}`);
    assert.equal(found.endpoints.requestToken, `${fake.base}/oauth/request_token`);
    assert.deepEqual(requests, ['GET /.well-known/webfinger']);
    // Host-meta is not served here: a host target fails with a clear code.
    await assert.rejects(discover(fake.base), {
      code: 'ERR_DISCOVERY',
      message: /No OAuth endpoints found .*404/,
    });
  } finally {
    await fake.close();
  }
});

test('registerClient and updateClient speak pump.io registration, JSON or form', async () => {
  const { fake, clients } = await pumpServer();
  try {
    const endpoint = `${fake.base}/api/client/register`;
    const reg = await registerClient(endpoint, {
      applicationName: 'Notes',
      contacts: ['a@b.example'],
    });
    assert.equal(reg.clientId, 'client1');
    assert.equal(reg.clientSecret, 'secret1');
    assert.equal(reg.expiresAt, 0);
    const form = await registerClient(endpoint, { applicationName: 'Form' }, { encoding: 'form' });
    assert.equal(clients.get(form.clientId)?.name, 'Form');

    await updateClient(endpoint, {
      clientId: 'client1',
      clientSecret: 'secret1',
      applicationName: 'Renamed',
    });
    assert.equal(clients.get('client1')?.name, 'Renamed');
    const err = await updateClient(endpoint, { clientId: 'client1', clientSecret: 'nope' }).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof OAuthProtocolError);
    assert.equal(err.status, 403);
    assert.equal(err.error, 'Bad secret');
  } finally {
    await fake.close();
  }
});

test('discover, register and login run the whole pump.io dance', async () => {
  const { fake } = await pumpServer();
  try {
    const found = await discover(fake.base);
    const reg = await registerClient(found.registrationEndpoint!, {
      applicationName: 'signet test',
    });
    const client = new OAuth1Client({
      consumerKey: reg.clientId,
      consumerSecret: reg.clientSecret,
      endpoints: found.endpoints,
    });
    let shown = '';
    const result = await login(client, {
      getVerifier: async (url) => {
        shown = url;
        const page = await (await fetch(url)).text();
        return page.replace('Your verifier: ', '');
      },
    });
    assert.match(shown, /\/oauth\/authorize\?oauth_token=rt\d+$/);
    assert.equal(result.accessToken.fields['nickname'], 'alice');
    assert.equal(result.client.options.token?.token, result.accessToken.token);
    await assert.rejects(login(client, { getVerifier: () => '' }), { code: 'ERR_OAUTH_VERIFIER' });
  } finally {
    await fake.close();
  }
});
