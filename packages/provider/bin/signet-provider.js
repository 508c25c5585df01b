#!/usr/bin/env node
// Committed rather than pointing `bin` at dist/: npm links a bin only when its target exists
// at install time, and dist/ is built after that (by `npm ci`'s prepare step, `npm start` or
// `npm test`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('signet-provider: not built yet; run `npm run build` first.\n');
  process.exit(1);
}
await import(cli.href);
