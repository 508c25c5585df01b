// Malformed input is a 400 with a clear message, never a throw or a 500.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAccessTokenEndpoint } from '../src/endpoints/access_token.js';
import { createRequestTokenEndpoint } from '../src/endpoints/request_token.js';
import { createResourceEndpoint } from '../src/endpoints/resource.js';
import type { OAuthRequest } from '../src/http.js';
import { BASE, clock, form, seededStore, signed } from './helpers.js';

const store = seededStore();
const requestToken = createRequestTokenEndpoint({ store, publicUrl: BASE, clock });
const accessToken = createAccessTokenEndpoint({ store, publicUrl: BASE, clock });
const resource = createResourceEndpoint({ store, publicUrl: BASE, clock });
const good = signed({ path: '/rt', callback: 'oob' });

const cases: [string, OAuthRequest, string][] = [
  [
    'bad percent-encoding in the query',
    { ...good, url: '/rt?a=%ZZ' },
    'Malformed percent-encoding',
  ],
  ['a truncated escape in the query', { ...good, url: '/rt?a=%4' }, 'Malformed percent-encoding'],
  ['percent-encoded non-UTF-8 in the query', { ...good, url: '/rt?a=%FF%FE' }, 'non-UTF-8'],
  [
    'an unterminated quoted value in the Authorization header',
    { ...good, headers: { authorization: 'OAuth oauth_consumer_key="abc' } },
    'Malformed Authorization header',
  ],
  [
    'garbage in the Authorization header',
    { ...good, headers: { authorization: 'OAuth ,,=="' } },
    'Malformed Authorization header',
  ],
  [
    'bad percent-encoding in the Authorization header',
    { ...good, headers: { authorization: 'OAuth oauth_nonce="%G1"' } },
    'Malformed percent-encoding',
  ],
  [
    'two Authorization headers',
    { ...good, headers: { authorization: [String(good.headers['authorization']), 'OAuth a="b"'] } },
    'More than one Authorization header',
  ],
  [
    'a non-UTF-8 form body',
    {
      method: 'POST',
      url: '/rt',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new Uint8Array([0x61, 0x3d, 0xff, 0xfe]),
    },
    'Form body is not UTF-8',
  ],
  [
    'a huge Authorization header',
    { ...good, headers: { authorization: `OAuth oauth_nonce="${'a'.repeat(20_000)}"` } },
    'too long',
  ],
  [
    'huge headers',
    { ...good, headers: { ...good.headers, 'x-junk': 'j'.repeat(70_000) } },
    'Request headers too large',
  ],
  ['a huge body', { ...good, body: 'a'.repeat(1024 * 1024 + 1) }, 'Request body too large'],
  ['a huge URL', { ...good, url: `/rt?${'a'.repeat(17_000)}` }, 'Request URL too long'],
  ['a relative URL', { ...good, url: 'rt' }, 'must be a path or an absolute URL'],
  ['an empty method', { ...good, method: '' }, 'Invalid HTTP method'],
  ['a method with spaces', { ...good, method: 'GET /' }, 'Invalid HTTP method'],
  [
    'a numeric header value',
    { ...good, headers: { authorization: 5 as never } },
    'Invalid header value',
  ],
  ['an object body', { ...good, body: {} as never }, 'Invalid request body'],
  ['headers that are not an object', { ...good, headers: null as never }, 'Invalid headers'],
];

describe('malformed requests', () => {
  for (const [what, request, message] of cases) {
    it(`answers 400 for ${what}`, async () => {
      for (const endpoint of [requestToken, accessToken]) {
        const r = await endpoint(request);
        assert.equal(r.status, 400, `${r.status} ${r.body}`);
        const f = form(r);
        assert.equal(f['error'], 'invalid_request');
        assert.ok(f['error_description']?.includes(message), f['error_description']);
      }
      const guarded = await resource(request);
      assert.ok(!guarded.ok && guarded.response.status === 400);
    });
  }
  it('answers 400 for a lone surrogate, which cannot be percent-encoded for the base string', async () => {
    const auth = `${String(good.headers['authorization'])}, x="\ud800"`;
    const r = await requestToken({ ...good, headers: { authorization: auth } });
    assert.equal(r.status, 400);
    assert.match(form(r)['error_description'] ?? '', /not valid Unicode/);
  });
  it('answers 400 naming the parameter for a control character in any oauth_* value', async () => {
    const places: [string, string][] = [
      ['oauth_consumer_key', 'a%00b'],
      ['oauth_token', 'x%00y'],
      ['oauth_nonce', 'n%0A'],
      ['oauth_signature', 's%7F'],
      ['oauth_callback', 'https%3A%2F%2Fa.example%2F%01'],
    ];
    for (const [name, value] of places) {
      const base: Record<string, string> = {
        oauth_consumer_key: 'app-key',
        oauth_signature_method: 'PLAINTEXT',
        oauth_signature: 'x',
      };
      base[name] = value;
      const header = `OAuth ${Object.entries(base)
        .map(([k, v]) => `${k}="${v}"`)
        .join(', ')}`;
      for (const request of [
        { ...good, headers: { authorization: header } },
        { method: 'GET', url: `/rt?${name}=${value}`, headers: { host: 'api.example.com' } },
      ]) {
        for (const endpoint of [requestToken, accessToken]) {
          const r = await endpoint(request);
          assert.equal(r.status, 400, `${name}: ${r.status} ${r.body}`);
          assert.equal(form(r)['error'], 'invalid_request');
          assert.match(
            form(r)['error_description'] ?? '',
            new RegExp(`${name} contains a control`),
          );
        }
        const guarded = await resource(request);
        assert.ok(!guarded.ok && guarded.response.status === 400, name);
      }
    }
  });
  it('answers 400 for something that is not a request at all', async () => {
    for (const junk of [null, undefined, 42, 'GET /', {}] as never[]) {
      assert.equal((await requestToken(junk)).status, 400);
      const r = await resource(junk);
      assert.ok(!r.ok && r.response.status === 400);
    }
  });
});
