// Acceptance (issue 4): the Launchpad exchange story over real HTTP, against a provider on
// loopback, on SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Answer,
  call,
  DIALECTS,
  expectText,
  form,
  type Running,
  review,
  seed,
  signedCall,
  startProvider,
} from './http_harness.js';

const HOUR = 3600_000;
const CONSUMER = 'just testing';

/** Launchpad's PLAINTEXT parameters, as launchpadlib sends them (no timestamp, no nonce). */
function plaintext(consumer: string, token?: string, tokenSecret?: string): [string, string][] {
  return [
    ['oauth_consumer_key', consumer],
    ['oauth_signature_method', 'PLAINTEXT'],
    ...(token === undefined ? [] : ([['oauth_token', token]] as [string, string][])),
    ['oauth_signature', `&${tokenSecret ?? ''}`],
  ];
}

const postForm = (url: string, params: [string, string][], headers: Record<string, string> = {}) =>
  call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
const getQuery = (url: string, params: [string, string][], headers: Record<string, string> = {}) =>
  call(`${url}?${new URLSearchParams(params).toString()}`, { headers });

function challenge(a: Answer): void {
  assert.equal(a.status, 401);
  assert.match(a.headers.get('www-authenticate') ?? '', /^OAuth realm="[^"]*"/);
}

