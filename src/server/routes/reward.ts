import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { detectDialect, type Dialect } from '../../protocol/dialects.ts';
import { RequestError } from '../../protocol/errors.ts';
import { NativeRequest, OpenRLHFRequest, RewardQuery, RewardRequest, RewardResponse, SlimeRequest } from '../../protocol/schemas.ts';
import { admission } from '../admission.ts';
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

const queryValidator = ajv.compile(RewardQuery);

function validateRewardQuery(query: unknown): { error: Error } | { value: unknown } {
  if (queryValidator(query)) return { value: query };
  return { error: new RequestError('querystring/format must be "number" (the bare reward, for slime) or left out') };
}

/** How long the caller will wait for the answer, in ms, when it says so: the deadline ends before. */
const CLIENT_TIMEOUT = 'x-rlar-client-timeout-ms';

function clientTimeoutMs(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0]! : header;
  if (!/^[1-9][0-9]{0,8}$/.test(value.trim())) {
    throw new RequestError(`header ${CLIENT_TIMEOUT} must be a whole number of milliseconds from 1 to 999999999, not ${JSON.stringify(value.slice(0, 40))}`);
  }
  return Number(value);
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/reward',
    {
      schema: {
        summary: 'Score a batch',
        description:
          'Rewards for items in one of three dialects (native, OpenRLHF, slime), answered in the same dialect. ' +
          'Every item gets a reward; an item whose tools fail gets its fallback reward and an `error`. When the ' +
          'deadline passes, the answer is still 200: items not scored by then get their fallback reward, an ' +
          '`error` and `unscored: true` (OpenRLHF: `extra_logs.unscored`). The deadline ends before the caller gives ' +
          'up: the `x-rlar-client-timeout-ms` header says when (slime and OpenRLHF without it: 120 and 180 s). The ' +
          "`x-rlar-deadline-ms` header of the answer gives the request's deadline.",
        tags: ['reward'],
        querystring: RewardQuery,
        body: RewardRequest,
        response: { 200: RewardResponse, ...errorResponses(400, 401, 413, 415, 503) },
      },
      validatorCompiler: ({ httpPart }) => (httpPart === 'body' ? validateRewardBody : validateRewardQuery),
      preHandler: admission(app),
    },
    async (request, reply) => {
      const dialect = detectDialect(request.body) as Dialect;
      const bare = request.query.format === 'number';
      if (bare && dialect !== 'slime') {
        throw new RequestError('format=number answers a bare reward and is only for one-sample (slime) requests');
      }
      const { scored, answer, deadlineMs } = await app.scoring.reward(dialect, request.body, clientTimeoutMs(request.headers[CLIENT_TIMEOUT]));
      // The deadline this request had (a trainer's own timeout can cut the configured one).
      reply.header('x-rlar-deadline-ms', deadlineMs);
      if (bare) {
        const [result] = scored;
        if (result!.error !== undefined) request.log.warn({ error: result!.error }, 'slime item got its fallback reward');
        return result!.reward;
      }
      return answer;
    },
  );
};

export default routes;
