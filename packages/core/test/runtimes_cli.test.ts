// The conformance suite (test/conformance) on the command-line runtimes, each installed from
// npm as a devDependency: Node (both builds), Deno, Bun. Each runs in its own process and
// prints its report; every check becomes a subtest here.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  binary,
  conformanceInput,
  modules,
  parseReport,
  repoRoot,
  reportToSubtests,
  run,
  tempDir,
  writeCliEntry,
} from './runtimes/harness.js';

describe('conformance on Node 20', () => {
  it('the Node build (node:crypto)', async (t) => {
    const entry = writeCliEntry(tempDir(t), conformanceInput(), modules.coreNode);
    const out = await run(process.execPath, [entry]);
    await reportToSubtests(t, parseReport(out), 'node');
  });

  it('the portable build (Web Crypto), as the browser condition picks it', async (t) => {
    const entry = writeCliEntry(tempDir(t), conformanceInput(), modules.corePortable);
    // @signet/server imports @signet/core by name: the browser condition gives it the same
    // portable build, with no node:crypto anywhere in the process's graph of Signet modules.
    const out = await run(process.execPath, ['--conditions=browser', entry]);
    await reportToSubtests(t, parseReport(out), 'web');
  });
});

describe('conformance on Deno (npm deno)', () => {
  it('the portable build', async (t) => {
    const dir = tempDir(t);
    const entry = writeCliEntry(dir, conformanceInput(), modules.corePortable);
    // Bare @signet/core (imported by the server's modules) resolves through an import map,
    // to the build Deno gets from the package's `deno` condition.
    const importMap = join(dir, 'import_map.json');
    const portable = pathToFileURL(join(repoRoot, modules.corePortable)).href;
    writeFileSync(importMap, JSON.stringify({ imports: { '@signet/core': portable } }));
    const deno = binary('node_modules/.bin/deno');
    const out = await run(
      deno,
      ['run', '--no-config', '--no-lock', `--import-map=${importMap}`, '--allow-read', entry],
      {
        cwd: dir,
        env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(dir, 'deno_dir') },
      },
    );
    await reportToSubtests(t, parseReport(out), 'web');
  });
});

describe('conformance on Bun (npm @oven/bun-linux-x64)', () => {
  it('the portable build', async (t) => {
    const entry = writeCliEntry(tempDir(t), conformanceInput(), modules.corePortable);
    const bun = binary('node_modules/@oven/bun-linux-x64/bin/bun');
    const out = await run(bun, ['--conditions=browser', entry], {
      env: { ...process.env, BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0' },
    });
    await reportToSubtests(t, parseReport(out), 'web');
  });

  it('the Node build, which Bun gets by default (its node:crypto)', async (t) => {
    const entry = writeCliEntry(tempDir(t), conformanceInput(), modules.coreNode);
    const bun = binary('node_modules/@oven/bun-linux-x64/bin/bun');
    const out = await run(bun, [entry], {
      env: { ...process.env, BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0' },
    });
    await reportToSubtests(t, parseReport(out), 'node');
  });
});