for (const dialect of DIALECTS) {
  describe(`Launchpad exchange story over HTTP (${dialect})`, () => {
    let r: Running;
    let offset = 0;
    const now = () => Date.now() + offset;

    before(async () => {
      r = await startProvider({
        dialect,
        now,
        env: { SIGNET_ALLOW_INSECURE_PLAINTEXT: 'true' },
      });
      await seed(r.store);
    });
    after(async () => {
      await r?.close();
    });

    async function requestToken(consumer = CONSUMER): Promise<{ token: string; secret: string }> {
      const a = await postForm(`${r.base}/+request-token`, plaintext(consumer));
      assert.equal(a.status, 200, a.text);
      const f = form(a.text);
      assert.deepEqual(Object.keys(f), ['oauth_token', 'oauth_token_secret']);
      return { token: f['oauth_token']!, secret: f['oauth_token_secret']! };
    }
    const exchange = (t: { token: string; secret: string }, consumer = CONSUMER) =>
      postForm(`${r.base}/+access-token`, plaintext(consumer, t.token, t.secret));

    it('answers /+request-token with JSON for Accept: application/json', async () => {
      const a = await postForm(`${r.base}/+request-token`, plaintext(CONSUMER), {
        accept: 'application/json',
      });
      assert.equal(a.status, 200, a.text);
      assert.match(a.headers.get('content-type') ?? '', /^application\/json/);
      const body = JSON.parse(a.text) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), [
        'access_levels',
        'oauth_token',
        'oauth_token_consumer',
        'oauth_token_secret',
      ]);
      assert.match(body['oauth_token'] as string, /^[A-Za-z0-9]{20}$/);
      assert.equal(typeof body['oauth_token_secret'], 'string');
      assert.equal(body['oauth_token_consumer'], CONSUMER);
      assert.deepEqual(body['access_levels'], [
        { value: 'UNAUTHORIZED', title: 'No Access' },
        { value: 'READ_PUBLIC', title: 'Read Non-Private Data' },
        { value: 'WRITE_PUBLIC', title: 'Change Non-Private Data' },
        { value: 'READ_PRIVATE', title: 'Read Anything' },
        { value: 'WRITE_PRIVATE', title: 'Change Anything' },
        { value: 'DESKTOP_INTEGRATION', title: 'Integrate an entire system' },
      ]);
      // Without the Accept header the same endpoint answers a form.
      const f = await getQuery(`${r.base}/+request-token`, plaintext(CONSUMER));
      assert.equal(f.status, 200, f.text);
      assert.match(f.text, /^oauth_token=[A-Za-z0-9]{20}&oauth_token_secret=[A-Za-z0-9]+$/);
    });

    it('registers an unknown consumer key as an open consumer with an empty secret', async () => {
      const key = `open consumer ${dialect}`;
      assert.equal(await r.store.getConsumerInfo(key), undefined);
      await requestToken(key);
      const info = await r.store.getConsumerInfo(key);
      assert.equal(info?.origin, 'open');
      assert.equal((await r.store.getConsumer(key))?.secret, '');
      // A second request token for the same open consumer works as well.
      await requestToken(key);
    });

    it('refuses to exchange before review: 401 not yet reviewed', async () => {
      const t = await requestToken();
      const a = await exchange(t);
      expectText(a, 401, 'Request token has not yet been reviewed. Try again later.');
      challenge(a);
    });

    it('reviewed WRITE_PUBLIC, exchanged once with PLAINTEXT in a POST form', async () => {
      const t = await requestToken();
      await review(r, t.token, 'WRITE_PUBLIC', { now: now() });
      const a = await exchange(t);
      assert.equal(a.status, 200, a.text);
      assert.match(a.headers.get('content-type') ?? '', /application\/x-www-form-urlencoded/);
      const f = form(a.text);
      assert.deepEqual(Object.keys(f), ['oauth_token', 'oauth_token_secret', 'lp.context']);
      assert.equal(f['lp.context'], 'None');
      assert.match(f['oauth_token']!, /^[A-Za-z0-9]{20}$/);
      assert.notEqual(f['oauth_token'], t.token);

      const again = await exchange(t);
      expectText(again, 401, 'No request token specified.', 'second exchange');
      challenge(again);

      // The access token acts for alice with the permission granted.
      const who = await signedCall(
        `${r.base}/api/1.0/whoami`,
        {
          consumerKey: CONSUMER,
          consumerSecret: '',
          token: f['oauth_token']!,
          tokenSecret: f['oauth_token_secret']!,
        },
        { signatureMethod: 'PLAINTEXT', clock: now },
      );
      assert.equal(who.status, 200, who.text);
      assert.deepEqual(JSON.parse(who.text), {
        person: 'alice',
        consumer: CONSUMER,
        permission: 'WRITE_PUBLIC',
        context: null,
        expires: null,
      });
    });

    it('exchanges with PLAINTEXT in a GET query, once', async () => {
      const t = await requestToken();
      await review(r, t.token, 'WRITE_PUBLIC', { now: now() });
      const a = await getQuery(`${r.base}/+access-token`, plaintext(CONSUMER, t.token, t.secret));
      assert.equal(a.status, 200, a.text);
      assert.equal(form(a.text)['lp.context'], 'None');
      const again = await getQuery(
        `${r.base}/+access-token`,
        plaintext(CONSUMER, t.token, t.secret),
      );
      expectText(again, 401, 'No request token specified.');
    });

    it('grants limited to the context firefox answer lp.context=firefox', async () => {
      const t = await requestToken();
      await review(r, t.token, 'WRITE_PRIVATE', { context: 'firefox', now: now() });
      const a = await exchange(t);
      assert.equal(a.status, 200, a.text);
      const f = form(a.text);
      assert.equal(f['lp.context'], 'firefox');
      const stored = await r.store.getAccessToken(f['oauth_token']!);
      assert.equal(stored?.context, 'firefox');
      assert.equal(stored?.permission, 'WRITE_PRIVATE');
      const who = await signedCall(
        `${r.base}/api/1.0/whoami`,
        {
          consumerKey: CONSUMER,
          consumerSecret: '',
          token: f['oauth_token']!,
          tokenSecret: f['oauth_token_secret']!,
        },
        { clock: now },
      );
      assert.equal(who.status, 200, who.text);
      assert.equal((JSON.parse(who.text) as { context: string }).context, 'firefox');
    });

    it('refuses a wrong PLAINTEXT signature: 401 Invalid OAuth signature.', async () => {
      const t = await requestToken();
      await review(r, t.token, 'READ_PUBLIC', { now: now() });
      const bad = await exchange({ token: t.token, secret: `${t.secret}x` });
      expectText(bad, 401, 'Invalid OAuth signature.');
      challenge(bad);
      // A signature with a consumer secret the open consumer does not have.
      const bad2 = await postForm(`${r.base}/+access-token`, [
        ['oauth_consumer_key', CONSUMER],
        ['oauth_signature_method', 'PLAINTEXT'],
        ['oauth_token', t.token],
        ['oauth_signature', `nope&${t.secret}`],
      ]);
      expectText(bad2, 401, 'Invalid OAuth signature.');
      // The refusal did not use the token up.
      const good = await exchange(t);
      assert.equal(good.status, 200, good.text);
    });

    it('answers 401 No request token specified. for a missing or unknown token', async () => {
      const unknown = await exchange({ token: 'AAAAAAAAAAAAAAAAAAAA', secret: 'x' });
      expectText(unknown, 401, 'No request token specified.');
      challenge(unknown);
      // A token of another consumer is as unknown as none.
      const t = await requestToken(`other ${dialect}`);
      await review(r, t.token, 'READ_PUBLIC', { now: now() });
      expectText(await exchange(t), 401, 'No request token specified.');
      assert.equal((await exchange(t, `other ${dialect}`)).status, 200);
    });

    it('answers 403 End-user refused to authorize request token. for UNAUTHORIZED', async () => {
      const t = await requestToken();
      await review(r, t.token, 'UNAUTHORIZED', { now: now() });
      const a = await exchange(t);
      expectText(a, 403, 'End-user refused to authorize request token.');
      // Still refused, and still not exchangeable, the next time.
      assert.equal((await exchange(t)).status, 403);
    });

    it('answers 403 expired for a request token older than two hours', async () => {
      const pending = await requestToken();
      const reviewed = await requestToken();
      await review(r, reviewed.token, 'READ_PUBLIC', { now: now() });
      const young = await requestToken();
      offset += 2 * HOUR - 60_000;
      // Just under two hours: still good.
      await review(r, young.token, 'READ_PUBLIC', { now: now() });
      assert.equal((await exchange(young)).status, 200);
      offset += 2 * 60_000;
      try {
        const expired =
          'This request token has expired and can no longer be exchanged for an access token.';
        expectText(await exchange(reviewed), 403, expired, 'reviewed, then expired');
        expectText(await exchange(pending), 403, expired, 'never reviewed');
        // A review past the lifetime is refused too.
        await assert.rejects(review(r, pending.token, 'READ_PUBLIC', { now: now() }));
      } finally {
        offset = 0;
      }
    });
  });
}

describe('SIGNET_OPEN_CONSUMERS=false', () => {
  let r: Running;
  before(async () => {
    r = await startProvider({ env: { SIGNET_OPEN_CONSUMERS: 'false' } });
  });
  after(async () => {
    await r?.close();
  });

  it('refuses an unknown consumer key instead of registering it', async () => {
    const a = await postForm(`${r.base}/+request-token`, plaintext('unregistered app'));
    expectText(a, 401, 'Unknown consumer (unregistered app).');
    challenge(a);
    assert.equal(await r.store.getConsumerInfo('unregistered app'), undefined);
  });

  it('still serves a registered consumer, checking its secret', async () => {
    const c = await r.store.createConsumer({ key: 'registered app' });
    const wrong = await postForm(`${r.base}/+request-token`, plaintext('registered app'));
    expectText(wrong, 401, 'Invalid OAuth signature.');
    const ok = await postForm(`${r.base}/+request-token`, [
      ['oauth_consumer_key', c.key],
      ['oauth_signature_method', 'PLAINTEXT'],
      ['oauth_signature', `${c.secret}&`],
    ]);
    assert.equal(ok.status, 200, ok.text);
  });
});
