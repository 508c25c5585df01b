import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Placement } from './client.js';
import { ClientError } from './errors.js';

/**
 * Saved credentials: a consumer and a token for one server. Identified by `server` and
 * `consumerKey`; `profile` is the name a person uses for them.
 */
export interface StoredCredentials {
  /** A short name (`--profile`); by default the server's host. */
  readonly profile: string;
  /** The server as the user named it: an origin (`https://example.com`) or `user@host`. */
  readonly server: string;
  /** Origins these credentials sign for (the server's and its API's). */
  readonly origins: readonly string[];
  /** `oauth_consumer_key`. */
  readonly consumerKey: string;
  /** Consumer secret (empty for Launchpad's open consumers and RSA). */
  readonly consumerSecret: string;
  /** Path of the RSA private key, for the RSA methods (the key itself is not copied). */
  readonly privateKeyFile?: string;
  /** `oauth_signature_method`. */
  readonly signatureMethod: string;
  /** Placement of the oauth parameters. */
  readonly placement?: Placement;
  /** `realm` of the Authorization header. */
  readonly realm?: string;
  /** Access token. */
  readonly token: string;
  /** Access token secret. */
  readonly tokenSecret: string;
  /** Extra fields of the access-token answer (`lp.context`, `user_id` ...). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** When the client registration expires (seconds since the epoch), if it does. */
  readonly registrationExpiresAt?: number;
  /** When these credentials were saved (ISO 8601). */
  readonly savedAt: string;
}

/**
 * A client registered with a server's registration endpoint (pump.io), kept so that the next
 * login reuses it instead of registering another client each time.
 */
export interface StoredRegistration {
  /** The registration endpoint it was registered at. */
  readonly endpoint: string;
  /** `client_id`: the consumer key. */
  readonly clientId: string;
  /** `client_secret`. */
  readonly clientSecret: string;
  /** The `application_name` it was registered (or last updated) with. */
  readonly applicationName: string;
  /** When the registration expires (seconds since the epoch); `0` when it does not. */
  readonly expiresAt: number;
  /** When it was saved (ISO 8601). */
  readonly savedAt: string;
}

/**
 * Where credentials are kept, keyed by server and consumer key.
 *
 * @example
 * ```ts
 * const store: CredentialStore = new FileCredentialStore()
 * await store.put(credentials)
 * ```
 */
export interface CredentialStore {
  /** Every saved entry. */
  list(): Promise<StoredCredentials[]>;
  /** The entry for a server and consumer. */
  get(server: string, consumerKey: string): Promise<StoredCredentials | undefined>;
  /** Saves an entry, replacing the one of the same server and consumer, keeping the rest. */
  put(credentials: StoredCredentials): Promise<void>;
  /** Removes an entry; `true` when there was one. */
  delete(server: string, consumerKey: string): Promise<boolean>;
  /** The client registered at a registration endpoint, if one was kept. */
  getRegistration?(endpoint: string): Promise<StoredRegistration | undefined>;
  /** Keeps a registered client, replacing the one of the same endpoint. */
  putRegistration?(registration: StoredRegistration): Promise<void>;
}

const same = (c: StoredCredentials, server: string, consumerKey: string) =>
  c.server === server && c.consumerKey === consumerKey;

/**
 * Keeps credentials in memory: for tests, and for apps that store them their own way.
 *
 * @example
 * ```ts
 * const store = new MemoryCredentialStore()
 * ```
 */
export class MemoryCredentialStore implements CredentialStore {
  #entries: StoredCredentials[] = [];
  #registrations = new Map<string, StoredRegistration>();

  /** The client registered at a registration endpoint. */
  async getRegistration(endpoint: string): Promise<StoredRegistration | undefined> {
    const found = this.#registrations.get(endpoint);
    return found && { ...found };
  }

  /** Keeps a registered client. */
  async putRegistration(registration: StoredRegistration): Promise<void> {
    this.#registrations.set(registration.endpoint, { ...registration });
  }

  /** Every saved entry (copies). */
  async list(): Promise<StoredCredentials[]> {
    return this.#entries.map((c) => ({ ...c }));
  }

  /** The entry for a server and consumer. */
  async get(server: string, consumerKey: string): Promise<StoredCredentials | undefined> {
    const found = this.#entries.find((c) => same(c, server, consumerKey));
    return found && { ...found };
  }

  /** Saves an entry, replacing the one of the same server and consumer. */
  async put(credentials: StoredCredentials): Promise<void> {
    const rest = this.#entries.filter((c) => !same(c, credentials.server, credentials.consumerKey));
    this.#entries = [...rest, { ...credentials }];
  }

  /** Removes an entry; `true` when there was one. */
  async delete(server: string, consumerKey: string): Promise<boolean> {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((c) => !same(c, server, consumerKey));
    return this.#entries.length !== before;
  }
}

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
