import type { OAuthResponse } from '@signet/server';
import type { FastifyReply } from 'fastify';

/** Sends an endpoint's plain answer through Fastify. */
export function sendOAuth(reply: FastifyReply, response: OAuthResponse): FastifyReply {
  reply.code(response.status);
  for (const [name, value] of Object.entries(response.headers)) reply.header(name, value);
  // Credentials and refusals are personal: never cached by anything in between.
  reply.header('cache-control', 'no-store');
  return reply.send(response.body);
}

/** A JSON answer with the status given. */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send(JSON.stringify(body));
}
