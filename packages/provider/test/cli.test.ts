import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { generateKey, generateSecret } from '../src/credentials.js';
import { openStore } from '../src/stores/open.js';
import { tempDir } from './helpers.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('signet-provider CLI (the built binary, on a temporary SQLite file)', () => {
  const tmp = tempDir('cli');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SIGNET_DATABASE_URL: `sqlite:${join(tmp.dir, 'data', 'signet.db')}`,
  };
  delete env['SIGNET_SECRET_KEY'];
  delete env['SIGNET_REDIS_URL'];
  after(tmp.remove);

  function run(
    args: readonly string[],
    options: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: options.env ?? env,
        cwd: tmp.dir,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
      child.stdin.end(options.stdin ?? '');
    });
  }
  async function json(args: readonly string[], options: { stdin?: string } = {}): Promise<unknown> {
    const r = await run([...args, '--json'], options);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }
  async function fails(
    args: readonly string[],
    status: number,
    message: string,
    stdin = '',
  ): Promise<void> {
    const r = await run([...args, '--json'], { stdin });
    assert.equal(r.status, status, `${args.join(' ')} exits ${status}: ${r.stdout} ${r.stderr}`);
    const { error } = JSON.parse(r.stderr) as { error: string };
    assert.ok(error.includes(message), `${JSON.stringify(error)} mentions ${message}`);
  }
  /** The store as the server would open it, on the same configuration. */
  async function withStore<T>(
    fn: (s: Awaited<ReturnType<typeof openStore>>['store']) => Promise<T>,
  ): Promise<T> {
    const opened = await openStore(loadConfig(env, { cwd: tmp.dir }));
    try {
      return await fn(opened.store);
    } finally {
      await opened.close();
    }
  }

  before(async () => {
    assert.deepEqual(await json(['migrate']), {
      migrated: [
        '0001_initial',
        '0002_change_notify',
        '0003_nonce_batches',
        '0004_authz_request_token_protocol',
        '0005_sqlite_nonce_batches_unindexed',
      ],
    });
  });

  it('migrate is idempotent, and the generated key file has mode 0600', async () => {
    assert.deepEqual(await json(['migrate']), { migrated: [] });
    const r = await run(['migrate']);
    assert.equal(r.stdout, 'Database is up to date.\n');
    assert.equal(statSync(join(tmp.dir, 'data', 'secret.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(tmp.dir, 'data', 'signet.db')).mode & 0o777, 0o600);
  });

  it('user add reads the password from stdin; the account logs in with it', async () => {
    assert.deepEqual(
      await json(['user', 'add', 'alice', '--display-name', 'Alice Liddell', '--password-stdin'], {
        stdin: 'through the looking glass\n',
      }),
      { name: 'alice', displayName: 'Alice Liddell' },
    );
    await withStore(async (s) => {
      assert.equal(
        (await s.verifyPassword('alice', 'through the looking glass'))?.displayName,
        'Alice Liddell',
      );
    });
    await fails(
      ['user', 'add', 'alice', '--password-stdin'],
      1,
      'already exists',
      'another password',
    );
    await fails(['user', 'add', 'Not Valid'], 1, 'Invalid user name');
    await fails(['user', 'add', 'bob', '--password-stdin'], 2, 'no password');
  });

  it('user add without --password-stdin generates and prints a password', async () => {
    const out = (await json(['user', 'add', 'carol'])) as { password: string };
    assert.match(out.password, /^[A-Za-z0-9]{20}$/);
    await withStore(async (s) => assert.ok(await s.verifyPassword('carol', out.password)));
    const list = (await json(['user', 'list'])) as { name: string }[];
    assert.deepEqual(
      list.map((u) => u.name),
      ['alice', 'carol'],
    );
  });

  it('consumer add prints key and secret, and the store has them', async () => {
    const made = (await json([
      'consumer',
      'add',
      'launchpadlib-app',
      '--callback',
      'https://app.example/cb',
    ])) as {
      key: string;
      secret: string;
    };
    assert.equal(made.key, 'launchpadlib-app');
    assert.match(made.secret, /^[A-Za-z0-9]{80}$/);
    const text = await run(['consumer', 'add', 'System-wide: Ubuntu (laptop)', '--secret', '']);
    assert.equal(text.status, 0, text.stderr);
    assert.equal(text.stdout, 'Key:    System-wide: Ubuntu (laptop)\nSecret: \n');
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const pemFile = join(tmp.dir, 'app.pem');
    writeFileSync(pemFile, pem);
    assert.deepEqual(
      await json(['consumer', 'add', 'rsa-app', '--secret', 'given', '--rsa-public-key', pemFile]),
      {
        key: 'rsa-app',
        secret: 'given',
      },
    );
    await withStore(async (s) => {
      assert.deepEqual(await s.getConsumer('launchpadlib-app'), {
        key: 'launchpadlib-app',
        secret: made.secret,
        name: 'launchpadlib-app',
        callbackUrl: 'https://app.example/cb',
      });
      assert.equal((await s.getConsumer('System-wide: Ubuntu (laptop)'))?.secret, '');
      assert.equal((await s.getConsumer('rsa-app'))?.rsaPublicKey, pem);
    });
    await fails(['consumer', 'add', 'launchpadlib-app'], 1, 'already exists');
    await fails(
      ['consumer', 'add', 'x', '--rsa-public-key', join(tmp.dir, 'missing.pem')],
      1,
      'Cannot read',
    );
    await fails(['consumer', 'add', 'x', '--callback', 'nope'], 1, 'callback URL');
  });

  it('consumer list shows consumers without secrets; consumer disable disables once', async () => {
    const { secret } = (await json(['consumer', 'add', 'to-disable'])) as { secret: string };
    const listed = (await json(['consumer', 'list'])) as { key: string; disabledAt?: number }[];
    assert.ok(listed.some((c) => c.key === 'to-disable' && c.disabledAt === undefined));
    assert.ok(!JSON.stringify(listed).includes(secret));
    const human = await run(['consumer', 'list']);
    assert.match(human.stdout, /^KEY\s+NAME\s+ORIGIN\s+STATUS/);
    assert.ok(!human.stdout.includes(secret));
    assert.deepEqual(await json(['consumer', 'disable', 'to-disable']), {
      key: 'to-disable',
      disabled: true,
    });
    await withStore(async (s) => assert.equal((await s.getConsumer('to-disable'))?.disabled, true));
    await fails(['consumer', 'disable', 'to-disable'], 1, 'already disabled');
    await fails(['consumer', 'disable', 'never-was'], 1, 'Unknown consumer');
  });

  it('context add registers a context', async () => {
    assert.deepEqual(await json(['context', 'add', 'firefox', '--title', 'Mozilla Firefox']), {
      name: 'firefox',
      title: 'Mozilla Firefox',
    });
    await fails(['context', 'add', 'firefox'], 1, 'already exists');
    const list = (await json(['context', 'list'])) as { name: string }[];
    assert.deepEqual(
      list.map((c) => c.name),
      ['firefox'],
    );
  });

  it('token review records the decision and prints the verifier and the redirect', async () => {
    const now = Date.now();
    const token = generateKey();
    await withStore((s) =>
      s.createRequestToken({
        token,
        secret: generateSecret(),
        consumerKey: 'launchpadlib-app',
        callback: 'https://app.example/cb?state=xyz',
        createdAt: now,
        expiresAt: now + 2 * 3600_000,
      }),
    );
    const out = (await json([
      'token',
      'review',
      token,
      '--user',
      'alice',
      '--permission',
      'WRITE_PUBLIC',
      '--context',
      'firefox',
      '--expires',
      '3600',
    ])) as { verifier: string; redirect: string };
    assert.match(out.verifier, /^[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    assert.equal(
      out.redirect,
      `https://app.example/cb?state=xyz&oauth_token=${token}&oauth_verifier=${out.verifier}`,
    );
    await withStore(async (s) => {
      const stored = await s.getRequestToken(token);
      assert.equal(stored?.verifier, out.verifier);
      assert.equal(stored?.grant?.permission, 'WRITE_PUBLIC');
      assert.equal(stored?.grant?.context, 'firefox');
      const expiresAt = stored?.grant?.expiresAt ?? 0;
      assert.ok(expiresAt > now + 3500_000 && expiresAt <= Date.now() + 3600_000);
    });
    await fails(
      ['token', 'review', token, '--user', 'alice', '--permission', 'READ_PUBLIC'],
      1,
      'already reviewed',
    );
  });

  it('token review without a callback prints only the verifier; its errors are clear', async () => {
    const now = Date.now();
    const token = generateKey();
    await withStore((s) =>
      s.createRequestToken({
        token,
        secret: 's',
        consumerKey: 'System-wide: Ubuntu (laptop)',
        createdAt: now,
        expiresAt: now + 3600_000,
      }),
    );
    const base = ['token', 'review', token, '--user', 'alice'];
    await fails([...base, '--permission', 'ROOT'], 2, 'unknown permission ROOT');
    await fails(['token', 'review', token, '--permission', 'READ_PUBLIC'], 2, '--user');
    await fails([...base, '--permission', 'READ_PUBLIC', '--expires', 'soon'], 2, '--expires');
    await fails(
      [...base, '--permission', 'READ_PUBLIC', '--context', 'chrome'],
      1,
      'Unknown context',
    );
    await fails(
      ['token', 'review', token, '--user', 'nobody', '--permission', 'READ_PUBLIC'],
      1,
      'Unknown user',
    );
    await fails(
      ['token', 'review', 'nope', '--user', 'alice', '--permission', 'READ_PUBLIC'],
      1,
      'Unknown request token',
    );
    const r = await run([...base, '--permission', 'UNAUTHORIZED']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Verifier: [0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}\n$/);
    const out = (await withStore((s) => s.getRequestToken(token)))?.grant?.permission;
    assert.equal(out, 'UNAUTHORIZED');
  });

  it('token list shows access and reviewed request tokens; token revoke revokes', async () => {
    const now = Date.now();
    const rt = generateKey();
    const at = generateKey();
    const atSecret = generateSecret();
    await withStore(async (s) => {
      await s.createRequestToken({
        token: rt,
        secret: 's',
        consumerKey: 'launchpadlib-app',
        createdAt: now,
        expiresAt: now + 3600_000,
      });
      await s.consumeRequestToken(rt, {
        token: at,
        secret: atSecret,
        consumerKey: 'launchpadlib-app',
        userId: 'alice',
        permission: 'READ_PRIVATE',
        createdAt: now,
      });
    });
    const list = (await json(['token', 'list', '--user', 'alice'])) as {
      type: string;
      token: string;
      status: string;
      permission: string;
    }[];
    assert.ok(
      list.some(
        (t) =>
          t.type === 'access' &&
          t.token === at &&
          t.status === 'active' &&
          t.permission === 'READ_PRIVATE',
      ),
    );
    assert.ok(list.some((t) => t.type === 'request' && t.status === 'reviewed'));
    assert.ok(!JSON.stringify(list).includes(atSecret));
    assert.deepEqual(await json(['token', 'list', '--user', 'carol']), []);
    assert.deepEqual(await json(['token', 'revoke', at]), { token: at, revoked: true });
    await withStore(async (s) => assert.ok((await s.getAccessToken(at))?.revokedAt !== undefined));
    const after = (await json(['token', 'list'])) as { token: string; status: string }[];
    assert.equal(after.find((t) => t.token === at)?.status, 'revoked');
    await fails(['token', 'revoke', at], 1, 'No live token');
    const human = await run(['token', 'list']);
    assert.match(human.stdout, /^TYPE\s+TOKEN\s+CONSUMER/);
  });

  it('refuses unknown commands and options with status 2 and the usage', async () => {
    const none = await run([]);
    assert.equal(none.status, 2);
    assert.match(none.stdout, /Usage: signet-provider/);
    const help = await run(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /token review <request-token>/);
    const bad = await run(['frobnicate']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown command "frobnicate"/);
    await fails(['consumer', 'list', '--frob'], 2, "Unknown option '--frob'");
    await fails(['user', 'add'], 2, 'takes <name>');
  });

  it('reports a bad configuration with status 1, naming the variable', async () => {
    const r = await run(['migrate'], { env: { ...env, SIGNET_OPEN_CONSUMERS: 'maybe' } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /SIGNET_OPEN_CONSUMERS: expected true or false/);
  });

  it('runs as `npm run admin -- <command>` from the repository root', async () => {
    const r = await new Promise<Run>((resolve, reject) => {
      const child = spawn('npm', ['run', '--silent', 'admin', '--', 'context', 'list', '--json'], {
        env,
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { name: string }[]).map((c) => c.name),
      ['firefox'],
    );
  });
});
