// First contact to daily use (#13): the CLI driven as a person would, through pipes and a
// pseudo-terminal, asserting what it prints and how it exits.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FileCredentialStore } from '../src/index.js';
import { pumpServer } from './fakes.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');
const configDir = mkdtempSync(join(tmpdir(), 'signet-cli-daily-'));
after(() => rmSync(configDir, { recursive: true, force: true }));

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
  delete e['SIGNET_TOKEN_SECRET'];
  return e;
}

/** Runs the CLI with `answers` typed at its prompts, one per "Enter the verifier: ". */
function signet(args: string[], answers: readonly string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: env(), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    let asked = 0;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
      const prompts = stderr.split('Enter the verifier: ').length - 1;
      while (asked < prompts) {
        const answer = answers[asked++];
        if (answer === undefined) child.stdin.end();
        else child.stdin.write(`${answer}\n`);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The verifier the pump fake shows for the authorization URL in the CLI's output. */
async function verifierFor(url: string): Promise<string> {
  return (await (await fetch(url)).text()).replace('Your verifier: ', '');
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('signet login registers once per server', () => {
  test('a failed login, a retry and a rename reuse one registered client', async () => {
    const { fake, clients, requests } = await pumpServer();
    try {
      const host = new URL(fake.base).host;
      // A mistyped flag fails before anything is sent: no client is registered.
      const typo = await signet(['login', fake.base, '--signature-method', 'HMAC-MD5']);
      assert.equal(typo.code, 2);
      assert.match(typo.stderr, /Unknown signature method HMAC-MD5/);
      assert.equal(clients.size, 0);
      assert.equal(requests.length, 0);

      // No verifier given (stdin ends): the login fails, the registration is kept.
      const gaveUp = await signet(['login', fake.base]);
      assert.equal(gaveUp.code, 5, gaveUp.stderr);
      assert.match(gaveUp.stderr, /Registered signet with .* as client client1\./);
      assert.equal(clients.size, 1);
      const kept = JSON.parse(readFileSync(join(configDir, 'credentials.json'), 'utf8'));
      assert.equal(kept.registrations[0].clientId, 'client1');

      // The next try reuses it, and asks again after a mistyped verifier.
      const child = spawn(process.execPath, [CLI, 'login', fake.base], {
        env: env(),
        stdio: 'pipe',
      });
      let stderr = '';
      let typed = 0;
      const done = new Promise<number | null>((r) => child.on('close', r));
      child.stderr.on('data', async (c: Buffer) => {
        stderr += c;
        const prompts = stderr.split('Enter the verifier: ').length - 1;
        if (prompts > typed) {
          typed++;
          if (typed === 1) child.stdin.write('wrong-verifier\n');
          else {
            const url = /(http:\/\/\S+\/oauth\/authorize\S*)/.exec(stderr)![1]!;
            child.stdin.end(`${await verifierFor(url)}\n`);
          }
        }
      });
      assert.equal(await done, 0, stderr);
      assert.match(stderr, /That verifier was not accepted; check it and type it again\./);
      assert.match(stderr, /Open this page to authorize signet:/);
      assert.doesNotMatch(stderr, /Registered/);
      assert.match(
        stderr,
        new RegExp(`Logged in to ${fake.base.replace(/[.]/g, '\\.')} \\(profile ${host}\\)\\.`),
      );
      assert.equal(clients.size, 1);

      // Another name updates the same client instead of registering a second one.
      const renamed = await signet(['login', fake.base, '--app-name', 'My notes', '--no-browser']);
      assert.equal(renamed.code, 5);
      assert.match(renamed.stderr, /Renamed client client1 on .* to My notes\./);
      assert.match(renamed.stderr, /Open this page to authorize My notes:/);
      assert.equal(clients.size, 1);
      assert.equal(clients.get('client1')?.name, 'My notes');
    } finally {
      await fake.close();
    }
  });
});

describe('signet sign does what its flags say', () => {
  test('flags win over the saved profile; meaningless combinations exit 2', async () => {
    const store = new FileCredentialStore({ path: join(configDir, 'credentials.json') });
    await store.put({
      profile: 'api',
      server: 'https://api.example.com',
      origins: ['https://api.example.com'],
      consumerKey: 'profile-key',
      consumerSecret: 'profile-secret',
      signatureMethod: 'HMAC-SHA1',
      token: 'profile-token',
      tokenSecret: 'profile-token-secret',
      savedAt: new Date().toISOString(),
    });
    const url = 'https://api.example.com/notes';
    const plain = await signet([
      'sign',
      'GET',
      url,
      '--signature-method',
      'PLAINTEXT',
      '--token',
      'x',
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /oauth_signature_method="PLAINTEXT"/);
    assert.match(plain.stdout, /oauth_token="x"/);
    assert.match(plain.stdout, /oauth_consumer_key="profile-key"/);
    // Another token's secret is not the profile's.
    assert.match(plain.stdout, /oauth_signature="profile-secret%26"/);
    assert.doesNotMatch(plain.stdout, /profile-token-secret/);

    const fixed = await signet([
      'sign',
      'POST',
      url,
      'title=Hi',
      '--nonce',
      'n0nce',
      '--timestamp',
      '1318622958',
      '--callback',
      'oob',
      '--base-string',
    ]);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /oauth_nonce="n0nce"/);
    assert.match(fixed.stdout, /oauth_timestamp="1318622958"/);
    assert.match(fixed.stdout, /oauth_callback="oob"/);
    assert.match(
      fixed.stderr,
      /^Base string: POST&https%3A%2F%2Fapi\.example\.com%2Fnotes&oauth_callback%3Doob%26oauth_consumer_key%3Dprofile-key%26oauth_nonce%3Dn0nce/m,
    );
    assert.match(fixed.stderr, /Signing key: consumer-secret\(14 chars\)&token-secret\(20 chars\)/);
    assert.doesNotMatch(fixed.stderr + fixed.stdout, /profile-secret|profile-token-secret/);

    for (const args of [
      ['--consumer-secret', 's'],
      ['--token-secret', 's'],
      ['--consumer-key', 'k', '--profile', 'api'],
      ['--signature-method', 'RSA-SHA256'],
      ['--timestamp', 'yesterday'],
    ]) {
      const r = await signet(['sign', 'GET', url, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', 'nothing is printed but the error');
    }
  });
});

describe('exit codes and messages agree', () => {
  test('a server that is down is exit 3 for login and call alike', async () => {
    const port = await closedPort();
    const login = await signet(['login', `http://127.0.0.1:${port}`]);
    assert.equal(login.code, 3, login.stderr);
    assert.match(login.stderr, /^signet: Cannot reach http:\/\/127\.0\.0\.1:\d+/);
    const call = await signet(['call', `http://127.0.0.1:${port}/x`, '--profile', 'api']);
    // The profile signs for another origin, but --profile names it outright.
    assert.equal(call.code, 3, call.stderr);
  });

  test('usage errors say what to type', async () => {
    const missing = await signet(['call', 'https://api.example.com/x', '--data', '@/no/such/file']);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, 'signet: Cannot read --data file /no/such/file: no such file.\n');
    const typo = await signet(['login', 'https://example.com', '--no-browsr']);
    assert.equal(typo.code, 2);
    assert.equal(typo.stderr, 'signet: unknown option --no-browsr (did you mean --no-browser?)\n');
    const help = await signet(['help', 'frob']);
    assert.equal(help.code, 2);
    assert.match(help.stderr, /Unknown command "frob"/);
    const command = await signet(['lgoin']);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /did you mean login\?/);
  });

  test('a body without a final newline gets one on a terminal, not on a pipe', async () => {
    const { createServer: http } = await import('node:http');
    const server = http((_req, res) => res.end('no newline')).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const store = new FileCredentialStore({ path: join(configDir, 'credentials.json') });
    await store.put({
      profile: 'local',
      server: base,
      origins: [base],
      consumerKey: 'k',
      consumerSecret: 's',
      signatureMethod: 'HMAC-SHA1',
      token: 't',
      tokenSecret: 'ts',
      savedAt: new Date().toISOString(),
    });
    try {
      const piped = await signet(['call', `${base}/x`]);
      assert.equal(piped.code, 0, piped.stderr);
      assert.equal(piped.stdout, 'no newline');
      // util-linux script(1) gives the CLI a pseudo-terminal, as a person's shell would.
      const command = [process.execPath, CLI, 'call', `${base}/x`].map((a) => `'${a}'`).join(' ');
      const tty = await new Promise<string>((resolve) => {
        execFile('/usr/bin/script', ['-qec', command, '/dev/null'], { env: env() }, (_e, out) =>
          resolve(out),
        );
      });
      assert.equal(tty, 'no newline\r\n');

      // -v: the request line, the Authorization header without its signature, the base string.
      const verbose = await signet(['call', '-v', `${base}/x?a=1`]);
      assert.equal(verbose.code, 0, verbose.stderr);
      assert.match(verbose.stderr, new RegExp(`^> GET ${base}/x\\?a=1$`, 'm'));
      assert.match(verbose.stderr, /^> Authorization: OAuth .*oauth_signature="\[redacted\]"/m);
      assert.match(
        verbose.stderr,
        /^> base string: GET&http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fx&a%3D1%26oauth_consumer_key%3Dk/m,
      );
      assert.doesNotMatch(verbose.stderr, /ts"|&ts\b/);
    } finally {
      server.close();
    }
  });
});
