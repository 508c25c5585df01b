// The runtime-neutral conformance suite of @signet/core: plain ES module, no `node:` import,
// no test framework. A runtime harness imports it with the core build under test and the
// vectors (passed in as data, since only some runtimes can read files), runs it, and reports
// the results; the node --test runners in ../runtimes_*.test.ts assert on them.
import type * as Core from '../../src/portable.js';

/** The core API as a module namespace (either build). */
export type CoreModule = typeof Core;

/** What the suite is given. */
export interface ConformanceInput {
  /** rfc5849.json, parsed. */
  readonly vectors: Vectors;
  /** PEM texts: the vector key files and the same keys in the other formats. */
  readonly keys: {
    readonly pkcs8: string;
    readonly pkcs1: string;
    readonly spki: string;
    readonly pkcs1Public: string;
    readonly certificate: string;
  };
  /**
   * RSASSA-PKCS1-v1_5 is deterministic: signatures of the RSA vector's base string with its
   * key, by SHA-256 and SHA-512, made by node:crypto on the runner's side.
   */
  readonly rsaKnownAnswers: readonly { method: string; baseString: string; signature: string }[];
  /** Seed for the property round trips (the runner prints it on failure). */
  readonly seed: number;
}

/** One check's outcome. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
}

type Pair = readonly [string, string];

/** The parts of rfc5849.json the suite uses. */
export interface Vectors {
  readonly base_strings: readonly {
    source: string;
    method: string;
    uri: string;
    params: Pair[];
    base_string: string;
  }[];
  readonly hmac: readonly {
    source: string;
    method: string;
    consumer_secret: string;
    token_secret: string;
    base_string: string;
    signature: string;
  }[];
  readonly plaintext: readonly {
    source: string;
    consumer_secret: string;
    token_secret: string;
    signature: string;
  }[];
  readonly rsa: readonly {
    source: string;
    method: string;
    http_method: string;
    url: string;
    params: Pair[];
    base_string: string;
    signature: string;
  }[];
  readonly flows: readonly {
    source: string;
    step: string;
    method: string;
    url: string;
    params: Pair[];
    consumer_secret: string;
    token_secret: string;
    base_string: string;
    signature: string;
  }[];
}

class CheckFailed extends Error {}

function equal(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) {
    throw new CheckFailed(
      `${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`,
    );
  }
}

/** Collects checks; each runs in isolation, so one failure does not hide the others. */
export class Checks {
  readonly results: CheckResult[] = [];

  async check(name: string, body: () => unknown): Promise<void> {
    try {
      await body();
      this.results.push({ name, ok: true });
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      this.results.push({ name, ok: false, error });
    }
  }
}

export { equal };

