// Every vector of ../shared/vectors/rfc5849.json, each test titled with its source.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  baseStringUri,
  collectParameters,
  defaultSignatureMethods,
  normalizeParameters,
  OAuthError,
  type Param,
  PLAINTEXT,
  parseAuthorizationHeader,
  percentDecode,
  percentEncode,
  serializeAuthorizationHeader,
  signatureBaseString,
  signedParameters,
  signRequest,
  verifySignature,
} from '../src/index.js';

// Compiled to dist/test: the package root is two levels up, the repository root four.
const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = resolve(here, '../..');
const vendored = join(packageRoot, 'test/vectors');
const shared = resolve(packageRoot, '../../../shared/vectors');
// CI has shared/ beside the clone; a lone clone falls back to the vendored copy.
const vectorsDir = process.env.SIGNET_VECTORS_DIR ?? (existsSync(shared) ? shared : vendored);

interface Vectors {
  encoding: { input: string; encoded: string }[];
  normalization: { params: [string, string | null][]; normalized: string }[];
  base_string_uri: { input: string; base_string_uri: string }[];
  base_strings: {
    source: string;
    method: string;
    uri: string;
    params: [string, string][];
    base_string: string;
  }[];
  hmac: {
    source: string;
    method: string;
    consumer_secret: string;
    token_secret: string;
    base_string: string;
    signature: string;
  }[];
  plaintext: { source: string; consumer_secret: string; token_secret: string; signature: string }[];
  rsa: {
    source: string;
    method: string;
    private_key_file: string;
    public_key_file: string;
    certificate_file: string;
    http_method: string;
    url: string;
    params: [string, string][];
    base_string: string;
    signature: string;
  }[];
  rfc5849_3_4_1: {
    source: string;
    request: { method: string; url: string; headers: Record<string, string>; body: string };
    consumer_secret: string;
    token_secret: string;
    normalized_parameters: string;
    base_string: string;
    signature: string;
  };
  flows: {
    source: string;
    step: string;
    method: string;
    url: string;
    params: [string, string][];
    consumer_secret: string;
    token_secret: string;
    base_string: string;
    signature: string;
  }[];
}

const read = (name: string): string => readFileSync(join(vectorsDir, name), 'utf8');
const v = JSON.parse(read('rfc5849.json')) as Vectors;

describe('vector files', () => {
  it('the vendored copy is identical to shared/vectors when both exist', (t) => {
    if (!existsSync(shared)) {
      // Nothing to compare against outside the monorepo checkout; still prove the copy loads.
      assert.ok(JSON.parse(readFileSync(join(vendored, 'rfc5849.json'), 'utf8')).encoding);
      return;
    }
    for (const f of ['rfc5849.json', 'rsa-private.pem', 'rsa-public.pem', 'rsa-cert.pem']) {
      t.diagnostic(f);
      assert.equal(readFileSync(join(vendored, f), 'utf8'), readFileSync(join(shared, f), 'utf8'));
    }
  });
});

describe('RFC 5849 §3.6 percent-encoding', () => {
  for (const { input, encoded } of v.encoding) {
    it(`${JSON.stringify(input)} -> ${encoded}`, () => {
      assert.equal(percentEncode(input), encoded);
      assert.equal(percentDecode(encoded), input);
    });
  }
  it('rejects malformed escapes and non-UTF-8 bytes with ERR_OAUTH_ENCODING', () => {
    for (const bad of ['%', '%2', '%zz', '%C3', '%FF', 'a%E2%82']) {
      assert.throws(
        () => percentDecode(bad),
        (e: unknown) => e instanceof OAuthError && e.code === 'ERR_OAUTH_ENCODING',
        bad,
      );
    }
  });
  it('reads + as a space only in form data', () => {
    assert.equal(percentDecode('a+b', true), 'a b');
    assert.equal(percentDecode('a+b'), 'a+b');
  });
  it('rejects a lone surrogate, which is not Unicode', () => {
    assert.throws(() => percentEncode('\ud800'), OAuthError);
  });
});

describe('RFC 5849 §3.4.1.3.2 parameter normalisation', () => {
  for (const { params, normalized } of v.normalization) {
    it(normalized, () => {
      assert.equal(
        normalizeParameters(params.map(([n, val]) => [n, val ?? ''] as Param)),
        normalized,
      );
    });
  }
});

