import { isFormContentType, OAuthError, parseFormEncoded } from '@signet/core';
import {
  createResourceEndpoint,
  isStoreUnavailable,
  type OAuthRequest,
  type OAuthStore,
  type ResourceAccess,
} from '@signet/server';
import { fromFastifyRequest, sendFastifyResponse } from '@signet/server/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { API_BODY_LIMIT, type RouteContext } from '../app.js';
import { LastUseRecorder } from '../stores/last_use.js';
import type { Note } from '../stores/sql.js';
import { type Caller, canRead, writeRefusal } from './access.js';
import { registerGateway } from './gateway.js';
import { nulField, nulMessage } from './nul.js';
import { countFailure } from './protocol.js';
import { sendJson } from './reply.js';
import { utf8Body } from './request.js';
import {
  bodyHashRefusal,
  encodingRefusal,
  plaintextRefusal,
  signatureMethodOptions,
} from './signing_rules.js';

const noteTitle = z
  .string()
  .trim()
  .min(1, 'title is required')
  .max(200, 'title is at most 200 characters');
const noteBody = z.string().max(65536, 'body is at most 65536 characters');
const noteVisibility = z.enum(['public', 'private'], {
  message: 'visibility is public or private',
});
const noteContext = z.string().max(200);
const noteFields = z.object({
  title: noteTitle,
  body: noteBody.default(''),
  visibility: noteVisibility.default('public'),
  context: noteContext.optional(),
});
// No defaults here: a field left out of a PUT keeps its value (zod's `.partial()` would
// still apply the defaults above, turning a private note public).
const noteChanges = z.object({
  title: noteTitle.optional(),
  body: noteBody.optional(),
  visibility: noteVisibility.optional(),
  context: noteContext.optional(),
});

const MAX_NOTE_ID = 2 ** 31 - 1;

/** JSON of a note, as the API answers it. */
function noteJson(n: Note) {
  return {
    id: n.id,
    owner: n.owner,
    title: n.title,
    body: n.body,
    visibility: n.visibility,
    context: n.context ?? null,
    created: new Date(n.createdAt).toISOString(),
    updated: new Date(n.updatedAt).toISOString(),
  };
}

/** Form or JSON fields of a request body; oauth_* parameters are protocol, not data. */
function fieldsOf(req: FastifyRequest): Record<string, unknown> {
  const raw = utf8Body(req.body);
  if (raw === undefined) throw new BadRequest('The body is not valid UTF-8.');
  const type = req.headers['content-type'];
  if (isFormContentType(type)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of parseFormEncoded(raw)) if (!k.startsWith('oauth_')) out[k] = v;
    const nul = nulField(out);
    if (nul !== undefined) throw new BadRequest(nulMessage(nul));
    return out;
  }
  if (raw.trim() === '') return {};
  if (type !== undefined && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new BadRequest('Send the fields as a form or as JSON.');
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new BadRequest('The body is not valid JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BadRequest('The JSON body must be an object.');
  }
  const nul = nulField(value);
  if (nul !== undefined) throw new BadRequest(nulMessage(nul));
  return value as Record<string, unknown>;
}

class BadRequest extends Error {}

