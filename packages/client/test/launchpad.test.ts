import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ClientError,
  desktopConsumerName,
  isDesktopConsumerName,
  launchpadClient,
  login,
  OAuthProtocolError,
  waitForAccessToken,
} from '../src/index.js';
import { launchpad } from './fakes.js';

// A clock that moves only when the poller sleeps: no real waiting, no timing assertions.
function fakeTime() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    clock: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

test('desktop consumer names follow launchpadlib', () => {
  assert.equal(
    desktopConsumerName({ desktop: 'Ubuntu', computer: 'laptop' }),
    'System-wide: Ubuntu (laptop)',
  );
  assert.ok(isDesktopConsumerName(desktopConsumerName()));
  assert.ok(!isDesktopConsumerName('my-app'));
});

test('Launchpad: POSTs PLAINTEXT forms, asks for JSON, polls each second while 401, then 200', async () => {
  const { fake, seen, polls } = await launchpad([401, 401, 401, 200]);
  try {
    const time = fakeTime();
    const lp = launchpadClient({
      server: fake.base,
      consumerKey: desktopConsumerName({ desktop: 'Debian', computer: 'box' }),
    });
    const attempts: number[] = [];
    const result = await login(lp, {
      authorizeParams: { allow_permission: 'DESKTOP_INTEGRATION' },
      getVerifier: () => undefined,
      poll: { ...time, onPoll: (n) => attempts.push(n) },
    });
    assert.equal(result.requestToken.fields['oauth_token_consumer'], 'System-wide: Debian (box)');
    assert.deepEqual(result.requestToken.fields['access_levels'], [
      { value: 'READ_PUBLIC', title: 'Read Non-Private Data' },
    ]);
    assert.equal(
      result.authorizationUrl,
      `${fake.base}/+authorize-token?oauth_token=K&allow_permission=DESKTOP_INTEGRATION`,
    );
    assert.equal(result.accessToken.token, 'AT');
    assert.equal(result.accessToken.fields['lp.context'], 'firefox');
    assert.equal(polls(), 4);
    assert.deepEqual(time.sleeps, [1000, 1000, 1000]);
    assert.deepEqual(attempts, [1, 2, 3, 4]);

    const rt = seen[0]!;
    assert.equal(rt.path, '/+request-token');
    assert.equal(rt.accept, 'application/json');
    assert.equal(rt.auth, undefined, 'token requests carry the parameters in the form');
    const form = new URLSearchParams(rt.body);
    assert.equal(form.get('oauth_consumer_key'), 'System-wide: Debian (box)');
    assert.equal(form.get('oauth_signature_method'), 'PLAINTEXT');

    // API calls go in the header, with Launchpad's realm.
    const signed = result.client.sign('https://api.launchpad.net/devel/people/+me');
    assert.match(
      signed.headers['authorization']!,
      /^OAuth realm="https:\/\/api\.launchpad\.net\/", .*oauth_signature="%26ATS"/,
    );
  } finally {
    await fake.close();
  }
});

test('Launchpad: 403 is a clear "declined" error, and stops polling', async () => {
  const { fake, polls } = await launchpad([401, 403, 200]);
  try {
    const lp = launchpadClient({ server: fake.base, consumerKey: 'app' });
    const rt = await lp.requestToken();
    const err = await waitForAccessToken(lp, rt, fakeTime()).catch((e: unknown) => e);
    assert.ok(err instanceof OAuthProtocolError);
    assert.equal(err.code, 'ERR_OAUTH_DECLINED');
    assert.equal(err.status, 403);
    assert.match(err.message, /End-user refused/);
    assert.equal(polls(), 2);
  } finally {
    await fake.close();
  }
});

test('Launchpad: an expired token and an unknown one end the wait at once', async () => {
  const { fake } = await launchpad([410, 404]);
  try {
    const lp = launchpadClient({ server: fake.base, consumerKey: 'app' });
    const rt = await lp.requestToken();
    await assert.rejects(waitForAccessToken(lp, rt, fakeTime()), { code: 'ERR_OAUTH_EXPIRED' });
    await assert.rejects(waitForAccessToken(lp, rt, fakeTime()), {
      code: 'ERR_OAUTH_PROTOCOL',
      status: 401,
      message: /No request token specified/,
    });
  } finally {
    await fake.close();
  }
});

test('Launchpad: gives up at the time-out', async () => {
  const { fake, polls } = await launchpad([]);
  try {
    const lp = launchpadClient({ server: fake.base, consumerKey: 'app' });
    const rt = await lp.requestToken();
    const time = fakeTime();
    const err = await waitForAccessToken(lp, rt, { ...time, timeout: 5000 }).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, 'ERR_OAUTH_TIMEOUT');
    assert.equal(polls(), 6);
    assert.deepEqual(time.sleeps, [1000, 1000, 1000, 1000, 1000]);
  } finally {
    await fake.close();
  }
});
