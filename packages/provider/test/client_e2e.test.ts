// @signet/client and its `signet` CLI against the real provider, over loopback HTTP: the
// Launchpad flow (polling /+access-token), the RFC 5849 flow with every placement and the
// signature methods people use, pump.io discovery and registration, and the CLI as a person
// at a terminal would drive it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type AccessToken,
  ClientError,
  desktopConsumerName,
  discover,
  FileCredentialStore,
  launchpadClient,
  login,
  OAuth1Client,
  type OAuth1ClientOptions,
  OAuthProtocolError,
  type Placement,
  registerClient,
  updateClient,
  waitForAccessToken,
} from '@signet/client';
import type { Permission } from '../src/permissions.js';
import { reviewToken } from '../src/review.js';
import {
  admin,
  FIXTURES,
  type Running,
  SignetCli,
  sh,
  startProvider,
} from './client_e2e_harness.js';

const RSA_PRIVATE = readFileSync(join(FIXTURES, 'rsa-private.pem'), 'utf8');
const RSA_PUBLIC = readFileSync(join(FIXTURES, 'rsa-public.pem'), 'utf8');

let r: Running;

before(async () => {
  r = await startProvider({ env: { SIGNET_ALLOW_INSECURE_PLAINTEXT: 'true' } });
  // No passwords: nobody logs in on a page here, and the KDF would cost a second each.
  await r.store.createUser({ name: 'alice', displayName: 'Alice' });
  await r.store.createUser({ name: 'bob', displayName: 'Bob' });
  await r.store.createContext({ name: 'firefox', title: 'Mozilla Firefox' });
});
after(async () => {
  await r.close();
});

/** What the person does on the authorization page, through the store. */
async function review(
  token: string,
  permission: Permission,
  extra: { user?: string; context?: string } = {},
) {
  return reviewToken(r.store, {
    token,
    userId: extra.user ?? 'alice',
    permission,
    context: extra.context,
    now: Date.now(),
  });
}

function endpoints() {
  return {
    requestToken: `${r.base}/oauth/request_token`,
    authorize: `${r.base}/oauth/authorize`,
    accessToken: `${r.base}/oauth/access_token`,
  };
}

