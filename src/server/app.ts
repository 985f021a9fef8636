import Fastify, { type FastifyError, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config.ts';
import { VERSION } from '../version.ts';
import { errorBody } from './errors.ts';
import { parseJsonBody } from './json-body.ts';
import { RequestLog } from './request-log.ts';
import metrics from './plugins/external/metrics.ts';
import swagger from './plugins/external/swagger.ts';
import auth from './plugins/app/auth.ts';
import scoring from './plugins/app/scoring.ts';
import queueBoard from './plugins/external/queue-board.ts';
import health from './routes/health.ts';
import reward from './routes/reward.ts';
import runCode from './routes/run-code.ts';
import tools from './routes/tools.ts';
import toolsets from './routes/toolsets.ts';
import { AJV_OPTIONS, formatValidationErrors } from './validation.ts';

export interface AppOptions {
  /** Pino logger options, or false for none. */
  logger?: FastifyServerOptions['logger'];
  /** Distributed mode: BullMQ workers inside the API process (`rlar serve --workers N`; default 1). */
  inProcessWorkers?: number;
}

/** The Fastify app: external plugins, then domain services, then thin routes. Not yet listening. */
export async function buildApp(config: Config, options: AppOptions = {}) {
  const app = Fastify({
    logger: options.logger ?? {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
    },
    logController: new RequestLog(),
    bodyLimit: config.bodyLimitBytes,
    ajv: { customOptions: AJV_OPTIONS },
    schemaErrorFormatter: (errors, dataVar) => new Error(formatValidationErrors(errors, dataVar)),
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Responses are documented by their schemas and written with plain JSON.stringify: open objects
  // (tool details) pass through whole.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    try {
      done(null, parseJsonBody(text as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send(errorBody(500, 'internal error'));
    }
    const text =
      status === 413
        ? `${error.message} (RLAR_BODY_LIMIT_MB sets the limit)`
        : status === 415
          ? `content-type "${(request.headers['content-type'] ?? '').slice(0, 100)}" is not supported; send application/json`
          : error.message;
    return reply.code(status).send(errorBody(status, text));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(404, `no route ${request.method} ${request.url}`)),
  );

  await app.register(swagger, { version: VERSION });
  await app.register(metrics);
  await app.register(auth, { apiKeys: config.apiKeys, adminKeys: config.adminKeys });
  await app.register(scoring, { config, inProcessWorkers: options.inProcessWorkers ?? 1 });
  await app.register(queueBoard);
  await app.register(health);
  await app.register(reward);
  await app.register(tools);
  await app.register(toolsets);
  await app.register(runCode, { concurrency: config.sandboxConcurrency, waiting: config.sandboxQueue });
  return app;
}
