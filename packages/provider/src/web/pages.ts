import { readFileSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import { isStoreUnavailable } from '@signet/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPermission, type Permission, permissionTitle } from '../permissions.js';
import { Csrf } from './csrf.js';
import {
  admitLogin,
  type LoginAdmission,
  type LoginLimits,
  memoryLoginLimits,
} from './rate_limit.js';
import { originOf, safeNext, setPageSecurityHeaders } from './security.js';
import { hashSessionId, newSessionId, type SessionStore } from './session.js';
import { createViews, packagePath } from './views.js';

/** A person, as the pages show them. */
export interface WebUser {
  readonly id: string;
  readonly name: string;
  readonly displayName: string;
}

/** A request token, as the authorization page needs it. */
export interface PendingAuthorization {
  readonly kind: 'pending';
  readonly consumerName: string;
  /** The consumer registered itself (open or dynamic registration): nobody vouched for it. */
  readonly unverified: boolean;
  /** Where the person will be sent (the token's callback, else the page's); may be `oob`. */
  readonly callback: string | undefined;
  /** The host of a URL callback, shown before the buttons. */
  readonly callbackHost: string | undefined;
  /** Whether the callback fits one the consumer registered. */
  readonly callbackRegistered: boolean;
}

/** Why the authorization page cannot go on. */
export type AuthorizationProblem =
  /** Unknown, already reviewed, or its application is unknown or disabled. */
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'expired' }
  /** The callback does not fit the consumer's registered callbacks, or is no valid URL. */
  | { readonly kind: 'callback' }
  | { readonly kind: 'invalid'; readonly message: string };

/** A recorded decision. */
export interface RecordedDecision {
  readonly kind: 'recorded';
  readonly verifier: string;
  /** Where to send the browser, if anywhere. */
  readonly redirect: string | undefined;
  /** The application asked for the verifier to be shown (`oob`). */
  readonly oob: boolean;
}

/** One line of /account/applications. */
export interface GrantView {
  /** Opaque id for the Revoke form; not the token itself. */
  readonly id: string;
  readonly application: string;
  readonly permission: Permission;
  readonly context: string | undefined;
  readonly createdAt: number;
  readonly expiresAt: number | undefined;
  /** When a signed request last used it (to the minute), if one did. */
  readonly lastUsedAt?: number | undefined;
  /** The start of the token key, to tell two grants of one application apart. */
  readonly keyPrefix: string;
  /** A reviewed request token not yet exchanged. */
  readonly pending: boolean;
}

/** What the pages need from the rest of the provider. */
export interface PagesBackend {
  authenticate(username: string, password: string): Promise<WebUser | undefined>;
  getUser(id: string): Promise<WebUser | undefined>;
  /**
   * The request token the page is about, decided by @signet/server's authorization helpers;
   * `callback` is one given to the page (Launchpad's flavour).
   */
  lookupRequestToken(
    token: string,
    callback: string | undefined,
  ): Promise<PendingAuthorization | AuthorizationProblem>;
  contextTitle(name: string): Promise<string | undefined>;
  /**
   * Records the decision through the same helpers. `callback` is the Launchpad-flavour
   * callback given to the page.
   */
  review(
    token: string,
    decision: {
      readonly userId: string;
      readonly permission: Permission;
      readonly context: string | undefined;
      readonly expiresAt: number | undefined;
    },
    callback: string | undefined,
  ): Promise<RecordedDecision | AuthorizationProblem>;
  listGrants(userId: string): Promise<GrantView[]>;
  revoke(userId: string, id: string): Promise<boolean>;
}

/** Options of {@link registerPages}. */
export interface PagesOptions {
  readonly backend: PagesBackend;
  readonly sessions: SessionStore;
  /** Key for CSRF tokens. */
  readonly csrfKey: Buffer;
  /** Set `Secure` on cookies (when the public URL is https). */
  readonly secureCookies: boolean;
  /** How long a login lasts. */
  readonly sessionTtlMs?: number;
  /**
   * Login attempt limits (see {@link LoginLimits}). In memory by default; in Redis when the
   * provider has one.
   */
  readonly loginLimits?: LoginLimits;
  readonly now?: () => number;
}

export { type LoginLimits, memoryLoginLimits };

