import { isFormContentType, parseFormEncoded } from '@signet/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../app.js';
import { ProviderError } from '../errors.js';
import type { ClientRegistration } from '../stores/sql.js';
import { sendJson } from './reply.js';
import { utf8Body } from './request.js';

const httpUrl = (what: string) =>
  z.string().refine((v) => {
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
  application_name: z.string().trim().min(1).max(200).optional(),
  application_type: z
    .enum(['web', 'native'], { message: 'application_type must be web or native' })
    .optional(),
  redirect_uris: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? undefined : v.split(/\s+/).filter(Boolean)))
    .pipe(z.array(httpUrl('each redirect URI')).optional()),
  logo_url: httpUrl('logo_url').optional(),
  contacts: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? undefined : v.split(/\s+/).filter(Boolean))),
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
  api.post('/api/client/register', async (req, reply) => {
    if (!ctx.config.dynamicRegistration) {
      return sendJson(reply, 403, {
        error: 'Dynamic client registration is disabled on this server.',
      });
    }
    const input = fields(req.body, req.headers['content-type']);
    if (typeof input === 'string') return sendJson(reply, 400, { error: input });
    // Form values are strings; JSON clients sometimes send lists, which pump.io joins.
    for (const k of ['redirect_uris', 'contacts'] as const) {
      if (Array.isArray(input[k])) input[k] = (input[k] as unknown[]).join(' ');
    }
    const parsed = registration.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
      return sendJson(reply, 400, { error: `${where}${issue.message}` });
    }
    const f = parsed.data;
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
