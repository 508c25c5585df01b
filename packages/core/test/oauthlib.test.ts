// Cross-check with an implementation we did not write: Python's oauthlib (Debian
// python3-oauthlib, run by fixtures/oauthlib_peer.py in one process). Random requests are
// signed by @signet/core and verified by oauthlib, and signed by oauthlib and verified by
// @signet/core, for every signature method both support; the base strings must be equal.
//
// The generators stay clear of a few inputs where oauthlib 3.2.2 departs from RFC 5849
// (custom methods with characters outside the unreserved set, a trailing `;` in the path,
// a query parameter named `realm`, non-canonical IPv6 literals, `oauth_`-prefixed query
// names): see the notes next to each generator.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  collectParameters,
  type Param,
  parseFormEncoded,
  percentEncode,
  type SignRequestOptions,
  serializeAuthorizationHeader,
  signatureBaseString,
  signedParameters,
  signRequest,
  verifySignature,
} from '../src/index.js';

// Compiled to dist/test: the fixtures stay in test/fixtures.
const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));
const PYTHON = process.env.SIGNET_PYTHON ?? '/usr/bin/python3';
const PRIVATE_KEY = readFileSync(fixture('rsa-private.pem'), 'utf8');
const PUBLIC_KEY = readFileSync(fixture('rsa-public.pem'), 'utf8');

const METHODS = [
  'PLAINTEXT',
  'HMAC-SHA1',
  'HMAC-SHA256',
  'HMAC-SHA512',
  'RSA-SHA1',
  'RSA-SHA256',
  'RSA-SHA512',
] as const;
type SignatureMethodName = (typeof METHODS)[number];

/** Random requests per signature method and direction. */
const PER_METHOD = 40;
const FORM = 'application/x-www-form-urlencoded';

// A fixed seed can be given to replay a failure; each failure message names the seed.
const seed = Number(process.env.SIGNET_FC_SEED ?? Math.floor(Math.random() * 2 ** 31));

// ---------------------------------------------------------------------------------------
// Random requests

/** One request, as both sides see it: the raw URL and body on the wire, and the credentials. */
interface Case {
  readonly method: string;
  readonly url: string;
  /** Form-encoded body as sent, or `undefined` for none. */
  readonly body: string | undefined;
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly token: string | undefined;
  readonly tokenSecret: string | undefined;
  readonly callback: string | undefined;
  readonly verifier: string | undefined;
  readonly realm: string | undefined;
  readonly nonce: string;
  readonly timestamp: string;
}

const TRICKY = ['!', '*', "'", '(', ')', '+', '%', '=', '&', '"', ',', ' ', ';', '~', '/', '?'];
const unit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('é', '日本', '😀', '\u00A0') },
);
const text = fc.string({ unit, maxLength: 10 });
const nonEmptyText = fc.string({ unit, minLength: 1, maxLength: 10 });

// oauthlib treats any `oauth_`-prefixed query or body name as protocol parameters sent a
// second way (and decodes them twice), and its server drops every parameter named exactly
// `realm` when the header has a realm: keep random names clear of both.
const paramName = fc
  .oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom('a', 'b', 'x') })
  .filter((n) => !n.startsWith('oauth_') && n !== 'realm');

// Characters oauthlib accepts unencoded in a query or form body (oauthlib.common.urlencoded),
// beyond the unreserved set, and that mean nothing special there.
const RAW_OK = new Set(["'", '!', '(', ')', '*', ',', ':', '@', '/', '?', '$', ';']);

/** Form-encodes one name or value the way some client might: strict, or loose with `+`. */
function encodeLoosely(s: string, loose: boolean): string {
  if (!loose) return percentEncode(s);
  let out = '';
  for (const ch of s) {
    if (ch === ' ') out += '+';
    else if (RAW_OK.has(ch)) out += ch;
    else out += percentEncode(ch);
  }
  return out;
}

/** A form-encoded string: repeated names, valueless names, empty segments, loose encoding. */
const formData = fc
  .array(
    fc.tuple(
      paramName,
      text,
      fc.boolean(),
      fc.constantFrom('pair', 'pair', 'pair', 'bare', 'empty'),
    ),
    { maxLength: 6 },
  )
  .map((items) =>
    items
      .map(([name, value, loose, shape]) => {
        if (shape === 'empty') return '';
        if (shape === 'bare') return encodeLoosely(name, loose);
        return `${encodeLoosely(name, loose)}=${encodeLoosely(value, loose)}`;
      })
      .join('&'),
  );