describe('RFC 5849 §3.4.1.2 base string URI', () => {
  for (const { input, base_string_uri } of v.base_string_uri) {
    it(`${input} -> ${base_string_uri}`, () => {
      assert.equal(baseStringUri(input), base_string_uri);
      assert.equal(baseStringUri(new URL(input)), base_string_uri);
    });
  }
  it('drops user information and keeps IPv6 literals and non-default ports', () => {
    assert.equal(baseStringUri('https://u:p@[::1]:8443/x?y'), 'https://[::1]:8443/x');
    assert.equal(baseStringUri('http://[::1]/'), 'http://[::1]/');
  });
  it('refuses what is not an absolute URL', () => {
    for (const bad of ['/relative', 'example.com/x', 'http:///x', 'http://h:8o/']) {
      assert.throws(
        () => baseStringUri(bad),
        (e: unknown) => e instanceof OAuthError && e.code === 'ERR_OAUTH_URL',
        bad,
      );
    }
  });
});

describe('RFC 5849 §3.4.1 signature base string', () => {
  for (const b of v.base_strings) {
    it(b.source, () => {
      assert.equal(signatureBaseString(b.method, b.uri, b.params), b.base_string);
    });
  }
  it('leaves oauth_signature out', () => {
    const b = v.base_strings[1]!;
    const withSig: Param[] = [...b.params, ['oauth_signature', 'x']];
    assert.equal(signatureBaseString(b.method, b.uri, withSig), b.base_string);
  });
});

describe('RFC 5849 §3.4.2 HMAC', () => {
  for (const h of v.hmac) {
    it(`${h.method}: ${h.source}`, () => {
      const method = defaultSignatureMethods.require(h.method);
      const keys = { consumerSecret: h.consumer_secret, tokenSecret: h.token_secret };
      assert.equal(method.sign(h.base_string, keys), h.signature);
      assert.equal(method.verify(h.base_string, h.signature, keys), true);
      assert.equal(method.verify(h.base_string + 'x', h.signature, keys), false);
      assert.equal(method.verify(h.base_string, h.signature.slice(1), keys), false);
      assert.equal(
        method.verify(h.base_string, h.signature, { ...keys, tokenSecret: 'no' }),
        false,
      );
    });
  }
});

describe('RFC 5849 §3.4.4 PLAINTEXT', () => {
  for (const p of v.plaintext) {
    it(p.source, () => {
      const keys = { consumerSecret: p.consumer_secret, tokenSecret: p.token_secret };
      assert.equal(PLAINTEXT.sign('', keys), p.signature);
      assert.equal(PLAINTEXT.verify('', p.signature, keys), true);
      assert.equal(PLAINTEXT.verify('', p.signature + 'x', keys), false);
    });
  }
});

describe('RFC 5849 §3.4.3 RSA-SHA1', () => {
  for (const r of v.rsa) {
    it(r.source, () => {
      assert.equal(signatureBaseString(r.http_method, r.url, r.params), r.base_string);
      const method = defaultSignatureMethods.require(r.method);
      const privateKey = read(r.private_key_file);
      assert.equal(method.sign(r.base_string, { privateKey }), r.signature);
      for (const file of [r.public_key_file, r.certificate_file]) {
        const publicKey = read(file);
        assert.equal(method.verify(r.base_string, r.signature, { publicKey }), true, file);
        assert.equal(method.verify(r.base_string + 'x', r.signature, { publicKey }), false, file);
      }
    });
  }
  it('refuses a non-canonical base64 signature rather than decoding around junk', () => {
    const r = v.rsa[0]!;
    const publicKey = read(r.public_key_file);
    const method = defaultSignatureMethods.require('RSA-SHA1');
    assert.equal(method.verify(r.base_string, `${r.signature}!!`, { publicKey }), false);
    assert.equal(method.verify(r.base_string, '', { publicKey }), false);
  });
  it('signs and verifies with RSA-SHA256 and RSA-SHA512 too', () => {
    const privateKey = read('rsa-private.pem');
    const publicKey = read('rsa-public.pem');
    for (const name of ['RSA-SHA256', 'RSA-SHA512']) {
      const m = defaultSignatureMethods.require(name);
      const sig = m.sign('base', { privateKey });
      assert.equal(m.verify('base', sig, { publicKey }), true, name);
      assert.notEqual(
        sig,
        defaultSignatureMethods.require('RSA-SHA1').sign('base', { privateKey }),
      );
    }
  });
  it('signing without a private key is ERR_OAUTH_KEY, not a crash', () => {
    assert.throws(
      () => defaultSignatureMethods.require('RSA-SHA1').sign('b', {}),
      (e: unknown) => e instanceof OAuthError && e.code === 'ERR_OAUTH_KEY',
    );
    assert.throws(
      () => defaultSignatureMethods.require('RSA-SHA1').sign('b', { privateKey: 'not a key' }),
      (e: unknown) => e instanceof OAuthError && e.code === 'ERR_OAUTH_KEY',
    );
  });
});

