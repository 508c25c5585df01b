// Operations over HTTP: /healthz, /metrics after real traffic, and structured logs that never
// carry a secret, a signature or an Authorization value, through a full flow that includes
// PLAINTEXT (whose signature is the secrets themselves).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  type Creds,
  call,
  form,
  type Running,
  review,
  seed,
  signed,
  startProvider,
} from './http_harness.js';

describe('health, metrics and logs (sqlite)', () => {
  let r: Running;
  const lines: string[] = [];
  /** Everything that must never be logged. */
  const secrets = new Set<string>();
  const remember = (...values: (string | undefined | null)[]) => {
    for (const v of values) if (v && v.length >= 8) secrets.add(v);
  };

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    // No redaction here: the app itself must keep credentials out of what it logs.
    const logger = pino({ level: 'trace' }, sink);
    r = await startProvider({ logger, env: { SIGNET_ALLOW_INSECURE_PLAINTEXT: 'true' } });
    await seed(r.store);
  });
  after(async () => {
    await r?.close();
  });

  /** Sends a signed request, remembering its credentials and what carries them. */
  async function send(url: string, creds: Creds, opts: Parameters<typeof signed>[2] = {}) {
    remember(creds.consumerSecret, creds.tokenSecret, opts.verifier);
    const s = signed(url, creds, opts);
    const headers = s.init.headers as Record<string, string>;
    remember(headers['authorization']);
    for (const source of [new URL(s.url).search.slice(1), String(s.init.body ?? '')]) {
      const sig = new URLSearchParams(source).get('oauth_signature');
      remember(sig, sig && encodeURIComponent(sig));
    }
    const m = /oauth_signature="([^"]*)"/.exec(headers['authorization'] ?? '');
    remember(m?.[1], m?.[1] && decodeURIComponent(m[1]));
    const a = await call(s.url, s.init);
    return a;
  }

  it('/healthz answers ok', async () => {
    const a = await call(`${r.base}/healthz`);
    assert.equal(a.status, 200);
    assert.deepEqual(JSON.parse(a.text), { status: 'ok' });
    assert.equal(a.headers.get('cache-control'), 'no-store');
  });

  it('a full flow, failures included, logs no secret, signature or Authorization value', async () => {
    // Launchpad flavour, PLAINTEXT in the query of GETs: the signature is in the URL.
    const open = { consumerKey: 'log test app', consumerSecret: '' };
    const rt = await send(`${r.base}/+request-token`, open, {
      signatureMethod: 'PLAINTEXT',
      placement: 'query',
    });
    assert.equal(rt.status, 200, rt.text);
    const t = form(rt.text);
    remember(t['oauth_token_secret']);
    const lpRequest = { ...open, token: t['oauth_token']!, tokenSecret: t['oauth_token_secret']! };
    const early = await send(`${r.base}/+access-token`, lpRequest, {
      signatureMethod: 'PLAINTEXT',
      placement: 'query',
    });
    assert.equal(early.status, 401);
    await review(r, t['oauth_token']!, 'WRITE_PRIVATE');
    const bad = await send(
      `${r.base}/+access-token`,
      { ...lpRequest, tokenSecret: `${lpRequest.tokenSecret}typo` },
      { signatureMethod: 'PLAINTEXT', placement: 'query' },
    );
    assert.equal(bad.status, 401);
    const at = await send(`${r.base}/+access-token`, lpRequest, {
      signatureMethod: 'PLAINTEXT',
      placement: 'query',
    });
    assert.equal(at.status, 200, at.text);
    const lp = form(at.text);
    remember(lp['oauth_token_secret']);
    const lpAccess = { ...open, token: lp['oauth_token']!, tokenSecret: lp['oauth_token_secret']! };
    for (const placement of ['query', 'header'] as const) {
      const who = await send(`${r.base}/api/1.0/whoami`, lpAccess, {
        signatureMethod: 'PLAINTEXT',
        placement,
      });
      assert.equal(who.status, 200, who.text);
    }
    const privateNote = await send(`${r.base}/api/1.0/notes`, lpAccess, {
      method: 'POST',
      signatureMethod: 'PLAINTEXT',
      placement: 'body',
      params: [
        ['title', 'a private note'],
        ['visibility', 'private'],
      ],
    });
    assert.equal(privateNote.status, 201, privateNote.text);

    // pump.io registration hands out a secret; the RFC flow with HMAC-SHA1 uses it.
    const reg = await call(`${r.base}/api/client/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'client_associate', application_name: 'log client' }),
    });
    assert.equal(reg.status, 200, reg.text);
    const client = JSON.parse(reg.text) as { client_id: string; client_secret: string };
    remember(client.client_secret);
    const c = { consumerKey: client.client_id, consumerSecret: client.client_secret };
    const rfcRt = await send(`${r.base}/oauth/request_token`, c, {
      method: 'POST',
      callback: 'http://127.0.0.1:9/cb',
    });
    assert.equal(rfcRt.status, 200, rfcRt.text);
    const rt2 = form(rfcRt.text);
    remember(rt2['oauth_token_secret']);
    const { verifier } = await review(r, rt2['oauth_token']!, 'READ_PRIVATE');
    const rfcReq = { ...c, token: rt2['oauth_token']!, tokenSecret: rt2['oauth_token_secret']! };
    const wrongVerifier = await send(`${r.base}/oauth/access_token`, rfcReq, {
      method: 'POST',
      verifier: 'not-the-verifier',
    });
    assert.equal(wrongVerifier.status, 401);
    const rfcAt = await send(`${r.base}/oauth/access_token`, rfcReq, { method: 'POST', verifier });
    assert.equal(rfcAt.status, 200, rfcAt.text);
    const at2 = form(rfcAt.text);
    remember(at2['oauth_token_secret']);
    const rfcAccess = { ...c, token: at2['oauth_token']!, tokenSecret: at2['oauth_token_secret']! };
    const notes = await send(`${r.base}/api/1.0/notes`, rfcAccess, { placement: 'query' });
    assert.equal(notes.status, 200, notes.text);
    const denied = await send(`${r.base}/api/1.0/notes`, rfcAccess, {
      method: 'POST',
      params: [['title', 'x']],
    });
    assert.equal(denied.status, 403);
    const forged = await send(`${r.base}/api/1.0/whoami`, {
      ...rfcAccess,
      tokenSecret: 'forged-secret',
    });
    assert.equal(forged.status, 401);
    // A broken Authorization header that quotes a secret.
    const broken = await call(`${r.base}/api/1.0/whoami`, {
      headers: { authorization: `OAuth oauth_signature="${client.client_secret}` },
    });
    assert.ok(broken.status >= 400 && broken.status < 500, broken.text);

    // Wait for pino's asynchronous writes of the last requests.
    await new Promise((resolve) => setImmediate(resolve));
    const log = lines.join('\n');
    // The log is not empty: one line per request, with route and status.
    const requests = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['msg'] === 'request');
    assert.ok(requests.length >= 15, `${requests.length} request lines`);
    assert.ok(requests.some((l) => l['route'] === '/+access-token' && l['status'] === 401));
    // Each request line is the logger's line with these fields, whatever writes it.
    for (const l of requests) {
      assert.deepEqual(Object.keys(l), [
        'level',
        'time',
        'pid',
        'hostname',
        'method',
        'route',
        'status',
        'ms',
        'msg',
      ]);
      assert.equal(l['level'], 30);
    }
    assert.ok(secrets.size >= 20, `${secrets.size} secrets collected`);
    for (const s of secrets) {
      assert.ok(!log.includes(s), `the log contains ${JSON.stringify(s.slice(0, 12))}...`);
    }
    assert.doesNotMatch(log, /oauth_signature|authorization|OAuth /i);
  });

  it('/metrics counts requests by route and status, signature failures and tokens', async () => {
    const a = await call(`${r.base}/metrics`);
    assert.equal(a.status, 200);
    assert.match(a.headers.get('content-type') ?? '', /^text\/plain/);
    const value = (series: string): number => {
      const line = a.text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };
    // Exactly the traffic of the test above, on this provider's own registry.
    assert.equal(value('signet_http_requests_total{route="/api/1.0/whoami",status="200"}'), 2);
    assert.equal(value('signet_http_requests_total{route="/api/1.0/whoami",status="401"}'), 1);
    assert.ok(value('signet_http_requests_total{route="/api/1.0/whoami",status="400"}') >= 1);
    assert.equal(value('signet_http_requests_total{route="/+access-token",status="401"}'), 2);
    assert.equal(value('signet_http_requests_total{route="/+access-token",status="200"}'), 1);
    assert.equal(value('signet_http_requests_total{route="/api/1.0/notes",status="201"}'), 1);
    assert.equal(value('signet_http_requests_total{route="/api/1.0/notes",status="403"}'), 1);
    assert.equal(value('signet_http_requests_total{route="/healthz",status="200"}'), 1);
    assert.equal(value('signet_signature_failures_total{endpoint="api"}'), 1);
    assert.equal(value('signet_signature_failures_total{endpoint="token"}'), 1);
    assert.equal(value('signet_tokens_issued_total{kind="request"}'), 2);
    assert.equal(value('signet_tokens_issued_total{kind="access"}'), 2);
    assert.equal(value('signet_tokens_issued_total{kind="client"}'), 1);
    assert.match(a.text, /^# TYPE signet_http_requests_total counter$/m);
  });
});
