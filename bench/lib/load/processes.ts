// Child processes of the load run: started, tracked, and always stopped, even when the
// bench fails half-way or exits early.
import {
  type ChildProcess,
  type ForkOptions,
  fork,
  type SpawnOptions,
  spawn,
} from 'node:child_process';

const exited = (child: ChildProcess): boolean =>
  child.exitCode !== null || child.signalCode !== null;

/** Resolves once `child` has exited (at once if it already has). */
export function exitOf(child: ChildProcess): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * The first IPC message of `child` that `accept` returns a value for; rejects if the child
 * exits first or nothing comes within `timeoutMs`.
 */
export function messageFrom<T>(
  child: ChildProcess,
  accept: (message: unknown) => T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: unknown): void => {
      const value = accept(message);
      if (value === undefined) return;
      done();
      resolve(value);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      done();
      reject(new Error(`${what}: the process exited (${signal ?? `status ${code}`})`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** The processes one section started; {@link Children.stopAll} ends them all. */
export class Children {
  readonly #all = new Set<ChildProcess>();
  // Last resort when the bench itself exits without stopping them (an uncaught error).
  readonly #onExit = (): void => {
    for (const child of this.#all) if (!exited(child)) child.kill('SIGKILL');
  };

  constructor() {
    process.on('exit', this.#onExit);
  }

  #track(child: ChildProcess): ChildProcess {
    this.#all.add(child);
    child.once('exit', () => this.#all.delete(child));
    return child;
  }

  fork(module: string, args: readonly string[], options: ForkOptions): ChildProcess {
    return this.#track(fork(module, args, options));
  }

  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
    return this.#track(spawn(command, args, options));
  }

  /** SIGTERM (the provider then flushes and closes), SIGKILL after `graceMs`. */
  async stop(child: ChildProcess, graceMs = 5000): Promise<void> {
    if (exited(child)) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exitOf(child);
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#all].map((child) => this.stop(child)));
    process.off('exit', this.#onExit);
  }
}
