// Thousands of random and mutated requests at every endpoint: every answer is a 4xx with a
// body, nothing throws. Seeded, so a failure replays. Mutants start from valid signed
// requests that were sent once first, so that a mutation which changes nothing the
// signature covers still meets the nonce check (and the access-token request meets a
// consumed token) instead of legitimately succeeding.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyHash } from '@signet/core';
import fc from 'fast-check';
import { createAccessTokenEndpoint } from '../src/endpoints/access_token.js';
import { createAuthorizationEndpoint } from '../src/endpoints/authorize.js';
import { createRequestTokenEndpoint } from '../src/endpoints/request_token.js';
import { createResourceEndpoint } from '../src/endpoints/resource.js';
import { createSignatureOnlyEndpoint } from '../src/endpoints/signature_only.js';
import type { OAuthRequest, OAuthResponse } from '../src/http.js';
import type { Flavour } from '../src/options.js';
import {
  BASE,
  clock,
  form,
  issueAccessToken,
  RSA_PRIVATE,
  type SignOptions,
  seededStore,
  signed,
} from './helpers.js';

const SEED = 20_251_124;
const RUNS = 2500;

type Answer = (request: OAuthRequest) => Promise<OAuthResponse>;

async function setup(flavour: Flavour) {
  const store = seededStore();
  const common = { store, publicUrl: BASE, clock, flavour };
  const requestToken = createRequestTokenEndpoint(common);
  const accessToken = createAccessTokenEndpoint(common);
  const resource = createResourceEndpoint(common);
  const twoLegged = createSignatureOnlyEndpoint(common);
  const authorize = createAuthorizationEndpoint({ store, clock });
  const at = await issueAccessToken(store);
  const rsaAt = await issueAccessToken(store, { consumerKey: 'rsa-key' });
  const temp = form(await requestToken(signed({ path: '/rt', callback: 'https://c.example/cb' })));
  const done = await authorize.decide({
    token: temp['oauth_token']!,
    userId: 'alice',
    permission: 'READ_PUBLIC',
  });
  assert.ok(done.ok);

  const unwrap =
    (check: typeof resource | typeof twoLegged): Answer =>
    async (request) => {
      const result = await check(request);
      assert.equal(result.ok, false, 'a fuzzed request was accepted');
      return (result as { response: OAuthResponse }).response;
    };
  const endpoints: Record<string, Answer> = {
    requestToken,
    accessToken,
    resource: unwrap(resource),
    signatureOnly: unwrap(twoLegged),
  };
  const bases: [string, SignOptions][] = [
    ['requestToken', { path: '/rt?x=1', callback: 'https://c.example/cb' }],
    ['requestToken', { path: '/rt', callback: 'oob', placement: 'body', params: [['a', 'b c']] }],
    [
      'accessToken',
      {
        path: '/at',
        token: temp['oauth_token']!,
        tokenSecret: temp['oauth_token_secret']!,
        verifier: done.verifier,
      },
    ],
    [
      'resource',
      {
        method: 'GET',
        path: '/api?q=1&q=2',
        token: at.token,
        tokenSecret: at.secret,
        placement: 'query',
      },
    ],
    [
      'resource',
      {
        path: '/api',
        token: rsaAt.token,
        tokenSecret: rsaAt.secret,
        consumerKey: 'rsa-key',
        signatureMethod: 'RSA-SHA1',
        privateKey: RSA_PRIVATE,
      },
    ],
    [
      'resource',
      {
        path: '/api',
        token: at.token,
        tokenSecret: at.secret,
        rawBody: { contentType: 'application/json', body: '{"a":1}' },
        bodyHash: bodyHash('{"a":1}', 'sha1'),
      },
    ],
    ['signatureOnly', { method: 'GET', path: '/2l', signatureMethod: 'HMAC-SHA256' }],
  ];
  // Each valid request is sent once, and must succeed: its mutants start from a real success.
  const checks: Record<string, (r: OAuthRequest) => Promise<boolean>> = {
    requestToken: async (r) => (await requestToken(r)).status === 200,
    accessToken: async (r) => (await accessToken(r)).status === 200,
    resource: async (r) => (await resource(r)).ok,
    signatureOnly: async (r) => (await twoLegged(r)).ok,
  };
  const valid: [string, OAuthRequest][] = [];
  for (const [name, options] of bases) {
    const request = signed(options);
    assert.ok(await checks[name]!(request), `the valid ${name} request must succeed once`);
    valid.push([name, request]);
  }
  return { endpoints, valid, authorize };
}

function assert4xx(response: OAuthResponse): void {
  assert.ok(
    response.status >= 400 && response.status < 500,
    `status ${response.status}: ${response.body}`,
  );
  assert.ok(response.body.length > 0, 'an error answer has a body');
}

const nasty = fc.constantFrom(
  '%',
  '%ZZ',
  '%C3',
  '%FF',
  '"',
  ',',
  '=',
  '\\',
  ' ',
  '&',
  '+',
  '\u0000',
  '\ud800',
  'é',
  'oauth_',
  'OAuth ',
  '\t',
  '\r\n',
  '%00',
  '?',
  '#',
);
const piece = fc.oneof(
  nasty,
  fc.string({ maxLength: 4 }),
  fc.string({ unit: 'binary', maxLength: 3 }),
);

