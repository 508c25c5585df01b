// Malformed input over raw sockets never gets a 500: broken Authorization headers, bad
// percent-encoding, non-UTF-8 bytes, duplicated and oversized parts, at every protocol, API
// and registration endpoint. Each answer is a 4xx with a body.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  call,
  grantAccess,
  type RawAnswer,
  type Running,
  rawRequest,
  seed,
  signed,
  signedCall,
  startProvider,
} from './http_harness.js';

type Header = readonly [string, string | Buffer];

interface Case {
  readonly name: string;
  readonly headers?: readonly Header[];
  /** Appended to the path. */
  readonly query?: string;
  readonly body?: Buffer;
  readonly contentType?: string;
}

const PLAINTEXT = 'oauth_signature_method="PLAINTEXT", oauth_signature="%26"';
const auth = (value: string | Buffer): Header => ['Authorization', value];

const CASES: readonly Case[] = [
  { name: 'empty OAuth header', headers: [auth('OAuth')] },
  { name: 'unterminated quote', headers: [auth('OAuth oauth_consumer_key="unterminated')] },
  { name: 'no quotes, stray commas', headers: [auth('OAuth oauth_consumer_key=bare,,, =, "x"')] },
  {
    name: 'bad percent-encoding in the header',
    headers: [auth(`OAuth oauth_consumer_key="%ZZ%", ${PLAINTEXT}`)],
  },
  {
    name: 'percent-encoded invalid UTF-8 in the header',
    headers: [auth(`OAuth oauth_consumer_key="%FF%FE%C0", ${PLAINTEXT}`)],
  },
  {
    name: 'raw latin-1 bytes in the header',
    headers: [auth(Buffer.from(`OAuth oauth_consumer_key="\xe9\xff\x80", ${PLAINTEXT}`, 'latin1'))],
  },
  {
    name: 'duplicated parameter',
    headers: [auth(`OAuth oauth_consumer_key="a", oauth_consumer_key="b", ${PLAINTEXT}`)],
  },
  {
    name: 'two Authorization headers',
    headers: [
      auth(`OAuth oauth_consumer_key="a", ${PLAINTEXT}`),
      auth(`OAuth oauth_consumer_key="b", ${PLAINTEXT}`),
    ],
  },
  { name: 'another scheme', headers: [auth('Basic YWxpY2U6c2VjcmV0')] },
  {
    name: 'unsupported method, version and timestamp',
    headers: [
      auth(
        'OAuth oauth_consumer_key="k", oauth_signature_method="MD5", oauth_version="2.0", oauth_timestamp="soon", oauth_nonce="n", oauth_signature="x"',
      ),
    ],
  },
  {
    name: 'an oversized nonce',
    headers: [
      auth(
        `OAuth oauth_consumer_key="k", oauth_signature_method="HMAC-SHA1", oauth_timestamp="${Math.floor(Date.now() / 1000)}", oauth_nonce="${'n'.repeat(5000)}", oauth_signature="x"`,
      ),
    ],
  },
  {
    name: 'bad percent-encoding in the query',
    query: 'oauth_consumer_key=%E0%A4%A&oauth_signature=%',
  },
  {
    name: 'invalid UTF-8 in the query',
    query: 'oauth_consumer_key=%FF&oauth_signature_method=PLAINTEXT&oauth_signature=%26',
  },
  {
    name: 'NUL and controls in the query',
    query: 'oauth_consumer_key=a%00b%0D%0A&oauth_signature_method=PLAINTEXT&oauth_signature=%26',
  },
  {
    name: 'parameters in the query and the header',
    query: 'oauth_consumer_key=k',
    headers: [auth(`OAuth oauth_consumer_key="k", ${PLAINTEXT}`)],
  },
  {
    name: 'ten thousand query parameters',
    query: Array.from({ length: 10_000 }, (_, i) => `p${i}=${i}`).join('&'),
  },
  {
    name: 'non-UTF-8 form body',
    contentType: 'application/x-www-form-urlencoded',
    body: Buffer.concat([
      Buffer.from('oauth_consumer_key='),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('&oauth_signature_method=PLAINTEXT&oauth_signature=%26&title='),
      Buffer.from([0x80, 0x81]),
    ]),
  },
  {
    name: 'bad percent-encoding in the form body',
    contentType: 'application/x-www-form-urlencoded; charset=utf-8',
    body: Buffer.from('oauth_consumer_key=%G1&oauth_signature=%&title=%%%'),
  },
  {
    name: 'a form body in an unexpected charset',
    contentType: 'application/x-www-form-urlencoded; charset=utf-16',
    body: Buffer.from('o\0a\0u\0t\0h\0=\0', 'latin1'),
  },
  {
    name: 'broken JSON body',
    contentType: 'application/json',
    body: Buffer.from('{"title": "x", "visibility": '),
  },
  {
    name: 'non-UTF-8 JSON body',
    contentType: 'application/json',
    body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
  },
  {
    name: 'a 12 kB Authorization header',
    headers: [auth(`OAuth oauth_consumer_key="${'k'.repeat(12_000)}", ${PLAINTEXT}`)],
  },
  {
    name: 'headers beyond what node:http accepts (20 kB)',
    headers: [['X-Filler', 'f'.repeat(20_000)]],
  },
];

const ENDPOINTS: readonly (readonly [string, string])[] = [
  ['GET', '/+request-token'],
  ['POST', '/+request-token'],
  ['GET', '/+access-token'],
  ['POST', '/+access-token'],
  ['POST', '/oauth/request_token'],
  ['POST', '/oauth/access_token'],
  ['GET', '/api/1.0/whoami'],
  ['GET', '/api/1.0/notes'],
  ['POST', '/api/1.0/notes'],
  ['GET', '/api/1.0/notes/1'],
  ['PUT', '/api/1.0/notes/1'],
  ['DELETE', '/api/1.0/notes/1'],
  ['POST', '/api/client/register'],
];

