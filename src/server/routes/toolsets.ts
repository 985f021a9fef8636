import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { admission } from '../admission.ts';
import { errorBody } from '../errors.ts';
import { errorResponses } from '../schemas/errors.ts';
import { DECLARED } from '../../planning/planner.ts';
import { checkDeclaration } from '../../protocol/toolsets.ts';
import { declaredPlan, withHash } from '../../tools/toolset.ts';
import { SignatureParam, Toolset, ToolsetDeclaration, ToolsetList } from '../schemas/toolsets.ts';

function notFound(signature: string) {
  return errorBody(404, `no toolset for signature "${signature}"`);
}

const FROZEN = errorBody(409, 'the service is frozen (rlar serve --frozen): its toolsets are those of its snapshot and do not change');

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
    async () => ({ toolsets: (await app.scoring.store.list()).map(withHash) }),
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
      return toolset ? withHash(toolset) : reply.code(404).send(notFound(request.params.signature));
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
      return versions.length > 0 ? { toolsets: versions.map(withHash) } : reply.code(404).send(notFound(request.params.signature));
    },
  );

  app.put(
    '/toolsets/:signature',
    {
      schema: {
        summary: 'Declare the toolset of a signature: a new version, the old one kept',
        description:
          'Takes the shape `GET /toolsets/{signature}` shows (fields the service owns, such as `version`, are ignored). ' +
          'The tools must exist, their params fit them, and weights be positive (0 only for gates). ' +
          'A toolset that scores exactly as the current one is kept as it is, with no new version.',
        tags: ['toolsets'],
        params: SignatureParam,
        body: ToolsetDeclaration,
        response: { 200: Toolset, ...errorResponses(400, 401, 409) },
      },
    },
    async (request, reply) => {
      if (app.scoring.frozen) return reply.code(409).send(FROZEN);
      const { signature } = request.params;
      const declared = request.body;
      if (declared.signature !== undefined && declared.signature !== signature) {
        return reply.code(400).send(errorBody(400, `body/signature "${declared.signature}" is not the signature of the path, "${signature}"`));
      }
      checkDeclaration(declared, app.scoring.registry, 'body');
      return withHash(await app.scoring.declare(declaredPlan(signature, declared, DECLARED, 'declared through PUT /toolsets/{signature}')));
    },
  );

  app.post(
    '/toolsets/:signature/replan',
    {
      schema: {
        summary: 'Plan a toolset again now: a new version, the old one kept',
        tags: ['toolsets'],
        params: SignatureParam,
        response: { 200: Toolset, ...errorResponses(400, 401, 404, 409, 503) },
      },
      preHandler: admission(app),
    },
    async (request, reply) => {
      if (app.scoring.frozen) return reply.code(409).send(FROZEN);
      const { signature } = request.params;
      if (!(await app.scoring.store.get(signature))) return reply.code(404).send(notFound(signature));
      return withHash(await app.scoring.replan(signature, 'requested through POST /toolsets/{signature}/replan'));
    },
  );

  app.delete(
    '/toolsets/:signature',
    {
      schema: {
        summary: 'Forget a toolset; the next item of its signature plans a new version',
        tags: ['toolsets'],
        params: SignatureParam,
        response: { 204: { type: 'null', description: 'Deleted.' }, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      if (app.scoring.frozen) return reply.code(409).send(FROZEN);
      const deleted = await app.scoring.store.delete(request.params.signature);
      return deleted ? reply.code(204).send(null) : reply.code(404).send(notFound(request.params.signature));
    },
  );
};

export default routes;
