// What a bundler targeting the browser or workerd would see: the module graph of the
// portable build (and of @signet/server's main and Fetch adapter over it) imports nothing
// from `node:` and uses no Node global, so it loads where there is no Node layer at all.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { describe, it } from 'node:test';
import { graph, modules, stripComments } from './runtimes/harness.js';

// `require('x')` calls only: registries have a require(name) method.
const NODE_GLOBALS =
  /(?<![.\w$])(?:Buffer|process|__dirname|__filename|global)\b|(?<![.\w$])require\s*\(\s*['"]/;

function nodeUses(files: Map<string, string[]>): string[] {
  const found: string[] = [];
  const builtins = new Set(builtinModules);
  for (const [file, specifiers] of files) {
    for (const s of specifiers) {
      if (s.startsWith('node:') || builtins.has(s) || builtins.has(s.split('/')[0] ?? '')) {
        found.push(`${file} imports ${s}`);
      }
    }
    const code = stripComments(readFileSync(file, 'utf8'));
    const m = NODE_GLOBALS.exec(code);
    if (m !== null) found.push(`${file} uses ${m[0]}`);
  }
  return found;
}

describe('the portable module graph', () => {
  it('@signet/core portable.js imports nothing from node: and uses no Node global', () => {
    const files = graph(modules.corePortable, modules.corePortable);
    assert.ok(files.size > 10, `only ${files.size} modules found`);
    assert.deepEqual(nodeUses(files), []);
  });

  it("@signet/server's main entry and Fetch adapter, over the portable core, neither", () => {
    for (const [entry, least] of [
      [modules.server, 10],
      [modules.serverFetch, 2],
    ] as const) {
      const files = graph(entry, modules.corePortable);
      assert.ok(files.size >= least, `${entry}: only ${files.size} modules found`);
      assert.deepEqual(nodeUses(files), [], entry);
    }
  });

  it("@signet/client's main entry for browsers and workers (portable.js), neither", () => {
    const files = graph(modules.clientPortable, modules.corePortable);
    assert.ok(files.size >= 10, `only ${files.size} modules found`);
    assert.deepEqual(nodeUses(files), []);
  });

  it('their type declarations name nothing from node: either (no @types/node needed)', () => {
    for (const [entry, core] of [
      [modules.corePortable, modules.corePortable],
      [modules.clientPortable, modules.corePortable],
    ] as const) {
      for (const file of graph(entry, core).keys()) {
        const types = stripComments(readFileSync(file.replace(/\.js$/, '.d.ts'), 'utf8'));
        assert.doesNotMatch(types, /['"]node:|\bNodeJS\.|\bBuffer\b/, file);
      }
    }
  });

  it('the walker does see node:crypto in the Node build (so the checks above can fail)', () => {
    const uses = nodeUses(graph(modules.coreNode, modules.coreNode));
    assert.ok(
      uses.some((u) => u.endsWith('node_crypto.js imports node:crypto')),
      uses.join('\n'),
    );
    const client = nodeUses(graph(modules.clientNode, modules.coreNode));
    assert.ok(
      client.some((u) => u.endsWith('store.js imports node:fs/promises')),
      client.join('\n'),
    );
  });
});
