import type { FastifyInstance } from 'fastify';

/**
 * Answers requests no route takes, in plain text like every other error: a known path asked
 * with another method is 405 with `Allow` (RFC 9110 §15.5.6); anything else is 404. Fastify
 * alone answers both with a JSON 404 that names its router. Call before any route exists.
 */
export function answerUnrouted(app: FastifyInstance): void {
  const routes: { readonly path: RegExp; readonly methods: readonly string[] }[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    routes.push({ path: routePattern(route.url), methods });
  });
  app.setNotFoundHandler((req, reply) => {
    const q = req.url.indexOf('?');
    const path = q === -1 ? req.url : req.url.slice(0, q);
    const allowed = new Set<string>();
    for (const r of routes) if (r.path.test(path)) for (const m of r.methods) allowed.add(m);
    if (allowed.size === 0) {
      return reply.code(404).type('text/plain; charset=utf-8').send('Not found.');
    }
    const allow = [...allowed].sort().join(', ');
    return reply
      .code(405)
      .header('allow', allow)
      .type('text/plain; charset=utf-8')
      .send(`Method ${req.method} is not allowed here; use ${allow}.`);
  });
}

/** A route URL (`/api/1.0/notes/:id`, `/api/*`) as a regular expression over paths. */
function routePattern(url: string): RegExp {
  let source = '';
  for (const part of url.split(/(:[A-Za-z_][\w-]*|\*)/)) {
    if (part === '*') source += '.*';
    else if (part.startsWith(':')) source += '[^/]+';
    else source += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
