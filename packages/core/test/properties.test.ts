// Properties of @signet/core's codecs, checked with fast-check over random input: whatever
// goes through a serialiser comes back out of its parser, and the parsers fail only with
// OAuthError. On failure fast-check prints the seed and the shrunk counterexample.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseGeneral } from '../src/authorization_header.js';
import {
  baseStringUri,
  collectParameters,
  formEncode,
  HMAC_SHA1,
  HMAC_SHA256,
  HMAC_SHA512,
  isOAuthAuthorization,
  normalizeParameters,
  OAuthError,
  type OAuthErrorCode,
  type Param,
  parseAuthorizationHeader,
  parseFormEncoded,
  percentDecode,
  percentEncode,
  serializeAuthorizationHeader,
  signatureBaseString,
  signedParameters,
  signingKey,
  signRequest,
} from '../src/index.js';

const RUNS = 1000;

// Characters that break naive encoders and parsers, and fragments of escapes.
const TRICKY = [
  '!',
  '*',
  "'",
  '(',
  ')',
  '+',
  '%',
  '=',
  '&',
  '"',
  ',',
  ' ',
  '\\',
  ';',
  '~',
  '%20',
  '%2',
  '%%',
  '+%',
  '\t',
  '\n',
  '\u0000',
];

/** One "character" of test text: tricky ASCII, printable ASCII, or any Unicode code point. */
const unit = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('é', '日本', '😀', '\u{10FFFF}', '\uFEFF', '\u00A0') },
);

/** Text: full Unicode without lone surrogates, empty strings included. */
const text = fc.string({ unit, maxLength: 12 });

/** A header parameter name: an auth-param needs one character at least, and `realm` is not one. */
const headerName = fc
  .string({ unit, minLength: 1, maxLength: 12 })
  .filter((s) => s.toLowerCase() !== 'realm');

/** A realm: printable ASCII (quotes and backslashes included, which must be escaped). */
const realm = fc.string({ unit: 'grapheme-ascii', maxLength: 20 });

const paramList = (name: fc.Arbitrary<string>): fc.Arbitrary<Param[]> =>
  fc.array(fc.tuple(name, text), { maxLength: 10 });

const HEADER_CODES: ReadonlySet<OAuthErrorCode> = new Set([
  'ERR_OAUTH_HEADER',
  'ERR_OAUTH_ENCODING',
]);
const FORM_CODES: ReadonlySet<OAuthErrorCode> = new Set(['ERR_OAUTH_ENCODING']);

/** Runs `f`; if it throws, the error must be an OAuthError with one of `codes`. */
function throwsOnlyOAuthError<T>(f: () => T, codes: ReadonlySet<OAuthErrorCode>): T | undefined {
  try {
    return f();
  } catch (error) {
    assert.ok(error instanceof OAuthError, `threw a non-OAuthError: ${String(error)}`);
    assert.ok(codes.has(error.code), `unexpected code ${error.code}`);
    return undefined;
  }
}

function assertParams(params: unknown): void {
  assert.ok(Array.isArray(params));
  for (const p of params) {
    assert.ok(Array.isArray(p) && p.length === 2);
    assert.equal(typeof p[0], 'string');
    assert.equal(typeof p[1], 'string');
  }
}