interface Mutation {
  readonly target:
    | 'authorization'
    | 'url'
    | 'body'
    | 'method'
    | 'content-type'
    | 'drop-header'
    | 'host';
  readonly op: 'insert' | 'delete' | 'replace' | 'truncate' | 'duplicate';
  readonly at: number;
  readonly text: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  target: fc.constantFrom(
    'authorization',
    'url',
    'url',
    'body',
    'method',
    'content-type',
    'drop-header',
    'host',
  ),
  op: fc.constantFrom('insert', 'delete', 'replace', 'truncate', 'duplicate'),
  at: fc.nat(),
  text: piece,
});

function edit(s: string, m: Mutation): string {
  const i = s.length === 0 ? 0 : m.at % (s.length + 1);
  switch (m.op) {
    case 'insert':
      return s.slice(0, i) + m.text + s.slice(i);
    case 'delete':
      return s.slice(0, i) + s.slice(i + 1 + (m.at % 7));
    case 'replace':
      return s.slice(0, i) + m.text + s.slice(i + m.text.length);
    case 'truncate':
      return s.slice(0, i);
    case 'duplicate':
      return s.slice(0, i) + s.slice(i) + s.slice(i);
  }
}

function mutate(request: OAuthRequest, mutations: readonly Mutation[]): OAuthRequest {
  let { method, url, body } = request;
  const headers: Record<string, string | readonly string[] | undefined> = { ...request.headers };
  for (const m of mutations) {
    if (m.target === 'url') url = edit(url, m);
    else if (m.target === 'method') method = edit(method, m);
    else if (m.target === 'body') {
      const text = typeof body === 'string' ? body : body ? new TextDecoder().decode(body) : '';
      body = m.op === 'duplicate' ? new TextEncoder().encode(edit(text, m)) : edit(text, m);
    } else if (m.target === 'drop-header') {
      const names = Object.keys(headers);
      const name = names[m.at % Math.max(1, names.length)];
      if (name !== undefined) delete headers[name];
    } else {
      const name = m.target;
      const current = headers[name];
      headers[name] = edit(typeof current === 'string' ? current : '', m);
    }
  }
  return { method, url, headers, body };
}

const randomRequest: fc.Arbitrary<OAuthRequest> = fc.record({
  method: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'get'), fc.string({ maxLength: 8 })),
  url: fc.oneof(
    fc.string({ maxLength: 60 }).map((s) => '/' + s),
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc.string({ maxLength: 40 }),
    fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constant('oauth_consumer_key'),
            fc.constant('oauth_token'),
            fc.constant('oauth_signature'),
            fc.string({ maxLength: 8 }),
          ),
          piece,
        ),
        { maxLength: 8 },
      )
      .map((pairs) => '/x?' + pairs.map(([k, v]) => `${k}=${v}`).join('&')),
  ),
  headers: fc.record(
    {
      authorization: fc.oneof(
        fc.string({ maxLength: 80 }),
        fc
          .array(
            fc.tuple(
              fc.constantFrom(
                'oauth_consumer_key',
                'oauth_token',
                'oauth_signature_method',
                'oauth_signature',
                'oauth_nonce',
                'oauth_timestamp',
                'oauth_version',
                'realm',
                'x',
              ),
              piece,
            ),
            { maxLength: 8 },
          )
          .map((pairs) => 'OAuth ' + pairs.map(([k, v]) => `${k}="${v}"`).join(', ')),
      ),
      'content-type': fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded; charset=latin1',
        '',
      ),
      host: fc.oneof(fc.constant('api.example.com'), fc.string({ maxLength: 20 })),
    },
    { requiredKeys: [] },
  ),
  body: fc.option(fc.oneof(fc.string({ maxLength: 80 }), fc.uint8Array({ maxLength: 40 })), {
    nil: undefined,
  }),
});

for (const flavour of ['rfc5849', 'launchpad'] as const) {
  describe(`fuzzing every endpoint (${flavour} flavour)`, () => {
    for (const name of ['requestToken', 'accessToken', 'resource', 'signatureOnly']) {
      it(`answers ${RUNS} random requests at ${name} with a 4xx and a body`, async () => {
        const { endpoints } = await setup(flavour);
        const endpoint = endpoints[name]!;
        await fc.assert(
          fc.asyncProperty(randomRequest, async (request) => {
            assert4xx(await endpoint(request));
          }),
          { seed: SEED, numRuns: RUNS },
        );
      });
    }
    it(`answers ${RUNS * 2} mutants of valid requests with a 4xx and a body`, async () => {
      const { endpoints, valid } = await setup(flavour);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...valid),
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          async ([name, request], mutations) => {
            assert4xx(await endpoints[name]!(mutate(request, mutations)));
          },
        ),
        { seed: SEED + 1, numRuns: RUNS * 2, endOnFailure: true },
      );
    });
    it('refuses every replay of the valid requests', async () => {
      const { endpoints, valid } = await setup(flavour);
      for (const [name, request] of valid) assert4xx(await endpoints[name]!(request));
    });
  });
}

describe('fuzzing the authorization helpers', () => {
  it('never throws and never accepts a random token', async () => {
    const { authorize } = await setup('rfc5849');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 40 }), piece),
        fc.string({ maxLength: 20 }),
        async (token, permission) => {
          assert.equal((await authorize.lookup(token)).ok, false);
          assert.equal((await authorize.decide({ token, userId: 'u', permission })).ok, false);
        },
      ),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });
});
