import { createHmac } from 'node:crypto';
import type { AuthorizationFailure } from '@signet/server';
import { isPermission } from '../permissions.js';
import { providerAuthorization } from '../review.js';
import type { SqlStore } from '../stores/sql.js';
import type { AuthorizationProblem, GrantView, PagesBackend, WebUser } from './pages.js';

// Enough of a key to tell two grants apart; the whole key has no business in HTML.
const keyPrefix = (token: string): string => token.slice(0, 6);

/** What the page says about a failure of the authorization helpers; a store failure is thrown. */
function problemOf(failure: AuthorizationFailure): AuthorizationProblem {
  const e = failure.error;
  if (e.status !== undefined && e.status >= 500) throw e.cause ?? e;
  if (e.code === 'ERR_OAUTH_CALLBACK') return { kind: 'callback' };
  if (e.problem === 'token_expired') return { kind: 'expired' };
  if (
    e.problem === 'token_rejected' ||
    e.problem === 'token_used' ||
    e.problem === 'consumer_key_refused' ||
    e.problem === 'parameter_absent'
  ) {
    return { kind: 'unavailable' };
  }
  return { kind: 'invalid', message: e.message };
}

/**
 * The pages' view of the SQL store. Revoke forms carry a keyed hash of the token, not the
 * token key: keys are not secrets, but there is no reason to put them in HTML.
 */
export function sqlPagesBackend(
  store: SqlStore,
  key: Buffer,
  now: () => number,
  onRevoke: () => void = () => {},
): PagesBackend {
  const handle = (kind: 'a' | 'r', token: string) =>
    `${kind}-${createHmac('sha256', key).update(token).digest('base64url').slice(0, 32)}`;
  const authorization = providerAuthorization(store, now);
  const toWebUser = (u: { name: string; displayName: string }): WebUser => ({
    id: u.name,
    name: u.name,
    displayName: u.displayName || u.name,
  });

  async function grantsOf(userId: string): Promise<(GrantView & { token: string })[]> {
    const t = now();
    const access = await store.listAccessTokens({ userId });
    const pending = await store.listRequestTokens({ userId, live: t });
    const out: (GrantView & { token: string })[] = [];
    for (const a of access) {
      if (a.revokedAt !== undefined || (a.expiresAt !== undefined && a.expiresAt <= t)) continue;
      if (!isPermission(a.permission) || a.permission === 'UNAUTHORIZED') continue;
      out.push({
        id: handle('a', a.token),
        token: a.token,
        application: a.consumerName,
        permission: a.permission,
        context: a.context,
        createdAt: a.createdAt,
        expiresAt: a.expiresAt,
        lastUsedAt: a.lastUsedAt,
        keyPrefix: keyPrefix(a.token),
        pending: false,
      });
    }
    for (const r of pending) {
      const p = r.grant?.permission;
      if (p === undefined || !isPermission(p) || p === 'UNAUTHORIZED') continue;
      out.push({
        id: handle('r', r.token),
        token: r.token,
        application: r.consumerName,
        permission: p,
        context: r.grant?.context,
        createdAt: r.reviewedAt ?? r.createdAt,
        expiresAt: r.grant?.expiresAt,
        keyPrefix: keyPrefix(r.token),
        pending: true,
      });
    }
    return out;
  }

  return {
    async authenticate(username, password) {
      const u = await store.verifyPassword(username, password);
      return u ? toWebUser(u) : undefined;
    },
    async getUser(id) {
      const u = await store.getUser(id);
      return u ? toWebUser(u) : undefined;
    },
    async lookupRequestToken(token, callback) {
      const found = await authorization.lookup(token, callback);
      if (!found.ok) return problemOf(found);
      const info = await store.getConsumerInfo(found.consumer.key);
      return {
        kind: 'pending',
        consumerName: found.consumer.name,
        // Open and dynamic consumers named themselves: nobody vouched for the name.
        unverified: info === undefined || info.origin !== 'admin',
        callback: found.callback,
        callbackHost: found.callbackHost,
        callbackRegistered: found.callbackRegistered,
      };
    },
    async contextTitle(name) {
      return (await store.getContext(name))?.title;
    },
    async review(token, decision, callback) {
      const done = await authorization.decide({
        token,
        userId: decision.userId,
        permission: decision.permission,
        context: decision.context,
        expiresAt: decision.expiresAt,
        callback,
      });
      if (!done.ok) return problemOf(done);
      return {
        kind: 'recorded',
        verifier: done.verifier,
        redirect: done.redirect,
        oob: done.requestToken.callback === 'oob',
      };
    },
    async listGrants(userId) {
      return (await grantsOf(userId)).map(({ token: _t, ...g }) => g);
    },
    async revoke(userId, id) {
      const found = (await grantsOf(userId)).find((g) => g.id === id);
      if (!found) return false;
      const ok = found.pending
        ? await store.revokeRequestToken(found.token, now())
        : await store.revokeAccessToken(found.token, now());
      // The protocol side caches tokens; a revocation must reach it before the next call.
      if (ok) onRevoke();
      return ok;
    },
  };
}
