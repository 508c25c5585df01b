// Bad input that reached the database: PostgreSQL refuses U+0000 in text (22021) and
// integers beyond int4 (22003), and those errors used to come back as 500s. On both
// dialects each is now the 400 (or 404) the same request without the bad part would get
// the same class of answer for, before the database sees it. And a `next` beyond Latin-1
// made the login's redirect header throw (500, person not logged in).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { openProvider } from '../src/provider.js';
import { pgSchema, tempDir } from './helpers.js';
import {
  type Answer,
  type Creds,
  call,
  DIALECTS,
  grantAccess,
  type Running,
  seed,
  signed,
  signedCall,
  startProvider,
} from './http_harness.js';
import { PAGE_PASSWORD, PageSession } from './page_session.js';

for (const dialect of DIALECTS) {
  describe(`bad input reaching the database (${dialect})`, () => {
    let r: Running;
    let consumer: { key: string; secret: string };
    let creds: Required<Creds>;

    before(async () => {
      r = await startProvider({ dialect });
      await seed(r.store);
      await r.store.createUser({ name: 'carol', password: PAGE_PASSWORD });
      consumer = await r.store.createConsumer({ name: 'bad input app' });
      creds = await grantAccess(r, consumer, 'WRITE_PRIVATE');
    });
    after(async () => {
      await r?.close();
    });

    const bad = (a: Answer, what: string, status = 400) =>
      assert.equal(a.status, status, `${what}: ${a.status} ${a.text}`);
    const now = () => String(Math.floor(Date.now() / 1000));
    const nonce = () => `n${Math.random().toString(36).slice(2)}`;

    it('a NUL in an oauth_* parameter is a 400 invalid_request at every protocol endpoint', async () => {
      const plain = (extra: string) => ({
        method: 'POST',
        headers: {
          authorization: `OAuth oauth_signature_method="PLAINTEXT", oauth_signature="s%26", ${extra}`,
        },
      });
      const hmac = (extra: string) =>
        `OAuth oauth_signature_method="HMAC-SHA1", oauth_signature="x", oauth_timestamp="${now()}", oauth_nonce="${nonce()}", ${extra}`;
      const cases: [string, string, RequestInit][] = [
        ['/+request-token key', '/+request-token', plain('oauth_consumer_key="a%00b"')],
        [
          '/+request-token key in the query',
          '/+request-token?oauth_consumer_key=a%00b&oauth_signature_method=PLAINTEXT&oauth_signature=%26',
          {},
        ],
        [
          '/+access-token token',
          '/+access-token',
          plain(`oauth_consumer_key="${consumer.key}", oauth_token="x%00y"`),
        ],
        [
          '/oauth/request_token key',
          '/oauth/request_token',
          {
            method: 'POST',
            headers: { authorization: hmac('oauth_consumer_key="a%00b", oauth_callback="oob"') },
          },
        ],
        [
          '/oauth/access_token token',
          '/oauth/access_token',
          {
            method: 'POST',
            headers: {
              authorization: hmac(`oauth_consumer_key="${consumer.key}", oauth_token="x%00y"`),
            },
          },
        ],
        [
          '/api/1.0/whoami token',
          '/api/1.0/whoami',
          {
            headers: {
              authorization: hmac(`oauth_consumer_key="${consumer.key}", oauth_token="x%00"`),
            },
          },
        ],
        [
          '/api/1.0/whoami consumer',
          '/api/1.0/whoami',
          { headers: { authorization: hmac('oauth_consumer_key="a%00", oauth_token="x"') } },
        ],
      ];
      for (const [what, path, init] of cases) {
        const a = await call(`${r.base}${path}`, init);
        bad(a, what);
        assert.match(decodeURIComponent(a.text), /contains a control character/, what);
      }
    });

    it('a NUL in a registration field is a 400, JSON or form', async () => {
      const register = (body: string, type: string) =>
        call(`${r.base}/api/client/register`, {
          method: 'POST',
          headers: { 'content-type': type },
          body,
        });
      const json = 'application/json';
      const formType = 'application/x-www-form-urlencoded';
      const cases: [string, Promise<Answer>][] = [
        [
          'JSON application_name',
          register(JSON.stringify({ type: 'client_associate', application_name: 'a\0b' }), json),
        ],
        [
          'form application_name',
          register('type=client_associate&application_name=a%00b', formType),
        ],
        [
          'JSON client_id',
          register(
            JSON.stringify({ type: 'client_update', client_id: 'a\0', client_secret: 'x' }),
            json,
          ),
        ],
        ['form client_id', register('type=client_update&client_id=a%00&client_secret=x', formType)],
      ];
      for (const [what, answer] of cases) {
        const a = await answer;
        bad(a, what);
        assert.match((JSON.parse(a.text) as { error: string }).error, /NUL/, what);
      }
    });

    it('a NUL in a page form or query is a 400: login, authorization, discovery', async () => {
      const carol = new PageSession();
      const page = await carol.request(`${r.base}/login`);
      const login = await carol.request(`${r.base}/login`, {
        method: 'POST',
        body: new URLSearchParams({
          csrf: carol.csrfOf(page.text),
          next: '/',
          username: 'a\0b',
          password: 'x',
        }),
      });
      bad(login, 'POST /login username');
      await carol.login(r.base, 'carol');
      bad(await carol.request(`${r.base}/oauth/authorize?oauth_token=a%00b`), 'GET authorize');
      const apps = await carol.request(`${r.base}/account/applications`);
      assert.equal(apps.status, 200);
      const csrf = carol.csrfOf(apps.text);
      bad(
        await carol.request(`${r.base}/oauth/authorize`, {
          method: 'POST',
          body: new URLSearchParams({ csrf, oauth_token: 'a\0b', permission: 'READ_PUBLIC' }),
        }),
        'POST authorize',
      );
      bad(
        await carol.request(`${r.base}/account/applications/revoke`, {
          method: 'POST',
          body: new URLSearchParams({ csrf, id: 'a\0b' }),
        }),
        'POST revoke',
      );
      bad(await call(`${r.base}/.well-known/webfinger?resource=acct:a%00b@127.0.0.1`), 'webfinger');
    });

    it('a NUL in a note field is a 400, JSON, form or query', async () => {
      const notes = `${r.base}/api/1.0/notes`;
      const postJson = (body: string) => {
        const s = signed(notes, creds, { method: 'POST' });
        return call(s.url, {
          ...s.init,
          headers: {
            ...(s.init.headers as Record<string, string>),
            'content-type': 'application/json',
          },
          body,
        });
      };
      bad(await postJson('{"title":"a\\u0000b","visibility":"public"}'), 'JSON title');
      bad(
        await postJson('{"title":"x","visibility":"public","context":"a\\u0000"}'),
        'JSON context',
      );
      bad(
        await signedCall(notes, creds, {
          method: 'POST',
          params: [
            ['title', 'a\0b'],
            ['visibility', 'public'],
          ],
        }),
        'form title',
      );
      bad(await signedCall(notes, creds, { params: [['context', 'a\0']] }), 'query context');
      // An unpaired surrogate, which JSON lets through and the databases store differently.
      bad(await postJson('{"title":"a\\ud800b","visibility":"public"}'), 'JSON lone surrogate');
      bad(await postJson('{"title":"a\\udc00","visibility":"public"}'), 'JSON lone low half');
      const pair = await postJson('{"title":"\\ud83d\\ude00","visibility":"public"}');
      assert.equal(pair.status, 201, `a whole pair is an emoji: ${pair.text}`);
      // The same requests without the NUL are fine.
      const ok = await postJson('{"title":"ab","visibility":"public"}');
      assert.equal(ok.status, 201, ok.text);
    });

    it('a note id beyond int4 is a 404, by GET, PUT and DELETE', async () => {
      for (const id of ['2147483648', '9999999999', '9223372036854775808']) {
        for (const method of ['GET', 'PUT', 'DELETE']) {
          const a = await signedCall(`${r.base}/api/1.0/notes/${id}`, creds, {
            method,
            ...(method === 'PUT' && { params: [['title', 'x']] }),
          });
          bad(a, `${method} ${id}`, 404);
        }
      }
    });

    it('POST /login with a `next` beyond Latin-1 logs in and redirects to an ASCII local path', async () => {
      const cases: [string, string][] = [
        ['/\u3002evil', '/%E3%80%82evil'],
        ['/é', '/%C3%A9'],
        ['/account/applications?q=é', '/account/applications?q=%C3%A9'],
        ['/%C3%A9', '/%C3%A9'],
        ['//evil.example', '/'],
      ];
      for (const [next, location] of cases) {
        const s = new PageSession();
        const page = await s.request(`${r.base}/login?next=${encodeURIComponent(next)}`);
        assert.equal(page.status, 200);
        const res = await s.request(`${r.base}/login`, {
          method: 'POST',
          body: new URLSearchParams({
            csrf: s.csrfOf(page.text),
            next,
            username: 'carol',
            password: PAGE_PASSWORD,
          }),
        });
        assert.equal(res.status, 303, `${next}: ${res.status} ${res.text}`);
        assert.equal(res.headers.get('location'), location, next);
        assert.equal((await s.request(`${r.base}/account/applications`)).status, 200, next);
      }
    });
  });
}

