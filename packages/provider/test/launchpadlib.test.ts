// Acceptance (issue 4): launchpadlib (Debian python3-launchpadlib), with its own credential
// code, obtains a request token at /+request-token, the grant is made (admin CLI), it
// exchanges the token at /+access-token, and the credentials then call /api/1.0/whoami.
// The fixture is test/fixtures/launchpadlib_login.py.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cli, DIALECTS, PythonPeer, type Running, seed, startProvider } from './http_harness.js';

interface Step {
  step: string;
  [k: string]: unknown;
}
interface Call extends Step {
  status: number;
  body: string;
  authorization: string;
}

async function expectStep<T extends Step>(peer: PythonPeer, step: string): Promise<T> {
  const s = await peer.next<T>();
  assert.equal(s.step, step, `expected ${step}, got ${JSON.stringify(s)}\n${peer.stderr}`);
  return s;
}

for (const dialect of DIALECTS) {
  describe(`launchpadlib against the provider (${dialect})`, () => {
    let r: Running;
    before(async () => {
      r = await startProvider({ dialect, env: { SIGNET_ALLOW_INSECURE_PLAINTEXT: 'true' } });
      await seed(r.store);
    });
    after(async () => {
      await r?.close();
    });

    it('gets a request token, waits for the review, exchanges it and calls whoami', async () => {
      const peer = new PythonPeer('launchpadlib_login.py', [
        `${r.base}/api/1.0/`,
        'app',
        'signet launchpadlib test',
      ]);
      const auth = await expectStep<Step & { request_token: string; authorization_url: string }>(
        peer,
        'authorize',
      );
      // launchpadlib derived the web root from the service root and asked there.
      assert.equal(auth['web_root'], `${r.base}/`);
      assert.equal(
        auth.authorization_url,
        `${r.base}/+authorize-token?oauth_token=${auth.request_token}`,
      );
      assert.equal(auth['consumer'], 'signet launchpadlib test');
      const pending = await r.store.getRequestToken(auth.request_token);
      assert.equal(pending?.consumerKey, 'signet launchpadlib test');
      assert.equal(pending?.grant, undefined);

      // Asked before the review, launchpadlib hears "not yet".
      peer.send('try');
      const notYet = await expectStep(peer, 'not_yet');
      assert.equal(notYet['content'], 'Request token has not yet been reviewed. Try again later.');

      const reviewed = await cli(r, [
        'token',
        'review',
        auth.request_token,
        '--user',
        'alice',
        '--permission',
        'WRITE_PUBLIC',
        '--context',
        'firefox',
      ]);
      assert.equal(reviewed.status, 0, reviewed.stderr);
      peer.send('try');
      const exchanged = await expectStep<Step & { access_token: string; context: string }>(
        peer,
        'exchanged',
      );
      assert.equal(exchanged.context, 'firefox');
      const stored = await r.store.getAccessToken(exchanged.access_token);
      assert.equal(stored?.userId, 'alice');

      const who = await expectStep<Call>(peer, 'whoami');
      assert.equal(who.status, 200, who.body);
      assert.deepEqual(JSON.parse(who.body), {
        person: 'alice',
        consumer: 'signet launchpadlib test',
        permission: 'WRITE_PUBLIC',
        context: 'firefox',
        expires: null,
      });
      // Signed as launchpadlib signs: PLAINTEXT in the header, realm "OAuth".
      assert.match(who.authorization, /^OAuth realm="OAuth"/);
      assert.match(who.authorization, /oauth_signature_method="PLAINTEXT"/);
      const reloaded = await expectStep<Call>(peer, 'whoami_reloaded');
      assert.equal(reloaded.status, 200, reloaded.body);
      assert.equal((JSON.parse(reloaded.body) as { person: string }).person, 'alice');
      const anonymous = await expectStep<Call>(peer, 'anonymous');
      assert.equal(anonymous.status, 200, anonymous.body);
      assert.deepEqual(JSON.parse(anonymous.body), {
        person: null,
        consumer: 'signet launchpadlib test',
        permission: 'READ_PUBLIC',
        context: null,
        expires: null,
      });
      assert.deepEqual(await expectStep(peer, 'done'), { step: 'done', authorized: true });
      assert.equal(await peer.end(), 0, peer.stderr);
    });
  });
}

describe('launchpadlib desktop integration and refusal (sqlite)', () => {
  let r: Running;
  before(async () => {
    r = await startProvider({ env: { SIGNET_ALLOW_INSECURE_PLAINTEXT: 'true' } });
    await seed(r.store);
  });
  after(async () => {
    await r?.close();
  });

  it('a system-wide consumer gets a time-limited DESKTOP_INTEGRATION grant', async () => {
    const peer = new PythonPeer('launchpadlib_login.py', [
      `${r.base}/api/1.0/`,
      'desktop',
      'Signet tests',
    ]);
    const auth = await expectStep<Step & { request_token: string; consumer: string }>(
      peer,
      'authorize',
    );
    assert.match(auth.consumer, /^System-wide: .+ \(.+\)$/);
    // The desktop engine asks for DESKTOP_INTEGRATION only.
    assert.match(auth['authorization_url'] as string, /&allow_permission=DESKTOP_INTEGRATION$/);
    const reviewed = await cli(r, [
      'token',
      'review',
      auth.request_token,
      '--user',
      'bob',
      '--permission',
      'DESKTOP_INTEGRATION',
      '--expires',
      '3600',
    ]);
    assert.equal(reviewed.status, 0, reviewed.stderr);
    peer.send('try');
    const exchanged = await expectStep<Step & { context: string }>(peer, 'exchanged');
    assert.equal(exchanged.context, 'None');
    const who = await expectStep<Call>(peer, 'whoami');
    assert.equal(who.status, 200, who.body);
    const body = JSON.parse(who.body) as Record<string, string>;
    assert.equal(body['person'], 'bob');
    assert.equal(body['consumer'], auth.consumer);
    assert.equal(body['permission'], 'DESKTOP_INTEGRATION');
    const expires = Date.parse(body['expires']!);
    assert.ok(Math.abs(expires - (Date.now() + 3600_000)) < 120_000, body['expires']);
    await expectStep(peer, 'whoami_reloaded');
    await expectStep(peer, 'anonymous');
    await expectStep(peer, 'done');
    assert.equal(await peer.end(), 0, peer.stderr);
  });

  it('an UNAUTHORIZED review is reported by launchpadlib as declined', async () => {
    const peer = new PythonPeer('launchpadlib_login.py', [
      `${r.base}/api/1.0/`,
      'app',
      'declined app',
    ]);
    const auth = await expectStep<Step & { request_token: string }>(peer, 'authorize');
    const reviewed = await cli(r, [
      'token',
      'review',
      auth.request_token,
      '--user',
      'alice',
      '--permission',
      'UNAUTHORIZED',
    ]);
    assert.equal(reviewed.status, 0, reviewed.stderr);
    peer.send('try');
    const declined = await expectStep(peer, 'declined');
    assert.equal(declined['content'], 'End-user refused to authorize request token.');
    assert.deepEqual(await expectStep(peer, 'done'), { step: 'done', authorized: false });
    assert.equal(await peer.end(), 0, peer.stderr);
  });
});
