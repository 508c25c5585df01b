// The conformance suite in workerd (npm workerd), Cloudflare Workers' runtime, with no
// Node compatibility flag: the Worker's modules are exactly the portable build's graph
// (the package's `workerd` condition), copied into a bundle, and `workerd test` runs the
// Worker's test handler, which prints the report.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { describe, it } from 'node:test';
import {
  binary,
  conformanceInput,
  entryBody,
  graph,
  modules,
  parseReport,
  REPORT_PREFIX,
  repoRoot,
  reportToSubtests,
  run,
  tempDir,
} from './runtimes/harness.js';

describe('conformance on workerd (npm workerd)', () => {
  it('the portable build, without nodejs_compat', async (t) => {
    const dir = tempDir(t);
    const entry = `${entryBody(conformanceInput(), modules.corePortable, (p) => `./${p}`)}
export default {
  async test() {
    const report = await runConformance();
    console.log(${JSON.stringify(REPORT_PREFIX)} + JSON.stringify(report));
  },
};
`;
    writeFileSync(join(dir, 'entry.mjs'), entry);
    // Every module the entry reaches, under its repository path; @signet/core by its name.
    const files = new Set<string>();
    for (const root of [
      modules.corePortable,
      modules.coreSuite,
      modules.server,
      modules.serverFetch,
      modules.serverSuite,
      modules.clientPortable,
      modules.clientSuite,
    ]) {
      for (const file of graph(root, modules.corePortable).keys()) files.add(file);
    }
    const entries = [`(name = "entry.mjs", esModule = embed "entry.mjs")`];
    for (const file of files) {
      const path = relative(repoRoot, file);
      mkdirSync(join(dir, dirname(path)), { recursive: true });
      copyFileSync(file, join(dir, path));
      entries.push(`(name = ${JSON.stringify(path)}, esModule = embed ${JSON.stringify(path)})`);
    }
    // workerd resolves a bare specifier against the importer's directory: each directory
    // that imports @signet/core gets a module of that name re-exporting the one portable
    // build, so that there is one instance of it (one OAuthError class, one backend).
    const aliases = new Set<string>();
    for (const root of [modules.server, modules.clientPortable]) {
      for (const [file, specifiers] of graph(root, modules.corePortable)) {
        if (specifiers.includes('@signet/core')) aliases.add(dirname(relative(repoRoot, file)));
      }
    }
    for (const from of aliases) {
      const name = posix.join(from, '@signet/core');
      const shim = posix.join('shims', from, 'signet_core.mjs');
      mkdirSync(join(dir, dirname(shim)), { recursive: true });
      const target = posix.relative(posix.dirname(name), modules.corePortable);
      writeFileSync(join(dir, shim), `export * from ${JSON.stringify(target)};\n`);
      entries.push(`(name = ${JSON.stringify(name)}, esModule = embed ${JSON.stringify(shim)})`);
    }
    writeFileSync(
      join(dir, 'config.capnp'),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
);
const worker :Workerd.Worker = (
  modules = [
    ${entries.join(',\n    ')}
  ],
  compatibilityDate = "2024-09-23",
);
`,
    );
    const workerd = binary('node_modules/.bin/workerd');
    const out = await run(workerd, ['test', 'config.capnp'], { cwd: dir });
    await reportToSubtests(t, parseReport(out), 'web');
  });
});