const SESSION_COOKIE = 'signet_session';
const CSRF_COOKIE = 'signet_csrf';
// Levels a client may ask for with allow_permission; the page always offers "No Access".
const GRANTABLE: readonly Permission[] = [
  'READ_PUBLIC',
  'WRITE_PUBLIC',
  'READ_PRIVATE',
  'WRITE_PRIVATE',
];
// Launchpad's desktop-integration durations.
const DURATIONS = [
  { value: 'forever', title: 'Until I disable it', ms: undefined },
  { value: 'week', title: 'For one week', ms: 7 * 24 * 3600_000 },
  { value: 'day', title: 'For one day', ms: 24 * 3600_000 },
  { value: 'hour', title: 'For one hour', ms: 3600_000 },
] as const;
const DESKTOP_NAME = /^System-wide: (.+) \((.+)\)$/;

/**
 * The desktop-integration variant ("the computer called X wants access", one button for the
 * whole system) is for desktop clients, which show no web page and take no callback: a name
 * in Launchpad's desktop form with a URL callback is a web application dressed up as a
 * computer (anyone can register any name), and gets the ordinary page.
 */
function desktopOf(pending: PendingAuthorization): RegExpExecArray | undefined {
  if (pending.callback !== undefined && pending.callback !== 'oob') return undefined;
  return DESKTOP_NAME.exec(pending.consumerName) ?? undefined;
}
// One line on what each level allows, shown beside its button.
const ALLOWS: Readonly<Record<Permission, string>> = {
  UNAUTHORIZED: 'The application gets no access to your account.',
  READ_PUBLIC: 'It can read what anyone can see, as you; nothing private, no changes.',
  WRITE_PUBLIC: 'It can read and change non-private data as you; nothing private.',
  READ_PRIVATE: 'It can read everything you can, private data included; no changes.',
  WRITE_PRIVATE: 'It can read and change everything you can, private data included.',
  DESKTOP_INTEGRATION: 'Every application on that computer can read and change everything you can.',
};

type Form = Record<string, unknown>;

/**
 * The people pages: login/logout, the authorization page (Launchpad's `/+authorize-token`
 * and RFC 5849's `/oauth/authorize`) and `/account/applications`.
 */
