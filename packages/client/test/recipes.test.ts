// The recipes of packages/client/README.md, each run against a local server that plays the
// service's documented rules. The client signs for the service's real URL; its `fetch`
// carries the request to the local stand-in, which checks the signature against that URL.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  collectParameters,
  type Param,
  signedParameters,
  verifyBodyHash,
  verifySignature,
} from '@signet/core';
import { type FetchLike, launchpadClient, OAuth1Client, oauthEcho } from '../src/index.js';
import { launchpad } from './fakes.js';
import { type FakeServer, fixtures, RSA_PRIVATE, send, startFake } from './helpers.js';

const RSA_PUBLIC = readFileSync(join(fixtures, 'rsa-public.pem'), 'utf8');

interface Seen {
  readonly method: string;
  /** The URL as the client addressed it (the service's, not the stand-in's). */
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly params: Param[];
  readonly collected: ReturnType<typeof collectParameters>;
  get(name: string): string | undefined;
}

type Rules = (seen: Seen) => { status: number; body: string | object; type?: string };

const servers: FakeServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

/** A stand-in for `origin`, and the `fetch` that reaches it. */
async function standIn(origin: string, rules: Rules): Promise<{ fetch: FetchLike; seen: Seen[] }> {
  const seen: Seen[] = [];
  const fake = await startFake((req, res) => {
    const url = origin + req.url!;
    const collected = collectParameters({
      method: req.method!,
      url,
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      body: req.body,
    });
    const params = signedParameters(collected);
    const s: Seen = {
      method: req.method!,
      url,
      headers: req.headers,
      body: req.body,
      params,
      collected,
      get: (name) => params.find(([n]) => n === name)?.[1],
    };
    seen.push(s);
    const answer = rules(s);
    send(res, answer.status, answer.body, answer.type ? { 'content-type': answer.type } : {});
  });
  servers.push(fake);
  return {
    seen,
    fetch: (url, init) => fetch(fake.base + url.slice(origin.length), init),
  };
}

function verified(
  s: Seen,
  keys: { consumerSecret?: string; tokenSecret?: string; publicKey?: string },
) {
  return verifySignature({
    method: s.method,
    url: s.url,
    params: s.params,
    signatureMethod: s.get('oauth_signature_method') ?? '',
    signature: s.get('oauth_signature') ?? '',
    keys,
  });
}

describe('recipe: Twitter/X API v1.1', () => {
  test('the documented example signature, byte for byte', () => {
    // developer.x.com, "Creating a signature": fixed nonce and timestamp.
    const client = new OAuth1Client({
      consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
      consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
      token: {
        token: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
        tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
      },
      clock: () => 1318622958_000,
      nonce: () => 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg',
    });
    const signed = client.sign('https://api.twitter.com/1/statuses/update.json', {
      method: 'POST',
      query: { include_entities: 'true' },
      form: { status: 'Hello Ladies + Gentlemen, a signed OAuth request!' },
    });
    assert.match(
      signed.headers['authorization']!,
      /oauth_signature="tnnArxj06cWHq44gCs1OSKk%2FjLY%3D"/,
    );
  });

  test('a status update and OAuth Echo, against a stand-in', async () => {
    const origin = 'https://api.x.com';
    const keys = { consumerSecret: 'consumer secret', tokenSecret: 'token secret' };
    const api = await standIn(origin, (s) => {
      if (!s.collected.header) return { status: 400, body: { errors: [{ code: 32 }] } };
      if (!verified(s, keys)) return { status: 401, body: { errors: [{ code: 32 }] } };
      return { status: 200, body: { text: s.collected.body.find(([n]) => n === 'status')?.[1] } };
    });
    const client = new OAuth1Client({
      consumerKey: 'consumer key',
      consumerSecret: keys.consumerSecret,
      token: { token: 'token', tokenSecret: keys.tokenSecret },
      fetch: api.fetch,
    });
    const res = await client.request(`${origin}/1.1/statuses/update.json`, {
      method: 'POST',
      form: { status: 'Hello from Signet' },
    });
    assert.deepEqual(await res.json(), { text: 'Hello from Signet' });

    // OAuth Echo: a media host replays the delegated header against verify_credentials.
    const headers = oauthEcho(client, `${origin}/1.1/account/verify_credentials.json`);
    assert.equal(
      headers['x-auth-service-provider'],
      `${origin}/1.1/account/verify_credentials.json`,
    );
    assert.match(
      headers['x-verify-credentials-authorization'],
      /^OAuth realm="https:\/\/api\.x\.com\/"/,
    );
    const replay = await api.fetch(headers['x-auth-service-provider'], {
      headers: { authorization: headers['x-verify-credentials-authorization'] },
    });
    assert.equal(replay.status, 200);
  });
});

