import { createHash, randomBytes } from 'node:crypto';

/** A logged-in browser. */
export interface Session {
  readonly userId: string;
  readonly expiresAt: number;
}

/**
 * Server-side sessions, so that logging out (or an administrator) ends a session for good.
 * Stores keep only a hash of the id: a leaked table does not log anyone in.
 */
export interface SessionStore {
  create(idHash: string, session: Session): Promise<void>;
  get(idHash: string): Promise<Session | undefined>;
  destroy(idHash: string): Promise<void>;
}

/** Session ids: 256 random bits, as sent in the cookie. */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** What stores key sessions by. */
export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** Sessions in process memory: for tests and single-process use. */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Session>();

  async create(idHash: string, session: Session): Promise<void> {
    this.#sessions.set(idHash, session);
  }

  async get(idHash: string): Promise<Session | undefined> {
    return this.#sessions.get(idHash);
  }

  async destroy(idHash: string): Promise<void> {
    this.#sessions.delete(idHash);
  }
}
