// The conformance suite in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core, which downloads nothing): the page loads the built ES modules from a
// loopback server, with no bundler; an import map gives @signet/core the portable build, as
// the package's `browser` condition does for bundlers.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import {
  conformanceInput,
  entryBody,
  modules,
  type Report,
  repoRoot,
  reportToSubtests,
} from './runtimes/harness.js';

const CHROMIUM = '/usr/bin/chromium';

describe('conformance in headless Chromium (Debian chromium, playwright-core)', () => {
  it('the portable build, loaded as ES modules from loopback', async (t) => {
    const entry = entryBody(conformanceInput(), modules.corePortable, (p) => `/${p}`);
    const page = `<!doctype html><meta charset="utf-8"><title>conformance</title>
<script type="importmap">${JSON.stringify({ imports: { '@signet/core': `/${modules.corePortable}` } })}</script>
<script type="module">
import { runConformance } from '/entry.mjs';
window.__report = runConformance().catch((e) => ({ error: String(e && e.stack || e) }));
</script>`;
    // Only the built packages are served, and only from under their dist directories.
    const served = ['packages/core/dist/', 'packages/server/dist/', 'packages/client/dist/'];
    const server = createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      const send = (type: string, body: string | Buffer) => {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      if (path === '/') return send('text/html; charset=utf-8', page);
      if (path === '/entry.mjs') return send('text/javascript; charset=utf-8', entry);
      const rel = path.slice(1);
      const file = join(repoRoot, rel);
      if (served.some((p) => rel.startsWith(p)) && rel.endsWith('.js') && existsSync(file)) {
        return send('text/javascript; charset=utf-8', readFileSync(file));
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    t.after(() => browser.close());
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    tab.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await tab.goto(`http://127.0.0.1:${port}/`);
    await tab.waitForFunction(() => '__report' in globalThis, null, {
      timeout: 30_000,
    });
    const report = (await tab.evaluate(
      () => (globalThis as unknown as { __report: Promise<unknown> }).__report,
    )) as Report & { error?: string };
    if (report.error !== undefined || report.results === undefined) {
      throw new Error(`the page failed: ${report.error ?? ''}\n${errors.join('\n')}`);
    }
    await reportToSubtests(t, report, 'web');
  });
});
