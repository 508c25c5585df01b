// `npm start` as a process (dist/src/main.js): one JSON log line per request on stdout, with
// no credential in it, and every line out before the process exits on SIGTERM (the log is
// written in batches; a few requests make less than one).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

describe('npm start', () => {
  const { dir, remove } = tempDir('main');
  after(() => remove());

  it('logs each request and flushes the log when stopped', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      cwd: dir,
      env: {
        PATH: process.env['PATH'] ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        SIGNET_DATABASE_URL: `sqlite:${join(dir, 'signet.db')}`,
        SIGNET_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    const exited = once(child, 'exit');
    const base = `http://127.0.0.1:${port}`;
    try {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const ok = await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        assert.ok(Date.now() < deadline, 'the provider did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
      const refused = await fetch(`${base}/api/1.0/whoami`, {
        headers: {
          authorization: 'OAuth oauth_consumer_key="nobody", oauth_signature="s3cr3t-sig"',
        },
      });
      assert.equal(refused.status, 400);
      await refused.text();
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await exited;
    assert.equal(code, 0);

    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.some((l) => String(l['msg']).startsWith('Signet provider listening')));
    const requests = lines.filter((l) => l['msg'] === 'request');
    assert.deepEqual(
      requests.map((l) => [l['method'], l['route'], l['status']]),
      [['GET', '/api/1.0/whoami', 400]],
      '/healthz is not logged; the API call is',
    );
    assert.equal(lines.at(-1)?.['msg'], 'shutting down', 'the last line is out before the exit');
    assert.doesNotMatch(stdout, /s3cr3t-sig/);
  });
});
