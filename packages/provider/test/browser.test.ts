// The people pages in real headless Chromium (Debian's, driven by playwright-core), against a
// real provider on loopback: everything a person does is done by clicking.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import {
  clickAndWait,
  fillLogin,
  launchChromium,
  logIn,
  lpAccessToken,
  lpRequestToken,
  type RunningProvider,
  type SideServer,
  type Signer,
  signedFetch,
  startProvider,
  startSideServer,
  text,
  tokenPair,
  whoami,
} from './browser_helpers.js';

const PASSWORD = 'correct horse battery staple';
const LEVELS = [
  ['READ_PUBLIC', 'Read Non-Private Data'],
  ['WRITE_PUBLIC', 'Change Non-Private Data'],
  ['READ_PRIVATE', 'Read Anything'],
  ['WRITE_PRIVATE', 'Change Anything'],
] as const;
const DESKTOP = 'System-wide: Ubuntu (mycomputer)';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('people pages in headless Chromium', () => {
  let browser: Browser;
  let lp: RunningProvider;
  let base: string;
  let side: SideServer;
  // Screenshots go to a temp dir, removed afterwards unless SIGNET_SCREENSHOTS names a
  // folder to keep them in (to look at them).
  const keep = process.env['SIGNET_SCREENSHOTS'];
  const shots = keep ?? mkdtempSync(join(tmpdir(), 'signet-shots-'));
  const contexts: BrowserContext[] = [];
  // Alice logs in once through the login page; her tests start fresh contexts from that state.
  let aliceState: Awaited<ReturnType<BrowserContext['storageState']>>;

  before(async () => {
    [browser, lp, side] = await Promise.all([launchChromium(), startProvider(), startSideServer()]);
    base = lp.base;
    const store = lp.provider.storage.store;
    for (const name of ['alice', 'bob', 'carol', 'dave']) {
      await store.createUser({
        name,
        displayName: `${name[0]?.toUpperCase()}${name.slice(1)} Example`,
        password: PASSWORD,
      });
    }
    await store.createContext({ name: 'firefox', title: 'Mozilla Firefox' });
    const page = await freshPage();
    await logIn(page, base, 'alice', PASSWORD);
    aliceState = await page.context().storageState();
  });

  // Each test's browser contexts end with it.
  afterEach(async () => {
    await Promise.allSettled(contexts.splice(0).map((c) => c.close()));
  });

  after(async () => {
    await Promise.allSettled(contexts.splice(0).map((c) => c.close()));
    await browser?.close();
    await Promise.allSettled([lp?.close(), side?.close()]);
    if (!keep) rmSync(shots, { recursive: true, force: true });
  });

  async function freshPage(options: BrowserContextOptions = {}): Promise<Page> {
    const context = await browser.newContext(options);
    contexts.push(context);
    return context.newPage();
  }

  async function loggedIn(user: string): Promise<Page> {
    if (user === 'alice') return freshPage({ storageState: aliceState });
    const page = await freshPage();
    await logIn(page, base, user, PASSWORD);
    return page;
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    assert.deepEqual(readFileSync(path).subarray(0, 8), PNG);
  }

  const buttons = async (page: Page) =>
    (await page.locator('form.levels button').allInnerTexts()).map((t) => t.trim());

  it('logs in: a wrong password stays on the page with the error, the right one goes to next', async () => {
    const page = await freshPage();
    const { token } = await lpRequestToken(base, 'login-app');
    const authorize = `/+authorize-token?oauth_token=${token}`;
    await page.goto(`${base}${authorize}`);
    // Not logged in: the authorization page sends the person to log in first.
    const login = new URL(page.url());
    assert.equal(login.pathname, '/login');
    assert.equal(login.searchParams.get('next'), authorize);
    await screenshot(page, 'login');

    await fillLogin(page, 'alice', 'not the password');
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(await text(page.getByRole('alert')), 'Unknown user name or wrong password.');
    assert.equal(await page.getByLabel('User name').inputValue(), 'alice');
    assert.equal(await page.getByLabel('Password').inputValue(), '');
    // The name is kept, so the cursor waits in the password field.
    assert.equal(await page.evaluate('document.activeElement.name'), 'password');
    await screenshot(page, 'login-error');

    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([
      page.waitForNavigation(),
      page.getByRole('button', { name: 'Log in', exact: true }).click(),
    ]);
    assert.equal(`${new URL(page.url()).pathname}${new URL(page.url()).search}`, authorize);
    assert.equal(
      await text(page.locator('h1')),
      'Authorize application to access Signet on your behalf',
    );
    assert.match(await text(page.locator('header')), /Alice Example/);
  });

  it('authorizes a request token at each permission level, and whoami shows it', async () => {
    const page = await loggedIn('alice');
    for (const [level, title] of LEVELS) {
      const consumer = `app-${level.toLowerCase()}`;
      const request = await lpRequestToken(base, consumer);
      await page.goto(`${base}/+authorize-token?oauth_token=${request.token}`);
      assert.match(await text(page.locator('.lead')), new RegExp(consumer));
      assert.deepEqual(await buttons(page), [...LEVELS.map(([, t]) => t), 'No Access']);
      if (level === 'READ_PUBLIC') await screenshot(page, 'authorize');
      await clickAndWait(page, title);
      assert.equal(await text(page.locator('h1')), 'Almost finished…');
      // The Launchpad flow has no verifier to show.
      assert.equal(await page.locator('#verifier').count(), 0);

      const access = tokenPair(await lpAccessToken(base, consumer, request));
      assert.equal(access.params.get('lp.context'), 'None');
      const me = await whoami(base, {
        consumerKey: consumer,
        consumerSecret: '',
        token: access.token,
        tokenSecret: access.secret,
      });
      assert.deepEqual(me, {
        person: 'alice',
        consumer,
        permission: level,
        context: null,
        expires: null,
      });
    }
  });

  it('"No Access" shows "Access not granted" and the exchange is refused with 403', async () => {
    const page = await loggedIn('alice');
    const request = await lpRequestToken(base, 'refused-app');
    await page.goto(`${base}/+authorize-token?oauth_token=${request.token}`);
    await clickAndWait(page, 'No Access');
    assert.equal(await page.title(), 'Access not granted · Signet');
    assert.equal(await text(page.locator('h1')), 'Access not granted to application');
    const exchange = await lpAccessToken(base, 'refused-app', request);
    assert.deepEqual(exchange, {
      status: 403,
      body: 'End-user refused to authorize request token.',
    });
  });

  it('allow_permission limits the buttons, and lp.context limits the grant to the context', async () => {
    const page = await loggedIn('alice');
    const request = await lpRequestToken(base, 'firefox-sync');
    await page.goto(
      `${base}/+authorize-token?oauth_token=${request.token}&lp.context=firefox` +
        '&allow_permission=WRITE_PRIVATE&allow_permission=READ_PUBLIC',
    );
    assert.deepEqual(await buttons(page), [
      'Read Non-Private Data',
      'Change Anything',
      'No Access',
    ]);
    assert.match(await text(page.locator('.context')), /Mozilla Firefox \(firefox\)/);
    await screenshot(page, 'authorize-context');
    await clickAndWait(page, 'Change Anything');
    assert.equal(await text(page.locator('h1')), 'Almost finished…');

    const access = tokenPair(await lpAccessToken(base, 'firefox-sync', request));
    assert.equal(access.params.get('lp.context'), 'firefox');
    // A context the site does not know is refused up front, not after the click.
    const other = await lpRequestToken(base, 'firefox-sync');
    const unknown = await page.goto(
      `${base}/+authorize-token?oauth_token=${other.token}&lp.context=thunderbird`,
    );
    assert.equal(unknown?.status(), 400);
    assert.equal(await text(page.locator('h1')), 'Unknown context');
    assert.equal(await page.locator('form.levels').count(), 0);

    const me = await whoami(base, {
      consumerKey: 'firefox-sync',
      consumerSecret: '',
      token: access.token,
      tokenSecret: access.secret,
    });
    assert.equal(me.permission, 'WRITE_PRIVATE');
    assert.equal(me.context, 'firefox');
  });

  it('sends the browser to a Launchpad-style oauth_callback given to the page', async () => {
    const page = await loggedIn('alice');
    const request = await lpRequestToken(base, 'lp-callback-app');
    const callback = `${side.origin}/lp-done`;
    await page.goto(
      `${base}/+authorize-token?oauth_token=${request.token}&oauth_callback=${encodeURIComponent(callback)}`,
    );
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/lp-done'),
      page.getByRole('button', { name: 'Read Non-Private Data', exact: true }).click(),
    ]);
    assert.equal(new URL(page.url()).searchParams.get('oauth_token'), request.token);
    const access = tokenPair(await lpAccessToken(base, 'lp-callback-app', request));
    const me = await whoami(base, {
      consumerKey: 'lp-callback-app',
      consumerSecret: '',
      token: access.token,
      tokenSecret: access.secret,
    });
    assert.equal(me.permission, 'READ_PUBLIC');
  });

  it('offers durations to a desktop consumer; "For one hour" grants DESKTOP_INTEGRATION for an hour', async () => {
    const page = await loggedIn('alice');
    const request = await lpRequestToken(base, DESKTOP);
    await page.goto(`${base}/+authorize-token?oauth_token=${request.token}`);
    assert.match(await text(page.locator('.lead')), /Ubuntu.*mycomputer/);
    assert.deepEqual(await buttons(page), [
      'Until I disable it',
      'For one week',
      'For one day',
      'For one hour',
      'Do not allow',
    ]);
    await screenshot(page, 'authorize-desktop');
    const clicked = Date.now();
    await clickAndWait(page, 'For one hour');
    assert.equal(await text(page.locator('h1')), 'Almost finished…');

    const access = tokenPair(await lpAccessToken(base, DESKTOP, request));
    const me = await whoami(base, {
      consumerKey: DESKTOP,
      consumerSecret: '',
      token: access.token,
      tokenSecret: access.secret,
    });
    assert.equal(me.permission, 'DESKTOP_INTEGRATION');
    assert.ok(me.expires !== null, 'a one-hour grant expires');
    const expires = Date.parse(me.expires);
    assert.ok(
      expires > clicked + 55 * 60_000 && expires < Date.now() + 65 * 60_000,
      `expires ${me.expires}, about an hour after ${new Date(clicked).toISOString()}`,
    );
  });

  it('RFC 5849 with oob: the page shows the verifier, and the verifier exchanges', async () => {
    const consumer = await lp.provider.storage.store.createConsumer({ name: 'Notes Desktop' });
    const signer: Signer = { consumerKey: consumer.key, consumerSecret: consumer.secret };
    const temp = tokenPair(
      await signedFetch(signer, 'POST', `${base}/oauth/request_token`, { callback: 'oob' }),
    );
    assert.equal(temp.params.get('oauth_callback_confirmed'), 'true');

    const page = await loggedIn('alice');
    await page.goto(`${base}/oauth/authorize?oauth_token=${temp.token}`);
    assert.match(await text(page.locator('.lead')), /Notes Desktop/);
    await clickAndWait(page, 'Read Anything');
    const verifier = await text(page.locator('#verifier'));
    assert.ok(verifier.length >= 8, verifier);
    await screenshot(page, 'verifier');

    const withToken = { ...signer, token: temp.token, tokenSecret: temp.secret };
    const wrong = await signedFetch(withToken, 'POST', `${base}/oauth/access_token`, {
      verifier: `${verifier}x`,
    });
    assert.deepEqual(wrong, { status: 401, body: 'Invalid verifier.' });
    const access = tokenPair(
      await signedFetch(withToken, 'POST', `${base}/oauth/access_token`, { verifier }),
    );
    const me = await whoami(base, { ...signer, token: access.token, tokenSecret: access.secret });
    assert.equal(me.person, 'alice');
    assert.equal(me.permission, 'READ_PRIVATE');
  });

  it('RFC 5849 with a callback: the browser lands on the callback (another origin) with the verifier', async () => {
    const consumer = await lp.provider.storage.store.createConsumer({ name: 'Notes Web' });
    const signer: Signer = { consumerKey: consumer.key, consumerSecret: consumer.secret };
    const callback = `${side.origin}/callback?state=s1`;
    const temp = tokenPair(
      await signedFetch(signer, 'POST', `${base}/oauth/request_token`, { callback }),
    );

    const page = await loggedIn('alice');
    // A callback in the page's URL (as OAuth 1.0 clients send) does not override the one
    // given with the request token, for the redirect nor for the CSP that must allow it.
    const elsewhere = encodeURIComponent('http://127.0.0.1:9/elsewhere');
    const shown = await page.goto(
      `${base}/oauth/authorize?oauth_token=${temp.token}&oauth_callback=${elsewhere}`,
    );
    // The form may end up at the callback's origin, and only there.
    assert.match(
      shown?.headers()['content-security-policy'] ?? '',
      new RegExp(`form-action 'self' ${side.origin};`),
    );
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/callback'),
      page.getByRole('button', { name: 'Change Non-Private Data', exact: true }).click(),
    ]);
    const landed = new URL(page.url());
    assert.equal(landed.origin, side.origin);
    assert.equal(landed.searchParams.get('state'), 's1');
    assert.equal(landed.searchParams.get('oauth_token'), temp.token);
    const verifier = landed.searchParams.get('oauth_verifier');
    assert.ok(verifier);
    assert.equal(await text(page.locator('h1')), 'Back');
    // The callback server saw the same thing the browser shows.
    assert.ok(
      side.received.some(
        (r) =>
          r.url.pathname === '/callback' && r.url.searchParams.get('oauth_verifier') === verifier,
      ),
    );

    const access = tokenPair(
      await signedFetch(
        { ...signer, token: temp.token, tokenSecret: temp.secret },
        'POST',
        `${base}/oauth/access_token`,
        { verifier },
      ),
    );
    const me = await whoami(base, { ...signer, token: access.token, tokenSecret: access.secret });
    assert.equal(me.permission, 'WRITE_PUBLIC');
  });

  it('lists grants on /account/applications; Revoke removes one and its token is refused', async () => {
    const page = await loggedIn('bob');
    assert.match(await text(page.locator('main')), /You have not authorized any application/);

    // Two grants: one limited to a context, one desktop grant that expires.
    const ctx = await lpRequestToken(base, 'bob-firefox');
    await page.goto(`${base}/+authorize-token?oauth_token=${ctx.token}&lp.context=firefox`);
    await clickAndWait(page, 'Change Non-Private Data');
    const ctxAccess = tokenPair(await lpAccessToken(base, 'bob-firefox', ctx));
    const desk = await lpRequestToken(base, DESKTOP);
    await page.goto(`${base}/+authorize-token?oauth_token=${desk.token}`);
    await clickAndWait(page, 'For one day');
    const deskAccess = tokenPair(await lpAccessToken(base, DESKTOP, desk));
    const deskSigner = {
      consumerKey: DESKTOP,
      consumerSecret: '',
      token: deskAccess.token,
      tokenSecret: deskAccess.secret,
    };

    await page.goto(`${base}/account/applications`);
    await screenshot(page, 'applications');
    const rows = page.locator('tbody tr');
    assert.equal(await rows.count(), 2);
    const cells = async (app: string) =>
      (await rows.filter({ hasText: app }).locator('td').allInnerTexts()).map((t) => t.trim());
    const today = new Date().toISOString().slice(0, 10);
    const [fApp, fPerm, fContext, fWhen, fExpires] = await cells('bob-firefox');
    assert.equal(fApp, 'bob-firefox');
    assert.equal(fPerm, 'Change Non-Private Data');
    assert.equal(fContext, 'firefox');
    assert.ok(fWhen?.startsWith(today), fWhen);
    assert.equal(fExpires, 'Never');
    const [dApp, dPerm, dContext, , dExpires] = await cells(DESKTOP);
    assert.equal(dApp, DESKTOP);
    assert.equal(dPerm, 'Integrate an entire system');
    assert.equal(dContext, '—');
    assert.match(dExpires ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    // The shown expiry is the token's.
    const apiExpiry = (await whoami(base, deskSigner)).expires;
    assert.equal(dExpires, `${apiExpiry?.slice(0, 16).replace('T', ' ')} UTC`);

    await Promise.all([
      page.waitForNavigation(),
      rows.filter({ hasText: DESKTOP }).getByRole('button', { name: 'Revoke' }).click(),
    ]);
    assert.equal(new URL(page.url()).pathname, '/account/applications');
    assert.equal(await text(page.getByRole('status')), 'Access revoked.');
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.filter({ hasText: DESKTOP }).count(), 0);

    const refused = await signedFetch(deskSigner, 'GET', `${base}/api/1.0/whoami`);
    assert.equal(refused.status, 401);
    assert.equal(refused.body, `Unknown access token (${deskAccess.token}).`);
    // The other grant still works.
    const still = await whoami(base, {
      consumerKey: 'bob-firefox',
      consumerSecret: '',
      token: ctxAccess.token,
      tokenSecret: ctxAccess.secret,
    });
    assert.equal(still.context, 'firefox');
  });

  it('refuses to be framed by another origin', async () => {
    const page = await loggedIn('alice');
    const request = await lpRequestToken(base, 'framed-app');
    const url = `${base}/+authorize-token?oauth_token=${request.token}`;
    const direct = await page.goto(url);
    const headers = direct?.headers() ?? {};
    assert.equal(headers['x-frame-options'], 'DENY');
    assert.match(headers['content-security-policy'] ?? '', /frame-ancestors 'none'/);

    // The same page in a frame of another origin, beside a provider URL that may be framed
    // (/healthz), so that a frame that renders is seen rendering.
    side.page(
      '/frame',
      `<!doctype html><title>Framer</title>
      <iframe id="control" src="${base}/healthz"></iframe>
      <iframe id="victim" src="${url}"></iframe>`,
    );
    await page.goto(`${side.origin}/frame`);
    const frameOf = async (id: string) => {
      const frame = await (await page.waitForSelector(`#${id}`)).contentFrame();
      assert.ok(frame);
      await frame.waitForLoadState('load');
      return frame;
    };
    const control = await frameOf('control');
    assert.match(await text(control.locator('body')), /"status":"ok"/);
    const victim = await frameOf('victim');
    assert.notEqual(victim.url(), url);
    assert.equal(await victim.locator('button').count(), 0);
    assert.doesNotMatch(await victim.content(), /Authorize application|Change Anything/);
    // Nothing was decided on the way.
    const exchange = await lpAccessToken(base, 'framed-app', request);
    assert.equal(exchange.body, 'Request token has not yet been reviewed. Try again later.');
  });

  it('rejects a POST without the CSRF token, or with a wrong one, and records nothing', async () => {
    const page = await loggedIn('carol');
    const request = await lpRequestToken(base, 'csrf-target');
    const target = `${base}/+authorize-token`;
    // Another origin (same site: loopback, so the browser sends carol's cookies along) posts a
    // decision for carol, once without a token and once with a made-up one.
    for (const csrf of [undefined, 'forged-token']) {
      side.page(
        '/attack',
        `<!doctype html><title>Win a prize</title>
        <form method="post" action="${target}">
          <input type="hidden" name="oauth_token" value="${request.token}">
          <input type="hidden" name="permission" value="WRITE_PRIVATE">
          ${csrf === undefined ? '' : `<input type="hidden" name="csrf" value="${csrf}">`}
        </form>
        <script>document.forms[0].submit()</script>`,
      );
      const [posted] = await Promise.all([
        page.waitForResponse((r) => r.url() === target && r.request().method() === 'POST'),
        page.goto(`${side.origin}/attack`),
      ]);
      assert.equal(posted.status(), 403);
      assert.match((await posted.request().headerValue('cookie')) ?? '', /signet_session=/);
      await page.waitForURL(target);
      assert.equal(await text(page.locator('h1')), 'Form expired');
    }

    // The same with the session cookie, straight from a script.
    const cookies = await page.context().cookies(base);
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    assert.match(cookie, /signet_session=/);
    for (const extra of [{}, { csrf: 'AAAA' }]) {
      const direct = await fetch(target, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          oauth_token: request.token,
          permission: 'WRITE_PRIVATE',
          ...extra,
        }).toString(),
      });
      assert.equal(direct.status, 403);
    }

    // Nothing recorded: the token is still unreviewed, nothing is listed, and carol can
    // still make the decision herself.
    const exchange = await lpAccessToken(base, 'csrf-target', request);
    assert.deepEqual(exchange, {
      status: 401,
      body: 'Request token has not yet been reviewed. Try again later.',
    });
    await page.goto(`${base}/account/applications`);
    assert.equal(await page.locator('tbody tr').count(), 0);
    await page.goto(`${base}/+authorize-token?oauth_token=${request.token}`);
    await clickAndWait(page, 'Read Non-Private Data');
    assert.equal(await text(page.locator('h1')), 'Almost finished…');
  });

  it('logs out: the old session cookie no longer works', async () => {
    const page = await loggedIn('dave');
    const session = (await page.context().cookies(base)).find((c) => c.name === 'signet_session');
    assert.ok(session);
    await clickAndWait(page, 'Log out');
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.goto(`${base}/account/applications`);
    assert.equal(new URL(page.url()).pathname, '/login');

    // The old cookie, put back by hand in another browser and by a script, logs nobody in.
    const other = await browser.newContext();
    contexts.push(other);
    await other.addCookies([session]);
    const otherPage = await other.newPage();
    await otherPage.goto(`${base}/account/applications`);
    assert.equal(new URL(otherPage.url()).pathname, '/login');
    const direct = await fetch(`${base}/account/applications`, {
      redirect: 'manual',
      headers: { cookie: `signet_session=${session.value}` },
    });
    assert.equal(direct.status, 303);
    assert.match(direct.headers.get('location') ?? '', /^\/login\?/);
  });
});
