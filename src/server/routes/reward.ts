import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { decodeRequest, detectDialect, encodeResponse, type Dialect } from '../../protocol/dialects.ts';
import { RequestError } from '../../protocol/errors.ts';
import { requestToolsets } from '../../protocol/toolsets.ts';
import { NativeRequest, OpenRLHFRequest, RewardRequest, RewardResponse, SlimeRequest } from '../../protocol/schemas.ts';
import { admission, deadlineError } from '../admission.ts';
import { errorResponses } from '../schemas/errors.ts';
import { ajv, formatValidationErrors } from '../validation.ts';

const dialectValidators = {
  native: ajv.compile(NativeRequest),
  openrlhf: ajv.compile(OpenRLHFRequest),
  slime: ajv.compile(SlimeRequest),
};

/** Validates a body against the schema of the dialect its keys name, so errors speak of that dialect. */
function validateRewardBody(body: unknown): { error: Error } | { value: unknown } {
  const dialect = detectDialect(body);
  if (!dialect) {
    return {
      error: new RequestError(
        'body must be a JSON object with "items" (native), "query" (OpenRLHF) or "prompt" and "response" (slime)',
      ),
    };
  }
  const validate = dialectValidators[dialect];
  if (validate(body)) return { value: body };
  return { error: new RequestError(formatValidationErrors(validate.errors as FastifySchemaValidationError[], 'body')) };
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/reward',
    {
      schema: {
        summary: 'Score a batch',
        description:
          'Rewards for items in one of three dialects (native, OpenRLHF, slime), answered in the same dialect. ' +
          'Every item gets a reward; an item whose tools fail gets its fallback reward and an `error`.',
        tags: ['reward'],
        body: RewardRequest,
        response: { 200: RewardResponse, ...errorResponses(400, 401, 413, 415, 503, 504) },
      },
      validatorCompiler: () => validateRewardBody,
      preHandler: admission(app),
    },
    async (request, reply) => {
      const dialect = detectDialect(request.body) as Dialect;
      const { items, timeoutMs } = decodeRequest(dialect, request.body);
      const toolsets = dialect === 'native' ? requestToolsets(request.body as NativeRequest, app.scoring.registry) : [];
      const scored = await app.scoring.pipeline.score(items, timeoutMs, toolsets);
      const late = deadlineError(scored);
      if (late) return reply.code(504).send(late);
      return encodeResponse(dialect, request.body, scored);
    },
  );
};

export default routes;