describe('a PostgreSQL data exception no route check caught (postgres)', () => {
  it('is a 400 "Bad request." from the error handler, not a 500', async () => {
    const pgs = await pgSchema();
    const tmp = tempDir('bad-input');
    const config = loadConfig(
      {
        HOST: '127.0.0.1',
        SIGNET_PUBLIC_URL: 'http://127.0.0.1:1',
        SIGNET_DATABASE_URL: pgs.url,
        SIGNET_SECRET_KEY: randomBytes(32).toString('base64'),
      },
      { cwd: tmp.dir },
    );
    const provider = await openProvider(config);
    try {
      // Stands for any route that might one day pass unchecked input to PostgreSQL.
      const db = provider.storage.store.db;
      provider.app.get('/test/nul', async () => sql`select ${'a\0b'}::text`.execute(db));
      provider.app.get('/test/int', async () => sql`select ${'2147483648'}::int4`.execute(db));
      provider.app.get('/test/syntax', async () => sql`select ${'x'}::int4`.execute(db));
      await provider.app.listen({ port: 0, host: '127.0.0.1' });
      const address = provider.app.server.address();
      assert.ok(address !== null && typeof address === 'object');
      for (const path of ['/test/nul', '/test/int', '/test/syntax']) {
        const a = await call(`http://127.0.0.1:${address.port}${path}`);
        assert.equal(a.status, 400, `${path}: ${a.status} ${a.text}`);
        assert.equal(a.text, 'Bad request.', path);
      }
    } finally {
      await provider.close();
      tmp.remove();
      await pgs.drop();
    }
  });
});
