import { jsonResponse } from '@signet/server';
import { sendFastifyResponse } from '@signet/server/fastify';
import type { FastifyReply } from 'fastify';

/** A JSON answer with the status given: @signet/server's, through its Fastify adapter. */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return sendFastifyResponse(reply, jsonResponse(body, status));
}
