import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { decodeItem } from '../../protocol/items.ts';
import { checkToolParams } from '../../protocol/toolsets.ts';
import { RequestError } from '../../protocol/errors.ts';
import { admission } from '../admission.ts';
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
        description:
          'Raw tool scores in [0, 1], without planning or weighting; `params` go to the tool and are checked against ' +
          "its params schema (GET /tools), as a toolset's are. `prompt` may be left " +
          'out for tools that do not read it (metrics, math...). Items the deadline leaves unscored get an `error` ' +
          'and `unscored: true`.',
        tags: ['tools'],
        params: ToolName,
        body: ToolScoreRequest,
        response: { 200: ToolScoreResponse, ...errorResponses(400, 401, 404, 413, 503) },
      },
      preHandler: admission(app),
    },
    async (request, reply) => {
      const { name } = request.params;
      if (!app.scoring.registry.has(name)) {
        return reply.code(404).send(errorBody(404, `no tool named "${name}"; GET /tools lists them`));
      }
      const promptless = request.body.items.findIndex((item) => item.prompt === undefined);
      if (promptless !== -1 && app.scoring.registry.get(name)!.readsPrompt === true) {
        throw new RequestError(`body/items/${promptless}/prompt is required: the tool "${name}" reads the prompt`);
      }
      const params = request.body.params ?? {};
      checkToolParams(name, params, app.scoring.registry, 'body/params');
      const decoded = request.body.items.map((item, i) => decodeItem(item, `body/items/${i}`, app.scoring.cleanup));
      const items = decoded.map((d) => d.item);
      const scores = await app.scoring.pipeline.scoreWithTool(name, params, items);
      return {
        scores: scores.map((s) => s.reward),
        details: scores.map(({ components: [component], error, unscored }, i) => {
          const detail = { ...decoded[i]!.detail, ...component?.detail };
          return {
            ...(Object.keys(detail).length > 0 && { detail }),
            ...(error !== undefined && { error }),
            ...(unscored && { unscored }),
            ...(component?.abstained && { abstained: true }),
          };
        }),
      };
    },
  );
};

export default routes;