export async function registerPages(app: FastifyInstance, options: PagesOptions): Promise<void> {
  const { backend, sessions } = options;
  const views = createViews();
  const csrf = new Csrf(options.csrfKey);
  const now = options.now ?? Date.now;
  const ttl = options.sessionTtlMs ?? 14 * 24 * 3600_000;
  const limits = options.loginLimits ?? memoryLoginLimits(now);
  const css = readFileSync(packagePath('static/signet.css'));
  await app.register(fastifyCookie);
  // Forms are small; a bigger body is not a form a person filled in.
  await app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
  const cookieBase = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: options.secureCookies,
  };

  app.get('/static/signet.css', async (_req, reply) => {
    reply.header('content-type', 'text/css; charset=utf-8');
    reply.header('cache-control', 'public, max-age=3600');
    reply.header('x-content-type-options', 'nosniff');
    return css;
  });

  async function currentUser(
    req: FastifyRequest,
  ): Promise<{ user: WebUser; sessionId: string } | undefined> {
    const id = req.cookies[SESSION_COOKIE];
    if (!id) return undefined;
    const session = await sessions.get(hashSessionId(id));
    if (!session || session.expiresAt <= now()) return undefined;
    const user = await backend.getUser(session.userId);
    return user ? { user, sessionId: id } : undefined;
  }

  // The per-browser CSRF cookie, set on first sight.
  function csrfCookie(req: FastifyRequest, reply: FastifyReply): string {
    let value = req.cookies[CSRF_COOKIE];
    if (!value) {
      value = Csrf.newCookieValue();
      reply.setCookie(CSRF_COOKIE, value, cookieBase);
    }
    return value;
  }

  function render(
    reply: FastifyReply,
    status: number,
    view: string,
    data: Record<string, unknown>,
    formTargets: readonly string[] = [],
  ): FastifyReply {
    setPageSecurityHeaders(reply, formTargets);
    reply.code(status).header('content-type', 'text/html; charset=utf-8');
    return reply.send(views.render(view, data));
  }

  function message(
    reply: FastifyReply,
    status: number,
    heading: string,
    text: string,
    common: Record<string, unknown>,
  ) {
    return render(reply, status, 'message', { ...common, title: heading, heading, message: text });
  }

  // Common data and the CSRF check of every page.
  async function page(req: FastifyRequest, reply: FastifyReply) {
    const who = await currentUser(req);
    const cookie = csrfCookie(req, reply);
    const sessionId = who?.sessionId ?? '';
    return {
      user: who?.user,
      sessionId,
      common: { user: who?.user, csrf: csrf.token(cookie, sessionId) },
      csrfOk: (form: Form) => csrf.verify(req.cookies[CSRF_COOKIE], sessionId, form['csrf']),
    };
  }

  const unavailable = (reply: FastifyReply, common: Record<string, unknown>) =>
    message(
      reply,
      400,
      'Request token unavailable',
      'This request token is unknown, expired or already reviewed.',
      common,
    );

  function refuseCsrf(reply: FastifyReply, common: Record<string, unknown>) {
    return message(
      reply,
      403,
      'Form expired',
      'This form was not submitted from this site, or it is too old. Go back, reload the page and try again.',
      common,
    );
  }

  app.get('/login', async (req, reply) => {
    const p = await page(req, reply);
    const q = req.query as Form;
    return render(reply, 200, 'login', {
      ...p.common,
      title: 'Log in',
      next: safeNext(q['next']),
      username: '',
    });
  });

  app.post('/login', async (req, reply) => {
    const p = await page(req, reply);
    const form = (req.body ?? {}) as Form;
    if (!p.csrfOk(form)) return refuseCsrf(reply, p.common);
    const username = typeof form['username'] === 'string' ? form['username'] : '';
    const password = typeof form['password'] === 'string' ? form['password'] : '';
    const next = safeNext(form['next']);
    const again = (status: number, error: string) =>
      render(reply, status, 'login', { ...p.common, title: 'Log in', next, username, error });
    const wrong = () => again(401, 'Unknown user name or wrong password.');
    // Nothing to check, so nothing to count.
    if (!username || !password) return wrong();
    // Counted before the password is checked, so that parallel guesses cannot all pass one
    // check, and past the limit a guess learns nothing. If the counters cannot be reached,
    // the password is not checked either.
    let admission: LoginAdmission;
    try {
      admission = await admitLogin(limits, username, req.ip);
    } catch (e) {
      if (!isStoreUnavailable(e)) throw e;
      req.log.warn({ err: e }, 'login limits unavailable');
      reply.header('retry-after', String(e.retryAfter));
      return again(503, 'Logging in is unavailable right now. Try again in a minute.');
    }
    if (!admission.allowed) {
      const wait = admission.retryAfterSeconds;
      reply.header('retry-after', String(wait));
      return again(
        429,
        `Too many failed attempts. Try again in ${Math.ceil(wait / 60)} minute${wait > 60 ? 's' : ''}.`,
      );
    }
    const user = await backend.authenticate(username, password);
    if (!user) return wrong();
    // The login goes ahead even if this bookkeeping fails: it only ever forgives.
    await admission.succeeded().catch((e: unknown) => {
      req.log.warn({ err: e }, 'login limits not updated after a success');
    });
    if (p.sessionId) await sessions.destroy(hashSessionId(p.sessionId));
    const id = newSessionId();
    await sessions.create(hashSessionId(id), { userId: user.id, expiresAt: now() + ttl });
    reply.setCookie(SESSION_COOKIE, id, { ...cookieBase, maxAge: Math.floor(ttl / 1000) });
    return reply.redirect(next, 303);
  });

  app.get('/logout', async (req, reply) => {
    const p = await page(req, reply);
    if (!p.user) return reply.redirect('/login', 303);
    return render(reply, 200, 'message', {
      ...p.common,
      title: 'Log out',
      heading: 'Log out',
      message: 'Use the Log out button at the top of the page to end this session.',
    });
  });

  app.post('/logout', async (req, reply) => {
    const p = await page(req, reply);
    if (!p.csrfOk((req.body ?? {}) as Form)) return refuseCsrf(reply, p.common);
    if (p.sessionId) await sessions.destroy(hashSessionId(p.sessionId));
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });

  app.get('/', async (req, reply) => {
    const p = await page(req, reply);
    return reply.redirect(p.user ? '/account/applications' : '/login', 303);
  });

  // What the page says when the authorization helpers refuse.
  function problemPage(
    reply: FastifyReply,
    problem: AuthorizationProblem,
    common: Record<string, unknown>,
  ) {
    switch (problem.kind) {
      case 'unavailable':
        return message(
          reply,
          404,
          'Unknown request token',
          'This request token is unknown or has already been reviewed. Start again from the application.',
          common,
        );
      case 'expired':
        return message(
          reply,
          410,
          'Request token expired',
          'This request token has expired. Start again from the application.',
          common,
        );
      case 'callback':
        return message(reply, 400, 'Bad callback', BAD_CALLBACK, common);
      default:
        return message(reply, 400, 'Bad request', problem.message, common);
    }
  }

  // A callback given to the page (Launchpad's flavour) must be a web address: the page names
  // its origin in form-action. The rest of the callback policy is @signet/server's.
  const pageCallback = (v: unknown): string | undefined =>
    typeof v === 'string' && v !== '' ? v : undefined;

  const showAuthorize = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = await page(req, reply);
    if (!p.user) return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
    const q = req.query as Form;
    const token = typeof q['oauth_token'] === 'string' ? q['oauth_token'] : '';
    if (!token)
      return message(reply, 400, 'No request token', 'No request token specified.', p.common);
    const given = pageCallback(q['oauth_callback']);
    const pending = await backend.lookupRequestToken(token, given);
    if (pending.kind !== 'pending') return problemPage(reply, pending, p.common);
    // Only a callback the page was given travels in the form; the token's own is stored.
    const callbackParam = given !== undefined && pending.callback === given ? given : undefined;
    if (callbackParam !== undefined && originOf(callbackParam) === undefined) {
      return message(reply, 400, 'Bad callback', BAD_CALLBACK, p.common);
    }
    const contextName =
      typeof q['lp.context'] === 'string' && q['lp.context'] ? q['lp.context'] : undefined;
    const contextTitle = contextName ? await backend.contextTitle(contextName) : undefined;
    // Refused here rather than after the click, where the review would fail on it.
    if (contextName && contextTitle === undefined) {
      return message(
        reply,
        400,
        'Unknown context',
        `The application asked for access limited to "${contextName}", which this site does not know. Tell the application's authors, or ask an administrator to add the context.`,
        p.common,
      );
    }
    const context =
      contextName && contextTitle !== undefined
        ? { name: contextName, title: contextTitle }
        : undefined;
    const allowed = toList(q['allow_permission']).filter(isPermission);
    const levels = (
      allowed.length > 0 ? GRANTABLE.filter((l) => allowed.includes(l)) : GRANTABLE
    ).map((value) => ({ value, title: permissionTitle(value), allows: ALLOWS[value] }));
    const desktopMatch = desktopOf(pending);
    const desktop = desktopMatch ? { name: desktopMatch[1], computer: desktopMatch[2] } : undefined;
    const callbackOrigin = pending.callback !== undefined ? originOf(pending.callback) : undefined;
    return render(
      reply,
      200,
      'authorize',
      {
        ...p.common,
        title: 'Authorize application',
        action: req.routeOptions.url,
        token,
        consumerName: pending.consumerName,
        unverified: pending.unverified,
        returnHost: pending.callbackHost,
        returnRegistered: pending.callbackRegistered,
        context,
        callback: callbackParam,
        levels,
        refuseAllows: ALLOWS.UNAUTHORIZED,
        desktop,
        desktopAllows: ALLOWS.DESKTOP_INTEGRATION,
        durations: DURATIONS,
      },
      callbackOrigin ? [callbackOrigin] : [],
    );
  };

  const decideAuthorize = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = await page(req, reply);
    const form = (req.body ?? {}) as Form;
    if (!p.csrfOk(form)) return refuseCsrf(reply, p.common);
    if (!p.user) return reply.redirect('/login', 303);
    const token = typeof form['oauth_token'] === 'string' ? form['oauth_token'] : '';
    if (!token) return unavailable(reply, p.common);
    const callback = pageCallback(form['oauth_callback']);
    const pending = await backend.lookupRequestToken(token, callback);
    if (pending.kind !== 'pending') {
      return pending.kind === 'callback'
        ? problemPage(reply, pending, p.common)
        : unavailable(reply, p.common);
    }
    if (callback !== undefined && pending.callback === callback && !originOf(callback)) {
      return message(reply, 400, 'Bad callback', BAD_CALLBACK, p.common);
    }
    let permission: Permission;
    let expiresAt: number | undefined;
    const desktop = desktopOf(pending) !== undefined;
    if (form['permission'] === 'UNAUTHORIZED') {
      permission = 'UNAUTHORIZED';
    } else if (desktop) {
      const d = DURATIONS.find((x) => x.value === form['duration']);
      if (!d)
        return message(reply, 400, 'Bad request', 'Choose how long to allow access.', p.common);
      permission = 'DESKTOP_INTEGRATION';
      expiresAt = d.ms === undefined ? undefined : now() + d.ms;
    } else {
      const chosen = typeof form['permission'] === 'string' ? form['permission'] : '';
      if (!isPermission(chosen) || !GRANTABLE.includes(chosen)) {
        return message(
          reply,
          400,
          'Bad request',
          'Choose one of the offered access levels.',
          p.common,
        );
      }
      permission = chosen;
    }
    const context =
      typeof form['lp.context'] === 'string' && form['lp.context'] ? form['lp.context'] : undefined;
    const result = await backend.review(
      token,
      { userId: p.user.id, permission, context, expiresAt },
      callback,
    );
    if (result.kind !== 'recorded') {
      return result.kind === 'callback' || result.kind === 'invalid'
        ? problemPage(reply, result, p.common)
        : unavailable(reply, p.common);
    }
    if (result.redirect) return reply.redirect(result.redirect, 303);
    const granted = permission !== 'UNAUTHORIZED';
    return render(reply, 200, 'authorized', {
      ...p.common,
      title: granted ? 'Almost finished' : 'Access not granted',
      granted,
      consumerName: pending.consumerName,
      verifier: granted && result.oob ? result.verifier : undefined,
    });
  };

  for (const path of ['/+authorize-token', '/oauth/authorize']) {
    app.get(path, showAuthorize);
    app.post(path, decideAuthorize);
  }

  app.get('/account/applications', async (req, reply) => {
    const p = await page(req, reply);
    if (!p.user)
      return reply.redirect(`/login?next=${encodeURIComponent('/account/applications')}`, 303);
    const q = req.query as Form;
    const grants = (await backend.listGrants(p.user.id)).map((g) => ({
      id: g.id,
      tokenHint: g.id,
      application: g.application,
      permissionTitle: permissionTitle(g.permission),
      context: g.context,
      pending: g.pending,
      created: formatTime(g.createdAt),
      createdIso: new Date(g.createdAt).toISOString(),
      expires: g.expiresAt === undefined ? undefined : formatTime(g.expiresAt),
      lastUsed: g.lastUsedAt === undefined ? undefined : formatTime(g.lastUsedAt),
      lastUsedIso: g.lastUsedAt === undefined ? undefined : new Date(g.lastUsedAt).toISOString(),
      keyPrefix: g.keyPrefix,
    }));
    const notice = q['revoked'] === '1' ? 'Access revoked.' : undefined;
    return render(reply, 200, 'applications', {
      ...p.common,
      title: 'Authorized applications',
      grants,
      notice,
    });
  });

  app.post('/account/applications/revoke', async (req, reply) => {
    const p = await page(req, reply);
    const form = (req.body ?? {}) as Form;
    if (!p.csrfOk(form)) return refuseCsrf(reply, p.common);
    if (!p.user) return reply.redirect('/login', 303);
    const id = typeof form['id'] === 'string' ? form['id'] : '';
    const ok = id !== '' && (await backend.revoke(p.user.id, id));
    if (!ok)
      return message(
        reply,
        404,
        'Not found',
        'There is no such authorization to revoke.',
        p.common,
      );
    return reply.redirect('/account/applications?revoked=1', 303);
  });
}

const BAD_CALLBACK =
  "The application gave a callback that is not a valid web address for it, so this site will not send you there. Tell the application's authors.";

function toList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}
