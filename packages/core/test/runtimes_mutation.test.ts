// The conformance suite catches a broken Web Crypto path: each case copies the built
// portable core, breaks one thing in it, runs the core suite on that copy (in a fresh Node
// process, as the runtimes do) and expects failed checks. The unbroken copy passes.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  conformanceInput,
  parseReport,
  REPORT_PREFIX,
  repoRoot,
  run,
  tempDir,
} from './runtimes/harness.js';

interface Mutation {
  readonly name: string;
  readonly file: string;
  readonly from: string;
  readonly to: string;
  /** A check that must fail. */
  readonly fails: RegExp;
}

const MUTATIONS: readonly Mutation[] = [
  {
    name: 'Web Crypto HMAC signs other bytes',
    file: 'src/web_crypto.js',
    from: "crypto.subtle.sign('HMAC', k, utf8.encode(data))",
    to: "crypto.subtle.sign('HMAC', k, utf8.encode(data + ' '))",
    fails: /^HMAC-SHA1 vector, async/,
  },
  {
    name: 'SHA-256 maps to SHA-1 for Web Crypto',
    file: 'src/web_crypto.js',
    from: "sha256: 'SHA-256',",
    to: "sha256: 'SHA-1',",
    fails: /^RSA-SHA256 known answer/,
  },
  {
    name: 'PKCS#1 keys are wrapped with a wrong algorithm identifier',
    file: 'src/web_crypto.js',
    from: '0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,',
    to: '0x0d, 0x01, 0x01, 0x05, 0x05, 0x00,',
    fails: /sign with a PKCS#1 key/,
  },
  {
    name: "a certificate's public key is looked for one field early",
    file: 'src/web_crypto.js',
    from: 'for (let i = 0; i < 5; i++)',
    to: 'for (let i = 0; i < 4; i++)',
    fails: /verify with a X\.509 certificate key/,
  },
  {
    name: 'the plain-JS SHA-1 has a wrong round constant',
    file: 'src/sha.js',
    from: 'k = 0x5a827999;',
    to: 'k = 0x5a827998;',
    fails: /^HMAC-SHA1 vector, sync/,
  },
];

async function runCopy(t: Parameters<typeof tempDir>[0], mutation?: Mutation) {
  const dir = tempDir(t);
  cpSync(join(repoRoot, 'packages/core/dist/src'), join(dir, 'src'), { recursive: true });
  cpSync(join(repoRoot, 'packages/core/dist/test/conformance'), join(dir, 'test/conformance'), {
    recursive: true,
  });
  if (mutation !== undefined) {
    const file = join(dir, mutation.file);
    const code = readFileSync(file, 'utf8');
    assert.ok(code.includes(mutation.from), `the build no longer has ${mutation.from}`);
    writeFileSync(file, code.replace(mutation.from, mutation.to));
  }
  const url = (p: string) => JSON.stringify(pathToFileURL(join(dir, p)).href);
  const entry = join(dir, 'entry.mjs');
  writeFileSync(
    entry,
    `import * as core from ${url('src/portable.js')};
import { coreSuite } from ${url('test/conformance/core_suite.js')};
const results = await coreSuite(core, ${JSON.stringify(conformanceInput(42))});
console.log(${JSON.stringify(REPORT_PREFIX)} + JSON.stringify({ backend: core.cryptoBackendName, results }));
`,
  );
  return parseReport(await run(process.execPath, [entry]));
}

describe('a broken portable crypto path fails the conformance suite', () => {
  it('the unbroken copy passes', async (t) => {
    const failed = (await runCopy(t)).results.filter((r) => !r.ok);
    assert.deepEqual(failed, []);
  });

  for (const mutation of MUTATIONS) {
    it(mutation.name, async (t) => {
      const report = await runCopy(t, mutation);
      const failed = report.results.filter((r) => !r.ok).map((r) => r.name);
      assert.ok(
        failed.some((name) => mutation.fails.test(name)),
        `expected a failure matching ${mutation.fails}; failed: ${failed.join(', ') || 'none'}`,
      );
    });
  }
});
