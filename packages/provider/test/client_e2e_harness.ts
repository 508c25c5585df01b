// Harness of the @signet/client end-to-end tests: a real provider on loopback over a
// temporary SQLite file, the admin CLI, and the `signet` CLI driven through pipes.
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { openProvider, type Provider } from '../src/provider.js';
import type { SqlStore } from '../src/stores/sql.js';
import { tempDir } from './helpers.js';

/** packages/provider/test/fixtures, from dist/test. */
export const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
/** The provider's admin CLI, built. */
const ADMIN_CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
/** The `signet` CLI of @signet/client, built (resolved through the workspace link). */
export const SIGNET_CLI = fileURLToPath(new URL('./cli.js', import.meta.resolve('@signet/client')));

/** A provider listening on 127.0.0.1. */
export interface Running {
  /** `http://127.0.0.1:PORT`, also its `SIGNET_PUBLIC_URL`. */
  readonly base: string;
  readonly provider: Provider;
  readonly store: SqlStore;
  /** The environment it was configured from: the admin CLI needs the same. */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** A port the kernel just handed out and took back. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts the provider on a free loopback port, with `SIGNET_PUBLIC_URL` naming that very
 * address (signatures are checked against it). A port lost to a race is retried.
 */
export async function startProvider(): Promise<Running> {
  const tmp = tempDir('client-e2e');
  let lastError: unknown;
  for (let attempt = 0; attempt < 8; attempt++) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      HOST: '127.0.0.1',
      PORT: String(port),
      SIGNET_PUBLIC_URL: base,
      SIGNET_DATABASE_URL: `sqlite:${join(tmp.dir, 'signet.db')}`,
      SIGNET_SECRET_KEY: randomBytes(32).toString('base64'),
    };
    const provider = await openProvider(loadConfig(env, { cwd: tmp.dir }));
    try {
      await provider.app.listen({ port, host: '127.0.0.1' });
    } catch (e) {
      lastError = e;
      await provider.close();
      if ((e as { code?: string }).code === 'EADDRINUSE') continue;
      tmp.remove();
      throw e;
    }
    return {
      base,
      provider,
      store: provider.storage.store,
      env,
      async close() {
        await provider.close();
        tmp.remove();
      },
    };
  }
  tmp.remove();
  throw lastError;
}

/** What a finished command printed. */
export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the provider's admin CLI against the running provider's database. */
export function admin(r: Running, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [ADMIN_CLI, ...args],
      { env: { ...process.env, ...r.env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The `signet` CLI with its own config folder, never opening a browser. */
export class SignetCli {
  readonly #children = new Set<ChildProcessWithoutNullStreams>();

  constructor(readonly configDir: string) {}

  env(): NodeJS.ProcessEnv {
    const e: NodeJS.ProcessEnv = {
      ...process.env,
      SIGNET_CONFIG_DIR: this.configDir,
      SIGNET_NO_BROWSER: '1',
    };
    delete e['SIGNET_CONSUMER_SECRET'];
    delete e['SIGNET_TOKEN_SECRET'];
    return e;
  }

  /** Runs `signet ARGS` to the end with stdin closed. */
  run(...args: string[]): Promise<Run> {
    return this.interact(args, () => undefined);
  }

  /**
   * Runs `signet ARGS`; `onStderr` sees stderr so far after each chunk and may answer on
   * stdin (what a person at the terminal would type). When it throws, or the promise it
   * returns rejects, the command is killed and the run rejects with that error.
   */
  interact(
    args: readonly string[],
    onStderr: (stderr: string, child: ChildProcessWithoutNullStreams) => void | Promise<void>,
  ): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [SIGNET_CLI, ...args], {
        env: this.env(),
        stdio: 'pipe',
      });
      this.#children.add(child);
      let stdout = '';
      let stderr = '';
      let failure: { error: unknown } | undefined;
      const fail = (error: unknown) => {
        failure ??= { error };
        child.kill();
      };
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        try {
          onStderr(stderr, child)?.catch(fail);
        } catch (e) {
          fail(e);
        }
      });
      child.on('error', reject);
      child.on('close', (code) => {
        this.#children.delete(child);
        if (failure !== undefined) reject(failure.error);
        else resolve({ code, stdout, stderr });
      });
    });
  }

  /** Kills whatever is still running. */
  killAll(): void {
    for (const c of this.#children) c.kill();
  }
}

/** Runs a shell command line (a printed curl command) and collects its output. */
export function sh(line: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', line], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}
