import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './errors.ts';

/**
 * A preHandler for the scoring routes: when the backend cannot take work (Redis away, queue full)
 * the request is answered 503 at once, with Retry-After, instead of waiting for a deadline. None in
 * embedded mode.
 */
export function admission(app: FastifyInstance) {
  // Embedded mode always takes work: no hook to run on every request.
  if (app.scoring.mode === 'embedded') return [];
  return async (_request: FastifyRequest, reply: FastifyReply) => {
    const reason = await app.scoring.unavailable();
    if (reason !== undefined) return reply.code(503).header('retry-after', '1').send(errorBody(503, reason));
  };
}
