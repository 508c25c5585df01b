import type { Session, SessionStore } from '../web/session.js';
import type { SqlStore } from './sql.js';

/**
 * The pages' `SessionStore` over the SQL store, so that sessions survive a restart and are
 * shared by every process on the same database.
 *
 * @example registerPages(app, { sessions: new SqlSessionStore(store), ... })
 */
export class SqlSessionStore implements SessionStore {
  readonly #store: SqlStore;

  constructor(store: SqlStore) {
    this.#store = store;
  }

  create(idHash: string, session: Session): Promise<void> {
    return this.#store.createSession(idHash, session);
  }

  get(idHash: string): Promise<Session | undefined> {
    return this.#store.getSession(idHash);
  }

  destroy(idHash: string): Promise<void> {
    return this.#store.destroySession(idHash);
  }
}
