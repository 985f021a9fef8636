import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RunCodeRequest, RunCodeResponse, runCode } from '../../protocol/sandbox-fusion.ts';
import { Semaphore } from '../../util/semaphore.ts';
import { errorBody } from '../errors.ts';
import { errorResponses } from '../schemas/errors.ts';

/**
 * Programs run `concurrency` at a time; up to `waiting` more requests wait for a turn, and past that a
 * request is answered at once with 504 and Retry-After: verl's SandboxFusion client retries a 504 (and
 * nothing else), three tries 1 and 2 s apart. A request whose caller hung up while it waited (verl gives
 * up after compile_timeout + run_timeout + 10 s and counts the case failed) leaves the queue and its
 * program never runs: under load, abandoned programs would otherwise delay every later one.
 */
const routes: FastifyPluginAsyncTypebox<{ concurrency: number; waiting: number }> = async (app, options) => {
  const slots = new Semaphore(options.concurrency);
  let admitted = 0;
  app.post(
    '/run_code',
    {
      schema: {
        summary: 'Run a program in the sandbox (SandboxFusion-compatible)',
        description:
          "ByteDance SandboxFusion's /run_code request and response, so verl's sandbox_fusion reward path and ROLL can " +
          'use this service as their code sandbox. The program runs under bubblewrap with time, memory, process, file, ' +
          'disk and network limits. Programs run RLAR_SANDBOX_CONCURRENCY at a time; past RLAR_SANDBOX_QUEUE waiting ' +
          'requests the answer is 504 with Retry-After (the status SandboxFusion clients retry).',
        tags: ['sandbox'],
        body: RunCodeRequest,
        response: { 200: RunCodeResponse, ...errorResponses(400, 401, 413, 422, 499, 504) },
      },
    },
    async (request, reply) => {
      if (admitted >= options.concurrency + options.waiting) {
        const message = `the sandbox is busy: ${options.concurrency} programs running and ${options.waiting} waiting; retry later`;
        return reply.code(504).header('retry-after', '1').send(errorBody(504, message));
      }
      admitted++;
      const hungUp = new AbortController();
      const socket = request.raw.socket;
      const onClose = () => hungUp.abort();
      if (socket.destroyed) hungUp.abort();
      else socket.once('close', onClose);
      try {
        if (!(await slots.acquire(hungUp.signal))) {
          request.log.info('/run_code: the caller hung up while its program waited; not run');
          return reply.code(499).send(errorBody(499, 'the caller closed the connection before the program ran'));
        }
        try {
          return await runCode(request.body);
        } finally {
          slots.release();
        }
      } finally {
        socket.off('close', onClose);
        admitted--;
      }
    },
  );
};

export default routes;
