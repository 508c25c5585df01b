// Acceptance: Python's requests-oauthlib completes request token -> authorize -> access
// token -> protected call against the node:http example, for four signature methods and
// the three parameter placements of RFC 5849 §3.5.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type Started, start } from '../examples/node_http.js';
import { FIXTURES, RSA_PUBLIC } from './helpers.js';

const run = promisify(execFile);
// Debian's python has python3-requests-oauthlib; a pyenv python on PATH may not.
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(FIXTURES, 'oauthlib_client.py');

describe('interop with requests-oauthlib', () => {
  let server: Started;
  before(async () => {
    server = await start(0);
    server.demo.store.addConsumer({ key: 'py-hmac', secret: 'py secret&1', name: 'Python HMAC' });
    server.demo.store.addConsumer({
      key: 'py-rsa',
      secret: '',
      name: 'Python RSA',
      rsaPublicKey: RSA_PUBLIC,
    });
  });
  after(() => server.close());

  for (const method of ['HMAC-SHA1', 'HMAC-SHA256', 'RSA-SHA1', 'PLAINTEXT']) {
    for (const placement of ['header', 'query', 'body']) {
      it(`${method}, parameters in the ${placement}`, async () => {
        const rsa = method.startsWith('RSA');
        const args = [
          SCRIPT,
          server.url,
          method,
          placement,
          rsa ? 'py-rsa' : 'py-hmac',
          rsa ? '' : 'py secret&1',
        ];
        if (rsa) args.push(join(FIXTURES, 'rsa-private.pem'));
        const { stdout } = await run(PYTHON, args, { timeout: 30_000 });
        const out = JSON.parse(stdout) as { access_keys: string[]; status: number; body: string };
        assert.deepEqual(out.access_keys, ['oauth_token', 'oauth_token_secret']);
        assert.equal(out.status, 200, out.body);
        assert.deepEqual(JSON.parse(out.body), {
          consumer: rsa ? 'py-rsa' : 'py-hmac',
          person: 'pyuser',
          permission: 'READ_PRIVATE',
          context: null,
        });
      });
    }
  }
});