describe('recipe: NetSuite token-based authentication', () => {
  test('HMAC-SHA256 with the account as realm', async () => {
    const account = '1234567_SB1';
    const origin = 'https://1234567-sb1.suitetalk.api.netsuite.com';
    const keys = { consumerSecret: 'cs-netsuite', tokenSecret: 'ts-netsuite' };
    // NetSuite's rules: realm is the account ID (upper case, underscore), HMAC-SHA256, a
    // nonce of at least 6 characters, the signature over the request's URL and query.
    const ns = await standIn(origin, (s) => {
      const realm = s.collected.header?.realm;
      if (realm !== account) return { status: 401, body: { title: `realm ${realm}` } };
      if (s.get('oauth_signature_method') !== 'HMAC-SHA256')
        return { status: 401, body: { title: 'method' } };
      if ((s.get('oauth_nonce') ?? '').length < 6) return { status: 401, body: { title: 'nonce' } };
      if (!verified(s, keys)) return { status: 401, body: { title: 'Invalid login attempt.' } };
      return { status: 200, body: { id: '42', companyName: 'Wolfe Electronics' } };
    });
    const netsuite = new OAuth1Client({
      consumerKey: 'ck-netsuite',
      consumerSecret: keys.consumerSecret,
      token: { token: 'tk-netsuite', tokenSecret: keys.tokenSecret },
      signatureMethod: 'HMAC-SHA256',
      realm: account,
      fetch: ns.fetch,
    });
    const res = await netsuite.request(`${origin}/services/rest/record/v1/customer/42`, {
      query: { expandSubResources: 'true' },
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as { id: string }).id, '42');
  });
});

describe('recipe: Jira application links (RSA-SHA1)', () => {
  test('the three-legged flow with an RSA key, then a REST call', async () => {
    const origin = 'https://jira.example.com';
    const tokens = new Map<string, { secret: string; verifier?: string }>();
    const jira = await standIn(origin, (s) => {
      const path = new URL(s.url).pathname;
      if (path === '/plugins/servlet/oauth/authorize') {
        const t = tokens.get(new URL(s.url).searchParams.get('oauth_token') ?? '');
        if (!t) return { status: 400, body: 'unknown token' };
        t.verifier = 'jira-verifier';
        return { status: 200, body: `verifier: ${t.verifier}` };
      }
      // Jira checks RSA-SHA1 against the application link's public key; no secrets.
      if (
        s.get('oauth_signature_method') !== 'RSA-SHA1' ||
        !verified(s, { publicKey: RSA_PUBLIC })
      ) {
        return { status: 401, body: 'oauth_problem=signature_invalid' };
      }
      if (path === '/plugins/servlet/oauth/request-token') {
        tokens.set('rt', { secret: 'rts' });
        return {
          status: 200,
          body: 'oauth_token=rt&oauth_token_secret=rts&oauth_callback_confirmed=true',
        };
      }
      if (path === '/plugins/servlet/oauth/access-token') {
        if (tokens.get(s.get('oauth_token') ?? '')?.verifier !== s.get('oauth_verifier')) {
          return { status: 401, body: 'oauth_problem=token_rejected' };
        }
        return {
          status: 200,
          body: 'oauth_token=at&oauth_token_secret=&oauth_expires_in=157680000',
        };
      }
      if (path === '/rest/api/2/myself' && s.get('oauth_token') === 'at') {
        return { status: 200, body: { name: 'alice' } };
      }
      return { status: 404, body: 'not found' };
    });
    const client = new OAuth1Client({
      consumerKey: 'signet-jira',
      signatureMethod: 'RSA-SHA1',
      privateKey: RSA_PRIVATE,
      endpoints: {
        requestToken: `${origin}/plugins/servlet/oauth/request-token`,
        authorize: `${origin}/plugins/servlet/oauth/authorize`,
        accessToken: `${origin}/plugins/servlet/oauth/access-token`,
      },
      fetch: jira.fetch,
    });
    const rt = await client.requestToken();
    const page = await jira.fetch(client.authorizationUrl(rt), {});
    const verifier = (await page.text()).replace('verifier: ', '');
    const at = await client.accessToken(rt, verifier);
    const me = await client.withToken(at).request(`${origin}/rest/api/2/myself`);
    assert.deepEqual(await me.json(), { name: 'alice' });
  });
});