describe('RFC 5849 §3.6 percent-encoding', () => {
  it('percentDecode(percentEncode(x)) === x for any Unicode text', () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.string({ unit: 'binary', maxLength: 40 })), (s) => {
        assert.equal(percentDecode(percentEncode(s)), s);
      }),
      { numRuns: RUNS },
    );
  });

  it('encodes every UTF-8 byte outside the unreserved set as %XX with upper-case hex', () => {
    // Reference: the definition in §3.6, byte by byte.
    const reference = (s: string): string => {
      let out = '';
      for (const byte of Buffer.from(s, 'utf8')) {
        const c = String.fromCharCode(byte);
        out += /[A-Za-z0-9\-._~]/.test(c)
          ? c
          : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
      }
      return out;
    };
    fc.assert(
      fc.property(text, (s) => {
        assert.equal(percentEncode(s), reference(s));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('RFC 5849 §3.5.1 Authorization header: serialise then parse', () => {
  it('gives back the parameters, in order, without a realm', () => {
    fc.assert(
      fc.property(paramList(headerName), (params) => {
        const parsed = parseAuthorizationHeader(serializeAuthorizationHeader(params));
        assert.deepEqual(parsed, { realm: undefined, params });
      }),
      { numRuns: RUNS },
    );
  });

  it('gives back the parameters and a printable-ASCII realm', () => {
    fc.assert(
      fc.property(paramList(headerName), realm, (params, r) => {
        const parsed = parseAuthorizationHeader(serializeAuthorizationHeader(params, r));
        assert.deepEqual(parsed, { realm: r, params });
      }),
      { numRuns: RUNS },
    );
  });

  it('gives back the same whatever the spacing, scheme case and empty list elements', () => {
    const space = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 3 });
    const separator = fc
      .tuple(space, fc.array(space, { minLength: 1, maxLength: 3 }))
      .map(([before, after]) => before + after.map((a) => ',' + a).join(''));
    const pair = fc.tuple(headerName, text, space, space);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(pair, separator), { maxLength: 8 }),
        fc.constantFrom('OAuth', 'oauth', 'OAUTH', 'oAuTh'),
        space,
        (pairs, scheme, lead) => {
          let header = lead + scheme + ' ';
          for (const [[name, value, s1, s2], sep] of pairs) {
            header += `${percentEncode(name)}${s1}=${s2}"${percentEncode(value)}"${sep}`;
          }
          const parsed = parseAuthorizationHeader(header);
          assert.deepEqual(
            parsed.params,
            pairs.map(([[name, value]]) => [name, value]),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('RFC 5849 §3.4.1.3.1 form-encoded parameters: serialise then parse', () => {
  it('gives back the parameters, in order, repeated and empty names kept', () => {
    const name = fc.oneof(text, fc.constantFrom('a', 'a', ''));
    fc.assert(
      fc.property(paramList(name), (params) => {
        assert.deepEqual(parseFormEncoded(formEncode(params)), params);
      }),
      { numRuns: RUNS },
    );
  });

  it('reads + as a space, as HTML forms send it', () => {
    fc.assert(
      fc.property(paramList(text), (params) => {
        const plus = formEncode(params).replaceAll('%20', '+');
        assert.deepEqual(parseFormEncoded(plus), params);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('parsers fail only with OAuthError, whatever they are given', () => {
  // Text from the header's own alphabet, so that random input gets past the first checks.
  const headerish = fc.string({
    unit: fc.oneof(
      fc.constantFrom(
        'OAuth ',
        'realm',
        'oauth_token',
        '=',
        '"',
        '\\',
        ',',
        ' ',
        '\t',
        '%',
        '%4',
        '%41',
        '%C3',
        '%C3%A9',
        '%FF',
        '%ED%A0%80',
        '%ZZ',
        '+',
        ';',
        '\r\n',
      ),
      fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }),
      // Any UTF-16 code unit, lone surrogates included.
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    ),
    maxLength: 60,
  });
  const randomHeader = fc.oneof(
    headerish,
    headerish.map((s) => 'OAuth ' + s),
    fc.string({ unit: 'binary', maxLength: 60 }),
  );

  /** Valid headers with random edits: insert, delete, replace, truncate. */
  const mutatedHeader = fc
    .tuple(
      paramList(headerName),
      fc.option(realm, { nil: undefined }),
      fc.array(
        fc.tuple(
          fc.constantFrom('insert', 'delete', 'replace', 'truncate'),
          fc.nat(),
          fc.nat({ max: 4 }),
          headerish,
        ),
        { minLength: 1, maxLength: 4 },
      ),
    )
    .map(([params, r, edits]) => {
      let s = serializeAuthorizationHeader(params, r);
      for (const [op, at, len, insert] of edits) {
        const i = at % (s.length + 1);
        if (op === 'insert') s = s.slice(0, i) + insert + s.slice(i);
        else if (op === 'delete') s = s.slice(0, i) + s.slice(i + len);
        else if (op === 'replace') s = s.slice(0, i) + insert.slice(0, len) + s.slice(i + len);
        else s = s.slice(0, i);
      }
      return s;
    });

  it('parseAuthorizationHeader on random strings', () => {
    fc.assert(
      fc.property(randomHeader, (s) => {
        const parsed = throwsOnlyOAuthError(() => parseAuthorizationHeader(s), HEADER_CODES);
        if (parsed !== undefined) assertParams(parsed.params);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('parseAuthorizationHeader on mutated valid headers', () => {
    fc.assert(
      fc.property(mutatedHeader, (s) => {
        const parsed = throwsOnlyOAuthError(() => parseAuthorizationHeader(s), HEADER_CODES);
        if (parsed !== undefined) assertParams(parsed.params);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  // parseAuthorizationHeader takes a fast path for what clients usually send; the general
  // parser must agree with it on everything, errors included.
  const outcome = (parse: () => unknown): unknown => {
    try {
      return parse();
    } catch (error) {
      assert.ok(error instanceof OAuthError);
      return { code: error.code, message: error.message };
    }
  };
  const anyHeader = fc.oneof(
    mutatedHeader,
    randomHeader.map((s) => `OAuth ${s}`),
    fc
      .tuple(paramList(headerName), fc.option(realm, { nil: undefined }))
      .map(([params, r]) => serializeAuthorizationHeader(params, r)),
  );

  it('parseAuthorizationHeader agrees with the general parser', () => {
    fc.assert(
      fc.property(anyHeader, (s) => {
        if (!isOAuthAuthorization(s)) return;
        assert.deepEqual(
          outcome(() => parseAuthorizationHeader(s)),
          outcome(() => parseGeneral(s)),
        );
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('parseAuthorizationHeader on values that are not strings, and on huge headers', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        throwsOnlyOAuthError(() => parseAuthorizationHeader(v as string), HEADER_CODES);
      }),
      { numRuns: RUNS },
    );
    const huge = 'OAuth ' + 'a="b", '.repeat(5000);
    assert.throws(
      () => parseAuthorizationHeader(huge),
      (e: unknown) => e instanceof OAuthError && e.code === 'ERR_OAUTH_HEADER',
    );
  });

  it('parseFormEncoded on random strings', () => {
    fc.assert(
      fc.property(fc.oneof(headerish, fc.string({ unit: 'binary', maxLength: 60 })), (s) => {
        const parsed = throwsOnlyOAuthError(() => parseFormEncoded(s), FORM_CODES);
        if (parsed !== undefined) assertParams(parsed);
      }),
      { numRuns: RUNS * 3 },
    );
  });
});

describe('RFC 5849 §3.4.1.3.2 normalisation', () => {
  // Reference: encode, sort by name then value in byte order (the encoded text is ASCII,
  // so code-unit order is byte order), join.
  const reference = (params: readonly Param[]): string =>
    params
      .map(([n, v]) => [percentEncode(n), percentEncode(v)] as const)
      .sort(([n1, v1], [n2, v2]) => (n1 < n2 ? -1 : n1 > n2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
      .map(([n, v]) => `${n}=${v}`)
      .join('&');

  // Shared names make ties on name, decided by value.
  const name = fc.oneof(text, fc.constantFrom('a', 'a-', 'a.b', 'A', 'oauth_signature'));
  const listAndPermutation = paramList(name).chain((params) =>
    fc.tuple(
      fc.constant(params),
      fc.shuffledSubarray(params, { minLength: params.length, maxLength: params.length }),
    ),
  );

  it('is independent of parameter order', () => {
    fc.assert(
      fc.property(listAndPermutation, ([params, shuffled]) => {
        assert.equal(normalizeParameters(shuffled), normalizeParameters(params));
        assert.equal(
          signatureBaseString('POST', 'http://example.com/', shuffled),
          signatureBaseString('POST', 'http://example.com/', params),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('sorts by encoded name, then encoded value, in byte order', () => {
    fc.assert(
      fc.property(paramList(name), (params) => {
        assert.equal(normalizeParameters(params), reference(params));
      }),
      { numRuns: RUNS },
    );
  });

  it('leaves oauth_signature out of the base string, and encodes the rest once more', () => {
    fc.assert(
      fc.property(paramList(name), (params) => {
        const kept = params.filter(([n]) => n !== 'oauth_signature');
        assert.equal(
          signatureBaseString('GET', 'http://example.com/', params),
          `GET&http%3A%2F%2Fexample.com%2F&${percentEncode(reference(kept))}`,
        );
      }),
      { numRuns: RUNS },
    );
  });
});

describe('RFC 2104 HMAC, as the HMAC methods compute it', () => {
  // The methods build HMAC from one-shot hashes; node:crypto's Hmac is the reference. Keys
  // around and beyond the block size (64 or 128 bytes, hashed first when longer) and base
  // strings around and beyond the internal buffer's sizes (4 KiB, 64 KiB) are the edges.
  const secret = fc.oneof(
    fc.string({ unit: 'grapheme-ascii', maxLength: 70 }),
    fc.string({ unit, maxLength: 12 }),
    fc.integer({ min: 0, max: 300 }).map((n) => 'k'.repeat(n)),
  );
  const data = fc.oneof(
    fc.string({ unit: 'grapheme-ascii', maxLength: 400 }),
    fc.constantFrom(4031, 4032, 4033, 4096, 65_472, 65_537, 200_000).map((n) => 'x'.repeat(n)),
  );
  const methods = [
    [HMAC_SHA1, 'sha1'],
    [HMAC_SHA256, 'sha256'],
    [HMAC_SHA512, 'sha512'],
  ] as const;

  it('equals createHmac for any secrets and any base string', () => {
    fc.assert(
      fc.property(secret, secret, data, (consumerSecret, tokenSecret, baseString) => {
        const keys = { consumerSecret, tokenSecret };
        const key = signingKey(keys);
        for (const [method, algorithm] of methods) {
          const expected = createHmac(algorithm, key).update(baseString).digest('base64');
          assert.equal(method.sign(baseString, keys), expected, method.name);
          assert.ok(method.verify(baseString, expected, keys));
          assert.ok(!method.verify(`${baseString}x`, expected, keys));
        }
      }),
      { numRuns: RUNS / 2 },
    );
  });
});

describe('signRequest signs the base string of what it sends', () => {
  it('equals signatureBaseString over its protocol, query and form parameters', () => {
    const query = fc.array(fc.tuple(text, text), { maxLength: 4 });
    fc.assert(
      fc.property(query, paramList(text), text, (queryParams, params, token) => {
        const url = `https://example.com/p?${formEncode(queryParams)}`;
        const signed = signRequest({
          method: 'POST',
          url,
          params,
          consumerKey: 'key',
          consumerSecret: 'secret',
          token,
          tokenSecret: 'token secret',
        });
        const expected = signatureBaseString('POST', url, [
          ...signed.oauthParams,
          ...queryParams,
          ...params,
        ]);
        assert.equal(signed.baseString, expected);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('RFC 5849 §3.4.1.2 base string URI inside the base string', () => {
  // signatureBaseString remembers encoded URIs by the URL before its query; whatever it
  // remembered, the result must be what baseStringUri says for this very URL.
  const url = fc
    .record({
      scheme: fc.constantFrom('http', 'https', 'HTTP', 'Https'),
      host: fc.constantFrom('example.com', 'EXAMPLE.com', 'a.b', '[::1]', '127.0.0.1'),
      port: fc.constantFrom('', ':80', ':443', ':8080', ':0080'),
      path: fc.constantFrom('', '/', '/a', '/a/b%20c', '/A?', '/p#', '/x#y?z'),
      query: fc.constantFrom('', '?', '?a=1', '?a=1#f', '#f?a=1', '?b=2&c'),
    })
    .map(({ scheme, host, port, path, query }) => `${scheme}://${host}${port}${path}${query}`);

  it('is baseStringUri of the URL, called once or again', () => {
    fc.assert(
      fc.property(url, url, (a, b) => {
        for (const u of [a, b, a]) {
          assert.equal(
            signatureBaseString('GET', u, []),
            `GET&${percentEncode(baseStringUri(u))}&`,
            u,
          );
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('stays right past the bound on remembered URIs', () => {
    for (let i = 0; i < 600; i++) {
      const u = `https://example.com/${i % 300}?q=${i}`;
      assert.equal(
        signatureBaseString('POST', u, [['q', String(i)]]),
        `POST&https%3A%2F%2Fexample.com%2F${i % 300}&q%3D${i}`,
      );
    }
  });
});

describe('the base string of parsed parameters', () => {
  // The parser tells the base string which values need no encoding; the list may have been
  // changed since, and the base string must still be that of what the list holds.
  const edit = fc.tuple(fc.constantFrom('replace', 'insert', 'remove', 'none'), fc.nat(), text);

  it('is the base string of the same parameters in a list built afresh', () => {
    fc.assert(
      fc.property(paramList(headerName), edit, (params, [op, at, value]) => {
        const list = signedParameters(
          collectParameters({
            method: 'GET',
            url: 'https://example.com/?q=1',
            authorization: serializeAuthorizationHeader(params),
          }),
        );
        const i = at % (list.length + 1);
        if (op === 'replace' && i < list.length) list[i] = [list[i]![0], value];
        else if (op === 'insert') list.splice(i, 0, ['x', value]);
        else if (op === 'remove') list.splice(i, 1);
        const fresh = list.map(([n, v]): Param => [n, v]);
        assert.equal(
          signatureBaseString('GET', 'https://example.com/', list),
          signatureBaseString('GET', 'https://example.com/', fresh),
        );
      }),
      { numRuns: RUNS },
    );
  });
});
