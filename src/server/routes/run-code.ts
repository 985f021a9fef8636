import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RunCodeRequest, RunCodeResponse, runCode } from '../../protocol/sandbox-fusion.ts';
import { errorResponses } from '../schemas/errors.ts';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/run_code',
    {
      schema: {
        summary: 'Run a program in the sandbox (SandboxFusion-compatible)',
        description:
          "ByteDance SandboxFusion's /run_code request and response, so verl's sandbox_fusion reward path and ROLL can " +
          'use this service as their code sandbox. The program runs under bubblewrap with time, memory, process, file ' +
          'and network limits.',
        tags: ['sandbox'],
        body: RunCodeRequest,
        response: { 200: RunCodeResponse, ...errorResponses(400, 401, 413, 422) },
      },
    },
    async (request) => runCode(request.body),
  );
};

export default routes;
