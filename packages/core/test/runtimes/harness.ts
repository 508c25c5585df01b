// What the per-runtime runners share: the suite's input (vectors and keys, read here on Node
// and passed in as data), the entry module each runtime runs, spawning a runtime with
// bounded time, and turning its results into node:test subtests.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CheckResult, ConformanceInput, Vectors } from '../conformance/core_suite.js';

// Compiled to packages/core/dist/test/runtimes: the repository root is five levels up.
const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../../../..');
const coreRoot = join(repoRoot, 'packages/core');
const sharedVectors = resolve(repoRoot, '../shared/vectors');
const vectorsDir =
  process.env.SIGNET_VECTORS_DIR ??
  (existsSync(sharedVectors) ? sharedVectors : join(coreRoot, 'test/vectors'));

/** The suite's input: the RFC 5849 vectors and the vector key in every PEM format. */
export function conformanceInput(seed = Date.now() % 1_000_000): ConformanceInput {
  const read = (name: string) => readFileSync(join(vectorsDir, name), 'utf8');
  const pkcs8 = read('rsa-private.pem');
  const privateKey = createPrivateKey(pkcs8);
  const vectors = JSON.parse(read('rfc5849.json')) as Vectors;
  const baseString = vectors.rsa[0]?.base_string ?? 'GET&x&y';
  return {
    vectors,
    rsaKnownAnswers: (['sha256', 'sha512'] as const).map((hash) => ({
      method: `RSA-${hash.toUpperCase()}`,
      baseString,
      signature: sign(hash, Buffer.from(baseString), privateKey).toString('base64'),
    })),
    keys: {
      pkcs8,
      pkcs1: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      spki: read('rsa-public.pem'),
      pkcs1Public: createPublicKey(privateKey).export({ type: 'pkcs1', format: 'pem' }).toString(),
      certificate: read('rsa-cert.pem'),
    },
    seed,
  };
}

/** The built modules a runtime loads, as paths under the repository. */
export const modules = {
  /** The portable build (no node:crypto). */
  corePortable: 'packages/core/dist/src/portable.js',
  /** The Node build. */
  coreNode: 'packages/core/dist/src/index.js',
  coreSuite: 'packages/core/dist/test/conformance/core_suite.js',
  server: 'packages/server/dist/src/index.js',
  serverFetch: 'packages/server/dist/src/adapters/fetch.js',
  serverSuite: 'packages/server/dist/test/conformance/server_suite.js',
  clientSuite: 'packages/client/dist/test/conformance/client_suite.js',
  /** @signet/client's main entry off Node. */
  clientPortable: 'packages/client/dist/src/portable.js',
  /** @signet/client's main entry on Node. */
  clientNode: 'packages/client/dist/src/index.js',
} as const;

/** One run's report, as the entry module prints it. */
export interface Report {
  readonly backend: string;
  readonly results: CheckResult[];
}

export const REPORT_PREFIX = 'SIGNET_CONFORMANCE ';

/**
 * The body of an entry module that runs both suites and returns the report. `url` maps a
 * module path to the specifier this runtime imports it by.
 */
export function entryBody(
  input: ConformanceInput,
  core: string,
  url: (path: string) => string,
): string {
  return `import * as core from ${JSON.stringify(url(core))};
import { coreSuite } from ${JSON.stringify(url(modules.coreSuite))};
import * as server from ${JSON.stringify(url(modules.server))};
import * as serverFetch from ${JSON.stringify(url(modules.serverFetch))};
import { serverSuite } from ${JSON.stringify(url(modules.serverSuite))};
import * as client from ${JSON.stringify(url(modules.clientPortable))};
import { clientSuite } from ${JSON.stringify(url(modules.clientSuite))};
const input = ${JSON.stringify(input)};
export async function runConformance() {
  const results = [
    ...(await coreSuite(core, input)),
    ...(await serverSuite(core, server, serverFetch, input)),
    ...(await clientSuite(client, server, serverFetch, input)),
  ];
  return { backend: core.cryptoBackendName, results };
}
`;
}

/** A temporary directory, removed when the test ends. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'signet-runtime-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Writes an entry for a command-line runtime (Node, Deno, Bun) that prints the report on
 * one line, importing modules by file URL.
 */
export function writeCliEntry(dir: string, input: ConformanceInput, core: string): string {
  const file = join(dir, 'entry.mjs');
  const body = entryBody(input, core, (p) => pathToFileURL(join(repoRoot, p)).href);
  writeFileSync(
    file,
    `${body}
const report = await runConformance();
console.log(${JSON.stringify(REPORT_PREFIX)} + JSON.stringify(report));
`,
  );
  return file;
}

/** Runs a command (no shell) within `timeoutMs`; resolves with its output and exit code. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** The report printed in `output`, or a failed assertion showing what the runtime said. */
export function parseReport(output: { code: number | null; stdout: string; stderr: string }) {
  const line = output.stdout
    .split('\n')
    .concat(output.stderr.split('\n'))
    .find((l) => l.includes(REPORT_PREFIX));
  assert.ok(
    line !== undefined,
    `no report (exit ${output.code}):\n${output.stdout.slice(-3000)}\n${output.stderr.slice(-3000)}`,
  );
  return JSON.parse(line.slice(line.indexOf(REPORT_PREFIX) + REPORT_PREFIX.length)) as Report;
}

/** Fewest checks a full run has; fewer means a suite stopped early or was not loaded. */
export const MIN_CHECKS = 75;

/** One subtest per check, so a failure names the check and the runtime. */
export async function reportToSubtests(
  t: TestContext,
  report: Report,
  backend: 'node' | 'web',
): Promise<void> {
  assert.equal(report.backend, backend, 'the crypto backend this build should use');
  assert.ok(report.results.length >= MIN_CHECKS, `only ${report.results.length} checks ran`);
  for (const r of report.results) {
    await t.test(r.name, () => {
      assert.ok(r.ok, r.error);
    });
  }
}

/** A binary under node_modules/.bin or a package's own path, which must exist. */
export function binary(relative: string): string {
  const file = join(repoRoot, relative);
  assert.ok(existsSync(file), `${relative} is missing: run npm ci`);
  return file;
}

const SPECIFIER =
  /(?:^|[;\s}])(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

export function stripComments(code: string): string {
  // Line and block comments, leaving strings alone enough for this check: the built code's
  // strings hold no comment markers that matter here.
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
}

/** Every module reachable from `entry`; bare `@signet/core` resolves by the default condition. */
export function graph(entry: string, core: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const code = stripComments(readFileSync(file, 'utf8'));
    const specifiers = [...code.matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? '');
    seen.set(file, specifiers);
    for (const s of specifiers) {
      if (s.startsWith('.')) visit(resolve(dirname(file), s));
      else if (s === '@signet/core') visit(join(repoRoot, core));
    }
  };
  visit(join(repoRoot, entry));
  return seen;
}
