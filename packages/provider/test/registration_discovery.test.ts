// pump.io dynamic client registration and host-meta/WebFinger discovery over HTTP; a
// registered client then completes the RFC 5849 flow.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Answer,
  call,
  grantAccess,
  type Running,
  seed,
  signedCall,
  startProvider,
} from './http_harness.js';

const RELS = [
  'registration_endpoint',
  'http://apinamespace.org/oauth/request_token',
  'http://apinamespace.org/oauth/authorize',
  'http://apinamespace.org/oauth/access_token',
];

interface Link {
  rel: string;
  href: string;
}

function expectedLinks(base: string, registration = true): Link[] {
  const all = [
    { rel: RELS[0]!, href: `${base}/api/client/register` },
    { rel: RELS[1]!, href: `${base}/oauth/request_token` },
    { rel: RELS[2]!, href: `${base}/oauth/authorize` },
    { rel: RELS[3]!, href: `${base}/oauth/access_token` },
  ];
  return registration ? all : all.slice(1);
}

/** The Link elements of an XRD document. */
function xrdLinks(xml: string): Link[] {
  return [...xml.matchAll(/<Link rel="([^"]*)" href="([^"]*)"\/>/g)].map((m) => ({
    rel: m[1]!,
    href: m[2]!,
  }));
}