/** The raw bytes of a request. */
function build(port: number, method: string, path: string, c: Case): Buffer {
  const target = c.query === undefined ? path : `${path}?${c.query}`;
  const parts: Buffer[] = [
    Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`),
  ];
  for (const [name, value] of c.headers ?? []) {
    parts.push(Buffer.from(`${name}: `), Buffer.from(value), Buffer.from('\r\n'));
  }
  if (c.contentType !== undefined) parts.push(Buffer.from(`Content-Type: ${c.contentType}\r\n`));
  const body = c.body ?? Buffer.alloc(0);
  parts.push(Buffer.from(`Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body);
  return Buffer.concat(parts);
}

function clientError(a: RawAnswer, what: string): void {
  assert.ok(a.status >= 400 && a.status < 500, `${what}: ${a.status}\n${a.head}\n${a.body}`);
  assert.ok(a.body.length > 0, `${what}: ${a.status} without a body\n${a.head}`);
}

describe('malformed requests over raw sockets (sqlite)', () => {
  let r: Running;
  before(async () => {
    r = await startProvider();
    await seed(r.store);
    await r.store.createNote({ owner: 'alice', title: 't', body: '', visibility: 'public' });
  });
  after(async () => {
    await r?.close();
  });

  for (const c of CASES) {
    it(`${c.name}: a 4xx with a body at every endpoint`, async () => {
      for (const [method, path] of ENDPOINTS) {
        const a = await rawRequest(r.port, build(r.port, method, path, c));
        clientError(a, `${method} ${path}`);
      }
    });
  }

  it('repeated Authorization headers are refused, not judged on the first one', async () => {
    const two = CASES.find((c) => c.name === 'two Authorization headers')!;
    const a = await rawRequest(r.port, build(r.port, 'GET', '/+request-token', two));
    assert.equal(a.status, 400, a.head);
    assert.equal(
      new URLSearchParams(a.body).get('error_description'),
      'More than one Authorization header.',
    );
    // Either header alone would have been served (open consumers).
    const one: Case = { name: 'one', headers: [two.headers![0]!] };
    assert.equal(
      (await rawRequest(r.port, build(r.port, 'GET', '/+request-token', one))).status,
      200,
    );
  });

  it('signed notes requests with broken bodies get 400 {"error": ...}', async () => {
    const consumer = await r.store.createConsumer({ name: 'malformed bodies' });
    const creds = await grantAccess(r, consumer, 'WRITE_PRIVATE');
    const bodies: [string, Buffer][] = [
      ['application/json', Buffer.from('{"title": "x", "visibility": ')],
      ['application/json', Buffer.from('["a list"]')],
      ['application/json', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
      ['application/json', Buffer.from('{"title": "\xff\xfe"}', 'latin1')],
      ['application/json', Buffer.from('{"title": "x", "visibility": "secret"}')],
      ['application/json', Buffer.from('{"title": 42}')],
      ['application/json', Buffer.from('{"title": "x", "context": "nowhere"}')],
      ['text/plain', Buffer.from('title=x')],
    ];
    for (const method of ['POST', 'PUT'] as const) {
      for (const [type, body] of bodies) {
        const path = method === 'POST' ? '/api/1.0/notes' : '/api/1.0/notes/1';
        const s = signed(`${r.base}${path}`, creds, { method });
        const headers = { ...(s.init.headers as Record<string, string>), 'content-type': type };
        const a = await call(s.url, { method, headers, body });
        assert.equal(a.status, 400, `${method} ${type} ${body.toString('latin1')}: ${a.text}`);
        const e = JSON.parse(a.text) as Record<string, unknown>;
        assert.deepEqual(Object.keys(e), ['error']);
      }
    }
    // A signed form without a title.
    const untitled = await signedCall(`${r.base}/api/1.0/notes`, creds, {
      method: 'POST',
      params: [['body', 'no title']],
    });
    assert.equal(untitled.status, 400, untitled.text);
    assert.match((JSON.parse(untitled.text) as { error: string }).error, /title/);
  });

  it('a body over the limit: 413 with a body', async () => {
    const c: Case = {
      name: 'big',
      contentType: 'application/x-www-form-urlencoded',
      body: Buffer.alloc(1024 * 1024 + 10, 'a'),
    };
    for (const [method, path] of [
      ['POST', '/+request-token'],
      ['POST', '/api/1.0/notes'],
    ] as const) {
      const a = await rawRequest(r.port, build(r.port, method, path, c));
      assert.equal(a.status, 413, `${method} ${path}: ${a.head}`);
      assert.ok(a.body.length > 0);
    }
  });

  it('pages, discovery and health never answer 5xx to the same input', async () => {
    const others: readonly (readonly [string, string])[] = [
      ['GET', '/+authorize-token'],
      ['GET', '/oauth/authorize'],
      ['GET', '/.well-known/host-meta'],
      ['GET', '/.well-known/webfinger'],
      ['GET', '/healthz'],
      ['GET', '/no/such/page'],
    ];
    for (const c of CASES) {
      for (const [method, path] of others) {
        const a = await rawRequest(r.port, build(r.port, method, path, c));
        assert.ok(a.status >= 200 && a.status < 500, `${c.name}, ${path}: ${a.head}`);
      }
    }
    // And the provider still serves.
    const ok = await rawRequest(r.port, build(r.port, 'GET', '/healthz', { name: 'ok' }));
    assert.equal(ok.status, 200);
  });
});
