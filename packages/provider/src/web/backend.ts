import { createHmac } from 'node:crypto';
import { ProviderError } from '../errors.js';
import { isPermission, type Permission } from '../permissions.js';
import { reviewToken } from '../review.js';
import type { SqlStore } from '../stores/sql.js';
import type { GrantView, PagesBackend, WebUser } from './pages.js';

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
    async lookupRequestToken(token) {
      const r = await store.getRequestToken(token);
      if (!r) return undefined;
      const consumer = await store.getConsumer(r.consumerKey);
      if (!consumer || consumer.disabled) return undefined;
      return {
        consumerName: consumer.name,
        callback: r.callback,
        registeredCallback: consumer.callbackUrl,
        expired: r.expiresAt <= now(),
        reviewed: r.grant !== undefined,
      };
    },
    async contextTitle(name) {
      return (await store.getContext(name))?.title;
    },
    async review(token, decision, callback) {
      try {
        const result = await reviewToken(store, {
          token,
          userId: decision.userId,
          permission: decision.permission as Permission,
          context: decision.context,
          expiresIn:
            decision.expiresAt === undefined
              ? undefined
              : Math.max(1, Math.round((decision.expiresAt - now()) / 1000)),
          callback,
          now: now(),
        });
        return { verifier: result.verifier, redirect: result.redirect };
      } catch (e) {
        if (e instanceof ProviderError) return undefined;
        throw e;
      }
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
