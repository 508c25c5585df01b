// `npx signet-provider ...` and `npx signet ...` work right after the README's `npm ci`:
// the bins are committed, executable scripts (npm links a bin only when its target exists
// at install time, and dist/ does not yet), linked into the root node_modules/.bin.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BINS = [
  { name: 'signet', script: 'packages/client/bin/signet.js', usage: /signet login/ },
  {
    name: 'signet-provider',
    script: 'packages/provider/bin/signet-provider.js',
    usage: /Usage: signet-provider <command>/,
  },
];

describe('the command-line programs after npm ci', () => {
  for (const bin of BINS) {
    it(`${bin.name} is an executable script that git keeps executable`, () => {
      const mode = statSync(join(ROOT, bin.script)).mode;
      assert.ok((mode & 0o111) !== 0, `${bin.script} is not executable`);
      if (existsSync(join(ROOT, '.git'))) {
        const staged = execFileSync('git', ['ls-files', '-s', bin.script], {
          cwd: ROOT,
          encoding: 'utf8',
        });
        assert.match(staged, /^100755 /, `${bin.script} is not committed as executable`);
      }
    });

    it(`${bin.name} is linked into node_modules/.bin`, () => {
      const link = join(ROOT, 'node_modules', '.bin', bin.name);
      assert.equal(realpathSync(link), realpathSync(join(ROOT, bin.script)));
    });

    it(`npx --no-install ${bin.name} --help prints its usage`, () => {
      const run = spawnSync('npx', ['--no-install', bin.name, '--help'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, npm_config_yes: 'false' },
        timeout: 60_000,
      });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, bin.usage);
    });
  }
});
