import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { checkNesting, toScoringItem } from '../../protocol/items.ts';
import { admission, deadlineError } from '../admission.ts';
import { errorBody } from '../errors.ts';
import { errorResponses } from '../schemas/errors.ts';
import { ToolList, ToolName, ToolScoreRequest, ToolScoreResponse } from '../schemas/tools.ts';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/tools',
    {
      schema: { summary: 'List the tools', tags: ['tools'], response: { 200: ToolList, ...errorResponses(401) } },
    },
    async () => ({
      tools: app.scoring.registry.list().map((tool) => ({
        name: tool.name,
        kind: tool.kind,
        description: tool.description,
        needs_reference: tool.needsReference,
        ...(tool.params && { params: tool.params }),
      })),
    }),
  );

  app.post(
    '/tools/:name/score',
    {
      schema: {
        summary: 'Run one tool on items',
        description: 'Raw tool scores in [0, 1], without planning or weighting; `params` go to the tool.',
        tags: ['tools'],
        params: ToolName,
        body: ToolScoreRequest,
        response: { 200: ToolScoreResponse, ...errorResponses(400, 401, 404, 413, 503, 504) },
      },
      preHandler: admission(app),
    },
    async (request, reply) => {
      const { name } = request.params;
      if (!app.scoring.registry.has(name)) {
        return reply.code(404).send(errorBody(404, `no tool named "${name}"; GET /tools lists them`));
      }
      const items = request.body.items.map((item, i) => toScoringItem(item, `body/items/${i}`));
      checkNesting(request.body.params, 'body/params');
      const scores = await app.scoring.pipeline.scoreWithTool(name, request.body.params ?? {}, items);
      const late = deadlineError(scores);
      if (late) return reply.code(504).send(late);
      return {
        scores: scores.map((s) => s.reward),
        details: scores.map(({ components: [component], error }) => ({
          ...(component?.detail && { detail: component.detail }),
          ...(error !== undefined && { error }),
        })),
      };
    },
  );
};

export default routes;
