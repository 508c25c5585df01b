import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Link relations pump.io-style clients look for. */
export const RELATIONS = {
  registration: 'registration_endpoint',
  requestToken: 'http://apinamespace.org/oauth/request_token',
  authorize: 'http://apinamespace.org/oauth/authorize',
  accessToken: 'http://apinamespace.org/oauth/access_token',
} as const;

interface Link {
  readonly rel: string;
  readonly href: string;
}

function links(publicUrl: string, registration: boolean): Link[] {
  const out: Link[] = [];
  if (registration)
    out.push({ rel: RELATIONS.registration, href: `${publicUrl}/api/client/register` });
  out.push(
    { rel: RELATIONS.requestToken, href: `${publicUrl}/oauth/request_token` },
    { rel: RELATIONS.authorize, href: `${publicUrl}/oauth/authorize` },
    { rel: RELATIONS.accessToken, href: `${publicUrl}/oauth/access_token` },
  );
  return out;
}

const xmlEscape = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

function xrd(subject: string | undefined, list: readonly Link[]): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">',
  ];
  if (subject) lines.push(`  <Subject>${xmlEscape(subject)}</Subject>`);
  for (const l of list)
    lines.push(`  <Link rel="${xmlEscape(l.rel)}" href="${xmlEscape(l.href)}"/>`);
  lines.push('</XRD>', '');
  return lines.join('\n');
}

const wantsJson = (req: FastifyRequest): boolean =>
  (req.headers.accept ?? '').toLowerCase().includes('application/json');

/**
 * Host-meta (RFC 6415) and WebFinger (RFC 7033) discovery of the OAuth endpoints and the
 * registration endpoint, as pump.io clients expect.
 */
export function registerDiscovery(
  app: FastifyInstance,
  options: {
    readonly publicUrl: string;
    readonly registration: boolean;
    readonly userExists: (name: string) => Promise<boolean>;
  },
): void {
  const base = options.publicUrl.replace(/\/+$/, '');
  const host = new URL(base).host;
  const list = links(base, options.registration);
  const cors = (reply: FastifyReply) => reply.header('access-control-allow-origin', '*');

  app.get('/.well-known/host-meta', async (req, reply) => {
    cors(reply);
    if (wantsJson(req)) return reply.type('application/json').send({ links: list });
    return reply.type('application/xrd+xml; charset=utf-8').send(xrd(undefined, list));
  });
  app.get('/.well-known/host-meta.json', async (_req, reply) => {
    cors(reply);
    return reply.type('application/json').send({ links: list });
  });
  app.get('/.well-known/webfinger', async (req, reply) => {
    cors(reply);
    const resource = (req.query as Record<string, unknown>)['resource'];
    if (typeof resource !== 'string' || resource === '') {
      return reply
        .code(400)
        .type('application/json')
        .send({ error: 'The resource parameter is required.' });
    }
    const m = /^(?:acct:)?([^@\s]+)@([^@\s]+)$/.exec(resource);
    if (!m || m[2]!.toLowerCase() !== host.toLowerCase() || !(await options.userExists(m[1]!))) {
      return reply
        .code(404)
        .type('application/json')
        .send({ error: `Unknown resource ${resource.slice(0, 200)}.` });
    }
    const subject = `acct:${m[1]}@${m[2]}`;
    if (req.headers.accept?.includes('application/xrd+xml')) {
      return reply.type('application/xrd+xml; charset=utf-8').send(xrd(subject, list));
    }
    return reply.type('application/jrd+json').send({ subject, links: list });
  });
}