describe('recipe: WooCommerce REST API over plain http', () => {
  test('two-legged, the parameters in the query', async () => {
    const origin = 'http://shop.example';
    // WooCommerce over http: oauth parameters in the query string only, the key is the
    // consumer secret followed by "&" (no token).
    const woo = await standIn(origin, (s) => {
      if (s.headers.authorization !== undefined)
        return { status: 401, body: { code: 'woocommerce_rest_authentication_error' } };
      if (s.collected.query.every(([n]) => n !== 'oauth_signature'))
        return { status: 401, body: { code: 'missing' } };
      if (!verified(s, { consumerSecret: 'cs_secret', tokenSecret: '' })) {
        return { status: 401, body: { code: 'woocommerce_rest_authentication_error' } };
      }
      return { status: 200, body: [{ id: 1, name: 'Signet mug' }] };
    });
    const shop = new OAuth1Client({
      consumerKey: 'ck_key',
      consumerSecret: 'cs_secret',
      signatureMethod: 'HMAC-SHA256',
      placement: 'query',
      fetch: woo.fetch,
    });
    const res = await shop.request(`${origin}/wp-json/wc/v3/products`, {
      query: { per_page: '5' },
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as { name: string }[])[0]!.name, 'Signet mug');
  });
});

describe('recipe: LTI 1.1', () => {
  test('a launch is a two-legged form POST that the tool verifies', async () => {
    const origin = 'https://tool.example';
    const tool = await standIn(origin, (s) => {
      const ok =
        s.get('lti_message_type') === 'basic-lti-launch-request' &&
        s.get('oauth_callback') === 'about:blank' &&
        verified(s, { consumerSecret: 'lti-secret', tokenSecret: '' });
      return { status: ok ? 200 : 401, body: ok ? 'launched' : 'bad launch', type: 'text/html' };
    });
    const consumer = new OAuth1Client({
      consumerKey: 'lti-key',
      consumerSecret: 'lti-secret',
      placement: 'body',
      fetch: tool.fetch,
    });
    const res = await consumer.request(`${origin}/lti/launch`, {
      method: 'POST',
      callback: 'about:blank',
      form: {
        lti_message_type: 'basic-lti-launch-request',
        lti_version: 'LTI-1p0',
        resource_link_id: 'rl-1',
        user_id: 'u-1',
        roles: 'Learner',
      },
    });
    assert.equal(await res.text(), 'launched');
    assert.ok(tool.seen[0]!.collected.body.some(([n]) => n === 'oauth_signature'));
  });

  test('an Outcomes replaceResult POST carries oauth_body_hash over its XML', async () => {
    const origin = 'https://lms.example';
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><imsx_POXEnvelopeRequest xmlns="http://www.imsglobal.org/services/ltiv1p1/xsd/imsoms_v1p0">' +
      '<imsx_POXBody><replaceResultRequest><resultRecord><sourcedGUID><sourcedId>s-1</sourcedId></sourcedGUID>' +
      '<result><resultScore><language>en</language><textString>0.92</textString></resultScore></result>' +
      '</resultRecord></replaceResultRequest></imsx_POXBody></imsx_POXEnvelopeRequest>';
    const lms = await standIn(origin, (s) => {
      const hash = s.get('oauth_body_hash');
      const ok =
        hash !== undefined &&
        verifyBodyHash(s.body, 'sha1', hash) &&
        verified(s, { consumerSecret: 'lti-secret', tokenSecret: '' });
      return {
        status: ok ? 200 : 401,
        body: ok ? '<imsx_codeMajor>success</imsx_codeMajor>' : 'bad',
        type: 'application/xml',
      };
    });
    const tool = new OAuth1Client({
      consumerKey: 'lti-key',
      consumerSecret: 'lti-secret',
      fetch: lms.fetch,
    });
    const res = await tool.request(`${origin}/lti/outcomes`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: xml,
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.match(await res.text(), /success/);
  });
});

describe('recipe: Launchpad', () => {
  test('PLAINTEXT token requests, then polling until the person decides', async () => {
    const { fake } = await launchpad([401, 200]);
    servers.push(fake);
    const lp = launchpadClient({ server: fake.base, consumerKey: 'my-script' });
    const rt = await lp.requestToken();
    assert.match(lp.authorizationUrl(rt), /\/\+authorize-token\?oauth_token=K$/);
    const { waitForAccessToken } = await import('../src/index.js');
    const at = await waitForAccessToken(lp, rt, { interval: 10, timeout: 5000 });
    assert.equal(at.fields['lp.context'], 'firefox');
  });
});
