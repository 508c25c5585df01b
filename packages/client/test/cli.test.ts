import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FileCredentialStore } from '../src/index.js';
import { launchpad, pumpServer } from './fakes.js';
import {
  CLIENT_KEY,
  CLIENT_SECRET,
  fixtures,
  PLAIN_KEY,
  type PythonServer,
  startFake,
  startOAuthlibServer,
} from './helpers.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');

let py: PythonServer;
let configDir: string;
const children = new Set<ChildProcess>();

before(async () => {
  py = await startOAuthlibServer();
  configDir = mkdtempSync(join(tmpdir(), 'signet-cli-'));
});
after(async () => {
  for (const c of children) c.kill();
  await py.stop();
  rmSync(configDir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {
    ...process.env,
    SIGNET_CONFIG_DIR: configDir,
    SIGNET_NO_BROWSER: '1',
  };
  delete e['SIGNET_CONSUMER_SECRET'];
  return e;
}

/** Runs the CLI to the end, stdin closed. */
function signet(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Runs `signet login` as a person at a terminal would: waits for the authorization URL,
 * "visits" it (the fixture approves at once and shows the verifier), types the verifier.
 */
function interactiveLogin(...args: string[]): Promise<Run & { url: string }> {
  return loginWith((page) => new URLSearchParams(page).get('oauth_verifier') ?? '', ...args);
}

function loginWith(
  verifierOf: (page: string) => string,
  ...args: string[]
): Promise<Run & { url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'login', ...args], {
      env: env(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    let url = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on('data', async (c: Buffer) => {
      stderr += c;
      if (url === '' && stderr.includes('Enter the verifier: ')) {
        url = /(http:\/\/\S+\/oauth\/authorize\S*)/.exec(stderr)![1]!;
        try {
          const page = await fetch(url);
          child.stdin.end(`${verifierOf(await page.text())}\n`);
        } catch (e) {
          reject(e);
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr, url });
    });
  });
}

describe('signet CLI against oauthlib', () => {
  test('--help documents the commands and exit codes', async () => {
    const r = await signet('--help');
    assert.equal(r.code, 0);
    for (const word of ['login', 'call', 'sign', 'profiles', 'logout', 'Exit codes']) {
      assert.ok(r.stdout.includes(word), word);
    }
    const login = await signet('login', '--help');
    assert.match(login.stdout, /--consumer-key/);
  });

  test('usage errors exit 2 with a message on stderr', async () => {
    const r = await signet('call');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^signet: Give a URL\./);
    const bad = await signet('login', py.base, '--bogus');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bogus/);
  });

  test('login discovers the endpoints, reads the verifier at the prompt and saves 0600', async () => {
    const r = await interactiveLogin(
      py.base,
      '--consumer-key',
      CLIENT_KEY,
      '--consumer-secret',
      CLIENT_SECRET,
      '--signature-method',
      'HMAC-SHA256',
      '--profile',
      'py',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.url, /\/oauth\/authorize\?oauth_token=\w+$/);
    assert.match(r.stderr, /Logged in to http:\/\/127\.0\.0\.1:\d+ .*\(profile py\)\./);
    const file = join(configDir, 'credentials.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(configDir).mode & 0o777, 0o700);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    const entry = saved.credentials.find((c: { profile: string }) => c.profile === 'py');
    assert.equal(entry.consumerKey, CLIENT_KEY);
    assert.equal(entry.signatureMethod, 'HMAC-SHA256');
    assert.equal(entry.fields.screen_name, 'alice');
    assert.ok(!r.stderr.includes(entry.tokenSecret), 'the token secret is never printed');
    assert.ok(!r.stderr.includes(CLIENT_SECRET));
  });

  test('call GET prints the answer as pretty JSON', async () => {
    const r = await signet('call', `${py.base}/api/echo`, 'q=hello world');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\{\n {2}"method": "GET",/);
    const echo = JSON.parse(r.stdout);
    assert.deepEqual(
      echo.query.filter(([n]: [string]) => !n.startsWith('oauth_')),
      [['q', 'hello world']],
    );
    assert.equal(echo.signatureMethod, 'HMAC-SHA256');
  });

  test('call POST sends form items, --json sends JSON, -H adds headers', async () => {
    const form = await signet('call', 'POST', `${py.base}/api/echo`, 'title=a&b', 'tag==x');
    assert.equal(form.code, 0, form.stderr);
    const f = JSON.parse(form.stdout);
    assert.deepEqual(f.form, [['title', 'a&b']]);
    assert.deepEqual(f.query, [['tag', 'x']]);

    const json = await signet(
      'call',
      'PUT',
      `${py.base}/api/echo`,
      'title=hi',
      'n:=3',
      '--json',
      '-H',
      'X-Trace: 1',
    );
    assert.equal(json.code, 0, json.stderr);
    const j = JSON.parse(json.stdout);
    assert.deepEqual(JSON.parse(j.body), { title: 'hi', n: 3 });
    assert.equal(j.bodyHashOk, true);

    const raw = await signet('call', `${py.base}/api/echo`, '--raw');
    assert.equal(raw.code, 0);
    assert.doesNotMatch(raw.stdout, /\n {2}"/, '--raw prints the body as received');
  });

  test('call exits 6 for a server without saved credentials and 3 when unreachable', async () => {
    const none = await signet('call', 'http://127.0.0.1:9/x');
    assert.equal(none.code, 6);
    assert.match(none.stderr, /signet login/);
    const closed = await startFake(() => undefined);
    const port = new URL(closed.base).port;
    await closed.close();
    const down = await signet('call', `http://127.0.0.1:${port}/x`, '--profile', 'py');
    assert.equal(down.code, 3, down.stderr);
    assert.match(down.stderr, /failed/);
  });

  test('call exits 4 when the server refuses, printing the body', async () => {
    // A token the server does not know, as after a revocation.
    await new FileCredentialStore({ path: join(configDir, 'credentials.json') }).put({
      profile: 'stale',
      server: 'stale@127.0.0.1',
      origins: [],
      consumerKey: CLIENT_KEY,
      consumerSecret: CLIENT_SECRET,
      signatureMethod: 'HMAC-SHA1',
      token: 'revokedtoken0000000000000',
      tokenSecret: 'x',
      savedAt: new Date().toISOString(),
    });
    const r = await signet('call', `${py.base}/api/echo`, '--profile', 'stale');
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stdout, /^oauth_problem=\w+$/);
    assert.match(r.stderr, /answered 401 Unauthorized \(OAuth realm="signet-test"/);
    assert.equal((await signet('logout', 'stale')).code, 0);
  });

  for (const method of ['GET', 'POST', 'DELETE']) {
    test(`sign --curl ${method}: the printed command succeeds with curl`, async () => {
      const r = await signet(
        'sign',
        method,
        `${py.base}/api/echo?x=1`,
        'title=Hello there',
        '--curl',
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^curl -sS -X /);
      const out = await new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(
          '/bin/sh',
          ['-c', r.stdout.replace(/^curl /, '/usr/bin/curl --fail ')],
          (e, stdout) => resolve({ code: e ? Number(e.code) : 0, stdout }),
        );
      });
      assert.equal(out.code, 0, out.stdout);
      const echo = JSON.parse(out.stdout);
      assert.equal(echo.method, method);
      const items = method === 'GET' ? echo.query : echo.form;
      assert.ok(items.some(([n, v]: [string, string]) => n === 'title' && v === 'Hello there'));
    });
  }

  test('call --data @FILE sends a binary body covered by oauth_body_hash', async () => {
    const file = join(configDir, 'blob.bin');
    writeFileSync(file, Buffer.from([0, 255, 1, 254, 10]));
    const r = await signet('call', 'PUT', `${py.base}/api/echo`, '--data', `@${file}`);
    assert.equal(r.code, 0, r.stderr);
    const echo = JSON.parse(r.stdout);
    assert.equal(echo.contentType, 'application/octet-stream');
    assert.equal(echo.bodyHashOk, true);
  });

  test('sign --curl with a JSON body: curl sends exactly what was hashed', async () => {
    const r = await signet(
      'sign',
      'POST',
      `${py.base}/api/echo`,
      "title=it's",
      'n:=1',
      '--json',
      '--curl',
    );
    assert.equal(r.code, 0, r.stderr);
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        '/bin/sh',
        ['-c', r.stdout.replace(/^curl /, '/usr/bin/curl --fail ')],
        (e, stdout) => (e ? reject(e) : resolve(stdout)),
      );
    });
    const echo = JSON.parse(out);
    assert.deepEqual(JSON.parse(echo.body), { title: "it's", n: 1 });
    assert.equal(echo.bodyHashOk, true);
  });

  test('sign prints the Authorization header', async () => {
    const r = await signet('sign', 'GET', `${py.base}/api/echo`, '--profile', 'py');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Authorization: OAuth oauth_consumer_key="signettestclientkey01", /);
    assert.match(r.stdout, /oauth_signature_method="HMAC-SHA256"/);
  });

  test('login with explicit endpoints, RSA-SHA1 and query placement', async () => {
    const r = await interactiveLogin(
      py.base,
      // Another consumer: entries are keyed by server and consumer, so this one adds.
      '--consumer-key',
      PLAIN_KEY,
      '--rsa-key',
      join(fixtures, 'rsa-private.pem'),
      '--signature-method',
      'RSA-SHA1',
      '--placement',
      'query',
      '--request-token-url',
      `${py.base}/oauth/request_token`,
      '--authorize-url',
      `${py.base}/oauth/authorize`,
      '--access-token-url',
      `${py.base}/oauth/access_token`,
      '--profile',
      'rsa',
    );
    assert.equal(r.code, 0, r.stderr);
    const call = await signet('call', `${py.base}/api/echo`, '--profile', 'rsa');
    assert.equal(call.code, 0, call.stderr);
    const echo = JSON.parse(call.stdout);
    assert.equal(echo.signatureMethod, 'RSA-SHA1');
    assert.equal(echo.where, 'query');
  });

  test('login exits 5 when no verifier is typed', async () => {
    const r = await signet(
      'login',
      py.base,
      '--consumer-key',
      CLIENT_KEY,
      '--consumer-secret',
      CLIENT_SECRET,
    );
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /No verifier/);
  });

  test('profiles lists without secrets; logout forgets one and keeps the other', async () => {
    const list = await signet('profiles');
    assert.equal(list.code, 0);
    assert.match(list.stdout, /^PROFILE\s+SERVER/);
    assert.match(list.stdout, /\npy\s+http:\/\/127\.0\.0\.1/);
    assert.match(list.stdout, /\nrsa\s+/);
    assert.ok(!list.stdout.includes(CLIENT_SECRET));
    const json = await signet('profiles', '--json');
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    assert.deepEqual(rows.map((r) => r['profile']).sort(), ['py', 'rsa']);
    assert.ok(rows.every((r) => !('tokenSecret' in r) && !('consumerSecret' in r)));

    const out = await signet('logout', 'py');
    assert.equal(out.code, 0, out.stderr);
    const after = JSON.parse((await signet('profiles', '--json')).stdout) as { profile: string }[];
    assert.deepEqual(
      after.map((r) => r.profile),
      ['rsa'],
    );
    const again = await signet('logout', 'py');
    assert.equal(again.code, 6);
  });
});

