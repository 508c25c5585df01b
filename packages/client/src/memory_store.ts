// Credential stores that run anywhere; the file store (Node only) is in store.ts.
import type { Placement } from './client.js';

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

/** @internal */
export const same = (c: StoredCredentials, server: string, consumerKey: string) =>
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
