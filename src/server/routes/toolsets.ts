import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorBody } from '../errors.ts';
import { errorResponses } from '../schemas/errors.ts';
import { SignatureParam, Toolset, ToolsetList } from '../schemas/toolsets.ts';

function notFound(signature: string) {
  return errorBody(404, `no toolset for signature "${signature}"`);
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/toolsets',
    {
      schema: {
        summary: 'List the toolsets planned so far',
        tags: ['toolsets'],
        response: { 200: ToolsetList, ...errorResponses(401) },
      },
    },
    async () => ({ toolsets: await app.scoring.store.list() }),
  );

  app.get(
    '/toolsets/:signature',
    {
      schema: {
        summary: 'One toolset, with the reasons for its tools',
        tags: ['toolsets'],
        params: SignatureParam,
        response: { 200: Toolset, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const toolset = await app.scoring.store.get(request.params.signature);
      return toolset ?? reply.code(404).send(notFound(request.params.signature));
    },
  );

  app.delete(
    '/toolsets/:signature',
    {
      schema: {
        summary: 'Forget a toolset; the next item of its signature plans a new version',
        tags: ['toolsets'],
        params: SignatureParam,
        response: { 204: { type: 'null', description: 'Deleted.' }, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const deleted = await app.scoring.store.delete(request.params.signature);
      return deleted ? reply.code(204).send(null) : reply.code(404).send(notFound(request.params.signature));
    },
  );
};

export default routes;