/** Rejects with what `promise` threw, or fails when it resolved. */
async function thrown(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

async function json(res: Response): Promise<Record<string, unknown>> {
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return (await res.json()) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------

describe('Launchpad flow with the library', () => {
  test('request token, polling while the person decides, lp.context, then the API', async () => {
    const consumerKey = desktopConsumerName({ desktop: 'Signet E2E', computer: 'loopback' });
    assert.equal(consumerKey, 'System-wide: Signet E2E (loopback)');
    const lp = launchpadClient({ server: `${r.base}/`, consumerKey });
    const rt = await lp.requestToken();
    // The JSON answer of /+request-token, kept whole by the client.
    assert.equal(rt.fields['oauth_token_consumer'], consumerKey);
    const levels = rt.fields['access_levels'] as { value: string; title: string }[];
    assert.deepEqual(
      levels.map((l) => l.value),
      [
        'UNAUTHORIZED',
        'READ_PUBLIC',
        'WRITE_PUBLIC',
        'READ_PRIVATE',
        'WRITE_PRIVATE',
        'DESKTOP_INTEGRATION',
      ],
    );
    const url = new URL(lp.authorizationUrl(rt, { 'lp.context': 'firefox' }));
    assert.equal(url.origin + url.pathname, `${r.base}/+authorize-token`);
    assert.equal(url.searchParams.get('oauth_token'), rt.token);

    // The person decides only once the client has been told "not yet reviewed" twice.
    let polls = 0;
    let reviewed: Promise<unknown> | undefined;
    const at = await waitForAccessToken(lp, rt, {
      interval: 20,
      timeout: 30_000,
      onPoll: (attempt) => {
        polls = attempt;
        if (attempt === 3) {
          reviewed = review(rt.token, 'WRITE_PRIVATE', { context: 'firefox' });
        }
      },
      sleep: async (ms) => {
        await reviewed;
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
    });
    // Attempts 1 and 2 were answered 401 "not yet reviewed" and the client kept polling.
    assert.ok(polls >= 3, `polled ${polls} times`);
    assert.equal(at.fields['lp.context'], 'firefox');
    assert.notEqual(at.token, rt.token);

    const api = lp.withToken(at);
    const me = await json(await api.request(`${r.base}/api/1.0/whoami`));
    assert.equal(me['person'], 'alice');
    assert.equal(me['consumer'], consumerKey);
    assert.equal(me['permission'], 'WRITE_PRIVATE');
    assert.equal(me['context'], 'firefox');
    // Inside its context the grant writes; outside it, it acts as READ_PUBLIC.
    const inside = await api.request(`${r.base}/api/1.0/notes`, {
      method: 'POST',
      form: { title: 'lp note', visibility: 'private', context: 'firefox' },
    });
    assert.equal(inside.status, 201);
    assert.equal((await json(inside))['context'], 'firefox');
    const outside = await thrown(
      api.request(`${r.base}/api/1.0/notes`, { method: 'POST', form: { title: 'nope' } }),
    );
    assert.ok(outside instanceof OAuthProtocolError);
    assert.equal(outside.status, 403);

    // A request token is exchanged once.
    const again = await thrown(lp.accessToken(rt));
    assert.ok(again instanceof OAuthProtocolError);
    assert.equal(again.status, 401);
    assert.match(again.body, /No request token specified\./);
  });

  test('a grant without a context answers lp.context=None', async () => {
    const lp = launchpadClient({ server: r.base, consumerKey: 'signet-e2e-plain' });
    const rt = await lp.requestToken();
    await review(rt.token, 'READ_PUBLIC');
    const at = await waitForAccessToken(lp, rt, { interval: 20, timeout: 10_000 });
    assert.equal(at.fields['lp.context'], 'None');
    const me = await json(await lp.withToken(at).request(`${r.base}/api/1.0/whoami`));
    assert.equal(me['permission'], 'READ_PUBLIC');
    assert.equal(me['context'], null);
  });

  test('a token refused with "No Access" (admin CLI) is the client\'s "declined" error', async () => {
    const lp = launchpadClient({ server: r.base, consumerKey: 'signet-e2e-refused' });
    const rt = await lp.requestToken();
    const done = await admin(
      r,
      'token',
      'review',
      rt.token,
      '--user',
      'bob',
      '--permission',
      'UNAUTHORIZED',
      '--json',
    );
    assert.equal(done.code, 0, done.stderr);
    const e = await thrown(waitForAccessToken(lp, rt, { interval: 20, timeout: 10_000 }));
    assert.ok(e instanceof OAuthProtocolError, String(e));
    assert.equal(e.code, 'ERR_OAUTH_DECLINED');
    assert.equal(e.status, 403);
    assert.equal(e.body.trim(), 'End-user refused to authorize request token.');
  });

  test('a token never reviewed times out, after real 401 answers', async () => {
    const lp = launchpadClient({ server: r.base, consumerKey: 'signet-e2e-slow' });
    const rt = await lp.requestToken();
    // A clock that moves only when the client sleeps: five polls of one "second".
    let now = 0;
    let polls = 0;
    const e = await thrown(
      waitForAccessToken(lp, rt, {
        interval: 1000,
        timeout: 5000,
        clock: () => now,
        sleep: async (ms) => {
          now += ms;
        },
        onPoll: (attempt) => {
          polls = attempt;
        },
      }),
    );
    assert.ok(e instanceof ClientError, String(e));
    assert.equal(e.code, 'ERR_OAUTH_TIMEOUT');
    assert.match(e.message, /not authorized within 5 s/);
    // At 0, 1, 2, 3, 4 and 5 "seconds": the last one at the deadline.
    assert.equal(polls, 6);
    // Nothing was exchanged: the token can still be reviewed and used.
    await review(rt.token, 'READ_PUBLIC', { user: 'bob' });
    const at = await lp.accessToken(rt);
    const me = await json(await lp.withToken(at).request(`${r.base}/api/1.0/whoami`));
    assert.equal(me['person'], 'bob');
  });
});

// ---------------------------------------------------------------------------------------

/** Runs the RFC 5849 dance with `client`: request token, review through the store, exchange. */
async function rfcDance(
  client: OAuth1Client,
  permission: Permission,
  extra: { context?: string; callback?: string } = {},
): Promise<AccessToken> {
  const rt = await client.requestToken(extra.callback ? { callback: extra.callback } : {});
  assert.equal(rt.callbackConfirmed, true);
  const { verifier, redirect } = await review(rt.token, permission, extra);
  if (extra.callback === undefined || extra.callback === 'oob') {
    assert.equal(redirect, undefined);
    return client.accessToken(rt, verifier);
  }
  // The person comes back to the callback with the token and the verifier.
  const back = new URL(redirect!);
  assert.equal(back.searchParams.get('oauth_token'), rt.token);
  return client.accessToken(rt, back.searchParams.get('oauth_verifier')!);
}

interface MethodCase {
  readonly name: string;
  readonly options: () => Promise<Partial<OAuth1ClientOptions> & { consumerKey: string }>;
}

const METHODS: readonly MethodCase[] = [
  {
    name: 'HMAC-SHA1',
    options: async () => {
      const c = await r.store.createConsumer({ name: 'E2E HMAC-SHA1' });
      return { consumerKey: c.key, consumerSecret: c.secret, signatureMethod: 'HMAC-SHA1' };
    },
  },
  {
    name: 'HMAC-SHA256',
    options: async () => {
      // A secret that needs percent-encoding in the signing key.
      const c = await r.store.createConsumer({ name: 'E2E HMAC-SHA256', secret: 's3cr&t +%/~' });
      return { consumerKey: c.key, consumerSecret: c.secret, signatureMethod: 'HMAC-SHA256' };
    },
  },
  {
    name: 'PLAINTEXT',
    options: async () => {
      const c = await r.store.createConsumer({ name: 'E2E PLAINTEXT' });
      return { consumerKey: c.key, consumerSecret: c.secret, signatureMethod: 'PLAINTEXT' };
    },
  },
  {
    name: 'RSA-SHA1',
    options: async () => {
      const c = await r.store.createConsumer({ name: 'E2E RSA', rsaPublicKey: RSA_PUBLIC });
      return { consumerKey: c.key, privateKey: RSA_PRIVATE, signatureMethod: 'RSA-SHA1' };
    },
  },
];

const PLACEMENTS: readonly Placement[] = ['header', 'query', 'body'];

describe('RFC 5849 flow with the library', () => {
  for (const m of METHODS) {
    test(`${m.name}: oob and callback logins, then whoami and notes in every placement`, async () => {
      const options = await m.options();
      const client = new OAuth1Client({ ...options, endpoints: endpoints() });
      // Out of band, then with a callback URL that has a query of its own.
      const oob = await rfcDance(client, 'READ_PUBLIC', { callback: 'oob' });
      const at = await rfcDance(client, 'WRITE_PRIVATE', {
        callback: 'http://127.0.0.1:9/back?state=a%20b',
      });
      assert.notEqual(oob.token, at.token);
      assert.equal(at.fields['oauth_token'], at.token);

      for (const placement of PLACEMENTS) {
        const api = client.withToken(at);
        const call = (path: string, o: Parameters<OAuth1Client['request']>[1] = {}) =>
          api.request(`${r.base}${path}`, { placement, ...o });
        const where = `${m.name}/${placement}`;

        const me = await json(await call('/api/1.0/whoami', { query: { q: 'a b+c' } }));
        assert.deepEqual(
          { person: me['person'], consumer: me['consumer'], permission: me['permission'] },
          { person: 'alice', consumer: options.consumerKey, permission: 'WRITE_PRIVATE' },
          where,
        );

        // Create with a form body (its fields are signed).
        const created = await call('/api/1.0/notes', {
          method: 'POST',
          form: { title: `form ${where} ü&=`, body: 'one two', visibility: 'private' },
        });
        assert.equal(created.status, 201, where);
        const note = await json(created);
        assert.equal(note['title'], `form ${where} ü&=`);
        assert.equal(note['visibility'], 'private');
        assert.equal(note['owner'], 'alice');
        assert.equal(created.headers.get('location'), `/api/1.0/notes/${note['id']}`);

        // Create with a JSON body: covered by oauth_body_hash (none with PLAINTEXT). JSON
        // cannot carry oauth parameters, so body placement is a clear argument error.
        let jsonId: unknown;
        if (placement === 'body') {
          assert.throws(
            () => api.sign(`${r.base}/api/1.0/notes`, { method: 'POST', placement, json: {} }),
            /Body placement needs a form body/,
          );
        } else {
          const signed = api.sign(`${r.base}/api/1.0/notes`, {
            method: 'POST',
            placement,
            json: { title: 'x' },
          });
          const hashed = signed.oauthParams.some(([k]) => k === 'oauth_body_hash');
          assert.equal(hashed, m.name !== 'PLAINTEXT', where);
          const viaJson = await call('/api/1.0/notes', {
            method: 'POST',
            json: { title: `json ${where}`, body: 'ünïcode "quoted"', visibility: 'public' },
          });
          assert.equal(viaJson.status, 201, where);
          const j = await json(viaJson);
          assert.equal(j['body'], 'ünïcode "quoted"');
          jsonId = j['id'];
        }

        // Read it back, change it (form, and JSON where it can go), list, delete.
        const got = await json(await call(`/api/1.0/notes/${note['id']}`));
        assert.equal(got['title'], `form ${where} ü&=`);
        const put = await json(
          await call(`/api/1.0/notes/${note['id']}`, {
            method: 'PUT',
            form: { title: `changed ${where}` },
          }),
        );
        assert.equal(put['title'], `changed ${where}`);
        assert.equal(put['visibility'], 'private', 'a PUT keeps the fields it leaves out');
        if (jsonId !== undefined) {
          const putJson = await json(
            await call(`/api/1.0/notes/${jsonId}`, { method: 'PUT', json: { body: 'new' } }),
          );
          assert.equal(putJson['body'], 'new');
        }
        const list = await json(await call('/api/1.0/notes'));
        const ids = (list['notes'] as { id: unknown }[]).map((n) => n.id);
        assert.ok(ids.includes(note['id']), where);
        const del = await call(`/api/1.0/notes/${note['id']}`, { method: 'DELETE' });
        assert.equal(del.status, 204, where);
        const gone = await call(`/api/1.0/notes/${note['id']}`, { throwHttpErrors: false });
        assert.equal(gone.status, 404, where);
        if (jsonId !== undefined) {
          const d = await call(`/api/1.0/notes/${jsonId}`, { method: 'DELETE' });
          assert.equal(d.status, 204, where);
        }
      }

      // The read-only grant reads, and its write is refused with 403.
      const reader = client.withToken(oob);
      const me = await json(await reader.request(`${r.base}/api/1.0/whoami`));
      assert.equal(me['permission'], 'READ_PUBLIC');
      const refused = await thrown(
        reader.request(`${r.base}/api/1.0/notes`, { method: 'POST', form: { title: 'no' } }),
      );
      assert.ok(refused instanceof OAuthProtocolError, String(refused));
      assert.equal(refused.status, 403);
      assert.equal(refused.code, 'ERR_OAUTH_PROTOCOL');
      const asResponse = await reader.request(`${r.base}/api/1.0/notes`, {
        method: 'POST',
        json: { title: 'no' },
        throwHttpErrors: false,
      });
      assert.equal(asResponse.status, 403);
    });
  }

  test('a client registered through /api/client/register logs in with the login helper', async () => {
    const found = await discover(r.base);
    assert.deepEqual(found.endpoints, endpoints());
    assert.equal(found.registrationEndpoint, `${r.base}/api/client/register`);
    // WebFinger for an account on the server names the same endpoints.
    const port = new URL(r.base).port;
    const viaAccount = await discover(`alice@127.0.0.1:${port}`);
    assert.deepEqual(viaAccount.endpoints, endpoints());

    const reg = await registerClient(found.registrationEndpoint!, {
      applicationName: 'E2E registered',
      applicationType: 'native',
    });
    assert.ok(reg.clientId.length > 0 && reg.clientSecret.length > 0);
    const renamed = await updateClient(found.registrationEndpoint!, {
      clientId: reg.clientId,
      clientSecret: reg.clientSecret,
      applicationName: 'E2E renamed',
    });
    assert.equal(renamed.clientId, reg.clientId);
    const wrong = await thrown(
      updateClient(found.registrationEndpoint!, {
        clientId: reg.clientId,
        clientSecret: 'not the secret',
      }),
    );
    assert.ok(wrong instanceof OAuthProtocolError, String(wrong));
    assert.equal(wrong.status, 403);

    const client = new OAuth1Client({
      consumerKey: reg.clientId,
      consumerSecret: reg.clientSecret,
      signatureMethod: 'HMAC-SHA256',
      endpoints: found.endpoints,
    });
    const result = await login(client, {
      getVerifier: async (url, rt) => {
        assert.equal(new URL(url).searchParams.get('oauth_token'), rt.token);
        return (await review(rt.token, 'WRITE_PUBLIC', { user: 'bob' })).verifier;
      },
    });
    const me = await json(await result.client.request(`${r.base}/api/1.0/whoami`));
    assert.equal(me['person'], 'bob');
    assert.equal(me['consumer'], reg.clientId);
    const note = await result.client.request(`${r.base}/api/1.0/notes`, {
      method: 'POST',
      json: { title: 'from a registered client' },
    });
    assert.equal(note.status, 201);
    // WRITE_PUBLIC does not write private notes.
    const priv = await result.client.request(`${r.base}/api/1.0/notes`, {
      method: 'POST',
      form: { title: 'secret', visibility: 'private' },
      throwHttpErrors: false,
    });
    assert.equal(priv.status, 403);
  });

  test("refusals reach the caller as OAuthProtocolError with the provider's message", async () => {
    const c = await r.store.createConsumer({ name: 'E2E refusals' });
    const client = new OAuth1Client({
      consumerKey: c.key,
      consumerSecret: c.secret,
      endpoints: endpoints(),
    });
    const at = await rfcDance(client, 'READ_PUBLIC');

    // A wrong verifier.
    const rt = await client.requestToken();
    await review(rt.token, 'READ_PUBLIC');
    const badVerifier = await thrown(client.accessToken(rt, 'not-the-verifier'));
    assert.ok(badVerifier instanceof OAuthProtocolError);
    assert.equal(badVerifier.status, 401);
    assert.match(badVerifier.body, /Invalid verifier\./);

    // A wrong secret: the signature does not match.
    const forged = new OAuth1Client({ ...client.options, consumerSecret: 'wrong' }).withToken(at);
    const bad = await thrown(forged.request(`${r.base}/api/1.0/whoami`));
    assert.ok(bad instanceof OAuthProtocolError);
    assert.equal(bad.status, 401);
    assert.equal(bad.problem, 'signature_invalid');
    assert.match(
      bad.message,
      /answered 401 Unauthorized: Invalid signature\. \(signature_invalid\)$/,
    );
    assert.match(bad.headers.get('www-authenticate') ?? '', /^OAuth realm=/);

    // The same nonce and timestamp twice.
    const frozen = Date.now();
    const replay = new OAuth1Client({
      ...client.options,
      nonce: () => 'the-same-nonce',
      clock: () => frozen,
    }).withToken(at);
    assert.equal((await replay.request(`${r.base}/api/1.0/whoami`)).status, 200);
    const reused = await thrown(replay.request(`${r.base}/api/1.0/whoami`));
    assert.ok(reused instanceof OAuthProtocolError);
    assert.equal(reused.status, 401);
    assert.match(reused.body, /Nonce already used\./);

    // An unknown access token.
    const stranger = client.withToken({ token: 'nosuchtoken', tokenSecret: 'x' });
    const unknown = await thrown(stranger.request(`${r.base}/api/1.0/whoami`));
    assert.ok(unknown instanceof OAuthProtocolError);
    assert.equal(unknown.status, 401);
    assert.match(unknown.body, /Unknown access token \(nosuchtoken\)\./);
  });
});

// ---------------------------------------------------------------------------------------

describe('the signet CLI as a person would use it', () => {
  let configDir: string;
  let cli: SignetCli;

  before(() => {
    configDir = mkdtempSync(join(tmpdir(), 'signet-e2e-cli-'));
    cli = new SignetCli(configDir);
  });
  after(() => {
    cli.killAll();
    rmSync(configDir, { recursive: true, force: true });
  });

  test('login discovers, registers, prints the URL and reads the verifier; then call and sign --curl', async () => {
    let asked = false;
    const loggedIn = await cli.interact(['login', r.base], (stderr, child) => {
      if (asked || !stderr.includes('Enter the verifier: ')) return;
      asked = true;
      const m = /(http:\/\/\S+\/oauth\/authorize\?\S+)/.exec(stderr);
      assert.ok(m, stderr);
      const url = new URL(m[1]!);
      assert.equal(url.origin, r.base);
      // The person approves on the page (here: the admin CLI), then types the verifier.
      return (async () => {
        const done = await admin(
          r,
          'token',
          'review',
          url.searchParams.get('oauth_token')!,
          '--user',
          'alice',
          '--permission',
          'WRITE_PUBLIC',
          '--json',
        );
        assert.equal(done.code, 0, done.stderr);
        const { verifier } = JSON.parse(done.stdout) as { verifier: string };
        child.stdin.end(`  ${verifier}  \n`);
      })();
    });
    assert.equal(loggedIn.code, 0, loggedIn.stderr);
    const host = new URL(r.base).host;
    assert.match(loggedIn.stderr, new RegExp(`Registered signet with ${host} as client \\S+\\.`));
    assert.match(
      loggedIn.stderr,
      new RegExp(`Logged in to http://${host} as alice with WRITE_PUBLIC \\(profile ${host}\\)\\.`),
    );

    // Saved with mode 0600, the consumer being the registered client.
    const file = join(configDir, 'credentials.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const [saved] = await new FileCredentialStore({
      path: join(configDir, 'credentials.json'),
    }).list();
    assert.ok(saved);
    assert.equal(saved.server, r.base);
    const consumer = await r.store.getConsumerInfo(saved.consumerKey);
    assert.equal(consumer?.name, 'signet');

    const who = await cli.run('call', 'GET', `${r.base}/api/1.0/whoami`);
    assert.equal(who.code, 0, who.stderr);
    const me = JSON.parse(who.stdout) as Record<string, unknown>;
    assert.equal(me['person'], 'alice');
    assert.equal(me['permission'], 'WRITE_PUBLIC');
    assert.equal(me['consumer'], saved.consumerKey);
    assert.match(who.stdout, /^\{\n {2}"person": "alice",/, 'pretty-printed');

    const made = await cli.run(
      'call',
      '-i',
      'POST',
      `${r.base}/api/1.0/notes`,
      'title=x',
      'visibility=public',
    );
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /^HTTP 201 Created\n/);
    const note = JSON.parse(made.stdout.slice(made.stdout.indexOf('\n\n') + 2)) as {
      id: number;
      title: string;
      owner: string;
    };
    assert.equal(note.title, 'x');
    assert.equal(note.owner, 'alice');

    const read = await cli.run('call', `${r.base}/api/1.0/notes/${note.id}`);
    assert.equal(read.code, 0, read.stderr);
    assert.equal((JSON.parse(read.stdout) as { title: string }).title, 'x');

    // The grant does not allow private notes: exit 4 and the status on stderr.
    const refused = await cli.run(
      'call',
      'POST',
      `${r.base}/api/1.0/notes`,
      'title=y',
      'visibility=private',
    );
    assert.equal(refused.code, 4);
    assert.match(refused.stderr, /answered 403/);

    // `sign --curl` prints a command that curl runs with success.
    const signed = await cli.run('sign', 'GET', `${r.base}/api/1.0/whoami`, '--curl');
    assert.equal(signed.code, 0, signed.stderr);
    assert.match(signed.stdout, /^curl /);
    const curled = await sh(`${signed.stdout.trim().replace(/^curl /, '/usr/bin/curl -f ')}`);
    assert.equal(curled.code, 0, curled.stderr);
    assert.equal((JSON.parse(curled.stdout) as { person: string }).person, 'alice');
    // The same command again is a replay: the provider refuses the used nonce.
    const replayed = await sh(
      `${signed.stdout.trim().replace(/^curl /, "/usr/bin/curl -w '%{http_code}' -o /dev/null ")}`,
    );
    assert.equal(replayed.stdout, '401');

    const signedPost = await cli.run(
      'sign',
      'POST',
      `${r.base}/api/1.0/notes`,
      'title=via curl',
      '--curl',
    );
    assert.equal(signedPost.code, 0, signedPost.stderr);
    const posted = await sh(
      `${signedPost.stdout.trim().replace(/^curl /, "/usr/bin/curl -w '\\n%{http_code}' ")}`,
    );
    assert.equal(posted.code, 0, posted.stderr);
    assert.match(posted.stdout, /\n201$/);
    assert.match(posted.stdout, /"title":"via curl"/);

    const profiles = await cli.run('profiles', '--json');
    assert.equal(profiles.code, 0);
    const rows = JSON.parse(profiles.stdout) as { profile: string; server: string }[];
    assert.deepEqual(
      rows.map((p) => [p.profile, p.server]),
      [[host, r.base]],
    );
    assert.doesNotMatch(profiles.stdout, new RegExp(saved.tokenSecret));

    // A revoked token: the CLI says what to do about it.
    const revoked = await admin(r, 'token', 'revoke', saved.token);
    assert.equal(revoked.code, 0, revoked.stderr);
    const stale = await cli.run('call', `${r.base}/api/1.0/whoami`);
    assert.equal(stale.code, 4, stale.stderr);
    assert.match(stale.stderr, new RegExp(`run: signet login ${r.base}\n$`));

    const out = await cli.run('logout', host);
    assert.equal(out.code, 0, out.stderr);
    const after = await cli.run('call', `${r.base}/api/1.0/whoami`);
    assert.equal(after.code, 6);
    assert.match(after.stderr, /signet login/);
  });

  test('login with an RSA consumer made by the admin CLI; query placement and JSON bodies', async () => {
    const added = await admin(
      r,
      'consumer',
      'add',
      'e2e-cli-rsa',
      '--rsa-public-key',
      join(FIXTURES, 'rsa-public.pem'),
      '--json',
    );
    assert.equal(added.code, 0, added.stderr);
    const { key } = JSON.parse(added.stdout) as { key: string };
    let seen = false;
    const loggedIn = await cli.interact(
      [
        'login',
        r.base,
        '--consumer-key',
        key,
        '--signature-method',
        'RSA-SHA1',
        '--rsa-key',
        join(FIXTURES, 'rsa-private.pem'),
        '--placement',
        'query',
        '--profile',
        'rsa',
      ],
      async (stderr, child) => {
        if (seen || !stderr.includes('Enter the verifier: ')) return;
        seen = true;
        const m = /\/oauth\/authorize\?oauth_token=([^&\s]+)/.exec(stderr);
        assert.ok(m, stderr);
        const { verifier } = await review(decodeURIComponent(m[1]!), 'WRITE_PRIVATE', {
          user: 'bob',
        });
        child.stdin.end(`${verifier}\n`);
      },
    );
    assert.equal(loggedIn.code, 0, loggedIn.stderr);
    assert.doesNotMatch(loggedIn.stderr, /Registered/, 'a consumer key was given');

    const made = await cli.run(
      'call',
      '--profile',
      'rsa',
      '--json',
      'POST',
      `${r.base}/api/1.0/notes`,
      'title=rsa note',
      'visibility=private',
      'body=ünï "json"',
    );
    assert.equal(made.code, 0, made.stderr);
    const note = JSON.parse(made.stdout) as Record<string, unknown>;
    assert.deepEqual(
      [note['owner'], note['title'], note['visibility'], note['body']],
      ['bob', 'rsa note', 'private', 'ünï "json"'],
    );
    const changed = await cli.run(
      'call',
      '--profile',
      'rsa',
      '--json',
      'PUT',
      `${r.base}/api/1.0/notes/${note['id']}`,
      'title=renamed',
    );
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal((JSON.parse(changed.stdout) as { title: string }).title, 'renamed');
    const deleted = await cli.run(
      'call',
      '--profile',
      'rsa',
      'DELETE',
      `${r.base}/api/1.0/notes/${note['id']}`,
    );
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(await r.store.getNote(note['id'] as number), undefined);
  });

  test('login --launchpad polls /+access-token until the person decides', async () => {
    let seen = false;
    const loggedIn = await cli.interact(
      [
        'login',
        r.base,
        '--launchpad',
        '--context',
        'firefox',
        '--profile',
        'lp',
        '--timeout',
        '60',
      ],
      async (stderr) => {
        const m = /(http:\/\/\S+\/\+authorize-token\?\S+)/.exec(stderr);
        if (seen || !m) return;
        seen = true;
        const url = new URL(m[1]!);
        assert.equal(url.searchParams.get('lp.context'), 'firefox');
        // No verifier to type: the CLI polls while the person decides.
        await review(url.searchParams.get('oauth_token')!, 'DESKTOP_INTEGRATION', {
          context: 'firefox',
        });
      },
    );
    assert.equal(loggedIn.code, 0, loggedIn.stderr);
    assert.match(loggedIn.stderr, /\(profile lp\)\./);
    const who = await cli.run('call', '--profile', 'lp', `${r.base}/api/1.0/whoami`);
    assert.equal(who.code, 0, who.stderr);
    const me = JSON.parse(who.stdout) as Record<string, unknown>;
    assert.equal(me['person'], 'alice');
    assert.equal(me['permission'], 'DESKTOP_INTEGRATION');
    assert.equal(me['context'], 'firefox');
    assert.match(String(me['consumer']), /^System-wide: .+ \(.+\)$/);
    const [saved] = (
      await new FileCredentialStore({ path: join(configDir, 'credentials.json') }).list()
    ).filter((c) => c.profile === 'lp');
    assert.equal(saved?.fields?.['lp.context'], 'firefox');
    assert.equal(saved?.signatureMethod, 'PLAINTEXT');
  });

  test('login --launchpad refused on the page exits 5 with "declined"', async () => {
    let seen = false;
    const loggedIn = await cli.interact(
      ['login', r.base, '--launchpad', '--consumer-key', 'e2e-declined', '--profile', 'no'],
      async (stderr) => {
        const m = /\/\+authorize-token\?oauth_token=([^&\s]+)/.exec(stderr);
        if (seen || !m) return;
        seen = true;
        await review(decodeURIComponent(m[1]!), 'UNAUTHORIZED');
      },
    );
    assert.equal(loggedIn.code, 5, loggedIn.stderr);
    assert.match(loggedIn.stderr, /Authorization was declined: End-user refused/);
    const profiles = await cli.run('profiles', '--json');
    const rows = JSON.parse(profiles.stdout) as { profile: string }[];
    assert.ok(!rows.some((p) => p.profile === 'no'));
  });
});
