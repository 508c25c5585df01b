// Harness of the @signet/client end-to-end tests: a real provider on loopback over a
// temporary SQLite file, the admin CLI, and the `signet` CLI driven through pipes.
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Running } from './http_harness.js';

/** The provider's admin CLI, built. */
const ADMIN_CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
/** The `signet` CLI of @signet/client, built (resolved through the workspace link). */
export const SIGNET_CLI = fileURLToPath(new URL('./cli.js', import.meta.resolve('@signet/client')));

// The provider on loopback is the HTTP tests' own; these tests add the two CLIs.
export { FIXTURES, type Running, startProvider } from './http_harness.js';

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
