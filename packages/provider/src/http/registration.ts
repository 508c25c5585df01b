import { isFormContentType, parseFormEncoded } from '@signet/core';
import { isStoreUnavailable } from '@signet/server';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../app.js';
import { ProviderError } from '../errors.js';
import type { ClientRegistration } from '../stores/sql.js';
import { addressKey } from '../web/rate_limit.js';
import { nulField, nulMessage } from './nul.js';
import { sendJson } from './reply.js';
import { utf8Body } from './request.js';

// Caps: registrations are anonymous writes, kept as small as a real client needs.
const MAX_BODY = 64 * 1024;
const MAX_URL = 2048;
const MAX_REDIRECT_URIS = 20;
const MAX_CONTACTS = 10;
const MAX_CONTACT = 320;

const httpUrl = (what: string) =>
  z
    .string()
    .max(MAX_URL, `${what} must be at most ${MAX_URL} characters`)
    .refine((v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'https:' || u.protocol === 'http:';
      } catch {
        return false;
      }
    }, `${what} must be an absolute http(s) URL`);

// pump.io's fields; lists arrive space-separated.
const registration = z.object({
  type: z.enum(['client_associate', 'client_update'], {
    message: 'type must be client_associate or client_update',
  }),
  application_name: z
    .string()
    .trim()
    .min(1, 'application_name must not be empty')
    .max(200, 'application_name must be at most 200 characters')
    .optional(),
  application_type: z
    .enum(['web', 'native'], { message: 'application_type must be web or native' })
    .optional(),
  redirect_uris: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? undefined : v.split(/\s+/).filter(Boolean)))
    .pipe(
      z
        .array(httpUrl('each redirect URI'))
        .max(MAX_REDIRECT_URIS, `at most ${MAX_REDIRECT_URIS} redirect URIs`)
        .optional(),
    ),
  logo_url: httpUrl('logo_url').optional(),
  contacts: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? undefined : v.split(/\s+/).filter(Boolean)))
    .pipe(
      z
        .array(
          z.string().max(MAX_CONTACT, `each contact must be at most ${MAX_CONTACT} characters`),
        )
        .max(MAX_CONTACTS, `at most ${MAX_CONTACTS} contacts`)
        .optional(),
    ),
  client_id: z.string().min(1).max(255).optional(),
  client_secret: z.string().min(1).max(1024).optional(),
});

function fields(body: unknown, contentType: string | undefined): Record<string, unknown> | string {
  const raw = utf8Body(body);
  if (raw === undefined) return 'The body is not valid UTF-8.';
  if (isFormContentType(contentType)) return Object.fromEntries(parseFormEncoded(raw));
  if (contentType !== undefined && /^application\/json\b/i.test(contentType)) {
    try {
      const v: unknown = JSON.parse(raw);
      if (v !== null && typeof v === 'object' && !Array.isArray(v))
        return v as Record<string, unknown>;
    } catch {
      // Falls through to the message below.
    }
    return 'The body is not a JSON object.';
  }
  return 'Send the registration as JSON or as a form.';
}

/**
 * pump.io dynamic client registration: `POST /api/client/register` with `client_associate`
 * (a new consumer) or `client_update` (new metadata, proved by `client_id` and
 * `client_secret`). Answers `{client_id, client_secret, expires_at}`; errors are
 * `{"error": "..."}` with 400, or 403 for a wrong secret.
 */
export function registerRegistrationRoutes(api: FastifyInstance, ctx: RouteContext): void {
  const sql = ctx.storage.store;
  const limiter = ctx.writeLimits.registrations;
  const options = {
    bodyLimit: MAX_BODY,
    // A body over the limit is refused before the handler; say so in this API's format.
    errorHandler: (error: unknown, _req: unknown, reply: FastifyReply) => {
      if ((error as { code?: unknown }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return sendJson(reply, 413, {
          error: `The registration is too large (at most ${MAX_BODY / 1024} KB).`,
        });
      }
      throw error;
    },
  };
  api.post('/api/client/register', options, async (req, reply) => {
    if (!ctx.config.dynamicRegistration) {
      return sendJson(reply, 403, {
        error: 'Dynamic client registration is disabled on this server.',
      });
    }
    const input = fields(req.body, req.headers['content-type']);
    if (typeof input === 'string') return sendJson(reply, 400, { error: input });
    const nul = nulField(input);
    if (nul !== undefined) return sendJson(reply, 400, { error: nulMessage(nul) });
    // Form values are strings; JSON clients sometimes send lists, which pump.io joins.
    for (const k of ['redirect_uris', 'contacts'] as const) {
      const v = input[k];
      if (!Array.isArray(v)) continue;
      if (!v.every((x) => typeof x === 'string')) {
        return sendJson(reply, 400, { error: `${k}: expected a list of strings` });
      }
      input[k] = v.join(' ');
    }
    const parsed = registration.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
      return sendJson(reply, 400, { error: `${where}${issue.message}` });
    }
    const f = parsed.data;
    // Counted before the write, so parallel requests cannot all pass one check.
    if (limiter !== undefined) {
      try {
        const allowance = await limiter.take(addressKey(req.ip));
        if (!allowance.allowed) {
          reply.header('retry-after', String(allowance.retryAfterSeconds));
          return sendJson(reply, 429, {
            error: 'Too many registrations from this address; try again later.',
          });
        }
      } catch (e) {
        if (!isStoreUnavailable(e)) throw e;
        reply.header('retry-after', String(e.retryAfter));
        return sendJson(reply, 503, { error: e.message });
      }
    }
    const metadata: ClientRegistration = {
      ...(f.application_name !== undefined && { applicationName: f.application_name }),
      ...(f.application_type !== undefined && { applicationType: f.application_type }),
      ...(f.redirect_uris !== undefined && { redirectUris: f.redirect_uris }),
      ...(f.logo_url !== undefined && { logoUrl: f.logo_url }),
      ...(f.contacts !== undefined && { contacts: f.contacts }),
    };
    try {
      if (f.type === 'client_associate') {
        if (f.client_id !== undefined || f.client_secret !== undefined) {
          return sendJson(reply, 400, {
            error: 'client_id and client_secret are only for client_update.',
          });
        }
        const c = await sql.registerClient(metadata);
        ctx.metrics.tokensIssued.inc({ kind: 'client' });
        return sendJson(reply, 200, {
          client_id: c.clientId,
          client_secret: c.clientSecret,
          expires_at: c.expiresAt,
        });
      }
      if (f.client_id === undefined || f.client_secret === undefined) {
        return sendJson(reply, 400, { error: 'client_update needs client_id and client_secret.' });
      }
      const c = await sql.updateClient(f.client_id, f.client_secret, metadata);
      return sendJson(reply, 200, {
        client_id: c.clientId,
        client_secret: c.clientSecret,
        expires_at: c.expiresAt,
      });
    } catch (e) {
      if (e instanceof ProviderError) {
        if (e.code === 'ERR_FORBIDDEN') return sendJson(reply, 403, { error: e.message });
        if (e.code === 'ERR_INVALID' || e.code === 'ERR_NOT_FOUND')
          return sendJson(reply, 400, { error: e.message });
      }
      throw e;
    }
  });
}