describe('signet CLI against pump.io-style and Launchpad-style fakes', () => {
  test('login user@host discovers through WebFinger and registers itself', async () => {
    const { fake, clients } = await pumpServer();
    try {
      const host = new URL(fake.base).host;
      const r = await loginWith((page) => page.replace('Your verifier: ', ''), `alice@${host}`);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Registered signet with .* as client client1\./);
      assert.equal(clients.get('client1')?.name, 'signet');
      const rows = JSON.parse((await signet('profiles', '--json')).stdout) as {
        profile: string;
        consumerKey: string;
      }[];
      assert.ok(rows.some((p) => p.profile === `alice@${host}` && p.consumerKey === 'client1'));
      assert.equal((await signet('logout', `alice@${host}`)).code, 0);
    } finally {
      await fake.close();
    }
  });

  test('login --launchpad polls until the user decides (no spinner without a TTY)', async () => {
    const { fake, seen } = await launchpad([401, 200]);
    try {
      const r = await signet(
        'login',
        fake.base,
        '--launchpad',
        '--profile',
        'lp',
        '--context',
        'firefox',
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /\+authorize-token\?oauth_token=K&lp\.context=firefox/);
      assert.ok(!r.stderr.includes('\r'), 'no spinner frames on a pipe');
      const form = new URLSearchParams(seen[0]!.body);
      assert.match(form.get('oauth_consumer_key')!, /^System-wide: .+ \(.+\)$/);
      assert.equal(seen.filter((s) => s.path === '/+access-token').length, 2);
      const saved = JSON.parse(readFileSync(join(configDir, 'credentials.json'), 'utf8'));
      const lp = saved.credentials.find((c: { profile: string }) => c.profile === 'lp');
      assert.equal(lp.signatureMethod, 'PLAINTEXT');
      assert.equal(lp.realm, 'https://api.launchpad.net/');
      assert.deepEqual(lp.origins, [fake.base]);
      assert.equal(lp.fields['lp.context'], 'firefox');
      assert.equal((await signet('logout', 'lp')).code, 0);
    } finally {
      await fake.close();
    }
  });

  test('login --launchpad shows a spinner on a terminal', async () => {
    const { fake } = await launchpad([401, 200]);
    try {
      // util-linux script(1) gives the CLI a pseudo-terminal, as a person's shell would.
      const command = [process.execPath, CLI, 'login', fake.base, '--launchpad', '--profile', 'tty']
        .map((a) => `'${a}'`)
        .join(' ');
      const out = await new Promise<{ code: number; text: string }>((resolve) => {
        execFile('/usr/bin/script', ['-qec', command, '/dev/null'], { env: env() }, (e, stdout) =>
          resolve({ code: e ? Number(e.code) : 0, text: stdout }),
        );
      });
      assert.equal(out.code, 0, out.text);
      assert.match(out.text, /\r[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for you to authorize System-wide: .+\.\.\./);
      assert.match(out.text, /\(profile tty\)/);
      assert.equal((await signet('logout', 'tty')).code, 0);
    } finally {
      await fake.close();
    }
  });

  test('login --launchpad exits 5 when the user declines', async () => {
    const { fake } = await launchpad([403]);
    try {
      const r = await signet('login', fake.base, '--launchpad');
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /Authorization was declined: End-user refused/);
    } finally {
      await fake.close();
    }
  });
});
