import type { FastifyInstance } from 'fastify';
import { sendJson } from './reply.js';

/** How deep `nulField` looks into JSON: deeper input is not something any route reads. */
const MAX_DEPTH = 8;

/**
 * The name of the first field of `value` (a query, form or JSON object) whose string holds
 * U+0000 or an unpaired surrogate, or `undefined`. PostgreSQL text cannot hold U+0000
 * (SQLSTATE 22021), and no field of this provider has a use for either, so both are refused
 * as malformed input on both dialects alike.
 */
export function nulField(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return malformed(value) ? path || 'value' : undefined;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  if (value instanceof Uint8Array) return undefined; // A raw body: its route decodes and checks it.
  for (const [k, v] of Object.entries(value)) {
    const here = path === '' ? k : `${path}.${k}`;
    if (malformed(k)) return here;
    const found = nulField(v, here, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

// A surrogate half without its other half: JSON lets `"\ud800"` through, and the two
// databases store it differently (U+FFFD on PostgreSQL, bytes that are not UTF-8 on SQLite).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function malformed(s: string): boolean {
  return s.includes('\0') || LONE_SURROGATE.test(s);
}

/** The message for a NUL in `field`, with the name clipped to printable ASCII. */
export function nulMessage(field: string): string {
  const name = (field.length > 40 ? `${field.slice(0, 40)}...` : field).replace(
    /[^\x20-\x7e]/g,
    '?',
  );
  return `${name}: NUL characters and unpaired surrogates are not allowed.`;
}

/**
 * Refuses a NUL in the query or a parsed (form) body of a route with a 400 before its
 * handler runs: JSON `{"error"}` under `/api/`, text elsewhere. Raw bodies (the signed API)
 * are checked by their routes once decoded; the gateway passes requests on as they are.
 * With `protocol`, `oauth_*` query parameters are left to the protocol layer, which refuses
 * control characters in them in OAuth's own error format.
 */
export function refuseNul(app: FastifyInstance, options: { protocol?: boolean } = {}): void {
  app.addHook('preValidation', (req, reply, done) => {
    if (req.routeOptions.url === '/api/*') return done();
    let query: unknown = req.query;
    if (options.protocol && query !== null && typeof query === 'object') {
      query = Object.fromEntries(Object.entries(query).filter(([k]) => !k.startsWith('oauth_')));
    }
    const field = nulField(query) ?? nulField(req.body);
    if (field === undefined) return done();
    const message = nulMessage(field);
    // Answered here: Fastify skips the handler once a hook has sent the reply.
    if (req.url.startsWith('/api/')) sendJson(reply, 400, { error: message });
    else reply.code(400).type('text/plain; charset=utf-8').send(message);
  });
}

/**
 * Whether `error` (or its cause) is a PostgreSQL data exception (SQLSTATE class 22: a NUL
 * in text, a number out of range, bad text for a type): input the database refused, a 400,
 * whatever route let it through.
 */
export function isDataException(error: unknown): boolean {
  let e: unknown = error;
  for (let i = 0; i < 4 && e !== null && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