describe('RFC 5849 §3.4.1 example request (errata 2550)', () => {
  const x = v.rfc5849_3_4_1;
  const collected = collectParameters({
    method: x.request.method,
    url: x.request.url,
    authorization: x.request.headers['Authorization'],
    contentType: x.request.headers['Content-Type'],
    body: x.request.body,
  });
  const params = signedParameters(collected);
  it('collects the realm apart, and parameters from header, query and body', () => {
    assert.equal(collected.header?.realm, 'Example');
    assert.deepEqual(collected.body, [
      ['c2', ''],
      ['a3', '2 q'],
    ]);
    assert.equal(collected.query.length, 4);
  });
  it('normalises to the RFC text', () => {
    const withoutSig = params.filter(([n]) => n !== 'oauth_signature');
    assert.equal(normalizeParameters(withoutSig), x.normalized_parameters);
  });
  it('builds the base string', () => {
    assert.equal(signatureBaseString(x.request.method, x.request.url, params), x.base_string);
  });
  it('verifies the signature in the header', () => {
    const signature = params.find(([n]) => n === 'oauth_signature')![1];
    assert.equal(signature, x.signature);
    const keys = { consumerSecret: x.consumer_secret, tokenSecret: x.token_secret };
    const opts = { method: 'POST', url: x.request.url, params, signatureMethod: 'HMAC-SHA1', keys };
    assert.equal(verifySignature({ ...opts, signature }), true);
    assert.equal(verifySignature({ ...opts, signature: signature.replace('r6', 'r7') }), false);
  });
  it('reads a body given as bytes the same as text', () => {
    const bytes = collectParameters({
      method: 'POST',
      url: x.request.url,
      contentType: 'application/x-www-form-urlencoded; charset=utf-8',
      body: new TextEncoder().encode(x.request.body),
    });
    assert.deepEqual(bytes.body, collected.body);
  });
  it('ignores the body of other content types', () => {
    const json = collectParameters({
      method: 'POST',
      url: x.request.url,
      contentType: 'application/json',
      body: 'a=1',
    });
    assert.deepEqual(json.body, []);
  });
});

describe('RFC 5849 §1.2 and Twitter example flows', () => {
  for (const f of v.flows) {
    it(`${f.source}: ${f.step}`, () => {
      assert.equal(signatureBaseString(f.method, f.url, f.params), f.base_string);
      // Sign again from scratch with signRequest: same inputs, same signature.
      const p = new Map(f.params);
      const oauth = new Set([
        'oauth_consumer_key',
        'oauth_token',
        'oauth_signature_method',
        'oauth_timestamp',
        'oauth_nonce',
        'oauth_callback',
        'oauth_verifier',
        'oauth_version',
      ]);
      const url = new URL(f.url);
      const queryNames = new Set(url.searchParams.keys());
      const extra = f.params.filter(([n]) => !oauth.has(n) && !queryNames.has(n));
      const token = p.get('oauth_token');
      const callback = p.get('oauth_callback');
      const verifier = p.get('oauth_verifier');
      const signed = signRequest({
        method: f.method,
        url: f.url,
        params: extra,
        consumerKey: p.get('oauth_consumer_key')!,
        consumerSecret: f.consumer_secret,
        tokenSecret: f.token_secret,
        ...(token === undefined ? {} : { token }),
        ...(callback === undefined ? {} : { callback }),
        ...(verifier === undefined ? {} : { verifier }),
        version: p.has('oauth_version'),
        timestamp: p.get('oauth_timestamp')!,
        nonce: p.get('oauth_nonce')!,
      });
      assert.equal(signed.baseString, f.base_string);
      assert.equal(signed.signature, f.signature);
    });
  }
});

