// The protected API's refusals over HTTP, with DESIGN.md's exact messages and a
// `WWW-Authenticate: OAuth realm=...` challenge on every 401; and revocation that takes
// effect on the very next call, whether the admin CLI (another process), the store or a
// disabled consumer did it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Answer,
  type Creds,
  call,
  cli,
  grantAccess,
  type Running,
  seed,
  signed,
  signedCall,
  startProvider,
} from './http_harness.js';

const HOUR = 3600_000;

describe('protected API refusals (sqlite, injected clock)', () => {
  let r: Running;
  let offset = 0;
  const now = () => Date.now() + offset;
  let consumer: { key: string; secret: string };
  let creds: Required<Creds>;

  before(async () => {
    // PLAINTEXT on the API over http below: allowed, as launchpadlib needs it.
    r = await startProvider({ now, env: { SIGNET_ALLOW_INSECURE_PLAINTEXT: 'true' } });
    await seed(r.store);
    consumer = await r.store.createConsumer({ name: 'errors app' });
    creds = await grantAccess(r, consumer, 'WRITE_PRIVATE', { clock: now });
  });
  after(async () => {
    await r?.close();
  });

  const whoami = () => `${r.base}/api/1.0/whoami`;

  function refused(a: Answer, message: string): void {
    assert.equal(a.status, 401, `${a.status} ${a.text}`);
    assert.equal(a.text, message);
    assert.equal(a.headers.get('www-authenticate')?.startsWith(`OAuth realm="${r.base}/"`), true);
    assert.equal(a.headers.get('cache-control'), 'no-store');
  }

  it('serves a good call', async () => {
    const a = await signedCall(whoami(), creds, { clock: now });
    assert.equal(a.status, 200, a.text);
    assert.equal((JSON.parse(a.text) as { person: string }).person, 'alice');
  });

  it('Unknown access token (K).', async () => {
    refused(
      await signedCall(whoami(), { ...creds, token: 'NoSuchToken000000000' }, { clock: now }),
      'Unknown access token (NoSuchToken000000000).',
    );
    // A request token is not an access token.
    const rt = await signedCall(
      `${r.base}/oauth/request_token`,
      { consumerKey: consumer.key, consumerSecret: consumer.secret },
      { method: 'POST', callback: 'oob', clock: now },
    );
    assert.equal(rt.status, 200, rt.text);
    const token = new URLSearchParams(rt.text).get('oauth_token')!;
    refused(
      await signedCall(whoami(), { ...creds, token }, { clock: now }),
      `Unknown access token (${token}).`,
    );
  });

  it('Invalid signature.', async () => {
    refused(
      await signedCall(whoami(), { ...creds, tokenSecret: 'wrong' }, { clock: now }),
      'Invalid signature.',
    );
    refused(
      await signedCall(whoami(), { ...creds, consumerSecret: 'wrong' }, { clock: now }),
      'Invalid signature.',
    );
    // A signature over another URL (here the query) does not verify either.
    const s = signed(`${whoami()}?a=1`, creds, { clock: now });
    refused(await call(`${whoami()}?a=2`, s.init), 'Invalid signature.');
    // PLAINTEXT with the wrong secrets, too.
    refused(
      await signedCall(
        whoami(),
        { ...creds, tokenSecret: 'x' },
        { signatureMethod: 'PLAINTEXT', clock: now },
      ),
      'Invalid signature.',
    );
  });

  it('Timestamp outside the allowed window.', async () => {
    for (const skew of [-601_000, 601_000]) {
      refused(
        await signedCall(whoami(), creds, { clock: () => now() + skew }),
        'Timestamp outside the allowed window.',
      );
    }
    // Inside the window it is fine.
    assert.equal((await signedCall(whoami(), creds, { clock: () => now() - 500_000 })).status, 200);
  });

  it('Nonce already used. (the exact same signed request, replayed)', async () => {
    for (const placement of ['header', 'query', 'body'] as const) {
      const s = signed(`${r.base}/api/1.0/notes`, creds, {
        method: 'POST',
        params: [
          ['title', `replayed ${placement}`],
          ['visibility', 'private'],
        ],
        placement,
        clock: now,
      });
      const first = await call(s.url, s.init);
      assert.equal(first.status, 201, first.text);
      refused(await call(s.url, s.init), 'Nonce already used.');
    }
    // The replays created nothing.
    const titles = (await r.store.listNotes({ privateOf: 'alice' })).map((n) => n.title);
    assert.equal(titles.filter((t) => t.startsWith('replayed ')).length, 3);
  });

  it('Unknown consumer (K). (open consumers are only for /+request-token)', async () => {
    refused(
      await signedCall(whoami(), { ...creds, consumerKey: 'who is this' }, { clock: now }),
      'Unknown consumer (who is this).',
    );
    refused(
      await signedCall(
        whoami(),
        { consumerKey: 'who is this', consumerSecret: '' },
        { clock: now },
      ),
      'Unknown consumer (who is this).',
    );
    assert.equal(await r.store.getConsumerInfo('who is this'), undefined);
  });

  it('Expired token (K). for a desktop-integration grant past its lifetime', async () => {
    const desktop = await r.store.createConsumer({ key: 'System-wide: Debian (laptop)' });
    const d = await grantAccess(r, desktop, 'DESKTOP_INTEGRATION', {
      expiresIn: 3600,
      clock: now,
    });
    const ok = await signedCall(whoami(), d, { clock: now });
    assert.equal(ok.status, 200, ok.text);
    const body = JSON.parse(ok.text) as { permission: string; expires: string };
    assert.equal(body.permission, 'DESKTOP_INTEGRATION');
    assert.ok(Math.abs(Date.parse(body.expires) - (now() + HOUR)) < 60_000, body.expires);
    offset += HOUR + 1000;
    try {
      refused(await signedCall(whoami(), d, { clock: now }), `Expired token (${d.token}).`);
      // The grant without expiry lives on.
      assert.equal((await signedCall(whoami(), creds, { clock: now })).status, 200);
    } finally {
      offset = 0;
    }
  });

  it('403 with a reason when the grant does not allow the action', async () => {
    const reader = await grantAccess(r, consumer, 'READ_PUBLIC', { clock: now });
    const a = await signedCall(`${r.base}/api/1.0/notes`, reader, {
      method: 'POST',
      params: [['title', 'nope']],
      clock: now,
    });
    assert.equal(a.status, 403);
    assert.equal(
      a.text,
      "This token's permission (READ_PUBLIC) does not allow changing public notes.",
    );
    assert.equal(a.headers.get('www-authenticate'), null);
  });
});

