import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { admission } from '../admission.ts';
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

  app.get(
    '/toolsets/:signature/versions',
    {
      schema: {
        summary: 'Every version of a toolset, oldest first',
        tags: ['toolsets'],
        params: SignatureParam,
        response: { 200: ToolsetList, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const versions = await app.scoring.store.versions(request.params.signature);
      return versions.length > 0 ? { toolsets: versions } : reply.code(404).send(notFound(request.params.signature));
    },
  );

  app.post(
    '/toolsets/:signature/replan',
    {
      schema: {
        summary: 'Plan a toolset again now: a new version, the old one kept',
        tags: ['toolsets'],
        params: SignatureParam,
        response: { 200: Toolset, ...errorResponses(400, 401, 404, 503) },
      },
      preHandler: admission(app),
    },
    async (request, reply) => {
      const { signature } = request.params;
      if (!(await app.scoring.store.get(signature))) return reply.code(404).send(notFound(signature));
      return app.scoring.replan(signature, 'requested through POST /toolsets/{signature}/replan');
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
