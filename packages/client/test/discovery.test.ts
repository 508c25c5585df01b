import assert from 'node:assert/strict';
import { test } from 'node:test';
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
import { pumpServer } from './fakes.js';

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
  ['/.well-known/host-meta.json alone', { jsonFileOnly: true }],
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
