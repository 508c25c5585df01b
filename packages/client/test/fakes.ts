import { collectParameters, signedParameters, verifySignature } from '@signet/core';
import { type FakeServer, send, startFake } from './helpers.js';

const RT = 'http://apinamespace.org/oauth/request_token';
const AZ = 'http://apinamespace.org/oauth/authorize';
const AT = 'http://apinamespace.org/oauth/access_token';

interface Registered {
  secret: string;
  name: string;
}

/**
 * A pump.io-style server as DESIGN.md describes it: host-meta in XRD and JSON, WebFinger,
 * dynamic registration, and the three OAuth endpoints, checking signatures with core.
 */
export async function pumpServer(
  options: { xrdOnly?: boolean; webfingerOnly?: boolean; jsonFileOnly?: boolean } = {},
) {
  const clients = new Map<string, Registered>();
  const requests: string[] = [];
  const tokens = new Map<string, { secret: string; verifier?: string }>();
  let n = 0;
  const fake: FakeServer = await startFake((req, res) => {
    const url = new URL(req.url!, fake.base);
    requests.push(`${req.method} ${url.pathname}`);
    const links = [
      { rel: 'registration_endpoint', href: `${fake.base}/api/client/register` },
      { rel: RT, href: `${fake.base}/oauth/request_token` },
      { rel: AZ, href: `${fake.base}/oauth/authorize` },
      { rel: AT, href: `${fake.base}/oauth/access_token` },
    ];
    if (url.pathname === '/.well-known/host-meta.json' && options.jsonFileOnly) {
      return send(res, 200, { links });
    }
    if (
      url.pathname === '/.well-known/host-meta' &&
      !options.webfingerOnly &&
      !options.jsonFileOnly
    ) {
      if (!options.xrdOnly && /json/.test(req.headers.accept ?? ''))
        return send(res, 200, { links });
      const xml =
        '<?xml version="1.0"?>\n<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n' +
        links
          .map((l) => `  <Link rel='${l.rel}' href="${l.href.replace('&', '&amp;')}" />`)
          .join('\n') +
        '\n</XRD>';
      return send(res, 200, xml, { 'content-type': 'application/xrd+xml' });
    }
    if (url.pathname === '/.well-known/webfinger') {
      if (url.searchParams.get('resource') !== `acct:alice@${url.host}`)
        return send(res, 404, 'no');
      return send(
        res,
        200,
        { subject: url.searchParams.get('resource'), links },
        {
          'content-type': 'application/jrd+json',
        },
      );
    }
    if (url.pathname === '/api/client/register') {
      const body = /json/.test(req.headers['content-type'] ?? '')
        ? (JSON.parse(req.body) as Record<string, string>)
        : Object.fromEntries(new URLSearchParams(req.body));
      if (body['type'] === 'client_associate') {
        if (!body['application_type']) return send(res, 400, { error: 'Missing application_type' });
        const id = `client${++n}`;
        clients.set(id, { secret: `secret${n}`, name: body['application_name'] ?? '' });
        return send(res, 200, { client_id: id, client_secret: `secret${n}`, expires_at: 0 });
      }
      if (body['type'] === 'client_update') {
        const c = clients.get(body['client_id'] ?? '');
        if (!c || c.secret !== body['client_secret'])
          return send(res, 403, { error: 'Bad secret' });
        c.name = body['application_name'] ?? c.name;
        return send(res, 200, {
          client_id: body['client_id'],
          client_secret: c.secret,
          expires_at: 0,
        });
      }
      return send(res, 400, { error: 'Unknown type' });
    }
    if (url.pathname.startsWith('/oauth/')) {
      const collected = collectParameters({
        method: req.method!,
        url: url.href,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: req.body,
      });
      const params = signedParameters(collected);
      const get = (k: string) => params.find(([name]) => name === k)?.[1];
      if (url.pathname === '/oauth/authorize') {
        const t = tokens.get(url.searchParams.get('oauth_token') ?? '');
        if (!t) return send(res, 400, 'unknown token');
        t.verifier = 'v' + url.searchParams.get('oauth_token');
        return send(res, 200, `Your verifier: ${t.verifier}`);
      }
      const client = clients.get(get('oauth_consumer_key') ?? '');
      const token = tokens.get(get('oauth_token') ?? '');
      const ok =
        client !== undefined &&
        verifySignature({
          method: req.method!,
          url: url.href,
          params,
          signatureMethod: get('oauth_signature_method')!,
          signature: get('oauth_signature')!,
          keys: { consumerSecret: client.secret, tokenSecret: token?.secret ?? '' },
        });
      if (!ok) return send(res, 401, 'oauth_problem=signature_invalid');
      if (url.pathname === '/oauth/request_token') {
        const key = `rt${++n}`;
        tokens.set(key, { secret: `rts${n}` });
        return send(
          res,
          200,
          `oauth_token=${key}&oauth_token_secret=rts${n}&oauth_callback_confirmed=true`,
        );
      }
      if (url.pathname === '/oauth/access_token') {
        if (!token?.verifier || token.verifier !== get('oauth_verifier')) {
          return send(res, 401, 'oauth_problem=verifier_invalid');
        }
        return send(res, 200, `oauth_token=at${n}&oauth_token_secret=ats${n}&nickname=alice`);
      }
    }
    send(res, 404, 'Not found');
  });
  return { fake, clients, requests };
}

/** Launchpad's token endpoints, answering /+access-token from a script of statuses. */
export async function launchpad(script: number[]) {
  const seen: { path: string; body: string; accept?: string; auth?: string }[] = [];
  let polls = 0;
  const fake = await startFake((req, res) => {
    seen.push({
      path: req.url!,
      body: req.body,
      ...(req.headers.accept ? { accept: req.headers.accept } : {}),
      ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
    });
    const form = new URLSearchParams(req.body);
    if (req.url === '/+request-token') {
      if (form.get('oauth_signature') !== '&') return send(res, 401, 'Invalid OAuth signature.');
      return send(res, 200, {
        oauth_token: 'K',
        oauth_token_secret: 'S',
        oauth_token_consumer: form.get('oauth_consumer_key'),
        access_levels: [{ value: 'READ_PUBLIC', title: 'Read Non-Private Data' }],
      });
    }
    if (req.url === '/+access-token') {
      if (form.get('oauth_signature') !== '&S') return send(res, 401, 'Invalid OAuth signature.');
      const status = script[polls++] ?? 401;
      if (status === 401)
        return send(res, 401, 'Request token has not yet been reviewed. Try again later.');
      if (status === 403) return send(res, 403, 'End-user refused to authorize request token.');
      if (status === 410)
        return send(
          res,
          403,
          'This request token has expired and can no longer be exchanged for an access token.',
        );
      if (status === 404) return send(res, 401, 'No request token specified.');
      return send(res, 200, 'oauth_token=AT&oauth_token_secret=ATS&lp.context=firefox');
    }
    send(res, 404, 'Not found');
  });
  return { fake, seen, polls: () => polls };
}