function zodMessage(e: z.ZodError): string {
  return e.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/**
 * The protected API: `/api/1.0/whoami` and the `/api/1.0/notes` resource, or, with
 * `SIGNET_UPSTREAM`, a gateway that forwards verified requests under `/api/`.
 */
export function registerApiRoutes(
  api: FastifyInstance,
  ctx: RouteContext,
  store: OAuthStore,
): void {
  const sql = ctx.storage.store;
  const protect = createResourceEndpoint({
    store,
    publicUrl: ctx.config.publicUrl,
    clock: ctx.now,
    anonymous: true,
    ...signatureMethodOptions(ctx.config),
    // A dependency failure is a 503 that its store logged already (throttled).
    onError: (error) => {
      if (!isStoreUnavailable(error)) ctx.logger?.error({ err: error }, 'resource check failed');
    },
  });
  // "Last used" on /account/applications: noted here, written in batches off the request path.
  const lastUse = new LastUseRecorder({
    write: (tokens, at) => sql.touchAccessTokens(tokens, at),
    now: ctx.now,
    onError: (error) => ctx.logger?.warn({ err: error }, 'recording token use failed'),
  });
  api.addHook('onClose', () => lastUse.close());

  // Runs the OAuth check; answers the refusal itself and returns undefined, or the access.
  async function authorize(
    req: FastifyRequest,
    reply: FastifyReply,
    request: OAuthRequest = fromFastifyRequest(req),
  ): Promise<ResourceAccess | undefined> {
    const refusal =
      plaintextRefusal(ctx.config, request) ??
      encodingRefusal(ctx.config, request) ??
      bodyHashRefusal(ctx.config, request);
    if (refusal !== undefined) {
      countFailure(ctx, undefined, refusal.status, 'api');
      sendFastifyResponse(reply, refusal);
      return undefined;
    }
    const result = await protect(request);
    if (result.ok) {
      if (result.token !== undefined) lastUse.note(result.token.token);
      return result;
    }
    countFailure(ctx, result.response.headers['www-authenticate'], result.response.status, 'api');
    sendFastifyResponse(reply, result.response);
    return undefined;
  }

  const forbid = (reply: FastifyReply, message: string) =>
    reply
      .code(403)
      .header('cache-control', 'no-store')
      .type('text/plain; charset=utf-8')
      .send(message);

  api.get('/api/1.0/whoami', async (req, reply) => {
    const access = await authorize(req, reply);
    if (!access) return reply;
    const expires = access.token?.expiresAt;
    return sendJson(reply, 200, {
      person: access.userId ?? null,
      consumer: access.consumer.key,
      permission: access.grant?.permission ?? 'READ_PUBLIC',
      context: access.grant?.context ?? null,
      expires: expires === undefined ? null : new Date(expires).toISOString(),
    });
  });

  if (ctx.config.upstream !== undefined) {
    registerGateway(api, {
      upstream: ctx.config.upstream,
      timeoutMs: ctx.config.upstreamTimeoutMs,
      publicUrl: ctx.config.publicUrl,
      requireBodyHash: ctx.config.requireBodyHash,
      bodyLimit: API_BODY_LIMIT,
      authorize,
      logger: ctx.logger,
    });
    return;
  }

  const caller = (a: ResourceAccess): Caller => ({ userId: a.userId, grant: a.grant });

  async function contextExists(name: string | undefined): Promise<boolean> {
    return name === undefined || (await sql.getContext(name)) !== undefined;
  }

  api.get('/api/1.0/notes', async (req, reply) => {
    const access = await authorize(req, reply);
    if (!access) return reply;
    const who = caller(access);
    const notes = await sql.listNotes(who.userId === undefined ? {} : { privateOf: who.userId });
    return sendJson(reply, 200, { notes: notes.filter((n) => canRead(who, n)).map(noteJson) });
  });

  api.post('/api/1.0/notes', async (req, reply) => {
    const access = await authorize(req, reply);
    if (!access) return reply;
    const who = caller(access);
    const parsed = noteFields.safeParse(fieldsOf(req));
    if (!parsed.success) return sendJson(reply, 400, { error: zodMessage(parsed.error) });
    const f = parsed.data;
    const refusal = writeRefusal(who, f.visibility, f.context);
    if (refusal !== undefined) return forbid(reply, refusal);
    if (!(await contextExists(f.context)))
      return sendJson(reply, 400, { error: `Unknown context ${f.context}.` });
    const note = await sql.createNote({
      owner: who.userId!,
      title: f.title,
      body: f.body,
      visibility: f.visibility,
      context: f.context,
    });
    return sendJson(reply.header('location', `/api/1.0/notes/${note.id}`), 201, noteJson(note));
  });

  const idOf = (req: FastifyRequest): number | undefined => {
    const raw = (req.params as { id: string }).id;
    // Ids are int4 in PostgreSQL: a larger one names no note (and would be a 22003 there).
    if (!/^[1-9][0-9]{0,9}$/.test(raw)) return undefined;
    const id = Number(raw);
    return id <= MAX_NOTE_ID ? id : undefined;
  };
  const notFound = (reply: FastifyReply) => sendJson(reply, 404, { error: 'No such note.' });

  // The OAuth check, then the note of the URL if the caller may see it: a private note the
  // caller may not read is as absent as one that does not exist. Answers refusals itself.
  async function visibleNote(
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ who: Caller; note: Note } | undefined> {
    const access = await authorize(req, reply);
    if (!access) return undefined;
    const who = caller(access);
    const id = idOf(req);
    const note = id === undefined ? undefined : await sql.getNote(id);
    if (!note || !canRead(who, note)) {
      notFound(reply);
      return undefined;
    }
    return { who, note };
  }

  api.get('/api/1.0/notes/:id', async (req, reply) => {
    const found = await visibleNote(req, reply);
    if (!found) return reply;
    return sendJson(reply, 200, noteJson(found.note));
  });

  api.put('/api/1.0/notes/:id', async (req, reply) => {
    const found = await visibleNote(req, reply);
    if (!found) return reply;
    const { who, note } = found;
    const parsed = noteChanges.safeParse(fieldsOf(req));
    if (!parsed.success) return sendJson(reply, 400, { error: zodMessage(parsed.error) });
    const f = parsed.data;
    if (note.owner !== who.userId) return forbid(reply, 'Only the owner of a note can change it.');
    // Both what the note is and what it becomes must be writable under the grant.
    const refusal =
      writeRefusal(who, note.visibility, note.context) ??
      writeRefusal(who, f.visibility ?? note.visibility, f.context ?? note.context);
    if (refusal !== undefined) return forbid(reply, refusal);
    if (!(await contextExists(f.context)))
      return sendJson(reply, 400, { error: `Unknown context ${f.context}.` });
    const updated = await sql.updateNote(note.id, {
      ...(f.title !== undefined && { title: f.title }),
      ...(f.body !== undefined && { body: f.body }),
      ...(f.visibility !== undefined && { visibility: f.visibility }),
      ...(f.context !== undefined && { context: f.context }),
    });
    if (!updated) return notFound(reply);
    return sendJson(reply, 200, noteJson(updated));
  });

  api.delete('/api/1.0/notes/:id', async (req, reply) => {
    const found = await visibleNote(req, reply);
    if (!found) return reply;
    const { who, note } = found;
    if (note.owner !== who.userId) return forbid(reply, 'Only the owner of a note can delete it.');
    const refusal = writeRefusal(who, note.visibility, note.context);
    if (refusal !== undefined) return forbid(reply, refusal);
    await sql.deleteNote(note.id);
    return reply.code(204).header('cache-control', 'no-store').send();
  });

  api.setErrorHandler((error, _req, reply) => {
    if (error instanceof BadRequest) return sendJson(reply, 400, { error: error.message });
    if (error instanceof OAuthError) return sendJson(reply, 400, { error: error.message });
    throw error;
  });
}