const hostname = fc.oneof(
  fc
    .array(fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?$/), {
      minLength: 1,
      maxLength: 3,
    })
    .map((labels) => labels.join('.')),
  fc.ipV4(),
  // oauthlib rewrites IPv6 literals to their canonical form; RFC 5849 §3.4.1.2 keeps the
  // Host header's text (lower-cased). Canonical literals only, so both agree.
  fc.constantFrom('[::1]', '[2001:db8::1]', '[2001:DB8::A]', '[fe80::1:2]'),
);

// Path characters: unreserved, sub-delims and `:` `@` raw, anything else percent-encoded.
// No `;`: oauthlib's urlparse drops a trailing `;` from the path, which RFC 5849 keeps.
const pathSegment = fc
  .array(
    fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9\-._~!$&'()*+,=:@]{1,6}$/),
      text.map(percentEncode),
      fc.constantFrom('%7e', '%2f', '%41'),
    ),
    { maxLength: 3 },
  )
  .map((parts) => parts.join(''));

const url = fc
  .record({
    scheme: fc.constantFrom('http', 'https', 'HTTP', 'HtTpS'),
    userinfo: fc.constantFrom('', '', '', 'user@', 'user:p%40ss@'),
    host: hostname,
    port: fc.oneof(
      fc.constant(''),
      fc.constant('default'),
      fc.constant(':'),
      fc.integer({ min: 1, max: 65535 }).map((p) => `:${p}`),
      fc.constantFrom(':8080', ':080', ':0443'),
    ),
    path: fc.oneof(
      fc.constant(''),
      fc.array(pathSegment, { minLength: 1, maxLength: 4 }).map((s) => '/' + s.join('/')),
    ),
    query: fc.option(formData, { nil: undefined }),
    fragment: fc.constantFrom('', '', '', '#frag', '#a/b'),
  })
  .map(({ scheme, userinfo, host, port, path, query, fragment }) => {
    const p = port === 'default' ? (scheme.toLowerCase() === 'http' ? ':80' : ':443') : port;
    return `${scheme}://${userinfo}${host}${p}${path}${query === undefined ? '' : '?' + query}${fragment}`;
  });

// RFC 5849 §3.4.1.1 wants a custom method percent-encoded in the base string; oauthlib does
// that and @signet/core does not (yet), so only methods made of unreserved characters here.
const httpMethod = fc.constantFrom(
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'HEAD',
  'OPTIONS',
  'get',
  'post',
  'Patch',
  'M-SEARCH',
  'PROPFIND',
);

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    method: httpMethod,
    url,
    body: fc.option(formData, { nil: undefined }),
    consumerKey: nonEmptyText,
    consumerSecret: text,
    token: fc.option(nonEmptyText, { nil: undefined }),
    tokenSecret: fc.option(text, { nil: undefined }),
    callback: fc.option(
      fc.oneof(
        fc.constant('oob'),
        text.map((t) => `https://client.example/cb?state=${encodeURIComponent(t)}&x=100%25`),
      ),
      { nil: undefined },
    ),
    verifier: fc.option(nonEmptyText, { nil: undefined }),
    realm: fc.option(
      fc.string({ unit: 'grapheme-ascii', maxLength: 12 }).filter((r) => !/["\\]/.test(r)),
      { nil: undefined },
    ),
    nonce: nonEmptyText,
    timestamp: fc.integer({ min: 0, max: 2 ** 31 - 1 }).map(String),
  })
  // oauthlib refuses to sign a body on GET and HEAD (it has no meaning there).
  .map((c) => (/^(GET|HEAD)$/i.test(c.method) ? { ...c, body: undefined } : c));

// ---------------------------------------------------------------------------------------
// The Python side

interface PeerCase {
  readonly op: 'sign' | 'verify';
  readonly [key: string]: string | undefined;
}
interface SignResult {
  readonly authorization: string;
  readonly url: string;
  readonly signature: string;
  readonly baseString: string;
}
interface VerifyResult {
  readonly valid: boolean;
  readonly baseString: string;
  readonly signatureMethod: string;
}
type PeerResult = Partial<SignResult & VerifyResult> & { readonly error?: string };