describe('pump.io registration and discovery (sqlite)', () => {
  let r: Running;
  before(async () => {
    r = await startProvider();
    await seed(r.store);
  });
  after(async () => {
    await r?.close();
  });

  const register = (body: unknown, type = 'application/json') =>
    call(`${r.base}/api/client/register`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const json = (a: Answer) => JSON.parse(a.text) as Record<string, unknown>;
  function error(a: Answer, status: number, includes: string): void {
    assert.equal(a.status, status, a.text);
    assert.match(a.headers.get('content-type') ?? '', /^application\/json/);
    const body = json(a);
    assert.deepEqual(Object.keys(body), ['error']);
    assert.ok(String(body['error']).includes(includes), `${body['error']} mentions ${includes}`);
  }

  it('client_associate (JSON), then the client completes the RFC 5849 flow', async () => {
    const a = await register({
      type: 'client_associate',
      application_name: 'Pump client',
      application_type: 'web',
      redirect_uris: 'http://127.0.0.1:9/cb http://127.0.0.1:9/other',
      logo_url: 'http://127.0.0.1:9/logo.png',
      contacts: 'ops@example.org',
    });
    assert.equal(a.status, 200, a.text);
    const c = json(a) as { client_id: string; client_secret: string; expires_at: number };
    assert.deepEqual(Object.keys(c).sort(), ['client_id', 'client_secret', 'expires_at']);
    assert.equal(c.expires_at, 0);
    const info = await r.store.getConsumerInfo(c.client_id);
    assert.equal(info?.origin, 'dynamic');
    assert.equal(info?.name, 'Pump client');
    assert.deepEqual(info?.redirectUris, ['http://127.0.0.1:9/cb', 'http://127.0.0.1:9/other']);
    assert.deepEqual(info?.contacts, ['ops@example.org']);

    const creds = await grantAccess(
      r,
      { key: c.client_id, secret: c.client_secret },
      'WRITE_PUBLIC',
    );
    const who = await signedCall(`${r.base}/api/1.0/whoami`, creds);
    assert.equal(who.status, 200, who.text);
    assert.equal(json(who)['consumer'], c.client_id);
    // The secret is what signs: a wrong one fails.
    const bad = await signedCall(`${r.base}/api/1.0/whoami`, { ...creds, consumerSecret: 'x' });
    assert.equal(bad.status, 401);
  });

  it('client_associate as a form, and client_update with the right and a wrong secret', async () => {
    const a = await register(
      new URLSearchParams({
        type: 'client_associate',
        application_name: 'Form client',
        application_type: 'native',
      }).toString(),
      'application/x-www-form-urlencoded',
    );
    assert.equal(a.status, 200, a.text);
    const c = json(a) as { client_id: string; client_secret: string };

    const updated = await register({
      type: 'client_update',
      client_id: c.client_id,
      client_secret: c.client_secret,
      application_name: 'Renamed client',
      redirect_uris: ['http://127.0.0.1:9/new'],
    });
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual(json(updated), {
      client_id: c.client_id,
      client_secret: c.client_secret,
      expires_at: 0,
    });
    const info = await r.store.getConsumerInfo(c.client_id);
    assert.equal(info?.name, 'Renamed client');
    assert.deepEqual(info?.redirectUris, ['http://127.0.0.1:9/new']);

    const wrong = await register({
      type: 'client_update',
      client_id: c.client_id,
      client_secret: `${c.client_secret}x`,
      application_name: 'Hijacked',
    });
    error(wrong, 403, 'client_secret');
    assert.equal((await r.store.getConsumerInfo(c.client_id))?.name, 'Renamed client');

    // An admin consumer cannot be updated through registration, whatever the secret.
    const admin = await r.store.createConsumer({ name: 'admin app' });
    error(
      await register({
        type: 'client_update',
        client_id: admin.key,
        client_secret: admin.secret,
        application_name: 'Hijacked',
      }),
      400,
      admin.key,
    );
    assert.equal((await r.store.getConsumerInfo(admin.key))?.name, 'admin app');
  });

  it('answers 400 {"error": ...} to bad input', async () => {
    const cases: [unknown, string, string][] = [
      [{}, 'application/json', 'type'],
      [{ type: 'client_steal' }, 'application/json', 'type'],
      [
        { type: 'client_associate', application_type: 'desktop' },
        'application/json',
        'application_type',
      ],
      [{ type: 'client_associate', redirect_uris: 'not a url' }, 'application/json', 'redirect'],
      [
        { type: 'client_associate', redirect_uris: 'javascript:alert(1)' },
        'application/json',
        'redirect',
      ],
      [{ type: 'client_associate', logo_url: 'ftp://x/y.png' }, 'application/json', 'logo_url'],
      [{ type: 'client_associate', client_id: 'x' }, 'application/json', 'client_update'],
      [{ type: 'client_update' }, 'application/json', 'client_id'],
      [
        { type: 'client_update', client_id: 'nope', client_secret: 'nope' },
        'application/json',
        'nope',
      ],
      ['{"type": "client_associate"', 'application/json', 'JSON'],
      ['[1, 2]', 'application/json', 'JSON'],
      ['type=client_associate', 'text/plain', 'JSON'],
      ['type=client_associate&application_type=%FF', 'application/x-www-form-urlencoded', ''],
    ];
    const latin1 = await call(`${r.base}/api/client/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"type": "client_associate", "application_name": "caf\xe9"}', 'latin1'),
    });
    error(latin1, 400, 'UTF-8');
    for (const [body, type, mentions] of cases) {
      const a = await register(body, type);
      error(a, 400, mentions);
    }
  });

  it('host-meta as XRD and JSON, host-meta.json', async () => {
    const xml = await call(`${r.base}/.well-known/host-meta`);
    assert.equal(xml.status, 200);
    assert.match(xml.headers.get('content-type') ?? '', /^application\/xrd\+xml/);
    assert.match(
      xml.text,
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<XRD xmlns="http:\/\/docs.oasis-open.org\/ns\/xri\/xrd-1.0">/,
    );
    assert.deepEqual(xrdLinks(xml.text), expectedLinks(r.base));
    assert.equal(xml.headers.get('access-control-allow-origin'), '*');

    const j = await call(`${r.base}/.well-known/host-meta`, {
      headers: { accept: 'application/json' },
    });
    assert.equal(j.status, 200);
    assert.match(j.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(j.text), { links: expectedLinks(r.base) });

    const dotJson = await call(`${r.base}/.well-known/host-meta.json`);
    assert.equal(dotJson.status, 200);
    assert.deepEqual(JSON.parse(dotJson.text), { links: expectedLinks(r.base) });
  });

  it('WebFinger: acct:alice@host, and 404 for an unknown user or host', async () => {
    const host = new URL(r.base).host;
    const wf = (resource: string, headers: Record<string, string> = {}) =>
      call(`${r.base}/.well-known/webfinger?resource=${encodeURIComponent(resource)}`, {
        headers,
      });
    const a = await wf(`acct:alice@${host}`);
    assert.equal(a.status, 200, a.text);
    assert.match(a.headers.get('content-type') ?? '', /^application\/jrd\+json/);
    assert.deepEqual(JSON.parse(a.text), {
      subject: `acct:alice@${host}`,
      links: expectedLinks(r.base),
    });
    const xrd = await wf(`acct:alice@${host}`, { accept: 'application/xrd+xml' });
    assert.equal(xrd.status, 200);
    assert.match(
      xrd.text,
      new RegExp(`<Subject>acct:alice@${host.replace(/\./g, '\\.')}</Subject>`),
    );
    assert.deepEqual(xrdLinks(xrd.text), expectedLinks(r.base));

    for (const unknown of [`acct:mallory@${host}`, 'acct:alice@elsewhere.example', 'alice']) {
      const n = await wf(unknown);
      assert.equal(n.status, 404, `${unknown}: ${n.text}`);
      assert.ok('error' in JSON.parse(n.text));
    }
    const missing = await call(`${r.base}/.well-known/webfinger`);
    assert.equal(missing.status, 400);
    assert.ok('error' in JSON.parse(missing.text));
  });
});

describe('SIGNET_DYNAMIC_REGISTRATION=false', () => {
  let r: Running;
  before(async () => {
    r = await startProvider({ env: { SIGNET_DYNAMIC_REGISTRATION: 'false' } });
  });
  after(async () => {
    await r?.close();
  });

  it('refuses registration and leaves it out of discovery', async () => {
    const a = await call(`${r.base}/api/client/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'client_associate' }),
    });
    assert.equal(a.status, 403, a.text);
    assert.ok('error' in JSON.parse(a.text));
    assert.equal((await r.store.listConsumers()).length, 0);
    const j = await call(`${r.base}/.well-known/host-meta.json`);
    assert.deepEqual(JSON.parse(j.text), { links: expectedLinks(r.base, false) });
  });
});