/** A small seeded generator (mulberry32), so every runtime sees the same cases. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [
  'a',
  'Z',
  '0',
  '-',
  '.',
  '_',
  '~',
  ' ',
  '%',
  '&',
  '=',
  '+',
  '/',
  '?',
  'é',
  '✈',
  '😀',
];

function text(next: () => number, max: number): string {
  let s = '';
  const n = Math.floor(next() * (max + 1));
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(next() * ALPHABET.length)]!;
  return s;
}

const HMAC_METHODS = ['HMAC-SHA1', 'HMAC-SHA256', 'HMAC-SHA512'];
const RSA_METHODS = ['RSA-SHA1', 'RSA-SHA256', 'RSA-SHA512'];

/** Runs every check of the core suite against `core`. */
export async function coreSuite(core: CoreModule, input: ConformanceInput): Promise<CheckResult[]> {
  const c = new Checks();
  const v = input.vectors;
  const { keys } = input;

  for (const b of v.base_strings) {
    await c.check(`base string: ${b.source}`, () => {
      equal(core.signatureBaseString(b.method, b.uri, b.params), b.base_string, 'base string');
    });
  }

  for (const h of v.hmac) {
    const method = core.defaultSignatureMethods.require(h.method);
    const k = { consumerSecret: h.consumer_secret, tokenSecret: h.token_secret };
    await c.check(`${h.method} vector, sync: ${h.source}`, () => {
      equal(method.sign(h.base_string, k), h.signature, 'signature');
      equal(method.verify(h.base_string, h.signature, k), true, 'verify');
    });
    await c.check(`${h.method} vector, async: ${h.source}`, async () => {
      equal(await method.signAsync?.(h.base_string, k), h.signature, 'signature');
      equal(await method.verifyAsync?.(h.base_string, h.signature, k), true, 'verify');
      equal(await method.verifyAsync?.(`${h.base_string}x`, h.signature, k), false, 'tampered');
    });
  }

  for (const p of v.plaintext) {
    await c.check(`PLAINTEXT vector: ${p.source}`, async () => {
      const k = { consumerSecret: p.consumer_secret, tokenSecret: p.token_secret };
      equal(await core.PLAINTEXT.signAsync?.('', k), p.signature, 'signature');
      equal(core.PLAINTEXT.sign('', k), p.signature, 'sync signature');
    });
  }

  for (const f of v.flows) {
    await c.check(`flow ${f.step}, signRequestAsync: ${f.source}`, async () => {
      const oauth = new Map(f.params);
      // The vector lists every signed parameter; the URL's query is signed from the URL.
      const query = new Set(
        core.parseFormEncoded(new URL(f.url).search.slice(1)).map(([n, x]) => `${n}=${x}`),
      );
      const others = f.params.filter(
        ([n, x]) => !n.startsWith('oauth_') && !query.has(`${n}=${x}`),
      );
      const signed = await core.signRequestAsync({
        method: f.method,
        url: f.url,
        params: others,
        consumerKey: oauth.get('oauth_consumer_key') ?? '',
        consumerSecret: f.consumer_secret,
        tokenSecret: f.token_secret,
        ...(oauth.has('oauth_token') ? { token: oauth.get('oauth_token') ?? '' } : {}),
        ...(oauth.has('oauth_callback') ? { callback: oauth.get('oauth_callback') ?? '' } : {}),
        ...(oauth.has('oauth_verifier') ? { verifier: oauth.get('oauth_verifier') ?? '' } : {}),
        signatureMethod: oauth.get('oauth_signature_method') ?? 'HMAC-SHA1',
        timestamp: oauth.get('oauth_timestamp') ?? '',
        nonce: oauth.get('oauth_nonce') ?? '',
        version: oauth.has('oauth_version'),
      });
      equal(signed.baseString, f.base_string, 'base string');
      equal(signed.signature, f.signature, 'signature');
      const params: Pair[] = [...f.params, ['oauth_signature', f.signature]];
      const ok = await core.verifySignatureAsync({
        method: f.method,
        url: f.url,
        params,
        signatureMethod: oauth.get('oauth_signature_method') ?? 'HMAC-SHA1',
        signature: f.signature,
        keys: { consumerSecret: f.consumer_secret, tokenSecret: f.token_secret },
      });
      equal(ok, true, 'verifySignatureAsync');
    });
  }

  for (const r of v.rsa) {
    const oauth = new Map(r.params);
    const others = r.params.filter(([n]) => !n.startsWith('oauth_'));
    const sign = (privateKey: string) =>
      core.signRequestAsync({
        method: r.http_method,
        url: r.url,
        params: others,
        consumerKey: oauth.get('oauth_consumer_key') ?? '',
        privateKey,
        signatureMethod: r.method,
        timestamp: oauth.get('oauth_timestamp') ?? '',
        nonce: oauth.get('oauth_nonce') ?? '',
        version: oauth.has('oauth_version'),
      });
    const verify = (publicKey: string, signature: string) =>
      core.verifySignatureAsync({
        method: r.http_method,
        url: r.url,
        params: r.params,
        signatureMethod: r.method,
        signature,
        keys: { publicKey },
      });
    for (const [format, pem] of [
      ['PKCS#8', keys.pkcs8],
      ['PKCS#1', keys.pkcs1],
    ] as const) {
      await c.check(`${r.method} vector, sign with a ${format} key: ${r.source}`, async () => {
        const signed = await sign(pem);
        equal(signed.baseString, r.base_string, 'base string');
        equal(signed.signature, r.signature, 'signature');
      });
    }
    for (const [format, pem] of [
      ['SPKI', keys.spki],
      ['PKCS#1 public', keys.pkcs1Public],
      ['X.509 certificate', keys.certificate],
      ['PKCS#8 private', keys.pkcs8],
    ] as const) {
      await c.check(`${r.method} vector, verify with a ${format} key: ${r.source}`, async () => {
        equal(await verify(pem, r.signature), true, 'valid signature');
        const bad = (r.signature[0] === 'A' ? 'B' : 'A') + r.signature.slice(1);
        equal(await verify(pem, bad), false, 'altered signature');
        equal(await verify(pem, `${r.signature} `), false, 'non-canonical base64');
      });
    }
  }

  for (const k of input.rsaKnownAnswers) {
    await c.check(`${k.method} known answer, signed and verified asynchronously`, async () => {
      const method = core.defaultSignatureMethods.require(k.method);
      equal(
        await method.signAsync?.(k.baseString, { privateKey: keys.pkcs1 }),
        k.signature,
        'signature',
      );
      const verify = (baseString: string) =>
        method.verifyAsync?.(baseString, k.signature, { publicKey: keys.spki });
      equal(await verify(k.baseString), true, 'verifies');
      equal(await verify(`${k.baseString}&`), false, 'another base string does not');
    });
  }

  await c.check(
    'RSA-SHA256 with Web Crypto CryptoKeys (PKCS#8 to sign, SPKI to verify)',
    async () => {
      const der = (pem: string) => {
        const text = atob(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''));
        return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
      };
      const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
      const privateKey = await crypto.subtle.importKey('pkcs8', der(keys.pkcs8), algorithm, false, [
        'sign',
      ]);
      const publicKey = await crypto.subtle.importKey('spki', der(keys.spki), algorithm, false, [
        'verify',
      ]);
      const known = input.rsaKnownAnswers.find((k) => k.method === 'RSA-SHA256');
      if (known === undefined) throw new CheckFailed('no RSA-SHA256 known answer');
      const method = core.defaultSignatureMethods.require('RSA-SHA256');
      equal(
        await method.signAsync?.(known.baseString, { privateKey }),
        known.signature,
        'signature',
      );
      equal(
        await method.verifyAsync?.(known.baseString, known.signature, { publicKey }),
        true,
        'verifies',
      );
      if (core.cryptoBackendName === 'web') {
        // A key for another hash (or use) is refused, not used for the wrong method.
        let code: unknown;
        try {
          await core.defaultSignatureMethods.require('RSA-SHA512').signAsync?.('x', { privateKey });
        } catch (e) {
          code = e instanceof core.OAuthError ? e.code : e;
        }
        equal(code, 'ERR_OAUTH_KEY', 'a SHA-256 key for RSA-SHA512');
      }
    },
  );

  await c.check('an unreadable RSA key is ERR_OAUTH_KEY on the async path', async () => {
    let code: unknown;
    try {
      await core.signRequestAsync({
        method: 'GET',
        url: 'https://example.com/',
        consumerKey: 'k',
        privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
        signatureMethod: 'RSA-SHA256',
      });
    } catch (e) {
      code = e instanceof core.OAuthError ? e.code : e;
    }
    equal(code, 'ERR_OAUTH_KEY', 'error code');
  });

  await c.check('body hash (Body Hash 1.0 example)', () => {
    equal(core.bodyHash('Hello World!', 'sha1'), 'Lve95gjOVATpfV8EL5X4nxwjKHE=', 'sha1');
    equal(
      core.verifyBodyHash(new Uint8Array(0), 'sha256', core.bodyHash('', 'sha256')),
      true,
      'empty',
    );
  });

  await c.check('nonces are 32 hex characters from the CSPRNG, all distinct', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const n = core.generateNonce();
      if (!/^[0-9a-f]{32}$/.test(n)) throw new CheckFailed(`bad nonce ${n}`);
      seen.add(n);
    }
    equal(seen.size, 1000, 'distinct nonces');
  });

  // Property round trips over seeded random requests: whatever is signed verifies, the
  // synchronous and asynchronous paths agree, the header parses back to what was signed.
  const next = random(input.seed);
  for (let i = 0; i < 40; i++) {
    const method = [...HMAC_METHODS, 'PLAINTEXT'][i % 4]!;
    await c.check(`round trip #${i} (${method}, seed ${input.seed})`, async () => {
      const params: Pair[] = [];
      for (let j = Math.floor(next() * 4); j > 0; j--) params.push([text(next, 6), text(next, 8)]);
      const url = `https://api.example.com/${encodeURIComponent(text(next, 5))}?q=${encodeURIComponent(text(next, 5))}`;
      const options = {
        method: next() < 0.5 ? 'GET' : 'POST',
        url,
        params,
        consumerKey: text(next, 10) || 'k',
        consumerSecret: text(next, 12),
        token: text(next, 10),
        tokenSecret: text(next, 12),
        signatureMethod: method,
        realm: 'Example',
      };
      const signed = await core.signRequestAsync(options);
      const sync = core.signRequest({
        ...options,
        nonce: signed.oauthParams.find(([n]) => n === 'oauth_nonce')?.[1] ?? '',
        timestamp: signed.oauthParams.find(([n]) => n === 'oauth_timestamp')?.[1] ?? '',
      });
      equal(sync.authorization, signed.authorization, 'sync and async agree');
      const header = core.parseAuthorizationHeader(signed.authorization);
      equal(JSON.stringify(header.params), JSON.stringify(signed.oauthParams), 'header round trip');
      equal(header.realm, 'Example', 'realm');
      const all: Pair[] = [...core.parseFormEncoded(new URL(url).search.slice(1)), ...params];
      const verifyOptions = {
        method: options.method,
        url,
        params: [...all, ...signed.oauthParams],
        signatureMethod: method,
        signature: signed.signature,
        keys: { consumerSecret: options.consumerSecret, tokenSecret: options.tokenSecret },
      };
      equal(await core.verifySignatureAsync(verifyOptions), true, 'verifySignatureAsync');
      equal(core.verifySignature(verifyOptions), true, 'verifySignature');
      const wrong = { ...verifyOptions, keys: { ...verifyOptions.keys, tokenSecret: 'x' } };
      equal(await core.verifySignatureAsync(wrong), false, 'wrong secret refused');
      const form = core.formEncode(params);
      equal(JSON.stringify(core.parseFormEncoded(form)), JSON.stringify(params), 'form round trip');
    });
  }
  for (const method of RSA_METHODS) {
    await c.check(
      `round trip ${method} through signRequestAsync / verifySignatureAsync`,
      async () => {
        const url = `https://api.example.com/r?x=${encodeURIComponent(text(next, 6))}`;
        const signed = await core.signRequestAsync({
          method: 'POST',
          url,
          consumerKey: 'rsa-consumer',
          privateKey: keys.pkcs8,
          signatureMethod: method,
        });
        const verifyOptions = {
          method: 'POST',
          url,
          params: [...core.parseFormEncoded(new URL(url).search.slice(1)), ...signed.oauthParams],
          signatureMethod: method,
          signature: signed.signature,
          keys: { publicKey: keys.certificate },
        };
        equal(await core.verifySignatureAsync(verifyOptions), true, 'verifies');
        const other = { ...verifyOptions, method: 'PUT' };
        equal(await core.verifySignatureAsync(other), false, 'another request does not');
      },
    );
  }

  if (core.cryptoBackendName === 'web') {
    await c.check('the portable build has no synchronous RSA, and says so', () => {
      let code: unknown;
      try {
        core.signRequest({
          method: 'GET',
          url: 'https://example.com/',
          consumerKey: 'k',
          privateKey: keys.pkcs8,
          signatureMethod: 'RSA-SHA1',
        });
      } catch (e) {
        code = e instanceof core.OAuthError ? e.code : e;
      }
      equal(code, 'ERR_OAUTH_KEY', 'error code');
    });
  }
  return c.results;
}
