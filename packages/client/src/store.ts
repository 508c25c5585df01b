import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ClientError } from './errors.js';
import {
  type CredentialStore,
  type StoredCredentials,
  type StoredRegistration,
  same,
} from './memory_store.js';

export type { CredentialStore, StoredCredentials } from './memory_store.js';
export { MemoryCredentialStore } from './memory_store.js';

/**
 * The directory of the CLI's files: `$SIGNET_CONFIG_DIR`, else `$XDG_CONFIG_HOME/signet`,
 * else `~/.config/signet`.
 *
 * @example
 * ```ts
 * defaultConfigDir({ SIGNET_CONFIG_DIR: '/tmp/signet' }) // '/tmp/signet'
 * ```
 */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['SIGNET_CONFIG_DIR']) return env['SIGNET_CONFIG_DIR'];
  const base = env['XDG_CONFIG_HOME'] || join(homedir(), '.config');
  return join(base, 'signet');
}

/** Options of {@link FileCredentialStore}. */
export interface FileCredentialStoreOptions {
  /** The file; default `credentials.json` in {@link defaultConfigDir}. */
  readonly path?: string;
}

interface FileShape {
  version: 1;
  credentials: StoredCredentials[];
  /** Registered clients; absent in files written before they were kept. */
  registrations?: StoredRegistration[];
}

// Writers in this process queue per file; other processes are kept out by a lock file.
const queues = new Map<string, Promise<unknown>>();
const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 5_000;

/**
 * Keeps credentials in a JSON file (`~/.config/signet/credentials.json` by default), only
 * readable by its owner: the file is mode 0600 and its directory 0700. Every change rewrites
 * the whole file through a temporary file and a rename, under a lock, so a crash or a
 * concurrent `signet login` never leaves it half-written or loses another entry.
 *
 * @example
 * ```ts
 * const store = new FileCredentialStore({ path: '/tmp/creds.json' })
 * ```
 */
export class FileCredentialStore implements CredentialStore {
  /** The file's path. */
  readonly path: string;

  constructor(options: FileCredentialStoreOptions = {}) {
    this.path = options.path ?? join(defaultConfigDir(), 'credentials.json');
  }

  /** Every saved entry. @throws {ClientError} `ERR_STORE` for an unreadable file. */
  async list(): Promise<StoredCredentials[]> {
    return (await this.#read()).credentials;
  }

  /** The entry for a server and consumer. */
  async get(server: string, consumerKey: string): Promise<StoredCredentials | undefined> {
    return (await this.#read()).credentials.find((c) => same(c, server, consumerKey));
  }

  /** Saves an entry atomically, keeping every other one. */
  put(credentials: StoredCredentials): Promise<void> {
    return this.#update((data) => {
      data.credentials = data.credentials.filter(
        (c) => !same(c, credentials.server, credentials.consumerKey),
      );
      data.credentials.push(credentials);
      return undefined;
    });
  }

  /** The client registered at a registration endpoint, if one was kept. */
  async getRegistration(endpoint: string): Promise<StoredRegistration | undefined> {
    return (await this.#read()).registrations?.find((r) => r.endpoint === endpoint);
  }

  /** Keeps a registered client atomically (its secret is as private as the tokens). */
  putRegistration(registration: StoredRegistration): Promise<void> {
    return this.#update((data) => {
      data.registrations = [
        ...(data.registrations ?? []).filter((r) => r.endpoint !== registration.endpoint),
        registration,
      ];
      return undefined;
    });
  }

  /** Removes an entry atomically; `true` when there was one. */
  delete(server: string, consumerKey: string): Promise<boolean> {
    return this.#update((data) => {
      const before = data.credentials.length;
      data.credentials = data.credentials.filter((c) => !same(c, server, consumerKey));
      return data.credentials.length !== before;
    });
  }

  async #read(): Promise<FileShape> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, credentials: [] };
      throw new ClientError('ERR_STORE', `Cannot read ${this.path}.`, { cause: e });
    }
    try {
      const data = JSON.parse(text) as FileShape;
      if (!Array.isArray(data?.credentials)) throw new Error('no "credentials" list');
      return data;
    } catch (cause) {
      // Never overwrite a file we cannot read: it may hold the only copy of someone's tokens.
      throw new ClientError(
        'ERR_STORE',
        `${this.path} is not a credentials file; fix or remove it.`,
        {
          cause,
        },
      );
    }
  }

  #update<T>(change: (data: FileShape) => T): Promise<T> {
    const previous = queues.get(this.path) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.#locked(change));
    queues.set(this.path, next);
    return next.finally(() => {
      if (queues.get(this.path) === next) queues.delete(this.path);
    });
  }

  async #locked<T>(change: (data: FileShape) => T): Promise<T> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const lock = `${this.path}.lock`;
    await acquire(lock);
    try {
      const data = await this.#read();
      const result = change(data);
      const tmp = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      const handle = await open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(data, null, 2) + '\n');
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        // The mode of open() is masked by the umask; the file must be 0600 whatever it is.
        await chmod(tmp, 0o600);
        await rename(tmp, this.path);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      return result;
    } catch (e) {
      if (e instanceof ClientError) throw e;
      throw new ClientError('ERR_STORE', `Cannot write ${this.path}.`, { cause: e });
    } finally {
      await unlink(lock).catch(() => undefined);
    }
  }
}

async function acquire(lock: string): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      const h = await open(lock, 'wx', 0o600);
      await h.close();
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    // A lock left by a crashed process must not block every later login.
    const info = await stat(lock).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > LOCK_STALE_MS) {
      await unlink(lock).catch(() => undefined);
      continue;
    }
    if (Date.now() - start > LOCK_WAIT_MS) {
      throw new ClientError('ERR_STORE', `${lock} is held by another process.`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