function runPeer(cases: PeerCase[]): { version: string; results: PeerResult[] } {
  const out = spawnSync(PYTHON, [fixture('oauthlib_peer.py')], {
    input: JSON.stringify({ rsaPrivateKey: PRIVATE_KEY, rsaPublicKey: PUBLIC_KEY, cases }),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(out.status, 0, `oauthlib peer failed (${PYTHON}): ${out.error ?? out.stderr}`);
  const parsed = JSON.parse(out.stdout) as { oauthlib: string; results: PeerResult[] };
  assert.equal(parsed.results.length, cases.length);
  return { version: parsed.oauthlib, results: parsed.results };
}

// ---------------------------------------------------------------------------------------
// Both directions

const wire = (c: Case) => ({
  method: c.method,
  url: c.url,
  body: c.body,
  contentType: c.body === undefined ? undefined : FORM,
});

function signWithCore(c: Case, signatureMethod: SignatureMethodName) {
  const options: SignRequestOptions = {
    method: c.method,
    url: c.url,
    params: c.body === undefined ? [] : parseFormEncoded(c.body),
    consumerKey: c.consumerKey,
    consumerSecret: c.consumerSecret,
    signatureMethod,
    nonce: c.nonce,
    timestamp: c.timestamp,
    privateKey: PRIVATE_KEY,
    ...(c.token === undefined ? {} : { token: c.token }),
    ...(c.tokenSecret === undefined ? {} : { tokenSecret: c.tokenSecret }),
    ...(c.callback === undefined ? {} : { callback: c.callback }),
    ...(c.verifier === undefined ? {} : { verifier: c.verifier }),
  };
  const signed = signRequest(options);
  const authorization = serializeAuthorizationHeader(signed.oauthParams, c.realm);
  return { signed, authorization };
}

/** What @signet/core makes of a request on the wire: its verdict and its base string. */
function verifyWithCore(c: Case, url: string, authorization: string) {
  const collected = collectParameters({ ...wire(c), url, authorization });
  const params: Param[] = signedParameters(collected);
  const header = collected.header?.params ?? [];
  const get = (name: string): string => header.find(([n]) => n === name)?.[1] ?? '';
  const signatureMethod = get('oauth_signature_method');
  const valid = verifySignature({
    method: c.method,
    url,
    params,
    signatureMethod,
    signature: get('oauth_signature'),
    keys: {
      consumerSecret: c.consumerSecret,
      tokenSecret: c.tokenSecret ?? '',
      publicKey: PUBLIC_KEY,
    },
  });
  return { valid, signatureMethod, baseString: signatureBaseString(c.method, url, params) };
}

interface Row {
  readonly signatureMethod: SignatureMethodName;
  readonly case: Case;
  /** Which check; a tampered row must not verify. */
  readonly kind: 'core-signs' | 'oauthlib-signs' | 'core-signs-tampered';
  readonly coreBaseString?: string;
  readonly coreSignature?: string;
}

interface Outcome {
  readonly version: string;
  /** Failures by signature method and direction, as readable records. */
  readonly failures: Map<string, unknown[]>;
  readonly counts: Map<string, number>;
}

function tamper(c: Case, signatureMethod: SignatureMethodName): Case {
  // PLAINTEXT signs no base string: only a wrong secret can break it.
  return signatureMethod === 'PLAINTEXT'
    ? { ...c, consumerSecret: c.consumerSecret + 'x' }
    : { ...c, method: c.method + 'X' };
}

function runInterop(): Outcome {
  const rows: Row[] = [];
  const peerCases: PeerCase[] = [];
  const samples = fc.sample(caseArb, { numRuns: METHODS.length * PER_METHOD * 2, seed });
  let next = 0;
  for (const signatureMethod of METHODS) {
    for (let i = 0; i < PER_METHOD; i++) {
      // @signet/core signs, oauthlib's server code verifies.
      const a = samples[next++]!;
      const { signed, authorization } = signWithCore(a, signatureMethod);
      const coreBaseString =
        signed.baseString !== ''
          ? signed.baseString
          : verifyWithCore(a, a.url, authorization).baseString;
      rows.push({
        signatureMethod,
        case: a,
        kind: 'core-signs',
        coreBaseString,
        coreSignature: signed.signature,
      });
      peerCases.push({
        op: 'verify',
        ...wire(a),
        authorization,
        consumerSecret: a.consumerSecret,
        tokenSecret: a.tokenSecret,
      });
      // A few tampered requests, so that a verifier that always says yes cannot pass.
      if (i % 8 === 0) {
        const t = tamper(a, signatureMethod);
        rows.push({ signatureMethod, case: t, kind: 'core-signs-tampered' });
        peerCases.push({
          op: 'verify',
          ...wire(t),
          authorization,
          consumerSecret: t.consumerSecret,
          tokenSecret: t.tokenSecret,
        });
      }
      // oauthlib's Client signs, @signet/core verifies.
      const b = samples[next++]!;
      rows.push({ signatureMethod, case: b, kind: 'oauthlib-signs' });
      peerCases.push({
        op: 'sign',
        ...wire(b),
        consumerKey: b.consumerKey,
        consumerSecret: b.consumerSecret,
        token: b.token,
        tokenSecret: b.tokenSecret,
        callback: b.callback,
        verifier: b.verifier,
        realm: b.realm,
        nonce: b.nonce,
        timestamp: b.timestamp,
        signatureMethod,
      });
    }
  }

  const { version, results } = runPeer(peerCases);
  const failures = new Map<string, unknown[]>();
  const counts = new Map<string, number>();
  rows.forEach((row, i) => {
    const key = `${row.signatureMethod} ${row.kind}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const r = results[i]!;
    const problems: string[] = [];
    let detail: Record<string, unknown> = {};
    if (r.error !== undefined) {
      problems.push(`oauthlib raised ${r.error}`);
    } else if (row.kind === 'oauthlib-signs') {
      const core = verifyWithCore(row.case, r.url!, r.authorization!);
      if (core.signatureMethod !== row.signatureMethod) problems.push('method not in header');
      if (!core.valid) problems.push('@signet/core rejects the signature');
      if (core.baseString !== r.baseString) problems.push('base strings differ');
      const t = tamper(row.case, row.signatureMethod);
      if (verifyWithCore(t, r.url!, r.authorization!).valid) {
        problems.push('@signet/core accepts it tampered');
      }
      detail = { authorization: r.authorization, oauthlib: r.baseString, core: core.baseString };
    } else if (row.kind === 'core-signs') {
      if (r.valid !== true) problems.push('oauthlib rejects the signature');
      if (r.signatureMethod !== row.signatureMethod) problems.push('oauthlib read another method');
      if (r.baseString !== row.coreBaseString) problems.push('base strings differ');
      detail = { oauthlib: r.baseString, core: row.coreBaseString };
    } else if (r.valid !== false) {
      problems.push('oauthlib accepts a tampered request');
    }
    if (problems.length > 0) {
      const list = failures.get(key) ?? [];
      list.push({ seed, problems, case: row.case, ...detail });
      failures.set(key, list);
    }
  });
  return { version, failures, counts };
}

describe('interop with Python oauthlib (RFC 5849 §3.4, §3.5.1)', () => {
  let outcome: Outcome;
  before(() => {
    outcome = runInterop();
  });

  it('runs oauthlib, every case once, in one process', (t) => {
    t.diagnostic(`oauthlib ${outcome.version}, seed ${seed}`);
    assert.match(outcome.version, /^\d+\.\d+/);
    for (const m of METHODS) {
      assert.equal(outcome.counts.get(`${m} core-signs`), PER_METHOD);
      assert.equal(outcome.counts.get(`${m} oauthlib-signs`), PER_METHOD);
      assert.ok((outcome.counts.get(`${m} core-signs-tampered`) ?? 0) > 0);
    }
  });

  for (const m of METHODS) {
    it(`${m}: @signet/core signs, oauthlib verifies, same base string`, () => {
      assert.deepEqual(outcome.failures.get(`${m} core-signs`) ?? [], []);
    });
    it(`${m}: oauthlib signs, @signet/core verifies, same base string`, () => {
      assert.deepEqual(outcome.failures.get(`${m} oauthlib-signs`) ?? [], []);
    });
    it(`${m}: oauthlib rejects a tampered request @signet/core signed`, () => {
      assert.deepEqual(outcome.failures.get(`${m} core-signs-tampered`) ?? [], []);
    });
  }
});