describe('Authorization header (§3.5.1)', () => {
  it('parses the RFC example with realm, spacing and encoded values', () => {
    const h = parseAuthorizationHeader(v.rfc5849_3_4_1.request.headers['Authorization']!);
    assert.equal(h.realm, 'Example');
    assert.equal(h.params.length, 6);
    assert.deepEqual(h.params.at(-1), ['oauth_signature', 'r6/TJjbCOr97/+UU0NsvSne7s5g=']);
  });
  it('tolerates odd spacing, empty values, unquoted values and empty list elements', () => {
    const h = parseAuthorizationHeader('oauth  a = "1" ,b="",, c=3\t,realm="x"');
    assert.equal(h.realm, 'x');
    assert.deepEqual(h.params, [
      ['a', '1'],
      ['b', ''],
      ['c', '3'],
    ]);
  });
  it('keeps commas and escaped quotes inside a quoted realm', () => {
    const h = parseAuthorizationHeader('OAuth realm="a, \\"b\\"", oauth_token="t"');
    assert.equal(h.realm, 'a, "b"');
    assert.deepEqual(h.params, [['oauth_token', 't']]);
  });
  it('keeps duplicates, for the server to refuse', () => {
    const h = parseAuthorizationHeader('OAuth oauth_nonce="1", oauth_nonce="2"');
    assert.equal(h.params.length, 2);
  });
  for (const bad of [
    'Basic abc',
    'OAuth a',
    'OAuth a="1" b="2"',
    'OAuth a="unterminated',
    'OAuth ="x"',
    'OAuth a="%zz"',
    'OAuth realm="1", realm="2"',
    'OAuthx a="1"',
    `OAuth a="${'x'.repeat(20000)}"`,
  ]) {
    it(`refuses ${JSON.stringify(bad.slice(0, 30))} with an OAuthError`, () => {
      assert.throws(() => parseAuthorizationHeader(bad), OAuthError);
    });
  }
});

describe('regressions found by the oauthlib cross-check', () => {
  it('a ? inside the fragment is not the query (RFC 3986 §3.5)', () => {
    const signed = signRequest({
      method: 'GET',
      url: 'http://e.com/p#frag?b=c',
      consumerKey: 'k',
      timestamp: '1',
      nonce: 'n',
    });
    assert.ok(!signed.baseString.includes('b%3Dc'), signed.baseString);
    assert.deepEqual(collectParameters({ method: 'GET', url: 'http://e.com/p#x?b=c' }).query, []);
    assert.deepEqual(collectParameters({ method: 'GET', url: 'http://e.com/p?a=1#x?b=c' }).query, [
      ['a', '1'],
    ]);
  });
  it('a custom method is percent-encoded in the base string (§3.4.1.1)', () => {
    assert.ok(signatureBaseString('m!x', 'http://e.com/', []).startsWith('M%21X&'));
    assert.ok(signatureBaseString('get', 'http://e.com/', []).startsWith('GET&'));
  });
  it('the header serialiser refuses names its parser would not give back', () => {
    assert.throws(() => serializeAuthorizationHeader([['', 'x']]), OAuthError);
    assert.throws(() => serializeAuthorizationHeader([['Realm', 'x']]), OAuthError);
  });
});

describe('signRequest builds its header from the encodings it signed', () => {
  it('equals serializeAuthorizationHeader of its oauthParams, and parses back', () => {
    const f = v.flows.at(-1)!;
    const signed = signRequest({
      method: f.method,
      url: `${f.url}?q=${encodeURIComponent('a b!*')}`,
      consumerKey: 'key with space',
      consumerSecret: 'cs',
      token: 'tök',
      tokenSecret: 'ts',
      callback: 'https://cb.example/x?y=1',
      extraOAuthParams: [['xoauth_extra', 'v&w']],
      realm: 'Photos "x"',
    });
    assert.equal(
      signed.authorization,
      serializeAuthorizationHeader(signed.oauthParams, 'Photos "x"'),
    );
    const parsed = parseAuthorizationHeader(signed.authorization);
    assert.equal(parsed.realm, 'Photos "x"');
    assert.deepEqual(parsed.params, signed.oauthParams);
  });
});
