import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ItemScore } from '../tools/toolset.ts';
import { errorBody } from './errors.ts';

/**
 * A preHandler for the scoring routes: when the backend cannot take work (Redis away, queue full)
 * the request is answered 503 at once, with Retry-After, instead of waiting for a deadline.
 */
export function admission(app: FastifyInstance) {
  return async (_request: FastifyRequest, reply: FastifyReply) => {
    const reason = await app.scoring.unavailable();
    if (reason !== undefined) return reply.code(503).header('retry-after', '1').send(errorBody(503, reason));
  };
}

/** The 504 answer for a request whose deadline left items unscored, or undefined when all were scored. */
export function deadlineError(scores: ItemScore[]) {
  const unscored = scores.flatMap((score, index) => (score.unscored ? [index] : []));
  if (unscored.length === 0) return undefined;
  const message = `${unscored.length} of ${scores.length} items were not scored before the request deadline; the others were, but a partial batch is not returned`;
  return { ...errorBody(504, message), unscored };
}