describe('revocation is immediate (sqlite)', () => {
  let r: Running;
  let consumer: { key: string; secret: string };
  before(async () => {
    r = await startProvider();
    await seed(r.store);
    consumer = await r.store.createConsumer({ name: 'revoked app' });
  });
  after(async () => {
    await r?.close();
  });
  const whoami = (c: Creds) => signedCall(`${r.base}/api/1.0/whoami`, c);

  it('a token revoked with the admin CLI (another process) is refused on the next call', async () => {
    const c = await grantAccess(r, consumer, 'READ_PRIVATE');
    // Served, so cached in the provider's memory.
    assert.equal((await whoami(c)).status, 200);
    assert.equal((await whoami(c)).status, 200);
    const revoked = await cli(r, ['token', 'revoke', c.token]);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.deepEqual(revoked.json, { token: c.token, revoked: true });
    const a = await whoami(c);
    assert.equal(a.status, 401);
    assert.equal(a.text, `Unknown access token (${c.token}).`);
  });

  it('a token revoked through the store is refused on the next call', async () => {
    const c = await grantAccess(r, consumer, 'WRITE_PUBLIC');
    const other = await grantAccess(r, consumer, 'WRITE_PUBLIC');
    assert.equal((await whoami(c)).status, 200);
    assert.equal((await whoami(other)).status, 200);
    assert.equal(await r.store.revokeAccessToken(c.token, Date.now()), true);
    const a = await whoami(c);
    assert.equal(a.status, 401);
    assert.equal(a.text, `Unknown access token (${c.token}).`);
    assert.equal((await whoami(other)).status, 200);
  });

  it('a consumer disabled with the CLI is refused on the next call, and cannot get tokens', async () => {
    const app = await r.store.createConsumer({ name: 'soon disabled' });
    const c = await grantAccess(r, app, 'READ_PUBLIC');
    assert.equal((await whoami(c)).status, 200);
    const disabled = await cli(r, ['consumer', 'disable', app.key]);
    assert.equal(disabled.status, 0, disabled.stderr);
    const a = await whoami(c);
    assert.equal(a.status, 401);
    assert.equal(a.text, `Consumer disabled (${app.key}).`);
    const rt = await signedCall(
      `${r.base}/oauth/request_token`,
      { consumerKey: app.key, consumerSecret: app.secret },
      { method: 'POST', callback: 'oob' },
    );
    assert.equal(rt.status, 401, rt.text);
  });

  it('a consumer disabled through the store is refused on the next call', async () => {
    const app = await r.store.createConsumer({ name: 'disabled by store' });
    const c = await grantAccess(r, app, 'READ_PUBLIC');
    assert.equal((await whoami(c)).status, 200);
    assert.equal(await r.store.disableConsumer(app.key), true);
    assert.equal((await whoami(c)).status, 401);
  });
});
